package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/internal/config"
	"github.com/gongsync/gongsync/store"
	gsync "github.com/gongsync/gongsync/sync"
	"github.com/gongsync/gongsync/sync/fleet"
)

// statusWidth is what `gongsync status` fits its lines in without --wide.
const statusWidth = 120

func runStatus(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "status", "[--all] [--wide | --json]", `
Show each stream's high-water mark and last run; the day's request budget (used,
left, when it resets); the calls waiting for a transcript and how many are due now;
the next run of each schedule (GONGSYNC_SCHEDULE_*, in GONGSYNC_SCHEDULE_TZ); and rows
per table. Lines fit 120 columns; --wide adds open windows, cursors and whole errors,
--json prints everything. Reads Postgres only: it sends nothing to Gong.

With a connection registry: --connection NAME shows that connection so, with its
jobs in the workers' queue; --all (the default without --connection) shows every
connection, its state, its day and its queue: jobs due, running, retrying and failed
per stream.`, config.Database|config.Budget|config.Schedule)
	asJSON := c.fs.Bool("json", false, "print JSON")
	wide := c.fs.Bool("wide", false, "print every column, however wide")
	all := c.fs.Bool("all", false, "every connection of the registry (the default when there is one and no --connection)")
	cfg, err := c.parse(args)
	if err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", c.fs.Args())
	}
	if *all && cfg.Connection != "" {
		return usageErrorf("--all or --connection, not both")
	}
	log := c.logger(cfg)
	if cfg.Connection == "" {
		conns, err := registryConnections(ctx, cfg, log)
		if err != nil {
			return err
		}
		if *all && len(conns) == 0 {
			return usageErrorf("--all: there is no connection in a registry in the schema %q (GONGSYNC_CONTROL_SCHEMA)", cfg.ControlSchema)
		}
		if len(conns) > 0 {
			return fleetStatus(ctx, m, cfg, log, *asJSON)
		}
	}
	a, err := openApp(ctx, cfg, log, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	s, err := a.status(ctx)
	if err != nil {
		return err
	}
	var q *fleet.ConnectionQueue
	if cfg.Connection != "" {
		if q, err = connectionQueue(ctx, cfg, log); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		// The connection's jobs follow its status, in the same object.
		return enc.Encode(struct {
			*gsync.Status
			*fleet.ConnectionQueue
		}{s, q})
	}
	printStatus(m.Stdout, s, q, *wide)
	return nil
}

// connectionQueue reads a registry's connection's jobs.
func connectionQueue(ctx context.Context, cfg *config.Config, log zerolog.Logger) (*fleet.ConnectionQueue, error) {
	control, err := openControl(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	defer control.Close()
	return fleet.ReadConnectionQueue(ctx, control, cfg.Connection)
}

// fleetStatus prints every connection of the registry (status --all).
func fleetStatus(ctx context.Context, m *Main, cfg *config.Config, log zerolog.Logger, asJSON bool) error {
	control, err := openControl(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer control.Close()
	if ok, err := control.MigrationsCurrent(ctx); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("the control schema %q is not up to date: run `gongsync connections list` or start a worker", cfg.ControlSchema)
		}
		return err
	}
	s, err := fleet.ReadStatus(ctx, control, budgetDay(cfg, time.Now()), cfg.DailyBudget)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	printFleet(m.Stdout, s)
	return nil
}

// printFleet writes the connections, then the queue, then the failures.
func printFleet(w io.Writer, s *fleet.Status) {
	fmt.Fprintf(w, "CONNECTIONS (registry in the schema %s)\n", s.ControlSchema)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tSCHEMA\tSTATE\tREQUESTS TODAY\tNEWEST CALL\tTRANSCRIPTS WAITING\tLAST RUN")
	for _, c := range s.Connections {
		newest, last := "–", "never"
		if c.NewestCall != nil {
			newest = ago(s.Now, *c.NewestCall)
		}
		if r := c.LastRun; r != nil {
			last = fmt.Sprintf("%s %s %s", r.Stream, r.Status, ago(s.Now, r.StartedAt))
		}
		if len(c.FailingStreams) > 0 {
			last += "; failing: " + strings.Join(c.FailingStreams, ", ")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d of %d\t%s\t%d\t%s\n", c.Name, c.Schema, c.State, c.RequestsToday, c.DailyBudget, newest,
			c.TranscriptsWaiting, last)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nQUEUE (the workers' jobs, per connection and stream)")
	lines := 0
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  CONNECTION\tSTREAM\tDUE\tRUNNING\tRETRYING\tFAILED\tLATER\tWAITING SINCE")
	for _, c := range s.Connections {
		for _, q := range c.Queue {
			since := "–"
			if q.OldestDue != nil {
				since = ago(s.Now, *q.OldestDue)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", c.Name, q.Stream, q.Due, q.Running, q.Retrying, q.Failed, q.Scheduled, since)
			lines++
		}
	}
	if lines == 0 {
		fmt.Fprintln(tw, "  (empty: nothing due, nothing running)")
	}
	tw.Flush()
	for _, c := range s.Connections {
		if c.Failure != "" {
			fmt.Fprintf(w, "\n%s failed: %s\n  (fix it, then `gongsync connections resume %s`)\n", c.Name, c.Failure, c.Name)
		}
	}
}

// queue is a connection's jobs in the workers' queue (status --connection); nil
// without --connection.
func (p statusPrinter) queue(s *fleet.ConnectionQueue) {
	if s == nil {
		return
	}
	fmt.Fprintf(p.w, "\nQUEUE (connection %s)\n", s.Connection)
	if len(s.Queue) == 0 {
		fmt.Fprintln(p.w, "  empty: nothing due, nothing running")
		return
	}
	tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  STREAM\tDUE\tRUNNING\tRETRYING\tFAILED\tLATER")
	for _, q := range s.Queue {
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\n", q.Stream, q.Due, q.Running, q.Retrying, q.Failed, q.Scheduled)
	}
	tw.Flush()
}

// status is the engine's status with the configured schedules' next runs.
func (a *app) status(ctx context.Context) (*gsync.Status, error) {
	s, err := a.engine.Status(ctx)
	if err != nil {
		return nil, err
	}
	if a.cfg.ScheduleCalls != "" {
		if s.Schedules, err = a.schedules().Next(s.Now); err != nil {
			return nil, err
		}
	}
	if a.cfg.Freshness > 0 {
		// The daemon's own decision when this is the daemon; from another process, the
		// decision the controller makes from the ledger and the calls now (it assumes a
		// poll's default cost, not the daemon's measured one).
		if a.fresh != nil {
			s.Freshness = a.fresh.Last()
		}
		if s.Freshness == nil && a.budget != nil {
			d, err := a.engine.NewFreshness(a.cfg.Freshness, a.cfg.FreshnessShare, a.cfg.ScheduleTZ).Decide(ctx)
			if err != nil {
				return nil, err
			}
			s.Freshness = &d
		}
	}
	return s, nil
}

func (a *app) schedules() gsync.Schedules {
	return gsync.Schedules{Calls: a.cfg.ScheduleCalls, Users: a.cfg.ScheduleUsers, Settle: a.cfg.ScheduleSettle,
		Daily: a.cfg.ScheduleDaily, Location: a.cfg.ScheduleTZ, Freshness: a.cfg.Freshness, FreshnessShare: a.cfg.FreshnessShare}
}

// printStatus writes the status as sections, one function each; q is the
// connection's jobs in the workers' queue (nil without --connection).
func printStatus(w io.Writer, s *gsync.Status, q *fleet.ConnectionQueue, wide bool) {
	p := statusPrinter{w: w, now: s.Now, wide: wide}
	p.streams(s.Streams)
	p.refusals(s.Streams)
	p.budget(s.Budget)
	p.calls(s)
	p.sweep(s.Sweep)
	p.schedules(s.Schedules)
	p.paced(s)
	p.freshness(s.Freshness)
	p.queue(q)
	p.rows(s)
	if !wide {
		fmt.Fprintln(w, "\n(--wide adds open windows, cursors and whole errors; --json prints everything)")
	}
}

type statusPrinter struct {
	w    io.Writer
	now  time.Time
	wide bool
}

// ts is a time to the minute, UTC.
func ts(t *time.Time) string {
	if t == nil {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

// ago says how long before now t was ("3 min ago", "5 days ago"), or how long until.
func ago(now time.Time, t time.Time) string {
	if d := now.Sub(t); d >= 0 {
		return span(d) + " ago"
	}
	return "in " + span(t.Sub(now))
}

// span is a duration as a person says it: seconds, minutes, hours, then days.
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// fit cuts s to n characters, marking the cut.
func fit(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(0, n-1)]) + "…"
}

func (p statusPrinter) streams(streams []gsync.StreamStatus) {
	fmt.Fprintln(p.w, "STREAMS")
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 4, 2, ' ', 0)
	if p.wide {
		fmt.Fprintln(tw, "  STREAM\tHIGH-WATER MARK\tOPEN WINDOW\tCURSOR\tLAST COMPLETE\tLAST RUN\tRESULT")
	} else {
		fmt.Fprintln(tw, "  STREAM\tHIGH-WATER MARK\tLAST COMPLETE\tLAST RUN\tRESULT")
	}
	for _, st := range streams {
		complete := "never"
		switch r := st.LastRun; {
		case st.CompletedAt != nil:
			complete = ago(p.now, *st.CompletedAt)
		case r != nil && r.Status == store.RunSucceeded && r.FinishedAt != nil:
			// A stream without windows (the transcripts' queue, the full refreshes)
			// records no completion in its checkpoint: a run that succeeded did
			// everything that was due.
			complete = ago(p.now, *r.FinishedAt)
		}
		lastRun, result := "never", ""
		if r := st.LastRun; r != nil {
			lastRun = ago(p.now, r.StartedAt) + " (" + r.Kind + ")"
			result = fmt.Sprintf("%s, %s, %s", r.Status, plural(r.Requests, "request"), plural(r.Records, "record"))
			if p.wide && r.Late+r.Changed+r.Deleted+r.Restored > 0 {
				result += fmt.Sprintf(", late %d changed %d deleted %d restored %d", r.Late, r.Changed, r.Deleted, r.Restored)
			}
			if r.Error != "" {
				result += ": " + r.Error
			}
		}
		if st.BackfillFrom != nil {
			state := "in progress"
			if st.BackfillDone {
				state = "complete"
			}
			backfill := fmt.Sprintf("%s → %s %s", st.BackfillFrom.UTC().Format(time.DateOnly), st.BackfillTo.UTC().Format(time.DateOnly), state)
			switch {
			case st.Stream == gsync.StreamBackfill:
				result = backfill + "; " + result
			case st.LastRun != nil && st.LastRun.Kind == string(gsync.KindBackfill):
				result = "backfill " + backfill + "; " + result
			case st.LastRun != nil:
				// The result is the last run's, a sync: the stream's backfill comes
				// after it, so that the column does not read as the sync's range.
				result += "; last backfill " + backfill
			default:
				result = "backfill " + backfill
			}
		}
		if !p.wide {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", st.Stream, ts(st.HighWaterMark), complete, lastRun, result)
			continue
		}
		window, cursor := "–", "–"
		if st.WindowFrom != nil {
			window = ts(st.WindowFrom) + " → " + ts(st.WindowTo)
			if st.LastStarted != nil {
				window += " (at " + ts(st.LastStarted) + ")"
			}
		}
		if st.Cursor != "" {
			cursor = st.Cursor
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", st.Stream, ts(st.HighWaterMark), window, cursor, complete, lastRun, result)
	}
	tw.Flush()
	// The result is the last column: cutting a line to the width cuts only it.
	for _, line := range strings.SplitAfter(table.String(), "\n") {
		if !p.wide && strings.HasSuffix(line, "\n") {
			line = fit(strings.TrimSuffix(line, "\n"), statusWidth) + "\n"
		}
		fmt.Fprint(p.w, line)
	}
}

func (p statusPrinter) budget(b gsync.BudgetStatus) {
	fmt.Fprintf(p.w, "\nBUDGET (%s, %s)\n  used %d of %d, %d left; backfills used %d of %d; resets %s (%s)\n",
		b.Day, b.TimeZone, b.Used, b.Limit, b.Left, b.BackfillUsed, b.BackfillLimit, ts(&b.ResetsAt), ago(p.now, b.ResetsAt))
}

// calls is the newest call and the transcript queue, as the transcripts_waiting view
// (and docs/queries.sql's sync_health) counts it.
func (p statusPrinter) calls(s *gsync.Status) {
	newest := "–"
	if s.NewestCall != nil {
		newest = ts(s.NewestCall) + " (" + ago(p.now, *s.NewestCall) + ")"
	}
	q := s.Transcripts
	fmt.Fprintf(p.w, "\nNEWEST CALL  %s\nTRANSCRIPTS  %d calls waiting, %d due now", newest, q.Waiting, q.DueNow)
	if later := q.Waiting - q.DueNow; later > 0 {
		fmt.Fprintf(p.w, "; %d asked again later (Gong was not done with them)", later)
	}
	fmt.Fprintln(p.w)
	p.quarantine(s.Quarantine)
}

// quarantine counts, per stream, the records Gong sent that gongsync could not store;
// a status without any says nothing of it.
func (p statusPrinter) quarantine(qs []store.QuarantineCount) {
	if len(qs) == 0 {
		return
	}
	var total int64
	parts := make([]string, len(qs))
	for i, q := range qs {
		total += q.Records
		parts[i] = fmt.Sprintf("%s %d", q.Stream, q.Records)
	}
	fmt.Fprintf(p.w, "QUARANTINE   %d records Gong sent could not be stored (%s), last %s; see the quarantine table, `gongsync remap` tries them again\n",
		total, strings.Join(parts, ", "), ago(p.now, slices.MaxFunc(qs, func(a, b store.QuarantineCount) int { return a.Newest.Compare(b.Newest) }).Newest))
}

// sweep says when the sweep last read the whole history again and how far the pass
// under way has got.
func (p statusPrinter) sweep(ss []gsync.SweepStatus) {
	for _, s := range ss {
		last := "never"
		if s.LastPassAt != nil {
			last = ts(s.LastPassAt) + " (" + ago(p.now, *s.LastPassAt) + ")"
		}
		// One fact a line, under the table's name, so that each fits the width.
		lines := []string{fmt.Sprintf("SWEEP        %s: whole history last re-read %s; every %s", s.Table, last, period(s.Period))}
		if s.PassNext != nil {
			lines = append(lines, fmt.Sprintf("             this pass %.0f%% (%s → %s, up to %s), %d of %d requests today",
				100*s.PassDone, s.PassFrom.UTC().Format(time.DateOnly), s.PassTo.UTC().Format(time.DateOnly),
				s.PassNext.UTC().Format(time.DateOnly), s.TodaySpent, s.DailySlice))
		}
		if s.OldestRead != nil {
			lines = append(lines, "             oldest unread record last read "+ago(p.now, *s.OldestRead))
		}
		for _, l := range lines {
			if !p.wide {
				l = fit(l, statusWidth)
			}
			fmt.Fprintln(p.w, l)
		}
	}
}

// period is a sweep's period as a person writes it (7d, 6h, 15m, 1h30m) rather than
// Go's 168h0m0s; a period that is not a duration is shown as it is.
func period(s string) string {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return s
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.unit
		}
	}
	if b.Len() == 0 {
		return s
	}
	return b.String()
}

// plural is n with its noun, in the plural unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func (p statusPrinter) schedules(ss []gsync.ScheduleStatus) {
	if len(ss) == 0 {
		return
	}
	fmt.Fprintf(p.w, "\nSCHEDULES (%s)\n", ss[0].TimeZone)
	tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
	for _, s := range ss {
		fmt.Fprintf(tw, "  %s\t%s\tnext %s (%s)\n", s.Job, s.Spec, ts(&s.Next), ago(p.now, s.Next))
	}
	tw.Flush()
}

// paced says when the streams the schedules' ticks run only when due are next read:
// the answered scorecards (at most ReviewsEvery stale), and the next transcript due.
func (p statusPrinter) paced(s *gsync.Status) {
	if len(s.Schedules) == 0 {
		return
	}
	reviews := "at the next calls tick"
	if s.ReviewsDueAt != nil {
		reviews = "from " + ts(s.ReviewsDueAt) + " (" + ago(p.now, *s.ReviewsDueAt) + ")"
	}
	fmt.Fprintf(p.w, "  answered scorecards read on the calls' ticks at most every %s: next %s\n", s.ReviewsEvery, reviews)
	if s.NextTranscriptDue != nil {
		fmt.Fprintf(p.w, "  next transcript due %s (%s)\n", ts(s.NextTranscriptDue), ago(p.now, *s.NextTranscriptDue))
	}
}

// freshness is the freshness controller's decision: how often the calls and their
// transcripts are polled, and why; nothing without GONGSYNC_FRESHNESS.
func (p statusPrinter) freshness(d *gsync.FreshnessDecision) {
	if d == nil {
		return
	}
	fmt.Fprintf(p.w, "\nFRESHNESS (target %s)\n", d.Target)
	fmt.Fprintf(p.w, "  calls and transcripts polled every %s (%s); quiet-hour stretch %.2f, budget slowdown %.2f\n",
		d.Interval.Round(time.Second), d.Reason, d.Quiet, d.Slowdown)
	fmt.Fprintf(p.w, "  requests today %d, projected %d of %d (GONGSYNC_FRESHNESS_SHARE); a poll costs %.1f\n",
		d.Spent, d.Projected, d.Limit, d.PollCost)
}

func (p statusPrinter) rows(s *gsync.Status) {
	fmt.Fprintln(p.w, "\nROWS")
	tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', tabwriter.AlignRight)
	for _, t := range s.Tables {
		fmt.Fprintf(tw, "  %s\t%d\t\n", t.Table, t.Rows)
	}
	tw.Flush()
}

// refusals lists the streams Gong refused for want of a scope, with the scope to
// grant, and those Gong says the company's account does not offer; nothing when
// there are none.
func (p statusPrinter) refusals(streams []gsync.StreamStatus) {
	refused, unavailable := true, true
	for _, st := range streams {
		r := st.Refused
		if r == nil || r.Reason == store.RefusedNotAvailable {
			continue
		}
		if refused {
			fmt.Fprintln(p.w, "\nREFUSED BY GONG (grant the scope to the app; `gongsync sync --streams STREAM` asks again at once)")
			refused = false
		}
		fmt.Fprintf(p.w, "  %s needs the scope %s: refused %s, asked again %s\n", st.Stream, r.Scope, ago(p.now, r.At), ago(p.now, r.Until))
	}
	for _, st := range streams {
		r := st.Refused
		if r == nil || r.Reason != store.RefusedNotAvailable {
			continue
		}
		if unavailable {
			fmt.Fprintln(p.w, "\nNOT AVAILABLE IN THIS GONG ACCOUNT (not failed: the company's plan does not include it; `gongsync sync --streams STREAM` asks again at once)")
			unavailable = false
		}
		fmt.Fprintf(p.w, "  %s: %s answered as not available %s; asked again %s\n", st.Stream, r.Endpoint, ago(p.now, r.At), ago(p.now, r.Until))
	}
}
