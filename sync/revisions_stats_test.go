package sync

import (
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// Gong revises recent days of activity and stats (late calls, listens and feedback
// shown a day or more after they happened), and folders and outcomes come and go. A
// day later the daily streams find what changed and count it: days revised, a folder
// and an outcome gone (deleted_at); and the tables equal what the fake serves then.
func TestLateActivityAndRemovalsAreCaughtAndCounted(t *testing.T) {
	t.Parallel()
	// The clock stands amid the calls: the latest days' processing, listens and
	// feedback are still to come.
	// A third of the calls processed hours or days late: their days' figures change.
	v := newEnv(t, envOptions{fake: fakegong.Options{LateShare: 0.3}})
	v.clock.Set(day0.AddDate(0, 0, 25).Add(6 * time.Hour))
	daily := groupStreams(scheduleDaily)
	first := v.clock.Now()
	v.pass(append([]string{StreamUsers, StreamWorkspaces}, daily...)...) // the library lists the folders of each workspace synced
	from := gongToday(first).AddDate(0, 0, -v.engine.lookbackDays())
	v.assertBeyondCallsMatchGong(first, &beyondCalls{from: from, to: gongToday(first), library: true, outcomes: true})
	mark, err := v.st.Now(v.ctx)
	if err != nil {
		t.Fatal(err)
	}

	// A day later: an administrator removed a folder and an outcome meanwhile.
	v.clock.Advance(24 * time.Hour)
	ds := v.fake.Dataset()
	folder := ds.LibraryFolderIDs()[0]
	if err := ds.RemoveLibraryFolder(folder, v.clock.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	outcome := ds.CallOutcomesAt(v.clock.Now())[0].CallOutcome
	if err := ds.RemoveCallOutcome(outcome, v.clock.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	byStream := map[string]*RunReport{}
	for _, r := range v.pass(daily...) {
		byStream[r.Stream] = r
	}
	for _, s := range daily {
		r := byStream[s]
		t.Logf("%s a day later: %d requests, %d new, %d changed, %d deleted, %d restored", s, r.Requests, r.Inserted, r.Changed, r.Deleted, r.Restored)
	}
	if r := byStream[StreamUserActivity]; r.Changed == 0 || r.Inserted == 0 {
		t.Errorf("activity: a day later the re-read found no day revised, or no new one: %+v", *r)
	}
	// A user's figures of a day already read appear when a late call of theirs is
	// processed (or change, when they had another call that day).
	if n := v.count(`SELECT count(*) FROM user_interaction_stats WHERE period_start < $1 AND (first_seen_at > $2 OR updated_at > $2)`,
		gongToday(first), mark); n == 0 || byStream[StreamInteractionStats].Inserted+byStream[StreamInteractionStats].Changed < n {
		t.Errorf("interaction stats: %d figures of days read a day earlier revised; the run counted %+v", n, *byStream[StreamInteractionStats])
	}
	if r := byStream[StreamLibrary]; r.Deleted < 1 {
		t.Errorf("library: the removed folder was not counted deleted: %+v", *r)
	}
	if r := byStream[StreamCallOutcomes]; r.Deleted != 1 {
		t.Errorf("call outcomes: %d deleted, want the one removed", r.Deleted)
	}
	if n := v.count(`SELECT count(*) FROM library_folders WHERE id = $1 AND deleted_at IS NOT NULL`, folder); n != 1 {
		t.Errorf("the removed folder has no deleted_at")
	}
	if n := v.count(`SELECT count(*) FROM live_library_folder_calls WHERE folder_id = $1`, folder); n != 0 {
		t.Errorf("live_library_folder_calls still shows %d calls of the removed folder", n)
	}
	if n := v.count(`SELECT count(*) FROM call_outcomes WHERE id = $1 AND deleted_at IS NOT NULL`, outcome); n != 1 {
		t.Errorf("the removed outcome %q has no deleted_at", outcome)
	}
	// The first run's oldest day is past revision; the tables equal Gong over every day read.
	v.assertBeyondCallsMatchGong(v.clock.Now(), &beyondCalls{from: from, to: gongToday(v.clock.Now()), library: true, outcomes: true})
}
