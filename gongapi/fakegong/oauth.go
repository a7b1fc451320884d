package fakegong

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// The OAuth app the fake accepts when Options leaves it empty (test values).
const (
	DefaultOAuthClientID     = "fake-oauth-client-id"
	DefaultOAuthClientSecret = "fake-oauth-client-secret"
)

// CustomerPathPrefix is where the fake serves the API for OAuth clients: the
// api_base_url_for_customer it hands out is this server's address plus this prefix,
// as Gong hands out a company's own host. Bearer tokens are accepted only there, as
// EU and APAC tenants fail on Gong's generic host, so a client that ignores the
// customer URL fails against the fake too. Basic credentials work on both.
const CustomerPathPrefix = "/customer-api"

// codeLifetime is how long an authorization code may wait for its exchange.
const codeLifetime = 10 * time.Minute

// invalidGrantBody is Gong's answer to a spent, expired or revoked code or refresh token.
const invalidGrantBody = `{"error":"invalid_grant","error_description":"Token has been expired or revoked."}`

// OAuthStats counts what the fake's OAuth endpoints did.
type OAuthStats struct {
	Authorizations int `json:"authorizations"`  // codes handed out by /oauth2/authorize
	CodeExchanges  int `json:"code_exchanges"`  // codes exchanged for tokens
	Refreshes      int `json:"refreshes"`       // refresh tokens exchanged for new tokens
	InvalidGrants  int `json:"invalid_grants"`  // codes or refresh tokens refused
	InvalidClients int `json:"invalid_clients"` // token requests with wrong client credentials
	BearerAccepted int `json:"bearer_accepted"` // API requests authorized by an access token
	BearerRejected int `json:"bearer_rejected"` // API requests refused: expired, unknown, or on the generic host
}

// oauthState is the fake's authorization server: codes, refresh tokens (single-use,
// rotated on every refresh) and access tokens with their expiry on the fake's clock.
type oauthState struct {
	mu       sync.Mutex
	withheld []string // scopes not granted (Options.WithheldScopes, SetWithheldScopes)
	codes    map[string]*oauthCode
	refresh  map[string]*oauthRefresh
	access   map[string]accessToken
	stats    OAuthStats
}

type accessToken struct {
	expires time.Time
	scopes  []string // as granted, the withheld ones left out
}

type oauthCode struct {
	redirect string
	scope    string
	expires  time.Time
	used     bool
}

type oauthRefresh struct {
	scope string
	used  bool
}

func (o *oauthState) init() {
	if o.codes == nil {
		o.codes = map[string]*oauthCode{}
		o.refresh = map[string]*oauthRefresh{}
		o.access = map[string]accessToken{}
	}
}

// OAuthStats returns the OAuth counters.
func (s *Server) OAuthStats() OAuthStats {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	return s.oauth.stats
}

// RevokeOAuth forgets every refresh and access token, as an administrator
// uninstalling the app would: the next refresh gets invalid_grant, the next API call 401.
func (s *Server) RevokeOAuth() {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	s.oauth.refresh, s.oauth.access = map[string]*oauthRefresh{}, map[string]accessToken{}
}

// RevokeAccessTokens forgets every access token and keeps the refresh tokens, as Gong
// may invalidate an access token before it expires: the next API call with one gets
// 401, and a refresh gets a fresh token.
func (s *Server) RevokeAccessTokens() {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	s.oauth.access = map[string]accessToken{}
}

// serveOAuth answers /oauth2/authorize and /oauth2/generate-customer-token. They are
// outside the API's limits, faults and stats, as Gong's live on app.gong.io.
func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/oauth2/authorize":
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		s.oauthAuthorize(w, r)
	case "/oauth2/generate-customer-token":
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "POST only")
			return
		}
		s.oauthToken(w, r)
	default:
		http.NotFound(w, r)
	}
}

// oauthAuthorize approves at once (no consent page) and redirects to redirect_uri
// with a code and the state, as Gong does once an administrator approves. A request
// it cannot trust with a redirect (unknown client, bad redirect_uri) gets a 400 page.
func (s *Server) oauthAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.opts.OAuthClientID {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	ru, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || (ru.Scheme != "http" && ru.Scheme != "https") || ru.Host == "" || ru.Fragment != "" {
		http.Error(w, "redirect_uri must be an absolute http(s) URL", http.StatusBadRequest)
		return
	}
	back := ru.Query()
	if q.Get("response_type") != "code" {
		back.Set("error", "unsupported_response_type")
	} else if strings.TrimSpace(q.Get("scope")) == "" {
		back.Set("error", "invalid_scope")
	} else {
		code := randomToken("fake-code-")
		s.oauth.mu.Lock()
		s.oauth.init()
		s.oauth.codes[code] = &oauthCode{redirect: ru.String(), scope: strings.Join(s.granted(strings.Fields(q.Get("scope"))), " "),
			expires: s.clock.Now().Add(codeLifetime)}
		s.oauth.stats.Authorizations++
		s.oauth.mu.Unlock()
		back.Set("code", code)
	}
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	ru.RawQuery = back.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, ru.String(), http.StatusFound)
}

// oauthToken exchanges a code or a refresh token. Parameters are read from the query
// string (as Gong documents) or a form body (which works too).
func (s *Server) oauthToken(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(id), []byte(s.opts.OAuthClientID))&
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.OAuthClientSecret)) != 1 {
		s.oauth.mu.Lock()
		s.oauth.stats.InvalidClients++
		s.oauth.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Basic realm="gong"`)
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the parameters do not parse")
		return
	}
	now := s.clock.Now()
	o := &s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	o.init()
	var scope string
	switch r.Form.Get("grant_type") {
	case "authorization_code":
		c := o.codes[r.Form.Get("code")]
		if c == nil || c.used || now.After(c.expires) || c.redirect != r.Form.Get("redirect_uri") {
			o.stats.InvalidGrants++
			invalidGrant(w)
			return
		}
		c.used = true
		scope = c.scope
		o.stats.CodeExchanges++
	case "refresh_token":
		old := r.Form.Get("refresh_token")
		rt := o.refresh[old]
		if rt == nil || rt.used {
			o.stats.InvalidGrants++
			invalidGrant(w)
			return
		}
		scope = rt.scope
		o.stats.Refreshes++
		if s.opts.OAuthOmitRefreshToken {
			// No rotation: the answer carries no refresh token and the old one stays good.
			s.issue(w, r, now, scope, false)
			return
		}
		rt.used = true
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
		return
	}
	s.issue(w, r, now, scope, true)
}

// issue answers a new access token (and refresh token); the caller holds o.mu.
func (s *Server) issue(w http.ResponseWriter, r *http.Request, now time.Time, scope string, withRefresh bool) {
	o := &s.oauth
	access := randomToken("fake-at-")
	o.access[access] = accessToken{expires: now.Add(s.opts.OAuthTokenLifetime), scopes: strings.Fields(scope)}
	answer := map[string]any{
		"access_token":              access,
		"token_type":                "Bearer",
		"scope":                     scope,
		"expires_in":                int64(s.opts.OAuthTokenLifetime / time.Second),
		"api_base_url_for_customer": s.customerBaseURL(r),
	}
	if withRefresh {
		rt := randomToken("fake-rt-")
		o.refresh[rt] = &oauthRefresh{scope: scope}
		answer["refresh_token"] = rt
	}
	b, _ := json.Marshal(answer)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// customerBaseURL is this fake's own address plus CustomerPathPrefix.
func (s *Server) customerBaseURL(r *http.Request) string {
	if s.opts.PublicURL != "" {
		return strings.TrimRight(s.opts.PublicURL, "/") + CustomerPathPrefix
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + CustomerPathPrefix
}

// bearerAuth checks an API request's access token; it returns "" when the token is
// good for this request, or why not. customer says whether the request came in under
// CustomerPathPrefix.
func (s *Server) bearerAuth(token string, customer bool) string {
	o := &s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	at, ok := o.access[token]
	switch {
	case !ok:
		o.stats.BearerRejected++
		return "Unauthorized: the access token is not valid"
	case !s.clock.Now().Before(at.expires):
		o.stats.BearerRejected++
		return "Unauthorized: the access token has expired"
	case !customer:
		o.stats.BearerRejected++
		return "Unauthorized: this company's API is served at its own host (api_base_url_for_customer)"
	}
	o.stats.BearerAccepted++
	return ""
}

// authorize checks an API request's credentials: Basic (access key) or Bearer (OAuth).
func (s *Server) authorize(r *http.Request, customer bool) string {
	h := r.Header.Get("Authorization")
	const bearer = "Bearer "
	if len(h) > len(bearer) && strings.EqualFold(h[:len(bearer)], bearer) {
		return s.bearerAuth(strings.TrimSpace(h[len(bearer):]), customer)
	}
	if !s.authorized(r) {
		return "Unauthorized: the access key or access key secret is not valid"
	}
	return ""
}

// SetWithheldScopes replaces the scopes the company's administrator did not grant
// (Options.WithheldScopes). Tokens already issued keep the scopes they were granted,
// as Gong's do: a new login picks up a grant.
func (s *Server) SetWithheldScopes(scopes []string) {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	s.oauth.withheld = slices.Clone(scopes)
}

// granted is scopes without the withheld ones; the caller holds s.oauth.mu.
func (s *Server) granted(scopes []string) []string {
	return slices.DeleteFunc(scopes, func(sc string) bool { return slices.Contains(s.oauth.withheld, sc) })
}

// refusedScope returns the scope an authorized request lacks, or "": an access token
// needs the endpoint's scope (the route's, "" for a path the fake does not serve) among
// those granted to it; an access key may use every scope not withheld.
func (s *Server) refusedScope(r *http.Request, scope string) string {
	if scope == "" {
		return ""
	}
	o := &s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	h := r.Header.Get("Authorization")
	const bearer = "Bearer "
	if len(h) > len(bearer) && strings.EqualFold(h[:len(bearer)], bearer) {
		if slices.Contains(o.access[strings.TrimSpace(h[len(bearer):])].scopes, scope) {
			return ""
		}
		return scope
	}
	if slices.Contains(o.withheld, scope) {
		return scope
	}
	return ""
}

func invalidGrant(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusBadRequest)
	w.Write([]byte(invalidGrantBody))
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	b, _ := json.Marshal(map[string]string{"error": code, "error_description": desc})
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(b)
}

func randomToken(prefix string) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}
