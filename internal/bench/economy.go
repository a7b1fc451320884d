package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Endpoint names as the fake counts them.
const (
	epExtensive   = "POST /v2/calls/extensive"
	epTranscripts = "POST /v2/calls/transcript"
	epScorecards  = "GET /v2/settings/scorecards"
	epReviews     = "POST /v2/stats/activity/scorecards"
)

// The full refreshes of users, workspaces and trackers, which a backfill brings along
// once; the other endpoints a backfill reads besides calls and transcripts are the
// streams beyond calls (activity and stats over its range, the library, the call
// outcomes).
var epRefreshes = []string{"GET /v2/users", "GET /v2/workspaces", "GET /v2/settings/trackers"}

// economyRun is one repetition of the request-economy scenario.
type economyRun struct {
	Calls       int              // calls in the tables after the backfill
	Backfill    map[string]int64 // requests by endpoint
	Idle        map[string]int64 // an incremental run with nothing new
	TenNew      map[string]int64 // an incremental run after 10 new calls
	Settle      map[string]int64 // the settle pass over 7 days
	SettleCalls int              // calls in the settle window
	// Reviews are the answered scorecards in the tables after the backfill;
	// ReviewSettle the answered scorecards' settle pass, over SettleReviews reviews.
	Reviews       int
	ReviewSettle  map[string]int64
	SettleReviews int
}

// economyMonths and economyCalls shape the dataset: half a year of calls, long enough
// that a backfill reading it in windows would pay for every window's partial last page.
// The settle pass reads its default window, the last settleDays of it.
const (
	economyMonths = 6
	economyCalls  = 5_000
	settleDays    = 7
)

// economy runs the request-economy scenario once: a simulated Gong holding half a
// year of calls whose clock stands still (so nothing appears between runs unless
// added), a backfill of that half year with full content and transcripts, an
// incremental sync with nothing new, one after 10 new calls, and a settle pass.
func economy(ctx context.Context, e *env, seed int) (*economyRun, error) {
	now := time.Now().UTC().Truncate(time.Second)
	from := now.AddDate(0, -economyMonths, 0)
	f, db, stop, err := e.fakeAndDatabase(ctx, "--seed", fmt.Sprint(seed), "--calls", fmt.Sprint(economyCalls),
		"--from", from.Format(time.RFC3339), "--to", now.Format(time.RFC3339), "--clock", now.Format(time.RFC3339),
		"--rate-limit", "0", "--daily-limit", "0")
	if err != nil {
		return nil, err
	}
	defer stop()
	environ := gongsyncEnv(db, f.url, "GONG_RATE_LIMIT=0")
	if _, err := e.runGongsync(ctx, environ, "migrate"); err != nil {
		return nil, err
	}

	run := &economyRun{}
	step := func(into *map[string]int64, args ...string) error {
		if err := f.resetStats(ctx); err != nil {
			return err
		}
		if _, err := e.runGongsync(ctx, environ, args...); err != nil {
			return err
		}
		st, err := f.stats(ctx)
		if err != nil {
			return err
		}
		*into = st.ByEndpoint
		return nil
	}
	if err := step(&run.Backfill, "backfill", "--from", from.Format(time.RFC3339), "--progress", "none", "--no-migrate"); err != nil {
		return nil, err
	}
	if run.Calls, err = countCalls(ctx, db, time.Time{}); err != nil {
		return nil, err
	}
	if run.Reviews, err = countReviews(ctx, db, time.Time{}); err != nil {
		return nil, err
	}
	if err := step(&run.Idle, "sync", "--no-migrate"); err != nil {
		return nil, err
	}
	// Ten calls of the last two hours, processed and transcribed by the fake's now.
	for i := range 10 {
		started := now.Add(-2*time.Hour + time.Duration(i)*5*time.Minute)
		err := f.control(ctx, "POST", "/_fake/calls", map[string]any{
			"started": started, "duration": "20m",
			"processed_at": now.Add(-15 * time.Minute), "transcript_at": now.Add(-5 * time.Minute),
		}, nil)
		if err != nil {
			return nil, err
		}
	}
	if err := step(&run.TenNew, "sync", "--no-migrate"); err != nil {
		return nil, err
	}
	if run.SettleCalls, err = countCalls(ctx, db, now.Add(-settleDays*24*time.Hour)); err != nil {
		return nil, err
	}
	if err := step(&run.Settle, "sync", "--streams", "settle", "--no-migrate"); err != nil {
		return nil, err
	}
	// The settle pass of the answered scorecards reads the review dates of its window, in
	// the company's time zone, from an hour before it (see reviewDates in sync).
	if run.SettleReviews, err = countReviews(ctx, db, now.Add(-settleDays*24*time.Hour-time.Hour)); err != nil {
		return nil, err
	}
	if err := step(&run.ReviewSettle, "sync", "--streams", "answered_scorecards_settle", "--no-migrate"); err != nil {
		return nil, err
	}
	return run, nil
}

// countReviews counts the answered scorecards stored (not deleted) reviewed on or
// after the date of since, in the company's time zone (the offset the answered
// scorecards stream learnt from Gong's review times; UTC before it learnt one).
func countReviews(ctx context.Context, db string, since time.Time) (int, error) {
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM gong.answered_scorecards WHERE deleted_at IS NULL AND review_date >=
		(($1::timestamptz AT TIME ZONE 'UTC') + make_interval(secs => coalesce((SELECT (state ->> 'utc_offset_seconds')::int
			FROM gong.sync_state WHERE stream = 'answered_scorecards'), 0)))::date`, since).Scan(&n)
	return n, err
}

// countCalls counts the calls stored (not deleted) that started at or after since.
func countCalls(ctx context.Context, db string, since time.Time) (int, error) {
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM gong.calls WHERE deleted_at IS NULL AND started >= $1`, since).Scan(&n)
	return n, err
}

func total(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// pageFloor is the fewest requests that can carry n records at Gong's 100 a page.
func pageFloor(n int) float64 { return math.Ceil(float64(n) / 100) }

// onlyEconomy measures the request economy alone, c.reps times, and rewrites its
// section of c.out, leaving the others as they were: the economy takes a minute where
// the whole of make bench takes ten.
func onlyEconomy(ctx context.Context, e *env, r *report) error {
	for i := range r.cfg.reps {
		say(r.began, "request economy %d/%d", i+1, r.cfg.reps)
		run, err := economy(ctx, e, i+1)
		if err != nil {
			return fmt.Errorf("request economy: %w", err)
		}
		r.economy = append(r.economy, run)
	}
	say(r.began, "a day at the default schedules (go test -bench)")
	var err error
	if r.day, err = dayFigures(ctx); err != nil {
		return err
	}
	old, err := os.ReadFile(r.cfg.out)
	if err != nil {
		return err
	}
	var b strings.Builder
	r.writeEconomy(func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) })
	doc := spliceSection(string(old), economyHeading, b.String(), "2. Pacing")
	if err := os.WriteFile(r.cfg.out, []byte(doc), 0o644); err != nil {
		return err
	}
	say(r.began, "wrote the request economy's section of %s", r.cfg.out)
	return nil
}
