package fakegong

import (
	"maps"
	"strconv"
	"sync"
	"time"
)

// Stats counts what reached the fake's API routes, so tests and benchmarks can say
// exactly what a sync cost. /_fake/ requests are not counted.
type Stats struct {
	// Total counts every API request, whatever its answer (401, 404, 429 and
	// injected faults included).
	Total int64 `json:"total"`
	// ByEndpoint counts requests per "METHOD /path", e.g. "POST /v2/calls/extensive".
	ByEndpoint map[string]int64 `json:"by_endpoint"`
	// Status counts answers per HTTP status; "0" is a request that got no answer
	// (a timeout fault, or a client that left first).
	Status map[string]int64 `json:"status"`
	// Faults counts injected faults by kind ("500", "drop", "timeout", …).
	Faults map[string]int64 `json:"faults"`
	// DailyUsed is how much of the daily quota the current virtual day has spent
	// (0 when there is no daily limit).
	DailyUsed int `json:"daily_used"`
	// First and Last are when the first and the latest API request arrived, on the
	// wall clock (never the virtual one): a benchmark divides by them to know the
	// pace a client achieved, without counting its start-up and shutdown.
	First time.Time `json:"first_request,omitzero"`
	Last  time.Time `json:"last_request,omitzero"`
	// Tenants holds each tenant's own counters when the fake serves many companies
	// (Tenants.Stats), by tenant number; the fields above are then their sums.
	Tenants map[int]Stats `json:"tenants,omitempty"`
	// Unrouted counts the requests of a multi-tenant fake whose credentials no tenant
	// issued (each answered 401).
	Unrouted int64 `json:"unrouted,omitempty"`
}

type statsRecorder struct {
	mu sync.Mutex
	s  Stats
}

func newStats() Stats {
	return Stats{ByEndpoint: map[string]int64{}, Status: map[string]int64{}, Faults: map[string]int64{}}
}

func (r *statsRecorder) request(endpoint string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Total++
	r.s.ByEndpoint[endpoint]++
	now := time.Now()
	if r.s.First.IsZero() {
		r.s.First = now
	}
	r.s.Last = now
}

func (r *statsRecorder) status(code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Status[strconv.Itoa(code)]++
}

func (r *statsRecorder) fault(f Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Faults[string(f)]++
}

func (r *statsRecorder) snapshot() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Stats{
		Total:      r.s.Total,
		ByEndpoint: maps.Clone(r.s.ByEndpoint),
		Status:     maps.Clone(r.s.Status),
		Faults:     maps.Clone(r.s.Faults),
		First:      r.s.First,
		Last:       r.s.Last,
	}
}

func (r *statsRecorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s = newStats()
}
