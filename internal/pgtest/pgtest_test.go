package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func TestDatabasesAreIsolated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := NewDatabase(t), NewDatabase(t)
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, "CREATE TABLE only_in_a (x int)"); err != nil {
		t.Fatal(err)
	}
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	var n int
	if err := cb.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database b sees a's table")
	}
}

func TestClusterRestartKeepsData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := NewCluster(t)
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := conn.Ping(ctx); err == nil {
		t.Fatal("old connection survived a server restart")
	}
	conn2, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close(ctx)
	var x int
	if err := conn2.QueryRow(ctx, "SELECT x FROM kept").Scan(&x); err != nil || x != 42 {
		t.Fatalf("after restart: x=%d err=%v", x, err)
	}
}

// kitTemplate is a small stand-in for a migrated database: a schema, a table whose
// ids come from a sequence, a table with a row (like goose's version table) and a
// function.
func kitTemplate() *Template {
	return NewTemplate(func(ctx context.Context, url string) error {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `CREATE SCHEMA kit;
			CREATE TABLE kit.rows (id bigserial PRIMARY KEY, v text NOT NULL);
			CREATE TABLE kit.version (n int NOT NULL); INSERT INTO kit.version VALUES (7);
			CREATE FUNCTION kit.two() RETURNS int LANGUAGE sql AS 'SELECT 2'`)
		return err
	})
}

func databaseName(t *testing.T, url string) string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var name string
	if err := conn.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

func execSQL(t *testing.T, url string, sql ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, s := range sql {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func exists(t *testing.T, db string) bool {
	t.Helper()
	var n int
	conn, err := pgx.Connect(context.Background(), AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = $1", db).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// A copy a test used comes back to the next test emptied, sequences restarted, with
// the template's rows and objects.
func TestTemplateCopiesAreResetAndReused(t *testing.T) {
	t.Parallel()
	tp := kitTemplate()
	var first string
	t.Run("write", func(t *testing.T) {
		url := tp.NewDatabase(t)
		first = databaseName(t, url)
		execSQL(t, url, "INSERT INTO kit.rows (v) VALUES ('a'), ('b'), ('c')")
	})
	t.Run("read", func(t *testing.T) {
		url := tp.NewDatabase(t)
		if got := databaseName(t, url); got != first {
			t.Fatalf("got database %s, want the reset %s back", got, first)
		}
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var rows, version, two int
		var id int64
		if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM kit.rows), (SELECT n FROM kit.version), kit.two()`).Scan(&rows, &version, &two); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(ctx, `INSERT INTO kit.rows (v) VALUES ('x') RETURNING id`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if rows != 0 || version != 7 || two != 2 || id != 1 {
			t.Fatalf("reset copy: %d rows, version %d, two() %d, next id %d; want 0, 7, 2, 1", rows, version, two, id)
		}
	})
}

// A copy left different from its template in anything but the rows of its empty
// tables is dropped, not handed to another test.
func TestTemplateCopiesLeftDifferentAreDropped(t *testing.T) {
	t.Parallel()
	tp := kitTemplate()
	sql := func(stmt string) func(t *testing.T, url string) func() {
		return func(t *testing.T, url string) func() {
			execSQL(t, url, stmt)
			return nil
		}
	}
	for _, c := range []struct {
		name  string
		dirty func(t *testing.T, url string) (after func())
	}{
		{"a column added", sql("ALTER TABLE kit.rows ADD COLUMN w int")},
		{"a table created", sql("CREATE TABLE public.extra (x int)")},
		{"a schema created", sql("CREATE SCHEMA other")},
		{"a constraint dropped", sql("ALTER TABLE kit.rows DROP CONSTRAINT rows_pkey")},
		{"a function replaced", sql("CREATE OR REPLACE FUNCTION kit.two() RETURNS int LANGUAGE sql AS 'SELECT 3'")},
		{"a row of a non-empty table changed", sql("UPDATE kit.version SET n = 8")},
		{"a database setting", sql("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET work_mem = ''8MB''', current_database()); END $$")},
		{"a privilege granted", sql("GRANT SELECT ON kit.rows TO PUBLIC")},
		{"a connection left open", func(t *testing.T, url string) func() {
			conn, err := pgx.Connect(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			return func() { conn.Close(context.Background()) } // after the kit's cleanup
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var dirty string
			var after func()
			t.Run("dirty", func(t *testing.T) {
				url := tp.NewDatabase(t)
				dirty = databaseName(t, url)
				after = c.dirty(t, url)
			})
			if after != nil {
				after()
			}
			// Dropped, it cannot be handed to another test.
			if exists(t, dirty) {
				t.Errorf("the copy left with %s still exists", c.name)
			}
		})
	}
}
