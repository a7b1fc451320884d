package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/gongsync/gongsync/migrations"
)

// gooseTable is goose's version table. It is named unqualified, so it lives in the
// store's schema beside the tables it versions.
const gooseTable = "goose_db_version"

// migrationSet is what a schema is migrated with: the numbered goose files, the
// version table recording them, and for the control schema River's own migrations,
// run under the same lock.
type migrationSet struct {
	files        fs.FS
	versionTable string
	// extra, when set, runs after goose's migrations while the migration lock is held;
	// extraCurrent says whether it has nothing left to do.
	extra        func(ctx context.Context, s *Store) error
	extraCurrent func(ctx context.Context, s *Store) (bool, error)
	// compatViews says the schema may have compatibility views (CreateFivetranViews)
	// over its tables, to drop before pending migrations and create again after.
	compatViews bool
}

// connectionMigrations are the migrations of a connection's schema (migrations/).
var connectionMigrations = migrationSet{files: migrations.FS, versionTable: gooseTable, compatViews: true}

// MigrationStatus is one migration file and whether the database has it.
type MigrationStatus struct {
	Version   int64
	Name      string     // the file name without its number and extension, e.g. "init"
	AppliedAt *time.Time // nil while pending
}

// Migrate creates the schema if needed and applies every pending migration, each in
// its own transaction. It holds an advisory lock (keyed by the schema name) on a
// connection of its own throughout, so processes that start together migrate one
// after the other instead of racing; the later ones find nothing left to do.
func (s *Store) Migrate(ctx context.Context) error {
	s.migrating.Lock()
	defer s.migrating.Unlock()
	unlock, _, err := s.sessionLock(ctx, advisoryKey("migrate", s.schema), true)
	if err != nil {
		return fmt.Errorf("migrate schema %q: take migration lock: %w", s.schema, err)
	}
	defer unlock()

	// Look before creating: CREATE SCHEMA IF NOT EXISTS still demands the right to
	// create schemas, which a role given a schema made by its DBA may not have.
	var exists bool
	if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", s.schema).Scan(&exists); err != nil {
		return fmt.Errorf("migrate schema %q: look for the schema: %w", s.schema, err)
	}
	if !exists {
		if _, err := s.pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{s.schema}.Sanitize()); err != nil {
			return fmt.Errorf("migrate schema %q: create schema: %w", s.schema, err)
		}
	}
	provider, db, err := s.goose()
	if err != nil {
		return fmt.Errorf("migrate schema %q: %w", s.schema, err)
	}
	defer db.Close()
	recreate := false
	if s.migrations.compatViews {
		pending, err := provider.HasPending(ctx)
		if err != nil {
			return fmt.Errorf("migrate schema %q: look for pending migrations: %w", s.schema, err)
		}
		if pending {
			if recreate, err = s.dropFivetranViewsForMigration(ctx); err != nil {
				return fmt.Errorf("migrate schema %q: %w", s.schema, err)
			}
		}
	}
	results, err := provider.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			s.log.Info().Int64("version", r.Source.Version).Str("file", path.Base(r.Source.Path)).
				Dur("took", r.Duration).Msg("migration applied")
		}
	}
	if recreate {
		// Even after a failed migration: the views then read what the schema has. A
		// failure here does not fail the migration (the views are optional; the sync
		// is not): it is logged, and 'gongsync compat fivetran' creates them again.
		if verr := s.createFivetranViews(ctx); verr != nil {
			s.log.Error().Err(verr).Str("views", s.FivetranSchema()).
				Msg("the Fivetran-compatible views could not be created again after migrating; run 'gongsync compat fivetran'")
		}
	}
	if err != nil {
		return fmt.Errorf("migrate schema %q: %w", s.schema, err)
	}
	if s.migrations.extra != nil {
		if err := s.migrations.extra(ctx, s); err != nil {
			return fmt.Errorf("migrate schema %q: %w", s.schema, err)
		}
	}
	return nil
}

// goose returns a goose provider over the embedded migrations, talking to the
// database through a database/sql handle borrowed from the pool (so it inherits
// search_path). Close the handle when done; the pool stays open.
func (s *Store) goose() (*goose.Provider, *sql.DB, error) {
	db := stdlib.OpenDBFromPool(s.pool)
	p, err := goose.NewProvider(goose.DialectPostgres, db, s.migrations.files,
		goose.WithDisableGlobalRegistry(true), goose.WithTableName(s.migrations.versionTable))
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, db, nil
}

// MigrationStatus lists every known migration, oldest first, with the time it was
// applied. It only reads: unlike goose's own status, it never creates the version
// table, so it is safe against a database nobody has migrated yet.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	provider, db, err := s.goose()
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	db.Close() // listing the embedded files needs no connection
	applied, err := s.appliedMigrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	var out []MigrationStatus
	for _, src := range provider.ListSources() {
		st := MigrationStatus{Version: src.Version, Name: migrationName(src.Path)}
		if t, ok := applied[src.Version]; ok {
			st.AppliedAt = &t
		}
		out = append(out, st)
	}
	return out, nil
}

// MigrationsCurrent reports whether every migration this binary knows has been
// applied: a readiness check, cheap enough to call on every probe.
func (s *Store) MigrationsCurrent(ctx context.Context) (bool, error) {
	all, err := s.MigrationStatus(ctx)
	if err != nil {
		return false, err
	}
	for _, m := range all {
		if m.AppliedAt == nil {
			return false, nil
		}
	}
	if s.migrations.extraCurrent != nil {
		return s.migrations.extraCurrent(ctx, s)
	}
	return true, nil
}

// appliedMigrations reads goose's version table, when there is one, as version →
// time applied. goose stores a timestamp without time zone taken from now() in the
// session's zone, hence the conversion back.
func (s *Store) appliedMigrations(ctx context.Context) (map[int64]time.Time, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", s.migrations.versionTable).Scan(&exists); err != nil {
		return nil, fmt.Errorf("look for the version table: %w", err)
	}
	out := map[int64]time.Time{}
	if !exists {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `
		SELECT version_id, max(tstamp) AT TIME ZONE current_setting('TimeZone')
		FROM `+pgx.Identifier{s.migrations.versionTable}.Sanitize()+`
		WHERE is_applied AND version_id > 0
		GROUP BY version_id`)
	if err != nil {
		return nil, fmt.Errorf("read the version table: %w", err)
	}
	var (
		v int64
		t time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&v, &t}, func() error {
		out[v] = t
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the version table: %w", err)
	}
	return out, nil
}

// migrationName turns "00001_init.sql" into "init".
func migrationName(file string) string {
	name := strings.TrimSuffix(path.Base(file), ".sql")
	if _, rest, ok := strings.Cut(name, "_"); ok {
		return rest
	}
	return name
}
