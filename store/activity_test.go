package store

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// addStatsTables adds the tables of the streams beyond calls to the shape check.
func addStatsTables(add func(name string, names []string, types map[string]reflect.Type)) {
	add(activityDayEntity.table, activityDayEntity.shape.names, fieldTypes[UserActivityDay]())
	day := activityDayEntity.children[0]
	types := fieldTypes[UserDailyActivity]()
	types["user_activity_day_id"] = reflect.TypeFor[string]()
	add(day.tableName(), day.columnNames(), types)
	add(interactionStatEntity.table, interactionStatEntity.shape.names, fieldTypes[UserInteractionStat]())
	add(libraryFolderEntity.table, libraryFolderEntity.shape.names, fieldTypes[LibraryFolder]())
	add(libraryFolderCallEntity.table, libraryFolderCallEntity.shape.names, fieldTypes[LibraryFolderCall]())
	add(callOutcomeEntity.table, callOutcomeEntity.shape.names, fieldTypes[CallOutcome]())
}

// seedBeyondCalls writes, for the live views' test, two records of each entity table
// of the streams beyond calls (the second is then marked deleted by the test), and
// rows naming the kept and the deleted call in the tables that name calls: in a kept
// day and a kept folder, so only the call's deletion can hide them.
func seedBeyondCalls(t *testing.T, s *Store, keepCall, goneCall string, ids map[string][2]string) {
	t.Helper()
	ctx := context.Background()
	d1, d2 := time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	raw := []byte(`{}`)
	days := []UserActivityDay{
		{ID: "u1|2024-03-04", UserID: "u1", Day: d1, Raw: raw, Calls: []UserDailyActivity{
			{UserID: "u1", Day: d1, Activity: "callsAsHost", CallID: keepCall},
			{UserID: "u1", Day: d1, Activity: "othersCallsListenedTo", CallID: goneCall},
			{UserID: "u1", Day: d1, Activity: "callsAttended", CallID: "never-synced"},
		}},
		{ID: "u1|2024-03-05", UserID: "u1", Day: d2, Raw: raw, Calls: []UserDailyActivity{
			{UserID: "u1", Day: d2, Activity: "callsAsHost", CallID: "other"},
		}},
	}
	stats := []UserInteractionStat{
		{ID: "u1|2024-03-04|2024-03-05|Patience", UserID: "u1", PeriodStart: d1, PeriodEnd: d2, Name: "Patience", Raw: raw},
		{ID: "u1|2024-03-05|2024-03-06|Patience", UserID: "u1", PeriodStart: d2, PeriodEnd: d2.AddDate(0, 0, 1), Name: "Patience", Raw: raw},
	}
	folders := []LibraryFolder{{ID: "f1", Raw: raw}, {ID: "f2", Raw: raw}}
	folderCalls := []LibraryFolderCall{
		{ID: "f1|" + keepCall + "||", FolderID: "f1", CallID: keepCall, Raw: raw},
		{ID: "f1|" + goneCall + "||", FolderID: "f1", CallID: goneCall, Raw: raw},
		{ID: "f2|other||", FolderID: "f2", CallID: "other", Raw: raw},
	}
	outcomes := []CallOutcome{{ID: "Closed won", Outcome: "Closed won", Raw: raw}, {ID: "Escalated", Outcome: "Escalated", Raw: raw}}
	if err := s.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.UpsertActivityDays(ctx, days); err != nil {
			return err
		}
		if _, err := tx.UpsertInteractionStats(ctx, stats); err != nil {
			return err
		}
		if _, err := tx.UpsertLibraryFolders(ctx, folders); err != nil {
			return err
		}
		if _, err := tx.UpsertLibraryFolderCalls(ctx, folderCalls); err != nil {
			return err
		}
		_, err := tx.UpsertCallOutcomes(ctx, outcomes)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ids["user_activity_days"] = [2]string{days[0].ID, days[1].ID}
	ids["user_interaction_stats"] = [2]string{stats[0].ID, stats[1].ID}
	ids["library_folders"] = [2]string{"f1", "f2"}
	ids["call_outcomes"] = [2]string{"Closed won", "Escalated"}
}

// The rows that belong to a day or a folder leave the live views with it, and a call
// never synced does not hide the rows that name it.
func TestLiveViewsLeaveOutTheRowsOfDeletedDaysAndFolders(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	ids := map[string][2]string{}
	seedBeyondCalls(t, s, "c-keep", "c-gone", ids)
	count := func(sql string) int {
		t.Helper()
		var n int
		if err := s.pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	// No call is stored: none is known to be deleted, so every row shows.
	if n := count(`SELECT count(*) FROM live_user_daily_activity`); n != 4 {
		t.Fatalf("live_user_daily_activity shows %d of 4 rows, with no call known deleted", n)
	}
	for _, sql := range []string{
		`UPDATE user_activity_days SET deleted_at = now() WHERE id = 'u1|2024-03-05'`,
		`UPDATE library_folders SET deleted_at = now() WHERE id = 'f2'`,
		`UPDATE library_folder_calls SET deleted_at = now() WHERE id = 'f1|c-gone||'`,
	} {
		if _, err := s.pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(`SELECT count(*) FROM live_user_daily_activity WHERE day = '2024-03-05'`); n != 0 {
		t.Errorf("live_user_daily_activity shows %d rows of a deleted day", n)
	}
	if n := count(`SELECT count(*) FROM live_user_daily_activity WHERE day = '2024-03-04'`); n != 3 {
		t.Errorf("live_user_daily_activity shows %d of the 3 rows of a live day", n)
	}
	if n := count(`SELECT count(*) FROM live_library_folder_calls`); n != 1 {
		t.Errorf("live_library_folder_calls shows %d rows; want the one not deleted in the live folder", n)
	}
}

// A day whose activity Gong revised gets its calls rewritten; one read again the same
// is unchanged, its rows untouched.
func TestActivityDayRowsFollowTheirDay(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	d := time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	day := UserActivityDay{ID: "u1|2024-03-04", UserID: "u1", Day: d, Raw: []byte(`{"callsAsHost":["1"]}`),
		Calls: []UserDailyActivity{{UserID: "u1", Day: d, Activity: "callsAsHost", CallID: "1"}}}
	write := func(day UserActivityDay) UpsertResult {
		t.Helper()
		var res UpsertResult
		if err := s.Transact(ctx, func(tx *Tx) error {
			var err error
			res, err = tx.UpsertActivityDays(ctx, []UserActivityDay{day})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return res
	}
	rows := func() []string {
		t.Helper()
		r, err := s.pool.Query(ctx, `SELECT activity || ':' || call_id FROM user_daily_activity ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for r.Next() {
			var x string
			if err := r.Scan(&x); err != nil {
				t.Fatal(err)
			}
			out = append(out, x)
		}
		return out
	}
	if res := write(day); len(res.Inserted) != 1 {
		t.Fatalf("first write: %+v", res)
	}
	day.Raw = []byte(`{"callsAsHost":["1"],"othersCallsListenedTo":["2"]}`)
	day.Calls = append(day.Calls, UserDailyActivity{UserID: "u1", Day: d, Activity: "othersCallsListenedTo", CallID: "2"})
	if res := write(day); len(res.Changed) != 1 {
		t.Fatalf("revised day: %+v, want it changed", res)
	}
	if got := rows(); len(got) != 2 || got[0] != "callsAsHost:1" || got[1] != "othersCallsListenedTo:2" {
		t.Fatalf("rows after the revision: %v", got)
	}
	if res := write(day); res.Unchanged != 1 {
		t.Fatalf("same day again: %+v, want it unchanged", res)
	}
	var stored time.Time
	if err := s.pool.QueryRow(ctx, `SELECT day FROM user_activity_days`).Scan(&stored); err != nil || !stored.Equal(d) {
		t.Fatalf("day stored as %v (%v), want %v", stored, err, d)
	}
}
