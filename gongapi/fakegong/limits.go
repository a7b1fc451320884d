package fakegong

import (
	"math"
	"sync"
	"time"
)

// bucket is the per-second limit: a token bucket on real time holding one second's
// worth of requests (at least one). Real time, not the virtual clock, because the
// client paces in real time; a client sending at exactly the limit is never refused,
// one sending faster is.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64) *bucket {
	burst := math.Max(1, math.Ceil(rate))
	return &bucket{rate: rate, burst: burst, tokens: burst}
}

// take spends a token, or says how long until one is available.
func (b *bucket) take(now time.Time) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// daily is the daily quota: requests per virtual UTC day. Gong does not document when
// its day starts; UTC midnight is the fake's choice.
type daily struct {
	mu    sync.Mutex
	limit int
	day   int64 // days since the epoch, UTC
	used  int
}

// take counts a request, or says how long until the next virtual midnight.
func (q *daily) take(now time.Time) (bool, time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.roll(now)
	if q.used >= q.limit {
		next := time.Unix((q.day+1)*86400, 0)
		return false, next.Sub(now)
	}
	q.used++
	return true, 0
}

func (q *daily) roll(now time.Time) {
	day := now.Unix() / 86400
	if now.Unix() < 0 && now.Unix()%86400 != 0 {
		day--
	}
	if day != q.day {
		q.day, q.used = day, 0
	}
}

// usedToday reports how much of the quota the current virtual day has spent.
func (q *daily) usedToday(now time.Time) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.roll(now)
	return q.used
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1, as Retry-After
// carries integers.
func retryAfterSeconds(d time.Duration) int64 {
	s := int64(math.Ceil(d.Seconds()))
	return max(1, s)
}
