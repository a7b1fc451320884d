package main

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"
	"time"
)

// pacingRun is one repetition of a paced backfill against a fake that answers 429
// beyond 3 requests a second.
type pacingRun struct {
	Requests int64
	TooMany  int64   // 429s the fake sent
	Pace     float64 // requests/s between the first and the last request
}

// pacingRate is Gong's documented limit, and the fake's here.
const pacingRate = 3

// pacing backfills calls with gongsync paced at 3 requests/s (the default) from a
// fake limited to 3/s, with one process; or, with procs 2, two processes of one
// installation at once (one schema, so one ledger and one pace): a backfill of the
// older half of the range and a `sync` whose first calls window (one settle window of
// a month back) reads the newer half, with its transcripts. calls is each one's share.
func pacing(ctx context.Context, e *env, seed, calls, procs int) (*pacingRun, error) {
	var from, to, mid time.Time
	var fakeArgs []string
	if procs == 1 {
		from = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		to = from.AddDate(0, 2, 0)
	} else {
		// The sync reads back from now: the calls end now, on a clock that stands still.
		to = time.Now().UTC().Truncate(time.Second)
		from, mid = to.AddDate(0, 0, -60), to.AddDate(0, 0, -30)
		fakeArgs = []string{"--clock", to.Format(time.RFC3339)}
	}
	f, db, stop, err := e.fakeAndDatabase(ctx, append(fakeArgs, "--seed", fmt.Sprint(seed), "--calls", fmt.Sprint(calls*procs),
		"--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339),
		"--rate-limit", fmt.Sprint(pacingRate), "--daily-limit", "0")...)
	if err != nil {
		return nil, err
	}
	defer stop()
	environ := gongsyncEnv(db, f.url, fmt.Sprintf("GONG_RATE_LIMIT=%d", pacingRate), "GONGSYNC_SETTLE_WINDOW=720h")
	if _, err := e.runGongsync(ctx, environ, "migrate"); err != nil {
		return nil, err
	}
	commands := [][]string{{"backfill", "--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339), "--progress", "none", "--no-migrate"}}
	if procs == 2 {
		commands = [][]string{
			{"backfill", "--from", from.Format(time.RFC3339), "--to", mid.Format(time.RFC3339), "--progress", "none", "--no-migrate"},
			{"sync", "--streams", "calls,transcripts", "--no-migrate"},
		}
	}
	// Let the bucket of the fake fill after the migrations' quiet second.
	time.Sleep(time.Second)
	if err := f.resetStats(ctx); err != nil {
		return nil, err
	}
	var wg gosync.WaitGroup
	errs := make([]error, len(commands))
	for i, args := range commands {
		wg.Go(func() { _, errs[i] = e.runGongsync(ctx, environ, args...) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	st, err := f.stats(ctx)
	if err != nil {
		return nil, err
	}
	return &pacingRun{Requests: st.Total, TooMany: st.Status["429"], Pace: st.pace()}, nil
}
