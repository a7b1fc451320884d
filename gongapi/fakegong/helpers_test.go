package fakegong

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
)

// fake starts a fake Gong on a loopback httptest server for one test.
type fake struct {
	*Server
	url string
	t   testing.TB
}

func newFake(t testing.TB, o Options) *fake {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &fake{Server: s, url: ts.URL, t: t}
}

// answer is one raw HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request with the default credentials.
func (f *fake) do(method, path string, query url.Values, body string) answer {
	f.t.Helper()
	return f.doAuth(method, path, query, body, DefaultAccessKey, DefaultAccessKeySecret)
}

func (f *fake) doAuth(method, path string, query url.Values, body, key, secret string) answer {
	f.t.Helper()
	u := f.url + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if key != "" || secret != "" {
		req.SetBasicAuth(key, secret)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// post sends a JSON body built from v.
func (f *fake) post(path string, v any) answer {
	f.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.do(http.MethodPost, path, nil, string(b))
}

// decode decodes an answer strictly enough to notice garbage.
func decode[T any](t testing.TB, a answer) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(a.body))
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %T: %v\n%.500s", v, err, a.body)
	}
	return v
}

// The answers' envelopes, holding the fake's own records: the fake's tests read its
// answers in its own terms, not in the client's (gongapi), so the two readings of
// Gong's format stay apart.
type (
	callsPage struct {
		RequestID string      `json:"requestId"`
		Records   *pagination `json:"records"`
		Calls     []CallData  `json:"calls"`
	}
	callListPage struct {
		RequestID string          `json:"requestId"`
		Records   *pagination     `json:"records"`
		Calls     []CallBasicData `json:"calls"`
	}
	transcriptsPage struct {
		RequestID       string           `json:"requestId"`
		Records         *pagination      `json:"records"`
		CallTranscripts []CallTranscript `json:"callTranscripts"`
	}
	usersPage struct {
		RequestID string         `json:"requestId"`
		Records   *pagination    `json:"records"`
		Users     []UserMetadata `json:"users"`
	}
	workspacesPage struct {
		RequestID  string              `json:"requestId"`
		Workspaces []WorkspaceMetadata `json:"workspaces"`
	}
	errorPage struct {
		RequestID string   `json:"requestId"`
		Errors    []string `json:"errors"`
	}
	webhookPayload struct {
		CallData  *CallData `json:"callData"`
		IsTest    bool      `json:"isTest"`
		IsPrivate bool      `json:"isPrivate"`
	}
)

// errorBody checks an error answer's shape and returns its texts.
func errorBody(t testing.TB, a answer, wantStatus int) []string {
	t.Helper()
	if a.status != wantStatus {
		t.Fatalf("status %d, want %d: %.300s", a.status, wantStatus, a.body)
	}
	e := decode[errorPage](t, a)
	if !requestIDPattern.MatchString(e.RequestID) {
		t.Errorf("error requestId %q is not 19 lowercase letters/digits", e.RequestID)
	}
	if got := a.header.Get("x-traceid"); got != e.RequestID {
		t.Errorf("x-traceid %q, requestId %q: want equal", got, e.RequestID)
	}
	if len(e.Errors) == 0 {
		t.Errorf("error answer without error texts: %s", a.body)
	}
	return e.Errors
}

// allCallsPages follows POST /v2/calls/extensive to the last page.
func (f *fake) allCallsPages(req gongapi.CallsExtensiveRequest) ([]callsPage, []answer) {
	f.t.Helper()
	var pages []callsPage
	var raws []answer
	for i := 0; ; i++ {
		if i > 10_000 {
			f.t.Fatal("pagination does not end")
		}
		a := f.post("/v2/calls/extensive", req)
		if a.status == http.StatusNotFound && i == 0 {
			return nil, []answer{a}
		}
		if a.status != http.StatusOK {
			f.t.Fatalf("page %d: status %d: %s", i, a.status, a.body)
		}
		p := decode[callsPage](f.t, a)
		pages = append(pages, p)
		raws = append(raws, a)
		if p.Records == nil || p.Records.Cursor == "" {
			return pages, raws
		}
		req.Cursor = p.Records.Cursor
	}
}

func callIDs(calls []CallData) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.MetaData.ID
	}
	return out
}

// fixedNow is a virtual "now" well after the default dataset's range, when every
// generated call has been processed, changed or deleted as it will ever be.
var fixedNow = time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)

func filterTime(t time.Time) string { return gongapi.FormatFilterTime(t) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
