package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gongsync/gongsync/internal/suggest"
	"github.com/gongsync/gongsync/store"
)

// Stream names, as they appear in sync_state, sync_runs and --streams.
const (
	StreamUsers       = "users"
	StreamWorkspaces  = "workspaces"
	StreamTrackers    = "trackers"
	StreamCalls       = "calls"
	StreamTranscripts = "transcripts"
	StreamSettle      = "settle"
	StreamSweep       = "sweep"
	StreamBackfill    = "backfill"

	// The streams beyond calls, read once a day: what each user did each day and their
	// interaction stats (dated: Gong keeps them per calendar day and revises recent
	// days), the library, and the call outcome definitions (full refreshes).
	StreamUserActivity     = "user_activity"
	StreamInteractionStats = "user_interaction_stats"
	StreamLibrary          = "library"
	StreamCallOutcomes     = "call_outcomes"
)

// streamDef is one stream: its name, the advisory lock it runs under, when it is due,
// and its work. A stream's entry is where everything that lists streams reads them
// from; docs/ARCHITECTURE.md says what else adding a stream touches.
type streamDef struct {
	name string
	// lock is the advisory lock the stream runs under: streams that write the same rows
	// over the same windows share one (the calls stream and the settle pass).
	lock string
	// refresh marks a full refresh: a backfill that names no stream brings along the
	// ones never completed, so that calls can be joined to them at once.
	refresh bool
	// every, when set, is how often a pass that names no stream runs this one: it is
	// due once its last complete run is that old (UsersMaxAge for users, workspaces and
	// trackers; a day for the daily streams), or when a run of it was left under way.
	// Nil: every pass.
	every func(o *Options) time.Duration
	// onDemand marks a stream that runs only when named or scheduled (the settle pass):
	// never one of the streams a pass finds due.
	onDemand bool
	// refusable: Gong refusing the stream's endpoint for want of a scope is recorded,
	// and the stream skipped for a day (every stream but the backfill, which an operator
	// always asks for by name).
	refusable bool
	// scopes are the OAuth scopes Gong asks of the stream's endpoints; `auth login` asks
	// for every stream's (OAuthScopes).
	scopes []string
	// kind, when set, is the kind every run of the stream has (the settle pass).
	kind RunKind
	// schedules are the daemon's schedule groups whose ticks run the stream (calls,
	// users, settle, daily; see Schedules).
	schedules []string
	// dueAt, when set, paces the stream on its schedule groups' ticks: a tick before
	// the time it says runs nothing (the answered scorecards, ReviewsDueAt). Passes
	// that name the stream, and first passes, run it whenever.
	dueAt func(e *Engine, ctx context.Context) (time.Time, error)
	// work does one run; its error decides the run's status.
	work func(e *Engine, ctx context.Context, r *run) error
	// backfill, for a dated stream (data Gong keeps by date), reads [from, to) as part of
	// `gongsync backfill`, resumably; nil for the others.
	backfill func(e *Engine, ctx context.Context, r *run, from, to time.Time) error
}

// streamDefs are the streams in the order a pass runs them: users first so calls can be
// joined to them at once, transcripts after the calls they belong to.
var streamDefs = []*streamDef{
	{name: StreamUsers, scopes: scopeUsers, lock: StreamUsers, refresh: true, every: usersMaxAge, refusable: true, schedules: []string{scheduleUsers},
		work: (*Engine).syncUsers},
	{name: StreamWorkspaces, scopes: scopeWorkspaces, lock: StreamWorkspaces, refresh: true, every: usersMaxAge, refusable: true, schedules: []string{scheduleUsers},
		work: (*Engine).syncWorkspaces},
	{name: StreamTrackers, scopes: scopeTrackers, lock: StreamTrackers, refresh: true, every: usersMaxAge, refusable: true, schedules: []string{scheduleUsers},
		work: (*Engine).syncTrackers},
	{name: StreamCalls, scopes: scopeCalls, lock: StreamCalls, refusable: true, schedules: []string{scheduleCalls},
		work: (*Engine).syncCalls},
	// The calls stream and the settle pass read overlapping windows of the same rows:
	// they share one lock rather than spend requests reading the same calls twice.
	{name: StreamSettle, scopes: scopeCalls, lock: StreamCalls, onDemand: true, refusable: true, kind: KindSettle, schedules: []string{scheduleSettle},
		work: (*Engine).settle},
	// The sweep re-reads the history older than the settle window, a daily slice at a
	// time (sweep.go). It writes the same rows as the calls stream and the settle pass,
	// so it shares their lock.
	{name: StreamSweep, scopes: scopeCalls, lock: StreamCalls, onDemand: true, refusable: true, kind: KindSweep, schedules: []string{scheduleSettle},
		work: sweepOf(StreamSweep)},
	{name: StreamTranscripts, scopes: scopeTranscripts, lock: StreamTranscripts, refusable: true, schedules: []string{scheduleCalls, scheduleSettle},
		work: (*Engine).syncTranscripts},

	// Scorecards (scorecards.go): the definitions are refreshed with the users; the
	// answered scorecards run with the calls, and their settle pass with the calls'
	// (one lock: the same rows over overlapping windows of review dates).
	{name: StreamScorecards, scopes: scopeScorecards, lock: StreamScorecards, refresh: true, every: usersMaxAge, refusable: true, schedules: []string{scheduleUsers},
		work: (*Engine).syncScorecards},
	{name: StreamAnsweredScorecards, scopes: scopeReviews, lock: StreamAnsweredScorecards, refusable: true, schedules: []string{scheduleCalls},
		dueAt: (*Engine).ReviewsDueAt, work: (*Engine).syncAnsweredScorecards, backfill: (*Engine).backfillAnsweredScorecards},
	{name: StreamAnsweredScorecardsSettle, scopes: scopeReviews, lock: StreamAnsweredScorecards, onDemand: true, refusable: true, kind: KindSettle,
		schedules: []string{scheduleSettle}, work: (*Engine).settleAnsweredScorecards},
	// The sweep's part for them re-reads the older review dates (sweep.go), under the
	// same lock.
	{name: StreamAnsweredScorecardsSweep, scopes: scopeReviews, lock: StreamAnsweredScorecards, onDemand: true, refusable: true, kind: KindSweep,
		schedules: []string{scheduleSettle}, work: sweepOf(StreamAnsweredScorecardsSweep)},

	// Once a day, on the daily schedule: the dated streams re-read the settle window's
	// days (Gong revises them), and reach back with `backfill --from`; the library and
	// the outcome definitions change seldom and cost a request per folder or one.
	{name: StreamUserActivity, scopes: scopeActivity, lock: StreamUserActivity, every: oncePerDay, refusable: true, schedules: []string{scheduleDaily},
		work: (*Engine).syncUserActivity, backfill: (*Engine).backfillUserActivity},
	{name: StreamInteractionStats, scopes: scopeInteraction, lock: StreamInteractionStats, every: oncePerDay, refusable: true, schedules: []string{scheduleDaily},
		work: (*Engine).syncInteractionStats, backfill: (*Engine).backfillInteractionStats},
	{name: StreamLibrary, scopes: scopeLibrary, lock: StreamLibrary, refresh: true, every: oncePerDay, refusable: true, schedules: []string{scheduleDaily},
		work: (*Engine).syncLibrary},
	{name: StreamCallOutcomes, lock: StreamCallOutcomes, refresh: true, every: oncePerDay, refusable: true, schedules: []string{scheduleDaily},
		work: (*Engine).syncCallOutcomes},

	// Issue 26 (permissions.go, crm.go): the permission profiles with their users are a
	// full refresh at the users' cadence, after the workspaces they are listed by; the
	// CRM schema a daily full refresh; the manual CRM associations an incremental read
	// at the users' cadence (a request or so a run: they are made by hand).
	{name: StreamPermissionProfiles, scopes: scopePermissionProfiles, lock: StreamPermissionProfiles, refresh: true, every: usersMaxAge, refusable: true,
		schedules: []string{scheduleUsers}, work: (*Engine).syncPermissionProfiles},
	{name: StreamCrmSchema, scopes: scopeCrmSchema, lock: StreamCrmSchema, refresh: true, every: oncePerDay, refusable: true,
		schedules: []string{scheduleDaily}, work: (*Engine).syncCrmSchema},
	{name: StreamManualCrmAssociations, scopes: scopeManualAssociations, lock: StreamManualCrmAssociations, every: usersMaxAge, refusable: true,
		schedules: []string{scheduleUsers}, work: (*Engine).syncManualCrmAssociations, backfill: (*Engine).backfillManualCrmAssociations},
	// The Engage flows: a daily slice of the owners, a full refresh a week (flows.go).
	// The audit logs: each log type from its high-water mark, daily, and back with
	// `backfill --from` (logs.go).
	{name: StreamFlows, scopes: scopeFlows, lock: StreamFlows, every: oncePerDay, refusable: true, schedules: []string{scheduleDaily},
		work: (*Engine).syncFlows},
	{name: StreamLogs, scopes: scopeLogs, lock: StreamLogs, every: oncePerDay, refusable: true, schedules: []string{scheduleDaily},
		work: (*Engine).syncLogs, backfill: (*Engine).backfillLogs},
}

// The OAuth scopes of the streams' endpoints, as Gong's document names them. The call
// outcomes' endpoint is not in the document, which names no scope for it.
var (
	scopeUsers       = []string{"api:users:read"}
	scopeWorkspaces  = []string{"api:workspaces:read"}
	scopeTrackers    = []string{"api:settings:trackers:read"}
	scopeCalls       = []string{"api:calls:read:basic", "api:calls:read:extensive"}
	scopeTranscripts = []string{"api:calls:read:transcript"}
	scopeScorecards  = []string{"api:settings:scorecards:read"}
	scopeReviews     = []string{"api:stats:scorecards"}
	scopeActivity    = []string{"api:stats:user-actions:detailed"}
	scopeInteraction = []string{"api:stats:interaction"}
	scopeLibrary     = []string{"api:library:read"}
	// The document names no scope for the profiles' list, and api:users:read for the
	// list of a profile's users.
	scopePermissionProfiles = []string{"api:users:read"}
	scopeCrmSchema          = []string{"api:crm:integrations:read", "api:crm:schema"}
	scopeManualAssociations = []string{"api:crm-calls:manual-association:read"}
)

// OAuthScopes are the scopes an OAuth login asks Gong for: every stream's, in the
// order a pass runs the streams, each once.
func OAuthScopes() []string {
	var out []string
	for _, s := range streamDefs {
		for _, sc := range s.scopes {
			if !slices.Contains(out, sc) {
				out = append(out, sc)
			}
		}
	}
	return out
}

// The cadences of the streams a pass runs only when they are due (streamDef.every).
func usersMaxAge(o *Options) time.Duration { return o.UsersMaxAge }
func oncePerDay(*Options) time.Duration    { return 24 * time.Hour }

// backfillDef is the backfill's run: Backfill starts it, never a pass.
var backfillDef = &streamDef{name: StreamBackfill, lock: StreamBackfill, kind: KindBackfill}

// AllStreams are the streams a pass may find due, in the order it runs them.
var AllStreams = func() []string {
	var out []string
	for _, s := range streamDefs {
		if !s.onDemand {
			out = append(out, s.name)
		}
	}
	return out
}()

func findStream(name string) *streamDef {
	for _, s := range streamDefs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// BackfillStreams are the streams `gongsync backfill --streams` takes, in the order a
// pass runs them: the calls and their transcripts, the full refreshes a backfill brings
// along, and the dated streams it reaches back over.
func BackfillStreams() []string {
	var out []string
	for _, s := range streamDefs {
		if s.name == StreamCalls || s.name == StreamTranscripts || s.refresh || s.backfill != nil {
			out = append(out, s.name)
		}
	}
	return out
}

// ParseBackfillStreams checks a backfill's --streams list as ParseStreams does, and
// that a backfill can read each stream: the settle passes and the sweep re-read what
// is synced already, and have no range to backfill.
func ParseBackfillStreams(s string) ([]string, error) {
	streams, err := ParseStreams(s)
	if err != nil {
		return nil, err
	}
	return streams, checkBackfillStreams(streams)
}

func checkBackfillStreams(streams []string) error {
	ok := BackfillStreams()
	for _, name := range streams {
		if !slices.Contains(ok, name) {
			return fmt.Errorf("stream %q has no range to backfill: it re-reads what is synced (a backfill reads: %s)",
				name, strings.Join(ok, ", "))
		}
	}
	return nil
}

// ParseStreams checks a --streams list and puts it in the order a pass runs the
// streams. Empty means "the streams that are due".
func ParseStreams(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if findStream(name) == nil {
			var known []string
			for _, d := range streamDefs {
				known = append(known, d.name)
			}
			if near := suggest.Nearest(name, known); len(near) > 0 {
				return nil, fmt.Errorf("unknown stream %q (did you mean %s?)", name, strings.Join(near, " or "))
			}
			return nil, fmt.Errorf("unknown stream %q (known: %s)", name, strings.Join(known, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		return slices.Index(streamDefs, findStream(a)) - slices.Index(streamDefs, findStream(b))
	})
	return out, nil
}

// Due returns the streams a pass runs when none are named: calls and transcripts
// always; the others once their last complete run is older than their cadence
// (streamDef.every: UsersMaxAge for users, workspaces and trackers, a day for the
// daily streams), so a scheduler calling `sync` every 15 minutes does not refresh
// users 96 times a day nor re-read a week of activity every time.
func (e *Engine) Due(ctx context.Context) ([]string, error) {
	var due []string
	for _, s := range streamDefs {
		if s.onDemand {
			continue
		}
		if s.every != nil {
			fresh, err := e.completedWithin(ctx, s.name, s.every(&e.opt))
			if err != nil {
				return nil, err
			}
			if fresh {
				continue
			}
		}
		due = append(due, s.name)
	}
	return due, nil
}

// dueNow says whether a scheduled tick runs the stream now: always, unless it is paced
// (streamDef.dueAt) and its time has not come.
func (e *Engine) dueNow(ctx context.Context, s *streamDef) (bool, error) {
	if s == nil || s.dueAt == nil {
		return true, nil
	}
	at, err := s.dueAt(e, ctx)
	if err != nil {
		return false, err
	}
	return !e.now().Before(at), nil
}

// RunStream runs one stream once. wait says whether to wait for another process
// holding the stream, or to skip. A stream Gong refused for want of a scope less than a
// day ago is skipped.
func (e *Engine) RunStream(ctx context.Context, stream string, kind RunKind, wait bool) *RunReport {
	return e.runNamed(ctx, stream, kind, wait, false)
}

// runNamed runs one stream once; askRefused asks Gong even when it refused the stream
// for want of a scope less than a day ago.
func (e *Engine) runNamed(ctx context.Context, stream string, kind RunKind, wait, askRefused bool) *RunReport {
	s := findStream(stream)
	if s == nil {
		return &RunReport{Stream: stream, Kind: kind, Status: store.RunFailed, Err: fmt.Errorf("unknown stream %q", stream)}
	}
	return e.runStream(ctx, s, kind, wait, askRefused)
}

// Pass runs the named streams (or, when none are named, those that are due) one after
// the other. It stops early when the budget pauses a run (every later request would
// be refused too) and when Gong refuses the credentials (every later request would be
// refused the same way: one request, one error). A refusal for want of a scope fails
// only its stream; a stream refused so less than a day ago is skipped, unless a `sync`
// names it. It stops too when the database is unreachable: every later run would
// fail the same way. The error joins the failures, each already logged with its run (a
// *LoggedError); a pause is not a failure.
func (e *Engine) Pass(ctx context.Context, streams []string, kind RunKind, wait bool) ([]*RunReport, error) {
	askRefused := kind == KindSync && len(streams) > 0
	if len(streams) == 0 {
		var err error
		if streams, err = e.Due(ctx); err != nil {
			return nil, err
		}
	}
	var reports []*RunReport
	var errs []error
	for _, s := range streams {
		if ctx.Err() != nil {
			break
		}
		// A scheduler's tick (the daemon's first pass, `sync --schedule`) runs a paced
		// stream only once it is due, as the daemon's ticks do.
		if kind == KindScheduled {
			if due, err := e.dueNow(ctx, findStream(s)); err != nil {
				return reports, err
			} else if !due {
				continue
			}
		}
		rep := e.runNamed(ctx, s, kind, wait, askRefused)
		reports = append(reports, rep)
		if rep.Status == store.RunFailed {
			errs = append(errs, fmt.Errorf("%s: %w", s, rep.Err))
		}
		if rep.Status == store.RunPaused || CredentialsRefused(rep.Err) || store.Unreachable(rep.Err) {
			break
		}
	}
	if len(errs) > 0 {
		return reports, &LoggedError{errors.Join(errs...)}
	}
	return reports, ctx.Err()
}
