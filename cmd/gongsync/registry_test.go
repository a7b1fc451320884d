package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// databaseSnapshot is every schema and relation of db outside Postgres's own, with a
// digest of each table's rows: two snapshots are equal when nothing was created,
// dropped or written in between.
func databaseSnapshot(t *testing.T, db string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT n.nspname::text, coalesce(c.relname::text, ''), coalesce(c.relkind::text, '')
		FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid
		WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
			AND n.nspname NOT LIKE 'pg\_temp%'
		ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	type rel struct{ schema, name, kind string }
	rels, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rel, error) {
		var x rel
		return x, r.Scan(&x.schema, &x.name, &x.kind)
	})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range rels {
		fmt.Fprintf(&b, "%s.%s %s", r.schema, r.name, r.kind)
		if r.kind == "r" {
			var digest string
			q := `SELECT coalesce(md5(string_agg(t::text, E'\n' ORDER BY t::text)), '') FROM ` + pgx.Identifier{r.schema, r.name}.Sanitize() + ` t`
			if err := conn.QueryRow(ctx, q).Scan(&digest); err != nil {
				t.Fatal(err)
			}
			b.WriteString(" " + digest)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Issue 25's blocker. A refused `connections add` writes nothing: the database is as
// it was, with no control schema. A registry that holds no connection leaves `run`
// the daemon of the installation the environment describes; and a registry that
// holds others makes `run` refuse, in one line saying how to add it, an installation
// that the environment describes and the registry does not hold.
func TestARefusedAddWritesNothingAndAnEmptyRegistryLeavesTheInstallation(t *testing.T) {
	t.Parallel()
	e := newTenantsEnv(t, 2, fakegong.Options{Calls: 20})
	if code, out, errOut := gongsync(t, e.env(1), "sync"); code != 0 {
		t.Fatalf("sync: exit %d\n%s%s", code, out, errOut)
	}
	before := databaseSnapshot(t, e.db)

	code, out, errOut := gongsync(t, e.env(2, "GONGSYNC_ENCRYPTION_KEY", ""), "connections", "add", "acme", "--schema", "gong_acme")
	if code != 2 || !strings.Contains(errOut, "connection's secrets") || strings.Contains(errOut, "OAuth tokens") {
		t.Errorf("add without a key: exit %d, want 2 naming the connection's secrets\n%s%s", code, out, errOut)
	}
	code, out, errOut = gongsync(t, e.env(2), "connections", "add", "acme", "--schema", "gong_acme", "--update")
	if code != 2 || !strings.Contains(errOut, "no such connection") {
		t.Errorf("add --update of a connection there is not: exit %d, want 2\n%s%s", code, out, errOut)
	}
	if after := databaseSnapshot(t, e.db); after != before {
		t.Errorf("a refused add changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if n := queryInt(e.db, `SELECT count(*) FROM pg_namespace WHERE nspname = 'gongsync'`); n != 0 {
		t.Error("a refused add created the control schema")
	}

	// An empty registry: one connection added, then removed.
	e.add(t, 2)
	if code, out, errOut := gongsync(t, e.env(0), "connections", "remove", "c2", "--drop-data"); code != 0 {
		t.Fatalf("remove c2: exit %d\n%s%s", code, out, errOut)
	}
	runsBefore := queryInt(e.db, `SELECT count(*) FROM gong.sync_runs`)
	w := startWorker(t, e.env(1, "GONGSYNC_SCHEDULE_CALLS", "@every 1s", "LOG_LEVEL", "info"))
	deadline := time.Now().Add(time.Minute)
	for queryInt(e.db, `SELECT count(*) FROM gong.sync_runs WHERE status = 'succeeded'`) <= runsBefore {
		if time.Now().After(deadline) {
			t.Fatalf("run on an empty registry synced nothing of the environment's installation in a minute:\n%s", w.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.stop(t)
	if out := w.out.String(); strings.Contains(out, "worker started") {
		t.Errorf("run on an empty registry started a worker:\n%s", out)
	}
	if code, out, errOut := gongsync(t, e.env(1), "status"); code != 0 || strings.Contains(out, "CONNECTIONS") || !strings.Contains(out, "calls") {
		t.Errorf("status on an empty registry: exit %d, want the installation's streams\n%s%s", code, out, errOut)
	}

	// A registry that holds another company, and the environment's own installation
	// (schema gong) outside it: run refuses in one line naming the way.
	e.add(t, 2)
	code, out, errOut = gongsync(t, e.env(1), "run")
	if code != 2 || !strings.Contains(errOut, "connections add NAME --schema gong") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("run beside a registry without the environment's installation: exit %d, want 2 and one line\n%s%s", code, out, errOut)
	}
	// Registered, it is a connection like the others.
	if code, out, errOut := gongsync(t, e.env(1), "connections", "add", "c1", "--schema", "gong"); code != 0 {
		t.Fatalf("add c1 --schema gong: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = gongsync(t, e.env(1), "connections", "add", "c3", "--schema", "gong")
	if code != 2 || !strings.Contains(errOut, "another connection's") {
		t.Errorf("add of a schema another connection owns: exit %d, want 2\n%s%s", code, out, errOut)
	}
	// Without the key that opens a connection's secrets, a command for it is a
	// configuration error naming them (issue 25, item 2).
	code, out, errOut = gongsync(t, e.env(0, "GONGSYNC_ENCRYPTION_KEY", ""), "proxy", "--connection", "c2", "/v2/users")
	if code != 2 || !strings.Contains(errOut, "secrets") || !strings.Contains(errOut, "GONGSYNC_ENCRYPTION_KEY") {
		t.Errorf("proxy --connection without the key: exit %d, want 2 naming the secrets\n%s%s", code, out, errOut)
	}
}
