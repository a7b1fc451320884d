package gongapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Fuzz targets for every decoder of Gong's answers. Each has a seed corpus in
// testdata/fuzz/<name>/ (real pages from the fake, and hand-made oddities); `make
// fuzz` runs each briefly, and `go test -run '^$' -fuzz '^FuzzX$' ./gongapi/` runs one
// for as long as it is left to. The property is always the same: whatever arrives, no
// panic, and either a typed ErrMalformedResponse or records that are usable as they
// stand (an id, raw bytes that are the record's own JSON).

// fuzzAnswer wraps body as a 200 answer of the client.
func fuzzAnswer(body []byte) *answer {
	a := &answer{status: http.StatusOK, body: getBuffer(), attempts: 1}
	a.body.Write(body)
	return a
}

// checkDecodeError fails unless err is what a bad page must be: an *APIError of class
// malformed response that names the endpoint.
func checkDecodeError(t *testing.T, endpoint string, err error) {
	t.Helper()
	var ae *APIError
	if !errors.As(err, &ae) || !errors.Is(err, ErrMalformedResponse) || ae.Endpoint != endpoint {
		t.Fatalf("error %v: want an *APIError for %s matching ErrMalformedResponse", err, endpoint)
	}
}

func FuzzDecodeTranscriptsPage(f *testing.F) {
	f.Add([]byte(`{"requestId":"r","records":{"totalRecords":1,"currentPageSize":1,"currentPageNumber":0},` +
		`"callTranscripts":[{"callId":"1","transcript":[{"speakerId":"s","topic":null,"sentences":[{"start":0,"end":10,"text":"hi"}]}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ans := fuzzAnswer(body)
		defer ans.release()
		page, err := decodePage(transcriptsSpec, ans, "")
		if err != nil {
			checkDecodeError(t, EndpointTranscripts, err)
			return
		}
		for i, tr := range page.Items {
			if tr.CallID == "" {
				t.Fatalf("transcript %d has no callId but the page decoded", i)
			}
		}
	})
}

func FuzzDecodeUsersPage(f *testing.F) {
	f.Add([]byte(`{"requestId":"r","records":{"cursor":"c"},"users":[{"id":"1","emailAddress":"a@b.c","active":true,"settings":{"webConferencesRecorded":true}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ans := fuzzAnswer(body)
		defer ans.release()
		page, err := decodePage(usersSpec, ans, "")
		if err != nil {
			checkDecodeError(t, EndpointUsers, err)
			return
		}
		for i, u := range page.Items {
			if u.ID == "" {
				t.Fatalf("user %d has no id but the page decoded", i)
			}
			var again User
			if err := json.Unmarshal(u.Raw, &again); err != nil || again.ID != u.ID {
				t.Fatalf("user %d Raw %q does not decode to the same user: %v", i, u.Raw, err)
			}
		}
	})
}

func FuzzDecodeCallsListPage(f *testing.F) {
	f.Add([]byte(`{"requestId":"r","records":{"cursor":"c"},"calls":[{"id":"1","started":"2024-01-01T00:00:00-07:00","duration":60}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ans := fuzzAnswer(body)
		defer ans.release()
		page, err := decodePage(callsSpec, ans, "")
		if err != nil {
			checkDecodeError(t, EndpointCalls, err)
			return
		}
		for i, c := range page.Items {
			if c.ID == "" {
				t.Fatalf("call %d has no id but the page decoded", i)
			}
		}
	})
}

// The unpaginated answers (workspaces, tracker definitions) are decoded inside the
// client's request path, so their fuzzers go through a real client and a real HTTP
// server that answers whatever the fuzzer made.

var (
	fuzzSrvOnce sync.Once
	fuzzSrv     *httptest.Server
	fuzzClient  *Client
	fuzzBody    []byte // the answer the server sends next; fuzz inputs run one at a time per process
)

func fuzzServer(t *testing.T) *Client {
	fuzzSrvOnce.Do(func() {
		fuzzSrv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(fuzzBody)))
			_, _ = w.Write(fuzzBody)
		}))
		var err error
		fuzzClient, err = New(Config{BaseURL: fuzzSrv.URL, Auth: BasicAuth("k", "s"), MaxRetries: -1, RequestTimeout: 5 * time.Second})
		if err != nil {
			panic(err)
		}
	})
	return fuzzClient
}

func FuzzWorkspacesAnswer(f *testing.F) {
	f.Add([]byte(`{"requestId":"r","workspaces":[{"id":"1","name":"Sales","description":null}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c := fuzzServer(t)
		fuzzBody = body
		ws, err := c.Workspaces(context.Background())
		if err != nil {
			checkDecodeError(t, EndpointWorkspaces, err)
			return
		}
		for i, w := range ws {
			if w.ID == "" || !json.Valid(w.Raw) {
				t.Fatalf("workspace %d: id %q, raw %q", i, w.ID, w.Raw)
			}
		}
	})
}

func FuzzTrackersAnswer(f *testing.F) {
	f.Add([]byte(`{"requestId":"r","keywordTrackers":[{"trackerId":"1","trackerName":"Pricing","languageKeywords":[{"language":"en","keywords":["price"]}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c := fuzzServer(t)
		fuzzBody = body
		ts, err := c.Trackers(context.Background(), "")
		if err != nil {
			checkDecodeError(t, EndpointTrackers, err)
			return
		}
		for i, k := range ts {
			if k.TrackerID == "" || !json.Valid(k.Raw) {
				t.Fatalf("tracker %d: id %q, raw %q", i, k.TrackerID, k.Raw)
			}
		}
	})
}

// FuzzClassify: any status, content type and body are classified without panic, and
// every error carries the endpoint and maps to exactly the sentinel of its class.
func FuzzClassify(f *testing.F) {
	f.Add(200, "application/json", []byte(`{"requestId":"r"}`))
	f.Add(404, "application/json", []byte(`{"requestId":"r","errors":["No calls found corresponding to the provided filters"]}`))
	f.Add(400, "application/json", []byte(`{"requestId":"r","errors":["cursor has expired"]}`))
	f.Add(429, "application/json", []byte(`{"requestId":"r","errors":["API request limit exceeded"]}`))
	f.Add(200, "text/html", []byte(`<html></html>`))
	f.Add(302, "", []byte(``))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		h := http.Header{}
		if contentType != "" {
			h.Set("Content-Type", contentType)
		}
		class, err := classify("GET /v2/x", status, h, body)
		switch class {
		case classOK:
			if err != nil {
				t.Fatalf("classOK with error %v", err)
			}
		case classEmpty:
			if status != http.StatusNotFound {
				t.Fatalf("an empty page from status %d", status)
			}
		default:
			if err == nil || err.Endpoint != "GET /v2/x" || err.Status != status {
				t.Fatalf("class %d with error %+v", class, err)
			}
			n := 0
			for _, s := range classSentinels {
				if errors.Is(err, s) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("error %v matches %d sentinels, want exactly 1", err, n)
			}
		}
	})
}
