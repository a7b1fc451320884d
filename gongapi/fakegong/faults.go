package fakegong

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Fault is one kind of misbehaviour the fake can inject into an answer.
type Fault string

// The faults. The first group replaces the answer; the second spoils an answer that
// was otherwise computed normally.
const (
	FaultNone        Fault = ""          // answer normally
	Fault500         Fault = "500"       // 500 with Gong's JSON error body
	Fault502         Fault = "502"       // 502 with an HTML body, as a load balancer sends
	Fault503         Fault = "503"       // 503 with Gong's JSON error body
	Fault429         Fault = "429"       // 429 with Retry-After = Faults.RetryAfter
	Fault403         Fault = "403"       // 403, as for an untrusted IP or a missing scope
	FaultTimeout     Fault = "timeout"   // hold the request for Faults.Hang, then drop it
	FaultDrop        Fault = "drop"      // send the headers and half the body, then close
	FaultMalformed   Fault = "malformed" // 200, application/json, but not valid JSON
	FaultHTML        Fault = "html"      // 200 with an HTML page instead of JSON
	FaultEmpty       Fault = "empty"     // 200, application/json, empty body
	FaultContentType Fault = "text"      // 200 with the right JSON but Content-Type text/plain
)

// replaces reports whether the fault stands in for the whole answer (as opposed to
// spoiling the computed one).
func (f Fault) replaces() bool {
	switch f {
	case Fault500, Fault502, Fault503, Fault429, Fault403, FaultTimeout:
		return true
	}
	return false
}

func (f Fault) valid() bool {
	switch f {
	case FaultNone, Fault500, Fault502, Fault503, Fault429, Fault403, FaultTimeout,
		FaultDrop, FaultMalformed, FaultHTML, FaultEmpty, FaultContentType:
		return true
	}
	return false
}

// Faults is the misbehaviour the fake injects into API answers (never into /_fake/).
// Faults apply after authentication and the rate and daily limits, so a fault costs
// a request of quota as a real server error would. Rates are probabilities per
// request and together must not exceed 1.
type Faults struct {
	// Latency is added before every API answer, including errors.
	Latency time.Duration `json:"latency"`

	FailRate      float64 `json:"fail_rate"`       // 500s
	Status429Rate float64 `json:"status_429_rate"` // spurious 429s
	DropRate      float64 `json:"drop_rate"`       // connection closed mid-body
	MalformedRate float64 `json:"malformed_rate"`  // invalid JSON with 200
	HTMLRate      float64 `json:"html_rate"`       // an HTML page with 200
	EmptyRate     float64 `json:"empty_rate"`      // an empty body with 200
	TimeoutRate   float64 `json:"timeout_rate"`    // requests held past the client's timeout

	// RetryAfter is the Retry-After of injected 429s (default 1s, rounded up to
	// whole seconds); set it beyond the client's maximum to provoke a quota error.
	RetryAfter time.Duration `json:"retry_after"`
	// OmitRetryAfter leaves the Retry-After header out of every 429, injected or not.
	OmitRetryAfter bool `json:"omit_retry_after"`
	// Hang is how long a timeout fault holds a request before dropping it (default
	// 2m); the request ends earlier when the client gives up.
	Hang time.Duration `json:"hang"`
	// Forbidden answers every authenticated request with 403.
	Forbidden bool `json:"forbidden"`

	// Script makes faults deterministic: the next len(Script) API requests that pass
	// authentication and the limits get these faults in order (FaultNone answers
	// normally); the rates apply once the script is used up.
	Script []Fault `json:"script,omitempty"`

	// OddRecords are endpoints (OddRecordEndpoints: "POST /v2/calls/extensive",
	// "POST /v2/stats/activity/scorecards", …) whose every page of records comes with
	// its first record in a shape Gong's document does not give (odd.go): a list sent
	// as a string, say. The record's id stays readable. Server.OddRecordsSent lists
	// the records so sent, byte for byte.
	OddRecords []string `json:"odd_records,omitempty"`
}

// validate checks rates and script entries.
func (f Faults) validate() error {
	sum := 0.0
	for _, r := range []struct {
		name string
		v    float64
	}{
		{"fail rate", f.FailRate}, {"429 rate", f.Status429Rate}, {"drop rate", f.DropRate},
		{"malformed rate", f.MalformedRate}, {"html rate", f.HTMLRate}, {"empty rate", f.EmptyRate},
		{"timeout rate", f.TimeoutRate},
	} {
		if r.v < 0 || r.v > 1 || math.IsNaN(r.v) {
			return fmt.Errorf("faults: %s: want a probability between 0 and 1, got %v", r.name, r.v)
		}
		sum += r.v
	}
	if sum > 1+1e-9 {
		return fmt.Errorf("faults: the rates add up to %v, more than 1", sum)
	}
	if f.Latency < 0 || f.RetryAfter < 0 || f.Hang < 0 {
		return fmt.Errorf("faults: latency, retry-after and hang must not be negative")
	}
	for i, s := range f.Script {
		if !s.valid() {
			return fmt.Errorf("faults: script[%d]: unknown fault %q", i, s)
		}
	}
	for _, ep := range f.OddRecords {
		if _, ok := oddKeys[ep]; !ok {
			return fmt.Errorf("faults: odd records: the fake cannot make odd records of %q (it can for %v)", ep, OddRecordEndpoints())
		}
	}
	return nil
}

// pick draws a fault for one request from the rates with a uniform u in [0,1).
func (f *Faults) pick(u float64) Fault {
	for _, c := range []struct {
		rate  float64
		fault Fault
	}{
		{f.TimeoutRate, FaultTimeout}, {f.DropRate, FaultDrop}, {f.FailRate, Fault500},
		{f.Status429Rate, Fault429}, {f.MalformedRate, FaultMalformed}, {f.HTMLRate, FaultHTML},
		{f.EmptyRate, FaultEmpty},
	} {
		if u < c.rate {
			return c.fault
		}
		u -= c.rate
	}
	return FaultNone
}

// faultsJSON is Faults on the wire of POST /_fake/faults: durations as Go duration
// strings ("250ms", "1h").
type faultsJSON struct {
	Latency        jsonDuration `json:"latency"`
	FailRate       float64      `json:"fail_rate"`
	Status429Rate  float64      `json:"status_429_rate"`
	DropRate       float64      `json:"drop_rate"`
	MalformedRate  float64      `json:"malformed_rate"`
	HTMLRate       float64      `json:"html_rate"`
	EmptyRate      float64      `json:"empty_rate"`
	TimeoutRate    float64      `json:"timeout_rate"`
	RetryAfter     jsonDuration `json:"retry_after"`
	OmitRetryAfter bool         `json:"omit_retry_after"`
	Hang           jsonDuration `json:"hang"`
	Forbidden      bool         `json:"forbidden"`
	Script         []Fault      `json:"script,omitempty"`
	OddRecords     []string     `json:"odd_records,omitempty"`
}

// MarshalJSON writes durations as strings such as "1.5s".
func (f Faults) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultsJSON{
		Latency: jsonDuration(f.Latency), FailRate: f.FailRate, Status429Rate: f.Status429Rate,
		DropRate: f.DropRate, MalformedRate: f.MalformedRate, HTMLRate: f.HTMLRate,
		EmptyRate: f.EmptyRate, TimeoutRate: f.TimeoutRate, RetryAfter: jsonDuration(f.RetryAfter),
		OmitRetryAfter: f.OmitRetryAfter, Hang: jsonDuration(f.Hang), Forbidden: f.Forbidden,
		Script: f.Script, OddRecords: f.OddRecords,
	})
}

// UnmarshalJSON reads durations as strings ("250ms") or as numbers of seconds.
func (f *Faults) UnmarshalJSON(b []byte) error {
	var j faultsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Faults{
		Latency: time.Duration(j.Latency), FailRate: j.FailRate, Status429Rate: j.Status429Rate,
		DropRate: j.DropRate, MalformedRate: j.MalformedRate, HTMLRate: j.HTMLRate,
		EmptyRate: j.EmptyRate, TimeoutRate: j.TimeoutRate, RetryAfter: time.Duration(j.RetryAfter),
		OmitRetryAfter: j.OmitRetryAfter, Hang: time.Duration(j.Hang), Forbidden: j.Forbidden,
		Script: j.Script, OddRecords: j.OddRecords,
	}
	return nil
}

// jsonDuration is a time.Duration that reads "1h30m" or a number of seconds.
type jsonDuration time.Duration

// MarshalJSON writes the duration as a Go duration string.
func (d jsonDuration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a Go duration string or a number of seconds.
func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*d = 0
	case float64:
		*d = jsonDuration(v * float64(time.Second))
	case string:
		p, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("duration: %w", err)
		}
		*d = jsonDuration(p)
	default:
		return fmt.Errorf("duration: want a string like \"1.5s\" or seconds, got %s", b)
	}
	return nil
}
