package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// The page loop's own rules, with a scripted read in place of Gong and Postgres: the
// loop is the only place that decides which cursor is sent, when a read stops, and
// what a page counts for; these tests drive it page by page and watch what it asks.

// scriptedRead is a cursor-paged read whose answers are scripted: each fetch takes the
// next answer, counts a request on the run's payer (as the ledger would) and records
// the cursor it was asked with; each commit moves the window's cursor as a stream's
// page-done rule does, and records the turn.
type scriptedRead struct {
	w       *cursorWindow
	payer   *Payer
	answers []scripted
	sent    []string   // the cursor of each request, in order
	turns   []pageTurn // the turn of each committed page
	// finds is what each commit reports.
	finds pageFinds
	// after, when set, is what afterPage returns.
	after error
}

// scripted is one answer: a page with items records and the next cursor, or an error.
type scripted struct {
	items int
	next  string
	err   error
}

func (s *scriptedRead) window() *cursorWindow { return s.w }

func (s *scriptedRead) fetch(_ context.Context, _ *gongapi.Client, cursor string) (*gongapi.Page[int], error) {
	s.sent = append(s.sent, cursor)
	s.payer.requests.Add(1)
	if len(s.answers) == 0 {
		return nil, errors.New("scriptedRead: no answer left")
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	if a.err != nil {
		return nil, a.err
	}
	return &gongapi.Page[int]{Items: make([]int, a.items), Cursor: cursor, NextCursor: a.next}, nil
}

func (s *scriptedRead) commit(_ context.Context, _ *run, page *gongapi.Page[int], turn pageTurn) (pageFinds, error) {
	s.turns = append(s.turns, turn)
	if turn.last() {
		s.w = nil
	} else {
		w := s.w.turned(turn, s.w.From)
		s.w = &w
	}
	f := s.finds
	f.records = len(page.Items)
	return f, nil
}

func (s *scriptedRead) afterPage(context.Context, *run) error { return s.after }

// loopEngine is an engine with no store and no Gong: enough for the page loop, whose
// steps the scripted read supplies.
func loopEngine(now time.Time, perRun int) *Engine {
	opt := Options{Now: func() time.Time { return now }, Logger: zerolog.Nop(), RequestsPerRun: perRun}
	opt.defaults()
	return &Engine{opt: opt, log: opt.Logger}
}

func loopRun() *run {
	payer := (&Budget{}).For(KindSync)
	return &run{RunReport: &RunReport{Stream: "scripted"}, payer: payer, log: zerolog.Nop()}
}

var loopNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func readScripted(t *testing.T, e *Engine, r *run, s *scriptedRead) error {
	t.Helper()
	s.payer = r.payer
	return e.readPages(context.Background(), r, pagesOf(e, s))
}

func TestPageLoopFollowsCursorsToTheLastPage(t *testing.T) {
	e, r := loopEngine(loopNow, 0), loopRun()
	s := &scriptedRead{w: &cursorWindow{}, answers: []scripted{{items: 100, next: "c1"}, {items: 100, next: "c2"}, {items: 7}}}
	if err := readScripted(t, e, r, s); err != nil {
		t.Fatal(err)
	}
	if want := []string{"", "c1", "c2"}; !slices.Equal(s.sent, want) {
		t.Errorf("cursors sent %q, want %q", s.sent, want)
	}
	if s.w != nil || len(s.turns) != 3 || r.Records != 207 {
		t.Errorf("window %v, %d pages committed, %d records; want closed, 3, 207", s.w, len(s.turns), r.Records)
	}
}

func TestPageLoopDoesNotTryACursorTooOldToTrust(t *testing.T) {
	for _, tc := range []struct {
		name string
		age  time.Duration
		want string
	}{
		{"young", 29 * time.Minute, "stored"},
		{"too old", 31 * time.Minute, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, r := loopEngine(loopNow, 0), loopRun()
			at := loopNow.Add(-tc.age)
			s := &scriptedRead{w: &cursorWindow{Cursor: "stored", CursorAt: &at}, answers: []scripted{{items: 3}}}
			if err := readScripted(t, e, r, s); err != nil {
				t.Fatal(err)
			}
			if len(s.sent) != 1 || s.sent[0] != tc.want {
				t.Errorf("a cursor %s old: sent %q, want %q", tc.age, s.sent, tc.want)
			}
		})
	}
	// A cursor with no time it was given is not trusted either (a checkpoint of a
	// version that did not keep it).
	e, r := loopEngine(loopNow, 0), loopRun()
	s := &scriptedRead{w: &cursorWindow{Cursor: "stored"}, answers: []scripted{{items: 3}}}
	if err := readScripted(t, e, r, s); err != nil || s.sent[0] != "" {
		t.Errorf("a cursor of unknown age: sent %q (err %v), want a new query", s.sent, err)
	}
}

func TestPageLoopRestartsTheQueryWhenGongSaysTheCursorExpired(t *testing.T) {
	e, r := loopEngine(loopNow, 0), loopRun()
	expired := fmt.Errorf("read: %w", gongapi.ErrCursorExpired)
	s := &scriptedRead{w: &cursorWindow{}, answers: []scripted{
		{items: 100, next: "c1"}, {err: expired}, {items: 100, next: "c9"}, {items: 1},
	}}
	if err := readScripted(t, e, r, s); err != nil {
		t.Fatal(err)
	}
	if want := []string{"", "c1", "", "c9"}; !slices.Equal(s.sent, want) {
		t.Errorf("cursors sent %q, want %q", s.sent, want)
	}
	if r.CursorRestarts != 1 || len(s.turns) != 3 {
		t.Errorf("%d restarts, %d pages committed; want 1, 3", r.CursorRestarts, len(s.turns))
	}

	// Gong saying so of a request sent without a cursor is a failure, not a restart:
	// nothing would change on the next try.
	e, r = loopEngine(loopNow, 0), loopRun()
	s = &scriptedRead{w: &cursorWindow{}, answers: []scripted{{err: expired}}}
	if err := readScripted(t, e, r, s); !errors.Is(err, gongapi.ErrCursorExpired) || r.CursorRestarts != 0 {
		t.Errorf("expired without a cursor: err %v, %d restarts; want the error, 0", err, r.CursorRestarts)
	}
}

func TestPageLoopStopsAtTheRunsShareOfRequestsWithThePageCommitted(t *testing.T) {
	e, r := loopEngine(loopNow, 2), loopRun()
	s := &scriptedRead{w: &cursorWindow{}, answers: []scripted{
		{items: 100, next: "c1"}, {items: 100, next: "c2"}, {items: 100, next: "c3"}, {items: 1},
	}}
	err := readScripted(t, e, r, s)
	if !errors.Is(err, errRunFull) {
		t.Fatalf("err %v, want errRunFull", err)
	}
	if len(s.sent) != 2 || len(s.turns) != 2 || s.w == nil || s.w.Cursor != "c2" {
		t.Errorf("%d requests, %d pages committed, window %+v; want 2, 2, open at c2", len(s.sent), len(s.turns), s.w)
	}
	// The next run goes on from the committed cursor, to the end.
	r2 := loopRun()
	if err := readScripted(t, e, r2, s); err != nil || !slices.Equal(s.sent[2:], []string{"c2", "c3"}) || s.w != nil {
		t.Errorf("the next run: err %v, sent %q, window %v; want the end reached from c2", err, s.sent, s.w)
	}
}

func TestPageLoopReturnsABudgetPauseWithNothingCommitted(t *testing.T) {
	e, r := loopEngine(loopNow, 0), loopRun()
	until := loopNow.Add(11 * time.Hour)
	at := loopNow.Add(-time.Minute)
	s := &scriptedRead{w: &cursorWindow{Cursor: "c4", CursorAt: &at}, answers: []scripted{{err: &gongapi.QuotaError{Until: until}}}}
	err := readScripted(t, e, r, s)
	var qe *gongapi.QuotaError
	if !errors.As(err, &qe) || !qe.Until.Equal(until) {
		t.Fatalf("err %v, want the quota error", err)
	}
	if len(s.turns) != 0 || s.w.Cursor != "c4" || r.CursorRestarts != 0 {
		t.Errorf("%d pages committed, cursor %q; want none, the cursor kept for the resume", len(s.turns), s.w.Cursor)
	}
}

func TestPageLoopClosesTheWindowOnAnEmptyAnswer(t *testing.T) {
	// Gong answers a query with nothing in it with a 404, which the client turns into
	// an empty page: the window is complete, and its commit still runs (it marks the
	// range's vanished records deleted).
	e, r := loopEngine(loopNow, 0), loopRun()
	s := &scriptedRead{w: &cursorWindow{}, answers: []scripted{{items: 0}}}
	if err := readScripted(t, e, r, s); err != nil {
		t.Fatal(err)
	}
	if s.w != nil || len(s.turns) != 1 || r.Records != 0 {
		t.Errorf("window %v, %d commits, %d records; want closed by one commit of nothing", s.w, len(s.turns), r.Records)
	}
}

func TestPageLoopCountsAPageOfRecordsAlreadyStoredAsConfirmedOnly(t *testing.T) {
	e, r := loopEngine(loopNow, 0), loopRun()
	s := &scriptedRead{w: &cursorWindow{}, answers: []scripted{{items: 3}}}
	if err := readScripted(t, e, r, s); err != nil {
		t.Fatal(err)
	}
	if r.Records != 3 || r.Inserted+r.Changed+r.Restored+r.Deleted+r.Late != 0 {
		t.Errorf("report %+v; want 3 records confirmed, nothing found", *r.RunReport)
	}

	// A page whose upsert found changes counts them, and what its commit deleted.
	r = loopRun()
	s = &scriptedRead{w: &cursorWindow{}, answers: []scripted{{items: 3}},
		finds: pageFinds{res: store.UpsertResult{Inserted: []string{"a"}, Changed: []string{"b"}}, deleted: []string{"z"}, late: 1}}
	if err := readScripted(t, e, r, s); err != nil {
		t.Fatal(err)
	}
	if r.Inserted != 1 || r.Changed != 1 || r.Deleted != 1 || r.Late != 1 {
		t.Errorf("report %+v; want 1 inserted, 1 changed, 1 deleted, 1 late", *r.RunReport)
	}
}

func TestPageLoopStopsBetweenPagesAtShutdown(t *testing.T) {
	e, r := loopEngine(loopNow, 0), loopRun()
	ctx, cancel := context.WithCancel(context.Background())
	s := &scriptedRead{w: &cursorWindow{}, answers: []scripted{{items: 100, next: "c1"}, {items: 1}}}
	s.payer = r.payer
	// The shutdown comes while the first page is committed: that page is finished,
	// and no second one starts.
	read := &cancelAfterCommit{scriptedRead: s, cancel: cancel}
	err := e.readPages(ctx, r, pagesOf(e, read))
	if !errors.Is(err, context.Canceled) || len(s.sent) != 1 || len(s.turns) != 1 {
		t.Errorf("err %v, %d requests, %d commits; want canceled after one committed page", err, len(s.sent), len(s.turns))
	}
}

type cancelAfterCommit struct {
	*scriptedRead
	cancel context.CancelFunc
}

func (c *cancelAfterCommit) commit(ctx context.Context, r *run, page *gongapi.Page[int], turn pageTurn) (pageFinds, error) {
	c.cancel()
	if ctx.Err() != nil {
		return pageFinds{}, errors.New("the page's own context ended with the run's: its commit would be lost")
	}
	return c.scriptedRead.commit(ctx, r, page, turn)
}

func TestPageLoopStopsWhenTheStepAfterAPageFails(t *testing.T) {
	e, r := loopEngine(loopNow, 0), loopRun()
	boom := errors.New("transcripts batch failed")
	s := &scriptedRead{w: &cursorWindow{}, answers: []scripted{{items: 5, next: "c1"}, {items: 1}}, after: boom}
	if err := readScripted(t, e, r, s); !errors.Is(err, boom) || len(s.sent) != 1 || r.Records != 5 {
		t.Errorf("err %v, %d requests, %d records; want the failure after one page, counted", err, len(s.sent), r.Records)
	}
}

// The page-done rules and plans, each a pure function of a checkpoint and a page.

func TestCallsPageDoneMovesTheCursorThenClosesTheWindow(t *testing.T) {
	from, to := loopNow.Add(-3*time.Hour), loopNow
	started := loopNow.Add(-2 * time.Hour)
	cp := windowCheckpoint{stream: StreamCalls, Window: &callsWindow{cursorWindow: cursorWindow{From: from, To: to}}}
	plan := planPage(cp.Window, "")
	if plan.req.Cursor != "" || plan.req.Filter.FromDateTime != gongapi.FormatFilterTime(from) {
		t.Fatalf("first plan %+v", plan.req)
	}
	goal := &callsGoal{}
	rows := []store.Call{{ID: "1", Started: &started}}
	next := pageDone(cp, plan, pageTurn{cursor: "c1", at: loopNow}, rows, goal)
	if next.Window == nil || next.Window.Cursor != "c1" || !next.Window.LastStarted.Equal(started) || next.HighWaterMark != nil {
		t.Fatalf("after a page with a cursor: %+v", next.Window)
	}
	if cp.Window.Cursor != "" {
		t.Error("pageDone changed the checkpoint it was given")
	}
	// Without a cursor, the next query starts at the last committed call; with one,
	// it keeps the query the cursor belongs to.
	if p := planPage(next.Window, ""); p.req.Filter.FromDateTime != gongapi.FormatFilterTime(started) {
		t.Errorf("restart plan from %s, want the last committed call %s", p.req.Filter.FromDateTime, started)
	}
	if p := planPage(next.Window, "c1"); p.req.Filter.FromDateTime != gongapi.FormatFilterTime(from) || p.req.Cursor != "c1" {
		t.Errorf("plan with the cursor: %+v", p.req)
	}
	last := pageDone(next, planPage(next.Window, "c1"), pageTurn{at: loopNow}, nil, goal)
	if last.Window != nil || last.CompletedAt == nil || last.HighWaterMark == nil || !last.HighWaterMark.Equal(to) {
		t.Errorf("after the last page: window %v, completed %v, mark %v; want closed, the mark at %s", last.Window, last.CompletedAt, last.HighWaterMark, to)
	}
}

func TestPlanDaysCutsTheWindowIntoSeriesOfTheStreamsSpan(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	w := &daysWindow{Next: day(1), cursorWindow: cursorWindow{From: day(1), To: day(4)}}
	for _, tc := range []struct {
		span     int
		from, to string
	}{{1, "2024-01-01", "2024-01-02"}, {31, "2024-01-01", "2024-01-04"}} {
		p := planDays(w, tc.span, "c")
		if p.req.Filter.FromDate != tc.from || p.req.Filter.ToDate != tc.to || p.req.Cursor != "c" {
			t.Errorf("span %d: %+v, want %s..%s with the cursor", tc.span, p.req, tc.from, tc.to)
		}
	}

	// A series' last page moves the window to the next series; the window's last one
	// closes it, and, reaching the recent days, moves the high-water mark.
	now := day(5).Add(13 * time.Hour)
	cp := datedCheckpoint{stream: StreamInteractionStats, Daily: w}
	p := planDays(w, 1, "")
	next := daysPageDone(cp, false, p, pageTurn{cursor: "c2", at: now}, 7)
	if next.Daily.Cursor != "c2" || !next.Daily.Next.Equal(day(1)) {
		t.Errorf("mid-series: %+v", next.Daily)
	}
	next = daysPageDone(next, false, p, pageTurn{at: now}, 7)
	if next.Daily == nil || next.Daily.Cursor != "" || !next.Daily.Next.Equal(day(2)) || next.CompletedAt != nil {
		t.Errorf("series done: %+v", next.Daily)
	}
	next.Daily.Next = day(3)
	end := daysPageDone(next, false, planDays(next.Daily, 1, ""), pageTurn{at: now}, 7)
	if end.Daily != nil || end.CompletedAt == nil || end.HighWaterMark == nil || !end.HighWaterMark.Equal(day(4)) {
		t.Errorf("window done: daily %v completed %v mark %v", end.Daily, end.CompletedAt, end.HighWaterMark)
	}
}

func TestReviewPageDoneMovesTheMarkOrTheBackfill(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 2, d, 0, 0, 0, 0, time.UTC) }
	mark := loopNow.Add(-time.Minute)
	w := &reviewWindow{Mark: mark, cursorWindow: cursorWindow{From: day(1), To: day(3)}}
	off := 3600
	cp := reviewCheckpoint{stream: StreamAnsweredScorecards, Window: w}
	g := reviewGoal{moveMark: true}
	next := reviewPageDone(cp, g, pageTurn{cursor: "c1", at: loopNow}, nil, &off)
	if next.Window == nil || next.Window.Cursor != "c1" || next.HighWaterMark != nil || *next.Offset != off {
		t.Fatalf("mid-window: %+v", next)
	}
	done := reviewPageDone(next, g, pageTurn{at: loopNow}, nil, nil)
	if done.Window != nil || done.HighWaterMark == nil || !done.HighWaterMark.Equal(mark) || *done.Offset != off {
		t.Errorf("last page: window %v mark %v offset %v; want closed, the window's mark, the offset kept", done.Window, done.HighWaterMark, done.Offset)
	}

	// A backfill's window moves its range on and counts its records; the incremental
	// mark stays.
	bcp := reviewCheckpoint{stream: StreamAnsweredScorecards,
		Backfill: &reviewBackfill{From: day(1), To: day(9), Next: day(1), Window: w}}
	bg := reviewGoal{backfill: true}
	rows := make([]store.AnsweredScorecard, 4)
	b := reviewPageDone(bcp, bg, pageTurn{at: loopNow}, rows, nil)
	if b.Backfill.Window != nil || !b.Backfill.Next.Equal(day(3)) || b.Backfill.Records != 4 || b.HighWaterMark != nil {
		t.Errorf("backfill window done: %+v", *b.Backfill)
	}
	if bcp.Backfill.Window == nil || bcp.Backfill.Records != 0 {
		t.Error("reviewPageDone changed the checkpoint it was given")
	}
}
