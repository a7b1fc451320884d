package gongapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// The endpoints of a user's daily activity and interaction stats (both dated: Gong
// keeps them per calendar day of the company).
const (
	EndpointUserActivity     = "POST /v2/stats/activity/day-by-day"
	EndpointInteractionStats = "POST /v2/stats/interaction"
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
