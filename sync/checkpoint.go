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
// calls stream, the settle pass and the backfill.
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
// the reading got.
type callsWindow struct {
	From, To time.Time
	// StartedAt is when reading the window began, on the database's clock: calls of the
	// window not seen since then are gone from Gong once it is read completely.
	StartedAt time.Time
	// Cursor is Gong's cursor for the next page; "" when there is none to follow.
	Cursor string
	// CursorAt is when the cursor was saved, on the engine's clock: a cursor older than
	// CursorMaxAge is not tried (Gong would say it expired, for a request).
	CursorAt *time.Time
	// CursorFrom is the fromDateTime of the query the cursor belongs to: after a restart
	// from the last committed call it is not From, and Gong refuses a cursor sent with
	// other parameters than its query's.
	CursorFrom *time.Time
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
		cp.Window = &callsWindow{From: *row.WindowFrom, To: *row.WindowTo, StartedAt: *row.WindowStartedAt,
			Cursor: row.Cursor, CursorAt: s.CursorAt, CursorFrom: s.CursorFrom, LastStarted: row.LastStarted}
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

// refreshCheckpoint is where a full refresh stands (users, workspaces, trackers).
type refreshCheckpoint struct {
	stream string
	// StartedAt is when the refresh under way began, on the database's clock: records not
	// seen since then are gone from Gong once the last page is in. Nil between refreshes.
	StartedAt *time.Time
	// Cursor is Gong's cursor for the refresh's next page, CursorAt when it was saved.
	Cursor   string
	CursorAt *time.Time
	// CompletedAt is when the last refresh completed.
	CompletedAt *time.Time
}

// refreshState is the part of a refreshCheckpoint kept in sync_state.state.
type refreshState struct {
	CursorAt *time.Time `json:"cursor_at,omitempty"`
}

// loadRefresh reads the checkpoint of a full refresh.
func (e *Engine) loadRefresh(ctx context.Context, stream string) (refreshCheckpoint, error) {
	row, err := e.st.Checkpoint(ctx, stream)
	if err != nil {
		return refreshCheckpoint{}, err
	}
	var s refreshState
	if err := decodeState(row, &s); err != nil {
		return refreshCheckpoint{}, err
	}
	return refreshCheckpoint{stream: stream, StartedAt: row.WindowStartedAt, Cursor: row.Cursor, CursorAt: s.CursorAt,
		CompletedAt: row.CompletedAt}, nil
}

// row is the checkpoint as sync_state stores it.
func (cp refreshCheckpoint) row() store.Checkpoint {
	return store.Checkpoint{Stream: cp.stream, WindowStartedAt: cp.StartedAt, Cursor: cp.Cursor, CompletedAt: cp.CompletedAt,
		State: encodeState(refreshState{CursorAt: cp.CursorAt})}
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
