package pgtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Template hands each test a database of its own that is already prepared (migrated,
// typically), as river's test kit hands out migrated schemas: the preparation runs
// once per test binary, into a template database; a test gets a copy of it (CREATE
// DATABASE … TEMPLATE) or, more often, a copy an earlier test used and that was
// reset. Creating a database costs a few hundred milliseconds and a migration as
// much again, for every test; a reset costs a few milliseconds of DELETEs and a look
// at the catalog.
//
// A copy goes back to the pool only when the test left it as the template was
// but for the rows of the tables that were empty in the template: no connection
// left open, the same schemas, tables, columns, constraints, indexes, functions,
// types, triggers, privileges and settings, the same rows in the tables that had
// some (goose's version table), the same sequence positions once those of the
// emptied tables are restarted. Anything else and the copy is dropped, as a database
// of NewDatabase is, so no test sees what another left behind.
type Template struct {
	prepare func(ctx context.Context, databaseURL string) error

	once  sync.Once
	err   error
	admin string
	name  string // the template database
	state dbState

	mu   sync.Mutex
	free []string // reset copies, ready for the next test
}

// NewTemplate describes a template database; prepare runs on first use, against an
// empty database. Declare templates at package level and use them from tests with
// NewDatabase.
func NewTemplate(prepare func(ctx context.Context, databaseURL string) error) *Template {
	return &Template{prepare: prepare}
}

var (
	templatesMu sync.Mutex
	templates   []*Template // to drop when the test binary ends (TEST_DATABASE_URL)
)

// NewDatabase returns the URL of a prepared database for this test alone; it is
// reset and kept for another test when this one ends, or dropped.
func (tp *Template) NewDatabase(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	tp.once.Do(func() { tp.err = tp.create(admin) })
	if tp.err != nil {
		t.Fatalf("pgtest: template: %v", tp.err)
	}
	name := tp.take()
	if name == "" {
		name = "t_" + randomHex(6)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := adminExec(ctx, admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{tp.name}.Sanitize()); err != nil {
			t.Fatalf("pgtest: copy the template: %v", err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := tp.reset(ctx, name); err != nil {
			dropDatabase(ctx, admin, name)
			return
		}
		tp.mu.Lock()
		tp.free = append(tp.free, name)
		tp.mu.Unlock()
	})
	return WithDatabase(admin, name)
}

func (tp *Template) take() string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if n := len(tp.free); n > 0 {
		name := tp.free[n-1]
		tp.free = tp.free[:n-1]
		return name
	}
	return ""
}

// create makes the template database, prepares it and records its state.
func (tp *Template) create(admin string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tp.admin, tp.name = admin, "tmpl_"+randomHex(6)
	if err := adminExec(ctx, admin, "CREATE DATABASE "+pgx.Identifier{tp.name}.Sanitize()+" TEMPLATE template0"); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	templatesMu.Lock()
	templates = append(templates, tp)
	templatesMu.Unlock()
	if err := tp.prepare(ctx, WithDatabase(admin, tp.name)); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	conn, err := pgx.Connect(ctx, WithDatabase(admin, tp.name))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	tp.state, err = readState(ctx, conn)
	return err
}

// reset empties the tables the template had empty, puts the sequences back, and
// reports an error when the copy differs from the template in anything else.
func (tp *Template) reset(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, WithDatabase(tp.admin, name))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	// A closed pool's server processes take a moment to exit; one still there after
	// that is a connection the test left open, perhaps in use.
	for wait := 0; ; wait++ {
		var others int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&others); err != nil {
			return err
		}
		if others == 0 {
			break
		}
		if wait == 100 {
			return fmt.Errorf("%d connections left open", others)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// DELETE, not TRUNCATE: the tables are small, and a TRUNCATE of every table
	// creates new files for each and its indexes, which cost as much as a new copy.
	// Foreign keys are not checked meanwhile (replica role): every row goes anyway.
	b := &pgx.Batch{}
	b.Queue("SET session_replication_role = replica")
	for _, table := range tp.state.emptied {
		b.Queue("DELETE FROM " + table)
	}
	b.Queue("RESET session_replication_role")
	for _, sq := range tp.state.sequences {
		b.Queue("SELECT setval($1::regclass, $2, $3)", sq.name, sq.last, sq.called)
	}
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	st, err := readState(ctx, conn)
	if err != nil {
		return err
	}
	if st.catalog != tp.state.catalog || st.content != tp.state.content {
		return errors.New("differs from the template")
	}
	return nil
}

// dbState is what a reset copy must share with its template.
type dbState struct {
	catalog   string     // checksum of the user-visible catalog: every object and its definition
	content   string     // checksums of the rows of the tables that have any, and every sequence's position
	emptied   []string   // the tables without rows, quoted and qualified: a reset empties them
	sequences []sequence // a reset puts them back where they were
}

// sequence is a sequence's position.
type sequence struct {
	name   string
	last   int64
	called bool
}

// userNamespaces limits a catalog query to the schemas tests and migrations create.
const userNamespaces = `SELECT oid FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'`

// catalogQuery fingerprints the database's own objects and settings.
const catalogQuery = `
SELECT md5(coalesce(string_agg(x, E'\n' ORDER BY x), '')) FROM (
  SELECT 'n ' || nspname || ' ' || nspowner::regrole::text || ' ' || coalesce(nspacl::text, '')
    FROM pg_namespace WHERE oid IN (` + userNamespaces + `)
  UNION ALL
  SELECT 'c ' || c.oid::regclass::text || ' ' || c.relkind::text || c.relpersistence::text || ' ' || c.relowner::regrole::text
         || ' ' || coalesce(c.relacl::text, '') || ' ' || coalesce(array_to_string(c.reloptions, ','), '') || ' ' || c.relrowsecurity
    FROM pg_class c WHERE c.relnamespace IN (` + userNamespaces + `)
  UNION ALL
  SELECT 'a ' || a.attrelid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' '
         || a.attnotnull || ' ' || a.attidentity::text || a.attgenerated::text || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
         || ' ' || coalesce(a.attacl::text, '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relnamespace IN (` + userNamespaces + `) AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'k ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace IN (` + userNamespaces + `)
  UNION ALL
  SELECT 'i ' || pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE c.relnamespace IN (` + userNamespaces + `)
  UNION ALL
  SELECT 'f ' || oid::regprocedure::text || ' ' || md5(coalesce(prosrc, '')) || ' ' || coalesce(proacl::text, '')
    FROM pg_proc WHERE pronamespace IN (` + userNamespaces + `)
  UNION ALL
  SELECT 'y ' || t.oid::regtype::text || ' ' || t.typtype::text || ' '
         || coalesce((SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid), '')
    FROM pg_type t WHERE t.typnamespace IN (` + userNamespaces + `)
  UNION ALL
  SELECT 'g ' || tgrelid::regclass::text || ' ' || tgname || ' ' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL
  SELECT 'p ' || polrelid::regclass::text || ' ' || polname FROM pg_policy
  UNION ALL
  SELECT 'v ' || rulename || ' ' || ev_class::regclass::text FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
    WHERE c.relnamespace IN (` + userNamespaces + `) AND rulename <> '_RETURN'
  UNION ALL
  SELECT 'e ' || extname || ' ' || extversion FROM pg_extension
  UNION ALL
  SELECT 'd ' || defaclrole::regrole::text || ' ' || defaclobjtype::text || ' ' || defaclacl::text FROM pg_default_acl
  UNION ALL
  SELECT 's ' || setrole || ' ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
    WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
  UNION ALL
  SELECT 'b ' || coalesce(datacl::text, '') || ' ' || datdba::regrole::text || ' ' || datallowconn || ' ' || datconnlimit
    FROM pg_database WHERE datname = current_database()
  UNION ALL
  SELECT 'l ' || count(*) FROM pg_largeobject_metadata
  UNION ALL
  SELECT 'x ' || count(*) FROM pg_prepared_xacts WHERE database = current_database()
  UNION ALL
  SELECT 'o ' || count(*) FROM pg_publication
  UNION ALL
  SELECT 'r ' || count(*) FROM pg_subscription
) f(x)`

// readState reads a database's dbState.
func readState(ctx context.Context, conn *pgx.Conn) (dbState, error) {
	var st dbState
	if err := conn.QueryRow(ctx, catalogQuery).Scan(&st.catalog); err != nil {
		return st, fmt.Errorf("read the catalog: %w", err)
	}
	rows, err := conn.Query(ctx, `SELECT c.oid::regclass::text, c.relkind FROM pg_class c
		WHERE c.relnamespace IN (`+userNamespaces+`) AND c.relkind IN ('r', 'p', 'm', 'S') ORDER BY 1`)
	if err != nil {
		return st, fmt.Errorf("list the tables: %w", err)
	}
	type rel struct {
		name string
		kind byte
	}
	rels, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rel, error) {
		var x rel
		var kind string
		err := r.Scan(&x.name, &kind)
		x.kind = kind[0]
		return x, err
	})
	if err != nil {
		return st, fmt.Errorf("list the tables: %w", err)
	}
	var content strings.Builder
	for _, r := range rels {
		// regclass::text is already quoted and qualified as needed.
		var sum string
		q := "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM " + r.name + " t"
		switch r.kind {
		case 'S':
			sq := sequence{name: r.name}
			if err := conn.QueryRow(ctx, "SELECT last_value, is_called FROM "+r.name).Scan(&sq.last, &sq.called); err != nil {
				return st, fmt.Errorf("read %s: %w", r.name, err)
			}
			st.sequences = append(st.sequences, sq)
			fmt.Fprintf(&content, "%s %d %t\n", r.name, sq.last, sq.called)
			continue
		case 'r', 'p':
			var has bool
			if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+r.name+")").Scan(&has); err != nil {
				return st, fmt.Errorf("read %s: %w", r.name, err)
			}
			if !has {
				st.emptied = append(st.emptied, r.name)
				continue
			}
		}
		if err := conn.QueryRow(ctx, q).Scan(&sum); err != nil {
			return st, fmt.Errorf("read %s: %w", r.name, err)
		}
		fmt.Fprintf(&content, "%s %s\n", r.name, sum)
	}
	st.content = content.String()
	return st, nil
}

// dropTemplates drops the templates and their pooled copies, for a server that
// outlives the test binary (TEST_DATABASE_URL).
func dropTemplates() {
	templatesMu.Lock()
	defer templatesMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tp := range templates {
		tp.mu.Lock()
		for _, name := range tp.free {
			dropDatabase(ctx, tp.admin, name)
		}
		tp.free = nil
		tp.mu.Unlock()
		dropDatabase(ctx, tp.admin, tp.name)
	}
	templates = nil
}

// dropDatabase drops a database, ending connections a failed test left open
// (FORCE, Postgres 13+). Errors are ignored: it runs at cleanup, and the database is
// a throwaway.
func dropDatabase(ctx context.Context, admin, name string) {
	_ = adminExec(ctx, admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}
