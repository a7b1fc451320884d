package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
	gsync "github.com/gongsync/gongsync/sync"
	"github.com/gongsync/gongsync/sync/fleet"
)

// worker is one `gongsync run` process of a registry.
type worker struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan error
}

func startWorker(t *testing.T, env map[string]string) *worker {
	t.Helper()
	w := &worker{out: &syncBuffer{}, exited: make(chan error, 1)}
	w.cmd = process(context.Background(), list(env), "run")
	w.cmd.Stdout, w.cmd.Stderr = w.out, w.out
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.exited <- w.cmd.Wait() }()
	t.Cleanup(func() { _ = w.cmd.Process.Kill() })
	return w
}

// stop sends SIGTERM and waits for a clean exit.
func (w *worker) stop(t *testing.T) {
	t.Helper()
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-w.exited:
		if err != nil {
			t.Errorf("worker %d exited with %v after SIGTERM:\n%s", w.cmd.Process.Pid, err, w.out.String())
		}
	case <-time.After(60 * time.Second):
		t.Errorf("worker %d still running 60 s after SIGTERM:\n%s", w.cmd.Process.Pid, w.out.String())
	}
}

// registryDone says whether connections c<i> of good ran their first pass to its
// end (every stream's last run complete) and the queue holds nothing left to do.
func registryDone(db string, good []int) bool {
	for _, i := range good {
		if queryInt(db, fmt.Sprintf(`SELECT count(DISTINCT stream) FROM gong_c%d.sync_runs
			WHERE status = 'succeeded' AND details->>'more' IS NULL`, i)) != len(gsync.AllStreams) {
			return false
		}
	}
	return queryInt(db, `SELECT count(*) FROM gongsync.river_job WHERE state IN ('available', 'running', 'retryable', 'pending')
		OR (state = 'scheduled' AND scheduled_at < now() + interval '1 minute')`) == 0
}

// waitDone polls registryDone until it holds, failing after limit.
func waitDone(t *testing.T, db string, good []int, limit time.Duration, workers ...*worker) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !registryDone(db, good) {
		for _, w := range workers {
			select {
			case err := <-w.exited:
				t.Fatalf("a worker exited (%v) before the work was done:\n%s", err, w.out.String())
			default:
			}
		}
		if time.Now().After(deadline) {
			for _, w := range workers {
				t.Logf("worker %d:\n%s", w.cmd.Process.Pid, w.out.String())
			}
			t.Fatalf("not done after %s", limit)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// overlappingRuns counts pairs of runs of one stream of connection c<i> (calls and
// settle together: they share a lock) that ran at the same time.
func overlappingRuns(db string, i int) int {
	return queryInt(db, fmt.Sprintf(`SELECT count(*) FROM gong_c%[1]d.sync_runs a JOIN gong_c%[1]d.sync_runs b ON a.id < b.id
		AND (a.stream = b.stream OR (a.stream IN ('calls', 'settle') AND b.stream IN ('calls', 'settle')))
		AND a.started_at < coalesce(b.finished_at, now()) AND b.started_at < coalesce(a.finished_at, now())`, i))
}

// ledger is what connection c<i>'s ledger counted.
func ledger(db string, i int) int64 {
	return int64(queryInt(db, fmt.Sprintf(`SELECT coalesce(sum(requests), 0)::int FROM gong_c%d.api_usage`, i)))
}

// Two `gongsync run` processes share a registry's connections: every connection is
// synced, the one whose secret Gong refuses fails alone (marked failed after at most a
// refusal per stream, the others untouched), /metrics labels each connection, /status
// shows the registry and its queue, and SIGTERM stops both cleanly.
func TestWorkersShareTheConnectionsAndOneFailsAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("two gongsync run processes sharing a registry: long scenario; runs in make test")
	}
	t.Parallel()
	e := newTenantsEnv(t, 4, fakegong.Options{Calls: 150, SentencesPerCall: 5})
	for i := 1; i <= 3; i++ {
		e.add(t, i)
	}
	e.add(t, 4, "GONG_ACCESS_KEY_SECRET", "not-the-secret")
	addrs := []string{freeAddr(t), freeAddr(t)}
	base := map[string]string{"GONGSYNC_WORKERS": "2", "GONGSYNC_REQUESTS_PER_JOB": "2", "LOG_LEVEL": "info",
		"GONGSYNC_SCHEDULE_CALLS": "@every 1h", "GONGSYNC_SCHEDULE_USERS": "@every 6h", "GONGSYNC_SCHEDULE_SETTLE": "@every 24h"}
	env := e.env(0)
	for k, v := range base {
		env[k] = v
	}
	env["GONGSYNC_HTTP_ADDR"] = addrs[0]
	w1 := startWorker(t, env)
	env["GONGSYNC_HTTP_ADDR"] = addrs[1]
	w2 := startWorker(t, env)
	waitDone(t, e.db, []int{1, 2, 3}, 2*time.Minute, w1, w2)

	st := e.tenants.Stats()
	for i := 1; i <= 3; i++ {
		if n := queryInt(e.db, fmt.Sprintf(`SELECT count(*) FROM gong_c%d.calls`, i)); n != 150 {
			t.Errorf("c%d holds %d calls, want 150", i, n)
		}
		// Every transcript Gong has is in; those waiting are of calls Gong has none for
		// (too short, imported), asked again later.
		if n := queryInt(e.db, fmt.Sprintf(`SELECT count(*) FROM gong_c%d.transcripts_waiting WHERE attempts = 0`, i)); n != 0 {
			t.Errorf("c%d: %d transcripts never asked for", i, n)
		}
		if got, served := ledger(e.db, i), st.Tenants[i].Total; got != served {
			t.Errorf("c%d: the ledger counted %d, Gong served %d", i, got, served)
		}
		if n := overlappingRuns(e.db, i); n != 0 {
			t.Errorf("c%d: %d pairs of runs of one stream at once", i, n)
		}
		if st.Tenants[i].Status["401"] != 0 {
			t.Errorf("c%d was refused", i)
		}
	}
	bad := st.Tenants[4]
	if bad.Status["401"] == 0 || bad.Total != bad.Status["401"] || bad.Total > 4 {
		t.Errorf("c4 (wrong secret): %d requests %v, want 1 to 4 refusals and nothing else", bad.Total, bad.Status)
	}
	if n := queryInt(e.db, `SELECT count(*) FROM gongsync.connections WHERE name = 'c4' AND failed_at IS NOT NULL AND failure LIKE '%nauthorized%'`); n != 1 {
		t.Error("c4 is not marked failed with Gong's reason")
	}
	workersSeen := queryInt(e.db, `SELECT count(DISTINCT worker) FROM (SELECT worker FROM gong_c1.sync_runs
		UNION ALL SELECT worker FROM gong_c2.sync_runs UNION ALL SELECT worker FROM gong_c3.sync_runs) r`)
	if workersSeen != 2 {
		t.Errorf("runs were recorded by %d workers, want 2", workersSeen)
	}

	// The operations servers of the workers: every connection's metrics by name, the
	// registry's and the queue's (read again at the workers' registry poll, 15 s).
	deadline := time.Now().Add(30 * time.Second)
	for {
		var metrics string
		for _, addr := range addrs {
			_, body := get("http://" + addr + "/metrics")
			metrics += body
		}
		var missing []string
		for _, want := range []string{`gongsync_runs_total{connection="c1",kind="scheduled",status="succeeded",stream="calls"}`,
			`gongsync_connections{state="failed"} 1`, `gongsync_connections{state="active"} 3`, `gongsync_budget_used_requests{connection="c3"}`} {
			if !strings.Contains(metrics, want) {
				missing = append(missing, want)
			}
		}
		if strings.Contains(metrics, "not-the-secret") {
			t.Error("/metrics shows a secret")
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("/metrics lacks %v:\n%s", missing, metrics)
			break
		}
		time.Sleep(time.Second)
	}
	addr := addrs[1]
	code, body := get("http://" + addr + "/status")
	var fs fleet.Status
	if code != 200 || json.Unmarshal([]byte(body), &fs) != nil || len(fs.Connections) != 4 || fs.Connections[3].State != "failed" {
		t.Errorf("/status: %d\n%s", code, body)
	}
	if code, body := get("http://" + addr + "/readyz"); code != 200 {
		t.Errorf("/readyz: %d %s", code, body)
	}
	w1.stop(t)
	w2.stop(t)
	for _, w := range []*worker{w1, w2} {
		if out := w.out.String(); !strings.Contains(out, `"connection":"c1"`) || strings.Contains(out, "not-the-secret") {
			t.Errorf("worker logs: connection named %v, secret shown %v", strings.Contains(out, `"connection":"c1"`), strings.Contains(out, "not-the-secret"))
		}
	}

	// With the right secret (connections add --update), the failed connection is
	// active again.
	if code, _, errOut := gongsync(t, e.env(4), "connections", "add", "c4", "--schema", "gong_c4", "--update"); code != 0 {
		t.Errorf("add c4 --update: exit %d\n%s", code, errOut)
	}
	if n := queryInt(e.db, `SELECT count(*) FROM gongsync.connections WHERE name = 'c4' AND failed_at IS NULL`); n != 1 {
		t.Error("c4 is still failed after --update")
	}
}

// TestSoakWorkersThroughAKill is the test: three `gongsync run` processes on
// twelve connections of one multi-tenant Gong at its real limits (3 requests/s and
// 10,000 a day per company); one is killed with SIGKILL mid-run and started again.
// Every connection ends with the tables of a fault-free single-worker run; no company
// answered a 429; each ledger holds what its company served (plus, for the killed
// process's jobs, a request counted and never sent); no stream ever ran in two places
// at once; each worker did its share. GONGSYNC_SOAK=1 runs it (make test-long).
func TestSoakWorkersThroughAKill(t *testing.T) {
	if os.Getenv("GONGSYNC_SOAK") == "" {
		t.Skip("soak test: set GONGSYNC_SOAK=1 (make test-long)")
	}
	t.Parallel()
	const n, perWorker = 12, 4
	good := make([]int, n)
	for i := range good {
		good[i] = i + 1
	}
	// The fake runs on the wall clock, and public comments keep arriving for two days
	// after a call is processed: the calls end four days ago, so that the reference
	// and the workers, minutes apart, are served the same calls (all within the first
	// run's seven-day window).
	now := time.Now().UTC()
	e := newTenantsEnv(t, n, fakegong.Options{Calls: 1200, SentencesPerCall: 10, RateLimit: 3, DailyLimit: 10_000,
		From: now.Add(-156 * time.Hour), To: now.Add(-96 * time.Hour)})
	base := map[string]string{"GONG_RATE_LIMIT": "3", "GONGSYNC_WORKERS": fmt.Sprint(perWorker), "GONGSYNC_REQUESTS_PER_JOB": "4",
		"GONGSYNC_JOB_TIMEOUT": "15s", "LOG_LEVEL": "info",
		"GONGSYNC_SCHEDULE_CALLS": "@every 1h", "GONGSYNC_SCHEDULE_USERS": "@every 6h", "GONGSYNC_SCHEDULE_SETTLE": "@every 24h"}
	withBase := func(env map[string]string) map[string]string {
		for k, v := range base {
			env[k] = v
		}
		return env
	}

	// The reference: one worker, no fault, in a database of its own.
	refDB := e.db
	for i := 1; i <= n; i++ {
		e.add(t, i, "GONG_RATE_LIMIT", "3")
	}
	began := time.Now()
	ref := startWorker(t, withBase(e.env(0)))
	waitDone(t, refDB, good, 10*time.Minute, ref)
	ref.stop(t)
	t.Logf("the single worker synced %d connections in %s", n, time.Since(began).Round(time.Second))
	refServed := e.tenants.Stats()
	for i := 1; i <= n; i++ {
		if got := ledger(refDB, i); got != refServed.Tenants[i].Total || refServed.Tenants[i].Status["429"] != 0 {
			t.Errorf("reference c%d: ledger %d, served %d, %d 429s", i, got, refServed.Tenants[i].Total, refServed.Tenants[i].Status["429"])
		}
	}
	e.tenants.ResetStats()

	// Three workers on a fresh database; the second is killed once the work is well
	// under way, and started again two seconds later.
	e.db = pgtest.NewDatabase(t)
	for i := 1; i <= n; i++ {
		e.add(t, i, "GONG_RATE_LIMIT", "3")
	}
	began = time.Now()
	ws := []*worker{startWorker(t, withBase(e.env(0))), startWorker(t, withBase(e.env(0))), startWorker(t, withBase(e.env(0)))}
	refTotal := refServed.Total
	for e.tenants.Stats().Total < refTotal*2/5 {
		if time.Since(began) > 5*time.Minute {
			t.Fatal("the workers never got under way")
		}
		time.Sleep(100 * time.Millisecond)
	}
	killed := ws[1]
	killedName := fmt.Sprintf("%%:%d", killed.cmd.Process.Pid)
	_ = killed.cmd.Process.Kill()
	<-killed.exited
	killedAt := time.Since(began)
	inFlight := 0
	for i := 1; i <= n; i++ {
		inFlight += queryInt(e.db, fmt.Sprintf(`SELECT count(*) FROM gong_c%d.sync_runs WHERE worker LIKE '%s' AND status = 'running'`, i, killedName))
	}
	time.Sleep(2 * time.Second)
	ws[1] = startWorker(t, withBase(e.env(0)))
	waitDone(t, e.db, good, 10*time.Minute, ws[0], ws[1], ws[2])
	took := time.Since(began)
	for _, w := range []*worker{ws[0], ws[1], ws[2]} {
		w.stop(t)
	}

	st := e.tenants.Stats()
	t.Logf("three workers synced %d connections in %s; worker 2 killed after %s with %d runs in flight; %d requests (the reference %d), status %v",
		n, took.Round(time.Second), killedAt.Round(time.Second), inFlight, st.Total, refTotal, st.Status)
	if inFlight == 0 {
		t.Error("the kill landed between runs: it tested nothing")
	}
	pool, err := pgxpool.New(context.Background(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	refPool, err := pgxpool.New(context.Background(), refDB)
	if err != nil {
		t.Fatal(err)
	}
	defer refPool.Close()
	var excess int64
	for i := 1; i <= n; i++ {
		schema := fmt.Sprintf("gong_c%d", i)
		want, err := pgtest.Dump(context.Background(), refPool, schema)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pgtest.Dump(context.Background(), pool, schema)
		if err != nil {
			t.Fatal(err)
		}
		// The dated streams' days are left out: this Gong runs on the wall clock, and a
		// user's activity of the recent days keeps changing in the minutes between the
		// two runs. Their equality is checked on a virtual clock (sync's tests and the
		// fault matrix).
		for _, table := range []string{"user_activity_days", "user_daily_activity", "user_interaction_stats"} {
			delete(want, table)
			delete(got, table)
		}
		if d := pgtest.DiffDumps(want, got); d != "" {
			t.Errorf("c%d differs from the single worker's:\n%s", i, d)
		}
		served, counted := st.Tenants[i].Total, ledger(e.db, i)
		if st.Tenants[i].Status["429"] != 0 {
			t.Errorf("c%d: Gong answered %d 429s", i, st.Tenants[i].Status["429"])
		}
		if counted < served || counted > served+perWorker {
			t.Errorf("c%d: the ledger counted %d, Gong served %d", i, counted, served)
		}
		excess += counted - served
		if o := overlappingRuns(e.db, i); o != 0 {
			t.Errorf("c%d: %d pairs of runs of one stream at once", i, o)
		}
		t.Logf("c%d: served %d, ledger %d", i, served, counted)
	}
	// Requests counted and never sent: only the killed process's, at most one per job it held.
	if excess > perWorker {
		t.Errorf("the ledgers counted %d requests Gong never saw; the killed worker held at most %d jobs", excess, perWorker)
	}
	t.Logf("requests counted but never sent (reserved by the killed worker, then SIGKILL): %d", excess)

	// Each worker's share of the runs.
	union := make([]string, n)
	for i := range union {
		union[i] = fmt.Sprintf("SELECT worker FROM gong_c%d.sync_runs", i+1)
	}
	rows, err := pool.Query(context.Background(), `SELECT worker, count(*) FROM (`+strings.Join(union, " UNION ALL ")+`) r GROUP BY worker ORDER BY worker`)
	if err != nil {
		t.Fatal(err)
	}
	shares := map[string]int{}
	total := 0
	for rows.Next() {
		var who string
		var k int
		if err := rows.Scan(&who, &k); err != nil {
			t.Fatal(err)
		}
		shares[who], total = k, total+k
	}
	t.Logf("runs by worker: %v (of %d)", shares, total)
	if len(shares) != 4 {
		t.Errorf("runs by %d workers, want 4 (three, and the second started again)", len(shares))
	}
	for _, w := range []*worker{ws[0], ws[2]} {
		who := fmt.Sprintf(":%d", w.cmd.Process.Pid)
		for name, k := range shares {
			if strings.HasSuffix(name, who) && k < total/6 {
				t.Errorf("worker %s ran %d of %d runs: less than half its share", name, k, total)
			}
		}
	}
}
