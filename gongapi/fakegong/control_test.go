package fakegong

import (
	"encoding/json"
	"net/http"
	"slices"
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

func TestControlCallHooks(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 51, Calls: 20})
	f.Clock().Set(fixedNow)
	ctl := func(path, body string, v any) int {
		t.Helper()
		resp, err := http.Post(f.url+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if v != nil {
			json.NewDecoder(resp.Body).Decode(v)
		}
		return resp.StatusCode
	}
	var spec CallSpec
	if code := ctl("/_fake/calls", `{"started":"2024-08-01T10:00:00Z","duration":"20m","processed_at":"2024-08-01T16:00:00Z","title":"Added"}`, &spec); code != http.StatusOK || !spec.Late || spec.Duration != 20*time.Minute {
		t.Fatalf("add: %d %+v", code, spec)
	}
	if c, ok := f.Dataset().CallAt(spec.ID, fixedNow); !ok || *c.MetaData.Title != "Added" {
		t.Fatal("the added call is not in the dataset")
	}
	if code := ctl("/_fake/calls/"+spec.ID+"/change", `{"at":"2024-08-02T00:00:00Z","title":"Changed","add_parties":1}`, &spec); code != http.StatusOK || spec.ChangedAt.IsZero() {
		t.Fatalf("change: %d %+v", code, spec)
	}
	if c, _ := f.Dataset().CallAt(spec.ID, fixedNow); *c.MetaData.Title != "Changed" {
		t.Error("the change did not apply")
	}
	// delete defaults to the clock's now
	if code := ctl("/_fake/calls/"+spec.ID+"/delete", ``, &spec); code != http.StatusOK || !spec.DeletedAt.Equal(fixedNow) {
		t.Fatalf("delete: %d %+v", code, spec)
	}
	if _, ok := f.Dataset().CallAt(spec.ID, fixedNow); ok {
		t.Error("the deleted call is visible")
	}
	if code := ctl("/_fake/calls/"+spec.ID+"/restore", `{"at":"2024-09-02T00:00:00Z"}`, &spec); code != http.StatusOK || spec.RestoredAt.IsZero() {
		t.Fatalf("restore: %d %+v", code, spec)
	}
	if code := ctl("/_fake/calls/123/delete", `{}`, nil); code != http.StatusBadRequest {
		t.Errorf("deleting an unknown call: %d", code)
	}
	if code := ctl("/_fake/calls/"+spec.ID+"/explode", `{}`, nil); code != http.StatusNotFound {
		t.Errorf("unknown verb: %d", code)
	}
	resp, err := http.Get(f.url + "/_fake/calls")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var all []CallSpec
	json.NewDecoder(resp.Body).Decode(&all)
	if len(all) != 21 {
		t.Errorf("GET /_fake/calls: %d calls, want 21", len(all))
	}
	if f.Stats().Total != 0 {
		t.Error("control requests were counted")
	}
}

// A user's manager changes, and a tracker leaves the list and comes back, by the
// control routes: what a test in another process needs between two syncs.
func TestControlDefinitionHooks(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 52, Calls: 5})
	f.Clock().Set(fixedNow)
	ctl := func(path, body string) int {
		t.Helper()
		resp, err := http.Post(f.url+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	users := f.Dataset().UsersAt(fixedNow)
	rep, manager := users[0].ID, users[1].ID
	if code := ctl("/_fake/users/"+rep+"/manager", `{"manager_id":"`+manager+`"}`); code != http.StatusOK {
		t.Fatalf("change manager: %d", code)
	}
	i := slices.IndexFunc(f.Dataset().UsersAt(fixedNow), func(u UserMetadata) bool { return u.ID == rep })
	if u := f.Dataset().UsersAt(fixedNow)[i]; u.ManagerID == nil || *u.ManagerID != manager {
		t.Errorf("the manager did not change: %v", u.ManagerID)
	}
	tracker := f.Dataset().Trackers()[0].TrackerID
	if code := ctl("/_fake/trackers/"+tracker+"/remove", `{"back":"`+fixedNow.Add(time.Hour).Format(time.RFC3339)+`"}`); code != http.StatusOK {
		t.Fatalf("remove tracker: %d", code)
	}
	listed := func(at time.Time) bool {
		return slices.ContainsFunc(f.Dataset().TrackersAt(at), func(k KeywordTracker) bool { return k.TrackerID == tracker })
	}
	if listed(fixedNow) || !listed(fixedNow.Add(time.Hour)) {
		t.Errorf("the tracker is listed now %v, in an hour %v; want false, true", listed(fixedNow), listed(fixedNow.Add(time.Hour)))
	}
	for path, body := range map[string]string{
		"/_fake/users/1/manager":           `{"manager_id":"2"}`,
		"/_fake/trackers/1/remove":         ``,
		"/_fake/users/" + rep + "/x":       `{}`,
		"/_fake/users/" + rep + "/manager": `{}`,
	} {
		if code := ctl(path, body); code == http.StatusOK {
			t.Errorf("POST %s %s: 200", path, body)
		}
	}
}
