package sync

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gongsync/gongsync/gongapi"
)

// The comparison of the streams beyond calls with what the fake serves, built from
// the fake's dataset (its own records, not normalize_stats.go) like the calls'.

// beyondCalls is what a test synced of the streams beyond calls: the days the dated
// streams read, and whether the library and the call outcomes were read.
type beyondCalls struct {
	from, to time.Time // the company's days [from, to) the dated streams read
	library  bool
	outcomes bool
	// logsFrom, when set, is where the audit logs were read from (up to the time of
	// the comparison).
	logsFrom time.Time
	issue26  bool // the permission profiles, the CRM schema and the manual associations
}

// readUpTo is the end of the days a read at now reaches: Gong takes no toDate after
// the company's current day, and the sync asks for the date at UTC−12, the last time
// zone's (the fake's company is at −07:00, a later date or the same).
func readUpTo(now time.Time) time.Time {
	t := now.UTC().Add(-12 * time.Hour)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// assertBeyondCallsMatchGong checks that the live rows of the activity, stats,
// library and outcome tables are exactly what the fake serves at virtual time at.
func (v *env) assertBeyondCallsMatchGong(at time.Time, b *beyondCalls) {
	v.t.Helper()
	ds := v.fake.Dataset()
	if !b.from.IsZero() {
		var days, calls []string
		for _, u := range ds.ActivityAt(at, b.from, b.to) {
			for _, d := range u.UserDailyActivityStats {
				day := d.FromDate.Format(time.DateOnly)
				busy := false
				for activity, ids := range d.ActivityLists() {
					for _, id := range ids {
						calls = append(calls, fmt.Sprintf("%s|%s|%s|%s", u.UserID, day, activity, id))
						busy = true
					}
				}
				if busy {
					days = append(days, u.UserID+"|"+day+"|"+deref(u.UserEmailAddress))
				}
			}
		}
		if len(calls) == 0 {
			v.t.Fatalf("the fake has no activity in %s..%s: the comparison proves nothing", b.from.Format(time.DateOnly), b.to.Format(time.DateOnly))
		}
		v.compare("user_activity_days", days, `SELECT user_id || '|' || day || '|' || coalesce(user_email_address, '')
			FROM user_activity_days WHERE deleted_at IS NULL`)
		v.compare("user_daily_activity", calls, `SELECT a.user_id || '|' || a.day || '|' || activity || '|' || call_id
			FROM user_daily_activity a JOIN user_activity_days d ON d.id = a.user_activity_day_id AND d.deleted_at IS NULL`)

		var stats []string
		for day := b.from; day.Before(b.to); day = day.AddDate(0, 0, 1) {
			next := day.AddDate(0, 0, 1)
			for _, u := range ds.InteractionStatsAt(at, day, next) {
				for _, s := range u.PersonInteractionStats {
					stats = append(stats, fmt.Sprintf("%s|%s|%s|%s|%s", u.UserID, day.Format(time.DateOnly), next.Format(time.DateOnly),
						s.Name, strconv.FormatFloat(s.Value, 'f', -1, 64)))
				}
			}
		}
		v.compare("user_interaction_stats", stats, `SELECT user_id || '|' || period_start || '|' || period_end || '|' || name
			|| '|' || coalesce(value::text, '') FROM user_interaction_stats WHERE deleted_at IS NULL`)
	}
	if b.library {
		var folders, calls []string
		for _, w := range ds.Workspaces() {
			fs, _ := ds.LibraryFoldersAt(at, w.ID)
			for _, f := range fs {
				folders = append(folders, fmt.Sprintf("%s|%s|%s|%s|%s|%s", f.ID, deref(f.Name), deref(f.ParentFolderID), w.ID,
					deref(f.CreatedBy), micros(f.Updated)))
				_, cs, _ := ds.LibraryFolderCallsAt(at, f.ID)
				for _, c := range cs {
					from, to := "", ""
					if c.Snippet != nil {
						from, to = strconv.FormatInt(c.Snippet.FromSec, 10), strconv.FormatInt(c.Snippet.ToSec, 10)
					}
					calls = append(calls, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s|%s", f.ID, c.ID, deref(c.Title), deref(c.Note),
						deref(c.AddedBy), micros(c.Created), deref(c.URL), from, to))
				}
			}
		}
		if len(folders) == 0 || len(calls) == 0 {
			v.t.Fatalf("the fake's library holds %d folders and %d calls: the comparison proves nothing", len(folders), len(calls))
		}
		v.compare("library_folders", folders, `SELECT id || '|' || coalesce(name, '') || '|' || coalesce(parent_folder_id, '')
			|| '|' || coalesce(workspace_id, '') || '|' || coalesce(created_by, '')
			|| '|' || coalesce(to_char(updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '')
			FROM library_folders WHERE deleted_at IS NULL`)
		v.compare("library_folder_calls", calls, `SELECT fc.folder_id || '|' || fc.call_id || '|' || coalesce(fc.title, '')
			|| '|' || coalesce(fc.note, '') || '|' || coalesce(fc.added_by, '')
			|| '|' || coalesce(to_char(fc.created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '') || '|' || coalesce(fc.url, '')
			|| '|' || coalesce(fc.snippet_from_seconds::text, '') || '|' || coalesce(fc.snippet_to_seconds::text, '')
			FROM library_folder_calls fc JOIN library_folders f ON f.id = fc.folder_id AND f.deleted_at IS NULL
			WHERE fc.deleted_at IS NULL`)
	}
	if !b.logsFrom.IsZero() {
		v.assertLogsMatchGong(at, b.logsFrom, at)
	}
	if b.outcomes {
		var outcomes []string
		for _, o := range ds.CallOutcomesAt(at) {
			outcomes = append(outcomes, fmt.Sprintf("%s|%s|%s|%s|%d", o.CallOutcome, o.Category, o.ConnectStatus, o.Sentiment, o.DisplayOrder))
		}
		v.compare("call_outcomes", outcomes, `SELECT outcome || '|' || coalesce(category, '') || '|' || coalesce(connect_status, '')
			|| '|' || coalesce(sentiment, '') || '|' || coalesce(display_order::text, '') FROM call_outcomes WHERE deleted_at IS NULL`)
	}
	if b.issue26 {
		v.assertIssue26MatchGong(at)
	}
}

// assertBeyondCallsClosed: the dated streams hold no open window and their backfill is
// done, the library's refresh is complete.
func (v *env) assertBeyondCallsClosed() {
	v.t.Helper()
	for _, s := range []string{StreamUserActivity, StreamInteractionStats} {
		cp, err := v.engine.loadDated(v.ctx, s)
		if err != nil {
			v.t.Fatal(err)
		}
		switch {
		case cp.Daily != nil:
			v.t.Errorf("%s: re-read left open: %+v", s, *cp.Daily)
		case cp.Backfill == nil || !cp.Backfill.Done || cp.Backfill.Window != nil:
			v.t.Errorf("%s: backfill not done: %+v", s, cp.Backfill)
		case cp.CompletedAt == nil || cp.HighWaterMark == nil:
			v.t.Errorf("%s: never completed a re-read: %+v", s, cp)
		}
	}
	lib, err := v.engine.loadFanout(v.ctx, StreamLibrary)
	if err != nil {
		v.t.Fatal(err)
	}
	if lib.StartedAt != nil || len(lib.Parents)+len(lib.Children) > 0 || lib.CompletedAt == nil {
		v.t.Errorf("library: refresh not complete: %+v", lib)
	}
	v.assertIssue26Closed()
	// The flows: the day's slice ended (the refresh spans a week of them).
	flows, err := v.engine.loadFlows(v.ctx)
	if err != nil {
		v.t.Fatal(err)
	}
	if flows.SliceLeft != 0 || flows.SliceStartedAt != nil || flows.CompletedAt == nil || flows.Window.Cursor != "" {
		v.t.Errorf("flows: slice left under way: %+v", flows)
	}
	// The logs: every type read up to its mark, no window open, the backfill done.
	logs, err := v.engine.loadLogs(v.ctx)
	if err != nil {
		v.t.Fatal(err)
	}
	for _, typ := range gongapi.LogTypes {
		s := logs.Types[typ]
		if s == nil || s.Window != nil || s.Mark == nil || s.Backfill == nil || !s.Backfill.Done || s.Backfill.Window != nil {
			v.t.Errorf("logs %s: %+v; want no open window, a mark, the backfill done", typ, s)
		}
	}
}
