package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
	"github.com/gongsync/gongsync/sync"
)

// JobKind is River's kind for gongsync's jobs (StreamJob).
const JobKind = "gongsync_stream"

// jobQueue is the River queue gongsync's jobs go through.
const jobQueue = "gongsync"

// Priorities of jobs (River runs lower numbers first): a backfill waits while any
// connection's scheduled run is due.
const (
	priorityScheduled = 1
	priorityBackfill  = 3
)

// StreamJob is one job: a run of one stream of one connection. It is unique by
// connection and stream while it waits, runs or waits for a retry: a schedule's
// tick that finds it queued adds nothing.
type StreamJob struct {
	Connection string `json:"connection" river:"unique"`
	Stream     string `json:"stream" river:"unique"`
	// RunKind is the kind of the run: scheduled, or a backfill (the stream's own kind,
	// settle or sweep, takes over when it has one).
	RunKind sync.RunKind `json:"kind"`
	// Group is the schedule group whose tick enqueued the job: once its run is done,
	// the job enqueues the group's next stream (the calls' transcripts after them), as
	// the daemon runs a group's streams one after the other. Not part of uniqueness: a
	// stream of two groups (transcripts) is queued once.
	Group string `json:"group,omitempty"`
	// IfDue runs a stream with a cadence (users, workspaces, trackers; the daily
	// streams) only when its last run is older than that cadence: a worker's first
	// pass, like the daemon's.
	IfDue bool `json:"if_due,omitempty"`
	// From and To are a backfill's range.
	From *time.Time `json:"from,omitempty"`
	To   *time.Time `json:"to,omitempty"`
}

// Kind is River's kind of the job.
func (StreamJob) Kind() string { return JobKind }

// uniqueStates are the states in which a job blocks an equal one: all but the
// finished ones (River requires the first four).
var uniqueStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRunning, rivertype.JobStateScheduled, rivertype.JobStateRetryable}

// InsertOpts puts the job in gongsync's queue, unique by connection and stream.
func (j StreamJob) InsertOpts() river.InsertOpts {
	prio := priorityScheduled
	if j.Stream == sync.StreamBackfill {
		prio = priorityBackfill
	}
	return river.InsertOpts{Queue: jobQueue, Priority: prio, MaxAttempts: jobAttempts,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: uniqueStates}}
}

// jobAttempts bounds the tries of a failing job; the next tick of its schedule
// enqueues a fresh one.
const jobAttempts = 5

// retryPolicy waits 30 s after a job's first failure, doubling up to 15 minutes:
// River's default (attempt⁴ seconds) would hold a failed stream's unique slot for
// hours, swallowing the ticks of its schedule meanwhile.
type retryPolicy struct{}

func (retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	d := 30 * time.Second
	for i := 1; i < job.Attempt && d < 15*time.Minute; i++ {
		d *= 2
	}
	return time.Now().Add(min(d, 15*time.Minute))
}

// streamWorker runs StreamJobs.
type streamWorker struct {
	river.WorkerDefaults[StreamJob]
	f *Fleet
}

// busyRetry is how soon a backfill job whose stream another process holds asks again.
const busyRetry = 30 * time.Second

// Work runs one job: the connection's stream, once, as far as RequestsPerRun lets it.
// How it ended decides what River does next: more to do, a pause or a shutdown snooze
// the job (back in the queue, not counted as a failure); refused credentials mark the
// connection failed and cancel the job, so the connection fails alone; another
// failure is retried (retryPolicy).
func (w *streamWorker) Work(ctx context.Context, job *river.Job[StreamJob]) error {
	f, a := w.f, job.Args
	log := f.log.With().Str("connection", a.Connection).Str("stream", a.Stream).Int64("job", job.ID).Logger()
	c, err := f.opt.Control.Connection(ctx, a.Connection)
	switch {
	case errors.Is(err, store.ErrNoConnection):
		return river.JobCancel(fmt.Errorf("connection %q is not in the registry (removed)", a.Connection))
	case err != nil:
		return err
	case !c.Active():
		return river.JobCancel(fmt.Errorf("connection %q is %s", c.Name, c.State()))
	}
	oc, err := f.acquire(ctx, c)
	if err != nil {
		if sync.CredentialsRefused(err) {
			return f.fail(ctx, log, c, err)
		}
		return fmt.Errorf("open connection %q: %w", c.Name, err)
	}
	defer f.release(oc)
	e := oc.conn.Engine

	if a.Stream == sync.StreamBackfill {
		return f.backfill(ctx, log, c, e, a)
	}
	// A freshness tick polls when the controller says a poll is due; its later runs (it
	// had more to read and snoozed, or is retried) go on with the poll begun.
	if a.Group == sync.FreshGroup && a.Stream == sync.FreshStreams[0] && job.Attempt <= 1 && !snoozed(job.JobRow) {
		s := f.schedulesOf(c)
		due, d, err := e.NewFreshness(s.Freshness, s.FreshnessShare, s.Zone()).Due(ctx)
		if err != nil {
			return err
		}
		if !due {
			log.Debug().Dur("interval", d.Interval).Str("reason", d.Reason).Msg("freshness: no poll due")
			return nil
		}
	}
	rep, next, err := e.RunScheduled(ctx, a.Group, a.Stream, a.IfDue)
	switch {
	case err != nil:
		return err
	case rep == nil: // not due: the group goes on
		f.follow(ctx, log, a, next)
		return nil
	case rep.Status == store.RunSucceeded && rep.More:
		return river.JobSnooze(0)
	case rep.Status == store.RunSucceeded:
		f.follow(ctx, log, a, next)
		return nil
	case rep.Status == store.RunPaused:
		return river.JobSnooze(max(time.Until(rep.PausedUntil), time.Second))
	case rep.Status == store.RunSkipped:
		// Another process holds the stream (that run is this one), or Gong refused it a
		// scope lately: the group goes on, as the daemon's does.
		f.follow(ctx, log, a, next)
		return nil
	case rep.Status == store.RunInterrupted:
		return river.JobSnooze(0) // shutdown or timeout: the next worker goes on from the checkpoint
	case sync.CredentialsRefused(rep.Err):
		return f.fail(ctx, log, c, rep.Err)
	case errors.Is(rep.Err, gongapi.ErrScopeMissing):
		f.follow(ctx, log, a, next) // recorded: the stream waits a day (status shows the scope)
		return nil
	}
	return &sync.LoggedError{Err: rep.Err}
}

// backfill runs a backfill job: as far as RequestsPerRun lets it, then snoozes for
// the rest.
func (f *Fleet) backfill(ctx context.Context, log zerolog.Logger, c store.Connection, e *sync.Engine, a StreamJob) error {
	if a.From == nil {
		return river.JobCancel(errors.New("a backfill job without its range"))
	}
	req := sync.BackfillRequest{From: *a.From}
	if a.To != nil {
		req.To = *a.To
	}
	rep, err := e.Backfill(ctx, req)
	switch {
	case err != nil && sync.CredentialsRefused(err):
		return f.fail(ctx, log, c, err)
	case err != nil && ctx.Err() != nil:
		return river.JobSnooze(0)
	case err != nil && errors.Is(err, sync.ErrStreamBusy):
		return river.JobSnooze(busyRetry)
	case err != nil:
		return err
	case rep.Done:
		return nil
	case !rep.PausedUntil.IsZero():
		return river.JobSnooze(max(time.Until(rep.PausedUntil), time.Second))
	}
	return river.JobSnooze(0) // more to do
}

// fail marks a connection whose credentials Gong refused as failed, so that no worker
// spends another request on it until an operator resumes or updates it, and cancels
// the job.
func (f *Fleet) fail(ctx context.Context, log zerolog.Logger, c store.Connection, cause error) error {
	reason := oneLine(cause.Error())
	if err := f.opt.Control.MarkFailed(context.WithoutCancel(ctx), c.Name, reason); err != nil {
		log.Error().Err(err).Msg("could not mark the connection failed")
	}
	log.Error().Str("reason", reason).Msg("Gong refused the connection's credentials: it is not synced until `gongsync connections resume` (or `connections add --update`)")
	return river.JobCancel(cause)
}

// follow enqueues the job of next, the stream that comes after a's in its schedule
// group (the transcripts of the calls just read), if any. Unique: when one is queued
// already, nothing is added.
func (f *Fleet) follow(ctx context.Context, log zerolog.Logger, a StreamJob, next string) {
	if next == "" {
		return
	}
	j := StreamJob{Connection: a.Connection, Stream: next, RunKind: sync.KindScheduled, Group: a.Group, IfDue: a.IfDue}
	if _, err := f.client.Insert(context.WithoutCancel(ctx), j, nil); err != nil {
		log.Warn().Err(err).Str("next", j.Stream).Msg("could not enqueue the next stream; its schedule will")
	}
}

// oneLine folds an error's lines into one.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// EnqueueBackfill queues a backfill of a connection for the workers, unique while one
// is queued or running. It reports whether a job was added (false: one was queued).
func EnqueueBackfill(ctx context.Context, control *store.Control, connection string, from, to time.Time) (bool, error) {
	c, err := insertOnly(control)
	if err != nil {
		return false, err
	}
	j := StreamJob{Connection: connection, Stream: sync.StreamBackfill, RunKind: sync.KindBackfill, From: &from}
	if !to.IsZero() {
		j.To = &to
	}
	res, err := c.Insert(ctx, j, nil)
	if err != nil {
		return false, fmt.Errorf("enqueue the backfill of %q: %w", connection, err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// DeleteJobs removes a connection's queued jobs (`connections remove`); its running
// ones end on their own, finding it gone.
func DeleteJobs(ctx context.Context, control *store.Control, connection string) (int, error) {
	c, err := insertOnly(control)
	if err != nil {
		return 0, err
	}
	res, err := c.JobDeleteMany(ctx, river.NewJobDeleteManyParams().Kinds(JobKind).
		States(rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateScheduled, rivertype.JobStateRetryable).
		Where("args->>'connection' = @connection", river.NamedArgs{"connection": connection}))
	if err != nil {
		return 0, fmt.Errorf("delete the jobs of %q: %w", connection, err)
	}
	return len(res.Jobs), nil
}

// insertOnly is a River client that only inserts and deletes (no queues, no leader).
func insertOnly(control *store.Control) (*river.Client[pgx.Tx], error) {
	return river.NewClient(riverpgxv5.New(control.Pool()), &river.Config{Schema: control.Schema(),
		Logger: slog.New(zerologHandler{log: zerolog.Nop()})})
}

// snoozed says whether River ran the job before and snoozed it (River counts the
// snoozes in its metadata; a snooze leaves the attempt as it was).
func snoozed(j *rivertype.JobRow) bool {
	var m struct {
		Snoozes int `json:"snoozes"`
	}
	return json.Unmarshal(j.Metadata, &m) == nil && m.Snoozes > 0
}
