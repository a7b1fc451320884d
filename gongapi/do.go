package gongapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// RawResponse is an answer returned by Send and Do as Gong sent it.
type RawResponse struct {
	Status    int
	RequestID string // the x-traceid header, or the body's requestId
	Header    http.Header
	Body      []byte
	Attempts  int // attempts made, retries included
}

// Operation is one request to any endpoint of Gong's API, for the actions and the
// proxy: the sync's streams have typed methods of their own.
type Operation struct {
	Method string // GET, POST, PUT or DELETE
	// Path is the path on the API host, escaped as it goes on the wire
	// ("/v2/calls/a%2Fb" for the call "a/b").
	Path string
	// Endpoint names the operation in the budget ledger, logs, errors and metrics,
	// such as "GET /v2/calls/{id}", so that one label does not become one per id.
	// Default: Method and Path.
	Endpoint string
	Query    url.Values
	// Body is a JSON body, nil for none. Form is a multipart/form-data body instead;
	// the two exclude each other.
	Body []byte
	Form []FormPart
	// Once: never send the request a second time once it may have reached Gong, for
	// a write that is not idempotent. Attempts Gong certainly did not act on (no
	// connection was made, a 429, a refused token renewed) are still retried; any
	// other failure after the request was sent (a lost or cut answer, a 5xx, a 2xx that
	// cannot be read) returns an *APIError with MayHaveBeenApplied set, matching
	// ErrMayHaveBeenApplied.
	Once bool
}

// FormPart is one part of a multipart/form-data body: a text value, or, when File is
// set, the content of that local file (streamed, never held in memory).
type FormPart struct {
	Name  string
	Value string
	File  string
}

// Send sends one operation through the same pipeline as every other call (auth, base
// URL, budget and its pace, retries), so that actions and ad-hoc calls are counted
// like the sync's. A non-2xx answer comes back as the same typed errors as elsewhere,
// except Gong's empty-result 404, which is an answer (Status 404) like any other page.
// Reads and idempotent writes are retried as the sync's requests are; set Once for a
// write that must not be sent twice.
func (c *Client) Send(ctx context.Context, op Operation) (*RawResponse, error) {
	method := strings.ToUpper(strings.TrimSpace(op.Method))
	if method == "" {
		method = http.MethodGet
	}
	endpoint := op.Endpoint
	if endpoint == "" {
		endpoint = method + " " + op.Path
	}
	if err := checkPath(op.Path); err != nil {
		return nil, fmt.Errorf("gongapi: %s: %w", endpoint, err)
	}
	r := &request{method: method, path: op.Path, query: op.Query, endpoint: endpoint, once: op.Once}
	switch {
	case op.Body != nil && op.Form != nil:
		return nil, fmt.Errorf("gongapi: %s: a request has a JSON body or a form, not both", endpoint)
	case op.Body != nil:
		if !json.Valid(op.Body) {
			return nil, &APIError{Class: ClassBadRequest, Endpoint: endpoint, Detail: "the request body is not valid JSON"}
		}
		r.body = op.Body
	case op.Form != nil:
		form, err := newFormBody(op.Form)
		if err != nil {
			return nil, &APIError{Class: ClassBadRequest, Endpoint: endpoint, Detail: "the form cannot be sent", Err: err}
		}
		r.form = form
	}
	ans, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	defer ans.release()
	body := bytes.Clone(ans.body.Bytes())
	reqID := ans.requestID
	if reqID == "" {
		reqID = scanRequestID(body)
	}
	return &RawResponse{Status: ans.status, RequestID: reqID, Header: ans.header, Body: body, Attempts: ans.attempts}, nil
}

// Do sends one arbitrary request, for `gongsync proxy`: Send with a JSON body, or
// none. path is escaped, as in a URL ("/v2/calls"). Retries resend the request as is,
// which is safe for Gong's read endpoints; a write sent through Do may be applied
// twice if an answer is lost (Send with Once does not).
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body []byte) (*RawResponse, error) {
	return c.Send(ctx, Operation{Method: method, Path: path, Query: query, Body: body})
}

// checkPath accepts an absolute, escaped path on the API host and nothing that could
// send the credentials elsewhere ("//host/…", "https://…"), smuggle a query, or
// climb out of the API's paths (a "." or ".." segment, escaped or not).
func checkPath(path string) error {
	unescaped, err := url.PathUnescape(path)
	switch {
	case err != nil:
		return fmt.Errorf("path is not validly escaped: %w", err)
	case !strings.HasPrefix(path, "/"):
		return errors.New("path must start with /")
	case strings.HasPrefix(path, "//"):
		return errors.New("path must not start with //")
	case strings.ContainsAny(path, "?#"):
		return errors.New("path must not contain a query or fragment; pass the query separately")
	case slices.ContainsFunc(strings.Split(unescaped, "/"), func(seg string) bool { return seg == "." || seg == ".." }):
		// Unescaped first: a server may read "%2F..%2F" as a way up too.
		return errors.New(`path must not have a "." or ".." segment`)
	}
	return nil
}

// formBody is a multipart/form-data body laid out once: the fixed bytes (boundaries,
// part headers, text values) and, between them, the files to stream. Every attempt
// reads the files afresh, so a retry sends the same bytes without holding a 1.5 GB
// recording in memory, and the length is known in advance (no chunked upload).
type formBody struct {
	contentType string
	size        int64
	segments    []formSegment
}

// formSegment is fixed bytes, or a file of a known size.
type formSegment struct {
	data []byte
	file string
	size int64
}

func newFormBody(parts []FormPart) (*formBody, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	m := &formBody{contentType: w.FormDataContentType()}
	flush := func() {
		if buf.Len() > 0 {
			m.segments = append(m.segments, formSegment{data: bytes.Clone(buf.Bytes())})
			m.size += int64(buf.Len())
			buf.Reset()
		}
	}
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.File == "" {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.Name))
			if _, err := w.CreatePart(h); err != nil {
				return nil, err
			}
			buf.WriteString(p.Value)
			continue
		}
		fi, err := os.Stat(p.File)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: %s is not a regular file", p.Name, p.File)
		}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.Name, filepath.Base(p.File)))
		h.Set("Content-Type", "application/octet-stream")
		if _, err := w.CreatePart(h); err != nil {
			return nil, err
		}
		flush()
		m.segments = append(m.segments, formSegment{file: p.File, size: fi.Size()})
		m.size += fi.Size()
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	flush()
	return m, nil
}

// body returns a reader of the whole form that opens each file when it gets there.
func (m *formBody) body() io.ReadCloser { return &formReader{m: m} }

type formReader struct {
	m    *formBody
	i    int
	cur  io.Reader
	file *os.File
	left int64 // bytes the current file still owes
}

func (r *formReader) Read(p []byte) (int, error) {
	for {
		if r.cur == nil {
			if r.i == len(r.m.segments) {
				return 0, io.EOF
			}
			seg := r.m.segments[r.i]
			r.i++
			if seg.file == "" {
				r.cur = bytes.NewReader(seg.data)
				continue
			}
			f, err := os.Open(seg.file)
			if err != nil {
				return 0, err
			}
			r.file, r.cur, r.left = f, io.LimitReader(f, seg.size), seg.size
		}
		n, err := r.cur.Read(p)
		if r.file != nil {
			r.left -= int64(n)
		}
		if err == io.EOF {
			if r.file != nil {
				r.file.Close()
				r.file = nil
				if r.left > 0 {
					// The length was promised in Content-Length: a file that shrank
					// since would send a short body Gong might take for a whole one.
					return n, fmt.Errorf("%w: a file of the form changed size while it was sent", io.ErrUnexpectedEOF)
				}
			}
			r.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (r *formReader) Close() error {
	if r.file != nil {
		err := r.file.Close()
		r.file = nil
		return err
	}
	return nil
}
