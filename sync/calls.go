package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// streamState is the stream-specific part of a checkpoint (sync_state.state).
type streamState struct {
	// CursorAt is when the checkpoint's cursor was saved, on the engine's clock. A cursor
	// older than CursorMaxAge is not tried: Gong would answer "cursor has expired",
	// costing a request for nothing.
	CursorAt *time.Time `json:"cursor_at,omitempty"`
	// CursorFrom is the fromDateTime of the query the cursor belongs to: after a restart
	// from the last committed call it is not the window's start, and Gong refuses a
	// cursor sent with other parameters than its query's.
	CursorFrom *time.Time `json:"cursor_from,omitempty"`

	// Backfill: the range asked for, where the next window starts, and totals so far.
	From     *time.Time `json:"from,omitempty"`
	To       *time.Time `json:"to,omitempty"`
	Next     *time.Time `json:"next,omitempty"`
	Done     bool       `json:"done,omitempty"`
	Calls    int64      `json:"calls,omitempty"`
	Requests int64      `json:"requests,omitempty"`

	// Refused is Gong's last refusal of the stream's endpoint for want of a scope,
	// until a run of the stream succeeds.
	Refused *Refusal `json:"refused,omitempty"`
}

func readState(cp *store.Checkpoint) (streamState, error) {
	var s streamState
	if len(cp.State) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(cp.State, &s); err != nil {
		return s, fmt.Errorf("checkpoint %s: bad state: %w", cp.Stream, err)
	}
	return s, nil
}

func writeState(cp *store.Checkpoint, s streamState) {
	b, _ := json.Marshal(s) // plain struct: cannot fail
	cp.State = b
}

// window describes how to read one checkpointed window of calls.
type window struct {
	// lateBefore: calls new to the table that started before this are counted as late
	// (the calls stream's high-water mark when the run began). Zero counts none.
	lateBefore time.Time
	// beforeSave adjusts the checkpoint a page commits, inside the page's transaction;
	// complete says the page closes the window (the calls stream moves its high-water
	// mark then, a backfill its next window).
	beforeSave func(next *store.Checkpoint, st *streamState, calls int, complete bool)
	// onPage is told about every committed page (progress reporting, a backfill's
	// transcript batches); an error it returns stops the window there, after the page.
	onPage func(cp *store.Checkpoint, st *streamState) error
}

// openWindow starts reading [from, to) on the checkpoint and commits that, so that a
// crash before the first page still resumes the same window.
func (e *Engine) openWindow(ctx context.Context, cp *store.Checkpoint, from, to time.Time) error {
	startedAt, err := e.st.Now(ctx)
	if err != nil {
		return err
	}
	cp.WindowFrom, cp.WindowTo = &from, &to
	cp.WindowStartedAt = &startedAt
	cp.Cursor, cp.LastStarted = "", nil
	st, err := readState(cp)
	if err != nil {
		return err
	}
	st.CursorAt, st.CursorFrom = nil, nil
	writeState(cp, st)
	return e.st.Transact(ctx, func(tx *store.Tx) error { return tx.SaveCheckpoint(ctx, *cp) })
}

// readWindow reads the checkpoint's open window to its end, one page at a time, each
// page committed together with the checkpoint that follows it. It returns nil once the
// window is complete (and closed in the checkpoint), or the error that stopped it with
// the checkpoint at the last committed page.
//
// Gong returns calls oldest first and its cursors expire. When the stored cursor is
// too old, or Gong says it expired, the window restarts from the start time of the last
// committed call instead of from its beginning: a pause costs at most one page again.
// Calls seen twice that way are simply unchanged on the second upsert.
func (e *Engine) readWindow(ctx context.Context, cp *store.Checkpoint, w window, rep *RunReport) error {
	if cp.WindowFrom == nil || cp.WindowTo == nil || cp.WindowStartedAt == nil {
		return fmt.Errorf("checkpoint %s: no open window", cp.Stream)
	}
	st, err := readState(cp)
	if err != nil {
		return err
	}
	log := e.log.With().Str("stream", cp.Stream).Time("window_from", *cp.WindowFrom).Time("window_to", *cp.WindowTo).Logger()
	selector := gongapi.FullContentSelector()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := e.runFull(ctx); err != nil {
			return err
		}
		cursor := cp.Cursor
		if cursor != "" && (st.CursorAt == nil || e.now().Sub(*st.CursorAt) > e.opt.CursorMaxAge) {
			log.Info().Msg("stored cursor is too old to trust; restarting the window from the last committed call")
			cursor = ""
		}
		from := *cp.WindowFrom
		switch {
		case cursor != "" && st.CursorFrom != nil:
			from = *st.CursorFrom
		case cursor == "" && cp.LastStarted != nil && cp.LastStarted.After(from):
			from = *cp.LastStarted
		}
		req := gongapi.CallsExtensiveRequest{
			Cursor: cursor,
			Filter: gongapi.CallsFilter{
				FromDateTime: gongapi.FormatFilterTime(from),
				ToDateTime:   gongapi.FormatFilterTime(*cp.WindowTo),
			},
			ContentSelector: selector,
		}

		pctx, done := e.pageContext(ctx)
		page, err := e.gong.CallsExtensivePage(pctx, req)
		if err != nil {
			done()
			if cursor != "" && errors.Is(err, gongapi.ErrCursorExpired) {
				log.Info().Msg("Gong's cursor expired; restarting the window from the last committed call")
				rep.CursorRestarts++
				cp.Cursor = ""
				continue
			}
			return fmt.Errorf("read calls %s..%s: %w", req.Filter.FromDateTime, req.Filter.ToDateTime, err)
		}
		rows := CallRows(page.Items)

		next := *cp
		nextState := st
		var res store.UpsertResult
		var deleted []string
		err = e.st.Transact(pctx, func(tx *store.Tx) error {
			next, nextState = *cp, st // Transact may retry: start from the committed state each time
			var err error
			if res, err = tx.UpsertCalls(pctx, rows); err != nil {
				return err
			}
			next.LastStarted = latestStart(rows, cp.LastStarted)
			next.Cursor = page.NextCursor
			now := e.now()
			nextState.CursorAt, nextState.CursorFrom = &now, &from
			if page.NextCursor == "" {
				// The window was read completely: what we hold in it and did not see since
				// the window began is gone from Gong.
				if deleted, err = tx.MarkCallsDeleted(pctx, *cp.WindowFrom, *cp.WindowTo, "", *cp.WindowStartedAt); err != nil {
					return err
				}
				nextState.CursorAt, nextState.CursorFrom = nil, nil
				next.CompletedAt = &now
			}
			if w.beforeSave != nil {
				w.beforeSave(&next, &nextState, len(rows), page.NextCursor == "")
			}
			if page.NextCursor == "" {
				next.WindowFrom, next.WindowTo, next.WindowStartedAt, next.LastStarted = nil, nil, nil, nil
			}
			writeState(&next, nextState)
			return tx.SaveCheckpoint(pctx, next)
		})
		done()
		if err != nil {
			return fmt.Errorf("commit calls page (requestId %s): %w", page.RequestID, err)
		}
		*cp, st = next, nextState

		rep.Records += len(rows)
		rep.Inserted += len(res.Inserted)
		rep.Changed += len(res.Changed)
		rep.Restored += len(res.Restored)
		rep.Remapped += res.Remapped
		rep.Deleted += len(deleted)
		rep.Late += countLate(rows, res.Inserted, w.lateBefore)
		e.m.observeCalls(cp.Stream, len(rows), res, len(deleted), latestStart(rows, nil))
		if len(deleted) > 0 {
			log.Info().Int("deleted", len(deleted)).Msg("calls gone from Gong marked deleted")
		}
		if w.onPage != nil {
			if err := w.onPage(cp, &st); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			return nil
		}
	}
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

// syncCalls is one incremental run of the calls stream: it finishes a window left open
// by an interrupted run, then reads [high-water mark − overlap, now).
func (e *Engine) syncCalls(ctx context.Context, rep *RunReport) error {
	cp, err := e.st.Checkpoint(ctx, StreamCalls)
	if err != nil {
		return err
	}
	// Two windows at most: the one an earlier run left open, then one up to now.
	for range 2 {
		if cp.WindowFrom == nil {
			from, err := e.incrementalStart(ctx, &cp)
			if err != nil {
				return err
			}
			to := e.now()
			if !from.Before(to) {
				return nil
			}
			if err := e.openWindow(ctx, &cp, from, to); err != nil {
				return err
			}
		}
		var lateBefore time.Time
		if cp.HighWaterMark != nil {
			lateBefore = *cp.HighWaterMark
		}
		windowTo := *cp.WindowTo
		err := e.readWindow(ctx, &cp, window{
			lateBefore: lateBefore,
			beforeSave: func(next *store.Checkpoint, _ *streamState, _ int, complete bool) {
				if complete && (next.HighWaterMark == nil || next.WindowTo.After(*next.HighWaterMark)) {
					to := *next.WindowTo
					next.HighWaterMark = &to
				}
			},
		}, rep)
		if err != nil {
			return err
		}
		// A window opened long ago (a run paused by the budget) ends far behind now:
		// read up to now as well. A fresh window ends at now, and one pass is enough.
		if e.now().Sub(windowTo) < time.Minute {
			return nil
		}
	}
	return nil
}

// incrementalStart is where a new calls window begins: the high-water mark minus the
// overlap. Before the first complete window there is no mark. After a completed
// backfill, start where it ended (minus the overlap, as if it had been a calls run);
// otherwise one settle window back: older history is `gongsync backfill`'s job.
func (e *Engine) incrementalStart(ctx context.Context, cp *store.Checkpoint) (time.Time, error) {
	if cp.HighWaterMark != nil {
		return cp.HighWaterMark.Add(-e.opt.Overlap), nil
	}
	start := e.now().Add(-e.opt.SettleWindow)
	bf, err := e.st.Checkpoint(ctx, StreamBackfill)
	if err != nil {
		return time.Time{}, err
	}
	if s, err := readState(&bf); err == nil && s.Done && s.To != nil {
		switch {
		case s.To.Before(start):
			start = *s.To // no gap between the backfill and the first window
		case s.To.Before(e.now()):
			start = s.To.Add(-e.opt.Overlap)
		}
	}
	return start, nil
}

// settle re-reads the last SettleWindow completely: calls Gong processed late are
// inserted, changed ones updated, vanished ones marked deleted, reappearing ones restored.
func (e *Engine) settle(ctx context.Context, rep *RunReport) error {
	cp, err := e.st.Checkpoint(ctx, StreamSettle)
	if err != nil {
		return err
	}
	calls, err := e.st.Checkpoint(ctx, StreamCalls)
	if err != nil {
		return err
	}
	var lateBefore time.Time
	if calls.HighWaterMark != nil {
		lateBefore = *calls.HighWaterMark
	}
	if cp.WindowFrom == nil {
		now := e.now()
		if err := e.openWindow(ctx, &cp, now.Add(-e.opt.SettleWindow), now); err != nil {
			return err
		}
	}
	return e.readWindow(ctx, &cp, window{lateBefore: lateBefore}, rep)
}
