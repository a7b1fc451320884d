package gongapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"time"
)

// Engage flows and the audit logs: two GET endpoints paged with a cursor in the query.
const (
	EndpointFlows = "GET /v2/flows"
	EndpointLogs  = "GET /v2/logs"
)

// LogTypes are the values of GET /v2/logs's logType, as Gong's document enumerates
// them: who signed in, what users did, who played which call, and who outside the
// company opened or played a call shared with them.
var LogTypes = []string{"AccessLog", "UserActivityLog", "UserCallPlay", "ExternallySharedCallAccess", "ExternallySharedCallPlay"}

// Flow is one Engage flow of GET /v2/flows (the schema PublicApiFlow).
type Flow struct {
	ID           ID      `json:"id"`
	Name         *string `json:"name"`
	FolderID     *ID     `json:"folderId"`
	FolderName   *string `json:"folderName"`
	Visibility   *string `json:"visibility"` // Company, Personal or Shared
	CreationDate Time    `json:"creationDate"`
	Exclusive    *bool   `json:"exclusive"`

	Raw json.RawMessage `json:"-"`
}

// FlowsRequest asks GET /v2/flows for the flows one user sees: the company's, and
// that user's personal flows and those shared with them.
type FlowsRequest struct {
	FlowOwnerEmail string
	WorkspaceID    string // optional: only that workspace's flows
	Cursor         string
}

var flowsSpec = &endpointSpec[Flow]{
	name:   EndpointFlows,
	items:  "flows",
	target: func(f *Flow) any { return f },
	setRaw: func(f *Flow, raw []byte) { f.Raw = raw },
	id:     func(f *Flow) ID { return f.ID },
	rawID:  rawTopID,
	check: func(f *Flow) string {
		if f.ID == "" {
			return "id is empty"
		}
		return ""
	},
}

// FlowsPage fetches one page of GET /v2/flows for req.FlowOwnerEmail, starting at
// req.Cursor ("" for the first page).
func (c *Client) FlowsPage(ctx context.Context, req FlowsRequest) (*Page[Flow], error) {
	if req.FlowOwnerEmail == "" {
		return nil, &APIError{Class: ClassBadRequest, Endpoint: EndpointFlows, Detail: "flowOwnerEmail is required"}
	}
	q := url.Values{"flowOwnerEmail": {req.FlowOwnerEmail}}
	if req.WorkspaceID != "" {
		q.Set("workspaceId", req.WorkspaceID)
	}
	if req.Cursor != "" {
		q.Set("cursor", req.Cursor)
	}
	method, path := splitEndpoint(EndpointFlows)
	return fetchPage(ctx, c, flowsSpec, newRequest(method, path, q, nil), req.Cursor)
}

// LogEntry is one record of GET /v2/logs (the schema logEntry). Gong gives it no id;
// LogRecord holds the fields of its type (a played call's id, the IP address, …),
// which Gong's document leaves open.
type LogEntry struct {
	UserID                   *ID             `json:"userId"`
	UserEmailAddress         *string         `json:"userEmailAddress"`
	UserFullName             *string         `json:"userFullName"`
	ImpersonatorUserID       *ID             `json:"impersonatorUserId"`
	ImpersonatorEmailAddress *string         `json:"impersonatorEmailAddress"`
	ImpersonatorFullName     *string         `json:"impersonatorFullName"`
	ImpersonatorCompanyID    *ID             `json:"impersonatorCompanyId"`
	EventTime                Time            `json:"eventTime"`
	LogRecord                json.RawMessage `json:"logRecord"`

	Raw json.RawMessage `json:"-"`
}

// Key is what tells the record from the others: "sha256:" and the hex SHA-256 of the
// record as Gong sent it, the same key the quarantine gives a record without an id.
func (l *LogEntry) Key() ID {
	sum := sha256.Sum256(l.Raw)
	return ID("sha256:" + hex.EncodeToString(sum[:]))
}

// LogsRequest asks GET /v2/logs for one type's records of [From, To).
type LogsRequest struct {
	LogType  string
	From, To time.Time
	Cursor   string
}

var logsSpec = &endpointSpec[LogEntry]{
	name:   EndpointLogs,
	items:  "logEntries",
	target: func(l *LogEntry) any { return l },
	setRaw: func(l *LogEntry, raw []byte) { l.Raw = raw },
	id:     (*LogEntry).Key,
	rawID:  func(json.RawMessage) string { return "" },
	check: func(l *LogEntry) string {
		// The time is what a window selects the record by: without it the record
		// belongs to no window.
		if l.EventTime.IsZero() {
			return "eventTime is empty"
		}
		return ""
	},
}

// LogsPage fetches one page of GET /v2/logs, starting at req.Cursor ("" for the first
// page). Gong answers a range without records with a 404 ("No logs found …"): an empty
// page.
func (c *Client) LogsPage(ctx context.Context, req LogsRequest) (*Page[LogEntry], error) {
	if !slices.Contains(LogTypes, req.LogType) {
		return nil, &APIError{Class: ClassBadRequest, Endpoint: EndpointLogs, Detail: "logType " + req.LogType + " is not one Gong knows"}
	}
	if req.From.IsZero() || req.To.IsZero() || !req.From.Before(req.To) {
		return nil, &APIError{Class: ClassBadRequest, Endpoint: EndpointLogs, Detail: "fromDateTime must be before toDateTime"}
	}
	q := url.Values{
		"logType":      {req.LogType},
		"fromDateTime": {FormatFilterTime(req.From)},
		"toDateTime":   {FormatFilterTime(req.To)},
	}
	if req.Cursor != "" {
		q.Set("cursor", req.Cursor)
	}
	method, path := splitEndpoint(EndpointLogs)
	return fetchPage(ctx, c, logsSpec, newRequest(method, path, q, nil), req.Cursor)
}
