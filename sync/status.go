package sync

import (
	"context"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// Status is what `gongsync status` and the daemon's /status show.
type Status struct {
	Now        time.Time      `json:"now"`
	NewestCall *time.Time     `json:"newest_call_started,omitempty"`
	Streams    []StreamStatus `json:"streams"`
	Budget     BudgetStatus   `json:"budget"`
	// Transcripts counts the calls waiting for a transcript and those of them due now,
	// as the transcripts_waiting view defines them (docs/queries.sql reads it too).
	Transcripts store.TranscriptQueue `json:"transcripts"`
	// Quarantine counts, per stream, the records Gong sent that could not be stored
	// and are kept in the quarantine table (quarantine.go); empty when there are none.
	Quarantine []store.QuarantineCount `json:"quarantine,omitempty"`
	// Schedules are the daemon's next runs, when the caller knows its schedules.
	Schedules []ScheduleStatus `json:"schedules,omitempty"`
	// ReviewsEvery is how stale the answered scorecards may grow (Options.ReviewsEvery),
	// and ReviewsDueAt from when a tick of their schedule reads them again
	// (ReviewsDueAt; absent: at the next tick).
	ReviewsEvery string     `json:"answered_scorecards_every"`
	ReviewsDueAt *time.Time `json:"answered_scorecards_due_at,omitempty"`
	// NextTranscriptDue is when the next call waiting for its transcript is due
	// (NextTranscriptDue); absent when none waits or one is due now.
	NextTranscriptDue *time.Time `json:"next_transcript_due,omitempty"`
	// Freshness is the freshness controller's latest decision (GONGSYNC_FRESHNESS):
	// the interval to the next poll of the calls and why; absent without a target.
	Freshness *FreshnessDecision `json:"freshness,omitempty"`
	// Sweep is where the rolling re-read of the older history stands, a part per
	// swept table.
	Sweep  []SweepStatus      `json:"sweep,omitempty"`
	Tables []store.TableCount `json:"tables"`
}

// StreamStatus is one stream's checkpoint and last run.
type StreamStatus struct {
	Stream        string     `json:"stream"`
	HighWaterMark *time.Time `json:"high_water_mark,omitempty"`
	WindowFrom    *time.Time `json:"window_from,omitempty"`
	WindowTo      *time.Time `json:"window_to,omitempty"`
	LastStarted   *time.Time `json:"last_committed_call_started,omitempty"`
	// Cursor shows only the start of Gong's cursor: enough to see that one is held.
	Cursor      string     `json:"cursor,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
	LastRun     *store.Run `json:"last_run,omitempty"`
	// Refused is Gong's refusal of the stream's endpoint, until a run of the stream
	// succeeds: for want of a scope (the scope to grant), or because the company's
	// account does not offer the stream's data (reason not_available: a plan without
	// the library); and when it is asked again.
	Refused *store.Refusal `json:"refused,omitempty"`
	// The backfill's range, and the last backfill of a dated stream (user_activity,
	// user_interaction_stats).
	BackfillFrom *time.Time `json:"backfill_from,omitempty"`
	BackfillTo   *time.Time `json:"backfill_to,omitempty"`
	BackfillDone bool       `json:"backfill_done,omitempty"`
}

// BudgetStatus is the day's use of the request budget.
type BudgetStatus struct {
	Day             string    `json:"day"`
	Used            int       `json:"used"`
	Left            int       `json:"left"`
	Limit           int       `json:"limit"`
	BackfillUsed    int       `json:"backfill_used"`
	BackfillLimit   int       `json:"backfill_limit"`
	ResetsAt        time.Time `json:"resets_at"`
	ResetsInSeconds int64     `json:"resets_in_seconds"`
	TimeZone        string    `json:"time_zone"`
}

// abandoned shows a run still recorded 'running' as the interrupted run it is when
// no process holds its stream's lock: its process ended (killed, or the database went
// away before it could record the end). The next run of the stream records the same.
func (e *Engine) abandoned(ctx context.Context, r *store.Run) error {
	lock := r.Stream
	if s := findStream(r.Stream); s != nil {
		lock = s.lock
	}
	held, err := e.st.StreamLockHeld(ctx, lock)
	if err != nil || held {
		return err
	}
	r.Status, r.Error = store.RunInterrupted, "the process ended without recording how this run ended"
	return nil
}

// Status reads every stream's checkpoint and last run, the day's budget and the row
// counts. It sends no request to Gong.
func (e *Engine) Status(ctx context.Context) (*Status, error) {
	now := e.now()
	s := &Status{Now: now}
	cps, err := e.st.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	runs, err := e.st.LastRuns(ctx)
	if err != nil {
		return nil, err
	}
	byStream := map[string]*StreamStatus{}
	order := append(append([]string{}, AllStreams...), StreamSettle, StreamSweep, StreamBackfill)
	for _, name := range order {
		byStream[name] = &StreamStatus{Stream: name}
	}
	for _, cp := range cps {
		ss, ok := byStream[cp.Stream]
		if !ok {
			ss = &StreamStatus{Stream: cp.Stream}
			byStream[cp.Stream] = ss
			order = append(order, cp.Stream)
		}
		ss.HighWaterMark, ss.WindowFrom, ss.WindowTo, ss.LastStarted, ss.CompletedAt = cp.HighWaterMark, cp.WindowFrom, cp.WindowTo, cp.LastStarted, cp.CompletedAt
		if cp.Cursor != "" {
			ss.Cursor = cp.Cursor[:min(len(cp.Cursor), 12)] + "…"
		}
		if !cp.UpdatedAt.IsZero() {
			u := cp.UpdatedAt
			ss.UpdatedAt = &u
		}
	}
	if err := e.statusOfWindows(ctx, byStream); err != nil {
		return nil, err
	}
	refusals, err := e.st.Refusals(ctx)
	if err != nil {
		return nil, err
	}
	for i := range refusals {
		if ss, ok := byStream[refusals[i].Stream]; ok {
			ss.Refused = &refusals[i]
		}
	}
	for i := range runs {
		r := runs[i]
		ss, ok := byStream[r.Stream]
		if !ok {
			continue
		}
		if r.Status == store.RunRunning {
			if err := e.abandoned(ctx, &r); err != nil {
				return nil, err
			}
		}
		// LastRuns gives the newest run per stream and kind: keep the newest of them.
		if ss.LastRun == nil || r.StartedAt.After(ss.LastRun.StartedAt) {
			ss.LastRun = &r
		}
	}
	for _, name := range order {
		s.Streams = append(s.Streams, *byStream[name])
	}

	u, err := e.budget.Usage(ctx)
	if err != nil {
		return nil, err
	}
	reset := e.budget.ResetAt()
	s.Budget = BudgetStatus{
		Day: e.budget.Day(now).Format(time.DateOnly), Used: u.Requests, Left: max(0, e.budget.Daily()-u.Requests),
		Limit: e.budget.Daily(), BackfillUsed: u.BackfillRequests, BackfillLimit: e.budget.BackfillLimit(),
		ResetsAt: reset, ResetsInSeconds: int64(reset.Sub(now).Seconds()), TimeZone: e.budget.tz.String(),
	}
	if s.Transcripts, err = e.st.CountTranscriptsWaiting(ctx, now); err != nil {
		return nil, err
	}
	s.ReviewsEvery = e.opt.ReviewsEvery.String()
	if at, err := e.ReviewsDueAt(ctx); err != nil {
		return nil, err
	} else if !at.IsZero() {
		s.ReviewsDueAt = &at
	}
	if at, err := e.NextTranscriptDue(ctx); err != nil {
		return nil, err
	} else if at != nil && !at.IsZero() {
		s.NextTranscriptDue = at
	}
	if s.NewestCall, err = e.st.NewestCallStarted(ctx); err != nil {
		return nil, err
	}
	if s.Quarantine, err = e.st.QuarantineCounts(ctx); err != nil {
		return nil, err
	}
	if s.Sweep, err = e.sweepStatus(ctx); err != nil {
		return nil, err
	}
	if s.Tables, err = e.st.TableCounts(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// statusOfWindows adds the backfill's range to its status, and each dated stream's
// last backfill to its own.
func (e *Engine) statusOfWindows(ctx context.Context, byStream map[string]*StreamStatus) error {
	bf, err := e.loadWindow(ctx, StreamBackfill)
	if err != nil {
		return err
	}
	if rg := bf.Range; rg != nil {
		ss := byStream[StreamBackfill]
		ss.BackfillFrom, ss.BackfillTo, ss.BackfillDone = &rg.From, &rg.To, rg.Done
	}
	for _, s := range streamDefs {
		if s.backfill == nil || s.name == StreamLogs {
			continue
		}
		cp, err := e.loadDated(ctx, s.name)
		if err != nil {
			return err
		}
		if b := cp.Backfill; b != nil {
			ss := byStream[s.name]
			ss.BackfillFrom, ss.BackfillTo, ss.BackfillDone = &b.From, &b.To, b.Done
		}
	}
	// The logs keep a backfill per log type: the status shows the range they were
	// asked for, done when every type's is.
	lg, err := e.loadLogs(ctx)
	if err != nil {
		return err
	}
	for _, typ := range gongapi.LogTypes {
		b := lg.series(typ).Backfill
		if b == nil {
			continue
		}
		ss := byStream[StreamLogs]
		if ss.BackfillFrom == nil {
			ss.BackfillFrom, ss.BackfillTo, ss.BackfillDone = &b.From, &b.To, true
		}
		ss.BackfillDone = ss.BackfillDone && b.Done
	}
	// The answered scorecards keep their backfill in their own checkpoint.
	rv, err := e.loadReviews(ctx, StreamAnsweredScorecards)
	if err != nil {
		return err
	}
	if b := rv.Backfill; b != nil {
		ss := byStream[StreamAnsweredScorecards]
		ss.BackfillFrom, ss.BackfillTo, ss.BackfillDone = &b.From, &b.To, b.Done
	}
	return nil
}
