package gongapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// RawResponse is an answer returned by Do as Gong sent it.
type RawResponse struct {
	Status    int
	RequestID string // the x-traceid header, or the body's requestId
	Header    http.Header
	Body      []byte
}

// Do sends one arbitrary request through the same pipeline as every other call (auth,
// base URL, budget and its pace, retries), for `gongsync proxy`, so that ad-hoc calls are
// counted like the sync's. path is a path on the API host ("/v2/calls"); body, when not
// nil, must be JSON. A non-2xx answer comes back as the same typed errors as elsewhere,
// except Gong's empty-result 404, which is an answer (Status 404) like any other page.
// Retries resend the request as is, which is safe for Gong's read endpoints; a write
// sent through Do may be applied twice if an answer is lost.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body []byte) (*RawResponse, error) {
	method = strings.ToUpper(strings.TrimSpace(method))
	if method == "" {
		method = http.MethodGet
	}
	if err := checkPath(path); err != nil {
		return nil, fmt.Errorf("gongapi: %s %s: %w", method, path, err)
	}
	if body != nil && !json.Valid(body) {
		return nil, &APIError{Kind: KindBadRequest, Endpoint: method + " " + path, Detail: "the request body is not valid JSON"}
	}
	ans, err := c.send(ctx, newRequest(method, path, query, body))
	if err != nil {
		return nil, err
	}
	defer ans.release()
	body = bytes.Clone(ans.body.Bytes())
	reqID := ans.requestID
	if reqID == "" {
		reqID = scanRequestID(body)
	}
	return &RawResponse{Status: ans.status, RequestID: reqID, Header: ans.header, Body: body}, nil
}

// checkPath accepts an absolute path on the API host and nothing that could send the
// credentials elsewhere ("//host/…", "https://…") or smuggle a query.
func checkPath(path string) error {
	switch {
	case !strings.HasPrefix(path, "/"):
		return errors.New("path must start with /")
	case strings.HasPrefix(path, "//"):
		return errors.New("path must not start with //")
	case strings.ContainsAny(path, "?#"):
		return errors.New("path must not contain a query or fragment; pass the query separately")
	case strings.Contains(path, ".."):
		return errors.New(`path must not contain ".."`)
	}
	return nil
}
