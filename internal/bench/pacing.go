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
// fake limited to 3/s, with procs processes at once, each in its own schema of one
// database: two installations sharing one company's quota.
func pacing(ctx context.Context, e *env, seed, calls, procs int) (*pacingRun, error) {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 2, 0)
	f, db, stop, err := e.fakeAndDatabase(ctx, "--seed", fmt.Sprint(seed), "--calls", fmt.Sprint(calls),
		"--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339),
		"--rate-limit", fmt.Sprint(pacingRate), "--daily-limit", "0")
	if err != nil {
		return nil, err
	}
	defer stop()
	envs := make([][]string, procs)
	for i := range envs {
		envs[i] = gongsyncEnv(db, f.url, fmt.Sprintf("GONG_RATE_LIMIT=%d", pacingRate), fmt.Sprintf("GONGSYNC_SCHEMA=gong_%d", i))
		if _, err := e.runGongsync(ctx, envs[i], "migrate"); err != nil {
			return nil, err
		}
	}
	// Let the bucket of the fake fill after the migrations' quiet second.
	time.Sleep(time.Second)
	if err := f.resetStats(ctx); err != nil {
		return nil, err
	}
	var wg gosync.WaitGroup
	errs := make([]error, procs)
	for i := range procs {
		wg.Go(func() {
			_, errs[i] = e.runGongsync(ctx, envs[i], "backfill", "--from", from.Format(time.DateOnly),
				"--to", to.Format(time.DateOnly), "--progress", "none", "--no-migrate")
		})
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
