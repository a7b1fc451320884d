package main

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gongsync/gongsync/internal/pgtest"
)

// gongsync compat fivetran creates schema <schema>_fivetran with its views (migrating
// first), --drop drops it, and a misspelt tool gets a suggestion.
func TestCompatFivetranCreatesAndDropsTheSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := map[string]string{"DATABASE_URL": pgtest.NewDatabase(t), "GONGSYNC_SCHEMA": "analytics"}
	views := func() int {
		pool, err := pgxpool.New(ctx, env["DATABASE_URL"])
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_views WHERE schemaname = 'analytics_fivetran'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	code, out, errOut := gongsync(t, env, "compat", "fivetran")
	if code != 0 || !strings.Contains(out, "analytics_fivetran") {
		t.Fatalf("compat fivetran: exit %d\n%s%s", code, out, errOut)
	}
	if n := views(); n < 20 {
		t.Fatalf("%d views in analytics_fivetran", n)
	}
	if code, out, errOut := gongsync(t, env, "compat", "fivetran", "--drop"); code != 0 || !strings.Contains(out, "dropped") {
		t.Fatalf("--drop: exit %d\n%s%s", code, out, errOut)
	}
	if n := views(); n != 0 {
		t.Fatalf("%d views left after --drop", n)
	}
	if code, _, errOut := gongsync(t, env, "compat", "fivetarn"); code != 2 || !strings.Contains(errOut, "did you mean fivetran") {
		t.Fatalf("compat fivetarn: exit %d\n%s", code, errOut)
	}
}
