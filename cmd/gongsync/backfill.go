package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/gongsync/gongsync/internal/config"
	gsync "github.com/gongsync/gongsync/sync"
	"github.com/rs/zerolog"
)

func runBackfill(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "backfill", "--from 2024-01-01 [--to 2024-07-01] [--streams …] [--wait]", `
Sync a historical range of calls (and their transcripts; users, workspaces and
trackers too when they were never synced) in windows, checkpointed after every page.
Running the same command again continues where it stopped without fetching committed
pages again. Backfills may spend GONG_BACKFILL_SHARE of the daily budget; when that is
spent the backfill stops cleanly, says how far it got and when it can go on, and exits
0 (--wait sleeps until the budget resets and goes on instead).`,
		config.Database|config.Gong|config.Budget|config.Sync)
	from := c.fs.String("from", "", "start of the range (inclusive): a date (2024-01-01, UTC) or an RFC 3339 time (required)")
	to := c.fs.String("to", "", "end of the range (exclusive); default: now, fixed when the backfill first starts")
	streamsFlag := c.fs.String("streams", "", "limit to some of: calls, transcripts, users, workspaces, trackers")
	wait := c.fs.Bool("wait", false, "when the budget is spent, sleep until it resets and go on")
	noMigrate := c.fs.Bool("no-migrate", false, "do not apply pending migrations first")
	progress := c.fs.String("progress", "auto", "progress display: bar, log, none, or auto (a bar on a terminal, log lines otherwise)")
	cfg, err := c.parse(args)
	if err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", c.fs.Args())
	}
	req := gsync.BackfillRequest{Wait: *wait}
	if *from == "" {
		return usageErrorf("--from is required (e.g. --from 2024-01-01)")
	}
	if req.From, err = parseWhen(*from); err != nil {
		return usageErrorf("--from: %v", err)
	}
	if *to != "" {
		if req.To, err = parseWhen(*to); err != nil {
			return usageErrorf("--to: %v", err)
		}
		if !req.From.Before(req.To) {
			return usageErrorf("--from must be before --to")
		}
	}
	if req.Streams, err = gsync.ParseStreams(*streamsFlag); err != nil {
		return usageError{err}
	}
	switch *progress {
	case "auto", "bar", "log", "none":
	default:
		return usageErrorf("--progress: want bar, log, none or auto, got %q", *progress)
	}

	relaxGC()
	log := c.logger(cfg)
	a, err := openApp(ctx, cfg, log, appOptions{migrate: !*noMigrate, gong: true})
	if err != nil {
		return err
	}
	defer a.Close()

	mode := *progress
	if mode == "auto" {
		mode = "log"
		if isTerminal(m.Stderr) {
			mode = "bar"
		}
	}
	pr := &progressPrinter{w: m.Stderr, log: log, mode: mode}
	req.Progress = pr.update
	rep, err := a.engine.Backfill(ctx, req)
	pr.finish()
	if rep != nil {
		fmt.Fprintln(m.Stdout, rep.Message())
	}
	if err != nil {
		return err
	}
	if ctx.Err() != nil && !rep.Done {
		return fmt.Errorf("interrupted: %s", rep.Message())
	}
	return nil
}

// backfillGCPercent is the garbage collector's GOGC for a backfill. Its live heap is
// small and steady (one page of calls or transcripts at a time), and at the
// default 100 the collector took about a sixth of its CPU. Measured on a 10,000-call
// backfill: CPU 5.9 → 4.8 s, wall 13.4 → 13.0 s, peak RSS 33 → 64 MiB, which stays
// flat however long the backfill (make bench: under 150 MiB at 100,000 calls).
const backfillGCPercent = 400

// relaxGC applies backfillGCPercent unless GOGC says otherwise: the operator's
// setting wins.
func relaxGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(backfillGCPercent)
	}
}

// parseWhen accepts a date (midnight UTC) or an RFC 3339 time.
func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (2024-01-01) nor an RFC 3339 time (2024-01-01T00:00:00Z)", s)
	}
	return t, nil
}

// progressPrinter shows a backfill's progress: a bar redrawn in place on a terminal,
// or a structured log line every few seconds for log collectors.
type progressPrinter struct {
	mu      sync.Mutex
	w       io.Writer
	log     zerolog.Logger
	mode    string
	last    time.Time
	drawn   bool
	lastPos gsync.BackfillProgress
}

func (p *progressPrinter) update(pr gsync.BackfillProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastPos = pr
	switch p.mode {
	case "bar":
		if time.Since(p.last) < 100*time.Millisecond && pr.Phase != "done" {
			return
		}
		p.last = time.Now()
		const width = 30
		filled := int(pr.Fraction * width)
		bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
		eta := "–"
		if pr.ETA > 0 {
			eta = pr.ETA.Round(time.Second).String()
		}
		fmt.Fprintf(p.w, "\r[%s] %3.0f%% %s  %d calls  %d requests  budget left %d  ETA %s  (%s)\x1b[K",
			bar, 100*pr.Fraction, pr.Position.UTC().Format(time.DateOnly), pr.Calls, pr.Requests, pr.BudgetLeft, eta, pr.Phase)
		p.drawn = true
	case "log":
		if time.Since(p.last) < 5*time.Second && pr.Phase != "done" && pr.Phase != "waiting" {
			return
		}
		p.last = time.Now()
		ev := p.log.Info().Str("phase", pr.Phase).Time("position", pr.Position).Float64("percent", float64(int(1000*pr.Fraction))/10).
			Int64("calls", pr.Calls).Int("requests", pr.Requests).Int("budget_left", pr.BudgetLeft)
		if pr.ETA > 0 {
			ev = ev.Dur("eta", pr.ETA.Round(time.Second))
		}
		ev.Msg("backfill progress")
	}
}

func (p *progressPrinter) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
