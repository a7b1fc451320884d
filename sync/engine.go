package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
	"github.com/rs/zerolog"
)

// Stream names, as they appear in sync_state, sync_runs and --streams.
const (
	StreamUsers       = "users"
	StreamWorkspaces  = "workspaces"
	StreamTrackers    = "trackers"
	StreamCalls       = "calls"
	StreamTranscripts = "transcripts"
	StreamSettle      = "settle"
	StreamBackfill    = "backfill"
)

// AllStreams are the streams `sync --streams` accepts, in the order a pass runs them:
// users first so calls can be joined to them at once, transcripts after the calls
// they belong to.
var AllStreams = []string{StreamUsers, StreamWorkspaces, StreamTrackers, StreamCalls, StreamTranscripts}

// refreshStreams are full refreshes, due only every UsersMaxAge.
var refreshStreams = map[string]bool{StreamUsers: true, StreamWorkspaces: true, StreamTrackers: true}

// Options tunes the engine. Zero values take the defaults in parentheses.
type Options struct {
	Overlap         time.Duration // re-read behind the high-water mark on every calls run (3h)
	SettleWindow    time.Duration // how far back the settle pass re-reads (168h)
	UsersMaxAge     time.Duration // when full refreshes are due again (6h)
	CursorMaxAge    time.Duration // stored cursors older than this are not tried: the window restarts from its last committed call (30m)
	TranscriptBatch int           // call ids per transcript request (100)
	PageGrace       time.Duration // after shutdown begins, how long the page in flight may take to finish (15s)
	// RequestsPerRun makes runs short: once a run has sent this many requests it stops
	// before its next page, everything committed, and says more remains
	// (RunReport.More), for a job queue to run the rest as another job. 0 (the
	// commands, today's daemon): a run goes to its end.
	RequestsPerRun int
	Now             func() time.Time
	Logger          zerolog.Logger
	Metrics         *Metrics
}

func (o *Options) defaults() {
	if o.Overlap == 0 {
		o.Overlap = 3 * time.Hour
	}
	if o.SettleWindow == 0 {
		o.SettleWindow = 168 * time.Hour
	}
	if o.UsersMaxAge == 0 {
		o.UsersMaxAge = 6 * time.Hour
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

// RunReport is what one run of one stream did.
type RunReport struct {
	Stream   string
	Kind     Kind
	Status   string // succeeded, failed, paused, skipped, interrupted
	Started  time.Time
	Finished time.Time
	Requests int
	Records  int // records written or confirmed (calls, users, transcripts, …)
	Inserted int
	Late     int // calls new to the table that started before the previous high-water mark
	Changed  int
	Deleted  int
	Restored int
	// Remapped counts records Gong returned unchanged whose rows an older mapping had
	// derived: their rows were derived again (see CallMapping).
	Remapped  int
	Sentences int
	// CursorRestarts counts windows restarted from the last committed call after Gong's cursor expired.
	CursorRestarts int
	PausedUntil    time.Time // when paused by the budget or Gong's quota
	// More says the run stopped at Options.RequestsPerRun with work left: its status
	// is succeeded, and the next run of the stream goes on from its checkpoint.
	More bool
	Err  error
}

// Run statuses.
const (
	StatusSucceeded   = "succeeded"
	StatusFailed      = "failed"
	StatusPaused      = "paused"
	StatusSkipped     = "skipped"
	StatusInterrupted = "interrupted"
)

// ErrStreamBusy is returned (inside a skipped report) when another process holds a stream.
var ErrStreamBusy = errors.New("stream is being synced by another process")

// LoggedError is a failure the engine has already logged, on the "run finished" line
// of the run it ended. A command that ends on it exits 1 without printing it again, so
// that each error is printed once.
type LoggedError struct{ Err error }

func (e *LoggedError) Error() string { return e.Err.Error() }

// Unwrap gives the failure, for errors.Is and errors.As.
func (e *LoggedError) Unwrap() error { return e.Err }

// credentialsRefused says whether err is Gong refusing the credentials themselves (a
// 401 that names no scope, a 403 from an address outside the key's trusted IPs) or an
// OAuth connection that needs a new login: every later request would be refused the
// same way, so the whole pass stops at once.
func credentialsRefused(err error) bool {
	return errors.Is(err, gongapi.ErrUnauthorized) || errors.Is(err, ErrLoginRequired)
}

// runStream wraps one stream's work: the advisory lock, the sync_runs row, the request
// count, logging and metrics. lockKey is the advisory lock; streams that write the same
// rows over the same windows share one. wait says whether to wait for the lock or skip.
// A stream whose endpoint Gong refused for want of a scope less than a day ago is
// skipped without a request, unless askRefused (the operator named it).
func (e *Engine) runStream(ctx context.Context, stream string, kind Kind, lockKey string, wait, askRefused bool, work func(ctx context.Context, rep *RunReport) error) *RunReport {
	rep := &RunReport{Stream: stream, Kind: kind, Started: time.Now()}
	log := e.log.With().Str("stream", stream).Str("kind", string(kind)).Logger()

	// The backfill is always asked for by an operator; its transcripts keep their own
	// refusal (backfill.go).
	refusable := stream != StreamBackfill
	var refused *Refusal
	if refusable {
		var err error
		if refused, err = e.refusal(ctx, stream); err != nil {
			log.Warn().Err(err).Msg("could not read the stream's scope refusal")
		}
		if refused != nil && !askRefused && e.now().Before(refused.Until) {
			rep.Finished = time.Now()
			rep.Status, rep.Err = StatusSkipped, &ScopeRefusedError{Stream: stream, Refusal: *refused}
			log.Warn().Str("scope", refused.Scope).Str("endpoint", refused.Endpoint).Time("refused_at", refused.At).
				Time("asked_again_after", refused.Until).Msg("Gong refused this stream for want of a scope: not asked again until then")
			e.m.observeRun(rep)
			return rep
		}
	}

	unlock, err := e.st.LockStream(ctx, lockKey, false)
	if errors.Is(err, store.ErrStreamLocked) && wait {
		log.Info().Str("lock", lockKey).Msg("another process is syncing this stream; waiting for it to finish")
		unlock, err = e.st.LockStream(ctx, lockKey, true)
	}
	if err != nil {
		rep.Finished = time.Now()
		if errors.Is(err, store.ErrStreamLocked) {
			rep.Status, rep.Err = StatusSkipped, ErrStreamBusy
			log.Info().Str("lock", lockKey).Msg("another process is syncing this stream; skipping this run")
			e.m.observeRun(rep)
			return rep
		}
		rep.Status, rep.Err = StatusFailed, fmt.Errorf("lock stream %s: %w", stream, err)
		if ctx.Err() != nil {
			rep.Status = StatusInterrupted
		}
		log.Error().Err(rep.Err).Msg("run failed")
		e.m.observeRun(rep)
		return rep
	}
	defer unlock()

	// Holding the lock, no other process runs this stream: a run still marked running
	// belonged to a process that was killed.
	if n, err := e.st.CloseAbandonedRuns(ctx, stream); err != nil {
		log.Warn().Err(err).Msg("could not close abandoned runs")
	} else if n > 0 {
		log.Info().Int("runs", n).Msg("earlier runs of this stream ended with their process; marked interrupted")
	}
	runID, err := e.st.StartRun(ctx, stream, string(kind))
	if err != nil {
		rep.Finished = time.Now()
		rep.Status, rep.Err = StatusFailed, fmt.Errorf("record run start: %w", err)
		log.Error().Err(rep.Err).Msg("run failed")
		e.m.observeRun(rep)
		return rep
	}
	runCtx, sp := withSpend(ctx, kind)
	werr := work(runCtx, rep)
	rep.Requests = int(sp.requests.Load())
	rep.Finished = time.Now()
	rep.Err = werr

	if errors.Is(werr, errRunFull) {
		rep.More, rep.Err, werr = true, nil, nil
	}
	var qe *gongapi.QuotaError
	switch {
	case werr == nil:
		rep.Status = StatusSucceeded
		if refused != nil {
			if err := e.saveRefusal(ctx, stream, nil); err != nil {
				log.Warn().Err(err).Msg("could not clear the stream's scope refusal")
			}
		}
	case errors.As(werr, &qe):
		rep.Status, rep.PausedUntil = StatusPaused, qe.Until
	case ctx.Err() != nil:
		rep.Status = StatusInterrupted
	default:
		rep.Status = StatusFailed
		if r := e.refusalOf(werr); r != nil && refusable {
			if err := e.saveRefusal(ctx, stream, r); err != nil {
				log.Warn().Err(err).Msg("could not record the stream's scope refusal")
			}
		}
	}

	res := store.RunResult{Status: rep.Status, Requests: rep.Requests, Records: rep.Records, Late: rep.Late,
		Changed: rep.Changed, Deleted: rep.Deleted, Restored: rep.Restored}
	if werr != nil {
		res.Err = werr.Error()
	}
	res.Details = detailsJSON(rep)
	// The run's context may be cancelled (shutdown); its record must still be written.
	// A run broken by a database restart finds the pool's connections dead: each
	// failed attempt drops one, so a few more reach the restarted server instead of
	// leaving the run 'running' forever.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for attempt := 1; ; attempt++ {
		err := e.st.FinishRun(fctx, runID, res)
		if err == nil {
			break
		}
		if attempt == 5 || fctx.Err() != nil {
			log.Warn().Err(err).Msg("could not record the run's result")
			break
		}
		time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
	}

	ev := log.Info()
	if rep.Status == StatusFailed {
		ev = log.Error().Err(werr)
	} else if rep.Status == StatusPaused {
		ev = log.Warn().Str("reason", qe.Reason).Time("resumes_at", qe.Until)
	} else if rep.Status == StatusInterrupted {
		ev = log.Warn()
	}
	ev.Str("status", rep.Status).Int("requests", rep.Requests).Int("records", rep.Records).
		Int("late", rep.Late).Int("changed", rep.Changed).Int("deleted", rep.Deleted).Int("restored", rep.Restored).
		Dur("took", rep.Finished.Sub(rep.Started)).Msg("run finished")
	e.m.observeRun(rep)
	return rep
}

// errRunFull stops a run before its next page once it has sent RequestsPerRun
// requests; runStream turns it into a success with More set.
var errRunFull = errors.New("the run sent its share of requests; more remains")

// runFull says, before a page is asked for, whether the run has sent its share of
// requests (Options.RequestsPerRun): errRunFull, or nil to go on. Every loop that
// asks Gong page after page checks it at the top, where everything before is
// committed.
func (e *Engine) runFull(ctx context.Context) error {
	if e.opt.RequestsPerRun <= 0 {
		return nil
	}
	if sp := spendFrom(ctx); sp != nil && sp.requests.Load() >= int64(e.opt.RequestsPerRun) {
		return errRunFull
	}
	return nil
}

// pageContext returns the context one page's request and commit run under: it
// outlives a shutdown by PageGrace, so the page in flight is finished and committed
// instead of thrown away, but no new page starts (callers check ctx between pages).
func (e *Engine) pageContext(ctx context.Context) (context.Context, context.CancelFunc) {
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(e.opt.PageGrace, cancel)
		context.AfterFunc(pctx, func() { t.Stop() })
	})
	return pctx, func() { stop(); cancel() }
}

// detailsJSON is the run's extra figures for sync_runs.details.
func detailsJSON(r *RunReport) []byte {
	d := map[string]any{"inserted": r.Inserted}
	if r.Remapped > 0 {
		d["remapped"] = r.Remapped
	}
	if r.Sentences > 0 {
		d["sentences"] = r.Sentences
	}
	if r.CursorRestarts > 0 {
		d["cursor_restarts"] = r.CursorRestarts
	}
	if !r.PausedUntil.IsZero() {
		d["paused_until"] = r.PausedUntil
	}
	if r.More {
		d["more"] = true
	}
	b, _ := json.Marshal(d) // a map of numbers and times: cannot fail
	return b
}
