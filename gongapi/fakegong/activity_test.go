package fakegong

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The endpoints beyond calls (daily activity, interaction stats, the library; the
// call outcomes in outcomes_test.go): their answers, every page of them, against
// Gong's document; their empty results and cursors as Gong has them.

// statsReq is a stats body as a client sends it: the cursor next to the filter.
type statsReq struct {
	Cursor string            `json:"cursor,omitempty"`
	Filter map[string]string `json:"filter"`
}

// allStatsPages follows a stats query's cursor (in the body) to its last page and
// returns every answer.
func (f *fake) allStatsPages(path, from, to string) []answer {
	f.t.Helper()
	req := statsReq{Filter: map[string]string{"fromDate": from, "toDate": to}}
	var out []answer
	for {
		a := f.post(path, req)
		out = append(out, a)
		var p struct{ Records *pagination }
		if err := json.Unmarshal(a.body, &p); err != nil || a.status != http.StatusOK || p.Records == nil || p.Records.Cursor == "" {
			return out
		}
		if len(out) > 50 {
			f.t.Fatalf("%s: more than 50 pages", path)
		}
		req.Cursor = p.Records.Cursor
	}
}

func TestBeyondCallsAnswersMatchOpenAPI(t *testing.T) {
	t.Parallel()
	o := loadOpenAPI(t)
	f := newFake(t, Options{Seed: 71, Calls: 3000, Users: 400, From: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), To: fixedNow})
	f.Clock().Set(fixedNow)
	checked := 0
	check := func(what, method, path string, a answer) {
		t.Helper()
		if a.status != http.StatusOK {
			t.Fatalf("%s: %d %s", what, a.status, a.body)
		}
		if errs := o.validate(o.responseSchema(t, method, path, a.status), a.body); len(errs) > 0 {
			t.Errorf("%s: %d violations, first: %s", what, len(errs), strings.Join(errs[:min(5, len(errs))], "; "))
		}
		checked++
	}

	// A fortnight of activity: more than 100 users with some, so more than one page.
	pages := f.allStatsPages("/v2/stats/activity/day-by-day", "2024-08-15", "2024-08-29")
	if len(pages) < 2 {
		t.Errorf("activity: %d pages; the test wants the cursor followed", len(pages))
	}
	users := map[string]bool{}
	for i, a := range pages {
		check("activity page", http.MethodPost, "/v2/stats/activity/day-by-day", a)
		var p struct {
			UsersDetailedActivities []UserDayByDayActivity `json:"usersDetailedActivities"`
		}
		if err := json.Unmarshal(a.body, &p); err != nil {
			t.Fatal(err)
		}
		for _, u := range p.UsersDetailedActivities {
			if users[u.UserID] {
				t.Errorf("page %d repeats user %s: the cursor in the body was not followed", i, u.UserID)
			}
			users[u.UserID] = true
			if len(u.UserDailyActivityStats) != 14 {
				t.Errorf("user %s: %d days, want the 14 asked for", u.UserID, len(u.UserDailyActivityStats))
			}
		}
	}
	for _, a := range f.allStatsPages("/v2/stats/interaction", "2024-08-20", "2024-08-21") {
		check("interaction stats page", http.MethodPost, "/v2/stats/interaction", a)
	}

	folders := 0
	for _, w := range f.Dataset().Workspaces() {
		a := f.do(http.MethodGet, "/v2/library/folders", url.Values{"workspaceId": {w.ID}}, "")
		check("library folders", http.MethodGet, "/v2/library/folders", a)
		var p struct {
			Folders []LibraryFolder `json:"folders"`
		}
		if err := json.Unmarshal(a.body, &p); err != nil {
			t.Fatal(err)
		}
		for _, fo := range p.Folders {
			folders++
			check("library folder content", http.MethodGet, "/v2/library/folder-content",
				f.do(http.MethodGet, "/v2/library/folder-content", url.Values{"folderId": {fo.ID}}, ""))
		}
	}
	if folders == 0 {
		t.Error("the library has no folder: its content was never checked")
	}
	if checked < 6 {
		t.Errorf("only %d answers checked", checked)
	}
}

// A same-day range is Gong's empty result (404, "found corresponding to the
// provided filters"), and so is a range without activity; a toDate after the
// company's current day is a 400; a plan without the library answers 401 or 404 there.
func TestBeyondCallsRefusals(t *testing.T) {
	t.Parallel()
	o := loadOpenAPI(t)
	f := newFake(t, Options{Seed: 73, Calls: 300, From: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), To: fixedNow, StrictDates: true})
	f.Clock().Set(fixedNow)
	for _, path := range []string{"/v2/stats/activity/day-by-day", "/v2/stats/interaction"} {
		for what, c := range map[string]struct {
			from, to string
			status   int
			text     string
		}{
			"same day":      {"2024-08-20", "2024-08-20", 404, "found corresponding to the provided filters"},
			"before calls":  {"2020-01-01", "2020-01-05", 404, "found corresponding to the provided filters"},
			"after today":   {"2024-08-20", "2024-09-05", 400, "exceeds the current day"},
			"not a date":    {"2024-08-20T00:00:00Z", "2024-08-21", 400, "YYYY-MM-DD"},
			"from after to": {"2024-08-21", "2024-08-20", 400, "fromDate"},
		} {
			a := f.post(path, statsReq{Filter: map[string]string{"fromDate": c.from, "toDate": c.to}})
			if a.status != c.status || !strings.Contains(string(a.body), c.text) {
				t.Errorf("%s, %s: %d %s; want %d with %q", path, what, a.status, a.body, c.status, c.text)
			}
			if errs := o.validate(map[string]any{"$ref": "#/components/schemas/ErrorResponse"}, a.body); len(errs) > 0 {
				t.Errorf("%s, %s: %v", path, what, errs)
			}
		}
	}
	// Without StrictDates a toDate after the current day reads as the current day (a
	// client on another clock); a range wholly after it is empty.
	g := newFake(t, Options{Seed: 73, Calls: 300, From: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), To: fixedNow})
	g.Clock().Set(fixedNow)
	strict := f.post("/v2/stats/activity/day-by-day", statsReq{Filter: map[string]string{"fromDate": "2024-08-20", "toDate": "2024-08-31"}})
	lenient := g.post("/v2/stats/activity/day-by-day", statsReq{Filter: map[string]string{"fromDate": "2024-08-20", "toDate": "2024-09-05"}})
	var sp, lp struct {
		UsersDetailedActivities []UserDayByDayActivity `json:"usersDetailedActivities"`
	}
	if json.Unmarshal(strict.body, &sp) != nil || json.Unmarshal(lenient.body, &lp) != nil || len(sp.UsersDetailedActivities) == 0 ||
		len(lp.UsersDetailedActivities) != len(sp.UsersDetailedActivities) || len(lp.UsersDetailedActivities[0].UserDailyActivityStats) != 11 {
		t.Errorf("a toDate after the current day: %d %.200s; want the days up to the current day, as %d %.200s", lenient.status, lenient.body, strict.status, strict.body)
	}
	if a := g.post("/v2/stats/interaction", statsReq{Filter: map[string]string{"fromDate": "2024-09-03", "toDate": "2024-09-05"}}); a.status != http.StatusNotFound {
		t.Errorf("a range after the current day: %d %s; want the empty result", a.status, a.body)
	}

	for _, status := range []int{http.StatusUnauthorized, http.StatusNotFound} {
		g := newFake(t, Options{Seed: 73, Calls: 100, LibraryUnavailable: status})
		for _, path := range []string{"/v2/library/folders", "/v2/library/folder-content?folderId=1"} {
			u, _ := url.Parse(path)
			if a := g.do(http.MethodGet, u.Path, u.Query(), ""); a.status != status {
				t.Errorf("no library (%d): %s answered %d", status, path, a.status)
			}
		}
		if a := g.do(http.MethodGet, "/v2/call-outcomes", nil, ""); a.status != http.StatusOK {
			t.Errorf("no library (%d): the call outcomes answered %d", status, a.status)
		}
	}
	if _, err := New(Options{LibraryUnavailable: 403}); err == nil {
		t.Error("LibraryUnavailable 403 accepted")
	}
}
