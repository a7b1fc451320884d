package fakegong

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
)

// hookSink receives webhooks and verifies them like gongsync would.
type hookSink struct {
	mu       sync.Mutex
	ids      []string
	rejected []string
	v        *gongapi.WebhookVerifier
	srv      *httptest.Server
}

func newHookSink(t *testing.T, s *Server) *hookSink {
	t.Helper()
	key, err := s.WebhookPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	h := &hookSink{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := h.v.Verify(r)
		h.mu.Lock()
		defer h.mu.Unlock()
		if err != nil {
			h.rejected = append(h.rejected, err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.ids = append(h.ids, string(p.CallData.MetaData.ID))
	}))
	t.Cleanup(h.srv.Close)
	if h.v, err = gongapi.NewWebhookVerifier(gongapi.WebhookConfig{PublicKey: key, URL: h.srv.URL + "/hook"}); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *hookSink) received() ([]string, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.ids), slices.Clone(h.rejected)
}

func TestWebhookBodyIsTheExtensiveCall(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Seed: 5, Calls: 10, Clock: NewVirtualClock(fixedNow)})
	if err != nil {
		t.Fatal(err)
	}
	id := visibleIDs(s, fixedNow)[4]
	body, err := s.WebhookBody(id, true)
	if err != nil {
		t.Fatal(err)
	}
	var p webhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("webhook body: %v\n%.300s", err, body)
	}
	want, _ := s.Dataset().CallAt(id, fixedNow)
	if !p.IsTest || p.CallData == nil || p.CallData.MetaData.ID != want.MetaData.ID ||
		*p.CallData.MetaData.Title != *want.MetaData.Title || len(p.CallData.Parties) != len(want.Parties) ||
		p.IsPrivate != (want.MetaData.IsPrivate != nil && *want.MetaData.IsPrivate) {
		t.Fatalf("payload does not carry the call: %+v", p)
	}
	var raw struct {
		CallData map[string]json.RawMessage `json:"callData"`
	}
	_ = json.Unmarshal(body, &raw)
	if string(raw.CallData["metaData"]) == "" || string(raw.CallData["context"]) == "null" {
		t.Fatalf("callData is not written by the fake's encoder: %.300s", body)
	}
	if _, err := s.WebhookBody("123", false); err == nil {
		t.Fatal("a webhook for an unknown call")
	}
}

func TestRunWebhooksSendsCallsAsTheyBecomeVisible(t *testing.T) {
	t.Parallel()
	clock := NewVirtualClock(fixedNow)
	s, err := New(Options{Seed: 5, Calls: 30, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	sink := newHookSink(t, s)
	vis := visibleIDs(s, fixedNow)
	newest := []string{vis[len(vis)-1], vis[len(vis)-2]}
	added, err := s.Dataset().AddCall(NewCall{Started: fixedNow.Add(-time.Hour), ProcessedAt: fixedNow.Add(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	looks := make(chan struct{}, 1)
	looked := func() {
		select {
		case looks <- struct{}{}:
		default:
		}
	}
	go func() {
		done <- s.RunWebhooks(ctx, WebhookFeed{URL: sink.srv.URL + "/hook", Every: 5 * time.Millisecond, Backlog: 2, looked: looked})
	}()
	waitFor := func(n int) []string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			ids, rejected := sink.received()
			if len(rejected) > 0 {
				t.Fatalf("the sink rejected webhooks: %q", rejected)
			}
			if len(ids) >= n || time.Now().After(deadline) {
				return ids
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// The backlog: the two newest visible calls, newest first; the added call is not
	// visible yet.
	if ids := waitFor(2); !slices.Equal(ids, newest) {
		t.Fatalf("backlog sent %v, want %v", ids, newest)
	}
	// A look at the clock after the backlog (every look is: the backlog goes first)
	// that would have sent the added call, were it visible.
	select {
	case <-looks:
	case <-time.After(10 * time.Second):
		t.Fatal("the feed never looked at the clock after its backlog")
	}
	if ids, _ := sink.received(); len(ids) != 2 {
		t.Fatalf("sent %v before the added call was visible", ids)
	}
	clock.Advance(15 * time.Minute)
	if ids := waitFor(3); len(ids) != 3 || ids[2] != added.ID {
		t.Fatalf("after the call became visible: %v, want it last (%s)", ids, added.ID)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ids, _ := sink.received(); len(ids) != 3 {
		t.Fatalf("a call was sent twice: %v", ids)
	}
}

func TestSendWebhookStatus(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Seed: 5, Calls: 3, Clock: NewVirtualClock(fixedNow)})
	if err != nil {
		t.Fatal(err)
	}
	sink := newHookSink(t, s)
	id := visibleIDs(s, fixedNow)[0]
	ctx := context.Background()
	if st, err := s.SendWebhook(ctx, sink.srv.URL+"/hook", id, WebhookOptions{}); err != nil || st != http.StatusOK {
		t.Fatalf("signed webhook: %d, %v", st, err)
	}
	if st, err := s.SendWebhook(ctx, sink.srv.URL+"/hook", id, WebhookOptions{TTL: -time.Hour}); err != nil || st != http.StatusUnauthorized {
		t.Fatalf("expired webhook: %d, %v", st, err)
	}
	req, _ := s.WebhookRequest(ctx, sink.srv.URL+"/hook", id, WebhookOptions{Unsigned: true})
	if req.Header.Get("Authorization") != "" || req.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("unsigned request headers: %v", req.Header)
	}
	b, _ := io.ReadAll(req.Body)
	if !json.Valid(b) {
		t.Fatal("the body is not JSON")
	}
}

// visibleIDs lists the calls visible at t, in start order.
func visibleIDs(s *Server, t time.Time) []string {
	var out []string
	for _, c := range s.Dataset().VisibleCalls(t) {
		out = append(out, c.MetaData.ID)
	}
	return out
}
