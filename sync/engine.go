package sync

import (
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
	"github.com/rs/zerolog"
)

// Options tunes the engine. Zero values take the defaults in parentheses.
type Options struct {
	Overlap         time.Duration // re-read behind the high-water mark on every calls run (3h)
	SettleWindow    time.Duration // how far back the settle pass re-reads (168h)
	SweepPeriod     time.Duration // the sweep re-reads every older call at least once per period (168h)
	SweepShare      float64       // share of the daily budget the sweep may spend (0.1)
	UsersMaxAge     time.Duration // when full refreshes are due again (6h)
	CursorMaxAge    time.Duration // stored cursors older than this are not tried: the window restarts from its last committed call (30m)
	TranscriptBatch int           // call ids per transcript request (100)
	PageGrace       time.Duration // after shutdown begins, how long the page in flight may take to finish (15s)
	// RequestsPerRun makes runs short: once a run has sent this many requests it stops
	// before its next page, everything committed, and says more remains
	// (RunReport.More), for a job queue to run the rest as another job. 0 (the
	// commands, today's daemon): a run goes to its end.
	RequestsPerRun int
	Now            func() time.Time
	Logger         zerolog.Logger
	Metrics        *Metrics

	// ReviewsEvery is how stale the answered scorecards may grow on the calls
	// schedule's ticks (1h): a tick reads them only once their last complete read is
	// about that old (ReviewsDueAt), since each read costs a page per 100 reviews of
	// the company's whole day. A freshness target, when set, may lower it.
	ReviewsEvery time.Duration

	// TranscriptRecheck, when set (the daemon sets TranscriptRecheckFor), is how often
	// a call whose transcript Gong does not have yet is asked again while it is within
	// Gong's measured processing window (transcriptRetryAt); zero keeps the median,
	// 90th percentile and backoff alone.
	TranscriptRecheck time.Duration

	// FlowsRefreshDays is how many daily slices a refresh of the Engage flows is spread
	// over: each day asks GET /v2/flows about that share of the owners (7).
	FlowsRefreshDays int
}

func (o *Options) defaults() {
	if o.Overlap == 0 {
		o.Overlap = 3 * time.Hour
	}
	if o.SettleWindow == 0 {
		o.SettleWindow = 168 * time.Hour
	}
	if o.SweepPeriod == 0 {
		o.SweepPeriod = 168 * time.Hour
	}
	if o.SweepShare == 0 {
		o.SweepShare = 0.1
	}
	if o.UsersMaxAge == 0 {
		o.UsersMaxAge = 6 * time.Hour
	}
	if o.ReviewsEvery <= 0 {
		o.ReviewsEvery = DefaultReviewsEvery
	}
	if o.FlowsRefreshDays <= 0 {
		o.FlowsRefreshDays = 7
	}
	if o.CursorMaxAge == 0 {
		o.CursorMaxAge = 30 * time.Minute
	}
	if o.TranscriptBatch <= 0 || o.TranscriptBatch > 100 {
		o.TranscriptBatch = 100
	}
	if o.PageGrace == 0 {
		o.PageGrace = 15 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Engine runs the streams. It is safe for concurrent use by the daemon's jobs; two
// processes never run the same stream at once (advisory locks in Postgres).
type Engine struct {
	st     *store.Store
	gong   *gongapi.Client
	budget *Budget
	opt    Options
	log    zerolog.Logger
	m      *Metrics
}

// New returns an engine. The client must have been built with budget as its Budget,
// so that every request it sends is counted in the ledger.
func New(st *store.Store, client *gongapi.Client, budget *Budget, opt Options) *Engine {
	opt.defaults()
	e := &Engine{st: st, gong: client, budget: budget, opt: opt, log: opt.Logger, m: opt.Metrics}
	if e.m != nil && budget != nil {
		budget.onUsage = e.m.observeUsage
	}
	return e
}

func (e *Engine) now() time.Time { return e.opt.Now() }

// Options returns the engine's options after defaults.
func (e *Engine) Options() Options { return e.opt }
