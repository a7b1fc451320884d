package sync

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/store"
)

// SweepDays is what TestSweepOnTheDaemonsDefaultSchedules measured, for `make bench`
// (GONGSYNC_BENCH_OUT names the JSON file it is written to).
type SweepDays struct {
	Days         int     `json:"days"`
	CallsPerDay  int     `json:"calls_per_day"`
	Budget       int     `json:"budget"`
	Ticks        int     `json:"ticks"`
	PerDay       []int   `json:"requests_per_day"`
	SweepPerDay  []int   `json:"sweep_requests_per_day"`
	MaxDay       int     `json:"max_day"`
	Paused       int     `json:"paused_runs"`
	Passes       int     `json:"sweep_passes"`
	PassDays     float64 `json:"longest_pass_days"`
	HistoryCalls int     `json:"calls_at_end"`
	Changed      int     `json:"changed_found_by_sweep"`
	Deleted      int     `json:"deleted_found_by_sweep"`
	// The answered scorecards' part of the sweep: its runs' requests, one a night, its
	// complete passes, the reviews stored at the end and what it found.
	ReviewSweepPerDay []int   `json:"review_sweep_requests_per_day"`
	ReviewPasses      int     `json:"review_sweep_passes"`
	ReviewPassDays    float64 `json:"review_last_pass_days"`
	Reviews           int     `json:"reviews_at_end"`
	ReviewsChanged    int     `json:"changed_reviews_found_by_sweep"`
	ReviewsDeleted    int     `json:"deleted_reviews_found_by_sweep"`
}

// The daemon's default schedules with the sweep on, for 20 virtual days of 2,000 calls
// a day on top of 10 days of history: every day's requests stay under the budget, no
// scheduled run is ever paused, both parts of the sweep (calls, answered scorecards)
// stay within its share together, and each completes passes over its whole history,
// the calls' within each period. It runs with GONGSYNC_SOAK=1 or
// GONGSYNC_BENCH_OUT=FILE (make bench writes its figures into docs/BENCHMARKS.md).
func TestSweepOnTheDaemonsDefaultSchedules(t *testing.T) {
	out := os.Getenv("GONGSYNC_BENCH_OUT")
	if os.Getenv("GONGSYNC_SOAK") == "" && out == "" {
		t.Skip("20 virtual days: set GONGSYNC_SOAK=1, or GONGSYNC_BENCH_OUT (make bench)")
	}
	const days, perDay, history, budget = 20, 2000, 10, 9500
	t0 := day0.AddDate(0, 0, history)
	v := newEnv(t, envOptions{
		fake: fakegong.Options{Calls: (days + history) * perDay, From: day0, To: t0.AddDate(0, 0, days),
			Clock: fakegong.NewVirtualClock(t0)},
		budget: budget, share: 0.8,
	})
	v.backfill(day0, t0)
	sched := Schedules{Calls: "*/15 * * * *", Users: "0 */6 * * *", Settle: "30 2 * * *", Daily: "0 5 * * *"}
	d, err := NewDaemon(v.engine, sched)
	if err != nil {
		t.Fatal(err)
	}
	type job struct {
		group string
		s     cron.Schedule
		next  time.Time
	}
	var jobs []*job
	for _, g := range sched.Groups() {
		s, err := cron.ParseStandard(g.Spec)
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, &job{group: g.Name, s: s, next: s.Next(t0)})
	}
	res := SweepDays{Days: days, CallsPerDay: perDay, Budget: budget}
	end := t0.AddDate(0, 0, days)
	for {
		first := jobs[0]
		for _, j := range jobs[1:] {
			if j.next.Before(first.next) {
				first = j
			}
		}
		if !first.next.Before(end) {
			break
		}
		v.clock.Set(first.next)
		if rep := d.runGroup(v.ctx, first.group); rep != nil && rep.Status == store.RunFailed {
			t.Fatalf("%s at %s: %v", first.group, first.next, rep.Err)
		}
		res.Ticks++
		first.next = first.s.Next(first.next)
	}

	for day := t0; day.Before(end); day = day.AddDate(0, 0, 1) {
		u, err := v.st.Usage(v.ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		res.PerDay = append(res.PerDay, u.Requests)
		res.MaxDay = max(res.MaxDay, u.Requests)
		if u.Requests >= budget {
			t.Errorf("%s: %d requests, the budget is %d", day.Format(time.DateOnly), u.Requests, budget)
		}
	}
	res.Paused = v.count(`SELECT count(*) FROM sync_runs WHERE status = 'paused'`)
	if res.Paused != 0 {
		t.Errorf("%d runs paused", res.Paused)
	}
	// runs reads a stream's runs, one a night, in order.
	runs := func(stream string) (requests []int, changed, deleted int) {
		rows, err := v.st.Pool().Query(v.ctx, `SELECT requests, changed_calls, deleted_calls FROM sync_runs WHERE stream = $1 ORDER BY id`, stream)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var req, ch, del int
			if err := rows.Scan(&req, &ch, &del); err != nil {
				t.Fatal(err)
			}
			requests = append(requests, req)
			changed, deleted = changed+ch, deleted+del
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return requests, changed, deleted
	}
	res.SweepPerDay, res.Changed, res.Deleted = runs(StreamSweep)
	res.ReviewSweepPerDay, res.ReviewsChanged, res.ReviewsDeleted = runs(StreamAnsweredScorecardsSweep)
	if len(res.ReviewSweepPerDay) != len(res.SweepPerDay) {
		t.Fatalf("%d calls sweep runs, %d answered scorecards sweep runs: want one of each a night", len(res.SweepPerDay), len(res.ReviewSweepPerDay))
	}
	for i, req := range res.SweepPerDay {
		// Both parts of a night's sweep together stay within the share.
		if limit := int(v.engine.opt.SweepShare * budget); req+res.ReviewSweepPerDay[i] > limit {
			t.Errorf("night %d: the sweep spent %d+%d requests, more than its share (%d)", i, req, res.ReviewSweepPerDay[i], limit)
		}
	}
	reviews, err := loadReviewsSweep(v.engine, v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	res.ReviewPasses = reviews.state().Passes
	lrp := reviews.state().LastPass
	if lrp == nil || lrp.EndedAt == nil {
		t.Fatal("the answered scorecards' part never completed a pass")
	}
	// A pass is spread over the period, not read in a night: the daily slice is a
	// seventh of it (the history is large enough by then for the extra page a day not
	// to matter), and within it.
	res.ReviewPassDays = lrp.EndedAt.Sub(lrp.StartedAt).Hours() / 24
	if period := v.engine.opt.SweepPeriod.Hours() / 24; res.ReviewPasses < 2 || res.ReviewPassDays < period/2 || res.ReviewPassDays > period {
		t.Errorf("%d passes over the answered scorecards, the last one took %.1f days (period %.0f)", res.ReviewPasses, res.ReviewPassDays, period)
	}
	res.Reviews = v.count(`SELECT count(*) FROM answered_scorecards`)
	cp, err := v.engine.loadWindow(v.ctx, StreamSweep)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Sweep == nil || cp.Sweep.LastPass == nil {
		t.Fatal("the sweep never completed a pass")
	}
	res.Passes = cp.Sweep.Passes
	lp := cp.Sweep.LastPass
	res.PassDays = lp.EndedAt.Sub(lp.StartedAt).Hours() / 24
	if res.Passes < 2 || res.PassDays > v.engine.opt.SweepPeriod.Hours()/24 {
		t.Errorf("%d passes, the last one took %.1f days (period %v)", res.Passes, res.PassDays, v.engine.opt.SweepPeriod)
	}
	res.HistoryCalls = v.count(`SELECT count(*) FROM calls`)
	b, _ := json.Marshal(res)
	t.Logf("%s", b)
	if out != "" {
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
