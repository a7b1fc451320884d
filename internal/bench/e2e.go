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
	Proc             *proc
	FakeCPU, PGCPU   float64 // seconds of CPU the fake and Postgres used meanwhile
	Events           []event // page and batch commits, oldest first
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
// transcripts (or, with callsOnly, of the calls stream alone: full content, no
// transcript requests). profile, when set, is where gongsync writes a CPU profile.
func backfill(ctx context.Context, e *env, seed, calls int, profile string, callsOnly bool) (*e2eRun, error) {
	return backfillThen(ctx, e, seed, calls, profile, callsOnly, nil)
}

// backfillThen is backfill, and then, when given, a measurement of the database the
// backfill filled (at its URL), before the database is dropped.
func backfillThen(ctx context.Context, e *env, seed, calls int, profile string, callsOnly bool,
	then func(ctx context.Context, db string) error) (*e2eRun, error) {
	f, db, stop, err := e.fakeAndDatabase(ctx, "--seed", fmt.Sprint(seed), "--calls", fmt.Sprint(calls),
		"--from", e2eFrom.Format(time.RFC3339), "--to", e2eTo.Format(time.RFC3339),
		"--rate-limit", "0", "--daily-limit", "0")
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
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM gong.calls), (SELECT count(*) FROM gong.transcript_sentences)`).
		Scan(&r.Calls, &r.Sentences); err != nil {
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
// batches (true) around the point where the tables held mark calls (or
// transcripts): each of the pages or batches that took the count from mark-span to
// mark, timed from the commit before it when that was of the same kind (the first of
// a run of pages also waited for the batches before it).
func (r *e2eRun) pace(mark, span int, transcripts bool) figure {
	var f figure
	for i := 1; i < len(r.Events); i++ {
		ev, prev := r.Events[i], r.Events[i-1]
		if ev.Transcripts != transcripts || prev.Transcripts != transcripts || ev.Cum <= mark-span || ev.Cum > mark || ev.N < 50 {
			continue
		}
		f = append(f, ev.At.Sub(prev.At).Seconds()*1000/float64(ev.N))
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
