package fleet

import (
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/gongsync/gongsync/store"
	"github.com/gongsync/gongsync/sync"
)

// A connection's periodic jobs: without GONGSYNC_FRESHNESS, one per schedule group,
// the calls group's starting with the calls; with it, the calls group starts with the
// streams it keeps (the answered scorecards), and a job of its own, every target,
// polls the calls and their transcripts.
func TestFreshnessJobPerConnection(t *testing.T) {
	t.Parallel()
	base := sync.Schedules{Calls: "*/15 * * * *", Users: "0 */6 * * *", Settle: "30 2 * * *", Daily: "0 5 * * *"}
	jobs := func(s sync.Schedules) map[string]periodicTick {
		t.Helper()
		f := &Fleet{opt: Options{Schedules: s}}
		ticks, err := f.periodicTicks(store.Connection{Name: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]periodicTick{}
		for _, tk := range ticks {
			if tk.job.Connection != "acme" {
				t.Errorf("a job of connection %q", tk.job.Connection)
			}
			out[tk.job.Group] = tk
		}
		return out
	}
	plain := jobs(base)
	if _, ok := plain[sync.FreshGroup]; ok || len(plain) != 4 || plain["calls"].job.Stream != sync.StreamCalls {
		t.Errorf("unset: %+v", plain)
	}
	fresh := base
	fresh.Freshness, fresh.FreshnessShare = 2*time.Minute, 0.35
	got := jobs(fresh)
	fj, ok := got[sync.FreshGroup]
	if !ok || fj.job.Stream != sync.FreshStreams[0] || fj.onStart || !slices.Equal(sync.FreshStreams, []string{sync.StreamCalls, sync.StreamTranscripts}) {
		t.Fatalf("no freshness job, or a wrong one: %+v", got)
	}
	at := time.Date(2024, 4, 3, 10, 0, 0, 0, time.UTC)
	if next := fj.schedule.Next(at); next.Sub(at) != 2*time.Minute {
		t.Errorf("the freshness job ticks %s after %s; want every target", next.Sub(at), at)
	}
	if got["calls"].job.Stream != sync.StreamAnsweredScorecards || got["users"].job != plain["users"].job {
		t.Errorf("with a target: calls group %+v, users %+v", got["calls"].job, got["users"].job)
	}
	if signature(fresh) == signature(base) {
		t.Error("a new target leaves the connection's schedules as registered")
	}
}

// A job River snoozed (a poll with more to read) is a poll begun, not a new tick.
func TestSnoozedReadsRiversMetadata(t *testing.T) {
	t.Parallel()
	for meta, want := range map[string]bool{`{}`: false, `{"snoozes": 2}`: true, `{"snoozes": 0}`: false, ``: false} {
		if got := snoozed(&rivertype.JobRow{Metadata: []byte(meta)}); got != want {
			t.Errorf("metadata %q: snoozed %v, want %v", meta, got, want)
		}
	}
}
