package gongapi_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// An escaped path reaches Gong as it is: an id "a/b" is one segment, "a%2Fb", not two.
func TestSendKeepsThePathEscaped(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	c, _ := client(t, base, nil)
	_, err := c.Send(t.Context(), gongapi.Operation{Method: "GET", Path: "/v2/calls/" + url.PathEscape("12/34"), Endpoint: "GET /v2/calls/{id}"})
	ae := asAPIError(t, err, gongapi.ErrNotFound)
	if !strings.Contains(err.Error(), "Call 12/34 was not found") || ae.Endpoint != "GET /v2/calls/{id}" {
		t.Errorf("error %v", err)
	}
	if got := s.Stats().ByEndpoint["GET /v2/calls/12%2F34"]; got != 1 {
		t.Errorf("the fake saw %v", s.Stats().ByEndpoint)
	}
	// The proxy's Do takes the path escaped too.
	id := s.Dataset().VisibleCalls(virtualNow)[0].MetaData.ID
	resp, err := c.Do(t.Context(), "GET", "/v2/calls/"+id, nil, nil)
	if err != nil || !bytes.Contains(resp.Body, []byte(id)) {
		t.Fatalf("%v %s", err, resp.Body)
	}
	for _, bad := range []string{"/v2/calls/%2e%2e/users", "/v2/calls/%zz", "//evil.example/v2", "/v2/users?x=1"} {
		if _, err := c.Send(t.Context(), gongapi.Operation{Path: bad}); err == nil {
			t.Errorf("%s was sent", bad)
		}
	}
	if n := s.Stats().Total; n != 2 {
		t.Errorf("%d requests reached the fake, want 2", n)
	}
}

// A request sent Once is never sent a second time after it may have reached Gong;
// attempts Gong did not act on (a 429, a connection never made) are retried.
func TestOnceIsNotResentAfterItMayHaveReachedGong(t *testing.T) {
	t.Parallel()
	op := gongapi.Operation{Method: "POST", Path: "/v2/data-privacy/erase-data-for-email-address",
		Query: url.Values{"emailAddress": {"a@b.example"}}, Once: true}
	for _, tc := range []struct {
		fault fakegong.Fault
		sent  int64
		ok    bool
	}{
		{fakegong.FaultDrop, 1, false},
		{fakegong.Fault500, 1, false},
		{fakegong.Fault503, 1, false},
		{fakegong.FaultTimeout, 1, false},
		{fakegong.FaultEmpty, 1, false},
		{fakegong.Fault429, 2, true},
	} {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			s, base := fake(t, fakegong.Options{})
			c, _ := client(t, base, func(cfg *gongapi.Config) { cfg.RequestTimeout = 200 * time.Millisecond })
			setFaults(t, s, fakegong.Faults{Script: []fakegong.Fault{tc.fault}, Hang: time.Minute, RetryAfter: time.Millisecond})
			_, err := c.Send(t.Context(), op)
			if got := s.Stats().Total; got != tc.sent {
				t.Errorf("sent %d times, want %d", got, tc.sent)
			}
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ae *gongapi.APIError
			if !errors.As(err, &ae) || !ae.MayHaveBeenApplied || !errors.Is(err, gongapi.ErrMayHaveBeenApplied) ||
				!strings.Contains(err.Error(), "may have been applied") || ae.Attempts != 1 {
				t.Errorf("error %v", err)
			}
		})
	}

	// Without Once, the same write is retried (the proxy's Do, a PUT).
	s, base := fake(t, fakegong.Options{})
	c, _ := client(t, base, nil)
	setFaults(t, s, fakegong.Faults{Script: []fakegong.Fault{fakegong.FaultDrop}})
	op.Once = false
	if _, err := c.Send(t.Context(), op); err != nil || s.Stats().Total != 2 {
		t.Errorf("%v after %d requests", err, s.Stats().Total)
	}
	// A dropped answer's requestId comes from its headers.
	setFaults(t, s, fakegong.Faults{Script: []fakegong.Fault{fakegong.FaultDrop}})
	op.Once = true
	_, err := c.Send(t.Context(), op)
	if ae := asAPIError(t, err, gongapi.ErrNetwork); len(ae.RequestID) != 19 || ae.Status != 200 {
		t.Errorf("requestId %q, status %d", ae.RequestID, ae.Status)
	}
}

// A connection that is never made costs nothing and is retried even Once.
func TestOnceRetriesAConnectionNeverMade(t *testing.T) {
	t.Parallel()
	_, base := fake(t, fakegong.Options{})
	var dials atomic.Int32
	tr := http.DefaultTransport.(*http.Transport).Clone()
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			return nil, errors.New("connection refused (test)")
		}
		return dial(ctx, network, addr)
	}
	c, _ := client(t, base, func(cfg *gongapi.Config) { cfg.Transport = tr })
	if _, err := c.Send(t.Context(), gongapi.Operation{Method: "POST", Path: "/v2/data-privacy/erase-data-for-email-address",
		Query: url.Values{"emailAddress": {"a@b.example"}}, Once: true}); err != nil {
		t.Fatal(err)
	}
	if dials.Load() != 2 {
		t.Errorf("%d dials", dials.Load())
	}
}

// A form is sent as multipart/form-data with its file streamed and its length
// announced; every attempt sends the whole file again.
func TestSendUploadsAFormWithAFile(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("recording\x00\xff"), 100_000)
	file := filepath.Join(t.TempDir(), "call.mp3")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	var attempts atomic.Int32
	var got struct {
		path, name, filename string
		data                 []byte
		length               int64
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if attempts.Add(1) == 1 {
			io.Copy(io.Discard, r.Body)
			http.Error(w, `{"requestId":"x","errors":["busy"]}`, http.StatusServiceUnavailable)
			return
		}
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/form-data" {
			http.Error(w, "not multipart", http.StatusBadRequest)
			return
		}
		got.path, got.length = r.URL.EscapedPath(), r.ContentLength
		part, err := multipart.NewReader(r.Body, params["boundary"]).NextPart()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got.name, got.filename = part.FormName(), part.FileName()
		got.data, _ = io.ReadAll(part)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"requestId":"abc","callId":"7"}`))
	}))
	t.Cleanup(srv.Close)
	c, _ := client(t, srv.URL, nil)
	resp, err := c.Send(t.Context(), gongapi.Operation{Method: "PUT", Path: "/v2/calls/" + url.PathEscape("a/b") + "/media",
		Form: []gongapi.FormPart{{Name: "mediaFile", File: file}}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 201 || attempts.Load() != 2 || got.path != "/v2/calls/a%2Fb/media" || got.name != "mediaFile" ||
		got.filename != "call.mp3" || !bytes.Equal(got.data, content) || got.length <= int64(len(content)) {
		t.Errorf("status %d after %d attempts; server got %s %s %s, %d bytes of %d, length %d",
			resp.Status, attempts.Load(), got.path, got.name, got.filename, len(got.data), len(content), got.length)
	}
	if _, err := c.Send(t.Context(), gongapi.Operation{Method: "PUT", Path: "/v2/x", Form: []gongapi.FormPart{{Name: "f", File: file + ".missing"}}}); !errors.Is(err, gongapi.ErrBadRequest) {
		t.Errorf("a missing file: %v", err)
	}
	if attempts.Load() != 2 {
		t.Errorf("a missing file was sent")
	}
}
