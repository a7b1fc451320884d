package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/secretbox"
	"github.com/gongsync/gongsync/store"
)

const testKey = "6b0a2f7c3e9d41b58c27e6f90a1d3c5b7e9f1a2b3c4d5e6f708192a3b4c5d6e7"

// oauthCLIEnv is the environment of a gongsync in OAuth mode against a fake Gong.
func oauthCLIEnv(t *testing.T) (map[string]string, *fakegong.Server, string) {
	t.Helper()
	fake, err := fakegong.New(fakegong.Options{Seed: 9, Calls: 40, From: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
		To: time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC), Clock: fakegong.NewVirtualClock(time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(fake)
	t.Cleanup(hs.Close)
	return map[string]string{
		"DATABASE_URL":             migrated.NewDatabase(t),
		"GONG_ACCESS_KEY":          "",
		"GONG_ACCESS_KEY_SECRET":   "",
		"GONG_OAUTH_CLIENT_ID":     fakegong.DefaultOAuthClientID,
		"GONG_OAUTH_CLIENT_SECRET": fakegong.DefaultOAuthClientSecret,
		"GONG_OAUTH_AUTHORIZE_URL": hs.URL + "/oauth2/authorize",
		"GONG_OAUTH_TOKEN_URL":     hs.URL + "/oauth2/generate-customer-token",
		"GONG_BASE_URL":            hs.URL,
		"GONG_RATE_LIMIT":          "0",
		"GONGSYNC_ENCRYPTION_KEY":  testKey,
		"LOG_FORMAT":               "json",
		"LOG_LEVEL":                "debug",
	}, fake, hs.URL
}

// urlWatcher is a command's stdout: it hands the first authorize URL it sees to a
// test browser.
type urlWatcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	urls chan string
	sent bool
}

func (u *urlWatcher) Write(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.buf.Write(p)
	if !u.sent {
		for _, line := range strings.Split(u.buf.String(), "\n") {
			if s := strings.TrimSpace(line); strings.HasPrefix(s, "http") && strings.Contains(s, "/oauth2/authorize?") {
				u.sent = true
				u.urls <- s
				break
			}
		}
	}
	return len(p), nil
}

func (u *urlWatcher) String() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.buf.String()
}

// loginAs runs `gongsync auth login` with a browser that follows the printed URL
// after edit changes it; it returns the exit status, stdout, stderr and the status
// the browser finally got.
func loginAs(t *testing.T, env map[string]string, edit func(*url.URL), args ...string) (int, string, string, int) {
	t.Helper()
	out := &urlWatcher{urls: make(chan string, 1)}
	var errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: out, Stderr: &errOut, Env: env}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- m.Run(ctx, append([]string{"auth", "login", "--redirect-url", "http://127.0.0.1:0/oauth/callback", "--no-browser"}, args...))
	}()
	browserStatus := 0
	select {
	case raw := <-out.urls:
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(u)
		}
		resp, err := http.Get(u.String())
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		browserStatus = resp.StatusCode
	case code := <-done:
		return code, out.String(), errOut.String(), 0
	}
	return <-done, out.String(), errOut.String(), browserStatus
}

// storedTokens reads the connection's tokens (with the key) for the leak checks.
func storedTokens(t *testing.T, dbURL string) store.OAuthToken {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DatabaseURL: dbURL, Schema: "gong", Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	box, _ := secretbox.FromString(testKey)
	tok, err := st.Tokens(store.TokenOptions{Box: box}).Load(ctx, store.DefaultConnection)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func countRows(t *testing.T, dbURL, sql string) int {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DatabaseURL: dbURL, Schema: "gong", Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.Pool().QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestAuthLoginStatusAndSyncWithOAuth(t *testing.T) {
	t.Parallel()
	env, fake, base := oauthCLIEnv(t)
	code, out, errOut, browser := loginAs(t, env, nil)
	if code != 0 || browser != http.StatusOK {
		t.Fatalf("auth login: exit %d, browser %d\n%s\n%s", code, browser, out, errOut)
	}
	for _, want := range []string{"Connected to Gong.", "api:calls:read:transcript", base + fakegong.CustomerPathPrefix, "encrypted (AES-256-GCM)", "generation 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("login output lacks %q:\n%s", want, out)
		}
	}
	tok := storedTokens(t, env["DATABASE_URL"])

	code, status, statusErr := gongsync(t, env, "auth", "status")
	if code != 0 || !strings.Contains(status, "mode: oauth") || !strings.Contains(status, base+fakegong.CustomerPathPrefix) ||
		!strings.Contains(status, "access token expires") || !strings.Contains(status, "api:users:read") {
		t.Fatalf("auth status: exit %d\n%s\n%s", code, status, statusErr)
	}
	code, jsonStatus, _ := gongsync(t, env, "auth", "status", "--json")
	if code != 0 || !strings.Contains(jsonStatus, `"mode": "oauth"`) || !strings.Contains(jsonStatus, `"encrypted": true`) {
		t.Fatalf("auth status --json: exit %d\n%s", code, jsonStatus)
	}

	// A sync in OAuth mode: Bearer tokens, sent to the customer's base URL.
	code, syncOut, syncErr := gongsync(t, env, "sync", "--streams", "users,workspaces")
	if code != 0 {
		t.Fatalf("sync with OAuth: exit %d\n%s\n%s", code, syncOut, syncErr)
	}
	if st := fake.OAuthStats(); st.BearerAccepted < 2 || st.BearerRejected != 0 {
		t.Fatalf("the fake saw %+v", st)
	}
	if n := countRows(t, env["DATABASE_URL"], "SELECT count(*) FROM users"); n == 0 {
		t.Fatal("no users synced")
	}

	for _, text := range []string{out, errOut, status, statusErr, jsonStatus, syncOut, syncErr} {
		for _, secret := range []string{tok.AccessToken, tok.RefreshToken, fakegong.DefaultOAuthClientSecret, testKey} {
			if strings.Contains(text, secret) {
				t.Fatalf("a secret (%.10s…) is in the output:\n%s", secret, text)
			}
		}
	}
}

func TestAuthLoginRefusesAWrongState(t *testing.T) {
	t.Parallel()
	env, fake, _ := oauthCLIEnv(t)
	code, out, errOut, browser := loginAs(t, env, func(u *url.URL) {
		q := u.Query()
		q.Set("state", "forged-"+q.Get("state"))
		u.RawQuery = q.Encode()
	})
	if code != 1 || browser != http.StatusBadRequest || !strings.Contains(errOut, "state") {
		t.Fatalf("wrong state: exit %d, browser %d\n%s\n%s", code, browser, out, errOut)
	}
	if st := fake.OAuthStats(); st.CodeExchanges != 0 {
		t.Fatalf("the code was exchanged: %+v", st)
	}
	if n := countRows(t, env["DATABASE_URL"], "SELECT count(*) FROM oauth_tokens"); n != 0 {
		t.Fatalf("%d connections stored after a refused login", n)
	}
	// No connection: status says so and exits 1; a sync fails before any request.
	code, status, _ := gongsync(t, env, "auth", "status")
	if code != 1 || !strings.Contains(status, "No OAuth connection") {
		t.Fatalf("status without a connection: exit %d\n%s", code, status)
	}
	fake.ResetStats()
	code, _, syncErr := gongsync(t, env, "sync", "--streams", "users")
	if code != 1 || !strings.Contains(syncErr, "gongsync auth login") || fake.Stats().Total != 0 {
		t.Fatalf("sync without a connection: exit %d, %d requests\n%s", code, fake.Stats().Total, syncErr)
	}
}

func TestAuthLoginNeedsAKeyOrTheInsecureFlag(t *testing.T) {
	t.Parallel()
	env, fake, _ := oauthCLIEnv(t)
	env["GONGSYNC_ENCRYPTION_KEY"] = ""
	code, out, errOut, _ := loginAs(t, env, nil)
	if code != 2 || !strings.Contains(errOut, "GONGSYNC_ENCRYPTION_KEY") || !strings.Contains(errOut, "--insecure-plaintext-tokens") ||
		strings.Contains(out, "/oauth2/authorize") || fake.OAuthStats().Authorizations != 0 {
		t.Fatalf("login without a key: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut, _ = loginAs(t, env, nil, "--insecure-plaintext-tokens")
	if code != 0 || !strings.Contains(out, "UNENCRYPTED") || !strings.Contains(errOut, "INSECURE") {
		t.Fatalf("login with --insecure-plaintext-tokens: exit %d\n%s\n%s", code, out, errOut)
	}
	// Using plaintext tokens warns every time.
	env["GONGSYNC_INSECURE_PLAINTEXT_TOKENS"] = "true"
	code, _, syncErr := gongsync(t, env, "sync", "--streams", "workspaces")
	if code != 0 || !strings.Contains(syncErr, "INSECURE") {
		t.Fatalf("sync on plaintext tokens: exit %d\n%s", code, syncErr)
	}
}

// A daemon started before anyone connected it to Gong with OAuth does not exit: it
// waits, each tick failing at once without a request to Gong, and syncs from the first
// tick after `gongsync auth login`, made by another process on the same database.
func TestDaemonWaitsForAnOAuthLogin(t *testing.T) {
	t.Parallel()
	env, fake, _ := oauthCLIEnv(t)
	env["GONGSYNC_HTTP_ADDR"] = "off"
	env["GONGSYNC_SCHEDULE_CALLS"] = "@every 1s"
	db := env["DATABASE_URL"]
	logs := &urlWatcher{urls: make(chan string, 1)}
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: logs, Env: env}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- m.Run(ctx, []string{"run"}) }()

	// waitFor polls a count of sync_runs until it reaches n, failing if the daemon exits.
	waitFor := func(what, sql string, n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for countRows(t, db, sql) < n {
			select {
			case code := <-done:
				t.Fatalf("the daemon exited (%d) while waiting for %s:\n%s", code, what, logs)
			case <-time.After(200 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s after 30s:\n%s", what, logs)
			}
		}
	}
	waitFor("two failed calls ticks", `SELECT count(*) FROM sync_runs WHERE stream = 'calls' AND status = 'failed' AND error LIKE '%auth login%'`, 2)
	if n := fake.Stats().Total; n != 0 {
		t.Fatalf("the daemon sent %d requests to Gong without a connection", n)
	}
	if !strings.Contains(logs.String(), "waiting for `gongsync auth login`") {
		t.Errorf("the log does not say the daemon waits for a login:\n%s", logs)
	}

	if code, out, errOut, browser := loginAs(t, env, nil); code != 0 || browser != http.StatusOK {
		t.Fatalf("auth login: exit %d, browser %d\n%s\n%s", code, browser, out, errOut)
	}
	waitFor("calls tick after the login", `SELECT count(*) FROM sync_runs WHERE stream = 'calls' AND status = 'succeeded'`, 1)
	if n := fake.Stats().Total; n == 0 {
		t.Fatal("a calls run succeeded without a request to Gong")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("the daemon exited %d on shutdown:\n%s", code, logs)
	}
}
