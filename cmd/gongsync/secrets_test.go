package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/gongsync/gongsync/internal/secretbox"
	"github.com/gongsync/gongsync/store"
	"github.com/rs/zerolog"
)

// Known secrets, each distinctive enough that finding it anywhere is a leak.
const (
	leakAccessKey      = "AK-leaktest-0001"
	leakAccessSecret   = "ACCESS-SECRET-7f3a9c2e"
	leakWrongSecret    = "WRONG-SECRET-5d1b8a04"
	leakClientSecret   = "CLIENT-SECRET-91c2e7aa"
	leakAccessToken    = "ACCESS-TOKEN-5e6f0b13"
	leakRefreshToken   = "REFRESH-TOKEN-a8b9d2c6"
	leakEncryptionKey  = "6c65616b746573742d656e6372797074696f6e2d6b65792d3332627974657321"
	leakWebhookToken   = "WEBHOOK-TOKEN-c0ffee42-0123456789abcdef"
	leakActionsToken   = "ACTIONS-TOKEN-b0a7d3e1-fedcba9876543210"
	leakDBPassword     = "DB-PASSWORD-d4e5f617"
	leakClientID       = "leaktest-client"
	leakWrongDBAddress = "127.0.0.1:1"
)

// secretForms are every way a secret could show up: as is, escaped for a URL, in
// base64 (alone, and as the Basic credentials key:secret).
func secretForms() map[string]string {
	forms := map[string]string{}
	for name, s := range map[string]string{
		"access key secret": leakAccessSecret, "wrong access key secret": leakWrongSecret,
		"OAuth client secret": leakClientSecret, "OAuth access token": leakAccessToken,
		"OAuth refresh token": leakRefreshToken, "encryption key": leakEncryptionKey,
		"webhook token": leakWebhookToken, "database password": leakDBPassword, "actions token": leakActionsToken,
	} {
		forms[name] = s
		forms[name+" (URL-escaped)"] = url.QueryEscape(s)
		forms[name+" (base64)"] = base64.StdEncoding.EncodeToString([]byte(s))
		forms[name+" (base64 URL)"] = base64.RawURLEncoding.EncodeToString([]byte(s))
	}
	forms["Basic credentials"] = base64.StdEncoding.EncodeToString([]byte(leakAccessKey + ":" + leakAccessSecret))
	forms["Basic credentials (wrong)"] = base64.StdEncoding.EncodeToString([]byte(leakAccessKey + ":" + leakWrongSecret))
	forms["OAuth client credentials"] = base64.StdEncoding.EncodeToString([]byte(leakClientID + ":" + leakClientSecret))
	return forms
}

// Every command and failure path runs with known secrets, at debug level; nothing
// they print (stdout, stderr, logs), nor /status, /metrics, /healthz, /readyz, nor the
// errors stored in sync_runs, holds any of them in any form.
func TestSecretsNeverAppearInOutput(t *testing.T) {
	t.Parallel()
	fake, err := fakegong.New(fakegong.Options{Seed: 21, Calls: 150, AccessKey: leakAccessKey, AccessKeySecret: leakAccessSecret,
		OAuthClientID: leakClientID, OAuthClientSecret: leakClientSecret,
		From: time.Now().AddDate(0, 0, -5), To: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	u, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), leakDBPassword) // the test cluster trusts local connections: any password works
	db := u.String()

	var seen strings.Builder // everything any command printed or served
	record := func(what, s string) { fmt.Fprintf(&seen, "\n==== %s\n%s", what, s) }
	basic := map[string]string{"DATABASE_URL": db, "GONG_BASE_URL": srv.URL, "GONG_RATE_LIMIT": "0",
		"GONG_ACCESS_KEY": leakAccessKey, "GONG_ACCESS_KEY_SECRET": leakAccessSecret,
		"GONG_OAUTH_CLIENT_ID": "", "GONG_OAUTH_CLIENT_SECRET": "", "GONGSYNC_ENCRYPTION_KEY": leakEncryptionKey,
		"GONGSYNC_WEBHOOK_TOKEN": "", "GONGSYNC_WEBHOOK_ADDR": "", "GONG_DAILY_BUDGET": "",
		"LOG_LEVEL": "debug", "LOG_FORMAT": "json"}
	with := func(env map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range env {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	run := func(what string, wantCode int, env map[string]string, args ...string) {
		t.Helper()
		var out, errOut syncBuffer
		m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Env: env}
		code := m.Run(context.Background(), args)
		record(what+" (stdout)", out.String())
		record(what+" (stderr)", errOut.String())
		if wantCode >= 0 && code != wantCode {
			t.Errorf("%s: exit %d, want %d:\n%.2000s", what, code, wantCode, errOut.String())
		}
	}

	run("migrate", 0, basic, "migrate")
	run("backfill", 0, basic, "backfill", "--from", time.Now().AddDate(0, 0, -6).Format(time.DateOnly), "--progress", "log")
	run("sync", 0, basic, "sync")
	run("status", 0, basic, "status")
	run("status --json", 0, basic, "status", "--json")
	run("proxy GET", 0, basic, "proxy", "/v2/users")
	run("proxy POST", 0, basic, "proxy", "-X", "POST", "/v2/calls/extensive", "-d", `{"filter":{"fromDateTime":"2024-01-01T00:00:00Z"}}`)
	run("migrate status", 0, basic, "migrate", "status")
	run("action run", 0, basic, "action", "run", "listUsers", "--all")
	run("action run, a Gong error", 1, basic, "action", "run", "getCall", "--input", `{"id":"`+leakAccessSecret[:6]+`"}`)

	// Failures: Gong refuses the credentials, fails, answers garbage.
	run("401", 1, with(basic, "GONG_ACCESS_KEY_SECRET", leakWrongSecret), "sync", "--streams", "calls")
	run("proxy 401", 1, with(basic, "GONG_ACCESS_KEY_SECRET", leakWrongSecret), "proxy", "/v2/users")
	if err := fake.SetFaults(fakegong.Faults{Script: []fakegong.Fault{fakegong.Fault500, fakegong.Fault503, fakegong.FaultDrop}}); err != nil {
		t.Fatal(err)
	}
	run("500s, then recovery", 0, basic, "sync", "--streams", "users")
	if err := fake.SetFaults(fakegong.Faults{Script: []fakegong.Fault{fakegong.FaultMalformed}}); err != nil {
		t.Fatal(err)
	}
	run("malformed answer", 1, basic, "sync", "--streams", "users")
	if err := fake.SetFaults(fakegong.Faults{Script: []fakegong.Fault{fakegong.FaultHTML}}); err != nil {
		t.Fatal(err)
	}
	run("HTML answer", 1, basic, "proxy", "/v2/workspaces")
	_ = fake.SetFaults(fakegong.Faults{})

	// The database unreachable, misconfigured; bad configuration of every kind.
	run("unreachable database", 1, with(basic, "DATABASE_URL", "postgres://gongsync:"+leakDBPassword+"@"+leakWrongDBAddress+"/x?connect_timeout=2"), "sync")
	run("database URL that does not parse", -1, with(basic, "DATABASE_URL", "postgres://gongsync:"+leakDBPassword+"@host:port/x"), "status")
	run("bad configuration", 2, with(basic, "GONG_DAILY_BUDGET", "-1", "GONGSYNC_WEBHOOK_ADDR", "bad", "GONGSYNC_WEBHOOK_TOKEN", leakWebhookToken,
		"GONGSYNC_ACTIONS_ADDR", "bad", "GONGSYNC_ACTIONS_TOKEN", leakActionsToken+" x"), "run")
	run("bad encryption key", -1, with(basic, "GONGSYNC_ENCRYPTION_KEY", leakEncryptionKey[:20]), "auth", "status")
	run("base URL with credentials", 2, with(basic, "GONG_BASE_URL", "https://"+leakAccessKey+":"+leakAccessSecret+"@api.gong.io"), "sync")

	// OAuth: a stored connection (encrypted with the key), used by auth status and by
	// a sync whose access token Gong does not know (401), then expired with a refresh
	// token Gong refuses (invalid_grant).
	oauth := with(basic, "GONG_ACCESS_KEY", "", "GONG_ACCESS_KEY_SECRET", "", "GONG_OAUTH_CLIENT_ID", leakClientID,
		"GONG_OAUTH_CLIENT_SECRET", leakClientSecret, "GONG_OAUTH_TOKEN_URL", srv.URL+"/oauth2/generate-customer-token",
		"GONG_OAUTH_AUTHORIZE_URL", srv.URL+"/oauth2/authorize")
	saveToken := func(expires time.Time) {
		ctx := context.Background()
		st, err := store.Open(ctx, store.Options{DatabaseURL: db, Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		box, err := secretbox.FromString(leakEncryptionKey)
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.Tokens(store.TokenOptions{Box: box}).Save(ctx, store.OAuthToken{ID: store.DefaultConnection,
			AccessToken: leakAccessToken, RefreshToken: leakRefreshToken, TokenType: "bearer",
			Scopes: []string{"api:calls:read:extensive"}, APIBaseURL: srv.URL + fakegong.CustomerPathPrefix,
			ExpiresAt: expires, ObtainedAt: time.Now().Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
	}
	saveToken(time.Now().Add(time.Hour))
	run("auth status", 0, oauth, "auth", "status")
	run("auth status --json", -1, oauth, "auth", "status", "--json")
	run("OAuth sync, token unknown to Gong", 1, oauth, "sync", "--streams", "calls")
	saveToken(time.Now().Add(-time.Hour))
	run("OAuth sync, refresh refused", -1, oauth, "sync", "--streams", "calls")
	run("auth status after refusal", -1, oauth, "auth", "status")

	// The daemon, briefly: its HTTP endpoints, and the webhook receiver refusing a
	// wrong token and taking the right one (whose payload is junk).
	opsAddr, hookAddr, actionsAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	daemonEnv := with(basic, "GONGSYNC_HTTP_ADDR", opsAddr, "GONGSYNC_WEBHOOK_ADDR", hookAddr,
		"GONGSYNC_WEBHOOK_TOKEN", leakWebhookToken, "GONGSYNC_SCHEDULE_CALLS", "@every 1s",
		"GONGSYNC_ACTIONS_ADDR", actionsAddr, "GONGSYNC_ACTIONS_TOKEN", leakActionsToken)
	var out, errOut syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Env: daemonEnv}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- m.Run(ctx, []string{"run"}) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, _ := get("http://" + opsAddr + "/readyz"); c == 200 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the daemon never became ready:\n%s", errOut.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Two scheduled ticks, whose lines the leak check below reads: wait for the log to
	// show a run of the second one finished.
	for deadline := time.Now().Add(30 * time.Second); ; {
		_, started, _ := strings.Cut(errOut.String(), "daemon started")
		if ticks := strings.Split(started, `"message":"tick"`); len(ticks) > 2 && strings.Contains(ticks[2], `"message":"run finished"`) {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no run of a second scheduled tick after 30s:\n%s", errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range []string{"/status", "/metrics", "/healthz", "/readyz"} {
		c, body := get("http://" + opsAddr + p)
		if c != 200 {
			t.Errorf("%s: %d", p, c)
		}
		record("daemon "+p, body)
	}
	for _, token := range []string{"wrong-token", leakWebhookToken} {
		resp, err := http.Post("http://"+hookAddr+"/webhooks/gong?token="+url.QueryEscape(token), "application/json",
			strings.NewReader(`{"isTest":false,"callData":{"metaData":{"id":"`+leakAccessSecret[:4]+`"}}`))
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 4096)
		n, _ := resp.Body.Read(b)
		resp.Body.Close()
		record("webhook answer", string(b[:n]))
	}
	for _, token := range []string{"wrong-token", leakActionsToken} {
		for _, path := range []string{"/actions/listWorkspaces", "/actions/getCall"} {
			req, _ := http.NewRequest(http.MethodPost, "http://"+actionsAddr+path, strings.NewReader(`{"id":"x"}`))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			record("actions answer", resp.Status+" "+string(b))
			want := map[bool]int{false: 401, true: map[string]int{"/actions/listWorkspaces": 400, "/actions/getCall": 502}[path]}[token == leakActionsToken]
			if resp.StatusCode != want {
				t.Errorf("the daemon's actions server: POST %s with the %s token: %s, want %d", path, map[bool]string{true: "right", false: "wrong"}[token == leakActionsToken], resp.Status, want)
			}
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("run: exit %d", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the daemon did not stop")
	}
	record("run (stdout)", out.String())
	record("run (stderr)", errOut.String())

	// What runs stored as their errors is shown by status; read it straight too.
	st, err := store.Open(context.Background(), store.Options{DatabaseURL: db, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.Pool().Query(context.Background(), `SELECT coalesce(error, '') || ' ' || coalesce(details::text, '') FROM sync_runs`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		record("sync_runs", s)
	}
	rows.Close()
	st.Close()

	all := seen.String()
	for name, form := range secretForms() {
		if i := strings.Index(all, form); i >= 0 {
			start := max(0, i-300)
			t.Errorf("the %s is in the output:\n…%s…", name, all[start:min(len(all), i+len(form)+100)])
		}
	}
	// The paths above must have been walked, or the search proves nothing.
	for _, want := range []string{"401", "invalid_grant", "malformed", "webhook rejected", "gong request failed, retrying", "action refused", "action finished",
		`"level":"debug"`, "gongsync_gong_requests_total", "open database", "configuration"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q anywhere in the output: a failure path was not exercised", want)
		}
	}
	t.Logf("searched %d bytes of output for %d forms of %d secrets", len(all), len(secretForms()), 9)
}
