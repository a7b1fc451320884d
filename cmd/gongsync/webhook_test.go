package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/config"
	gsync "github.com/gongsync/gongsync/sync"
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
	// batcher is what the receiver announces the calls it stores to (nil: none).
	batcher *gsync.CallBatcher
}

func newWebhookWorld(t *testing.T) *webhookWorld { return newWebhookWorldFetching(t, nil) }

// newWebhookWorldFetching is a webhook world whose receiver announces the calls it
// stores to the batcher that batch makes (nil: none), from an app with a Gong client
// talking to the fake over HTTP.
func newWebhookWorldFetching(t *testing.T, batch func(*app) *gsync.CallBatcher) *webhookWorld {
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
	gong := httptest.NewServer(fake)
	t.Cleanup(gong.Close)

	w := &webhookWorld{t: t, fake: fake, logs: &safeBuffer{}, token: "whk-Token-0f9e8d7c6b5a-0123456789abcdef"}
	w.url = srv.URL + webhookPath + "?token=" + w.token
	cfg := &config.Config{
		DatabaseURL: config.Secret(migrated.NewDatabase(t)), Schema: "gong",
		DailyBudget: 1000, BackfillShare: 0.8, BudgetTZ: time.UTC,
		WebhookURL: w.url, WebhookPublicKey: key, WebhookToken: config.Secret(w.token),
		GongBaseURL: gong.URL, AccessKey: fakegong.DefaultAccessKey, AccessKeySecret: config.Secret(fakegong.DefaultAccessKeySecret),
	}
	w.a, err = openApp(ctx, cfg, zerolog.New(w.logs), appOptions{migrate: true, gong: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.a.Close)
	if batch != nil {
		w.batcher = batch(w.a)
	}
	if h, err = webhookHandler(w.a, w.batcher); err != nil {
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

// fetchedBatch is one batch the webhook receiver's batcher fetched.
type fetchedBatch struct {
	ids  []string
	reps []*gsync.RunReport
}

// Webhook first: a verified webhook has the call and its transcript fetched at once
// (calls announced within the batch window share one request of each endpoint), an
// unverified one fetches nothing, and no checkpoint moves.
func TestWebhookFetchesAnnouncedCallsWithTheirTranscripts(t *testing.T) {
	t.Parallel()
	// The first window ends when the test says so (every webhook of the batch has been
	// answered); later windows end at once.
	release := make(chan time.Time)
	fetched := make(chan fetchedBatch, 8)
	w := newWebhookWorldFetching(t, func(a *app) *gsync.CallBatcher {
		return a.engine.NewCallBatcher(gsync.BatcherOptions{Window: time.Hour,
			After:   func(time.Duration) <-chan time.Time { return release },
			Fetched: func(ids []string, reps []*gsync.RunReport) { fetched <- fetchedBatch{ids, reps} }})
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fetch := make(chan struct{})
	go func() {
		defer close(fetch)
		// The batcher is the handler's; the world's handler announces to it.
		_ = w.batcher.Run(ctx)
	}()
	defer func() { cancel(); <-fetch }()

	now := w.fake.Clock().Now()
	var withTranscript []string
	for _, c := range w.fake.Dataset().VisibleCalls(now) {
		if _, ok := w.fake.Dataset().TranscriptAt(string(c.MetaData.ID), now); ok {
			withTranscript = append(withTranscript, string(c.MetaData.ID))
		}
	}
	if len(withTranscript) < 5 {
		t.Fatalf("only %d calls with a transcript in the fake", len(withTranscript))
	}
	wait := func() fetchedBatch {
		t.Helper()
		select {
		case b := <-fetched:
			return b
		case <-time.After(30 * time.Second): // a generous bound, not a measurement
			t.Fatalf("no batch fetched within 30s of the webhook\n%s", w.logs.String())
		}
		return fetchedBatch{}
	}
	served := func(endpoint string) int64 { return w.fake.Stats().ByEndpoint[endpoint] }
	check := func(b fetchedBatch, want []string) {
		t.Helper()
		got := slices.Sorted(slices.Values(b.ids))
		if !slices.Equal(got, slices.Sorted(slices.Values(want))) {
			t.Fatalf("batch fetched %v, want %v", got, want)
		}
		for _, rep := range b.reps {
			if rep.Err != nil || rep.Stream != gsync.StreamWebhook || rep.Kind != gsync.KindWebhook {
				t.Fatalf("fetch run: %s %s %s: %v", rep.Stream, rep.Kind, rep.Status, rep.Err)
			}
		}
		for _, id := range want {
			var status string
			var sentences int
			err := w.a.st.Pool().QueryRow(context.Background(), `SELECT c.transcript_status,
				(SELECT count(*) FROM transcript_sentences s WHERE s.call_id = c.id) FROM calls c WHERE c.id = $1`, id).Scan(&status, &sentences)
			tr, _ := w.fake.Dataset().TranscriptAt(id, now)
			n := 0
			for _, m := range tr.Transcript {
				n += len(m.Sentences)
			}
			if err != nil || status != "available" || sentences != n {
				t.Fatalf("call %s: transcript %s with %d sentences (%v); want available with %d", id, status, sentences, err, n)
			}
		}
	}

	// Three calls announced within one window: one request of each endpoint.
	batch := withTranscript[:3]
	for _, id := range batch {
		if status, text := w.send(w.request(w.url, id, fakegong.WebhookOptions{})); status != http.StatusOK {
			t.Fatalf("webhook %s: %d %q", id, status, text)
		}
	}
	close(release)
	check(wait(), batch)
	if e, tr := served(gongapi.EndpointCallsExtensive), served(gongapi.EndpointTranscripts); e != 1 || tr != 1 {
		t.Fatalf("three announced calls cost %d calls/extensive and %d calls/transcript requests; want 1 and 1", e, tr)
	}

	// An unverified webhook (a wrong token) fetches nothing: the next batch holds the
	// verified call sent after it, alone, at one request of each endpoint more.
	if status, _ := w.send(w.request(strings.Replace(w.url, w.token, w.token[:len(w.token)-1]+"x", 1), withTranscript[3], fakegong.WebhookOptions{})); status != http.StatusUnauthorized {
		t.Fatalf("a webhook with a wrong token answered %d", status)
	}
	if status, _ := w.send(w.request(w.url, withTranscript[4], fakegong.WebhookOptions{})); status != http.StatusOK {
		t.Fatalf("webhook %s: %d", withTranscript[4], status)
	}
	check(wait(), withTranscript[4:5])
	if e, tr := served(gongapi.EndpointCallsExtensive), served(gongapi.EndpointTranscripts); e != 2 || tr != 2 {
		t.Fatalf("after the unverified webhook and one more call: %d calls/extensive and %d calls/transcript requests; want 2 and 2", e, tr)
	}
	var unverified int
	if err := w.a.st.Pool().QueryRow(ctx, "SELECT count(*) FROM calls WHERE id = $1", withTranscript[3]).Scan(&unverified); err != nil || unverified != 0 {
		t.Fatalf("the call of the unverified webhook is stored (%d rows, %v)", unverified, err)
	}

	// Every request is in the ledger, on the webhook runs; no checkpoint moved.
	var runs, requests, checkpoints int
	if err := w.a.st.Pool().QueryRow(ctx, `SELECT count(*), coalesce(sum(requests), 0) FROM sync_runs WHERE stream = 'webhook' AND kind = 'webhook'`).Scan(&runs, &requests); err != nil || runs != 2 || requests != 4 {
		t.Fatalf("webhook runs: %d with %d requests (%v); want 2 with 4", runs, requests, err)
	}
	if err := w.a.st.Pool().QueryRow(ctx, "SELECT count(*) FROM sync_state").Scan(&checkpoints); err != nil || checkpoints != 0 {
		t.Fatalf("sync_state rows after webhook fetches: %d, %v", checkpoints, err)
	}
}

// The daemon wires it: `gongsync run` with a webhook receiver fetches the call a
// signed webhook announces at once, with its transcript. The call is older than the
// settle window, so the daemon's own passes never read it: it is in Postgres with its
// transcript, by a run of the webhook stream, within 30 seconds of the webhook (a
// generous bound on waiting for that commit, not a measurement).
func TestDaemonFetchesTheCallAWebhookAnnounces(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	k := newFakeEnv(t, fakegong.Options{Seed: 9, Calls: 40, From: now.AddDate(0, 0, -30), To: now.AddDate(0, 0, -20)})
	key, err := k.fake.WebhookPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	db := migrated.NewDatabase(t)
	addr := freeAddr(t)
	url := "http://" + addr + webhookPath
	var stderr safeBuffer
	cmd := process(context.Background(), append(k.env(db), "GONGSYNC_HTTP_ADDR=off", "GONGSYNC_WEBHOOK_ADDR="+addr,
		"GONGSYNC_WEBHOOK_URL="+url, "GONGSYNC_WEBHOOK_PUBLIC_KEY="+key, "GONGSYNC_WEBHOOK_BATCH=200ms", "LOG_LEVEL=info"), "run")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	var id string
	at := k.fake.Clock().Now()
	for _, c := range k.fake.Dataset().VisibleCalls(at) {
		if _, ok := k.fake.Dataset().TranscriptAt(string(c.MetaData.ID), at); ok {
			id = string(c.MetaData.ID)
			break
		}
	}
	if id == "" {
		t.Fatal("no call with a transcript in the fake")
	}
	// The receiver listens before the daemon's first pass; until it does, the post
	// fails to connect.
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, err := k.fake.WebhookRequest(context.Background(), url, id, fakegong.WebhookOptions{})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("webhook: %d\n%s", resp.StatusCode, stderr.String())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook receiver never answered: %v\n%s", err, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	sent := time.Now()
	for {
		fetched := queryInt(db, `SELECT count(*) FROM gong.calls c WHERE c.id = $1 AND c.transcript_status = 'available'
			AND EXISTS (SELECT 1 FROM gong.transcript_sentences s WHERE s.call_id = c.id)
			AND EXISTS (SELECT 1 FROM gong.sync_runs r WHERE r.stream = 'webhook' AND r.kind = 'webhook' AND r.status = 'succeeded' AND r.requests = 2)`, id)
		if fetched == 1 {
			break
		}
		if time.Since(sent) > 30*time.Second {
			t.Fatalf("the call and its transcript are not in Postgres 30s after the webhook\n%s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("the call and its transcript committed %s after the webhook", time.Since(sent).Round(time.Millisecond))
}
