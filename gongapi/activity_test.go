package gongapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gongsync/gongsync/gongapi"
)

// answerWith serves one canned answer per path, and records the last request's
// query and body: the odd-but-possible answers the simulated Gong does not give.
func answerWith(t *testing.T, answers map[string]struct {
	status int
	body   string
}) (url string, last func() (query, body string)) {
	t.Helper()
	var q, b string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		q, b = r.URL.RawQuery, string(raw)
		a, ok := answers[r.URL.Path]
		if !ok {
			a.status, a.body = 404, `{"requestId":"x","errors":["Not Found"]}`
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() (string, string) { return q, b }
}

type canned = struct {
	status int
	body   string
}

// Ids Gong may send as numbers past 2^53 keep every digit; lists of an activity Gong's
// document lacks are kept; the cursor goes in the body, never the query.
func TestStatsKeepEveryDigitAndSendTheCursorInTheBody(t *testing.T) {
	t.Parallel()
	url, last := answerWith(t, map[string]canned{
		"/v2/stats/activity/day-by-day": {200, `{"requestId":"r","records":{"totalRecords":1,"currentPageSize":1,"currentPageNumber":1},
			"usersDetailedActivities":[{"userId":9067931441193858457,"userEmailAddress":"a@b.c","userDailyActivityStats":[
			{"callsAsHost":[18446744073709551615,"7"],"callsViewedInMobile":["5"],"callsAttended":[],
			 "fromDate":"2024-03-01T00:00:00-08:00","toDate":"2024-03-02T00:00:00-08:00"}]}]}`},
		"/v2/stats/interaction": {200, `{"requestId":"r","records":{"totalRecords":1,"currentPageSize":1,"currentPageNumber":0},
			"peopleInteractionStats":[{"userId":"9067931441193858457","personInteractionStats":[{"name":"Talk Ratio","value":0.42},{"name":"Patience","value":"1.5"}]}]}`},
	})
	c, _ := client(t, url, nil)
	req := gongapi.StatsRequest{Cursor: "abc", Filter: gongapi.StatsFilter{FromDate: "2024-03-01", ToDate: "2024-03-02"}}
	p, err := c.UserActivityPage(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if q, body := last(); q != "" || !strings.Contains(body, `"cursor":"abc"`) {
		t.Errorf("query %q, body %s: the cursor belongs in the body", q, body)
	}
	u := p.Items[0]
	if u.UserID != "9067931441193858457" || len(u.Days) != 1 {
		t.Fatalf("user %q, %d days", u.UserID, len(u.Days))
	}
	d := u.Days[0]
	if got := d.Calls["callsAsHost"]; len(got) != 2 || got[0] != "18446744073709551615" || got[1] != "7" {
		t.Errorf("callsAsHost %v", got)
	}
	if got := d.Calls["callsViewedInMobile"]; len(got) != 1 {
		t.Errorf("an activity Gong adds later is lost: %v", d.Calls)
	}
	if !json.Valid(d.Raw) || !strings.Contains(string(d.Raw), "18446744073709551615") {
		t.Errorf("raw %s", d.Raw)
	}

	s, err := c.InteractionStatsPage(context.Background(), gongapi.StatsRequest{Filter: req.Filter})
	if err != nil {
		t.Fatal(err)
	}
	if st := s.Items[0].Stats; len(st) != 2 || st[0].Value == nil || st[0].Value.String() != "0.42" || st[1].Value.String() != "1.5" {
		t.Errorf("stats %+v", st)
	}

	// What Gong would refuse is refused before a request.
	for _, f := range []gongapi.StatsFilter{{FromDate: "2024-03-02", ToDate: "2024-03-02"}, {FromDate: "2024-03-01T00:00:00Z", ToDate: "2024-03-02"}, {}} {
		if _, err := c.UserActivityPage(context.Background(), gongapi.StatsRequest{Filter: f}); !errors.Is(err, gongapi.ErrBadRequest) {
			t.Errorf("filter %+v: %v; want a bad request, unsent", f, err)
		}
	}
}

// Gong's empty result (404 "found corresponding to the provided filters") is an empty
// page; a plan without the library (401 or 404 there), or Gong without the call
// outcomes' endpoint, is "not available"; a 401 naming a scope stays a missing scope.
func TestStatsEmptyResultsAndRefusals(t *testing.T) {
	t.Parallel()
	url, _ := answerWith(t, map[string]canned{
		"/v2/stats/activity/day-by-day": {404, `{"requestId":"r","errors":["No users found corresponding to the provided filters"]}`},
		"/v2/stats/interaction":         {401, `{"requestId":"r","errors":["You don't have permission to use 'api:stats:interaction' in your app."]}`},
		"/v2/library/folders":           {401, `{"requestId":"r","errors":["Unauthorized"]}`},
	})
	c, _ := client(t, url, nil)
	f := gongapi.StatsFilter{FromDate: "2024-03-01", ToDate: "2024-03-02"}
	p, err := c.UserActivityPage(context.Background(), gongapi.StatsRequest{Filter: f})
	if err != nil || len(p.Items) != 0 || p.NextCursor != "" {
		t.Errorf("empty result: %+v, %v; want an empty last page", p, err)
	}
	_, err = c.InteractionStatsPage(context.Background(), gongapi.StatsRequest{Filter: f})
	var ae *gongapi.APIError
	if !errors.Is(err, gongapi.ErrScopeMissing) || !errors.As(err, &ae) || ae.Scope != "api:stats:interaction" {
		t.Errorf("scope refusal: %v", err)
	}
	if _, err := c.LibraryFolders(context.Background(), ""); !errors.Is(err, gongapi.ErrNotAvailable) || errors.Is(err, gongapi.ErrUnauthorized) {
		t.Errorf("library 401: %v; want not available", err)
	}
	if _, err := c.CallOutcomes(context.Background()); !errors.Is(err, gongapi.ErrNotAvailable) {
		t.Errorf("call outcomes 404: %v; want not available", err)
	}
	if _, err := c.LibraryFolderCalls(context.Background(), "12"); !errors.Is(err, gongapi.ErrNotFound) {
		t.Errorf("a folder gone: %v; want not found", err)
	}
}
