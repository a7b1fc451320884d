package gongapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// oauthFake starts a fake Gong; wrap, when set, sees every request first.
func oauthFake(t *testing.T, opts fakegong.Options, wrap func(http.Handler) http.Handler) (*fakegong.Server, string) {
	t.Helper()
	opts.Seed, opts.Calls, opts.From, opts.To = 7, 50, dataFrom, dataTo
	if opts.Clock == nil {
		opts.Clock = fakegong.NewVirtualClock(virtualNow)
	}
	s, err := fakegong.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = s
	if wrap != nil {
		h = wrap(s)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return s, hs.URL
}

// testScopes are the scopes the tests' logins ask for (the sync engine's streams name
// gongsync's own).
var testScopes = []string{"api:users:read", "api:workspaces:read", "api:calls:read:extensive", "api:calls:read:transcript"}

func oauthApp(t *testing.T, fake *fakegong.Server, base string, mod func(*gongapi.OAuthConfig)) *gongapi.OAuth {
	t.Helper()
	cfg := gongapi.OAuthConfig{
		ClientID: fakegong.DefaultOAuthClientID, ClientSecret: fakegong.DefaultOAuthClientSecret,
		AuthorizeURL: base + "/oauth2/authorize", TokenURL: base + "/oauth2/generate-customer-token",
		Scopes: testScopes, Now: fake.Clock().Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	o, err := gongapi.NewOAuth(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// browse follows a URL the way a browser would (redirects included) and returns the
// final status.
func browse(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Errorf("browser: %v", err)
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// login runs Login with a test browser; edit may change the authorize URL first.
func login(t *testing.T, o *gongapi.OAuth, edit func(u *url.URL)) (*gongapi.Token, *url.URL, int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var (
		authURL *url.URL
		status  int
		wg      sync.WaitGroup
	)
	tok, err := o.Login(ctx, gongapi.LoginOptions{
		RedirectURL: "http://127.0.0.1:0/oauth/callback",
		OnAuthURL: func(s string) {
			u, err := url.Parse(s)
			if err != nil {
				t.Errorf("authorize URL: %v", err)
				return
			}
			authURL = u
			v := *u
			if edit != nil {
				edit(&v)
			}
			wg.Add(1)
			go func() { defer wg.Done(); status = browse(t, v.String()) }()
		},
	})
	wg.Wait()
	return tok, authURL, status, err
}

func TestOAuthLoginFlow(t *testing.T) {
	t.Parallel()
	fake, base := oauthFake(t, fakegong.Options{}, nil)
	o := oauthApp(t, fake, base, nil)
	tok, authURL, status, err := login(t, o, nil)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if status != http.StatusOK {
		t.Errorf("the browser got %d", status)
	}
	q := authURL.Query()
	if authURL.Path != "/oauth2/authorize" || q.Get("client_id") != fakegong.DefaultOAuthClientID ||
		q.Get("response_type") != "code" || q.Get("scope") != strings.Join(testScopes, " ") ||
		len(q.Get("state")) < 40 || !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") {
		t.Errorf("authorize URL: %s", authURL)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "Bearer" ||
		!slices.Equal(tok.Scopes, testScopes) || tok.ExpiresIn != 24*time.Hour ||
		!tok.Expiry.Equal(virtualNow.Add(24*time.Hour)) || tok.APIBaseURL != base+fakegong.CustomerPathPrefix {
		t.Fatalf("token: %v expiry %s", tok, tok.Expiry)
	}
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s %x", tok, tok, tok, tok, tok)} {
		if strings.Contains(s, tok.AccessToken) || strings.Contains(s, tok.RefreshToken) {
			t.Errorf("printing the token shows it: %s", s)
		}
	}
	if st := fake.OAuthStats(); st.Authorizations != 1 || st.CodeExchanges != 1 {
		t.Errorf("fake saw %+v", st)
	}

	// The access token works on the customer's base URL, and only there.
	bearer := bearerAuth(tok.AccessToken)
	c, _ := client(t, tok.APIBaseURL, func(cfg *gongapi.Config) { cfg.Auth = bearer })
	if ws, err := c.Workspaces(context.Background()); err != nil || len(ws) == 0 {
		t.Fatalf("API call with the token on the customer URL: %d workspaces, %v", len(ws), err)
	}
	generic, _ := client(t, base, func(cfg *gongapi.Config) { cfg.Auth = bearer })
	if _, err := generic.Workspaces(context.Background()); !errors.Is(err, gongapi.ErrUnauthorized) {
		t.Fatalf("the token on the generic host: %v", err)
	}
	// Expired on the fake's clock: 401.
	fake.Clock().Advance(24 * time.Hour)
	if _, err := c.Workspaces(context.Background()); !errors.Is(err, gongapi.ErrUnauthorized) {
		t.Fatalf("an expired token: %v", err)
	}
}

// bearerAuth is the smallest OAuth Authorizer: a fixed access token.
type bearerAuth string

func (b bearerAuth) Authorize(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", "Bearer "+string(b))
	return nil
}

func TestOAuthLoginRejectsWrongState(t *testing.T) {
	t.Parallel()
	fake, base := oauthFake(t, fakegong.Options{}, nil)
	o := oauthApp(t, fake, base, nil)
	tok, _, status, err := login(t, o, func(u *url.URL) {
		q := u.Query()
		q.Set("state", q.Get("state")+"x") // a link made for another login
		u.RawQuery = q.Encode()
	})
	if !errors.Is(err, gongapi.ErrStateMismatch) || tok != nil {
		t.Fatalf("login with a wrong state: %v, %v", tok, err)
	}
	if status != http.StatusBadRequest {
		t.Errorf("the browser got %d, want 400", status)
	}
	if st := fake.OAuthStats(); st.Authorizations != 1 || st.CodeExchanges != 0 {
		t.Errorf("the code of a wrong-state redirect was exchanged: %+v", st)
	}
}

func TestOAuthLoginRefusesAStateOutsideTheURLAlphabet(t *testing.T) {
	t.Parallel()
	fake, base := oauthFake(t, fakegong.Options{}, nil)
	o := oauthApp(t, fake, base, nil)
	good, err := gongapi.NewState()
	if err != nil {
		t.Fatal(err)
	}
	for name, state := range map[string]string{
		"carriage return": good[:10] + "\r" + good[10:],
		"newline":         good[:10] + "\n" + good[10:],
		"space":           good[:10] + " " + good[10:],
		"too short":       "abc",
	} {
		called := false
		_, err := o.Login(context.Background(), gongapi.LoginOptions{RedirectURL: "http://127.0.0.1:0/cb", State: state,
			OnAuthURL: func(string) { called = true }})
		if err == nil || called {
			t.Errorf("%s: Login started with state %q (err %v)", name, state, err)
		}
	}
	if st := fake.OAuthStats(); st.Authorizations != 0 {
		t.Errorf("a refused state reached Gong's authorize page: %+v", st)
	}
}

func TestOAuthLoginDeniedAndBadRedirect(t *testing.T) {
	t.Parallel()
	fake, base := oauthFake(t, fakegong.Options{}, nil)
	o := oauthApp(t, fake, base, nil)
	// The fake refuses an authorize request without scopes with error=invalid_scope.
	_, _, _, err := login(t, o, func(u *url.URL) {
		q := u.Query()
		q.Del("scope")
		u.RawQuery = q.Encode()
	})
	if !errors.Is(err, gongapi.ErrAccessDenied) || !strings.Contains(err.Error(), "invalid_scope") {
		t.Fatalf("denied login: %v", err)
	}
	for _, ru := range []string{"https://example.com/cb", "http://10.1.2.3:8765/cb", "ftp://127.0.0.1/x"} {
		if _, err := o.Login(context.Background(), gongapi.LoginOptions{RedirectURL: ru}); err == nil {
			t.Errorf("Login accepted redirect URL %s", ru)
		}
	}
	// A login nobody completes ends with its context.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := o.Login(ctx, gongapi.LoginOptions{RedirectURL: "http://127.0.0.1:0/cb"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("abandoned login: %v", err)
	}
}

// tokenRequests records how the token endpoint was called.
type tokenRequests struct {
	mu   sync.Mutex
	reqs []tokenCall
}

type tokenCall struct {
	query    url.Values
	bodyLen  int
	user     string
	password string
}

func (tr *tokenRequests) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth2/generate-customer-token" {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(strings.NewReader(string(b)))
			u, p, _ := r.BasicAuth()
			tr.mu.Lock()
			tr.reqs = append(tr.reqs, tokenCall{query: r.URL.Query(), bodyLen: len(b), user: u, password: p})
			tr.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func TestOAuthRefreshRotatesSingleUseTokens(t *testing.T) {
	t.Parallel()
	var tr tokenRequests
	fake, base := oauthFake(t, fakegong.Options{OAuthTokenLifetime: time.Hour}, tr.wrap)
	o := oauthApp(t, fake, base, nil)
	tok, _, _, err := login(t, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fake.Clock().Advance(50 * time.Minute)
	next, err := o.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken || next.AccessToken == tok.AccessToken ||
		!next.Expiry.Equal(virtualNow.Add(110*time.Minute)) {
		t.Fatalf("refreshed: %v expiry %s", next, next.Expiry)
	}
	// The spent refresh token is refused with Gong's invalid_grant.
	_, err = o.Refresh(ctx, tok.RefreshToken)
	var oe *gongapi.OAuthError
	if !errors.Is(err, gongapi.ErrInvalidGrant) || !errors.As(err, &oe) || oe.Status != 400 ||
		oe.Description != "Token has been expired or revoked." {
		t.Fatalf("reused refresh token: %v", err)
	}
	if strings.Contains(err.Error(), tok.RefreshToken) || strings.Contains(err.Error(), fakegong.DefaultOAuthClientSecret) {
		t.Fatalf("the error shows a secret: %v", err)
	}
	if _, err := o.Refresh(ctx, next.RefreshToken); err != nil {
		t.Fatalf("refresh with the new token: %v", err)
	}
	if st := fake.OAuthStats(); st.Refreshes != 2 || st.InvalidGrants != 1 {
		t.Errorf("fake saw %+v", st)
	}

	// Every token request put its parameters on the query string and the client
	// credentials in a Basic header, with no body.
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.reqs) != 4 {
		t.Fatalf("%d token requests, want 4", len(tr.reqs))
	}
	for i, r := range tr.reqs {
		gt := r.query.Get("grant_type")
		if r.bodyLen != 0 || r.user != fakegong.DefaultOAuthClientID || r.password != fakegong.DefaultOAuthClientSecret ||
			(i == 0 && (gt != "authorization_code" || r.query.Get("code") == "" || r.query.Get("redirect_uri") == "")) ||
			(i > 0 && (gt != "refresh_token" || r.query.Get("refresh_token") == "")) {
			t.Errorf("token request %d: %+v", i, r)
		}
	}
}

func TestOAuthRefreshWithoutNewRefreshToken(t *testing.T) {
	t.Parallel()
	fake, base := oauthFake(t, fakegong.Options{OAuthOmitRefreshToken: true}, nil)
	o := oauthApp(t, fake, base, nil)
	tok, _, _, err := login(t, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		next, err := o.Refresh(context.Background(), tok.RefreshToken)
		if err != nil || next.RefreshToken != "" || next.AccessToken == "" {
			t.Fatalf("refresh: %v, %v", next, err)
		}
	}
}

func TestOAuthErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	fake, base := oauthFake(t, fakegong.Options{}, nil)
	const refresh = "rt-very-secret-refresh-token"
	const secret = "client-secret-that-must-not-show"

	// Nobody listens: the network error names the endpoint but not the query.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	o := oauthApp(t, fake, dead, func(c *gongapi.OAuthConfig) { c.ClientSecret = secret })
	_, err = o.Refresh(context.Background(), refresh)
	if err == nil || errors.Is(err, gongapi.ErrInvalidGrant) {
		t.Fatalf("refresh against a closed port: %v", err)
	}
	// Wrong client secret: invalid_client.
	o = oauthApp(t, fake, base, func(c *gongapi.OAuthConfig) { c.ClientSecret = secret })
	_, err2 := o.Refresh(context.Background(), refresh)
	var oe *gongapi.OAuthError
	if !errors.As(err2, &oe) || oe.Code != "invalid_client" || oe.Status != 401 {
		t.Fatalf("wrong client secret: %v", err2)
	}
	// A 200 that is not a token answer.
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"refresh_token":%q}`, refresh+"-new")
	}))
	defer page.Close()
	o = oauthApp(t, fake, page.URL, func(c *gongapi.OAuthConfig) { c.ClientSecret = secret })
	_, err3 := o.Refresh(context.Background(), refresh)
	if err3 == nil {
		t.Fatal("a token answer without access_token was accepted")
	}
	for _, e := range []error{err, err2, err3} {
		if s := e.Error(); strings.Contains(s, refresh) || strings.Contains(s, secret) || strings.Contains(s, "refresh_token=") {
			t.Errorf("error shows a secret: %s", s)
		}
	}
	if _, err := gongapi.NewOAuth(gongapi.OAuthConfig{ClientID: "x", Scopes: testScopes}); err == nil {
		t.Error("NewOAuth without a secret")
	}
	if _, err := gongapi.NewOAuth(gongapi.OAuthConfig{ClientID: "x", ClientSecret: "y"}); err == nil || !strings.Contains(err.Error(), "scopes") {
		t.Errorf("NewOAuth without scopes: %v", err)
	}
	if _, err := gongapi.NewOAuth(gongapi.OAuthConfig{ClientID: "x", ClientSecret: "y", TokenURL: "https://u:p@host/x", Scopes: testScopes}); err == nil {
		t.Error("NewOAuth with credentials in the token URL")
	}
}

func TestOAuthCodeIsSingleUse(t *testing.T) {
	t.Parallel()
	fake, base := oauthFake(t, fakegong.Options{}, nil)
	o := oauthApp(t, fake, base, nil)
	// Drive the authorize endpoint by hand to keep the code.
	const redirect = "http://127.0.0.1:1/cb"
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(o.AuthCodeURL(redirect, "st"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if resp.StatusCode != http.StatusFound || code == "" || loc.Query().Get("state") != "st" {
		t.Fatalf("authorize answered %d, Location %s", resp.StatusCode, loc)
	}
	if _, err := o.Exchange(context.Background(), code, "http://127.0.0.1:2/other"); !errors.Is(err, gongapi.ErrInvalidGrant) {
		t.Fatalf("exchange with another redirect_uri: %v", err)
	}
	resp, _ = noFollow.Get(o.AuthCodeURL(redirect, "st"))
	resp.Body.Close()
	loc, _ = url.Parse(resp.Header.Get("Location"))
	code = loc.Query().Get("code")
	if _, err := o.Exchange(context.Background(), code, redirect); err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if _, err := o.Exchange(context.Background(), code, redirect); !errors.Is(err, gongapi.ErrInvalidGrant) {
		t.Fatalf("second exchange of a code: %v", err)
	}
}
