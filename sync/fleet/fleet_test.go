package fleet

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/gongsync/gongsync/internal/secretbox"
	"github.com/gongsync/gongsync/store"
	"github.com/gongsync/gongsync/sync"
)

// day0 is the first day of the fake's calls.
var day0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

// fleetWorld is a multi-tenant fake Gong and a database with a registry of one
// connection per tenant.
type fleetWorld struct {
	t       *testing.T
	tenants *fakegong.Tenants
	url     string
	db      string
	control *store.Control
	clock   *fakegong.Clock
}

func newFleetWorld(t *testing.T, n, calls int) *fleetWorld {
	t.Helper()
	ctx := context.Background()
	clock := fakegong.NewVirtualClock(day0.AddDate(0, 0, 6))
	ts, err := fakegong.NewTenants(fakegong.Options{Seed: 70, Calls: calls, From: day0, To: day0.AddDate(0, 0, 5), Clock: clock,
		SentencesPerCall: 5, LateShare: -1, ChangeShare: -1, DeleteShare: -1}, n)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ts)
	t.Cleanup(srv.Close)
	db := pgtest.NewDatabase(t)
	box, err := secretbox.New(make([]byte, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	control, err := store.OpenControl(ctx, store.ControlOptions{Options: store.Options{DatabaseURL: db, Logger: zerolog.Nop()}, Box: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(control.Close)
	if err := control.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return &fleetWorld{t: t, tenants: ts, url: srv.URL, db: db, control: control, clock: clock}
}

// add registers tenant i as connection c<i>, with the given secret ("" for its own).
func (w *fleetWorld) add(i int, secret string) store.Connection {
	w.t.Helper()
	key, own := fakegong.TenantCredentials(fakegong.DefaultAccessKey, fakegong.DefaultAccessKeySecret, i)
	if secret == "" {
		secret = own
	}
	c, err := w.control.AddConnection(context.Background(), store.Connection{Name: fmt.Sprintf("c%d", i), Schema: fmt.Sprintf("gong_c%d", i),
		BaseURL: w.url, AuthMode: store.AuthBasic, AccessKey: key, AccessKeySecret: store.SecretText(secret)}, false)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// engine builds a connection's engine the way cmd does, on the fake's clock, in the
// database db; requestsPerRun cuts its runs short (0: never).
func (w *fleetWorld) engine(ctx context.Context, c store.Connection, worker, db string, requestsPerRun int) (*sync.Engine, *store.Store, error) {
	st, err := store.Open(ctx, store.Options{DatabaseURL: db, Schema: c.Schema, Worker: worker, MaxConns: 4, Logger: zerolog.Nop()})
	if err != nil {
		return nil, nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, nil, err
	}
	budget := sync.NewBudget(st, sync.BudgetOptions{Daily: 10_000, BackfillShare: 1, Now: w.clock.Now})
	client, err := gongapi.New(gongapi.Config{BaseURL: c.BaseURL, Auth: gongapi.BasicAuth(c.AccessKey, c.AccessKeySecret.Reveal()),
		Budget: budget, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 10 * time.Millisecond, Logger: zerolog.Nop()})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	e := sync.New(st, client, budget, sync.Options{Now: w.clock.Now, RequestsPerRun: requestsPerRun, Logger: zerolog.Nop()})
	return e, st, nil
}

// opener builds engines the way cmd does, on the fake's clock, with short runs.
func (w *fleetWorld) opener(worker string) Opener {
	return func(ctx context.Context, c store.Connection) (*OpenedConnection, error) {
		e, st, err := w.engine(ctx, c, worker, w.db, 3)
		if err != nil {
			return nil, err
		}
		return &OpenedConnection{Engine: e, Close: st.Close}, nil
	}
}

func (w *fleetWorld) fleet(worker string) *Fleet {
	w.t.Helper()
	f, err := New(Options{Control: w.control, Open: w.opener(worker), ID: worker, Workers: 2,
		Schedules:    sync.Schedules{Calls: "@every 1h", Users: "@every 6h", Settle: "@every 24h", Daily: "@every 24h"},
		RegistryPoll: 200 * time.Millisecond, Logger: zerolog.Nop()})
	if err != nil {
		w.t.Fatal(err)
	}
	return f
}

// queued counts the jobs not finished.
func (w *fleetWorld) queued() int {
	var n int
	if err := w.control.Pool().QueryRow(context.Background(), `SELECT count(*) FROM river_job
		WHERE state IN ('available', 'running', 'retryable', 'scheduled', 'pending')`).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// synced says whether connections c1…cn ran their first pass to its end: each
// stream's last run complete, the transcripts after the calls.
func (w *fleetWorld) synced(n int) bool {
	for i := 1; i <= n; i++ {
		var ok bool
		err := w.control.Pool().QueryRow(context.Background(), fmt.Sprintf(`SELECT count(DISTINCT stream) = %d FROM gong_c%d.sync_runs
			WHERE status = 'succeeded' AND details->>'more' IS NULL`, len(sync.AllStreams), i)).Scan(&ok)
		if err != nil || !ok {
			return false
		}
	}
	return true
}

// reference syncs tenant i alone, the way one daemon's first pass and its calls job
// would, into a database of its own, and dumps it.
func (w *fleetWorld) reference(i int) map[string][]string {
	w.t.Helper()
	ctx := context.Background()
	db := pgtest.NewDatabase(w.t)
	c := w.add(i+100, "") // a registry row only to build the engine the same way
	c.Schema, c.AccessKey = "gong", fmt.Sprintf("%s-%d", fakegong.DefaultAccessKey, i)
	c.AccessKeySecret = store.SecretText(fmt.Sprintf("%s-%d", fakegong.DefaultAccessKeySecret, i))
	if _, err := w.control.RemoveConnection(ctx, c.Name); err != nil {
		w.t.Fatal(err)
	}
	e, st, err := w.engine(ctx, c, "reference", db, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	defer st.Close()
	if _, err := e.Pass(ctx, sync.AllStreams, sync.KindSync, true); err != nil {
		w.t.Fatal(err)
	}
	d, err := pgtest.Dump(ctx, st.Pool(), "gong")
	if err != nil {
		w.t.Fatal(err)
	}
	return d
}

// Two workers share the connections of a registry through River: every connection
// is synced completely and exactly, in short jobs that never ran one stream twice at
// once, and a connection whose secret Gong refuses fails alone, after one request per
// stream, marked failed in the registry.
func TestFleetSyncsEveryConnectionAndOneFailsAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("three connections synced end to end by two River workers: long scenario; runs in make test")
	}
	t.Parallel()
	w := newFleetWorld(t, 4, 400)
	for i := 1; i <= 3; i++ {
		w.add(i, "")
	}
	w.add(4, "a-wrong-secret")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	for _, id := range []string{"w1", "w2"} {
		f := w.fleet(id)
		go func() { done <- f.Run(ctx) }()
	}
	// Done when the first pass and its follow-ups are through: every good
	// connection's transcripts ran to their end, and the queue is empty.
	deadline := time.Now().Add(2 * time.Minute)
	for !w.synced(3) || w.queued() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("not done after 2 minutes: %d jobs left", w.queued())
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Errorf("fleet: %v", err)
		}
	}

	st := w.tenants.Stats()
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("c%d", i)
		pool := w.control.Pool()
		d, err := pgtest.Dump(context.Background(), pool, "gong_"+name)
		if err != nil {
			t.Fatal(err)
		}
		if diff := pgtest.DiffDumps(w.reference(i), d); diff != "" {
			t.Errorf("%s differs from a lone sync:\n%s", name, diff)
		}
		var ledger int64
		if err := pool.QueryRow(context.Background(), fmt.Sprintf(`SELECT coalesce(sum(requests), 0) FROM gong_%s.api_usage`, name)).Scan(&ledger); err != nil {
			t.Fatal(err)
		}
		if served := st.Tenants[i].Total; ledger != served || served == 0 {
			t.Errorf("%s: the ledger counted %d requests, Gong served %d", name, ledger, served)
		}
		if n := st.Tenants[i].Status["401"] + st.Tenants[i].Status["429"]; n != 0 {
			t.Errorf("%s: %d refusals", name, n)
		}
		// No stream ran twice at once, and both workers took part.
		var overlaps, workers, cut int
		if err := pool.QueryRow(context.Background(), fmt.Sprintf(`SELECT
			(SELECT count(*) FROM gong_%[1]s.sync_runs a JOIN gong_%[1]s.sync_runs b ON a.id < b.id
				AND (a.stream = b.stream OR (a.stream IN ('calls', 'settle') AND b.stream IN ('calls', 'settle')))
				AND a.started_at < coalesce(b.finished_at, now()) AND b.started_at < coalesce(a.finished_at, now())),
			(SELECT count(DISTINCT worker) FROM gong_%[1]s.sync_runs),
			(SELECT count(*) FROM gong_%[1]s.sync_runs WHERE details->>'more' = 'true')`, name)).Scan(&overlaps, &workers, &cut); err != nil {
			t.Fatal(err)
		}
		if overlaps != 0 {
			t.Errorf("%s: %d pairs of runs of one stream overlapped", name, overlaps)
		}
		if cut == 0 {
			t.Errorf("%s: no run was cut short: the jobs were not short", name)
		}
		t.Logf("%s: %d requests, runs by %d workers, %d runs cut short", name, ledger, workers, cut)
	}
	var runsBy = map[string]int{}
	rows, err := w.control.Pool().Query(context.Background(), `SELECT worker, count(*) FROM (
		SELECT worker FROM gong_c1.sync_runs UNION ALL SELECT worker FROM gong_c2.sync_runs UNION ALL SELECT worker FROM gong_c3.sync_runs) r
		GROUP BY worker`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var who string
		var n int
		if err := rows.Scan(&who, &n); err != nil {
			t.Fatal(err)
		}
		runsBy[who] = n
	}
	if runsBy["w1"] == 0 || runsBy["w2"] == 0 {
		t.Errorf("runs by worker: %v: one worker did nothing", runsBy)
	}

	// The wrong secret: refused, at most once per stream of the first pass, marked
	// failed with Gong's reason; the others never saw it.
	bad := st.Tenants[4]
	if bad.Status["401"] == 0 || bad.Total > 4 || bad.Status["200"] != 0 {
		t.Errorf("c4 (wrong secret): %d requests %v, want 1 to 4 refusals", bad.Total, bad.Status)
	}
	c4, err := w.control.Connection(context.Background(), "c4")
	if err != nil || c4.State() != "failed" || !strings.Contains(c4.Failure, "nauthorized") {
		t.Errorf("c4 in the registry: %s %q (%v)", c4.State(), c4.Failure, err)
	}
	var cancelled int
	if err := w.control.Pool().QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE args->>'connection' = 'c4' AND state = 'cancelled'`).Scan(&cancelled); err != nil || cancelled == 0 {
		t.Errorf("c4's jobs: %d cancelled (%v)", cancelled, err)
	}
}

// A worker keeps at most MaxOpen engines (Postgres pools) open, however many
// connections it syncs: opening one more closes the one unused longest, never one a
// job is using (two jobs at once, three engines at most: a job whose engine was closed
// under it would fail and leave an error on its River job). Without the bound, a
// worker touching each of a thousand connections within a minute would hold a pool
// for each and run the server out of connections.
func TestFleetKeepsItsPoolsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("many connections through one worker's bounded engine pool: long scenario; runs in make test")
	}
	t.Parallel()
	const conns, workers, maxOpen = 6, 2, 3
	w := newFleetWorld(t, conns, 120)
	for i := 1; i <= conns; i++ {
		w.add(i, "")
	}
	var mu gosync.Mutex
	open, most, opened := 0, 0, 0
	inner := w.opener("w1")
	counting := func(ctx context.Context, c store.Connection) (*OpenedConnection, error) {
		oc, err := inner(ctx, c)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		open, opened = open+1, opened+1
		most = max(most, open)
		mu.Unlock()
		closeEngine := oc.Close
		oc.Close = func() {
			mu.Lock()
			open--
			mu.Unlock()
			closeEngine()
		}
		return oc, nil
	}
	f, err := New(Options{Control: w.control, Open: counting, ID: "w1", Workers: workers, MaxOpen: maxOpen,
		Schedules:    sync.Schedules{Calls: "@every 1h", Users: "@every 6h", Settle: "@every 24h", Daily: "@every 24h"},
		RegistryPoll: 200 * time.Millisecond, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	deadline := time.Now().Add(2 * time.Minute)
	for !w.synced(conns) || w.queued() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("not done after 2 minutes: %d jobs left", w.queued())
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("fleet: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d connections: engines opened %d times, at most %d open at once", conns, opened, most)
	if most > maxOpen {
		t.Errorf("%d engines open at once, more than MaxOpen (%d)", most, maxOpen)
	}
	if open != 0 {
		t.Errorf("%d engines left open after the worker stopped", open)
	}
	if opened <= maxOpen {
		t.Errorf("engines opened %d times: the bound was never reached, the test proves nothing", opened)
	}
	var failed int
	if err := w.control.Pool().QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE errors IS NOT NULL`).Scan(&failed); err != nil {
		t.Fatal(err)
	}
	if failed != 0 {
		t.Errorf("%d jobs failed at least once: an engine in use was closed?", failed)
	}
}
