package sync

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// The Engage flows and the audit logs against the fake, built from its dataset.

// flowOwnersAt are, by flow id, the addresses of the active users listed at at whose
// GET /v2/flows answer lists the flow: the addresses the sync may have stored it for.
func (v *env) flowOwnersAt(at time.Time) (map[string][]string, map[string]fakegong.Flow) {
	ds := v.fake.Dataset()
	owners, flows := map[string][]string{}, map[string]fakegong.Flow{}
	for _, u := range ds.UsersAt(at) {
		if u.EmailAddress == nil || *u.EmailAddress == "" || (u.Active != nil && !*u.Active) {
			continue
		}
		fs, _ := ds.FlowsAt(at, *u.EmailAddress)
		for _, f := range fs {
			owners[f.ID] = append(owners[f.ID], *u.EmailAddress)
			flows[f.ID] = f
		}
	}
	return owners, flows
}

// assertFlowsMatchGong checks that the live flows are exactly those some active user's
// answer lists at at, each stored for one of those users.
func (v *env) assertFlowsMatchGong(at time.Time) {
	v.t.Helper()
	owners, flows := v.flowOwnersAt(at)
	var want []string
	for _, f := range flows {
		want = append(want, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%v", f.ID, f.Name, f.FolderID, f.FolderName, f.Visibility, micros(f.CreationDate), f.Exclusive))
	}
	if len(want) == 0 {
		v.t.Fatal("the fake has no flows: the comparison proves nothing")
	}
	v.compare("flows", want, `SELECT id || '|' || coalesce(name, '') || '|' || coalesce(folder_id, '') || '|' || coalesce(folder_name, '')
		|| '|' || coalesce(visibility, '') || '|' || coalesce(to_char(creation_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '')
		|| '|' || coalesce(exclusive::text, '') FROM flows WHERE deleted_at IS NULL`)
	rows, err := v.st.Pool().Query(v.ctx, `SELECT id, flow_owner_email FROM flows WHERE deleted_at IS NULL`)
	if err != nil {
		v.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, email string
		if err := rows.Scan(&id, &email); err != nil {
			v.t.Fatal(err)
		}
		if !slices.Contains(owners[id], email) {
			v.t.Errorf("flow %s stored for %s, whose answer does not list it (listed for %v)", id, email, owners[id])
		}
	}
}

// assertLogsMatchGong checks that audit_logs holds exactly the log records of every
// type with an event time in [from, to), as the fake serves them at at.
func (v *env) assertLogsMatchGong(at, from, to time.Time) {
	v.t.Helper()
	var want []string
	types := map[string]int{}
	for _, typ := range gongapi.LogTypes {
		for _, l := range v.fake.Dataset().LogsAt(at, typ, from, to) {
			want = append(want, fmt.Sprintf("%s|%s|%s|%s|%s|%s", typ, micros(l.EventTime), l.UserID, l.UserEmailAddress, l.LogRecord["callId"], l.Impersonator))
			types[typ]++
		}
	}
	if len(types) != len(gongapi.LogTypes) {
		v.t.Fatalf("the fake has records of %d log types only (%v): the comparison proves less than it says", len(types), types)
	}
	v.compare("audit_logs", want, `SELECT log_type || '|' || to_char(event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
		|| '|' || coalesce(user_id, '') || '|' || coalesce(user_email_address, '') || '|' || coalesce(call_id, '')
		|| '|' || coalesce(impersonator_user_id, '') FROM audit_logs
		WHERE deleted_at IS NULL AND event_time >= '`+from.UTC().Format(time.RFC3339)+`' AND event_time < '`+to.UTC().Format(time.RFC3339)+`'`)
	// Plays name calls the fake has, by users it has.
	if n := v.count(`SELECT count(*) FROM audit_logs WHERE log_type = 'UserCallPlay' AND (call_id IS NULL OR user_id IS NULL)`); n != 0 {
		v.t.Errorf("%d call plays without their call or user", n)
	}
}

// The flows' refresh is spread over a week: each day's run asks about a seventh of
// the active users with an address (one request each: their flows fit a page), the
// stream is not due again the same day, and a flow its owner deleted is marked deleted
// only once the whole week's refresh completed, not by a slice before.
func TestFlowsRefreshInDailySlicesAndDeletion(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 50, Users: 60})})
	// Before the users are synced there is nobody to ask: nothing is spent.
	if r := v.run(StreamFlows); r.Requests != 0 {
		t.Errorf("flows before any user is synced: %d requests", r.Requests)
	}
	v.run(StreamUsers)
	owners, err := v.st.FlowOwnerEmails(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	per := (len(owners) + 6) / 7
	if len(owners) < 14 {
		t.Fatalf("%d flow owners: too few to see slices", len(owners))
	}
	refresh := func() (days int) {
		t.Helper()
		asked := 0
		for {
			days++
			before, _ := v.requests()
			r := v.run(StreamFlows)
			after, by := v.requests()
			if int(after-before) != r.Requests || by[gongapi.EndpointFlows] == 0 {
				t.Fatalf("day %d: the run reports %d requests, the fake served %d", days, r.Requests, after-before)
			}
			asked += r.Requests
			if r.Requests > per {
				t.Errorf("day %d: %d requests, more than a slice of %d", days, r.Requests, per)
			}
			due, err := v.engine.Due(v.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(due, StreamFlows) {
				t.Errorf("day %d: flows due again the day its slice ran", days)
			}
			cp, err := v.engine.loadFlows(v.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if cp.RefreshStartedAt == nil {
				if asked != len(owners) {
					t.Errorf("the refresh asked %d times; %d owners", asked, len(owners))
				}
				return days
			}
			if days > 7 {
				t.Fatalf("the refresh is not complete after a week: %+v", cp)
			}
			v.clock.Advance(24 * time.Hour)
		}
	}
	if days := refresh(); days != (len(owners)+per-1)/per {
		t.Errorf("the refresh took %d days; want %d", days, (len(owners)+per-1)/per)
	}
	v.assertFlowsMatchGong(v.clock.Now())

	// A personal flow its owner deletes is gone once the next refresh has asked about
	// every owner, and not before.
	_, flows := v.flowOwnersAt(v.clock.Now())
	var gone string
	for id, f := range flows {
		if f.Visibility == "Personal" {
			gone = id
			break
		}
	}
	if gone == "" {
		t.Fatal("the fake has no personal flow")
	}
	v.clock.Advance(24 * time.Hour)
	if err := v.fake.Dataset().RemoveFlow(gone, v.clock.Now()); err != nil {
		t.Fatal(err)
	}
	// And the last owner leaves the company after the refresh listed them: Gong
	// refuses to list their flows, and the refresh goes on without them.
	leaver := owners[len(owners)-1]
	for _, u := range v.fake.Dataset().UsersAt(v.clock.Now()) {
		if u.EmailAddress != nil && *u.EmailAddress == leaver {
			if err := v.fake.Dataset().RemoveUser(u.ID, v.clock.Now().Add(time.Hour), time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for day := 1; ; day++ {
		r := v.run(StreamFlows)
		cp, err := v.engine.loadFlows(v.ctx)
		if err != nil {
			t.Fatal(err)
		}
		deleted := v.count(`SELECT count(*) FROM flows WHERE id = $1 AND deleted_at IS NOT NULL`, gone)
		if cp.RefreshStartedAt != nil {
			if deleted != 0 || r.Deleted != 0 {
				t.Fatalf("day %d: the flow was marked deleted before the refresh completed", day)
			}
			v.clock.Advance(24 * time.Hour)
			continue
		}
		if deleted != 1 || r.Deleted < 1 {
			t.Fatalf("the refresh completed on day %d: flow %s deleted %d (the run reported %d deletions)", day, gone, deleted, r.Deleted)
		}
		break
	}
	v.assertFlowsMatchGong(v.clock.Now())
}

// A six-month backfill of the logs costs the page floor: per log type
// ceil(records/100) requests (one for a type without records), and a daily run after
// it reads each type from its high-water mark: one request a type when little is new.
func TestLogsBackfillStaysAtPageFloorAndRunsFromItsMark(t *testing.T) {
	t.Parallel()
	from := day0
	to := from.AddDate(0, 6, 0)
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 600, From: from, To: to, Clock: fakegong.NewVirtualClock(to.Add(48 * time.Hour))})})
	now := v.clock.Now()
	rep, err := v.engine.Backfill(v.ctx, BackfillRequest{From: from, To: now, Streams: []string{StreamLogs}})
	if err != nil || !rep.Done {
		t.Fatalf("backfill: %v %+v", err, rep)
	}
	floor, records := 0, 0
	for _, typ := range gongapi.LogTypes {
		n := len(v.fake.Dataset().LogsAt(now, typ, from, now))
		records += n
		floor += max(1, (n+99)/100)
	}
	_, by := v.requests()
	if got := int(by[gongapi.EndpointLogs]); got != floor {
		t.Errorf("the backfill of %d log records sent %d requests; the page floor is %d", records, got, floor)
	}
	if others := len(by); others != 1 {
		t.Errorf("the backfill of the logs asked other endpoints too: %v", by)
	}
	t.Logf("%d log records in %d requests", records, floor)
	v.assertLogsMatchGong(now, from, now)

	// Calls processed near the dataset's end are still played: the day brings a few.
	v.clock.Advance(24 * time.Hour)
	later, fresh := v.clock.Now(), 0
	for _, typ := range gongapi.LogTypes {
		fresh += len(v.fake.Dataset().LogsAt(later, typ, now, later))
	}
	before := by[gongapi.EndpointLogs]
	r := v.run(StreamLogs)
	_, by = v.requests()
	if got := by[gongapi.EndpointLogs] - before; got != int64(len(gongapi.LogTypes)) || r.Inserted != fresh || r.Changed != 0 {
		t.Errorf("a daily run after the backfill: %d requests, %d new and %d changed records; want one request a type, the %d new",
			got, r.Inserted, r.Changed, fresh)
	}
	v.assertLogsMatchGong(later, from, later)
	cp, err := v.engine.loadLogs(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range gongapi.LogTypes {
		s := cp.Types[typ]
		if s == nil || s.Window != nil || s.Mark == nil || s.Mark.Before(later) || s.Backfill == nil || !s.Backfill.Done {
			t.Errorf("%s: %+v; want no open window, a mark past %v, the backfill done", typ, s, later)
		}
	}
	if !strings.Contains(strings.Join(OAuthScopes(), " "), "api:logs:read") || !slices.Contains(OAuthScopes(), "api:flows:read") {
		t.Errorf("auth login does not ask for the new streams' scopes: %v", OAuthScopes())
	}
}
