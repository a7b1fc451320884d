package sync

import (
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// A backfill of the whole dataset, up to now, then incremental runs: the tables hold
// exactly what Gong holds, call by call, party by party, sentence by sentence, and
// so do the tables beyond calls (each user's days of activity and stats, the library,
// the call outcomes).
func TestBackfillThenIncrementalMatchesGong(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: fakegong.Options{Calls: 400}})
	rep := v.backfill(day0, v.clock.Now())
	if !rep.Done {
		t.Fatalf("backfill not done: %s", rep.Message())
	}
	v.beyond = &beyondCalls{from: day0, to: readUpTo(v.clock.Now()), library: true, outcomes: true, logsFrom: day0, issue26: true}
	v.assertMatchesGong(v.clock.Now())
	v.assertScorecardsMatchGong(v.clock.Now())

	// Nothing changed in Gong: a second pass writes nothing new, and neither does a
	// re-read of the streams beyond calls (the backfill read the days a pass would
	// have, so none is due). The flows, which no backfill reads, are the exception:
	// each day's slice asks about owners not asked before.
	v.clock.Advance(time.Hour)
	reps := v.pass()
	reps = append(reps, v.pass(groupStreams(scheduleDaily)...)...)
	for _, r := range reps {
		if r.Stream != StreamFlows && r.Inserted+r.Changed+r.Deleted+r.Restored != 0 {
			t.Errorf("%s: a pass over unchanged data found new %d changed %d deleted %d restored %d",
				r.Stream, r.Inserted, r.Changed, r.Deleted, r.Restored)
		}
	}
	t.Logf("%d days of activity (%d calls in them), %d stats, %d library folders holding %d calls, %d call outcomes",
		v.count(`SELECT count(*) FROM user_activity_days`), v.count(`SELECT count(*) FROM user_daily_activity`),
		v.count(`SELECT count(*) FROM user_interaction_stats`), v.count(`SELECT count(*) FROM library_folders`),
		v.count(`SELECT count(*) FROM library_folder_calls`), v.count(`SELECT count(*) FROM call_outcomes`))
	if len(reps) != 5+len(groupStreams(scheduleDaily)) {
		t.Errorf("%d runs; want calls, transcripts, answered scorecards, flows and logs due (a backfill completes neither "+
			"a slice of flows nor a daily run of logs), then the daily streams named", len(reps))
	}
	// The rest of the flows' refresh, a slice a run.
	for i := 0; ; i++ {
		cp, err := v.engine.loadFlows(v.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cp.RefreshStartedAt == nil {
			break
		}
		if i == 7 {
			t.Fatalf("the flows' refresh is not complete after a week of slices: %+v", cp)
		}
		v.run(StreamFlows)
	}
	v.assertFlowsMatchGong(v.clock.Now())
	v.assertMatchesGong(v.clock.Now())
	v.assertScorecardsMatchGong(v.clock.Now())
	if n := v.count(`SELECT count(*) FROM users WHERE deleted_at IS NULL`); n != len(v.fake.Dataset().UsersAt(v.clock.Now())) {
		t.Errorf("users: %d in the table", n)
	}
	if n := v.count(`SELECT count(*) FROM workspaces`); n != len(v.fake.Dataset().Workspaces()) {
		t.Errorf("workspaces: %d in the table", n)
	}
	if n := v.count(`SELECT count(*) FROM trackers`); n != len(v.fake.Dataset().Trackers()) {
		t.Errorf("trackers: %d in the table", n)
	}
	v.assertUserAndTrackerRowsMatchGong(v.clock.Now())
}

// Gong's calls keep arriving late, changing and disappearing while the sync runs on
// its schedule: incremental runs every three hours of (virtual) time and a daily
// settle pass end with the tables equal to Gong, and every late call was counted.
func TestScheduledRunsCatchLateChangedAndDeletedCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("incremental runs every three hours and a daily settle pass, over virtual days: long scenario; runs in make test")
	}
	t.Parallel()
	v := newEnv(t, envOptions{
		fake: fakegong.Options{Calls: 300, Clock: fakegong.NewVirtualClock(day0), LateShare: 0.15, ChangeShare: 0.15, DeleteShare: 0.08},
		// Gong deletes and changes calls up to ten days after processing them here;
		// a settle window of two weeks re-reads them all.
		engine: Options{SettleWindow: 14 * 24 * time.Hour},
	})
	end := day0.AddDate(0, 0, 30+15)
	var late, changed, deleted, restored int
	lastSettle := v.clock.Now()
	for v.clock.Now().Before(end) {
		v.clock.Advance(3 * time.Hour)
		for _, r := range v.pass(StreamCalls, StreamTranscripts) {
			late, changed, deleted, restored = late+r.Late, changed+r.Changed, deleted+r.Deleted, restored+r.Restored
		}
		if v.clock.Now().Sub(lastSettle) >= 24*time.Hour {
			lastSettle = v.clock.Now()
			r := v.run(StreamSettle)
			late, changed, deleted, restored = late+r.Late, changed+r.Changed, deleted+r.Deleted, restored+r.Restored
		}
	}
	v.run(StreamTranscripts)
	v.assertMatchesGong(v.clock.Now())

	var wantLate, wantDeleted, wantChanged int
	for _, c := range v.fake.Dataset().AllCalls() {
		if c.Late {
			wantLate++
		}
		if !c.DeletedAt.IsZero() && c.RestoredAt.IsZero() {
			wantDeleted++
		}
		if !c.ChangedAt.IsZero() {
			wantChanged++
		}
	}
	t.Logf("found late %d (Gong processed %d calls hours late), changed %d (%d calls change), deleted %d (%d deleted), restored %d",
		late, wantLate, changed, wantChanged, deleted, wantDeleted, restored)
	if late < wantLate {
		t.Errorf("late calls counted %d, want at least the %d Gong processed hours late", late, wantLate)
	}
	if deleted < wantDeleted {
		t.Errorf("deleted calls counted %d, want at least %d", deleted, wantDeleted)
	}
	if changed == 0 {
		t.Error("no changed call was counted")
	}
}

// Users missing from a complete refresh are marked deleted; one who comes back is
// restored.
func TestUsersMissingFromARefreshAreDeletedAndRestored(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 10, Users: 150})})
	v.run(StreamUsers)
	users := v.fake.Dataset().UsersAt(v.clock.Now())
	gone := users[3].ID
	if err := v.fake.Dataset().RemoveUser(gone, v.clock.Now().Add(time.Minute), v.clock.Now().Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	v.clock.Advance(time.Hour)
	if r := v.run(StreamUsers); r.Deleted != 1 {
		t.Fatalf("deleted %d users, want 1", r.Deleted)
	}
	if n := v.count(`SELECT count(*) FROM users WHERE id = $1 AND deleted_at IS NOT NULL`, gone); n != 1 {
		t.Fatal("the removed user is not marked deleted")
	}
	v.clock.Advance(2 * time.Hour)
	if r := v.run(StreamUsers); r.Restored != 1 || r.Deleted != 0 {
		t.Fatalf("restored %d deleted %d, want 1 0", r.Restored, r.Deleted)
	}
	if n := v.count(`SELECT count(*) FROM users WHERE deleted_at IS NULL`); n != len(users) {
		t.Fatalf("%d live users, want %d", n, len(users))
	}
}
