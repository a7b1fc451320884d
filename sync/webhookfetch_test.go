package sync

import (
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
)

// The fetch of announced calls under Gong's faults: fetched again until every batch
// succeeds (as the next webhook, or the polling sync, would), the calls and their
// transcripts end as a fault-free fetch leaves them, the ledger counted exactly the
// requests Gong served, every run recorded its end, and no checkpoint moved.
func TestFetchCallsUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("a fetch per fault")
	}
	t.Parallel()
	opts := func() envOptions {
		return envOptions{fake: quiet(fakegong.Options{Seed: 11, Calls: 150, From: day0, To: day0.AddDate(0, 0, 3),
			Clock: fakegong.NewVirtualClock(day0.AddDate(0, 0, 5))})}
	}
	// 120 calls: two batches, of 100 and 20.
	announced := func(v *env) []string {
		var ids []string
		for _, c := range v.fake.Dataset().VisibleCalls(v.clock.Now())[:120] {
			ids = append(ids, c.MetaData.ID)
		}
		return ids
	}
	fetch := func(v *env, limit int) (failures int) {
		ids := announced(v)
		for {
			reps := v.engine.FetchCalls(v.ctx, ids)
			ok := len(reps) == 2
			for _, r := range reps {
				if r.Err != nil {
					ok = false
				}
			}
			if ok {
				return failures
			}
			if failures++; failures > limit {
				t.Fatalf("still failing after %d fetches: %v", failures, reps[len(reps)-1].Err)
			}
		}
	}

	ref := newEnv(t, opts())
	if n := fetch(ref, 0); n != 0 {
		t.Fatalf("the fault-free fetch failed %d times", n)
	}
	reference := ref.dump()
	if len(reference["calls"]) != 120 || len(reference["transcript_sentences"]) == 0 {
		t.Fatalf("the fault-free fetch stored %d calls and %d sentences; want 120 with their transcripts",
			len(reference["calls"]), len(reference["transcript_sentences"]))
	}
	none := fakegong.FaultNone
	for _, c := range []struct {
		name   string
		faults fakegong.Faults
		want   string
	}{
		{"500s", fakegong.Faults{FailRate: 0.3}, "500"},
		{"connections dropped mid-body", fakegong.Faults{DropRate: 0.3}, "drop"},
		{"429 storm", fakegong.Faults{RetryAfter: time.Second, Script: []fakegong.Fault{none, "429", "429", "429"}}, "429"},
		{"malformed and HTML answers", fakegong.Faults{MalformedRate: 0.2, HTMLRate: 0.2, Script: []fakegong.Fault{none, fakegong.FaultHTML}}, "html"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v := newEnv(t, opts())
			if err := v.fake.SetFaults(c.faults); err != nil {
				t.Fatal(err)
			}
			failures := fetch(v, 30)
			s := v.fake.Stats()
			t.Logf("%s: %d requests (%v), faults %v, %d fetches failed and were run again", c.name, s.Total, s.Status, s.Faults, failures)
			if s.Faults[c.want] == 0 {
				t.Errorf("the fake never injected a %s fault: the case tested nothing", c.want)
			}
			if d := pgtest.DiffDumps(reference, v.dump()); d != "" {
				t.Errorf("tables differ from the fault-free fetch:\n%s", d)
			}
			if counted := v.ledgerTotal(); counted != s.Total {
				t.Errorf("the ledger counted %d requests, the fake served %d", counted, s.Total)
			}
			if n := v.count(`SELECT count(*) FROM sync_runs WHERE finished_at IS NULL OR status = 'running'`); n != 0 {
				t.Errorf("%d runs never recorded their end", n)
			}
			if n := v.count(`SELECT count(*) FROM sync_state`); n != 0 {
				t.Errorf("%d checkpoints after fetches of announced calls; want none", n)
			}
			if n := v.count(`SELECT count(*) FROM sync_runs WHERE stream <> 'webhook' OR kind <> 'webhook'`); n != 0 {
				t.Errorf("%d runs of other streams or kinds; want the webhook stream's alone", n)
			}
		})
	}
}
