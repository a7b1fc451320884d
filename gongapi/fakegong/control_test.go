package fakegong

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestControlRoutes(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 50, Calls: 10})
	ctl := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, f.url+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	// Count a few API requests of all sorts.
	f.do(http.MethodGet, "/v2/workspaces", nil, "")
	f.doAuth(http.MethodGet, "/v2/workspaces", nil, "", "a", "b")
	f.do(http.MethodGet, "/v2/nope", nil, "")
	code, st := ctl(http.MethodGet, "/_fake/stats", "")
	if code != http.StatusOK || st["total"] != 3.0 {
		t.Fatalf("stats: %d %v", code, st)
	}
	byEndpoint := st["by_endpoint"].(map[string]any)
	status := st["status"].(map[string]any)
	if byEndpoint["GET /v2/workspaces"] != 2.0 || byEndpoint["GET /v2/nope"] != 1.0 || status["200"] != 1.0 || status["401"] != 1.0 || status["404"] != 1.0 {
		t.Errorf("stats: %v", st)
	}
	// Control requests are not counted.
	if _, st = ctl(http.MethodGet, "/_fake/stats", ""); st["total"] != 3.0 {
		t.Errorf("reading the stats counted: %v", st["total"])
	}
	if _, st = ctl(http.MethodDelete, "/_fake/stats", ""); st["total"] != 0.0 {
		t.Errorf("after DELETE: %v", st)
	}

	// The clock.
	if _, c := ctl(http.MethodGet, "/_fake/clock", ""); c["virtual"] != false {
		t.Errorf("clock: %v", c)
	}
	code, c := ctl(http.MethodPost, "/_fake/clock", `{"set":"2024-05-01T12:00:00Z"}`)
	if code != http.StatusOK || c["virtual"] != true || !f.Clock().Now().Equal(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("set: %d %v", code, c)
	}
	ctl(http.MethodPost, "/_fake/clock", `{"advance":"90m"}`)
	if !f.Clock().Now().Equal(time.Date(2024, 5, 1, 13, 30, 0, 0, time.UTC)) {
		t.Errorf("advance: now %s", f.Clock().Now())
	}
	if code, _ := ctl(http.MethodPost, "/_fake/clock", `{}`); code != http.StatusBadRequest {
		t.Errorf("empty clock request: %d", code)
	}

	// Faults.
	code, fl := ctl(http.MethodPost, "/_fake/faults", `{"script":["500","503"],"latency":"5ms","retry_after":3600}`)
	if code != http.StatusOK || fl["latency"] != "5ms" || fl["retry_after"] != "1h0m0s" {
		t.Fatalf("faults: %d %v", code, fl)
	}
	if a := f.do(http.MethodGet, "/v2/workspaces", nil, ""); a.status != http.StatusInternalServerError {
		t.Errorf("first scripted fault: %d", a.status)
	}
	if _, fl = ctl(http.MethodGet, "/_fake/faults", ""); len(fl["script"].([]any)) != 1 {
		t.Errorf("the script's rest: %v", fl["script"])
	}
	if code, _ := ctl(http.MethodPost, "/_fake/faults", `{"fail_rate":2}`); code != http.StatusBadRequest {
		t.Errorf("a fail rate of 2: %d", code)
	}
	if code, _ := ctl(http.MethodGet, "/_fake/nothing", ""); code != http.StatusNotFound {
		t.Errorf("unknown control route: %d", code)
	}
}

func TestOptionsValidation(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{
		{From: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{RateLimit: -1},
		{DailyLimit: -3},
		{FailRate: 1.5},
		{LateShare: 2},
		{Calls: maxCalls + 1},
		{CursorTTL: -time.Second},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	s, err := New(Options{Calls: -1})
	if err != nil || len(s.Dataset().AllCalls()) != 0 {
		t.Errorf("Calls -1: %v, %d calls; want an empty dataset", err, len(s.Dataset().AllCalls()))
	}
}
