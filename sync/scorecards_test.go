package sync

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/store"
)

// Each after-the-fact event of a review is caught by the run that should catch it,
// and counted once: a review published today, or published a little before the last
// run but shown since, by the next incremental run (the second one late); an edit and
// a deletion of today's reviews by it too; a review of two days ago shown only now, an
// edit and a deletion of older reviews (their dates are behind the incremental window)
// by the settle pass. The counts reach sync_runs and the metrics.
func TestReviewsAddedEditedAndDeletedAreCountedByTheRunThatFindsThem(t *testing.T) {
	t.Parallel()
	// Noon UTC: five in the morning in the company's zone (−07:00), so "today" holds
	// the last hours on both clocks.
	now := day0.AddDate(0, 0, 40).Add(12 * time.Hour)
	m := NewMetrics(prometheus.NewRegistry(), nil)
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 400, Clock: fakegong.NewVirtualClock(now)}), engine: Options{Metrics: m}})
	ds := v.fake.Dataset()
	v.backfill(day0, now)
	if r := v.run(StreamAnsweredScorecards); r.Inserted != 0 {
		t.Fatalf("the first incremental run after a backfill up to now found %d new reviews", r.Inserted)
	}

	calls := ds.VisibleCalls(now)
	call := func(i int) string { return calls[len(calls)-1-i].MetaData.ID }
	add := func(c string, published, shown time.Time) fakegong.ReviewSpec {
		t.Helper()
		r, err := ds.AddReview(fakegong.NewReview{CallID: c, ReviewTime: published, ShownAt: shown})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	fresh := add(call(0), now.Add(10*time.Minute), now.Add(11*time.Minute))        // published after the last run
	nearLate := add(call(1), now.Add(-2*time.Hour), now.Add(20*time.Minute))       // today, shown after the last run
	todayEdited := add(call(2), now.Add(-3*time.Hour), now.Add(-3*time.Hour))      // synced before, edited now
	todayDeleted := add(call(3), now.Add(-150*time.Minute), now.Add(-2*time.Hour)) // synced before, deleted now
	farLate := add(call(4), now.Add(-48*time.Hour), now.Add(25*time.Minute))       // two days ago, shown only now
	oldEdited := add(call(5), now.Add(-72*time.Hour), now.Add(-72*time.Hour))
	oldDeleted := add(call(6), now.Add(-96*time.Hour), now.Add(-96*time.Hour))
	// The ones published before now are in the tables: Gong showed them after the run
	// that set the high-water mark had passed them, so they count as late.
	if setup := v.run(StreamAnsweredScorecardsSettle); setup.Inserted != 4 || setup.Late != 4 {
		t.Fatalf("the settle pass found %d new reviews, %d late; want the 4 added before now, late", setup.Inserted, setup.Late)
	}
	for _, id := range []string{todayEdited.ID, oldEdited.ID} {
		if _, err := ds.EditReview(id, now.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{todayDeleted.ID, oldDeleted.ID} {
		if _, err := ds.DeleteReview(id, now.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}

	v.clock.Set(now.Add(30 * time.Minute))
	r := v.run(StreamAnsweredScorecards)
	if r.Inserted != 2 || r.Late != 1 || r.Changed != 1 || r.Deleted != 1 || r.Restored != 0 {
		t.Fatalf("incremental run: inserted %d late %d changed %d deleted %d restored %d; want 2 1 1 1 0",
			r.Inserted, r.Late, r.Changed, r.Deleted, r.Restored)
	}
	for _, id := range []string{fresh.ID, nearLate.ID} {
		if v.count(`SELECT count(*) FROM answered_scorecards WHERE id = $1 AND deleted_at IS NULL`, id) != 1 {
			t.Errorf("review %s is not in the table", id)
		}
	}
	if v.count(`SELECT count(*) FROM answered_scorecards WHERE id = $1`, farLate.ID) != 0 {
		t.Fatal("the incremental run read back two days")
	}

	r = v.run(StreamAnsweredScorecardsSettle)
	if r.Inserted != 1 || r.Late != 1 || r.Changed != 1 || r.Deleted != 1 || r.Restored != 0 {
		t.Fatalf("settle: inserted %d late %d changed %d deleted %d restored %d; want 1 1 1 1 0",
			r.Inserted, r.Late, r.Changed, r.Deleted, r.Restored)
	}
	if r = v.run(StreamAnsweredScorecardsSettle); r.Inserted+r.Changed+r.Deleted+r.Restored != 0 {
		t.Fatalf("a second settle pass found inserted %d changed %d deleted %d restored %d", r.Inserted, r.Changed, r.Deleted, r.Restored)
	}
	v.assertScorecardsMatchGong(v.clock.Now())
	if v.count(`SELECT count(*) FROM answered_scorecards WHERE id = ANY($1) AND deleted_at IS NOT NULL`, []string{todayDeleted.ID, oldDeleted.ID}) != 2 {
		t.Error("the deleted reviews are not marked deleted")
	}

	if n := v.count(`SELECT coalesce(sum(late_calls), 0) FROM sync_runs WHERE stream LIKE 'answered_scorecards%'`); n != 4+2 {
		t.Errorf("sync_runs: %d late reviews, want 4+2", n)
	}
	if n := v.count(`SELECT coalesce(sum(deleted_calls), 0) FROM sync_runs WHERE stream LIKE 'answered_scorecards%'`); n != 2 {
		t.Errorf("sync_runs: %d deleted reviews, want 2", n)
	}
	found := func(stream, kind string) float64 {
		return testutil.ToFloat64(m.recordsFound.WithLabelValues(stream, kind))
	}
	if found(StreamAnsweredScorecards, "late") != 1 || found(StreamAnsweredScorecardsSettle, "late") != 4+1 ||
		found(StreamAnsweredScorecards, "changed") != 1 || found(StreamAnsweredScorecardsSettle, "deleted") != 1 {
		t.Errorf("metrics: late %v+%v, changed %v, deleted by settle %v", found(StreamAnsweredScorecards, "late"),
			found(StreamAnsweredScorecardsSettle, "late"), found(StreamAnsweredScorecards, "changed"), found(StreamAnsweredScorecardsSettle, "deleted"))
	}
	if got := testutil.ToFloat64(m.found.WithLabelValues("late")); got != 0 {
		t.Errorf("late reviews counted as %v late calls", got)
	}
}

// Reviews keep arriving late, being edited and deleted while the sync runs on its
// schedule: incremental runs every three hours and a daily settle pass end with the
// tables equal to Gong, every late review counted.
func TestScheduledRunsCatchLateEditedAndDeletedReviews(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{
		fake: fakegong.Options{Calls: 500, Clock: fakegong.NewVirtualClock(day0), LateShare: 0.2, ChangeShare: 0.2, DeleteShare: 0.1},
	})
	end := day0.AddDate(0, 0, 30+8)
	var late, changed, deleted int
	lastSettle := v.clock.Now()
	for v.clock.Now().Before(end) {
		v.clock.Advance(3 * time.Hour)
		r := v.run(StreamAnsweredScorecards)
		late, changed, deleted = late+r.Late, changed+r.Changed, deleted+r.Deleted
		if v.clock.Now().Sub(lastSettle) >= 24*time.Hour {
			lastSettle = v.clock.Now()
			r := v.run(StreamAnsweredScorecardsSettle)
			late, changed, deleted = late+r.Late, changed+r.Changed, deleted+r.Deleted
		}
	}
	v.run(StreamScorecards)
	// The calls too: a review of a call Gong deleted is gone with it.
	v.run(StreamAnsweredScorecardsSettle)
	v.assertScorecardsMatchGong(v.clock.Now())
	wantLate, wantEdited, wantDeleted := reviewCounts(v.fake.Dataset(), v.clock.Now())
	t.Logf("found late %d (%d shown hours late), changed %d (%d edited), deleted %d (%d deleted)",
		late, wantLate, changed, wantEdited, deleted, wantDeleted)
	if late < wantLate || changed == 0 || deleted == 0 {
		t.Errorf("late %d (want at least %d), changed %d, deleted %d", late, wantLate, changed, deleted)
	}
}

// The definitions are a full refresh: a scorecard Gong stops listing is marked deleted
// with its questions out of the live view, and restored when it comes back.
func TestScorecardsMissingFromARefreshAreDeletedAndRestored(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 10})})
	v.run(StreamScorecards)
	cards := v.fake.Dataset().ScorecardsAt(v.clock.Now())
	gone := cards[2].ScorecardID
	if err := v.fake.Dataset().RemoveScorecard(gone, v.clock.Now().Add(time.Minute), v.clock.Now().Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	v.clock.Advance(time.Hour)
	if r := v.run(StreamScorecards); r.Deleted != 1 || r.Requests != 1 {
		t.Fatalf("deleted %d scorecards in %d requests, want 1 in 1", r.Deleted, r.Requests)
	}
	if n := v.count(`SELECT count(*) FROM live_scorecard_questions WHERE scorecard_id = $1`, gone); n != 0 {
		t.Errorf("%d questions of the removed scorecard are live", n)
	}
	v.assertScorecardDefinitionsMatchGong(v.clock.Now())
	v.clock.Advance(2 * time.Hour)
	if r := v.run(StreamScorecards); r.Restored != 1 || r.Deleted != 0 {
		t.Fatalf("restored %d deleted %d, want 1 0", r.Restored, r.Deleted)
	}
	if n := v.count(`SELECT count(*) FROM scorecards WHERE deleted_at IS NULL`); n != len(cards) {
		t.Fatalf("%d live scorecards, want %d", n, len(cards))
	}
}

// An access key without the answered scorecards' scope: Gong refuses that endpoint;
// everything else syncs, the refusal is in status with the scope, the stream is not
// asked again for a day, and a backfill goes on without it and ends saying so.
func TestKeyWithoutTheScorecardsScopeSyncsEverythingElse(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 200, WithheldScopes: []string{"api:stats:scorecards"}}),
		engine: Options{SettleWindow: 60 * 24 * time.Hour}})
	reps, err := v.engine.Pass(v.ctx, nil, KindSync, true)
	if !errors.Is(err, gongapi.ErrScopeMissing) {
		t.Fatalf("pass: %v; want the refusal", err)
	}
	for _, r := range reps {
		want := store.RunSucceeded
		if r.Stream == StreamAnsweredScorecards {
			want = store.RunFailed
		}
		if r.Status != want {
			t.Errorf("%s: %s (%v), want %s", r.Stream, r.Status, r.Err, want)
		}
	}
	if len(reps) != len(AllStreams) || v.count(`SELECT count(*) FROM calls`) == 0 || v.count(`SELECT count(*) FROM scorecard_questions`) == 0 {
		t.Fatalf("%d streams ran; calls or scorecards not synced", len(reps))
	}
	s, err := v.engine.Status(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ss := range s.Streams {
		switch {
		case ss.Stream == StreamAnsweredScorecards:
			if ss.Refused == nil || ss.Refused.Scope != "api:stats:scorecards" || ss.Refused.Endpoint != gongapi.EndpointAnsweredScorecards {
				t.Errorf("status of %s: refused %+v; want the scope named", ss.Stream, ss.Refused)
			}
		case ss.Refused != nil:
			t.Errorf("status of %s: refused %+v", ss.Stream, ss.Refused)
		}
	}

	v.clock.Advance(time.Hour)
	v.fake.ResetStats()
	if _, err := v.engine.Pass(v.ctx, nil, KindSync, true); err != nil {
		t.Fatalf("second pass: %v", err)
	}
	if n := v.fake.Stats().ByEndpoint[gongapi.EndpointAnsweredScorecards]; n != 0 {
		t.Errorf("the refused stream was asked %d times within the day", n)
	}

	rep, err := v.engine.Backfill(v.ctx, BackfillRequest{From: day0, To: day0.AddDate(0, 0, 30)})
	if !errors.Is(err, gongapi.ErrScopeMissing) || !strings.Contains(err.Error(), StreamAnsweredScorecards) || !rep.Done {
		t.Fatalf("backfill: %v, done %v; want the calls done and the refusal named", err, rep.Done)
	}
}

// What the answered scorecards cost: a backfill of R reviews reads ⌈R/100⌉ pages, plus
// one final page per window of reviewBackfillDays dates; an incremental run with
// nothing new one request (today's reviews); a settle pass ⌈reviews of the week/100⌉,
// plus one.
func TestAnsweredScorecardsEconomy(t *testing.T) {
	t.Parallel()
	end := day0.AddDate(0, 3, 0)
	now := end.AddDate(0, 0, 8)
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 3000, From: day0, To: end, Clock: fakegong.NewVirtualClock(now)})})
	v.fake.ResetStats()
	if _, err := v.engine.Backfill(v.ctx, BackfillRequest{From: day0, To: now, Streams: []string{StreamAnsweredScorecards}}); err != nil {
		t.Fatalf("backfill: %v", err)
	}
	if cp, err := v.engine.loadReviews(v.ctx, StreamAnsweredScorecards); err != nil || cp.Backfill == nil || !cp.Backfill.Done {
		t.Fatalf("the backfill of the answered scorecards is not done: %v", err)
	}
	reviews := len(v.fake.Dataset().AnsweredScorecardsAt(now))
	windows := int64(math.Ceil(now.Sub(day0).Hours()/24/reviewBackfillDays)) + 1
	floor := int64(math.Ceil(float64(reviews) / 100))
	got := v.fake.Stats().ByEndpoint[gongapi.EndpointAnsweredScorecards]
	t.Logf("%d reviews: %d requests, floor %d, %d windows", reviews, got, floor, windows)
	if reviews < 500 || got < floor || got > floor+windows {
		t.Errorf("%d reviews cost %d requests; want between %d and %d", reviews, got, floor, floor+windows)
	}
	if n := v.count(`SELECT count(*) FROM answered_scorecards`); n != reviews {
		t.Errorf("%d reviews stored, Gong serves %d", n, reviews)
	}
	for i := range 3 {
		v.clock.Advance(15 * time.Minute)
		v.fake.ResetStats()
		if r := v.run(StreamAnsweredScorecards); r.Requests != 1 || v.fake.Stats().Total != 1 {
			t.Errorf("incremental run %d with nothing new: %d requests", i, r.Requests)
		}
	}
	v.fake.ResetStats()
	week := v.count(`SELECT count(*) FROM answered_scorecards WHERE review_time >= $1`, v.clock.Now().Add(-8*24*time.Hour))
	r := v.run(StreamAnsweredScorecardsSettle)
	if max := int64(math.Ceil(float64(week)/100)) + 1; int64(r.Requests) > max || r.Requests == 0 {
		t.Errorf("settle over %d reviews: %d requests, want at most %d", week, r.Requests, max)
	}
}

// A backfill over a range of calls stores every review of those calls, whenever it was
// written: a review written after the backfill's end of a call near it is older than
// the first incremental window, and was lost when the backfill selected reviews by
// review date (issue 25: 270 of 272 after the quickstart). Gong selects them by the
// calls' dates as well.
func TestBackfillStoresEveryReviewOfItsCallsWheneverWritten(t *testing.T) {
	t.Parallel()
	now := day0.AddDate(0, 0, 60).Add(12 * time.Hour)
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 400, Clock: fakegong.NewVirtualClock(now)})})
	ds := v.fake.Dataset()
	end := day0.AddDate(0, 0, 30)
	// The last calls of the range get reviews written well after it ends, before the
	// settle window the first sync re-reads.
	var lastCalls []string
	for _, c := range ds.VisibleCalls(now) {
		if c.MetaData.Started.Before(end) && c.MetaData.Started.After(end.Add(-48*time.Hour)) {
			lastCalls = append(lastCalls, c.MetaData.ID)
		}
	}
	if len(lastCalls) == 0 {
		t.Fatal("no call in the range's last two days: the test proves nothing")
	}
	for i, id := range lastCalls {
		written := end.AddDate(0, 0, 5+i%10)
		if _, err := ds.AddReview(fakegong.NewReview{CallID: id, ReviewTime: written}); err != nil {
			t.Fatal(err)
		}
	}

	rep := v.backfill(day0, end)
	if !rep.Done {
		t.Fatalf("backfill not done: %s", rep.Message())
	}
	v.pass()

	want := map[string]bool{}
	for _, r := range ds.AnsweredScorecardsAt(now) {
		if !r.CallStartTime.Before(day0) && r.CallStartTime.Before(end) {
			want[string(r.AnsweredScorecardID)] = true
		}
	}
	stored := v.count(`SELECT count(*) FROM answered_scorecards WHERE deleted_at IS NULL AND call_started >= $1 AND call_started < $2`, day0, end)
	missing := 0
	for id := range want {
		if v.count(`SELECT count(*) FROM answered_scorecards WHERE id = $1 AND deleted_at IS NULL`, id) != 1 {
			missing++
		}
	}
	t.Logf("%d reviews of the range's calls in Gong (%d written after its end), %d stored", len(want), len(lastCalls), stored)
	if missing > 0 || stored != len(want) {
		t.Errorf("%d of %d reviews of the backfilled calls are missing; %d stored", missing, len(want), stored)
	}
}
