package gongapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// The endpoints of the streams beyond calls: a user's daily activity and interaction
// stats (both dated: Gong keeps them per calendar day of the company), the library,
// and the call outcome definitions.
const (
	EndpointUserActivity       = "POST /v2/stats/activity/day-by-day"
	EndpointInteractionStats   = "POST /v2/stats/interaction"
	EndpointLibraryFolders     = "GET /v2/library/folders"
	EndpointLibraryFolderCalls = "GET /v2/library/folder-content"
	// EndpointCallOutcomes is not in Gong's API document; live tenants answer it.
	EndpointCallOutcomes = "GET /v2/call-outcomes"
)

// ---- requests ----

// StatsRequest is the body of POST /v2/stats/activity/day-by-day and POST
// /v2/stats/interaction. The client sets Cursor, which travels in the body.
type StatsRequest struct {
	Cursor string      `json:"cursor,omitempty"`
	Filter StatsFilter `json:"filter"`
}

// StatsFilter selects calendar days in the company's time zone, [FromDate, ToDate),
// written with FormatDate; ToDate may not be after the company's current day. Nil
// UserIDs means every user (Gong answers only those with activity).
type StatsFilter struct {
	FromDate string `json:"fromDate"`
	ToDate   string `json:"toDate"`
	UserIDs  []ID   `json:"userIds,omitempty"`
}

// FormatDate writes a calendar date the way Gong's stats filters take it
// (YYYY-MM-DD), as t's own location reads the date.
func FormatDate(t time.Time) string { return t.Format(time.DateOnly) }

// checkStatsDates refuses what Gong would refuse or answer with nothing: a filter without
// both dates, and a range that is empty (a same-day range is Gong's empty-result 404,
// a reversed one a 400).
func checkStatsDates(endpoint string, f StatsFilter) error {
	from, err1 := time.Parse(time.DateOnly, f.FromDate)
	to, err2 := time.Parse(time.DateOnly, f.ToDate)
	switch {
	case err1 != nil || err2 != nil:
		return &APIError{Class: ClassBadRequest, Endpoint: endpoint,
			Detail: fmt.Sprintf("filter.fromDate %q and filter.toDate %q must both be dates (YYYY-MM-DD)", f.FromDate, f.ToDate)}
	case !from.Before(to):
		return &APIError{Class: ClassBadRequest, Endpoint: endpoint,
			Detail: fmt.Sprintf("filter.fromDate %s is not before filter.toDate %s (the end is exclusive: a one-day range ends the next day)", f.FromDate, f.ToDate)}
	}
	return nil
}

// ---- answers ----

// UserActivity is one user's record of POST /v2/stats/activity/day-by-day (Gong's
// UserDayByDayActivity): one entry per day of the requested range.
type UserActivity struct {
	UserID           ID              `json:"userId"`
	UserEmailAddress *string         `json:"userEmailAddress"`
	Days             []DailyActivity `json:"userDailyActivityStats"`
}

// DailyActivity is one day of a user's activity (Gong's DailyActivityWithDates): the
// start and end of the day, in the company's offset, and per activity the calls it
// concerned (callsAsHost, callsAttended, othersCallsListenedTo, callsGaveFeedback, …).
type DailyActivity struct {
	FromDate Time
	ToDate   Time
	// Calls holds every list of call ids of the day under Gong's key for it, so an
	// activity Gong adds later is kept too. Keys whose value is not a list of ids stay
	// in Raw only.
	Calls map[string][]ID
	// Raw is the day exactly as Gong sent it.
	Raw json.RawMessage
}

// ActivityKinds are the activities Gong's document lists for a day, in its order.
var ActivityKinds = []string{"callsAsHost", "callsGaveFeedback", "callsRequestedFeedback", "callsReceivedFeedback",
	"ownCallsListenedTo", "othersCallsListenedTo", "callsSharedInternally", "callsSharedExternally", "callsAttended",
	"callsCommentsGiven", "callsCommentsReceived", "callsMarkedAsFeedbackGiven", "callsMarkedAsFeedbackReceived",
	"callsScorecardsFilled", "callsScorecardsReceived"}

// UnmarshalJSON reads the day's dates and every list of ids, and keeps the raw bytes.
func (d *DailyActivity) UnmarshalJSON(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	*d = DailyActivity{Calls: map[string][]ID{}, Raw: append(json.RawMessage(nil), b...)}
	for k, v := range fields {
		switch k {
		case "fromDate":
			if err := json.Unmarshal(v, &d.FromDate); err != nil {
				return fmt.Errorf("fromDate: %w", err)
			}
		case "toDate":
			if err := json.Unmarshal(v, &d.ToDate); err != nil {
				return fmt.Errorf("toDate: %w", err)
			}
		default:
			if v = bytes.TrimSpace(v); len(v) == 0 || v[0] != '[' {
				continue
			}
			var ids []ID
			if json.Unmarshal(v, &ids) == nil {
				d.Calls[k] = ids
			}
		}
	}
	return nil
}

// UserInteractionStats is one user's record of POST /v2/stats/interaction (Gong's
// InteractionStats): the user's measures over the whole requested range.
type UserInteractionStats struct {
	UserID           ID           `json:"userId"`
	UserEmailAddress *string      `json:"userEmailAddress"`
	Stats            []PersonStat `json:"personInteractionStats"`
}

// PersonStat is one named measure (Talk Ratio, Longest Monologue, Patience, …).
// Gong documents the value as a double "or integer"; a number in a string is taken
// too, and null is an absent value.
type PersonStat struct {
	Name  string       `json:"name"`
	Value *json.Number `json:"value"`

	Raw json.RawMessage `json:"-"`
}

// LibraryFolder is one public folder of GET /v2/library/folders.
type LibraryFolder struct {
	ID             ID      `json:"id"`
	Name           *string `json:"name"`
	ParentFolderID *ID     `json:"parentFolderId"` // null for a top folder
	CreatedBy      *ID     `json:"createdBy"`
	Updated        Time    `json:"updated"`

	Raw json.RawMessage `json:"-"`
}

// LibraryFoldersResponse answers GET /v2/library/folders (not paginated).
type LibraryFoldersResponse struct {
	RequestID string          `json:"requestId"`
	Folders   []LibraryFolder `json:"folders"`
}

// LibraryCall is one call (or a snippet of it) in a library folder.
type LibraryCall struct {
	ID      ID              `json:"id"` // the call's id
	Title   *string         `json:"title"`
	Note    *string         `json:"note"`
	AddedBy *ID             `json:"addedBy"`
	Created Time            `json:"created"` // when it was added to the folder
	URL     *string         `json:"url"`
	Snippet *LibrarySnippet `json:"snippet"`

	Raw json.RawMessage `json:"-"`
}

// LibrarySnippet is the part of the call the folder holds, in seconds from the
// call's start (Gong documents whole seconds; a fraction or a number in a string is
// taken too).
type LibrarySnippet struct {
	FromSec *json.Number `json:"fromSec"`
	ToSec   *json.Number `json:"toSec"`
}

// LibraryFolderContentResponse answers GET /v2/library/folder-content.
type LibraryFolderContentResponse struct {
	RequestID string        `json:"requestId"`
	ID        ID            `json:"id"`
	Calls     []LibraryCall `json:"calls"`
}

// CallOutcome is one of the company's call outcome definitions (GET
// /v2/call-outcomes, seen live, absent from Gong's document). Gong gives them no id:
// the outcome's name (callOutcome) is what a call's content.callOutcome.name holds.
// The fields seen only live are kept as Gong sent them.
type CallOutcome struct {
	CallOutcome   *string         `json:"callOutcome"`
	DisplayOrder  *json.Number    `json:"displayOrder"`
	ConnectStatus json.RawMessage `json:"connectStatus"`
	Sentiment     json.RawMessage `json:"sentiment"`
	Category      json.RawMessage `json:"category"`
	TodoAction    json.RawMessage `json:"todoAction"`
	Automation    json.RawMessage `json:"automation"`

	Raw json.RawMessage `json:"-"`
}

// CallOutcomesResponse answers GET /v2/call-outcomes (not paginated, no records).
type CallOutcomesResponse struct {
	RequestID string        `json:"requestId"`
	Outcomes  []CallOutcome `json:"outcomes"`
}

// UnmarshalJSON decodes one measure and keeps the raw bytes.
func (s *PersonStat) UnmarshalJSON(b []byte) error {
	type plain PersonStat
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = PersonStat(p)
	s.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// UnmarshalJSON decodes a library folder and keeps the raw bytes.
func (f *LibraryFolder) UnmarshalJSON(b []byte) error {
	type plain LibraryFolder
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*f = LibraryFolder(p)
	f.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// UnmarshalJSON decodes a call of a library folder and keeps the raw bytes.
func (c *LibraryCall) UnmarshalJSON(b []byte) error {
	type plain LibraryCall
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = LibraryCall(p)
	c.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// UnmarshalJSON decodes a call outcome definition and keeps the raw bytes.
func (o *CallOutcome) UnmarshalJSON(b []byte) error {
	type plain CallOutcome
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*o = CallOutcome(p)
	o.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// ---- day-by-day activity ----

var userActivitySpec = &endpointSpec[UserActivity]{
	name:   EndpointUserActivity,
	items:  "usersDetailedActivities",
	target: func(u *UserActivity) any { return u },
	id:     func(u *UserActivity) ID { return u.UserID },
	rawID:  rawUserID,
	check: func(u *UserActivity) string {
		if u.UserID == "" {
			return "userId is empty"
		}
		for i := range u.Days {
			if u.Days[i].FromDate.IsZero() {
				return fmt.Sprintf("day %d has no fromDate: it cannot be told from the others", i)
			}
		}
		return ""
	},
}

// UserActivityPage fetches one page (100 users) of POST /v2/stats/activity/day-by-day,
// starting at req.Cursor. Only users with activity in the range come back.
func (c *Client) UserActivityPage(ctx context.Context, req StatsRequest) (*Page[UserActivity], error) {
	if err := checkStatsDates(EndpointUserActivity, req.Filter); err != nil {
		return nil, err
	}
	r, err := postJSON(EndpointUserActivity, req)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, c, userActivitySpec, r, req.Cursor)
}

// ---- interaction stats ----

var interactionStatsSpec = &endpointSpec[UserInteractionStats]{
	name:   EndpointInteractionStats,
	items:  "peopleInteractionStats",
	target: func(u *UserInteractionStats) any { return u },
	id:     func(u *UserInteractionStats) ID { return u.UserID },
	rawID:  rawUserID,
	check: func(u *UserInteractionStats) string {
		if u.UserID == "" {
			return "userId is empty"
		}
		for i, s := range u.Stats {
			if s.Name == "" {
				return fmt.Sprintf("stat %d has no name", i)
			}
		}
		return ""
	},
}

// InteractionStatsPage fetches one page (100 users) of POST /v2/stats/interaction,
// starting at req.Cursor: each user's measures over the whole range (Gong aggregates
// them; it does not split them by day).
func (c *Client) InteractionStatsPage(ctx context.Context, req StatsRequest) (*Page[UserInteractionStats], error) {
	if err := checkStatsDates(EndpointInteractionStats, req.Filter); err != nil {
		return nil, err
	}
	r, err := postJSON(EndpointInteractionStats, req)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, c, interactionStatsSpec, r, req.Cursor)
}

func rawUserID(raw json.RawMessage) string {
	var v struct {
		UserID json.RawMessage `json:"userId"`
	}
	_ = json.Unmarshal(raw, &v)
	return rawIDText(v.UserID)
}

// ---- library ----

// LibraryFolders lists the public folders of a workspace ("" for the company's
// default) (GET /v2/library/folders). A company whose plan has no library answers
// 401 or 404 here: that is an *APIError of ClassNotAvailable (ErrNotAvailable), not a
// refusal of the credentials. A 401 naming a scope stays ErrScopeMissing; with OAuth,
// a 401 first renews the access token once, as for every endpoint.
func (c *Client) LibraryFolders(ctx context.Context, workspaceID string) ([]LibraryFolder, error) {
	var q url.Values
	if workspaceID != "" {
		q = url.Values{"workspaceId": {workspaceID}}
	}
	method, path := splitEndpoint(EndpointLibraryFolders)
	var resp LibraryFoldersResponse
	if err := c.getJSON(ctx, newRequest(method, path, q, nil), &resp); err != nil {
		return nil, notAvailable(err, "the company's Gong has no library (a plan without it answers its endpoints 401 or 404); "+
			"if every other endpoint is refused too, check the credentials instead")
	}
	for i, f := range resp.Folders {
		if f.ID == "" {
			return nil, &APIError{Class: ClassMalformedResponse, Endpoint: EndpointLibraryFolders, Status: http.StatusOK,
				RequestID: resp.RequestID, Detail: fmt.Sprintf("folder %d: id is empty", i)}
		}
	}
	return resp.Folders, nil
}

// LibraryFolderCalls lists the calls of a library folder (GET
// /v2/library/folder-content). A folder deleted since it was listed answers a 404
// (ErrNotFound).
func (c *Client) LibraryFolderCalls(ctx context.Context, folderID string) ([]LibraryCall, error) {
	if folderID == "" {
		return nil, &APIError{Class: ClassBadRequest, Endpoint: EndpointLibraryFolderCalls, Detail: "folderId is empty"}
	}
	method, path := splitEndpoint(EndpointLibraryFolderCalls)
	var resp LibraryFolderContentResponse
	if err := c.getJSON(ctx, newRequest(method, path, url.Values{"folderId": {folderID}}, nil), &resp); err != nil {
		return nil, err
	}
	for i, call := range resp.Calls {
		if call.ID == "" {
			return nil, &APIError{Class: ClassMalformedResponse, Endpoint: EndpointLibraryFolderCalls, Status: http.StatusOK,
				RequestID: resp.RequestID, Detail: fmt.Sprintf("folder %s, call %d: id is empty", folderID, i)}
		}
	}
	return resp.Calls, nil
}

// ---- call outcomes ----

// CallOutcomes lists the company's call outcome definitions (GET /v2/call-outcomes).
// The endpoint is not in Gong's document: a 404 that is not Gong's empty result (an
// account or a version of Gong without it) is ClassNotAvailable.
func (c *Client) CallOutcomes(ctx context.Context) ([]CallOutcome, error) {
	method, path := splitEndpoint(EndpointCallOutcomes)
	var resp CallOutcomesResponse
	if err := c.getJSON(ctx, newRequest(method, path, nil, nil), &resp); err != nil {
		if ae, ok := err.(*APIError); ok && ae.Class == ClassNotFound {
			return nil, notAvailable(err, "Gong does not answer call outcomes for this company (the endpoint is not in Gong's document)")
		}
		return nil, err
	}
	for i, o := range resp.Outcomes {
		if o.CallOutcome == nil || *o.CallOutcome == "" {
			return nil, &APIError{Class: ClassMalformedResponse, Endpoint: EndpointCallOutcomes, Status: http.StatusOK,
				RequestID: resp.RequestID, Detail: fmt.Sprintf("outcome %d has no callOutcome (its name, the only key it has)", i)}
		}
	}
	return resp.Outcomes, nil
}

// notAvailable turns a 404 that is not Gong's empty result, or a 401 that names no
// scope (after any renewal of the credentials), into ClassNotAvailable with why. Only
// Gong's answer itself is turned: an error that also says a renewal of the
// credentials failed stays as it is.
func notAvailable(err error, why string) error {
	ae, ok := err.(*APIError)
	if !ok {
		return err
	}
	switch {
	case ae.Class == ClassNotFound, ae.Class == ClassUnauthorized && ae.Status == http.StatusUnauthorized:
		out := *ae
		out.Class, out.Detail = ClassNotAvailable, why
		return &out
	}
	return err
}
