package sync

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// RunKind says who is spending requests; backfills are capped at a share of the day's
// budget so that scheduled syncs keep running.
type RunKind string

// The kinds of run.
const (
	KindScheduled RunKind = "scheduled" // the daemon's ticks
	KindSync      RunKind = "sync"      // `gongsync sync`
	KindBackfill  RunKind = "backfill"  // `gongsync backfill`
	KindSettle    RunKind = "settle"    // the settle pass
	KindSweep     RunKind = "sweep"     // the sweep (counted against the backfills' share too)
	KindProxy     RunKind = "proxy"     // `gongsync proxy`
	KindWebhook   RunKind = "webhook"   // calls announced by webhooks, fetched at once (webhookfetch.go)
)

// Budget is the gongapi.Budget backed by the Postgres ledger: every request, from any
// process, is counted before it is sent, and refused once the day's budget (or the
// backfills' share of it) is spent; the same statement gives it its send time in the
// pace shared by every process of the schema.
type Budget struct {
	store    *store.Store
	daily    int
	share    float64
	interval time.Duration
	tz       *time.Location
	now      func() time.Time

	// onUsage, when set, hears the day's usage after each reservation (metrics).
	onUsage func(store.Usage, int)
}

// BudgetOptions configure a Budget.
type BudgetOptions struct {
	Daily         int     // requests per budget day (GONG_DAILY_BUDGET)
	BackfillShare float64 // share of Daily backfills may spend (GONG_BACKFILL_SHARE)
	// RateLimit is Gong's per-second limit for the whole company (GONG_RATE_LIMIT): the
	// requests of every process keep this pace, a little slower (paceMargin). 0 turns
	// pacing off.
	RateLimit float64
	TZ        *time.Location   // the budget day's time zone; nil means UTC
	Now       func() time.Time // the clock the budget day is read from; nil means time.Now (tests use the fake Gong's)
}

// paceMargin stretches the interval between requests a little beyond 1/RateLimit.
// Gong counts arrivals, and two requests sent 1/r apart can arrive closer than that
// when the first was delayed by the network, or when the send times reach two
// processes after round trips of different lengths; each such 429 costs a request from
// the daily quota and a Retry-After wait. 2% keeps that margin and leaves room above
// the 2.85 requests/s floor at 3/s (2.94/s at most).
const paceMargin = 1.02

// NewBudget returns the ledger-backed budget.
func NewBudget(st *store.Store, o BudgetOptions) *Budget {
	if o.TZ == nil {
		o.TZ = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	b := &Budget{store: st, daily: o.Daily, share: o.BackfillShare, tz: o.TZ, now: o.Now}
	if o.RateLimit > 0 {
		b.interval = time.Duration(paceMargin * float64(time.Second) / o.RateLimit)
	}
	return b
}

// Day returns midnight of the budget day containing t.
func (b *Budget) Day(t time.Time) time.Time {
	t = t.In(b.tz)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, b.tz)
}

// ResetAt returns when the current budget day ends.
func (b *Budget) ResetAt() time.Time { return b.Day(b.now()).AddDate(0, 0, 1) }

// BackfillLimit is how many requests backfills may spend per day.
func (b *Budget) BackfillLimit() int { return int(float64(b.daily) * b.share) }

// Daily is the day's total budget.
func (b *Budget) Daily() int { return b.daily }

// Payer is the budget as one run, or one operator's command, spends it: a client made
// with gongapi.Client.WithBudget(payer) counts each of its requests in the ledger under
// the payer's kind (a backfill's against the backfills' share too) and for the payer,
// so a run's report says what it spent.
type Payer struct {
	budget   *Budget
	kind     RunKind
	requests atomic.Int64
}

// For returns a payer of the given kind.
func (b *Budget) For(kind RunKind) *Payer { return &Payer{budget: b, kind: kind} }

// Requests is how many requests the payer has had counted so far (refunds deducted).
func (p *Payer) Requests() int { return int(p.requests.Load()) }

// Reserve implements gongapi.Budget for the payer.
func (p *Payer) Reserve(ctx context.Context, endpoint string) (gongapi.Slot, error) {
	return p.budget.reserve(ctx, endpoint, p.kind, &p.requests)
}

// Reserve implements gongapi.Budget for requests no run pays for by name: they count
// against the day's budget, not the backfills' share.
func (b *Budget) Reserve(ctx context.Context, endpoint string) (gongapi.Slot, error) {
	return b.reserve(ctx, endpoint, KindSync, nil)
}

// reserve counts one request of kind in one statement that also gives it its send
// time; spent, when not nil, hears of it (and of its refund).
func (b *Budget) reserve(ctx context.Context, endpoint string, kind RunKind, spent *atomic.Int64) (gongapi.Slot, error) {
	r := store.Reservation{Day: b.Day(b.now()), Limit: b.daily, Interval: b.interval}
	if kind == KindBackfill || kind == KindSweep {
		r.Backfill, r.BackfillLimit = true, b.BackfillLimit()
	}
	g, err := b.store.Reserve(ctx, r)
	if err != nil {
		var le *store.LimitError
		if errors.As(err, &le) {
			reason := fmt.Sprintf("daily budget of %d requests spent (GONG_DAILY_BUDGET)", le.Limit)
			if le.Backfill {
				reason = fmt.Sprintf("backfills' (and the sweep's) share of the daily budget spent: %d of %d requests (GONG_BACKFILL_SHARE)", le.Used, le.Limit)
			}
			return gongapi.Slot{}, &gongapi.QuotaError{Until: le.ResetAt, Reason: reason, Endpoint: endpoint}
		}
		return gongapi.Slot{}, fmt.Errorf("count request in the ledger: %w", err)
	}
	if spent != nil {
		spent.Add(1)
	}
	if b.onUsage != nil {
		b.onUsage(g.Usage, b.daily)
	}
	slot := gongapi.Slot{Refund: func(ctx context.Context) error {
		u, err := b.store.Refund(ctx, r)
		if err != nil {
			return err
		}
		if spent != nil {
			spent.Add(-1)
		}
		if b.onUsage != nil {
			b.onUsage(u, b.daily)
		}
		return nil
	}}
	if g.Wait > 0 {
		// The pace is real time, whatever clock the budget day is read from.
		slot.SendAt = time.Now().Add(g.Wait)
	}
	return slot, nil
}

// Usage returns today's usage.
func (b *Budget) Usage(ctx context.Context) (store.Usage, error) {
	return b.store.Usage(ctx, b.Day(b.now()))
}
