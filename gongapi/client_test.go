package gongapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// The client's behaviour, tested against the fake Gong over real HTTP.

var (
	dataFrom = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	dataTo   = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	// virtualNow is well after every generated call is processed and transcribed.
	virtualNow = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
)

// fake starts a fake Gong with a small dataset on a virtual clock.
func fake(t testing.TB, opts fakegong.Options) (*fakegong.Server, string) {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	if opts.Calls == 0 {
		opts.Calls = 250
	}
	if opts.From.IsZero() {
		opts.From, opts.To = dataFrom, dataTo
	}
	if opts.Clock == nil {
		opts.Clock = fakegong.NewVirtualClock(virtualNow)
	}
	s, err := fakegong.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs.URL
}

// events records the client's RequestEvents.
type events struct {
	mu  sync.Mutex
	evs []gongapi.RequestEvent
}

func (e *events) observe(ev gongapi.RequestEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evs = append(e.evs, ev)
}

func (e *events) statuses() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []int
	for _, ev := range e.evs {
		out = append(out, ev.Status)
	}
	return out
}

// client returns a client of the fake with fast retries; mod adjusts the config.
func client(t testing.TB, baseURL string, mod func(*gongapi.Config)) (*gongapi.Client, *events) {
	t.Helper()
	ev := &events{}
	cfg := gongapi.Config{
		BaseURL:        baseURL,
		Auth:           gongapi.BasicAuth(fakegong.DefaultAccessKey, fakegong.DefaultAccessKeySecret),
		RetryBaseDelay: time.Millisecond,
		RetryMaxDelay:  5 * time.Millisecond,
		RequestTimeout: 10 * time.Second,
		Observer:       ev.observe,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := gongapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, ev
}

func window() gongapi.CallsExtensiveRequest {
	return gongapi.CallsExtensiveRequest{
		Filter: gongapi.CallsFilter{
			FromDateTime: gongapi.FormatFilterTime(dataFrom),
			ToDateTime:   gongapi.FormatFilterTime(dataTo),
		},
		ContentSelector: gongapi.FullContentSelector(),
	}
}

func callIDs(calls []gongapi.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = string(c.MetaData.ID)
	}
	return out
}

// visibleCallIDs lists, in start order, the ids of the calls the fake shows at t.
func visibleCallIDs(d *fakegong.Dataset, t time.Time) []string {
	var out []string
	for _, c := range d.VisibleCalls(t) {
		out = append(out, c.MetaData.ID)
	}
	return out
}

func setFaults(t testing.TB, s *fakegong.Server, f fakegong.Faults) {
	t.Helper()
	if err := s.SetFaults(f); err != nil {
		t.Fatal(err)
	}
}

func asAPIError(t testing.TB, err error, want error) *gongapi.APIError {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
	var ae *gongapi.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an *APIError", err)
	}
	return ae
}

func TestCallsExtensivePaginatesToTheLastPage(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	c, _ := client(t, base, nil)

	want := visibleCallIDs(s.Dataset(), virtualNow)
	if len(want) < 201 {
		t.Fatalf("dataset has %d visible calls; the test needs three pages", len(want))
	}
	var got []string
	var prev *gongapi.Page[gongapi.Call]
	n := 0
	for page, err := range c.CallsExtensive(t.Context(), window()) {
		if err != nil {
			t.Fatal(err)
		}
		if page.Records.CurrentPageNumber != n {
			t.Errorf("page %d says it is page %d", n, page.Records.CurrentPageNumber)
		}
		if prev == nil && page.Cursor != "" || prev != nil && page.Cursor != prev.NextCursor {
			t.Errorf("page %d: Cursor %q is not the previous page's NextCursor", n, page.Cursor)
		}
		if len(page.RequestID) != 19 {
			t.Errorf("page %d: requestId %q", n, page.RequestID)
		}
		if page.Records.TotalRecords != len(want) {
			t.Errorf("page %d: totalRecords %d, want %d", n, page.Records.TotalRecords, len(want))
		}
		for _, call := range page.Items {
			if call.Parties == nil && call.Content == nil {
				t.Fatalf("call %s came back without content", call.MetaData.ID)
			}
			var again gongapi.Call
			if err := json.Unmarshal(call.Raw, &again); err != nil || again.MetaData.ID != call.MetaData.ID {
				t.Fatalf("call %s: Raw is not the call's JSON (%v)", call.MetaData.ID, err)
			}
		}
		got = append(got, callIDs(page.Items)...)
		prev, n = page, n+1
	}
	if n != (len(want)+99)/100 {
		t.Errorf("%d pages for %d calls", n, len(want))
	}
	if prev.NextCursor != "" {
		t.Errorf("last page has NextCursor %q", prev.NextCursor)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %d calls, want the %d visible ones in start order", len(got), len(want))
	}
	if st := s.Stats(); st.Total != int64(n) {
		t.Errorf("fake counted %d requests for %d pages", st.Total, n)
	}
}

func TestResumeFromAStoredCursor(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	c, _ := client(t, base, nil)
	want := visibleCallIDs(s.Dataset(), virtualNow)

	first, err := c.CallsExtensivePage(t.Context(), window())
	if err != nil {
		t.Fatal(err)
	}
	stored := first.NextCursor // what the sync checkpoints
	if stored == "" {
		t.Fatal("first page is the last")
	}

	// A new client, as after a restart, picks up from the stored cursor.
	c2, _ := client(t, base, nil)
	req := window()
	req.Cursor = stored
	got := callIDs(first.Items)
	pages := 0
	for page, err := range c2.CallsExtensive(t.Context(), req) {
		if err != nil {
			t.Fatal(err)
		}
		if pages == 0 && page.Cursor != stored {
			t.Errorf("resumed page has Cursor %q, want the stored one", page.Cursor)
		}
		got = append(got, callIDs(page.Items)...)
		pages++
	}
	if !slices.Equal(got, want) {
		t.Fatalf("first page + resumed pages = %d calls, want %d in order", len(got), len(want))
	}
}

func TestCursorExpiry(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{CursorTTL: time.Hour})
	c, ev := client(t, base, nil)
	first, err := c.CallsExtensivePage(t.Context(), window())
	if err != nil {
		t.Fatal(err)
	}
	s.Clock().Advance(2 * time.Hour)
	req := window()
	req.Cursor = first.NextCursor
	_, err = c.CallsExtensivePage(t.Context(), req)
	ae := asAPIError(t, err, gongapi.ErrCursorExpired)
	if errors.Is(err, gongapi.ErrBadRequest) {
		t.Error("an expired cursor also matches ErrBadRequest; callers would not restart the window")
	}
	if ae.Status != 400 || ae.RequestID == "" || len(ae.Errors) == 0 {
		t.Errorf("error lacks Gong's status, requestId or texts: %+v", ae)
	}
	if got := ev.statuses(); !slices.Equal(got, []int{200, 400}) {
		t.Errorf("statuses %v: an expired cursor must not be retried", got)
	}
	// The caller restarts the window: page 1 works again.
	if _, err := c.CallsExtensivePage(t.Context(), window()); err != nil {
		t.Fatal(err)
	}
}

// recorder passes requests through to the real transport and keeps a copy of each,
// so a test can check what went on the wire.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
	next http.RoundTripper
}

type recorded struct {
	method string
	url    *url.URL
	header http.Header
	body   []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{req.Method, req.URL, req.Header.Clone(), body})
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func TestPostCursorGoesInTheBody(t *testing.T) {
	t.Parallel()
	_, base := fake(t, fakegong.Options{})
	rec := &recorder{next: http.DefaultTransport}
	c, _ := client(t, base, func(cfg *gongapi.Config) { cfg.Transport = rec; cfg.UserAgent = "gongsync/test" })

	var pages []*gongapi.Page[gongapi.Call]
	for page, err := range c.CallsExtensive(t.Context(), window()) {
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page)
		if len(pages) == 2 {
			break
		}
	}
	if len(pages) != 2 || len(rec.reqs) != 2 {
		t.Fatalf("%d pages, %d requests", len(pages), len(rec.reqs))
	}
	second := rec.reqs[1]
	if second.url.RawQuery != "" {
		t.Errorf("POST went with query %q; Gong ignores it and answers page 1 again", second.url.RawQuery)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(second.body, &body); err != nil {
		t.Fatal(err)
	}
	var cur string
	if err := json.Unmarshal(body["cursor"], &cur); err != nil || cur != pages[0].NextCursor {
		t.Errorf("top-level body cursor = %s, want %q", body["cursor"], pages[0].NextCursor)
	}
	var first map[string]json.RawMessage
	_ = json.Unmarshal(rec.reqs[0].body, &first)
	if _, ok := first["cursor"]; ok {
		t.Error("first page request carries a cursor key")
	}
	if !bytes.Equal(first["filter"], body["filter"]) || !bytes.Equal(first["contentSelector"], body["contentSelector"]) {
		t.Error("filter or contentSelector changed while following the cursor")
	}
	if slices.Equal(callIDs(pages[0].Items), callIDs(pages[1].Items)) {
		t.Error("page 2 repeats page 1")
	}
	for _, r := range rec.reqs {
		for h, want := range map[string]string{"Accept": "application/json", "Content-Type": "application/json", "User-Agent": "gongsync/test"} {
			if got := r.header.Get(h); got != want {
				t.Errorf("%s = %q, want %q", h, got, want)
			}
		}
		if !strings.HasPrefix(r.header.Get("Authorization"), "Basic ") {
			t.Error("no Basic authorization")
		}
	}
}

func TestFakeIgnoresACursorInThePostQuery(t *testing.T) {
	t.Parallel()
	_, base := fake(t, fakegong.Options{})
	c, _ := client(t, base, nil)
	first, err := c.CallsExtensivePage(t.Context(), window())
	if err != nil {
		t.Fatal(err)
	}
	// The trap: the cursor in the query string of a POST.
	body, _ := json.Marshal(gongapi.CallsExtensiveRequest{Filter: window().Filter})
	raw, err := c.Do(t.Context(), "POST", "/v2/calls/extensive", url.Values{"cursor": {first.NextCursor}}, body)
	if err != nil {
		t.Fatal(err)
	}
	var resp gongapi.CallsExtensiveResponse
	if err := json.Unmarshal(raw.Body, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Records.CurrentPageNumber != 0 || !slices.Equal(callIDs(resp.Calls), callIDs(first.Items)) {
		t.Fatalf("a query cursor on a POST moved the page (page %d); Gong ignores it", resp.Records.CurrentPageNumber)
	}
	if raw.Status != 200 || raw.RequestID == "" {
		t.Errorf("Do: status %d, requestId %q", raw.Status, raw.RequestID)
	}
}

func TestEmptyResultsAreEmptyPages(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	c, ev := client(t, base, nil)
	ctx := t.Context()
	before := gongapi.CallsFilter{
		FromDateTime: gongapi.FormatFilterTime(dataFrom.AddDate(-1, 0, 0)),
		ToDateTime:   gongapi.FormatFilterTime(dataFrom.AddDate(0, 0, -1)),
	}

	page, err := c.CallsExtensivePage(ctx, gongapi.CallsExtensiveRequest{Filter: before})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 0 || page.NextCursor != "" || page.RequestID == "" {
		t.Errorf("empty calls page: %+v", page)
	}
	tp, err := c.TranscriptsPage(ctx, gongapi.TranscriptRequest{Filter: before})
	if err != nil || len(tp.Items) != 0 {
		t.Errorf("transcripts: %v, %v", tp, err)
	}
	lp, err := c.CallsPage(ctx, gongapi.CallsListRequest{From: dataFrom.AddDate(-1, 0, 0), To: dataFrom.AddDate(0, 0, -1)})
	if err != nil || len(lp.Items) != 0 {
		t.Errorf("calls list: %v, %v", lp, err)
	}
	up, err := c.UsersExtensivePage(ctx, gongapi.UsersExtensiveRequest{Filter: gongapi.UsersExtensiveFilter{
		CreatedFromDateTime: gongapi.FormatFilterTime(virtualNow.AddDate(1, 0, 0)),
	}})
	if err != nil || len(up.Items) != 0 {
		t.Errorf("users extensive: %v, %v", up, err)
	}
	n := 0
	for page, err := range c.CallsExtensive(ctx, gongapi.CallsExtensiveRequest{Filter: before}) {
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("iterator over nothing: %v, %v", page, err)
		}
		n++
	}
	if n != 1 {
		t.Errorf("iterator over nothing yielded %d pages, want one empty page", n)
	}
	// Through Do (the proxy), Gong's empty answer is shown as it is, not as an error.
	body, _ := json.Marshal(gongapi.CallsExtensiveRequest{Filter: before})
	raw, err := c.Do(ctx, "POST", "/v2/calls/extensive", nil, body)
	if err != nil || raw.Status != 404 || raw.RequestID == "" || !bytes.Contains(raw.Body, []byte("found corresponding to the provided filters")) {
		t.Errorf("Do of an empty window: %+v, %v", raw, err)
	}
	if got := ev.statuses(); slices.ContainsFunc(got, func(s int) bool { return s != 404 }) || len(got) != 6 {
		t.Errorf("statuses %v: want six 404s, none retried", got)
	}
	if st := s.Stats(); st.Status["404"] != 6 {
		t.Errorf("fake saw %v", st.Status)
	}
}

func TestOther404sAreErrors(t *testing.T) {
	t.Parallel()
	_, base := fake(t, fakegong.Options{})
	c, ev := client(t, base, nil)

	_, err := c.Trackers(t.Context(), "123456789012345678")
	ae := asAPIError(t, err, gongapi.ErrNotFound)
	if ae.Status != 404 || ae.RequestID == "" || len(ae.Errors) == 0 {
		t.Errorf("not-found error lacks detail: %+v", ae)
	}
	_, err = c.Do(t.Context(), "GET", "/v2/no-such-thing", nil, nil)
	asAPIError(t, err, gongapi.ErrNotFound)

	// A base URL with a wrong path: every endpoint is a 404, never an empty page.
	wrong, _ := client(t, base+"/gong", nil)
	_, err = wrong.CallsExtensivePage(t.Context(), window())
	asAPIError(t, err, gongapi.ErrNotFound)
	if got := ev.statuses(); !slices.Equal(got, []int{404, 404}) {
		t.Errorf("statuses %v", got)
	}
}

func TestUnauthorizedIsNeverRetried(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	c, ev := client(t, base, func(cfg *gongapi.Config) {
		cfg.Auth = gongapi.BasicAuth(fakegong.DefaultAccessKey, "wrong-secret")
	})
	_, err := c.UsersPage(t.Context(), "")
	ae := asAPIError(t, err, gongapi.ErrUnauthorized)
	if ae.Status != 401 || ae.RequestID == "" || ae.Attempts != 1 {
		t.Errorf("401 error: %+v", ae)
	}
	for _, want := range []string{"access key", "base URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("401 message %q does not tell the operator to check %q", err, want)
		}
	}

	good, _ := client(t, base, nil)
	setFaults(t, s, fakegong.Faults{Forbidden: true})
	_, err = good.Workspaces(t.Context())
	ae = asAPIError(t, err, gongapi.ErrUnauthorized)
	if ae.Status != 403 || !strings.Contains(err.Error(), "trusted IP") {
		t.Errorf("403 error: %v", err)
	}
	if st := s.Stats(); st.Total != 2 || len(ev.statuses()) != 1 {
		t.Errorf("fake saw %d requests for two refused calls (client events %v)", st.Total, ev.statuses())
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	c, _ := client(t, base, nil)

	// Refused before sending: an empty callIds list, or too many ids.
	req := window()
	req.Filter.CallIDs = []gongapi.ID{}
	_, err := c.CallsExtensivePage(t.Context(), req)
	ae := asAPIError(t, err, gongapi.ErrBadRequest)
	if !strings.Contains(ae.Error(), "callIds") {
		t.Errorf("message %q does not name callIds", ae)
	}
	_, err = c.TranscriptsPage(t.Context(), gongapi.TranscriptRequest{Filter: gongapi.CallsFilter{CallIDs: make([]gongapi.ID, 101)}})
	asAPIError(t, err, gongapi.ErrBadRequest)
	_, err = c.CallsPage(t.Context(), gongapi.CallsListRequest{From: dataFrom})
	asAPIError(t, err, gongapi.ErrBadRequest)
	if st := s.Stats(); st.Total != 0 {
		t.Fatalf("requests refused locally reached the fake (%d)", st.Total)
	}

	// Sent anyway (through Do): Gong's 400 comes back typed, not retried.
	_, err = c.Do(t.Context(), "POST", "/v2/calls/extensive", nil, []byte(`{"filter":{"callIds":[]}}`))
	ae = asAPIError(t, err, gongapi.ErrBadRequest)
	if ae.Status != 400 || len(ae.Errors) == 0 || ae.RequestID == "" {
		t.Errorf("400 error: %+v", ae)
	}
	if st := s.Stats(); st.Total != 1 {
		t.Errorf("a 400 was retried: %d requests", st.Total)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	c, ev := client(t, base, func(cfg *gongapi.Config) { cfg.RetryBaseDelay, cfg.RetryMaxDelay = time.Hour, time.Hour })
	setFaults(t, s, fakegong.Faults{Script: []fakegong.Fault{fakegong.Fault429}, RetryAfter: time.Second})
	start := time.Now()
	ws, err := c.Workspaces(t.Context())
	if err != nil || len(ws) == 0 {
		t.Fatalf("%v, %v", ws, err)
	}
	// The backoff here would be up to an hour: finishing after about a second proves
	// the client slept for Retry-After instead.
	if d := time.Since(start); d < time.Second || d > 5*time.Second {
		t.Errorf("took %v with Retry-After: 1", d)
	}
	if got := ev.statuses(); !slices.Equal(got, []int{429, 200}) {
		t.Errorf("statuses %v", got)
	}
}

func TestRetryWithoutRetryAfterBacksOff(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{OmitRetryAfter: true})
	c, ev := client(t, base, nil)
	setFaults(t, s, fakegong.Faults{
		Script:         []fakegong.Fault{fakegong.Fault429, fakegong.Fault429},
		OmitRetryAfter: true,
	})
	start := time.Now()
	if _, err := c.Workspaces(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v with a 5ms backoff cap", d)
	}
	if got := ev.statuses(); !slices.Equal(got, []int{429, 429, 200}) {
		t.Errorf("statuses %v", got)
	}

	// A 429 that never ends runs out of retries.
	setFaults(t, s, fakegong.Faults{Status429Rate: 1, OmitRetryAfter: true})
	c2, _ := client(t, base, func(cfg *gongapi.Config) { cfg.MaxRetries = 2 })
	_, err := c2.Workspaces(t.Context())
	ae := asAPIError(t, err, gongapi.ErrRateLimited)
	if ae.Attempts != 3 || ae.Status != 429 {
		t.Errorf("error: %+v", ae)
	}
}

func TestLongRetryAfterIsAQuotaError(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	c, _ := client(t, base, func(cfg *gongapi.Config) { cfg.MaxRetryAfter = 10 * time.Minute })
	setFaults(t, s, fakegong.Faults{Script: []fakegong.Fault{fakegong.Fault429}, RetryAfter: 2 * time.Hour})
	start := time.Now()
	_, err := c.Workspaces(t.Context())
	if !errors.Is(err, gongapi.ErrQuotaExhausted) {
		t.Fatalf("error %v, want ErrQuotaExhausted", err)
	}
	var qe *gongapi.QuotaError
	if !errors.As(err, &qe) {
		t.Fatalf("%v is not a *QuotaError", err)
	}
	if until := qe.Until.Sub(start); until < 2*time.Hour-time.Minute || until > 2*time.Hour+time.Minute {
		t.Errorf("Until is %v from now, want about 2h", until)
	}
	if qe.RequestID == "" || qe.Endpoint != gongapi.EndpointWorkspaces || !strings.Contains(err.Error(), "until") {
		t.Errorf("quota error: %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Error("the client slept instead of returning")
	}
	if st := s.Stats(); st.Total != 1 {
		t.Errorf("%d requests; want the one 429", st.Total)
	}
}

func TestDailyQuotaAnswerIsAQuotaError(t *testing.T) {
	t.Parallel()
	// 20:00 UTC on the virtual clock: the fake's day ends in four hours.
	s, base := fake(t, fakegong.Options{DailyLimit: 3, Clock: fakegong.NewVirtualClock(time.Date(2024, 6, 1, 20, 0, 0, 0, time.UTC))})
	c, _ := client(t, base, nil)
	for i := range 3 {
		if _, err := c.Workspaces(t.Context()); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	_, err := c.Workspaces(t.Context())
	var qe *gongapi.QuotaError
	if !errors.As(err, &qe) {
		t.Fatalf("error %v, want a *QuotaError", err)
	}
	if left := time.Until(qe.Until); left < 4*time.Hour-time.Minute || left > 4*time.Hour+time.Minute {
		t.Errorf("Until is %v away, want the fake's midnight in ~4h", left)
	}
	if st := s.Stats(); st.Total != 4 || st.Status["429"] != 1 {
		t.Errorf("fake: %+v", st)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	c, ev := client(t, base, nil)
	setFaults(t, s, fakegong.Faults{Script: []fakegong.Fault{fakegong.Fault500, fakegong.Fault502, fakegong.Fault503}})
	page, err := c.CallsExtensivePage(t.Context(), window())
	if err != nil || len(page.Items) != 100 {
		t.Fatalf("%v", err)
	}
	if got := ev.statuses(); !slices.Equal(got, []int{500, 502, 503, 200}) {
		t.Errorf("statuses %v", got)
	}
}

func TestServerErrorsExhaustRetries(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{FailRate: 1})
	c, _ := client(t, base, func(cfg *gongapi.Config) { cfg.MaxRetries = 2 })
	_, err := c.CallsExtensivePage(t.Context(), window())
	ae := asAPIError(t, err, gongapi.ErrServer)
	if ae.Status != 500 || ae.Attempts != 3 || ae.RequestID == "" || len(ae.Errors) == 0 {
		t.Errorf("error: %+v", ae)
	}
	if st := s.Stats(); st.Total != 3 {
		t.Errorf("fake saw %d requests, want 3", st.Total)
	}
}

func TestDroppedConnectionIsRetried(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	c, ev := client(t, base, nil)
	setFaults(t, s, fakegong.Faults{Script: []fakegong.Fault{fakegong.FaultDrop}})
	page, err := c.CallsExtensivePage(t.Context(), window())
	if err != nil || len(page.Items) != 100 {
		t.Fatalf("%v", err)
	}
	if got := ev.statuses(); len(got) != 2 || got[1] != 200 {
		t.Errorf("statuses %v", got)
	}

	setFaults(t, s, fakegong.Faults{DropRate: 1})
	c2, _ := client(t, base, func(cfg *gongapi.Config) { cfg.MaxRetries = 1 })
	_, err = c2.CallsExtensivePage(t.Context(), window())
	ae := asAPIError(t, err, gongapi.ErrNetwork)
	if ae.Attempts != 2 || ae.Endpoint != gongapi.EndpointCallsExtensive || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("error: %v (%+v)", err, ae)
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	c, _ := client(t, base, func(cfg *gongapi.Config) { cfg.RequestTimeout = 300 * time.Millisecond })
	setFaults(t, s, fakegong.Faults{Script: []fakegong.Fault{fakegong.FaultTimeout}, Hang: time.Minute})
	start := time.Now()
	if _, err := c.Workspaces(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 5*time.Second {
		t.Errorf("took %v with a 300ms timeout", d)
	}

	setFaults(t, s, fakegong.Faults{TimeoutRate: 1, Hang: time.Minute})
	c2, _ := client(t, base, func(cfg *gongapi.Config) { cfg.RequestTimeout = 100 * time.Millisecond; cfg.MaxRetries = 1 })
	_, err := c2.Workspaces(t.Context())
	ae := asAPIError(t, err, gongapi.ErrNetwork)
	if !errors.Is(err, context.DeadlineExceeded) || ae.Attempts != 2 || !strings.Contains(err.Error(), "within 100ms") {
		t.Errorf("error: %v", err)
	}
}

func TestMalformedAnswers(t *testing.T) {
	t.Parallel()
	cases := []fakegong.Fault{fakegong.FaultMalformed, fakegong.FaultHTML, fakegong.FaultEmpty, fakegong.FaultContentType}
	for _, fault := range cases {
		t.Run(string(fault), func(t *testing.T) {
			t.Parallel()
			s, base := fake(t, fakegong.Options{})
			c, _ := client(t, base, nil)
			setFaults(t, s, fakegong.Faults{Script: []fakegong.Fault{fault}})
			_, err := c.CallsExtensivePage(t.Context(), window())
			ae := asAPIError(t, err, gongapi.ErrMalformedResponse)
			if ae.Endpoint != gongapi.EndpointCallsExtensive || len(ae.RequestID) != 19 || !strings.Contains(err.Error(), ae.RequestID) {
				t.Errorf("error does not name endpoint and requestId: %v", err)
			}
			if st := s.Stats(); st.Total != 1 {
				t.Errorf("a malformed answer was retried (%d requests)", st.Total)
			}
		})
	}
}

func TestBodyOverTheMaximum(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	c, _ := client(t, base, func(cfg *gongapi.Config) { cfg.MaxBodyBytes = 64 << 10 })
	_, err := c.CallsExtensivePage(t.Context(), window())
	ae := asAPIError(t, err, gongapi.ErrBodyTooLarge)
	if ae.RequestID == "" || ae.Endpoint != gongapi.EndpointCallsExtensive || ae.Attempts != 1 {
		t.Errorf("error: %+v", ae)
	}
	// Without content the page fits.
	req := window()
	req.ContentSelector = nil
	if _, err := c.CallsExtensivePage(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Total != 2 {
		t.Errorf("%d requests", st.Total)
	}
}

// budget allows n requests, then refuses with refusal. With interval set it paces
// them, as the ledger's shared pace does: each send time at least interval after the
// previous one. It counts the slots given back.
type budget struct {
	mu        sync.Mutex
	n         int
	refusal   error
	endpoints []string
	interval  time.Duration
	next      time.Time
	refunds   int
}

func (b *budget) Reserve(_ context.Context, endpoint string) (gongapi.Slot, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.endpoints = append(b.endpoints, endpoint)
	if b.n == 0 {
		return gongapi.Slot{}, b.refusal
	}
	b.n--
	slot := gongapi.Slot{Refund: func(context.Context) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.refunds++
		b.n++
		return nil
	}}
	if b.interval > 0 {
		slot.SendAt = time.Now()
		if b.next.After(slot.SendAt) {
			slot.SendAt = b.next
		}
		b.next = slot.SendAt.Add(b.interval)
	}
	return slot, nil
}

func TestBudgetRefusalSendsNothing(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	until := time.Date(2024, 6, 2, 0, 0, 0, 0, time.UTC)
	b := &budget{n: 2, refusal: &gongapi.QuotaError{Until: until, Reason: "daily budget spent"}}
	c, _ := client(t, base, func(cfg *gongapi.Config) { cfg.Budget = b })

	var got int
	var err error
	for page, e := range c.CallsExtensive(t.Context(), window()) {
		if e != nil {
			err = e
			break
		}
		got += len(page.Items)
	}
	var qe *gongapi.QuotaError
	if !errors.As(err, &qe) || !errors.Is(err, gongapi.ErrQuotaExhausted) {
		t.Fatalf("error %v, want a *QuotaError", err)
	}
	if !qe.Until.Equal(until) || qe.Endpoint != gongapi.EndpointCallsExtensive {
		t.Errorf("quota error lost Until or endpoint: %+v", qe)
	}
	if got != 200 {
		t.Errorf("%d calls before the refusal, want two pages", got)
	}
	if st := s.Stats(); st.Total != 2 {
		t.Errorf("fake saw %d requests; the budget allowed 2", st.Total)
	}

	// A refusal of the Budget's own making (wrapping ErrQuotaExhausted) is a quota
	// error that keeps the cause; a Budget that fails is not, but stops the call too.
	cause := fmt.Errorf("ledger: daily budget of 9500 spent: %w", gongapi.ErrQuotaExhausted)
	c2, _ := client(t, base, func(cfg *gongapi.Config) { cfg.Budget = &budget{refusal: cause} })
	_, err = c2.Workspaces(t.Context())
	if !errors.As(err, &qe) || !errors.Is(err, cause) {
		t.Errorf("error %v: want a *QuotaError wrapping the budget's error", err)
	}
	broken := errors.New("ledger: connection refused")
	c2b, _ := client(t, base, func(cfg *gongapi.Config) { cfg.Budget = &budget{refusal: broken} })
	_, err = c2b.Workspaces(t.Context())
	if errors.Is(err, gongapi.ErrQuotaExhausted) || !errors.Is(err, broken) {
		t.Errorf("error %v: a failing budget must not pass for a spent quota", err)
	}
	if st := s.Stats(); st.Total != 2 {
		t.Errorf("a refused request reached the fake")
	}

	// Retries ask the budget too.
	setFaults(t, s, fakegong.Faults{Script: []fakegong.Fault{fakegong.Fault500}})
	b3 := &budget{n: 10}
	c3, _ := client(t, base, func(cfg *gongapi.Config) { cfg.Budget = b3 })
	if _, err := c3.Workspaces(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b3.endpoints, []string{"GET /v2/workspaces", "GET /v2/workspaces"}) {
		t.Errorf("budget asked for %v", b3.endpoints)
	}
}

func TestCancellationDuringRetryWait(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	c, _ := client(t, base, nil)
	setFaults(t, s, fakegong.Faults{Script: []fakegong.Fault{fakegong.Fault429}, RetryAfter: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Workspaces(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the context's", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancellation took %v", d)
	}
	if !strings.Contains(err.Error(), gongapi.EndpointWorkspaces) {
		t.Errorf("error %q does not name the endpoint", err)
	}
}

// regional is an Authorizer that also names the API host, as OAuth does.
type regional struct {
	gongapi.Authorizer
	base string
	err  error
}

func (r regional) APIBaseURL(context.Context) (string, error) { return r.base, r.err }

func TestAuthorizerBaseURLWins(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	basic := gongapi.BasicAuth(fakegong.DefaultAccessKey, fakegong.DefaultAccessKeySecret)
	c, _ := client(t, "https://api.gong.invalid", func(cfg *gongapi.Config) { cfg.Auth = regional{basic, base + "/", nil} })
	if _, err := c.Workspaces(t.Context()); err != nil {
		t.Fatal(err)
	}
	broken, _ := client(t, base, func(cfg *gongapi.Config) { cfg.Auth = regional{basic, "", errors.New("no token yet")} })
	if _, err := broken.Workspaces(t.Context()); err == nil || !strings.Contains(err.Error(), "no token yet") {
		t.Errorf("error %v", err)
	}
	if st := s.Stats(); st.Total != 1 {
		t.Errorf("%d requests", st.Total)
	}
}

func TestEveryEndpointAgainstTheDataset(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{Users: 130})
	c, ev := client(t, base, nil)
	ctx := t.Context()
	d := s.Dataset()

	var users []string
	for page, err := range c.Users(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Items {
			users = append(users, string(u.ID))
		}
	}
	var wantUsers []string
	for _, u := range d.UsersAt(virtualNow) {
		wantUsers = append(wantUsers, u.ID)
	}
	slices.Sort(users)
	slices.Sort(wantUsers)
	if len(users) < 101 || !slices.Equal(users, wantUsers) {
		t.Errorf("users: %d listed, dataset has %d", len(users), len(wantUsers))
	}

	var extensive int
	for page, err := range c.UsersExtensive(ctx, gongapi.UsersExtensiveRequest{}) {
		if err != nil {
			t.Fatal(err)
		}
		extensive += len(page.Items)
	}
	if extensive != len(wantUsers) {
		t.Errorf("users/extensive: %d, want %d", extensive, len(wantUsers))
	}

	ws, err := c.Workspaces(ctx)
	if err != nil || len(ws) != len(d.Workspaces()) || len(ws[0].Raw) == 0 {
		t.Fatalf("workspaces: %v, %v", ws, err)
	}
	for _, w := range ws {
		trackers, err := c.Trackers(ctx, string(w.ID))
		if err != nil || len(trackers) == 0 {
			t.Fatalf("trackers of %s: %d, %v", w.ID, len(trackers), err)
		}
	}

	var listed []string
	for page, err := range c.Calls(ctx, gongapi.CallsListRequest{From: dataFrom, To: dataTo}) {
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Items {
			listed = append(listed, string(m.ID))
		}
	}
	visible := visibleCallIDs(d, virtualNow)
	slices.Sort(listed)
	slices.Sort(visible)
	if !slices.Equal(listed, visible) {
		t.Errorf("GET /v2/calls listed %d calls, %d visible", len(listed), len(visible))
	}

	// Transcripts: every speaker joins a party of its call.
	speakers := map[string]map[string]bool{}
	for page, err := range c.CallsExtensive(ctx, window()) {
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range page.Items {
			set := map[string]bool{}
			for _, p := range call.Parties {
				if p.SpeakerID != nil {
					set[string(*p.SpeakerID)] = true
				}
			}
			speakers[string(call.MetaData.ID)] = set
		}
	}
	var transcripts int
	for page, err := range c.Transcripts(ctx, gongapi.TranscriptRequest{Filter: window().Filter}) {
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range page.Items {
			transcripts++
			for _, m := range tr.Transcript {
				if m.SpeakerID == nil || !speakers[string(tr.CallID)][string(*m.SpeakerID)] {
					t.Fatalf("transcript of %s has speaker %v, not a party of the call", tr.CallID, m.SpeakerID)
				}
			}
		}
	}
	if want := len(d.VisibleTranscripts(virtualNow)); transcripts != want || transcripts == 0 {
		t.Errorf("%d transcripts, dataset serves %d", transcripts, want)
	}

	// Every endpoint name the client reports is the one the fake counted.
	st := s.Stats()
	seen := map[string]int64{}
	for _, e := range ev.evs {
		seen[e.Endpoint]++
	}
	for ep, n := range st.ByEndpoint {
		if seen[ep] != n {
			t.Errorf("endpoint %q: client reported %d requests, fake counted %d", ep, seen[ep], n)
		}
	}
}

func TestUnknownFieldsAreIgnored(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{UnknownFields: true})
	c, _ := client(t, base, nil)
	var got []string
	for page, err := range c.CallsExtensive(t.Context(), window()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, callIDs(page.Items)...)
	}
	if want := visibleCallIDs(s.Dataset(), virtualNow); !slices.Equal(got, want) {
		t.Errorf("%d calls, want %d", len(got), len(want))
	}
	if _, err := c.UsersPage(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Workspaces(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestPacingAgainstARateLimitedFake: the client sends each attempt at the send time
// its Budget gave it, so a Budget pacing at Gong's 3 requests/s (2% slower, as the
// ledger's pace) meets no 429 from a fake limited to 3/s and keeps at least 2.7/s. It
// takes about 30 seconds.
func TestPacingAgainstARateLimitedFake(t *testing.T) {
	if testing.Short() {
		t.Skip("90 requests paced at 3 a second of wall-clock time: long scenario; runs in make test")
	}
	t.Parallel()
	s, base := fake(t, fakegong.Options{RateLimit: 3})
	b := &budget{n: 1 << 30, interval: time.Duration(1.02 * float64(time.Second) / 3)}
	c, ev := client(t, base, func(cfg *gongapi.Config) { cfg.Budget = b })
	const n = 90
	start := time.Now()
	for i := range n {
		if _, err := c.Workspaces(t.Context()); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	elapsed := time.Since(start)
	rate := float64(n-1) / elapsed.Seconds()
	t.Logf("%d requests in %v: %.3f requests/s", n, elapsed.Round(time.Millisecond), rate)
	st := s.Stats()
	if st.Status["429"] != 0 || st.Total != n || slices.Contains(ev.statuses(), 429) {
		t.Errorf("fake answered %v over %d requests; want no 429", st.Status, st.Total)
	}
	if rate < 2.7 {
		t.Errorf("%.3f requests/s, want at least 2.7", rate)
	}
	if rate > 3.0 {
		t.Errorf("%.3f requests/s, more than the limit", rate)
	}
}

// An attempt that never reached Gong gives its budget slot back: a refused connection
// (every retry too), or a caller that gives up while waiting for its send time. One
// that reached Gong stays counted, even when the answer was lost.
func TestAttemptsThatNeverReachedGongAreRefunded(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: take one, then close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	b := &budget{n: 100}
	c, _ := client(t, dead, func(cfg *gongapi.Config) { cfg.Budget = b; cfg.MaxRetries = 3 })
	_, err = c.Workspaces(t.Context())
	asAPIError(t, err, gongapi.ErrNetwork)
	if len(b.endpoints) != 4 || b.refunds != 4 || b.n != 100 {
		t.Errorf("%d attempts reserved, %d refunded, %d slots left of 100; want every attempt refunded", len(b.endpoints), b.refunds, b.n)
	}

	// Dropped mid-body: the request reached Gong, the slot stays spent.
	s, base := fake(t, fakegong.Options{})
	setFaults(t, s, fakegong.Faults{Script: []fakegong.Fault{fakegong.FaultDrop}})
	b = &budget{n: 100}
	c, _ = client(t, base, func(cfg *gongapi.Config) { cfg.Budget = b })
	if _, err := c.Workspaces(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Total != 2 || b.refunds != 0 || b.n != 98 {
		t.Errorf("fake served %d, %d refunded, %d slots left; want 2 served, 2 counted", st.Total, b.refunds, b.n)
	}

	// Cancelled while waiting for the send time: never sent, given back.
	b = &budget{n: 100, interval: time.Hour}
	c, _ = client(t, base, func(cfg *gongapi.Config) { cfg.Budget = b })
	if _, err := c.Workspaces(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	s.ResetStats()
	if _, err := c.Workspaces(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the caller's deadline", err)
	}
	if st := s.Stats(); st.Total != 0 || b.refunds != 1 || b.n != 99 {
		t.Errorf("fake served %d, %d refunded, %d slots left; want the waiting request given back", st.Total, b.refunds, b.n)
	}
}

// unwrittenTransport has a connection for each request and loses it before writing
// anything, as the transport does for a caller who gives up between the two (a
// SIGTERM while an HTTP/2 connection is at its stream limit, say): GotConn fires,
// WroteRequest never does.
type unwrittenTransport struct{}

func (unwrittenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if tr := httptrace.ContextClientTrace(req.Context()); tr != nil && tr.GotConn != nil {
		tr.GotConn(httptrace.GotConnInfo{Reused: true})
	}
	return nil, errors.New("connection lost before the request was written")
}

// An attempt that had a connection but was never written gives its slot back: only
// a request written whole can reach Gong (issue 25, item 6: the ledger one above what
// Gong saw after a daemon was stopped).
func TestAnAttemptNeverWrittenIsRefundedEvenWithAConnection(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	b := &budget{n: 100}
	c, _ := client(t, base, func(cfg *gongapi.Config) { cfg.Budget = b; cfg.MaxRetries = 2; cfg.Transport = unwrittenTransport{} })
	_, err := c.Workspaces(t.Context())
	asAPIError(t, err, gongapi.ErrNetwork)
	if st := s.Stats(); st.Total != 0 || len(b.endpoints) != 3 || b.refunds != 3 || b.n != 100 {
		t.Errorf("fake served %d; %d attempts reserved, %d refunded, %d slots left of 100; want every attempt refunded",
			st.Total, len(b.endpoints), b.refunds, b.n)
	}
}

// renewing authorizes with a token Gong refuses until Reauthorize has been called
// renewals times.
type renewing struct {
	mu        sync.Mutex
	bad, good gongapi.Authorizer
	renewals  int
	calls     int
	refused   []string
}

func (r *renewing) Authorize(ctx context.Context, req *http.Request) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls < r.renewals {
		return r.bad.Authorize(ctx, req)
	}
	return r.good.Authorize(ctx, req)
}

func (r *renewing) Reauthorize(_ context.Context, refused *http.Request) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	r.refused = append(r.refused, refused.Header.Get("Authorization"))
	return nil
}

// Credentials that can be renewed are renewed once after Gong refuses them with a 401,
// and the request tried again; refused again, the call fails. A missing scope or a 403
// renews nothing.
func TestRefusedCredentialsAreRenewedOnce(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	good := gongapi.BasicAuth(fakegong.DefaultAccessKey, fakegong.DefaultAccessKeySecret)
	bad := gongapi.BasicAuth(fakegong.DefaultAccessKey, "revoked")

	r := &renewing{bad: bad, good: good, renewals: 1}
	c, _ := client(t, base, func(cfg *gongapi.Config) { cfg.Auth = r })
	if _, err := c.Workspaces(t.Context()); err != nil {
		t.Fatalf("after one renewal: %v", err)
	}
	if st := s.Stats(); st.Total != 2 || r.calls != 1 || len(r.refused) != 1 || !strings.HasPrefix(r.refused[0], "Basic ") {
		t.Errorf("fake served %d, %d renewals (refused %d); want 2 requests and one renewal", st.Total, r.calls, len(r.refused))
	}

	s.ResetStats()
	r = &renewing{bad: bad, good: good, renewals: 5}
	c, _ = client(t, base, func(cfg *gongapi.Config) { cfg.Auth = r })
	_, err := c.Workspaces(t.Context())
	asAPIError(t, err, gongapi.ErrUnauthorized)
	if st := s.Stats(); st.Total != 2 || r.calls != 1 {
		t.Errorf("fake served %d with %d renewals; want the fresh credentials tried once", st.Total, r.calls)
	}

	s.ResetStats()
	setFaults(t, s, fakegong.Faults{Forbidden: true})
	r = &renewing{bad: good, good: good}
	c, _ = client(t, base, func(cfg *gongapi.Config) { cfg.Auth = r })
	_, err = c.Workspaces(t.Context())
	asAPIError(t, err, gongapi.ErrUnauthorized)
	if st := s.Stats(); st.Total != 1 || r.calls != 0 {
		t.Errorf("a 403 renewed the credentials: %d requests, %d renewals", st.Total, r.calls)
	}
}

func TestNoSecretInLogsOrErrors(t *testing.T) {
	t.Parallel()
	const key, secret = "leak-test-key", "Sup3r-S3cret-Never-Log-Me-8841"
	s, base := fake(t, fakegong.Options{AccessKey: key, AccessKeySecret: secret})
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := zerolog.New(syncWriter{&mu, &logs}).Level(zerolog.DebugLevel)

	var errs []error
	var shown []string // the client's configuration, printed every way a careless log line might
	run := func(auth gongapi.Authorizer, faults fakegong.Faults, call func(*gongapi.Client) error) {
		setFaults(t, s, faults)
		c, _ := client(t, base, func(cfg *gongapi.Config) {
			cfg.Auth, cfg.Logger, cfg.MaxRetries = auth, logger, 2
			logger.Info().Interface("config", cfg).Msg("client config")
			logger.Info().Str("config", fmt.Sprintf("%+v", cfg)).Msg("client config")
			shown = append(shown, fmt.Sprintf("%v %+v %#v %s", cfg.Auth, cfg.Auth, cfg.Auth, cfg.Auth))
		})
		errs = append(errs, call(c))
	}
	good := gongapi.BasicAuth(key, secret)
	bad := gongapi.BasicAuth(key, secret+"-wrong")
	extensive := func(c *gongapi.Client) error { _, err := c.CallsExtensivePage(t.Context(), window()); return err }
	raw := func(c *gongapi.Client) error { _, err := c.Do(t.Context(), "GET", "/v2/users", nil, nil); return err }

	run(bad, fakegong.Faults{}, extensive)
	run(bad, fakegong.Faults{}, raw)
	run(good, fakegong.Faults{FailRate: 1}, extensive)
	run(good, fakegong.Faults{Status429Rate: 1}, raw)
	run(good, fakegong.Faults{Script: []fakegong.Fault{fakegong.FaultMalformed}}, extensive)
	run(good, fakegong.Faults{Script: []fakegong.Fault{fakegong.FaultHTML}}, raw)
	run(good, fakegong.Faults{DropRate: 1}, extensive)
	run(good, fakegong.Faults{Forbidden: true}, extensive)

	encoded := base64.StdEncoding.EncodeToString([]byte(key + ":" + secret))
	forbidden := []string{secret, encoded, url.QueryEscape(secret), "Basic " + encoded[:8]}
	failures := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		failures++
		for _, f := range forbidden {
			if strings.Contains(err.Error(), f) || strings.Contains(fmt.Sprintf("%+v", err), f) {
				t.Errorf("error shows a secret: %v", err)
			}
		}
	}
	for _, sh := range shown {
		for _, f := range forbidden {
			if strings.Contains(sh, f) {
				t.Errorf("printed config shows a secret: %s", sh)
			}
		}
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	for _, f := range forbidden {
		if strings.Contains(out, f) {
			t.Errorf("log output shows %q", f)
		}
	}
	// The run must really have failed and logged, or the test proves nothing.
	if failures < 8 || !strings.Contains(out, "retrying") || !strings.Contains(out, `"status":401`) {
		t.Fatalf("%d failures, log:\n%s", failures, out)
	}
}

type syncWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (s syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
