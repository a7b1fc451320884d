package main

import (
	"cmp"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// costs are what the CPU profile's samples are sorted into: the first category
// with one of its frames anywhere in a sample's stack takes it.
var costs = []struct {
	name   string
	frames []string
}{
	{"garbage collection (background marking)", []string{"runtime.gcBgMarkWorker"}},
	{"decoding Gong's JSON answers (gongapi)", []string{"gongapi.decodePage", "gongapi.decodeRecords"}},
	{"encoding rows for COPY (pgx copyFrom)", []string{"pgx/v5.(*copyFrom)"}},
	{"mapping Gong records to rows (sync CallRows, TranscriptRow)", []string{"gongsync/sync.CallRow", "gongsync/sync.TranscriptRow"}},
	{"hashing raw documents (store content_hash)", []string{"crypto/sha256"}},
	{"HTTP to the fake (net/http)", []string{"net/http."}},
	{"other Postgres protocol work (pgx)", []string{"jackc/pgx"}},
	{"the Go scheduler and idle goroutines (runtime)", []string{"runtime.schedule", "runtime.mcall", "runtime.park_m", "runtime.findRunnable"}},
}

// cost is one category of the profile.
type cost struct {
	Name    string
	Seconds float64
	Share   float64 // of the profile's samples
}

// profileCosts sorts a CPU profile's samples into costs, largest first, and returns
// the profile's total sample time and the text of `go tool pprof -top`.
func profileCosts(ctx context.Context, bin, path string) ([]cost, float64, string, error) {
	traces, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-traces", bin, path).Output()
	if err != nil {
		return nil, 0, "", fmt.Errorf("go tool pprof -traces: %w", err)
	}
	top, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=12", bin, path).Output()
	if err != nil {
		return nil, 0, "", fmt.Errorf("go tool pprof -top: %w", err)
	}
	by := map[string]float64{}
	var sum float64
	for block := range strings.SplitSeq(string(traces), "-----------+-------------------------------------------------------") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if len(lines) == 0 {
			continue
		}
		fields := strings.Fields(lines[0])
		if len(fields) < 2 {
			continue
		}
		d, err := time.ParseDuration(fields[0])
		if err != nil {
			continue
		}
		frames := append([]string{strings.Join(fields[1:], " ")}, lines[1:]...)
		name := "other"
	find:
		for _, c := range costs {
			for _, f := range frames {
				for _, want := range c.frames {
					if strings.Contains(f, want) {
						name = c.name
						break find
					}
				}
			}
		}
		by[name] += d.Seconds()
		sum += d.Seconds()
	}
	var out []cost
	for n, s := range by {
		out = append(out, cost{Name: n, Seconds: s, Share: s / sum})
	}
	slices.SortFunc(out, func(a, b cost) int {
		return cmp.Or(cmp.Compare(b.Seconds, a.Seconds), strings.Compare(a.Name, b.Name))
	})
	// The -top header names the binary's build id and the profile's time: keep the table.
	text := string(top)
	if i := strings.Index(text, "      flat"); i >= 0 {
		text = text[i:]
	}
	return out, sum, text, nil
}
