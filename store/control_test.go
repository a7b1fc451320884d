package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/gongsync/gongsync/internal/secretbox"
)

// openControl opens the control schema of a fresh database, migrated.
func openControl(t *testing.T, url string, box *secretbox.Box) *Control {
	t.Helper()
	c, err := OpenControl(context.Background(), ControlOptions{Options: Options{DatabaseURL: url}, Box: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func basicConnection(name, schema, secret string) Connection {
	return Connection{Name: name, Schema: schema, BaseURL: "https://api.gong.io", AuthMode: AuthBasic,
		AccessKey: "KEY-" + name, AccessKeySecret: SecretText(secret)}
}

// The registry lives in a control schema of its own, migrated by its own goose series
// and River's migrator; a database that never had one has no registry, and looking
// creates nothing.
func TestControlSchemaMigratesAndIsFoundOnlyOnceMade(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	c := openControl(t, url, nil)
	if ok, err := c.Exists(ctx); err != nil || ok {
		t.Fatalf("a fresh database: registry exists %v (%v)", ok, err)
	}
	if ok, err := c.MigrationsCurrent(ctx); err != nil || ok {
		t.Fatalf("before migrating: current %v (%v)", ok, err)
	}
	var schemas int
	if err := c.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = 'gongsync'`).Scan(&schemas); err != nil || schemas != 0 {
		t.Fatalf("looking for the registry made its schema (%d, %v)", schemas, err)
	}
	for range 2 { // idempotent
		if err := c.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := c.Exists(ctx); err != nil || !ok {
		t.Fatalf("after migrating: registry exists %v (%v)", ok, err)
	}
	if ok, err := c.MigrationsCurrent(ctx); err != nil || !ok {
		t.Fatalf("after migrating: current %v (%v)", ok, err)
	}
	var tables []string
	rows, err := c.Pool().Query(ctx, `SELECT tablename::text FROM pg_tables WHERE schemaname = 'gongsync' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	if tables, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"connections", "goose_control_version", "river_job", "river_leader", "river_migration", "river_queue"} {
		if !strings.Contains(" "+strings.Join(tables, " ")+" ", " "+want+" ") {
			t.Errorf("the control schema lacks %s: %v", want, tables)
		}
	}
	// Nothing of a connection's schema is in it.
	if strings.Contains(strings.Join(tables, " "), "sync_runs") || strings.Contains(strings.Join(tables, " "), "goose_db_version") {
		t.Errorf("a connection's tables in the control schema: %v", tables)
	}

	// gongsync's own tables there explain themselves, like a connection's (River's
	// are River's).
	rows, err = c.Pool().Query(ctx, `
		SELECT c.relname || coalesce('.' || a.attname, '') FROM pg_class c
		LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.relnamespace = 'gongsync'::regnamespace AND c.relkind = 'r' AND c.relname NOT LIKE 'river%'
		  AND (coalesce(obj_description(c.oid, 'pg_class'), '') = '' OR (a.attname IS NOT NULL AND coalesce(col_description(c.oid, a.attnum), '') = ''))`)
	if err != nil {
		t.Fatal(err)
	}
	bare, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(bare) > 0 {
		t.Errorf("without a COMMENT: %v", bare)
	}
}

// A connection's secrets are sealed at rest, bound to their row and column, and come
// back open only with the key; listing, pausing and resuming need no key.
func TestRegistryKeepsSecretsSealed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	c := openControl(t, url, testBox(t, 3))
	if err := c.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const secret = "s3cr3t-Of-Acme-0123456789"
	budget, rate := 4000, 2.5
	acme := basicConnection("acme", "gong_acme", secret)
	acme.DailyBudget, acme.RateLimit, acme.ScheduleCalls = &budget, &rate, "*/5 * * * *"
	saved, err := c.AddConnection(ctx, acme, false)
	if err != nil {
		t.Fatal(err)
	}
	if !saved.Encrypted || saved.AccessKeySecret.Reveal() != secret || *saved.DailyBudget != 4000 || *saved.RateLimit != 2.5 || saved.BackfillShare != nil {
		t.Errorf("saved: %+v", saved)
	}
	globex := Connection{Name: "globex", Schema: "gong_globex", BaseURL: "https://eu.api.gong.io", AuthMode: AuthOAuth,
		OAuthClientID: "client", OAuthClientSecret: "client-secret-XYZ"}
	if _, err := c.AddConnection(ctx, globex, false); err != nil {
		t.Fatal(err)
	}

	// What a dump of the table shows: no secret.
	var raw string
	if err := c.Pool().QueryRow(ctx, `SELECT string_agg(concat_ws('|', t::text, encode(access_key_secret, 'escape'),
		encode(oauth_client_secret, 'escape')), '\n') FROM connections t`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secret, "client-secret-XYZ"} {
		if strings.Contains(raw, s) {
			t.Errorf("%q readable in the table:\n%s", s, raw)
		}
	}
	// Nor does a Connection printed or encoded by mistake.
	got, err := c.Connection(ctx, "acme")
	if err != nil || got.AccessKeySecret.Reveal() != secret {
		t.Fatalf("read back: %v", err)
	}
	b, _ := json.Marshal(got)
	if printed := fmt.Sprintf("%v %+v %#v %s", got, got, got, b); strings.Contains(printed, secret) {
		t.Errorf("the secret is printed: %s", printed)
	}

	// Sealed to its row: swapping the two rows' secrets makes both unreadable.
	if _, err := c.Pool().Exec(ctx, `UPDATE connections SET oauth_client_secret = (SELECT access_key_secret FROM connections WHERE name = 'acme')
		WHERE name = 'globex'`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Connection(ctx, "globex"); err == nil || !errors.Is(err, secretbox.ErrOpen) {
		t.Errorf("a secret moved to another row opened: %v", err)
	}

	// Another key opens nothing and says so; no key at all is refused by name.
	other := openControl(t, url, testBox(t, 4))
	if _, err := other.Connection(ctx, "acme"); err == nil || !strings.Contains(err.Error(), "GONGSYNC_ENCRYPTION_KEY") {
		t.Errorf("with another key: %v", err)
	}
	none := openControl(t, url, nil)
	if _, err := none.Connection(ctx, "acme"); !errors.Is(err, ErrNoEncryptionKey) {
		t.Errorf("without a key: %v", err)
	}
	if _, err := none.AddConnection(ctx, basicConnection("initech", "gong_initech", "x"), false); !errors.Is(err, ErrNoEncryptionKey) {
		t.Errorf("adding without a key: %v", err)
	}
	list, err := none.Connections(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "acme" || list[0].AccessKeySecret != "" || list[1].AuthMode != AuthOAuth {
		t.Fatalf("list without a key: %+v %v", list, err)
	}
	if err := none.SetPaused(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	if err := none.MarkFailed(ctx, "globex", "Gong refused the credentials"); err != nil {
		t.Fatal(err)
	}
	list, _ = none.Connections(ctx)
	if list[0].State() != "paused" || list[1].State() != "failed" || list[1].Failure == "" {
		t.Errorf("states: %s %s %q", list[0].State(), list[1].State(), list[1].Failure)
	}
	if err := none.SetPaused(ctx, "globex", false); err != nil {
		t.Fatal(err)
	}
	if list, _ = none.Connections(ctx); list[1].State() != "active" || list[1].Failure != "" {
		t.Errorf("resumed: %s %q", list[1].State(), list[1].Failure)
	}
	if err := none.SetPaused(ctx, "nobody", true); !errors.Is(err, ErrNoConnection) {
		t.Errorf("pausing an unknown connection: %v", err)
	}
}

// Names, schemas and credentials are checked before anything is written; a name or a
// schema is one connection's only, and --update replaces credentials, never the schema.
func TestRegistryRefusesBadRowsAndDuplicates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := openControl(t, pgtest.NewDatabase(t), testBox(t, 5))
	if err := c.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		cn   Connection
		want string
	}{
		{basicConnection("Acme", "gong_acme", "s"), "connection name"},
		{basicConnection("acme corp", "gong_acme", "s"), "connection name"},
		{basicConnection("acme", "Gong", "s"), "schema"},
		{basicConnection("acme", "pg_acme", "s"), "schema"},
		{basicConnection("acme", "gong_acme", ""), "access key and its secret"},
		{Connection{Name: "acme", Schema: "gong_acme", BaseURL: "ftp://x", AuthMode: AuthBasic, AccessKey: "k", AccessKeySecret: "s"}, "base URL"},
		{Connection{Name: "acme", Schema: "gong_acme", BaseURL: "https://me:pw@x", AuthMode: AuthBasic, AccessKey: "k", AccessKeySecret: "s"}, "base URL"},
		{Connection{Name: "acme", Schema: "gong_acme", BaseURL: "https://x", AuthMode: AuthOAuth}, "client id and secret"},
	}
	for _, b := range bad {
		if _, err := c.AddConnection(ctx, b.cn, false); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: %v, want %q", b.cn, err, b.want)
		}
	}
	if list, _ := c.Connections(ctx); len(list) != 0 {
		t.Fatalf("refused rows were written: %v", list)
	}
	if _, err := c.AddConnection(ctx, basicConnection("acme", "gong_acme", "one"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddConnection(ctx, basicConnection("acme", "gong_acme", "two"), false); !errors.Is(err, ErrConnectionExists) {
		t.Errorf("adding acme twice: %v", err)
	}
	if _, err := c.AddConnection(ctx, basicConnection("acme2", "gong_acme", "two"), false); err == nil || !strings.Contains(err.Error(), "another connection's") {
		t.Errorf("a second connection in acme's schema: %v", err)
	}
	if _, err := c.AddConnection(ctx, basicConnection("acme", "gong_other", "two"), true); err == nil || !strings.Contains(err.Error(), "schema cannot change") {
		t.Errorf("moving acme's schema by --update: %v", err)
	}
	if _, err := c.AddConnection(ctx, basicConnection("nobody", "gong_nobody", "two"), true); !errors.Is(err, ErrNoConnection) {
		t.Errorf("updating an unknown connection: %v", err)
	}
	if err := c.MarkFailed(ctx, "acme", "refused"); err != nil {
		t.Fatal(err)
	}
	up, err := c.AddConnection(ctx, basicConnection("acme", "gong_acme", "two"), true)
	if err != nil || up.AccessKeySecret.Reveal() != "two" || up.Generation != 2 || up.FailedAt != nil {
		t.Errorf("update: %+v %v", up, err)
	}
	gone, err := c.RemoveConnection(ctx, "acme")
	if err != nil || gone.Schema != "gong_acme" {
		t.Fatalf("remove: %+v %v", gone, err)
	}
	if _, err := c.RemoveConnection(ctx, "acme"); !errors.Is(err, ErrNoConnection) {
		t.Errorf("removing twice: %v", err)
	}
	if err := c.DropSchema(ctx, "gongsync"); err == nil {
		t.Error("the control schema itself was dropped")
	}
}

// Rotating GONGSYNC_ENCRYPTION_KEY re-seals every secret of the registry and every
// OAuth token of a schema in one transaction each; a second run finds them done, and
// a value neither key opens leaves everything as it was.
func TestResealUnderANewKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	prev, next := testBox(t, 6), testBox(t, 7)
	c := openControl(t, url, prev)
	if err := c.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b"} {
		if _, err := c.AddConnection(ctx, basicConnection(n, "gong_"+n, "secret-"+n), false); err != nil {
			t.Fatal(err)
		}
	}
	st := openStore(t, url, "gong_a")
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Tokens(TokenOptions{Box: prev}).Save(ctx, sampleToken("at-1", "rt-1")); err != nil {
		t.Fatal(err)
	}

	res, err := c.ResealConnections(ctx, prev, next)
	if err != nil || res.Resealed != 2 || res.Already != 0 {
		t.Fatalf("registry: %+v %v", res, err)
	}
	tres, err := st.ResealTokens(ctx, prev, next)
	if err != nil || tres.Resealed != 1 {
		t.Fatalf("tokens: %+v %v", tres, err)
	}
	again, err := c.ResealConnections(ctx, prev, next)
	if err != nil || again.Resealed != 0 || again.Already != 2 {
		t.Errorf("a second rotation: %+v %v", again, err)
	}
	after := openControl(t, url, next)
	for _, n := range []string{"a", "b"} {
		if cn, err := after.Connection(ctx, n); err != nil || cn.AccessKeySecret.Reveal() != "secret-"+n {
			t.Errorf("%s under the new key: %v", n, err)
		}
	}
	tok, err := st.Tokens(TokenOptions{Box: next}).Load(ctx, DefaultConnection)
	if err != nil || tok.AccessToken != "at-1" || tok.RefreshToken != "rt-1" || tok.Generation != 1 {
		t.Errorf("token under the new key: %v %v", tok, err)
	}
	if _, err := st.Tokens(TokenOptions{Box: prev}).Load(ctx, DefaultConnection); err == nil {
		t.Error("the old key still opens the token")
	}

	// A third key that opens nothing: refused, nothing changes.
	wrong := testBox(t, 8)
	if _, err := after.ResealConnections(ctx, wrong, testBox(t, 9)); err == nil || !strings.Contains(err.Error(), "neither the old key nor the new one") {
		t.Errorf("rotating from a wrong key: %v", err)
	}
	if cn, err := after.Connection(ctx, "a"); err != nil || cn.AccessKeySecret.Reveal() != "secret-a" {
		t.Errorf("after a refused rotation: %v", err)
	}
}

// A connection is active, paused or failed: a pause wins over a failure, resuming
// clears both (the operator says the cause is fixed), a new login clears the failure
// only, and a second failure keeps the first one's time with the newest reason.
func TestConnectionStates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := openControl(t, pgtest.NewDatabase(t), testBox(t, 3))
	if err := c.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddConnection(ctx, basicConnection("acme", "gong_acme", "s"), false); err != nil {
		t.Fatal(err)
	}
	get := func() Connection {
		t.Helper()
		cn, err := c.ConnectionInfo(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		return cn
	}
	state := func(want string) Connection {
		t.Helper()
		cn := get()
		if cn.State() != want || cn.Active() != (want == "active") {
			t.Fatalf("state %s (active %v), want %s", cn.State(), cn.Active(), want)
		}
		return cn
	}
	state("active")

	if err := c.MarkFailed(ctx, "acme", "Gong refused the key"); err != nil {
		t.Fatal(err)
	}
	first := state("failed")
	if err := c.MarkFailed(ctx, "acme", "Gong refused the key again"); err != nil {
		t.Fatal(err)
	}
	again := state("failed")
	if !again.FailedAt.Equal(*first.FailedAt) || again.Failure != "Gong refused the key again" {
		t.Errorf("a second failure: at %v (first %v), reason %q", again.FailedAt, first.FailedAt, again.Failure)
	}

	if err := c.SetPaused(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	paused := state("paused")
	if err := c.SetPaused(ctx, "acme", true); err != nil { // pausing twice keeps the first pause's time
		t.Fatal(err)
	}
	if p := state("paused"); !p.PausedAt.Equal(*paused.PausedAt) {
		t.Errorf("a second pause moved its time: %v, first %v", p.PausedAt, paused.PausedAt)
	}
	if err := c.ClearFailure(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if cn := state("paused"); cn.FailedAt != nil || cn.Failure != "" {
		t.Errorf("a new login left the failure: %v %q", cn.FailedAt, cn.Failure)
	}

	if err := c.MarkFailed(ctx, "acme", "refused"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetPaused(ctx, "acme", false); err != nil {
		t.Fatal(err)
	}
	if cn := state("active"); cn.FailedAt != nil || cn.Failure != "" || cn.PausedAt != nil {
		t.Errorf("resumed: %+v", cn)
	}

	for name, err := range map[string]error{
		"pause":  c.SetPaused(ctx, "nobody", true),
		"resume": c.SetPaused(ctx, "nobody", false),
		"fail":   c.MarkFailed(ctx, "nobody", "x"),
	} {
		if !errors.Is(err, ErrNoConnection) {
			t.Errorf("%s an unknown connection: %v", name, err)
		}
	}
}

// The queue's counts are River's jobs of one kind by connection, stream and state,
// finished ones left out; a scheduled job whose time has come is due (available).
func TestQueueCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := openControl(t, pgtest.NewDatabase(t), nil)
	if err := c.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	jobs := []struct {
		kind, conn, stream, state string
		at                        string // scheduled_at, relative to now
	}{
		{"gongsync_stream", "c1", "calls", "available", "-1 minute"},
		{"gongsync_stream", "c1", "calls", "available", "-2 minutes"},
		{"gongsync_stream", "c1", "transcripts", "scheduled", "1 hour"},
		{"gongsync_stream", "c1", "users", "scheduled", "-5 minutes"},
		{"gongsync_stream", "c2", "calls", "running", "-1 minute"},
		{"gongsync_stream", "c2", "calls", "completed", "-1 hour"},
		{"gongsync_stream", "c2", "users", "cancelled", "-1 hour"},
		{"gongsync_stream", "c2", "settle", "discarded", "-3 hours"},
		{"other_kind", "c1", "calls", "available", "-1 minute"},
	}
	for _, j := range jobs {
		_, err := c.Pool().Exec(ctx, `INSERT INTO gongsync.river_job (kind, args, state, scheduled_at, max_attempts, finalized_at)
			VALUES ($1, jsonb_build_object('connection', $2::text, 'stream', $3::text), $4::gongsync.river_job_state, now() + $5::interval, 5,
				CASE WHEN $4 IN ('completed', 'cancelled', 'discarded') THEN now() END)`, j.kind, j.conn, j.stream, j.state, j.at)
		if err != nil {
			t.Fatal(err)
		}
	}
	counts, err := c.QueueCounts(ctx, "gongsync_stream")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range counts {
		got = append(got, fmt.Sprintf("%s/%s %s %d", n.Connection, n.Stream, n.State, n.Jobs))
	}
	want := []string{"c1/calls available 2", "c1/transcripts scheduled 1", "c1/users available 1", "c2/calls running 1", "c2/settle discarded 1"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("counts:\n got  %v\n want %v", got, want)
	}
	// Oldest is the earliest due of the group: c1's calls were due 2 and 1 minutes ago.
	if late := time.Since(counts[0].Oldest); late < 110*time.Second || late > 3*time.Minute {
		t.Errorf("the oldest of c1/calls was due %s ago, want about 2 minutes", late)
	}
}

// A fleet's status reads each connection's figures through the control schema's
// pool: a schema never migrated says so; a migrated one gives the day's requests, the
// newest run, and the streams whose newest run failed.
func TestConnectionFigures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	c := openControl(t, url, nil)
	if err := c.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, url, "gong_a")
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for range 3 {
		if err := st.ReserveRequest(ctx, day, 100); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []struct {
		stream string
		status RunStatus
	}{{"users", RunSucceeded}, {"users", RunFailed}, {"calls", RunFailed}, {"calls", RunSucceeded}} {
		id, err := st.StartRun(ctx, r.stream, "scheduled")
		if err != nil {
			t.Fatal(err)
		}
		res := RunResult{Status: r.status, Requests: 1}
		if r.status == RunFailed {
			res.Err = "boom"
		}
		if err := st.FinishRun(ctx, id, res); err != nil {
			t.Fatal(err)
		}
	}

	figs, err := c.ConnectionFigures(ctx, []string{"gong_a", "gong_never"}, day)
	if err != nil {
		t.Fatal(err)
	}
	if f := figs["gong_never"]; f.Migrated || f.LastRun != nil {
		t.Errorf("an unmigrated schema: %+v", f)
	}
	f := figs["gong_a"]
	if !f.Migrated || f.RequestsToday != 3 || f.NewestCall != nil || f.TranscriptsWaiting != 0 {
		t.Errorf("gong_a: %+v", f)
	}
	if f.LastRun == nil || f.LastRun.Stream != "calls" || f.LastRun.Status != RunSucceeded {
		t.Errorf("gong_a's last run: %+v", f.LastRun)
	}
	if strings.Join(f.FailingStreams, ",") != "users" {
		t.Errorf("failing streams %v, want users (calls failed, then succeeded)", f.FailingStreams)
	}
	other, err := c.ConnectionFigures(ctx, []string{"gong_a"}, day.AddDate(0, 0, 1))
	if err != nil || other["gong_a"].RequestsToday != 0 {
		t.Errorf("another day's requests: %+v %v", other["gong_a"], err)
	}
}
