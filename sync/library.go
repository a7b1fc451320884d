package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"

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

func (l *libraryRead) page(ctx context.Context, r *run) (pageFinds, error) {
	switch {
	case len(l.cp.Folders) > 0:
		return l.e.readFolderCalls(ctx, r, l.cp)
	case len(l.cp.Workspaces) > 0:
		return l.e.readFolders(ctx, r, l.cp)
	default:
		return l.e.finishLibrary(ctx, l.cp)
	}
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

// callOutcomesSet is the call outcome definitions: a whole set, in one request (GET
// /v2/call-outcomes).
var callOutcomesSet = &wholeSet[gongapi.CallOutcome, store.CallOutcome]{what: "call outcomes",
	fetch: (*gongapi.Client).CallOutcomes, rows: CallOutcomeRows,
	upsert: (*store.Tx).UpsertCallOutcomes, markMissing: (*store.Tx).MarkCallOutcomesMissing}

// syncCallOutcomes reads every call outcome definition in one request.
func (e *Engine) syncCallOutcomes(ctx context.Context, r *run) error {
	return syncWhole(e, ctx, r, callOutcomesSet)
}
