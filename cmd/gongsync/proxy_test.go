package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// `gongsync proxy` sends one request through the sync's client: the answer is
// printed as JSON and the request is counted in the budget ledger like the sync's.
func TestProxySendsOneCountedRequest(t *testing.T) {
	t.Parallel()
	k := newKillEnv(t, 50, 0)
	db := migrated.NewDatabase(t)
	ctx := context.Background()
	out, err := process(ctx, k.env(db), "proxy", "/v2/users").Output()
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	var users struct {
		Users []map[string]any `json:"users"`
	}
	if err := json.Unmarshal(out, &users); err != nil || len(users.Users) == 0 {
		t.Fatalf("proxy printed no users: %v\n%s", err, out)
	}
	body := `{"filter": {"fromDateTime": "2024-01-01T00:00:00Z", "toDateTime": "2024-01-03T00:00:00Z"}}`
	if out, err := process(ctx, k.env(db), "proxy", "-d", body, "/v2/calls/extensive").Output(); err != nil || !strings.Contains(string(out), `"calls"`) {
		t.Fatalf("proxy POST: %v\n%s", err, out)
	}
	if s := k.fake.Stats(); s.Total != 2 {
		t.Fatalf("the fake saw %d requests, want 2", s.Total)
	}
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT coalesce(sum(requests), 0) FROM gong.api_usage`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("ledger counted %d requests (%v), want 2", n, err)
	}
	// A Gong error is an error: exit 1 with the requestId in the message.
	cmd := process(ctx, k.env(db), "proxy", "-X", "POST", "-d", `{"filter": {"callIds": []}}`, "/v2/calls/extensive")
	errOut, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(errOut), "requestId") {
		t.Fatalf("exit %d:\n%s", cmd.ProcessState.ExitCode(), errOut)
	}
}
