package gongapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/gongsync/gongsync/internal/b64"
)

// Gong's OAuth endpoints (authorization code flow, no PKCE). Both are on app.gong.io,
// not on the API host.
const (
	DefaultOAuthAuthorizeURL = "https://app.gong.io/oauth2/authorize"
	DefaultOAuthTokenURL     = "https://app.gong.io/oauth2/generate-customer-token"
)

// ErrInvalidGrant: Gong refused the authorization code or the refresh token
// (expired, revoked, or already used: Gong's refresh tokens are single-use). Nothing
// but a new login fixes it, so it must not be retried.
var ErrInvalidGrant = errors.New("invalid_grant")

// OAuthError is a refusal from Gong's token endpoint.
type OAuthError struct {
	Endpoint    string // "POST https://app.gong.io/oauth2/generate-customer-token", without the query
	Status      int    // HTTP status; 0 when no answer came
	Code        string // the "error" field, e.g. "invalid_grant", "invalid_client"
	Description string // the "error_description" field
	Err         error  // a network or decode failure, when that is the cause
}

// Error reads "gongapi: oauth: POST …: 400 invalid_grant: Token has been expired or revoked."
func (e *OAuthError) Error() string {
	var b strings.Builder
	b.WriteString("gongapi: oauth: ")
	b.WriteString(e.Endpoint)
	b.WriteString(":")
	if e.Status != 0 {
		fmt.Fprintf(&b, " %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is matches ErrInvalidGrant for Gong's invalid_grant answers.
func (e *OAuthError) Is(target error) bool {
	return target == ErrInvalidGrant && e.Code == "invalid_grant"
}

// Unwrap gives the underlying failure, if any.
func (e *OAuthError) Unwrap() error { return e.Err }

// Token is what Gong's token endpoint answers. Its String and Format never show the
// tokens.
type Token struct {
	AccessToken  string
	RefreshToken string // empty when the answer carried none: keep the previous one
	TokenType    string // "Bearer"
	Scopes       []string
	ExpiresIn    time.Duration // 0 when the answer did not say
	Expiry       time.Time     // ObtainedAt + ExpiresIn; zero when unknown
	ObtainedAt   time.Time     // when the answer came, on OAuthConfig.Now's clock
	// APIBaseURL is api_base_url_for_customer: the API host of this company, which
	// API calls must use (EU and APAC tenants fail on the generic host).
	APIBaseURL string
}

// String shows everything but the tokens.
func (t *Token) String() string {
	if t == nil {
		return "gongapi.Token(nil)"
	}
	return fmt.Sprintf("gongapi.Token(type=%s, scopes=%q, expires_in=%s, base=%q, access_token=REDACTED, refresh_token=REDACTED)",
		t.TokenType, t.Scopes, t.ExpiresIn, t.APIBaseURL)
}

// GoString is String.
func (t *Token) GoString() string { return t.String() }

// Format makes every verb show String.
func (t *Token) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(t.String())) }

// OAuthConfig configures an OAuth app installed in a Gong company.
type OAuthConfig struct {
	ClientID     string
	ClientSecret string
	// AuthorizeURL and TokenURL default to Gong's (DefaultOAuthAuthorizeURL and
	// DefaultOAuthTokenURL); tests point them at the fake.
	AuthorizeURL, TokenURL string
	// Scopes asked for at login (required): the sync engine's streams know theirs.
	Scopes []string
	// Transport sends the token requests; default a clone of http.DefaultTransport.
	Transport http.RoundTripper
	// Timeout bounds one token request; default 30s.
	Timeout time.Duration
	// Now is the clock expiries are computed on; default time.Now.
	Now func() time.Time
	// UserAgent is sent on token requests; default DefaultUserAgent.
	UserAgent string
}

// OAuth speaks Gong's OAuth protocol: the authorize URL, the code exchange and the
// refresh, both at generate-customer-token with the client credentials in a Basic
// header and the parameters on the query string, as Gong documents. (golang.org/x/oauth2
// builds the authorize URL; its exchange sends a form body, which Gong does not
// document, so the two token calls are made here.)
type OAuth struct {
	cfg       OAuthConfig
	authorize *url.URL
	token     *url.URL
	http      *http.Client
}

// NewOAuth checks cfg and fills in defaults.
func NewOAuth(cfg OAuthConfig) (*OAuth, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("gongapi: oauth: the client id and client secret are required")
	}
	if cfg.AuthorizeURL == "" {
		cfg.AuthorizeURL = DefaultOAuthAuthorizeURL
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultOAuthTokenURL
	}
	if len(cfg.Scopes) == 0 {
		return nil, errors.New("gongapi: oauth: no scopes to ask for")
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	o := &OAuth{cfg: cfg}
	var err error
	if o.authorize, err = oauthURL("authorize", cfg.AuthorizeURL); err != nil {
		return nil, err
	}
	if o.token, err = oauthURL("token", cfg.TokenURL); err != nil {
		return nil, err
	}
	o.http = &http.Client{
		Transport: cfg.Transport,
		Timeout:   cfg.Timeout,
		// A redirect would resend the code or refresh token somewhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return o, nil
}

func oauthURL(name, s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("gongapi: oauth: the %s URL must be an http(s) URL without credentials", name)
	}
	return u, nil
}

// Scopes returns the scopes a login asks for.
func (o *OAuth) Scopes() []string { return append([]string(nil), o.cfg.Scopes...) }

// AuthCodeURL is the page of Gong's where an administrator approves the app; Gong then
// redirects the browser to redirectURL with ?code=…&state=….
func (o *OAuth) AuthCodeURL(redirectURL, state string) string {
	c := oauth2.Config{
		ClientID:    o.cfg.ClientID,
		Endpoint:    oauth2.Endpoint{AuthURL: o.authorize.String(), TokenURL: o.token.String()},
		RedirectURL: redirectURL,
		Scopes:      o.cfg.Scopes,
	}
	return c.AuthCodeURL(state)
}

// Exchange trades an authorization code for tokens. redirectURL must be the one the
// authorize URL carried.
func (o *OAuth) Exchange(ctx context.Context, code, redirectURL string) (*Token, error) {
	q := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURL}}
	return o.tokenRequest(ctx, q)
}

// Refresh spends a refresh token for a new access token (and, usually, a new refresh
// token: Gong's are single-use, so the caller must store the new one before anything
// else). A spent, expired or revoked one is an error matching ErrInvalidGrant.
func (o *OAuth) Refresh(ctx context.Context, refreshToken string) (*Token, error) {
	if refreshToken == "" {
		return nil, &OAuthError{Endpoint: o.endpoint(), Code: "invalid_grant", Description: "no refresh token is stored"}
	}
	return o.tokenRequest(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

func (o *OAuth) endpoint() string {
	return "POST " + o.token.Scheme + "://" + o.token.Host + o.token.Path
}

// maxTokenAnswer bounds the token endpoint's answer: a few hundred bytes in practice.
const maxTokenAnswer = 1 << 20

// tokenRequest POSTs to the token endpoint with q on the query string and the client
// credentials in a Basic header. No error it returns contains the query (the code or
// refresh token) or the client secret.
func (o *OAuth) tokenRequest(ctx context.Context, q url.Values) (*Token, error) {
	u := *o.token
	merged := u.Query()
	for k, v := range q {
		merged[k] = v
	}
	u.RawQuery = merged.Encode()
	fail := func(status int, err error) error {
		return &OAuthError{Endpoint: o.endpoint(), Status: status, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return nil, fail(0, errors.New("cannot build the request"))
	}
	req.SetBasicAuth(o.cfg.ClientID, o.cfg.ClientSecret)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", o.cfg.UserAgent)
	resp, err := o.http.Do(req)
	if err != nil {
		// url.Error repeats the URL, query and all: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fail(0, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer+1))
	if err != nil {
		return nil, fail(resp.StatusCode, fmt.Errorf("read the answer: %w", err))
	}
	if len(body) > maxTokenAnswer {
		return nil, fail(resp.StatusCode, errors.New("answer too large"))
	}
	if resp.StatusCode != http.StatusOK {
		e := &OAuthError{Endpoint: o.endpoint(), Status: resp.StatusCode}
		var eb struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(body, &eb) == nil && eb.Error != "" {
			e.Code, e.Description = eb.Error, eb.Description
		} else {
			e.Description = "the answer is not an OAuth error (" + contentKind(resp.Header) + ")"
		}
		return nil, e
	}
	tok, err := o.parseToken(body)
	if err != nil {
		// Never quote a 200's body: it may hold tokens.
		return nil, fail(resp.StatusCode, err)
	}
	return tok, nil
}

func contentKind(h http.Header) string {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt == "" {
		return "no content type"
	}
	return mt
}

// parseToken reads a token answer. expires_in may come as a number or a string.
func (o *OAuth) parseToken(body []byte) (*Token, error) {
	var raw struct {
		AccessToken  string          `json:"access_token"`
		RefreshToken string          `json:"refresh_token"`
		TokenType    string          `json:"token_type"`
		Scope        string          `json:"scope"`
		ExpiresIn    json.RawMessage `json:"expires_in"`
		APIBaseURL   string          `json:"api_base_url_for_customer"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, errors.New("the token answer is not the JSON expected")
	}
	if raw.AccessToken == "" {
		return nil, errors.New("the token answer has no access_token")
	}
	tok := &Token{
		AccessToken:  raw.AccessToken,
		RefreshToken: raw.RefreshToken,
		TokenType:    raw.TokenType,
		Scopes:       strings.Fields(raw.Scope),
		ObtainedAt:   o.cfg.Now(),
	}
	if tok.TokenType == "" {
		tok.TokenType = "Bearer"
	}
	if !strings.EqualFold(tok.TokenType, "bearer") {
		return nil, fmt.Errorf("token type %q is not Bearer", tok.TokenType)
	}
	if s := strings.Trim(string(raw.ExpiresIn), `"`); s != "" && s != "null" {
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || n < 0 || n > 10*365*86400 {
			return nil, errors.New("expires_in is not a number of seconds")
		}
		tok.ExpiresIn = time.Duration(n * float64(time.Second))
		tok.Expiry = tok.ObtainedAt.Add(tok.ExpiresIn)
	}
	if raw.APIBaseURL != "" {
		if _, err := parseBaseURL(raw.APIBaseURL); err != nil {
			return nil, fmt.Errorf("api_base_url_for_customer: %w", err)
		}
		tok.APIBaseURL = strings.TrimRight(raw.APIBaseURL, "/")
	}
	return tok, nil
}

// NewState returns a random state for one login (256 bits, URL-safe).
func NewState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("gongapi: oauth: draw a state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// DefaultRedirectURL is where `gongsync auth login` listens for Gong's redirect. It
// must be registered as a redirect URI of the OAuth app in Gong.
const DefaultRedirectURL = "http://127.0.0.1:8765/oauth/callback"

// LoginOptions configure Login.
type LoginOptions struct {
	// RedirectURL is the local address Gong redirects the browser to, an http URL on a
	// loopback host; default DefaultRedirectURL. Port 0 picks a free port (tests: Gong
	// only accepts registered redirect URIs).
	RedirectURL string
	// State is the login's state; default a fresh NewState.
	State string
	// OnAuthURL is called with the authorize URL once the local listener is up: print
	// it, open a browser.
	OnAuthURL func(authURL string)
}

// Errors of Login, for errors.Is.
var (
	// ErrStateMismatch: the redirect carried another state than this login's: it was
	// not started here (a forged or stale link). The code is not exchanged.
	ErrStateMismatch = errors.New("the state in Gong's redirect does not match this login")
	// ErrAccessDenied: Gong redirected with an error (the administrator declined, or
	// the app is not allowed the scopes).
	ErrAccessDenied = errors.New("access not granted by Gong")
)

// Login runs the authorization code flow on this machine: it listens on the
// redirect URL, hands the authorize URL to OnAuthURL, waits for Gong's redirect,
// checks its state in constant time, exchanges the code and returns the tokens. The
// browser gets a short page saying how it went. A redirect with a wrong state, an
// error or no code ends the login with an error (the code is then never exchanged);
// requests to other paths are answered 404 and ignored. Login returns when ctx ends.
func (o *OAuth) Login(ctx context.Context, opt LoginOptions) (*Token, error) {
	if opt.RedirectURL == "" {
		opt.RedirectURL = DefaultRedirectURL
	}
	ru, err := url.Parse(opt.RedirectURL)
	if err != nil || ru.Scheme != "http" || ru.Host == "" || ru.RawQuery != "" || ru.Fragment != "" {
		return nil, fmt.Errorf("gongapi: oauth: redirect URL %q must be http://host:port/path on this machine", opt.RedirectURL)
	}
	if !isLoopback(ru.Hostname()) {
		return nil, fmt.Errorf("gongapi: oauth: redirect URL host %q is not a loopback address (127.0.0.1, ::1 or localhost): the login listens on this machine", ru.Hostname())
	}
	if ru.Path == "" {
		ru.Path = "/"
	}
	if opt.State == "" {
		if opt.State, err = NewState(); err != nil {
			return nil, err
		}
	} else if _, err := b64.Decode(base64.RawURLEncoding, opt.State); err != nil || len(opt.State) < 22 {
		// A state is a random value in the URL alphabet, as NewState draws it; a line
		// break or anything else that would be escaped on its way through Gong is refused.
		return nil, errors.New("gongapi: oauth: the login state must be at least 22 characters of unpadded base64url (NewState draws one)")
	}
	port := ru.Port()
	if port == "" {
		port = "80"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ru.Hostname(), port))
	if err != nil {
		return nil, fmt.Errorf("gongapi: oauth: listen for the redirect on %s: %w", ru.Host, err)
	}
	if port == "0" {
		ru.Host = net.JoinHostPort(ru.Hostname(), strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	redirect := ru.String()

	type result struct {
		tok *Token
		err error
	}
	done := make(chan result, 1)
	var once sync.Once
	finish := func(r result) { once.Do(func() { done <- r }) }
	mux := http.NewServeMux()
	mux.HandleFunc(ru.Path, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		switch {
		case q.Get("error") != "":
			err := fmt.Errorf("%w: %s", ErrAccessDenied, oneLine(q.Get("error")+" "+q.Get("error_description")))
			loginPage(w, http.StatusBadRequest, "Gong did not grant access", err.Error())
			finish(result{err: err})
		case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(opt.State)) != 1:
			loginPage(w, http.StatusBadRequest, "Login refused", "The state in this link does not match the login in progress. Start `gongsync auth login` again.")
			finish(result{err: ErrStateMismatch})
		case q.Get("code") == "":
			loginPage(w, http.StatusBadRequest, "Login failed", "Gong's redirect carried no code.")
			finish(result{err: errors.New("gongapi: oauth: Gong's redirect carried no code")})
		default:
			tok, err := o.Exchange(r.Context(), q.Get("code"), redirect)
			if err != nil {
				loginPage(w, http.StatusBadGateway, "Login failed", "Gong refused to exchange the code; see gongsync's output.")
				finish(result{err: fmt.Errorf("exchange the code: %w", err)})
				return
			}
			loginPage(w, http.StatusOK, "gongsync is connected to Gong", "You can close this window.")
			finish(result{tok: tok})
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	if opt.OnAuthURL != nil {
		opt.OnAuthURL(o.AuthCodeURL(redirect, opt.State))
	}
	select {
	case r := <-done:
		return r.tok, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("gongapi: oauth: waiting for Gong's redirect: %w", ctx.Err())
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// oneLine keeps an untrusted text short and on one line for an error.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func loginPage(w http.ResponseWriter, status int, title, text string) {
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%s</title></head><body><h1>%s</h1><p>%s</p></body></html>\n",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
}
