package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gongsync/gongsync/internal/config"
	"github.com/gongsync/gongsync/store"
	gsync "github.com/gongsync/gongsync/sync"
)

func runSync(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "sync", "[--streams calls,transcripts,… | --schedule GROUP]", `
Run one incremental pass, then exit: for external schedulers (a Kubernetes CronJob,
a systemd timer). Calls, transcripts and answered scorecards are always due; users,
workspaces, trackers and scorecards only when their last complete refresh is older
than GONGSYNC_USERS_MAX_AGE, or when named in --streams (which may name any stream
of the registry, the settle passes and sweeps too). Exits 0 when every stream
succeeded or paused at the daily budget, 1 when one failed, 130 or 143 when SIGINT or SIGTERM stopped it (after
committing its last page). When another process is syncing a stream, this one waits.

--schedule GROUP runs what a tick of the daemon's schedule GROUP runs, in the same
order (the answered scorecards only once their last read is an hour old, where a
plain 'sync' reads them every time). An external scheduler that runs 'sync' every 15
minutes and 'sync --schedule settle' nightly covers what the daemon does, the sweep
included:
`+scheduleHelp(),
		config.Database|config.Gong|config.Budget|config.Sync)
	streamsFlag := c.fs.String("streams", "", "comma-separated streams to run, of "+strings.Join(gsync.StreamNames(), ", ")+" (default: those due)")
	scheduleFlag := c.fs.String("schedule", "", "run the streams of the daemon's schedule group, in its order: "+strings.Join(gsync.ScheduleGroups(), ", "))
	noMigrate := c.fs.Bool("no-migrate", false, "do not apply pending migrations first (fail if any is pending)")
	cfg, err := c.parse(args)
	if err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", c.fs.Args())
	}
	streams, err := gsync.ParseStreams(*streamsFlag)
	if err != nil {
		return usageError{err}
	}
	kind := gsync.KindSync
	if *scheduleFlag != "" {
		if len(streams) > 0 {
			return usageErrorf("--streams or --schedule, not both")
		}
		if streams, err = gsync.GroupStreams(*scheduleFlag); err != nil {
			return usageErrorf("--schedule: %v", err)
		}
		// A scheduler's tick, as the daemon's: a stream Gong refused for want of a
		// scope less than a day ago is skipped, not asked again.
		kind = gsync.KindScheduled
	}
	if err := c.requireActive(); err != nil {
		return err
	}
	log := c.logger(cfg)
	a, err := openApp(ctx, cfg, log, appOptions{migrate: !*noMigrate, gong: true})
	if err != nil {
		return err
	}
	defer a.Close()

	reports, err := a.engine.Pass(ctx, streams, kind, true)
	printReports(m, reports)
	if ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled) || interrupted(reports)) {
		return interruptedError{"the last committed page is kept and the next run resumes from it"}
	}
	return err
}

// scheduleHelp lists the schedule groups with their streams, from the registry.
func scheduleHelp() string {
	var b strings.Builder
	for _, g := range gsync.ScheduleGroups() {
		streams, _ := gsync.GroupStreams(g)
		fmt.Fprintf(&b, "\n  %-7s %s", g, strings.Join(streams, ", "))
	}
	return b.String()
}

// interrupted reports whether a run stopped because the pass was cancelled.
func interrupted(reports []*gsync.RunReport) bool {
	for _, r := range reports {
		if r.Status == store.RunInterrupted {
			return true
		}
	}
	return false
}

// printReports writes one line per run to stdout: what a person or a CronJob's log wants.
func printReports(m *Main, reports []*gsync.RunReport) {
	if len(reports) == 0 {
		return
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STREAM\tSTATUS\tREQUESTS\tRECORDS\tNEW\tLATE\tCHANGED\tDELETED\tRESTORED\tTOOK\tNOTE")
	for _, r := range reports {
		note := ""
		switch {
		case r.Status == store.RunPaused:
			note = "budget spent; resumes after " + r.PausedUntil.UTC().Format(time.RFC3339)
		case r.Status == store.RunInterrupted:
			note = "stopped by a signal; the next run resumes from the last committed page"
		case r.Status == store.RunFailed:
			// The run's error is logged with it, once (stderr).
			note = "error logged above"
		case r.Err != nil:
			note = r.Err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", r.Stream, r.Status, r.Requests, r.Records,
			r.Inserted, r.Late, r.Changed, r.Deleted, r.Restored, r.Finished.Sub(r.Started).Round(time.Millisecond), note)
	}
	tw.Flush()
}
