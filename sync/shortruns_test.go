package sync

import (
	"context"
	"testing"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
)

func dumpOf(t *testing.T, v *env) map[string][]string {
	t.Helper()
	d, err := pgtest.Dump(context.Background(), v.st.Pool(), "gong")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// With RequestsPerRun, a run stops before its next page once it has sent that many
// requests, everything committed, and says more remains; runs after it go on from
// the checkpoint. Cut into short runs, the streams end with the same tables as whole
// runs, for the same requests: the cursor of a window is kept between runs.
func TestShortRunsEndAsWholeRunsDo(t *testing.T) {
	if testing.Short() {
		t.Skip("every stream cut into short runs, against whole runs: long scenario; runs in make test")
	}
	t.Parallel()
	fake := fakegong.Options{Calls: 700, From: day0, To: day0.AddDate(0, 0, 5), Clock: fakegong.NewVirtualClock(day0.AddDate(0, 0, 6))}
	whole := newEnv(t, envOptions{fake: fake})
	for _, s := range AllStreams {
		if r := whole.run(s); r.More {
			t.Fatalf("a whole run of %s says more remains", s)
		}
	}
	wholeRequests, _ := whole.requests()

	fake.Clock = fakegong.NewVirtualClock(day0.AddDate(0, 0, 6))
	short := newEnv(t, envOptions{fake: fake, engine: Options{RequestsPerRun: 2}})
	runs := map[string]int{}
	for _, s := range AllStreams {
		for {
			r := short.run(s)
			runs[s]++
			if r.Requests > 2 {
				t.Errorf("a short run of %s sent %d requests", s, r.Requests)
			}
			if !r.More {
				break
			}
			if runs[s] > 100 {
				t.Fatalf("%s never ends", s)
			}
		}
	}
	shortRequests, _ := short.requests()
	t.Logf("runs per stream %v; requests %d whole, %d in short runs", runs, wholeRequests, shortRequests)
	if runs[StreamCalls] < 3 || runs[StreamTranscripts] < 3 {
		t.Errorf("the streams were not cut: %v", runs)
	}
	if shortRequests != wholeRequests {
		t.Errorf("short runs sent %d requests, whole runs %d", shortRequests, wholeRequests)
	}
	if d := pgtest.DiffDumps(dumpOf(t, whole), dumpOf(t, short)); d != "" {
		t.Errorf("tables differ:\n%s", d)
	}
	// Each cut is a run of its own, recorded as succeeded with more to do.
	if n := short.count(`SELECT count(*) FROM sync_runs WHERE stream = 'calls' AND status = 'succeeded' AND details->>'more' = 'true'`); n != runs[StreamCalls]-1 {
		t.Errorf("%d calls runs recorded with more to do, want %d", n, runs[StreamCalls]-1)
	}

	// A backfill cut the same way ends done, with the same calls.
	bf := newEnv(t, envOptions{fake: fakegong.Options{Calls: 600}, engine: Options{RequestsPerRun: 3}})
	from, to := day0, day0.AddDate(0, 0, 30)
	var cuts int
	for {
		rep := bf.backfill(from, to)
		if rep.Done {
			break
		}
		if last := rep.Runs[len(rep.Runs)-1]; !last.More {
			t.Fatalf("a backfill stopped, not done, without more to do: %+v", last)
		}
		if cuts++; cuts > 100 {
			t.Fatal("the backfill never ends")
		}
	}
	ref := newEnv(t, envOptions{fake: fakegong.Options{Calls: 600}})
	ref.backfill(from, to)
	if cuts < 3 {
		t.Errorf("the backfill was cut %d times only", cuts)
	}
	if d := pgtest.DiffDumps(dumpOf(t, ref), dumpOf(t, bf)); d != "" {
		t.Errorf("backfill tables differ:\n%s", d)
	}
}
