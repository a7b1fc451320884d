package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Many connections: one multi-tenant simulated Gong (`fake-gong --tenants`), a
// registry of one connection per tenant, and `gongsync run` worker processes sharing
// them through River, with Gong's limits off: how the throughput grows with workers,
// and what Postgres spends. Then, on the same database, what a connection costs in
// steady state: a scheduled tick of the calls stream (and the transcripts run after
// it) finding nothing new, and the nightly settle pass re-reading a week of calls.

// benchKey is the key the benchmark's registries seal their secrets with (a test
// value, not a secret).
const benchKey = "5f1e3c2b4a69788796a5b4c3d2e1f0aa5f1e3c2b4a69788796a5b4c3d2e1f0aa"

// fleetRun is one sync of every connection by some workers.
type fleetRun struct {
	Workers, Slots, Connections int
	Calls, Sentences            int64
	Wall                        time.Duration // from the workers' start to the last connection's first pass done
	PGCPU, WorkerCPU, FakeCPU   float64       // seconds
	Bytes                       int64         // every table of every connection's schema
	Requests                    int64
	Runs                        int // sync_runs rows: one per job that ran a stream
	// Load is the machine's load average when the workers stopped: what else was
	// competing for its cores while they ran.
	Load string
}

// steadyRun is a connection's steady state, measured on a synced registry.
type steadyRun struct {
	Ticks        int     // calls runs of the schedule that found nothing new (each followed by a transcripts run)
	TickRuns     int     // every run of those ticks (calls and transcripts)
	TickPGCPU    float64 // Postgres seconds over those ticks, River's queue included
	TickRequests int64
	TickJobSecs  float64 // seconds the runs held a worker, summed
	RunRowBytes  float64 // bytes on disk per sync_runs row
	SettleCalls  int     // calls re-read by the settle passes
	SettlePGCPU  float64
	SettleWall   time.Duration
}

// fleetEnv is the environment of a gongsync process of the benchmark's registry in db.
func fleetEnv(db, fakeURL string, extra ...string) []string {
	return gongsyncEnv(db, fakeURL, append([]string{"GONG_RATE_LIMIT=0", "GONGSYNC_ENCRYPTION_KEY=" + benchKey,
		"GONGSYNC_SCHEDULE_CALLS=@every 1h", "GONGSYNC_SCHEDULE_USERS=@every 6h", "GONGSYNC_SCHEDULE_SETTLE=@every 24h"}, extra...)...)
}

// fleetDataset is when the tenants' calls start: from 6.5 to 3.5 days ago, so that a
// worker's first calls window (the last 7 days) holds them all, and every one was
// processed (late calls come at most 72 hours after they end) before the run began.
func fleetDataset() []string {
	now := time.Now().UTC()
	return []string{"--from", now.Add(-156 * time.Hour).Format(time.RFC3339), "--to", now.Add(-84 * time.Hour).Format(time.RFC3339)}
}

// fleet syncs c.connCount connections of c.connCalls calls each with workers
// processes of c.connSlots jobs each; then, when given, measures more on the database
// before it is dropped.
func fleet(ctx context.Context, e *env, c config, workers int, then func(ctx context.Context, db string, f *fake) error) (*fleetRun, error) {
	args := append([]string{"--tenants", fmt.Sprint(c.connCount), "--seed", fmt.Sprint(workers), "--calls", fmt.Sprint(c.connCalls),
		"--sentences-per-call", fmt.Sprint(c.sentences), "--rate-limit", "0", "--daily-limit", "0"}, fleetDataset()...)
	f, db, stop, err := e.fakeAndDatabase(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer stop()
	for i := 1; i <= c.connCount; i++ {
		env := fleetEnv(db, f.url, fmt.Sprintf("GONG_ACCESS_KEY=fake-access-key-%d", i), fmt.Sprintf("GONG_ACCESS_KEY_SECRET=fake-access-key-secret-%d", i))
		if _, err := e.runGongsync(ctx, env, "connections", "add", fmt.Sprintf("c%d", i), "--schema", fmt.Sprintf("gong_c%d", i)); err != nil {
			return nil, err
		}
	}
	time.Sleep(200 * time.Millisecond) // the adds' backends exit: Postgres's CPU below is the sync's
	pg0, err := e.postgresCPU(ctx)
	if err != nil {
		return nil, err
	}
	fake0 := f.cpu()
	run := &fleetRun{Workers: workers, Slots: c.connSlots, Connections: c.connCount}
	began := time.Now()
	var procs []*running
	for range workers {
		p, err := e.start(ctx, fleetEnv(db, f.url, fmt.Sprintf("GONGSYNC_WORKERS=%d", c.connSlots)), "run")
		if err != nil {
			return nil, err
		}
		procs = append(procs, p)
	}
	err = waitFleet(ctx, db, c.connCount, 10*time.Minute)
	run.Wall = time.Since(began)
	run.Load = loadAverage()
	for _, p := range procs {
		pr, serr := p.stop()
		if serr != nil && err == nil {
			err = serr
		}
		if pr != nil {
			run.WorkerCPU += pr.CPU
		}
	}
	if err != nil {
		return nil, err
	}
	run.FakeCPU = f.cpu() - fake0
	time.Sleep(200 * time.Millisecond)
	pg1, err := e.postgresCPU(ctx)
	if err != nil {
		return nil, err
	}
	run.PGCPU = pg1 - pg0
	st, err := f.stats(ctx)
	if err != nil {
		return nil, err
	}
	run.Requests = st.Total
	if err := run.load(ctx, db, c.connCount); err != nil {
		return nil, err
	}
	if run.Calls < int64(c.connCount*c.connCalls*9/10) {
		return nil, fmt.Errorf("%d connections of %d calls: %d calls stored", c.connCount, c.connCalls, run.Calls)
	}
	if then != nil {
		if err := then(ctx, db, f); err != nil {
			return nil, err
		}
	}
	return run, nil
}

// schemasUnion is a UNION ALL of q over every connection's schema (%s: the schema).
func schemasUnion(n int, q string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(q, fmt.Sprintf("gong_c%d", i+1))
	}
	return strings.Join(parts, " UNION ALL ")
}

// waitFleet waits until every connection ran its first pass to its end and the queue
// holds nothing left to do.
func waitFleet(ctx context.Context, db string, n int, limit time.Duration) error {
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	done := `SELECT (SELECT count(*) FROM (` + schemasUnion(n, `SELECT '%[1]s' AS s FROM %[1]s.sync_runs WHERE status = 'succeeded'
		AND details->>'more' IS NULL AND stream IN ('users', 'workspaces', 'trackers', 'calls', 'transcripts')
		GROUP BY 1 HAVING count(DISTINCT stream) = 5`) + `) d),
		(SELECT count(*) FROM gongsync.river_job WHERE state IN ('available', 'running', 'retryable', 'pending'))`
	deadline := time.Now().Add(limit)
	for {
		var synced, queued int
		err := conn.QueryRow(ctx, done).Scan(&synced, &queued)
		if err == nil && synced == n && queued == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d connections synced after %s (%v)", synced, n, limit, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// load reads what the connections hold.
func (r *fleetRun) load(ctx context.Context, db string, n int) error {
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.QueryRow(ctx, `SELECT
		(SELECT sum(n) FROM (`+schemasUnion(n, `SELECT count(*) AS n FROM %s.calls`)+`) c)::bigint,
		(SELECT sum(n) FROM (`+schemasUnion(n, `SELECT count(*) AS n FROM %s.transcript_sentences`)+`) s)::bigint,
		(SELECT sum(n) FROM (`+schemasUnion(n, `SELECT count(*) AS n FROM %s.sync_runs`)+`) r)::int,
		(SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
			WHERE s.nspname LIKE 'gong\_c%' AND c.relkind = 'r')::bigint`).Scan(&r.Calls, &r.Sentences, &r.Runs, &r.Bytes)
}

// steady measures a synced registry's steady state: ticks of the calls schedule every
// tickEvery for tickFor with nothing new in Gong, then the settle pass of settleConns
// connections, one `gongsync sync --streams settle` each.
func steady(ctx context.Context, e *env, c config, db string, f *fake) (*steadyRun, error) {
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	var since time.Time
	if err := conn.QueryRow(ctx, `SELECT now()`).Scan(&since); err != nil {
		return nil, err
	}
	if err := f.resetStats(ctx); err != nil {
		return nil, err
	}
	time.Sleep(200 * time.Millisecond)
	pg0, err := e.postgresCPU(ctx)
	if err != nil {
		return nil, err
	}
	p, err := e.start(ctx, fleetEnv(db, f.url, fmt.Sprintf("GONGSYNC_WORKERS=%d", c.connSlots),
		"GONGSYNC_SCHEDULE_CALLS=@every "+c.tickEvery.String()), "run")
	if err != nil {
		return nil, err
	}
	time.Sleep(c.tickFor)
	if _, err := p.stop(); err != nil {
		return nil, err
	}
	time.Sleep(200 * time.Millisecond)
	pg1, err := e.postgresCPU(ctx)
	if err != nil {
		return nil, err
	}
	s := &steadyRun{TickPGCPU: pg1 - pg0}
	st, err := f.stats(ctx)
	if err != nil {
		return nil, err
	}
	s.TickRequests = st.Total
	n := c.connCount
	if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE stream = 'calls'), count(*),
			coalesce(sum(extract(epoch FROM finished_at - started_at)), 0)
		FROM (`+schemasUnion(n, `SELECT stream, started_at, finished_at FROM %s.sync_runs WHERE started_at > $1 AND kind = 'scheduled'`)+`) r`,
		since).Scan(&s.Ticks, &s.TickRuns, &s.TickJobSecs); err != nil {
		return nil, err
	}
	if err := conn.QueryRow(ctx, `SELECT sum(pg_total_relation_size(c.oid))::float8 / (SELECT sum(n) FROM (`+
		schemasUnion(n, `SELECT count(*) AS n FROM %s.sync_runs`)+`) r)
		FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname LIKE 'gong\_c%' AND c.relname = 'sync_runs'`).
		Scan(&s.RunRowBytes); err != nil {
		return nil, err
	}
	if s.Ticks == 0 {
		return nil, fmt.Errorf("no scheduled calls run in %s", c.tickFor)
	}

	pg0, err = e.postgresCPU(ctx)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	for i := 1; i <= c.settleConns; i++ {
		if _, err := e.runGongsync(ctx, fleetEnv(db, f.url), "sync", "--connection", fmt.Sprintf("c%d", i), "--streams", "settle", "--no-migrate"); err != nil {
			return nil, err
		}
	}
	s.SettleWall = time.Since(began)
	time.Sleep(200 * time.Millisecond)
	pg1, err = e.postgresCPU(ctx)
	if err != nil {
		return nil, err
	}
	s.SettlePGCPU = pg1 - pg0
	if err := conn.QueryRow(ctx, `SELECT coalesce(sum(records), 0)::int FROM (`+
		schemasUnion(c.settleConns, `SELECT records FROM %s.sync_runs WHERE stream = 'settle'`)+`) r`).Scan(&s.SettleCalls); err != nil {
		return nil, err
	}
	return s, nil
}

// running is a gongsync process started and not yet waited for.
type running struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

// start starts a long-running gongsync command (a worker).
func (e *env) start(ctx context.Context, environ []string, args ...string) (*running, error) {
	r := &running{cmd: exec.CommandContext(ctx, e.bin, args...)}
	r.cmd.Env = environ
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("gongsync %s: %w", args[0], err)
	}
	return r, nil
}

// stop ends the process with SIGTERM (it commits its pages in flight) and returns what
// it cost.
func (r *running) stop() (*proc, error) {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(90 * time.Second):
		_ = r.cmd.Process.Kill()
		err = fmt.Errorf("still running 90 s after SIGTERM")
		<-done
	}
	p := &proc{Stdout: r.out.String()}
	if ru, ok := r.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		p.MaxRSS = ru.Maxrss * 1024
		p.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	if err != nil {
		return p, fmt.Errorf("worker: %w\n%s", err, tail(r.out.String(), 3000))
	}
	return p, nil
}

// connectionsPhase runs the phase: the workers' sweep, then the steady state on the
// first sweep's database.
func connectionsPhase(ctx context.Context, e *env, r *report) error {
	c := r.cfg
	for _, k := range []int{1, 2, 3} {
		for rep := range c.connReps {
			say(r.began, "%d connections of %d calls synced by %d worker process(es) of %d jobs, limits off %d/%d",
				c.connCount, c.connCalls, k, c.connSlots, rep+1, c.connReps)
			var then func(ctx context.Context, db string, f *fake) error
			if k == 1 && rep == 0 {
				then = func(ctx context.Context, db string, f *fake) error {
					say(r.began, "  steady state: scheduled ticks every %s for %s, then %d settle passes", c.tickEvery, c.tickFor, c.settleConns)
					var err error
					r.steady, err = steady(ctx, e, c, db, f)
					return err
				}
			}
			run, err := fleet(ctx, e, c, k, then)
			if err != nil {
				return fmt.Errorf("%d connections, %d workers: %w", c.connCount, k, err)
			}
			say(r.began, "  %s: %.0f calls/s; Postgres %.1f cores busy", run.Wall.Round(time.Second), float64(run.Calls)/run.Wall.Seconds(),
				run.PGCPU/run.Wall.Seconds())
			r.fleet = append(r.fleet, run)
		}
	}
	return nil
}

// onlyConnections measures the phase alone and writes its section into the existing
// report, and the figures of docs/SCALING.md.
func onlyConnections(ctx context.Context, e *env, r *report) error {
	if err := connectionsPhase(ctx, e, r); err != nil {
		return err
	}
	old, err := os.ReadFile(r.cfg.out)
	if err != nil {
		return err
	}
	var b strings.Builder
	r.writeConnections(func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) })
	doc := spliceSection(string(old), connectionsHeading, b.String(), "Where the time goes: the profile")
	if err := os.WriteFile(r.cfg.out, []byte(doc), 0o644); err != nil {
		return err
	}
	say(r.began, "wrote the many connections' section of %s", r.cfg.out)
	return r.writeScalingDoc()
}
