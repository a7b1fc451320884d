// Package pgtest gives tests a real Postgres: the one in TEST_DATABASE_URL when set,
// otherwise a throwaway cluster started from the system's initdb and pg_ctl on a unix
// socket, one per test binary. Each test gets a database of its own, so tests run in
// parallel without seeing each other's rows or advisory locks.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// and then pgtest.NewDatabase(t) in each test for an empty database, or, for a
// migrated one, a package-level Template:
//
//	var migrated = pgtest.NewTemplate(func(ctx context.Context, url string) error { … migrate url … })
//
// and migrated.NewDatabase(t), which costs a migration once per test binary instead
// of once per test.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	shared     *Cluster
	sharedURL  string // admin URL of the shared server (cluster or TEST_DATABASE_URL)
	sharedErr  error
	sharedOnce sync.Once
)

// Main runs the package's tests and stops the shared cluster afterwards, if one was
// started, or drops the templates it made on the server of TEST_DATABASE_URL. The
// cluster starts lazily: packages whose tests never ask for a database never pay for
// one.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	} else {
		dropTemplates()
	}
	os.Exit(code)
}

// AdminURL returns the URL of a superuser connection to the shared test server,
// starting the throwaway cluster on first use. It fails the test when no server can
// be had; outside CI, a machine without Postgres binaries skips instead.
func AdminURL(t testing.TB) string {
	t.Helper()
	sharedOnce.Do(func() {
		if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
			sharedURL = u
			return
		}
		shared, sharedErr = StartCluster()
		if sharedErr == nil {
			sharedURL = shared.URL("postgres")
		}
	})
	if sharedErr != nil {
		failOrSkip(t, sharedErr)
	}
	return sharedURL
}

// failOrSkip fails when CI is set (a missing database must not pass silently there) and
// skips otherwise, so a developer without Postgres can still run the pure tests.
func failOrSkip(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") != "" || os.Getenv("PGTEST_REQUIRED") != "" {
		t.Fatalf("pgtest: %v", err)
	}
	t.Skipf("pgtest: %v", err)
}

// NewDatabase creates an empty database for this test, drops it when the test ends,
// and returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	name := "t_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := adminExec(ctx, admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0"); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		dropDatabase(ctx, admin, name)
	})
	return WithDatabase(admin, name)
}

// WithDatabase returns rawURL with its database name replaced.
func WithDatabase(rawURL, db string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		// Keyword/value connection strings: append the override; the last one wins.
		return rawURL + " dbname=" + db
	}
	u.Path = "/" + db
	return u.String()
}

func adminExec(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// installHint is what to do when no Postgres binaries are found.
const installHint = "no PostgreSQL server binaries (initdb, pg_ctl) found on PATH or in /usr/lib/postgresql/*/bin; " +
	"install them (Debian/Ubuntu: apt-get install -y postgresql) or set TEST_DATABASE_URL to a server tests may create databases on"

// errorf keeps messages of this package recognisable.
func errorf(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}
