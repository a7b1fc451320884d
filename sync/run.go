package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"github.com/sethvargo/go-retry"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// RunReport is what one run of one stream did.
type RunReport struct {
	Stream   string
	Kind     RunKind
	Status   store.RunStatus
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
	// FoundAges counts the calls found changed, restored or deleted by the age of the
	// call (days since it started, in classes: 0-7d, 7-30d, …), so that one can see how
	// old the changes are that each stream catches.
	FoundAges map[string]map[string]int
	// CursorRestarts counts windows restarted from the last committed call after Gong's cursor expired.
	CursorRestarts int
	// Quarantined counts records Gong sent that could not be stored: kept in the
	// quarantine table, their pages committed without them (quarantine.go).
	Quarantined int
	PausedUntil time.Time // when paused by the budget or Gong's quota
	// More says the run stopped at Options.RequestsPerRun with work left: its status
	// is succeeded, and the next run of the stream goes on from its checkpoint.
	More bool
	Err  error
}

// ErrStreamBusy is returned (inside a skipped report) when another process holds a stream.
var ErrStreamBusy = errors.New("stream is being synced by another process")

// LoggedError is a failure the engine has already logged, on the "run finished" line
// of the run it ended. A command that ends on it exits 1 without printing it again, so
// that each error is printed once.
type LoggedError struct{ Err error }

func (e *LoggedError) Error() string { return e.Err.Error() }

// Unwrap gives the failure, for errors.Is and errors.As.
func (e *LoggedError) Unwrap() error { return e.Err }

// CredentialsRefused says whether err is Gong refusing the credentials themselves (a
// 401 that names no scope, a 403 from an address outside the key's trusted IPs) or an
// OAuth connection that needs a new login: every later request would be refused the
// same way, so the whole pass stops at once.
func CredentialsRefused(err error) bool {
	return errors.Is(err, gongapi.ErrUnauthorized) || errors.Is(err, ErrLoginRequired)
}

// run is one run of one stream as its steps see it: the report it fills, the payer its
// requests are counted for, and the client that sends them on that payer's account.
// The steps take it as an argument, so whatever spends a request shows it in its
// signature.
type run struct {
	*RunReport
	payer *Payer
	gong  *gongapi.Client
	log   zerolog.Logger
}

// runStream wraps one run of a stream: the scope refusal that may skip it, the advisory
// lock, the sync_runs row, the payer, then the outcome logged once, recorded and
// measured. wait says whether to wait for another process holding the stream's lock or
// skip; askRefused asks Gong even when it refused the stream for want of a scope less
// than a day ago (an operator named the stream).
func (e *Engine) runStream(ctx context.Context, s *streamDef, kind RunKind, wait, askRefused bool) *RunReport {
	if s.kind != "" {
		kind = s.kind
	}
	rep := &RunReport{Stream: s.name, Kind: kind, Started: time.Now()}
	log := e.log.With().Str("stream", s.name).Str("kind", string(kind)).Logger()
	refused, skip := e.skipRefused(ctx, s, askRefused, log)
	if skip != nil {
		rep.Status, rep.Err = store.RunSkipped, skip
		return e.endEarly(rep)
	}

	unlock, err := e.st.LockStream(ctx, s.lock, false)
	if errors.Is(err, store.ErrStreamLocked) && wait {
		log.Info().Str("lock", s.lock).Msg("another process is syncing this stream; waiting for it to finish")
		unlock, err = e.st.LockStream(ctx, s.lock, true)
	}
	switch {
	case errors.Is(err, store.ErrStreamLocked):
		log.Info().Str("lock", s.lock).Msg("another process is syncing this stream; skipping this run")
		rep.Status, rep.Err = store.RunSkipped, ErrStreamBusy
		return e.endEarly(rep)
	case err != nil && ctx.Err() != nil:
		rep.Status, rep.Err = store.RunInterrupted, fmt.Errorf("lock stream %s: %w", s.name, err)
		return e.endEarly(rep)
	case err != nil:
		rep.Status, rep.Err = store.RunFailed, fmt.Errorf("lock stream %s: %w", s.name, err)
		log.Error().Err(rep.Err).Msg("run failed")
		return e.endEarly(rep)
	}
	defer unlock()

	// Holding the lock, no other process runs this stream: a run still marked running
	// belonged to a process that was killed.
	if n, err := e.st.CloseAbandonedRuns(ctx, s.name); err != nil {
		log.Warn().Err(err).Msg("could not close abandoned runs")
	} else if n > 0 {
		log.Info().Int("runs", n).Msg("earlier runs of this stream ended with their process; marked interrupted")
	}
	runID, err := e.st.StartRun(ctx, s.name, string(kind))
	if err != nil {
		rep.Status, rep.Err = store.RunFailed, fmt.Errorf("record run start: %w", err)
		log.Error().Err(rep.Err).Msg("run failed")
		return e.endEarly(rep)
	}

	payer := e.budget.For(kind)
	r := &run{RunReport: rep, payer: payer, gong: e.gong.WithBudget(payer), log: log}
	werr := s.work(e, ctx, r)
	if errors.Is(werr, errRunFull) {
		rep.More, werr = true, nil
	}
	rep.Requests, rep.Finished, rep.Err = payer.Requests(), time.Now(), werr
	rep.Status = e.outcome(ctx, s, rep, refused)
	e.recordRun(ctx, runID, rep, log)
	e.logRun(rep, log)
	e.m.observeRun(rep)
	return rep
}

// skipRefused reads the stream's scope refusal: when Gong refused the stream less than
// a day ago and nobody named it, the run is skipped without a request (the error says
// why). It returns the refusal, if any, so a successful run can clear it.
func (e *Engine) skipRefused(ctx context.Context, s *streamDef, askRefused bool, log zerolog.Logger) (*store.Refusal, error) {
	if !s.refusable {
		return nil, nil
	}
	refused, err := e.st.Refusal(ctx, s.name)
	if err != nil {
		log.Warn().Err(err).Msg("could not read the stream's scope refusal")
		return nil, nil
	}
	if refused != nil && !askRefused && e.now().Before(refused.Until) {
		log.Warn().Str("scope", refused.Scope).Str("endpoint", refused.Endpoint).Time("refused_at", refused.At).
			Time("asked_again_after", refused.Until).Msg("Gong refused this stream for want of a scope: not asked again until then")
		return refused, &ScopeRefusedError{Refusal: *refused}
	}
	return refused, nil
}

// endEarly finishes a report for a run that did not start its work.
func (e *Engine) endEarly(rep *RunReport) *RunReport {
	rep.Finished = time.Now()
	e.m.observeRun(rep)
	return rep
}

// outcome is the status a finished run's error gives it; a run that succeeded clears
// the stream's scope refusal, one that Gong refused for want of a scope records it.
func (e *Engine) outcome(ctx context.Context, s *streamDef, rep *RunReport, refused *store.Refusal) store.RunStatus {
	var qe *gongapi.QuotaError
	switch {
	case rep.Err == nil:
		if refused != nil {
			if err := e.st.ClearRefusal(context.WithoutCancel(ctx), s.name); err != nil {
				e.log.Warn().Err(err).Str("stream", s.name).Msg("could not clear the stream's scope refusal")
			}
		}
		return store.RunSucceeded
	case errors.As(rep.Err, &qe):
		rep.PausedUntil = qe.Until
		return store.RunPaused
	case ctx.Err() != nil:
		return store.RunInterrupted
	}
	r := e.refusalOf(s.name, rep.Err)
	if r != nil && s.refusable {
		e.saveRefusal(ctx, *r)
	}
	if r != nil && r.Reason == store.RefusedNotAvailable {
		// Not a failure: the company's account does not offer the data. The refusal
		// keeps the stream from asking again for a day.
		return store.RunUnavailable
	}
	return store.RunFailed
}

// recordRun writes how the run ended into its sync_runs row. The run's context may be
// cancelled (shutdown): the record is written all the same. A run broken by a database
// restart finds the pool's connections dead, and each failed attempt drops one, so a
// few more attempts reach the restarted server instead of leaving the run 'running'.
func (e *Engine) recordRun(ctx context.Context, runID int64, rep *RunReport, log zerolog.Logger) {
	res := store.RunResult{Status: rep.Status, Requests: rep.Requests, Records: rep.Records, Late: rep.Late,
		Changed: rep.Changed, Deleted: rep.Deleted, Restored: rep.Restored, Details: detailsJSON(rep)}
	if rep.Err != nil {
		res.Err = rep.Err.Error()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := retry.Do(ctx, retry.WithMaxRetries(4, retry.NewExponential(100*time.Millisecond)), func(ctx context.Context) error {
		return retry.RetryableError(e.st.FinishRun(ctx, runID, res))
	})
	if err != nil && !store.Unreachable(err) {
		// Unreachable, the run's own line says so already; the row left 'running'
		// reads as interrupted in status (Engine.abandoned), and the stream's
		// next run closes it.
		log.Warn().Err(err).Msg("could not record the run's result")
	}
}

// logRun writes the run's one line: an error's only appearance, so it is not printed
// again by whoever ran the stream (LoggedError).
func (e *Engine) logRun(rep *RunReport, log zerolog.Logger) {
	ev := log.Info()
	switch rep.Status {
	case store.RunFailed:
		ev = log.Error().Err(rep.Err)
	case store.RunPaused:
		var qe *gongapi.QuotaError
		errors.As(rep.Err, &qe)
		ev = log.Warn().Str("reason", qe.Reason).Time("resumes_at", qe.Until)
	case store.RunInterrupted:
		ev = log.Warn()
	case store.RunUnavailable:
		ev = log.Warn().Str("reason", rep.Err.Error())
	}
	ev.Str("status", string(rep.Status)).Int("requests", rep.Requests).Int("records", rep.Records).
		Int("late", rep.Late).Int("changed", rep.Changed).Int("deleted", rep.Deleted).Int("restored", rep.Restored).
		Dur("took", rep.Finished.Sub(rep.Started)).Msg("run finished")
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
	if r.Quarantined > 0 {
		d["quarantined"] = r.Quarantined
	}
	if !r.PausedUntil.IsZero() {
		d["paused_until"] = r.PausedUntil
	}
	if len(r.FoundAges) > 0 {
		d["found_ages"] = r.FoundAges
	}
	if r.More {
		d["more"] = true
	}
	b, _ := json.Marshal(d) // a map of numbers and times: cannot fail
	return b
}
