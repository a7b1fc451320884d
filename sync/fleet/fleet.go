// Package fleet runs many connections on many workers. A fleet is one `gongsync run` process of a
// deployment with a connection registry: River (riverqueue) on the same Postgres, its
// tables in the control schema, hands out the work, one job per run of one stream of
// one connection. Any number of processes run a fleet against the same database; River
// gives each job to one of them, its elected leader enqueues the schedules, and the
// stream's advisory lock stays the guard that one stream never runs in two places.
//
// A job is short (sync.Options.RequestsPerRun): when its run stops with more to do, the
// job snoozes for no time, which puts it back in the queue behind the jobs that waited
// longer, so that every connection gets its turn and a backfill never holds a worker
// for hours. Each connection has its own schema, so its own ledger, pace and OAuth
// tokens: one company's 429s, paused budget or refused credentials never slow
// another's.
package fleet

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	gosync "sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/store"
	"github.com/gongsync/gongsync/sync"
)

// OpenedConnection is a connection ready to run jobs: its engine (its own store on its
// schema, Gong client and budget) and how to let it go.
type OpenedConnection struct {
	Engine *sync.Engine
	Close  func()
}

// Opener builds a connection's engine from its registry row (secrets open). cmd
// wires it: configuration, credentials, metrics labelled by the connection.
type Opener func(ctx context.Context, c store.Connection) (*OpenedConnection, error)

// Options configure a Fleet. Zero values take the defaults in parentheses.
type Options struct {
	Control *store.Control
	Open    Opener
	// ID names this process in River and in the runs it records (host:pid).
	ID string
	// Workers bounds the jobs this process runs at once (GONGSYNC_WORKERS, 4).
	Workers int
	// Schedules are the worker's own; a connection's specs in the registry win.
	Schedules sync.Schedules
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

func (o *Options) defaults() {
	o.Workers = cmp.Or(o.Workers, 4)
	o.JobTimeout = cmp.Or(o.JobTimeout, 5*time.Minute)
	o.RegistryPoll = cmp.Or(o.RegistryPoll, 15*time.Second)
	o.IdleClose = cmp.Or(o.IdleClose, 5*time.Minute)
	o.MaxOpen = max(cmp.Or(o.MaxOpen, 2*o.Workers), o.Workers+1)
}

// Fleet runs the jobs of every connection of the registry in this process, beside
// the others doing the same.
type Fleet struct {
	opt    Options
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

// New checks the options and builds the River client.
func New(opt Options) (*Fleet, error) {
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
func (f *Fleet) schedulesOf(c store.Connection) sync.Schedules {
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
		if c, ok := active[name]; !ok || signature(f.schedulesOf(c)) != set.signature {
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
		f.periodic[name] = periodicSet{signature: signature(f.schedulesOf(c)), handles: handles}
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
func signature(s sync.Schedules) string {
	return strings.Join([]string{s.Calls, s.Users, s.Settle, s.Daily, s.Zone().String(), s.Freshness.String(), fmt.Sprint(s.FreshnessShare)}, "|")
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
// (sync.Engine.RunScheduled names it). The groups a first pass runs also run when the
// schedule is registered (River's RunOnStart), the streams with a cadence only if due
// then, as the daemon's first pass does.
func (f *Fleet) periodicJobs(c store.Connection) ([]*river.PeriodicJob, error) {
	ticks, err := f.periodicTicks(c)
	if err != nil {
		return nil, err
	}
	var jobs []*river.PeriodicJob
	for _, t := range ticks {
		var mu gosync.Mutex
		ifDue := t.job.IfDue
		jobs = append(jobs, river.NewPeriodicJob(t.schedule, func() (river.JobArgs, *river.InsertOpts) {
			mu.Lock()
			defer mu.Unlock()
			j := t.job
			j.IfDue, ifDue = ifDue, false
			return j, nil
		}, &river.PeriodicJobOpts{ID: c.Name + "/" + t.job.Group, RunOnStart: t.onStart}))
	}
	return jobs, nil
}

// periodicTick is one of a connection's periodic jobs: when it ticks, and the job
// its first tick enqueues (later ticks' without IfDue).
type periodicTick struct {
	schedule river.PeriodicSchedule
	job      StreamJob
	onStart  bool
}

// periodicTicks are the connection's periodic jobs. With a freshness target, the
// calls and their transcripts leave the calls schedule (it keeps the group's other
// streams) for a job of their own that ticks every target and polls only when the
// connection's freshness controller says a poll is due (streamWorker.Work).
func (f *Fleet) periodicTicks(c store.Connection) ([]periodicTick, error) {
	s := f.schedulesOf(c)
	var ticks []periodicTick
	for _, g := range s.Groups() {
		ticked := s.TickStreams(g.Name)
		if len(ticked) == 0 {
			continue // a group no stream belongs to (yet): nothing to enqueue
		}
		sched, err := cron.ParseStandard(g.Spec)
		if err != nil {
			return nil, fmt.Errorf("schedule %s %q: %w", g.Name, g.Spec, err)
		}
		ticks = append(ticks, periodicTick{schedule: zonedSchedule{sched, s.Zone()}, onStart: g.OnStart,
			job: StreamJob{Connection: c.Name, Stream: ticked[0], RunKind: sync.KindScheduled, Group: g.Name, IfDue: g.OnStart}})
	}
	if s.Freshness > 0 {
		ticks = append(ticks, periodicTick{schedule: cron.Every(s.Freshness),
			job: StreamJob{Connection: c.Name, Stream: sync.FreshStreams[0], RunKind: sync.KindScheduled, Group: sync.FreshGroup}})
	}
	return ticks, nil
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
