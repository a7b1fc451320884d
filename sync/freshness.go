package sync

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	gosync "sync"
	"time"

	"github.com/gongsync/gongsync/store"
)

// The freshness controller (GONGSYNC_FRESHNESS): instead of the calls schedule's fixed
// interval, the daemon polls the calls and their transcripts as often as the target
// lag needs, while the day's projected spending stays under a share of the daily
// budget (GONGSYNC_FRESHNESS_SHARE). It slows down smoothly, never stops: when the
// budget is tight the interval stretches by the factor the plan overspends, and at the
// company's quiet hours (learned from when its calls start) by how quiet the hour is.
// Every other stream keeps its schedule, and the backfills and the sweep their shares
// of the budget: they are counted in the ledger the projection reads.

// FreshStreams are the streams the freshness loop polls, in order: the calls, then the
// transcripts they bring. The other streams of the calls schedule keep its ticks.
var FreshStreams = []string{StreamCalls, StreamTranscripts}

// FreshGroup names the freshness loop's polls where a schedule group's name goes (a
// fleet's jobs, RunScheduled): its streams are FreshStreams.
const FreshGroup = scheduleFresh

// The reasons an interval is what it is (the reason label of
// gongsync_calls_poll_interval_seconds and the status).
const (
	ReasonSchedule = "schedule"    // GONGSYNC_FRESHNESS unset: the calls schedule's ticks
	ReasonTarget   = "target"      // the freshness target itself
	ReasonQuiet    = "quiet_hours" // stretched: calls seldom start at this hour of the week
	ReasonBudget   = "budget"      // stretched: the target's pace would overspend the share
)

const (
	// freshMaxInterval is the longest the controller waits between polls, however tight
	// the budget: it slows down, it never stops.
	freshMaxInterval = time.Hour
	// freshQuietCeiling is the longest a quiet hour alone stretches the interval to:
	// the calls schedule's default, so that a quiet hour is never staler than without
	// a target.
	freshQuietCeiling = 15 * time.Minute
	// freshHistory is how far back the hour-of-week histogram reads the calls' starts;
	// freshMinHistory the calls it needs before it says anything (until then every
	// hour is busy).
	freshHistory    = 28 * 24 * time.Hour
	freshMinHistory = 200
	// freshListedBy is how long after they start the calls are (but for late ones)
	// listed by Gong: the histogram stops that long before now.
	freshListedBy = 6 * time.Hour
	// freshDefaultCost is a poll's cost before one was measured: a page of calls and
	// one of transcripts.
	freshDefaultCost = 2.0
	// freshPaceFloor is the shortest span the other streams' pace is read over.
	freshPaceFloor = 2 * time.Hour
	// freshCostRuns is how many of each polled stream's last runs the cost of a poll is
	// measured over (their median: the transcripts run after the settle pass, or after
	// a restart, costs many times a poll's).
	freshCostRuns = 20
)

// FreshnessDecision is one choice of the controller: the interval to the next poll,
// why, and the figures it was drawn from.
type FreshnessDecision struct {
	At       time.Time     `json:"at"`
	Interval time.Duration `json:"interval_ns"`
	Reason   string        `json:"reason"`
	Target   time.Duration `json:"target_ns"`
	// Quiet is the stretch the hour of the week asks for (1 at busy hours), Slowdown the
	// one the budget does (1 when the plan fits).
	Quiet    float64 `json:"quiet_stretch"`
	Slowdown float64 `json:"budget_slowdown"`
	// PollCost is the measured requests of a poll (the median of each stream's recent
	// scheduled runs, summed); Spent the ledger's requests today;
	// Projected the day's requests if the plan runs to the end of the day; Limit the
	// share of the daily budget they must stay under.
	PollCost  float64 `json:"poll_cost"`
	Spent     int     `json:"spent_today"`
	Projected int     `json:"projected_today"`
	Limit     int     `json:"limit"`
}

// Freshness is the controller. What it decides from is read from Postgres, so that
// every process of a connection decides alike: the ledger, the polled streams' runs
// (the cost of a poll, what the polls spent today, when the last began) and the calls'
// starts (the histogram, cached for an hour).
type Freshness struct {
	target time.Duration
	share  float64
	st     *store.Store
	budget *Budget
	zone   *time.Location // the company's: the hours of the week are read in it
	now    func() time.Time
	m      *Metrics

	mu     gosync.Mutex
	rates  [store.HoursPerWeek]float64 // calls an hour, by hour of the week; NaN unknown
	histAt time.Time                   // when rates were learned; zero before
	last   *FreshnessDecision
}

// NewFreshness returns the controller for the target lag and budget share; zone is the
// company's time zone (GONGSYNC_SCHEDULE_TZ).
func (e *Engine) NewFreshness(target time.Duration, share float64, zone *time.Location) *Freshness {
	if zone == nil {
		zone = time.UTC
	}
	f := &Freshness{target: target, share: share, st: e.st, budget: e.budget, zone: zone, now: e.now, m: e.m}
	for i := range f.rates {
		f.rates[i] = math.NaN()
	}
	return f
}

// Due decides, and says whether a poll is due: the last began at least the interval
// ago (less half the target, so that ticks every target that land just short of it
// do not skip a poll), or none ever did. Workers of a fleet tick every target and ask.
func (f *Freshness) Due(ctx context.Context) (bool, FreshnessDecision, error) {
	d, since, err := f.decide(ctx)
	if err != nil {
		return false, d, err
	}
	return since < 0 || since >= d.Interval-f.target/2, d, nil
}

// Last is the latest decision, nil before the first.
func (f *Freshness) Last() *FreshnessDecision {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last == nil {
		return nil
	}
	d := *f.last
	return &d
}

// Decide picks the interval to the next poll, in four steps: read the ledger and the
// polls' runs, learn the quiet hours, project the day, stretch the target.
func (f *Freshness) Decide(ctx context.Context) (FreshnessDecision, error) {
	d, _, err := f.decide(ctx)
	return d, err
}

func (f *Freshness) decide(ctx context.Context) (FreshnessDecision, time.Duration, error) {
	now := f.now()
	dayStart, dayEnd := f.budget.Day(now), f.budget.ResetAt()
	usage, err := f.budget.Usage(ctx)
	if err != nil {
		return FreshnessDecision{}, 0, fmt.Errorf("freshness: read the ledger: %w", err)
	}
	polls, err := f.st.PollStats(ctx, FreshStreams, freshCostRuns, dayStart)
	if err != nil {
		return FreshnessDecision{}, 0, fmt.Errorf("freshness: %w", err)
	}
	if err := f.learnQuietHours(ctx, now); err != nil {
		return FreshnessDecision{}, 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d := FreshnessDecision{At: now, Target: f.target, PollCost: polls.Cost, Spent: usage.Requests,
		Limit: int(f.share * float64(f.budget.Daily()))}
	if d.PollCost < 1 {
		d.PollCost = freshDefaultCost
	}
	polled := min(polls.Spent, usage.Requests)
	d.Quiet = f.quietStretch(now)
	demand := f.planPolls(now, dayEnd) * d.PollCost
	others := projectOthers(usage.Requests, polled, now.Sub(dayStart), dayEnd.Sub(now))
	d.Slowdown = slowdown(float64(d.Limit-usage.Requests)-others, demand)
	d.Interval, d.Reason = stretch(f.target, d.Quiet, d.Slowdown)
	// What the day comes to at the interval chosen: it may stretch the plan less than
	// Slowdown asked, when that would exceed freshMaxInterval.
	d.Projected = usage.Requests + int(math.Round(others+demand*float64(f.target)*d.Quiet/float64(d.Interval)))
	f.last = &d
	f.m.observePollInterval(d.Interval, d.Reason)
	return d, polls.SinceLast, nil
}

// learnQuietHours reads the hour-of-week histogram of the calls' starts over the last
// freshHistory, at most once an hour of the controller's clock, and turns it into
// rates: each hour's calls divided by how many times that hour of the week passed
// since the earliest call counted. An hour that has not passed yet (less than a week
// of calls) is unknown, and read as busy.
func (f *Freshness) learnQuietHours(ctx context.Context, now time.Time) error {
	f.mu.Lock()
	fresh := !f.histAt.IsZero() && now.Sub(f.histAt) < time.Hour && !now.Before(f.histAt)
	f.mu.Unlock()
	if fresh {
		return nil
	}
	// The last hours' calls are not all listed yet (Gong processes a call for up to an
	// hour after it ends): they would look quiet. They are left out, both the calls and
	// the hours.
	until := now.Add(-freshListedBy)
	h, earliest, err := f.st.CallStartsSince(ctx, f.zone, until.Add(-freshHistory), until)
	if err != nil {
		return fmt.Errorf("freshness: learn the quiet hours: %w", err)
	}
	rates := hourRates(h, earliest, until, f.zone)
	f.mu.Lock()
	f.rates, f.histAt = rates, now
	f.mu.Unlock()
	return nil
}

// hourRates divides each hour of the week's calls by the times it passed in
// [earliest, now) (the hour now is in counts as passed in part); NaN for an hour that
// did not pass, and for all of them with fewer than freshMinHistory calls.
func hourRates(h [store.HoursPerWeek]int, earliest, now time.Time, zone *time.Location) [store.HoursPerWeek]float64 {
	var rates, seen [store.HoursPerWeek]float64
	total := 0
	for _, n := range h {
		total += n
	}
	for i := range rates {
		rates[i] = math.NaN()
	}
	if total < freshMinHistory || earliest.IsZero() {
		return rates
	}
	for t := earliest.In(zone).Truncate(time.Hour); t.Before(now); t = t.Add(time.Hour) {
		seen[hourOfWeek(t.In(zone))] += min(1, float64(now.Sub(t))/float64(time.Hour))
	}
	for i := range rates {
		if seen[i] > 0 {
			rates[i] = float64(h[i]) / seen[i]
		}
	}
	return rates
}

// quietStretch is how much the hour of the week at t stretches the target.
func (f *Freshness) quietStretch(t time.Time) float64 {
	return quietStretch(f.rates, hourOfWeek(t.In(f.zone)), f.target)
}

// freshBusyShare is how much quieter than the busy level an hour may be and still be
// busy: the hours of a steady company differ by chance by more than a few per cent,
// and should all keep the target.
const freshBusyShare = 0.75

// quietStretch is 1 at an hour whose rate is at least freshBusyShare of the busy level
// (the mean of the busiest quarter of the hours known) or unknown, up to
// freshQuietCeiling/target at an hour without calls, and in inverse proportion to the
// rate in between: smooth, and 1 where the band ends.
func quietStretch(rates [store.HoursPerWeek]float64, hour int, target time.Duration) float64 {
	ceiling := max(1, float64(freshQuietCeiling)/float64(target))
	r := rates[hour]
	if math.IsNaN(r) {
		return 1
	}
	busy := busyLevel(rates)
	w := r / busy
	if w >= freshBusyShare {
		return 1
	}
	return min(ceiling, freshBusyShare/max(w, freshBusyShare/ceiling))
}

// busyLevel is the mean rate of the busiest quarter of the hours known (at least one
// call an hour, so that a company without calls has no busy hours to compare to).
func busyLevel(rates [store.HoursPerWeek]float64) float64 {
	var known []float64
	for _, r := range rates {
		if !math.IsNaN(r) {
			known = append(known, r)
		}
	}
	slices.SortFunc(known, func(a, b float64) int { return cmp.Compare(b, a) })
	q := max(1, len(known)/4)
	sum := 0.0
	for _, r := range known[:min(q, len(known))] {
		sum += r
	}
	return max(1, sum/float64(q))
}

func hourOfWeek(t time.Time) int {
	wd := (int(t.Weekday()) + 6) % 7 // Monday 0
	return wd*24 + t.Hour()
}

// planPolls is how many polls polling at the target, stretched by each quiet hour,
// makes from now to the end of the budget day.
func (f *Freshness) planPolls(now, end time.Time) float64 {
	polls := 0.0
	for t := now; t.Before(end); {
		next := t.Truncate(time.Hour).Add(time.Hour)
		if next.After(end) {
			next = end
		}
		polls += float64(next.Sub(t)) / (float64(f.target) * f.quietStretch(t))
		t = next
	}
	return polls
}

// projectOthers is what the streams other than the polls will spend in the rest of
// the day, at the pace they kept so far today (the ledger's requests, less the polls'
// own): the settle pass, the full refreshes, the backfills and the sweep within their
// shares. Their pace is read over at least freshPaceFloor: the day's first minutes
// hold the full refreshes of midnight, which a pace over minutes would repeat all day.
func projectOthers(spent, polled int, elapsed, remaining time.Duration) float64 {
	others := float64(max(spent-polled, 0))
	return others * float64(remaining) / float64(max(elapsed, freshPaceFloor))
}

// slowdown is the factor the polls must slow down by for their plan (demand requests)
// to fit the room left under the share: 1 when it fits, the overspend's ratio when it
// does not, and the most freshMaxInterval allows when no room is left.
func slowdown(room, demand float64) float64 {
	const most = 1e6
	switch {
	case demand <= 0 || room >= demand:
		return 1
	case room <= 0:
		return most
	default:
		return min(most, demand/room)
	}
}

// stretch is the interval: the target, stretched by the quiet hour and the budget,
// at most freshMaxInterval; the reason is the larger of the two stretches.
func stretch(target time.Duration, quiet, slow float64) (time.Duration, string) {
	iv := time.Duration(min(float64(freshMaxInterval), float64(target)*quiet*slow))
	iv = max(iv, target)
	switch {
	case slow > 1 && slow >= quiet:
		return iv, ReasonBudget
	case quiet > 1:
		return iv, ReasonQuiet
	default:
		return iv, ReasonTarget
	}
}

// TranscriptRecheckFor is the Options.TranscriptRecheck the daemon runs with: half
// again the freshness target, so that with a poll every target a call waiting for its
// transcript is asked on every other poll, its transcript landing within about two
// targets of Gong having it; without a target (0), DefaultTranscriptRecheck, every
// other tick of the calls schedule's default.
func TranscriptRecheckFor(target time.Duration) time.Duration {
	if target <= 0 {
		return DefaultTranscriptRecheck
	}
	return target + target/2
}

// DefaultTranscriptRecheck is how often a call within Gong's processing window is
// asked again for its transcript without a freshness target: asking at the measured
// median and 90th percentile alone left the median transcript over an hour behind
// Gong on the simulated business day (docs/BENCHMARKS.md, section 10).
const DefaultTranscriptRecheck = 30 * time.Minute
