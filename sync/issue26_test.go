package sync

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/store"
)

// The streams of issue 26 (permission profiles, CRM schema, manual CRM associations)
// compared with what the fake serves, built from the fake's dataset, not from
// permissions.go or crm.go.

// snakeCase is the column name of one of Gong's field names: an underscore before each
// capital that follows a small letter or a digit (exportCallsAndCoachingDataToCSV →
// export_calls_and_coaching_data_to_csv).
func snakeCase(s string) string {
	var b strings.Builder
	prev := rune(0)
	for _, c := range s {
		if unicode.IsUpper(c) && (unicode.IsLower(prev) || unicode.IsDigit(prev)) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(c))
		prev = c
	}
	return b.String()
}

// assertIssue26MatchGong checks that the live rows of the permission, CRM schema and
// manual association tables are exactly what the fake serves at virtual time at.
func (v *env) assertIssue26MatchGong(at time.Time) {
	v.t.Helper()
	ds := v.fake.Dataset()
	var profiles, users []string
	for _, w := range ds.Workspaces() {
		ps, _ := ds.PermissionProfilesAt(at, w.ID)
		for _, p := range ps {
			var flags strings.Builder
			for _, f := range p.Flags {
				flags.WriteString(map[bool]string{true: "t", false: "f"}[f])
			}
			lead := ""
			if len(p.CallsAccess.TeamLeadIDs) > 0 {
				lead = p.CallsAccess.TeamLeadIDs[0]
			}
			profiles = append(profiles, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s|%s", p.ID, w.ID, p.Name, p.Description, p.CallsAccess.PermissionLevel,
				lead, p.LibraryFolderAccess.PermissionLevel, p.ForecastPermissions.ForecastAccess.PermissionLevel, flags.String()))
			us, _ := ds.PermissionProfileUsersAt(at, p.ID)
			for _, u := range us {
				users = append(users, fmt.Sprintf("%s|%s|%s|%s", p.ID, u.ID, u.FullName, u.EmailAddress))
			}
		}
	}
	var flagCols []string
	for _, name := range fakegong.PermissionFlagNames {
		flagCols = append(flagCols, "CASE WHEN "+snakeCase(name)+" THEN 't' ELSE 'f' END")
	}
	var fields []string
	ins := ds.CrmIntegrationsAt(at)
	var integrations []string
	for _, in := range ins {
		integrations = append(integrations, fmt.Sprintf("%s|%s|%s", in.IntegrationID, in.OwnerEmail, in.Name))
		for _, ot := range fakegong.CrmObjectTypes {
			fs, _ := ds.CrmEntitySchemaAt(at, in.IntegrationID, ot)
			for _, f := range fs {
				modified, err := time.Parse(time.RFC3339, f.LastModified)
				if err != nil {
					v.t.Fatalf("the fake's lastModified %q: %v", f.LastModified, err)
				}
				fields = append(fields, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%v|%s", in.IntegrationID, ot, f.UniqueName, f.Label, f.Type,
					f.ReferenceTo, micros(modified), f.IsDeleted, strings.Join(f.OrderedValueList, ",")))
			}
		}
	}
	var assocs []string
	for _, a := range ds.ManualAssociationsAt(at, time.Time{}) {
		var objs []string
		for _, o := range a.AssociatedCrmObjects {
			objs = append(objs, o.AccountCrmID+"/"+o.DealCrmID)
		}
		assocs = append(assocs, fmt.Sprintf("%s|%s|%s|%s", a.CallID, a.UserID, micros(a.Created), strings.Join(objs, ";")))
	}
	if len(profiles) == 0 || len(users) == 0 || len(fields) == 0 || len(assocs) == 0 {
		v.t.Fatalf("the fake serves %d profiles, %d of their users, %d CRM fields and %d manual associations: the comparison proves nothing",
			len(profiles), len(users), len(fields), len(assocs))
	}
	v.compare("permission_profiles", profiles, `SELECT id || '|' || coalesce(workspace_id, '') || '|' || coalesce(name, '')
		|| '|' || coalesce(description, '') || '|' || coalesce(calls_access ->> 'permissionLevel', '')
		|| '|' || coalesce(calls_access -> 'teamLeadIds' ->> 0, '') || '|' || coalesce(library_folder_access ->> 'permissionLevel', '')
		|| '|' || coalesce(forecast_permissions -> 'forecastAccess' ->> 'permissionLevel', '') || '|' || `+strings.Join(flagCols, " || ")+`
		FROM live_permission_profiles`)
	v.compare("permission_profile_users", users, `SELECT profile_id || '|' || user_id || '|' || coalesce(full_name, '')
		|| '|' || coalesce(email_address, '') FROM live_permission_profile_users`)
	v.compare("crm_integrations", integrations, `SELECT integration_id || '|' || coalesce(owner_email, '') || '|' || coalesce(name, '')
		FROM live_crm_integrations`)
	v.compare("crm_entity_schema_fields", fields, `SELECT integration_id || '|' || object_type || '|' || name || '|' || coalesce(label, '')
		|| '|' || coalesce(type, '') || '|' || coalesce(reference_to, '')
		|| '|' || coalesce(to_char(last_modified AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '') || '|' || coalesce(is_deleted::text, '')
		|| '|' || coalesce((SELECT string_agg(x, ',' ORDER BY n) FROM jsonb_array_elements_text(ordered_value_list) WITH ORDINALITY AS l(x, n)), '')
		FROM live_crm_entity_schema_fields`)
	v.compare("call_manual_crm_associations", assocs, `SELECT call_id || '|' || coalesce(user_id, '')
		|| '|' || to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
		|| '|' || coalesce((SELECT string_agg((o ->> 'accountCrmId') || '/' || coalesce(o ->> 'dealCrmId', ''), ';' ORDER BY n)
			FROM jsonb_array_elements(associated_crm_objects) WITH ORDINALITY AS l(o, n)), '')
		FROM call_manual_crm_associations WHERE deleted_at IS NULL`)
}

// assertIssue26Closed: the refreshes of the permission profiles and of the CRM schema
// are complete, and the manual associations hold no open window.
func (v *env) assertIssue26Closed() {
	v.t.Helper()
	for _, s := range []string{StreamPermissionProfiles, StreamCrmSchema} {
		cp, err := v.engine.loadFanout(v.ctx, s)
		if err != nil {
			v.t.Fatal(err)
		}
		if cp.StartedAt != nil || len(cp.Parents)+len(cp.Children) > 0 || cp.CompletedAt == nil {
			v.t.Errorf("%s: refresh not complete: %+v", s, cp)
		}
	}
	cp, err := v.engine.loadManualAssociations(v.ctx)
	if err != nil {
		v.t.Fatal(err)
	}
	if cp.Window != nil || cp.HighWater == nil {
		v.t.Errorf("%s: window left open or never closed: %+v", StreamManualCrmAssociations, cp)
	}
}

// pageFloor is what reading n records costs: Gong's pages of 100, and one request for an
// empty answer.
func pageFloor(n int) int { return max(1, (n+99)/100) }

// The three streams read exactly what Gong holds at their page floor: a request per
// workspace and per profile, one for the integrations and one per object type of each,
// and ceil(associations/100). Five days later, with a profile deleted, a user taken off a
// profile, a CRM field dropped and new associations made, the next runs mark what went
// and read only the associations made since the high-water mark less the overlap.
func TestIssue26StreamsMatchGongAndCatchRemovals(t *testing.T) {
	t.Parallel()
	// Enough calls for the associations to fill more than a page of 100: the first read
	// follows Gong's cursor.
	v := newEnv(t, envOptions{fake: fakegong.Options{Calls: 6000}})
	ds := v.fake.Dataset()
	streams := []string{StreamUsers, StreamWorkspaces, StreamPermissionProfiles, StreamCrmSchema, StreamManualCrmAssociations}
	byStream := func(reps []*RunReport) map[string]*RunReport {
		out := map[string]*RunReport{}
		for _, r := range reps {
			if r.Status != store.RunSucceeded {
				t.Fatalf("%s: %s: %v", r.Stream, r.Status, r.Err)
			}
			out[r.Stream] = r
		}
		return out
	}
	now := v.clock.Now()
	runs := byStream(v.pass(streams...))
	profiles := 0
	for _, w := range ds.Workspaces() {
		ps, _ := ds.PermissionProfilesAt(now, w.ID)
		profiles += len(ps)
	}
	ins := ds.CrmIntegrationsAt(now)
	all := ds.ManualAssociationsAt(now, time.Time{})
	for s, want := range map[string]int{
		StreamPermissionProfiles:    len(ds.Workspaces()) + profiles,
		StreamCrmSchema:             1 + len(fakegong.CrmObjectTypes)*len(ins),
		StreamManualCrmAssociations: pageFloor(len(all)),
	} {
		if got := runs[s].Requests; got != want {
			t.Errorf("%s: %d requests, want %d", s, got, want)
		}
	}
	t.Logf("%d workspaces, %d profiles, %d integrations, %d manual associations", len(ds.Workspaces()), profiles, len(ins), len(all))
	if len(all) <= 100 {
		t.Fatalf("%d manual associations fit one page: the cursor is never followed", len(all))
	}
	v.assertIssue26MatchGong(now)
	v.assertIssue26Closed()

	// Five days later: a profile deleted, a user taken off another, a field dropped,
	// and associations made meanwhile.
	v.clock.Advance(5 * 24 * time.Hour)
	ids := ds.PermissionProfileIDs()
	gone := v.clock.Now().Add(-time.Hour)
	if err := ds.RemovePermissionProfile(ids[0], gone); err != nil {
		t.Fatal(err)
	}
	onProfile, _ := ds.PermissionProfileUsersAt(gone, ids[1])
	if len(onProfile) == 0 {
		t.Fatalf("profile %s has no users", ids[1])
	}
	if err := ds.RemovePermissionProfileUser(ids[1], onProfile[0].ID, gone); err != nil {
		t.Fatal(err)
	}
	fs, _ := ds.CrmEntitySchemaAt(gone, ins[0].IntegrationID, "DEAL")
	if err := ds.RemoveCrmSchemaField(ins[0].IntegrationID, "DEAL", fs[0].UniqueName, gone); err != nil {
		t.Fatal(err)
	}
	before := v.count(`SELECT count(*) FROM call_manual_crm_associations`)
	newSince := len(ds.ManualAssociationsAt(v.clock.Now(), time.Time{})) - len(all)
	again := ds.ManualAssociationsAt(v.clock.Now(), now.Add(-v.engine.opt.Overlap))
	runs = byStream(v.pass(streams[2:]...))
	if r := runs[StreamPermissionProfiles]; r.Deleted != 2 {
		t.Errorf("permission profiles: %d deleted, want the profile and the user taken off the other", r.Deleted)
	}
	if n := v.count(`SELECT count(*) FROM permission_profiles WHERE id = $1 AND deleted_at IS NOT NULL`, ids[0]); n != 1 {
		t.Errorf("the deleted profile has no deleted_at")
	}
	if n := v.count(`SELECT count(*) FROM permission_profile_users WHERE profile_id = $1 AND deleted_at IS NULL`, ids[0]); n != 0 {
		t.Errorf("%d users of the deleted profile are not marked deleted", n)
	}
	if n := v.count(`SELECT count(*) FROM permission_profile_users WHERE profile_id = $1 AND user_id = $2 AND deleted_at IS NOT NULL`,
		ids[1], onProfile[0].ID); n != 1 {
		t.Errorf("the user taken off profile %s has no deleted_at", ids[1])
	}
	if r := runs[StreamCrmSchema]; r.Deleted != 1 {
		t.Errorf("CRM schema: %d deleted, want the dropped field", r.Deleted)
	}
	r := runs[StreamManualCrmAssociations]
	if r.Requests != pageFloor(len(again)) || r.Inserted != newSince || v.count(`SELECT count(*) FROM call_manual_crm_associations`) != before+newSince {
		t.Errorf("manual associations: %d requests, %d new; want %d requests (%d associations since the high-water mark less the overlap), %d new",
			r.Requests, r.Inserted, pageFloor(len(again)), len(again), newSince)
	}
	if newSince == 0 {
		t.Error("no association was made in five days: the incremental read proves nothing")
	}
	v.assertIssue26MatchGong(v.clock.Now())
	v.assertIssue26Closed()
}

// A company without a generic CRM integration costs the CRM schema one request a day,
// and stores nothing.
func TestCrmSchemaWithoutAnIntegrationCostsOneRequest(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: fakegong.Options{NoCrmIntegration: true}})
	r := v.run(StreamCrmSchema)
	if r.Requests != 1 {
		t.Errorf("%d requests, want 1", r.Requests)
	}
	st := v.fake.Stats()
	if st.Total != 1 || st.ByEndpoint[gongapi.EndpointCrmIntegrations] != 1 {
		t.Errorf("the fake served %d requests (%v), want the integrations' list alone", st.Total, st.ByEndpoint)
	}
	if n := v.count(`SELECT (SELECT count(*) FROM crm_integrations) + (SELECT count(*) FROM crm_entity_schema_fields)`); n != 0 {
		t.Errorf("%d rows stored", n)
	}
	v.assertIssue26ClosedFor(StreamCrmSchema)
}

// assertIssue26ClosedFor checks one fan-out refresh is complete.
func (v *env) assertIssue26ClosedFor(stream string) {
	v.t.Helper()
	cp, err := v.engine.loadFanout(v.ctx, stream)
	if err != nil {
		v.t.Fatal(err)
	}
	if cp.StartedAt != nil || cp.CompletedAt == nil {
		v.t.Errorf("%s: refresh not complete: %+v", stream, cp)
	}
}

// Gong refusing a scope of one of the new streams fails that stream alone, recorded
// with the scope; the others of the pass succeed.
func TestRefusedScopeFailsOnlyItsNewStream(t *testing.T) {
	t.Parallel()
	withheld := map[string]string{StreamCrmSchema: "api:crm:schema", StreamManualCrmAssociations: "api:crm-calls:manual-association:read"}
	v := newEnv(t, envOptions{fake: fakegong.Options{WithheldScopes: []string{withheld[StreamCrmSchema], withheld[StreamManualCrmAssociations]}}})
	reps, err := v.engine.Pass(v.ctx, []string{StreamUsers, StreamWorkspaces, StreamPermissionProfiles, StreamCrmSchema, StreamManualCrmAssociations}, KindSync, true)
	if !errors.Is(err, gongapi.ErrScopeMissing) {
		t.Fatalf("pass: %v; want the scope refusals", err)
	}
	if len(reps) != 5 {
		t.Fatalf("%d runs, want the 5 named", len(reps))
	}
	for _, r := range reps {
		scope, refused := withheld[r.Stream]
		switch {
		case refused && (r.Status != store.RunFailed || !errors.Is(r.Err, gongapi.ErrScopeMissing)):
			t.Errorf("%s: %s %v; want failed for want of %s", r.Stream, r.Status, r.Err, scope)
		case !refused && r.Status != store.RunSucceeded:
			t.Errorf("%s: %s %v; want succeeded", r.Stream, r.Status, r.Err)
		case refused:
			ref, err := v.st.Refusal(v.ctx, r.Stream)
			if err != nil || ref == nil || ref.Scope != scope {
				t.Errorf("%s: refusal %+v (%v); want one naming %s", r.Stream, ref, err, scope)
			}
		}
	}
	if !strings.Contains(strings.Join(OAuthScopes(), " "), withheld[StreamCrmSchema]) {
		t.Errorf("auth login does not ask for %s: %v", withheld[StreamCrmSchema], OAuthScopes())
	}
	if n := v.count(`SELECT count(*) FROM live_permission_profiles`); n == 0 {
		t.Error("the permission profiles stored nothing")
	}
}

// An integration deleted between the list and the read of its schema: the refresh
// under way skips it (Gong answers 404), and the next one marks it deleted; an
// integration deleted between refreshes goes with its fields.
func TestCrmIntegrationDeletedMidRefreshIsSkippedThenMarkedDeleted(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{engine: Options{RequestsPerRun: 1}})
	ds := v.fake.Dataset()
	ins := ds.CrmIntegrationsAt(v.clock.Now())
	if len(ins) < 2 {
		t.Fatalf("the fake has %d integrations; the test needs two", len(ins))
	}
	if r := v.run(StreamCrmSchema); !r.More || r.Requests != 1 {
		t.Fatalf("first short run: %d requests, more %v; want the integrations' list alone", r.Requests, r.More)
	}
	if err := ds.RemoveCrmIntegration(ins[0].IntegrationID, v.clock.Now()); err != nil {
		t.Fatal(err)
	}
	v.clock.Advance(time.Minute)
	for i := 0; ; i++ {
		if i > 2*len(fakegong.CrmObjectTypes)*len(ins) {
			t.Fatal("the refresh never completes")
		}
		if r := v.run(StreamCrmSchema); !r.More {
			break
		}
	}
	if n := v.count(`SELECT count(*) FROM crm_entity_schema_fields WHERE integration_id = $1`, ins[0].IntegrationID); n != 0 {
		t.Errorf("%d fields stored of the integration gone before its schema was read", n)
	}
	if n := v.count(`SELECT count(*) FROM live_crm_integrations`); n != len(ins) {
		t.Errorf("%d live integrations after the refresh that listed %d", n, len(ins))
	}
	// The next refresh lists neither it nor the other, deleted meanwhile: both gone, the
	// other's fields with it.
	fields := v.count(`SELECT count(*) FROM crm_entity_schema_fields WHERE integration_id = $1`, ins[1].IntegrationID)
	if fields == 0 {
		t.Fatalf("no fields stored of integration %s", ins[1].IntegrationID)
	}
	v.clock.Advance(time.Hour)
	if err := ds.RemoveCrmIntegration(ins[1].IntegrationID, v.clock.Now()); err != nil {
		t.Fatal(err)
	}
	v.clock.Advance(time.Minute)
	for r := v.run(StreamCrmSchema); r.More; r = v.run(StreamCrmSchema) {
	}
	if n := v.count(`SELECT count(*) FROM crm_integrations WHERE deleted_at IS NOT NULL`); n != len(ins) {
		t.Errorf("%d integrations have deleted_at, want both", n)
	}
	if n := v.count(`SELECT count(*) FROM crm_entity_schema_fields WHERE integration_id = $1 AND deleted_at IS NOT NULL`, ins[1].IntegrationID); n != fields {
		t.Errorf("%d of the %d fields of the deleted integration have deleted_at", n, fields)
	}
	v.assertIssue26ClosedFor(StreamCrmSchema)
}
