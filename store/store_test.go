package store

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestValidateSchema(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"gong", true},
		{"_x", true},
		{"gong_2", true},
		{"a" + strings.Repeat("b", 62), true},
		{"Gong_2", false},                      // Postgres would fold it to gong_2 in unquoted SQL
		{"a" + strings.Repeat("b", 63), false}, // 64 characters: Postgres would truncate it
		{"", false},
		{"2gong", false},
		{"gong-sync", false},
		{`gong"; DROP SCHEMA public; --`, false},
		{"gong.calls", false},
		{"göng", false},
		{"pg_gong", false},
		{"pg_temp", false},
		{"pg_catalog", false},
		{"information_schema", false},
		{"select", false},
		{"user", false},
		{"public", true},
	} {
		err := ValidateSchema(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateSchema(%q) = %v; want ok=%v", tc.in, err, tc.ok)
		}
	}
	if err := ValidateSchema("Gong"); err == nil || !strings.Contains(err.Error(), `"gong"`) {
		t.Errorf("an upper-case name: %v; want the lower-case one suggested", err)
	}
	if _, err := Open(context.Background(), Options{DatabaseURL: "postgres://localhost/x", Schema: "bad-name"}); err == nil ||
		!strings.Contains(err.Error(), "invalid schema name") {
		t.Fatalf("Open with a bad schema: %v", err)
	}
}

// The reserved words refused are the server's own: every word Postgres lists as
// reserved (R) or reserved but usable as a function or type name (T) is refused, and
// every word refused beyond them is one a newer Postgres reserves.
func TestReservedWordsAreTheServers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT word FROM pg_get_keywords() WHERE catcode IN ('R', 'T')`)
	if err != nil {
		t.Fatal(err)
	}
	words, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	server := map[string]bool{}
	for _, w := range words {
		server[w] = true
		if ValidateSchema(w) == nil {
			t.Errorf("%q is reserved by the server but accepted as a schema name", w)
		}
	}
	newer := map[string]bool{"system_user": true} // reserved since Postgres 16
	for w := range reservedWords {
		if !server[w] && !newer[w] {
			t.Errorf("%q is refused but the server does not reserve it", w)
		}
	}
	// A name the rule accepts is one Postgres takes unquoted.
	if _, err := conn.Exec(ctx, `CREATE SCHEMA public_2; CREATE SCHEMA _x`); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrorsHideThePassword(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-Hunter2"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, dsn := range []string{
		"postgres://gong:" + secret + "@127.0.0.1:1/gong?connect_timeout=2", // nobody listens on port 1
		"postgres://gong:" + secret + "@127.0.0.1:notaport/gong",            // does not parse
		"postgres://gong:" + url.QueryEscape(secret+"/@") + "@127.0.0.1:1/gong?connect_timeout=2",
		"host=127.0.0.1 port=1 user=gong password=" + secret + " dbname=gong connect_timeout=2",
		"host=127.0.0.1 port=x user=gong password='" + secret + "' dbname=gong",
	} {
		_, err := Open(ctx, Options{DatabaseURL: dsn})
		if err == nil {
			t.Fatalf("Open(%q) succeeded", dsn)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), url.QueryEscape(secret)) {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestMigrateIsIdempotentAndReportsStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t, pgtest.NewDatabase(t), "")

	// Before any migration: all pending, and asking does not create anything.
	st, err := s.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) == 0 || st[0].Version != 1 || st[0].Name != "init" || st[0].AppliedAt != nil {
		t.Fatalf("status before migrating: %+v", st)
	}
	if cur, err := s.MigrationsCurrent(ctx); err != nil || cur {
		t.Fatalf("MigrationsCurrent before migrating = %v, %v", cur, err)
	}
	var schemas int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = 'gong'").Scan(&schemas); err != nil || schemas != 0 {
		t.Fatalf("status created the schema (%d, %v)", schemas, err)
	}

	for i := range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate #%d: %v", i+1, err)
		}
	}
	st, err = s.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range st {
		if m.AppliedAt == nil || time.Since(*m.AppliedAt).Abs() > time.Hour {
			t.Errorf("after migrating: %d %s applied at %v", m.Version, m.Name, m.AppliedAt)
		}
	}
	if cur, err := s.MigrationsCurrent(ctx); err != nil || !cur {
		t.Fatalf("MigrationsCurrent after migrating = %v, %v", cur, err)
	}
	var applied int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM gong.goose_db_version WHERE version_id > 0").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != len(st) {
		t.Fatalf("version table has %d rows for %d migrations: a second Migrate applied again", applied, len(st))
	}
}

func TestConcurrentMigrationsDoNotRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDatabase(t)
	// Two pools stand for two processes starting together, each with goroutines racing;
	// one of them as small as a pool may be, which must not starve itself.
	small, err := Open(ctx, Options{DatabaseURL: db, MaxConns: minMaxConns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(small.Close)
	stores := []*Store{openStore(t, db, ""), small}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- stores[i%2].Migrate(ctx)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent migrate: %v", err)
		}
	}
	for _, s := range stores {
		if cur, err := s.MigrationsCurrent(ctx); err != nil || !cur {
			t.Fatalf("MigrationsCurrent = %v, %v", cur, err)
		}
	}
}

func TestNonDefaultSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDatabase(t)
	s := openStore(t, db, "acme_gong")
	if s.Schema() != "acme_gong" {
		t.Fatalf("Schema() = %q", s.Schema())
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Transact(ctx, func(tx *Tx) error {
		_, err := tx.UpsertCalls(ctx, []Call{makeCall(1)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var where []string
	rows, err := s.pool.Query(ctx, "SELECT DISTINCT schemaname FROM pg_tables WHERE tablename IN ('calls', 'goose_db_version')")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		where = append(where, n)
	}
	if len(where) != 1 || where[0] != "acme_gong" {
		t.Fatalf("tables live in %v, want only acme_gong", where)
	}
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM acme_gong.calls").Scan(&n); err != nil || n != 1 {
		t.Fatalf("acme_gong.calls has %d rows (%v)", n, err)
	}

	// A second deployment in the default schema of the same database is independent.
	other := openStore(t, db, "")
	if cur, err := other.MigrationsCurrent(ctx); err != nil || cur {
		t.Fatalf("default schema reports current before its own migration: %v, %v", cur, err)
	}
}

func TestOpenRefusesATinyPool(t *testing.T) {
	t.Parallel()
	_, err := Open(context.Background(), Options{DatabaseURL: pgtest.NewDatabase(t), MaxConns: 2})
	if err == nil || !strings.Contains(err.Error(), "MaxConns") {
		t.Fatalf("Open with MaxConns 2: %v", err)
	}
}

func TestNowIsTheDatabaseClock(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	a, err := s.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !b.After(a) || time.Since(a).Abs() > time.Minute {
		t.Fatalf("Now: %v then %v", a, b)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestLockStream(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDatabase(t)
	a, b := openStore(t, db, ""), openStore(t, db, "")

	unlock, err := a.LockStream(ctx, "calls", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.LockStream(ctx, "calls", false); !errors.Is(err, ErrStreamLocked) {
		t.Fatalf("second TryLock: %v, want ErrStreamLocked", err)
	}
	// Another stream, and the same stream in another schema, are separate locks.
	u2, err := b.LockStream(ctx, "users", false)
	if err != nil {
		t.Fatalf("other stream: %v", err)
	}
	u2()
	c := openStore(t, db, "other")
	u3, err := c.LockStream(ctx, "calls", false)
	if err != nil {
		t.Fatalf("same stream, other schema: %v", err)
	}
	u3()

	// A waiting lock gives up with its context.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := b.LockStream(short, "calls", true); err == nil {
		t.Fatal("waiting lock returned while the lock was held")
	}

	// A waiter gets the lock once it is released.
	got := make(chan error, 1)
	go func() {
		u, err := b.LockStream(ctx, "calls", true)
		if err == nil {
			u()
		}
		got <- err
	}()
	// It must not return before the unlock: wait until Postgres shows it waiting for
	// the lock (an advisory lock not granted in this test's database), then check.
	for deadline := time.Now().Add(10 * time.Second); waitingLocks(t, a) == 0; {
		select {
		case err := <-got:
			t.Fatalf("waiter returned before unlock: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the waiter never waited for the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-got:
		t.Fatalf("waiter returned before unlock: %v", err)
	default:
	}
	unlock()
	unlock() // a second call is harmless
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("waiter: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("waiter did not get the lock after unlock")
	}
	u4, err := b.LockStream(ctx, "calls", false)
	if err != nil {
		t.Fatalf("TryLock after unlock: %v", err)
	}
	u4()
}

func TestMigrateIntoASchemaMadeByTheDBA(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDatabase(t)
	admin := openStore(t, db, "")
	// A role that may not create schemas, given one by its DBA.
	role := "app_" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "_")
	for _, q := range []string{
		"CREATE ROLE " + role + " LOGIN",
		"CREATE SCHEMA gong AUTHORIZATION " + role,
	} {
		if _, err := admin.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_, _ = admin.pool.Exec(context.Background(), "DROP SCHEMA gong CASCADE; DROP ROLE "+role)
	})
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	app := openStore(t, u.String(), "")
	if err := app.Migrate(ctx); err != nil {
		t.Fatalf("migrate as %s: %v", role, err)
	}
	if err := app.Transact(ctx, func(tx *Tx) error {
		_, err := tx.UpsertCalls(ctx, []Call{makeCall(1)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// And the role really could not have created it.
	if _, err := app.pool.Exec(ctx, "CREATE SCHEMA other"); err == nil {
		t.Fatal("the role may create schemas; the test proves nothing")
	}
}

// waitingLocks counts the advisory locks asked for and not yet granted in s's
// database: a waiter blocked on a held lock, as Postgres sees it.
func waitingLocks(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	err := s.Pool().QueryRow(context.Background(), `SELECT count(*) FROM pg_locks
		WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
