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
	// Freshness, when set (GONGSYNC_FRESHNESS), takes the calls and their transcripts
	// (FreshStreams) off the calls schedule: the freshness controller times their polls,
	// keeping the day's projected requests under FreshnessShare of the daily budget.
	// The calls schedule's other streams keep its ticks. Zero keeps the schedule as it is.
	Freshness      time.Duration
	FreshnessShare float64
}

// TickStreams are the streams a daemon's tick of the schedule group runs, in order:
// the group's streams, less those the freshness loop polls when a target is set.
func (s Schedules) TickStreams(group string) []string {
	streams := groupStreams(group)
	if s.Freshness > 0 && group == scheduleCalls {
		streams = slices.DeleteFunc(streams, func(n string) bool { return slices.Contains(FreshStreams, n) })
	}
	return streams
}

// ScheduleStatus is one schedule and its next run.
type ScheduleStatus struct {
	Job      string    `json:"job"`
	Spec     string    `json:"spec"`
	TimeZone string    `json:"time_zone"`
	Next     time.Time `json:"next_run"`
}

// Zone is the time zone the specs are read in: Location, or UTC.
func (s Schedules) Zone() *time.Location {
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
	// scheduleFresh is the freshness loop's (GONGSYNC_FRESHNESS): FreshStreams, timed
	// by the controller, not by a spec of its own.
	scheduleFresh = "fresh"
)

// ScheduleGroup is one schedule: a group of streams and the cron spec its ticks follow.
type ScheduleGroup struct {
	Name string // calls, users, settle or daily
	Spec string
	// First is the stream a tick of the group runs first ("" when no stream belongs to
	// the group); RunScheduled names the ones after it.
	First string
	// OnStart says that the first pass of a daemon or a worker runs the group's streams
	// that are due: the calls, and the streams with a cadence (users, the daily ones)
	// when their last run is older than it. The settle pass waits for its tick.
	OnStart bool
}

// Groups are the schedules, in the order ticks of the same minute run.
func (s Schedules) Groups() []ScheduleGroup {
	groups := []ScheduleGroup{{Name: scheduleCalls, Spec: s.Calls, OnStart: true}, {Name: scheduleUsers, Spec: s.Users, OnStart: true},
		{Name: scheduleSettle, Spec: s.Settle}}
	if s.Daily != "" {
		groups = append(groups, ScheduleGroup{Name: scheduleDaily, Spec: s.Daily, OnStart: true})
	}
	for i := range groups {
		groups[i].First = groupNext(groups[i].Name, "")
	}
	return groups
}

// Next returns each schedule's first run after now.
func (s Schedules) Next(now time.Time) ([]ScheduleStatus, error) {
	loc := s.Zone()
	var out []ScheduleStatus
	for _, g := range s.Groups() {
		sched, err := cron.ParseStandard(g.Spec)
		if err != nil {
			return nil, fmt.Errorf("schedule %s %q: %w", g.Name, g.Spec, err)
		}
		// A spec without CRON_TZ= runs in the zone of the time it is given.
		out = append(out, ScheduleStatus{Job: g.Name, Spec: g.Spec, TimeZone: loc.String(), Next: sched.Next(now.In(loc))})
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
// same minute in the order of Groups): what the daemon runs over that span. The
// benchmarks replay a day at the default schedules on a virtual clock with it.
func (s Schedules) Ticks(from, to time.Time) ([]Tick, error) {
	loc := s.Zone()
	var out []Tick
	for _, g := range s.Groups() {
		sched, err := cron.ParseStandard(g.Spec)
		if err != nil {
			return nil, fmt.Errorf("schedule %s %q: %w", g.Name, g.Spec, err)
		}
		streams := groupStreams(g.Name)
		for at := sched.Next(from.In(loc).Add(-time.Second)); at.Before(to); at = sched.Next(at) {
			if !at.Before(from) {
				out = append(out, Tick{At: at, Group: g.Name, Streams: streams})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Tick) int { return a.At.Compare(b.At) })
	return out, nil
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
	// tickDone, when set (tests), hears about each scheduled tick once its group has
	// run: a test that checks a tick did nothing waits for the tick, not for a while.
	tickDone func(group string)
	// fresh is the freshness controller; nil without a target.
	fresh *Freshness
	// pollDone, when set (tests), hears about each poll of the freshness loop and the
	// decision after it.
	pollDone func(FreshnessDecision)
}

// NewDaemon checks the schedules and returns a daemon for e.
func NewDaemon(e *Engine, s Schedules) (*Daemon, error) {
	if _, err := s.Next(time.Now()); err != nil {
		return nil, err
	}
	d := &Daemon{e: e, sched: s, log: e.log.With().Str("component", "daemon").Logger()}
	if s.Freshness > 0 {
		d.fresh = e.NewFreshness(s.Freshness, s.FreshnessShare, s.Zone())
	}
	return d, nil
}

// Freshness is the daemon's freshness controller, nil without a target.
func (d *Daemon) Freshness() *Freshness { return d.fresh }

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
		if rep == nil || !CredentialsRefused(rep.Err) {
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
	c := cron.New(cron.WithLocation(d.sched.Zone()), cron.WithChain(cron.SkipIfStillRunning(cronLogger{d.log})))
	for _, g := range d.sched.Groups() {
		group := g.Name
		_, err := c.AddFunc(g.Spec, func() {
			if ctx.Err() != nil {
				return
			}
			d.log.Debug().Str("job", group).Msg("tick")
			stop(d.runGroup(ctx, group))
			if d.tickDone != nil {
				d.tickDone(group)
			}
		})
		if err != nil {
			return fmt.Errorf("schedule %s %q: %w", group, g.Spec, err)
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
	polls := make(chan struct{})
	if d.fresh != nil {
		go func() {
			defer close(polls)
			d.pollFresh(ctx, stop)
		}()
	} else {
		close(polls)
		d.e.m.observePollInterval(0, ReasonSchedule)
	}
	d.log.Info().Str("calls", d.sched.Calls).Str("users", d.sched.Users).Str("settle", d.sched.Settle).
		Str("daily", d.sched.Daily).Str("time_zone", d.sched.Zone().String()).Msg("daemon started")

	var failure error
	select {
	case <-ctx.Done():
		d.log.Info().Msg("stopping: finishing the pages in flight")
	case failure = <-fatal:
		d.log.Info().Msg("stopping: finishing the other jobs' pages in flight")
	}
	<-c.Stop().Done()
	<-polls
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

// runStreams runs a tick of a schedule group, the streams given one after the other
// (as RunScheduled does), and returns the report of the last run. A pause, a shutdown
// or refused credentials end the tick there.
func (d *Daemon) runStreams(ctx context.Context, group string, streams []string) *RunReport {
	var last *RunReport
	for _, stream := range streams {
		// Without ifDue, RunScheduled reads nothing before the run: it has no error.
		rep, _, _ := d.e.RunScheduled(ctx, group, stream, false)
		last = rep
		if haltsTick(ctx, rep) {
			break
		}
	}
	return last
}

// runGroup runs a tick of a schedule group as the daemon's cron does.
func (d *Daemon) runGroup(ctx context.Context, group string) *RunReport {
	return d.runStreams(ctx, group, d.sched.TickStreams(group))
}

// haltsTick says that a tick ends after the run: a pause, a shutdown, or refused
// credentials (every later request would be refused the same way).
func haltsTick(ctx context.Context, rep *RunReport) bool {
	return ctx.Err() != nil || (rep != nil && (rep.Status == store.RunPaused || CredentialsRefused(rep.Err)))
}

// pollFresh is the freshness loop: it polls the calls and their transcripts, asks the
// controller how long to wait, waits, and polls again, until ctx ends or stop says the
// credentials were refused. A failed decision waits the target: it slows nothing down
// and stops nothing.
func (d *Daemon) pollFresh(ctx context.Context, stop func(*RunReport) bool) {
	for ctx.Err() == nil {
		dec, err := d.fresh.Decide(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d.log.Warn().Err(err).Msg("freshness: no decision; waiting the target")
			dec = FreshnessDecision{Interval: d.sched.Freshness, Reason: ReasonTarget}
		}
		d.log.Debug().Dur("interval", dec.Interval).Str("reason", dec.Reason).Int("projected", dec.Projected).Msg("freshness: next poll")
		if d.pollDone != nil {
			d.pollDone(dec)
		}
		t := time.NewTimer(dec.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if stop(d.runStreams(ctx, scheduleFresh, FreshStreams)) {
			return
		}
	}
}

// RunScheduled runs one stream of a schedule group as a tick of the group does, and
// names the stream the tick runs next. A tick runs the group's streams in the order of
// streamDefs (the calls, then their transcripts): a daemon in one loop, a worker of a
// fleet one job per stream, each job enqueuing the next. next is "" when the group
// ends there, or when it must stop: a pause, a shutdown or refused credentials (every
// later request would be refused the same way). With ifDue, a stream with a cadence
// (users, the daily streams) runs only when its last run is older than that cadence,
// as in a first pass: when it does not, rep is nil and next the stream after it; so
// too, always, for a paced stream (streamDef.dueAt) before it is due.
func (e *Engine) RunScheduled(ctx context.Context, group, stream string, ifDue bool) (rep *RunReport, next string, err error) {
	s := findStream(stream)
	if s == nil {
		return &RunReport{Stream: stream, Kind: KindScheduled, Status: store.RunFailed, Err: fmt.Errorf("unknown stream %q", stream)}, "", nil
	}
	if ifDue && s.every != nil {
		due, err := e.Due(ctx)
		if err != nil {
			return nil, "", err
		}
		if !slices.Contains(due, stream) {
			return nil, groupNext(group, stream), nil
		}
	}
	if due, err := e.dueNow(ctx, s); err != nil {
		return nil, "", err
	} else if !due {
		return nil, groupNext(group, stream), nil
	}
	rep = e.runStream(ctx, s, KindScheduled, false, false)
	if rep.Status == store.RunPaused || ctx.Err() != nil || CredentialsRefused(rep.Err) {
		return rep, "", nil
	}
	return rep, groupNext(group, stream), nil
}

// groupNext is the stream of the schedule group that runs after the named one, in the
// order of streamDefs (after "" the first); "" when the group ends there.
func groupNext(group, after string) string {
	streams := groupStreams(group)
	if group == scheduleFresh {
		streams = FreshStreams
	}
	if after == "" {
		if len(streams) == 0 {
			return ""
		}
		return streams[0]
	}
	if i := slices.Index(streams, after); i >= 0 && i+1 < len(streams) {
		return streams[i+1]
	}
	return ""
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
