package sync

import (
	"context"
	"time"
)

// syncCalls is one incremental run of the calls stream: it finishes a window left open
// by an interrupted run, then reads [high-water mark − overlap, now).
func (e *Engine) syncCalls(ctx context.Context, r *run) error {
	cp, err := e.loadWindow(ctx, StreamCalls)
	if err != nil {
		return err
	}
	// Two windows at most: the one an earlier run left open, then one up to now.
	for range 2 {
		if cp.Window == nil {
			from, err := e.incrementalStart(ctx, cp)
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
		windowTo := cp.Window.To
		if err := e.readWindow(ctx, r, &cp, &callsGoal{markAtStart: cp.HighWaterMark}); err != nil {
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

// callsGoal is the calls stream's windowGoal: a completed window moves the high-water
// mark to its end, and calls new to the table that started before the mark the run
// began with are late.
type callsGoal struct{ markAtStart *time.Time }

func (g *callsGoal) lateBefore() time.Time {
	if g.markAtStart == nil {
		return time.Time{}
	}
	return *g.markAtStart
}

func (g *callsGoal) advance(next *windowCheckpoint, _ int, closed *callsWindow) {
	if closed != nil && (next.HighWaterMark == nil || closed.To.After(*next.HighWaterMark)) {
		to := closed.To
		next.HighWaterMark = &to
	}
}

func (g *callsGoal) afterPage(context.Context, *run, *windowCheckpoint) error { return nil }

// incrementalStart is where a new calls window begins: the high-water mark minus the
// overlap. Before the first complete window there is no mark. After a completed
// backfill, start where it ended (minus the overlap, as if it had been a calls run);
// otherwise one settle window back: older history is `gongsync backfill`'s job.
func (e *Engine) incrementalStart(ctx context.Context, cp windowCheckpoint) (time.Time, error) {
	if cp.HighWaterMark != nil {
		return cp.HighWaterMark.Add(-e.opt.Overlap), nil
	}
	start := e.now().Add(-e.opt.SettleWindow)
	bf, err := e.loadWindow(ctx, StreamBackfill)
	if err != nil {
		return time.Time{}, err
	}
	if r := bf.Range; r != nil && r.Done {
		switch {
		case r.To.Before(start):
			start = r.To // no gap between the backfill and the first window
		case r.To.Before(e.now()):
			start = r.To.Add(-e.opt.Overlap)
		}
	}
	return start, nil
}

// settle re-reads the last SettleWindow completely: calls Gong processed late are
// inserted, changed ones updated, vanished ones marked deleted, reappearing ones restored.
func (e *Engine) settle(ctx context.Context, r *run) error {
	cp, err := e.loadWindow(ctx, StreamSettle)
	if err != nil {
		return err
	}
	calls, err := e.loadWindow(ctx, StreamCalls)
	if err != nil {
		return err
	}
	if cp.Window == nil {
		now := e.now()
		if err := e.openWindow(ctx, &cp, now.Add(-e.opt.SettleWindow), now); err != nil {
			return err
		}
	}
	return e.readWindow(ctx, r, &cp, settleGoal{markOfCalls: calls.HighWaterMark})
}

// settleGoal is the settle pass's windowGoal: nothing beyond the calls, which count as
// late when they started before the calls stream's high-water mark.
type settleGoal struct{ markOfCalls *time.Time }

func (g settleGoal) lateBefore() time.Time {
	if g.markOfCalls == nil {
		return time.Time{}
	}
	return *g.markOfCalls
}

func (settleGoal) advance(*windowCheckpoint, int, *callsWindow) {}

func (settleGoal) afterPage(context.Context, *run, *windowCheckpoint) error { return nil }
