package store

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// schemas lists the schemas of the database at url.
func schemas(t *testing.T, url string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT nspname FROM pg_namespace ORDER BY nspname`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// A hostile schema name is refused before anything reaches the database: no schema
// is created, none is dropped, and the error says what a valid name looks like.
func TestHostileSchemaNamesAreRefused(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	before := schemas(t, db)
	for _, name := range []string{
		`gong"; DROP SCHEMA public CASCADE; --`,
		`gong; DROP SCHEMA public CASCADE`,
		`public, pg_catalog`,
		`gong$$`,
		`"gong"`,
		`pg_temp`,
		`information_schema`,
		`select`,
		`Gong`,
		`gong` + "\x00",
		`gong` + "\n",
		strings.Repeat("g", 64),
	} {
		s, err := Open(context.Background(), Options{DatabaseURL: db, Schema: name})
		if err == nil {
			s.Close()
			t.Errorf("Open accepted schema %q", name)
			continue
		}
		if !strings.Contains(err.Error(), "invalid schema name") {
			t.Errorf("schema %q: error %v does not say the name is invalid", name, err)
		}
	}
	if after := schemas(t, db); !slices.Equal(before, after) {
		t.Fatalf("schemas changed: %v → %v", before, after)
	}
}

// A name that is also an SQL key word is quoted by every statement anyway: migrations,
// writes (and the history they keep), checkpoints, the ledger, locks and counts all run in schemas named by
// non-reserved key words ("values", "time", "schema"). The reserved ones ("select",
// "user") are refused by ValidateSchema, as a psql user could not type them unquoted.
func TestKeywordSchemaIsQuotedEverywhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, name := range []string{"values", "time", "schema"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := pgtest.NewDatabase(t)
			s := openStore(t, db, name)
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			if ok, err := s.MigrationsCurrent(ctx); err != nil || !ok {
				t.Fatalf("migrations current: %v %v", ok, err)
			}
			now := time.Now()
			err := s.Transact(ctx, func(tx *Tx) error {
				if _, err := tx.UpsertCalls(ctx, []Call{makeCall(1), makeCall(2)}); err != nil {
					return err
				}
				if _, err := tx.WriteTranscripts(ctx, []Transcript{makeTranscript(makeCall(1).ID, 1, 5)}); err != nil {
					return err
				}
				if _, err := tx.UpsertUsers(ctx, []User{historyUser("u1", "m1", "a@example.com")}); err != nil {
					return err
				}
				return tx.SaveCheckpoint(ctx, Checkpoint{Stream: "calls", HighWaterMark: &now})
			})
			if err != nil {
				t.Fatalf("write: %v", err)
			}
			// The history trigger names its table by the schema it fires in.
			if err := s.Transact(ctx, func(tx *Tx) error {
				_, err := tx.UpsertUsers(ctx, []User{historyUser("u1", "m2", "a@example.com")})
				return err
			}); err != nil {
				t.Fatalf("change a user: %v", err)
			}
			// Even from a session whose search_path does not name the schema.
			conn, err := pgx.Connect(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, `UPDATE `+pgx.Identifier{name, "users"}.Sanitize()+` SET raw = '{"id": "u1"}', content_hash = '\x00'`); err != nil {
				t.Fatalf("change a user by hand: %v", err)
			}
			var versions int
			if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{name, "users_history"}.Sanitize()).Scan(&versions); err != nil || versions != 3 {
				t.Fatalf("%s.users_history: %d rows, %v; want 3", name, versions, err)
			}
			if _, err := s.Reserve(ctx, Reservation{Day: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Limit: 10}); err != nil {
				t.Fatalf("reserve: %v", err)
			}
			unlock, err := s.LockStream(ctx, "calls", false)
			if err != nil {
				t.Fatalf("lock: %v", err)
			}
			unlock()
			counts, err := s.TableCounts(ctx)
			if err != nil {
				t.Fatalf("counts: %v", err)
			}
			if i := slices.IndexFunc(counts, func(c TableCount) bool { return c.Table == "calls" }); i < 0 || counts[i].Rows != 2 {
				t.Fatalf("counts: %+v", counts)
			}
			var n int
			if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{name, "calls"}.Sanitize()).Scan(&n); err != nil || n != 2 {
				t.Fatalf("%s.calls: %d rows, %v", name, n, err)
			}
		})
	}
}
