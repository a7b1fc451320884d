package sync

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/gongsync/gongsync/internal/secretbox"
	"github.com/gongsync/gongsync/store"
)

// lateAuth lets the env's client be built before the token source it will use,
// which needs the env's store.
type lateAuth struct{ ts *TokenSource }

func (l *lateAuth) Authorize(ctx context.Context, req *http.Request) error {
	return l.ts.Authorize(ctx, req)
}

func (l *lateAuth) APIBaseURL(ctx context.Context) (string, error) { return l.ts.APIBaseURL(ctx) }

func (l *lateAuth) Reauthorize(ctx context.Context, refused *http.Request) error {
	return l.ts.Reauthorize(ctx, refused)
}

// lockedBuffer collects log lines from several goroutines.
type lockedBuffer struct {
	mu gosync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const testEncryptionKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// oauthEnv is an env whose Gong client authenticates with OAuth: logged in through
// the fake's authorize and token endpoints, tokens sealed in Postgres.
type oauthEnv struct {
	*env
	app    *gongapi.OAuth
	tokens *store.Tokens
	ts     *TokenSource
	auth   *lateAuth // the client's Authorizer: set auth.ts to switch token sources
	logs   *lockedBuffer
	log    zerolog.Logger
	login  *gongapi.Token
}

func newOAuthEnv(t *testing.T, o envOptions) *oauthEnv {
	t.Helper()
	la := &lateAuth{}
	logs := &lockedBuffer{}
	log := zerolog.New(logs).Level(zerolog.DebugLevel)
	prev := o.client
	o.client = func(c *gongapi.Config) {
		if prev != nil {
			prev(c)
		}
		c.Auth, c.Logger = la, log
	}
	o.engine.Logger = log
	v := newEnv(t, o)
	w := &oauthEnv{env: v, logs: logs, log: log, auth: la}
	w.app = w.newApp(t, v.http.URL)
	box, err := secretbox.FromString(testEncryptionKey)
	if err != nil {
		t.Fatal(err)
	}
	w.tokens = v.st.Tokens(store.TokenOptions{Box: box, Logger: log})
	w.login = browserLogin(t, w.app)
	if _, err := w.tokens.Save(v.ctx, TokenFromLogin(w.login)); err != nil {
		t.Fatal(err)
	}
	w.ts = NewTokenSource(w.tokens, w.app, TokenSourceOptions{BaseURL: v.http.URL, Now: v.clock.Now, Logger: log})
	la.ts = w.ts
	return w
}

func (w *oauthEnv) newApp(t *testing.T, base string) *gongapi.OAuth {
	t.Helper()
	app, err := gongapi.NewOAuth(gongapi.OAuthConfig{
		ClientID: fakegong.DefaultOAuthClientID, ClientSecret: fakegong.DefaultOAuthClientSecret,
		AuthorizeURL: base + "/oauth2/authorize", TokenURL: base + "/oauth2/generate-customer-token",
		Scopes: OAuthScopes(), Now: w.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// browserLogin runs the login flow, following Gong's redirect like a browser.
func browserLogin(t *testing.T, app *gongapi.OAuth) *gongapi.Token {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tok, err := app.Login(ctx, gongapi.LoginOptions{
		RedirectURL: "http://127.0.0.1:0/oauth/callback",
		OnAuthURL: func(u string) {
			go func() {
				resp, err := http.Get(u)
				if err != nil {
					t.Errorf("browser: %v", err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}()
		},
	})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	return tok
}

// assertNoSecrets fails when a log line holds a token, the client secret or the key.
func (w *oauthEnv) assertNoSecrets(extra ...string) {
	w.t.Helper()
	cur, err := w.tokens.Load(w.ctx, store.DefaultConnection)
	if err != nil {
		w.t.Fatal(err)
	}
	logs := w.logs.String()
	for _, s := range append(extra, w.login.AccessToken, w.login.RefreshToken, cur.AccessToken, cur.RefreshToken,
		fakegong.DefaultOAuthClientSecret, testEncryptionKey) {
		if s != "" && strings.Contains(logs, s) {
			w.t.Fatalf("a secret is in the logs: %.12s…", s)
		}
	}
}

// advancePerRequest moves the fake's clock after every API request (not token requests),
// so that a sync takes virtual time.
type advancePerRequest struct {
	next  http.RoundTripper
	clock *fakegong.Clock
	by    time.Duration
}

func (a *advancePerRequest) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(r)
	if strings.Contains(r.URL.Path, "/v2/") {
		a.clock.Advance(a.by) // the time passes between answers, not in flight
	}
	return resp, err
}

func TestOAuthSyncSpansSeveralRefreshes(t *testing.T) {
	t.Parallel()
	clock := fakegong.NewVirtualClock(day0.AddDate(0, 0, 40))
	w := newOAuthEnv(t, envOptions{
		fake: fakegong.Options{Clock: clock, OAuthTokenLifetime: 10 * time.Minute},
		transport: func(next http.RoundTripper) http.RoundTripper {
			return &advancePerRequest{next: next, clock: clock, by: 4 * time.Minute}
		},
	})
	// A backfill of the whole dataset, then an incremental pass, on 10-minute tokens
	// while every request takes 4 virtual minutes.
	if rep := w.backfill(day0, day0.AddDate(0, 0, 30)); !rep.Done {
		t.Fatalf("backfill did not finish: %s", rep.Message())
	}
	reps, err := w.engine.Pass(w.ctx, nil, KindSync, true)
	if err != nil {
		t.Fatalf("pass: %v", err)
	}
	for _, r := range reps {
		if r.Status != store.RunSucceeded {
			t.Fatalf("%s: %s %v", r.Stream, r.Status, r.Err)
		}
	}
	st := w.fake.OAuthStats()
	if st.Refreshes < 3 || st.InvalidGrants != 0 || st.BearerRejected != 0 {
		t.Fatalf("a pass of %d requests on 10-minute tokens: %+v", w.fake.Stats().Total, st)
	}
	// Every API request used a token on the customer's base URL (the fake refuses
	// Bearer tokens on the generic host) and none was expired.
	if int64(st.BearerAccepted) != w.fake.Stats().Total {
		t.Fatalf("%d requests, %d with an accepted token", w.fake.Stats().Total, st.BearerAccepted)
	}
	row, err := w.tokens.Load(w.ctx, store.DefaultConnection)
	if err != nil {
		t.Fatal(err)
	}
	if row.Generation != int64(1+st.Refreshes) || row.RefreshToken == w.login.RefreshToken {
		t.Fatalf("row generation %d after %d refreshes", row.Generation, st.Refreshes)
	}
	if n := w.count("SELECT count(*) FROM calls"); n == 0 || n != len(w.fake.Dataset().VisibleCalls(clock.Now())) {
		t.Fatalf("%d calls stored, %d visible", n, len(w.fake.Dataset().VisibleCalls(clock.Now())))
	}
	if !strings.Contains(w.logs.String(), "OAuth access token refreshed") {
		t.Fatal("refreshes are not logged")
	}
	w.assertNoSecrets()
}

// slowTokens delays the token endpoint, so that refreshes overlap.
func slowTokens(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/oauth2/generate-customer-token") {
			time.Sleep(40 * time.Millisecond)
		}
		next.ServeHTTP(w, r)
	})
}

func TestOAuthTwoProcessesRefreshOncePerExpiry(t *testing.T) {
	t.Parallel()
	w := newOAuthEnv(t, envOptions{
		fake:    fakegong.Options{OAuthTokenLifetime: 10 * time.Minute},
		handler: func(f *fakegong.Server) http.Handler { return slowTokens(f) },
	})
	// A second process: its own pool on the same database, its own token source and
	// client, sharing nothing in memory with the first.
	st2, err := store.Open(w.ctx, store.Options{DatabaseURL: w.dbURL(t), Schema: "gong", Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st2.Close)
	box, _ := secretbox.FromString(testEncryptionKey)
	ts2 := NewTokenSource(st2.Tokens(store.TokenOptions{Box: box, Logger: w.log}), w.newApp(t, w.http.URL),
		TokenSourceOptions{BaseURL: w.http.URL, Now: w.clock.Now, Logger: w.log})
	clients := []*gongapi.Client{}
	for _, ts := range []*TokenSource{w.ts, ts2} {
		c, err := gongapi.New(gongapi.Config{BaseURL: w.http.URL, Auth: ts, RequestTimeout: 10 * time.Second, Logger: w.log})
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}

	for round := 1; round <= 3; round++ {
		w.clock.Advance(10 * time.Minute) // every token handed out so far has expired
		var wg gosync.WaitGroup
		var failed atomic.Int32
		for _, c := range clients {
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := c.Workspaces(w.ctx); err != nil {
						failed.Add(1)
						t.Errorf("round %d: %v", round, err)
					}
				}()
			}
		}
		wg.Wait()
		st := w.fake.OAuthStats()
		if failed.Load() > 0 || st.Refreshes != round || st.InvalidGrants != 0 {
			t.Fatalf("round %d: %d failed; %+v (want exactly one refresh per expiry)", round, failed.Load(), st)
		}
	}
	w.assertNoSecrets()
}

// dbURL is the env's database, for a second pool.
func (w *oauthEnv) dbURL(t *testing.T) string {
	t.Helper()
	var name string
	if err := w.st.Pool().QueryRow(w.ctx, "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return pgtest.WithDatabase(pgtest.AdminURL(t), name)
}

func TestOAuthInvalidGrantStopsSyncingUntilLogin(t *testing.T) {
	t.Parallel()
	w := newOAuthEnv(t, envOptions{fake: fakegong.Options{OAuthTokenLifetime: 10 * time.Minute}})
	// Someone spends the stored refresh token elsewhere (a copy of the database, a
	// second install): ours is now used up.
	stolen, err := w.app.Refresh(w.ctx, w.login.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(10 * time.Minute)
	w.fake.ResetStats()

	for attempt := 1; attempt <= 2; attempt++ {
		reps, err := w.engine.Pass(w.ctx, []string{StreamUsers, StreamCalls}, KindSync, true)
		if !errors.Is(err, ErrLoginRequired) || !strings.Contains(err.Error(), "gongsync auth login") {
			t.Fatalf("pass %d: %v", attempt, err)
		}
		for _, r := range reps {
			if r.Status != store.RunFailed || !errors.Is(r.Err, ErrLoginRequired) || r.Requests != 0 {
				t.Fatalf("pass %d, %s: %s, %d requests, %v", attempt, r.Stream, r.Status, r.Requests, r.Err)
			}
		}
		// One refresh attempt in all: no retry, not in this pass nor the next.
		if st := w.fake.OAuthStats(); st.InvalidGrants != 1 || st.Refreshes != 1 {
			t.Fatalf("pass %d: %+v", attempt, st)
		}
		if n := w.fake.Stats().Total; n != 0 {
			t.Fatalf("pass %d sent %d API requests without a token", attempt, n)
		}
	}
	// Another process starting now fails fast too, without asking Gong.
	ts2 := NewTokenSource(w.tokens, w.app, TokenSourceOptions{Now: w.clock.Now})
	if err := ts2.Check(w.ctx); !errors.Is(err, ErrLoginRequired) || w.fake.OAuthStats().InvalidGrants != 1 {
		t.Fatalf("a new process: %v, %+v", err, w.fake.OAuthStats())
	}
	var mark string
	if err := w.st.Pool().QueryRow(w.ctx, "SELECT login_required FROM oauth_tokens").Scan(&mark); err != nil || !strings.Contains(mark, "invalid_grant") {
		t.Fatalf("login_required = %q, %v", mark, err)
	}

	// A new login makes the connection usable again.
	w.login = browserLogin(t, w.app)
	if _, err := w.tokens.Save(w.ctx, TokenFromLogin(w.login)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.engine.Pass(w.ctx, []string{StreamUsers}, KindSync, true); err != nil {
		t.Fatalf("after a new login: %v", err)
	}
	w.assertNoSecrets(stolen.AccessToken, stolen.RefreshToken)
}

func TestOAuthRefreshWithoutNewRefreshTokenKeepsTheOldOne(t *testing.T) {
	t.Parallel()
	w := newOAuthEnv(t, envOptions{fake: fakegong.Options{OAuthTokenLifetime: 10 * time.Minute, OAuthOmitRefreshToken: true}})
	for i := 1; i <= 2; i++ {
		w.clock.Advance(10 * time.Minute)
		if err := w.ts.Check(w.ctx); err != nil {
			t.Fatal(err)
		}
		row, err := w.tokens.Load(w.ctx, store.DefaultConnection)
		if err != nil {
			t.Fatal(err)
		}
		if row.RefreshToken != w.login.RefreshToken || row.AccessToken == w.login.AccessToken || row.Generation != int64(1+i) {
			t.Fatalf("refresh %d: kept refresh token %v, new access token %v, generation %d", i,
				row.RefreshToken == w.login.RefreshToken, row.AccessToken != w.login.AccessToken, row.Generation)
		}
	}
	if st := w.fake.OAuthStats(); st.Refreshes != 2 || st.InvalidGrants != 0 {
		t.Fatalf("%+v", st)
	}
}

func TestOAuthRefreshFailureKeepsAValidToken(t *testing.T) {
	t.Parallel()
	var failTokens atomic.Bool
	w := newOAuthEnv(t, envOptions{
		fake: fakegong.Options{OAuthTokenLifetime: 60 * time.Minute},
		handler: func(f *fakegong.Server) http.Handler {
			return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				if failTokens.Load() && strings.HasPrefix(r.URL.Path, "/oauth2/") {
					http.Error(rw, "bad gateway", http.StatusBadGateway)
					return
				}
				f.ServeHTTP(rw, r)
			})
		},
	})
	failTokens.Store(true)
	// Inside the refresh margin (the last 5 minutes) but not expired: the refresh fails,
	// the current token keeps working.
	w.clock.Advance(57 * time.Minute)
	if _, err := w.client.Workspaces(w.ctx); err != nil {
		t.Fatalf("with a failing token endpoint and a valid token: %v", err)
	}
	if !strings.Contains(w.logs.String(), "could not refresh") {
		t.Fatal("the failed refresh is not logged")
	}
	// Once expired, the failure is the caller's, and not a login-required one.
	w.clock.Advance(5 * time.Minute)
	_, err := w.client.Workspaces(w.ctx)
	if err == nil || errors.Is(err, ErrLoginRequired) {
		t.Fatalf("expired token and failing refresh: %v", err)
	}
	failTokens.Store(false)
	if _, err := w.client.Workspaces(w.ctx); err != nil {
		t.Fatalf("after the token endpoint recovered: %v", err)
	}
	w.assertNoSecrets()
}

func TestOAuthBaseURLFallsBackWhenTheTokenNamesNone(t *testing.T) {
	t.Parallel()
	w := newOAuthEnv(t, envOptions{})
	if u, err := w.ts.APIBaseURL(w.ctx); err != nil || u != w.http.URL+fakegong.CustomerPathPrefix {
		t.Fatalf("APIBaseURL = %q, %v", u, err)
	}
	tok := TokenFromLogin(w.login)
	tok.APIBaseURL = ""
	if _, err := w.tokens.Save(w.ctx, tok); err != nil {
		t.Fatal(err)
	}
	ts := NewTokenSource(w.tokens, w.app, TokenSourceOptions{BaseURL: "https://api.example.test", Now: w.clock.Now})
	if u, err := ts.APIBaseURL(w.ctx); err != nil || u != "https://api.example.test" {
		t.Fatalf("fallback APIBaseURL = %q, %v", u, err)
	}
	// No stored connection at all: a login is required.
	if _, err := w.st.Pool().Exec(w.ctx, "DELETE FROM oauth_tokens"); err != nil {
		t.Fatal(err)
	}
	if err := NewTokenSource(w.tokens, w.app, TokenSourceOptions{}).Check(w.ctx); !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("no connection: %v", err)
	}
}

func TestRefreshDue(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	day := store.OAuthToken{ObtainedAt: at, ExpiresAt: at.Add(24 * time.Hour)}
	short := store.OAuthToken{ObtainedAt: at, ExpiresAt: at.Add(10 * time.Minute)}
	unknown := store.OAuthToken{ObtainedAt: at}
	for _, tc := range []struct {
		tok  store.OAuthToken
		now  time.Time
		want bool
	}{
		{day, at.Add(23*time.Hour + 54*time.Minute), false},
		{day, at.Add(23*time.Hour + 55*time.Minute), true}, // 5 minutes before
		{short, at.Add(8*time.Minute + 59*time.Second), false},
		{short, at.Add(9 * time.Minute), true}, // a tenth of 10 minutes
		{unknown, at.Add(50 * time.Minute), false},
		{unknown, at.Add(55 * time.Minute), true},
	} {
		if got := refreshDue(tc.tok, tc.now); got != tc.want {
			t.Errorf("refreshDue(expires %s, now %s) = %v", tc.tok.ExpiresAt.Sub(at), tc.now.Sub(at), got)
		}
	}
}
