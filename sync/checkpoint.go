package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gongsync/gongsync/store"
)

// Every stream keeps where it stands in one row of sync_state (store.Checkpoint): a few
// columns a person can read and a JSON document for the rest. Each kind of stream has
// its own typed checkpoint below, and this file is the one place that turns a row into
// it and back.

// windowCheckpoint is where a stream that reads calls over time windows stands: the
// calls stream, the settle pass, the backfill and the sweep's calls part.
type windowCheckpoint struct {
	stream string
	// HighWaterMark (calls): every call started before it has been read completely.
	HighWaterMark *time.Time
	// Window is the window being read; nil when none is open.
	Window *callsWindow
	// CompletedAt is when the stream last closed a window.
	CompletedAt *time.Time
	// Range is the backfill's range and progress; nil for the other streams.
	Range *backfillRange
	// Sweep is the sweep's pass and day; nil for the other streams.
	Sweep *sweepState
}

// callsWindow is a window of calls being read, [From, To) by start time, and how far
// the reading got. The calls restart from their last committed call, so the query a
// cursor belongs to (CursorFrom) is kept.
type callsWindow struct {
	cursorWindow
	// LastStarted is the start of the last committed call: a restart begins there.
	LastStarted *time.Time
}

// backfillRange is what a backfill was asked for and how far it got.
type backfillRange struct {
	From, To time.Time
	Next     time.Time // where the window after the open one (if any) starts
	Done     bool
	Calls    int64 // calls written by this backfill, across its runs
}

// windowState is the part of a windowCheckpoint kept in sync_state.state. Its keys are
// the ones earlier versions wrote, so a checkpoint saved by them resumes.
type windowState struct {
	CursorAt   *time.Time  `json:"cursor_at,omitempty"`
	CursorFrom *time.Time  `json:"cursor_from,omitempty"`
	From       *time.Time  `json:"from,omitempty"`
	To         *time.Time  `json:"to,omitempty"`
	Next       *time.Time  `json:"next,omitempty"`
	Done       bool        `json:"done,omitempty"`
	Calls      int64       `json:"calls,omitempty"`
	Sweep      *sweepState `json:"sweep,omitempty"`
}

// loadWindow reads the checkpoint of a window stream.
func (e *Engine) loadWindow(ctx context.Context, stream string) (windowCheckpoint, error) {
	row, err := e.st.Checkpoint(ctx, stream)
	if err != nil {
		return windowCheckpoint{}, err
	}
	var s windowState
	if err := decodeState(row, &s); err != nil {
		return windowCheckpoint{}, err
	}
	cp := windowCheckpoint{stream: stream, HighWaterMark: row.HighWaterMark, CompletedAt: row.CompletedAt, Sweep: s.Sweep}
	if row.WindowFrom != nil && row.WindowTo != nil && row.WindowStartedAt != nil {
		cp.Window = &callsWindow{LastStarted: row.LastStarted, cursorWindow: cursorWindow{From: *row.WindowFrom, To: *row.WindowTo,
			StartedAt: *row.WindowStartedAt, Cursor: row.Cursor, CursorAt: s.CursorAt, CursorFrom: s.CursorFrom}}
	}
	if s.From != nil && s.To != nil {
		cp.Range = &backfillRange{From: *s.From, To: *s.To, Next: *s.From, Done: s.Done, Calls: s.Calls}
		if s.Next != nil {
			cp.Range.Next = *s.Next
		}
	}
	return cp, nil
}

// row is the checkpoint as sync_state stores it.
func (cp windowCheckpoint) row() store.Checkpoint {
	row := store.Checkpoint{Stream: cp.stream, HighWaterMark: cp.HighWaterMark, CompletedAt: cp.CompletedAt}
	var s windowState
	if w := cp.Window; w != nil {
		row.WindowFrom, row.WindowTo, row.WindowStartedAt = &w.From, &w.To, &w.StartedAt
		row.Cursor, row.LastStarted = w.Cursor, w.LastStarted
		s.CursorAt, s.CursorFrom = w.CursorAt, w.CursorFrom
	}
	if r := cp.Range; r != nil {
		s.From, s.To, s.Next, s.Done, s.Calls = &r.From, &r.To, &r.Next, r.Done, r.Calls
	}
	s.Sweep = cp.Sweep
	row.State = encodeState(s)
	return row
}

// save commits the checkpoint on its own (outside a page's transaction).
func (cp windowCheckpoint) save(ctx context.Context, st *store.Store) error {
	return st.Transact(ctx, func(tx *store.Tx) error { return tx.SaveCheckpoint(ctx, cp.row()) })
}

// refreshCheckpoint is where a paged full refresh stands (users).
type refreshCheckpoint struct {
	stream string
	// Window is the refresh under way, nil between refreshes: its start on the
	// database's clock (records not seen since then are gone from Gong once the last
	// page is in), and its cursor. A full refresh reads no range: From and To are zero.
	Window *cursorWindow
	// CompletedAt is when the last refresh completed.
	CompletedAt *time.Time
}

// refreshState is the part of a refreshCheckpoint kept in sync_state.state.
type refreshState struct {
	CursorAt *time.Time `json:"cursor_at,omitempty"`
}

// loadRefresh reads the checkpoint of a paged full refresh.
func (e *Engine) loadRefresh(ctx context.Context, stream string) (refreshCheckpoint, error) {
	row, err := e.st.Checkpoint(ctx, stream)
	if err != nil {
		return refreshCheckpoint{}, err
	}
	var s refreshState
	if err := decodeState(row, &s); err != nil {
		return refreshCheckpoint{}, err
	}
	cp := refreshCheckpoint{stream: stream, CompletedAt: row.CompletedAt}
	if row.WindowStartedAt != nil {
		cp.Window = &cursorWindow{StartedAt: *row.WindowStartedAt, Cursor: row.Cursor, CursorAt: s.CursorAt}
	}
	return cp, nil
}

// row is the checkpoint as sync_state stores it.
func (cp refreshCheckpoint) row() store.Checkpoint {
	row := store.Checkpoint{Stream: cp.stream, CompletedAt: cp.CompletedAt}
	if w := cp.Window; w != nil {
		row.WindowStartedAt, row.Cursor = &w.StartedAt, w.Cursor
		row.State = encodeState(refreshState{CursorAt: w.CursorAt})
	} else {
		row.State = encodeState(refreshState{})
	}
	return row
}

// completedWithin says whether the stream completed a run less than d ago and has
// none under way: a pass that names no stream then leaves it alone (Engine.Due).
// Every kind of checkpoint below keeps its last completion in completed_at and a run
// under way in window_from or window_started_at, so this reads them all alike.
func (e *Engine) completedWithin(ctx context.Context, stream string, d time.Duration) (bool, error) {
	row, err := e.st.Checkpoint(ctx, stream)
	if err != nil {
		return false, err
	}
	underWay := row.WindowFrom != nil || row.WindowStartedAt != nil
	return row.CompletedAt != nil && !underWay && e.now().Sub(*row.CompletedAt) < d, nil
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

// libraryCheckpoint is where a refresh of the library stands. The library is read a
// request at a time (the folders of each workspace, then the calls of each folder),
// each committed with the checkpoint after it, so a refresh cut short resumes at the
// request it had not committed.
type libraryCheckpoint struct {
	stream string
	// StartedAt is when the refresh under way began, on the database's clock: folders
	// not seen since then are gone from Gong once it completes, and a folder's calls
	// not seen since then once its calls are read. Nil between refreshes.
	StartedAt *time.Time
	// Workspaces are the workspaces whose folders are still to be listed, the next
	// first ("" lists the company's default workspace).
	Workspaces []string
	// Folders are the folders listed whose calls are still to be read, the next first.
	Folders []string
	// CompletedAt is when the last refresh completed.
	CompletedAt *time.Time
}

// libraryState is the part of a libraryCheckpoint kept in sync_state.state.
type libraryState struct {
	Workspaces []string `json:"workspaces,omitempty"`
	Folders    []string `json:"folders,omitempty"`
}

// loadLibrary reads the library's checkpoint.
func (e *Engine) loadLibrary(ctx context.Context) (libraryCheckpoint, error) {
	row, err := e.st.Checkpoint(ctx, StreamLibrary)
	if err != nil {
		return libraryCheckpoint{}, err
	}
	var s libraryState
	if err := decodeState(row, &s); err != nil {
		return libraryCheckpoint{}, err
	}
	return libraryCheckpoint{stream: StreamLibrary, StartedAt: row.WindowStartedAt, Workspaces: s.Workspaces,
		Folders: s.Folders, CompletedAt: row.CompletedAt}, nil
}

// row is the checkpoint as sync_state stores it.
func (cp libraryCheckpoint) row() store.Checkpoint {
	return store.Checkpoint{Stream: cp.stream, WindowStartedAt: cp.StartedAt, CompletedAt: cp.CompletedAt,
		State: encodeState(libraryState{Workspaces: cp.Workspaces, Folders: cp.Folders})}
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

// decodeState reads a checkpoint row's state document into s; an empty one leaves s
// as it is.
func decodeState(row store.Checkpoint, s any) error {
	if len(row.State) == 0 {
		return nil
	}
	if err := json.Unmarshal(row.State, s); err != nil {
		return fmt.Errorf("checkpoint %s: the state document does not decode: %w", row.Stream, err)
	}
	return nil
}

// encodeState writes a state document; the state types are plain data, so it cannot
// fail.
func encodeState(s any) []byte {
	b, _ := json.Marshal(s)
	return b
}
