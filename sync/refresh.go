package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// Users, workspaces and trackers have no change feed: each run reads all of them.
// Records missing from a complete read are marked deleted; a record that reappears is
// restored by its upsert.

// syncUsers reads GET /v2/users page by page, committing each page with its cursor, so
// an interrupted refresh resumes where it stopped. The refresh's start (database clock)
// is kept in the checkpoint: users not seen since then, once the last page is in, are
// gone from Gong.
func (e *Engine) syncUsers(ctx context.Context, rep *RunReport) error {
	cp, err := e.st.Checkpoint(ctx, StreamUsers)
	if err != nil {
		return err
	}
	st, err := readState(&cp)
	if err != nil {
		return err
	}
	if cp.WindowStartedAt == nil {
		started, err := e.st.Now(ctx)
		if err != nil {
			return err
		}
		cp.WindowStartedAt, cp.Cursor, st.CursorAt = &started, "", nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := e.runFull(ctx); err != nil {
			return err
		}
		cursor := cp.Cursor
		if cursor != "" && (st.CursorAt == nil || e.now().Sub(*st.CursorAt) > e.opt.CursorMaxAge) {
			cursor = "" // users are few: start the pages over, keeping the refresh's start
		}
		pctx, done := e.pageContext(ctx)
		page, err := e.gong.UsersPage(pctx, cursor)
		if err != nil {
			done()
			if cursor != "" && errors.Is(err, gongapi.ErrCursorExpired) {
				rep.CursorRestarts++
				cp.Cursor = ""
				continue
			}
			return fmt.Errorf("read users: %w", err)
		}
		rows := UserRows(page.Items)
		next, nextState := cp, st
		var res store.UpsertResult
		var missing []string
		err = e.st.Transact(pctx, func(tx *store.Tx) error {
			next, nextState = cp, st
			var err error
			if res, err = tx.UpsertUsers(pctx, rows); err != nil {
				return err
			}
			now := e.now()
			next.Cursor, nextState.CursorAt = page.NextCursor, &now
			if page.NextCursor == "" {
				if missing, err = tx.MarkUsersMissing(pctx, *cp.WindowStartedAt); err != nil {
					return err
				}
				next.CompletedAt, next.WindowStartedAt, nextState.CursorAt = &now, nil, nil
			}
			writeState(&next, nextState)
			return tx.SaveCheckpoint(pctx, next)
		})
		done()
		if err != nil {
			return fmt.Errorf("commit users page: %w", err)
		}
		cp, st = next, nextState
		rep.Records += len(rows)
		rep.Inserted += len(res.Inserted)
		rep.Changed += len(res.Changed)
		rep.Restored += len(res.Restored)
		rep.Deleted += len(missing)
		e.m.observeRows(StreamUsers, len(rows))
		if page.NextCursor == "" {
			return nil
		}
	}
}

// refreshAll reads a small, unpaginated list in one request (fetch returns its rows'
// count and how to upsert them) and reconciles the table with it in one transaction:
// what is not seen since the read began is gone from Gong.
func (e *Engine) refreshAll(ctx context.Context, stream string, rep *RunReport,
	fetch func(ctx context.Context) (n int, upsert func(tx *store.Tx) (store.UpsertResult, error), err error),
	markMissing func(tx *store.Tx, notSeenSince time.Time) ([]string, error),
) error {
	started, err := e.st.Now(ctx)
	if err != nil {
		return err
	}
	cp, err := e.st.Checkpoint(ctx, stream)
	if err != nil {
		return err
	}
	pctx, done := e.pageContext(ctx)
	defer done()
	n, upsert, err := fetch(pctx)
	if err != nil {
		return err
	}
	var res store.UpsertResult
	var missing []string
	err = e.st.Transact(pctx, func(tx *store.Tx) error {
		var err error
		if res, err = upsert(tx); err != nil {
			return err
		}
		if missing, err = markMissing(tx, started); err != nil {
			return err
		}
		now := e.now()
		cp.CompletedAt = &now
		return tx.SaveCheckpoint(pctx, cp)
	})
	if err != nil {
		return fmt.Errorf("commit %s: %w", stream, err)
	}
	rep.Records += n
	rep.Inserted += len(res.Inserted)
	rep.Changed += len(res.Changed)
	rep.Restored += len(res.Restored)
	rep.Deleted += len(missing)
	e.m.observeRows(stream, n)
	return nil
}

func (e *Engine) syncWorkspaces(ctx context.Context, rep *RunReport) error {
	return e.refreshAll(ctx, StreamWorkspaces, rep,
		func(ctx context.Context) (int, func(tx *store.Tx) (store.UpsertResult, error), error) {
			ws, err := e.gong.Workspaces(ctx)
			if err != nil {
				return 0, nil, fmt.Errorf("read workspaces: %w", err)
			}
			rows := WorkspaceRows(ws)
			return len(rows), func(tx *store.Tx) (store.UpsertResult, error) { return tx.UpsertWorkspaces(ctx, rows) }, nil
		},
		func(tx *store.Tx, since time.Time) ([]string, error) { return tx.MarkWorkspacesMissing(ctx, since) })
}

func (e *Engine) syncTrackers(ctx context.Context, rep *RunReport) error {
	return e.refreshAll(ctx, StreamTrackers, rep,
		func(ctx context.Context) (int, func(tx *store.Tx) (store.UpsertResult, error), error) {
			ts, err := e.gong.Trackers(ctx, "")
			if err != nil {
				return 0, nil, fmt.Errorf("read trackers: %w", err)
			}
			rows := TrackerRows(ts)
			return len(rows), func(tx *store.Tx) (store.UpsertResult, error) { return tx.UpsertTrackers(ctx, rows) }, nil
		},
		func(tx *store.Tx, since time.Time) ([]string, error) { return tx.MarkTrackersMissing(ctx, since) })
}
