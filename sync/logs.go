package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// The audit and usage logs (GET /v2/logs). Gong selects records by log type and event
// time, so each of the five types is its own series of windows by time, like the
// calls: a daily run reads each type from its high-water mark less the overlap up to
// now, and the mark moves to the window's end once its last page is in. One
// declaration, logsRead, reads every type's windows on the page loop. Log records have
// no id: a record's key is its type and the SHA-256 of the record as Gong sent it, so
// a record read again (the overlap, a restarted window) is found unchanged. Gong keeps
// no deletion of log records, so none is marked deleted.

// StreamLogs is the audit logs' stream.
const StreamLogs = "logs"

// scopeLogs is the scope Gong's document names for GET /v2/logs.
var scopeLogs = []string{"api:logs:read"}

// syncLogs reads each log type from its high-water mark (or, the first time, the
// settle window back) up to the round's end: the time the first run of the round
// began. A run cut short (the per-job cap, a failure) leaves the round open, and the
// next run goes on with the types not read up to its end yet, rather than reading the
// first types again.
func (e *Engine) syncLogs(ctx context.Context, r *run) error {
	cp, err := e.loadLogs(ctx)
	if err != nil {
		return err
	}
	if cp.Round == nil {
		to := e.now().UTC().Truncate(time.Second)
		cp.Round = &to
	}
	to := *cp.Round
	for _, typ := range gongapi.LogTypes {
		s := cp.series(typ)
		if s.Window == nil {
			if s.Mark != nil && !s.Mark.Before(to) {
				continue // read up to the round's end already
			}
			from := to.Add(-e.opt.SettleWindow)
			if s.Mark != nil {
				from = s.Mark.Add(-e.opt.Overlap)
			}
			if s.Window, err = e.openLogWindow(ctx, from, to); err != nil {
				return err
			}
		}
		if err := e.readPages(ctx, r, pagesOf(e, &logsRead{e: e, cp: &cp, typ: typ})); err != nil {
			return err
		}
	}
	now := e.now()
	cp.CompletedAt, cp.Round = &now, nil
	return cp.save(ctx, e.st)
}

// backfillLogs reads every log type's records of [from, to) (`gongsync backfill
// --streams logs`), each type as one query series: ceil(records/100) requests per
// type, one for a type without records.
func (e *Engine) backfillLogs(ctx context.Context, r *run, from, to time.Time) error {
	cp, err := e.loadLogs(ctx)
	if err != nil {
		return err
	}
	from, to = from.UTC().Truncate(time.Second), to.UTC().Truncate(time.Second)
	if now := e.now().UTC().Truncate(time.Second); now.Before(to) {
		to = now
	}
	for _, typ := range gongapi.LogTypes {
		s := cp.series(typ)
		if b := s.Backfill; b == nil || !b.From.Equal(from) || !b.To.Equal(to) {
			s.Backfill = &logBackfill{From: from, To: to, Done: !from.Before(to)}
			if !s.Backfill.Done {
				if s.Backfill.Window, err = e.openLogWindow(ctx, from, to); err != nil {
					return err
				}
			}
			if err := cp.save(ctx, e.st); err != nil {
				return err
			}
		}
		if s.Backfill.Done {
			continue
		}
		if err := e.readPages(ctx, r, pagesOf(e, &logsRead{e: e, cp: &cp, typ: typ, backfill: true})); err != nil {
			return err
		}
	}
	return nil
}

// openLogWindow starts reading [from, to) now, on the database's clock.
func (e *Engine) openLogWindow(ctx context.Context, from, to time.Time) (*cursorWindow, error) {
	started, err := e.st.Now(ctx)
	if err != nil {
		return nil, err
	}
	return &cursorWindow{From: from, To: to, StartedAt: started}, nil
}

// logsRead is one log type's window as the page loop reads it: the daily window or
// the backfill's.
type logsRead struct {
	noAfterPage
	e        *Engine
	cp       *logsCheckpoint
	typ      string
	backfill bool
}

func (l *logsRead) window() *cursorWindow {
	s := l.cp.series(l.typ)
	if l.backfill {
		if s.Backfill == nil {
			return nil
		}
		return s.Backfill.Window
	}
	return s.Window
}

// fetch asks for the window's next page, or its first again without a cursor: Gong
// documents no order to restart after the last committed record from, and records
// read twice are unchanged on their second upsert.
func (l *logsRead) fetch(ctx context.Context, gong *gongapi.Client, cursor string) (*gongapi.Page[gongapi.LogEntry], error) {
	w := l.window()
	page, err := gong.LogsPage(ctx, gongapi.LogsRequest{LogType: l.typ, From: w.From, To: w.To, Cursor: cursor})
	if err != nil {
		return nil, fmt.Errorf("read %s logs %s..%s: %w", l.typ, gongapi.FormatFilterTime(w.From), gongapi.FormatFilterTime(w.To), err)
	}
	return page, nil
}

// commit writes the page's records and the checkpoint after it (logsPageDone).
func (l *logsRead) commit(ctx context.Context, _ *run, page *gongapi.Page[gongapi.LogEntry], turn pageTurn) (pageFinds, error) {
	rows := AuditLogRows(l.typ, page.Items)
	next := logsPageDone(*l.cp, l.typ, l.backfill, turn)
	q := quarantineOf(l.e, StreamLogs, page, "")
	var res store.UpsertResult
	err := l.e.st.Transact(ctx, func(tx *store.Tx) error {
		if err := q.write(ctx, tx); err != nil {
			return err
		}
		var err error
		if res, err = tx.UpsertAuditLogs(ctx, rows); err != nil {
			return err
		}
		return tx.SaveCheckpoint(ctx, next.row())
	})
	if err != nil {
		return pageFinds{}, fmt.Errorf("commit %s logs page (requestId %s): %w", l.typ, page.RequestID, err)
	}
	*l.cp = next
	return pageFinds{records: len(rows), res: res, quarantined: []*pageQuarantine{q}}, nil
}

// logsPageDone is the checkpoint a committed page of typ leaves (pure): the window
// goes on from the page's cursor, or, on its last page, is closed, moving the type's
// high-water mark (or its backfill) to the window's end.
func logsPageDone(cp logsCheckpoint, typ string, backfill bool, turn pageTurn) logsCheckpoint {
	cp = cp.clone()
	s := cp.series(typ)
	slot := &s.Window
	if backfill {
		b := *s.Backfill
		s.Backfill = &b
		slot = &b.Window
	}
	w := **slot
	if !turn.last() {
		w = w.turned(turn, w.From)
		*slot = &w
		return cp
	}
	*slot = nil
	if backfill {
		s.Backfill.Done = true
	}
	// A backfill that reached past the mark (or the first time) moves it too, so that
	// the next daily run reads from there rather than the settle window back; one that
	// ends before the mark leaves it.
	mark := w.To
	if s.Mark == nil || (mark.After(*s.Mark) && !w.From.After(*s.Mark)) {
		s.Mark = &mark
	}
	return cp
}

// logsCheckpoint is where the log types stand: one series of windows per type.
type logsCheckpoint struct {
	Types map[string]*logSeries
	// Round is the end of the round under way: every type is read up to it before the
	// stream completes; nil between rounds.
	Round *time.Time
	// CompletedAt is when a run last read every type up to its time.
	CompletedAt *time.Time
}

// logSeries is one log type's place: every record of the type with an event time
// before Mark has been read; the window open; the backfill's range and window.
type logSeries struct {
	Mark     *time.Time    `json:"mark,omitempty"`
	Window   *cursorWindow `json:"window,omitempty"`
	Backfill *logBackfill  `json:"backfill,omitempty"`
}

// logBackfill is what a backfill of a log type was asked for and its open window.
type logBackfill struct {
	From   time.Time     `json:"from"`
	To     time.Time     `json:"to"`
	Done   bool          `json:"done,omitempty"`
	Window *cursorWindow `json:"window,omitempty"`
}

// series is typ's place, made when the type has none yet.
func (cp *logsCheckpoint) series(typ string) *logSeries {
	if cp.Types == nil {
		cp.Types = map[string]*logSeries{}
	}
	s := cp.Types[typ]
	if s == nil {
		s = &logSeries{}
		cp.Types[typ] = s
	}
	return s
}

// clone copies the checkpoint deep enough that a page's next checkpoint does not
// change the one it was computed from before it is committed.
func (cp logsCheckpoint) clone() logsCheckpoint {
	out := logsCheckpoint{CompletedAt: cp.CompletedAt, Round: cp.Round, Types: make(map[string]*logSeries, len(cp.Types))}
	for k, s := range cp.Types {
		c := *s
		out.Types[k] = &c
	}
	return out
}

// loadLogs reads the logs' checkpoint.
func (e *Engine) loadLogs(ctx context.Context) (logsCheckpoint, error) {
	row, err := e.st.Checkpoint(ctx, StreamLogs)
	if err != nil {
		return logsCheckpoint{}, err
	}
	var s logsState
	if err := decodeState(row, &s); err != nil {
		return logsCheckpoint{}, err
	}
	return logsCheckpoint{CompletedAt: row.CompletedAt, Types: s.Types, Round: row.WindowTo}, nil
}

// logsState is the part of a logsCheckpoint kept in sync_state.state.
type logsState struct {
	Types map[string]*logSeries `json:"types,omitempty"`
}

// row is the checkpoint as sync_state stores it: the types in the state document, the
// earliest type's mark in high_water_mark, the round under way in window_to, and the
// earliest start of an open window of the round in window_started_at (a run under
// way: the stream is due until the round ends).
func (cp logsCheckpoint) row() store.Checkpoint {
	row := store.Checkpoint{Stream: StreamLogs, CompletedAt: cp.CompletedAt, WindowTo: cp.Round, State: encodeState(logsState{Types: cp.Types})}
	// The column's high-water mark is the earliest type's: every type is read up to it.
	for i, typ := range gongapi.LogTypes {
		s := cp.Types[typ]
		if s == nil || s.Mark == nil {
			row.HighWaterMark = nil
			break
		}
		if i == 0 || s.Mark.Before(*row.HighWaterMark) {
			mark := *s.Mark
			row.HighWaterMark = &mark
		}
	}
	for _, s := range cp.Types {
		if w := s.Window; w != nil && (row.WindowStartedAt == nil || w.StartedAt.Before(*row.WindowStartedAt)) {
			started := w.StartedAt
			row.WindowStartedAt = &started
		}
	}
	if cp.Round != nil && row.WindowStartedAt == nil {
		row.WindowStartedAt = cp.Round // between two types' windows: still under way
	}
	return row
}

// save commits the checkpoint on its own (outside a page's transaction).
func (cp logsCheckpoint) save(ctx context.Context, st *store.Store) error {
	return st.Transact(ctx, func(tx *store.Tx) error { return tx.SaveCheckpoint(ctx, cp.row()) })
}

// AuditLogRows maps a page of typ's log records. The key is the type and the SHA-256
// of the record as Gong sent it; the call, when the record names one, is its
// logRecord's callId.
func AuditLogRows(typ string, logs []gongapi.LogEntry) []store.AuditLog {
	rows := make([]store.AuditLog, 0, len(logs))
	for i := range logs {
		l := &logs[i]
		raw := rawJSON(l.Raw, l)
		sum := sha256.Sum256(raw)
		rows = append(rows, store.AuditLog{
			ID: typ + ":" + hex.EncodeToString(sum[:]), LogType: typ, EventTime: l.EventTime.Time,
			UserID: idPtr(l.UserID), UserEmailAddress: cleanPtr(l.UserEmailAddress), UserFullName: cleanPtr(l.UserFullName),
			ImpersonatorUserID: idPtr(l.ImpersonatorUserID), ImpersonatorEmailAddress: cleanPtr(l.ImpersonatorEmailAddress),
			ImpersonatorFullName: cleanPtr(l.ImpersonatorFullName), ImpersonatorCompanyID: idPtr(l.ImpersonatorCompanyID),
			CallID: logCallID(l.LogRecord), LogRecord: jsonDoc(l.LogRecord), Raw: raw,
		})
	}
	return rows
}

// logCallID is the call a log record names in its logRecord (callId, a string or a
// number), or nil.
func logCallID(rec json.RawMessage) *string {
	var v struct {
		CallID *gongapi.ID `json:"callId"`
	}
	if len(rec) == 0 || json.Unmarshal(rec, &v) != nil {
		return nil
	}
	return idPtr(v.CallID)
}
