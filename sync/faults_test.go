package sync

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/gongsync/gongsync/store"
)

// The fault matrix: the same workload (a full backfill, incremental runs as Gong's
// clock moves, a settle pass and a day's slice of the sweep) runs once without faults, as the reference, and once
// per kind of fault. Whatever the fault, the tables end identical to the reference,
// the checkpoints are closed, and the ledger counted exactly the requests the fake
// served. A run the fault makes fail is run again, as the daemon's next tick (or an
// operator) would; nothing else is done to help it.

// faultDataset is the matrix's Gong: calls and reviews arrive, are processed (shown)
// late and change (but none is deleted: deleted_at is set from the database clock,
// which differs between two runs, so Dump could not compare it).
func faultDataset(clock *fakegong.Clock, calls int) fakegong.Options {
	return fakegong.Options{Seed: 11, Calls: calls, From: day0, To: faultEnd, Clock: clock, DeleteShare: -1}
}

// faultEngine makes the workload cost more requests than its calls alone would (small
// transcript batches), so that each fault rate meets more of them. Each run of the
// flows is a whole refresh: a run the fault makes fail is run again with the rest of
// its pass, and a second run then reads what the reference read, not the next slice.
var faultEngine = Options{TranscriptBatch: 25, FlowsRefreshDays: 1}

var (
	faultStart = day0.AddDate(0, 0, 20) // the backfill runs here; calls of the last day are still to come
	faultEnd   = day0.AddDate(0, 0, 21)
)

// faultSteps are the virtual times of the incremental passes after the backfill, then
// the settle pass; absolute, so that a test that moves the clock during the backfill
// (expiring cursors) ends up where the reference does.
var faultSteps = []time.Time{
	faultStart.Add(6 * time.Hour), faultStart.Add(12 * time.Hour), faultStart.Add(18 * time.Hour),
	faultEnd.Add(time.Hour), faultEnd.Add(12 * time.Hour),
}

// retried runs step until it reports done, counting the attempts that failed; more
// than limit failures fail the test.
func (v *env) retried(what string, limit int, step func() (done bool, err error)) (failures int) {
	v.t.Helper()
	for {
		done, err := step()
		if err == nil && done {
			return failures
		}
		failures++
		if failures > limit {
			v.t.Fatalf("%s: still failing after %d attempts: %v", what, failures, err)
		}
	}
}

// workload is the matrix's sequence of runs. It returns how many runs failed (or
// paused) and were run again.
func (v *env) workload(limit int) (failures int) {
	v.t.Helper()
	failures += v.retried("backfill", limit, func() (bool, error) {
		rep, err := v.engine.Backfill(v.ctx, BackfillRequest{From: day0, To: faultStart})
		return err == nil && rep.Done, err
	})
	// A pass that failed is run again from its first failed stream on: the streams
	// before it are done, and each depends only on those before it.
	pass := func(streams ...string) func() (bool, error) {
		return func() (bool, error) {
			reps, err := v.engine.Pass(v.ctx, streams, KindSync, true)
			for i, r := range reps {
				if r.Status != store.RunSucceeded {
					streams = streams[slices.Index(streams, reps[i].Stream):]
					return false, fmt.Errorf("%s %s: %v", r.Stream, r.Status, r.Err)
				}
			}
			return true, err
		}
	}
	for i, at := range faultSteps {
		v.clock.Set(at)
		streams := []string{StreamCalls, StreamTranscripts, StreamAnsweredScorecards}
		if i == len(faultSteps)-1 {
			streams = StreamNames() // the last step runs every stream of the registry
		}
		failures += v.retried(fmt.Sprintf("pass %d %v", i, streams), limit, pass(streams...))
	}
	return failures
}

// dump is the synced tables of the env's database.
func (v *env) dump() map[string][]string {
	v.t.Helper()
	d, err := pgtest.Dump(v.ctx, v.st.Pool(), "gong")
	if err != nil {
		v.t.Fatal(err)
	}
	return d
}

// assertSettled checks what must hold after a workload, whatever happened during it:
// tables equal to the reference, every checkpoint closed, the ledger equal to what
// Gong served, every run recorded as finished.
func (v *env) assertSettled(reference map[string][]string) {
	v.t.Helper()
	if d := pgtest.DiffDumps(reference, v.dump()); d != "" {
		v.t.Errorf("tables differ from the fault-free run:\n%s", d)
	}
	v.assertCheckpointsClosed()
	served := v.fake.Stats().Total
	if counted := v.ledgerTotal(); counted != served {
		v.t.Errorf("the ledger counted %d requests, the fake served %d", counted, served)
	}
	if n := v.count(`SELECT count(*) FROM sync_runs WHERE finished_at IS NULL OR status = 'running'`); n != 0 {
		v.t.Errorf("%d runs never recorded their end", n)
	}
	v.assertReviewCheckpointsClosed()
}

// assertReviewCheckpointsClosed: the answered scorecards, their settle pass and their
// sweep hold no open window or cursor, the stream's high-water mark is past the
// workload's end, its backfill is done, and the sweep read a slice.
func (v *env) assertReviewCheckpointsClosed() {
	v.t.Helper()
	for _, s := range []string{StreamAnsweredScorecards, StreamAnsweredScorecardsSettle, StreamAnsweredScorecardsSweep} {
		cp, err := v.engine.loadReviews(v.ctx, s)
		if err != nil {
			v.t.Fatal(err)
		}
		switch {
		case cp.Window != nil || (cp.Backfill != nil && cp.Backfill.Window != nil):
			v.t.Errorf("%s: window left open: %+v", s, cp)
		case cp.CompletedAt == nil:
			v.t.Errorf("%s: never completed", s)
		case s == StreamAnsweredScorecards && (cp.HighWaterMark == nil || cp.HighWaterMark.Before(faultEnd) || cp.Backfill == nil || !cp.Backfill.Done):
			v.t.Errorf("%s: high-water mark %v, backfill %+v; want past %v, done", s, cp.HighWaterMark, cp.Backfill, faultEnd)
		case s == StreamAnsweredScorecardsSweep && (cp.Sweep == nil || (cp.Sweep.LastPass == nil && (cp.Sweep.Pass == nil || cp.Sweep.Pass.Slices == 0))):
			v.t.Errorf("%s: no slice read: %+v", s, cp.Sweep)
		}
	}
}

// assertCheckpointsClosed: no window left open, no cursor held, the high-water mark
// set, the backfill done, the users' refresh complete.
func (v *env) assertCheckpointsClosed() {
	v.t.Helper()
	for _, s := range []string{StreamCalls, StreamSettle, StreamSweep, StreamBackfill} {
		cp, err := v.engine.loadWindow(v.ctx, s)
		if err != nil {
			v.t.Fatal(err)
		}
		row, err := v.st.Checkpoint(v.ctx, s)
		if err != nil {
			v.t.Fatal(err)
		}
		switch {
		case cp.Window != nil:
			v.t.Errorf("%s: window left open: %+v", s, *cp.Window)
		case row.Cursor != "" || row.LastStarted != nil || row.WindowStartedAt != nil:
			v.t.Errorf("%s: the stored checkpoint holds a closed window's cursor or position: %+v", s, row)
		case cp.CompletedAt == nil:
			v.t.Errorf("%s: never completed", s)
		case s == StreamCalls && (cp.HighWaterMark == nil || cp.HighWaterMark.Before(faultEnd)):
			v.t.Errorf("calls: high-water mark %v, want at least %v", cp.HighWaterMark, faultEnd)
		case s == StreamSweep && (cp.Sweep == nil || (cp.Sweep.LastPass == nil && (cp.Sweep.Pass == nil || cp.Sweep.Pass.Slices == 0))):
			v.t.Errorf("sweep: no slice read: %+v", cp.Sweep)
		case s == StreamBackfill && (cp.Range == nil || !cp.Range.Done):
			v.t.Errorf("backfill: not done: %+v", cp.Range)
		}
	}
	users, err := v.engine.loadRefresh(v.ctx, StreamUsers)
	if err != nil {
		v.t.Fatal(err)
	}
	if users.Window != nil || users.CompletedAt == nil {
		v.t.Errorf("users: refresh not complete: %+v", users)
	}
	v.assertBeyondCallsClosed()
}

// ledgerTotal is every request the ledger counted, over all budget days.
func (v *env) ledgerTotal() int64 {
	v.t.Helper()
	var n int64
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT coalesce(sum(requests), 0) FROM api_usage`).Scan(&n); err != nil {
		v.t.Fatal(err)
	}
	return n
}

func TestFaultMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault workload once per fault: long scenario; runs in make test")
	}
	t.Parallel()
	ref := newEnv(t, envOptions{engine: faultEngine, fake: faultDataset(fakegong.NewVirtualClock(faultStart), 500)})
	if n := ref.workload(0); n != 0 {
		t.Fatalf("the fault-free run failed %d times", n)
	}
	ref.assertMatchesGong(ref.clock.Now())
	ref.assertScorecardsMatchGong(ref.clock.Now())
	ref.assertSettled(ref.dump())
	reference := ref.dump()
	t.Logf("reference: %d requests, %d calls, %d sentences", ref.fake.Stats().Total, len(reference["calls"]), len(reference["transcript_sentences"]))

	short := func(c *gongapi.Config) { c.RequestTimeout = 300 * time.Millisecond }
	none := fakegong.FaultNone
	cases := []struct {
		name   string
		faults fakegong.Faults
		client func(*gongapi.Config)
		opts   func(o *envOptions)
		// wantFailures: at least this many runs must have failed and been run again,
		// so the case provably met its fault.
		wantFailures int
		// wantFaults: the fake must have injected at least this many of that kind.
		wantFault string
	}{
		{name: "5% 500s", faults: fakegong.Faults{FailRate: 0.05}, wantFault: "500"},
		{name: "responses past the client timeout", faults: fakegong.Faults{TimeoutRate: 0.05, Hang: 5 * time.Second},
			client: short, wantFault: "timeout"},
		{name: "connections dropped mid-body", faults: fakegong.Faults{DropRate: 0.05}, wantFault: "drop"},
		{name: "429 storm with Retry-After", wantFault: "429",
			faults: fakegong.Faults{RetryAfter: time.Second, Script: []fakegong.Fault{none, none, none, "429", "429", "429"}}},
		{name: "429 storm without Retry-After", wantFault: "429", wantFailures: 1,
			faults: fakegong.Faults{OmitRetryAfter: true, Script: []fakegong.Fault{none, none, none,
				"429", "429", "429", "429", "429", "429", "429", "429", "429", "429", "429", "429"}}},
		{name: "429 with a Retry-After beyond the client's patience", wantFault: "429", wantFailures: 1,
			faults: fakegong.Faults{RetryAfter: time.Hour, Script: []fakegong.Fault{none, none, none, none, "429"}}},
		{name: "malformed, HTML and empty answers with 200", wantFailures: 1, wantFault: "html",
			faults: fakegong.Faults{MalformedRate: 0.03, HTMLRate: 0.03, EmptyRate: 0.03,
				Script: []fakegong.Fault{none, none, none, none, fakegong.FaultHTML}}},
		{name: "cursors expiring mid-window", wantFailures: 0,
			opts: func(o *envOptions) {
				o.fake.CursorTTL = 5 * time.Minute
				jump := &advanceAfter{clock: o.fake.Clock, n: 2, by: 10 * time.Minute}
				o.transport = func(rt http.RoundTripper) http.RoundTripper { jump.next = rt; return jump }
				o.engine.CursorMaxAge = time.Hour
			}},
		{name: "everything at once", client: short, wantFailures: 1,
			faults: fakegong.Faults{FailRate: 0.04, DropRate: 0.03, TimeoutRate: 0.02, Status429Rate: 0.03,
				MalformedRate: 0.02, Hang: 5 * time.Second, RetryAfter: time.Second}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := envOptions{engine: faultEngine, fake: faultDataset(fakegong.NewVirtualClock(faultStart), 500), client: c.client}
			if c.opts != nil {
				c.opts(&o)
			}
			v := newEnv(t, o)
			if err := v.fake.SetFaults(c.faults); err != nil {
				t.Fatal(err)
			}
			failures := v.workload(30)
			s := v.fake.Stats()
			restarts := v.count(`SELECT coalesce(sum((details->>'cursor_restarts')::int), 0) FROM sync_runs`)
			t.Logf("%s: %d requests (%v), faults %v, %d runs failed and were run again, %d cursor restarts",
				c.name, s.Total, s.Status, s.Faults, failures, restarts)
			if failures < c.wantFailures {
				t.Errorf("%d runs failed; the fault should have failed at least %d", failures, c.wantFailures)
			}
			if c.wantFault != "" && s.Faults[c.wantFault] == 0 {
				t.Errorf("the fake never injected a %s fault: the case tested nothing", c.wantFault)
			}
			if c.opts != nil && restarts == 0 {
				t.Error("no cursor expired mid-window")
			}
			v.assertSettled(reference)
		})
	}
}

// A run that fails on a fault says which endpoint failed and why; the ones retried
// inside the client never surface.
func TestFaultErrorsNameTheEndpoint(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{maxRetries: -1, fake: quiet(fakegong.Options{Calls: 150})})
	for _, f := range []fakegong.Fault{fakegong.Fault500, fakegong.FaultDrop, fakegong.FaultHTML, fakegong.FaultEmpty} {
		if err := v.fake.SetFaults(fakegong.Faults{Script: []fakegong.Fault{f}}); err != nil {
			t.Fatal(err)
		}
		r := v.engine.RunStream(v.ctx, StreamCalls, KindSync, true)
		if r.Status != store.RunFailed || r.Err == nil || !strings.Contains(r.Err.Error(), gongapi.EndpointCallsExtensive) {
			t.Errorf("%s: status %s, err %v; want a failure naming %s", f, r.Status, r.Err, gongapi.EndpointCallsExtensive)
		}
		if f != fakegong.FaultDrop && !strings.Contains(r.Err.Error(), "requestId ") {
			t.Errorf("%s: the error does not quote Gong's requestId: %v", f, r.Err)
		}
	}
	if n := v.count(`SELECT count(*) FROM calls`); n != 0 {
		t.Errorf("%d calls written by failed runs", n)
	}
}

// restartingDB returns a database on a cluster of the test's own, and a function that
// restarts that cluster (an immediate shutdown, as a crash, then a start).
func restartingDB(t *testing.T) (url string, restart func()) {
	t.Helper()
	c := pgtest.NewCluster(t)
	return c.URL("postgres"), func() {
		if err := c.Restart(); err != nil {
			t.Error(err)
		}
	}
}

// restartAfter restarts Postgres right after the n-th answer from Gong (counting all
// endpoints, or those of the paths in only), for each n in at: the page just read then
// meets a database that is gone.
type restartAfter struct {
	next    http.RoundTripper
	at      map[int32]bool
	only    []string
	restart func()
	seen    atomic.Int32
	done    atomic.Int32
}

func (r *restartAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if len(r.only) > 0 && !slices.Contains(r.only, req.URL.Path) {
		return resp, err
	}
	if r.at[r.seen.Add(1)] {
		r.restart()
		r.done.Add(1)
	}
	return resp, err
}

// Postgres restarted mid-run, three times (during the backfill's calls, its
// transcripts, and an incremental run): every run it broke is run again and the
// tables end as if nothing happened.
func TestPostgresRestartedMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault workload twice, with Postgres restarted three times: long scenario; runs in make test")
	}
	t.Parallel()
	ref := newEnv(t, envOptions{engine: faultEngine, fake: faultDataset(fakegong.NewVirtualClock(faultStart), 500)})
	ref.workload(0)
	reference := ref.dump()
	refRequests := ref.fake.Stats().Total
	// The restarts land among the calls' and transcripts' requests, whatever the
	// streams read before them (users, the library, …) or after (the daily streams).
	by := ref.fake.Stats().ByEndpoint
	callsRequests := by[gongapi.EndpointCallsExtensive] + by[gongapi.EndpointTranscripts]

	dbURL, restart := restartingDB(t)
	ra := &restartAfter{at: map[int32]bool{5: true, 10: true, int32(callsRequests) - 2: true}, restart: restart,
		only: []string{"/v2/calls/extensive", "/v2/calls/transcript"}}
	v := newEnv(t, envOptions{database: dbURL, engine: faultEngine, fake: faultDataset(fakegong.NewVirtualClock(faultStart), 500),
		transport: func(rt http.RoundTripper) http.RoundTripper { ra.next = rt; return ra }})
	failures := v.workload(40)
	t.Logf("%d restarts, %d runs failed and were run again; %d requests against %d without restarts",
		ra.done.Load(), failures, v.fake.Stats().Total, refRequests)
	// Each restart lands on a page of calls or transcripts. Most break the run they
	// land in, which is run again; one that meets a commit the store's retry carries
	// over the restart breaks nothing, which is as good (the tables below decide).
	if ra.done.Load() != 3 || failures < 1 {
		t.Fatalf("%d restarts, %d failed runs: the restarts did not land mid-run", ra.done.Load(), failures)
	}
	if d := pgtest.DiffDumps(reference, v.dump()); d != "" {
		t.Errorf("tables differ from the run without restarts:\n%s", d)
	}
	v.assertCheckpointsClosed()
	if n := v.count(`SELECT count(*) FROM sync_runs WHERE finished_at IS NULL`); n != 0 {
		t.Errorf("%d runs broken by a restart were never recorded as ended", n)
	}
	// A restart between two requests loses no reservation: the ledger and Gong agree.
	if counted, served := v.ledgerTotal(), v.fake.Stats().Total; counted != served {
		t.Errorf("the ledger counted %d requests, the fake served %d", counted, served)
	}
}

// The daemon lives through a Postgres restart: the ticks during the outage fail and
// say so, and once Postgres is back the next tick syncs what Gong has gained since.
func TestDaemonSurvivesPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("a daemon through a Postgres restart: long scenario; runs in make test")
	}
	t.Parallel()
	dbURL, restart := restartingDB(t)
	now := day0.AddDate(0, 0, 11)
	v := newEnv(t, envOptions{database: dbURL,
		fake: quiet(fakegong.Options{Calls: 200, From: day0, To: day0.AddDate(0, 0, 10), Clock: fakegong.NewVirtualClock(now)})})
	d, err := NewDaemon(v.engine, Schedules{Calls: "@every 1s", Users: "@every 1h", Settle: "@every 1h"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(v.ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			select {
			case err := <-done:
				t.Fatalf("the daemon stopped while waiting for %s: %v", what, err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// count reads through a fresh connection each time: the pool's may be dead.
	count := func(sql string, args ...any) int {
		c, cancel := context.WithTimeout(v.ctx, 2*time.Second)
		defer cancel()
		var n int
		if err := v.st.Pool().QueryRow(c, sql, args...).Scan(&n); err != nil {
			return -1
		}
		return n
	}
	waitFor("the first sync", func() bool {
		return count(`SELECT count(*) FROM sync_runs WHERE stream = 'calls' AND status = 'succeeded'`) > 0
	})
	before := count(`SELECT count(*) FROM calls`)

	restart()
	// Runs that start from now on (on the database's clock, which stamps them) are
	// runs after the restart.
	var restarted time.Time
	waitFor("the database to answer after the restart", func() bool {
		c, cancel := context.WithTimeout(v.ctx, 2*time.Second)
		defer cancel()
		return v.st.Pool().QueryRow(c, `SELECT clock_timestamp()`).Scan(&restarted) == nil
	})
	// Gong gains a call while the database was away.
	added, err := v.fake.Dataset().AddCall(fakegong.NewCall{Started: now.Add(-time.Hour), ProcessedAt: now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	v.clock.Set(now.Add(2 * time.Minute))
	waitFor("the call added after the restart", func() bool { return count(`SELECT count(*) FROM calls WHERE id = $1`, added.ID) == 1 })
	waitFor("a successful calls run after the restart", func() bool {
		return count(`SELECT count(*) FROM sync_runs WHERE stream = 'calls' AND status = 'succeeded' AND started_at > $1`, restarted) > 0
	})
	if after := count(`SELECT count(*) FROM calls`); after != before+1 {
		t.Errorf("%d calls before the restart, %d after; want one more", before, after)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the daemon returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the daemon did not stop within 20s of its context ending")
	}
}

// TestSoakFaults is the long version of the matrix: a larger Gong, every fault at
// once at higher rates, and Postgres restarted at random points, many times, for
// several datasets (so faults land on different requests). It runs with
// GONGSYNC_SOAK=1 (make test-long).
func TestSoakFaults(t *testing.T) {
	if os.Getenv("GONGSYNC_SOAK") == "" {
		t.Skip("soak test: set GONGSYNC_SOAK=1 (make test-long)")
	}
	t.Parallel()
	for _, seed := range []int64{11, 12, 13} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			t.Parallel()
			soakFaults(t, seed, 3000)
		})
	}
}

func soakFaults(t *testing.T, seed int64, calls int) {
	dataset := func() fakegong.Options {
		o := faultDataset(fakegong.NewVirtualClock(faultStart), calls)
		o.Seed = seed
		return o
	}
	// Every run of the flows is a whole refresh (one slice of all the users), so that a
	// run failed and run again ends with what the reference's one run read.
	engine := Options{FlowsRefreshDays: 1}
	ref := newEnv(t, envOptions{engine: engine, fake: dataset()})
	ref.workload(0)
	ref.assertMatchesGong(ref.clock.Now())
	ref.assertScorecardsMatchGong(ref.clock.Now())
	reference := ref.dump()
	refRequests := ref.fake.Stats().Total

	dbURL, restart := restartingDB(t)
	timing := time.Now().UnixNano()
	t.Logf("restart timing seed %d", timing)
	at := map[int32]bool{}
	for i := int64(0); len(at) < 8; i++ {
		at[int32(1+(timing/(i+1))%refRequests)] = true
	}
	ra := &restartAfter{at: at, restart: restart}
	v := newEnv(t, envOptions{database: dbURL, engine: engine, fake: dataset(),
		transport: func(rt http.RoundTripper) http.RoundTripper { ra.next = rt; return ra },
		client:    func(c *gongapi.Config) { c.RequestTimeout = 500 * time.Millisecond }})
	if err := v.fake.SetFaults(fakegong.Faults{FailRate: 0.05, DropRate: 0.04, TimeoutRate: 0.03, Status429Rate: 0.04,
		MalformedRate: 0.01, HTMLRate: 0.01, EmptyRate: 0.01, Hang: 5 * time.Second, RetryAfter: time.Second}); err != nil {
		t.Fatal(err)
	}
	failures := v.workload(200)
	s := v.fake.Stats()
	t.Logf("%d restarts, %d runs failed and were run again; %d requests (%v) against %d fault-free; faults %v",
		ra.done.Load(), failures, s.Total, s.Status, refRequests, s.Faults)
	if ra.done.Load() < 4 {
		t.Errorf("only %d restarts landed", ra.done.Load())
	}
	if d := pgtest.DiffDumps(reference, v.dump()); d != "" {
		t.Errorf("tables differ from the fault-free run:\n%s", d)
	}
	v.assertCheckpointsClosed()
	if counted := v.ledgerTotal(); counted != s.Total {
		t.Errorf("the ledger counted %d requests, the fake served %d", counted, s.Total)
	}
	if n := v.count(`SELECT count(*) FROM sync_runs WHERE finished_at IS NULL`); n != 0 {
		t.Errorf("%d runs were never recorded as ended", n)
	}
}
