package sync

import (
	"math"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// The sweep is one mechanism with a part per swept stream: the answered scorecards'
// part re-reads their review dates older than the settle window as the calls' part
// re-reads calls. Reviews edited, deleted, and gone with their call then back, 10, 30
// and 80 days after they were published, are found within a sweep period and counted
// with their ages; both parts together stay within the sweep's share each day; a
// review pass costs ⌈reviews/100⌉ requests plus at most one per slice; the tables
// equal Gong's.
func TestSweepRereadsAnsweredScorecards(t *testing.T) {
	if testing.Short() {
		t.Skip("a week of nightly sweep slices over the review dates: long scenario; runs in make test")
	}
	t.Parallel()
	v, start := newSweepEnv(t)
	ds := v.fake.Dataset()
	v.backfill(day0, start)
	v.assertAnsweredScorecardsMatchGong(start)

	visible := func(at time.Time) map[string]bool {
		out := map[string]bool{}
		for _, r := range ds.AnsweredScorecardsAt(at) {
			out[r.AnsweredScorecardID.String()] = true
		}
		return out
	}
	before := visible(start)

	// At each age one review is edited, one deleted, and one goes with its call, which
	// comes back a period later.
	at := start.Add(time.Hour)
	var edited []string
	var flickerCalls []string
	used := map[string]bool{}
	for _, age := range []int{10, 30, 80} {
		var picked []fakegong.ReviewSpec
		for _, r := range ds.Reviews() {
			d := start.Sub(r.ReviewTime).Hours() / 24
			if d >= float64(age) && d < float64(age)+2 && before[r.ID] && !used[r.CallID] {
				picked = append(picked, r)
				used[r.CallID] = true
			}
			if len(picked) == 3 {
				break
			}
		}
		if len(picked) < 3 {
			t.Fatalf("no three reviews of three calls %d days old", age)
		}
		if _, err := ds.EditReview(picked[0].ID, at); err != nil {
			t.Fatal(err)
		}
		if _, err := ds.DeleteReview(picked[1].ID, at); err != nil {
			t.Fatal(err)
		}
		if _, err := ds.DeleteCall(picked[2].CallID, at); err != nil {
			t.Fatal(err)
		}
		edited = append(edited, picked[0].ID)
		flickerCalls = append(flickerCalls, picked[2].CallID)
	}
	after := visible(at)
	gone := 0
	for id := range before {
		if !after[id] {
			gone++
		}
	}

	// sweepDays runs both parts of the sweep once a day for a period, as the daemon's
	// nightly schedule does, after the answered scorecards' incremental run, and
	// returns what the reviews' part found.
	sweepDays := func() (changed, deleted, restored int, ages map[string]map[string]int) {
		return sweepWeek(v, func(day int) *RunReport {
			v.run(StreamAnsweredScorecards) // the reviews published meanwhile (of the last calls)
			calls := v.run(StreamSweep)
			rep := v.run(StreamAnsweredScorecardsSweep)
			if limit := int(sweepShare * sweepBudget); calls.Requests+rep.Requests > limit {
				t.Fatalf("day %d: the sweep spent %d+%d requests, more than its share (%d)", day, calls.Requests, rep.Requests, limit)
			}
			return rep
		})
	}

	v.fake.ResetStats()
	changed, deleted, restored, ages := sweepDays()
	if changed != len(edited) || deleted != gone || restored != 0 {
		t.Errorf("first period: found %d changed, %d deleted, %d restored reviews; want %d, %d, 0", changed, deleted, restored, len(edited), gone)
	}
	// Ages are counted from the review date on the day the sweep finds a review: 10, 30
	// and 80 days old at the edit, up to a week more when found.
	if want := map[string]int{"7-30d": 1, "30-90d": 2}; ages["changed"]["7-30d"] != want["7-30d"] || ages["changed"]["30-90d"] != want["30-90d"] {
		t.Errorf("changed reviews found at ages %v, want %v", ages["changed"], want)
	}
	for _, id := range edited {
		if v.count(`SELECT count(*) FROM answered_scorecards WHERE id = $1 AND deleted_at IS NULL`, id) != 1 {
			t.Errorf("edited review %s is not live", id)
		}
	}
	v.assertAnsweredScorecardsMatchGong(v.clock.Now())
	if n := v.count(`SELECT count(*) FROM answered_scorecards WHERE deleted_at IS NOT NULL`); n != gone {
		t.Errorf("%d reviews marked deleted, want %d", n, gone)
	}

	// The pass's cost: ⌈reviews/100⌉ plus at most one per slice, and what Gong served.
	part, err := loadReviewsSweep(v.engine, v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	lp := part.state().LastPass
	if lp == nil {
		t.Fatal("no pass over the answered scorecards completed within the period")
	}
	floor := int(math.Ceil(float64(lp.Records) / 100))
	t.Logf("review pass: %d reviews, %d requests in %d slices (floor %d); found ages %v", lp.Records, lp.Requests, lp.Slices, floor, ages)
	if lp.Records < 100 {
		t.Errorf("the pass read %d reviews: too few to show the slicing", lp.Records)
	}
	if lp.Requests < floor || lp.Requests > floor+lp.Slices {
		t.Errorf("a pass over %d reviews cost %d requests in %d slices; want %d to %d", lp.Records, lp.Requests, lp.Slices, floor, floor+lp.Slices)
	}
	if served := v.fake.Stats().ByEndpoint["POST /v2/stats/activity/scorecards"]; served < int64(lp.Requests) {
		t.Errorf("Gong served %d answered scorecards pages in the period, fewer than the pass counted (%d)", served, lp.Requests)
	}
	st, err := v.engine.Status(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]bool{}
	for _, s := range st.Sweep {
		if s.LastPassAt != nil && s.Passes >= 1 {
			tables[s.Table] = true
		}
	}
	if !tables["calls"] || !tables["answered_scorecards"] {
		t.Errorf("status does not show both parts' completed passes: %+v", st.Sweep)
	}

	// The reviews that come back with their calls are restored by the next period's sweep.
	for _, id := range flickerCalls {
		if _, err := ds.RestoreCall(id, v.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	back := 0
	for id := range visible(v.clock.Now()) {
		if before[id] && !after[id] {
			back++
		}
	}
	_, _, restored, ages = sweepDays()
	if back == 0 || restored != back {
		t.Errorf("second period: %d reviews restored, want %d (ages %v)", restored, back, ages)
	}
	v.assertAnsweredScorecardsMatchGong(v.clock.Now())
}
