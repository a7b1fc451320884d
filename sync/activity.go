package sync

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// What each user did each day and their interaction stats are dated: Gong keeps them
// per calendar day of the company, takes ranges of days ([fromDate, toDate), dates in
// the company's time zone, the end no later than its current day), pages them by 100
// users (only users with activity come back) and revises the last few days. There is
// no change feed, so a run re-reads the recent days: [today − the settle window's
// days, today), from further back when the last read ended earlier. `gongsync
// backfill` reaches back over its range the same way, with a window of its own in the
// same checkpoint (datedCheckpoint).
//
// A range is read as query series of at most the stream's span of days, a page of
// users at a time: plan, fetch, map, commit (the page's rows and the checkpoint after
// them, in one transaction). The last page of a series also marks deleted the rows of
// its days not seen since the range began: Gong no longer reports them.

// datedStream is what differs between the dated streams: the request, the rows, and
// how far one query series may reach.
type datedStream[T, R any] struct {
	name string
	// span is the most days one query series covers. Activity comes back per day, so
	// a month's fits in a series; Gong sums interaction stats over the whole range
	// into one figure per user, so they are asked for one day at a time.
	span        int
	fetch       func(c *gongapi.Client, ctx context.Context, req gongapi.StatsRequest) (*gongapi.Page[T], error)
	rows        func(items []T, from, to time.Time) []R
	upsert      func(tx *store.Tx, ctx context.Context, rows []R) (store.UpsertResult, error)
	markMissing func(tx *store.Tx, ctx context.Context, from, to, notSeenSince time.Time) ([]string, error)
}

var userActivityStream = &datedStream[gongapi.UserActivity, store.UserActivityDay]{
	name: StreamUserActivity, span: 31,
	fetch:  (*gongapi.Client).UserActivityPage,
	rows:   ActivityDayRows,
	upsert: (*store.Tx).UpsertActivityDays, markMissing: (*store.Tx).MarkActivityDaysMissing,
}

var interactionStatsStream = &datedStream[gongapi.UserInteractionStats, store.UserInteractionStat]{
	name: StreamInteractionStats, span: 1,
	fetch:  (*gongapi.Client).InteractionStatsPage,
	rows:   InteractionStatRows,
	upsert: (*store.Tx).UpsertInteractionStats, markMissing: (*store.Tx).MarkInteractionStatsMissing,
}

func (e *Engine) syncUserActivity(ctx context.Context, r *run) error {
	return syncDated(e, ctx, r, userActivityStream)
}

func (e *Engine) backfillUserActivity(ctx context.Context, r *run, from, to time.Time) error {
	return backfillDays(e, ctx, r, userActivityStream, from, to)
}

func (e *Engine) syncInteractionStats(ctx context.Context, r *run) error {
	return syncDated(e, ctx, r, interactionStatsStream)
}

func (e *Engine) backfillInteractionStats(ctx context.Context, r *run, from, to time.Time) error {
	return backfillDays(e, ctx, r, interactionStatsStream, from, to)
}

// gongToday is the latest toDate Gong takes from any company now: the date at UTC−12,
// the last time zone to start a day. The company's own date is that one or the next,
// and Gong refuses a toDate after it; reading up to this date loses nothing, as the
// day after is read by the next day's run.
func gongToday(now time.Time) time.Time { return dayOf(now.UTC().Add(-12 * time.Hour)) }

// dayOf is t's calendar date, as t's location reads it, at midnight UTC.
func dayOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// dayAfter is the first day at or after the UTC instant t: the exclusive end of the
// days up to t.
func dayAfter(t time.Time) time.Time {
	d := dayOf(t.UTC())
	if t.After(d) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// lookbackDays is how many days before today a run re-reads: the settle window's,
// in whole days. What Gong revises of calls for that long, it revises in the activity
// and the stats derived from them.
func (e *Engine) lookbackDays() int {
	return max(1, int(math.Ceil(e.opt.SettleWindow.Hours()/24)))
}

// syncDated re-reads the recent days: it opens the window [today − lookback, today),
// or from the high-water mark when that is older, unless one is open already (an
// interrupted run), and reads it to its end.
func syncDated[T, R any](e *Engine, ctx context.Context, r *run, ds *datedStream[T, R]) error {
	cp, err := e.loadDated(ctx, ds.name)
	if err != nil {
		return err
	}
	if cp.Daily == nil {
		to := gongToday(e.now())
		from := to.AddDate(0, 0, -e.lookbackDays())
		if hwm := cp.HighWaterMark; hwm != nil && hwm.Before(from) {
			from = dayOf(hwm.UTC())
		}
		w, err := e.openDays(ctx, from, to)
		if err != nil {
			return err
		}
		cp.Daily = w
		if err := cp.save(ctx, e.st); err != nil {
			return err
		}
	}
	return readDays(e, ctx, r, ds, &cp, false)
}

// backfillDays reads the days of a backfill's range [from, to), up to today at the
// latest, resuming the stream's backfill of the same range where it stopped. A
// different range starts a new one.
func backfillDays[T, R any](e *Engine, ctx context.Context, r *run, ds *datedStream[T, R], from, to time.Time) error {
	cp, err := e.loadDated(ctx, ds.name)
	if err != nil {
		return err
	}
	if bf := cp.Backfill; bf == nil || !bf.From.Equal(from) || !bf.To.Equal(to) {
		cp.Backfill = &datedBackfill{From: from, To: to}
		first, end := dayOf(from.UTC()), dayAfter(to)
		if today := gongToday(e.now()); today.Before(end) {
			end = today
		}
		if first.Before(end) {
			if cp.Backfill.Window, err = e.openDays(ctx, first, end); err != nil {
				return err
			}
		} else {
			cp.Backfill.Done = true
		}
		if err := cp.save(ctx, e.st); err != nil {
			return err
		}
	}
	if cp.Backfill.Done || cp.Backfill.Window == nil {
		return nil
	}
	return readDays(e, ctx, r, ds, &cp, true)
}

// openDays starts reading the days [from, to) now, on the database's clock.
func (e *Engine) openDays(ctx context.Context, from, to time.Time) (*daysWindow, error) {
	started, err := e.st.Now(ctx)
	if err != nil {
		return nil, err
	}
	return &daysWindow{Next: from, cursorWindow: cursorWindow{From: from, To: to, StartedAt: started}}, nil
}

// readDays reads the checkpoint's daily window (or its backfill's) to its end on the
// page loop (pageloop.go), or returns the error that stopped it with the checkpoint at
// the last committed page. A cursor too old to trust, or one Gong says expired,
// restarts its series: users are paged by id, and Gong has no way to start after the
// last one committed, so the series' pages are read again (unchanged on the second
// upsert).
func readDays[T, R any](e *Engine, ctx context.Context, r *run, ds *datedStream[T, R], cp *datedCheckpoint, backfill bool) error {
	return e.readPages(ctx, r, pagesOf(e, &daysRead[T, R]{e: e, ds: ds, cp: cp, backfill: backfill}))
}

// daysRead is a dated stream's window as the page loop reads it: the checkpoint it
// moves on, which of its windows (the daily re-read or the backfill's), and the query
// series of the request last sent.
type daysRead[T, R any] struct {
	noAfterPage
	e        *Engine
	ds       *datedStream[T, R]
	cp       *datedCheckpoint
	backfill bool
	plan     daysPlan
}

func (d *daysRead[T, R]) window() *cursorWindow {
	if w := d.cp.window(d.backfill); w != nil {
		return &w.cursorWindow
	}
	return nil
}

func (d *daysRead[T, R]) fetch(ctx context.Context, gong *gongapi.Client, cursor string) (*gongapi.Page[T], error) {
	d.plan = planDays(d.cp.window(d.backfill), d.ds.span, cursor)
	page, err := d.ds.fetch(gong, ctx, d.plan.req)
	if err != nil {
		return nil, fmt.Errorf("read %s %s..%s: %w", d.ds.name, d.plan.req.Filter.FromDate, d.plan.req.Filter.ToDate, err)
	}
	return page, nil
}

// commit maps the page to the stream's rows (below) and commits them with
// the checkpoint after them (daysPageDone), and the deletions of a series it ends.
func (d *daysRead[T, R]) commit(ctx context.Context, _ *run, page *gongapi.Page[T], turn pageTurn) (pageFinds, error) {
	rows := d.ds.rows(page.Items, d.plan.from, d.plan.to)
	startedAt := d.cp.window(d.backfill).StartedAt
	next := daysPageDone(*d.cp, d.backfill, d.plan, turn, d.e.lookbackDays())
	q := quarantineOf(d.e, d.ds.name, page, d.quarantineScope())
	res, missing, err := commitDays(ctx, d.e, d.ds, startedAt, d.plan, turn.last(), next, rows, q)
	if err != nil {
		return pageFinds{}, fmt.Errorf("commit %s page (requestId %s): %w", d.ds.name, page.RequestID, err)
	}
	*d.cp = next
	return pageFinds{records: len(rows), res: res, deleted: missing, quarantined: []*pageQuarantine{q}}, nil
}

// quarantineScope tells apart a user's quarantined records of different requests
// where the user's id alone does not: interaction stats are summed over the request's
// days, asked one day at a time, so the day names the record. A user's activity comes
// back day by day whatever the series' span, and keeps the user's id alone, so that the
// next read of the user (whose series starts elsewhere each day) lets it out.
func (d *daysRead[T, R]) quarantineScope() string {
	if d.ds.span != 1 {
		return ""
	}
	return "|" + d.plan.req.Filter.FromDate
}

// daysPlan is the next request of a window, and the days of its query series.
type daysPlan struct {
	req      gongapi.StatsRequest
	from, to time.Time
}

// planDays is the request that continues w with cursor (the page loop's trusted
// cursor): the series from w.Next over at most span days.
func planDays(w *daysWindow, span int, cursor string) daysPlan {
	to := w.Next.AddDate(0, 0, span)
	if w.To.Before(to) {
		to = w.To
	}
	return daysPlan{from: w.Next, to: to, req: gongapi.StatsRequest{
		Cursor: cursor,
		Filter: gongapi.StatsFilter{FromDate: gongapi.FormatDate(w.Next), ToDate: gongapi.FormatDate(to)},
	}}
}

// daysPageDone is the checkpoint a committed page leaves (pure): the series goes on
// from the page's cursor; or, on its last page, the window goes on from the series'
// end; or, when that is the window's end, the window is closed: the high-water mark
// moves to it (a window reaching the recent days, the last lookback days before
// Gong's today), and the re-read (or the backfill) is complete.
func daysPageDone(cp datedCheckpoint, backfill bool, plan daysPlan, turn pageTurn, lookback int) datedCheckpoint {
	now := turn.at
	w := *cp.window(backfill)
	if !turn.last() {
		w.cursorWindow = w.turned(turn, plan.from)
		cp.setWindow(backfill, &w)
		return cp
	}
	w.Cursor, w.CursorAt, w.Next = "", nil, plan.to
	if w.Next.Before(w.To) {
		cp.setWindow(backfill, &w)
		return cp
	}
	cp.setWindow(backfill, nil)
	recent := gongToday(now).AddDate(0, 0, -lookback)
	if !w.To.Before(recent) && (cp.HighWaterMark == nil || w.To.After(*cp.HighWaterMark)) {
		cp.HighWaterMark = &w.To
	}
	if !backfill {
		cp.CompletedAt = &now
		return cp
	}
	bf := *cp.Backfill
	bf.Done = true
	cp.Backfill = &bf
	// A backfill that read every day a re-read would read leaves it nothing to do now.
	if !w.From.After(recent) && !w.To.Before(gongToday(now)) {
		cp.CompletedAt = &now
	}
	return cp
}

// commitDays writes a page of rows and the checkpoint after it in one transaction.
// When the page ends its series, the rows of the series' days not seen since the
// window began (startedAt) are gone from Gong, and marked deleted with it.
func commitDays[T, R any](ctx context.Context, e *Engine, ds *datedStream[T, R], startedAt time.Time, plan daysPlan, seriesDone bool,
	next datedCheckpoint, rows []R, q *pageQuarantine) (res store.UpsertResult, missing []string, err error) {
	err = e.st.Transact(ctx, func(tx *store.Tx) error {
		if err := q.write(ctx, tx); err != nil {
			return err
		}
		var err error
		if res, err = ds.upsert(tx, ctx, rows); err != nil {
			return err
		}
		missing = nil
		if seriesDone {
			if missing, err = ds.markMissing(tx, ctx, plan.from, plan.to, startedAt); err != nil {
				return err
			}
		}
		return tx.SaveCheckpoint(ctx, next.row())
	})
	return res, missing, err
}

// datedCheckpoint is where a dated stream stands (user_activity,
// user_interaction_stats): data Gong keeps per calendar day of the company. Days are
// dates at midnight UTC; every range of them is [From, To).
type datedCheckpoint struct {
	stream string
	// HighWaterMark: every day before it has been read completely (the end of the
	// newest read); the next re-read starts there at the latest, so a long pause of
	// the daemon leaves no day unread.
	HighWaterMark *time.Time
	// Daily is the re-read of the recent days under way; nil between re-reads.
	Daily *daysWindow
	// CompletedAt is when the last re-read of the recent days completed (or a backfill
	// that read them).
	CompletedAt *time.Time
	// Backfill is the last backfill's range and progress; nil when there was none.
	Backfill *datedBackfill
}

// daysWindow is a range of days being read, a query series of at most the stream's
// span of days at a time. Rows of a series' days not seen since the window began
// (StartedAt) are gone from Gong once the series' last page is in.
type daysWindow struct {
	cursorWindow
	// Next is the first day of the query series under way (or of the next one).
	Next time.Time
}

// datedBackfill is a backfill of a dated stream: the range `gongsync backfill` asked
// for (instants, as given: the same range resumes the same backfill), and the days
// being read.
type datedBackfill struct {
	From, To time.Time
	Window   *daysWindow // nil once done
	Done     bool
}

// window returns the daily window, or the backfill's.
func (cp *datedCheckpoint) window(backfill bool) *daysWindow {
	if !backfill {
		return cp.Daily
	}
	if cp.Backfill == nil {
		return nil
	}
	return cp.Backfill.Window
}

// setWindow replaces the daily window, or the backfill's, without touching the ones
// the checkpoint it was copied from holds.
func (cp *datedCheckpoint) setWindow(backfill bool, w *daysWindow) {
	if !backfill {
		cp.Daily = w
		return
	}
	bf := *cp.Backfill
	bf.Window = w
	cp.Backfill = &bf
}

// datedState is the part of a datedCheckpoint kept in sync_state.state; the daily
// window's range, start and cursor are columns.
type datedState struct {
	Next     *time.Time          `json:"next,omitempty"`
	CursorAt *time.Time          `json:"cursor_at,omitempty"`
	Backfill *datedBackfillState `json:"backfill,omitempty"`
}

type datedBackfillState struct {
	From   time.Time        `json:"from"`
	To     time.Time        `json:"to"`
	Done   bool             `json:"done,omitempty"`
	Window *daysWindowState `json:"window,omitempty"`
}

type daysWindowState struct {
	From      time.Time  `json:"from"`
	To        time.Time  `json:"to"`
	Next      time.Time  `json:"next"`
	StartedAt time.Time  `json:"started_at"`
	Cursor    string     `json:"cursor,omitempty"`
	CursorAt  *time.Time `json:"cursor_at,omitempty"`
}

// loadDated reads the checkpoint of a dated stream.
func (e *Engine) loadDated(ctx context.Context, stream string) (datedCheckpoint, error) {
	row, err := e.st.Checkpoint(ctx, stream)
	if err != nil {
		return datedCheckpoint{}, err
	}
	var s datedState
	if err := decodeState(row, &s); err != nil {
		return datedCheckpoint{}, err
	}
	cp := datedCheckpoint{stream: stream, HighWaterMark: row.HighWaterMark, CompletedAt: row.CompletedAt}
	if row.WindowFrom != nil && row.WindowTo != nil && row.WindowStartedAt != nil {
		w := &daysWindow{Next: row.WindowFrom.UTC(), cursorWindow: cursorWindow{From: row.WindowFrom.UTC(), To: row.WindowTo.UTC(),
			StartedAt: *row.WindowStartedAt, Cursor: row.Cursor, CursorAt: s.CursorAt}}
		if s.Next != nil {
			w.Next = s.Next.UTC()
		}
		cp.Daily = w
	}
	if b := s.Backfill; b != nil {
		cp.Backfill = &datedBackfill{From: b.From, To: b.To, Done: b.Done}
		if w := b.Window; w != nil {
			cp.Backfill.Window = &daysWindow{Next: w.Next.UTC(), cursorWindow: cursorWindow{From: w.From.UTC(), To: w.To.UTC(),
				StartedAt: w.StartedAt, Cursor: w.Cursor, CursorAt: w.CursorAt}}
		}
	}
	return cp, nil
}

// row is the checkpoint as sync_state stores it.
func (cp datedCheckpoint) row() store.Checkpoint {
	row := store.Checkpoint{Stream: cp.stream, HighWaterMark: cp.HighWaterMark, CompletedAt: cp.CompletedAt}
	var s datedState
	if w := cp.Daily; w != nil {
		row.WindowFrom, row.WindowTo, row.WindowStartedAt, row.Cursor = &w.From, &w.To, &w.StartedAt, w.Cursor
		s.Next, s.CursorAt = &w.Next, w.CursorAt
	}
	if b := cp.Backfill; b != nil {
		s.Backfill = &datedBackfillState{From: b.From, To: b.To, Done: b.Done}
		if w := b.Window; w != nil {
			s.Backfill.Window = &daysWindowState{From: w.From, To: w.To, Next: w.Next, StartedAt: w.StartedAt,
				Cursor: w.Cursor, CursorAt: w.CursorAt}
		}
	}
	row.State = encodeState(s)
	return row
}

// save commits the checkpoint on its own (outside a page's transaction).
func (cp datedCheckpoint) save(ctx context.Context, st *store.Store) error {
	return st.Transact(ctx, func(tx *store.Tx) error { return tx.SaveCheckpoint(ctx, cp.row()) })
}

// ActivityDayRows maps a page of day-by-day activity onto one row per user and day of
// [from, to) with any activity, each with a row per call of each activity. Days
// without a single call are left out: the row says Gong reported activity that day.
// A day outside [from, to), which Gong is not known to send, is left to the query
// that asks for it.
func ActivityDayRows(users []gongapi.UserActivity, from, to time.Time) []store.UserActivityDay {
	var out []store.UserActivityDay
	for _, u := range users {
		userID := clean(string(u.UserID))
		for _, d := range u.Days {
			day := dayOf(d.FromDate.Time)
			if day.Before(from) || !day.Before(to) {
				continue
			}
			row := store.UserActivityDay{
				ID: userID + "|" + day.Format(time.DateOnly), UserID: userID, Day: day,
				UserEmailAddress: cleanPtr(u.UserEmailAddress), Raw: rawJSON(d.Raw, d.Calls),
			}
			for _, activity := range slices.Sorted(maps.Keys(d.Calls)) {
				for _, id := range d.Calls[activity] {
					if id == "" {
						continue
					}
					row.Calls = append(row.Calls, store.UserDailyActivity{UserID: userID, Day: day,
						Activity: clean(activity), CallID: clean(string(id))})
				}
			}
			if len(row.Calls) > 0 {
				out = append(out, row)
			}
		}
	}
	return out
}

// InteractionStatRows maps a page of interaction stats, Gong's figures over [from,
// to), onto one row per user and statistic of that period.
func InteractionStatRows(users []gongapi.UserInteractionStats, from, to time.Time) []store.UserInteractionStat {
	var out []store.UserInteractionStat
	period := "|" + from.Format(time.DateOnly) + "|" + to.Format(time.DateOnly) + "|"
	for _, u := range users {
		userID := clean(string(u.UserID))
		for _, s := range u.Stats {
			name := clean(s.Name)
			out = append(out, store.UserInteractionStat{
				ID: userID + period + name, UserID: userID, PeriodStart: from, PeriodEnd: to,
				Name: name, Value: numberDecimal(s.Value), Raw: rawJSON(s.Raw, s),
			})
		}
	}
	return out
}
