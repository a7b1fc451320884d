package sync

import (
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
