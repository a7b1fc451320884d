package sync

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// The records of the streams beyond calls as rows. Gong gives a user's day, a stat, an
// outcome and a folder's entry no id of their own: each row's id joins what
// identifies it with "|", which Gong's ids (digits) and dates never hold. Records
// here passed gongapi's checks (a user has an id, a day its date, a stat its name, an
// outcome its name, a folder and a folder's call their ids).

// ActivityDayRows maps a page of day-by-day activity onto one row per user and day of
// [from, to) with any activity, each with a row per call of each activity. Days
// without a single call are left out: the row says Gong reported activity that day.
// A day outside [from, to), which Gong is not known to send, is left to the query
// that asks for it.
func ActivityDayRows(users []gongapi.UserActivity, from, to time.Time) []store.UserActivityDay {
	var out []store.UserActivityDay
	for _, u := range users {
		userID := clean(string(u.UserID))
		for _, d := range u.Days {
			day := dayOf(d.FromDate.Time)
			if day.Before(from) || !day.Before(to) {
				continue
			}
			row := store.UserActivityDay{
				ID: userID + "|" + day.Format(time.DateOnly), UserID: userID, Day: day,
				UserEmailAddress: cleanPtr(u.UserEmailAddress), Raw: rawJSON(d.Raw, d.Calls),
			}
			for _, activity := range slices.Sorted(maps.Keys(d.Calls)) {
				for _, id := range d.Calls[activity] {
					if id == "" {
						continue
					}
					row.Calls = append(row.Calls, store.UserDailyActivity{UserID: userID, Day: day,
						Activity: clean(activity), CallID: clean(string(id))})
				}
			}
			if len(row.Calls) > 0 {
				out = append(out, row)
			}
		}
	}
	return out
}

// InteractionStatRows maps a page of interaction stats, Gong's figures over [from,
// to), onto one row per user and statistic of that period.
func InteractionStatRows(users []gongapi.UserInteractionStats, from, to time.Time) []store.UserInteractionStat {
	var out []store.UserInteractionStat
	period := "|" + from.Format(time.DateOnly) + "|" + to.Format(time.DateOnly) + "|"
	for _, u := range users {
		userID := clean(string(u.UserID))
		for _, s := range u.Stats {
			name := clean(s.Name)
			out = append(out, store.UserInteractionStat{
				ID: userID + period + name, UserID: userID, PeriodStart: from, PeriodEnd: to,
				Name: name, Value: numberDecimal(s.Value), Raw: rawJSON(s.Raw, s),
			})
		}
	}
	return out
}

// LibraryFolderRows maps the folders a workspace's library listed ("" when listed
// without a workspace).
func LibraryFolderRows(folders []gongapi.LibraryFolder, workspaceID string) []store.LibraryFolder {
	out := make([]store.LibraryFolder, 0, len(folders))
	for _, f := range folders {
		out = append(out, store.LibraryFolder{
			ID: clean(string(f.ID)), Name: cleanPtr(f.Name), ParentFolderID: idPtr(f.ParentFolderID),
			WorkspaceID: nonEmpty(workspaceID), CreatedBy: idPtr(f.CreatedBy), Updated: f.Updated.Ptr(),
			Raw: rawJSON(f.Raw, f),
		})
	}
	return out
}

// LibraryFolderCallRows maps the calls of one folder. A call may be in a folder more
// than once, as snippets: the row's id holds the snippet's bounds as Gong wrote them.
func LibraryFolderCallRows(folderID string, calls []gongapi.LibraryCall) []store.LibraryFolderCall {
	folderID = clean(folderID)
	out := make([]store.LibraryFolderCall, 0, len(calls))
	for _, c := range calls {
		callID := clean(string(c.ID))
		row := store.LibraryFolderCall{
			FolderID: folderID, CallID: callID, Title: cleanPtr(c.Title), Note: cleanPtr(c.Note),
			AddedBy: idPtr(c.AddedBy), Created: c.Created.Ptr(), URL: cleanPtr(c.URL), Raw: rawJSON(c.Raw, c),
		}
		var from, to string
		if sn := c.Snippet; sn != nil {
			row.SnippetFromSeconds, row.SnippetToSeconds = numberPtr(sn.FromSec), numberPtr(sn.ToSec)
			from, to = numberText(sn.FromSec), numberText(sn.ToSec)
		}
		row.ID = folderID + "|" + callID + "|" + from + "|" + to
		out = append(out, row)
	}
	return out
}

// CallOutcomeRows maps the call outcome definitions, keyed by name: Gong gives them
// no id, and a call's outcome names its definition (content.callOutcome.name). Keying
// by the position (displayOrder) would make every outcome "change" when an
// administrator reorders them; a hash of the name would be the name, less readable.
func CallOutcomeRows(outcomes []gongapi.CallOutcome) []store.CallOutcome {
	out := make([]store.CallOutcome, 0, len(outcomes))
	for _, o := range outcomes {
		name := clean(*o.CallOutcome)
		row := store.CallOutcome{
			ID: name, Outcome: name, Category: textOf(o.Category), ConnectStatus: textOf(o.ConnectStatus),
			Sentiment: textOf(o.Sentiment), Raw: rawJSON(o.Raw, o),
		}
		if o.DisplayOrder != nil {
			if n, err := o.DisplayOrder.Int64(); err == nil && n >= math.MinInt32 && n <= math.MaxInt32 {
				v := int32(n)
				row.DisplayOrder = &v
			}
		}
		out = append(out, row)
	}
	return out
}

// numberPtr is a number Gong sent (as a number or a numeric string), or nil.
func numberPtr(n *json.Number) *float64 {
	if n == nil {
		return nil
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// numberDecimal is a number Gong sent, digit for digit, for a numeric column, or nil.
// The decoder took it only if it has a JSON number's form, which Postgres reads.
func numberDecimal(n *json.Number) *store.Decimal {
	if n == nil || n.String() == "" {
		return nil
	}
	v := store.Decimal(n.String())
	return &v
}

func numberText(n *json.Number) string {
	if n == nil {
		return ""
	}
	return clean(n.String())
}

// textOf is a value of a field Gong is only seen to send, as text: a string as it
// reads, anything else (a number, a boolean, an object) as its JSON; null or absent is
// nil.
func textOf(raw json.RawMessage) *string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return cleanPtr(&s)
	}
	s = string(safeJSON(raw))
	return &s
}
