package fakegong

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// oauthClient drives the fake's OAuth endpoints by hand (the real client's flow is
// tested in package gongapi).
type oauthClient struct {
	f        *fake
	redirect string
}

// code runs /oauth2/authorize without following the redirect and returns the code.
func (c oauthClient) code(scope string) string {
	c.f.t.Helper()
	q := url.Values{"client_id": {DefaultOAuthClientID}, "response_type": {"code"}, "scope": {scope},
		"redirect_uri": {c.redirect}, "state": {"s-1"}}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(c.f.url + "/oauth2/authorize?" + q.Encode())
	if err != nil {
		c.f.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.Query().Get("state") != "s-1" ||
		!strings.HasPrefix(loc.String(), c.redirect+"?") {
		c.f.t.Fatalf("authorize: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

// token calls the token endpoint with params on the query (or in a form body).
func (c oauthClient) token(params url.Values, form bool, id, secret string) (int, string) {
	c.f.t.Helper()
	u := c.f.url + "/oauth2/generate-customer-token"
	var body io.Reader
	if form {
		body = strings.NewReader(params.Encode())
	} else {
		u += "?" + params.Encode()
	}
	req, _ := http.NewRequest(http.MethodPost, u, body)
	if form {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	ExpiresIn    int64  `json:"expires_in"`
	BaseURL      string `json:"api_base_url_for_customer"`
}

func (c oauthClient) mustToken(params url.Values, form bool) tokenAnswer {
	c.f.t.Helper()
	status, body := c.token(params, form, DefaultOAuthClientID, DefaultOAuthClientSecret)
	if status != http.StatusOK {
		c.f.t.Fatalf("token: %d %s", status, body)
	}
	var a tokenAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		c.f.t.Fatal(err)
	}
	return a
}

func (f *fake) bearer(path, token string) answer {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

func TestOAuthCodeRefreshAndBearer(t *testing.T) {
	t.Parallel()
	clock := NewVirtualClock(fixedNow)
	f := newFake(t, Options{Calls: 20, Clock: clock, OAuthTokenLifetime: time.Hour})
	c := oauthClient{f: f, redirect: "http://127.0.0.1:8765/oauth/callback"}
	code := c.code("api:users:read  api:workspaces:read")
	tok := c.mustToken(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.redirect}}, false)
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 ||
		tok.Scope != "api:users:read api:workspaces:read" || tok.BaseURL != f.url+CustomerPathPrefix {
		t.Fatalf("token answer: %+v", tok)
	}

	// The access token opens the API under the customer prefix only, until it expires.
	if a := f.bearer(CustomerPathPrefix+"/v2/workspaces", tok.AccessToken); a.status != http.StatusOK {
		t.Fatalf("customer host: %d %s", a.status, a.body)
	}
	if texts := errorBody(t, f.bearer("/v2/workspaces", tok.AccessToken), http.StatusUnauthorized); !strings.Contains(texts[0], "own host") {
		t.Fatalf("generic host: %q", texts)
	}
	errorBody(t, f.bearer(CustomerPathPrefix+"/v2/workspaces", "fake-at-forged"), http.StatusUnauthorized)
	if a := f.do(http.MethodGet, CustomerPathPrefix+"/v2/workspaces", nil, ""); a.status != http.StatusOK {
		t.Fatalf("Basic credentials under the customer prefix: %d", a.status)
	}
	clock.Advance(time.Hour)
	if texts := errorBody(t, f.bearer(CustomerPathPrefix+"/v2/workspaces", tok.AccessToken), http.StatusUnauthorized); !strings.Contains(texts[0], "expired") {
		t.Fatalf("expired token: %q", texts)
	}

	// Refresh (form body works too), rotation, and Gong's exact invalid_grant on reuse.
	next := c.mustToken(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, true)
	if next.RefreshToken == tok.RefreshToken || next.Scope != tok.Scope {
		t.Fatalf("refresh did not rotate: %+v", next)
	}
	if a := f.bearer(CustomerPathPrefix+"/v2/workspaces", next.AccessToken); a.status != http.StatusOK {
		t.Fatalf("refreshed token: %d", a.status)
	}
	for _, reuse := range []url.Values{
		{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}},
		{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.redirect}},
	} {
		status, body := c.token(reuse, false, DefaultOAuthClientID, DefaultOAuthClientSecret)
		if status != http.StatusBadRequest || body != `{"error":"invalid_grant","error_description":"Token has been expired or revoked."}` {
			t.Fatalf("reuse %s: %d %s", reuse.Get("grant_type"), status, body)
		}
	}
	if status, body := c.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next.RefreshToken}}, false,
		DefaultOAuthClientID, "wrong"); status != http.StatusUnauthorized || !strings.Contains(body, "invalid_client") {
		t.Fatalf("wrong client secret: %d %s", status, body)
	}
	if status, _ := c.token(url.Values{"grant_type": {"password"}}, false, DefaultOAuthClientID, DefaultOAuthClientSecret); status != http.StatusBadRequest {
		t.Fatalf("unsupported grant: %d", status)
	}
	if st := f.OAuthStats(); st.Authorizations != 1 || st.CodeExchanges != 1 || st.Refreshes != 1 || st.InvalidGrants != 2 ||
		st.InvalidClients != 1 || st.BearerAccepted != 2 || st.BearerRejected != 3 {
		t.Errorf("stats: %+v", st)
	}
	// The API's own counters see the customer-prefixed requests under their plain path.
	if n := f.Stats().ByEndpoint["GET /v2/workspaces"]; n != 6 {
		t.Errorf("GET /v2/workspaces counted %d times, want 6", n)
	}

	// Revoking the app ends both tokens.
	f.RevokeOAuth()
	if status, _ := c.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next.RefreshToken}}, false,
		DefaultOAuthClientID, DefaultOAuthClientSecret); status != http.StatusBadRequest {
		t.Fatalf("refresh after revocation: %d", status)
	}
	errorBody(t, f.bearer(CustomerPathPrefix+"/v2/workspaces", next.AccessToken), http.StatusUnauthorized)
}

func TestOAuthAuthorizeRefusals(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Calls: 5})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(q url.Values) *http.Response {
		resp, err := noFollow.Get(f.url + "/oauth2/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	good := url.Values{"client_id": {DefaultOAuthClientID}, "response_type": {"code"}, "scope": {"api:users:read"},
		"redirect_uri": {"http://127.0.0.1:1/cb"}, "state": {"x"}}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for kk, vv := range good {
			q[kk] = vv
		}
		q.Set(k, v)
		return q
	}
	// No redirect to a URL the fake cannot trust.
	for _, q := range []url.Values{with("client_id", "someone-else"), with("redirect_uri", "/relative"), with("redirect_uri", "javascript:alert(1)")} {
		if resp := get(q); resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("%v: %d %q", q, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// A bad request from a trusted client goes back with an error.
	resp := get(with("response_type", "token"))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Get("error") != "unsupported_response_type" || loc.Query().Get("code") != "" {
		t.Errorf("response_type=token: %d %s", resp.StatusCode, loc)
	}
	if resp, _ := http.Post(f.url+"/oauth2/authorize", "text/plain", nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /oauth2/authorize: %d", resp.StatusCode)
	}
	if f.OAuthStats().Authorizations != 0 {
		t.Errorf("a refused authorize handed out a code: %+v", f.OAuthStats())
	}
}

func TestOAuthRefreshWithoutRotation(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Calls: 5, OAuthOmitRefreshToken: true})
	c := oauthClient{f: f, redirect: "http://127.0.0.1:1/cb"}
	tok := c.mustToken(url.Values{"grant_type": {"authorization_code"}, "code": {c.code("api:users:read")}, "redirect_uri": {c.redirect}}, false)
	for range 3 {
		next := c.mustToken(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, false)
		if next.RefreshToken != "" || next.AccessToken == "" {
			t.Fatalf("refresh without rotation: %+v", next)
		}
	}
}
