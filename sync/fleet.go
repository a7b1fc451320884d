package sync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// Many connections, many workers. A fleet is one `gongsync run` process of a
// deployment with a connection registry: River (riverqueue) on the same Postgres, its
// tables in the control schema, hands out the work, one job per run of one stream of
// one connection. Any number of processes run a fleet against the same database; River
// gives each job to one of them, its elected leader enqueues the schedules, and the
// stream's advisory lock stays the guard that one stream never runs in two places.
//
// A job is short (Options.RequestsPerRun): when its run stops with more to do, the
// job snoozes for no time, which puts it back in the queue behind the jobs that waited
// longer, so that every connection gets its turn and a backfill never holds a worker
// for hours. Each connection has its own schema, so its own ledger, pace and OAuth
// tokens: one company's 429s, paused budget or refused credentials never slow
// another's.

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
	Connection string  `json:"connection" river:"unique"`
	Stream     string  `json:"stream" river:"unique"`
	RunKind    RunKind `json:"kind"`
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
	if j.Stream == StreamBackfill {
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

// OpenedConnection is a connection ready to run jobs: its engine (its own store on its
// schema, Gong client and budget) and how to let it go.
type OpenedConnection struct {
	Engine *Engine
	Close  func()
}

// Opener builds a connection's engine from its registry row (secrets open). cmd
// wires it: configuration, credentials, metrics labelled by the connection.
type Opener func(ctx context.Context, c store.Connection) (*OpenedConnection, error)

// FleetOptions configure a Fleet. Zero values take the defaults in parentheses.
type FleetOptions struct {
	Control *store.Control
	Open    Opener
	// ID names this process in River and in the runs it records (host:pid).
	ID string
	// Workers bounds the jobs this process runs at once (GONGSYNC_WORKERS, 4).
	Workers int
	// Schedules are the worker's own; a connection's specs in the registry win.
	Schedules Schedules
	// JobTimeout bounds one job (5m): its context is cancelled then, and the page in
	// flight committed. A job left running by a killed process is rescued — tried
	// again — twice this long after it started.
	JobTimeout time.Duration
	// RegistryPoll is how often the registry is read again (15s): connections added,
	// paused, resumed or removed, and schedules changed.
	RegistryPoll time.Duration
	// IdleClose closes a connection's engine (its pool) unused for this long (5m).
	IdleClose time.Duration
	// MaxOpen bounds the engines (each a pool of Postgres connections) this process
	// keeps open (twice Workers): opening one more closes the one unused longest, so
	// that a worker's Postgres connections do not grow with the connections it syncs.
	MaxOpen int
	// OnQueue, when set, hears the queue's counts after each registry read (metrics).
	OnQueue func([]store.JobCount, []store.Connection)
	Logger  zerolog.Logger
}

func (o *FleetOptions) defaults() {
	o.Workers = cmp.Or(o.Workers, 4)
	o.JobTimeout = cmp.Or(o.JobTimeout, 5*time.Minute)
	o.RegistryPoll = cmp.Or(o.RegistryPoll, 15*time.Second)
	o.IdleClose = cmp.Or(o.IdleClose, 5*time.Minute)
	o.MaxOpen = max(cmp.Or(o.MaxOpen, 2*o.Workers), o.Workers+1)
}

// Fleet runs the jobs of every connection of the registry in this process, beside
// the others doing the same.
type Fleet struct {
	opt    FleetOptions
	log    zerolog.Logger
	river  *river.Client[pgx.Tx]
	client *river.Client[pgx.Tx] // inserts follow-ups (the same client)

	mu       gosync.Mutex
	open     map[string]*openConn
	periodic map[string]periodicSet // by connection
}

// openConn is a connection's engine in use by jobs.
type openConn struct {
	name       string
	generation int64
	conn       *OpenedConnection
	refs       int
	lastUsed   time.Time
	stale      bool // a newer generation replaced it: closed when its last job ends
}

// periodicSet is a connection's schedules as registered with River.
type periodicSet struct {
	signature string
	handles   []rivertype.PeriodicJobHandle
}

// NewFleet checks the options and builds the River client.
func NewFleet(opt FleetOptions) (*Fleet, error) {
	opt.defaults()
	if opt.Control == nil || opt.Open == nil {
		return nil, errors.New("fleet: a control schema and an opener are needed")
	}
	if _, err := opt.Schedules.Next(time.Now()); err != nil {
		return nil, err
	}
	f := &Fleet{opt: opt, log: opt.Logger, open: map[string]*openConn{}, periodic: map[string]periodicSet{}}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &streamWorker{f: f}); err != nil {
		return nil, err
	}
	rc, err := river.NewClient(riverpgxv5.New(opt.Control.Pool()), &river.Config{
		ID:                   strings.NewReplacer(":", "_", "/", "_").Replace(opt.ID) + "_" + time.Now().UTC().Format("20060102T150405"),
		Schema:               opt.Control.Schema(),
		Queues:               map[string]river.QueueConfig{jobQueue: {MaxWorkers: opt.Workers}},
		Workers:              workers,
		JobTimeout:           opt.JobTimeout,
		RescueStuckJobsAfter: 2 * opt.JobTimeout,
		RetryPolicy:          retryPolicy{},
		MaxAttempts:          jobAttempts,
		Logger:               slog.New(zerologHandler{log: opt.Logger.With().Str("component", "river").Logger()}),
	})
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	f.river, f.client = rc, rc
	return f, nil
}

// Run works jobs until ctx ends, then cancels the jobs in flight (each commits its
// page in flight and goes back to the queue for another process) and returns nil
// once they have stopped.
func (f *Fleet) Run(ctx context.Context) error {
	if err := f.reconcile(ctx); err != nil {
		return err
	}
	if err := f.river.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("fleet: start River: %w", err)
	}
	f.log.Info().Int("workers", f.opt.Workers).Str("worker", f.opt.ID).Str("control_schema", f.opt.Control.Schema()).Msg("worker started")
	tick := time.NewTicker(f.opt.RegistryPoll)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
			if err := f.reconcile(ctx); err != nil && ctx.Err() == nil {
				f.log.Warn().Err(err).Msg("could not read the connection registry; trying again at the next poll")
			}
			f.closeIdle()
		}
	}
	f.log.Info().Msg("stopping: finishing the pages in flight")
	// Each job commits its page in flight (PageGrace) and records how it ended.
	sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := f.river.StopAndCancel(sctx)
	f.closeAll()
	if err != nil {
		return fmt.Errorf("fleet: stop River: %w", err)
	}
	f.log.Info().Msg("worker stopped")
	return nil
}

// schedulesOf are a connection's schedules: its own specs, else the worker's.
func (f *Fleet) schedulesOf(c store.Connection) Schedules {
	s := f.opt.Schedules
	s.Calls = cmp.Or(c.ScheduleCalls, s.Calls)
	s.Users = cmp.Or(c.ScheduleUsers, s.Users)
	s.Settle = cmp.Or(c.ScheduleSettle, s.Settle)
	s.Daily = cmp.Or(c.ScheduleDaily, s.Daily)
	return s
}

// reconcile reads the registry and makes this process's periodic jobs match it: each
// active connection's schedules, registered (their first run enqueued at once, as a
// daemon's first pass), changed ones replaced, those of connections paused, failed or
// removed taken out. Only River's elected leader enqueues them; every process keeps
// the same set, so whichever leads has it.
func (f *Fleet) reconcile(ctx context.Context) error {
	conns, err := f.opt.Control.Connections(ctx)
	if err != nil {
		return err
	}
	active := map[string]store.Connection{}
	for _, c := range conns {
		if c.Active() {
			active[c.Name] = c
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	bundle := f.river.PeriodicJobs()
	for name, set := range f.periodic {
		if c, ok := active[name]; !ok || f.schedulesOf(c).signature() != set.signature {
			for _, h := range set.handles {
				bundle.Remove(h)
			}
			delete(f.periodic, name)
			if !ok {
				f.log.Info().Str("connection", name).Msg("connection paused, failed or removed: its schedules are off")
			}
		}
	}
	for name, c := range active {
		if _, ok := f.periodic[name]; ok {
			continue
		}
		jobs, err := f.periodicJobs(c)
		if err != nil {
			f.log.Error().Err(err).Str("connection", name).Msg("the connection's schedules do not parse; it is not synced")
			continue
		}
		handles, err := bundle.AddManySafely(jobs)
		if err != nil {
			return fmt.Errorf("schedule connection %q: %w", name, err)
		}
		f.periodic[name] = periodicSet{signature: f.schedulesOf(c).signature(), handles: handles}
		f.log.Info().Str("connection", name).Str("schema", c.Schema).Msg("connection scheduled")
	}
	if f.opt.OnQueue != nil {
		if counts, err := f.opt.Control.QueueCounts(ctx, JobKind); err == nil {
			f.opt.OnQueue(counts, conns)
		}
	}
	return nil
}

// signature identifies schedules, to notice a change.
func (s Schedules) signature() string {
	return strings.Join([]string{s.Calls, s.Users, s.Settle, s.Daily, s.location().String()}, "|")
}

// zonedSchedule reads a cron schedule in its time zone, whatever zone River's clock
// hands it (a parsed cron.Schedule has the Next River's periodic jobs want).
type zonedSchedule struct {
	cron.Schedule
	loc *time.Location
}

func (z zonedSchedule) Next(t time.Time) time.Time { return z.Schedule.Next(t.In(z.loc)) }

// periodicJobs are a connection's schedules as River periodic jobs, one per schedule
// group: each tick enqueues the group's first stream, whose job enqueues the next
// (groupNext). The calls and users groups also run when the schedule is registered
// (River's RunOnStart), the full refreshes only if due then, as the daemon's first
// pass does.
func (f *Fleet) periodicJobs(c store.Connection) ([]*river.PeriodicJob, error) {
	s := f.schedulesOf(c)
	var jobs []*river.PeriodicJob
	for _, g := range s.jobs() {
		group, spec := g[0], g[1]
		first := groupNext(group, "")
		if first == nil {
			continue // a group no stream belongs to (yet): nothing to enqueue
		}
		sched, err := cron.ParseStandard(spec)
		if err != nil {
			return nil, fmt.Errorf("schedule %s %q: %w", group, spec, err)
		}
		// A worker's first pass, like the daemon's: the calls, and the streams with a
		// cadence (users and the daily ones) when their last run is older than it.
		onStart := group == scheduleCalls || group == scheduleUsers || group == scheduleDaily
		var mu gosync.Mutex
		ifDue := onStart
		jobs = append(jobs, river.NewPeriodicJob(zonedSchedule{sched, s.location()}, func() (river.JobArgs, *river.InsertOpts) {
			mu.Lock()
			defer mu.Unlock()
			j := StreamJob{Connection: c.Name, Stream: first.name, RunKind: cmp.Or(first.kind, KindScheduled), Group: group, IfDue: ifDue}
			ifDue = false
			return j, nil
		}, &river.PeriodicJobOpts{ID: c.Name + "/" + group, RunOnStart: onStart}))
	}
	return jobs, nil
}

// groupNext is the stream of the schedule group that runs after the named one, in the
// order of streamDefs (after "" the first); nil when the group ends there.
func groupNext(group, after string) *streamDef {
	seen := after == ""
	for _, s := range streamDefs {
		if !slices.Contains(s.schedules, group) {
			continue
		}
		if seen {
			return s
		}
		seen = s.name == after
	}
	return nil
}

// acquire returns the connection's engine, opening it (or opening it again when the
// registry row changed) as needed; release it when the job is done.
func (f *Fleet) acquire(ctx context.Context, c store.Connection) (*openConn, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if oc := f.open[c.Name]; oc != nil {
		if oc.generation == c.Generation {
			oc.refs++
			return oc, nil
		}
		oc.stale = true
		delete(f.open, c.Name)
		if oc.refs == 0 {
			oc.conn.Close()
		}
	}
	f.makeRoom()
	conn, err := f.opt.Open(ctx, c)
	if err != nil {
		return nil, err
	}
	oc := &openConn{name: c.Name, generation: c.Generation, conn: conn, refs: 1}
	f.open[c.Name] = oc
	return oc, nil
}

// makeRoom closes the engines unused longest until one more fits within MaxOpen. At
// most Workers engines are in use at once, and MaxOpen is larger, so there is always
// one to close. Called with f.mu held.
func (f *Fleet) makeRoom() {
	for len(f.open) >= f.opt.MaxOpen {
		var lru *openConn
		for _, oc := range f.open {
			if oc.refs == 0 && (lru == nil || oc.lastUsed.Before(lru.lastUsed)) {
				lru = oc
			}
		}
		if lru == nil {
			return
		}
		lru.conn.Close()
		delete(f.open, lru.name)
	}
}

func (f *Fleet) release(oc *openConn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	oc.refs--
	oc.lastUsed = time.Now()
	if oc.stale && oc.refs == 0 {
		oc.conn.Close()
	}
}

// closeIdle closes the engines no job used for IdleClose, and those of connections
// no longer scheduled, so that a worker holds pools only for the connections it syncs.
func (f *Fleet) closeIdle() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for name, oc := range f.open {
		_, scheduled := f.periodic[name]
		if oc.refs == 0 && (!scheduled || time.Since(oc.lastUsed) > f.opt.IdleClose) {
			oc.conn.Close()
			delete(f.open, name)
		}
	}
}

func (f *Fleet) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for name, oc := range f.open {
		if oc.refs == 0 {
			oc.conn.Close()
		}
		delete(f.open, name)
	}
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
		if credentialsRefused(err) {
			return f.fail(ctx, log, c, err)
		}
		return fmt.Errorf("open connection %q: %w", c.Name, err)
	}
	defer f.release(oc)
	e := oc.conn.Engine

	if a.Stream == StreamBackfill {
		return f.backfill(ctx, log, c, e, a)
	}
	if s := findStream(a.Stream); a.IfDue && s != nil && s.every != nil {
		due, err := e.Due(ctx)
		if err != nil {
			return err
		}
		if !slices.Contains(due, a.Stream) {
			f.follow(ctx, log, a)
			return nil
		}
	}
	rep := e.RunStream(ctx, a.Stream, cmp.Or(a.RunKind, KindScheduled), false)
	switch {
	case rep.Status == store.RunSucceeded && rep.More:
		return river.JobSnooze(0)
	case rep.Status == store.RunSucceeded:
		f.follow(ctx, log, a)
		return nil
	case rep.Status == store.RunPaused:
		return river.JobSnooze(max(time.Until(rep.PausedUntil), time.Second))
	case rep.Status == store.RunSkipped:
		// Another process holds the stream (that run is this one), or Gong refused it a
		// scope lately: the group goes on, as the daemon's does.
		f.follow(ctx, log, a)
		return nil
	case rep.Status == store.RunInterrupted:
		return river.JobSnooze(0) // shutdown or timeout: the next worker goes on from the checkpoint
	case credentialsRefused(rep.Err):
		return f.fail(ctx, log, c, rep.Err)
	case errors.Is(rep.Err, gongapi.ErrScopeMissing):
		f.follow(ctx, log, a) // recorded: the stream waits a day (status shows the scope)
		return nil
	}
	return &LoggedError{rep.Err}
}

// backfill runs a backfill job: as far as RequestsPerRun lets it, then snoozes for
// the rest.
func (f *Fleet) backfill(ctx context.Context, log zerolog.Logger, c store.Connection, e *Engine, a StreamJob) error {
	if a.From == nil {
		return river.JobCancel(errors.New("a backfill job without its range"))
	}
	req := BackfillRequest{From: *a.From}
	if a.To != nil {
		req.To = *a.To
	}
	rep, err := e.Backfill(ctx, req)
	switch {
	case err != nil && credentialsRefused(err):
		return f.fail(ctx, log, c, err)
	case err != nil && ctx.Err() != nil:
		return river.JobSnooze(0)
	case err != nil && errors.Is(err, ErrStreamBusy):
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

// follow enqueues the job of the stream that comes after a's in its schedule group
// (the transcripts of the calls just read), if any. Unique: when one is queued
// already, nothing is added.
func (f *Fleet) follow(ctx context.Context, log zerolog.Logger, a StreamJob) {
	if a.Group == "" {
		return
	}
	next := groupNext(a.Group, a.Stream)
	if next == nil {
		return
	}
	j := StreamJob{Connection: a.Connection, Stream: next.name, RunKind: cmp.Or(next.kind, KindScheduled), Group: a.Group, IfDue: a.IfDue}
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
	j := StreamJob{Connection: connection, Stream: StreamBackfill, RunKind: KindBackfill, From: &from}
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
