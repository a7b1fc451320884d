package fakegong

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// One fake serves many companies: each tenant answers its own credentials with its
// own dataset (the base seed plus its number), keeps its own limits and counters,
// and a request no tenant's credentials sign is refused without touching any of them.
func TestTenantsServeEachCompanyApart(t *testing.T) {
	t.Parallel()
	clock := NewVirtualClock(time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC))
	ts, err := NewTenants(Options{Seed: 30, Calls: 40, DailyLimit: 3, AccessKey: "KEY", AccessKeySecret: "SECRET", Clock: clock}, 3)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ts)
	t.Cleanup(srv.Close)
	f := &fake{Server: ts.Tenant(1), url: srv.URL, t: t}

	// Tenant 2 holds exactly what a lone fake with seed 32 holds.
	alone, err := New(Options{Seed: 32, Calls: 40, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(s *Server) []string {
		var out []string
		for _, c := range s.Dataset().AllCalls() {
			out = append(out, c.ID)
		}
		return out
	}
	if !slices.Equal(ids(ts.Tenant(2)), ids(alone)) {
		t.Error("tenant 2's calls are not those of seed 30+2")
	}
	if slices.Equal(ids(ts.Tenant(1)), ids(ts.Tenant(2))) {
		t.Error("tenants 1 and 2 hold the same calls")
	}

	users := func(key, secret string) (int, []string) {
		a := f.doAuth(http.MethodGet, "/v2/users", nil, "", key, secret)
		var page struct {
			Users []struct {
				ID string `json:"id"`
			} `json:"users"`
		}
		_ = json.Unmarshal(a.body, &page)
		var out []string
		for _, u := range page.Users {
			out = append(out, u.ID)
		}
		return a.status, out
	}
	s1, u1 := users("KEY-1", "SECRET-1")
	s2, u2 := users("KEY-2", "SECRET-2")
	if s1 != 200 || s2 != 200 || len(u1) == 0 || slices.Equal(u1, u2) {
		t.Fatalf("tenants 1 and 2: status %d and %d, users %v and %v", s1, s2, u1, u2)
	}
	if s, _ := users("KEY-2", "SECRET-1"); s != http.StatusUnauthorized {
		t.Errorf("tenant 2's key with tenant 1's secret: status %d, want 401", s)
	}
	if s, _ := users("KEY", "SECRET"); s != http.StatusUnauthorized {
		t.Errorf("the base credentials: status %d, want 401 (only KEY-i works)", s)
	}

	// Tenant 1 spends its daily limit of 3 (one request above): its fourth is refused,
	// tenant 3 is untouched.
	users("KEY-1", "SECRET-1")
	users("KEY-1", "SECRET-1")
	if s, _ := users("KEY-1", "SECRET-1"); s != http.StatusTooManyRequests {
		t.Errorf("tenant 1's fourth request of the day: status %d, want 429", s)
	}
	if s, _ := users("KEY-3", "SECRET-3"); s != 200 {
		t.Errorf("tenant 3 after tenant 1 spent its day: status %d", s)
	}

	all := ts.Stats()
	want := map[int]int64{1: 4, 2: 2, 3: 1}
	for i, n := range want {
		if got := all.Tenants[i].Total; got != n {
			t.Errorf("tenant %d served %d requests, want %d", i, got, n)
		}
	}
	if all.Tenants[1].Status["429"] != 1 || all.Tenants[2].Status["401"] != 1 || all.Tenants[3].Status["429"] != 0 {
		t.Errorf("statuses: %v, %v, %v", all.Tenants[1].Status, all.Tenants[2].Status, all.Tenants[3].Status)
	}
	if all.Unrouted != 1 || all.Total != 8 {
		t.Errorf("unrouted %d (want 1), total %d (want 8)", all.Unrouted, all.Total)
	}

	// The same over HTTP: one tenant, or all with a tenants map.
	var one Stats
	if a := f.do(http.MethodGet, "/_fake/stats?tenant=2", nil, ""); a.status != 200 || json.Unmarshal(a.body, &one) != nil || one.Total != 2 || one.Tenants != nil {
		t.Errorf("GET /_fake/stats?tenant=2: %d %s", a.status, a.body)
	}
	var every Stats
	if a := f.do(http.MethodGet, "/_fake/stats", nil, ""); a.status != 200 || json.Unmarshal(a.body, &every) != nil ||
		len(every.Tenants) != 3 || every.Tenants[1].Total != 4 || every.Total != 8 {
		t.Errorf("GET /_fake/stats: %d %s", a.status, a.body)
	}
	if a := f.do(http.MethodGet, "/_fake/faults", nil, ""); a.status != http.StatusBadRequest || !strings.Contains(string(a.body), "tenant=1") {
		t.Errorf("GET /_fake/faults without a tenant: %d %s", a.status, a.body)
	}
	if a := f.do(http.MethodGet, "/_fake/stats?tenant=4", nil, ""); a.status != http.StatusNotFound {
		t.Errorf("GET /_fake/stats?tenant=4: %d", a.status)
	}
	if a := f.do(http.MethodDelete, "/_fake/stats?tenant=1", nil, ""); a.status != 200 || ts.Stats().Tenants[1].Total != 0 || ts.Stats().Tenants[2].Total != 2 {
		t.Errorf("DELETE /_fake/stats?tenant=1 zeroed the wrong counters: %v", ts.Stats().Tenants)
	}
}

// Each tenant has an OAuth app of its own; the access tokens it issues reach it.
func TestTenantsRouteOAuthByClient(t *testing.T) {
	t.Parallel()
	ts, err := NewTenants(Options{Seed: 31, Calls: 10}, 2)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ts)
	t.Cleanup(srv.Close)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	client, secret := TenantCredentials(DefaultOAuthClientID, DefaultOAuthClientSecret, 2)
	q := url.Values{"client_id": {client}, "redirect_uri": {"http://127.0.0.1/cb"}, "response_type": {"code"}, "scope": {"api:users:read"}}
	resp, err := noRedirect.Get(srv.URL + "/oauth2/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if resp.StatusCode != http.StatusFound || code == "" {
		t.Fatalf("authorize: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	tq := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"http://127.0.0.1/cb"}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth2/generate-customer-token?"+tq.Encode(), nil)
	req.SetBasicAuth(client, secret)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		Base        string `json:"api_base_url_for_customer"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	req, _ = http.NewRequest(http.MethodGet, tok.Base+"/v2/users", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || ts.Stats().Tenants[2].Total != 1 || ts.Stats().Tenants[1].Total != 0 {
		t.Errorf("a tenant 2 token: status %d, tenants %v", resp.StatusCode, ts.Stats().Tenants)
	}
	if ts.Tenant(2).OAuthStats().BearerAccepted != 1 {
		t.Errorf("tenant 2's OAuth counters: %+v", ts.Tenant(2).OAuthStats())
	}
}
