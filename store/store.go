// Package store owns every byte gongsync writes to Postgres: the connection pool, the
// migrations runner, bulk upserts of Gong's records as rows, sync checkpoints, the
// daily request ledger, run history and advisory locks.
//
// It speaks in its own row types (rows.go) and knows nothing of HTTP or Gong's JSON;
// the sync package maps Gong's records onto those rows. All tables live in one
// schema: every connection of the pool has search_path set to it, so the SQL here and
// in migrations/ names no schema.
package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
)

// DefaultSchema is the schema gongsync uses when none is configured.
const DefaultSchema = "gong"

// DefaultMaxConns is the pool size when Options.MaxConns is zero: enough for a held
// stream lock, a migration lock, a writing transaction and a few readers at once.
const DefaultMaxConns = 8

// minMaxConns is the smallest pool that cannot starve itself: a held stream lock, a
// writing transaction and one reader.
const minMaxConns = 3

// Options configures Open.
type Options struct {
	DatabaseURL string         // postgres:// URL or key=value connection string
	Schema      string         // "" means DefaultSchema
	MaxConns    int32          // 0 means DefaultMaxConns
	Logger      zerolog.Logger // the zero Logger logs nothing
}

// Store is a pool of connections to gongsync's schema. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	schema string
	log    zerolog.Logger

	// migrating lets one Migrate of this process at a time wait for the database
	// lock: each waiter holds a connection, and enough of them would leave the one
	// holding the lock without a connection to migrate with.
	migrating sync.Mutex
}

// schemaPattern is what Postgres accepts as an unquoted identifier, minus the
// non-ASCII letters it also allows: a name an operator can type in psql as is.
var schemaPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ValidateSchema checks a schema name and returns it the way Postgres would fold it
// when written unquoted (lower case), so GONGSYNC_SCHEMA=Gong and =gong name the same
// schema, as they would in psql.
func ValidateSchema(name string) (string, error) {
	folded := strings.ToLower(name)
	if !schemaPattern.MatchString(folded) {
		return "", fmt.Errorf("invalid schema name %q: want a letter or underscore, then up to 62 letters, digits or underscores", name)
	}
	if strings.HasPrefix(folded, "pg_") {
		return "", fmt.Errorf("invalid schema name %q: names starting with pg_ are reserved by Postgres", name)
	}
	return folded, nil
}

// Open validates the options, connects a pool whose connections all use the schema,
// and checks that the database answers. It does not migrate; see Migrate.
func Open(ctx context.Context, opts Options) (*Store, error) {
	schema, err := ValidateSchema(cmp.Or(opts.Schema, DefaultSchema))
	if err != nil {
		return nil, err
	}
	maxConns := opts.MaxConns
	if maxConns == 0 {
		maxConns = DefaultMaxConns
	}
	if maxConns < minMaxConns {
		return nil, fmt.Errorf("open store: MaxConns %d is too small: a held stream lock, a transaction and a reader need at least %d", maxConns, minMaxConns)
	}
	if opts.DatabaseURL == "" {
		return nil, errors.New("open store: no database URL")
	}
	secret := urlPassword(opts.DatabaseURL)

	cfg, err := pgxpool.ParseConfig(opts.DatabaseURL)
	if err != nil {
		return nil, redact(fmt.Errorf("open store: parse database URL: %w", err), secret)
	}
	if secret == "" {
		secret = cfg.ConnConfig.Password
	}
	cfg.MaxConns = maxConns
	cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	cfg.ConnConfig.RuntimeParams["application_name"] = cmp.Or(cfg.ConnConfig.RuntimeParams["application_name"], "gongsync")

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, redact(fmt.Errorf("open store: %w", err), secret)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, redact(fmt.Errorf("open store: connect: %w", err), secret)
	}
	s := &Store{pool: pool, schema: schema, log: opts.Logger.With().Str("schema", schema).Logger()}
	return s, nil
}

// Close closes every connection of the pool, waiting for borrowed ones to come back.
func (s *Store) Close() { s.pool.Close() }

// Schema returns the (folded) schema all tables live in.
func (s *Store) Schema() string { return s.schema }

// Pool returns the underlying pool, for callers that need plain SQL against the
// schema (tests, the example queries). Writes belong in this package.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Now returns the database's clock. The sync compares last_seen_at (set from the
// database clock) with times taken from here, so clock skew between gongsync's host
// and the database cannot mark a just-seen call as deleted.
func (s *Store) Now(ctx context.Context) (time.Time, error) {
	var t time.Time
	if err := s.pool.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("read database clock: %w", err)
	}
	return t, nil
}
