package sync

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/store"
)

// Without GONGSYNC_FRESHNESS the schedules are today's: every group's tick runs all its
// streams (the calls with their transcripts and the answered scorecards), and the
// freshness controller is not made. With it, the calls schedule keeps only its other
// streams, and the calls and transcripts are the freshness loop's.
func TestFreshnessUnsetKeepsTheSchedules(t *testing.T) {
	t.Parallel()
	plain := Schedules{Calls: "*/15 * * * *", Users: "0 */6 * * *", Settle: "30 2 * * *", Daily: "0 5 * * *"}
	for _, g := range plain.Groups() {
		if got, want := plain.TickStreams(g.Name), groupStreams(g.Name); !slices.Equal(got, want) {
			t.Errorf("unset: tick of %s runs %v, want %v", g.Name, got, want)
		}
	}
	fresh := plain
	fresh.Freshness, fresh.FreshnessShare = 2*time.Minute, 0.35
	if got := fresh.TickStreams(scheduleCalls); !slices.Equal(got, []string{StreamAnsweredScorecards}) {
		t.Errorf("with a target, the calls schedule's tick runs %v; want the answered scorecards alone", got)
	}
	if got := fresh.TickStreams(scheduleSettle); !slices.Equal(got, groupStreams(scheduleSettle)) {
		t.Errorf("with a target, the settle tick runs %v; want it unchanged", got)
	}
	var chain []string
	for s := groupNext(FreshGroup, ""); s != ""; s = groupNext(FreshGroup, s) {
		chain = append(chain, s)
	}
	if !slices.Equal(chain, FreshStreams) {
		t.Errorf("the fresh group chains %v, want %v", chain, FreshStreams)
	}
	v := newEnv(t, envOptions{})
	if d, err := NewDaemon(v.engine, plain); err != nil || d.Freshness() != nil {
		t.Errorf("unset: daemon %v, controller made", err)
	}
	if d, err := NewDaemon(v.engine, fresh); err != nil || d.Freshness() == nil {
		t.Errorf("set: daemon %v, no controller", err)
	}
}

// The controller's decisions, from a real ledger: the target while the day's projected
// spending fits the share, a smooth slowdown as the spending nears it (the more spent,
// the longer the interval), the longest interval, never a stop, once it is spent.
func TestFreshnessSlowsDownWithTheLedger(t *testing.T) {
	t.Parallel()
	noon := time.Date(2024, 4, 3, 12, 0, 0, 0, time.UTC) // a Wednesday
	v := newEnv(t, envOptions{budget: 10_000, fake: fakegong.Options{Clock: fakegong.NewVirtualClock(noon)}})
	f := v.engine.NewFreshness(2*time.Minute, 0.35, time.UTC)
	spend := func(n int) {
		t.Helper()
		if _, err := v.st.Pool().Exec(v.ctx, `INSERT INTO api_usage (day, requests) VALUES ($1::date, $2)
			ON CONFLICT (day) DO UPDATE SET requests = EXCLUDED.requests`, noon.Format(time.DateOnly), n); err != nil {
			t.Fatal(err)
		}
	}
	decide := func() FreshnessDecision {
		t.Helper()
		d, err := f.Decide(v.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	d := decide()
	if d.Interval != 2*time.Minute || d.Reason != ReasonTarget || d.Limit != 3500 || d.PollCost != freshDefaultCost {
		t.Errorf("empty ledger: %+v; want the target at a poll's default cost", d)
	}
	// Half the day gone, 1,000 spent by other streams: they project 1,000 more, and the
	// polls' 12 hours at 30 an hour and 2 requests (720) fit the 1,500 left under 3,500.
	spend(1000)
	if d = decide(); d.Interval != 2*time.Minute || d.Reason != ReasonTarget || d.Projected != 2720 {
		t.Errorf("1,000 spent by noon: %+v; want the target, 2,720 projected", d)
	}
	// 1,500 spent: 1,500 more projected leaves 500 for 720: slow down by 1.44.
	spend(1500)
	d = decide()
	if d.Reason != ReasonBudget || d.Slowdown < 1.43 || d.Slowdown > 1.45 || d.Interval < 170*time.Second || d.Interval > 174*time.Second {
		t.Errorf("1,500 spent by noon: %+v; want the budget's slowdown of 1.44 (2m53s)", d)
	}
	if d.Projected > d.Limit {
		t.Errorf("1,500 spent by noon: projected %d over the limit %d", d.Projected, d.Limit)
	}
	prev := d.Interval
	spend(1700)
	if d = decide(); d.Reason != ReasonBudget || d.Interval <= prev {
		t.Errorf("1,700 spent: %+v; want longer than %s", d, prev)
	}
	spend(4000)
	if d = decide(); d.Reason != ReasonBudget || d.Interval != freshMaxInterval {
		t.Errorf("share spent: %+v; want the longest interval, %s", d, freshMaxInterval)
	}
	// What the polls themselves spent is not projected as the other streams' pace.
	spend(1500)
	if _, err := v.st.Pool().Exec(v.ctx, `INSERT INTO sync_runs (stream, kind, status, requests) VALUES
		('calls', 'scheduled', 'succeeded', 300), ('transcripts', 'scheduled', 'succeeded', 200)`); err != nil {
		t.Fatal(err)
	}
	if d = decide(); d.PollCost != 500 || d.Reason != ReasonBudget {
		t.Errorf("polls of 500 requests: %+v; want a cost of 500 and the budget's slowdown", d)
	}
	// The cost is each stream's median run: the transcripts run after a settle pass
	// does not make every poll look as dear.
	if _, err := v.st.Pool().Exec(v.ctx, `INSERT INTO sync_runs (stream, kind, status, requests) VALUES
		('transcripts', 'scheduled', 'succeeded', 2), ('transcripts', 'scheduled', 'succeeded', 2)`); err != nil {
		t.Fatal(err)
	}
	if d = decide(); d.PollCost != 302 {
		t.Errorf("calls 300, transcripts 200, 2 and 2: a poll costs %v, want 302", d.PollCost)
	}
	due, _, err := f.Due(v.ctx)
	if err != nil || due {
		t.Errorf("a poll just began and the interval is long: due %v (%v)", due, err)
	}
}

// The quiet hours: an hour about as busy as the busiest quarter keeps the target, an
// hour without calls stretches it to the calls schedule's default, one in between by
// how quiet it is; an hour not seen yet, and any before enough calls, is busy.
func TestFreshnessQuietHours(t *testing.T) {
	t.Parallel()
	var rates [store.HoursPerWeek]float64
	for h := range rates {
		if h%24 >= 9 && h%24 < 18 && h/24 < 5 {
			rates[h] = 40 // business hours, Monday to Friday
		}
	}
	rates[2*24+20] = 10 // Wednesday 20:00, a quarter as busy
	rates[2*24+8] = 32  // Wednesday 08:00, within the band
	rates[3*24+3] = math.NaN()
	target := 2 * time.Minute
	for _, c := range []struct {
		hour int
		want float64
	}{{2*24 + 10, 1}, {2*24 + 8, 1}, {2*24 + 3, 7.5}, {2*24 + 20, 3}, {6*24 + 12, 7.5}, {3*24 + 3, 1}} {
		if got := quietStretch(rates, c.hour, target); got != c.want {
			t.Errorf("hour %d: stretch %v, want %v", c.hour, got, c.want)
		}
	}
	if got := quietStretch(rates, 2*24+3, 20*time.Minute); got != 1 {
		t.Errorf("a target above the schedule's 15 minutes is stretched by %v", got)
	}

	// Monday's and Tuesday's business hours seen, on Wednesday at 00:30: Monday's and
	// Tuesday's nights are quiet, Wednesday's hours unknown (busy), Thursday's too.
	var h [store.HoursPerWeek]int
	for hr := 9; hr < 18; hr++ {
		h[hr], h[24+hr] = 40, 40
	}
	monday := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	r := hourRates(h, monday.Add(9*time.Hour), monday.Add(48*time.Hour+30*time.Minute), time.UTC)
	for _, c := range []struct {
		hour int
		want float64
	}{{10, 1}, {24 + 3, 7.5}, {2*24 + 10, 1}, {3*24 + 3, 1}} {
		if got := quietStretch(r, c.hour, target); got != c.want {
			t.Errorf("two days seen, hour %d: stretch %v, want %v", c.hour, got, c.want)
		}
	}
	if !math.IsNaN(r[3]) || r[2*24] != 0 {
		t.Errorf("Monday 03:00 (before the first call) %v, Wednesday 00:00 (half passed, no call) %v", r[3], r[2*24])
	}
	var few [store.HoursPerWeek]int
	few[10] = freshMinHistory - 1
	if r := hourRates(few, monday, monday.AddDate(0, 0, 14), time.UTC); quietStretch(r, 3, target) != 1 {
		t.Errorf("too little history: stretch %v", quietStretch(r, 3, target))
	}
	if got := hourOfWeek(time.Date(2024, 4, 3, 20, 30, 0, 0, time.UTC)); got != 2*24+20 {
		t.Errorf("Wednesday 20:30 is hour %d", got)
	}
}

// The histogram the quiet hours are learned from counts the stored calls' starts by
// hour of the week in the company's zone: the same as counting the fake's calls.
func TestCallStartsByHourOfWeek(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{})
	if _, err := v.engine.Backfill(v.ctx, BackfillRequest{From: day0, To: v.clock.Now(), Streams: []string{StreamCalls}}); err != nil {
		t.Fatal(err)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	from, to := day0, v.clock.Now()
	got, err := v.st.CallStartsByHourOfWeek(context.Background(), paris, from, to)
	if err != nil {
		t.Fatal(err)
	}
	var want [store.HoursPerWeek]int
	stored := v.count(`SELECT count(*) FROM calls`)
	for _, c := range v.fake.Dataset().VisibleCalls(to) {
		spec, _ := v.fake.Dataset().Call(c.MetaData.ID)
		want[hourOfWeek(spec.Started.In(paris))]++
	}
	n := 0
	for _, x := range got {
		n += x
	}
	if n != stored || got != want || n < 250 {
		t.Errorf("histogram of %d calls (%d stored) differs from the fake's", n, stored)
	}
}

// The daemon with a target polls the calls and their transcripts in its freshness loop,
// and leaves the answered scorecards to the calls schedule's ticks.
func TestDaemonFreshnessLoopPollsCallsAndTranscripts(t *testing.T) {
	t.Parallel()
	// A budget that affords a poll every millisecond all day: the loop waits no longer.
	v := newEnv(t, envOptions{budget: 1_000_000_000})
	// Schedules that do not tick during the test: only the first pass and the loop run.
	yearly := "0 0 1 1 *"
	d, err := NewDaemon(v.engine, Schedules{Calls: yearly, Users: yearly, Settle: yearly, Freshness: time.Millisecond, FreshnessShare: 0.35})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(v.ctx)
	defer cancel()
	decisions := 0
	d.pollDone = func(dec FreshnessDecision) {
		if dec.Reason != ReasonTarget || dec.Interval != time.Millisecond {
			t.Errorf("decision %+v; want the target", dec)
		}
		if decisions++; decisions == 3 {
			cancel()
		}
	}
	if err := d.Run(ctx); err != nil {
		t.Fatal(err)
	}
	runs := func(stream string) int {
		return v.count(`SELECT count(*) FROM sync_runs WHERE stream = $1 AND kind = 'scheduled'`, stream)
	}
	// The first pass, then a poll after each of the first two decisions (the third
	// stopped the loop before its wait).
	if c, tr, a := runs(StreamCalls), runs(StreamTranscripts), runs(StreamAnsweredScorecards); c != 3 || tr != 3 || a != 1 {
		t.Errorf("runs: calls %d, transcripts %d, answered scorecards %d; want 3, 3 and 1 (the first pass's)", c, tr, a)
	}
}

// gongsync_call_lag_seconds has a sample per new call when its row is committed and
// per transcript when its sentences are, each the time from the call's end (Gong's
// started + duration) to the commit on the engine's clock; a call read again adds none.
func TestCallLagMetric(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 120, From: day0.AddDate(0, 0, 36), To: day0.AddDate(0, 0, 40)})})
	m := NewMetrics(prometheus.NewRegistry(), v.clock.Now)
	v.engine = New(v.st, v.client, v.budget, Options{Now: v.clock.Now, Metrics: m})
	v.run(StreamCalls)
	calls := v.count(`SELECT count(*) FROM calls`)
	v.run(StreamTranscripts)
	transcripts := v.count(`SELECT count(*) FROM calls WHERE transcript_fetched_at IS NOT NULL`)
	v.run(StreamCalls) // nothing new
	if calls == 0 || transcripts == 0 {
		t.Fatalf("%d calls, %d transcripts: the test tests nothing", calls, transcripts)
	}
	// The sum of the lags, as the database computes them from the rows.
	var sumCalls, sumTranscripts float64
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT
		sum(extract(epoch FROM $1::timestamptz - (started + make_interval(secs => duration_seconds)))),
		sum(extract(epoch FROM $1::timestamptz - (started + make_interval(secs => duration_seconds)))) FILTER (WHERE transcript_fetched_at IS NOT NULL)
		FROM calls`, v.clock.Now()).Scan(&sumCalls, &sumTranscripts); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kind string
		n    int
		sum  float64
	}{{lagCall, calls, sumCalls}, {lagTranscript, transcripts, sumTranscripts}} {
		h := &dto.Metric{}
		if err := m.callLag.WithLabelValues(c.kind).(prometheus.Histogram).Write(h); err != nil {
			t.Fatal(err)
		}
		if got := h.GetHistogram().GetSampleCount(); got != uint64(c.n) {
			t.Errorf("%s: %d samples, want %d", c.kind, got, c.n)
		}
		if got := h.GetHistogram().GetSampleSum(); math.Abs(got-c.sum) > 1 {
			t.Errorf("%s: lags sum to %.0fs, want %.0fs", c.kind, got, c.sum)
		}
	}
}
