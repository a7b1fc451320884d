package store

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/gongsync/gongsync/migrations"
)

// fivetranViews lists the views of the store's Fivetran schema with their oids.
func fivetranViews(t *testing.T, s *Store) map[string]uint32 {
	t.Helper()
	rows, err := s.Pool().Query(context.Background(), `
		SELECT c.relname, c.oid::int8 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'v'`, s.FivetranSchema())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint32{}
	var (
		name string
		oid  int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&name, &oid}, func() error { out[name] = uint32(oid); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// The views are built after every migration: a migration that drops or renames a
// column a view reads fails here, not at a customer's next upgrade.
func TestFivetranViewsCreateAfterAllMigrations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	if err := s.CreateFivetranViews(ctx); err != nil {
		t.Fatal(err)
	}
	first := fivetranViews(t, s)
	if len(first) == 0 {
		t.Fatal("no views created")
	}
	for _, v := range []string{"call", "call_participant", "transcript", "users", "answered_scorecard"} {
		if _, ok := first[v]; !ok {
			t.Errorf("no view %s in %s", v, s.FivetranSchema())
		}
	}
	// Again: replaced, not duplicated.
	if err := s.CreateFivetranViews(ctx); err != nil {
		t.Fatalf("second create: %v", err)
	}
	if again := fivetranViews(t, s); len(again) != len(first) {
		t.Fatalf("%d views after the second create, %d after the first", len(again), len(first))
	}
	existed, err := s.DropFivetranViews(ctx)
	if err != nil || !existed {
		t.Fatalf("drop: existed %v, %v", existed, err)
	}
	if existed, err := s.DropFivetranViews(ctx); err != nil || existed {
		t.Fatalf("second drop: existed %v, %v", existed, err)
	}
}

// A migration that changes a column the views read runs: Migrate drops the views
// before and creates them again after. With nothing pending, the views are left alone.
func TestMigrateDropsAndRecreatesTheFivetranViews(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := migrated.NewDatabase(t)
	s := openStore(t, url, "")
	if err := s.CreateFivetranViews(ctx); err != nil {
		t.Fatal(err)
	}
	before := fivetranViews(t, s)

	// gongsync's own views over calls (live_calls and those built on it) go first, as
	// a real migration would drop and create them again; the test's are dropped for good.
	const alter = `DROP VIEW live_calls CASCADE; ALTER TABLE calls ALTER COLUMN title TYPE varchar`
	// The premise: with the views there, Postgres refuses the change.
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, alter)
		return err
	})
	if err == nil {
		t.Fatal("altering a column a view reads succeeded: the test proves nothing")
	}

	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if after := fivetranViews(t, s); after["call"] != before["call"] {
		t.Fatalf("a migration with nothing pending replaced the views (call: oid %d, then %d)", before["call"], after["call"])
	}

	files := fstest.MapFS{"09999_alter_title.sql": {Data: []byte("-- +goose Up\n" + alter + ";\n")}}
	err = fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, p)
		files[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	next, err := open(ctx, Options{DatabaseURL: url}, migrationSet{files: files, versionTable: gooseTable, compatViews: true})
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	if err := next.Migrate(ctx); err != nil {
		t.Fatalf("migrate with the views in place: %v", err)
	}
	after := fivetranViews(t, next)
	if len(after) != len(before) {
		t.Fatalf("%d views after migrating, %d before", len(after), len(before))
	}
	var typ string
	if err := next.Pool().QueryRow(ctx, `
		SELECT data_type FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = 'call' AND column_name = 'title'`, next.FivetranSchema()).Scan(&typ); err != nil {
		t.Fatal(err)
	}
	if typ != "character varying" {
		t.Fatalf("call.title is %s: the view was not created again over the migrated table", typ)
	}
}
