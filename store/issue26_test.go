package store

import (
	"context"
	"testing"
	"time"
)

// seedIssue26 writes two records of each table of issue 26's streams (the first to
// keep, the second to delete) and, for the manual associations, one row of each of two
// calls; ids gets the tables keyed by id.
func seedIssue26(t *testing.T, s *Store, keepCall, goneCall string, ids map[string][2]string) {
	t.Helper()
	ctx := context.Background()
	raw := []byte(`{}`)
	at := time.Date(2024, 3, 4, 10, 0, 0, 0, time.UTC)
	if err := s.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.UpsertPermissionProfiles(ctx, []PermissionProfile{{ID: "p1", Raw: raw}, {ID: "p2", Raw: raw}}); err != nil {
			return err
		}
		if _, err := tx.UpsertPermissionProfileUsers(ctx, []PermissionProfileUser{{ID: "p1|u1", ProfileID: "p1", UserID: "u1", Raw: raw},
			{ID: "p1|u2", ProfileID: "p1", UserID: "u2", Raw: raw}, {ID: "p2|u3", ProfileID: "p2", UserID: "u3", Raw: raw}}); err != nil {
			return err
		}
		if _, err := tx.UpsertCrmIntegrations(ctx, []CrmIntegration{{ID: "i1", IntegrationID: "i1", Raw: raw}, {ID: "i2", IntegrationID: "i2", Raw: raw}}); err != nil {
			return err
		}
		if _, err := tx.UpsertCrmEntitySchemaFields(ctx, []CrmEntitySchemaField{
			{ID: "i1|DEAL|Amount", IntegrationID: "i1", ObjectType: "DEAL", Name: "Amount", Raw: raw},
			{ID: "i1|DEAL|Stage", IntegrationID: "i1", ObjectType: "DEAL", Name: "Stage", Raw: raw},
			{ID: "i2|LEAD|Status", IntegrationID: "i2", ObjectType: "LEAD", Name: "Status", Raw: raw}}); err != nil {
			return err
		}
		_, err := tx.UpsertCallManualCrmAssociations(ctx, []CallManualCrmAssociation{
			{ID: keepCall + "|a", CallID: keepCall, Created: at, Raw: raw}, {ID: goneCall + "|a", CallID: goneCall, Created: at, Raw: raw}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ids["permission_profiles"] = [2]string{"p1", "p2"}
	ids["permission_profile_users"] = [2]string{"p1|u1", "p1|u2"}
	ids["crm_integrations"] = [2]string{"i1", "i2"}
	ids["crm_entity_schema_fields"] = [2]string{"i1|DEAL|Amount", "i1|DEAL|Stage"}
}

// A profile's users leave live_permission_profile_users with it, and an integration's
// fields leave live_crm_entity_schema_fields with it.
func TestLiveViewsLeaveOutTheUsersOfDeletedProfilesAndTheFieldsOfDeletedIntegrations(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	seedIssue26(t, s, "c-keep", "c-gone", map[string][2]string{})
	for _, q := range []string{`UPDATE permission_profiles SET deleted_at = now() WHERE id = 'p2'`,
		`UPDATE crm_integrations SET deleted_at = now() WHERE id = 'i2'`} {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for sql, want := range map[string]int{
		`SELECT count(*) FROM live_permission_profile_users`:                             2,
		`SELECT count(*) FROM live_permission_profile_users WHERE profile_id = 'p2'`:     0,
		`SELECT count(*) FROM live_crm_entity_schema_fields`:                             2,
		`SELECT count(*) FROM live_crm_entity_schema_fields WHERE integration_id = 'i2'`: 0,
	} {
		var n int
		if err := s.pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: %d, want %d", sql, n, want)
		}
	}
}
