package sync

import (
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/store"
	"github.com/rs/zerolog"
)

// A wrong secret costs one request: the first stream's 401 stops the whole pass, and
// the backfill, and nothing else is asked of Gong.
func TestRefusedCredentialsStopThePassAfterOneRequest(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{client: func(c *gongapi.Config) {
		c.Auth = gongapi.BasicAuth(fakegong.DefaultAccessKey, "not-the-secret")
	}})
	reps, err := v.engine.Pass(v.ctx, nil, KindSync, true)
	var logged *LoggedError
	if !errors.Is(err, gongapi.ErrUnauthorized) || !errors.As(err, &logged) {
		t.Fatalf("pass: %v; want the 401, logged", err)
	}
	if len(reps) != 1 || reps[0].Stream != StreamUsers || reps[0].Status != store.RunFailed || reps[0].Requests != 1 {
		t.Fatalf("pass ran %d streams, first %s %s: want users alone, failed after one request", len(reps), reps[0].Stream, reps[0].Status)
	}
	if n := v.fake.Stats().Total; n != 1 {
		t.Errorf("the pass sent %d requests, want 1", n)
	}

	v.fake.ResetStats()
	_, err = v.engine.Backfill(v.ctx, BackfillRequest{From: day0, To: day0.AddDate(0, 0, 30)})
	if !errors.Is(err, gongapi.ErrUnauthorized) || !errors.As(err, &logged) {
		t.Fatalf("backfill: %v", err)
	}
	if n := v.fake.Stats().Total; n != 1 {
		t.Errorf("the backfill sent %d requests, want 1", n)
	}
	if n := v.ledgerTotal(); n != 2 {
		t.Errorf("the ledger counted %d, want the 2 Gong saw", n)
	}
}

// Against an address that refuses connections nothing reaches Gong, so nothing is
// counted: every attempt, retries included, gives its slot back.
func TestRefusedConnectionsCountNothing(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	v := newEnv(t, envOptions{maxRetries: 3, client: func(c *gongapi.Config) { c.BaseURL = dead }})
	reps, err := v.engine.Pass(v.ctx, nil, KindSync, true)
	if !errors.Is(err, gongapi.ErrNetwork) {
		t.Fatalf("pass: %v; want a network failure", err)
	}
	for _, r := range reps {
		if r.Requests != 0 {
			t.Errorf("%s: %d requests counted for a host that refused every connection", r.Stream, r.Requests)
		}
	}
	if n := v.ledgerTotal(); n != 0 {
		t.Errorf("api_usage counted %d requests; nothing reached Gong", n)
	}
	if n := v.count(`SELECT count(*) FROM api_usage`); n != 1 {
		t.Errorf("%d ledger rows, want the day's (its slots given back)", n)
	}
}

// An OAuth token without the transcript scope: Gong refuses the transcripts with a 401
// naming the scope; users, workspaces, trackers and calls are synced all the same; the
// refusal is in status with the scope; the transcripts stream is not asked again for a
// day unless named; granted the scope, it syncs and the refusal is gone.
func TestMissingScopeFailsOnlyItsStream(t *testing.T) {
	t.Parallel()
	// The calls stream's first window reaches one settle window back: over all the calls.
	w := newOAuthEnv(t, envOptions{fake: fakegong.Options{WithheldScopes: []string{"api:calls:read:transcript"}},
		engine: Options{SettleWindow: 60 * 24 * time.Hour}})
	reps, err := w.engine.Pass(w.ctx, nil, KindSync, true)
	if !errors.Is(err, gongapi.ErrScopeMissing) {
		t.Fatalf("pass: %v; want the transcripts' scope refusal", err)
	}
	var got []string
	for _, r := range reps {
		got = append(got, r.Stream+" "+string(r.Status))
	}
	want := []string{"users succeeded", "workspaces succeeded", "trackers succeeded", "calls succeeded", "transcripts failed",
		"scorecards succeeded", "answered_scorecards succeeded", "user_activity succeeded", "user_interaction_stats succeeded", "library succeeded", "call_outcomes succeeded",
		"permission_profiles succeeded", "crm_schema succeeded", "manual_crm_associations succeeded", "flows succeeded", "logs succeeded"}
	if !slices.Equal(got, want) {
		t.Fatalf("runs %v, want %v", got, want)
	}
	if n := w.count(`SELECT count(*) FROM calls`); n == 0 || w.count(`SELECT count(*) FROM users`) == 0 {
		t.Fatal("calls or users not synced")
	}
	if n := w.count(`SELECT count(*) FROM transcript_sentences`); n != 0 {
		t.Fatalf("%d sentences synced without the scope", n)
	}
	assertRefused := func(want bool) {
		t.Helper()
		s, err := w.engine.Status(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ss := range s.Streams {
			switch {
			case ss.Stream == StreamTranscripts && want:
				if ss.Refused == nil || ss.Refused.Scope != "api:calls:read:transcript" || ss.Refused.Endpoint != gongapi.EndpointTranscripts {
					t.Fatalf("status of transcripts: refused %+v; want the scope named", ss.Refused)
				}
			case ss.Refused != nil:
				t.Fatalf("status of %s: refused %+v", ss.Stream, ss.Refused)
			}
		}
	}
	assertRefused(true)

	// The streams that are due: the transcripts are skipped, without a request.
	w.clock.Advance(time.Hour)
	w.fake.ResetStats()
	reps, err = w.engine.Pass(w.ctx, nil, KindSync, true)
	if err != nil {
		t.Fatalf("second pass: %v", err)
	}
	var last *RunReport
	for _, r := range reps {
		if r.Stream == StreamTranscripts {
			last = r
		}
	}
	var refused *ScopeRefusedError
	if last.Stream != StreamTranscripts || last.Status != store.RunSkipped || !errors.As(last.Err, &refused) ||
		!strings.Contains(last.Err.Error(), "api:calls:read:transcript") {
		t.Fatalf("transcripts: %s %v; want skipped, naming the scope", last.Status, last.Err)
	}
	if n := w.fake.Stats().ByEndpoint[gongapi.EndpointTranscripts]; n != 0 {
		t.Fatalf("the refused transcripts were asked again %d times within the day", n)
	}
	// A day later they are asked again (and refused again).
	w.clock.Advance(refusalPause)
	if r := w.engine.RunStream(w.ctx, StreamTranscripts, KindScheduled, false); r.Status != store.RunFailed || r.Requests != 1 {
		t.Fatalf("a day later: %s after %d requests", r.Status, r.Requests)
	}

	// The administrator grants the scope; a new login; naming the stream (in a new
	// process: a token source of its own) asks at once.
	w.fake.SetWithheldScopes(nil)
	w.login = browserLogin(t, w.app)
	if _, err := w.tokens.Save(w.ctx, TokenFromLogin(w.login)); err != nil {
		t.Fatal(err)
	}
	w.auth.ts = NewTokenSource(w.tokens, w.app, TokenSourceOptions{BaseURL: w.http.URL, Now: w.clock.Now, Logger: w.log})
	if _, err := w.engine.Pass(w.ctx, []string{StreamTranscripts}, KindSync, true); err != nil {
		t.Fatalf("transcripts after the grant: %v", err)
	}
	if n := w.count(`SELECT count(*) FROM transcript_sentences`); n == 0 {
		t.Fatal("no transcript synced after the grant")
	}
	assertRefused(false)
}

// A backfill meets the refusal of the transcripts and goes on with the calls: the
// range is complete, the transcripts wait for the scope, and the backfill says so.
func TestBackfillGoesOnWithoutRefusedTranscripts(t *testing.T) {
	t.Parallel()
	w := newOAuthEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 450, WithheldScopes: []string{"api:calls:read:transcript"}})})
	rep, err := w.engine.Backfill(w.ctx, BackfillRequest{From: day0, To: day0.AddDate(0, 0, 30)})
	if !errors.Is(err, gongapi.ErrScopeMissing) {
		t.Fatalf("backfill: %v; want it to end on the refusal", err)
	}
	if !rep.Done || rep.TranscriptsRefused == nil || !strings.Contains(rep.Message(), "api:calls:read:transcript") {
		t.Fatalf("backfill: done %v, refused %+v: %s", rep.Done, rep.TranscriptsRefused, rep.Message())
	}
	if n := w.fake.Stats().ByEndpoint[gongapi.EndpointTranscripts]; n != 1 {
		t.Errorf("%d transcript requests; the first refusal should be the last", n)
	}
	w.assertCallsMatch(w.clock.Now())

	// Run again within the day: done, nothing asked, the refusal still said.
	w.fake.ResetStats()
	rep, err = w.engine.Backfill(w.ctx, BackfillRequest{From: day0, To: day0.AddDate(0, 0, 30)})
	if err != nil || !rep.Done || rep.TranscriptsRefused == nil {
		t.Fatalf("again: %v, %s", err, rep.Message())
	}
	if n := w.fake.Stats().Total; n != 0 {
		t.Errorf("a finished backfill with refused transcripts sent %d requests", n)
	}
}

// An access token Gong revoked before its expiry is refreshed once and the request
// sent again; nothing fails.
func TestRevokedAccessTokenIsRenewedOnce(t *testing.T) {
	t.Parallel()
	w := newOAuthEnv(t, envOptions{})
	w.run(StreamUsers)
	before := w.fake.OAuthStats().Refreshes
	w.fake.RevokeAccessTokens()
	w.fake.ResetStats()
	r := w.run(StreamWorkspaces)
	if r.Requests != 2 || w.fake.Stats().Total != 2 || w.fake.OAuthStats().Refreshes != before+1 {
		t.Fatalf("%d requests counted, %d served, %d refreshes; want the 401, one refresh, and the request again",
			r.Requests, w.fake.Stats().Total, w.fake.OAuthStats().Refreshes-before)
	}
	w.assertNoSecrets()
}

// Two processes (two engines on two pools) sharing one database share one pace: a
// backfill and incremental passes side by side against a Gong limited to 3 requests a
// second meet no 429.
func TestTwoProcessesShareOnePace(t *testing.T) {
	if testing.Short() {
		t.Skip("two processes paced at 3 requests/s of wall-clock time: long scenario; runs in make test")
	}
	t.Parallel()
	now := day0.AddDate(0, 2, 1)
	fake := quiet(fakegong.Options{Calls: 1500, From: day0, To: day0.AddDate(0, 2, 0), RateLimit: 3,
		Clock: fakegong.NewVirtualClock(now)})
	a := newEnv(t, envOptions{fake: fake, rate: 3, engine: Options{SettleWindow: 30 * 24 * time.Hour}})
	b := a.sibling(t, 3)
	a.fake.ResetStats()
	done := make(chan error, 1)
	go func() {
		_, err := a.engine.Backfill(a.ctx, BackfillRequest{From: day0, To: day0.AddDate(0, 1, 0), Streams: []string{StreamCalls, StreamTranscripts}})
		done <- err
	}()
	if _, err := b.engine.Pass(b.ctx, []string{StreamCalls, StreamTranscripts}, KindSync, true); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s := a.fake.Stats()
	t.Logf("%d requests (%v) at %.2f/s", s.Total, s.Status, float64(s.Total-1)/s.Last.Sub(s.First).Seconds())
	if s.Status["429"] != 0 {
		t.Errorf("the fake answered %d 429s", s.Status["429"])
	}
	if s.Total < 20 {
		t.Errorf("only %d requests: the two did not overlap much", s.Total)
	}
	if counted := a.ledgerTotal(); counted != s.Total {
		t.Errorf("the ledger counted %d, the fake served %d", counted, s.Total)
	}
}

// sibling is a second process of the same installation: its own pool, budget, client
// and engine on the env's database and fake.
func (v *env) sibling(t *testing.T, rate float64) *env {
	t.Helper()
	w := *v
	st, err := store.Open(v.ctx, store.Options{DatabaseURL: v.dbURL, Schema: "gong", Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	w.st = st
	w.budget = NewBudget(st, BudgetOptions{Daily: 100_000, BackfillShare: 1, RateLimit: rate, Now: v.clock.Now})
	client, err := gongapi.New(gongapi.Config{BaseURL: v.http.URL, Budget: w.budget,
		Auth:           gongapi.BasicAuth(fakegong.DefaultAccessKey, fakegong.DefaultAccessKeySecret),
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w.client = client
	w.engine = New(st, client, w.budget, v.engine.Options())
	return &w
}
