package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

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
)

// streamDef is one stream: its name, the advisory lock it runs under, when it is due,
// and its work. Adding a stream is adding one entry to streamDefs.
type streamDef struct {
	name string
	// lock is the advisory lock the stream runs under: streams that write the same rows
	// over the same windows share one (the calls stream and the settle pass).
	lock string
	// refresh marks a full refresh, due only every UsersMaxAge.
	refresh bool
	// onDemand marks a stream that runs only when named or scheduled (the settle pass):
	// never one of the streams a pass finds due.
	onDemand bool
	// refusable: Gong refusing the stream's endpoint for want of a scope is recorded,
	// and the stream skipped for a day (every stream but the backfill, which an operator
	// always asks for by name).
	refusable bool
	// kind, when set, is the kind every run of the stream has (the settle pass).
	kind Kind
	// schedules are the daemon's schedule groups whose ticks run the stream (calls,
	// users, settle, daily; see Schedules).
	schedules []string
	// work does one run; its error decides the run's status.
	work func(e *Engine, ctx context.Context, r *run) error
	// backfill, for a dated stream (data Gong keeps by date), reads [from, to) as part of
	// `gongsync backfill`, resumably; nil for the others.
	backfill func(e *Engine, ctx context.Context, r *run, from, to time.Time) error
}

// streamDefs are the streams in the order a pass runs them: users first so calls can be
// joined to them at once, transcripts after the calls they belong to.
var streamDefs = []*streamDef{
	{name: StreamUsers, lock: StreamUsers, refresh: true, refusable: true, schedules: []string{scheduleUsers},
		work: (*Engine).syncUsers},
	{name: StreamWorkspaces, lock: StreamWorkspaces, refresh: true, refusable: true, schedules: []string{scheduleUsers},
		work: (*Engine).syncWorkspaces},
	{name: StreamTrackers, lock: StreamTrackers, refresh: true, refusable: true, schedules: []string{scheduleUsers},
		work: (*Engine).syncTrackers},
	{name: StreamCalls, lock: StreamCalls, refusable: true, schedules: []string{scheduleCalls},
		work: (*Engine).syncCalls},
	// The calls stream and the settle pass read overlapping windows of the same rows:
	// they share one lock rather than spend requests reading the same calls twice.
	{name: StreamSettle, lock: StreamCalls, onDemand: true, refusable: true, kind: KindSettle, schedules: []string{scheduleSettle},
		work: (*Engine).settle},
	// The sweep re-reads the history older than the settle window, a daily slice at a
	// time (sweep.go). It writes the same rows as the calls stream and the settle pass,
	// so it shares their lock.
	{name: StreamSweep, lock: StreamCalls, onDemand: true, refusable: true, kind: KindSweep, schedules: []string{scheduleSettle},
		work: (*Engine).sweep},
	{name: StreamTranscripts, lock: StreamTranscripts, refusable: true, schedules: []string{scheduleCalls, scheduleSettle},
		work: (*Engine).syncTranscripts},
}

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
// always; users, workspaces and trackers only when their last complete refresh is older
// than UsersMaxAge, so a scheduler calling `sync` every 15 minutes does not refresh
// users 96 times a day.
func (e *Engine) Due(ctx context.Context) ([]string, error) {
	var due []string
	for _, s := range streamDefs {
		if s.onDemand {
			continue
		}
		if s.refresh {
			cp, err := e.loadRefresh(ctx, s.name)
			if err != nil {
				return nil, err
			}
			if cp.CompletedAt != nil && e.now().Sub(*cp.CompletedAt) < e.opt.UsersMaxAge && cp.StartedAt == nil {
				continue
			}
		}
		due = append(due, s.name)
	}
	return due, nil
}

// RunStream runs one stream once. wait says whether to wait for another process
// holding the stream, or to skip. A stream Gong refused for want of a scope less than a
// day ago is skipped.
func (e *Engine) RunStream(ctx context.Context, stream string, kind Kind, wait bool) *RunReport {
	return e.runNamed(ctx, stream, kind, wait, false)
}

// runNamed runs one stream once; askRefused asks Gong even when it refused the stream
// for want of a scope less than a day ago.
func (e *Engine) runNamed(ctx context.Context, stream string, kind Kind, wait, askRefused bool) *RunReport {
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
// names it. The error joins the failures, each already logged with its run (a
// *LoggedError); a pause is not a failure.
func (e *Engine) Pass(ctx context.Context, streams []string, kind Kind, wait bool) ([]*RunReport, error) {
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
		rep := e.runNamed(ctx, s, kind, wait, askRefused)
		reports = append(reports, rep)
		if rep.Status == store.RunFailed {
			errs = append(errs, fmt.Errorf("%s: %w", s, rep.Err))
		}
		if rep.Status == store.RunPaused || credentialsRefused(rep.Err) {
			break
		}
	}
	if len(errs) > 0 {
		return reports, &LoggedError{errors.Join(errs...)}
	}
	return reports, ctx.Err()
}
