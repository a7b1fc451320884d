package sync

import (
	"context"
	"fmt"
	"time"

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
	cp.Window = &callsWindow{cursorWindow: cursorWindow{From: from, To: to, StartedAt: startedAt}}
	return cp.save(ctx, e.st)
}

// readWindow reads the checkpoint's open window to its end on the page loop
// (pageloop.go), then returns nil with the window closed in the checkpoint, or the
// error that stopped it with the checkpoint at the last committed page.
//
// When the stored cursor is too old to trust, or Gong says it expired, the window
// restarts from the start of the last committed call, not from its beginning: a pause
// costs at most one page again.
func (e *Engine) readWindow(ctx context.Context, r *run, cp *windowCheckpoint, goal windowGoal) error {
	if cp.Window == nil {
		return fmt.Errorf("checkpoint %s: no open window", cp.stream)
	}
	return e.readPages(ctx, r, pagesOf(e, &callsRead{e: e, cp: cp, goal: goal}))
}

// callsRead is a window of calls as the page loop reads it (POST /v2/calls/extensive):
// the checkpoint it moves on, the goal it serves, and the request last sent.
type callsRead struct {
	e    *Engine
	cp   *windowCheckpoint
	goal windowGoal
	plan pagePlan
}

func (c *callsRead) window() *cursorWindow {
	if c.cp.Window == nil {
		return nil
	}
	return &c.cp.Window.cursorWindow
}

func (c *callsRead) fetch(ctx context.Context, gong *gongapi.Client, cursor string) (*gongapi.Page[gongapi.Call], error) {
	c.plan = planPage(c.cp.Window, cursor)
	page, err := gong.CallsExtensivePage(ctx, c.plan.req)
	if err != nil {
		return nil, fmt.Errorf("read calls %s..%s: %w", c.plan.req.Filter.FromDateTime, c.plan.req.Filter.ToDateTime, err)
	}
	return page, nil
}

// commit maps the page to rows (CallRows, normalize.go) and commits them with the
// checkpoint after them (pageDone), and the deletions of a window it completes.
func (c *callsRead) commit(ctx context.Context, r *run, page *gongapi.Page[gongapi.Call], turn pageTurn) (pageFinds, error) {
	rows := CallRows(page.Items)
	w := *c.cp.Window
	next := pageDone(*c.cp, c.plan, turn, rows, c.goal)
	q := quarantineOf(c.cp.stream, page, "")
	res, deleted, err := c.e.commitCallsPage(ctx, w, next, rows, q)
	if err != nil {
		return pageFinds{}, fmt.Errorf("commit calls page (requestId %s): %w", page.RequestID, err)
	}
	*c.cp = next
	if len(deleted) > 0 {
		r.log.Info().Int("deleted", len(deleted)).Time("window_from", w.From).Time("window_to", w.To).
			Msg("calls gone from Gong marked deleted")
	}
	return pageFinds{records: len(rows), res: res, deleted: deleted,
		late: countLate(rows, res.Inserted, c.goal.lateBefore()), metric: metricCalls, newest: latestStart(rows, nil),
		quarantined: []*pageQuarantine{q},
		swept:       store.SweptCalls, at: func(i int) (string, *time.Time) { return rows[i].ID, rows[i].Started }}, nil
}

func (c *callsRead) afterPage(ctx context.Context, r *run) error {
	return c.goal.afterPage(ctx, r, c.cp)
}

// pagePlan is the next request of a window, and the fromDateTime it was sent with.
type pagePlan struct {
	req  gongapi.CallsExtensiveRequest
	from time.Time
}

// planPage is the request that continues w with cursor (the page loop's trusted
// cursor, with the query it belongs to), or, without one, a new query from the start
// of the last committed call, or from the window's start.
func planPage(w *callsWindow, cursor string) pagePlan {
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
func pageDone(cp windowCheckpoint, plan pagePlan, turn pageTurn, rows []store.Call, goal windowGoal) windowCheckpoint {
	w := *cp.Window
	w.LastStarted = latestStart(rows, w.LastStarted)
	w.cursorWindow = w.turned(turn, plan.from)
	if !turn.last() {
		cp.Window = &w
		goal.advance(&cp, len(rows), nil)
		return cp
	}
	closed := cp.Window
	cp.Window, cp.CompletedAt = nil, &turn.at
	goal.advance(&cp, len(rows), closed)
	return cp
}

// commitCallsPage writes a page of calls, its quarantine and the checkpoint after it
// in one transaction. When next closes w, the calls of w that were not seen since w began
// are gone from Gong, and marked deleted in the same transaction.
func (e *Engine) commitCallsPage(ctx context.Context, w callsWindow, next windowCheckpoint, rows []store.Call, q *pageQuarantine) (res store.UpsertResult, deleted []string, err error) {
	err = e.st.Transact(ctx, func(tx *store.Tx) error {
		if err := q.write(ctx, tx); err != nil {
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
