package sync

import (
	"slices"
	"strings"
	"testing"
)

// The registry's views agree with one another: StreamNames is every stream once, in
// ParseStreams' order; it is the streams a pass finds due and the on-demand ones;
// every stream runs on at least one schedule group, and a group runs only streams of
// the registry.
func TestStreamRegistryViewsAgree(t *testing.T) {
	t.Parallel()
	names := StreamNames()
	if len(names) != len(streamDefs) {
		t.Fatalf("StreamNames has %d streams, the registry %d", len(names), len(streamDefs))
	}
	reversed := slices.Clone(names)
	slices.Reverse(reversed)
	parsed, err := ParseStreams(strings.Join(reversed, ","))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(parsed, names) {
		t.Errorf("ParseStreams puts the streams in the order %v; StreamNames %v", parsed, names)
	}
	due, onDemand := slices.Clone(AllStreams), OnDemandStreams()
	if len(onDemand) == 0 {
		t.Error("no on-demand stream: the settle passes and the sweep are")
	}
	for _, n := range names {
		if slices.Contains(due, n) == slices.Contains(onDemand, n) {
			t.Errorf("%s: found due %v, on demand %v; want exactly one", n, slices.Contains(due, n), slices.Contains(onDemand, n))
		}
	}
	scheduled := map[string]bool{}
	for _, g := range ScheduleGroups() {
		streams, err := GroupStreams(g)
		if err != nil || len(streams) == 0 {
			t.Errorf("schedule group %s runs no stream", g)
		}
		for _, s := range streams {
			if !slices.Contains(names, s) {
				t.Errorf("schedule group %s runs %q, no stream of the registry", g, s)
			}
			scheduled[s] = true
		}
	}
	for _, n := range names {
		if !scheduled[n] {
			t.Errorf("%s is on no schedule group: the daemon never runs it", n)
		}
	}
	if got, err := GroupStreams("no-such-group"); err == nil || len(got) != 0 {
		t.Errorf("an unknown group runs %v (err %v)", got, err)
	}
}
