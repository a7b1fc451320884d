package sync

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
)

// Schedules are the daemon's cron specs (five fields, or descriptors like @every 15m)
// and the time zone they are read in.
type Schedules struct {
	Calls  string // calls, then transcripts
	Users  string // users, workspaces, trackers
	Settle string // the settle pass, then transcripts
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

func (s Schedules) jobs() [][2]string {
	return [][2]string{{"calls", s.Calls}, {"users", s.Users}, {"settle", s.Settle}}
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
// ends, the pages in flight are finished and committed, and Run returns once every
// job has stopped.
func (d *Daemon) Run(ctx context.Context) error {
	c := cron.New(cron.WithLocation(d.sched.location()), cron.WithChain(cron.SkipIfStillRunning(cronLogger{d.log})))
	add := func(name, spec string, job func(ctx context.Context)) error {
		_, err := c.AddFunc(spec, func() {
			if ctx.Err() != nil {
				return
			}
			d.log.Debug().Str("job", name).Msg("tick")
			job(ctx)
		})
		return err
	}
	if err := add("calls", d.sched.Calls, d.callsJob); err != nil {
		return err
	}
	if err := add("users", d.sched.Users, d.usersJob); err != nil {
		return err
	}
	if err := add("settle", d.sched.Settle, d.settleJob); err != nil {
		return err
	}
	if newest, err := d.e.st.NewestCallStarted(ctx); err == nil && newest != nil {
		d.e.m.ObserveNewestCall(*newest) // the lag is right from the first scrape
	}
	d.e.observeTranscriptBacklog(ctx)
	c.Start()
	d.log.Info().Str("calls", d.sched.Calls).Str("users", d.sched.Users).Str("settle", d.sched.Settle).
		Str("time_zone", d.sched.location().String()).Msg("daemon started")

	// Don't make the operator wait for the first tick: sync what is due now.
	if _, err := d.e.Pass(ctx, nil, KindScheduled, false); err != nil && ctx.Err() == nil {
		d.log.Error().Err(err).Msg("first pass failed; the schedule goes on")
	}

	<-ctx.Done()
	d.log.Info().Msg("stopping: finishing the pages in flight")
	<-c.Stop().Done()
	d.log.Info().Msg("daemon stopped")
	return nil
}

func (d *Daemon) callsJob(ctx context.Context) {
	if r := d.e.RunStream(ctx, StreamCalls, KindScheduled, false); r.Status == StatusPaused || ctx.Err() != nil {
		return
	}
	d.e.RunStream(ctx, StreamTranscripts, KindScheduled, false)
}

func (d *Daemon) usersJob(ctx context.Context) {
	_, _ = d.e.Pass(ctx, []string{StreamUsers, StreamWorkspaces, StreamTrackers}, KindScheduled, false)
}

func (d *Daemon) settleJob(ctx context.Context) {
	if r := d.e.RunStream(ctx, StreamSettle, KindSettle, false); r.Status == StatusPaused || ctx.Err() != nil {
		return
	}
	d.e.RunStream(ctx, StreamTranscripts, KindSettle, false)
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
