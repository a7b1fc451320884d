package sync

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// The calls family: the calls stream, its settle pass, and the windows of calls the
// backfill and the sweep read the same way. Calls are read over windows of start time,
// [from, to), a page of 100 at a time, oldest first, on the page loop (pageloop.go);
// what each stream does beyond storing the calls is its windowGoal. This file holds
// the family's declaration (callsRead), its checkpoint (windowCheckpoint), its page
// rule (planPage, pageDone), its commit and its row mapping (CallRows).

// syncCalls is one incremental run of the calls stream: it finishes a window left open
// by an interrupted run, then reads [high-water mark − overlap, now).
func (e *Engine) syncCalls(ctx context.Context, r *run) error {
	cp, err := e.loadWindow(ctx, StreamCalls)
	if err != nil {
		return err
	}
	// Two windows at most: the one an earlier run left open, then one up to now.
	for range 2 {
		if cp.Window == nil {
			from, err := e.incrementalStart(ctx, cp)
			if err != nil {
				return err
			}
			to := e.now()
			if !from.Before(to) {
				return nil
			}
			if err := e.openWindow(ctx, &cp, from, to); err != nil {
				return err
			}
		}
		windowTo := cp.Window.To
		if err := e.readWindow(ctx, r, &cp, &callsGoal{markAtStart: cp.HighWaterMark}); err != nil {
			return err
		}
		// A window opened long ago (a run paused by the budget) ends far behind now:
		// read up to now as well. A fresh window ends at now, and one pass is enough.
		if e.now().Sub(windowTo) < time.Minute {
			return nil
		}
	}
	return nil
}

// callsGoal is the calls stream's windowGoal: a completed window moves the high-water
// mark to its end, and calls new to the table that started before the mark the run
// began with are late.
type callsGoal struct{ markAtStart *time.Time }

func (g *callsGoal) lateBefore() time.Time {
	if g.markAtStart == nil {
		return time.Time{}
	}
	return *g.markAtStart
}

func (g *callsGoal) advance(next *windowCheckpoint, _ int, closed *callsWindow) {
	if closed != nil && (next.HighWaterMark == nil || closed.To.After(*next.HighWaterMark)) {
		to := closed.To
		next.HighWaterMark = &to
	}
}

func (g *callsGoal) afterPage(context.Context, *run, *windowCheckpoint) error { return nil }

// incrementalStart is where a new calls window begins: the high-water mark minus the
// overlap. Before the first complete window there is no mark. After a completed
// backfill, start where it ended (minus the overlap, as if it had been a calls run);
// otherwise one settle window back: older history is `gongsync backfill`'s job.
func (e *Engine) incrementalStart(ctx context.Context, cp windowCheckpoint) (time.Time, error) {
	if cp.HighWaterMark != nil {
		return cp.HighWaterMark.Add(-e.opt.Overlap), nil
	}
	start := e.now().Add(-e.opt.SettleWindow)
	bf, err := e.loadWindow(ctx, StreamBackfill)
	if err != nil {
		return time.Time{}, err
	}
	if r := bf.Range; r != nil && r.Done {
		switch {
		case r.To.Before(start):
			start = r.To // no gap between the backfill and the first window
		case r.To.Before(e.now()):
			start = r.To.Add(-e.opt.Overlap)
		}
	}
	return start, nil
}

// settle re-reads the last SettleWindow completely: calls Gong processed late are
// inserted, changed ones updated, vanished ones marked deleted, reappearing ones restored.
func (e *Engine) settle(ctx context.Context, r *run) error {
	cp, err := e.loadWindow(ctx, StreamSettle)
	if err != nil {
		return err
	}
	calls, err := e.loadWindow(ctx, StreamCalls)
	if err != nil {
		return err
	}
	if cp.Window == nil {
		now := e.now()
		if err := e.openWindow(ctx, &cp, now.Add(-e.opt.SettleWindow), now); err != nil {
			return err
		}
	}
	return e.readWindow(ctx, r, &cp, settleGoal{markOfCalls: calls.HighWaterMark})
}

// settleGoal is the settle pass's windowGoal: nothing beyond the calls, which count as
// late when they started before the calls stream's high-water mark.
type settleGoal struct{ markOfCalls *time.Time }

func (g settleGoal) lateBefore() time.Time {
	if g.markOfCalls == nil {
		return time.Time{}
	}
	return *g.markOfCalls
}

func (settleGoal) advance(*windowCheckpoint, int, *callsWindow) {}

func (settleGoal) afterPage(context.Context, *run, *windowCheckpoint) error { return nil }

// windowGoal is what a stream does with the windows of calls it reads, beyond storing
// the calls: the calls stream moves its high-water mark; the backfill counts its calls,
// goes on to the rest of its range and fetches transcripts as it goes; the settle pass
// does nothing more.
type windowGoal interface {
	// lateBefore is the time before which a call new to the table counts as late (it
	// started before an earlier run had passed it); zero counts none.
	lateBefore() time.Time
	// advance adds what the stream keeps to the checkpoint a committed page leaves.
	// closed is the window the page completed, or nil when the window goes on.
	advance(next *windowCheckpoint, calls int, closed *callsWindow)
	// afterPage runs once a page is committed; an error stops the window there.
	afterPage(ctx context.Context, r *run, cp *windowCheckpoint) error
}

// openWindow starts reading [from, to) and commits that, so that a crash before the
// first page still resumes the same window.
func (e *Engine) openWindow(ctx context.Context, cp *windowCheckpoint, from, to time.Time) error {
	startedAt, err := e.st.Now(ctx)
	if err != nil {
		return err
	}
	cp.Window = &callsWindow{cursorWindow: cursorWindow{From: from, To: to, StartedAt: startedAt}}
	return cp.save(ctx, e.st)
}

// readWindow reads the checkpoint's open window to its end on the page loop
// (pageloop.go), then returns nil with the window closed in the checkpoint, or the
// error that stopped it with the checkpoint at the last committed page.
//
// When the stored cursor is too old to trust, or Gong says it expired, the window
// restarts from the start of the last committed call, not from its beginning: a pause
// costs at most one page again.
func (e *Engine) readWindow(ctx context.Context, r *run, cp *windowCheckpoint, goal windowGoal) error {
	if cp.Window == nil {
		return fmt.Errorf("checkpoint %s: no open window", cp.stream)
	}
	return e.readPages(ctx, r, pagesOf(e, &callsRead{e: e, cp: cp, goal: goal}))
}

// callsRead is a window of calls as the page loop reads it (POST /v2/calls/extensive):
// the checkpoint it moves on, the goal it serves, and the request last sent.
type callsRead struct {
	e    *Engine
	cp   *windowCheckpoint
	goal windowGoal
	plan pagePlan
}

func (c *callsRead) window() *cursorWindow {
	if c.cp.Window == nil {
		return nil
	}
	return &c.cp.Window.cursorWindow
}

func (c *callsRead) fetch(ctx context.Context, gong *gongapi.Client, cursor string) (*gongapi.Page[gongapi.Call], error) {
	c.plan = planPage(c.cp.Window, cursor)
	page, err := gong.CallsExtensivePage(ctx, c.plan.req)
	if err != nil {
		return nil, fmt.Errorf("read calls %s..%s: %w", c.plan.req.Filter.FromDateTime, c.plan.req.Filter.ToDateTime, err)
	}
	return page, nil
}

// commit maps the page to rows (CallRows, below) and commits them with the
// checkpoint after them (pageDone), and the deletions of a window it completes.
func (c *callsRead) commit(ctx context.Context, r *run, page *gongapi.Page[gongapi.Call], turn pageTurn) (pageFinds, error) {
	rows := CallRows(page.Items)
	w := *c.cp.Window
	next := pageDone(*c.cp, c.plan, turn, rows, c.goal)
	q := quarantineOf(c.e, c.cp.stream, page, "")
	res, deleted, err := c.e.commitCallsPage(ctx, w, next, rows, q)
	if err != nil {
		return pageFinds{}, fmt.Errorf("commit calls page (requestId %s): %w", page.RequestID, err)
	}
	*c.cp = next
	if len(deleted) > 0 {
		r.log.Info().Int("deleted", len(deleted)).Time("window_from", w.From).Time("window_to", w.To).
			Msg("calls gone from Gong marked deleted")
	}
	return pageFinds{records: len(rows), res: res, deleted: deleted,
		late: countLate(rows, res.Inserted, c.goal.lateBefore()), metric: metricCalls, newest: latestStart(rows, nil),
		quarantined: []*pageQuarantine{q}, ends: callEnds(rows, res.Inserted),
		swept: store.SweptCalls, at: func(i int) (string, *time.Time) { return rows[i].ID, rows[i].Started }}, nil
}

// callEnds are when the rows of the ids given ended (started plus duration), for those
// that say both.
func callEnds(rows []store.Call, ids []string) []time.Time {
	if len(ids) == 0 {
		return nil
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	var out []time.Time
	for i := range rows {
		if c := &rows[i]; want[c.ID] && c.Started != nil && c.DurationSeconds != nil {
			out = append(out, c.Started.Add(time.Duration(*c.DurationSeconds)*time.Second))
		}
	}
	return out
}

func (c *callsRead) afterPage(ctx context.Context, r *run) error {
	return c.goal.afterPage(ctx, r, c.cp)
}

// pagePlan is the next request of a window, and the fromDateTime it was sent with.
type pagePlan struct {
	req  gongapi.CallsExtensiveRequest
	from time.Time
}

// planPage is the request that continues w with cursor (the page loop's trusted
// cursor, with the query it belongs to), or, without one, a new query from the start
// of the last committed call, or from the window's start.
func planPage(w *callsWindow, cursor string) pagePlan {
	from := w.From
	switch {
	case cursor != "" && w.CursorFrom != nil:
		from = *w.CursorFrom
	case cursor == "" && w.LastStarted != nil && w.LastStarted.After(from):
		from = *w.LastStarted
	}
	return pagePlan{from: from, req: gongapi.CallsExtensiveRequest{
		Cursor: cursor,
		Filter: gongapi.CallsFilter{
			FromDateTime: gongapi.FormatFilterTime(from),
			ToDateTime:   gongapi.FormatFilterTime(w.To),
		},
		ContentSelector: gongapi.FullContentSelector(),
	}}
}

// pageDone is the checkpoint a committed page leaves: the window goes on from the
// page's cursor, or, on its last page (no cursor), is closed.
func pageDone(cp windowCheckpoint, plan pagePlan, turn pageTurn, rows []store.Call, goal windowGoal) windowCheckpoint {
	w := *cp.Window
	w.LastStarted = latestStart(rows, w.LastStarted)
	w.cursorWindow = w.turned(turn, plan.from)
	if !turn.last() {
		cp.Window = &w
		goal.advance(&cp, len(rows), nil)
		return cp
	}
	closed := cp.Window
	cp.Window, cp.CompletedAt = nil, &turn.at
	goal.advance(&cp, len(rows), closed)
	return cp
}

// commitCallsPage writes a page of calls, its quarantine and the checkpoint after it
// in one transaction. When next closes w, the calls of w that were not seen since w began
// are gone from Gong, and marked deleted in the same transaction.
func (e *Engine) commitCallsPage(ctx context.Context, w callsWindow, next windowCheckpoint, rows []store.Call, q *pageQuarantine) (res store.UpsertResult, deleted []string, err error) {
	err = e.st.Transact(ctx, func(tx *store.Tx) error {
		if err := q.write(ctx, tx); err != nil {
			return err
		}
		kept, err := e.withoutErased(ctx, tx, rows) // calls an erasure keeps out are not written (privacy.go)
		if err != nil {
			return err
		}
		if res, err = tx.UpsertCalls(ctx, kept); err != nil {
			return err
		}
		deleted = nil
		if next.Window == nil {
			if deleted, err = tx.MarkCallsDeleted(ctx, w.From, w.To, "", w.StartedAt); err != nil {
				return err
			}
		}
		return tx.SaveCheckpoint(ctx, next.row())
	})
	return res, deleted, err
}

func latestStart(rows []store.Call, prev *time.Time) *time.Time {
	latest := prev
	for i := range rows {
		if s := rows[i].Started; s != nil && (latest == nil || s.After(*latest)) {
			latest = s
		}
	}
	return latest
}

func countLate(rows []store.Call, inserted []string, before time.Time) int {
	if before.IsZero() || len(inserted) == 0 {
		return 0
	}
	isNew := make(map[string]bool, len(inserted))
	for _, id := range inserted {
		isNew[id] = true
	}
	n := 0
	for i := range rows {
		if isNew[rows[i].ID] && rows[i].Started != nil && rows[i].Started.Before(before) {
			n++
			delete(isNew, rows[i].ID) // a duplicate in the page counts once
		}
	}
	return n
}

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

// CallMapping is the version of the mapping from Gong's call records to rows, stored
// with every call (calls.mapping_version). Raise it whenever CallRow starts deriving
// rows it did not before: calls stored by an older mapping are then re-derived from
// their raw documents by Remap, without asking Gong again.
//
//	1: calls and their parties, trackers, topics, speakers, interaction stats, CRM
//	   objects and comments
//	2: also call_video_stats and call_tracker_occurrences
//	3: also call_crm_fields
//	4: the JSON blocks (outline, highlights, key points, structure, outcome, a party's
//	   CRM context) stored as Gong sent them, fields Gong adds inside them included
//	5: also the outline, highlights, key points and agenda as rows
//	   (call_outline_sections, call_outline_items, call_highlights,
//	   call_highlight_items, call_key_points, call_structure)
const CallMapping = 5

// CallRow maps one extensive call onto a calls row and its child rows. The call is
// one gongapi accepted (it has metaData with an id, and every party has an id): the
// mapping cleans text for Postgres and cannot fail.
func CallRow(c *gongapi.Call) store.Call {
	md := c.MetaData
	row := store.Call{
		ID:              clean(string(md.ID)),
		URL:             cleanPtr(md.URL),
		Title:           cleanPtr(md.Title),
		Scheduled:       md.Scheduled.Ptr(),
		Started:         md.Started.Ptr(),
		DurationSeconds: md.Duration,
		PrimaryUserID:   idPtr(md.PrimaryUserID),
		Direction:       cleanPtr(md.Direction),
		System:          cleanPtr(md.System),
		Scope:           cleanPtr(md.Scope),
		Media:           cleanPtr(md.Media),
		Language:        cleanPtr(md.Language),
		WorkspaceID:     idPtr(md.WorkspaceID),
		SDRDisposition:  cleanPtr(md.SDRDisposition),
		ClientUniqueID:  cleanPtr(md.ClientUniqueID),
		CustomData:      cleanPtr(md.CustomData),
		Purpose:         cleanPtr(md.Purpose),
		MeetingURL:      cleanPtr(md.MeetingURL),
		IsPrivate:       md.IsPrivate,
		CalendarEventID: cleanPtr(md.CalendarEventID),
		MappingVersion:  CallMapping,
		Raw:             rawJSON(c.Raw, c),
		TranscriptBasis: transcriptBasis(c),
	}

	if ct := c.Content; ct != nil {
		row.Brief = cleanPtr(ct.Brief)
		row.CallOutcome = jsonDoc(ct.CallOutcome)
		row.KeyPoints = jsonDoc(ct.KeyPoints)
		row.Highlights = jsonDoc(ct.Highlights)
		row.Outline = jsonDoc(ct.Outline)
		row.Structure = jsonDoc(ct.Structure)
		blockRows(&row, ct)
		row.Trackers = make([]store.CallTracker, 0, len(ct.Trackers))
		for i := range ct.Trackers {
			t := &ct.Trackers[i]
			id := clean(string(t.ID))
			row.Trackers = append(row.Trackers, store.CallTracker{
				TrackerID:   id,
				Name:        clean(t.Name),
				Type:        nonEmpty(t.Type),
				Count:       int32(t.Count),
				Occurrences: jsonOrNil(t.Occurrences != nil, t.Occurrences),
				Phrases:     jsonOrNil(t.Phrases != nil, t.Phrases),
			})
			row.TrackerOccurrences = appendOccurrences(row.TrackerOccurrences, id, t)
		}
		row.Topics = make([]store.CallTopic, 0, len(ct.Topics))
		for _, t := range ct.Topics {
			row.Topics = append(row.Topics, store.CallTopic{Name: clean(t.Name), DurationSeconds: t.Duration})
		}
	}

	row.Parties = make([]store.CallParty, 0, len(c.Parties))
	for _, p := range c.Parties {
		row.Parties = append(row.Parties, store.CallParty{
			PartyID:      clean(string(p.ID)),
			UserID:       idPtr(p.UserID),
			SpeakerID:    idPtr(p.SpeakerID),
			EmailAddress: cleanPtr(p.EmailAddress),
			Name:         cleanPtr(p.Name),
			Title:        cleanPtr(p.Title),
			Affiliation:  cleanPtr(p.Affiliation),
			PhoneNumber:  cleanPtr(p.PhoneNumber),
			Methods:      cleanAll(p.Methods),
			Context:      jsonDoc(p.Context),
		})
	}

	if in := c.Interaction; in != nil {
		if q := in.Questions; q != nil {
			cc, nc := int32(q.CompanyCount), int32(q.NonCompanyCount)
			row.QuestionCompanyCount, row.QuestionNonCompanyCount = &cc, &nc
		}
		row.Speakers = make([]store.CallSpeaker, 0, len(in.Speakers))
		for _, s := range in.Speakers {
			row.Speakers = append(row.Speakers, store.CallSpeaker{
				PartyID: clean(string(s.ID)), UserID: idPtr(s.UserID), TalkTimeSeconds: s.TalkTime,
			})
		}
		row.InteractionStats = make([]store.CallInteractionStat, 0, len(in.InteractionStats))
		for _, s := range in.InteractionStats {
			row.InteractionStats = append(row.InteractionStats, store.CallInteractionStat{Name: clean(s.Name), Value: s.Value})
		}
		row.VideoStats = make([]store.CallVideoStat, 0, len(in.Video))
		for _, v := range in.Video {
			row.VideoStats = append(row.VideoStats, store.CallVideoStat{Name: clean(v.Name), DurationSeconds: v.Duration})
		}
	}

	for _, cx := range c.Context {
		for _, o := range cx.Objects {
			row.CRMObjects = append(row.CRMObjects, store.CallCRMObject{
				System:     clean(cx.System),
				ObjectType: clean(o.ObjectType),
				ObjectID:   clean(string(o.ObjectID)),
				Timing:     clean(o.Timing),
				Fields:     jsonOrNil(o.Fields != nil, o.Fields),
			})
			row.CRMFields = appendCRMFields(row.CRMFields, clean(cx.System), &o)
		}
	}

	if co := c.Collaboration; co != nil {
		row.Comments = make([]store.CallComment, 0, len(co.PublicComments))
		for _, cm := range co.PublicComments {
			row.Comments = append(row.Comments, store.CallComment{
				CommentID:         clean(string(cm.ID)),
				CommenterUserID:   idPtr(cm.CommenterUserID),
				Comment:           cleanPtr(cm.Comment),
				Posted:            cm.Posted.Ptr(),
				AudioStartSeconds: cm.AudioStartTime,
				AudioEndSeconds:   cm.AudioEndTime,
				InReplyTo:         idPtr(cm.InReplyTo),
				DuringCall:        cm.DuringCall,
			})
		}
	}
	return row
}

// blockRows derives the rows of the content's AI blocks, numbered from 0 in Gong's
// order. A block not in its documented shape gives no rows (its document is stored).
func blockRows(row *store.Call, ct *gongapi.CallContent) {
	for i, sec := range ct.OutlineSections() {
		row.OutlineSections = append(row.OutlineSections, store.CallOutlineSection{Index: int32(i),
			Section: cleanPtr(sec.Section), StartTime: sec.StartTime, Duration: sec.Duration})
		for k, it := range sec.Items {
			row.OutlineItems = append(row.OutlineItems, store.CallOutlineItem{SectionIndex: int32(i), Index: int32(k),
				Text: cleanPtr(it.Text), StartTime: it.StartTime})
		}
	}
	for i, h := range ct.HighlightSections() {
		row.HighlightGroups = append(row.HighlightGroups, store.CallHighlight{Index: int32(i), Title: cleanPtr(h.Title)})
		for k, it := range h.Items {
			row.HighlightItems = append(row.HighlightItems, store.CallHighlightItem{HighlightIndex: int32(i), Index: int32(k),
				Text: cleanPtr(it.Text), StartTimes: it.StartTimes})
		}
	}
	for i, p := range ct.KeyPointList() {
		row.KeyPointRows = append(row.KeyPointRows, store.CallKeyPoint{Index: int32(i), Text: cleanPtr(p.Text)})
	}
	for i, p := range ct.StructureParts() {
		row.StructureParts = append(row.StructureParts, store.CallStructurePart{Index: int32(i), Name: cleanPtr(p.Name), Duration: p.Duration})
	}
}

// appendOccurrences adds a tracker's hits one row each, numbered in the order of the
// call. Gong lists them per phrase for keyword trackers, and at the tracker's level for
// smart ones (and for keyword trackers not set to show each phrase); a hit that comes
// in both lists is one hit, taken with its phrase.
func appendOccurrences(out []store.CallTrackerOccurrence, trackerID string, t *gongapi.Tracker) []store.CallTrackerOccurrence {
	type hit struct {
		start   float64
		speaker string
	}
	first := len(out)
	withPhrase := map[hit]int{}
	for _, ph := range t.Phrases {
		phrase := clean(ph.Phrase)
		for _, o := range ph.Occurrences {
			out = append(out, store.CallTrackerOccurrence{TrackerID: trackerID, StartSeconds: o.StartTime,
				SpeakerID: idPtr(o.SpeakerID), Phrase: &phrase})
			withPhrase[hit{o.StartTime, idText(o.SpeakerID)}]++
		}
	}
	for _, o := range t.Occurrences {
		h := hit{o.StartTime, idText(o.SpeakerID)}
		if withPhrase[h] > 0 {
			withPhrase[h]--
			continue
		}
		out = append(out, store.CallTrackerOccurrence{TrackerID: trackerID, StartSeconds: o.StartTime, SpeakerID: idPtr(o.SpeakerID)})
	}
	hits := out[first:]
	slices.SortStableFunc(hits, func(a, b store.CallTrackerOccurrence) int { return cmp.Compare(a.StartSeconds, b.StartSeconds) })
	for i := range hits {
		hits[i].Index = int32(i)
	}
	return out
}

// CallRows maps a page of calls that gongapi accepted.
func CallRows(calls []gongapi.Call) []store.Call {
	rows := make([]store.Call, len(calls))
	for i := range calls {
		rows[i] = CallRow(&calls[i])
	}
	return rows
}

// transcriptBasis fingerprints what a call's transcript depends on: the recording
// (duration and media; Gong re-processing a recording changes its duration) and who
// speaks in it (the parties' speaker ids; an invitee who never speaks cannot change a
// transcript). A call re-read with another basis has its transcript fetched again.
func transcriptBasis(c *gongapi.Call) *string {
	h := sha256.New()
	md := c.MetaData
	if md.Duration != nil {
		fmt.Fprintf(h, "duration=%d\n", *md.Duration)
	}
	if md.Media != nil {
		fmt.Fprintf(h, "media=%s\n", *md.Media)
	}
	var speakers []string
	for i := range c.Parties {
		if s := c.Parties[i].SpeakerID; s != nil {
			speakers = append(speakers, string(*s))
		}
	}
	slices.Sort(speakers)
	for _, s := range speakers {
		fmt.Fprintf(h, "speaker=%s\n", s)
	}
	basis := hex.EncodeToString(h.Sum(nil)[:16])
	return &basis
}
