package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/gongsync/gongsync/internal/config"
	gsync "github.com/gongsync/gongsync/sync"
	"github.com/gongsync/gongsync/sync/fleet"
	"github.com/rs/zerolog"
)

// queueBackfill hands a connection's backfill to the workers: one job, unique while
// it waits or runs, that reads GONGSYNC_REQUESTS_PER_JOB requests at a time behind
// every connection's scheduled runs.
func queueBackfill(ctx context.Context, m *Main, c *cli, cfg *config.Config, req gsync.BackfillRequest) error {
	if c.conn == nil {
		return usageErrorf("--queue needs --connection NAME: the workers run a registry's connections")
	}
	if len(req.Streams) > 0 {
		return usageErrorf("--queue backfills every stream; drop --streams")
	}
	control, err := openControl(ctx, cfg, c.logger(cfg))
	if err != nil {
		return err
	}
	defer control.Close()
	if err := control.Migrate(ctx); err != nil {
		return err
	}
	added, err := fleet.EnqueueBackfill(ctx, control, c.conn.Name, req.From, req.To)
	if err != nil {
		return err
	}
	if !added {
		fmt.Fprintf(m.Stdout, "a backfill of connection %s is queued or running already; `gongsync status --connection %s` shows it\n", c.conn.Name, c.conn.Name)
		return nil
	}
	fmt.Fprintf(m.Stdout, "backfill of connection %s queued for the workers; `gongsync status --connection %s` shows its progress\n", c.conn.Name, c.conn.Name)
	return nil
}

func runBackfill(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "backfill", "--from 2024-01-01 [--to 2024-07-01] [--streams …] [--wait]", `
Sync a historical range of calls (and their transcripts, then every review of those
calls and the range's days of user activity and interaction stats; users, workspaces,
trackers, scorecard definitions, the library and call outcomes too when they were
never synced), checkpointed after every page. --streams reads only the streams named.
Running the same command again continues where it stopped without fetching committed
pages again. Backfills may spend GONG_BACKFILL_SHARE of the daily budget; when that is
spent the backfill stops cleanly, says how far it got and when it can go on, and exits
0 (--wait sleeps until the budget resets and goes on instead). Stopped by SIGINT or
SIGTERM, it commits the page in flight, says how to resume, and exits 130 or 143.`,
		config.Database|config.Gong|config.Budget|config.Sync)
	from := c.fs.String("from", "", "start of the range (inclusive): a date (2024-01-01, UTC) or an RFC 3339 time (required)")
	to := c.fs.String("to", "", "end of the range (exclusive), at most now; default: now, fixed when the backfill first starts")
	streamsFlag := c.fs.String("streams", "", "limit to some of: "+strings.Join(gsync.BackfillStreams(), ", "))
	wait := c.fs.Bool("wait", false, "when the budget is spent, sleep until it resets and go on")
	noMigrate := c.fs.Bool("no-migrate", false, "do not apply pending migrations first")
	progress := c.fs.String("progress", "auto", "progress display: bar, log, none, or auto (a bar on a terminal, log lines otherwise)")
	queue := c.fs.Bool("queue", false, "with --connection: hand the backfill to the workers (gongsync run) as a job instead of running it here")
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
	now := time.Now()
	futureTo := false
	if *to != "" {
		if req.To, err = parseWhen(*to); err != nil {
			return usageErrorf("--to: %v", err)
		}
		// Gong has no calls after now: a later end would only spend requests on
		// empty windows. The zero To is "now, fixed when the backfill first starts".
		if futureTo = req.To.After(now); futureTo {
			req.To = time.Time{}
		}
	}
	switch {
	case !req.To.IsZero() && !req.From.Before(req.To):
		return usageErrorf("--from %s is not before --to %s", *from, *to)
	case req.To.IsZero() && !req.From.Before(now):
		return usageErrorf("--from %s is not before now (%s)", *from, now.UTC().Format(time.RFC3339))
	}
	if req.Streams, err = gsync.ParseBackfillStreams(*streamsFlag); err != nil {
		return usageError{err}
	}
	switch *progress {
	case "auto", "bar", "log", "none":
	default:
		return usageErrorf("--progress: want bar, log, none or auto, got %q", *progress)
	}
	if err := c.requireActive(); err != nil {
		return err
	}
	if *queue {
		return queueBackfill(ctx, m, c, cfg, req)
	}

	relaxGC(m.getenv)
	mode := *progress
	if mode == "auto" {
		mode = "log"
		if isTerminal(m.Stderr) {
			mode = "bar"
		}
	}
	pr := &progressPrinter{w: m.Stderr, mode: mode}
	log := c.loggerTo(pr.logWriter(), cfg)
	pr.log = log
	if futureTo {
		log.Warn().Str("to", *to).Msg("--to is in the future: backfilling up to now")
	}
	a, err := openApp(ctx, cfg, log, appOptions{migrate: !*noMigrate, gong: true})
	if err != nil {
		return err
	}
	defer a.Close()

	req.Progress = pr.update
	rep, err := a.engine.Backfill(ctx, req)
	pr.finish()
	if rep != nil {
		fmt.Fprintln(m.Stdout, rep.Message())
	}
	// Stopped by a signal: the last page is committed and the line above says how to
	// go on; whatever the cancellation made fail on its way out is not news.
	if ctx.Err() != nil && rep != nil && !rep.Done {
		return interruptedError{}
	}
	return err
}

// backfillGCPercent is the garbage collector's GOGC for a backfill. Its live heap is
// small and steady (one page of calls or transcripts at a time), and at the
// default 100 the collector takes about a sixth of its CPU. Re-measured after blocks
// became json.RawMessage (paired farm-bench runs, 10,000 calls with 250-sentence
// transcripts): gongsync's CPU 15.6 → 12.9 s, peak RSS 48 → 116 MiB, which stays
// flat however long the backfill (make bench: under 150 MiB at 100,000 calls).
const backfillGCPercent = 400

// relaxGC applies backfillGCPercent unless GOGC says otherwise: the operator's
// setting wins.
func relaxGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
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
// or a structured log line every few seconds for log collectors. In bar mode the log
// writes through it, so that a log line takes the bar's place and the bar is drawn
// again below it, instead of the line starting where the bar ends.
type progressPrinter struct {
	mu      sync.Mutex
	w       io.Writer
	log     zerolog.Logger
	mode    string
	last    time.Time
	bar     string // the bar as last drawn, "" when none is on screen
	lastPos gsync.BackfillProgress
}

// clearLine returns the cursor to the start of the line and erases it.
const clearLine = "\r\x1b[K"

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
		p.bar = fmt.Sprintf("[%s] %3.0f%% %s  %d calls  %d requests  budget left %d  ETA %s  (%s)",
			bar, 100*pr.Fraction, pr.Position.UTC().Format(time.DateOnly), pr.Calls, pr.Requests, pr.BudgetLeft, eta, pr.Phase)
		fmt.Fprint(p.w, clearLine+p.bar)
	case "log":
		if time.Since(p.last) < 5*time.Second && pr.Phase != "done" && pr.Phase != "waiting" {
			return
		}
		p.last = time.Now()
		ev := p.log.Info().Str("phase", pr.Phase).Time("position", pr.Position.UTC()).Float64("percent", float64(int(1000*pr.Fraction))/10).
			Int64("calls", pr.Calls).Int("requests", pr.Requests).Int("budget_left", pr.BudgetLeft)
		if pr.ETA > 0 {
			ev = ev.Dur("eta", pr.ETA.Round(time.Second))
		}
		ev.Msg("backfill progress")
	}
}

// logWriter is where the backfill's log goes: through the printer in bar mode.
func (p *progressPrinter) logWriter() io.Writer {
	if p.mode != "bar" {
		return p.w
	}
	return barLogWriter{p}
}

// barLogWriter writes a log line in place of the bar, then draws the bar again.
type barLogWriter struct{ p *progressPrinter }

func (b barLogWriter) Write(line []byte) (int, error) {
	p := b.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != "" {
		if _, err := io.WriteString(p.w, clearLine); err != nil {
			return 0, err
		}
	}
	n, err := p.w.Write(line)
	if err == nil && p.bar != "" {
		_, err = io.WriteString(p.w, p.bar)
	}
	return n, err
}

func (p *progressPrinter) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != "" {
		fmt.Fprintln(p.w)
		p.bar = ""
	}
}
