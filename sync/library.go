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

// syncLibrary reads the library: for each workspace (the live ones synced, or the
// company's default when none is), its folders, then each folder's calls. Each step
// is one request and one transaction.
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
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := e.runFull(r); err != nil {
			return err
		}
		switch {
		case len(cp.Folders) > 0:
			err = e.readFolderCalls(ctx, r, &cp)
		case len(cp.Workspaces) > 0:
			err = e.readFolders(ctx, r, &cp)
		default:
			return e.finishLibrary(ctx, r, cp)
		}
		if errors.Is(err, gongapi.ErrNotAvailable) {
			// The next refresh, a day from now, starts over.
			if serr := (libraryCheckpoint{stream: StreamLibrary, CompletedAt: cp.CompletedAt}).save(ctx, e.st); serr != nil {
				return errors.Join(err, serr)
			}
		}
		if err != nil {
			return err
		}
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
func (e *Engine) readFolders(ctx context.Context, r *run, cp *libraryCheckpoint) error {
	ws := cp.Workspaces[0]
	pctx, done := e.pageContext(ctx)
	defer done()
	folders, err := r.gong.LibraryFolders(pctx, ws)
	if err != nil {
		return fmt.Errorf("read library folders of workspace %q: %w", ws, err)
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
	err = e.st.Transact(pctx, func(tx *store.Tx) error {
		var err error
		if res, err = tx.UpsertLibraryFolders(pctx, rows); err != nil {
			return err
		}
		return tx.SaveCheckpoint(pctx, next.row())
	})
	if err != nil {
		return fmt.Errorf("commit library folders of workspace %q: %w", ws, err)
	}
	*cp = next
	e.countRefresh(r, StreamLibrary, len(rows), res, nil)
	return nil
}

// readFolderCalls reads the next folder's calls and commits them, with the folder's
// calls not seen since the refresh began marked deleted, and the checkpoint after. A
// folder deleted since it was listed (a 404) has nothing to read: the next refresh
// will not list it, and marks it deleted then.
func (e *Engine) readFolderCalls(ctx context.Context, r *run, cp *libraryCheckpoint) error {
	folder := cp.Folders[0]
	pctx, done := e.pageContext(ctx)
	defer done()
	calls, err := r.gong.LibraryFolderCalls(pctx, folder)
	gone := errors.Is(err, gongapi.ErrNotFound)
	if err != nil && !gone {
		return fmt.Errorf("read the calls of library folder %s: %w", folder, err)
	}
	if gone {
		r.log.Info().Str("folder", folder).Msg("library folder gone since it was listed")
	}
	rows := LibraryFolderCallRows(folder, calls)
	next := *cp
	next.Folders = cp.Folders[1:]
	var res store.UpsertResult
	var missing []string
	err = e.st.Transact(pctx, func(tx *store.Tx) error {
		var err error
		if res, err = tx.UpsertLibraryFolderCalls(pctx, rows); err != nil {
			return err
		}
		missing = nil
		if !gone {
			if missing, err = tx.MarkLibraryFolderCallsMissing(pctx, folder, *cp.StartedAt); err != nil {
				return err
			}
		}
		return tx.SaveCheckpoint(pctx, next.row())
	})
	if err != nil {
		return fmt.Errorf("commit the calls of library folder %s: %w", folder, err)
	}
	*cp = next
	e.countRefresh(r, StreamLibrary, len(rows), res, missing)
	return nil
}

// finishLibrary closes the refresh: the folders not listed since it began are gone
// from Gong.
func (e *Engine) finishLibrary(ctx context.Context, r *run, cp libraryCheckpoint) error {
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
		return fmt.Errorf("commit library: %w", err)
	}
	e.countRefresh(r, StreamLibrary, 0, store.UpsertResult{}, missing)
	return nil
}

// save commits the checkpoint on its own (outside a request's transaction).
func (cp libraryCheckpoint) save(ctx context.Context, st *store.Store) error {
	return st.Transact(ctx, func(tx *store.Tx) error { return tx.SaveCheckpoint(ctx, cp.row()) })
}

// syncCallOutcomes reads every call outcome definition in one request (GET
// /v2/call-outcomes).
func (e *Engine) syncCallOutcomes(ctx context.Context, r *run) error {
	started, err := e.st.Now(ctx)
	if err != nil {
		return err
	}
	pctx, done := e.pageContext(ctx)
	defer done()
	outcomes, err := r.gong.CallOutcomes(pctx)
	if err != nil {
		return fmt.Errorf("read call outcomes: %w", err)
	}
	return commitRefresh(pctx, e, r, StreamCallOutcomes, started, CallOutcomeRows(outcomes),
		(*store.Tx).UpsertCallOutcomes, (*store.Tx).MarkCallOutcomesMissing)
}
