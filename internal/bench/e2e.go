package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// e2eRun is one end-to-end backfill: a gongsync process against a fake-gong process
// with rate limits off, into a fresh database.
type e2eRun struct {
	Calls, Sentences int
	// Bytes on disk of the tables once the backfill ended (pg_total_relation_size: the
	// heap, its TOAST and its indexes): the transcripts (sentences and their full-text
	// index), the calls (with their raw JSON), and all the schema's tables.
	TranscriptBytes, CallBytes, AllBytes int64
	LongTranscripts                      int // transcripts of over 1,000 sentences
	Proc                                 *proc
	FakeCPU, PGCPU                       float64 // seconds of CPU the fake and Postgres used meanwhile
	Events                               []event // page and batch commits, oldest first
}

// event is one committed calls page or transcript batch, at its transaction's start.
type event struct {
	At          time.Time
	Transcripts bool // a transcript batch; otherwise a calls page
	N           int  // calls in it
	Cum         int  // calls (or transcripts) in the tables once it committed
}

// e2eFrom and e2eTo bound every end-to-end dataset: the fake's default half year.
var (
	e2eFrom = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	e2eTo   = time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
)

// backfill runs one end-to-end backfill of calls calls with full content and
// transcripts of sentences sentences on average (or, with callsOnly, of the calls
// stream alone: full content, no transcript requests). profile, when set, is where
// gongsync writes a CPU profile.
func backfill(ctx context.Context, e *env, seed, calls, sentences int, profile string, callsOnly bool) (*e2eRun, error) {
	return backfillThen(ctx, e, seed, calls, sentences, profile, callsOnly, nil)
}

// backfillThen is backfill, and then, when given, a measurement of the database the
// backfill filled (at its URL), before the database is dropped.
func backfillThen(ctx context.Context, e *env, seed, calls, sentences int, profile string, callsOnly bool,
	then func(ctx context.Context, db string) error) (*e2eRun, error) {
	f, db, stop, err := e.fakeAndDatabase(ctx, "--seed", fmt.Sprint(seed), "--calls", fmt.Sprint(calls),
		"--from", e2eFrom.Format(time.RFC3339), "--to", e2eTo.Format(time.RFC3339),
		"--sentences-per-call", fmt.Sprint(sentences), "--rate-limit", "0", "--daily-limit", "0")
	if err != nil {
		return nil, err
	}
	defer stop()
	environ := gongsyncEnv(db, f.url, "GONG_RATE_LIMIT=0")
	if _, err := e.runGongsync(ctx, environ, "migrate"); err != nil {
		return nil, err
	}
	if profile != "" {
		environ = append(environ, "GONGSYNC_CPUPROFILE="+profile)
	}
	// Postgres's CPU is read from its exited backends: let the migration's go first.
	time.Sleep(200 * time.Millisecond)
	pg0, err := e.postgresCPU(ctx)
	if err != nil {
		return nil, err
	}
	fake0 := f.cpu()
	args := []string{"backfill", "--from", e2eFrom.Format(time.DateOnly),
		"--to", e2eTo.AddDate(0, 0, 9).Format(time.DateOnly), "--progress", "none", "--no-migrate"}
	if callsOnly {
		args = append(args, "--streams", "calls")
	}
	p, err := e.runGongsync(ctx, environ, args...)
	if err != nil {
		return nil, err
	}
	run := &e2eRun{Proc: p, FakeCPU: f.cpu() - fake0}
	time.Sleep(200 * time.Millisecond)
	pg1, err := e.postgresCPU(ctx)
	if err != nil {
		return nil, err
	}
	run.PGCPU = pg1 - pg0
	if err := run.load(ctx, db); err != nil {
		return nil, err
	}
	if run.Calls < calls*9/10 || (run.Sentences == 0) != callsOnly {
		return nil, fmt.Errorf("backfill of %d calls stored %d calls and %d sentences", calls, run.Calls, run.Sentences)
	}
	if then != nil {
		if err := then(ctx, db); err != nil {
			return nil, err
		}
	}
	return run, nil
}

// load reads what the backfill stored and when: every calls page shares its
// transaction's now() in first_seen_at, every transcript transaction its now() in
// transcript_fetched_at.
func (r *e2eRun) load(ctx context.Context, db string) error {
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM gong.calls), (SELECT count(*) FROM gong.transcript_sentences),
			(SELECT count(*) FROM (SELECT FROM gong.transcript_sentences GROUP BY call_id HAVING count(*) > 1000) l)`).
		Scan(&r.Calls, &r.Sentences, &r.LongTranscripts); err != nil {
		return err
	}
	if err := conn.QueryRow(ctx, `SELECT
			coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relname = 'transcript_sentences'), 0)::bigint,
			coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relname = 'calls'), 0)::bigint,
			coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'gong' AND c.relkind = 'r'`).Scan(&r.TranscriptBytes, &r.CallBytes, &r.AllBytes); err != nil {
		return err
	}
	read := func(sql string, transcripts bool) error {
		rows, err := conn.Query(ctx, sql)
		if err != nil {
			return err
		}
		var at time.Time
		var n int
		_, err = pgx.ForEachRow(rows, []any{&at, &n}, func() error {
			r.Events = append(r.Events, event{At: at, Transcripts: transcripts, N: n})
			return nil
		})
		return err
	}
	if err := read(`SELECT first_seen_at, count(*) FROM gong.calls GROUP BY 1 ORDER BY 1`, false); err != nil {
		return err
	}
	if err := read(`SELECT transcript_fetched_at, count(*) FROM gong.calls WHERE transcript_fetched_at IS NOT NULL GROUP BY 1 ORDER BY 1`, true); err != nil {
		return err
	}
	slices.SortFunc(r.Events, func(a, b event) int { return a.At.Compare(b.At) })
	// The concurrent transactions of one transcript batch start within a few
	// milliseconds of each other; batches are tens of milliseconds apart.
	var merged []event
	for _, ev := range r.Events {
		if n := len(merged); n > 0 && ev.Transcripts && merged[n-1].Transcripts && ev.At.Sub(merged[n-1].At) < 15*time.Millisecond {
			merged[n-1].N += ev.N
			continue
		}
		merged = append(merged, ev)
	}
	var calls, transcripts int
	for i := range merged {
		if merged[i].Transcripts {
			transcripts += merged[i].N
			merged[i].Cum = transcripts
		} else {
			calls += merged[i].N
			merged[i].Cum = calls
		}
	}
	r.Events = merged
	return nil
}

// reached returns when the tables first held at least n calls (the start of the
// page's transaction that got there), and false if they never did.
func (r *e2eRun) reached(n int) (time.Time, bool) {
	for _, ev := range r.Events {
		if !ev.Transcripts && ev.Cum >= n {
			return ev.At, true
		}
	}
	return time.Time{}, false
}

// hwmAfter is the peak resident set once n calls were in: the first sample taken
// after the following commit, so the page that reached n is included.
func (r *e2eRun) hwmAfter(n int) int64 {
	t, ok := r.reached(n)
	if !ok {
		return 0
	}
	for _, ev := range r.Events {
		if ev.At.After(t) {
			return r.Proc.hwmAt(ev.At)
		}
	}
	return r.Proc.MaxRSS
}

// pace is the time per 1,000 calls of calls pages (transcripts false) or transcript
// batches (true) around the point where the tables held mark calls (or transcripts):
// each of the pages or batches that took the count from mark-span to mark, timed from
// the commit of the page (or batch) before it. A backfill writes a batch of
// transcripts while it reads the next page of calls, so the interval from one page to
// the next is one turn of both.
func (r *e2eRun) pace(mark, span int, transcripts bool) figure {
	var f figure
	var prev *event
	for i := range r.Events {
		ev := &r.Events[i]
		if ev.Transcripts != transcripts {
			continue
		}
		if prev != nil && ev.Cum > mark-span && ev.Cum <= mark && ev.N >= 50 {
			f = append(f, ev.At.Sub(prev.At).Seconds()*1000/float64(ev.N))
		}
		prev = ev
	}
	return f
}

// final is how many calls (or transcripts) the tables held when the backfill ended.
func (r *e2eRun) final(transcripts bool) int {
	n := 0
	for _, ev := range r.Events {
		if ev.Transcripts == transcripts {
			n = ev.Cum
		}
	}
	return n
}
