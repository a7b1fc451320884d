package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/gongsync/gongsync/sync/fleet"
	"github.com/jackc/pgx/v5"
)

// execSQL runs one statement against dbURL.
func execSQL(t *testing.T, dbURL, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// tenantsEnv is a multi-tenant simulated Gong (every tenant's calls in the last six
// days, so that a daemon's first calls window holds them all; none processed late,
// changed or deleted, so two syncs at different times see the same Gong) and the
// environment of a gongsync that registers its tenants as connections.
type tenantsEnv struct {
	tenants *fakegong.Tenants
	url     string
	db      string
}

func newTenantsEnv(t *testing.T, n int, o fakegong.Options) *tenantsEnv {
	t.Helper()
	if o.From.IsZero() {
		now := time.Now().UTC()
		o.From, o.To = now.AddDate(0, 0, -6), now.Add(-12*time.Hour)
	}
	o.LateShare, o.ChangeShare, o.DeleteShare = -1, -1, -1
	o.Seed = 80
	ts, err := fakegong.NewTenants(o, n)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ts)
	t.Cleanup(srv.Close)
	return &tenantsEnv{tenants: ts, url: srv.URL, db: pgtest.NewDatabase(t)}
}

// env is the environment of commands against the registry, with tenant i's
// credentials (0: none).
func (e *tenantsEnv) env(i int, kv ...string) map[string]string {
	env := map[string]string{"DATABASE_URL": e.db, "GONG_BASE_URL": e.url, "GONG_RATE_LIMIT": "0",
		"GONGSYNC_ENCRYPTION_KEY": testKey, "LOG_LEVEL": "warn", "LOG_FORMAT": "json", "GONGSYNC_HTTP_ADDR": "off",
		"GONG_ACCESS_KEY": "", "GONG_ACCESS_KEY_SECRET": "", "GONG_OAUTH_CLIENT_ID": ""}
	if i > 0 {
		env["GONG_ACCESS_KEY"], env["GONG_ACCESS_KEY_SECRET"] = fakegong.TenantCredentials(fakegong.DefaultAccessKey, fakegong.DefaultAccessKeySecret, i)
	}
	for j := 0; j+1 < len(kv); j += 2 {
		env[kv[j]] = kv[j+1]
	}
	return env
}

// list is the environment as KEY=value lines, for processes.
func list(env map[string]string) []string {
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// add registers tenant i as connection c<i> through the command line.
func (e *tenantsEnv) add(t *testing.T, i int, kv ...string) {
	t.Helper()
	code, out, errOut := gongsync(t, e.env(i, kv...), "connections", "add", fmt.Sprintf("c%d", i), "--schema", fmt.Sprintf("gong_c%d", i))
	if code != 0 {
		t.Fatalf("connections add c%d: exit %d\n%s%s", i, code, out, errOut)
	}
}

// The registry from the command line: add stores what the environment gives (the
// secret encrypted, never printed), list shows it, pause keeps workers and syncs off
// it, resume brings it back, and remove forgets it (and drops its data when told).
func TestConnectionsCommands(t *testing.T) {
	t.Parallel()
	e := newTenantsEnv(t, 2, fakegong.Options{Calls: 30})
	_, secret1 := fakegong.TenantCredentials(fakegong.DefaultAccessKey, fakegong.DefaultAccessKeySecret, 1)

	// Nothing to list yet, and looking makes no registry.
	if code, out, _ := gongsync(t, e.env(0), "connections", "list"); code != 0 || !strings.Contains(out, "no connection registry") {
		t.Fatalf("list before any add: exit %d\n%s", code, out)
	}
	if code, _, errOut := gongsync(t, e.env(1), "connections", "add", "c1"); code != 2 || !strings.Contains(errOut, "--schema is required") {
		t.Errorf("add without --schema: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := gongsync(t, e.env(1, "GONGSYNC_ENCRYPTION_KEY", ""), "connections", "add", "c1", "--schema", "gong_c1"); code != 2 ||
		!strings.Contains(errOut, "GONGSYNC_ENCRYPTION_KEY") {
		t.Errorf("add without a key: exit %d\n%s", code, errOut)
	}
	code, out, errOut := gongsync(t, e.env(1, "GONG_DAILY_BUDGET", "1234"), "connections", "add", "c1", "--schema", "gong_c1")
	if code != 0 || !strings.Contains(out, "connection c1 added: schema gong_c1") {
		t.Fatalf("add c1: exit %d\n%s%s", code, out, errOut)
	}
	e.add(t, 2, "GONGSYNC_SCHEDULE_CALLS", "*/5 * * * *")
	if code, _, errOut := gongsync(t, e.env(1), "connections", "add", "c1", "--schema", "gong_c1"); code != 2 || !strings.Contains(errOut, "--update") {
		t.Errorf("adding c1 twice: exit %d\n%s", code, errOut)
	}
	if n := queryInt(e.db, `SELECT count(*) FROM gong_c1.goose_db_version WHERE version_id > 0`); n < 6 {
		t.Errorf("c1's schema has %d migrations applied", n)
	}

	code, out, _ = gongsync(t, e.env(0), "connections", "list")
	t.Logf("connections list:\n%s", out)
	if code != 0 || !strings.Contains(out, "c1") || !strings.Contains(out, "1234") || !strings.Contains(out, `calls="*/5 * * * *"`) {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	_, js, _ := gongsync(t, e.env(0), "connections", "list", "--json")
	var conns []map[string]any
	if err := json.Unmarshal([]byte(js), &conns); err != nil || len(conns) != 2 || conns[0]["schema"] != "gong_c1" || conns[1]["state"] != nil {
		t.Errorf("list --json: %v\n%s", err, js)
	}
	if strings.Contains(out+js, secret1) {
		t.Errorf("a secret is listed:\n%s\n%s", out, js)
	}

	// A sync of one connection writes its schema only.
	if code, out, errOut := gongsync(t, e.env(0), "sync", "--connection", "c1"); code != 0 {
		t.Fatalf("sync --connection c1: exit %d\n%s%s", code, out, errOut)
	}
	if n := queryInt(e.db, `SELECT count(*) FROM gong_c1.calls`); n != 30 {
		t.Errorf("c1 holds %d calls, want 30", n)
	}
	if n := queryInt(e.db, `SELECT count(*) FROM gong_c2.calls`); n != 0 {
		t.Errorf("c2 holds %d calls after c1's sync", n)
	}
	if st := e.tenants.Stats(); st.Tenants[1].Total == 0 || st.Tenants[2].Total != 0 {
		t.Errorf("tenants served %d and %d requests", st.Tenants[1].Total, st.Tenants[2].Total)
	}

	if code, out, _ := gongsync(t, e.env(0), "connections", "pause", "c1"); code != 0 || !strings.Contains(out, "paused") {
		t.Errorf("pause: exit %d\n%s", code, out)
	}
	if code, _, errOut := gongsync(t, e.env(0), "sync", "--connection", "c1"); code != 1 || !strings.Contains(errOut, "connections resume c1") {
		t.Errorf("sync of a paused connection: exit %d\n%s", code, errOut)
	}
	if code, _, _ := gongsync(t, e.env(0), "connections", "resume", "c1"); code != 0 {
		t.Errorf("resume: exit %d", code)
	}
	if code, _, errOut := gongsync(t, e.env(0), "connections", "pause", "nobody"); code != 2 || !strings.Contains(errOut, "no connection nobody") {
		t.Errorf("pause of an unknown connection: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := gongsync(t, e.env(0), "status", "--connection", "nobody"); code != 2 || !strings.Contains(errOut, "connections list") {
		t.Errorf("status of an unknown connection: exit %d\n%s", code, errOut)
	}

	// Status: one connection with its queue, or all of them.
	code, out, errOut = gongsync(t, e.env(0), "status", "--connection", "c1")
	if code != 0 || !strings.Contains(out, "QUEUE (connection c1)") || !strings.Contains(out, "calls") {
		t.Errorf("status --connection c1: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = gongsync(t, e.env(0), "status")
	t.Logf("status:\n%s", out)
	if code != 0 || !strings.Contains(out, "CONNECTIONS") || !strings.Contains(out, "gong_c2") || !strings.Contains(out, "of 1234") {
		t.Errorf("status (a registry: all): exit %d\n%s%s", code, out, errOut)
	}
	var fs fleet.Status
	_, js, _ = gongsync(t, e.env(0), "status", "--all", "--json")
	if err := json.Unmarshal([]byte(js), &fs); err != nil || len(fs.Connections) != 2 || fs.Connections[0].RequestsToday == 0 ||
		fs.Connections[1].LastRun != nil {
		t.Errorf("status --all --json: %v\n%s", err, js)
	}

	// remove keeps the data unless told; --drop-data drops the schema.
	if code, out, _ := gongsync(t, e.env(0), "connections", "remove", "c2"); code != 0 || !strings.Contains(out, "stays in the schema gong_c2") {
		t.Errorf("remove c2: exit %d\n%s", code, out)
	}
	if n := queryInt(e.db, `SELECT count(*) FROM pg_namespace WHERE nspname = 'gong_c2'`); n != 1 {
		t.Error("remove without --drop-data dropped the schema")
	}
	if code, out, _ := gongsync(t, e.env(0), "connections", "remove", "c1", "--drop-data"); code != 0 || !strings.Contains(out, "dropped") {
		t.Errorf("remove c1 --drop-data: exit %d\n%s", code, out)
	}
	if n := queryInt(e.db, `SELECT count(*) FROM pg_namespace WHERE nspname = 'gong_c1'`); n != 0 {
		t.Error("remove --drop-data kept the schema")
	}
	if code, out, _ := gongsync(t, e.env(0), "connections", "list"); code != 0 || strings.Contains(out, "c1") {
		t.Errorf("list after removing both: %s", out)
	}
}

// Rotating GONGSYNC_ENCRYPTION_KEY re-seals the registry's secrets and every
// connection's OAuth tokens without a new login: with the new key every command
// works, with the old one nothing opens, and a second rotation finds nothing to do.
func TestRotateKey(t *testing.T) {
	t.Parallel()
	env, fake, _ := oauthCLIEnv(t)
	db := pgtest.NewDatabase(t)
	env["DATABASE_URL"] = db
	// An OAuth connection, logged in, beside the connection of the environment's own
	// schema (gong), logged in too.
	if code, out, errOut := gongsync(t, env, "connections", "add", "acme", "--schema", "gong_acme"); code != 0 ||
		!strings.Contains(out, "auth login --connection acme") {
		t.Fatalf("add acme: exit %d\n%s%s", code, out, errOut)
	}
	for _, args := range [][]string{{"--connection", "acme"}, nil} {
		if code, _, errOut, _ := loginAs(t, env, nil, args...); code != 0 {
			t.Fatalf("login %v: exit %d\n%s", args, code, errOut)
		}
	}
	basic := maps.Clone(env)
	basic["GONG_OAUTH_CLIENT_ID"], basic["GONG_ACCESS_KEY"], basic["GONG_ACCESS_KEY_SECRET"] = "", fakegong.DefaultAccessKey, fakegong.DefaultAccessKeySecret
	if code, _, errOut := gongsync(t, basic, "connections", "add", "initech", "--schema", "gong_initech"); code != 0 {
		t.Fatalf("add initech: exit %d\n%s", code, errOut)
	}

	const newKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	rotated := maps.Clone(env)
	rotated["GONGSYNC_ENCRYPTION_KEY"], rotated["GONGSYNC_ENCRYPTION_KEY_OLD"] = newKey, testKey
	if code, _, errOut := gongsync(t, maps.Clone(env), "rotate-key"); code != 2 || !strings.Contains(errOut, "GONGSYNC_ENCRYPTION_KEY_OLD") {
		t.Errorf("rotate-key without the old key: exit %d\n%s", code, errOut)
	}
	code, out, errOut := gongsync(t, rotated, "rotate-key")
	t.Logf("rotate-key:\n%s", out)
	if code != 0 {
		t.Fatalf("rotate-key: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"gongsync  connection secrets  2", "gong_acme  OAuth tokens  1", "gong  OAuth tokens  1", "gong_initech  OAuth tokens  0"} {
		if !strings.Contains(strings.Join(strings.Fields(out), "  "), strings.Join(strings.Fields(want), "  ")) {
			t.Errorf("rotate-key's report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, testKey) || strings.Contains(out+errOut, newKey) {
		t.Errorf("a key is printed:\n%s%s", out, errOut)
	}
	code, out, _ = gongsync(t, rotated, "rotate-key")
	if code != 0 || !strings.Contains(strings.Join(strings.Fields(out), " "), "gongsync connection secrets 0 2") {
		t.Errorf("a second rotation: exit %d\n%s", code, out)
	}

	// The new key opens everything: both connections sync, with no new login.
	fake.ResetStats()
	withNew := maps.Clone(env)
	withNew["GONGSYNC_ENCRYPTION_KEY"] = newKey
	for _, args := range [][]string{{"sync", "--connection", "acme", "--streams", "users"}, {"sync", "--streams", "users"},
		{"sync", "--connection", "initech", "--streams", "users"}} {
		if code, out, errOut := gongsync(t, withNew, args...); code != 0 {
			t.Errorf("%v with the new key: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	if st := fake.OAuthStats(); st.CodeExchanges != 2 {
		t.Errorf("OAuth after the rotation: %+v (no new login expected)", st)
	}
	// The old one opens nothing.
	if code, _, errOut := gongsync(t, env, "sync", "--connection", "initech", "--streams", "users"); code == 0 ||
		!strings.Contains(errOut, "GONGSYNC_ENCRYPTION_KEY") {
		t.Errorf("the old key after the rotation: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := gongsync(t, env, "sync", "--streams", "users"); code == 0 || !strings.Contains(errOut, "GONGSYNC_ENCRYPTION_KEY") {
		t.Errorf("the old key on the environment's connection: exit %d\n%s", code, errOut)
	}
}

// auth login --connection stores the tokens in the connection's own schema, and
// clears the failure a missing login caused.
func TestAuthLoginForAConnection(t *testing.T) {
	t.Parallel()
	env, _, _ := oauthCLIEnv(t)
	env["DATABASE_URL"] = pgtest.NewDatabase(t)
	if code, out, errOut := gongsync(t, env, "connections", "add", "acme", "--schema", "gong_acme"); code != 0 {
		t.Fatalf("add: exit %d\n%s%s", code, out, errOut)
	}
	// Before a login the connection cannot sync, and says what to run.
	if code, _, errOut := gongsync(t, env, "sync", "--connection", "acme"); code != 1 || !strings.Contains(errOut, "auth login") {
		t.Errorf("sync before login: exit %d\n%s", code, errOut)
	}
	execSQL(t, env["DATABASE_URL"], `UPDATE gongsync.connections SET failed_at = now(), failure = 'OAuth login required'`)
	if code, _, errOut, _ := loginAs(t, env, nil, "--connection", "acme"); code != 0 {
		t.Fatalf("login --connection acme: exit %d\n%s", code, errOut)
	}
	if n := queryInt(env["DATABASE_URL"], `SELECT count(*) FROM gong_acme.oauth_tokens`); n != 1 {
		t.Errorf("%d token rows in acme's schema", n)
	}
	if n := queryInt(env["DATABASE_URL"], `SELECT count(*) FROM pg_namespace WHERE nspname = 'gong'`); n != 0 {
		t.Error("the login wrote to the default schema")
	}
	if n := queryInt(env["DATABASE_URL"], `SELECT count(*) FROM gongsync.connections WHERE failed_at IS NULL`); n != 1 {
		t.Error("the login left the connection failed")
	}
	if code, out, errOut := gongsync(t, env, "sync", "--connection", "acme"); code != 0 {
		t.Errorf("sync after login: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := gongsync(t, env, "auth", "status", "--connection", "acme"); code != 0 || !strings.Contains(out, "gong_acme.oauth_tokens") {
		t.Errorf("auth status --connection acme: exit %d\n%s", code, out)
	}
}

// A worker of a registry serves neither webhooks nor actions: each belongs to one
// company, so `run` refuses them (exit 2, naming the way) before it takes any job.
func TestRegistryWorkerRefusesOneCompanysServers(t *testing.T) {
	t.Parallel()
	e := newTenantsEnv(t, 1, fakegong.Options{Calls: 10})
	e.add(t, 1)
	for _, kv := range [][2]string{
		{"GONGSYNC_WEBHOOK_ADDR", "127.0.0.1:0"},
		{"GONGSYNC_ACTIONS_ADDR", "127.0.0.1:0"},
	} {
		env := e.env(0, kv[0], kv[1], "GONGSYNC_ACTIONS_TOKEN", strings.Repeat("t", 40), "GONGSYNC_WEBHOOK_TOKEN", strings.Repeat("w", 40))
		code, out, errOut := gongsync(t, env, "run")
		if code != 2 || !strings.Contains(errOut, kv[0]) || !strings.Contains(errOut, "--connection NAME") {
			t.Errorf("run with %s: exit %d\n%s%s", kv[0], code, out, errOut)
		}
	}
	if n := queryInt(e.db, `SELECT count(*) FROM gongsync.river_job`); n != 0 {
		t.Errorf("a refused worker enqueued %d jobs", n)
	}
}
