package main

import (
	"context"
	"math/rand/v2"
	"net/http/httptest"
	"os/exec"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// killEnv is a simulated Gong (in this process, so its request counts are at hand)
// for gongsync processes to run against.
type killEnv struct {
	fake     *fakegong.Server
	url      string
	from, to string
}

// newKillEnv serves calls over three months of 2024, on a virtual clock stopped ten
// days after them, so every run sees the same Gong.
func newKillEnv(t *testing.T, calls int, latency time.Duration) *killEnv {
	t.Helper()
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 3, 0)
	return newFakeEnv(t, fakegong.Options{Seed: 5, Calls: calls, From: from, To: to,
		Clock: fakegong.NewVirtualClock(to.AddDate(0, 0, 10)), Latency: latency})
}

// newFakeEnv serves a fake with the given options.
func newFakeEnv(t *testing.T, o fakegong.Options) *killEnv {
	t.Helper()
	from, to := o.From, o.To
	fake, err := fakegong.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return &killEnv{fake: fake, url: srv.URL, from: from.Format(time.DateOnly), to: to.Add(10 * 24 * time.Hour).Format(time.DateOnly)}
}

func (k *killEnv) env(dbURL string) []string {
	return []string{"DATABASE_URL=" + dbURL, "GONG_BASE_URL=" + k.url, "GONG_RATE_LIMIT=0",
		"GONG_ACCESS_KEY=" + fakegong.DefaultAccessKey, "GONG_ACCESS_KEY_SECRET=" + fakegong.DefaultAccessKeySecret,
		"LOG_LEVEL=warn", "LOG_FORMAT=json"}
}

func (k *killEnv) backfill(ctx context.Context, dbURL string) *exec.Cmd {
	return process(ctx, k.env(dbURL), "backfill", "--from", k.from, "--to", k.to, "--progress", "none")
}

func dump(t *testing.T, dbURL string) map[string][]string {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	d, err := pgtest.Dump(context.Background(), pool, "gong")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A backfill killed with SIGKILL at random points and started again, repeatedly, ends
// with the same tables as one that ran uninterrupted, and spends at most one request
// more per stream per kill: the page of calls in flight, and the batch of transcripts
// being written meanwhile.
func TestBackfillKilledRepeatedlyEndsIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("a backfill killed with SIGKILL again and again, against an uninterrupted one: long scenario; runs in make test")
	}
	t.Parallel()
	k := newKillEnv(t, 1500, 25*time.Millisecond)
	ctx := context.Background()

	reference := pgtest.NewDatabase(t)
	if out, err := k.backfill(ctx, reference).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted backfill: %v\n%s", err, out)
	}
	uninterrupted := k.fake.Stats().Total
	k.fake.ResetStats()

	seed := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(seed, 1))
	t.Logf("kill timing seed %d", seed)
	killed := pgtest.NewDatabase(t)
	kills := 0
	// Eight attempts killed at random points (the soak, make test-long, does more),
	// then one left to finish.
	for attempt := 0; ; attempt++ {
		cmd := k.backfill(ctx, killed)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var timeout <-chan time.Time
		if attempt < 8 {
			// The delay runs from the process's first request to Gong: on a loaded
			// machine starting it can take longer than the delay, and a kill then
			// tests nothing.
			before := k.fake.Stats().Total
			for wait := time.Now().Add(time.Minute); k.fake.Stats().Total == before && len(done) == 0 && time.Now().Before(wait); {
				time.Sleep(5 * time.Millisecond)
			}
			timeout = time.After(time.Duration(100+r.IntN(700)) * time.Millisecond)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("backfill after %d kills: %v", kills, err)
			}
		case <-timeout:
			_ = cmd.Process.Kill()
			<-done
			kills++
			continue
		}
		break
	}
	total := k.fake.Stats().Total
	t.Logf("%d kills; %d requests against %d uninterrupted", kills, total, uninterrupted)
	if kills < 3 {
		t.Errorf("only %d kills landed: the test did not test much", kills)
	}
	if total > uninterrupted+2*int64(kills) {
		t.Errorf("%d requests with %d kills: more than a page of calls and a batch of transcripts per kill over the uninterrupted %d", total, kills, uninterrupted)
	}
	if d := pgtest.DiffDumps(dump(t, reference), dump(t, killed)); d != "" {
		t.Errorf("tables differ from the uninterrupted run:\n%s", d)
	}
	// The runs the kills cut short are closed by the next run, not left "running":
	// the backfill's own, and those of the streams it brings along (the refreshes
	// before the calls, the dated streams after them), wherever a kill landed.
	pool, err := pgxpool.New(ctx, killed)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var running, interrupted int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'running'), count(*) FILTER (WHERE status = 'interrupted')
		FROM gong.sync_runs`).Scan(&running, &interrupted); err != nil {
		t.Fatal(err)
	}
	if running != 0 || interrupted == 0 {
		t.Errorf("the backfill's runs: %d still running, %d marked interrupted after %d kills", running, interrupted, kills)
	}
}
