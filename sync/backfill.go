package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// BackfillRequest is a historical range to sync.
type BackfillRequest struct {
	From time.Time
	To   time.Time // zero: now, fixed when the backfill first starts
	// Streams limits the backfill to some of calls, transcripts, the full refreshes
	// (users, workspaces, trackers, scorecards) and the dated streams (answered
	// scorecards). Empty: calls and transcripts, the dated streams, and the full
	// refreshes never done yet.
	Streams []string
	// Wait sleeps through budget pauses until the reset instead of returning.
	Wait bool
	// Progress hears about every committed page and transcript batch.
	Progress func(BackfillProgress)
}

// BackfillProgress is a snapshot for progress bars and progress log lines.
type BackfillProgress struct {
	Phase      string // calls, transcripts, waiting, done; then each dated stream's name (user_activity, …) as its run ends
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
	// CallSide says whether the backfill read the calls of its range or their
	// transcripts; one of other streams only (--streams user_activity) did not.
	CallSide bool
	Runs     []*RunReport
	// TranscriptsRefused is set when Gong refused the transcripts for want of a scope
	// (now or less than a day ago): the calls went on without them.
	TranscriptsRefused *store.Refusal
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
	case r.Done && !r.CallSide:
		return fmt.Sprintf("backfill %s complete (%s); %d requests spent by this run%s", span, r.streams(), r.Requests, refused)
	case !r.CallSide && !r.PausedUntil.IsZero():
		return fmt.Sprintf("backfill %s (%s) paused by the daily budget: %d requests spent by this run; it can continue after %s: "+
			"run the same command again (or add --wait)", span, r.streams(), r.Requests, r.PausedUntil.UTC().Format(time.RFC3339)) + refused
	case !r.CallSide:
		return fmt.Sprintf("backfill %s (%s) stopped: %d requests spent by this run; run the same command again to resume",
			span, r.streams(), r.Requests) + refused
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

// streams names the streams the backfill's runs read, in their order.
func (r *BackfillReport) streams() string {
	var names []string
	for _, run := range r.Runs {
		if !slices.Contains(names, run.Stream) {
			names = append(names, run.Stream)
		}
	}
	if len(names) == 0 {
		return "nothing to read"
	}
	return strings.Join(names, ", ")
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
	if err := checkBackfillStreams(req.Streams); err != nil {
		return nil, fmt.Errorf("backfill: %w", err)
	}
	j := &backfillJob{e: e, req: req, openTo: openTo, began: time.Now(), progressBase: -1,
		rep: &BackfillReport{From: req.From, To: req.To, Position: req.From, CallSide: true}}
	// Scope refusals fail their stream only: the backfill goes on, and ends with them.
	refusals, err := e.backfillRefreshes(ctx, j)
	if err != nil || !j.rep.PausedUntil.IsZero() {
		return j.rep, err
	}
	if j.wantCallSide() {
		if done, err := e.backfillCalls(ctx, j); !done || err != nil {
			return j.rep, err
		}
		if j.transcripts.refusedNow != nil {
			refusals = append(refusals, j.transcripts.refusedNow)
		}
	} else {
		// Nothing of the calls' range to read: their checkpoint, and the range a
		// backfill of them may have under way, are left as they are.
		j.rep.CallSide, j.rep.Done, j.rep.Position = false, true, req.To
	}
	more, err := e.backfillDated(ctx, j)
	refusals = append(refusals, more...)
	if err != nil || !j.rep.PausedUntil.IsZero() {
		return j.rep, err
	}
	if len(refusals) > 0 {
		return j.rep, &LoggedError{errors.Join(refusals...)}
	}
	return j.rep, nil
}

// backfillCalls runs the calls of the range and their transcripts, as runs of the
// backfill's own stream, until they are done (true), or a pause, a short run's end or
// a failure stops them (false, with the report saying which).
func (e *Engine) backfillCalls(ctx context.Context, j *backfillJob) (bool, error) {
	def := *backfillDef
	def.work = func(e *Engine, ctx context.Context, r *run) error { return j.run(ctx, r) }
	for {
		j.progressBase = -1
		r := e.runStream(ctx, &def, KindBackfill, true, true)
		j.rep.Runs = append(j.rep.Runs, r)
		j.rep.Requests += r.Requests
		switch r.Status {
		case store.RunSucceeded:
			// A short run (RequestsPerRun) leaves the rest to the next one.
			return !r.More, nil
		case store.RunPaused:
			j.rep.PausedUntil = r.PausedUntil
			if !j.req.Wait {
				return false, nil
			}
			e.log.Info().Time("until", r.PausedUntil).Msg("backfill paused by the budget; --wait: sleeping until it resets")
			if j.req.Progress != nil {
				j.req.Progress(BackfillProgress{Phase: "waiting", From: j.rep.From, To: j.rep.To, Position: j.rep.Position,
					Fraction: fraction(j.rep.From, j.rep.To, j.rep.Position), Calls: j.rep.Calls, Requests: j.rep.Requests})
			}
			if err := sleepUntil(ctx, r.PausedUntil, e.now); err != nil {
				return false, nil // interrupted while waiting: the state is committed
			}
			j.rep.PausedUntil = time.Time{}
		case store.RunSkipped:
			return false, fmt.Errorf("backfill: %w", r.Err)
		case store.RunFailed:
			return false, &LoggedError{r.Err}
		default:
			return false, r.Err
		}
	}
}

// backfillRefreshes runs the full refreshes a backfill brings along (streamDef.refresh):
// the ones named, or, when none are, those never done yet, so the calls can be joined
// to users, workspaces and trackers at once. It returns the scope refusals met (the
// backfill goes on after them); a pause sets the report's PausedUntil. A refresh
// Gong says the company's account does not offer (a plan without the library) is
// left out and said in the log.
func (e *Engine) backfillRefreshes(ctx context.Context, j *backfillJob) ([]error, error) {
	var refusals []error
	for _, def := range streamDefs {
		s := def.name
		if !def.refresh {
			continue
		}
		if !j.want(s) {
			continue
		}
		// A refresh reads what Gong holds now, not a range: one done recently enough
		// that a pass would not run it (streamDef.every) is not read again, so that a
		// backfill run again to resume spends nothing twice. When no stream is named,
		// only the refreshes never done come along.
		fresh := false
		if len(j.req.Streams) == 0 {
			row, err := e.st.Checkpoint(ctx, s)
			if err != nil {
				return nil, err
			}
			fresh = row.CompletedAt != nil
		} else if def.every != nil {
			var err error
			if fresh, err = e.completedWithin(ctx, s, def.every(&e.opt)); err != nil {
				return nil, err
			}
			if fresh {
				e.log.Info().Str("stream", s).Msg("backfill: the stream was refreshed recently; not read again")
			}
		}
		if fresh {
			continue
		}
		r := e.RunStream(ctx, s, KindBackfill, true)
		j.rep.Runs = append(j.rep.Runs, r)
		j.rep.Requests += r.Requests
		switch {
		case r.Status == store.RunPaused && !j.req.Wait:
			j.rep.PausedUntil = r.PausedUntil
			return refusals, nil
		case r.Status == store.RunFailed && errors.Is(r.Err, gongapi.ErrScopeMissing):
			refusals = append(refusals, fmt.Errorf("backfill %s: %w", s, r.Err))
		case r.Status == store.RunFailed:
			return nil, &LoggedError{fmt.Errorf("backfill %s: %w", s, r.Err)}
		case r.Status == store.RunInterrupted:
			return nil, fmt.Errorf("backfill %s: %w", s, r.Err)
		}
	}
	return refusals, nil
}

// backfillDated runs, after the calls, the backfill of every dated stream the backfill
// wants (those with a backfill function: data Gong keeps by date, such as reviews or
// daily activity) over the backfill's range, each as a run of its own stream that
// resumes through the stream's own checkpoint. Like the refreshes, a scope refusal
// fails that stream only; a pause sleeps with --wait, or ends the backfill.
func (e *Engine) backfillDated(ctx context.Context, j *backfillJob) ([]error, error) {
	var refusals []error
	for _, s := range streamDefs {
		if s.backfill == nil || !j.want(s.name) {
			continue
		}
		def := *s
		def.work = func(e *Engine, ctx context.Context, r *run) error {
			err := s.backfill(e, ctx, r, j.rep.From, j.rep.To)
			j.report(r, s.name) // what the stream spent, in the progress display too
			return err
		}
		for {
			r := e.runStream(ctx, &def, KindBackfill, true, true)
			j.rep.Runs = append(j.rep.Runs, r)
			j.rep.Requests += r.Requests
			j.reportStream(s.name)
			switch {
			case r.Status == store.RunPaused && j.req.Wait:
				if err := sleepUntil(ctx, r.PausedUntil, e.now); err != nil {
					j.rep.Done = false // interrupted while waiting: the state is committed
					return refusals, nil
				}
				continue
			case r.Status == store.RunPaused:
				// The backfill is done when every stream it reads is.
				j.rep.Done = false
				j.rep.PausedUntil = r.PausedUntil
				return refusals, nil
			case r.Status == store.RunSucceeded && r.More:
				// A short run (RequestsPerRun): the backfill is not done until this stream's
				// range is; the next backfill run goes on from its checkpoint.
				j.rep.Done = false
				return refusals, nil

			case r.Status == store.RunFailed && errors.Is(r.Err, gongapi.ErrScopeMissing):
				refusals = append(refusals, fmt.Errorf("backfill %s: %w", s.name, r.Err))
			case r.Status == store.RunFailed:
				return refusals, &LoggedError{fmt.Errorf("backfill %s: %w", s.name, r.Err)}
			case r.Status == store.RunInterrupted:
				return refusals, fmt.Errorf("backfill %s: %w", s.name, r.Err)
			}
			break
		}
	}
	return refusals, nil
}

// backfillJob is one Backfill call: what was asked, what it reports, and the state its
// runs share (the transcripts being written, Gong's refusal of them). It is the
// backfill's windowGoal.
type backfillJob struct {
	e            *Engine
	req          BackfillRequest
	openTo       bool // no --to: "until now", as it was when the backfill first started
	rep          *BackfillReport
	began        time.Time
	progressBase float64 // the fraction done when this run began; -1 before the first report
	cp           windowCheckpoint
	transcripts  backfillTranscripts
}

func (j *backfillJob) want(stream string) bool {
	return len(j.req.Streams) == 0 || slices.Contains(j.req.Streams, stream)
}

// wantCallSide says whether the backfill reads the calls of its range or their
// transcripts (the backfill's own stream), rather than only other streams.
func (j *backfillJob) wantCallSide() bool { return j.want(StreamCalls) || j.want(StreamTranscripts) }

// backfillTranscripts is what a backfill knows of its transcripts: the batch being
// written, and Gong's refusal of them.
type backfillTranscripts struct {
	writing    *transcriptWrite
	checked    bool
	refused    *store.Refusal // refused less than a day ago, or by this backfill: not asked again
	refusedNow error          // the refusal this backfill met (logged), which it ends with
}

// run is one locked run of the backfill: the calls of the range left, with full
// transcript batches as they fill, then the last transcripts.
func (j *backfillJob) run(ctx context.Context, r *run) (err error) {
	e := j.e
	if err := j.checkTranscriptsRefused(ctx); err != nil {
		return err
	}
	if !j.want(StreamCalls) {
		// The transcripts alone: those due of the calls already synced. The calls'
		// range, and a backfill of them under way, are left as they are.
		if err := e.backfillTranscripts(ctx, r, false, j); err != nil {
			return err
		}
		j.rep.Done, j.rep.Position = true, j.rep.To
		j.rep.TranscriptsRefused = j.transcripts.refused
		return nil
	}
	if err := j.loadRange(ctx); err != nil {
		return err
	}
	// A batch of transcripts still being written is counted before the run ends,
	// however it ends.
	defer func() {
		if werr := e.awaitTranscripts(ctx, r, j); err == nil {
			err = werr
		}
	}()

	// One window, the rest of the range, read as one query series. A window left open
	// by an interrupted run is read first; one of an older version's 30-day windows
	// then leaves the rest of the range for a second.
	for !j.cp.Range.Done {
		if err := ctx.Err(); err != nil {
			return err
		}
		if j.cp.Window == nil {
			if !j.cp.Range.Next.Before(j.cp.Range.To) {
				break
			}
			if err := e.openWindow(ctx, &j.cp, j.cp.Range.Next, j.cp.Range.To); err != nil {
				return err
			}
		}
		if err := e.readWindow(ctx, r, &j.cp, j); err != nil {
			return err
		}
	}
	if j.want(StreamTranscripts) {
		if err := e.backfillTranscripts(ctx, r, false, j); err != nil {
			return err
		}
	}
	if rg := j.cp.Range; !rg.Done && j.cp.Window == nil && !rg.Next.Before(rg.To) {
		rg.Done = true
		if err := j.cp.save(ctx, e.st); err != nil {
			return err
		}
	}
	j.rep.Done = j.cp.Range.Done
	j.rep.TranscriptsRefused = j.transcripts.refused
	j.report(r, "done")
	return nil
}

// loadRange reads the backfill's checkpoint. The same --from, and the same --to or none
// (which means "until now" as it was when this backfill first started), continues the
// stored backfill; a different range starts a new one.
func (j *backfillJob) loadRange(ctx context.Context) error {
	cp, err := j.e.loadWindow(ctx, StreamBackfill)
	if err != nil {
		return err
	}
	rg := cp.Range
	if rg == nil || !rg.From.Equal(j.req.From) || !(j.openTo || rg.To.Equal(j.req.To)) {
		if rg != nil {
			j.e.log.Info().Time("old_from", rg.From).Time("old_to", rg.To).Msg("a different range than the last backfill: starting a new backfill")
		}
		cp = windowCheckpoint{stream: StreamBackfill, Range: &backfillRange{From: j.req.From, To: j.req.To, Next: j.req.From}}
		if err := cp.save(ctx, j.e.st); err != nil {
			return err
		}
	}
	j.cp = cp
	j.rep.From, j.rep.To, j.rep.Calls = cp.Range.From, cp.Range.To, cp.Range.Calls
	j.rep.Position = j.position()
	return nil
}

// checkTranscriptsRefused reads, once per backfill, whether Gong refused the
// transcripts for want of a scope less than a day ago: the backfill then goes on
// without them.
func (j *backfillJob) checkTranscriptsRefused(ctx context.Context) error {
	if !j.want(StreamTranscripts) || j.transcripts.checked {
		j.rep.TranscriptsRefused = j.transcripts.refused
		return nil
	}
	j.transcripts.checked = true
	refused, err := j.e.st.Refusal(ctx, StreamTranscripts)
	if err != nil {
		return err
	}
	if refused != nil && j.e.now().Before(refused.Until) {
		j.transcripts.refused = refused
		j.e.log.Warn().Str("stream", StreamTranscripts).Str("scope", refused.Scope).Time("asked_again_after", refused.Until).
			Msg("Gong refused the transcripts for want of a scope: the backfill goes on without them")
	}
	j.rep.TranscriptsRefused = j.transcripts.refused
	return nil
}

// The backfill as a windowGoal: no call is late (the backfill reads history), each
// page's calls are counted, a completed window moves the range on, and after each page
// come the progress report and a full batch of transcripts when 100 calls wait.

func (j *backfillJob) lateBefore() time.Time { return time.Time{} }

func (j *backfillJob) advance(next *windowCheckpoint, calls int, closed *callsWindow) {
	rg := *next.Range
	rg.Calls += int64(calls)
	if closed != nil {
		rg.Next = closed.To
	}
	next.Range = &rg
}

func (j *backfillJob) afterPage(ctx context.Context, r *run, cp *windowCheckpoint) error {
	j.cp = *cp
	j.rep.Calls = cp.Range.Calls
	j.report(r, "calls")
	if j.want(StreamTranscripts) {
		return j.e.backfillTranscripts(ctx, r, true, j)
	}
	return nil
}

// report tells the progress callback where the backfill stands, with live figures:
// the run's requests so far, and the budget read even after a shutdown began.
func (j *backfillJob) report(r *run, phase string) {
	j.rep.Position = j.position()
	if j.req.Progress == nil {
		return
	}
	f := fraction(j.rep.From, j.rep.To, j.rep.Position)
	if j.progressBase < 0 {
		j.progressBase = f
	}
	p := BackfillProgress{Phase: phase, From: j.rep.From, To: j.rep.To, Position: j.rep.Position, Fraction: f,
		Calls: j.rep.Calls, Requests: j.rep.Requests + r.payer.Requests()}
	if f > j.progressBase {
		elapsed := time.Since(j.began)
		p.ETA = time.Duration(float64(elapsed) * (1 - f) / (f - j.progressBase))
	}
	p.BudgetLeft = j.budgetLeft()
	j.req.Progress(p)
}

// reportStream tells the progress callback that a dated stream's run over the range
// ended (after the calls): the phase is the stream's name.
func (j *backfillJob) reportStream(stream string) {
	if j.req.Progress == nil {
		return
	}
	j.req.Progress(BackfillProgress{Phase: stream, From: j.rep.From, To: j.rep.To, Position: j.rep.Position,
		Fraction: fraction(j.rep.From, j.rep.To, j.rep.Position), Calls: j.rep.Calls, Requests: j.rep.Requests,
		BudgetLeft: j.budgetLeft()})
}

// budgetLeft is what backfills may still spend today, read even after a shutdown began.
func (j *backfillJob) budgetLeft() int {
	uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u, err := j.e.budget.Usage(uctx)
	if err != nil {
		return 0
	}
	return max(0, min(j.e.budget.Daily()-u.Requests, j.e.budget.BackfillLimit()-u.BackfillRequests))
}

// position is the start of the calls the backfill has reached.
func (j *backfillJob) position() time.Time {
	switch w := j.cp.Window; {
	case w != nil && w.LastStarted != nil:
		return *w.LastStarted
	case w != nil:
		return w.From
	case j.cp.Range != nil:
		return j.cp.Range.Next
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
func (e *Engine) backfillTranscripts(ctx context.Context, r *run, fullBatchesOnly bool, j *backfillJob) error {
	if err := e.awaitTranscripts(ctx, r, j); err != nil {
		return err
	}
	if j.transcripts.refused != nil {
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
		before := r.Records
		err = e.fetchDueTranscripts(ctx, r, false)
		if r.Records != before {
			j.report(r, "transcripts")
		}
		return e.transcriptsRefused(ctx, err, j)
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
	answer, err := e.fetchTranscripts(pctx, r, pending, now)
	if err != nil {
		done()
		return e.transcriptsRefused(ctx, err, j)
	}
	w := &transcriptWrite{done: make(chan struct{})}
	j.transcripts.writing, writing = w, true
	go func() {
		defer close(w.done)
		defer unlock()
		defer done()
		w.found, w.err = e.commitTranscripts(pctx, answer)
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
	done  chan struct{}
	found pageFinds
	err   error
}

// awaitTranscripts waits for the batch being written, if any, and counts it in the run.
func (e *Engine) awaitTranscripts(ctx context.Context, r *run, j *backfillJob) error {
	w := j.transcripts.writing
	if w == nil {
		return nil
	}
	<-w.done
	j.transcripts.writing = nil
	e.tally(ctx, r, w.found)
	if w.found.records > 0 {
		j.report(r, "transcripts")
	}
	return w.err
}

// transcriptsRefused records and logs Gong's refusal of the transcripts for want of a
// scope, and returns nil for it: the backfill goes on without them. Other errors come
// back as they are.
func (e *Engine) transcriptsRefused(ctx context.Context, err error, j *backfillJob) error {
	refused := e.refusalOf(StreamTranscripts, err)
	if refused == nil {
		return err
	}
	e.saveRefusal(ctx, *refused)
	e.log.Error().Err(err).Str("stream", StreamTranscripts).Msg("Gong refused the transcripts: the backfill goes on without them")
	j.transcripts.refused, j.transcripts.refusedNow = refused, fmt.Errorf("backfill transcripts: %w", err)
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
