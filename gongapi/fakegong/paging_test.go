package fakegong

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
)

func TestPaginationToTheLastPage(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 10, Calls: 730})
	f.Clock().Set(fixedNow)
	want := callIDs(f.Dataset().VisibleCalls(fixedNow))
	if len(want) < 700 {
		t.Fatalf("only %d visible calls", len(want))
	}
	pages, raws := f.allCallsPages(gongapi.CallsExtensiveRequest{})
	var got []string
	for i, p := range pages {
		got = append(got, callIDs(p.Calls)...)
		r := p.Records
		last := i == len(pages)-1
		if r.CurrentPageNumber != i || r.TotalRecords != len(want) || r.CurrentPageSize != len(p.Calls) {
			t.Errorf("page %d: records %+v (want number %d, total %d)", i, *r, i, len(want))
		}
		if !last && len(p.Calls) != pageSize {
			t.Errorf("page %d has %d calls, want %d", i, len(p.Calls), pageSize)
		}
		var doc struct {
			Records map[string]json.RawMessage `json:"records"`
		}
		json.Unmarshal(raws[i].body, &doc)
		if _, has := doc.Records["cursor"]; has == last {
			t.Errorf("page %d (last %v): cursor key present = %v", i, last, has)
		}
		// Only the blocks asked for: no selector, metadata only.
		if strings.Contains(string(raws[i].body), `"parties"`) || strings.Contains(string(raws[i].body), `"content"`) {
			t.Errorf("page %d carries blocks nobody asked for", i)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages hold %d calls, the dataset %d visible; or the order differs", len(got), len(want))
	}
	// Oldest first.
	var prev time.Time
	for _, p := range pages {
		for _, c := range p.Calls {
			if c.MetaData.Started.Before(prev) {
				t.Fatal("calls are not oldest first")
			}
			prev = c.MetaData.Started
		}
	}
}

func TestResumeFromAStoredCursor(t *testing.T) {
	t.Parallel()
	o := Options{Seed: 11, Calls: 450}
	f := newFake(t, o)
	f.Clock().Set(fixedNow)
	req := gongapi.CallsExtensiveRequest{ContentSelector: gongapi.FullContentSelector()}
	p1 := decode[callsPage](t, f.post("/v2/calls/extensive", req))
	p2 := decode[callsPage](t, f.post("/v2/calls/extensive", withCursor(req, p1.Records.Cursor)))

	// A new fake with the same seed (a restarted process) continues the stored
	// cursor where the first left off.
	g := newFake(t, o)
	g.Clock().Set(fixedNow)
	again := decode[callsPage](t, g.post("/v2/calls/extensive", withCursor(req, p1.Records.Cursor)))
	if !slices.Equal(callIDs(again.Calls), callIDs(p2.Calls)) || again.Records.CurrentPageNumber != 1 {
		t.Error("resuming from a stored cursor does not give the same second page")
	}
	// A fake with another seed refuses it.
	h := newFake(t, Options{Seed: 12, Calls: 450})
	errorBody(t, h.post("/v2/calls/extensive", withCursor(req, p1.Records.Cursor)), http.StatusBadRequest)
}

func withCursor(r gongapi.CallsExtensiveRequest, c string) gongapi.CallsExtensiveRequest {
	r.Cursor = c
	return r
}

func TestPostCursorInTheQueryIsIgnored(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 13, Calls: 300})
	f.Clock().Set(fixedNow)
	body := `{"filter":{}}`
	p1 := decode[callsPage](t, f.do(http.MethodPost, "/v2/calls/extensive", nil, body))
	if p1.Records.Cursor == "" {
		t.Fatal("no cursor on the first page")
	}
	// The trap: the cursor in the query string of a POST. Gong ignores it.
	again := decode[callsPage](t, f.do(http.MethodPost, "/v2/calls/extensive", url.Values{"cursor": {p1.Records.Cursor}}, body))
	if again.Records.CurrentPageNumber != 0 || !slices.Equal(callIDs(again.Calls), callIDs(p1.Calls)) {
		t.Error("a POST with the cursor in the query did not get page 1 again")
	}
	// In the body it works.
	p2 := decode[callsPage](t, f.do(http.MethodPost, "/v2/calls/extensive", nil, `{"cursor":"`+p1.Records.Cursor+`","filter":{}}`))
	if p2.Records.CurrentPageNumber != 1 || p2.Calls[0].MetaData.ID == p1.Calls[0].MetaData.ID {
		t.Error("a cursor in the body did not give page 2")
	}
	// The same for transcripts.
	t1 := decode[transcriptsPage](t, f.do(http.MethodPost, "/v2/calls/transcript", nil, body))
	t1again := decode[transcriptsPage](t, f.do(http.MethodPost, "/v2/calls/transcript", url.Values{"cursor": {t1.Records.Cursor}}, body))
	if t1again.Records.CurrentPageNumber != 0 || t1again.CallTranscripts[0].CallID != t1.CallTranscripts[0].CallID {
		t.Error("transcripts: a POST with the cursor in the query did not get page 1 again")
	}
}

func TestGetCursorsInTheQuery(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 14, Users: 230, Calls: 250})
	f.Clock().Set(fixedNow)
	var users []UserMetadata
	cursor := ""
	for page := 0; ; page++ {
		q := url.Values{}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		r := decode[usersPage](t, f.do(http.MethodGet, "/v2/users", q, ""))
		if r.Records.CurrentPageNumber != page {
			t.Fatalf("users page %d reports number %d", page, r.Records.CurrentPageNumber)
		}
		users = append(users, r.Users...)
		if cursor = r.Records.Cursor; cursor == "" {
			break
		}
	}
	want := f.Dataset().UsersAt(fixedNow)
	if len(users) != len(want) || len(users) != 230 {
		t.Fatalf("paged %d users, dataset has %d (want 230 without avatars)", len(users), len(want))
	}
	for i := range users {
		if users[i].ID != want[i].ID {
			t.Fatalf("user %d is %s, want %s", i, users[i].ID, want[i].ID)
		}
	}
	// includeAvatars adds Gong's staff.
	r := decode[usersPage](t, f.do(http.MethodGet, "/v2/users", url.Values{"includeAvatars": {"true"}}, ""))
	if r.Records.TotalRecords != 232 {
		t.Errorf("with avatars: %d users, want 232", r.Records.TotalRecords)
	}
	// GET /v2/calls pages through the query too.
	q := url.Values{"fromDateTime": {"2023-01-01T00:00:00Z"}, "toDateTime": {"2025-01-01T00:00:00Z"}}
	n := 0
	for {
		c := decode[callListPage](t, f.do(http.MethodGet, "/v2/calls", q, ""))
		n += len(c.Calls)
		if c.Records.Cursor == "" {
			break
		}
		q.Set("cursor", c.Records.Cursor)
	}
	if want := len(f.Dataset().VisibleCalls(fixedNow)); n != want {
		t.Errorf("GET /v2/calls paged %d calls, %d are visible", n, want)
	}
}

func TestUsersExtensiveFilters(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 15, Users: 60, Calls: 10})
	f.Clock().Set(fixedNow)
	all := f.Dataset().UsersAt(fixedNow)
	cut := all[len(all)/2].Created
	var want []string
	for _, u := range all {
		if !u.Created.Before(cut) {
			want = append(want, u.ID)
		}
	}
	r := decode[usersPage](t, f.post("/v2/users/extensive", gongapi.UsersExtensiveRequest{Filter: gongapi.UsersExtensiveFilter{
		CreatedFromDateTime: cut.Format(time.RFC3339Nano),
	}}))
	var got []string
	for _, u := range r.Users {
		got = append(got, u.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("createdFromDateTime: %d users, want %d", len(got), len(want))
	}
	r = decode[usersPage](t, f.post("/v2/users/extensive", gongapi.UsersExtensiveRequest{Filter: gongapi.UsersExtensiveFilter{
		UserIDs: []gongapi.ID{gongapi.ID(all[3].ID), gongapi.ID(all[7].ID)},
	}}))
	if len(r.Users) != 2 || r.Users[0].ID != all[3].ID || r.Users[1].ID != all[7].ID {
		t.Errorf("userIds filter: %d users", len(r.Users))
	}
}

func TestKeysetCursorsDoNotShift(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 16, Calls: 400, LateShare: -1, ChangeShare: -1, DeleteShare: -1})
	clock := f.Clock()
	clock.Set(fixedNow)
	req := gongapi.CallsExtensiveRequest{Filter: gongapi.CallsFilter{FromDateTime: "2024-01-01T00:00:00Z", ToDateTime: "2024-07-01T00:00:00Z"}}
	before := callIDs(f.Dataset().VisibleCalls(fixedNow))

	p1 := decode[callsPage](t, f.post("/v2/calls/extensive", req))
	// Between pages: a late call appears before the cursor's position, and a call
	// that page 2 would have held is deleted.
	early := p1.Calls[10].MetaData.Started
	late, err := f.Dataset().AddCall(NewCall{Started: early.Add(time.Millisecond), ProcessedAt: fixedNow.Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	gone := before[150]
	if _, err := f.Dataset().DeleteCall(gone, fixedNow.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	var got []string
	got = append(got, callIDs(p1.Calls)...)
	req.Cursor = p1.Records.Cursor
	for req.Cursor != "" {
		p := decode[callsPage](t, f.post("/v2/calls/extensive", req))
		got = append(got, callIDs(p.Calls)...)
		req.Cursor = p.Records.Cursor
	}
	want := slices.DeleteFunc(slices.Clone(before), func(id string) bool { return id == gone })
	if !slices.Equal(got, want) {
		t.Errorf("with a call added behind the cursor and one deleted ahead of it, pages hold %d calls, want %d (no repeats, no gaps)", len(got), len(want))
	}
	if slices.Contains(got, late.ID) {
		t.Error("a call added behind the cursor showed up on a later page")
	}
	// A fresh pass sees the late call.
	req.Cursor = ""
	pages, _ := f.allCallsPages(req)
	var fresh []string
	for _, p := range pages {
		fresh = append(fresh, callIDs(p.Calls)...)
	}
	if !slices.Contains(fresh, late.ID) || slices.Contains(fresh, gone) {
		t.Error("a fresh pass does not reflect the added and the deleted call")
	}
}

func TestTiesOnStartTimeAcrossPages(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 17, Calls: 20})
	f.Clock().Set(fixedNow)
	at := time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)
	added := map[string]bool{}
	for range 250 {
		c, err := f.Dataset().AddCall(NewCall{Started: at, ProcessedAt: at.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		added[c.ID] = true
	}
	pages, _ := f.allCallsPages(gongapi.CallsExtensiveRequest{Filter: gongapi.CallsFilter{FromDateTime: filterTime(at), ToDateTime: filterTime(at.Add(time.Second))}})
	seen := map[string]bool{}
	for _, p := range pages {
		for _, id := range callIDs(p.Calls) {
			if seen[id] {
				t.Fatalf("call %s served twice", id)
			}
			seen[id] = true
		}
	}
	if len(pages) != 3 || len(seen) != 250 {
		t.Fatalf("250 calls at one instant came back as %d calls on %d pages", len(seen), len(pages))
	}
}

func TestCursorIsBoundToTheRequest(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 18, Calls: 300})
	f.Clock().Set(fixedNow)
	req := gongapi.CallsExtensiveRequest{Filter: gongapi.CallsFilter{FromDateTime: "2024-01-01T00:00:00Z"}}
	p1 := decode[callsPage](t, f.post("/v2/calls/extensive", req))
	changed := []gongapi.CallsExtensiveRequest{
		{Cursor: p1.Records.Cursor, Filter: gongapi.CallsFilter{FromDateTime: "2024-01-02T00:00:00Z"}},
		{Cursor: p1.Records.Cursor, Filter: req.Filter, ContentSelector: gongapi.FullContentSelector()},
	}
	for i, r := range changed {
		msgs := errorBody(t, f.post("/v2/calls/extensive", r), http.StatusBadRequest)
		if !strings.Contains(strings.Join(msgs, " "), "cursor") {
			t.Errorf("case %d: %q does not mention the cursor", i, msgs)
		}
	}
	// A calls cursor is no transcripts cursor.
	errorBody(t, f.post("/v2/calls/transcript", gongapi.TranscriptRequest{Cursor: p1.Records.Cursor, Filter: req.Filter}), http.StatusBadRequest)
	// A cursor edited by hand fails its signature.
	tampered := []byte(p1.Records.Cursor)
	i := strings.IndexByte(p1.Records.Cursor, '.') + 5
	tampered[i] ^= 1
	if tampered[i] == '.' {
		tampered[i] = 'A'
	}
	errorBody(t, f.post("/v2/calls/extensive", withCursor(req, string(tampered))), http.StatusBadRequest)
}

func TestCursorExpiry(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 19, Calls: 300, CursorTTL: time.Hour})
	f.Clock().Set(fixedNow)
	req := gongapi.CallsExtensiveRequest{}
	p1 := decode[callsPage](t, f.post("/v2/calls/extensive", req))
	f.Clock().Advance(59 * time.Minute)
	p2 := decode[callsPage](t, f.post("/v2/calls/extensive", withCursor(req, p1.Records.Cursor)))
	// Each cursor lives an hour from when it was handed out.
	f.Clock().Advance(2 * time.Minute)
	msgs := errorBody(t, f.post("/v2/calls/extensive", withCursor(req, p1.Records.Cursor)), http.StatusBadRequest)
	if !strings.Contains(strings.Join(msgs, " "), "cursor has expired") {
		t.Errorf("expired cursor: errors %q lack %q", msgs, "cursor has expired")
	}
	if a := f.post("/v2/calls/extensive", withCursor(req, p2.Records.Cursor)); a.status != http.StatusOK {
		t.Errorf("a cursor 2 minutes old: status %d", a.status)
	}
	// Without a TTL cursors never expire.
	g := newFake(t, Options{Seed: 19, Calls: 300})
	g.Clock().Set(fixedNow)
	q1 := decode[callsPage](t, g.post("/v2/calls/extensive", req))
	g.Clock().Advance(24 * 365 * time.Hour)
	if a := g.post("/v2/calls/extensive", withCursor(req, q1.Records.Cursor)); a.status != http.StatusOK {
		t.Errorf("without a TTL a year-old cursor: status %d", a.status)
	}
}
