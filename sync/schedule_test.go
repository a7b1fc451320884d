package sync

import (
	"strings"
	"testing"
	"time"
)

// Schedules are read in their own time zone, whatever the host's, and say when each
// runs next.
func TestSchedulesRunInTheirTimeZone(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		loc        *time.Location
		wantSettle time.Time
	}{
		{nil, time.Date(2024, 6, 2, 2, 30, 0, 0, time.UTC)},                          // UTC by default
		{paris, time.Date(2024, 6, 2, 0, 30, 0, 0, time.UTC)},                        // 02:30 in Paris is 00:30 UTC in summer
		{time.FixedZone("X", -7*3600), time.Date(2024, 6, 2, 9, 30, 0, 0, time.UTC)}, // 02:30 at UTC-7
	} {
		s := Schedules{Calls: "*/15 * * * *", Users: "0 */6 * * *", Settle: "30 2 * * *", Location: tc.loc}
		next, err := s.Next(now)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]time.Time{}
		for _, n := range next {
			got[n.Job] = n.Next
		}
		if !got["settle"].Equal(tc.wantSettle) || !got["calls"].Equal(now.Add(15*time.Minute)) || len(next) != 3 {
			t.Errorf("%v: next runs %v; want settle at %v", tc.loc, next, tc.wantSettle)
		}
	}
	if _, err := (Schedules{Calls: "often", Users: "@hourly", Settle: "@daily"}).Next(now); err == nil {
		t.Error("a bad spec was accepted")
	}
}

// A schedule group's streams run one after the other in the order of streamDefs, by
// the daemon and by a fleet's jobs alike: each run names the next (the calls'
// transcripts after them).
func TestGroupChains(t *testing.T) {
	t.Parallel()
	chain := func(g ScheduleGroup) string {
		var out []string
		for s := g.First; s != ""; s = groupNext(g.Name, s) {
			out = append(out, s)
			if len(out) > len(streamDefs) {
				t.Fatalf("group %s loops: %v", g.Name, out)
			}
		}
		return strings.Join(out, ",")
	}
	want := map[string]string{
		scheduleCalls:  "calls,transcripts,answered_scorecards",
		scheduleUsers:  "users,workspaces,trackers,scorecards,permission_profiles,manual_crm_associations",
		scheduleSettle: "settle,sweep,transcripts,answered_scorecards_settle,answered_scorecards_sweep",
		scheduleDaily:  "user_activity,user_interaction_stats,library,call_outcomes,crm_schema,flows,logs",
	}
	groups := Schedules{Calls: "@hourly", Users: "@hourly", Settle: "@daily", Daily: "@daily"}.Groups()
	if len(groups) != len(want) {
		t.Fatalf("%d groups, want %d", len(groups), len(want))
	}
	for _, g := range groups {
		if got := chain(g); got != want[g.Name] {
			t.Errorf("group %s: %q, want %q", g.Name, got, want[g.Name])
		}
	}
}
