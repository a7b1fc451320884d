// Command bench measures what a sync costs, for `make bench`, and writes
// docs/BENCHMARKS.md: the requests a backfill, an incremental sync and a settle pass
// spend (counted by the simulated Gong), the pace held against Gong's 3 requests/s,
// end-to-end and store throughput with rate limits off, peak memory, how the time
// per 1,000 calls holds up as the tables grow, and, on the largest backfill's
// database, the example queries of docs/queries.sql, the MCP server's search_calls and
// get_transcript, and the room transcript turns and chunks take. Everything runs as
// real processes (bin/gongsync against bin/gongsync fake-gong) on a throwaway Postgres
// cluster of the test harness; the store figures come from its Go benchmarks.
//
// Every figure is repeated (-reps) and reported as its median and spread. Numbers in
// the docs come only from this command: the file says so, and how it was run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gongsync/gongsync/internal/pgtest"
)

// config is what a run of the benchmarks measures; the defaults are `make bench`.
type config struct {
	bin         string
	out         string
	reps        int // repetitions of every figure
	bigReps     int // repetitions of the largest backfill
	e2eCalls    int
	sentences   int // average transcript length of the end-to-end backfills
	bigSent     int // average transcript length of the largest backfill
	callsOnly   int
	bigCalls    int
	paceCalls   int // calls of a single paced backfill
	dualCalls   int // calls of each of the two paced backfills sharing a quota
	storeCount  int
	queryReps   int  // runs of each example query on the largest backfill's database
	mcpReps     int  // calls of each MCP tool input on the largest backfill's database
	onlyQueries bool // measure the example queries alone and splice their section into out
	onlyEconomy bool // measure the request economy alone and splice its section into out

	connCount       int           // connections of the many-connections phase
	connCalls       int           // calls of each of them
	connSlots       int           // jobs at once per worker process (GONGSYNC_WORKERS)
	connReps        int           // runs per worker count
	tickEvery       time.Duration // the calls schedule of the steady state
	tickFor         time.Duration // how long the steady state is measured
	settleConns     int           // connections whose settle pass is measured
	onlyConnections bool          // measure the many connections alone and splice their section into out (and docs/SCALING.md)
	onlySweep       bool          // run the sweep's 20-day scenario alone and splice its section into out
	onlyTurns       bool          // measure keeping transcript turns and chunks current alone and splice its section into out
	onlyDay         bool          // measure a day at the default schedules alone and splice its subsection into out
	onlyLag         bool          // measure the lag call by call alone and splice its section into out
	turnsCount      int           // runs of BenchmarkTurnsAndChunksCost
	sweepFrom       string        // with onlySweep: the figures a run of the scenario already wrote (GONGSYNC_BENCH_OUT), instead of running it
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "bin/gongsync", "the gongsync binary to measure (make bench builds it)")
	flag.StringVar(&c.out, "out", "docs/BENCHMARKS.md", "where to write the report")
	flag.IntVar(&c.reps, "reps", 3, "repetitions of each figure")
	flag.IntVar(&c.bigReps, "big-reps", 1, "repetitions of the largest backfill (the slowest figure)")
	flag.IntVar(&c.e2eCalls, "e2e-calls", 10_000, "calls in the end-to-end throughput backfill")
	flag.IntVar(&c.sentences, "sentences-per-call", 250, "average transcript length of the end-to-end backfills (a 30-minute call has a few hundred)")
	flag.IntVar(&c.bigSent, "big-sentences-per-call", 40, "average transcript length of the largest backfill (realistic lengths would take it past make bench's 10 minutes)")
	flag.IntVar(&c.callsOnly, "calls-only-calls", 20_000, "calls in the end-to-end backfill of the calls stream alone")
	flag.IntVar(&c.bigCalls, "big-calls", 100_000, "calls in the largest backfill (memory and scaling)")
	flag.IntVar(&c.paceCalls, "pace-calls", 1_000, "calls in a paced backfill (about 23 requests)")
	flag.IntVar(&c.dualCalls, "dual-calls", 600, "calls in each of two paced backfills sharing the quota")
	flag.IntVar(&c.storeCount, "store-count", 5, "repetitions of the store benchmarks (they are short and the floors are close)")
	flag.IntVar(&c.queryReps, "query-reps", 5, "runs of each example query of docs/queries.sql on the largest backfill's database")
	flag.IntVar(&c.mcpReps, "mcp-reps", 20, "calls of each input of the MCP tools search_calls and get_transcript on the largest backfill's database")
	flag.BoolVar(&c.onlyQueries, "only-queries", false, "only backfill -big-calls calls and time the example queries and the MCP tools, and measure the transcript tables; rewrite their sections of -out")
	flag.BoolVar(&c.onlyEconomy, "only-economy", false, "only measure the request economy (-reps times); rewrite its section of -out")
	flag.IntVar(&c.connCount, "connections", 50, "connections (companies of one multi-tenant fake) of the many-connections phase")
	flag.IntVar(&c.connCalls, "connection-calls", 200, "calls of each connection")
	flag.IntVar(&c.connSlots, "connection-workers", 4, "jobs at once per worker process (GONGSYNC_WORKERS)")
	flag.IntVar(&c.connReps, "connection-reps", 1, "runs per worker count (1, 2 and 3 processes)")
	flag.DurationVar(&c.tickEvery, "tick-every", 3*time.Second, "the calls schedule while the steady state is measured")
	flag.DurationVar(&c.tickFor, "tick-for", 30*time.Second, "how long the steady state is measured")
	flag.IntVar(&c.settleConns, "settle-connections", 10, "connections whose settle pass is measured")
	flag.BoolVar(&c.onlyConnections, "only-connections", false, "only measure the many connections; rewrite their section of -out and the figures of docs/SCALING.md")
	flag.BoolVar(&c.onlySweep, "only-sweep", false, "only run the sweep's 20 virtual days; rewrite its section of -out")
	flag.StringVar(&c.sweepFrom, "sweep-from", "", "with -only-sweep: read the figures a run of the scenario wrote to GONGSYNC_BENCH_OUT instead of running it (it takes half an hour on a loaded machine)")
	flag.BoolVar(&c.onlyDay, "only-day", false, "only measure a day at the default schedules (one go test -bench); rewrite its subsection of -out")
	flag.BoolVar(&c.onlyTurns, "only-turns", false, "only measure keeping transcript turns and chunks current; rewrite its section of -out")
	flag.IntVar(&c.turnsCount, "turns-count", 5, "runs of the paired turns and chunks benchmark (two pairs of 1,000 calls each)")
	flag.BoolVar(&c.onlyLag, "only-lag", false, "only measure the lag call by call (a business day with and without GONGSYNC_FRESHNESS=2m, and with webhooks); rewrite its section of -out")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	began := time.Now()
	if c.onlyTurns {
		// The store's benchmark alone: no binary to measure.
		return onlyTurns(ctx, &report{cfg: c, began: began})
	}
	if c.onlyDay {
		// The sync package's benchmark alone: no binary to measure.
		return onlyDay(ctx, &report{cfg: c, began: began})
	}
	if c.onlyLag {
		return onlyLag(ctx, &report{cfg: c, began: began}) // sync's benchmark alone, too
	}
	if _, err := os.Stat(c.bin); err != nil {
		return fmt.Errorf("%s is missing: run `make build` first (make bench does)", c.bin)
	}
	bin, err := filepath.Abs(c.bin)
	if err != nil {
		return err
	}
	r := &report{cfg: c, began: began, machine: describeMachine(ctx)}
	if c.onlySweep {
		return onlySweep(ctx, r)
	}

	cluster, err := pgtest.StartCluster()
	if err != nil {
		return err
	}
	defer cluster.Stop()
	e := &env{bin: bin, cluster: cluster, admin: cluster.URL("postgres")}
	r.postgres = describePostgres(ctx, e.admin)
	if c.onlyQueries {
		return onlyQueries(ctx, e, r)
	}
	if c.onlyEconomy {
		return onlyEconomy(ctx, e, r)
	}
	if c.onlyConnections {
		return onlyConnections(ctx, e, r)
	}

	for i := range c.reps {
		say(began, "request economy %d/%d", i+1, c.reps)
		run, err := economy(ctx, e, i+1)
		if err != nil {
			return fmt.Errorf("request economy: %w", err)
		}
		r.economy = append(r.economy, run)
	}
	for i := range c.reps {
		say(began, "pacing, one process %d/%d", i+1, c.reps)
		run, err := pacing(ctx, e, i+1, c.paceCalls, 1)
		if err != nil {
			return fmt.Errorf("pacing: %w", err)
		}
		r.pace1 = append(r.pace1, run)
	}
	for i := range c.reps {
		say(began, "pacing, two processes sharing the quota %d/%d", i+1, c.reps)
		run, err := pacing(ctx, e, i+1, c.dualCalls, 2)
		if err != nil {
			return fmt.Errorf("pacing with two processes: %w", err)
		}
		r.pace2 = append(r.pace2, run)
	}

	say(began, "a day at the default schedules (go test -bench)")
	if r.day, err = dayFigures(ctx); err != nil {
		return err
	}

	say(began, "store benchmarks (go test -bench, %d times)", c.storeCount)
	if r.store, r.storeCmd, err = storeFigures(ctx, c.storeCount); err != nil {
		return err
	}

	// The first end-to-end backfill also writes a CPU profile; its overhead (a few
	// per cent) is one run of three, which the median shrugs off.
	// Kept after the run (bin/ is build output) for `go tool pprof bin/gongsync FILE`.
	profPath, err := filepath.Abs(filepath.Join(filepath.Dir(c.bin), "bench-cpu.pprof"))
	if err != nil {
		return err
	}
	for i := range c.reps {
		say(began, "end-to-end backfill of %d calls %d/%d", c.e2eCalls, i+1, c.reps)
		profile := ""
		if i == 0 {
			profile = profPath
		}
		run, err := backfill(ctx, e, i+1, c.e2eCalls, c.sentences, profile, false)
		if err != nil {
			return fmt.Errorf("end-to-end backfill: %w", err)
		}
		say(began, "  %.0f calls/s, peak RSS %.0f MiB", float64(run.Calls)/run.Proc.Wall.Seconds(), mib(float64(run.Proc.MaxRSS)))
		r.e2e = append(r.e2e, run)
	}
	r.profRun = r.e2e[0]
	for i := range c.reps {
		say(began, "end-to-end backfill of %d calls, calls stream alone %d/%d", c.callsOnly, i+1, c.reps)
		run, err := backfill(ctx, e, i+1, c.callsOnly, c.sentences, "", true)
		if err != nil {
			return fmt.Errorf("calls-only backfill: %w", err)
		}
		say(began, "  %.0f calls/s", float64(run.Calls)/run.Proc.Wall.Seconds())
		r.callsOnly = append(r.callsOnly, run)
	}
	if r.costs, r.profSeconds, r.profTop, err = profileCosts(ctx, bin, profPath); err != nil {
		return err
	}
	say(began, "  CPU profile of that backfill: %s", profPath)
	for i := range c.bigReps {
		say(began, "end-to-end backfill of %d calls %d/%d", c.bigCalls, i+1, c.bigReps)
		// The first one's database then answers the example queries and the MCP tools.
		var then func(ctx context.Context, db string) error
		if i == 0 {
			then = r.measureDatabase
		}
		run, err := backfillThen(ctx, e, i+1, c.bigCalls, c.bigSent, "", false, then)
		if err != nil {
			return fmt.Errorf("large backfill: %w", err)
		}
		say(began, "  %.0f calls/s, peak RSS %.0f MiB", float64(run.Calls)/run.Proc.Wall.Seconds(), mib(float64(run.Proc.MaxRSS)))
		r.big = append(r.big, run)
	}

	if err := connectionsPhase(ctx, e, r); err != nil {
		return err
	}
	say(began, "the sweep on the daemon's schedules, 20 virtual days")
	if r.sweep, err = sweepFigures(ctx, ""); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	say(began, "turns and chunks, paired with sentences alone (go test -bench)")
	if r.turns, r.turnsCmd, err = turnsFigures(ctx, c.turnsCount); err != nil {
		return fmt.Errorf("turns and chunks: %w", err)
	}

	say(began, "the lag call by call, a business day in three modes (go test -bench)")
	if r.lag, r.lagTook, err = lagFigures(ctx); err != nil {
		return fmt.Errorf("lag: %w", err)
	}

	r.took = time.Since(began)
	r.loadAfter = loadAverage()
	if err := os.WriteFile(c.out, []byte(r.markdown()), 0o644); err != nil {
		return err
	}
	say(began, "wrote %s", c.out)
	if err := r.writeScalingDoc(); err != nil {
		return err
	}
	say(began, "wrote the figures of %s", scalingDoc)
	return nil
}

func say(began time.Time, format string, args ...any) {
	fmt.Printf("[%5.0fs] %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
}
