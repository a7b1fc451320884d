package sync

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/gongsync/gongsync/store"
)

// Gong has no change feed and never says a record was deleted. The incremental streams
// and the settle passes re-read the last SettleWindow; the sweep re-reads everything
// older, a slice at a time, oldest first, so that each synced record is read again at
// least once per SweepPeriod. It is one mechanism with a part per swept stream
// (sweptStreams): the calls, by start, and the answered scorecards, by review date.
// The sweep plans and counts every part alike; a part says only how a slice of its
// history is opened and read, and a slice is an ordinary window of its stream (the
// calls' readWindow, the reviews' readReviews), so it shares that stream's page loop,
// per-page checkpoint and deletion reconciliation: once a slice is read completely,
// the records of the slice Gong no longer returned are marked deleted.
//
// The sweep pays for itself out of a small share of the day: each part plans a daily
// slice from its number of records and the period (⌈records/100⌉ pages per pass,
// spread over the period's days, plus one page a day for the partial page a slice ends
// on); all parts together spend at most SweepShare of the daily budget (when their
// plans need more, each gets a part of the share in proportion to its plan); and the
// sweep's requests count against the backfills' share too, so that together they never
// take what the scheduled syncs need. One exception to the share, by Gong's design: a
// slice holds at least one value of its column (a call start, a review date), and a
// single review date with more reviews than the day's slice is read whole, since Gong's
// filter cannot split a date; the ledger's backfill share still bounds it. Each part runs as its own stream, under its stream's lock: its run's counts
// are of one kind of record, and Gong refusing one part's endpoint stops that part
// only.

// sweptStream is one part of the sweep: the stream it runs as, the table whose history
// it re-reads, and how its checkpoint is loaded.
type sweptStream struct {
	stream  string
	table   store.Swept
	perPage int // records a page of Gong's answer holds
	load    func(e *Engine, ctx context.Context) (sweepPart, error)
}

// sweptStreams are the sweep's parts, in the order the settle group runs them.
var sweptStreams = []*sweptStream{
	{stream: StreamSweep, table: store.SweptCalls, perPage: 100, load: loadCallsSweep},
	{stream: StreamAnsweredScorecardsSweep, table: store.SweptAnsweredScorecards, perPage: 100, load: loadReviewsSweep},
}

// sweepPart is a part's checkpoint as the sweep works it: the pass and day it keeps,
// and the slice it may have open.
type sweepPart interface {
	// state is the part's pass and day (never nil).
	state() *sweepState
	// slicing reports whether a slice is open.
	slicing() bool
	// edge is where the history the part re-reads ends at now: the start of the settle
	// window, which the settle pass re-reads every night.
	edge(now time.Time) time.Time
	// open opens the slice [from, to) and commits the checkpoint, so that a crash
	// before its first page resumes the same slice.
	open(ctx context.Context, r *run, from, to time.Time) error
	// read reads the open slice to its end, each committed page moving the part's
	// state on through t (sweepTally.advance).
	read(ctx context.Context, r *run, t *sweepTally) error
}

// sweepPass is one pass of a part over its history: the records in [From, To), To
// being the edge of the settle window when the pass began.
type sweepPass struct {
	From, To  time.Time
	StartedAt time.Time // on the engine's clock
	// Records is how many stored records the pass began with: what its daily slice is
	// planned from. (Its key is the one earlier versions wrote, when only calls were
	// swept.)
	Records int `json:"Calls"`
	// Next is where the next slice starts: every record before it has been read again
	// in this pass.
	Next time.Time
	// Requests and Slices are what the pass has cost so far, and in how many slices.
	Requests int
	Slices   int
	// EndedAt is when the pass read its last slice; nil while it is under way.
	EndedAt *time.Time `json:",omitempty"`
}

// sweepState is a part's own section of its checkpoint.
type sweepState struct {
	// Pass is the pass under way; nil between passes.
	Pass *sweepPass `json:"pass,omitempty"`
	// LastPass is the last complete pass.
	LastPass *sweepPass `json:"last_pass,omitempty"`
	Passes   int        `json:"passes,omitempty"`
	// Day is the budget day DayRequests counts the part's requests of.
	Day         string `json:"day,omitempty"`
	DayRequests int    `json:"day_requests,omitempty"`
}

// size is how many records the part's plan is made from: the pass under way's, or
// between passes the last one's (the next pass will be about as large).
func (sw *sweepState) size() int {
	switch {
	case sw.Pass != nil:
		return sw.Pass.Records
	case sw.LastPass != nil:
		return sw.LastPass.Records
	}
	return 0
}

// sweepDailyPlan is how many requests a day a pass over records records needs to end
// within period: its pages spread over the period's days, plus one a day for the page
// a slice may end on. Nothing to read plans nothing.
func sweepDailyPlan(records, perPage int, period time.Duration) int {
	if records == 0 {
		return 0
	}
	days := max(period.Hours()/24, 1.0/24)
	pages := math.Ceil(float64(records) / float64(perPage))
	return int(math.Ceil(pages/days)) + 1
}

// sweepAllowance is the day's slice of part s for a pass over records records: its
// plan, or, when the parts' plans together need more than the share, its part of the
// share in proportion to its plan (sweepSplit).
func (e *Engine) sweepAllowance(ctx context.Context, s *sweptStream, records int) (planned, allowed int, err error) {
	plans := make([]int, len(sweptStreams))
	mine := 0
	for i, o := range sweptStreams {
		if o == s {
			plans[i], mine = sweepDailyPlan(records, s.perPage, e.opt.SweepPeriod), i
			continue
		}
		part, err := o.load(e, ctx)
		if err != nil {
			return 0, 0, err
		}
		plans[i] = sweepDailyPlan(part.state().size(), o.perPage, e.opt.SweepPeriod)
	}
	return plans[mine], sweepSplit(plans, int(e.opt.SweepShare*float64(e.budget.Daily())))[mine], nil
}

// sweepSplit shares room (the sweep's requests a day) between parts planning plans:
// each gets its plan when they fit; otherwise each gets room in proportion to its plan
// (rounded down, at least one request, so that no part stops for good), and every
// pass takes about as much longer than the period.
func sweepSplit(plans []int, room int) []int {
	total := 0
	for _, p := range plans {
		total += p
	}
	out := make([]int, len(plans))
	for i, p := range plans {
		switch {
		case total <= room || p == 0:
			out[i] = p
		default:
			out[i] = max(1, room*p/total)
		}
	}
	return out
}

// sweepOf is the work of a part's stream: today's slice of the pass under way (a new
// pass begins when the last one is done), then the gauge of the oldest record not
// read again.
func sweepOf(stream string) func(e *Engine, ctx context.Context, r *run) error {
	return func(e *Engine, ctx context.Context, r *run) error {
		for _, s := range sweptStreams {
			if s.stream == stream {
				return e.sweep(ctx, r, s)
			}
		}
		return fmt.Errorf("no swept stream %q", stream)
	}
}

// sweep reads today's slices of part s.
func (e *Engine) sweep(ctx context.Context, r *run, s *sweptStream) error {
	defer e.observeSweep(ctx, s)
	part, err := s.load(e, ctx)
	if err != nil {
		return err
	}
	if sw, today := part.state(), e.budget.Day(e.now()).Format(time.DateOnly); sw.Day != today {
		sw.Day, sw.DayRequests = today, 0
	}
	t := &sweepTally{payer: r.payer, base: part.state().DayRequests}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !part.slicing() {
			from, to, ok, err := e.nextSlice(ctx, r, s, part)
			if err != nil || !ok {
				return err
			}
			if err := part.open(ctx, r, from, to); err != nil {
				return err
			}
		}
		if err := part.read(ctx, r, t); err != nil {
			return err
		}
		if p := part.state().LastPass; t.passEnded && p != nil {
			r.log.Info().Str("table", s.table.Table()).Time("from", p.From).Time("to", p.To).Int("records", p.Records).
				Int("requests", p.Requests).Int("slices", p.Slices).Msg("sweep: the whole history has been read again")
			t.passEnded = false
		}
	}
}

// nextSlice plans the next slice of the pass under way, beginning a pass when none is,
// sized to what is left of today's allowance. It returns false when there is nothing
// to read today: no history older than the settle window, or today's slice is spent.
func (e *Engine) nextSlice(ctx context.Context, r *run, s *sweptStream, part sweepPart) (from, to time.Time, ok bool, err error) {
	sw := part.state()
	if sw.Pass == nil && sw.LastPass != nil && sw.LastPass.EndedAt != nil &&
		e.budget.Day(*sw.LastPass.EndedAt).Equal(e.budget.Day(e.now())) {
		return from, to, false, nil // one pass a day at most: a small history is not re-read in a loop
	}
	if sw.Pass == nil {
		edge := part.edge(e.now())
		oldest, n, err := e.st.History(ctx, s.table, edge)
		if err != nil || oldest == nil {
			return from, to, false, err
		}
		sw.Pass = &sweepPass{From: *oldest, To: edge, StartedAt: e.now(), Records: n, Next: *oldest}
		r.log.Info().Str("table", s.table.Table()).Time("from", *oldest).Time("to", edge).Int("records", n).
			Msg("sweep: a new pass over the history begins")
	}
	p := sw.Pass
	planned, allowed, err := e.sweepAllowance(ctx, s, p.Records)
	if err != nil {
		return from, to, false, err
	}
	if planned > allowed {
		r.log.Warn().Int("planned", planned).Int("allowed", allowed).Dur("period", e.opt.SweepPeriod).
			Msg("sweep: a pass needs more requests a day than GONGSYNC_SWEEP_SHARE leaves it; it will take longer than GONGSYNC_SWEEP_PERIOD")
	}
	left := allowed - sw.DayRequests
	if left <= 0 {
		return from, to, false, nil
	}
	// A slice of left pages' worth of stored records costs left pages, one more when
	// Gong has a few records there that the table does not.
	if to, err = e.st.SliceEnd(ctx, s.table, p.Next, p.To, left*s.perPage); err != nil {
		return from, to, false, err
	}
	p.Slices++
	return p.Next, to, true, nil
}

// sweepTally moves a part's pass and day on as its pages commit: it keeps the day's
// request count and the pass's in the checkpoint, and the pass's progress as slices
// close.
type sweepTally struct {
	payer     *Payer
	base      int  // the day's requests before this run
	counted   int  // the payer's requests already added to the pass
	passEnded bool // a page closed the pass's last slice
}

// advance returns the part's state after a committed page; closedTo, when the page
// closed a slice, is where the slice ended, and completedAt when.
func (t *sweepTally) advance(sw *sweepState, closedTo, completedAt *time.Time) *sweepState {
	next := *sw
	spent := t.payer.Requests()
	next.DayRequests = t.base + spent
	if next.Pass != nil {
		p := *next.Pass
		p.Requests += spent - t.counted
		if closedTo != nil {
			p.Next = *closedTo
		}
		next.Pass = &p
		if closedTo != nil && !closedTo.Before(p.To) {
			// The pass is complete: every record it began with has been read again.
			p.EndedAt = completedAt
			next.LastPass, next.Passes, next.Pass = &p, next.Passes+1, nil
			t.passEnded = true
		}
	}
	t.counted = spent
	return &next
}

// callsSweep is the calls' part: its slices are windows of call starts, kept in the
// sweep stream's window checkpoint.
type callsSweep struct {
	e  *Engine
	cp windowCheckpoint
}

// loadCallsSweep reads the calls part's checkpoint (the sweep stream's). Its
// signature is sweptStream.load's, the engine first as in streamDef.work.
func loadCallsSweep(e *Engine, ctx context.Context) (sweepPart, error) {
	cp, err := e.loadWindow(ctx, StreamSweep)
	if err != nil {
		return nil, err
	}
	if cp.Sweep == nil {
		cp.Sweep = &sweepState{}
	}
	return &callsSweep{e: e, cp: cp}, nil
}

func (c *callsSweep) state() *sweepState           { return c.cp.Sweep }
func (c *callsSweep) slicing() bool                { return c.cp.Window != nil }
func (c *callsSweep) edge(now time.Time) time.Time { return now.Add(-c.e.opt.SettleWindow) }

// open opens the slice in one transaction with putting its calls whose transcript
// Gong never had back in the transcripts queue (asked again once per pass).
func (c *callsSweep) open(ctx context.Context, r *run, from, to time.Time) error {
	startedAt, err := c.e.st.Now(ctx)
	if err != nil {
		return err
	}
	c.cp.Window = &callsWindow{cursorWindow: cursorWindow{From: from, To: to, StartedAt: startedAt}}
	var requeued int
	err = c.e.st.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if requeued, err = tx.RequeueUnavailableTranscripts(ctx, from, to); err != nil {
			return err
		}
		return tx.SaveCheckpoint(ctx, c.cp.row())
	})
	if err != nil {
		return err
	}
	if requeued > 0 {
		r.log.Info().Int("calls", requeued).Msg("sweep: calls whose transcript Gong never had are asked again")
	}
	return nil
}

func (c *callsSweep) read(ctx context.Context, r *run, t *sweepTally) error {
	return c.e.readWindow(ctx, r, &c.cp, &sweepGoal{tally: t})
}

// sweepGoal is the calls sweep's windowGoal: the tally moves the pass on as pages
// commit.
type sweepGoal struct{ tally *sweepTally }

func (*sweepGoal) lateBefore() time.Time { return time.Time{} }

func (g *sweepGoal) advance(next *windowCheckpoint, _ int, closed *callsWindow) {
	var to *time.Time
	if closed != nil {
		to = &closed.To
	}
	next.Sweep = g.tally.advance(next.Sweep, to, next.CompletedAt)
}

func (*sweepGoal) afterPage(context.Context, *run, *windowCheckpoint) error { return nil }

// reviewsSweep is the answered scorecards' part: its slices are ranges of review
// dates, kept in a review checkpoint of its own.
type reviewsSweep struct {
	e  *Engine
	cp reviewCheckpoint
}

// loadReviewsSweep reads the answered scorecards part's checkpoint, with the
// company's offset from the stream's when it has none of its own yet.
func loadReviewsSweep(e *Engine, ctx context.Context) (sweepPart, error) {
	cp, err := e.loadReviews(ctx, StreamAnsweredScorecardsSweep)
	if err != nil {
		return nil, err
	}
	if cp.Offset == nil {
		main, err := e.loadReviews(ctx, StreamAnsweredScorecards)
		if err != nil {
			return nil, err
		}
		cp.Offset = main.Offset
	}
	if cp.Sweep == nil {
		cp.Sweep = &sweepState{}
	}
	return &reviewsSweep{e: e, cp: cp}, nil
}

func (c *reviewsSweep) state() *sweepState { return c.cp.Sweep }
func (c *reviewsSweep) slicing() bool      { return c.cp.Window != nil }

// edge is the first review date the settle pass re-reads.
func (c *reviewsSweep) edge(now time.Time) time.Time {
	from, _ := reviewDates(c.cp.Offset, now.Add(-c.e.opt.SettleWindow), now)
	return from
}

func (c *reviewsSweep) open(ctx context.Context, _ *run, from, to time.Time) error {
	return c.e.openReviews(ctx, &c.cp, reviewGoal{}, from, to, c.e.now())
}

func (c *reviewsSweep) read(ctx context.Context, r *run, t *sweepTally) error {
	return c.e.readReviews(ctx, r, &c.cp, reviewGoal{sweep: t})
}

// SweepStatus is where one part of the sweep stands, for `gongsync status`.
type SweepStatus struct {
	// Stream is the part's stream; Table the table it re-reads.
	Stream string `json:"stream"`
	Table  string `json:"table"`
	// LastPassAt is when the part last finished reading its whole history again, from
	// LastPassFrom, and what that pass cost.
	LastPassAt       *time.Time `json:"last_pass_at,omitempty"`
	LastPassFrom     *time.Time `json:"last_pass_from,omitempty"`
	LastPassRequests int        `json:"last_pass_requests,omitempty"`
	Passes           int        `json:"passes"`
	// The pass under way: its range, how far it got and the share of its records read.
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

// sweepStatus reads each part's checkpoint into a SweepStatus; a part with nothing
// stored and no pass is left out (a company that does not use scorecards).
func (e *Engine) sweepStatus(ctx context.Context) ([]SweepStatus, error) {
	var out []SweepStatus
	for _, s := range sweptStreams {
		part, err := s.load(e, ctx)
		if err != nil {
			return nil, err
		}
		st := SweepStatus{Stream: s.stream, Table: s.table.Table(), Period: e.opt.SweepPeriod.String()}
		sw := part.state()
		st.Passes = sw.Passes
		if lp := sw.LastPass; lp != nil {
			st.LastPassAt, st.LastPassFrom, st.LastPassRequests = lp.EndedAt, &lp.From, lp.Requests
		}
		if sw.Day == e.budget.Day(e.now()).Format(time.DateOnly) {
			st.TodaySpent = sw.DayRequests
		}
		if p := sw.Pass; p != nil {
			st.PassFrom, st.PassTo, st.PassNext = &p.From, &p.To, &p.Next
			if _, st.DailySlice, err = e.sweepAllowance(ctx, s, p.Records); err != nil {
				return nil, err
			}
			read, err := e.st.Between(ctx, s.table, p.From, p.Next)
			if err != nil {
				return nil, err
			}
			if p.Records > 0 {
				st.PassDone = min(1, float64(read)/float64(p.Records))
			}
		}
		oldest, age, err := e.st.OldestLastSeen(ctx, s.table)
		if err != nil {
			return nil, err
		}
		if oldest == nil && sw.Pass == nil && sw.LastPass == nil {
			continue
		}
		st.OldestRead, st.OldestReadS = oldest, age.Seconds()
		out = append(out, st)
	}
	return out, nil
}

// observeSweep sets the gauge of the oldest live record of s's table not read again
// since.
func (e *Engine) observeSweep(ctx context.Context, s *sweptStream) {
	if e.m == nil || ctx.Err() != nil {
		return
	}
	_, age, err := e.st.OldestLastSeen(ctx, s.table)
	if err != nil {
		e.log.Warn().Err(err).Str("table", s.table.Table()).Msg("could not read the oldest record's last read for the metrics")
		return
	}
	e.m.observeOldestUnread(s.table.Table(), age)
}

// findAgeDays are the edges, in days since a record's time (a call's start, a review's
// date), of the age classes its finds are counted in: within the settle window, within
// a month, a quarter, a year, older.
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
