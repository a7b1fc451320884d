package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// The library and the call outcome definitions are full refreshes, like users: no
// change feed, so every run reads all of them, and what a complete read no longer
// finds is marked deleted. The library costs a request per workspace (its folders)
// and one per folder (its calls), each committed with the checkpoint after it.
//
// A company whose plan has no library answers its endpoints 401 or 404: that is
// gongapi.ErrNotAvailable, and the run ends "unavailable" rather than failed (run.go),
// recorded in stream_refusals so that the stream is asked again a day later.

// syncLibrary reads the library on the page loop: for each workspace (the live ones
// synced, or the company's default when none is), its folders, then each folder's
// calls, each one request and one transaction; then the folders no longer listed are
// marked deleted.
func (e *Engine) syncLibrary(ctx context.Context, r *run) error {
	cp, err := e.loadLibrary(ctx)
	if err != nil {
		return err
	}
	if cp.StartedAt == nil {
		if cp, err = e.startLibrary(ctx, cp); err != nil {
			return err
		}
	}
	err = e.readPages(ctx, r, &libraryRead{e: e, cp: &cp})
	if errors.Is(err, gongapi.ErrNotAvailable) {
		// The next refresh, a day from now, starts over.
		if serr := (libraryCheckpoint{stream: StreamLibrary, CompletedAt: cp.CompletedAt}).save(ctx, e.st); serr != nil {
			return errors.Join(err, serr)
		}
	}
	return err
}

// libraryRead is a refresh of the library as the page loop reads it: a page is a
// workspace's folders, or a folder's calls, or, last, the refresh's end (no request).
type libraryRead struct {
	noAfterPage
	e  *Engine
	cp *libraryCheckpoint
}

func (l *libraryRead) more() bool { return l.cp.StartedAt != nil }

func (l *libraryRead) page(ctx context.Context, r *run) (pageFinds, bool, error) {
	var found pageFinds
	var err error
	switch {
	case len(l.cp.Folders) > 0:
		found, err = l.e.readFolderCalls(ctx, r, l.cp)
	case len(l.cp.Workspaces) > 0:
		found, err = l.e.readFolders(ctx, r, l.cp)
	default:
		found, err = l.e.finishLibrary(ctx, l.cp)
	}
	return found, err == nil, err
}

// startLibrary begins a refresh (committed at once): its start on the database's
// clock, and the workspaces to list.
func (e *Engine) startLibrary(ctx context.Context, cp libraryCheckpoint) (libraryCheckpoint, error) {
	started, err := e.st.Now(ctx)
	if err != nil {
		return cp, err
	}
	ws, err := e.st.LiveWorkspaceIDs(ctx)
	if err != nil {
		return cp, err
	}
	if len(ws) == 0 {
		ws = []string{""}
	}
	cp.StartedAt, cp.Workspaces, cp.Folders = &started, ws, nil
	return cp, cp.save(ctx, e.st)
}

// readFolders lists the next workspace's folders and commits them with the
// checkpoint that has their calls to read next.
func (e *Engine) readFolders(ctx context.Context, r *run, cp *libraryCheckpoint) (pageFinds, error) {
	ws := cp.Workspaces[0]
	folders, err := r.gong.LibraryFolders(ctx, ws)
	if err != nil {
		return pageFinds{}, fmt.Errorf("read library folders of workspace %q: %w", ws, err)
	}
	rows := LibraryFolderRows(folders, ws)
	next := *cp
	next.Workspaces = cp.Workspaces[1:]
	next.Folders = make([]string, 0, len(rows))
	for _, f := range rows {
		if !slices.Contains(next.Folders, f.ID) {
			next.Folders = append(next.Folders, f.ID)
		}
	}
	var res store.UpsertResult
	err = e.st.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if res, err = tx.UpsertLibraryFolders(ctx, rows); err != nil {
			return err
		}
		return tx.SaveCheckpoint(ctx, next.row())
	})
	if err != nil {
		return pageFinds{}, fmt.Errorf("commit library folders of workspace %q: %w", ws, err)
	}
	*cp = next
	return pageFinds{records: len(rows), res: res}, nil
}

// readFolderCalls reads the next folder's calls and commits them, with the folder's
// calls not seen since the refresh began marked deleted, and the checkpoint after. A
// folder deleted since it was listed (a 404) has nothing to read: the next refresh
// will not list it, and marks it deleted then.
func (e *Engine) readFolderCalls(ctx context.Context, r *run, cp *libraryCheckpoint) (pageFinds, error) {
	folder := cp.Folders[0]
	calls, err := r.gong.LibraryFolderCalls(ctx, folder)
	gone := errors.Is(err, gongapi.ErrNotFound)
	if err != nil && !gone {
		return pageFinds{}, fmt.Errorf("read the calls of library folder %s: %w", folder, err)
	}
	if gone {
		r.log.Info().Str("folder", folder).Msg("library folder gone since it was listed")
	}
	rows := LibraryFolderCallRows(folder, calls)
	next := *cp
	next.Folders = cp.Folders[1:]
	var res store.UpsertResult
	var missing []string
	err = e.st.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if res, err = tx.UpsertLibraryFolderCalls(ctx, rows); err != nil {
			return err
		}
		missing = nil
		if !gone {
			if missing, err = tx.MarkLibraryFolderCallsMissing(ctx, folder, *cp.StartedAt); err != nil {
				return err
			}
		}
		return tx.SaveCheckpoint(ctx, next.row())
	})
	if err != nil {
		return pageFinds{}, fmt.Errorf("commit the calls of library folder %s: %w", folder, err)
	}
	*cp = next
	return pageFinds{records: len(rows), res: res, deleted: missing}, nil
}

// finishLibrary closes the refresh: the folders not listed since it began are gone
// from Gong.
func (e *Engine) finishLibrary(ctx context.Context, cp *libraryCheckpoint) (pageFinds, error) {
	now := e.now()
	next := libraryCheckpoint{stream: StreamLibrary, CompletedAt: &now}
	var missing []string
	err := e.st.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if missing, err = tx.MarkLibraryFoldersMissing(ctx, *cp.StartedAt); err != nil {
			return err
		}
		return tx.SaveCheckpoint(ctx, next.row())
	})
	if err != nil {
		return pageFinds{}, fmt.Errorf("commit library: %w", err)
	}
	*cp = next
	return pageFinds{deleted: missing}, nil
}

// save commits the checkpoint on its own (outside a request's transaction).
func (cp libraryCheckpoint) save(ctx context.Context, st *store.Store) error {
	return st.Transact(ctx, func(tx *store.Tx) error { return tx.SaveCheckpoint(ctx, cp.row()) })
}

// libraryCheckpoint is where a refresh of the library stands. The library is read a
// request at a time (the folders of each workspace, then the calls of each folder),
// each committed with the checkpoint after it, so a refresh cut short resumes at the
// request it had not committed.
type libraryCheckpoint struct {
	stream string
	// StartedAt is when the refresh under way began, on the database's clock: folders
	// not seen since then are gone from Gong once it completes, and a folder's calls
	// not seen since then once its calls are read. Nil between refreshes.
	StartedAt *time.Time
	// Workspaces are the workspaces whose folders are still to be listed, the next
	// first ("" lists the company's default workspace).
	Workspaces []string
	// Folders are the folders listed whose calls are still to be read, the next first.
	Folders []string
	// CompletedAt is when the last refresh completed.
	CompletedAt *time.Time
}

// libraryState is the part of a libraryCheckpoint kept in sync_state.state.
type libraryState struct {
	Workspaces []string `json:"workspaces,omitempty"`
	Folders    []string `json:"folders,omitempty"`
}

// loadLibrary reads the library's checkpoint.
func (e *Engine) loadLibrary(ctx context.Context) (libraryCheckpoint, error) {
	row, err := e.st.Checkpoint(ctx, StreamLibrary)
	if err != nil {
		return libraryCheckpoint{}, err
	}
	var s libraryState
	if err := decodeState(row, &s); err != nil {
		return libraryCheckpoint{}, err
	}
	return libraryCheckpoint{stream: StreamLibrary, StartedAt: row.WindowStartedAt, Workspaces: s.Workspaces,
		Folders: s.Folders, CompletedAt: row.CompletedAt}, nil
}

// row is the checkpoint as sync_state stores it.
func (cp libraryCheckpoint) row() store.Checkpoint {
	return store.Checkpoint{Stream: cp.stream, WindowStartedAt: cp.StartedAt, CompletedAt: cp.CompletedAt,
		State: encodeState(libraryState{Workspaces: cp.Workspaces, Folders: cp.Folders})}
}

// LibraryFolderRows maps the folders a workspace's library listed ("" when listed
// without a workspace).
func LibraryFolderRows(folders []gongapi.LibraryFolder, workspaceID string) []store.LibraryFolder {
	out := make([]store.LibraryFolder, 0, len(folders))
	for _, f := range folders {
		out = append(out, store.LibraryFolder{
			ID: clean(string(f.ID)), Name: cleanPtr(f.Name), ParentFolderID: idPtr(f.ParentFolderID),
			WorkspaceID: nonEmpty(workspaceID), CreatedBy: idPtr(f.CreatedBy), Updated: f.Updated.Ptr(),
			Raw: rawJSON(f.Raw, f),
		})
	}
	return out
}

// LibraryFolderCallRows maps the calls of one folder. A call may be in a folder more
// than once, as snippets: the row's id holds the snippet's bounds as Gong wrote them.
func LibraryFolderCallRows(folderID string, calls []gongapi.LibraryCall) []store.LibraryFolderCall {
	folderID = clean(folderID)
	out := make([]store.LibraryFolderCall, 0, len(calls))
	for _, c := range calls {
		callID := clean(string(c.ID))
		row := store.LibraryFolderCall{
			FolderID: folderID, CallID: callID, Title: cleanPtr(c.Title), Note: cleanPtr(c.Note),
			AddedBy: idPtr(c.AddedBy), Created: c.Created.Ptr(), URL: cleanPtr(c.URL), Raw: rawJSON(c.Raw, c),
		}
		var from, to string
		if sn := c.Snippet; sn != nil {
			row.SnippetFromSeconds, row.SnippetToSeconds = numberPtr(sn.FromSec), numberPtr(sn.ToSec)
			from, to = numberText(sn.FromSec), numberText(sn.ToSec)
		}
		row.ID = folderID + "|" + callID + "|" + from + "|" + to
		out = append(out, row)
	}
	return out
}
