package sync

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/store"
)

// A company whose plan has no library (Gong answers its endpoints 401 or 404): every
// other stream syncs; the library's run ends "unavailable", not failed; status says
// why; the stream is not asked again for a day unless named; and the pass is no
// failure.
func TestLibraryNotAvailableLeavesTheRestSyncing(t *testing.T) {
	t.Parallel()
	for _, status := range []int{401, 404} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 200, LibraryUnavailable: status}),
				engine: Options{SettleWindow: 60 * 24 * time.Hour}})
			reps, err := v.engine.Pass(v.ctx, nil, KindSync, true)
			if err != nil {
				t.Fatalf("pass: %v; a library the plan lacks is no failure", err)
			}
			var lib *RunReport
			for _, r := range reps {
				switch {
				case r.Stream == StreamLibrary:
					lib = r
				case r.Status != store.RunSucceeded:
					t.Errorf("%s: %s %v", r.Stream, r.Status, r.Err)
				}
			}
			if lib == nil || lib.Status != store.RunUnavailable || !errors.Is(lib.Err, gongapi.ErrNotAvailable) || lib.Requests != 1 {
				t.Fatalf("library run: %+v; want unavailable after one request", lib)
			}
			if v.count(`SELECT count(*) FROM calls`) == 0 || v.count(`SELECT count(*) FROM user_daily_activity`) == 0 ||
				v.count(`SELECT count(*) FROM call_outcomes`) == 0 {
				t.Fatal("the other streams synced nothing")
			}
			if n := v.count(`SELECT count(*) FROM library_folders`); n != 0 {
				t.Fatalf("%d library folders", n)
			}
			if n := v.count(`SELECT count(*) FROM sync_runs WHERE stream = 'library' AND status = 'unavailable'`); n != 1 {
				t.Errorf("%d library runs recorded unavailable, want 1", n)
			}
			s, err := v.engine.Status(v.ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, ss := range s.Streams {
				r := ss.Refused
				switch {
				case ss.Stream == StreamLibrary:
					if r == nil || r.Reason != store.RefusedNotAvailable || r.Endpoint != gongapi.EndpointLibraryFolders || r.Scope != "" {
						t.Errorf("status of the library: refused %+v; want not available", r)
					}
				case r != nil:
					t.Errorf("status of %s: refused %+v", ss.Stream, r)
				}
			}

			// An hour later nothing asks for the library; a day later it is asked once.
			v.clock.Advance(time.Hour)
			v.fake.ResetStats()
			r := v.engine.RunStream(v.ctx, StreamLibrary, KindScheduled, false)
			var refused *ScopeRefusedError
			if r.Status != store.RunSkipped || !errors.As(r.Err, &refused) || !errors.Is(r.Err, gongapi.ErrNotAvailable) ||
				!strings.Contains(r.Err.Error(), "does not offer it") {
				t.Fatalf("an hour later: %s %v; want skipped as not available", r.Status, r.Err)
			}
			if n := v.fake.Stats().Total; n != 0 {
				t.Errorf("the unavailable library was asked %d times within the day", n)
			}
			v.clock.Advance(refusalPause)
			if r := v.engine.RunStream(v.ctx, StreamLibrary, KindScheduled, false); r.Status != store.RunUnavailable || r.Requests != 1 {
				t.Errorf("a day later: %s after %d requests; want unavailable after 1", r.Status, r.Requests)
			}
		})
	}
}

// A key without the library's scope: Gong answers 401 naming api:library:read; the
// library fails alone, naming the scope, and the rest syncs.
func TestMissingLibraryScopeFailsOnlyTheLibrary(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 200, WithheldScopes: []string{"api:library:read"}}),
		engine: Options{SettleWindow: 60 * 24 * time.Hour}})
	reps, err := v.engine.Pass(v.ctx, nil, KindSync, true)
	if !errors.Is(err, gongapi.ErrScopeMissing) || !strings.Contains(err.Error(), "api:library:read") {
		t.Fatalf("pass: %v; want the library's scope refusal", err)
	}
	for _, r := range reps {
		want := store.RunSucceeded
		if r.Stream == StreamLibrary {
			want = store.RunFailed
		}
		if r.Status != want {
			t.Errorf("%s: %s %v; want %s", r.Stream, r.Status, r.Err, want)
		}
	}
	s, err := v.engine.Status(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ss := range s.Streams {
		if ss.Stream == StreamLibrary && (ss.Refused == nil || ss.Refused.Reason != store.RefusedScope || ss.Refused.Scope != "api:library:read") {
			t.Errorf("status of the library: refused %+v; want the scope named", ss.Refused)
		}
	}
	if v.count(`SELECT count(*) FROM call_outcomes`) == 0 || v.count(`SELECT count(*) FROM user_interaction_stats`) == 0 {
		t.Error("the other streams synced nothing")
	}
}
