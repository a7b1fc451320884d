package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/internal/secretbox"
)

// DefaultConnection is the id of the one OAuth connection gongsync keeps today.
const DefaultConnection = "default"

// Errors of the token store, for errors.Is.
var (
	// ErrNoToken: no OAuth connection has been stored under that id (never logged in).
	ErrNoToken = errors.New("no OAuth token stored")
	// ErrNoEncryptionKey: a secret at rest (OAuth tokens, a connection's access key
	// secret or OAuth client secret) cannot be written, or an encrypted one read,
	// without GONGSYNC_ENCRYPTION_KEY, and plaintext storage was not allowed. The
	// wrapping error names which secret.
	ErrNoEncryptionKey = errors.New("no encryption key (GONGSYNC_ENCRYPTION_KEY)")
)

// OAuthToken is one OAuth connection's row, tokens in clear (in memory only). It
// never prints its tokens: String, Format and MarshalJSON show them redacted, so the
// struct may be logged by mistake without harm.
type OAuthToken struct {
	ID           string
	AccessToken  string
	RefreshToken string // empty when Gong gave none
	TokenType    string
	Scopes       []string
	// APIBaseURL is Gong's api_base_url_for_customer; empty when Gong sent none.
	APIBaseURL string
	ExpiresAt  time.Time // zero when unknown
	ObtainedAt time.Time // when this access token was issued (the caller's clock)
	// LoginRequired, when not empty, says why the connection is unusable (Gong
	// refused its refresh token); only a new login clears it.
	LoginRequired   string
	LoginRequiredAt time.Time

	// Set by the store when reading.
	Generation int64 // how many times the row's tokens were written
	Encrypted  bool  // false only for rows written with plaintext storage allowed
	UpdatedAt  time.Time
}

// String shows everything but the tokens.
func (t OAuthToken) String() string {
	exp := "unknown"
	if !t.ExpiresAt.IsZero() {
		exp = t.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("store.OAuthToken(id=%s, generation=%d, scopes=%q, expires=%s, base=%q, access_token=REDACTED, refresh_token=REDACTED)",
		t.ID, t.Generation, t.Scopes, exp, t.APIBaseURL)
}

// GoString is String, so %#v does not dump the fields.
func (t OAuthToken) GoString() string { return t.String() }

// Format makes every verb show String.
func (t OAuthToken) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(t.String())) }

// MarshalJSON keeps encoding/json and zerolog's Interface on the redacted form.
func (t OAuthToken) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("%q", t.String())), nil
}

// TokenOptions says how tokens are protected at rest.
type TokenOptions struct {
	// Box seals the tokens (AES-256-GCM under GONGSYNC_ENCRYPTION_KEY). nil means no
	// key is configured.
	Box *secretbox.Box
	// AllowPlaintext stores tokens unencrypted when Box is nil, and reads rows stored
	// that way (--insecure-plaintext-tokens). Every such use logs a warning.
	AllowPlaintext bool
	// Logger hears the plaintext warnings and a failure to store rotated tokens.
	Logger zerolog.Logger
}

// Tokens reads and writes OAuth connections in oauth_tokens. Safe for concurrent use.
type Tokens struct {
	st    *Store
	box   *secretbox.Box
	plain bool
	log   zerolog.Logger
}

// Tokens returns the token store over this database.
func (s *Store) Tokens(opt TokenOptions) *Tokens {
	return &Tokens{st: s, box: opt.Box, plain: opt.AllowPlaintext, log: opt.Logger}
}

// Encrypting reports whether tokens written now are encrypted.
func (t *Tokens) Encrypting() bool { return t.box != nil }

// CanWrite says whether tokens may be stored at all: with a key, or with plaintext
// storage allowed. Check it before asking a person to log in.
func (t *Tokens) CanWrite() error {
	if t.box == nil && !t.plain {
		return fmt.Errorf("OAuth tokens are stored sealed: %w: set it (32 bytes as 64 hex digits or base64, e.g. `openssl rand -hex 32`); "+
			"--insecure-plaintext-tokens stores them unencrypted instead", ErrNoEncryptionKey)
	}
	return nil
}

const tokenColumns = `id, encrypted, access_token, refresh_token, token_type, scopes,
	coalesce(api_base_url_for_customer, ''), expires_at, obtained_at,
	coalesce(login_required, ''), login_required_at, generation, updated_at`

// Save stores a fresh connection (after a login): it replaces whatever the row held,
// clears a login-required mark and bumps the generation. It returns the row as stored.
func (t *Tokens) Save(ctx context.Context, tok OAuthToken) (_ OAuthToken, err error) {
	defer wrapErr(&err, "save OAuth token %q", tok.ID)
	if err := t.CanWrite(); err != nil {
		return OAuthToken{}, err
	}
	if err := checkToken(tok); err != nil {
		return OAuthToken{}, err
	}
	access, refresh, err := t.seal(tok)
	if err != nil {
		return OAuthToken{}, err
	}
	row, err := t.st.pool.Query(ctx, `
		INSERT INTO oauth_tokens AS o (id, encrypted, access_token, refresh_token, token_type, scopes,
			api_base_url_for_customer, expires_at, obtained_at)
		VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''), $8, $9)
		ON CONFLICT (id) DO UPDATE SET
			encrypted = excluded.encrypted, access_token = excluded.access_token,
			refresh_token = excluded.refresh_token, token_type = excluded.token_type,
			scopes = excluded.scopes, api_base_url_for_customer = excluded.api_base_url_for_customer,
			expires_at = excluded.expires_at, obtained_at = excluded.obtained_at,
			login_required = NULL, login_required_at = NULL,
			generation = o.generation + 1, updated_at = now()
		RETURNING `+tokenColumns,
		tok.ID, t.box != nil, access, refresh, tok.TokenType, scopesOrEmpty(tok.Scopes),
		tok.APIBaseURL, timeOrNil(tok.ExpiresAt), tok.ObtainedAt)
	if err != nil {
		return OAuthToken{}, err
	}
	out, err := pgx.CollectExactlyOneRow(row, t.scan)
	if err != nil {
		return OAuthToken{}, err
	}
	t.warnPlaintext(out, "stored")
	return out, nil
}

// Load reads a connection without locking it. ErrNoToken when there is none.
func (t *Tokens) Load(ctx context.Context, id string) (_ OAuthToken, err error) {
	defer wrapErr(&err, "load OAuth token %q", id)
	return t.readRow(ctx, t.st.pool, `SELECT `+tokenColumns+` FROM oauth_tokens WHERE id = $1`, id)
}

// readRow reads one connection's row with q (a pool or a transaction); ErrNoToken
// when there is none.
func (t *Tokens) readRow(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, sql, id string) (OAuthToken, error) {
	rows, err := q.Query(ctx, sql, id)
	if err != nil {
		return OAuthToken{}, err
	}
	tok, err := pgx.CollectExactlyOneRow(rows, t.scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return OAuthToken{}, ErrNoToken
	}
	if err != nil {
		return OAuthToken{}, err
	}
	t.warnPlaintext(tok, "read")
	return tok, nil
}

// Update runs fn on the connection with its row locked (SELECT … FOR UPDATE), so
// that of several processes wanting to refresh at once, one refreshes and the others,
// once it commits, see its result. When fn returns a token it replaces the row's
// (generation + 1) in the same transaction, which commits before Update returns:
// the caller may use the new access token only then. When fn returns nil, nothing is
// written. Update returns the row as it stands afterwards.
//
// The transaction is not retried: fn may spend a single-use refresh token, and
// running it twice would spend it twice. ctx should not be cancelled between fn's
// refresh and the commit (callers detach it), or a rotated pair could be lost.
func (t *Tokens) Update(ctx context.Context, id string, fn func(cur OAuthToken) (*OAuthToken, error)) (_ OAuthToken, err error) {
	defer wrapErr(&err, "update OAuth token %q", id)
	tx, err := t.st.pool.Begin(ctx)
	if err != nil {
		return OAuthToken{}, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	cur, err := t.readRow(ctx, tx, `SELECT `+tokenColumns+` FROM oauth_tokens WHERE id = $1 FOR UPDATE`, id)
	if err != nil {
		return OAuthToken{}, err
	}
	next, err := fn(cur)
	if err != nil {
		return OAuthToken{}, err
	}
	if next == nil {
		if err := tx.Commit(ctx); err != nil {
			return OAuthToken{}, fmt.Errorf("commit: %w", err)
		}
		return cur, nil
	}
	next.ID = id
	out, err := t.write(ctx, tx, *next)
	if err == nil {
		err = tx.Commit(ctx)
		if err != nil {
			err = fmt.Errorf("commit: %w", err)
		}
	}
	if err != nil {
		if next.AccessToken != cur.AccessToken || next.RefreshToken != cur.RefreshToken {
			// Gong has rotated the pair; the refresh token we still hold is spent.
			t.log.Error().Str("connection", id).Msg("Gong issued new OAuth tokens but they could not be stored; " +
				"the stored refresh token is no longer valid, so `gongsync auth login` will be needed")
		}
		return OAuthToken{}, err
	}
	t.warnPlaintext(out, "stored")
	return out, nil
}

// write replaces the row's tokens inside Update's transaction.
func (t *Tokens) write(ctx context.Context, tx pgx.Tx, tok OAuthToken) (OAuthToken, error) {
	if err := t.CanWrite(); err != nil {
		return OAuthToken{}, err
	}
	if err := checkToken(tok); err != nil {
		return OAuthToken{}, err
	}
	access, refresh, err := t.seal(tok)
	if err != nil {
		return OAuthToken{}, err
	}
	var loginAt any
	if tok.LoginRequired != "" {
		loginAt = tok.LoginRequiredAt
		if tok.LoginRequiredAt.IsZero() {
			loginAt = time.Now()
		}
	}
	rows, err := tx.Query(ctx, `
		UPDATE oauth_tokens SET
			encrypted = $2, access_token = $3, refresh_token = $4, token_type = $5, scopes = $6,
			api_base_url_for_customer = nullif($7, ''), expires_at = $8, obtained_at = $9,
			login_required = nullif($10, ''), login_required_at = $11,
			generation = generation + 1, updated_at = now()
		WHERE id = $1
		RETURNING `+tokenColumns,
		tok.ID, t.box != nil, access, refresh, tok.TokenType, scopesOrEmpty(tok.Scopes),
		tok.APIBaseURL, timeOrNil(tok.ExpiresAt), tok.ObtainedAt, tok.LoginRequired, loginAt)
	if err != nil {
		return OAuthToken{}, err
	}
	return pgx.CollectExactlyOneRow(rows, t.scan)
}

// OAuthTokenInfo reads a connection's description without its tokens, and so without the key:
// `gongsync auth status` works wherever the database is reachable.
func (s *Store) OAuthTokenInfo(ctx context.Context, id string) (_ OAuthToken, err error) {
	defer wrapErr(&err, "read OAuth token info %q", id)
	var tok OAuthToken
	var exp, loginAt *time.Time
	err = s.pool.QueryRow(ctx, `
		SELECT id, encrypted, token_type, scopes, coalesce(api_base_url_for_customer, ''), expires_at,
			obtained_at, coalesce(login_required, ''), login_required_at, generation, updated_at
		FROM oauth_tokens WHERE id = $1`, id).Scan(
		&tok.ID, &tok.Encrypted, &tok.TokenType, &tok.Scopes, &tok.APIBaseURL, &exp,
		&tok.ObtainedAt, &tok.LoginRequired, &loginAt, &tok.Generation, &tok.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return OAuthToken{}, ErrNoToken
	}
	if err != nil {
		return OAuthToken{}, err
	}
	if exp != nil {
		tok.ExpiresAt = *exp
	}
	if loginAt != nil {
		tok.LoginRequiredAt = *loginAt
	}
	return tok, nil
}

// scan reads one row of tokenColumns and opens its tokens.
func (t *Tokens) scan(row pgx.CollectableRow) (OAuthToken, error) {
	var (
		tok             OAuthToken
		access, refresh []byte
		exp, loginAt    *time.Time
	)
	if err := row.Scan(&tok.ID, &tok.Encrypted, &access, &refresh, &tok.TokenType, &tok.Scopes,
		&tok.APIBaseURL, &exp, &tok.ObtainedAt, &tok.LoginRequired, &loginAt, &tok.Generation, &tok.UpdatedAt); err != nil {
		return OAuthToken{}, err
	}
	if exp != nil {
		tok.ExpiresAt = *exp
	}
	if loginAt != nil {
		tok.LoginRequiredAt = *loginAt
	}
	var err error
	if tok.AccessToken, err = t.open(tok, "access_token", access); err != nil {
		return OAuthToken{}, err
	}
	if refresh != nil {
		if tok.RefreshToken, err = t.open(tok, "refresh_token", refresh); err != nil {
			return OAuthToken{}, err
		}
	}
	return tok, nil
}

func (t *Tokens) open(tok OAuthToken, column string, v []byte) (string, error) {
	if !tok.Encrypted {
		if t.box == nil && !t.plain {
			return "", fmt.Errorf("the tokens were stored unencrypted (--insecure-plaintext-tokens): pass that flag again, "+
				"or set GONGSYNC_ENCRYPTION_KEY and run `gongsync auth login` to store them encrypted: %w", ErrNoEncryptionKey)
		}
		return string(v), nil
	}
	if t.box == nil {
		return "", fmt.Errorf("the stored tokens are encrypted and GONGSYNC_ENCRYPTION_KEY is not set: %w", ErrNoEncryptionKey)
	}
	out, err := t.box.Open(v, tokenAD(tok.ID, column))
	if err != nil {
		return "", fmt.Errorf("decrypt %s (is GONGSYNC_ENCRYPTION_KEY the key they were stored with?): %w", column, err)
	}
	return string(out), nil
}

// seal encrypts both tokens, or passes them through when plaintext storage is allowed
// and no key is configured.
func (t *Tokens) seal(tok OAuthToken) (access, refresh []byte, err error) {
	if t.box == nil {
		access = []byte(tok.AccessToken)
		if tok.RefreshToken != "" {
			refresh = []byte(tok.RefreshToken)
		}
		return access, refresh, nil
	}
	if access, err = t.box.Seal([]byte(tok.AccessToken), tokenAD(tok.ID, "access_token")); err != nil {
		return nil, nil, err
	}
	if tok.RefreshToken != "" {
		if refresh, err = t.box.Seal([]byte(tok.RefreshToken), tokenAD(tok.ID, "refresh_token")); err != nil {
			return nil, nil, err
		}
	}
	return access, refresh, nil
}

// tokenAD binds a sealed token to its row and column: a ciphertext pasted into
// another row or swapped between the two columns does not open.
func tokenAD(id, column string) []byte {
	return []byte("gongsync/oauth_tokens\x00" + id + "\x00" + column)
}

// warnPlaintext says, every time, that tokens were read or written unencrypted.
func (t *Tokens) warnPlaintext(tok OAuthToken, what string) {
	if tok.Encrypted {
		return
	}
	t.log.Warn().Str("connection", tok.ID).
		Msgf("INSECURE: OAuth tokens %s in plaintext (--insecure-plaintext-tokens); anyone who can read the database "+
			"can use this Gong connection. Set GONGSYNC_ENCRYPTION_KEY and run `gongsync auth login` again.", what)
}

func checkToken(tok OAuthToken) error {
	switch {
	case tok.ID == "":
		return errors.New("connection id is empty")
	case tok.AccessToken == "":
		return errors.New("access token is empty")
	case tok.ObtainedAt.IsZero():
		return errors.New("obtained-at time is missing")
	case strings.ContainsRune(tok.APIBaseURL, 0), strings.ContainsRune(tok.TokenType, 0):
		return errors.New("contains a NUL byte")
	}
	return nil
}

func scopesOrEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// wrapErr prefixes a non-nil error with what was being done.
func wrapErr(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf(format+": %w", append(args, *errp)...)
	}
}

// ResealTokens seals every OAuth token of the schema again under next, in one
// transaction (GONGSYNC_ENCRYPTION_KEY's rotation): each opens with prev, or already
// with next when an interrupted rotation got to it, or nothing changes. Rows stored
// unencrypted are counted and left as they are.
func (s *Store) ResealTokens(ctx context.Context, prev, next *secretbox.Box) (res Resealed, err error) {
	defer wrapErr(&err, "re-seal the OAuth tokens in %q", s.schema)
	var exists bool
	if err := s.pool.QueryRow(ctx, "SELECT to_regclass('oauth_tokens') IS NOT NULL").Scan(&exists); err != nil || !exists {
		return res, err // a schema never migrated holds no token
	}
	err = s.transactOnce(ctx, func(t *Tx) error {
		rows, err := t.tx.Query(ctx, `SELECT id, encrypted, access_token, refresh_token FROM oauth_tokens ORDER BY id FOR UPDATE`)
		if err != nil {
			return err
		}
		type row struct {
			id        string
			encrypted bool
			access    []byte
			refresh   []byte
		}
		var all []row
		var r row
		if _, err := pgx.ForEachRow(rows, []any{&r.id, &r.encrypted, &r.access, &r.refresh}, func() error {
			all = append(all, r)
			return nil
		}); err != nil {
			return err
		}
		for _, r := range all {
			if !r.encrypted {
				res.Plain++
				continue
			}
			access, already, err := reseal(r.access, tokenAD(r.id, "access_token"), prev, next)
			if err != nil {
				return fmt.Errorf("connection %q, access_token: %w", r.id, err)
			}
			refresh := r.refresh
			if r.refresh != nil {
				var was bool
				if refresh, was, err = reseal(r.refresh, tokenAD(r.id, "refresh_token"), prev, next); err != nil {
					return fmt.Errorf("connection %q, refresh_token: %w", r.id, err)
				}
				already = already && was
			}
			if already {
				res.Already++
				continue
			}
			// The tokens themselves do not change: the generation, which counts new
			// tokens, stays as it is.
			if _, err := t.tx.Exec(ctx, `UPDATE oauth_tokens SET access_token = $2, refresh_token = $3, updated_at = now() WHERE id = $1`,
				r.id, access, refresh); err != nil {
				return err
			}
			res.Resealed++
		}
		return nil
	})
	return res, err
}
