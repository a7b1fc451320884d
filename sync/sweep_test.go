package sync

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// The sweep tests' history: 1,800 calls over 90 days, read a day after the last, with
// a budget of 2,000 requests a day, a tenth of it the sweep's, over a period of a week.
const sweepBudget, sweepShare = 2000, 0.1

// newSweepEnv is that history, not yet synced, and the clock's time.
func newSweepEnv(t *testing.T) (*env, time.Time) {
	start := day0.AddDate(0, 0, 91)
	return newEnv(t, envOptions{
		fake:   quiet(fakegong.Options{Calls: 1800, From: day0, To: day0.AddDate(0, 0, 90), Clock: fakegong.NewVirtualClock(start)}),
		budget: sweepBudget, share: 1,
		engine: Options{SweepPeriod: 7 * 24 * time.Hour, SweepShare: sweepShare},
	}), start
}

// sweepWeek runs night once a day for a sweep period, the clock a day on each time, as
// the daemon's nightly schedule does, and adds up what the run it returns found, and
// at what ages.
func sweepWeek(v *env, night func(day int) *RunReport) (changed, deleted, restored int, ages map[string]map[string]int) {
	ages = map[string]map[string]int{}
	for day := range 7 {
		v.clock.Advance(24 * time.Hour)
		rep := night(day)
		changed, deleted, restored = changed+rep.Changed, deleted+rep.Deleted, restored+rep.Restored
		for found, classes := range rep.FoundAges {
			if ages[found] == nil {
				ages[found] = map[string]int{}
			}
			for class, n := range classes {
				ages[found][class] += n
			}
		}
	}
	return changed, deleted, restored, ages
}

// The sweep catches what the settle window cannot: calls changed, deleted and restored
// 10, 30 and 80 days after they started. Over one sweep period every one of them is
// found and counted with its age, each day's requests stay within the sweep's share,
// and a whole pass costs ⌈calls/100⌉ requests plus at most one per slice. Transcripts
// follow: a 30-day-old call whose recording Gong re-processed gets its new transcript,
// and a 40-day-old call whose transcript Gong made only after gongsync gave up on it
// gets it too.
func TestSweepCatchesOldChangesWithinItsShare(t *testing.T) {
	if testing.Short() {
		t.Skip("a week of nightly sweep slices: long scenario; runs in make test")
	}
	t.Parallel()
	v, start := newSweepEnv(t)
	ds := v.fake.Dataset()
	// Gong makes this call's transcript only long after the call: gongsync asks during
	// the backfill, finds none, and gives up on it once it is older than the settle window.
	lateTranscript, err := ds.AddCall(fakegong.NewCall{Started: start.AddDate(0, 0, -40), ProcessedAt: start.AddDate(0, 0, -40).Add(time.Hour),
		TranscriptAt: start.Add(36 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	v.backfill(day0, start)
	v.pass(StreamCalls, StreamTranscripts)
	if n := v.count("SELECT count(*) FROM calls WHERE id = $1 AND transcript_status = 'unavailable'", lateTranscript.ID); n != 1 {
		t.Fatalf("the call with a late transcript is not marked unavailable after the backfill (%d)", n)
	}

	// One call at each age is changed, one deleted, one deleted and then restored.
	ids := map[string][]string{}
	var flicker []string
	var reprocessed string
	title := "Renamed weeks later"
	for _, age := range []int{10, 30, 80} {
		var picked []string
		for _, c := range ds.AllCalls() {
			if d := start.Sub(c.Started).Hours() / 24; d >= float64(age) && d < float64(age)+1 {
				picked = append(picked, c.ID)
			}
			if len(picked) == 3 {
				break
			}
		}
		if len(picked) < 3 {
			t.Fatalf("no three calls %d days old", age)
		}
		at := start.Add(time.Hour)
		if _, err := ds.ChangeCall(picked[0], at, fakegong.Change{Title: &title}); err != nil {
			t.Fatal(err)
		}
		for _, id := range picked[1:] {
			if _, err := ds.DeleteCall(id, at); err != nil {
				t.Fatal(err)
			}
		}
		if age == 30 {
			// Gong re-processes this call's recording: a longer call, a new transcript.
			if _, err := ds.ChangeCall(picked[0], at, fakegong.Change{Reprocess: true}); err != nil {
				t.Fatal(err)
			}
			reprocessed = picked[0]
		}
		ids["changed"] = append(ids["changed"], picked[0])
		ids["deleted"] = append(ids["deleted"], picked[1], picked[2])
		flicker = append(flicker, picked[2])
	}

	// sweepDays runs the sweep once a day for a period, as the daemon's nightly
	// schedule does, and returns what it found.
	sweepDays := func() (changed, deleted, restored int, ages map[string]map[string]int) {
		return sweepWeek(v, func(day int) *RunReport {
			rep := v.run(StreamSweep)
			v.run(StreamTranscripts)
			if limit := int(sweepShare * sweepBudget); rep.Requests > limit {
				t.Fatalf("day %d: the sweep spent %d requests, more than its share (%d)", day, rep.Requests, limit)
			}
			return rep
		})
	}

	v.fake.ResetStats()
	changed, deleted, restored, ages := sweepDays()
	if changed != 3 || deleted != 6 || restored != 0 {
		t.Errorf("first period: found %d changed, %d deleted, %d restored; want 3, 6, 0", changed, deleted, restored)
	}
	// Ages are counted on the day the sweep finds a call: 10, 30 and 80 days old at the
	// change, up to a week more when found.
	want := map[string]map[string]int{"changed": {"7-30d": 1, "30-90d": 2}, "deleted": {"7-30d": 2, "30-90d": 4}}
	for found, classes := range want {
		for class, n := range classes {
			if ages[found][class] != n {
				t.Errorf("%s: found ages %v, want %v", found, ages[found], classes)
				break
			}
		}
	}
	for _, id := range ids["deleted"] {
		if v.count("SELECT count(*) FROM calls WHERE id = $1 AND deleted_at IS NOT NULL", id) != 1 {
			t.Errorf("call %s deleted in Gong is not marked deleted", id)
		}
	}
	for _, id := range ids["changed"] {
		if v.count("SELECT count(*) FROM calls WHERE id = $1 AND title = $2", id, title) != 1 {
			t.Errorf("call %s changed in Gong keeps its old title", id)
		}
	}
	v.assertMatchesGong(v.clock.Now()) // the re-processed call's new transcript included
	if n := v.count("SELECT count(*) FROM calls WHERE id = $1 AND transcript_status = 'available'", lateTranscript.ID); n != 1 {
		t.Errorf("the call whose transcript came late did not get it within a sweep period")
	}
	if n := v.count("SELECT count(*) FROM transcript_sentences WHERE call_id = $1", reprocessed); n == 0 {
		t.Errorf("the re-processed call has no sentences")
	}

	// The pass's cost: ⌈calls/100⌉ plus at most one per slice, and what Gong served.
	cp, err := v.engine.loadWindow(v.ctx, StreamSweep)
	if err != nil {
		t.Fatal(err)
	}
	lp := cp.Sweep.LastPass
	if lp == nil {
		t.Fatal("no sweep pass completed within the period")
	}
	floor := int(math.Ceil(float64(lp.Records) / 100))
	t.Logf("pass: %d calls, %d requests in %d slices (floor %d); found ages %v", lp.Records, lp.Requests, lp.Slices, floor, ages)
	if lp.Requests < floor || lp.Requests > floor+lp.Slices {
		t.Errorf("a pass over %d calls cost %d requests in %d slices; want %d to %d", lp.Records, lp.Requests, lp.Slices, floor, floor+lp.Slices)
	}
	if served := v.fake.Stats().ByEndpoint["POST /v2/calls/extensive"]; served < int64(lp.Requests) {
		t.Errorf("Gong served %d calls pages in the period, fewer than the pass counted (%d)", served, lp.Requests)
	}
	st, err := v.engine.Status(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Sweep) == 0 || st.Sweep[0].Table != "calls" || st.Sweep[0].LastPassAt == nil || st.Sweep[0].Passes < 1 {
		b, _ := json.Marshal(st.Sweep)
		t.Errorf("status does not show the completed pass: %s", b)
	}

	// The calls that come back are restored by the next period's sweep.
	for _, id := range flicker {
		if _, err := ds.RestoreCall(id, v.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	_, _, restored, ages = sweepDays()
	if restored != 3 {
		t.Errorf("second period: %d calls restored, want 3 (ages %v)", restored, ages)
	}
	v.assertMatchesGong(v.clock.Now())
}

// The sweep's share is split between its parts: their plans when they fit, otherwise
// in proportion to the plans, never more than the share together (but one request
// for each part that plans any), never nothing for a part with something to read.
func TestSweepShareIsSplitBetweenParts(t *testing.T) {
	for _, c := range []struct {
		plans []int
		room  int
		want  []int
	}{
		{[]int{4, 2}, 200, []int{4, 2}}, // both fit
		{[]int{150, 60}, 200, []int{142, 57}},
		{[]int{300, 100}, 200, []int{150, 50}},
		{[]int{4, 2}, 3, []int{2, 1}},
		{[]int{1000, 1}, 100, []int{99, 1}}, // the small part keeps a request
		{[]int{0, 5}, 3, []int{0, 3}},       // nothing to read plans nothing
		{[]int{10, 0}, 4, []int{4, 0}},
	} {
		got := sweepSplit(c.plans, c.room)
		sum := 0
		for i := range got {
			sum += got[i]
			if got[i] != c.want[i] {
				t.Errorf("sweepSplit(%v, %d) = %v, want %v", c.plans, c.room, got, c.want)
				break
			}
		}
		if sum > max(c.room, len(got)) {
			t.Errorf("sweepSplit(%v, %d) = %v: %d requests, more than the room", c.plans, c.room, got, sum)
		}
	}
}
