package store

import (
	"context"
	"embed"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// compatSQL holds the views that present gongsync's tables under another tool's
// schema: compat/fivetran.sql is what CreateFivetranViews runs.
//
//go:embed compat/*.sql
var compatSQL embed.FS

// compatPlaceholder stands for the views' schema in the embedded SQL.
const compatPlaceholder = "__compat__."

// fivetranSuffix names the Fivetran-compatible schema after gongsync's: gong_fivetran.
const fivetranSuffix = "_fivetran"

// FivetranSchema is the schema CreateFivetranViews fills: gongsync's schema followed
// by _fivetran.
func (s *Store) FivetranSchema() string { return s.schema + fivetranSuffix }

// FivetranViewsSQL returns the statements that create the Fivetran-compatible views
// in schema, to be run with search_path set to gongsync's schema.
func FivetranViewsSQL(schema string) (string, error) {
	b, err := compatSQL.ReadFile("compat/fivetran.sql")
	if err != nil {
		return "", fmt.Errorf("read the fivetran views: %w", err)
	}
	return strings.ReplaceAll(string(b), compatPlaceholder, pgx.Identifier{schema}.Sanitize()+"."), nil
}

// CreateFivetranViews creates schema FivetranSchema() if needed and (re)creates in it
// the views named and shaped as Fivetran's Gong connector names its tables, in one
// transaction: readers see the old views or the new ones. It takes the migration
// lock, so it cannot interleave with a migration that drops them.
func (s *Store) CreateFivetranViews(ctx context.Context) error {
	s.migrating.Lock()
	defer s.migrating.Unlock()
	unlock, _, err := s.sessionLock(ctx, advisoryKey("migrate", s.schema), true)
	if err != nil {
		return fmt.Errorf("create fivetran views: take migration lock: %w", err)
	}
	defer unlock()
	if err := s.createFivetranViews(ctx); err != nil {
		return fmt.Errorf("create fivetran views in %q: %w", s.FivetranSchema(), err)
	}
	return nil
}

// DropFivetranViews drops schema FivetranSchema() and everything in it; it reports
// whether there was one.
func (s *Store) DropFivetranViews(ctx context.Context) (bool, error) {
	s.migrating.Lock()
	defer s.migrating.Unlock()
	unlock, _, err := s.sessionLock(ctx, advisoryKey("migrate", s.schema), true)
	if err != nil {
		return false, fmt.Errorf("drop fivetran views: take migration lock: %w", err)
	}
	defer unlock()
	existed, err := s.fivetranSchemaExists(ctx)
	if err != nil || !existed {
		return false, err
	}
	if _, err := s.pool.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{s.FivetranSchema()}.Sanitize()+" CASCADE"); err != nil {
		return true, fmt.Errorf("drop fivetran views: %w", err)
	}
	return true, nil
}

// createFivetranViews is CreateFivetranViews under the lock the caller holds. It keeps
// the schema (and the privileges granted on it, default privileges included) and
// replaces the views in it.
func (s *Store) createFivetranViews(ctx context.Context) error {
	if err := ValidateSchema(s.FivetranSchema()); err != nil {
		return fmt.Errorf("the schema name: %w", err)
	}
	views, err := FivetranViewsSQL(s.FivetranSchema())
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{s.FivetranSchema()}.Sanitize()); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
		if err := dropViewsIn(ctx, tx, s.FivetranSchema()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, views); err != nil {
			return fmt.Errorf("create views: %w", err)
		}
		return nil
	})
}

// dropViewsIn drops every view of schema, leaving the schema itself.
func dropViewsIn(ctx context.Context, tx pgx.Tx, schema string) error {
	rows, err := tx.Query(ctx, `
		SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'v'`, schema)
	if err != nil {
		return fmt.Errorf("list views: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list views: %w", err)
	}
	for _, name := range names {
		// CASCADE: a view someone built on ours goes with it, as it would have to for
		// any column change below it.
		if _, err := tx.Exec(ctx, "DROP VIEW IF EXISTS "+pgx.Identifier{schema, name}.Sanitize()+" CASCADE"); err != nil {
			return fmt.Errorf("drop view %s: %w", name, err)
		}
	}
	return nil
}

func (s *Store) fivetranSchemaExists(ctx context.Context) (bool, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", s.FivetranSchema()).Scan(&exists); err != nil {
		return false, fmt.Errorf("look for schema %q: %w", s.FivetranSchema(), err)
	}
	return exists, nil
}

// dropFivetranViewsForMigration drops the Fivetran-compatible views before pending
// migrations run (Postgres refuses to drop or retype a column a view reads) and
// returns whether they must be created again after. The schema stays.
func (s *Store) dropFivetranViewsForMigration(ctx context.Context) (bool, error) {
	exists, err := s.fivetranSchemaExists(ctx)
	if err != nil || !exists {
		return false, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return dropViewsIn(ctx, tx, s.FivetranSchema()) })
	if err != nil {
		return false, fmt.Errorf("drop the views of %q before migrating: %w", s.FivetranSchema(), err)
	}
	return true, nil
}
