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

// Kind says who is spending requests; backfills are capped at a share of the day's
// budget so that scheduled syncs keep running.
type Kind string

// The kinds of run.
const (
	KindScheduled Kind = "scheduled" // the daemon's ticks
	KindSync      Kind = "sync"      // `gongsync sync`
	KindBackfill  Kind = "backfill"  // `gongsync backfill`
	KindSettle    Kind = "settle"    // the settle pass
	KindProxy     Kind = "proxy"     // `gongsync proxy`
	KindWebhook   Kind = "webhook"   // webhook ingestion (spends nothing)
)

// spend is what a run has spent so far; it travels in the context so that one client
// (one rate limiter per process) serves runs of every kind.
type spend struct {
	kind     Kind
	requests atomic.Int64
}

type spendKey struct{}

func withSpend(ctx context.Context, kind Kind) (context.Context, *spend) {
	s := &spend{kind: kind}
	return context.WithValue(ctx, spendKey{}, s), s
}

func spendFrom(ctx context.Context) *spend {
	s, _ := ctx.Value(spendKey{}).(*spend)
	return s
}

// WithKind marks ctx as belonging to a run of the given kind, for requests sent
// outside the engine's own runs (the proxy command).
func WithKind(ctx context.Context, kind Kind) context.Context {
	ctx, _ = withSpend(ctx, kind)
	return ctx
}

// Budget is the gongapi.Budget backed by the Postgres ledger: every request, from any
// process, is counted before it is sent, and refused once the day's budget (or the
// backfills' share of it) is spent.
type Budget struct {
	store *store.Store
	daily int
	share float64
	tz    *time.Location
	now   func() time.Time

	// onUsage, when set, hears the day's usage after each reservation (metrics).
	onUsage func(store.Usage, int)
}

// NewBudget returns the ledger-backed budget. now is the clock the budget day is read
// from (tests use the fake Gong's virtual clock).
func NewBudget(st *store.Store, daily int, backfillShare float64, tz *time.Location, now func() time.Time) *Budget {
	if tz == nil {
		tz = time.UTC
	}
	if now == nil {
		now = time.Now
	}
	return &Budget{store: st, daily: daily, share: backfillShare, tz: tz, now: now}
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

// Reserve implements gongapi.Budget.
func (b *Budget) Reserve(ctx context.Context, endpoint string) error {
	sp := spendFrom(ctx)
	r := store.Reservation{Day: b.Day(b.now()), Limit: b.daily}
	if sp != nil && sp.kind == KindBackfill {
		r.Backfill, r.BackfillLimit = true, b.BackfillLimit()
	}
	u, err := b.store.Reserve(ctx, r)
	if err != nil {
		var le *store.LimitError
		if errors.As(err, &le) {
			reason := fmt.Sprintf("daily budget of %d requests spent (GONG_DAILY_BUDGET)", le.Limit)
			if le.Backfill {
				reason = fmt.Sprintf("backfills' share of the daily budget spent: %d of %d requests (GONG_BACKFILL_SHARE)", le.Used, le.Limit)
			}
			return &gongapi.QuotaError{Until: le.ResetAt, Reason: reason, Endpoint: endpoint}
		}
		return fmt.Errorf("count request in the ledger: %w", err)
	}
	if sp != nil {
		sp.requests.Add(1)
	}
	if b.onUsage != nil {
		b.onUsage(u, b.daily)
	}
	return nil
}

// Usage returns today's usage.
func (b *Budget) Usage(ctx context.Context) (store.Usage, error) {
	return b.store.Usage(ctx, b.Day(b.now()))
}
