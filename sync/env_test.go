package sync

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/gongsync/gongsync/store"
	"github.com/rs/zerolog"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// migrated is a database with gongsync's tables in schema gong, migrated once per
// test binary; each env gets a copy of its own (pgtest.Template).
var migrated = pgtest.NewTemplate(func(ctx context.Context, url string) error {
	st, err := store.Open(ctx, store.Options{DatabaseURL: url, Schema: "gong"})
	if err != nil {
		return err
	}
	defer st.Close()
	return st.Migrate(ctx)
})

// env is one test's world: a simulated Gong on a virtual clock, a real Postgres
// database, and an engine whose clock is the fake's.
type env struct {
	t      testing.TB
	ctx    context.Context
	fake   *fakegong.Server
	http   *httptest.Server
	clock  *fakegong.Clock
	st     *store.Store
	budget *Budget
	client *gongapi.Client
	engine *Engine
	dbURL  string
	// beyond, when set, is what the test synced of the streams beyond calls, for
	// assertMatchesGong to compare too.
	beyond *beyondCalls
}

type envOptions struct {
	fake       fakegong.Options
	engine     Options
	budget     int     // daily budget; default 100,000
	share      float64 // backfill share; default 1
	rate       float64 // the shared pace, requests/s; default none
	transport  func(http.RoundTripper) http.RoundTripper
	maxRetries int
	// database is the URL of the database to sync into; default a migrated database
	// of its own on the shared test cluster (tests that restart Postgres bring a
	// cluster of their own).
	database string
	// handler wraps the fake for the HTTP server (a Tamper, say); default the fake itself.
	handler func(*fakegong.Server) http.Handler
	// client adjusts the Gong client's configuration before it is built.
	client func(*gongapi.Config)
}

// day0 is when the test datasets begin.
var day0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	if o.fake.Clock == nil {
		o.fake.Clock = fakegong.NewVirtualClock(day0.AddDate(0, 0, 40))
	}
	if o.fake.From.IsZero() {
		o.fake.From, o.fake.To = day0, day0.AddDate(0, 0, 30)
	}
	if o.fake.Calls == 0 {
		o.fake.Calls = 300
	}
	if o.fake.Seed == 0 {
		o.fake.Seed = 42
	}
	// The engine runs on the fake's clock: it must never ask for a day of activity or
	// stats that has not begun in the company's time zone.
	o.fake.StrictDates = true
	fake, err := fakegong.New(o.fake)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = fake
	if o.handler != nil {
		h = o.handler(fake)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	if o.database == "" {
		o.database = migrated.NewDatabase(t)
	}
	st, err := store.Open(ctx, store.Options{DatabaseURL: o.database, Schema: "gong", Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if o.budget == 0 {
		o.budget = 100_000
	}
	if o.share == 0 {
		o.share = 1
	}
	clock := fake.Clock()
	budget := NewBudget(st, BudgetOptions{Daily: o.budget, BackfillShare: o.share, RateLimit: o.rate, Now: clock.Now})
	var transport http.RoundTripper = http.DefaultTransport.(*http.Transport).Clone()
	if o.transport != nil {
		transport = o.transport(transport)
	}
	cfg := gongapi.Config{
		BaseURL:        srv.URL,
		Auth:           gongapi.BasicAuth(fakegong.DefaultAccessKey, fakegong.DefaultAccessKeySecret),
		Transport:      transport,
		Budget:         budget,
		MaxRetries:     o.maxRetries,
		RetryBaseDelay: time.Millisecond,
		RetryMaxDelay:  10 * time.Millisecond,
		RequestTimeout: 10 * time.Second,
		Logger:         zerolog.Nop(),
	}
	if o.client != nil {
		o.client(&cfg)
	}
	client, err := gongapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o.engine.Now = clock.Now
	e := New(st, client, budget, o.engine)
	return &env{t: t, ctx: ctx, fake: fake, http: srv, clock: clock, st: st, budget: budget, client: client, engine: e, dbURL: o.database}
}

// pass runs the streams (all, when none are named) and fails the test on error.
func (v *env) pass(streams ...string) []*RunReport {
	v.t.Helper()
	reps, err := v.engine.Pass(v.ctx, streams, KindSync, true)
	if err != nil {
		v.t.Fatalf("pass %v: %v", streams, err)
	}
	return reps
}

func (v *env) run(stream string) *RunReport {
	v.t.Helper()
	r := v.engine.RunStream(v.ctx, stream, KindSync, true)
	if r.Status != store.RunSucceeded {
		v.t.Fatalf("%s: %s: %v", stream, r.Status, r.Err)
	}
	return r
}

func (v *env) backfill(from, to time.Time) *BackfillReport {
	v.t.Helper()
	rep, err := v.engine.Backfill(v.ctx, BackfillRequest{From: from, To: to})
	if err != nil {
		v.t.Fatalf("backfill: %v", err)
	}
	return rep
}

// requests returns what the fake served, by endpoint, since the last reset.
func (v *env) requests() (total int64, by map[string]int64) {
	s := v.fake.Stats()
	return s.Total, s.ByEndpoint
}

func (v *env) count(sql string, args ...any) int {
	v.t.Helper()
	var n int
	if err := v.st.Pool().QueryRow(v.ctx, sql, args...).Scan(&n); err != nil {
		v.t.Fatalf("%s: %v", sql, err)
	}
	return n
}
