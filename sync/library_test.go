package sync

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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

// A library refresh cut short by the version before the library shared the fan-out
// checkpoint, whose state document names its lists "workspaces" and "folders", resumes
// after the upgrade as the same refresh: the folders listed are read, the workspaces
// left are listed, and no folder is marked deleted. Read as finished, the refresh would
// mark every folder of the workspaces not yet listed deleted.
func TestLibraryResumesACheckpointOfThePreviousVersion(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 200, Workspaces: 3})})
	v.run(StreamWorkspaces)
	v.run(StreamLibrary)
	ws, err := v.st.LiveWorkspaceIDs(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	folders := func(ws []string) []string {
		var ids []string
		rows, err := v.st.Pool().Query(v.ctx, `SELECT id FROM library_folders WHERE workspace_id = ANY($1) ORDER BY id`, ws)
		if err == nil {
			for rows.Next() {
				var id string
				if err = rows.Scan(&id); err != nil {
					break
				}
				ids = append(ids, id)
			}
			rows.Close()
			err = cmp.Or(err, rows.Err())
		}
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	listed, left := folders(ws[:1]), folders(ws[1:])
	if len(ws) < 2 || len(listed) == 0 || len(left) == 0 {
		t.Fatalf("%d workspaces, %d folders in the first, %d in the others: the test proves nothing", len(ws), len(listed), len(left))
	}

	// The previous version began a refresh, listed the first workspace's folders and
	// stopped before reading their calls.
	started, err := v.st.Now(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.st.Pool().Exec(v.ctx, `UPDATE library_folders SET last_seen_at = now() WHERE workspace_id = $1`, ws[0]); err != nil {
		t.Fatal(err)
	}
	state, err := json.Marshal(map[string][]string{"workspaces": ws[1:], "folders": listed})
	if err != nil {
		t.Fatal(err)
	}
	old, err := v.st.Checkpoint(v.ctx, StreamLibrary)
	if err != nil {
		t.Fatal(err)
	}
	err = v.st.Transact(v.ctx, func(tx *store.Tx) error {
		return tx.SaveCheckpoint(v.ctx, store.Checkpoint{Stream: StreamLibrary, WindowStartedAt: &started,
			CompletedAt: old.CompletedAt, State: state})
	})
	if err != nil {
		t.Fatal(err)
	}

	cp, err := v.engine.loadFanout(v.ctx, StreamLibrary)
	if err != nil {
		t.Fatal(err)
	}
	if cp.StartedAt == nil || !cp.StartedAt.Equal(started) || !slices.Equal(cp.Parents, ws[1:]) || !slices.Equal(cp.Children, listed) {
		t.Errorf("the old checkpoint loads as %+v; want the refresh begun at %v with workspaces %v and folders %v left",
			cp, started, ws[1:], listed)
	}

	v.fake.ResetStats()
	r := v.run(StreamLibrary)
	_, by := v.requests()
	if by[gongapi.EndpointLibraryFolders] != int64(len(ws)-1) || by[gongapi.EndpointLibraryFolderCalls] != int64(len(listed)+len(left)) {
		t.Errorf("the resumed refresh asked %v; want %d folder listings and %d folders' calls", by, len(ws)-1, len(listed)+len(left))
	}
	if n := v.count(`SELECT (SELECT count(*) FROM library_folders WHERE deleted_at IS NOT NULL)
		+ (SELECT count(*) FROM library_folder_calls WHERE deleted_at IS NOT NULL)`); n != 0 || r.Deleted != 0 {
		t.Errorf("%d library rows marked deleted (%d by the run)", n, r.Deleted)
	}
	v.assertLibraryClosed()

	// Mid-refresh the library still writes its lists under its own names, so that the
	// previous version, rolled back to, resumes too.
	var doc map[string][]string
	mid := fanoutCheckpoint{stream: StreamLibrary, StartedAt: &started, Parents: ws[1:], Children: listed}
	if err := json.Unmarshal(mid.row().State, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc) != 2 || !slices.Equal(doc["workspaces"], ws[1:]) || !slices.Equal(doc["folders"], listed) {
		t.Errorf("the library's state document is %v; want workspaces %v and folders %v", doc, ws[1:], listed)
	}
}

// assertLibraryClosed checks the library's refresh is complete.
func (v *env) assertLibraryClosed() {
	v.t.Helper()
	cp, err := v.engine.loadFanout(v.ctx, StreamLibrary)
	if err != nil {
		v.t.Fatal(err)
	}
	if cp.StartedAt != nil || len(cp.Parents)+len(cp.Children) > 0 || cp.CompletedAt == nil {
		v.t.Errorf("library: refresh not complete: %+v", cp)
	}
}
