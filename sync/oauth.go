package sync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	gosync "sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// ErrLoginRequired: there is no usable OAuth connection (never logged in, or Gong
// refused the stored refresh token). Nothing is retried; only `gongsync auth login`
// helps. Errors matching it are *LoginRequiredError.
var ErrLoginRequired = errors.New("OAuth login required")

// LoginRequiredError says why a login is needed and what to run.
type LoginRequiredError struct {
	Reason string
}

// Error tells the operator what happened and what to run.
func (e *LoginRequiredError) Error() string {
	return "OAuth: " + e.Reason + ": run `gongsync auth login` to connect gongsync to Gong again"
}

// Is makes every LoginRequiredError match ErrLoginRequired.
func (e *LoginRequiredError) Is(target error) bool { return target == ErrLoginRequired }

// TokenSourceOptions tune a TokenSource. Zero values take the defaults in parentheses.
type TokenSourceOptions struct {
	Connection     string           // the oauth_tokens row (store.DefaultConnection)
	BaseURL        string           // API host when the token names none (gongapi.DefaultBaseURL)
	RefreshTimeout time.Duration    // bounds one refresh, lock wait and commit included (60s)
	Now            func() time.Time // the clock expiries are read on (time.Now)
	Logger         zerolog.Logger
}

// TokenSource authorizes Gong requests with the OAuth connection stored in Postgres. It
// implements gongapi.Authorizer and gongapi.BaseURLProvider, so a gongapi.Client built
// with it sends Bearer tokens to the company's api_base_url_for_customer.
//
// The access token is cached in memory and refreshed shortly before it expires (5
// minutes, or a tenth of its lifetime when that is shorter). Gong's refresh tokens are
// single-use, so a refresh locks the row, re-reads it (another process may have
// refreshed already: then its token is used), refreshes, and commits the new pair
// before the new access token is used; an answer without a refresh token keeps the old
// one. When Gong refuses the refresh token (invalid_grant) the row is marked and every
// later use, in this process or another, fails at once with a *LoginRequiredError
// until a new login.
type TokenSource struct {
	tokens *store.Tokens
	oauth  *gongapi.OAuth
	opt    TokenSourceOptions
	log    zerolog.Logger

	mu  gosync.Mutex // serializes loads and refreshes within the process
	cur *store.OAuthToken
}

// NewTokenSource returns a token source over the stored connection. oauth refreshes
// (its client id and secret must be the app's that logged in).
func NewTokenSource(tokens *store.Tokens, oauth *gongapi.OAuth, opt TokenSourceOptions) *TokenSource {
	if opt.Connection == "" {
		opt.Connection = store.DefaultConnection
	}
	if opt.BaseURL == "" {
		opt.BaseURL = gongapi.DefaultBaseURL
	}
	if opt.RefreshTimeout <= 0 {
		opt.RefreshTimeout = 60 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &TokenSource{tokens: tokens, oauth: oauth, opt: opt,
		log: opt.Logger.With().Str("connection", opt.Connection).Logger()}
}

// Authorize implements gongapi.Authorizer: it sets the Bearer token, refreshing it
// first when due.
func (s *TokenSource) Authorize(ctx context.Context, req *http.Request) error {
	tok, err := s.token(ctx)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return nil
}

// APIBaseURL implements gongapi.BaseURLProvider: the token's
// api_base_url_for_customer, or the configured base URL when Gong sent none.
func (s *TokenSource) APIBaseURL(ctx context.Context) (string, error) {
	tok, err := s.token(ctx)
	if err != nil {
		return "", err
	}
	if tok.APIBaseURL != "" {
		return tok.APIBaseURL, nil
	}
	return s.opt.BaseURL, nil
}

// Check makes sure the connection is usable now (refreshing it if due), so that a
// command fails at start rather than on its first request.
func (s *TokenSource) Check(ctx context.Context) error {
	_, err := s.token(ctx)
	return err
}

// String names the source; it has no secret to show.
func (s *TokenSource) String() string {
	return "sync.TokenSource(connection=" + s.opt.Connection + ")"
}

// token returns an access token that is not due for refresh.
func (s *TokenSource) token(ctx context.Context) (store.OAuthToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil && !refreshDue(*s.cur, s.opt.Now()) {
		return *s.cur, nil
	}
	s.cur = nil
	tok, err := s.tokens.Load(ctx, s.opt.Connection)
	switch {
	case errors.Is(err, store.ErrNoToken):
		return store.OAuthToken{}, &LoginRequiredError{Reason: "no OAuth connection is stored"}
	case err != nil:
		return store.OAuthToken{}, fmt.Errorf("OAuth token: %w", err)
	case tok.LoginRequired != "":
		return store.OAuthToken{}, &LoginRequiredError{Reason: tok.LoginRequired}
	}
	if !refreshDue(tok, s.opt.Now()) {
		s.cur = &tok
		return tok, nil
	}
	fresh, err := s.refresh(ctx, func(cur store.OAuthToken) bool { return refreshDue(cur, s.opt.Now()) })
	if err != nil {
		if errors.Is(err, ErrLoginRequired) || !s.opt.Now().Before(tok.ExpiresAt) {
			return store.OAuthToken{}, err
		}
		// The refresh failed for a reason a later one may not meet (network, 5xx), and
		// the token we have is still good for a while: use it, and try again next time.
		s.log.Warn().Err(err).Time("expires_at", tok.ExpiresAt).Msg("could not refresh the OAuth access token; using the current one until it expires")
		return tok, nil
	}
	s.cur = &fresh
	return fresh, nil
}

// Reauthorize implements gongapi.Reauthorizer: Gong refused the access token of the
// refused request before its expiry (revoked early, say), so it is refreshed now,
// unless another process (or goroutine) has replaced it already, in which case that
// replacement is used.
func (s *TokenSource) Reauthorize(ctx context.Context, refused *http.Request) error {
	rejected := strings.TrimSpace(strings.TrimPrefix(refused.Header.Get("Authorization"), "Bearer "))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = nil
	fresh, err := s.refresh(ctx, func(cur store.OAuthToken) bool { return cur.AccessToken == rejected })
	if err != nil {
		return err
	}
	s.cur = &fresh
	return nil
}

// refresh runs the locked read-refresh-write when due says the stored token needs it
// (another process may have refreshed while this one waited for the lock). Its context
// is detached from the caller's: once Gong has rotated the pair, a cancelled caller
// must not keep the new one from being committed (the old refresh token is spent).
func (s *TokenSource) refresh(ctx context.Context, due func(cur store.OAuthToken) bool) (store.OAuthToken, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opt.RefreshTimeout)
	defer cancel()
	var (
		perm      error
		refreshed bool
	)
	tok, err := s.tokens.Update(rctx, s.opt.Connection, func(cur store.OAuthToken) (*store.OAuthToken, error) {
		if cur.LoginRequired != "" {
			perm = &LoginRequiredError{Reason: cur.LoginRequired}
			return nil, nil
		}
		if !due(cur) {
			return nil, nil // another process refreshed while we waited for the lock
		}
		answer, err := s.oauth.Refresh(rctx, cur.RefreshToken)
		if errors.Is(err, gongapi.ErrInvalidGrant) {
			reason := "Gong refused the stored refresh token (invalid_grant: expired, revoked, or already used)"
			perm = &LoginRequiredError{Reason: reason}
			next := cur
			next.LoginRequired = reason
			next.LoginRequiredAt = s.opt.Now()
			return &next, nil
		}
		if err != nil {
			return nil, fmt.Errorf("refresh the OAuth access token: %w", err)
		}
		next := mergeRefresh(cur, answer)
		refreshed = true
		return &next, nil
	})
	if err != nil {
		if errors.Is(err, store.ErrNoToken) {
			return store.OAuthToken{}, &LoginRequiredError{Reason: "no OAuth connection is stored"}
		}
		return store.OAuthToken{}, fmt.Errorf("OAuth token: %w", err)
	}
	if perm != nil {
		s.log.Error().Err(perm).Msg("the OAuth connection to Gong is no longer usable")
		return store.OAuthToken{}, perm
	}
	if refreshed {
		s.log.Info().Int64("generation", tok.Generation).Time("expires_at", tok.ExpiresAt).
			Str("api_base_url", tok.APIBaseURL).Msg("OAuth access token refreshed")
	}
	return tok, nil
}

// mergeRefresh applies a refresh answer to the stored connection: what the answer
// leaves out (the refresh token above all) stays as it was.
func mergeRefresh(cur store.OAuthToken, t *gongapi.Token) store.OAuthToken {
	next := cur
	next.AccessToken = t.AccessToken
	if t.RefreshToken != "" {
		next.RefreshToken = t.RefreshToken
	}
	if t.TokenType != "" {
		next.TokenType = t.TokenType
	}
	if len(t.Scopes) > 0 {
		next.Scopes = t.Scopes
	}
	if t.APIBaseURL != "" {
		next.APIBaseURL = t.APIBaseURL
	}
	next.ObtainedAt = t.ObtainedAt
	next.ExpiresAt = t.Expiry
	next.LoginRequired, next.LoginRequiredAt = "", time.Time{}
	return next
}

// TokenFromLogin turns a login's answer into the row to store.
func TokenFromLogin(t *gongapi.Token) store.OAuthToken {
	return store.OAuthToken{
		ID:           store.DefaultConnection,
		AccessToken:  t.AccessToken,
		RefreshToken: t.RefreshToken,
		TokenType:    t.TokenType,
		Scopes:       t.Scopes,
		APIBaseURL:   strings.TrimRight(t.APIBaseURL, "/"),
		ExpiresAt:    t.Expiry,
		ObtainedAt:   t.ObtainedAt,
	}
}

// assumedLifetime stands in for expires_in when Gong sent none: refresh after an hour
// rather than wait for a 401.
const assumedLifetime = time.Hour

// refreshDue says whether tok should be refreshed before use at now: within 5 minutes
// of its expiry, or a tenth of its lifetime when that is shorter (short-lived tokens).
func refreshDue(tok store.OAuthToken, now time.Time) bool {
	exp := tok.ExpiresAt
	if exp.IsZero() {
		exp = tok.ObtainedAt.Add(assumedLifetime)
	}
	margin := min(5*time.Minute, exp.Sub(tok.ObtainedAt)/10)
	return !now.Before(exp.Add(-margin))
}
