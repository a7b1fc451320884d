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
func (e *Engine) syncUsers(ctx context.Context, r *run) error {
	cp, err := e.loadRefresh(ctx, StreamUsers)
	if err != nil {
		return err
	}
	if cp.StartedAt == nil {
		started, err := e.st.Now(ctx)
		if err != nil {
			return err
		}
		cp.StartedAt, cp.Cursor, cp.CursorAt = &started, "", nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := e.runFull(r); err != nil {
			return err
		}
		// Plan: the stored cursor while it is young enough to trust; users are few, so an
		// old one starts the pages over, keeping the refresh's start.
		cursor := cp.Cursor
		if cursor != "" && (cp.CursorAt == nil || e.now().Sub(*cp.CursorAt) > e.opt.CursorMaxAge) {
			cursor = ""
		}
		pctx, done := e.pageContext(ctx)
		page, err := r.gong.UsersPage(pctx, cursor)
		if err != nil {
			done()
			if cursor != "" && errors.Is(err, gongapi.ErrCursorExpired) {
				r.CursorRestarts++
				cp.Cursor = ""
				continue
			}
			return fmt.Errorf("read users: %w", err)
		}
		rows := UserRows(page.Items)
		next := e.usersPageDone(cp, page.NextCursor)
		var res store.UpsertResult
		var missing []string
		q := quarantineOf(StreamUsers, page, "")
		err = e.st.Transact(pctx, func(tx *store.Tx) error {
			if err := q.write(pctx, tx); err != nil { // the page's rejected records (quarantine.go)
				return err
			}
			var err error
			if res, err = tx.UpsertUsers(pctx, rows); err != nil {
				return err
			}
			missing = nil
			if next.StartedAt == nil {
				if missing, err = tx.MarkUsersMissing(pctx, *cp.StartedAt); err != nil {
					return err
				}
			}
			return tx.SaveCheckpoint(pctx, next.row())
		})
		done()
		if err != nil {
			return fmt.Errorf("commit users page: %w", err)
		}
		cp = next
		e.countQuarantine(r, q)
		e.countRefresh(r, StreamUsers, len(rows), res, missing)
		if cp.StartedAt == nil {
			return nil
		}
	}
}

// usersPageDone is the checkpoint a committed page of users leaves: the refresh goes
// on from the page's cursor, or, on its last page, is complete.
func (e *Engine) usersPageDone(cp refreshCheckpoint, nextCursor string) refreshCheckpoint {
	now := e.now()
	cp.Cursor, cp.CursorAt = nextCursor, &now
	if nextCursor == "" {
		cp.StartedAt, cp.CursorAt, cp.CompletedAt = nil, nil, &now
	}
	return cp
}

// syncWorkspaces reads every workspace in one request (GET /v2/workspaces).
func (e *Engine) syncWorkspaces(ctx context.Context, r *run) error {
	started, err := e.st.Now(ctx)
	if err != nil {
		return err
	}
	pctx, done := e.pageContext(ctx)
	defer done()
	ws, err := r.gong.Workspaces(pctx)
	if err != nil {
		return fmt.Errorf("read workspaces: %w", err)
	}
	return commitRefresh(pctx, e, r, StreamWorkspaces, started, WorkspaceRows(ws),
		(*store.Tx).UpsertWorkspaces, (*store.Tx).MarkWorkspacesMissing)
}

// syncTrackers reads every tracker definition in one request (GET /v2/settings/trackers).
func (e *Engine) syncTrackers(ctx context.Context, r *run) error {
	started, err := e.st.Now(ctx)
	if err != nil {
		return err
	}
	pctx, done := e.pageContext(ctx)
	defer done()
	ts, err := r.gong.Trackers(pctx, "")
	if err != nil {
		return fmt.Errorf("read trackers: %w", err)
	}
	return commitRefresh(pctx, e, r, StreamTrackers, started, TrackerRows(ts),
		(*store.Tx).UpsertTrackers, (*store.Tx).MarkTrackersMissing)
}

// commitRefresh writes a complete read of a small set in one transaction: the rows,
// the records not seen since the read began (started, on the database's clock) marked
// deleted, and the stream's checkpoint saying the refresh completed.
func commitRefresh[T any](ctx context.Context, e *Engine, r *run, stream string, started time.Time, rows []T,
	upsert func(*store.Tx, context.Context, []T) (store.UpsertResult, error),
	markMissing func(*store.Tx, context.Context, time.Time) ([]string, error),
) error {
	now := e.now()
	done := refreshCheckpoint{stream: stream, CompletedAt: &now}
	var res store.UpsertResult
	var missing []string
	err := e.st.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if res, err = upsert(tx, ctx, rows); err != nil {
			return err
		}
		if missing, err = markMissing(tx, ctx, started); err != nil {
			return err
		}
		return tx.SaveCheckpoint(ctx, done.row())
	})
	if err != nil {
		return fmt.Errorf("commit %s: %w", stream, err)
	}
	e.countRefresh(r, stream, len(rows), res, missing)
	return nil
}

// countRefresh adds a committed part of a refresh (or of a dated stream's read) to
// the run's report and the metrics.
func (e *Engine) countRefresh(r *run, stream string, n int, res store.UpsertResult, missing []string) {
	r.Records += n
	r.Inserted += len(res.Inserted)
	r.Changed += len(res.Changed)
	r.Restored += len(res.Restored)
	r.Deleted += len(missing)
	e.m.observeRows(stream, n)
	e.m.observeFound(stream, res, len(missing))
}
