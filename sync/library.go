package sync

import (
	"context"
	"errors"
	"fmt"
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
// marked deleted. The refresh is a fan-out (fanout.go): the workspaces are its parents
// and the folders its children.
func (e *Engine) syncLibrary(ctx context.Context, r *run) error {
	cp, err := e.loadFanout(ctx, StreamLibrary)
	if err != nil {
		return err
	}
	if cp.StartedAt == nil {
		ws, err := e.st.LiveWorkspaceIDs(ctx)
		if err != nil {
			return err
		}
		if len(ws) == 0 {
			ws = []string{""} // the company's default workspace
		}
		if cp, err = e.startFanout(ctx, cp, ws); err != nil {
			return err
		}
	}
	err = e.readPages(ctx, r, &libraryRead{e: e, cp: &cp})
	if errors.Is(err, gongapi.ErrNotAvailable) {
		// The next refresh, a day from now, starts over.
		if serr := (fanoutCheckpoint{stream: StreamLibrary, CompletedAt: cp.CompletedAt}).save(ctx, e.st); serr != nil {
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
	cp *fanoutCheckpoint
}

func (l *libraryRead) more() bool { return l.cp.StartedAt != nil }

func (l *libraryRead) page(ctx context.Context, r *run) (pageFinds, bool, error) {
	var found pageFinds
	var err error
	switch {
	case len(l.cp.Children) > 0:
		found, err = l.e.readFolderCalls(ctx, r, l.cp)
	case len(l.cp.Parents) > 0:
		found, err = l.e.readFolders(ctx, r, l.cp)
	default:
		found, err = l.e.finishLibrary(ctx, l.cp)
	}
	return found, err == nil, err
}

// readFolders lists the next workspace's folders ("" lists the company's default
// workspace) and commits them with the checkpoint that has their calls to read next.
func (e *Engine) readFolders(ctx context.Context, r *run, cp *fanoutCheckpoint) (pageFinds, error) {
	ws := cp.Parents[0]
	folders, err := r.gong.LibraryFolders(ctx, ws)
	if err != nil {
		return pageFinds{}, fmt.Errorf("read library folders of workspace %q: %w", ws, err)
	}
	rows := LibraryFolderRows(folders, ws)
	next := listedAfter(*cp, rows, func(f store.LibraryFolder) string { return f.ID })
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
func (e *Engine) readFolderCalls(ctx context.Context, r *run, cp *fanoutCheckpoint) (pageFinds, error) {
	folder := cp.Children[0]
	calls, err := r.gong.LibraryFolderCalls(ctx, folder)
	if errors.Is(err, gongapi.ErrNotFound) {
		r.log.Info().Str("folder", folder).Msg("library folder gone since it was listed")
	}
	return commitChild(ctx, e, cp, fanoutChild[store.LibraryFolderCall]{
		what:   "the calls of library folder " + folder,
		err:    err,
		rows:   LibraryFolderCallRows(folder, calls),
		upsert: (*store.Tx).UpsertLibraryFolderCalls,
		markMissing: func(ctx context.Context, tx *store.Tx, notSeenSince time.Time) ([]string, error) {
			return tx.MarkLibraryFolderCallsMissing(ctx, folder, notSeenSince)
		},
	})
}

// finishLibrary closes the refresh: the folders not listed since it began are gone
// from Gong.
func (e *Engine) finishLibrary(ctx context.Context, cp *fanoutCheckpoint) (pageFinds, error) {
	now := e.now()
	next := fanoutCheckpoint{stream: StreamLibrary, CompletedAt: &now}
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
