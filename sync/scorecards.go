package sync

import (
	"context"
	"fmt"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// The scorecard streams. Definitions (GET /v2/settings/scorecards) are a full refresh
// of a small set, run with the users. Answered scorecards (POST
// /v2/stats/activity/scorecards) have no change feed either, but Gong selects them by
// review date, so they are read like the calls, by windows, except that a window is a
// range of calendar dates in the company's time zone: each run re-reads from its
// high-water mark less the overlap up to today (reviews are added and edited after
// the call), the settle pass re-reads the settle window, and the reviews of a window
// read completely that were not seen since it began are gone from Gong.

// Stream names of the scorecard streams.
const (
	StreamScorecards               = "scorecards"
	StreamAnsweredScorecards       = "answered_scorecards"
	StreamAnsweredScorecardsSettle = "answered_scorecards_settle"
	// StreamAnsweredScorecardsSweep is the sweep's part for the answered scorecards
	// (sweep.go): it re-reads the review dates older than the settle window.
	StreamAnsweredScorecardsSweep = "answered_scorecards_sweep"
)

// reviewBackfillDays is the longest range of review dates a backfill reads as one query
// series: a cursor too old to trust restarts its window from the start (Gong does not
// document an order of answered scorecards to restart from), so a window costs at most
// its own pages again, and each window's partial last page one request.
const reviewBackfillDays = 31

// scorecardsSet is the scorecard definitions: a whole set, in one request.
var scorecardsSet = &wholeSet[gongapi.Scorecard, store.Scorecard]{stream: StreamScorecards, what: "scorecards",
	fetch: (*gongapi.Client).Scorecards, rows: ScorecardRows,
	upsert: (*store.Tx).UpsertScorecards, markMissing: (*store.Tx).MarkScorecardsMissing}

// syncScorecards reads every scorecard definition in one request.
func (e *Engine) syncScorecards(ctx context.Context, r *run) error {
	return syncWhole(e, ctx, r, scorecardsSet)
}

// syncAnsweredScorecards is one incremental run: it finishes a window left open by an
// interrupted run, then reads the review dates from the high-water mark less the
// overlap up to today.
func (e *Engine) syncAnsweredScorecards(ctx context.Context, r *run) error {
	cp, err := e.loadReviews(ctx, StreamAnsweredScorecards)
	if err != nil {
		return err
	}
	g := reviewGoal{moveMark: true, lateBefore: cp.HighWaterMark}
	// Two windows at most: the one an earlier run left open, then one up to now.
	for range 2 {
		if cp.Window == nil {
			mark := e.now()
			from, to := reviewDates(cp.Offset, e.reviewsStart(cp), mark)
			if err := e.openReviews(ctx, &cp, g, from, to, mark); err != nil {
				return err
			}
		}
		mark := cp.Window.Mark
		if err := e.readReviews(ctx, r, &cp, g); err != nil {
			return err
		}
		// A window opened long ago (a run paused by the budget) ends far behind now:
		// read up to now as well. A fresh window ends at now, and one pass is enough.
		if e.now().Sub(mark) < time.Minute {
			return nil
		}
	}
	return nil
}

// DefaultReviewsEvery is Options.ReviewsEvery's default: reviews at most an hour
// stale, at a read an hour instead of one per 15-minute tick of the calls schedule.
const DefaultReviewsEvery = time.Hour

// ReviewsDueAt is when a scheduled tick next reads the answered scorecards: once their
// last complete read (the high-water mark) is Options.ReviewsEvery old, less a slack
// of a twelfth of it (at most 5 minutes) so that a read that began a little after its
// tick does not push the next read a whole tick later. At once when a window was left
// open or none was ever read. A daemon may wake for it.
func (e *Engine) ReviewsDueAt(ctx context.Context) (time.Time, error) {
	cp, err := e.loadReviews(ctx, StreamAnsweredScorecards)
	if err != nil {
		return time.Time{}, err
	}
	if cp.Window != nil || cp.HighWaterMark == nil {
		return time.Time{}, nil
	}
	every := e.opt.ReviewsEvery
	return cp.HighWaterMark.Add(every - min(every/12, 5*time.Minute)), nil
}

// reviewsStart is the instant a new incremental window reads from: the high-water
// mark less the overlap; before the first complete window, where a completed backfill
// ended (less the overlap), or one settle window back: older reviews are `gongsync
// backfill`'s job.
func (e *Engine) reviewsStart(cp reviewCheckpoint) time.Time {
	if cp.HighWaterMark != nil {
		return cp.HighWaterMark.Add(-e.opt.Overlap)
	}
	start := e.now().Add(-e.opt.SettleWindow)
	if b := cp.Backfill; b != nil && b.Done && b.To.After(start) {
		start = b.To.Add(-e.opt.Overlap)
	}
	return start
}

// settleAnsweredScorecards re-reads the review dates of the last SettleWindow
// completely: reviews published late are inserted, edited ones updated, vanished ones
// marked deleted, reappearing ones restored.
func (e *Engine) settleAnsweredScorecards(ctx context.Context, r *run) error {
	cp, err := e.loadReviews(ctx, StreamAnsweredScorecardsSettle)
	if err != nil {
		return err
	}
	main, err := e.loadReviews(ctx, StreamAnsweredScorecards)
	if err != nil {
		return err
	}
	if cp.Offset == nil {
		cp.Offset = main.Offset
	}
	g := reviewGoal{lateBefore: main.HighWaterMark}
	if cp.Window == nil {
		now := e.now()
		from, to := reviewDates(cp.Offset, now.Add(-e.opt.SettleWindow), now)
		if err := e.openReviews(ctx, &cp, g, from, to, now); err != nil {
			return err
		}
	}
	return e.readReviews(ctx, r, &cp, g)
}

// backfillAnsweredScorecards reads, as part of `gongsync backfill`, every review of
// the calls started in [from, to), whenever it was written: Gong selects reviews by
// their calls' dates too, and a review of a backfilled call written after the
// backfill's end would otherwise be older than the first incremental window and never
// read. The range is read in windows of at most reviewBackfillDays of call starts,
// each committed page by page: run again with the same range, it goes on where it
// stopped.
func (e *Engine) backfillAnsweredScorecards(ctx context.Context, r *run, from, to time.Time) error {
	cp, err := e.loadReviews(ctx, StreamAnsweredScorecards)
	if err != nil {
		return err
	}
	if b := cp.Backfill; b == nil || !b.From.Equal(from) || !b.To.Equal(to) {
		cp.Backfill = &reviewBackfill{From: from, To: to, Next: from}
		if err := cp.save(ctx, e.st); err != nil {
			return err
		}
	}
	g := reviewGoal{backfill: true}
	for !cp.Backfill.Done {
		if err := ctx.Err(); err != nil {
			return err
		}
		if b := cp.Backfill; b.Window == nil {
			if !b.Next.Before(b.To) {
				done := *b
				done.Done = true
				cp.Backfill = &done
				return cp.save(ctx, e.st)
			}
			to := b.Next.AddDate(0, 0, reviewBackfillDays)
			if to.After(b.To) {
				to = b.To
			}
			if err := e.openReviews(ctx, &cp, g, b.Next, to, e.now()); err != nil {
				return err
			}
		}
		if err := e.readReviews(ctx, r, &cp, g); err != nil {
			return err
		}
	}
	return nil
}

// reviewDates is the range of the company's calendar dates, [from, to), that holds
// every review published between the instants a and b. With the company's offset
// known (offset, in seconds east of UTC) the dates are the company's, an hour wider on
// each side in case daylight saving moved the offset since Gong last showed it;
// unknown, they are wide enough for any zone (UTC−12 to UTC+14).
func reviewDates(offset *int, a, b time.Time) (from, to time.Time) {
	if offset != nil {
		loc := time.FixedZone("", *offset)
		return calendarDate(a.Add(-time.Hour).In(loc)), calendarDate(b.Add(time.Hour).In(loc)).AddDate(0, 0, 1)
	}
	return calendarDate(a.UTC().Add(-12 * time.Hour)), calendarDate(b.UTC().Add(14*time.Hour)).AddDate(0, 0, 1)
}

// reviewGoal is what a run does with the windows of reviews it reads, beyond storing
// them: the incremental stream moves its high-water mark when a window closes, the
// backfill reads its own window and moves its range on, the sweep moves its pass on,
// the settle pass does nothing more. Reviews new to the table published before
// lateBefore are late.
type reviewGoal struct {
	backfill   bool
	moveMark   bool
	sweep      *sweepTally
	lateBefore *time.Time
}

// window is where the goal's open window lives in the checkpoint.
func (g reviewGoal) window(cp *reviewCheckpoint) **reviewWindow {
	if g.backfill {
		return &cp.Backfill.Window
	}
	return &cp.Window
}

// openReviews starts reading the review dates [from, to) (for a backfill, the reviews
// of the calls started in [from, to)) and commits that, so that a crash before the
// first page still resumes the same window.
func (e *Engine) openReviews(ctx context.Context, cp *reviewCheckpoint, g reviewGoal, from, to, mark time.Time) error {
	startedAt, err := e.st.Now(ctx)
	if err != nil {
		return err
	}
	if g.backfill {
		b := *cp.Backfill
		cp.Backfill = &b
	}
	w := &reviewWindow{Mark: mark, cursorWindow: cursorWindow{From: from, To: to, StartedAt: startedAt}}
	if g.backfill {
		// A backfill's window is of call starts: its reviews are asked for by the dates
		// of the company that hold them.
		dates := dateRange{}
		dates.From, dates.To = reviewDates(cp.Offset, from, to)
		w.CallDates = &dates
	}
	*g.window(cp) = w
	return cp.save(ctx, e.st)
}

// readReviews reads the goal's open window to its end on the page loop (pageloop.go),
// as readWindow reads calls, or returns the error that stopped it with the checkpoint
// at the last committed page. A cursor too old to trust, or one Gong says expired,
// starts the window over from its first page (Gong documents no order of answered
// scorecards to restart from); its start on the database's clock stays, so reviews
// read twice are simply unchanged the second time.
func (e *Engine) readReviews(ctx context.Context, r *run, cp *reviewCheckpoint, g reviewGoal) error {
	return e.readPages(ctx, r, pagesOf(e, &reviewsRead{e: e, cp: cp, g: g}))
}

// reviewsRead is a window of review dates as the page loop reads it (POST
// /v2/stats/activity/scorecards): the checkpoint it moves on, the goal it serves, and
// the request last sent.
type reviewsRead struct {
	noAfterPage
	e   *Engine
	cp  *reviewCheckpoint
	g   reviewGoal
	req gongapi.AnsweredScorecardsRequest
}

func (c *reviewsRead) window() *cursorWindow {
	if w := *c.g.window(c.cp); w != nil {
		return &w.cursorWindow
	}
	return nil
}

func (c *reviewsRead) fetch(ctx context.Context, gong *gongapi.Client, cursor string) (*gongapi.Page[gongapi.AnsweredScorecard], error) {
	c.req = planReviews(*c.g.window(c.cp), cursor)
	page, err := gong.AnsweredScorecardsPage(ctx, c.req)
	if err != nil {
		return nil, fmt.Errorf("read answered scorecards %s: %w", reviewsQuery(c.req.Filter), err)
	}
	return page, nil
}

// commit maps the page to rows (AnsweredScorecardRows) and commits them with the
// checkpoint after them (reviewPageDone), and the deletions of a window it completes.
func (c *reviewsRead) commit(ctx context.Context, r *run, page *gongapi.Page[gongapi.AnsweredScorecard], turn pageTurn) (pageFinds, error) {
	rows := AnsweredScorecardRows(page.Items)
	w := *c.g.window(c.cp)
	next := reviewPageDone(*c.cp, c.g, turn, rows, companyOffset(page.Items))
	q := quarantineOf(c.e, c.cp.stream, page, "")
	res, deleted, err := c.e.commitReviewsPage(ctx, *w, next, c.g, rows, q)
	if err != nil {
		return pageFinds{}, fmt.Errorf("commit answered scorecards page (requestId %s): %w", page.RequestID, err)
	}
	*c.cp = next
	if len(deleted) > 0 {
		r.log.Info().Int("deleted", len(deleted)).Str("query", reviewsQuery(c.req.Filter)).
			Msg("answered scorecards gone from Gong marked deleted")
	}
	return pageFinds{records: len(rows), res: res, deleted: deleted, late: lateReviews(rows, res.Inserted, c.g.lateBefore),
		quarantined: []*pageQuarantine{q},
		swept:       store.SweptAnsweredScorecards, at: func(i int) (string, *time.Time) { return rows[i].ID, rows[i].ReviewDate }}, nil
}

// planReviews is the request that continues w with cursor (the page loop's trusted
// cursor), or, without one, the window's first page: the reviews of its review dates,
// or, for a window of call starts, of its calls' dates.
func planReviews(w *reviewWindow, cursor string) gongapi.AnsweredScorecardsRequest {
	if d := w.CallDates; d != nil {
		return gongapi.AnsweredScorecardsRequest{Cursor: cursor, Filter: gongapi.AnsweredScorecardsFilter{
			CallFromDate: gongapi.FormatFilterDate(d.From), CallToDate: gongapi.FormatFilterDate(d.To)}}
	}
	return gongapi.AnsweredScorecardsRequest{Cursor: cursor, Filter: gongapi.AnsweredScorecardsFilter{
		ReviewFromDate: gongapi.FormatFilterDate(w.From), ReviewToDate: gongapi.FormatFilterDate(w.To)}}
}

// reviewsQuery names a query's dates, for errors and logs.
func reviewsQuery(f gongapi.AnsweredScorecardsFilter) string {
	if f.CallFromDate != "" {
		return "of the calls of " + f.CallFromDate + ".." + f.CallToDate
	}
	return "of review dates " + f.ReviewFromDate + ".." + f.ReviewToDate
}

// reviewPageDone is the checkpoint a committed page leaves (pure): the window goes on
// from the page's cursor, or, on its last page, is closed, moving the high-water mark
// or the backfill's range on. offset, when the page showed it, is the company's.
func reviewPageDone(cp reviewCheckpoint, g reviewGoal, turn pageTurn, rows []store.AnsweredScorecard, offset *int) reviewCheckpoint {
	now := turn.at
	if offset != nil {
		cp.Offset = offset
	}
	if g.backfill {
		b := *cp.Backfill
		b.Records += int64(len(rows))
		cp.Backfill = &b
	}
	slot := g.window(&cp)
	w := **slot
	w.cursorWindow = w.turned(turn, w.From)
	if !turn.last() {
		*slot = &w
		if g.sweep != nil {
			cp.Sweep = g.sweep.advance(cp.Sweep, nil, nil)
		}
		return cp
	}
	*slot = nil
	switch {
	case g.backfill:
		cp.Backfill.Next = w.To
	case g.moveMark:
		cp.CompletedAt = &now
		if cp.HighWaterMark == nil || w.Mark.After(*cp.HighWaterMark) {
			mark := w.Mark
			cp.HighWaterMark = &mark
		}
	default:
		cp.CompletedAt = &now
	}
	if g.sweep != nil {
		cp.Sweep = g.sweep.advance(cp.Sweep, &w.To, cp.CompletedAt)
	}
	return cp
}

// commitReviewsPage writes a page of reviews and the checkpoint after it in one
// transaction. When next closes w, the reviews of w's dates (or of the calls started
// in w) not seen since w began are gone from Gong, and marked deleted in the same
// transaction.
func (e *Engine) commitReviewsPage(ctx context.Context, w reviewWindow, next reviewCheckpoint, g reviewGoal, rows []store.AnsweredScorecard, q *pageQuarantine) (res store.UpsertResult, deleted []string, err error) {
	closes := *g.window(&next) == nil
	err = e.st.Transact(ctx, func(tx *store.Tx) error {
		if err := q.write(ctx, tx); err != nil {
			return err
		}
		var err error
		if res, err = tx.UpsertAnsweredScorecards(ctx, rows); err != nil {
			return err
		}
		deleted = nil
		switch {
		case closes && w.CallDates != nil:
			deleted, err = tx.MarkAnsweredScorecardsOfCallsDeleted(ctx, w.From, w.To, w.StartedAt)
		case closes:
			deleted, err = tx.MarkAnsweredScorecardsDeleted(ctx, w.From, w.To, w.StartedAt)
		}
		if err != nil {
			return err
		}
		return tx.SaveCheckpoint(ctx, next.row())
	})
	return res, deleted, err
}

// lateReviews counts the reviews of a committed page new to the table (inserted)
// that were published before lateBefore: a run had passed their review time.
func lateReviews(rows []store.AnsweredScorecard, inserted []string, lateBefore *time.Time) int {
	if lateBefore == nil || len(inserted) == 0 {
		return 0
	}
	isNew := make(map[string]bool, len(inserted))
	for _, id := range inserted {
		isNew[id] = true
	}
	late := 0
	for i := range rows {
		if isNew[rows[i].ID] && rows[i].ReviewTime != nil && rows[i].ReviewTime.Before(*lateBefore) {
			late++
			delete(isNew, rows[i].ID) // a duplicate in the page counts once
		}
	}
	return late
}

// companyOffset is the offset from UTC, in seconds, of the last reviewTime of a page:
// Gong writes its timestamps in the company's offset. Nil when the page has none.
func companyOffset(as []gongapi.AnsweredScorecard) *int {
	for i := len(as) - 1; i >= 0; i-- {
		if t := as[i].ReviewTime; !t.IsZero() {
			_, off := t.Zone()
			return &off
		}
	}
	return nil
}

// reviewCheckpoint is where the answered scorecards stand, and their settle pass and
// sweep: Gong selects reviews by review date, a calendar date in the company's time
// zone, so the windows are ranges of dates, not instants.
type reviewCheckpoint struct {
	stream string
	// HighWaterMark: every review Gong had published before it, on the engine's clock,
	// has been read (the incremental stream only).
	HighWaterMark *time.Time
	// Window is the range of review dates being read; nil when none is open.
	Window *reviewWindow
	// CompletedAt is when the stream last closed a window.
	CompletedAt *time.Time
	// Offset is the company's offset from UTC in seconds, as the last review's
	// reviewTime showed it; nil until a review was read. It turns instants into the
	// company's dates; without it a window reaches far enough to cover any zone.
	Offset *int
	// Backfill is the backfill's range and progress (the incremental stream only).
	Backfill *reviewBackfill
	// Sweep is the sweep's pass and day (the sweep's part only).
	Sweep *sweepState
}

// reviewWindow is a range of review dates being read, [From, To), each a calendar
// date at midnight UTC, and how far the reading got; or, for a backfill, a range of
// call starts, [From, To) as instants, whose reviews are read whatever their review
// date (CallDates).
type reviewWindow struct {
	cursorWindow
	// Mark is the instant the window reads up to (the engine's clock when it opened):
	// the high-water mark once an incremental window closes.
	Mark time.Time
	// CallDates, for a window of call starts, are the company's calendar dates that
	// hold them: Gong's filter (callFromDate, callToDate), fixed when the window opened
	// so that every page is asked with the query its cursor belongs to.
	CallDates *dateRange
}

// dateRange is a range of calendar dates, [From, To), each at midnight UTC.
type dateRange struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// reviewBackfill is what a backfill of the answered scorecards was asked for (the
// backfill's range of calls, instants) and how far it got: the reviews of the calls
// started in [Next, To) are still to read, in windows of call starts.
type reviewBackfill struct {
	From, To time.Time
	Next     time.Time
	Done     bool
	Records  int64 // answered scorecards read by this backfill, across its runs
	Window   *reviewWindow
}

// reviewState is the part of a reviewCheckpoint kept in sync_state.state.
type reviewState struct {
	CursorAt *time.Time          `json:"cursor_at,omitempty"`
	Mark     *time.Time          `json:"mark,omitempty"`
	Offset   *int                `json:"utc_offset_seconds,omitempty"`
	Backfill *reviewBackfillJSON `json:"backfill,omitempty"`
	Sweep    *sweepState         `json:"sweep,omitempty"`
}

type reviewBackfillJSON struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Next time.Time `json:"next"`
	// ByCall marks a backfill that selects reviews by their calls' dates. Earlier
	// versions selected them by review date up to the backfill's end, and so missed
	// the reviews written later of its last calls: a backfill of theirs is not resumed
	// but started again.
	ByCall  bool              `json:"by_call,omitempty"`
	Done    bool              `json:"done,omitempty"`
	Records int64             `json:"records,omitempty"`
	Window  *reviewWindowJSON `json:"window,omitempty"`
}

type reviewWindowJSON struct {
	From      time.Time  `json:"from"`
	To        time.Time  `json:"to"`
	StartedAt time.Time  `json:"started_at"`
	Mark      time.Time  `json:"mark"`
	Cursor    string     `json:"cursor,omitempty"`
	CursorAt  *time.Time `json:"cursor_at,omitempty"`
	CallDates *dateRange `json:"call_dates,omitempty"`
}

// loadReviews reads the checkpoint of the answered scorecards or their settle pass.
func (e *Engine) loadReviews(ctx context.Context, stream string) (reviewCheckpoint, error) {
	row, err := e.st.Checkpoint(ctx, stream)
	if err != nil {
		return reviewCheckpoint{}, err
	}
	var s reviewState
	if err := decodeState(row, &s); err != nil {
		return reviewCheckpoint{}, err
	}
	cp := reviewCheckpoint{stream: stream, HighWaterMark: row.HighWaterMark, CompletedAt: row.CompletedAt, Offset: s.Offset, Sweep: s.Sweep}
	if row.WindowFrom != nil && row.WindowTo != nil && row.WindowStartedAt != nil {
		cp.Window = &reviewWindow{cursorWindow: cursorWindow{From: *row.WindowFrom, To: *row.WindowTo, StartedAt: *row.WindowStartedAt,
			Cursor: row.Cursor, CursorAt: s.CursorAt}}
		if s.Mark != nil {
			cp.Window.Mark = *s.Mark
		}
	}
	if b := s.Backfill; b != nil && b.ByCall {
		cp.Backfill = &reviewBackfill{From: b.From, To: b.To, Next: b.Next, Done: b.Done, Records: b.Records}
		if w := b.Window; w != nil {
			cp.Backfill.Window = &reviewWindow{Mark: w.Mark, CallDates: w.CallDates, cursorWindow: cursorWindow{From: w.From, To: w.To,
				StartedAt: w.StartedAt, Cursor: w.Cursor, CursorAt: w.CursorAt}}
		}
	}
	return cp, nil
}

// row is the checkpoint as sync_state stores it: the open window in the columns, the
// backfill's in the state document.
func (cp reviewCheckpoint) row() store.Checkpoint {
	row := store.Checkpoint{Stream: cp.stream, HighWaterMark: cp.HighWaterMark, CompletedAt: cp.CompletedAt}
	s := reviewState{Offset: cp.Offset, Sweep: cp.Sweep}
	if w := cp.Window; w != nil {
		row.WindowFrom, row.WindowTo, row.WindowStartedAt, row.Cursor = &w.From, &w.To, &w.StartedAt, w.Cursor
		s.CursorAt, s.Mark = w.CursorAt, &w.Mark
	}
	if b := cp.Backfill; b != nil {
		s.Backfill = &reviewBackfillJSON{From: b.From, To: b.To, Next: b.Next, ByCall: true, Done: b.Done, Records: b.Records}
		if w := b.Window; w != nil {
			s.Backfill.Window = &reviewWindowJSON{From: w.From, To: w.To, StartedAt: w.StartedAt, Mark: w.Mark,
				Cursor: w.Cursor, CursorAt: w.CursorAt, CallDates: w.CallDates}
		}
	}
	row.State = encodeState(s)
	return row
}

// save commits the checkpoint on its own (outside a page's transaction).
func (cp reviewCheckpoint) save(ctx context.Context, st *store.Store) error {
	return st.Transact(ctx, func(tx *store.Tx) error { return tx.SaveCheckpoint(ctx, cp.row()) })
}

// ScorecardRows maps the scorecard definitions answer.
func ScorecardRows(ss []gongapi.Scorecard) []store.Scorecard {
	rows := make([]store.Scorecard, 0, len(ss))
	for i := range ss {
		s := &ss[i]
		row := store.Scorecard{
			ID:            clean(string(s.ScorecardID)),
			Name:          cleanPtr(s.ScorecardName),
			WorkspaceID:   idPtr(s.WorkspaceID),
			Enabled:       s.Enabled,
			ReviewMethod:  cleanPtr(s.ReviewMethod),
			UpdaterUserID: idPtr(s.UpdaterUserID),
			Created:       s.Created.Ptr(),
			Updated:       s.Updated.Ptr(),
			Raw:           rawJSON(s.Raw, s),
			Questions:     make([]store.ScorecardQuestion, 0, len(s.Questions)),
		}
		for j := range s.Questions {
			q := &s.Questions[j]
			row.Questions = append(row.Questions, store.ScorecardQuestion{
				QuestionID:         clean(string(q.QuestionID)),
				QuestionRevisionID: idPtr(q.QuestionRevisionID),
				Position:           int32(j),
				QuestionText:       cleanPtr(q.QuestionText),
				QuestionType:       cleanPtr(q.QuestionType),
				IsOverall:          q.IsOverall,
				AnswerGuide:        cleanPtr(q.AnswerGuide),
				MinRange:           q.MinRange.Ptr(),
				MaxRange:           q.MaxRange.Ptr(),
				AnswerOptions:      jsonDoc(q.AnswerOptions),
				Created:            q.Created.Ptr(),
				Updated:            q.Updated.Ptr(),
				UpdaterUserID:      idPtr(q.UpdaterUserID),
			})
		}
		rows = append(rows, row)
	}
	return rows
}

// AnsweredScorecardRows maps a page of answered scorecards. The review date is the
// calendar date of reviewTime in the offset Gong wrote it in, the company's: the date
// Gong's review date filters select the review by.
func AnsweredScorecardRows(as []gongapi.AnsweredScorecard) []store.AnsweredScorecard {
	rows := make([]store.AnsweredScorecard, 0, len(as))
	for i := range as {
		a := &as[i]
		row := store.AnsweredScorecard{
			ID:             clean(string(a.AnsweredScorecardID)),
			ScorecardID:    idPtr(a.ScorecardID),
			ScorecardName:  cleanPtr(a.ScorecardName),
			CallID:         idPtr(a.CallID),
			CallStarted:    a.CallStartTime.Ptr(),
			ReviewedUserID: idPtr(a.ReviewedUserID),
			ReviewerUserID: idPtr(a.ReviewerUserID),
			ReviewTime:     a.ReviewTime.Ptr(),
			Visibility:     cleanPtr(a.VisibilityType),
			Raw:            rawJSON(a.Raw, a),
			Answers:        make([]store.ScorecardAnswer, 0, len(a.Answers)),
		}
		if !a.ReviewTime.IsZero() {
			d := calendarDate(a.ReviewTime.Time)
			row.ReviewDate = &d
		}
		for j := range a.Answers {
			x := &a.Answers[j]
			ans := store.ScorecardAnswer{
				QuestionID:         clean(string(x.QuestionID)),
				QuestionRevisionID: idPtr(x.QuestionRevisionID),
				IsOverall:          x.IsOverall,
				Score:              decimalPtr(x.Score),
				AnswerText:         cleanPtr(x.AnswerText),
				NotApplicable:      x.NotApplicable,
			}
			if x.SelectedOptions != nil {
				ans.SelectedOptions = make([]string, len(x.SelectedOptions))
				for k, o := range x.SelectedOptions {
					ans.SelectedOptions[k] = clean(string(o))
				}
			}
			row.Answers = append(row.Answers, ans)
		}
		rows = append(rows, row)
	}
	return rows
}
