package fakegong

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
)

func TestRateLimit(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 40, Calls: 10, RateLimit: 4})
	var ok, limited int
	start := time.Now()
	for range 12 {
		a := f.do(http.MethodGet, "/v2/workspaces", nil, "")
		switch a.status {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited++
			errorBody(t, a, http.StatusTooManyRequests)
			if ra := a.header.Get("Retry-After"); ra != "1" {
				t.Errorf("Retry-After %q, want 1", ra)
			}
		default:
			t.Fatalf("status %d", a.status)
		}
	}
	// A full bucket holds 4; it refills at 4/s while the loop runs (slowly on a
	// busy machine).
	if most := 4 + int(time.Since(start).Seconds()*4) + 1; ok < 4 || ok > most || limited == 0 {
		t.Errorf("12 requests at once against 4/s: %d answered (want 4 to %d), %d refused", ok, most, limited)
	}
	// At the limit's pace nothing is refused.
	time.Sleep(time.Second)
	for range 6 {
		if a := f.do(http.MethodGet, "/v2/workspaces", nil, ""); a.status != http.StatusOK {
			t.Fatalf("paced request: status %d", a.status)
		}
		time.Sleep(250 * time.Millisecond)
	}
	// Without the header when asked.
	g := newFake(t, Options{Seed: 40, Calls: 10, RateLimit: 1, OmitRetryAfter: true})
	g.do(http.MethodGet, "/v2/workspaces", nil, "")
	a := g.do(http.MethodGet, "/v2/workspaces", nil, "")
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") != "" {
		t.Errorf("OmitRetryAfter: status %d, Retry-After %q", a.status, a.header.Get("Retry-After"))
	}
}

func TestDailyQuota(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 41, Calls: 10, DailyLimit: 3})
	f.Clock().Set(time.Date(2024, 3, 1, 22, 0, 0, 0, time.UTC))
	for i := range 3 {
		if a := f.do(http.MethodGet, "/v2/workspaces", nil, ""); a.status != http.StatusOK {
			t.Fatalf("request %d: status %d", i, a.status)
		}
	}
	a := f.do(http.MethodGet, "/v2/workspaces", nil, "")
	errorBody(t, a, http.StatusTooManyRequests)
	if ra := a.header.Get("Retry-After"); ra != "7200" {
		t.Errorf("Retry-After %q, want 7200 (seconds to the next virtual midnight)", ra)
	}
	if st := f.Stats(); st.DailyUsed != 3 || st.Status["429"] != 1 {
		t.Errorf("stats: %+v", st)
	}
	f.Clock().Advance(119 * time.Minute)
	if a := f.do(http.MethodGet, "/v2/workspaces", nil, ""); a.header.Get("Retry-After") != "60" {
		t.Errorf("a minute before midnight: Retry-After %q, want 60", a.header.Get("Retry-After"))
	}
	f.Clock().Advance(time.Minute)
	if a := f.do(http.MethodGet, "/v2/workspaces", nil, ""); a.status != http.StatusOK {
		t.Errorf("after virtual midnight: status %d", a.status)
	}
	// Unauthenticated requests do not spend the quota.
	f.doAuth(http.MethodGet, "/v2/workspaces", nil, "", "x", "y")
	if st := f.Stats(); st.DailyUsed != 1 {
		t.Errorf("daily used %d after one request and one 401, want 1", st.DailyUsed)
	}
}

func TestScriptedFaults(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 42, Calls: 150})
	f.Clock().Set(fixedNow)
	if err := f.SetFaults(Faults{Script: []Fault{
		Fault500, Fault502, Fault503, Fault429, Fault403, FaultMalformed, FaultHTML, FaultEmpty, FaultContentType, FaultNone,
	}, RetryAfter: 90 * time.Second}); err != nil {
		t.Fatal(err)
	}
	req := gongapi.CallsExtensiveRequest{ContentSelector: gongapi.FullContentSelector()}
	errorBody(t, f.post("/v2/calls/extensive", req), http.StatusInternalServerError)
	if a := f.post("/v2/calls/extensive", req); a.status != http.StatusBadGateway || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
		t.Errorf("502: status %d, %s", a.status, a.header.Get("Content-Type"))
	}
	errorBody(t, f.post("/v2/calls/extensive", req), http.StatusServiceUnavailable)
	if a := f.post("/v2/calls/extensive", req); a.header.Get("Retry-After") != "90" {
		t.Errorf("injected 429: Retry-After %q, want 90", a.header.Get("Retry-After"))
	}
	errorBody(t, f.post("/v2/calls/extensive", req), http.StatusForbidden)
	a := f.post("/v2/calls/extensive", req)
	if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") || jsonValid(a.body) {
		t.Errorf("malformed: status %d, valid JSON %v", a.status, jsonValid(a.body))
	}
	if a := f.post("/v2/calls/extensive", req); a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !strings.Contains(string(a.body), "<html>") {
		t.Errorf("html: status %d, %s", a.status, a.header.Get("Content-Type"))
	}
	if a := f.post("/v2/calls/extensive", req); a.status != http.StatusOK || len(a.body) != 0 {
		t.Errorf("empty: status %d, %d bytes", a.status, len(a.body))
	}
	if a := f.post("/v2/calls/extensive", req); !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") || !jsonValid(a.body) {
		t.Errorf("wrong content type: %s", a.header.Get("Content-Type"))
	}
	if a := f.post("/v2/calls/extensive", req); a.status != http.StatusOK || !jsonValid(a.body) {
		t.Errorf("after the script: status %d", a.status)
	}
	st := f.Stats()
	for _, k := range []string{"500", "502", "503", "429", "403", "malformed", "html", "empty", "text"} {
		if st.Faults[k] != 1 {
			t.Errorf("faults[%q] = %d, want 1 (%v)", k, st.Faults[k], st.Faults)
		}
	}
	if st.Total != 10 {
		t.Errorf("total %d, want 10", st.Total)
	}
}

func jsonValid(b []byte) bool {
	var v any
	return len(b) > 0 && jsonUnmarshal(b, &v) == nil
}

func TestDropMidBody(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 43, Calls: 150})
	f.Clock().Set(fixedNow)
	f.SetFaults(Faults{Script: []Fault{FaultDrop}})
	req, _ := http.NewRequest(http.MethodPost, f.url+"/v2/calls/extensive", strings.NewReader(`{"filter":{}}`))
	req.SetBasicAuth(DefaultAccessKey, DefaultAccessKeySecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("dropped answer: status %d, %d bytes, err %v; want 200 and an unexpected EOF", resp.StatusCode, len(b), err)
	}
	if cl, _ := strconv.Atoi(resp.Header.Get("Content-Length")); len(b) == 0 || len(b) >= cl {
		t.Errorf("got %d of %d bytes", len(b), cl)
	}
}

func TestTimeoutFault(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 44, Calls: 10})
	f.SetFaults(Faults{TimeoutRate: 1, Hang: time.Minute})
	c := &http.Client{Timeout: 200 * time.Millisecond}
	req, _ := http.NewRequest(http.MethodGet, f.url+"/v2/workspaces", nil)
	req.SetBasicAuth(DefaultAccessKey, DefaultAccessKeySecret)
	start := time.Now()
	_, err := c.Do(req)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("want a client timeout, got %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("the client did not give up on time")
	}
	// The held request is recorded as unanswered once the client leaves.
	deadline := time.Now().Add(5 * time.Second)
	for f.Stats().Status["0"] != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := f.Stats(); st.Status["0"] != 1 || st.Faults["timeout"] != 1 {
		t.Errorf("stats after a timeout: %+v", st)
	}
}

func TestRandomFaultsAndLatency(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 45, Calls: 10, FailRate: 0.5, Latency: 30 * time.Millisecond})
	start := time.Now()
	var failed int
	for range 40 {
		if a := f.do(http.MethodGet, "/v2/workspaces", nil, ""); a.status == http.StatusInternalServerError {
			failed++
		}
	}
	if failed < 8 || failed > 32 {
		t.Errorf("fail rate 0.5: %d of 40 failed", failed)
	}
	if took := time.Since(start); took < 40*30*time.Millisecond {
		t.Errorf("40 requests with 30ms latency took %s", took)
	}
	if err := f.SetFaults(Faults{FailRate: 0.7, DropRate: 0.5}); err == nil {
		t.Error("rates adding up to 1.2 were accepted")
	}
	if err := f.SetFaults(Faults{Script: []Fault{"teapot"}}); err == nil {
		t.Error("an unknown scripted fault was accepted")
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Seed: 46, Calls: 10})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/v2/workspaces", nil)
	req.SetBasicAuth(DefaultAccessKey, DefaultAccessKeySecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}
