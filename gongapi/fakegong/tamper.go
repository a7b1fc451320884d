package fakegong

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// Answer is one API answer as the fake computed it, handed to a Tamper.
type Answer struct {
	Endpoint string // "POST /v2/calls/extensive"
	Status   int
	Header   http.Header // the answer's headers; a Tamper may change them
	Body     []byte
}

// Tamper rewrites an API answer before it reaches the client: tests use it for
// payloads the fake's generator never makes (ids as numbers, nulls everywhere, a
// page with the same call twice, a 50 MiB body…). It returns the answer to send.
type Tamper func(a Answer) Answer

// WithTamper returns a handler that serves s's API with every answer passed through
// fn. The fake still authenticates, applies limits and faults and counts the request
// in Stats exactly as it would without the wrapper; only what goes back on the wire
// changes. /_fake/ and /oauth2/ are passed through untouched. Answers that never
// complete (timeout and drop faults) are not tampered with: they end the connection
// as they would anyway.
func (s *Server) WithTamper(fn Tamper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fn == nil || strings.HasPrefix(r.URL.Path, "/_fake/") || strings.HasPrefix(r.URL.Path, "/oauth2/") {
			s.ServeHTTP(w, r)
			return
		}
		rec := &recorder{header: http.Header{}}
		s.ServeHTTP(rec, r)
		a := fn(Answer{Endpoint: r.Method + " " + strings.TrimSuffix(r.URL.Path, "/"), Status: rec.status(), Header: rec.header, Body: rec.body.Bytes()})
		for k, v := range a.Header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(a.Body)))
		w.WriteHeader(a.Status)
		_, _ = w.Write(a.Body)
	})
}

// recorder keeps an answer in memory for a Tamper. It is not httptest's recorder so
// that this file stays free of test-only packages in a binary that ships the fake.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}

// Flush lets the fake's drop fault flush; a recorder has nowhere to flush to.
func (r *recorder) Flush() {}

func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}
