package store

import (
	"context"
	"testing"
	"time"
)

// seedFlowsAndLogs writes two flows and two log records, the second of each to be
// marked deleted by the caller (ids).
func seedFlowsAndLogs(t *testing.T, s *Store, ids map[string][2]string) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2024, 3, 4, 10, 0, 0, 0, time.UTC)
	flows := []Flow{{ID: "fl1", FlowOwnerEmail: "a@x.example", Raw: []byte(`{"id":"fl1"}`)},
		{ID: "fl2", FlowOwnerEmail: "b@x.example", Raw: []byte(`{"id":"fl2"}`)}}
	logs := []AuditLog{{ID: "UserCallPlay:1", LogType: "UserCallPlay", EventTime: at, Raw: []byte(`{"n":1}`)},
		{ID: "UserCallPlay:2", LogType: "UserCallPlay", EventTime: at, Raw: []byte(`{"n":2}`)}}
	if err := s.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.UpsertFlows(ctx, flows); err != nil {
			return err
		}
		_, err := tx.UpsertAuditLogs(ctx, logs)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ids["flows"], ids["audit_logs"] = [2]string{"fl1", "fl2"}, [2]string{"UserCallPlay:1", "UserCallPlay:2"}
}

// A flow read again unchanged for another owner keeps the owner it was stored with
// (a company flow comes back for every user asked); a changed one takes the new
// owner with its new content. The owners asked are the active users with an address.
func TestFlowsKeepTheirOwnerUntilTheyChange(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	write := func(f Flow) UpsertResult {
		t.Helper()
		var res UpsertResult
		if err := s.Transact(ctx, func(tx *Tx) error {
			var err error
			res, err = tx.UpsertFlows(ctx, []Flow{f})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return res
	}
	owner := func() string {
		t.Helper()
		var o string
		if err := s.pool.QueryRow(ctx, `SELECT flow_owner_email FROM flows WHERE id = 'f'`).Scan(&o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	write(Flow{ID: "f", FlowOwnerEmail: "a@x.example", Raw: []byte(`{"id":"f","name":"one"}`)})
	if res := write(Flow{ID: "f", FlowOwnerEmail: "b@x.example", Raw: []byte(`{"id":"f","name":"one"}`)}); len(res.Changed) != 0 || owner() != "a@x.example" {
		t.Errorf("unchanged flow read for another owner: %+v, owner %s", res, owner())
	}
	if res := write(Flow{ID: "f", FlowOwnerEmail: "b@x.example", Raw: []byte(`{"id":"f","name":"two"}`)}); len(res.Changed) != 1 || owner() != "b@x.example" {
		t.Errorf("changed flow: %+v, owner %s", res, owner())
	}

	if err := s.Transact(ctx, func(tx *Tx) error {
		_, err := tx.UpsertUsers(ctx, []User{
			{ID: "1", EmailAddress: ptr("z@x.example"), Active: ptr(true), Raw: []byte(`{"id":"1"}`)},
			{ID: "2", EmailAddress: ptr("y@x.example"), Active: ptr(false), Raw: []byte(`{"id":"2"}`)},
			{ID: "3", Raw: []byte(`{"id":"3"}`)},
			{ID: "4", EmailAddress: ptr("a@x.example"), Active: ptr(true), Raw: []byte(`{"id":"4"}`)},
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.FlowOwnerEmails(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "a@x.example" || got[1] != "z@x.example" {
		t.Errorf("flow owners %v; want the active users with an address, in order", got)
	}
}
