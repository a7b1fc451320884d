package gongapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Tests of the client's pure parts. Its behaviour over HTTP is tested against the
// fake Gong in client_test.go.

func TestBackoffFullJitterCapped(t *testing.T) {
	t.Parallel()
	const base, limit = 100 * time.Millisecond, 2 * time.Second
	top := func(n int64) int64 { return n - 1 } // the largest draw
	cases := []struct {
		retry int
		want  time.Duration
	}{
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{3, 400 * time.Millisecond},
		{5, 1600 * time.Millisecond},
		{6, 2 * time.Second},
		{60, 2 * time.Second}, // no overflow for a silly retry count
	}
	for _, tc := range cases {
		if got := backoff(tc.retry, base, limit, top); got != tc.want {
			t.Errorf("backoff(%d) ceiling = %v, want %v", tc.retry, got, tc.want)
		}
	}
	if got := backoff(3, base, limit, func(int64) int64 { return 0 }); got != 0 {
		t.Errorf("backoff with a zero draw = %v, want 0 (full jitter starts at zero)", got)
	}
	// The real source stays within [0, ceiling] and is not constant.
	seen := map[time.Duration]bool{}
	for range 200 {
		d := backoff(4, base, limit, jitter)
		if d < 0 || d > 800*time.Millisecond {
			t.Fatalf("backoff(4) = %v, outside [0, 800ms]", d)
		}
		seen[d] = true
	}
	if len(seen) < 50 {
		t.Errorf("backoff drew only %d distinct delays in 200 tries", len(seen))
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"0", 0, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{"Wed, 01 May 2024 12:00:30 GMT", 30 * time.Second, true},
		{"Wed, 01 May 2024 11:00:00 GMT", 0, true}, // in the past: now
		{"99999999999999999999", 1e9 * time.Second, true},
	}
	for _, tc := range cases {
		h := http.Header{}
		if tc.header != "" {
			h.Set("Retry-After", tc.header)
		}
		got, ok := parseRetryAfter(h, now)
		if ok != tc.ok || (ok && (got-tc.want > time.Millisecond || tc.want-got > time.Millisecond)) {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}

func jsonHeader(traceID string) http.Header {
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	if traceID != "" {
		h.Set("x-traceid", traceID)
	}
	return h
}

func errBody(id string, texts ...string) []byte {
	b, _ := json.Marshal(ErrorBody{RequestID: id, Errors: texts})
	return b
}

func TestClassify(t *testing.T) {
	t.Parallel()
	const ep = "POST /v2/calls/extensive"
	cases := []struct {
		name     string
		status   int
		header   http.Header
		body     []byte
		class    answerClass
		sentinel error
		reqID    string
	}{
		{"ok", 200, jsonHeader("4g6ptfx3a2bvz8x9kq1w"), []byte(`{"requestId":"x"}`), classOK, nil, ""},
		{"ok without content type", 200, http.Header{}, []byte(` {"calls":[]}`), classOK, nil, ""},
		{"empty calls", 404, jsonHeader(""), errBody("abc", "No calls found corresponding to the provided filters"), classEmpty, nil, "abc"},
		{"empty users", 404, jsonHeader(""), errBody("abc", "No users found corresponding to the provided filters"), classEmpty, nil, "abc"},
		{"wrong path", 404, jsonHeader(""), errBody("abc", "Not found"), classFinal, ErrNotFound, "abc"},
		{"404 html", 404, http.Header{"Content-Type": {"text/html"}}, []byte("<html>nope</html>"), classFinal, ErrNotFound, ""},
		{"401", 401, jsonHeader("t1"), errBody("b1", "Unauthorized"), classFinal, ErrUnauthorized, "t1"},
		{"403", 403, jsonHeader(""), errBody("b2", "Forbidden"), classFinal, ErrUnauthorized, "b2"},
		{"401 naming a scope", 401, jsonHeader(""), errBody("b3", "You don't have permission to use 'api:calls:read:transcript' in your app."), classFinal, ErrScopeMissing, "b3"},
		{"cursor expired", 400, jsonHeader(""), errBody("c", "The cursor has expired, please restart"), classFinal, ErrCursorExpired, "c"},
		{"other 400", 400, jsonHeader(""), errBody("c", "callIds must not be empty"), classFinal, ErrBadRequest, "c"},
		{"422", 422, jsonHeader(""), errBody("c", "nope"), classFinal, ErrBadRequest, "c"},
		{"429", 429, jsonHeader(""), errBody("r", "Too many requests"), classRetry, ErrRateLimited, "r"},
		{"500", 500, jsonHeader(""), errBody("s", "boom"), classRetry, ErrServer, "s"},
		{"503 html", 503, http.Header{"Content-Type": {"text/html"}}, []byte("<h1>503</h1>"), classRetry, ErrServer, ""},
		{"html 200", 200, http.Header{"Content-Type": {"text/html"}}, []byte("<html>login</html>"), classMalformed, ErrMalformedResponse, ""},
		{"empty 200", 200, jsonHeader("t"), nil, classMalformed, ErrMalformedResponse, "t"},
		{"text 200 that looks like JSON", 200, http.Header{"Content-Type": {"text/plain"}}, []byte(`{}`), classMalformed, ErrMalformedResponse, ""},
		{"garbage 200 untyped", 200, http.Header{}, []byte(`<?xml?>`), classMalformed, ErrMalformedResponse, ""},
		{"json 200 body names request", 200, http.Header{"Content-Type": {"text/html"}}, []byte(`<p>{"requestId": "abc123"}`), classMalformed, ErrMalformedResponse, "abc123"},
		{"redirect", 302, http.Header{"Location": {"https://app.gong.io/login"}}, nil, classFinal, ErrUnexpectedStatus, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			class, e := classify(ep, tc.status, tc.header, tc.body)
			if class != tc.class {
				t.Fatalf("class = %d, want %d", class, tc.class)
			}
			if tc.sentinel == nil {
				if class == classOK && e != nil {
					t.Fatalf("ok answer gave error %v", e)
				}
				if tc.reqID != "" && (e == nil || e.RequestID != tc.reqID) {
					t.Fatalf("requestId = %v, want %q", e, tc.reqID)
				}
				return
			}
			if !errors.Is(e, tc.sentinel) {
				t.Fatalf("error %v does not match %v", e, tc.sentinel)
			}
			for _, other := range classSentinels {
				if other != tc.sentinel && errors.Is(e, other) {
					t.Errorf("error %v also matches %v", e, other)
				}
			}
			if e.RequestID != tc.reqID {
				t.Errorf("requestId = %q, want %q", e.RequestID, tc.reqID)
			}
			if e.Endpoint != ep || !strings.Contains(e.Error(), ep) {
				t.Errorf("error %q does not name the endpoint", e.Error())
			}
			if (e.Scope != "") != (tc.sentinel == ErrScopeMissing) {
				t.Errorf("scope %q for a %v", e.Scope, tc.sentinel)
			}
		})
	}
}

func TestUnauthorizedMessageTellsWhatToCheck(t *testing.T) {
	t.Parallel()
	for _, status := range []int{401, 403} {
		_, e := classify("GET /v2/users", status, jsonHeader(""), errBody("x", "denied"))
		msg := e.Error()
		for _, want := range []string{"key", "base URL"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%d message %q does not mention %q", status, msg, want)
			}
		}
	}
	_, e := classify("GET /v2/users", 403, jsonHeader(""), nil)
	for _, want := range []string{"trusted IP", "address"} {
		if !strings.Contains(e.Error(), want) {
			t.Errorf("403 message %q does not mention %q", e.Error(), want)
		}
	}
}

func TestScanRequestID(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`{"requestId":"7xk2m9p4q8r1s5t3v6w"}`:              "7xk2m9p4q8r1s5t3v6w",
		`{"requestId" : "abc", "calls": [ {"x": }`:         "abc",
		`{"requestId": 12}`:                                "",
		`{"requestId":"has space"}`:                        "",
		`{"requestId":"` + strings.Repeat("a", 100) + `"}`: "",
		`no id here`: "",
	}
	for body, want := range cases {
		if got := scanRequestID([]byte(body)); got != want {
			t.Errorf("scanRequestID(%.40q) = %q, want %q", body, got, want)
		}
	}
}

func TestQuotaErrorMatchesAndUnwraps(t *testing.T) {
	t.Parallel()
	cause := fmt.Errorf("ledger: %w", ErrQuotaExhausted)
	until := time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)
	err := fmt.Errorf("sync: %w", budgetError("GET /v2/users", cause))
	if !errors.Is(err, ErrQuotaExhausted) || !errors.Is(err, cause) {
		t.Fatalf("%v: want ErrQuotaExhausted and the cause", err)
	}
	var qe *QuotaError
	if !errors.As(err, &qe) || qe.Endpoint != "GET /v2/users" {
		t.Fatalf("%v: want a *QuotaError naming the endpoint", err)
	}
	broken := errors.New("ledger: connection refused")
	err = budgetError("GET /v2/users", broken)
	if errors.Is(err, ErrQuotaExhausted) || !errors.Is(err, broken) || !strings.Contains(err.Error(), "GET /v2/users") {
		t.Fatalf("a failing ledger gave %v; want the failure wrapped, not a quota error", err)
	}
	own := &QuotaError{Until: until, Reason: "daily budget spent"}
	err = budgetError("GET /v2/users", own)
	if !errors.As(err, &qe) || !qe.Until.Equal(until) || qe.Endpoint != "GET /v2/users" {
		t.Fatalf("budget's own QuotaError lost: %v", err)
	}
	if own.Endpoint != "" {
		t.Errorf("budgetRefusal modified the Budget's error")
	}
	if !strings.Contains(err.Error(), "2024-05-02T00:00:00Z") {
		t.Errorf("message %q does not say until when", err.Error())
	}
}

func TestBasicAuthNeverPrintsTheSecret(t *testing.T) {
	t.Parallel()
	const key, secret = "AKEYAKEY", "eyJhbGciOiJTOPSECRETVALUE"
	a := BasicAuth(key, secret)
	encoded := base64.StdEncoding.EncodeToString([]byte(key + ":" + secret))
	req, _ := http.NewRequest("GET", "https://api.gong.io/v2/users", nil)
	if err := a.Authorize(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get("Authorization"); got != "Basic "+encoded {
		t.Fatalf("Authorization = %q", got)
	}
	js, _ := json.Marshal(struct{ Auth Authorizer }{a})
	outputs := []string{string(js)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		outputs = append(outputs, fmt.Sprintf(verb, a))
	}
	outputs = append(outputs, fmt.Sprintf("%+v", struct{ Auth Authorizer }{a}), fmt.Sprintf("%#v", []Authorizer{a}))
	for _, out := range outputs {
		if strings.Contains(out, secret) || strings.Contains(out, encoded) || strings.Contains(out, "TOPSECRET") {
			t.Errorf("output %q shows the secret", out)
		}
	}
	if s := fmt.Sprint(a); !strings.Contains(s, "AKEY") {
		t.Errorf("%q does not help tell keys apart", s)
	}
}

func TestNewRejectsCredentialsInBaseURL(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"https://user:hunter2@api.gong.io", "ftp://api.gong.io", "https://", "https://api.gong.io/?x=1", "://bad hunter2"} {
		_, err := New(Config{BaseURL: base, Auth: BasicAuth("k", "s")})
		if err == nil {
			t.Errorf("New accepted base URL %q", base)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error %q repeats the password", err)
		}
	}
	c, err := New(Config{BaseURL: "https://company-17.api.gong.io/", Auth: BasicAuth("k", "s")})
	if err != nil {
		t.Fatal(err)
	}
	if c.base.String() != "https://company-17.api.gong.io" {
		t.Errorf("base = %q", c.base)
	}
}

func TestCheckCallIDs(t *testing.T) {
	t.Parallel()
	if err := checkCallIDs("x", nil); err != nil {
		t.Errorf("nil ids refused: %v", err)
	}
	if err := checkCallIDs("x", []ID{}); !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "callIds") {
		t.Errorf("empty ids: %v", err)
	}
	if err := checkCallIDs("x", make([]ID, 101)); !errors.Is(err, ErrBadRequest) {
		t.Errorf("101 ids: %v", err)
	}
	if err := checkCallIDs("x", make([]ID, 100)); err != nil {
		t.Errorf("100 ids refused: %v", err)
	}
}

func TestCheckPath(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"/v2/calls", "/v2/calls/extensive", "/v2/settings/trackers"} {
		if err := checkPath(p); err != nil {
			t.Errorf("checkPath(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"v2/calls", "//evil.example/v2", "https://evil.example/v2", "/v2/calls?cursor=x", "/v2/../admin"} {
		if err := checkPath(p); err == nil {
			t.Errorf("checkPath(%q) accepted", p)
		}
	}
}

func answerOf(body string) *answer {
	b := getBuffer()
	b.WriteString(body)
	return &answer{status: 200, body: b, requestID: "trace1234567890abcd", attempts: 1}
}

// A record that cannot be used does not fail its page: it comes back in
// Page.Rejected, byte for byte, with its position, its id when one can be read and
// why; the page's other records come back as usual.
func TestDecodePageRejectsTheBadRecordAlone(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		bad        string // the rejected record, as sent
		index      int
		id         string
		want       string // in its error
		kept       []ID   // the ids of the records returned
	}{
		{"missing metaData", `{"requestId":"r","records":{"currentPageNumber":3},"calls":[{"metaData":{"id":"1"}}, {"parties":[]} ]}`,
			`{"parties":[]}`, 1, "", "no metaData", []ID{"1"}},
		{"empty id", `{"calls":[{"metaData":{"id":"1"}},{"metaData":{"id":"2"}},{"metaData":{"id":""}}]}`,
			`{"metaData":{"id":""}}`, 2, "", "metaData.id is empty", []ID{"1", "2"}},
		{"null id", `{"calls":[{"metaData":{"id":null}}]}`, `{"metaData":{"id":null}}`, 0, "", "metaData.id is empty", nil},
		{"bad timestamp", `{"calls":[{"metaData":{"id":"1"}},{"metaData":{"id":"7782342274025937895","started":"yesterday"}},{"metaData":{"id":"3"}}]}`,
			`{"metaData":{"id":"7782342274025937895","started":"yesterday"}}`, 1, "7782342274025937895", "yesterday", []ID{"1", "3"}},
		{"wrong type", `{"calls":[{"metaData":{"id":"5","duration":"long"}}]}`, `{"metaData":{"id":"5","duration":"long"}}`, 0, "5", "duration", nil},
		{"metaData a string", `{"calls":[{"metaData":"odd"},{"metaData":{"id":"6"}}]}`, `{"metaData":"odd"}`, 0, "", "metaData", []ID{"6"}},
		{"a party without id", "{\"calls\":[{\"metaData\":{\"id\":\"7\"},\n  \"parties\":[{\"name\":\"x\"}]}]}",
			"{\"metaData\":{\"id\":\"7\"},\n  \"parties\":[{\"name\":\"x\"}]}", 0, "7", "party 0 has no id", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ans := answerOf(tc.body)
			defer ans.release()
			page, err := decodePage(callsExtensiveSpec, ans, "cur")
			if err != nil {
				t.Fatalf("the page failed: %v", err)
			}
			if len(page.Rejected) != 1 {
				t.Fatalf("%d records rejected, want 1: %+v", len(page.Rejected), page.Rejected)
			}
			rj := page.Rejected[0]
			if string(rj.Raw) != tc.bad || rj.Index != tc.index || rj.ID != tc.id || rj.Err == nil || !strings.Contains(rj.Err.Error(), tc.want) {
				t.Errorf("rejected %+v (raw %s); want record %d, id %q, raw %s, an error saying %q", rj, rj.Raw, tc.index, tc.id, tc.bad, tc.want)
			}
			var kept []ID
			for _, c := range page.Items {
				kept = append(kept, c.MetaData.ID)
			}
			if !slices.Equal(kept, tc.kept) {
				t.Errorf("records returned %v, want %v", kept, tc.kept)
			}
			// The rejected record's bytes are its own, not the pooled body's.
			ans.body.Reset()
			ans.body.WriteString(strings.Repeat("x", len(tc.body)))
			if string(rj.Raw) != tc.bad {
				t.Errorf("the rejected record's bytes changed with the body: %s", rj.Raw)
			}
			// DecodeRecord says the same of the record on its own.
			if _, err := DecodeRecord(EndpointCallsExtensive, []byte(tc.bad)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("DecodeRecord: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// A body that is not JSON, or is cut short, is not a record's fault: the whole page
// fails, naming where.
func TestDecodePageNamesTheBadRecord(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		want       []string // substrings of the error
	}{
		{"truncated", `{"requestId":"r","calls":[{"metaData":{"id":"5"}`, []string{"cut short in calls record 0", "trace1234567890abcd"}},
		{"truncated after a bad record", `{"requestId":"r","calls":[{"metaData":"odd"},{"metaData":{"id":"5"}`, []string{"cut short in calls record 1"}},
		{"broken inside a record", `{"requestId":"r","calls":[{"metaData":{"id":"5",}}]}`, []string{"calls record 0"}},
		{"garbage", `{"requestId":"r","calls":[{"metaData":{"id":"5"}}]]`, []string{"invalid JSON at byte"}},
		{"trailing", `{"calls":[]} {}`, []string{"data after"}},
		{"calls not an array", `{"calls":{}}`, []string{"want an array"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ans := answerOf(tc.body)
			defer ans.release()
			_, err := decodePage(callsExtensiveSpec, ans, "cur")
			if !errors.Is(err, ErrMalformedResponse) {
				t.Fatalf("error %v, want ErrMalformedResponse", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}

	ans := answerOf(`{"requestId":"abc","records":{"totalRecords":2,"currentPageSize":2,"currentPageNumber":0,"cursor":"next"},` +
		`"callTranscripts":[{"callId":1234567890123456789012,"transcript":[]},{"callId":"2","transcript":null,"extra":1}]}`)
	defer ans.release()
	page, err := decodePage(transcriptsSpec, ans, "")
	if err != nil {
		t.Fatal(err)
	}
	if page.NextCursor != "next" || page.RequestID != "abc" || len(page.Items) != 2 || page.Items[0].CallID != "1234567890123456789012" {
		t.Errorf("page: %+v", page)
	}
}

func TestPagesStopsOnACursorLoop(t *testing.T) {
	t.Parallel()
	calls := 0
	fetch := func(cursor string) (*Page[int], error) {
		calls++
		// A server that ignores the cursor hands back the same one forever.
		return &Page[int]{Items: []int{calls}, Cursor: cursor, NextCursor: "c1"}, nil
	}
	var errs []error
	n := 0
	for page, err := range pages("GET /x", "", fetch) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n += len(page.Items)
	}
	if calls != 2 || n != 2 || len(errs) != 1 || !errors.Is(errs[0], ErrMalformedResponse) {
		t.Fatalf("fetched %d pages, %d items, errors %v", calls, n, errs)
	}

	// Breaking out of the loop stops fetching.
	calls = 0
	for range pages("GET /x", "", func(c string) (*Page[int], error) {
		calls++
		return &Page[int]{NextCursor: fmt.Sprint("c", calls)}, nil
	}) {
		break
	}
	if calls != 1 {
		t.Errorf("fetched %d pages after the consumer stopped at the first", calls)
	}
}

func TestDecodePageKeepsEachRecordsBytes(t *testing.T) {
	t.Parallel()
	recs := []string{
		`{"metaData":{"id":"1","title":"a, b"},"parties":[{"id":"9","speakerId":null}]}`,
		`{"metaData":{"id":2,"title":null},"unknownBlock":{"x":[1,2]}}`,
		`{ "metaData" : { "id" : "3" } }`,
	}
	body := "{\"requestId\":\"r\",\"future\":[{}],\"calls\":[\n  " + strings.Join(recs, " ,\n  ") + "\n]}"
	ans := answerOf(body)
	defer ans.release()
	page, err := decodePage(callsExtensiveSpec, ans, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != len(recs) {
		t.Fatalf("%d calls", len(page.Items))
	}
	for i, c := range page.Items {
		if string(c.Raw) != recs[i] {
			t.Errorf("call %d Raw = %s, want %s", i, c.Raw, recs[i])
		}
		if cap(c.Raw) != len(c.Raw) {
			t.Errorf("call %d Raw has spare capacity: appending to it would overwrite the next record", i)
		}
		var again Call
		if err := json.Unmarshal(c.Raw, &again); err != nil || again.MetaData.ID != c.MetaData.ID {
			t.Errorf("call %d Raw does not decode to the same call: %v", i, err)
		}
	}
	if page.Items[1].MetaData.ID != "2" || page.Items[0].Parties[0].ID != "9" || page.Items[0].Parties[0].SpeakerID != nil {
		t.Errorf("decoded wrong: %+v", page.Items)
	}
}

// FuzzDecodeCallsPage: whatever Gong (or something in between) sends, decoding does not
// panic, and a page that decodes holds records whose Raw is the record's own JSON.
func FuzzDecodeCallsPage(f *testing.F) {
	f.Add([]byte(`{"requestId":"r","records":{"cursor":"c"},"calls":[{"metaData":{"id":"1"}},{"metaData":{"id":2}}]}`))
	f.Add([]byte(`{"calls":null}`))
	f.Add([]byte(`{"calls":[{"metaData":{"id":"1","started":"2024-01-01T00:00:00.123-07:00"}} , {"metaData":{"id":"3"}}]}`))
	f.Add([]byte(`{"calls":[{"metaData":{"id":"1"}}],"calls":[]}`))
	f.Add([]byte(`<html>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ans := &answer{status: 200, body: getBuffer(), attempts: 1}
		ans.body.Write(body)
		defer ans.release()
		page, err := decodePage(callsExtensiveSpec, ans, "")
		if err != nil {
			if !errors.Is(err, ErrMalformedResponse) {
				t.Fatalf("error %v is not ErrMalformedResponse", err)
			}
			return
		}
		for i, c := range page.Items {
			if !json.Valid(c.Raw) {
				t.Fatalf("record %d Raw %q is not JSON", i, c.Raw)
			}
			var again Call
			if err := json.Unmarshal(c.Raw, &again); err != nil || again.MetaData == nil || again.MetaData.ID != c.MetaData.ID {
				t.Fatalf("record %d Raw %q does not decode to the same call: %v", i, c.Raw, err)
			}
		}
	})
}

func TestIDDecodesStringsNumbersAndEscapes(t *testing.T) {
	cases := map[string]ID{
		`"1234567890123456789012345"`: "1234567890123456789012345",
		`1234567890123456789012345`:   "1234567890123456789012345",
		`"12\u00334"`:                 "1234",
		`null`:                        "",
		`""`:                          "",
	}
	for in, want := range cases {
		var id ID
		if err := id.UnmarshalJSON([]byte(in)); err != nil || id != want {
			t.Errorf("%s: got %q, %v; want %q", in, id, err, want)
		}
	}
	var id ID
	if err := id.UnmarshalJSON([]byte(`{"x":1}`)); err == nil {
		t.Error("an object decoded as an id")
	}
}

// Gong's texts tell the three refusals apart: credentials (401), a missing scope (401
// naming it), an address outside the key's trusted IPs (403). Only the first is one
// that renewed credentials may cure.
func TestRefusalsAreToldApartByGongsText(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status      int
		text        string
		class       ErrorClass
		scope       string
		credentials bool
	}{
		{401, "Unauthorized: the access key or access key secret is not valid", ClassUnauthorized, "", true},
		{401, "You don't have permission to use 'api:stats:scorecards' in your app.", ClassScopeMissing, "api:stats:scorecards", false},
		{401, "you don't have PERMISSION TO USE 'api:calls:read:transcript' in your app", ClassScopeMissing, "api:calls:read:transcript", false},
		{401, "permission to use '' in your app", ClassUnauthorized, "", true},
		{403, "Access denied: this key may not call this API from this address", ClassUnauthorized, "", false},
	}
	for _, c := range cases {
		_, e := classify("GET /v2/users", c.status, jsonHeader(""), errBody("r", c.text))
		if e.Class != c.class || e.Scope != c.scope || e.refusesCredentials() != c.credentials {
			t.Errorf("%d %q: class %v scope %q credentials %v; want %v %q %v", c.status, c.text, e.Class, e.Scope,
				e.refusesCredentials(), c.class, c.scope, c.credentials)
		}
		if c.scope != "" && !strings.Contains(e.Error(), c.scope) {
			t.Errorf("the error does not name the scope: %v", e)
		}
	}
}

// A call without metaData, without an id, or with a party without an id cannot be
// stored; Problem is the one place that says so, for pages and webhooks alike.
func TestCallProblem(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]string{
		`{"parties": []}`:          "no metaData",
		`{"metaData": {"id": ""}}`: "metaData.id is empty",
		`{"metaData": {"id": "1"}, "parties": [{"id": "a"}, {"name": "x"}]}`: "party 1 has no id",
		`{"metaData": {"id": "1"}, "parties": [{"id": "a"}]}`:                "",
		`{"metaData": {"id": 12345678901234567890123}}`:                      "",
	} {
		var c Call
		if err := json.Unmarshal([]byte(s), &c); err != nil {
			t.Fatal(err)
		}
		if got := c.Problem(); got != want {
			t.Errorf("%s: Problem() = %q, want %q", s, got, want)
		}
	}
}
