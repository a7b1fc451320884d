package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/gongsync/gongsync/internal/secretbox"
	"github.com/gongsync/gongsync/migrations/control"
)

// DefaultControlSchema is the control schema when none is configured
// (GONGSYNC_CONTROL_SCHEMA).
const DefaultControlSchema = "gongsync"

// controlVersionTable is goose's version table in the control schema, named apart
// from a connection schema's so that a connection may even live in the control
// schema without the two migration series mixing.
const controlVersionTable = "goose_control_version"

// controlMigrations are the control schema's: the registry (migrations/control), then
// River's queue tables by River's own migrator, under the same lock.
var controlMigrations = migrationSet{files: control.FS, versionTable: controlVersionTable,
	extra: migrateRiver, extraCurrent: riverCurrent}

// Errors of the registry, for errors.Is.
var (
	// ErrNoConnection: no connection of that name is registered.
	ErrNoConnection = errors.New("no such connection")
	// ErrConnectionExists: a connection of that name is registered already.
	ErrConnectionExists = errors.New("connection already exists")
	// ErrSchemaTaken: another connection's tables live in that schema already.
	ErrSchemaTaken = errors.New("schema is another connection's already")
)

// Auth modes of a connection.
const (
	AuthBasic = "basic" // an access key and its secret
	AuthOAuth = "oauth" // an installed app; its tokens live in the connection's schema
)

// SecretText is a secret held in memory (a registry row's secret, opened): it never
// prints, and JSON shows it redacted, so a Connection may be logged or encoded by
// mistake without harm.
type SecretText string

// String hides the value.
func (s SecretText) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString hides the value from %#v.
func (s SecretText) GoString() string { return s.String() }

// MarshalJSON hides the value.
func (s SecretText) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// Reveal returns the secret, for the one place that must send it.
func (s SecretText) Reveal() string { return string(s) }

// Connection is one row of the registry: one Gong company. Optional settings are nil
// or "" when the connection takes the worker's own (GONG_DAILY_BUDGET and so on).
type Connection struct {
	Name              string     `json:"name"`
	Schema            string     `json:"schema"`
	BaseURL           string     `json:"base_url"`
	AuthMode          string     `json:"auth_mode"`
	AccessKey         string     `json:"access_key,omitempty"`
	AccessKeySecret   SecretText `json:"access_key_secret,omitempty"`
	OAuthClientID     string     `json:"oauth_client_id,omitempty"`
	OAuthClientSecret SecretText `json:"oauth_client_secret,omitempty"`
	// Encrypted says whether the secrets are sealed at rest (set by the store).
	Encrypted bool `json:"encrypted"`

	DailyBudget    *int     `json:"daily_budget,omitempty"`
	BackfillShare  *float64 `json:"backfill_share,omitempty"`
	RateLimit      *float64 `json:"rate_limit,omitempty"`
	ScheduleCalls  string   `json:"schedule_calls,omitempty"`
	ScheduleUsers  string   `json:"schedule_users,omitempty"`
	ScheduleSettle string   `json:"schedule_settle,omitempty"`
	ScheduleDaily  string   `json:"schedule_daily,omitempty"`

	PausedAt   *time.Time `json:"paused_at,omitempty"`
	FailedAt   *time.Time `json:"failed_at,omitempty"`
	Failure    string     `json:"failure,omitempty"`
	Generation int64      `json:"generation"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Active says whether workers sync the connection: neither paused nor failed.
func (c Connection) Active() bool { return c.PausedAt == nil && c.FailedAt == nil }

// State is the connection's state in a word: active, paused or failed.
func (c Connection) State() string {
	switch {
	case c.PausedAt != nil:
		return "paused"
	case c.FailedAt != nil:
		return "failed"
	}
	return "active"
}

// connectionName is the rule for a connection's name: it becomes a metric label, a log
// field and a job's argument, so it is short and plain.
var connectionName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidateConnectionName is the one rule for a connection's name.
func ValidateConnectionName(name string) error {
	if !connectionName.MatchString(name) {
		return fmt.Errorf("connection name %q: want a lower-case letter or digit, then up to 62 lower-case letters, digits, _ or -", name)
	}
	return nil
}

// ControlOptions configure OpenControl: the pool, and the key sealing the registry's
// secrets (the same as the OAuth tokens').
type ControlOptions struct {
	Options
	// Box seals and opens secrets (GONGSYNC_ENCRYPTION_KEY); nil when none is set.
	Box *secretbox.Box
	// AllowPlaintext stores secrets unencrypted when Box is nil, and reads rows
	// stored so (--insecure-plaintext-tokens).
	AllowPlaintext bool
}

// Control is the control schema: the connection registry, and River's queue beside it
// (migrated with it). It is safe for concurrent use.
type Control struct {
	st    *Store
	box   *secretbox.Box
	plain bool
}

// OpenControl connects a pool to the control schema (Options.Schema, default
// DefaultControlSchema). It creates nothing; see Migrate and Exists.
func OpenControl(ctx context.Context, opts ControlOptions) (*Control, error) {
	if opts.Schema == "" {
		opts.Schema = DefaultControlSchema
	}
	st, err := open(ctx, opts.Options, controlMigrations)
	if err != nil {
		return nil, err
	}
	return &Control{st: st, box: opts.Box, plain: opts.AllowPlaintext}, nil
}

// Close closes the pool.
func (c *Control) Close() { c.st.Close() }

// Schema is the control schema's name.
func (c *Control) Schema() string { return c.st.schema }

// Pool is the pool on the control schema (River's driver runs on it).
func (c *Control) Pool() *pgxpool.Pool { return c.st.pool }

// Ping checks that the database answers.
func (c *Control) Ping(ctx context.Context) error { return c.st.Ping(ctx) }

// Migrate creates the control schema if needed and applies its pending migrations,
// River's included, under the control schema's migration lock.
func (c *Control) Migrate(ctx context.Context) error { return c.st.Migrate(ctx) }

// MigrationsCurrent says whether the registry's and River's migrations are all applied.
func (c *Control) MigrationsCurrent(ctx context.Context) (bool, error) {
	return c.st.MigrationsCurrent(ctx)
}

// Exists says whether there is a registry: the control schema's connections table
// exists (`gongsync connections add` creates it). It only reads. Without one, the
// configuration describes the one connection there is, as before registries existed.
func (c *Control) Exists(ctx context.Context) (bool, error) {
	var ok bool
	err := c.st.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL",
		pgx.Identifier{c.st.schema, "connections"}.Sanitize()).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look for the connection registry in %q: %w", c.st.schema, err)
	}
	return ok, nil
}

// riverLogger keeps River's migrator quiet: gongsync logs what it applied itself.
var riverLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

func riverMigrator(s *Store) (*rivermigrate.Migrator[pgx.Tx], error) {
	return rivermigrate.New(riverpgxv5.New(s.pool), &rivermigrate.Config{Schema: s.schema, Logger: riverLogger})
}

// migrateRiver applies River's pending migrations to the control schema.
func migrateRiver(ctx context.Context, s *Store) error {
	m, err := riverMigrator(s)
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	for _, v := range res.Versions {
		s.log.Info().Int("river_version", v.Version).Str("name", v.Name).Dur("took", v.Duration).Msg("River migration applied")
	}
	return nil
}

// riverCurrent says whether River's migrations are all applied.
func riverCurrent(ctx context.Context, s *Store) (bool, error) {
	m, err := riverMigrator(s)
	if err != nil {
		return false, fmt.Errorf("river migrations: %w", err)
	}
	res, err := m.Validate(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("river migrations: %w", err)
	}
	return res.OK, nil
}

const connectionColumns = `name, schema_name, base_url, auth_mode, coalesce(access_key, ''), access_key_secret,
	coalesce(oauth_client_id, ''), oauth_client_secret, encrypted, daily_budget, backfill_share, rate_limit,
	coalesce(schedule_calls, ''), coalesce(schedule_users, ''), coalesce(schedule_settle, ''), coalesce(schedule_daily, ''),
	paused_at, failed_at, coalesce(failure, ''), generation, created_at, updated_at`

// scanConnection reads one row of connectionColumns; open says whether to open its
// secrets (which needs the key).
func (c *Control) scanConnection(row pgx.CollectableRow, open bool) (Connection, error) {
	var (
		cn                        Connection
		secret, clientSecret      []byte
		budget                    *int32
		share, rate               *float64
		pausedAt, failedAt        *time.Time
		failure, sc, su, sset, sd string
	)
	if err := row.Scan(&cn.Name, &cn.Schema, &cn.BaseURL, &cn.AuthMode, &cn.AccessKey, &secret, &cn.OAuthClientID, &clientSecret,
		&cn.Encrypted, &budget, &share, &rate, &sc, &su, &sset, &sd, &pausedAt, &failedAt, &failure,
		&cn.Generation, &cn.CreatedAt, &cn.UpdatedAt); err != nil {
		return Connection{}, err
	}
	if budget != nil {
		b := int(*budget)
		cn.DailyBudget = &b
	}
	cn.BackfillShare, cn.RateLimit = share, rate
	cn.ScheduleCalls, cn.ScheduleUsers, cn.ScheduleSettle, cn.ScheduleDaily = sc, su, sset, sd
	cn.PausedAt, cn.FailedAt, cn.Failure = pausedAt, failedAt, failure
	if !open {
		return cn, nil
	}
	var err error
	if secret != nil {
		if cn.AccessKeySecret, err = c.open(cn, "access_key_secret", secret); err != nil {
			return Connection{}, err
		}
	}
	if clientSecret != nil {
		if cn.OAuthClientSecret, err = c.open(cn, "oauth_client_secret", clientSecret); err != nil {
			return Connection{}, err
		}
	}
	return cn, nil
}

// connectionAD binds a sealed secret to its row and column: a ciphertext pasted into
// another connection's row, or into the other secret column, does not open.
func connectionAD(name, column string) []byte {
	return []byte("gongsync/connections\x00" + name + "\x00" + column)
}

func (c *Control) open(cn Connection, column string, v []byte) (SecretText, error) {
	if !cn.Encrypted {
		if c.box == nil && !c.plain {
			return "", fmt.Errorf("connection %q: its secrets were stored unencrypted (--insecure-plaintext-tokens): pass that flag again, "+
				"or set GONGSYNC_ENCRYPTION_KEY and run `gongsync connections add %s --update`: %w", cn.Name, cn.Name, ErrNoEncryptionKey)
		}
		return SecretText(v), nil
	}
	if c.box == nil {
		return "", fmt.Errorf("connection %q: its secrets (access key secret, OAuth client secret) are sealed: %w", cn.Name, ErrNoEncryptionKey)
	}
	out, err := c.box.Open(v, connectionAD(cn.Name, column))
	if err != nil {
		return "", fmt.Errorf("connection %q: decrypt %s (is GONGSYNC_ENCRYPTION_KEY the key it was stored with?): %w", cn.Name, column, err)
	}
	return SecretText(out), nil
}

// seal encrypts a secret for its row and column, or passes it through when plaintext
// storage is allowed and no key is set. An empty secret stays NULL.
func (c *Control) seal(name, column string, v SecretText) ([]byte, error) {
	if v == "" {
		return nil, nil
	}
	if c.box == nil {
		if !c.plain {
			return nil, fmt.Errorf("the connection's secrets (access key secret, OAuth client secret) are stored sealed: %w: "+
				"set it (32 bytes as 64 hex digits or base64, e.g. `openssl rand -hex 32`); --insecure-plaintext-tokens stores them unencrypted instead",
				ErrNoEncryptionKey)
		}
		return []byte(v), nil
	}
	return c.box.Seal([]byte(v), connectionAD(name, column))
}

// checkConnection is the registry's rule for a row, before anything is written.
func checkConnection(cn Connection) error {
	if err := ValidateConnectionName(cn.Name); err != nil {
		return err
	}
	if err := ValidateSchema(cn.Schema); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	if u, err := url.Parse(cn.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return errors.New("base URL: not an http(s) URL without credentials")
	}
	switch cn.AuthMode {
	case AuthBasic:
		if cn.AccessKey == "" || cn.AccessKeySecret == "" {
			return errors.New("an access key and its secret are needed (GONG_ACCESS_KEY, GONG_ACCESS_KEY_SECRET)")
		}
	case AuthOAuth:
		if cn.OAuthClientID == "" || cn.OAuthClientSecret == "" {
			return errors.New("an OAuth app's client id and secret are needed (GONG_OAUTH_CLIENT_ID, GONG_OAUTH_CLIENT_SECRET)")
		}
	default:
		return fmt.Errorf("auth mode %q: want basic or oauth", cn.AuthMode)
	}
	for _, s := range []string{cn.AccessKey, cn.OAuthClientID, cn.BaseURL, cn.ScheduleCalls, cn.ScheduleUsers, cn.ScheduleSettle, cn.ScheduleDaily} {
		if strings.ContainsRune(s, 0) {
			return errors.New("a setting contains a NUL byte")
		}
	}
	return nil
}

// CheckConnection is everything AddConnection checks before it writes: the row's
// rule and whether its secrets can be stored (a key, or plaintext allowed). It reads
// nothing, so a command runs it before it creates the control schema: a refused add
// leaves the database as it was.
func (c *Control) CheckConnection(cn Connection) error {
	if err := checkConnection(cn); err != nil {
		return fmt.Errorf("add connection %q: %w", cn.Name, err)
	}
	if _, err := c.seal(cn.Name, "access_key_secret", cn.AccessKeySecret); err != nil {
		return fmt.Errorf("add connection %q: %w", cn.Name, err)
	}
	if _, err := c.seal(cn.Name, "oauth_client_secret", cn.OAuthClientSecret); err != nil {
		return fmt.Errorf("add connection %q: %w", cn.Name, err)
	}
	return nil
}

// CountConnections is how many connections the registry holds: 0 when there is no
// registry. Only a registry that holds one makes `gongsync run` a worker of it: an
// empty one (a first add that failed half-way, the last connection removed) leaves
// the deployment the single installation its configuration describes.
func (c *Control) CountConnections(ctx context.Context) (n int, err error) {
	defer wrapErr(&err, "count connections")
	ok, err := c.Exists(ctx)
	if err != nil || !ok {
		return 0, err
	}
	err = c.st.pool.QueryRow(ctx, `SELECT count(*) FROM connections`).Scan(&n)
	return n, err
}

// AddConnection registers a connection, its secrets sealed. With update, an existing
// connection of the name is rewritten instead (its credentials, base URL and
// settings; its schema may not change) and a failure mark is cleared; without, an
// existing one is ErrConnectionExists. It returns the row as stored, secrets open.
func (c *Control) AddConnection(ctx context.Context, cn Connection, update bool) (_ Connection, err error) {
	defer wrapErr(&err, "add connection %q", cn.Name)
	if err := checkConnection(cn); err != nil {
		return Connection{}, err
	}
	secret, err := c.seal(cn.Name, "access_key_secret", cn.AccessKeySecret)
	if err != nil {
		return Connection{}, err
	}
	clientSecret, err := c.seal(cn.Name, "oauth_client_secret", cn.OAuthClientSecret)
	if err != nil {
		return Connection{}, err
	}
	var budget *int32
	if cn.DailyBudget != nil {
		b := int32(*cn.DailyBudget)
		budget = &b
	}
	args := []any{cn.Name, cn.Schema, cn.BaseURL, cn.AuthMode, nullIfEmpty(cn.AccessKey), secret, nullIfEmpty(cn.OAuthClientID), clientSecret,
		c.box != nil, budget, cn.BackfillShare, cn.RateLimit,
		nullIfEmpty(cn.ScheduleCalls), nullIfEmpty(cn.ScheduleUsers), nullIfEmpty(cn.ScheduleSettle), nullIfEmpty(cn.ScheduleDaily)}
	var rows pgx.Rows
	if update {
		rows, err = c.st.pool.Query(ctx, `
			UPDATE connections SET base_url = $3, auth_mode = $4, access_key = $5, access_key_secret = $6,
				oauth_client_id = $7, oauth_client_secret = $8, encrypted = $9, daily_budget = $10, backfill_share = $11,
				rate_limit = $12, schedule_calls = $13, schedule_users = $14, schedule_settle = $15, schedule_daily = $16,
				failed_at = NULL, failure = NULL, generation = generation + 1, updated_at = now()
			WHERE name = $1 AND schema_name = $2
			RETURNING `+connectionColumns, args...)
	} else {
		rows, err = c.st.pool.Query(ctx, `
			INSERT INTO connections (name, schema_name, base_url, auth_mode, access_key, access_key_secret,
				oauth_client_id, oauth_client_secret, encrypted, daily_budget, backfill_share, rate_limit,
				schedule_calls, schedule_users, schedule_settle, schedule_daily)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
			RETURNING `+connectionColumns, args...)
	}
	if err != nil {
		return Connection{}, err
	}
	out, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (Connection, error) { return c.scanConnection(row, true) })
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows) && update:
		if _, gerr := c.ConnectionInfo(ctx, cn.Name); errors.Is(gerr, ErrNoConnection) {
			return Connection{}, ErrNoConnection
		}
		return Connection{}, fmt.Errorf("its schema cannot change (remove it and add it again to move it to %q)", cn.Schema)
	case errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "connections_pkey":
		return Connection{}, fmt.Errorf("%w (add --update to replace its credentials and settings)", ErrConnectionExists)
	case errors.As(err, &pe) && pe.Code == "23505":
		return Connection{}, fmt.Errorf("%q: %w", cn.Schema, ErrSchemaTaken)
	}
	return out, err
}

// Connection reads a connection with its secrets open (which needs the key they
// were sealed with). ErrNoConnection when there is none.
func (c *Control) Connection(ctx context.Context, name string) (_ Connection, err error) {
	defer wrapErr(&err, "read connection %q", name)
	rows, err := c.st.pool.Query(ctx, `SELECT `+connectionColumns+` FROM connections WHERE name = $1`, name)
	if err != nil {
		return Connection{}, err
	}
	cn, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (Connection, error) { return c.scanConnection(row, true) })
	if errors.Is(err, pgx.ErrNoRows) {
		return Connection{}, ErrNoConnection
	}
	return cn, err
}

// ConnectionInfo reads a connection without opening its secrets (no key needed).
// ErrNoConnection when there is none.
func (c *Control) ConnectionInfo(ctx context.Context, name string) (Connection, error) {
	rows, err := c.st.pool.Query(ctx, `SELECT `+connectionColumns+` FROM connections WHERE name = $1`, name)
	if err != nil {
		return Connection{}, err
	}
	cn, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (Connection, error) { return c.scanConnection(row, false) })
	if errors.Is(err, pgx.ErrNoRows) {
		return Connection{}, ErrNoConnection
	}
	return cn, err
}

// Connections lists every connection by name, without their secrets: no key is
// needed to list, pause or resume.
func (c *Control) Connections(ctx context.Context) (_ []Connection, err error) {
	defer wrapErr(&err, "list connections")
	rows, err := c.st.pool.Query(ctx, `SELECT `+connectionColumns+` FROM connections ORDER BY name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Connection, error) { return c.scanConnection(row, false) })
}

// SetPaused pauses (or resumes) a connection. Resuming also clears a failure mark:
// the operator says the cause is fixed.
func (c *Control) SetPaused(ctx context.Context, name string, paused bool) (err error) {
	defer wrapErr(&err, "pause connection %q", name)
	q := `UPDATE connections SET paused_at = coalesce(paused_at, now()), updated_at = now() WHERE name = $1`
	if !paused {
		q = `UPDATE connections SET paused_at = NULL, failed_at = NULL, failure = NULL, updated_at = now() WHERE name = $1`
	}
	tag, err := c.st.pool.Exec(ctx, q, name)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrNoConnection
	}
	return nil
}

// MarkFailed records that Gong refused the connection's credentials (or its OAuth
// login is needed): workers leave it alone until it is resumed or updated. reason is
// in words and holds no secret. The first failure's time is kept.
func (c *Control) MarkFailed(ctx context.Context, name, reason string) (err error) {
	defer wrapErr(&err, "mark connection %q failed", name)
	tag, err := c.st.pool.Exec(ctx, `UPDATE connections SET failed_at = coalesce(failed_at, now()), failure = $2, updated_at = now()
		WHERE name = $1`, name, reason)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrNoConnection
	}
	return nil
}

// RemoveConnection deletes a connection from the registry and returns it (without
// its secrets). Its schema and data stay; see DropSchema.
func (c *Control) RemoveConnection(ctx context.Context, name string) (_ Connection, err error) {
	defer wrapErr(&err, "remove connection %q", name)
	rows, err := c.st.pool.Query(ctx, `DELETE FROM connections WHERE name = $1 RETURNING `+connectionColumns, name)
	if err != nil {
		return Connection{}, err
	}
	cn, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (Connection, error) { return c.scanConnection(row, false) })
	if errors.Is(err, pgx.ErrNoRows) {
		return Connection{}, ErrNoConnection
	}
	return cn, err
}

// DropSchema drops a schema with everything in it (`connections remove --drop-data`).
// The control schema itself is refused.
func (c *Control) DropSchema(ctx context.Context, schema string) error {
	if err := ValidateSchema(schema); err != nil {
		return fmt.Errorf("drop schema: %w", err)
	}
	if schema == c.st.schema {
		return fmt.Errorf("drop schema %q: it is the control schema", schema)
	}
	if _, err := c.st.pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		return fmt.Errorf("drop schema %q: %w", schema, err)
	}
	return nil
}

// Resealed counts what a key rotation did to one schema's sealed values.
type Resealed struct {
	Resealed int // opened with the old key and sealed with the new one
	Already  int // already sealed with the new key (an earlier rotation got this far)
	Plain    int // stored unencrypted (--insecure-plaintext-tokens), left as they are
}

// ResealConnections seals every secret of the registry again under next, in one
// transaction: each opens with prev (or already with next, when an interrupted
// rotation got to it) or the whole rotation of the schema is refused and nothing
// changes.
func (c *Control) ResealConnections(ctx context.Context, prev, next *secretbox.Box) (res Resealed, err error) {
	defer wrapErr(&err, "re-seal the connections' secrets in %q", c.st.schema)
	// One attempt, not Transact's retries: a rotation must see its rows whole.
	err = c.st.transactOnce(ctx, func(t *Tx) error {
		tx := t.tx
		rows, err := tx.Query(ctx, `SELECT name, encrypted, access_key_secret, oauth_client_secret FROM connections ORDER BY name FOR UPDATE`)
		if err != nil {
			return err
		}
		type row struct {
			name      string
			encrypted bool
			secrets   [2][]byte
		}
		var all []row
		var r row
		if _, err := pgx.ForEachRow(rows, []any{&r.name, &r.encrypted, &r.secrets[0], &r.secrets[1]}, func() error {
			all = append(all, r)
			return nil
		}); err != nil {
			return err
		}
		columns := [2]string{"access_key_secret", "oauth_client_secret"}
		for _, r := range all {
			if !r.encrypted {
				res.Plain++
				continue
			}
			var out [2][]byte
			already := true
			for i, v := range r.secrets {
				if v == nil {
					continue
				}
				sealed, was, err := reseal(v, connectionAD(r.name, columns[i]), prev, next)
				if err != nil {
					return fmt.Errorf("connection %q, %s: %w", r.name, columns[i], err)
				}
				out[i], already = sealed, already && was
			}
			if already {
				res.Already++
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE connections SET access_key_secret = $2, oauth_client_secret = $3, updated_at = now()
				WHERE name = $1`, r.name, out[0], out[1]); err != nil {
				return err
			}
			res.Resealed++
		}
		return nil
	})
	return res, err
}

// reseal opens v with prev and seals it with next. A value that opens with next
// already is returned as it is (already true).
func reseal(v, ad []byte, prev, next *secretbox.Box) (out []byte, already bool, err error) {
	if _, err := next.Open(v, ad); err == nil {
		return v, true, nil
	}
	plain, err := prev.Open(v, ad)
	if err != nil {
		return nil, false, errors.New("opens with neither the old key nor the new one")
	}
	out, err = next.Seal(plain, ad)
	return out, false, err
}

// JobCount is how many of River's jobs of one kind, connection and stream are in
// one state (QueueCounts).
type JobCount struct {
	Connection string `json:"connection"`
	Stream     string `json:"stream"`
	// State is River's: available (due now), scheduled (due later), running,
	// retryable (failed, to be tried again), discarded (failed for good), …
	State string `json:"state"`
	Jobs  int    `json:"jobs"`
	// Oldest is when the oldest of them was due (scheduled_at).
	Oldest time.Time `json:"oldest"`
}

// QueueCounts counts River's jobs of kind by connection (args.connection), stream
// (args.stream) and state, leaving out completed and cancelled jobs. A scheduled job
// whose time has come counts as available: it is due.
func (c *Control) QueueCounts(ctx context.Context, kind string) (_ []JobCount, err error) {
	defer wrapErr(&err, "count queued jobs")
	rows, err := c.st.pool.Query(ctx, `
		SELECT coalesce(args->>'connection', ''), coalesce(args->>'stream', ''),
			CASE WHEN state = 'scheduled' AND scheduled_at <= now() THEN 'available' ELSE state::text END AS st,
			count(*)::int, min(scheduled_at)
		FROM river_job
		WHERE kind = $1 AND state NOT IN ('completed', 'cancelled')
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, kind)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[JobCount])
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ConnectionFigures are a connection's numbers for a fleet's status, read from its
// schema through the control schema's pool (one round trip per connection, no pool
// of its own).
type ConnectionFigures struct {
	Migrated           bool       `json:"migrated"` // false: its schema holds no tables yet
	RequestsToday      int        `json:"requests_today"`
	NewestCall         *time.Time `json:"newest_call_started,omitempty"`
	TranscriptsWaiting int        `json:"transcripts_waiting"`
	// LastRun is the newest run of any stream; FailingStreams those whose newest run
	// failed.
	LastRun        *Run     `json:"last_run,omitempty"`
	FailingStreams []string `json:"failing_streams,omitempty"`
}

// ConnectionFigures reads each schema's figures of the budget day.
func (c *Control) ConnectionFigures(ctx context.Context, schemas []string, day time.Time) (_ map[string]ConnectionFigures, err error) {
	defer wrapErr(&err, "read the connections' figures")
	out := make(map[string]ConnectionFigures, len(schemas))
	for _, s := range schemas {
		var migrated bool
		if err := c.st.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL`,
			pgx.Identifier{s, "sync_runs"}.Sanitize(), pgx.Identifier{s, "transcripts_waiting"}.Sanitize()).Scan(&migrated); err != nil {
			return nil, err
		}
		if !migrated {
			out[s] = ConnectionFigures{}
			continue
		}
		q := pgx.Identifier{s}.Sanitize()
		f := ConnectionFigures{Migrated: true}
		var (
			run     Run
			runID   *int64
			started *time.Time
			failing []string
		)
		err := c.st.pool.QueryRow(ctx, `SELECT
			coalesce((SELECT requests FROM `+q+`.api_usage WHERE day = $1::date), 0),
			(SELECT max(started) FROM `+q+`.calls WHERE deleted_at IS NULL),
			(SELECT count(*) FROM `+q+`.transcripts_waiting)::int,
			(SELECT array_agg(stream ORDER BY stream) FROM (SELECT DISTINCT ON (stream) stream, status
				FROM `+q+`.sync_runs ORDER BY stream, id DESC) r WHERE status = 'failed'),
			r.id, coalesce(r.stream, ''), coalesce(r.kind, ''), coalesce(r.status, ''), r.started_at, r.finished_at,
			coalesce(r.requests, 0), coalesce(r.records, 0), coalesce(r.error, '')
			FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT * FROM `+q+`.sync_runs ORDER BY id DESC LIMIT 1) r ON true`,
			dayArg(day)).Scan(&f.RequestsToday, &f.NewestCall, &f.TranscriptsWaiting, &failing,
			&runID, &run.Stream, &run.Kind, &run.Status, &started, &run.FinishedAt, &run.Requests, &run.Records, &run.Error)
		if err != nil {
			return nil, fmt.Errorf("schema %q: %w", s, err)
		}
		if runID != nil {
			run.ID, run.StartedAt = *runID, *started
			f.LastRun = &run
		}
		f.FailingStreams = failing
		out[s] = f
	}
	return out, nil
}

// ClearFailure clears a connection's failure mark (a new OAuth login fixed it),
// leaving a pause as it is.
func (c *Control) ClearFailure(ctx context.Context, name string) (err error) {
	defer wrapErr(&err, "clear the failure of connection %q", name)
	_, err = c.st.pool.Exec(ctx, `UPDATE connections SET failed_at = NULL, failure = NULL, updated_at = now()
		WHERE name = $1 AND failed_at IS NOT NULL`, name)
	return err
}
