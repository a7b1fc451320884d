package fakegong

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
)

var (
	requestIDPattern = regexp.MustCompile(`^[a-z0-9]{19}$`)
	idPattern        = regexp.MustCompile(`^[1-9][0-9]{17,19}$`)
	// A timestamp in the company's offset with 0, 3 or 6 fractional digits.
	timestampPattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?-07:00$`)
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 1, Calls: 10, AccessKey: "k1", AccessKeySecret: "s3cret"})
	cases := []struct {
		name        string
		key, secret string
		want        int
	}{
		{"none", "", "", http.StatusUnauthorized},
		{"wrong secret", "k1", "nope", http.StatusUnauthorized},
		{"wrong key", "k2", "s3cret", http.StatusUnauthorized},
		{"default credentials when others are set", DefaultAccessKey, DefaultAccessKeySecret, http.StatusUnauthorized},
		{"right", "k1", "s3cret", http.StatusOK},
	}
	for _, c := range cases {
		a := f.doAuth(http.MethodGet, "/v2/workspaces", nil, "", c.key, c.secret)
		if c.want != http.StatusOK {
			msgs := errorBody(t, a, c.want)
			if strings.Contains(string(a.body), "s3cret") {
				t.Errorf("%s: the answer echoes the secret", c.name)
			}
			_ = msgs
			continue
		}
		if a.status != c.want {
			t.Errorf("%s: status %d, want %d", c.name, a.status, c.want)
		}
	}
	// A malformed header is a 401 too, not a 400 or a crash.
	req, _ := http.NewRequest(http.MethodGet, f.url+"/v2/workspaces", nil)
	req.Header.Set("Authorization", "Basic !!!not-base64")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("garbled Basic header: status %d, want 401", resp.StatusCode)
	}

	// 403 on demand: for a key whose trusted IPs or scopes do not allow the call.
	if err := f.SetFaults(Faults{Forbidden: true}); err != nil {
		t.Fatal(err)
	}
	errorBody(t, f.doAuth(http.MethodGet, "/v2/workspaces", nil, "", "k1", "s3cret"), http.StatusForbidden)
	// Bad credentials still get 401 first.
	errorBody(t, f.doAuth(http.MethodGet, "/v2/workspaces", nil, "", "k1", "x"), http.StatusUnauthorized)

	st := f.Stats()
	if st.Total != 8 || st.Status["401"] != 6 || st.Status["403"] != 1 || st.Status["200"] != 1 {
		t.Errorf("stats after the auth requests: %+v", st)
	}
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 2, Calls: 5})
	seen := map[string]bool{}
	for range 50 {
		a := f.do(http.MethodGet, "/v2/workspaces", nil, "")
		ws := decode[workspacesPage](t, a)
		if !requestIDPattern.MatchString(ws.RequestID) {
			t.Fatalf("requestId %q is not 19 lowercase letters/digits", ws.RequestID)
		}
		if a.header.Get("x-traceid") != ws.RequestID {
			t.Fatalf("x-traceid %q differs from requestId %q", a.header.Get("x-traceid"), ws.RequestID)
		}
		if seen[ws.RequestID] {
			t.Fatalf("requestId %q repeated", ws.RequestID)
		}
		seen[ws.RequestID] = true
		if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("Content-Type %q", ct)
		}
	}
}

func TestEmptyAnswersAre404WithTheExactText(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 3, Calls: 50})
	f.Clock().Set(fixedNow)
	far := gongapi.CallsFilter{FromDateTime: "2030-01-01T00:00:00Z", ToDateTime: "2030-02-01T00:00:00Z"}

	for _, c := range []struct {
		name string
		a    answer
		want string
	}{
		{"extensive", f.post("/v2/calls/extensive", gongapi.CallsExtensiveRequest{Filter: far}), noCallsFound},
		{"transcript", f.post("/v2/calls/transcript", gongapi.TranscriptRequest{Filter: far}), noCallsFound},
		{"list", f.do(http.MethodGet, "/v2/calls", url.Values{"fromDateTime": {far.FromDateTime}, "toDateTime": {far.ToDateTime}}, ""), noCallsFound},
		{"unknown workspace", f.post("/v2/calls/extensive", gongapi.CallsExtensiveRequest{Filter: gongapi.CallsFilter{WorkspaceID: "123456789012345678"}}), noCallsFound},
		{"users extensive", f.post("/v2/users/extensive", gongapi.UsersExtensiveRequest{Filter: gongapi.UsersExtensiveFilter{CreatedFromDateTime: "2030-01-01T00:00:00Z"}}), noUsersFound},
	} {
		msgs := errorBody(t, c.a, http.StatusNotFound)
		if !slices.Equal(msgs, []string{c.want}) {
			t.Errorf("%s: errors %q, want exactly [%q]", c.name, msgs, c.want)
		}
	}

	// Other 404s must not look like an empty answer.
	for _, a := range []answer{
		f.do(http.MethodGet, "/v2/nope", nil, ""),
		f.do(http.MethodGet, "/v2/settings/trackers", url.Values{"workspaceId": {"42"}}, ""),
	} {
		msgs := errorBody(t, a, http.StatusNotFound)
		if strings.Contains(strings.Join(msgs, " "), "found corresponding to the provided filters") {
			t.Errorf("a real 404 reads like an empty answer: %q", msgs)
		}
	}
	errorBody(t, f.do(http.MethodGet, "/v2/calls/extensive", nil, ""), http.StatusMethodNotAllowed)
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 4, Calls: 300})
	f.Clock().Set(fixedNow)
	ids := callIDs(f.Dataset().VisibleCalls(fixedNow))
	many := make([]string, 101)
	for i := range many {
		many[i] = ids[i]
	}
	for _, c := range []struct {
		name, path, body string
		want             string // part of the error text
	}{
		{"empty callIds", "/v2/calls/extensive", `{"filter":{"callIds":[]}}`, "callIds"},
		{"empty callIds (transcript)", "/v2/calls/transcript", `{"filter":{"callIds":[]}}`, "callIds"},
		{"101 callIds", "/v2/calls/extensive", `{"filter":{"callIds":["` + strings.Join(many, `","`) + `"]}}`, "100"},
		{"no filter", "/v2/calls/extensive", `{}`, "filter"},
		{"no body", "/v2/calls/extensive", ``, "body"},
		{"not JSON", "/v2/calls/transcript", `{"filter":`, "JSON"},
		{"cursor inside the filter", "/v2/calls/extensive", `{"filter":{"cursor":"abc"}}`, "cursor"},
		{"primaryUserIds on transcripts", "/v2/calls/transcript", `{"filter":{"primaryUserIds":["1"]}}`, "primaryUserIds"},
		{"bad time", "/v2/calls/extensive", `{"filter":{"fromDateTime":"2024-01-01"}}`, "fromDateTime"},
		{"from after to", "/v2/calls/extensive", `{"filter":{"fromDateTime":"2024-02-01T00:00:00Z","toDateTime":"2024-01-01T00:00:00Z"}}`, "fromDateTime"},
		{"bad context", "/v2/calls/extensive", `{"filter":{},"contentSelector":{"context":"Full"}}`, "context"},
		{"timing without Extended", "/v2/calls/extensive", `{"filter":{},"contentSelector":{"context":"Basic","contextTiming":["Now"]}}`, "contextTiming"},
		{"bad timing", "/v2/calls/extensive", `{"filter":{},"contentSelector":{"context":"Extended","contextTiming":["Past"]}}`, "contextTiming"},
		{"garbled cursor", "/v2/calls/extensive", `{"cursor":"eyJhbGciOiJIUzI1NiJ9.AAAA.BBBB","filter":{}}`, "cursor"},
	} {
		a := f.do(http.MethodPost, c.path, nil, c.body)
		msgs := errorBody(t, a, http.StatusBadRequest)
		if !strings.Contains(strings.Join(msgs, " "), c.want) {
			t.Errorf("%s: errors %q do not mention %q", c.name, msgs, c.want)
		}
	}
	// 100 callIds is fine.
	a := f.post("/v2/calls/extensive", gongapi.CallsExtensiveRequest{Filter: gongapi.CallsFilter{CallIDs: toIDs(ids[:100])}})
	page := decode[callsPage](t, a)
	if a.status != http.StatusOK || len(page.Calls) != 100 {
		t.Errorf("100 callIds: status %d, %d calls", a.status, len(page.Calls))
	}
	// GET /v2/calls needs both bounds.
	errorBody(t, f.do(http.MethodGet, "/v2/calls", url.Values{"fromDateTime": {"2024-01-01T00:00:00Z"}}, ""), http.StatusBadRequest)
}

func toIDs(ss []string) []gongapi.ID {
	out := make([]gongapi.ID, len(ss))
	for i, s := range ss {
		out[i] = gongapi.ID(s)
	}
	return out
}

func TestCallIDsFilter(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 5, Calls: 200})
	f.Clock().Set(fixedNow)
	all := f.Dataset().VisibleCalls(fixedNow)
	// Ask for five calls in reverse order, one twice and one unknown id: the answer
	// is the known ones, once each, oldest first.
	want := []string{all[3].MetaData.ID, all[50].MetaData.ID, all[51].MetaData.ID, all[120].MetaData.ID, all[len(all)-1].MetaData.ID}
	ask := append(slices.Clone(want), want[2], "99999999999999999999", "not-a-number")
	slices.Reverse(ask)
	page := decode[callsPage](t, f.post("/v2/calls/extensive", gongapi.CallsExtensiveRequest{Filter: gongapi.CallsFilter{CallIDs: toIDs(ask)}}))
	if got := callIDs(page.Calls); !slices.Equal(got, want) {
		t.Errorf("callIds filter: got %v, want %v", got, want)
	}
	// With a date range too, only the ids inside it.
	from := all[50].MetaData.Started
	page = decode[callsPage](t, f.post("/v2/calls/extensive", gongapi.CallsExtensiveRequest{
		Filter: gongapi.CallsFilter{CallIDs: toIDs(ask), FromDateTime: from.UTC().Format(time.RFC3339Nano)},
	}))
	if got := callIDs(page.Calls); !slices.Equal(got, want[1:]) {
		t.Errorf("callIds and a from bound: got %v, want %v", got, want[1:])
	}
}

func TestFromInclusiveToExclusive(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 6, Calls: 500})
	f.Clock().Set(fixedNow)
	var target CallData
	for _, c := range f.Dataset().VisibleCalls(fixedNow) {
		if c.MetaData.Started.Nanosecond() == 0 {
			target = c
			break
		}
	}
	if target.MetaData == nil {
		t.Fatal("no call starts on a whole second")
	}
	at := target.MetaData.Started
	has := func(from, to time.Time) bool {
		a := f.post("/v2/calls/extensive", gongapi.CallsExtensiveRequest{Filter: gongapi.CallsFilter{FromDateTime: filterTime(from), ToDateTime: filterTime(to)}})
		if a.status == http.StatusNotFound {
			return false
		}
		return slices.Contains(callIDs(decode[callsPage](t, a).Calls), target.MetaData.ID)
	}
	if !has(at, at.Add(time.Second)) {
		t.Error("from is not inclusive")
	}
	if has(at.Add(-time.Hour), at) {
		t.Error("to is not exclusive")
	}
	if !has(at.Add(-time.Hour), at.Add(time.Second)) {
		t.Error("a call just before to is missing")
	}
	// An offset other than Z means the same instant.
	a := f.post("/v2/calls/extensive", gongapi.CallsExtensiveRequest{Filter: gongapi.CallsFilter{
		FromDateTime: at.In(time.FixedZone("", 5*3600+1800)).Format(time.RFC3339),
		ToDateTime:   at.Add(time.Second).In(time.FixedZone("", -3*3600)).Format(time.RFC3339),
	}})
	if ids := callIDs(decode[callsPage](t, a).Calls); !slices.Contains(ids, target.MetaData.ID) {
		t.Error("filter bounds with offsets are not read as instants")
	}
}

func TestListFiltersWebConferencesOnScheduledTime(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 7, Calls: 400})
	f.Clock().Set(fixedNow)
	var target CallData
	for _, c := range f.Dataset().VisibleCalls(fixedNow) {
		md := c.MetaData
		if *md.Direction == "Conference" && !md.Scheduled.IsZero() && md.Started.Sub(md.Scheduled) > 2*time.Second {
			target = c
			break
		}
	}
	if target.MetaData == nil {
		t.Fatal("no web conference that started after its scheduled time")
	}
	// From just after the scheduled time: the extensive endpoint (start time) has
	// the call, GET /v2/calls (scheduled time) does not.
	from := target.MetaData.Scheduled.Add(time.Second)
	to := target.MetaData.Started.Add(time.Hour)
	ext := f.post("/v2/calls/extensive", gongapi.CallsExtensiveRequest{Filter: gongapi.CallsFilter{FromDateTime: filterTime(from), ToDateTime: filterTime(to)}})
	if !slices.Contains(callIDs(decode[callsPage](t, ext).Calls), target.MetaData.ID) {
		t.Fatal("extensive misses a call that started inside the range")
	}
	list := f.do(http.MethodGet, "/v2/calls", url.Values{"fromDateTime": {filterTime(from)}, "toDateTime": {filterTime(to)}}, "")
	if list.status == http.StatusOK {
		for _, c := range decode[callListPage](t, list).Calls {
			if c.ID == target.MetaData.ID {
				t.Fatal("GET /v2/calls lists a web conference scheduled before the range")
			}
		}
	}
	// And GET /v2/calls answers metadata only, the same metadata.
	list = f.do(http.MethodGet, "/v2/calls", url.Values{"fromDateTime": {filterTime(target.MetaData.Scheduled)}, "toDateTime": {filterTime(to)}}, "")
	var raw struct{ Calls []map[string]json.RawMessage }
	if err := json.Unmarshal(list.body, &raw); err != nil || len(raw.Calls) == 0 {
		t.Fatalf("GET /v2/calls: %v %s", err, list.body)
	}
	if _, ok := raw.Calls[0]["metaData"]; ok {
		t.Error("GET /v2/calls answers extensive calls instead of metadata")
	}
	got := decode[callListPage](t, list).Calls[0]
	if got.ID != target.MetaData.ID || *got.Title != *target.MetaData.Title {
		t.Errorf("first listed call %s %q, want %s %q", got.ID, *got.Title, target.MetaData.ID, *target.MetaData.Title)
	}
}

func TestWireFormat(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 8, Calls: 300})
	f.Clock().Set(fixedNow)
	pages, raws := f.allCallsPages(gongapi.CallsExtensiveRequest{ContentSelector: gongapi.FullContentSelector()})
	var imported, silent, withoutEmail, unknownAffiliation int
	fractions := map[int]int{}
	for p, a := range raws {
		var doc struct {
			Calls []struct {
				MetaData map[string]json.RawMessage   `json:"metaData"`
				Parties  []map[string]json.RawMessage `json:"parties"`
			} `json:"calls"`
		}
		if err := json.Unmarshal(a.body, &doc); err != nil {
			t.Fatal(err)
		}
		for i, c := range doc.Calls {
			// Every metadata key is present, absent values as explicit nulls.
			for _, k := range []string{"id", "url", "title", "scheduled", "started", "duration", "primaryUserId", "direction", "system", "scope", "media", "language", "workspaceId", "sdrDisposition", "clientUniqueId", "customData", "purpose", "meetingUrl", "isPrivate", "calendarEventId"} {
				if _, ok := c.MetaData[k]; !ok {
					t.Fatalf("page %d call %d: metaData lacks %q", p, i, k)
				}
			}
			if !idPattern.MatchString(pages[p].Calls[i].MetaData.ID) {
				t.Errorf("call id %q is not 18–20 digits", pages[p].Calls[i].MetaData.ID)
			}
			var started string
			json.Unmarshal(c.MetaData["started"], &started)
			if !timestampPattern.MatchString(started) {
				t.Errorf("started %q: want the company offset and 0, 3 or 6 fractional digits", started)
			}
			if _, dot, ok := strings.Cut(strings.TrimSuffix(started, "-07:00"), "."); ok {
				fractions[len(dot)]++
			} else {
				fractions[0]++
			}
			if c.Parties == nil {
				imported++
				continue
			}
			for _, party := range c.Parties {
				sp, ok := party["speakerId"]
				if !ok {
					t.Fatal("a party without the speakerId key")
				}
				if string(sp) == "null" {
					silent++
				}
				if _, ok := party["emailAddress"]; !ok {
					withoutEmail++
				}
				for k, v := range party {
					if k != "speakerId" && string(v) == "null" {
						t.Errorf("party key %q is null; Gong leaves absent party keys out", k)
					}
				}
				if string(party["affiliation"]) == `"Unknown"` {
					unknownAffiliation++
				}
			}
		}
	}
	if imported == 0 || silent == 0 || withoutEmail == 0 || unknownAffiliation == 0 {
		t.Errorf("dataset lacks variety: %d imported calls, %d silent parties, %d parties without email, %d of unknown affiliation", imported, silent, withoutEmail, unknownAffiliation)
	}
	if fractions[0] == 0 || fractions[3] == 0 || fractions[6] == 0 {
		t.Errorf("start times by fractional digits: %v; want all of 0, 3 and 6", fractions)
	}
}
