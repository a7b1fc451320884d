package sync

import (
	"math"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/store"
	"github.com/robfig/cron/v3"
)

// What the streams cost a day at the daemon's default schedules, for a company of 500
// users holding 2,000 calls a day (issue 14's yardstick), measured on the fake: after a
// backfill of the week before, a day of the daemon's ticks, each running the streams
// its schedule group runs, as Daemon.runGroup does, on the fake's virtual clock.

// dayDefaults are the defaults of GONGSYNC_SCHEDULE_CALLS, _USERS, _SETTLE and _DAILY
// (internal/config).
var dayDefaults = map[string]string{scheduleCalls: "*/15 * * * *", scheduleUsers: "0 */6 * * *", scheduleSettle: "30 2 * * *",
	scheduleDaily: "0 5 * * *"}

const (
	dayUsers       = 500
	dayCallsPerDay = 2000
	dayDays        = 9 // the day measured is the last; the settle window reaches back 7
)

// aDay is what a day of ticks cost.
type aDay struct {
	requests, runs map[string]int // by stream
	served         map[string]int64
	reviews        int // answered scorecards published during the day
}

// measureDay backfills the week before the day measured, then runs a day of the
// daemon's ticks, limited to the streams named (all when none are). check, when set,
// is called after each run with the reviews stored that the run may read again.
func measureDay(tb testing.TB, streams []string, check func(r *RunReport, at time.Time, storedReviews int)) (*env, aDay) {
	tb.Helper()
	day := day0.AddDate(0, 0, dayDays-1)
	end := day.AddDate(0, 0, 1)
	// The transcripts are asked again as the daemon asks (cmd/gongsync's wiring).
	v := newEnv(tb, envOptions{engine: Options{TranscriptRecheck: TranscriptRecheckFor(0)},
		fake: quiet(fakegong.Options{Users: dayUsers, Calls: dayCallsPerDay * dayDays, From: day0, To: end, Clock: fakegong.NewVirtualClock(day)})})
	// The history before the day, of the streams measured that a backfill reads (their
	// settle passes re-read what is synced, and have no range to backfill).
	backfilled := slices.DeleteFunc(slices.Clone(streams), func(s string) bool { return !slices.Contains(BackfillStreams(), s) })
	if _, err := v.engine.Backfill(v.ctx, BackfillRequest{From: day0, To: day, Streams: backfilled}); err != nil {
		tb.Fatalf("backfill: %v", err)
	}

	type tick struct {
		at    time.Time
		group string
	}
	var ticks []tick
	for group, spec := range dayDefaults {
		sched, err := cron.ParseStandard(spec)
		if err != nil {
			tb.Fatal(err)
		}
		for at := sched.Next(day.Add(-time.Second)); at.Before(end); at = sched.Next(at) {
			ticks = append(ticks, tick{at, group})
		}
	}
	// Ticks at the same minute run in a fixed order: the calls', then the users', then
	// the settle pass (the daemon runs them side by side, each group in its order).
	order := []string{scheduleCalls, scheduleUsers, scheduleSettle, scheduleDaily}
	sort.SliceStable(ticks, func(i, j int) bool {
		if !ticks[i].at.Equal(ticks[j].at) {
			return ticks[i].at.Before(ticks[j].at)
		}
		return slices.Index(order, ticks[i].group) < slices.Index(order, ticks[j].group)
	})

	v.fake.ResetStats()
	d := aDay{requests: map[string]int{}, runs: map[string]int{}}
	for _, tk := range ticks {
		v.clock.Set(tk.at)
		for _, s := range streamDefs {
			if !slices.Contains(s.schedules, tk.group) || (len(streams) > 0 && !slices.Contains(streams, s.name)) {
				continue
			}
			// A paced stream (the answered scorecards) runs on the ticks where it is due,
			// as RunScheduled decides for the daemon.
			if due, err := v.engine.dueNow(v.ctx, s); err != nil {
				tb.Fatal(err)
			} else if !due {
				continue
			}
			stored := 0
			if check != nil {
				// Reviews of the dates the run may read: the company's yesterday and today
				// for an incremental run, the settle window's dates for the settle pass.
				since := tk.at.Add(-v.engine.opt.Overlap - 24*time.Hour)
				if s.kind == KindSettle {
					since = tk.at.Add(-v.engine.opt.SettleWindow - 24*time.Hour)
				}
				stored = v.count(`SELECT count(*) FROM answered_scorecards WHERE deleted_at IS NULL AND review_time >= $1`, since)
			}
			r := v.engine.runStream(v.ctx, s, KindScheduled, false, false)
			if r.Status != store.RunSucceeded {
				tb.Fatalf("%s at %s: %s: %v", s.name, tk.at.Format(time.TimeOnly), r.Status, r.Err)
			}
			d.requests[s.name] += r.Requests
			d.runs[s.name]++
			if check != nil {
				check(r, tk.at, stored)
			}
		}
	}
	d.served = v.fake.Stats().ByEndpoint
	d.reviews = v.count(`SELECT count(*) FROM answered_scorecards WHERE deleted_at IS NULL AND review_time >= $1 AND review_time < $2`, day, end)
	return v, d
}

// The scorecard streams' day: each run costs at most a page more than the reviews it
// may read need, the runs are the default schedules' (96, 4 and 1), and the tables
// still equal what Gong serves at the end of the day.
func TestScorecardStreamsCostPerDay(t *testing.T) {
	if testing.Short() {
		t.Skip("a day of ticks over 18,000 calls")
	}
	t.Parallel()
	streams := []string{StreamScorecards, StreamAnsweredScorecards, StreamAnsweredScorecardsSettle}
	var lastRead time.Time
	v, d := measureDay(t, streams, func(r *RunReport, at time.Time, stored int) {
		if r.Stream == StreamAnsweredScorecards {
			if !lastRead.IsZero() && at.Sub(lastRead) > DefaultReviewsEvery {
				t.Errorf("answered scorecards read at %s, %s after the read before; want at most %s",
					at.Format(time.TimeOnly), at.Sub(lastRead), DefaultReviewsEvery)
			}
			lastRead = at
		}
		if r.Stream == StreamScorecards {
			if r.Requests != 1 {
				t.Errorf("scorecards at %s: %d requests; the definitions are one", at.Format(time.TimeOnly), r.Requests)
			}
			return
		}
		if max := int(math.Ceil(float64(stored+r.Records)/100)) + 1; r.Requests < 1 || r.Requests > max {
			t.Errorf("%s at %s: %d requests for %d reviews stored and %d read; want 1 to %d",
				r.Stream, at.Format(time.TimeOnly), r.Requests, stored, r.Records, max)
		}
	})
	// The tables equal what Gong served at the day's last read (reviews published since
	// wait, at most an hour, for the next).
	v.assertScorecardsMatchGong(lastRead)
	t.Logf("a day at the default schedules, %d users, %d calls a day, %d reviews published that day: requests %v in runs %v; by endpoint %v",
		dayUsers, dayCallsPerDay, d.reviews, d.requests, d.runs, d.served)
	// The answered scorecards read on the calls schedule's ticks once an hour
	// (Options.ReviewsEvery): 24 runs, not 96, and no read more than an hour after the
	// one before.
	if d.runs[StreamAnsweredScorecards] != 24 || d.runs[StreamScorecards] != 4 || d.runs[StreamAnsweredScorecardsSettle] != 1 {
		t.Errorf("runs %v; want 24 reads of the answered scorecards (hourly), 4 of the definitions and 1 settle pass", d.runs)
	}
	// Each read costs a page per 100 reviews of the company's dates it reads (today, and
	// yesterday for the overlap after midnight): 419 reviews a day come to about 85
	// pages over 24 reads, against 302 over 96.
	if n := d.requests[StreamAnsweredScorecards]; n > 100 {
		t.Errorf("the answered scorecards cost %d requests in the day; want at most 100", n)
	}
	if d.served[gongapi.EndpointScorecards] != int64(d.requests[StreamScorecards]) ||
		d.served[gongapi.EndpointAnsweredScorecards] != int64(d.requests[StreamAnsweredScorecards]+d.requests[StreamAnsweredScorecardsSettle]) {
		t.Errorf("the runs counted %v, the fake served %v", d.requests, d.served)
	}
	if d.reviews < 100 {
		t.Errorf("only %d reviews published in the day: the yardstick measured little", d.reviews)
	}
}

// BenchmarkADayAtDefaultSchedules measures every stream's day (make bench reports it
// in docs/BENCHMARKS.md): requests per stream as <stream>-req/day, its runs as
// <stream>-runs/day, the requests' total as total-req/day, and the answered
// scorecards published that day as reviews/day.
// Run it with -benchtime 1x: one day is the measurement.
func BenchmarkADayAtDefaultSchedules(b *testing.B) {
	for range b.N {
		_, d := measureDay(b, nil, nil)
		total := 0
		for s, n := range d.requests {
			b.ReportMetric(float64(n), s+"-req/day")
			b.ReportMetric(float64(d.runs[s]), s+"-runs/day")
			total += n
		}
		b.ReportMetric(float64(total), "total-req/day")
		b.ReportMetric(float64(d.reviews), "reviews/day")
	}
}
