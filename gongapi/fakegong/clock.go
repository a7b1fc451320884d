package fakegong

import (
	"sync"
	"time"
)

// Clock is the fake's notion of now. It follows the real clock until a test calls Set
// or Advance; from then on it is virtual and stands still between calls, so a test
// decides exactly when calls become visible, when cursors expire and when the daily
// quota resets. One Clock may be shared by several servers, or handed to the code
// under test as its own clock.
type Clock struct {
	mu      sync.Mutex
	virtual bool
	now     time.Time
}

// NewClock returns a clock that follows real time until it is first set or advanced.
func NewClock() *Clock { return &Clock{} }

// NewVirtualClock returns a clock already virtual and standing at t.
func NewVirtualClock(t time.Time) *Clock { return &Clock{virtual: true, now: t} }

// Now returns the current (real or virtual) time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.virtual {
		return time.Now()
	}
	return c.now
}

// Set makes the clock virtual and moves it to t (backwards too: a test may rewind).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.virtual, c.now = true, t
}

// Advance makes the clock virtual and moves it d forward from where it stands (from
// real now when it was still real), and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.virtual {
		c.virtual, c.now = true, time.Now()
	}
	c.now = c.now.Add(d)
	return c.now
}

// Virtual reports whether the clock has left real time.
func (c *Clock) Virtual() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.virtual
}
