package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/config"
)

type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// webhookWorld is the daemon's webhook server on a real database, and a fake Gong
// that fires webhooks at it.
type webhookWorld struct {
	t     *testing.T
	a     *app
	fake  *fakegong.Server
	url   string // the URL configured in the "rule", token included
	logs  *safeBuffer
	token string
}

func newWebhookWorld(t *testing.T) *webhookWorld {
	t.Helper()
	ctx := context.Background()
	fake, err := fakegong.New(fakegong.Options{Seed: 4, Calls: 30, From: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
		To: time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), Clock: fakegong.NewVirtualClock(time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	key, err := fake.WebhookPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)

	w := &webhookWorld{t: t, fake: fake, logs: &safeBuffer{}, token: "whk-Token-0f9e8d7c6b5a-0123456789abcdef"}
	w.url = srv.URL + webhookPath + "?token=" + w.token
	cfg := &config.Config{
		DatabaseURL: config.Secret(migrated.NewDatabase(t)), Schema: "gong",
		DailyBudget: 1000, BackfillShare: 0.8, BudgetTZ: time.UTC,
		WebhookURL: w.url, WebhookPublicKey: key, WebhookToken: config.Secret(w.token),
	}
	w.a, err = openApp(ctx, cfg, zerolog.New(w.logs), appOptions{migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.a.Close)
	if h, err = webhookHandler(w.a); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *webhookWorld) calls() int {
	w.t.Helper()
	var n int
	if err := w.a.st.Pool().QueryRow(context.Background(), "SELECT count(*) FROM calls").Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// send posts req and returns the status and the answer's first line.
func (w *webhookWorld) send(req *http.Request) (int, string) {
	w.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, strings.TrimSpace(b.String())
}

func (w *webhookWorld) request(url, id string, o fakegong.WebhookOptions) *http.Request {
	w.t.Helper()
	req, err := w.fake.WebhookRequest(context.Background(), url, id, o)
	if err != nil {
		w.t.Fatal(err)
	}
	return req
}

func TestWebhookEveryRejectionWritesNothing(t *testing.T) {
	t.Parallel()
	w := newWebhookWorld(t)
	other, err := fakegong.New(fakegong.Options{Seed: 4, Calls: 30, From: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
		To: time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), Clock: w.fake.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	call := w.fake.Dataset().VisibleCalls(w.fake.Clock().Now())[3]
	id := string(call.MetaData.ID)
	noToken := strings.TrimSuffix(w.url, "?token="+w.token)
	signedBody := func(body []byte) *http.Request {
		req := httptest.NewRequest(http.MethodPost, w.url, bytes.NewReader(body))
		req.RequestURI = ""
		req.Header.Set("Content-Type", "application/json")
		jwt, err := w.fake.SignWebhook(body, w.url, time.Now().Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+jwt)
		return req
	}
	huge := bytes.Repeat([]byte("x"), gongapi.MaxWebhookBody+1)

	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		reason string
	}{
		{"body over 5 MiB", signedBody(huge), 413, gongapi.ReasonTooLarge},
		{"wrong content type", func() *http.Request {
			r := w.request(w.url, id, fakegong.WebhookOptions{})
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}(), 415, gongapi.ReasonContentType},
		{"bad JSON", signedBody([]byte(`{"callData": {"metaData": {"id": "1"`)), 400, gongapi.ReasonBadJSON},
		{"wrong signature", func() *http.Request {
			r, err := other.WebhookRequest(context.Background(), w.url, id, fakegong.WebhookOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}(), 401, gongapi.ReasonBadSignature},
		{"expired", w.request(w.url, id, fakegong.WebhookOptions{TTL: -2 * time.Minute}), 401, gongapi.ReasonExpired},
		{"wrong URL", w.request(w.url, id, fakegong.WebhookOptions{ClaimURL: "https://elsewhere.example/hook"}), 401, gongapi.ReasonWrongURL},
		{"wrong hash", func() *http.Request {
			r := w.request(w.url, id, fakegong.WebhookOptions{})
			body, _ := w.fake.WebhookBody(id, false)
			body = bytes.Replace(body, []byte(`"isPrivate":false}`), []byte(`"isPrivate":true }`), 1)
			r.Body, r.ContentLength = readCloser(body), int64(len(body))
			return r
		}(), 401, gongapi.ReasonWrongHash},
		{"missing signature", w.request(w.url, id, fakegong.WebhookOptions{Unsigned: true}), 401, gongapi.ReasonMissingJWT},
		{"missing token", w.request(noToken, id, fakegong.WebhookOptions{ClaimURL: w.url}), 401, gongapi.ReasonMissingToken},
		{"wrong token", w.request(noToken+"?token=whk-Token-0f9e8d7c6b5a-0123456789abcdeg", id, fakegong.WebhookOptions{ClaimURL: w.url}), 401, gongapi.ReasonWrongToken},
		{"GET", func() *http.Request { r, _ := http.NewRequest(http.MethodGet, w.url, nil); return r }(), 405, gongapi.ReasonMethod},
	} {
		status, text := w.send(tc.req)
		if status != tc.status || text != tc.reason {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, text, tc.status, tc.reason)
		}
	}
	if status, _ := w.send(w.request(strings.Replace(w.url, webhookPath, "/webhooks/other", 1), id, fakegong.WebhookOptions{})); status != http.StatusNotFound {
		t.Errorf("another path: %d", status)
	}
	if n := w.calls(); n != 0 {
		t.Fatalf("%d calls written by rejected webhooks", n)
	}
	logs := w.logs.String()
	if c := strings.Count(logs, `"webhook rejected"`); c != 11 {
		t.Errorf("%d rejection log lines, want 11:\n%s", c, logs)
	}
	for _, leak := range []string{w.token, *call.MetaData.Title, `"callData"`, "eyJ"} {
		if strings.Contains(logs, leak) {
			t.Fatalf("the logs show %q:\n%s", leak, logs)
		}
	}
}

func TestWebhookStoresTheCallWithItsTranscriptPending(t *testing.T) {
	t.Parallel()
	w := newWebhookWorld(t)
	ctx := context.Background()
	visible := w.fake.Dataset().VisibleCalls(w.fake.Clock().Now())
	test, real := visible[0], visible[5]

	// A rule's test: verified, logged, not stored.
	status, text := w.send(w.request(w.url, string(test.MetaData.ID), fakegong.WebhookOptions{IsTest: true, BearerPrefix: true}))
	if status != http.StatusOK || !strings.Contains(text, "test") || w.calls() != 0 {
		t.Fatalf("test webhook: %d %q, %d calls", status, text, w.calls())
	}
	if !strings.Contains(w.logs.String(), "test webhook verified") {
		t.Fatalf("the test webhook is not logged:\n%s", w.logs.String())
	}

	status, text = w.send(w.request(w.url, string(real.MetaData.ID), fakegong.WebhookOptions{}))
	if status != http.StatusOK || text != "ok" {
		t.Fatalf("webhook: %d %q\n%s", status, text, w.logs.String())
	}
	var (
		title, transcript string
		parties           int
	)
	err := w.a.st.Pool().QueryRow(ctx, `
		SELECT c.title, c.transcript_status, (SELECT count(*) FROM call_parties p WHERE p.call_id = c.id)
		FROM calls c WHERE c.id = $1`, string(real.MetaData.ID)).Scan(&title, &transcript, &parties)
	if err != nil {
		t.Fatalf("the call is not in the table: %v", err)
	}
	if title != *real.MetaData.Title || transcript != "pending" || parties != len(real.Parties) {
		t.Fatalf("stored %q, transcript %s, %d parties; want %q, pending, %d", title, transcript, parties, *real.MetaData.Title, len(real.Parties))
	}
	// The same webhook again (Gong may retry): still one row.
	if status, _ := w.send(w.request(w.url, string(real.MetaData.ID), fakegong.WebhookOptions{})); status != http.StatusOK || w.calls() != 1 {
		t.Fatalf("repeated webhook: %d, %d calls", status, w.calls())
	}
	// A webhook never moves a checkpoint: the polling sync stays the source of truth.
	var checkpoints int
	if err := w.a.st.Pool().QueryRow(ctx, "SELECT count(*) FROM sync_state").Scan(&checkpoints); err != nil || checkpoints != 0 {
		t.Fatalf("sync_state rows after webhooks: %d, %v", checkpoints, err)
	}
	if strings.Contains(w.logs.String(), w.token) {
		t.Fatal("the token is in the logs")
	}
}

type bodyReader struct{ *bytes.Reader }

func (bodyReader) Close() error { return nil }

func readCloser(b []byte) bodyReader { return bodyReader{bytes.NewReader(b)} }
