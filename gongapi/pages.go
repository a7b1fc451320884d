package gongapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"time"
)

// Endpoint names, as used in errors, logs, Budget.Reserve and RequestEvent.
const (
	EndpointUsers          = "GET /v2/users"
	EndpointUsersExtensive = "POST /v2/users/extensive"
	EndpointWorkspaces     = "GET /v2/workspaces"
	EndpointCalls          = "GET /v2/calls"
	EndpointCallsExtensive = "POST /v2/calls/extensive"
	EndpointTranscripts    = "POST /v2/calls/transcript"
	EndpointTrackers       = "GET /v2/settings/trackers"
)

// MaxCallIDs is the most call ids Gong takes in one filter.
const MaxCallIDs = 100

// Page is one page of a paginated answer, with the cursor that produced it so the
// caller can checkpoint between pages and resume from a stored cursor.
type Page[T any] struct {
	Endpoint string // the endpoint that answered, as in EndpointCallsExtensive
	Items    []T
	// IDs are the ids of Items, in their order, as the endpoint's rule reads them (the
	// same reading that names a rejected record): what the sync lets out of the
	// quarantine when a record stored fine.
	IDs        []string
	Cursor     string // the cursor that produced this page ("" for the first page)
	NextCursor string // "" on the last page (Gong leaves the key out)
	RequestID  string
	Records    Records
	// Rejected are the page's records gongsync could not use (a shape it cannot
	// decode, or no id), in page order; Items holds the others. One odd record no
	// longer fails its page: the sync quarantines it and moves on.
	Rejected []RejectedRecord
}

// RejectedRecord is one record of a page that did not decode into its type or that
// its endpoint's rule refused (no id, a child without a key). A body that is not JSON,
// or is cut short, is not a record's fault: it still fails the page.
type RejectedRecord struct {
	Index int    // the record's position in the page's array (0-based)
	ID    string // the record's id when one could be read, else ""
	// Raw is the record exactly as Gong sent it, byte for byte.
	Raw []byte
	Err error // why it was rejected
}

// pageBody is what every paginated answer decodes to.
type pageBody[T any] struct {
	requestID string
	records   *Records
	items     []T
	rejected  []RejectedRecord
}

// endpointSpec describes one paginated endpoint to the generic helpers.
type endpointSpec[T any] struct {
	name  string // "POST /v2/calls/extensive"
	items string // the JSON key of the records: "calls"
	// target is what one record is decoded into. Types that keep their raw bytes are
	// decoded through a method-less twin, and setRaw (nil for types without Raw)
	// hands them their bytes, cut from the body the decoder already scanned.
	target func(*T) any
	setRaw func(*T, []byte)
	// id names a decoded record in errors.
	id func(*T) ID
	// rawID pulls the id out of a record that failed to decode.
	rawID func(json.RawMessage) string
	// check reports what makes a decoded record unusable ("" when nothing does).
	check func(*T) string
}

// fetchPage sends r and decodes one page of spec's records.
func fetchPage[T any](ctx context.Context, c *Client, spec *endpointSpec[T], r *request, cursor string) (*Page[T], error) {
	ans, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	defer ans.release()
	return decodePage(spec, ans, cursor)
}

// decodePage decodes and checks one answer of spec's endpoint. A record that cannot be
// used (it does not decode, it has no metaData or no id) is handed back in
// Page.Rejected and the others in Items; only a body that is not JSON, or is cut
// short, fails the whole page.
func decodePage[T any](spec *endpointSpec[T], ans *answer, cursor string) (*Page[T], error) {
	page := &Page[T]{Endpoint: spec.name, Cursor: cursor, RequestID: ans.requestID}
	if ans.empty {
		return page, nil
	}
	pb, fail := decodeRecords(spec, ans.body.Bytes())
	if fail != nil {
		return nil, decodeError(spec, ans, fail)
	}
	if pb.requestID != "" {
		page.RequestID = pb.requestID
	}
	if pb.records != nil {
		page.Records = *pb.records
		page.NextCursor = pb.records.Cursor
	}
	page.Items, page.Rejected = pb.items, pb.rejected
	page.IDs = make([]string, len(page.Items))
	for i := range page.Items {
		page.IDs[i] = string(spec.id(&page.Items[i]))
	}
	return page, nil
}

// decodeError names the endpoint, the requestId and, when the failure is inside a
// record, which one.
func decodeError[T any](spec *endpointSpec[T], ans *answer, fail *decodeFailure) error {
	body := ans.body.Bytes()
	reqID := ans.requestID
	if reqID == "" {
		reqID = scanRequestID(body)
	}
	var detail string
	var se *json.SyntaxError
	switch {
	case errors.Is(fail.err, io.ErrUnexpectedEOF) && fail.index >= 0:
		detail = fmt.Sprintf("the answer is cut short in %s record %d", spec.items, fail.index)
	case errors.Is(fail.err, io.ErrUnexpectedEOF):
		detail = "the answer is cut short"
	case fail.index >= 0:
		detail = fmt.Sprintf("%s record %d%s does not decode", spec.items, fail.index, idSuffix(fail.id))
	case errors.As(fail.err, &se):
		detail = fmt.Sprintf("invalid JSON at byte %d of %d", se.Offset, len(body))
	default:
		detail = "the answer does not decode"
	}
	return &APIError{
		Class: ClassMalformedResponse, Endpoint: spec.name, Status: ans.status, RequestID: reqID,
		Attempts: ans.attempts, Detail: detail, Err: fail.err,
	}
}

func idSuffix(id string) string {
	if id == "" {
		return ""
	}
	return " (id " + id + ")"
}

// pages iterates from the page at start to the last one. It stops at the first error,
// which it yields with a nil page, and refuses a cursor that leads back to itself so
// that a server (or proxy) that ignores cursors cannot make the caller loop forever.
func pages[T any](endpoint, start string, fetch func(cursor string) (*Page[T], error)) iter.Seq2[*Page[T], error] {
	return func(yield func(*Page[T], error) bool) {
		cursor := start
		for {
			page, err := fetch(cursor)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(page, nil) {
				return
			}
			if page.NextCursor == "" {
				return
			}
			if page.NextCursor == cursor {
				yield(nil, &APIError{
					Class: ClassMalformedResponse, Endpoint: endpoint, RequestID: page.RequestID,
					Detail: fmt.Sprintf("page %d returned the cursor that produced it; stopping instead of looping", page.Records.CurrentPageNumber),
				})
				return
			}
			cursor = page.NextCursor
		}
	}
}

// postJSON marshals a request body; the types are ours, so failure is a bug.
func postJSON(endpoint string, v any) (*request, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("gongapi: %s: encode request: %w", endpoint, err)
	}
	method, path := splitEndpoint(endpoint)
	return newRequest(method, path, nil, b), nil
}

func splitEndpoint(endpoint string) (method, path string) {
	for i := 0; i < len(endpoint); i++ {
		if endpoint[i] == ' ' {
			return endpoint[:i], endpoint[i+1:]
		}
	}
	return http.MethodGet, endpoint
}

// checkCallIDs refuses what Gong would refuse, and what it would misread: an empty
// non-nil list is a 400 at Gong and, left out of the JSON, would select every call.
func checkCallIDs(endpoint string, ids []ID) error {
	switch {
	case ids != nil && len(ids) == 0:
		return &APIError{Class: ClassBadRequest, Endpoint: endpoint,
			Detail: "filter.callIds is empty: it would select no call (Gong answers 400); leave it nil to filter by time"}
	case len(ids) > MaxCallIDs:
		return &APIError{Class: ClassBadRequest, Endpoint: endpoint,
			Detail: fmt.Sprintf("filter.callIds has %d ids; Gong takes at most %d per request", len(ids), MaxCallIDs)}
	}
	return nil
}

// ---- calls/extensive ----

var callsExtensiveSpec = &endpointSpec[Call]{
	name:   EndpointCallsExtensive,
	items:  "calls",
	target: func(c *Call) any { return (*plainCall)(c) },
	setRaw: func(c *Call, raw []byte) { c.Raw = raw },
	id: func(c *Call) ID {
		if c.MetaData == nil {
			return ""
		}
		return c.MetaData.ID
	},
	rawID: func(raw json.RawMessage) string {
		var v struct {
			MetaData struct {
				ID json.RawMessage `json:"id"`
			} `json:"metaData"`
		}
		_ = json.Unmarshal(raw, &v)
		return rawIDText(v.MetaData.ID)
	},
	check: (*Call).Problem,
}

// Problem says why a call cannot be stored ("" when it can): it has no metaData or
// no id, or a party without an id (a party is keyed by its id within the call). This
// is the one place that rule is written; pages and webhooks with such a call are
// refused, and the sync maps only calls that passed it.
func (c *Call) Problem() string {
	switch {
	case c.MetaData == nil:
		return "no metaData"
	case c.MetaData.ID == "":
		return "metaData.id is empty"
	}
	for i := range c.Parties {
		if c.Parties[i].ID == "" {
			return fmt.Sprintf("party %d has no id", i)
		}
	}
	return ""
}

// CallsExtensivePage fetches one page of POST /v2/calls/extensive, starting at
// req.Cursor ("" for the first page). The cursor travels in the body, as Gong wants.
func (c *Client) CallsExtensivePage(ctx context.Context, req CallsExtensiveRequest) (*Page[Call], error) {
	if err := checkCallIDs(EndpointCallsExtensive, req.Filter.CallIDs); err != nil {
		return nil, err
	}
	r, err := postJSON(EndpointCallsExtensive, req)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, c, callsExtensiveSpec, r, req.Cursor)
}

// CallsExtensive iterates over the pages of POST /v2/calls/extensive from req.Cursor
// to the last page, changing nothing but the cursor between pages.
func (c *Client) CallsExtensive(ctx context.Context, req CallsExtensiveRequest) iter.Seq2[*Page[Call], error] {
	return pages(EndpointCallsExtensive, req.Cursor, func(cursor string) (*Page[Call], error) {
		req.Cursor = cursor
		return c.CallsExtensivePage(ctx, req)
	})
}

// ---- calls/transcript ----

var transcriptsSpec = &endpointSpec[CallTranscript]{
	name:   EndpointTranscripts,
	items:  "callTranscripts",
	target: func(t *CallTranscript) any { return t },
	id:     func(t *CallTranscript) ID { return t.CallID },
	rawID: func(raw json.RawMessage) string {
		var v struct {
			CallID json.RawMessage `json:"callId"`
		}
		_ = json.Unmarshal(raw, &v)
		return rawIDText(v.CallID)
	},
	check: func(t *CallTranscript) string {
		if t.CallID == "" {
			return "callId is empty"
		}
		return ""
	},
}

// TranscriptsPage fetches one page of POST /v2/calls/transcript, starting at req.Cursor.
func (c *Client) TranscriptsPage(ctx context.Context, req TranscriptRequest) (*Page[CallTranscript], error) {
	if err := checkCallIDs(EndpointTranscripts, req.Filter.CallIDs); err != nil {
		return nil, err
	}
	r, err := postJSON(EndpointTranscripts, req)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, c, transcriptsSpec, r, req.Cursor)
}

// Transcripts iterates over the pages of POST /v2/calls/transcript from req.Cursor.
func (c *Client) Transcripts(ctx context.Context, req TranscriptRequest) iter.Seq2[*Page[CallTranscript], error] {
	return pages(EndpointTranscripts, req.Cursor, func(cursor string) (*Page[CallTranscript], error) {
		req.Cursor = cursor
		return c.TranscriptsPage(ctx, req)
	})
}

// ---- users ----

var usersSpec = &endpointSpec[User]{
	name:   EndpointUsers,
	items:  "users",
	target: func(u *User) any { return (*plainUser)(u) },
	setRaw: func(u *User, raw []byte) { u.Raw = raw },
	id:     func(u *User) ID { return u.ID },
	rawID:  rawTopID,
	check: func(u *User) string {
		if u.ID == "" {
			return "id is empty"
		}
		return ""
	},
}

// usersExtensiveSpec is usersSpec under the other endpoint's name.
var usersExtensiveSpec = func() *endpointSpec[User] {
	s := *usersSpec
	s.name = EndpointUsersExtensive
	return &s
}()

// UsersPage fetches one page of GET /v2/users, starting at cursor ("" for the first).
func (c *Client) UsersPage(ctx context.Context, cursor string) (*Page[User], error) {
	var q url.Values
	if cursor != "" {
		q = url.Values{"cursor": {cursor}}
	}
	method, path := splitEndpoint(EndpointUsers)
	return fetchPage(ctx, c, usersSpec, newRequest(method, path, q, nil), cursor)
}

// Users iterates over the pages of GET /v2/users from cursor. Users have no date
// filter: this is the full list.
func (c *Client) Users(ctx context.Context, cursor string) iter.Seq2[*Page[User], error] {
	return pages(EndpointUsers, cursor, func(cursor string) (*Page[User], error) { return c.UsersPage(ctx, cursor) })
}

// UsersExtensivePage fetches one page of POST /v2/users/extensive, starting at req.Cursor.
func (c *Client) UsersExtensivePage(ctx context.Context, req UsersExtensiveRequest) (*Page[User], error) {
	r, err := postJSON(EndpointUsersExtensive, req)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, c, usersExtensiveSpec, r, req.Cursor)
}

// UsersExtensive iterates over the pages of POST /v2/users/extensive from req.Cursor.
func (c *Client) UsersExtensive(ctx context.Context, req UsersExtensiveRequest) iter.Seq2[*Page[User], error] {
	return pages(EndpointUsersExtensive, req.Cursor, func(cursor string) (*Page[User], error) {
		req.Cursor = cursor
		return c.UsersExtensivePage(ctx, req)
	})
}

// ---- calls (basic) ----

// CallsListRequest selects calls for GET /v2/calls. Gong requires both bounds; for
// web conferences it filters on the scheduled time.
type CallsListRequest struct {
	From, To    time.Time
	WorkspaceID string
	Cursor      string
}

var callsSpec = &endpointSpec[CallMetaData]{
	name:   EndpointCalls,
	items:  "calls",
	target: func(m *CallMetaData) any { return m },
	id:     func(m *CallMetaData) ID { return m.ID },
	rawID:  rawTopID,
	check: func(m *CallMetaData) string {
		if m.ID == "" {
			return "id is empty"
		}
		return ""
	},
}

// CallsPage fetches one page of GET /v2/calls, starting at req.Cursor.
func (c *Client) CallsPage(ctx context.Context, req CallsListRequest) (*Page[CallMetaData], error) {
	if req.From.IsZero() || req.To.IsZero() {
		return nil, &APIError{Class: ClassBadRequest, Endpoint: EndpointCalls, Detail: "both From and To are required"}
	}
	q := url.Values{
		"fromDateTime": {FormatFilterTime(req.From)},
		"toDateTime":   {FormatFilterTime(req.To)},
	}
	if req.WorkspaceID != "" {
		q.Set("workspaceId", req.WorkspaceID)
	}
	if req.Cursor != "" {
		q.Set("cursor", req.Cursor)
	}
	method, path := splitEndpoint(EndpointCalls)
	return fetchPage(ctx, c, callsSpec, newRequest(method, path, q, nil), req.Cursor)
}

// Calls iterates over the pages of GET /v2/calls from req.Cursor.
func (c *Client) Calls(ctx context.Context, req CallsListRequest) iter.Seq2[*Page[CallMetaData], error] {
	return pages(EndpointCalls, req.Cursor, func(cursor string) (*Page[CallMetaData], error) {
		req.Cursor = cursor
		return c.CallsPage(ctx, req)
	})
}

// ---- not paginated ----

// Workspaces lists the company's workspaces (GET /v2/workspaces).
func (c *Client) Workspaces(ctx context.Context) ([]Workspace, error) {
	method, path := splitEndpoint(EndpointWorkspaces)
	var resp WorkspacesResponse
	if err := c.getJSON(ctx, newRequest(method, path, nil, nil), &resp); err != nil {
		return nil, err
	}
	for i, w := range resp.Workspaces {
		if w.ID == "" {
			return nil, &APIError{Class: ClassMalformedResponse, Endpoint: EndpointWorkspaces, Status: http.StatusOK,
				RequestID: resp.RequestID, Detail: fmt.Sprintf("workspace %d: id is empty", i)}
		}
	}
	return resp.Workspaces, nil
}

// Trackers lists the keyword trackers of a workspace ("" for the company's default)
// (GET /v2/settings/trackers).
func (c *Client) Trackers(ctx context.Context, workspaceID string) ([]KeywordTracker, error) {
	var q url.Values
	if workspaceID != "" {
		q = url.Values{"workspaceId": {workspaceID}}
	}
	method, path := splitEndpoint(EndpointTrackers)
	var resp TrackersResponse
	if err := c.getJSON(ctx, newRequest(method, path, q, nil), &resp); err != nil {
		return nil, err
	}
	for i, k := range resp.KeywordTrackers {
		if k.TrackerID == "" {
			return nil, &APIError{Class: ClassMalformedResponse, Endpoint: EndpointTrackers, Status: http.StatusOK,
				RequestID: resp.RequestID, Detail: fmt.Sprintf("tracker %d: trackerId is empty", i)}
		}
	}
	return resp.KeywordTrackers, nil
}

// getJSON sends r and decodes the answer into v; an empty-result 404 leaves v as is.
func (c *Client) getJSON(ctx context.Context, r *request, v any) error {
	ans, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer ans.release()
	if ans.empty {
		return nil
	}
	if err := json.Unmarshal(ans.body.Bytes(), v); err != nil {
		reqID := ans.requestID
		if reqID == "" {
			reqID = scanRequestID(ans.body.Bytes())
		}
		return &APIError{Class: ClassMalformedResponse, Endpoint: r.endpoint, Status: ans.status, RequestID: reqID,
			Attempts: ans.attempts, Detail: "the answer does not decode", Err: err}
	}
	return nil
}

// rawTopID reads a record's top-level "id" from raw JSON, for error messages.
func rawTopID(raw json.RawMessage) string {
	var v struct {
		ID json.RawMessage `json:"id"`
	}
	_ = json.Unmarshal(raw, &v)
	return rawIDText(v.ID)
}

// rawIDText shows an id that may be a string, a number or garbage, briefly.
func rawIDText(raw json.RawMessage) string {
	var id ID
	if len(raw) == 0 || id.UnmarshalJSON(raw) != nil {
		return ""
	}
	if len(id) > 40 {
		return string(id[:40]) + "…"
	}
	return string(id)
}

// DecodeRecord decodes one record of a paginated endpoint (endpoint is one of the
// Endpoint constants) from its raw bytes, with the same decoder and the same rule a
// page applies to it, so a record once rejected can be tried again by a newer
// gongsync without a request to Gong. The result is a *Call, *CallTranscript, *User,
// *CallMetaData, *AnsweredScorecard, *UserActivity or *UserInteractionStats, after
// the endpoint.
func DecodeRecord(endpoint string, raw []byte) (any, error) {
	var v any
	var err error
	switch endpoint {
	case EndpointCallsExtensive:
		v, err = decodeRecord(callsExtensiveSpec, raw)
	case EndpointTranscripts:
		v, err = decodeRecord(transcriptsSpec, raw)
	case EndpointUsers, EndpointUsersExtensive:
		v, err = decodeRecord(usersSpec, raw)
	case EndpointCalls:
		v, err = decodeRecord(callsSpec, raw)
	case EndpointAnsweredScorecards:
		v, err = decodeRecord(answeredScorecardsSpec, raw)
	case EndpointUserActivity:
		v, err = decodeRecord(userActivitySpec, raw)
	case EndpointInteractionStats:
		v, err = decodeRecord(interactionStatsSpec, raw)
	default:
		return nil, fmt.Errorf("gongapi: decode a record of %q: not a paginated endpoint", endpoint)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}
