package sync

import (
	"math"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/store"
)

// What the streams beyond calls cost a day at the default schedules, for a company of
// 500 users and 2,000 calls a day: the daemon's day replayed on the fake's clock, its
// requests counted by the fake, each stream against its page floor. The floors come
// from the fake's own records: one day-by-day request per 100 users with activity in
// the days re-read (one query series covers them all); one interaction request per
// 100 users with stats, for each day re-read (Gong sums stats over the range asked
// for, so gongsync asks day by day); one folder list per workspace and one request per
// folder; one request for the call outcomes; for the CRM schema one request for the
// integrations and one per object type of each. On the users' ticks: one request per
// workspace and per permission profile, and the pages of the manual CRM associations
// made since the last read less the overlap (all of them the first time; one request
// when there are none).
func TestStreamsBeyondCallsCostTheirPageFloorADay(t *testing.T) {
	if testing.Short() {
		t.Skip("a day of ticks over 18,000 calls: long scenario; runs in make test")
	}
	t.Parallel()
	const users, perDay, days = 500, 2000, 9
	today := time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC)
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Users: users, Calls: perDay * days,
		From: today.AddDate(0, 0, -days), To: today, Clock: fakegong.NewVirtualClock(today)})})

	sched := Schedules{Calls: "*/15 * * * *", Users: "0 */6 * * *", Settle: "30 2 * * *", Daily: "0 5 * * *"}
	ticks, err := sched.Ticks(today, today.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	// The users group's ticks run too (the library lists the folders of the workspaces
	// synced), and are counted apart; the calls side is measured in docs/BENCHMARKS.md.
	var now time.Time
	runs, usersTicks, manualFloor := 0, 0, 0
	for _, tick := range ticks {
		if tick.Group != scheduleDaily && tick.Group != scheduleUsers {
			continue
		}
		v.clock.Set(tick.At)
		if tick.Group == scheduleUsers {
			usersTicks++
		}
		for _, s := range tick.Streams {
			if s == StreamManualCrmAssociations {
				cp, err := v.engine.loadManualAssociations(v.ctx)
				if err != nil {
					t.Fatal(err)
				}
				var from time.Time
				if cp.HighWater != nil {
					from = cp.HighWater.Add(-v.engine.opt.Overlap)
				}
				manualFloor += max(1, pages(len(v.fake.Dataset().ManualAssociationsAt(tick.At, from))))
			}
			if r := v.engine.RunStream(v.ctx, s, KindScheduled, false); r.Status != store.RunSucceeded {
				t.Fatalf("%s at %s: %s %v", s, tick.At.Format(time.TimeOnly), r.Status, r.Err)
			}
			if tick.Group == scheduleDaily {
				now = tick.At
				runs++
			}
		}
	}
	if runs != len(groupStreams(scheduleDaily)) || usersTicks != 4 {
		t.Fatalf("%d runs of the daily streams and %d ticks of the users group in a day; want each daily stream once, 4 ticks", runs, usersTicks)
	}

	ds := v.fake.Dataset()
	to := gongToday(now)
	from := to.AddDate(0, 0, -v.engine.lookbackDays())
	activityFloor := pages(len(ds.ActivityAt(now, from, to)))
	statsFloor := 0
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		statsFloor += pages(len(ds.InteractionStatsAt(now, d, d.AddDate(0, 0, 1))))
	}
	libraryFloor := 0
	for _, w := range ds.Workspaces() {
		fs, _ := ds.LibraryFoldersAt(now, w.ID)
		libraryFloor += 1 + len(fs)
	}
	by := v.fake.Stats().ByEndpoint
	got := map[string]int64{
		StreamUserActivity:     by[gongapi.EndpointUserActivity],
		StreamInteractionStats: by[gongapi.EndpointInteractionStats],
		StreamLibrary:          by[gongapi.EndpointLibraryFolders] + by[gongapi.EndpointLibraryFolderCalls],
		StreamCallOutcomes:     by[gongapi.EndpointCallOutcomes],
		StreamCrmSchema:        by[gongapi.EndpointCrmIntegrations] + by[gongapi.EndpointCrmEntitySchema],
		StreamFlows:            by[gongapi.EndpointFlows],
		StreamLogs:             by[gongapi.EndpointLogs],
	}
	// The flows: the day's slice of the owners, a request each (no owner has 100
	// flows). The logs: each type's first read reaches back the settle window.
	flows, err := v.engine.loadFlows(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	logsFloor := 0
	for _, typ := range gongapi.LogTypes {
		logsFloor += max(1, pages(len(ds.LogsAt(now, typ, now.Add(-v.engine.opt.SettleWindow), now))))
	}
	floor := map[string]int{StreamUserActivity: activityFloor, StreamInteractionStats: statsFloor,
		StreamLibrary: libraryFloor, StreamCallOutcomes: 1, StreamCrmSchema: 1 + len(gongapi.CrmObjectTypes)*len(ds.CrmIntegrationsAt(now)),
		StreamFlows: flows.PerSlice, StreamLogs: logsFloor}
	var total int64
	for _, s := range groupStreams(scheduleDaily) {
		if _, ok := floor[s]; !ok {
			t.Errorf("%s: a daily stream this test has no endpoints and floor for", s)
			continue
		}
		t.Logf("%s: %d requests a day, floor %d (%.2f×)", s, got[s], floor[s], float64(got[s])/float64(floor[s]))
		if floor[s] == 0 || got[s] != int64(floor[s]) {
			t.Errorf("%s: %d requests a day; its page floor is %d", s, got[s], floor[s])
		}
		total += got[s]
	}
	refreshes := by[gongapi.EndpointUsers] + by[gongapi.EndpointWorkspaces] + by[gongapi.EndpointTrackers] + by[gongapi.EndpointScorecards]
	t.Logf("users, workspaces, trackers, scorecard definitions: %d requests a day (%d ticks; %d users a tick: floor %d a tick)", refreshes, usersTicks,
		users, pages(users)+3)
	if want := int64(usersTicks * (pages(users) + 3)); refreshes != want {
		t.Errorf("users, workspaces, trackers, scorecard definitions: %d requests a day, floor %d", refreshes, want)
	}
	total += refreshes
	profiles := 0
	for _, w := range ds.Workspaces() {
		ps, _ := ds.PermissionProfilesAt(now, w.ID)
		profiles += len(ps)
	}
	perms := by[gongapi.EndpointPermissionProfiles] + by[gongapi.EndpointPermissionProfileUsers]
	manual := by[gongapi.EndpointManualCrmAssociations]
	t.Logf("permission profiles: %d requests a day (%d workspaces and %d profiles a tick); manual CRM associations: %d requests a day, floor %d",
		perms, len(ds.Workspaces()), profiles, manual, manualFloor)
	if want := int64(usersTicks * (len(ds.Workspaces()) + profiles)); perms != want {
		t.Errorf("permission profiles: %d requests a day, floor %d", perms, want)
	}
	if manual != int64(manualFloor) {
		t.Errorf("manual CRM associations: %d requests a day, floor %d", manual, manualFloor)
	}
	issue26 := perms + manual + got[StreamCrmSchema] + got[StreamFlows] + got[StreamLogs]
	t.Logf("issue 26's streams: %d requests a day, %.2f%% of 10,000", issue26, float64(issue26)/100)
	if issue26 > 300 {
		t.Errorf("issue 26's streams cost %d requests a day, over 3%% of 10,000", issue26)
	}
	total += perms + manual
	t.Logf("these thirteen streams: %d requests a day (days %s..%s re-read), of the 10,000 Gong allows", total,
		from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly))
	if total != v.fake.Stats().Total || total != v.ledgerTotal() {
		t.Errorf("the ledger counted %d, the fake served %d, the streams %d", v.ledgerTotal(), v.fake.Stats().Total, total)
	}
}

// pages is how many pages of 100 n records take.
func pages(n int) int { return int(math.Ceil(float64(n) / 100)) }
