package gongapi

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backoff is the delay before retry number `retry` (1 for the first retry): "full
// jitter", a uniform draw from [0, min(limit, base·2^(retry-1))]. Full jitter spreads
// clients that failed together (several syncs behind one quota) instead of having them
// retry in lockstep.
func backoff(retry int, base, limit time.Duration, rnd func(n int64) int64) time.Duration {
	if base <= 0 || limit <= 0 {
		return 0
	}
	ceiling := base
	for i := 1; i < retry && ceiling < limit; i++ {
		ceiling *= 2
	}
	if ceiling > limit || ceiling <= 0 { // ≤ 0: overflowed
		ceiling = limit
	}
	return time.Duration(rnd(int64(ceiling) + 1))
}

// jitter is the random source of backoff.
func jitter(n int64) int64 { return rand.Int64N(n) }

// parseRetryAfter reads a Retry-After header: delta-seconds (Gong's form; fractions
// tolerated) or an HTTP date. ok is false when the header is absent or unreadable, in
// which case the caller falls back to backoff. A date in the past means "now".
func parseRetryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs != secs || secs < 0 { // NaN or negative: not a delay
			return 0, false
		}
		// Cap far beyond any real wait but well inside time.Duration.
		const maxSecs = 1e9 // ~31 years
		if secs > maxSecs {
			secs = maxSecs
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// sleep waits d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// sleepUntil waits until t on this machine's clock (a Budget's send time), or until ctx
// is done. A zero or past t returns at once.
func sleepUntil(ctx context.Context, t time.Time) error {
	if t.IsZero() {
		return ctx.Err()
	}
	return sleep(ctx, time.Until(t))
}
