package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// Calls are read over windows of start time, [from, to), a page of 100 at a time,
// oldest first. The calls stream, the settle pass and the backfill all read them the
// same way (readWindow); what each does beyond storing the calls is its windowGoal.

// windowGoal is what a stream does with the windows of calls it reads, beyond storing
// the calls: the calls stream moves its high-water mark; the backfill counts its calls,
// goes on to the rest of its range and fetches transcripts as it goes; the settle pass
// does nothing more.
type windowGoal interface {
	// lateBefore is the time before which a call new to the table counts as late (it
	// started before an earlier run had passed it); zero counts none.
	lateBefore() time.Time
	// advance adds what the stream keeps to the checkpoint a committed page leaves.
	// closed is the window the page completed, or nil when the window goes on.
	advance(next *windowCheckpoint, calls int, closed *callsWindow)
	// afterPage runs once a page is committed; an error stops the window there.
	afterPage(ctx context.Context, r *run, cp *windowCheckpoint) error
}

// openWindow starts reading [from, to) and commits that, so that a crash before the
// first page still resumes the same window.
func (e *Engine) openWindow(ctx context.Context, cp *windowCheckpoint, from, to time.Time) error {
	startedAt, err := e.st.Now(ctx)
	if err != nil {
		return err
	}
	cp.Window = &callsWindow{From: from, To: to, StartedAt: startedAt}
	return cp.save(ctx, e.st)
}

// readWindow reads the checkpoint's open window to its end, a page at a time, in four
// steps a page:
//
//  1. planPage: the request that continues the window from the checkpoint;
//  2. the request to Gong (POST /v2/calls/extensive), on the run's account;
//  3. CallRows: Gong's calls as rows (normalize.go);
//  4. commitCallsPage: the rows, the deletions of a completed window and the checkpoint
//     after them, in one transaction;
//
// then the goal's afterPage. It returns nil once the window is complete (and closed in
// the checkpoint), or the error that stopped it with the checkpoint at the last
// committed page.
//
// Gong's cursors expire. When the stored cursor is too old to trust, or Gong says it
// expired, the window restarts from the start of the last committed call, not from
// its beginning: a pause costs at most one page again, and calls read twice that way
// are simply unchanged on the second upsert.
func (e *Engine) readWindow(ctx context.Context, r *run, cp *windowCheckpoint, goal windowGoal) error {
	if cp.Window == nil {
		return fmt.Errorf("checkpoint %s: no open window", cp.stream)
	}
	log := r.log.With().Time("window_from", cp.Window.From).Time("window_to", cp.Window.To).Logger()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := e.runFull(r); err != nil {
			return err
		}
		plan := e.planPage(cp.Window, log)
		pctx, done := e.pageContext(ctx)
		page, err := r.gong.CallsExtensivePage(pctx, plan.req)
		if err != nil {
			done()
			if plan.req.Cursor != "" && errors.Is(err, gongapi.ErrCursorExpired) {
				log.Info().Msg("Gong's cursor expired; restarting the window from the last committed call")
				r.CursorRestarts++
				cp.Window.Cursor = ""
				continue
			}
			return fmt.Errorf("read calls %s..%s: %w", plan.req.Filter.FromDateTime, plan.req.Filter.ToDateTime, err)
		}
		rows := CallRows(page.Items)
		next := e.pageDone(*cp, plan, page.NextCursor, rows, goal)
		q := quarantineOf(cp.stream, page, "")
		res, deleted, err := e.commitCallsPage(pctx, *cp.Window, next, rows, q)
		done()
		if err != nil {
			return fmt.Errorf("commit calls page (requestId %s): %w", page.RequestID, err)
		}
		*cp = next
		e.countQuarantine(r, q)
		e.countCalls(r, cp.stream, rows, res, deleted, goal.lateBefore())
		e.noteFinds(ctx, r, store.SweptCalls, res, deleted,
			len(rows), func(i int) (string, *time.Time) { return rows[i].ID, rows[i].Started })
		if len(deleted) > 0 {
			log.Info().Int("deleted", len(deleted)).Msg("calls gone from Gong marked deleted")
		}
		if err := goal.afterPage(ctx, r, cp); err != nil {
			return err
		}
		if cp.Window == nil {
			return nil
		}
	}
}

// pagePlan is the next request of a window, and the fromDateTime it was sent with.
type pagePlan struct {
	req  gongapi.CallsExtensiveRequest
	from time.Time
}

// planPage is the request that continues w: its cursor when it has one young enough
// to trust (with the query the cursor belongs to), otherwise a new query from the
// start of the last committed call, or from the window's start.
func (e *Engine) planPage(w *callsWindow, log zerolog.Logger) pagePlan {
	cursor := w.Cursor
	if cursor != "" && (w.CursorAt == nil || e.now().Sub(*w.CursorAt) > e.opt.CursorMaxAge) {
		log.Info().Msg("stored cursor is too old to trust; restarting the window from the last committed call")
		cursor = ""
	}
	from := w.From
	switch {
	case cursor != "" && w.CursorFrom != nil:
		from = *w.CursorFrom
	case cursor == "" && w.LastStarted != nil && w.LastStarted.After(from):
		from = *w.LastStarted
	}
	return pagePlan{from: from, req: gongapi.CallsExtensiveRequest{
		Cursor: cursor,
		Filter: gongapi.CallsFilter{
			FromDateTime: gongapi.FormatFilterTime(from),
			ToDateTime:   gongapi.FormatFilterTime(w.To),
		},
		ContentSelector: gongapi.FullContentSelector(),
	}}
}

// pageDone is the checkpoint a committed page leaves: the window goes on from the
// page's cursor, or, on its last page (no cursor), is closed.
func (e *Engine) pageDone(cp windowCheckpoint, plan pagePlan, nextCursor string, rows []store.Call, goal windowGoal) windowCheckpoint {
	now := e.now()
	w := *cp.Window
	w.LastStarted = latestStart(rows, w.LastStarted)
	w.Cursor, w.CursorAt, w.CursorFrom = nextCursor, &now, &plan.from
	if nextCursor != "" {
		cp.Window = &w
		goal.advance(&cp, len(rows), nil)
		return cp
	}
	closed := cp.Window
	cp.Window, cp.CompletedAt = nil, &now
	goal.advance(&cp, len(rows), closed)
	return cp
}

// commitCallsPage writes a page of calls and the checkpoint after it in one
// transaction. When next closes w, the calls of w that were not seen since w began
// are gone from Gong, and marked deleted in the same transaction.
func (e *Engine) commitCallsPage(ctx context.Context, w callsWindow, next windowCheckpoint, rows []store.Call, q *pageQuarantine) (res store.UpsertResult, deleted []string, err error) {
	err = e.st.Transact(ctx, func(tx *store.Tx) error {
		if err := q.write(ctx, tx); err != nil { // the page's rejected records (quarantine.go)
			return err
		}
		kept, err := e.withoutErased(ctx, tx, rows) // calls an erasure keeps out are not written (privacy.go)
		if err != nil {
			return err
		}
		if res, err = tx.UpsertCalls(ctx, kept); err != nil {
			return err
		}
		deleted = nil
		if next.Window == nil {
			if deleted, err = tx.MarkCallsDeleted(ctx, w.From, w.To, "", w.StartedAt); err != nil {
				return err
			}
		}
		return tx.SaveCheckpoint(ctx, next.row())
	})
	return res, deleted, err
}

// countCalls adds a committed page to the run's report and the metrics.
func (e *Engine) countCalls(r *run, stream string, rows []store.Call, res store.UpsertResult, deleted []string, lateBefore time.Time) {
	r.Records += len(rows)
	r.Inserted += len(res.Inserted)
	r.Changed += len(res.Changed)
	r.Restored += len(res.Restored)
	r.Remapped += res.Remapped
	r.Deleted += len(deleted)
	r.Late += countLate(rows, res.Inserted, lateBefore)
	e.m.observeCalls(stream, len(rows), res, len(deleted), latestStart(rows, nil))
}

func latestStart(rows []store.Call, prev *time.Time) *time.Time {
	latest := prev
	for i := range rows {
		if s := rows[i].Started; s != nil && (latest == nil || s.After(*latest)) {
			latest = s
		}
	}
	return latest
}

func countLate(rows []store.Call, inserted []string, before time.Time) int {
	if before.IsZero() || len(inserted) == 0 {
		return 0
	}
	isNew := make(map[string]bool, len(inserted))
	for _, id := range inserted {
		isNew[id] = true
	}
	n := 0
	for i := range rows {
		if isNew[rows[i].ID] && rows[i].Started != nil && rows[i].Started.Before(before) {
			n++
			delete(isNew, rows[i].ID) // a duplicate in the page counts once
		}
	}
	return n
}
