package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// BackfillRequest is a historical range to sync.
type BackfillRequest struct {
	From time.Time
	To   time.Time // zero: now, fixed when the backfill first starts
	// Streams limits the backfill to some of calls, transcripts, users, workspaces,
	// trackers. Empty: calls and transcripts, plus the full refreshes never done yet.
	Streams []string
	// Wait sleeps through budget pauses until the reset instead of returning.
	Wait bool
	// Progress hears about every committed page and transcript batch.
	Progress func(BackfillProgress)
}

// BackfillProgress is a snapshot for progress bars and progress log lines.
type BackfillProgress struct {
	Phase      string // calls, transcripts, waiting, done
	From, To   time.Time
	Position   time.Time // calls before this are in
	Fraction   float64   // of the range, 0..1
	Calls      int64     // calls written by this backfill so far, across resumes
	Requests   int       // requests spent by this invocation
	BudgetLeft int       // requests left today for backfills
	ETA        time.Duration
}

// BackfillReport says how far a backfill got.
type BackfillReport struct {
	From, To    time.Time
	Position    time.Time
	Done        bool
	Calls       int64 // across resumes
	Requests    int   // by this invocation
	PausedUntil time.Time
	Runs        []*RunReport
	// TranscriptsRefused is set when Gong refused the transcripts for want of a scope
	// (now or less than a day ago): the calls went on without them.
	TranscriptsRefused *Refusal
}

// Message is the line a backfill ends with: how far it got, what it spent, and when it
// can go on.
func (r *BackfillReport) Message() string {
	span := fmt.Sprintf("%s..%s", r.From.UTC().Format(time.DateOnly), r.To.UTC().Format(time.DateOnly))
	refused := ""
	if t := r.TranscriptsRefused; t != nil {
		refused = fmt.Sprintf("; transcripts not fetched: Gong refused them for want of the scope %s "+
			"(grant it, then run `gongsync sync --streams transcripts`)", t.Scope)
	}
	switch {
	case r.Done:
		return fmt.Sprintf("backfill %s complete: %d calls; %d requests spent by this run%s", span, r.Calls, r.Requests, refused)
	case !r.PausedUntil.IsZero():
		return fmt.Sprintf("backfill %s paused by the daily budget at %s (%.0f%% of the range, %d calls): %d requests spent by this run; "+
			"it can continue after %s: run the same command again (or add --wait)",
			span, r.Position.UTC().Format(time.RFC3339), 100*fraction(r.From, r.To, r.Position), r.Calls, r.Requests,
			r.PausedUntil.UTC().Format(time.RFC3339)) + refused
	default:
		return fmt.Sprintf("backfill %s stopped at %s (%.0f%% of the range, %d calls): %d requests spent by this run; run the same command again to resume",
			span, r.Position.UTC().Format(time.RFC3339), 100*fraction(r.From, r.To, r.Position), r.Calls, r.Requests) + refused
	}
}

func fraction(from, to, pos time.Time) float64 {
	total := to.Sub(from)
	if total <= 0 {
		return 1
	}
	return min(1, max(0, float64(pos.Sub(from))/float64(total)))
}

// Backfill reads a historical range of calls, then their transcripts, checkpointing
// after every page: running the same backfill again goes on where the last one stopped
// without fetching committed pages again. A different range starts a new backfill. It
// returns normally (Done false, PausedUntil set) when the budget pauses it, unless Wait
// is set. A failure it returns has been logged with its run (a *LoggedError), except
// an interruption.
//
// The range is read as one query series, however long: Gong pages through it at 100
// calls a page, so it costs ⌈calls/100⌉ requests, plus one for an empty or final page.
// Windows of their own would each end on a partial page. A long series is safe: a stored
// cursor too old to trust, or one Gong says expired, restarts from the last committed
// call. Transcripts are asked for 100 calls at a time as soon as 100 are waiting, and
// the last partial batch at the end.
func (e *Engine) Backfill(ctx context.Context, req BackfillRequest) (*BackfillReport, error) {
	openTo := req.To.IsZero()
	if openTo {
		req.To = e.now()
	}
	if !req.From.Before(req.To) {
		return nil, fmt.Errorf("backfill: --from %s is not before --to %s", req.From.Format(time.RFC3339), req.To.Format(time.RFC3339))
	}
	want := func(s string) bool { return len(req.Streams) == 0 || slices.Contains(req.Streams, s) }
	rep := &BackfillReport{From: req.From, To: req.To, Position: req.From}
	began := time.Now()
	// Scope refusals fail their stream only: the backfill goes on, and ends with them.
	var refusals []error

	// Users, workspaces and trackers come along when they were never synced, so the
	// calls can be joined to them at once.
	for _, s := range []string{StreamUsers, StreamWorkspaces, StreamTrackers} {
		if len(req.Streams) == 0 {
			cp, err := e.st.Checkpoint(ctx, s)
			if err != nil {
				return rep, err
			}
			if cp.CompletedAt != nil {
				continue
			}
		} else if !want(s) {
			continue
		}
		r := e.RunStream(ctx, s, KindBackfill, true)
		rep.Runs = append(rep.Runs, r)
		rep.Requests += r.Requests
		if r.Status == StatusPaused && !req.Wait {
			rep.PausedUntil = r.PausedUntil
			return rep, nil
		}
		switch {
		case r.Status == StatusFailed && errors.Is(r.Err, gongapi.ErrScopeMissing):
			refusals = append(refusals, fmt.Errorf("backfill %s: %w", s, r.Err))
		case r.Status == StatusFailed:
			return rep, &LoggedError{fmt.Errorf("backfill %s: %w", s, r.Err)}
		case r.Status == StatusInterrupted:
			return rep, fmt.Errorf("backfill %s: %w", s, r.Err)
		}
	}

	var tr backfillTranscripts
	for {
		var progressBase float64 = -1
		r := e.runStream(ctx, StreamBackfill, KindBackfill, StreamBackfill, true, true, func(ctx context.Context, run *RunReport) error {
			return e.backfillRun(ctx, req, openTo, rep, run, want, began, &progressBase, &tr)
		})
		rep.Runs = append(rep.Runs, r)
		rep.Requests += r.Requests
		switch r.Status {
		case StatusSucceeded:
			if tr.refusedNow != nil {
				refusals = append(refusals, tr.refusedNow)
			}
			if len(refusals) > 0 {
				return rep, &LoggedError{errors.Join(refusals...)}
			}
			return rep, nil
		case StatusPaused:
			rep.PausedUntil = r.PausedUntil
			if !req.Wait {
				return rep, nil
			}
			e.log.Info().Time("until", r.PausedUntil).Msg("backfill paused by the budget; --wait: sleeping until it resets")
			if req.Progress != nil {
				req.Progress(BackfillProgress{Phase: "waiting", From: rep.From, To: rep.To, Position: rep.Position,
					Fraction: fraction(rep.From, rep.To, rep.Position), Calls: rep.Calls, Requests: rep.Requests})
			}
			if err := sleepUntil(ctx, r.PausedUntil, e.now); err != nil {
				return rep, nil // interrupted while waiting: the state is committed
			}
			rep.PausedUntil = time.Time{}
		case StatusSkipped:
			return rep, fmt.Errorf("backfill: %w", r.Err)
		case StatusFailed:
			return rep, &LoggedError{r.Err}
		default:
			return rep, r.Err
		}
	}
}

// backfillTranscripts is what a backfill knows of its transcripts: the batch being
// written, and Gong's refusal of them.
type backfillTranscripts struct {
	writing    *transcriptWrite
	checked    bool
	refused    *Refusal // refused less than a day ago, or by this backfill: not asked again
	refusedNow error    // the refusal this backfill met (logged), which it ends with
}

// backfillRun is one locked run of the backfill: the calls of the range left, with full
// transcript batches as they fill, then the last transcripts.
func (e *Engine) backfillRun(ctx context.Context, req BackfillRequest, openTo bool, rep *BackfillReport, run *RunReport,
	want func(string) bool, began time.Time, progressBase *float64, tr *backfillTranscripts) (err error) {
	cp, err := e.st.Checkpoint(ctx, StreamBackfill)
	if err != nil {
		return err
	}
	st, err := readState(&cp)
	if err != nil {
		return err
	}
	// The same --from, and the same --to or none (which means "until now" as it was when
	// this backfill first started), continues the stored backfill.
	sameRange := st.From != nil && st.To != nil && st.From.Equal(req.From) && (openTo || st.To.Equal(req.To))
	if !sameRange {
		if st.From != nil {
			e.log.Info().Time("old_from", *st.From).Time("old_to", *st.To).Msg("a different range than the last backfill: starting a new backfill")
		}
		from, to := req.From, req.To
		st = streamState{From: &from, To: &to, Next: &from}
		cp = store.Checkpoint{Stream: StreamBackfill}
		writeState(&cp, st)
		if err := e.st.Transact(ctx, func(tx *store.Tx) error { return tx.SaveCheckpoint(ctx, cp) }); err != nil {
			return err
		}
	}
	rep.From, rep.To, rep.Calls = *st.From, *st.To, st.Calls
	rep.Position = position(&cp, &st)

	if want(StreamTranscripts) && !tr.checked {
		tr.checked = true
		r, err := e.refusal(ctx, StreamTranscripts)
		if err != nil {
			return err
		}
		if r != nil && e.now().Before(r.Until) {
			tr.refused = r
			e.log.Warn().Str("stream", StreamTranscripts).Str("scope", r.Scope).Time("asked_again_after", r.Until).
				Msg("Gong refused the transcripts for want of a scope: the backfill goes on without them")
		}
	}
	rep.TranscriptsRefused = tr.refused

	spent := spendFrom(ctx)
	report := func(phase string) {
		rep.Position = position(&cp, &st)
		if req.Progress == nil {
			return
		}
		f := fraction(rep.From, rep.To, rep.Position)
		if *progressBase < 0 {
			*progressBase = f
		}
		// Live figures: this run's requests so far (its report is filled in only when it
		// ends), and the budget read even after a shutdown began, when ctx is done.
		p := BackfillProgress{Phase: phase, From: rep.From, To: rep.To, Position: rep.Position, Fraction: f,
			Calls: rep.Calls, Requests: rep.Requests + int(spent.requests.Load())}
		if f > *progressBase {
			elapsed := time.Since(began)
			p.ETA = time.Duration(float64(elapsed) * (1 - f) / (f - *progressBase))
		}
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if u, err := e.budget.Usage(uctx); err == nil {
			p.BudgetLeft = max(0, min(e.budget.Daily()-u.Requests, e.budget.BackfillLimit()-u.BackfillRequests))
		}
		cancel()
		req.Progress(p)
	}
	// A batch of transcripts still being written is counted before the run ends,
	// however it ends.
	defer func() {
		if werr := e.awaitTranscripts(run, report, tr); err == nil {
			err = werr
		}
	}()

	// One window, the rest of the range, read as one query series. A window left open
	// by an interrupted run is read first; one of an older version's 30-day windows
	// then leaves the rest of the range for a second.
	for want(StreamCalls) && !st.Done {
		if err := ctx.Err(); err != nil {
			return err
		}
		if cp.WindowFrom == nil {
			if !st.Next.Before(*st.To) {
				break
			}
			if err := e.openWindow(ctx, &cp, *st.Next, *st.To); err != nil {
				return err
			}
		}
		err := e.readWindow(ctx, &cp, window{
			beforeSave: func(next *store.Checkpoint, s *streamState, calls int, complete bool) {
				s.Calls += int64(calls)
				if complete {
					to := *next.WindowTo
					s.Next = &to
				}
			},
			onPage: func(c *store.Checkpoint, s *streamState) error {
				st = *s
				rep.Calls = s.Calls
				report("calls")
				// A full batch of transcripts as soon as 100 calls wait for one.
				if want(StreamTranscripts) {
					return e.backfillTranscripts(ctx, run, true, report, tr)
				}
				return nil
			},
		}, run)
		if err != nil {
			return err
		}
		if st, err = readState(&cp); err != nil {
			return err
		}
	}
	if want(StreamTranscripts) {
		if err := e.backfillTranscripts(ctx, run, false, report, tr); err != nil {
			return err
		}
	}
	if !st.Done && want(StreamCalls) && cp.WindowFrom == nil && !st.Next.Before(*st.To) {
		st.Done = true
		writeState(&cp, st)
		if err := e.st.Transact(ctx, func(tx *store.Tx) error { return tx.SaveCheckpoint(ctx, cp) }); err != nil {
			return err
		}
	}
	rep.Done = st.Done
	rep.TranscriptsRefused = tr.refused
	report("done")
	return nil
}

func position(cp *store.Checkpoint, st *streamState) time.Time {
	switch {
	case cp.LastStarted != nil:
		return *cp.LastStarted
	case cp.WindowFrom != nil:
		return *cp.WindowFrom
	case st.Next != nil:
		return *st.Next
	}
	return time.Time{}
}

// backfillTranscripts fetches transcripts under the transcripts stream's lock, so the
// daemon and a backfill never ask for the same calls twice. When the daemon holds the
// lock, full batches are left to it. With fullBatchesOnly (after a page of calls) it
// asks for one batch of 100 when 100 calls wait, and writes it while the backfill reads
// its next page (transcriptWrite); without, it asks for every transcript still due. When
// Gong refuses the transcripts for want of a scope, the refusal is recorded (the
// transcripts stream then waits a day too) and logged once, and the backfill goes on
// without them.
func (e *Engine) backfillTranscripts(ctx context.Context, run *RunReport, fullBatchesOnly bool, report func(string), tr *backfillTranscripts) error {
	if err := e.awaitTranscripts(run, report, tr); err != nil {
		return err
	}
	if tr.refused != nil {
		return nil
	}
	unlock, err := e.st.LockStream(ctx, StreamTranscripts, !fullBatchesOnly)
	if errors.Is(err, store.ErrStreamLocked) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fullBatchesOnly {
		defer unlock()
		before := run.Records
		err = e.syncTranscripts(ctx, run, false)
		if run.Records != before {
			report("transcripts")
		}
		return e.transcriptsRefused(ctx, err, tr)
	}

	writing := false
	defer func() {
		if !writing {
			unlock()
		}
	}()
	now := e.now()
	if err := e.giveUpOnTranscripts(ctx, now); err != nil {
		return err
	}
	pending, err := e.st.PendingTranscripts(ctx, now, e.opt.TranscriptBatch)
	if err != nil || len(pending) < e.opt.TranscriptBatch {
		return err
	}
	pctx, done := e.pageContext(ctx)
	answer, err := e.fetchTranscripts(pctx, pending, now)
	if err != nil {
		done()
		return e.transcriptsRefused(ctx, err, tr)
	}
	w := &transcriptWrite{done: make(chan struct{})}
	tr.writing, writing = w, true
	go func() {
		defer close(w.done)
		defer unlock()
		defer done()
		w.records, w.sentences, w.err = e.commitTranscripts(pctx, answer)
	}()
	return nil
}

// transcriptWrite is a backfill's batch of transcripts being written while the
// backfill reads its next page of calls: Postgres indexing the sentences for full-text
// search is most of a backfill's time, and meanwhile Gong can prepare the page. Only the
// write runs alongside, under the transcripts' lock, which it releases when done; the
// batch's request went out before it, so a process has one request in flight at most,
// and a kill costs at most one request per stream (the page of calls and this batch,
// whose calls stay pending until their write commits).
type transcriptWrite struct {
	done               chan struct{}
	records, sentences int
	err                error
}

// awaitTranscripts waits for the batch being written, if any, and counts it in run.
func (e *Engine) awaitTranscripts(run *RunReport, report func(string), tr *backfillTranscripts) error {
	w := tr.writing
	if w == nil {
		return nil
	}
	<-w.done
	tr.writing = nil
	run.Records += w.records
	run.Sentences += w.sentences
	e.m.observeTranscripts(w.records, w.sentences)
	if w.records > 0 {
		report("transcripts")
	}
	return w.err
}

// transcriptsRefused records and logs Gong's refusal of the transcripts for want of a
// scope, and returns nil for it: the backfill goes on without them. Other errors come
// back as they are.
func (e *Engine) transcriptsRefused(ctx context.Context, err error, tr *backfillTranscripts) error {
	r := e.refusalOf(err)
	if r == nil {
		return err
	}
	if serr := e.saveRefusal(ctx, StreamTranscripts, r); serr != nil {
		e.log.Warn().Err(serr).Msg("could not record the transcripts' scope refusal")
	}
	e.log.Error().Err(err).Str("stream", StreamTranscripts).Msg("Gong refused the transcripts: the backfill goes on without them")
	tr.refused, tr.refusedNow = r, fmt.Errorf("backfill transcripts: %w", err)
	return nil
}

// sleepUntil waits until the clock reads t. The clock may be virtual (tests), so it is
// polled rather than trusted to pass at the wall clock's pace.
func sleepUntil(ctx context.Context, t time.Time, now func() time.Time) error {
	for {
		d := t.Sub(now())
		if d <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(d, time.Second)):
		}
	}
}
