package sync

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// The page loop. Every read that goes to Gong page after page runs on readPages:
// the calls' windows (the incremental run, the settle pass, the backfill, the sweep),
// the answered scorecards' windows, the dated streams' days, the users' pages, the
// library's folders and the transcripts' batches. A page is four steps, always in this
// order:
//
//  1. plan: the request that continues the read, from its checkpoint;
//  2. fetch: the request to Gong, on the run's account;
//  3. rows: Gong's records as rows (the stream family's mapping);
//  4. commit: the rows, what the page completes (records gone from Gong marked deleted),
//     the records gongsync cannot use kept in quarantine (quarantine.go) and the
//     checkpoint after them, in one transaction;
//
// then next: the loop goes on while the read has a page left. What every read shares is
// written here once: the stop at shutdown and at the per-job request cap (both between
// pages, where everything before is committed), the grace a page in flight gets at
// shutdown, the two rules about Gong's cursors (cursorPages), and the counting of what
// each page found (tally). What Gong answers in one request (a whole set of
// definitions, wholeSet; the calls.refresh action) is one commit without a loop. A
// stream family declares only its steps: a pageSource, or,
// for one of Gong's cursor-paged endpoints, a cursorPaged read. A budget pause is
// Gong's client refusing the request (gongapi.QuotaError): the loop returns it with
// everything before committed, and the run ends paused.

// pageSource is one read as the page loop drives it.
type pageSource interface {
	// more says whether the read has a page left, as far as its checkpoint knows.
	more() bool
	// page sends the next request and commits its answer with the checkpoint after it,
	// and says what the committed page found. committed is false when nothing was:
	// Gong said the cursor expired, the request or the commit failed, or the read had
	// nothing left to ask after all (the transcripts found no batch due).
	page(ctx context.Context, r *run) (found pageFinds, committed bool, err error)
	// afterPage runs once a page is committed, under the run's context rather than the
	// page's (the backfill starts a batch of transcripts there); an error stops the read.
	afterPage(ctx context.Context, r *run) error
}

// readPages reads src to its end, a page at a time. It returns nil once src has no
// page left, or the error that stopped it with the checkpoint at the last committed
// page: the run's context ending, the run's share of requests sent (errRunFull), the
// budget's pause, or a failure.
func (e *Engine) readPages(ctx context.Context, r *run, src pageSource) error {
	for src.more() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := e.runFull(r); err != nil {
			return err
		}
		pctx, done := e.pageContext(ctx)
		found, committed, err := src.page(pctx, r)
		done()
		if err != nil {
			return err
		}
		if !committed {
			continue
		}
		e.tally(ctx, r, found)
		if err := src.afterPage(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// errRunFull stops a run before its next page once it has sent RequestsPerRun
// requests; runStream turns it into a success with More set.
var errRunFull = errors.New("the run sent its share of requests; more remains")

// runFull says, before a page is asked for, whether the run has sent its share of
// requests (Options.RequestsPerRun): errRunFull, or nil to go on.
func (e *Engine) runFull(r *run) error {
	if e.opt.RequestsPerRun > 0 && r.payer.Requests() >= e.opt.RequestsPerRun {
		return errRunFull
	}
	return nil
}

// pageContext returns the context one page's request and commit run under: it
// outlives a shutdown by PageGrace, so the page in flight is finished and committed
// instead of thrown away, but no new page starts (readPages checks ctx between pages).
func (e *Engine) pageContext(ctx context.Context) (context.Context, context.CancelFunc) {
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(e.opt.PageGrace, cancel)
		context.AfterFunc(pctx, func() { t.Stop() })
	})
	return pctx, func() { stop(); cancel() }
}

// cursorWindow is the part of a paged read's checkpoint that the page loop works
// with: the range being read, when reading it began, and Gong's cursor for the next
// page with when Gong gave it and the query it belongs to. Each family's window embeds
// it (callsWindow, daysWindow, reviewWindow, a full refresh's).
type cursorWindow struct {
	// From and To are the range being read, [From, To): call starts, days or review
	// dates; a full refresh has none.
	From, To time.Time
	// StartedAt is when reading began, on the database's clock: records of the range
	// not seen since then are gone from Gong once it is read completely.
	StartedAt time.Time
	// Cursor is Gong's cursor for the next page; "" when there is none to follow.
	Cursor string
	// CursorAt is when Gong gave the cursor, on the engine's clock: one older than
	// CursorMaxAge is not tried (Gong would say it expired, for a request).
	CursorAt *time.Time
	// CursorFrom is the start of the query the cursor belongs to: a restart may send
	// another query than the window's first (the calls restart from their last
	// committed call), and Gong refuses a cursor sent with other parameters than its
	// query's. Only the calls keep it in their checkpoint; the other families' queries
	// start where their window or series does.
	CursorFrom *time.Time
}

// pageTurn is where a committed page leaves its read's cursor: the next page's cursor
// ("" when the page was the query's last) and when Gong gave it.
type pageTurn struct {
	cursor string
	at     time.Time
}

// last says whether the page was the last of its query.
func (t pageTurn) last() bool { return t.cursor == "" }

// turned returns w with its cursor moved on to t, for a query that began at from.
func (w cursorWindow) turned(t pageTurn, from time.Time) cursorWindow {
	w.Cursor, w.CursorAt, w.CursorFrom = t.cursor, &t.at, &from
	return w
}

// cursorPaged is a read of one of Gong's cursor-paged endpoints, as a stream family
// declares it: the window whose cursor the loop minds, the request, and the commit.
type cursorPaged[T any] interface {
	// window is the window being read; nil once the read is complete.
	window() *cursorWindow
	// fetch plans and sends the request that continues the window: with cursor, or,
	// when cursor is "", the query again from where the family restarts it (the last
	// committed call; the first page of the window or of the day's series).
	fetch(ctx context.Context, gong *gongapi.Client, cursor string) (*gongapi.Page[T], error)
	// commit maps the page to rows and commits them in one transaction with the
	// checkpoint the page leaves, its window's cursor turned to turn.
	commit(ctx context.Context, r *run, page *gongapi.Page[T], turn pageTurn) (pageFinds, error)
}

// cursorPages drives a cursorPaged read on the page loop, with the two rules about
// Gong's cursors, the same for every endpoint: a stored cursor older than
// CursorMaxAge is not tried, and a cursor Gong says expired is dropped; either way
// the family's query starts again from where it restarts it. The records read twice
// that way are simply unchanged on their second upsert.
type cursorPages[T any] struct {
	e    *Engine
	read cursorPaged[T]
}

// pagesOf puts a cursor-paged read on the page loop.
func pagesOf[T any](e *Engine, read cursorPaged[T]) cursorPages[T] {
	return cursorPages[T]{e: e, read: read}
}

func (c cursorPages[T]) more() bool { return c.read.window() != nil }

func (c cursorPages[T]) page(ctx context.Context, r *run) (pageFinds, bool, error) {
	w := c.read.window()
	cursor := c.e.trustedCursor(w, r.log)
	page, err := c.read.fetch(ctx, r.gong, cursor)
	if cursor != "" && errors.Is(err, gongapi.ErrCursorExpired) {
		r.log.Info().Msg("Gong's cursor expired; reading again from where the stream restarts")
		r.CursorRestarts++
		w.Cursor, w.CursorAt = "", nil
		return pageFinds{}, false, nil
	}
	if err != nil {
		return pageFinds{}, false, err
	}
	found, err := c.read.commit(ctx, r, page, pageTurn{cursor: page.NextCursor, at: c.e.now()})
	return found, err == nil, err
}

// afterPage hands over to the read's own step after a page, when it has one.
func (c cursorPages[T]) afterPage(ctx context.Context, r *run) error {
	if f, ok := c.read.(interface {
		afterPage(context.Context, *run) error
	}); ok {
		return f.afterPage(ctx, r)
	}
	return nil
}

// trustedCursor is the cursor the next request of w may send: w's, unless it is too
// old to trust.
func (e *Engine) trustedCursor(w *cursorWindow, log zerolog.Logger) string {
	if w.Cursor != "" && (w.CursorAt == nil || e.now().Sub(*w.CursorAt) > e.opt.CursorMaxAge) {
		log.Info().Msg("stored cursor is too old to trust; reading again from where the stream restarts")
		return ""
	}
	return w.Cursor
}

// pageFinds is what one committed page did, for the run's report and the metrics.
type pageFinds struct {
	// records is how many records the page wrote or confirmed; sentences, for a batch
	// of transcripts, how many sentences.
	records, sentences int
	// res is what the upsert found: new, changed, restored, remapped records.
	res store.UpsertResult
	// deleted are the records the commit marked deleted: gone from Gong.
	deleted []string
	// late counts the records new to the table from before the mark an earlier run had
	// passed (a call started, a review published).
	late int
	// metric says which of the metrics' families counts the page.
	metric pageMetric
	// newest is the start of the newest call of a page of calls (the freshness gauge).
	newest *time.Time
	// quarantined are what the page's commit did to the quarantine (quarantine.go):
	// the records it kept there, and those it let out.
	quarantined []*pageQuarantine
	// swept, for a page of a table the sweep re-reads, with at giving the id and time of
	// each of the page's records: the finds are counted by the record's age (noteFinds).
	swept store.Swept
	at    func(i int) (string, *time.Time)
	// ends are when the calls new to the table (or whose transcripts the page brought)
	// ended by Gong's clock: the starts of gongsync_call_lag_seconds.
	ends []time.Time
}

// pageMetric is the metrics' family that counts a page.
type pageMetric int

const (
	metricRecords     pageMetric = iota // gongsync_rows_total and gongsync_records_found_total, by stream
	metricCalls                         // the calls' own: gongsync_rows_total and gongsync_found_total
	metricTranscripts                   // transcripts and their sentences
)

// tally adds a committed page to the run's report and the metrics.
func (e *Engine) tally(ctx context.Context, r *run, f pageFinds) {
	r.Records += f.records
	r.Sentences += f.sentences
	r.Inserted += len(f.res.Inserted)
	r.Changed += len(f.res.Changed)
	r.Restored += len(f.res.Restored)
	r.Remapped += f.res.Remapped
	r.Deleted += len(f.deleted)
	r.Late += f.late
	switch f.metric {
	case metricCalls:
		e.m.observeCalls(r.Stream, f.records, f.res, len(f.deleted), f.newest)
		e.m.observeCallLag(lagCall, f.ends, e.now())
	case metricTranscripts:
		e.m.observeTranscripts(f.records, f.sentences)
		e.m.observeCallLag(lagTranscript, f.ends, e.now())
	default:
		e.m.observeRows(r.Stream, f.records)
		e.m.observeFound(r.Stream, f.res, len(f.deleted))
	}
	for _, q := range f.quarantined {
		e.countQuarantine(r, q)
	}
	if f.swept != (store.Swept{}) {
		e.noteFinds(ctx, r, f)
	}
}

// noteFinds counts, by what was found and how old the record was, the changed,
// restored and deleted records of a committed page of a swept table. A record's age
// runs from its time in the table's swept column (a call's start, a review's date);
// the deleted ones' times are read from the table. A record without a time goes
// uncounted.
func (e *Engine) noteFinds(ctx context.Context, r *run, f pageFinds) {
	if len(f.res.Changed)+len(f.res.Restored)+len(f.deleted) == 0 {
		return
	}
	at := make(map[string]time.Time, f.records+len(f.deleted))
	if len(f.deleted) > 0 {
		times, err := e.st.SweptAt(ctx, f.swept, f.deleted)
		if err != nil {
			r.log.Warn().Err(err).Str("table", f.swept.Table()).Msg("could not read the deleted records' times: their ages go uncounted")
		}
		maps.Copy(at, times)
	}
	for i := range f.records {
		if id, t := f.at(i); t != nil {
			at[id] = *t
		}
	}
	now := e.now()
	note := func(found string, ids []string) {
		for _, id := range ids {
			t, ok := at[id]
			if !ok {
				continue
			}
			age := now.Sub(t)
			if r.FoundAges == nil {
				r.FoundAges = map[string]map[string]int{}
			}
			if r.FoundAges[found] == nil {
				r.FoundAges[found] = map[string]int{}
			}
			r.FoundAges[found][findAgeClass(age)]++
			e.m.observeFind(f.swept.Table(), found, age)
		}
	}
	note("changed", f.res.Changed)
	note("restored", f.res.Restored)
	note("deleted", f.deleted)
}

// noAfterPage is embedded by the reads that do nothing after a page.
type noAfterPage struct{}

func (noAfterPage) afterPage(context.Context, *run) error { return nil }
