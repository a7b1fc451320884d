package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
)

// TestSoakThreeProcessesShareOnePace: a `gongsync run` daemon, a `backfill` and a loop
// of `proxy` calls and `action run`s, three kinds of process on one database, for over a minute against
// a Gong that answers 429 beyond 3 requests a second. Their requests together keep
// Gong's pace: no 429, at least 2.85 requests/s over the busy time, and the ledger
// equal to what Gong served. GONGSYNC_SOAK=1 runs it (make test-long).
func TestSoakThreeProcessesShareOnePace(t *testing.T) {
	if os.Getenv("GONGSYNC_SOAK") == "" {
		t.Skip("soak test: set GONGSYNC_SOAK=1 (make test-long)")
	}
	t.Parallel()
	const busy = 65 * time.Second
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 6, 0)
	// More calls than the backfill can read in the time: it is busy throughout.
	k := newFakeEnv(t, fakegong.Options{Seed: 17, Calls: 20_000, From: from, To: to, RateLimit: 3,
		Clock: fakegong.NewVirtualClock(to.AddDate(0, 0, 10))})
	db := pgtest.NewDatabase(t)
	ctx := context.Background()
	env := append(k.env(db), "GONG_RATE_LIMIT=3", "GONGSYNC_HTTP_ADDR=off", "LOG_LEVEL=info")
	if out, err := process(ctx, env, "migrate").CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}

	var outs [3]syncBuffer
	start := func(i int, args ...string) *exec.Cmd {
		cmd := process(ctx, env, args...)
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	// The daemon ticks often, so that its runs meet the backfill's requests all along.
	env = append(env, "GONGSYNC_SCHEDULE_CALLS=@every 2s", "GONGSYNC_SCHEDULE_USERS=@every 20s")
	daemon := start(0, "run")
	backfill := start(1, "backfill", "--from", from.Format(time.DateOnly), "--to", to.Format(time.DateOnly), "--progress", "log")
	// The proxy loop asks for basic call lists, and every other time runs the action
	// getCall: endpoints the sync never uses, so the fake's counts tell their requests
	// apart.
	var stopProxies atomic.Bool
	var proxies, proxyFailures, actions atomic.Int64
	var wg sync.WaitGroup
	callID := k.fake.Dataset().AllCalls()[0].ID
	wg.Go(func() {
		for !stopProxies.Load() {
			cmd := process(ctx, env, "proxy", "/v2/calls?fromDateTime=2024-02-01T00:00:00Z&toDateTime=2024-02-02T00:00:00Z")
			if proxies.Load()%2 == 1 {
				cmd = process(ctx, env, "action", "run", "getCall", "--input", `{"id":"`+callID+`"}`)
				actions.Add(1)
			}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				proxyFailures.Add(1)
				outs[2].Write(out.Bytes())
			}
			proxies.Add(1)
		}
	})
	time.Sleep(busy)
	stopProxies.Store(true)
	wg.Wait()
	for _, cmd := range []*exec.Cmd{daemon, backfill} {
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
	for i, cmd := range []*exec.Cmd{daemon, backfill} {
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("process %d still running 30s after SIGTERM:\n%s", i, outs[i].String())
		}
	}

	s := k.fake.Stats()
	pace := float64(s.Total-1) / s.Last.Sub(s.First).Seconds()
	counted := queryInt(db, `SELECT coalesce(sum(requests), 0)::int FROM gong.api_usage`)
	daemonRuns := queryInt(db, `SELECT count(*) FROM gong.sync_runs WHERE kind = 'scheduled' AND requests > 0`)
	backfillRequests := queryInt(db, `SELECT coalesce(sum(requests), 0)::int FROM gong.sync_runs WHERE kind = 'backfill'`)
	slowest := queryInt(db, `SELECT coalesce(max(extract(epoch FROM finished_at - started_at) * 1000), 0)::int
		FROM gong.sync_runs WHERE kind = 'scheduled' AND stream = 'calls' AND requests = 1`)
	t.Logf("%d requests over %s of busy time: %.3f requests/s; status %v; by endpoint %v",
		s.Total, s.Last.Sub(s.First).Round(time.Millisecond), pace, s.Status, s.ByEndpoint)
	actionRuns := queryInt(db, `SELECT count(*) FROM gong.action_runs WHERE status = 'succeeded' AND requests = 1`)
	t.Logf("ledger %d; daemon runs that sent requests %d; backfill requests %d; proxy calls and action runs %d (%d failed), "+
		"action runs recorded as succeeded with one request %d of %d; slowest one-request calls run of the daemon %d ms",
		counted, daemonRuns, backfillRequests, proxies.Load(), proxyFailures.Load(), actionRuns, actions.Load(), slowest)
	if int64(actionRuns) != actions.Load() || s.ByEndpoint["GET /v2/calls/"+callID] != actions.Load() || actions.Load() == 0 {
		t.Errorf("%d action runs, %d recorded as one request that succeeded, %d getCall requests served",
			actions.Load(), actionRuns, s.ByEndpoint["GET /v2/calls/"+callID])
	}
	if s.Last.Sub(s.First) < 60*time.Second {
		t.Errorf("busy for %s only, want at least 60 s", s.Last.Sub(s.First))
	}
	if n := s.Status["429"]; n != 0 {
		t.Errorf("the fake answered %d 429s", n)
	}
	if pace < 2.85 {
		t.Errorf("%.3f requests/s served altogether, want at least 2.85", pace)
	}
	if int64(counted) != s.Total {
		t.Errorf("the ledger counted %d requests, the fake served %d", counted, s.Total)
	}
	if daemonRuns == 0 || backfillRequests == 0 || s.ByEndpoint["GET /v2/calls"] == 0 {
		t.Errorf("a process sent nothing: daemon runs %d, backfill requests %d, proxy requests %d",
			daemonRuns, backfillRequests, s.ByEndpoint["GET /v2/calls"])
	}
	if proxyFailures.Load() > 0 {
		t.Errorf("%d proxy calls failed:\n%s", proxyFailures.Load(), outs[2].String())
	}
	// Slots go in order of asking: the daemon's one-request runs wait for the pace,
	// not behind the backfill.
	if slowest > 5000 {
		t.Errorf("a one-request calls run of the daemon took %d ms", slowest)
	}
	if t.Failed() {
		t.Logf("daemon:\n%s\nbackfill:\n%s", outs[0].String(), outs[1].String())
	}
}
