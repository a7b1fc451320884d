package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/store"
)

// Schedules are the daemon's cron specs (five fields, or descriptors like @every 15m)
// and the time zone they are read in.
type Schedules struct {
	Calls  string // calls, then transcripts
	Users  string // users, workspaces, trackers: the full refreshes
	Settle string // the settle pass, then transcripts
	Daily  string // the streams Gong revises for a few days and that are read once a day
	// Location is the time zone of the specs; nil means UTC, so that one configuration
	// fires at the same hours on a laptop and in a container.
	Location *time.Location
}

// ScheduleStatus is one schedule and its next run.
type ScheduleStatus struct {
	Job      string    `json:"job"`
	Spec     string    `json:"spec"`
	TimeZone string    `json:"time_zone"`
	Next     time.Time `json:"next_run"`
}

func (s Schedules) location() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}

// The schedule groups: each stream names the groups whose ticks run it (streamDef.schedules).
const (
	scheduleCalls  = "calls"
	scheduleUsers  = "users"
	scheduleSettle = "settle"
	scheduleDaily  = "daily"
)

func (s Schedules) jobs() [][2]string {
	jobs := [][2]string{{scheduleCalls, s.Calls}, {scheduleUsers, s.Users}, {scheduleSettle, s.Settle}}
	if s.Daily != "" {
		jobs = append(jobs, [2]string{scheduleDaily, s.Daily})
	}
	return jobs
}

// Next returns each schedule's first run after now.
func (s Schedules) Next(now time.Time) ([]ScheduleStatus, error) {
	loc := s.location()
	var out []ScheduleStatus
	for _, j := range s.jobs() {
		sched, err := cron.ParseStandard(j[1])
		if err != nil {
			return nil, fmt.Errorf("schedule %s %q: %w", j[0], j[1], err)
		}
		// A spec without CRON_TZ= runs in the zone of the time it is given.
		out = append(out, ScheduleStatus{Job: j[0], Spec: j[1], TimeZone: loc.String(), Next: sched.Next(now.In(loc))})
	}
	return out, nil
}

// Tick is one run of a schedule group: when, and the streams it runs, in order.
type Tick struct {
	At      time.Time
	Group   string
	Streams []string
}

// Ticks lists every run of the schedules in [from, to), in time order (ticks at the
// same minute in the order of jobs): what the daemon runs over that span. The
// benchmarks replay a day at the default schedules on a virtual clock with it.
func (s Schedules) Ticks(from, to time.Time) ([]Tick, error) {
	loc := s.location()
	var out []Tick
	for _, j := range s.jobs() {
		sched, err := cron.ParseStandard(j[1])
		if err != nil {
			return nil, fmt.Errorf("schedule %s %q: %w", j[0], j[1], err)
		}
		streams := groupStreams(j[0])
		for at := sched.Next(from.In(loc).Add(-time.Second)); at.Before(to); at = sched.Next(at) {
			if !at.Before(from) {
				out = append(out, Tick{At: at, Group: j[0], Streams: streams})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Tick) int { return a.At.Compare(b.At) })
	return out, nil
}

// ScheduleGroups are the daemon's schedule groups (GONGSYNC_SCHEDULE_CALLS, _USERS,
// _SETTLE, _DAILY), for an external scheduler's `sync --schedule GROUP`.
func ScheduleGroups() []string {
	return []string{scheduleCalls, scheduleUsers, scheduleSettle, scheduleDaily}
}

// GroupStreams are the streams a daemon's tick of the schedule group runs, in order:
// `sync --schedule GROUP` runs the same, so a CronJob covers what the daemon does
// (the settle group's sweep and settle passes are on-demand streams a plain pass never
// finds due).
func GroupStreams(group string) ([]string, error) {
	if !slices.Contains(ScheduleGroups(), group) {
		return nil, fmt.Errorf("unknown schedule %q (known: %s)", group, strings.Join(ScheduleGroups(), ", "))
	}
	return groupStreams(group), nil
}

// RegistryStreams are every stream of the registry a pass may name, in the order a
// pass runs them: those found due and the on-demand ones (settle passes, sweeps).
func RegistryStreams() []string {
	out := make([]string, 0, len(streamDefs))
	for _, s := range streamDefs {
		out = append(out, s.name)
	}
	return out
}

// groupStreams are the streams a tick of the schedule group runs, in the order of
// streamDefs.
func groupStreams(group string) []string {
	var out []string
	for _, s := range streamDefs {
		if slices.Contains(s.schedules, group) {
			out = append(out, s.name)
		}
	}
	return out
}

// Daemon runs the streams on their schedules until its context ends.
type Daemon struct {
	e     *Engine
	sched Schedules
	log   zerolog.Logger
}

// NewDaemon checks the schedules and returns a daemon for e.
func NewDaemon(e *Engine, s Schedules) (*Daemon, error) {
	if _, err := s.Next(time.Now()); err != nil {
		return nil, err
	}
	return &Daemon{e: e, sched: s, log: e.log.With().Str("component", "daemon").Logger()}, nil
}

// Run makes a first pass over the streams that are due, then runs them on schedule.
// A tick that finds its previous run still going is skipped, not stacked. When ctx
// ends, the pages in flight are finished and committed, and Run returns nil once every
// job has stopped. When Gong refuses the credentials, every later request would be
// refused the same way: Run stops and returns the failure, already logged with its
// run (a *LoggedError). An OAuth connection that needs a new login is different: a
// login from any other process (`gongsync auth login` on the same database) mends it,
// and until then each tick fails at once without a request to Gong. So the daemon
// goes on, serving its status and metrics (gongsync_oauth_login_required is 1), and
// syncs again from the first tick after the login.
func (d *Daemon) Run(ctx context.Context) error {
	fatal := make(chan error, 1)
	stop := func(rep *RunReport) bool {
		if rep == nil || !credentialsRefused(rep.Err) {
			return false
		}
		if errors.Is(rep.Err, ErrLoginRequired) {
			d.log.Warn().Str("stream", rep.Stream).Msg("waiting for `gongsync auth login`: every tick fails without a request until then")
			return false
		}
		select {
		case fatal <- &LoggedError{fmt.Errorf("%s: %w", rep.Stream, rep.Err)}:
		default:
		}
		return true
	}
	c := cron.New(cron.WithLocation(d.sched.location()), cron.WithChain(cron.SkipIfStillRunning(cronLogger{d.log})))
	for _, job := range d.sched.jobs() {
		group := job[0]
		_, err := c.AddFunc(job[1], func() {
			if ctx.Err() != nil {
				return
			}
			d.log.Debug().Str("job", group).Msg("tick")
			stop(d.runGroup(ctx, group))
		})
		if err != nil {
			return fmt.Errorf("schedule %s %q: %w", group, job[1], err)
		}
	}
	if newest, err := d.e.st.NewestCallStarted(ctx); err == nil && newest != nil {
		d.e.m.ObserveNewestCall(*newest) // the lag is right from the first scrape
	}
	d.e.observeTranscriptBacklog(ctx)

	// Don't make the operator wait for the first tick: sync what is due now, before the
	// schedules start, so that refused credentials cost one request, not one per job.
	reports, err := d.e.Pass(ctx, nil, KindScheduled, false)
	for _, r := range reports {
		if stop(r) {
			d.log.Info().Str("reason", stoppedByCredentials).Msg("daemon stopped")
			return <-fatal
		}
	}
	var logged *LoggedError
	if err != nil && ctx.Err() == nil && !errors.As(err, &logged) {
		d.log.Error().Err(err).Msg("first pass failed; the schedule goes on")
	}
	c.Start()
	d.log.Info().Str("calls", d.sched.Calls).Str("users", d.sched.Users).Str("settle", d.sched.Settle).
		Str("daily", d.sched.Daily).Str("time_zone", d.sched.location().String()).Msg("daemon started")

	var failure error
	select {
	case <-ctx.Done():
		d.log.Info().Msg("stopping: finishing the pages in flight")
	case failure = <-fatal:
		d.log.Info().Msg("stopping: finishing the other jobs' pages in flight")
	}
	<-c.Stop().Done()
	if failure != nil {
		d.log.Info().Str("reason", stoppedByCredentials).Msg("daemon stopped")
		return failure
	}
	d.log.Info().Msg("daemon stopped")
	return nil
}

// stoppedByCredentials is why a daemon stops on its own; the failed run's line, just
// before, holds Gong's answer.
const stoppedByCredentials = "Gong refused the credentials (see the failed run); fix them and start the daemon again"

// runGroup runs the streams of a schedule group, in the order of streamDefs (the
// calls, then their transcripts), and returns the report of the last run. A pause, a
// shutdown or refused credentials end the group there: every later request would be
// refused the same way.
func (d *Daemon) runGroup(ctx context.Context, group string) *RunReport {
	var last *RunReport
	for _, s := range streamDefs {
		if !slices.Contains(s.schedules, group) {
			continue
		}
		last = d.e.runStream(ctx, s, KindScheduled, false, false)
		if last.Status == store.RunPaused || ctx.Err() != nil || credentialsRefused(last.Err) {
			break
		}
	}
	return last
}

// cronLogger lets robfig/cron log through zerolog.
type cronLogger struct{ log zerolog.Logger }

func (l cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" {
		l.log.Info().Msg("previous run of this job is still going: skipping this tick")
		return
	}
	l.log.Debug().Fields(kv).Msg("cron: " + msg)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error().Err(err).Fields(kv).Msg("cron: " + msg)
}
