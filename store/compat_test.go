package store

import (
	"context"
	"io/fs"
	"os"
	"strings"
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

// fivetranTable is a table of Fivetran's Gong connector and its columns, as
// testdata/fivetran_gong_schema.tsv lists them from Fivetran's documentation.
type fivetranTable struct {
	name    string
	columns []string
}

func readFivetranSchema(t *testing.T) []fivetranTable {
	t.Helper()
	b, err := os.ReadFile("testdata/fivetran_gong_schema.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var out []fivetranTable
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "table\t") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("not table, column, type, key: %q", line)
		}
		if len(out) == 0 || out[len(out)-1].name != f[0] {
			out = append(out, fivetranTable{name: f[0]})
		}
		out[len(out)-1].columns = append(out[len(out)-1].columns, f[1])
	}
	if len(out) < 50 {
		t.Fatalf("%d Fivetran tables listed; the reference has more than 50", len(out))
	}
	return out
}

// Every table of Fivetran's Gong connector is a view with all of Fivetran's columns
// (and _fivetran_synced, _fivetran_deleted), or marked in docs/COMPATIBILITY.md as
// not fillable; COMPATIBILITY.md maps every table and column either way.
func TestFivetranViewsCoverFivetransTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	if err := s.CreateFivetranViews(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Pool().Query(ctx, `
		SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
		JOIN information_schema.views v ON v.table_schema = c.table_schema AND v.table_name = c.table_name
		WHERE c.table_schema = $1`, s.FivetranSchema())
	if err != nil {
		t.Fatal(err)
	}
	views := map[string]map[string]string{}
	var table, column, typ string
	if _, err := pgx.ForEachRow(rows, []any{&table, &column, &typ}, func() error {
		if views[table] == nil {
			views[table] = map[string]string{}
		}
		views[table][column] = typ
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/COMPATIBILITY.md")
	if err != nil {
		t.Fatal(err)
	}

	listed := map[string]bool{}
	for _, ft := range readFivetranSchema(t) {
		listed[ft.name] = true
		_, section, ok := strings.Cut(string(doc), "\n### "+ft.name+"\n")
		if !ok {
			t.Errorf("docs/COMPATIBILITY.md has no section for %s", ft.name)
			continue
		}
		if end := strings.Index(section, "\n#"); end >= 0 {
			section = section[:end]
		}
		status := strings.TrimSpace(section)
		for _, c := range ft.columns {
			if !strings.Contains(section, "| `"+c+"`") {
				t.Errorf("docs/COMPATIBILITY.md does not map %s.%s", ft.name, c)
			}
		}
		switch view := views[ft.name]; {
		case view != nil:
			if !strings.HasPrefix(status, "**view**") && !strings.HasPrefix(status, "**cannot be filled**") {
				t.Errorf("%s is a view; docs/COMPATIBILITY.md says otherwise", ft.name)
			}
			for _, c := range append(ft.columns, "_fivetran_synced", "_fivetran_deleted") {
				if _, ok := view[c]; !ok {
					t.Errorf("view %s has no column %s", ft.name, c)
				}
			}
			if view["_fivetran_synced"] != "timestamp with time zone" || view["_fivetran_deleted"] != "boolean" {
				t.Errorf("view %s: _fivetran_synced is %s, _fivetran_deleted %s", ft.name, view["_fivetran_synced"], view["_fivetran_deleted"])
			}
		default:
			if !strings.HasPrefix(status, "**cannot be filled**") {
				t.Errorf("%s is no view, and docs/COMPATIBILITY.md does not say why", ft.name)
			}
		}
	}
	for v := range views {
		if !listed[v] {
			t.Errorf("view %s is no Fivetran table", v)
		}
	}
}
