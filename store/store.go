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
	// MaxConnIdleTime closes a pool's connections idle for this long; 0 keeps pgx's
	// default (30 minutes). A worker holding a pool per connection sets it short, so
	// that only the connections being synced hold Postgres connections.
	MaxConnIdleTime time.Duration
	// Worker names the process in the runs it records (sync_runs.worker), e.g.
	// host:pid; empty records none.
	Worker string
	// AI says how transcripts are shaped for AI assistants (transcript_chunks,
	// assistant_transcript_turns).
	AI AIOptions
}

// Store is a pool of connections to gongsync's schema. It is safe for concurrent use.
type Store struct {
	pool       *pgxpool.Pool
	schema     string
	log        zerolog.Logger
	worker     string
	migrations migrationSet
	ai         AIOptions

	// migrating lets one Migrate of this process at a time wait for the database
	// lock: each waiter holds a connection, and enough of them would leave the one
	// holding the lock without a connection to migrate with.
	migrating sync.Mutex

	// hashKey caches the installation's hash key (HashKey): it never changes.
	hashKeyMu sync.Mutex
	hashKey   []byte
}

// schemaPattern is what Postgres accepts as an unquoted identifier without folding
// it, minus the non-ASCII letters it also allows: a name an operator can type in psql
// as is.
var schemaPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ValidateSchema is gongsync's one rule for the name of its schema. The configuration
// checks it when it loads, before anything is written, and Open checks it again. A
// name is refused when Postgres would fold it (upper case), truncate it (over 63
// bytes) or reject it unquoted (a reserved word), and when it names a schema of
// Postgres's own: pg_* (pg_catalog, pg_temp, pg_toast…) and information_schema.
func ValidateSchema(name string) error {
	switch {
	case name == "":
		return errors.New("the schema name is empty")
	case !schemaPattern.MatchString(name) && schemaPattern.MatchString(strings.ToLower(name)):
		return fmt.Errorf("%q has upper-case letters, which Postgres folds to lower case in unquoted SQL: write %q", name, strings.ToLower(name))
	case !schemaPattern.MatchString(name):
		return fmt.Errorf("%q is not a plain identifier: want a lower-case letter or underscore, then up to 62 lower-case letters, digits or underscores", name)
	case strings.HasPrefix(name, "pg_"):
		return fmt.Errorf("%q starts with pg_, which Postgres keeps for its own schemas", name)
	case name == "information_schema":
		return fmt.Errorf("%q is Postgres's own catalog schema", name)
	case reservedWords[name]:
		return fmt.Errorf("%q is a reserved word of Postgres's SQL: every query would have to quote it", name)
	}
	return nil
}

// reservedWords are the key words Postgres refuses as a schema name unless quoted:
// those pg_get_keywords() lists as reserved (R) or reserved but usable as a function
// or type name (T). A test compares this list with the server's.
var reservedWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		all analyse analyze and any array as asc asymmetric both case cast check collate column
		constraint create current_catalog current_date current_role current_time current_timestamp
		current_user default deferrable desc distinct do else end except false fetch for foreign from
		grant group having in initially intersect into lateral leading limit localtime localtimestamp
		not null offset on only or order placing primary references returning select session_user
		some symmetric system_user table then to trailing true union unique user using variadic when
		where window with
		authorization binary collation concurrently cross current_schema freeze full ilike inner is
		isnull join left like natural notnull outer overlaps right similar tablesample verbose`) {
		m[w] = true
	}
	return m
}()

// Open validates the options, connects a pool whose connections all use the schema,
// and checks that the database answers. It does not migrate; see Migrate.
func Open(ctx context.Context, opts Options) (*Store, error) {
	return open(ctx, opts, connectionMigrations)
}

// open is Open with the migrations of the schema's kind.
func open(ctx context.Context, opts Options, set migrationSet) (*Store, error) {
	schema := cmp.Or(opts.Schema, DefaultSchema)
	if err := ValidateSchema(schema); err != nil {
		return nil, fmt.Errorf("open store: invalid schema name: %w", err)
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
	if opts.MaxConnIdleTime > 0 {
		cfg.MaxConnIdleTime = opts.MaxConnIdleTime
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	cfg.ConnConfig.RuntimeParams["application_name"] = cmp.Or(cfg.ConnConfig.RuntimeParams["application_name"], "gongsync")
	if opts.AI.IncludePrivate {
		// assistant_transcript_turns reads it: the view shows a session what its
		// reader's setting allows, so one database serves readers of both kinds.
		cfg.ConnConfig.RuntimeParams[includePrivateSetting] = "on"
	}

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, redact(fmt.Errorf("open store: %w", err), secret)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, redact(fmt.Errorf("open store: connect: %w", err), secret)
	}
	s := &Store{pool: pool, schema: schema, log: opts.Logger.With().Str("schema", schema).Logger(), worker: opts.Worker, migrations: set,
		ai: opts.AI.withDefaults()}
	return s, nil
}

// Close closes every connection of the pool, waiting for borrowed ones to come back.
func (s *Store) Close() { s.pool.Close() }

// Schema returns the schema all tables live in.
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
