package fakegong

import (
	"testing"
	"time"
)

// Benchmarks compute a client's achieved pace from the first and last request times.
func TestStatsFirstAndLastRequest(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Calls: 10})
	if st := f.Stats(); !st.First.IsZero() || !st.Last.IsZero() {
		t.Fatalf("times before any request: %v %v", st.First, st.Last)
	}
	before := time.Now()
	f.do("GET", "/v2/workspaces", nil, "")
	time.Sleep(20 * time.Millisecond)
	f.do("GET", "/v2/workspaces", nil, "")
	after := time.Now()
	st := f.Stats()
	if st.First.Before(before) || st.Last.After(after) || st.Last.Sub(st.First) < 20*time.Millisecond {
		t.Errorf("first %v last %v, want within [%v, %v] and 20ms apart", st.First, st.Last, before, after)
	}
	f.ResetStats()
	if st := f.Stats(); !st.First.IsZero() || !st.Last.IsZero() {
		t.Errorf("times after a reset: %v %v", st.First, st.Last)
	}
}
