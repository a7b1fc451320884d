package sync

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/gongsync/gongsync/store"
)

// Gong has no change feed and never says a call was deleted. The calls stream and the
// settle pass re-read the last SettleWindow; the sweep re-reads everything older, a
// slice at a time, oldest first, so that each synced call is read again at least once
// per SweepPeriod. A slice is an ordinary window of calls (readWindow): its calls are
// upserted (changed and restored ones counted), and once it is read completely, the
// calls of the slice Gong no longer returned are marked deleted.
//
// The sweep pays for itself out of a small share of the day: it plans a daily slice
// from the number of calls and the period (⌈calls/100⌉ pages per pass, spread over the
// period's days, plus one page a day for the partial page a slice ends on), never more
// than SweepShare of the daily budget, and its requests count against the backfills'
// share too, so that together they never take what the scheduled syncs need.

// sweepPass is one pass of the sweep over the history: the calls started in
// [From, To), To being the edge of the settle window when the pass began.
type sweepPass struct {
	From, To  time.Time
	StartedAt time.Time // on the engine's clock
	// Calls is how many stored calls the pass began with: what its daily slice is
	// planned from.
	Calls int
	// Next is where the next slice starts: every call started before it has been read
	// again in this pass.
	Next time.Time
	// Requests and Slices are what the pass has cost so far, and in how many slices.
	Requests int
	Slices   int
	// EndedAt is when the pass read its last slice; nil while it is under way.
	EndedAt *time.Time `json:",omitempty"`
}

// sweepState is the sweep's own part of its checkpoint.
type sweepState struct {
	// Pass is the pass under way; nil between passes.
	Pass *sweepPass `json:"pass,omitempty"`
	// LastPass is the last complete pass.
	LastPass *sweepPass `json:"last_pass,omitempty"`
	Passes   int        `json:"passes,omitempty"`
	// Day is the budget day DayRequests counts the sweep's requests of.
	Day         string `json:"day,omitempty"`
	DayRequests int    `json:"day_requests,omitempty"`
}

// sweepDailySlice is how many requests a day the sweep plans for a pass over calls
// calls in period: the pass's pages spread over the period's days, plus one a day for
// the page a slice may end on, capped at share of the daily budget.
func sweepDailySlice(calls int, period time.Duration, share float64, daily int) (planned, allowed int) {
	days := max(period.Hours()/24, 1.0/24)
	pages := math.Ceil(float64(calls) / 100)
	planned = int(math.Ceil(pages/days)) + 1
	return planned, min(planned, int(share*float64(daily)))
}

// sweep is a run of the sweep stream: today's slice of the pass under way (a new pass
// begins when the last one is done), then the gauge of the oldest call not read again.
func (e *Engine) sweep(ctx context.Context, r *run) error {
	defer e.observeSweep(ctx)
	cp, err := e.loadWindow(ctx, StreamSweep)
	if err != nil {
		return err
	}
	sw := cp.Sweep
	if sw == nil {
		sw = &sweepState{}
		cp.Sweep = sw
	}
	if today := e.budget.Day(e.now()).Format(time.DateOnly); sw.Day != today {
		sw.Day, sw.DayRequests = today, 0
	}
	goal := &sweepGoal{payer: r.payer, base: sw.DayRequests}
	log := r.log
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if cp.Window == nil {
			opened, err := e.openSlice(ctx, r, &cp)
			if err != nil || !opened {
				return err
			}
		}
		if err := e.readWindow(ctx, r, &cp, goal); err != nil {
			return err
		}
		if p := cp.Sweep.LastPass; p != nil && cp.Sweep.Pass == nil && p.EndedAt != nil && !p.EndedAt.Before(*cp.CompletedAt) {
			log.Info().Time("from", p.From).Time("to", p.To).Int("calls", p.Calls).Int("requests", p.Requests).
				Int("slices", p.Slices).Msg("sweep: the whole history has been read again")
		}
	}
}

// openSlice opens the next slice of the pass under way, beginning a pass when none is,
// sized to what is left of today's slice. It returns false when there is nothing to
// read today: no history older than the settle window, or today's slice is spent.
func (e *Engine) openSlice(ctx context.Context, r *run, cp *windowCheckpoint) (bool, error) {
	sw := cp.Sweep
	if sw.Pass == nil && sw.LastPass != nil && sw.LastPass.EndedAt != nil &&
		e.budget.Day(*sw.LastPass.EndedAt).Equal(e.budget.Day(e.now())) {
		return false, nil // one pass a day at most: a small history is not re-read in a loop
	}
	if sw.Pass == nil {
		edge := e.now().Add(-e.opt.SettleWindow)
		oldest, calls, err := e.st.CallHistory(ctx, edge)
		if err != nil {
			return false, err
		}
		if oldest == nil {
			return false, nil
		}
		sw.Pass = &sweepPass{From: *oldest, To: edge, StartedAt: e.now(), Calls: calls, Next: *oldest}
		r.log.Info().Time("from", *oldest).Time("to", edge).Int("calls", calls).Msg("sweep: a new pass over the history begins")
	}
	p := sw.Pass
	planned, allowed := sweepDailySlice(p.Calls, e.opt.SweepPeriod, e.opt.SweepShare, e.budget.Daily())
	if planned > allowed {
		r.log.Warn().Int("planned", planned).Int("allowed", allowed).Dur("period", e.opt.SweepPeriod).
			Msg("sweep: a pass needs more requests a day than GONGSYNC_SWEEP_SHARE allows; it will take longer than GONGSYNC_SWEEP_PERIOD")
	}
	left := allowed - sw.DayRequests
	if left <= 0 {
		return false, nil
	}
	// A slice of left×100 stored calls costs left pages, one more when Gong has a few
	// calls there that the table does not.
	to, err := e.st.SliceEnd(ctx, p.Next, p.To, left*100)
	if err != nil {
		return false, err
	}
	p.Slices++
	// The slice opens in one transaction with its calls whose transcript Gong never
	// had put back in the transcripts queue (asked again once per pass).
	startedAt, err := e.st.Now(ctx)
	if err != nil {
		return false, err
	}
	cp.Window = &callsWindow{From: p.Next, To: to, StartedAt: startedAt}
	var requeued int
	err = e.st.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if requeued, err = tx.RequeueUnavailableTranscripts(ctx, p.Next, to); err != nil {
			return err
		}
		return tx.SaveCheckpoint(ctx, cp.row())
	})
	if err != nil {
		return false, err
	}
	if requeued > 0 {
		r.log.Info().Int("calls", requeued).Msg("sweep: calls whose transcript Gong never had are asked again")
	}
	return true, nil
}

// sweepGoal is the sweep's windowGoal: it keeps the day's request count in the
// checkpoint as pages commit, and moves the pass on as slices close.
type sweepGoal struct {
	payer   *Payer
	base    int // the day's requests before this run
	counted int // the payer's requests already added to the pass
}

func (*sweepGoal) lateBefore() time.Time { return time.Time{} }

func (g *sweepGoal) advance(next *windowCheckpoint, _ int, closed *callsWindow) {
	sw := *next.Sweep
	spent := g.payer.Requests()
	sw.DayRequests = g.base + spent
	if sw.Pass != nil {
		p := *sw.Pass
		p.Requests += spent - g.counted
		if closed != nil {
			p.Next = closed.To
		}
		sw.Pass = &p
		if closed != nil && !closed.To.Before(p.To) {
			// The pass is complete: every call it began with has been read again.
			p.EndedAt = next.CompletedAt
			sw.LastPass, sw.Passes, sw.Pass = &p, sw.Passes+1, nil
		}
	}
	g.counted = spent
	next.Sweep = &sw
}

func (*sweepGoal) afterPage(context.Context, *run, *windowCheckpoint) error { return nil }

// SweepStatus is where the sweep stands, for `gongsync status`.
type SweepStatus struct {
	// LastPassAt is when the sweep last finished reading the whole history again, from
	// LastPassFrom, and what that pass cost.
	LastPassAt       *time.Time `json:"last_pass_at,omitempty"`
	LastPassFrom     *time.Time `json:"last_pass_from,omitempty"`
	LastPassRequests int        `json:"last_pass_requests,omitempty"`
	Passes           int        `json:"passes"`
	// The pass under way: its range, how far it got and the share of its calls read.
	PassFrom    *time.Time `json:"pass_from,omitempty"`
	PassTo      *time.Time `json:"pass_to,omitempty"`
	PassNext    *time.Time `json:"pass_next,omitempty"`
	PassDone    float64    `json:"pass_done"`
	DailySlice  int        `json:"daily_slice_requests"`
	TodaySpent  int        `json:"today_requests"`
	Period      string     `json:"period"`
	OldestRead  *time.Time `json:"oldest_last_read,omitempty"`
	OldestReadS float64    `json:"oldest_last_read_age_seconds"`
}

// sweepStatus reads the sweep's checkpoint into a SweepStatus.
func (e *Engine) sweepStatus(ctx context.Context) (*SweepStatus, error) {
	cp, err := e.loadWindow(ctx, StreamSweep)
	if err != nil {
		return nil, err
	}
	st := &SweepStatus{Period: e.opt.SweepPeriod.String()}
	if sw := cp.Sweep; sw != nil {
		st.Passes = sw.Passes
		if lp := sw.LastPass; lp != nil {
			st.LastPassAt, st.LastPassFrom, st.LastPassRequests = lp.EndedAt, &lp.From, lp.Requests
		}
		if sw.Day == e.budget.Day(e.now()).Format(time.DateOnly) {
			st.TodaySpent = sw.DayRequests
		}
		if p := sw.Pass; p != nil {
			st.PassFrom, st.PassTo, st.PassNext = &p.From, &p.To, &p.Next
			_, st.DailySlice = sweepDailySlice(p.Calls, e.opt.SweepPeriod, e.opt.SweepShare, e.budget.Daily())
			read, err := e.st.CallsBetween(ctx, p.From, p.Next)
			if err != nil {
				return nil, err
			}
			if p.Calls > 0 {
				st.PassDone = min(1, float64(read)/float64(p.Calls))
			}
		}
	}
	oldest, age, err := e.st.OldestLastSeen(ctx)
	if err != nil {
		return nil, err
	}
	st.OldestRead, st.OldestReadS = oldest, age.Seconds()
	return st, nil
}

// observeSweep sets the gauge of the oldest live call not read again since.
func (e *Engine) observeSweep(ctx context.Context) {
	if e.m == nil || ctx.Err() != nil {
		return
	}
	_, age, err := e.st.OldestLastSeen(ctx)
	if err != nil {
		e.log.Warn().Err(err).Msg("could not read the oldest call's last read for the metrics")
		return
	}
	e.m.sweepOldest.Set(age.Seconds())
}

// findAgeDays are the edges, in days since a call started, of the age classes its finds
// are counted in: within the settle window, within a month, a quarter, a year, older.
var findAgeDays = []float64{7, 30, 90, 365}

// findAgeClass names the age class of a find, for sync_runs.details.
func findAgeClass(age time.Duration) string {
	days := age.Hours() / 24
	lo := "0"
	for _, edge := range findAgeDays {
		if days < edge {
			return lo + "-" + strconv.Itoa(int(edge)) + "d"
		}
		lo = strconv.Itoa(int(edge))
	}
	return lo + "d+"
}

// noteFinds counts, by what was found and how old the call was, the changed, restored
// and deleted calls of a committed page (starts: the deleted calls' starts).
func (e *Engine) noteFinds(r *run, rows []store.Call, res store.UpsertResult, deleted []string, starts map[string]time.Time) {
	if len(res.Changed)+len(res.Restored)+len(deleted) == 0 {
		return
	}
	now := e.now()
	started := make(map[string]time.Time, len(rows))
	for i := range rows {
		if rows[i].Started != nil {
			started[rows[i].ID] = *rows[i].Started
		}
	}
	note := func(found string, ids []string, at map[string]time.Time) {
		for _, id := range ids {
			s, ok := at[id]
			if !ok {
				continue
			}
			age := now.Sub(s)
			if r.FoundAges == nil {
				r.FoundAges = map[string]map[string]int{}
			}
			if r.FoundAges[found] == nil {
				r.FoundAges[found] = map[string]int{}
			}
			r.FoundAges[found][findAgeClass(age)]++
			e.m.observeFind(found, age)
		}
	}
	note("changed", res.Changed, started)
	note("restored", res.Restored, started)
	note("deleted", deleted, starts)
}
