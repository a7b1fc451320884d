package fakegong

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gongsync/gongsync/internal/b64"
)

// MaxTenants bounds Tenants: each tenant holds a dataset of its own in memory.
const MaxTenants = 10_000

// Tenants is a simulated Gong serving many companies from one process, as one Gong
// deployment serves every company: tenant i (1…n) is a Server of its own, with the
// base options' dataset generated from Seed+i, its own per-second and daily limits,
// and the credentials <AccessKey>-i / <AccessKeySecret>-i (its OAuth app is
// <OAuthClientID>-i / <OAuthClientSecret>-i). A request reaches the tenant whose
// credentials it carries; one no tenant issued is refused with a 401 and counted
// apart (Stats.Unrouted). All tenants share one clock.
type Tenants struct {
	servers []*Server      // tenant i is servers[i-1]
	byKey   map[string]int // access key → tenant
	byApp   map[string]int // OAuth client id → tenant
	clock   *Clock
	// nobody answers requests whose credentials no tenant issued: its own key is
	// random, so it refuses every one of them through the same code as a tenant would.
	nobody *Server
}

// NewTenants builds n tenants from base (see Tenants).
func NewTenants(base Options, n int) (*Tenants, error) {
	if n < 1 || n > MaxTenants {
		return nil, fmt.Errorf("tenants: want 1 to %d, got %d", MaxTenants, n)
	}
	base.Clock = cmp.Or(base.Clock, NewClock())
	key := cmp.Or(base.AccessKey, DefaultAccessKey)
	secret := cmp.Or(base.AccessKeySecret, DefaultAccessKeySecret)
	client := cmp.Or(base.OAuthClientID, DefaultOAuthClientID)
	clientSecret := cmp.Or(base.OAuthClientSecret, DefaultOAuthClientSecret)
	t := &Tenants{byKey: map[string]int{}, byApp: map[string]int{}, clock: base.Clock}
	for i := 1; i <= n; i++ {
		o := base
		o.Seed = base.Seed + int64(i)
		o.AccessKey, o.AccessKeySecret = TenantCredentials(key, secret, i)
		o.OAuthClientID, o.OAuthClientSecret = TenantCredentials(client, clientSecret, i)
		o.Logger = base.Logger.With().Int("tenant", i).Logger()
		s, err := New(o)
		if err != nil {
			return nil, fmt.Errorf("tenant %d: %w", i, err)
		}
		t.servers = append(t.servers, s)
		t.byKey[o.AccessKey] = i
		t.byApp[o.OAuthClientID] = i
	}
	var nonce [18]byte
	_, _ = rand.Read(nonce[:])
	nobody, err := New(Options{Calls: -1, Users: 1, Workspaces: 1, Clock: base.Clock, Logger: base.Logger,
		AccessKey: "nobody-" + base64.RawURLEncoding.EncodeToString(nonce[:]), AccessKeySecret: "-"})
	if err != nil {
		return nil, err
	}
	t.nobody = nobody
	return t, nil
}

// TenantCredentials are tenant i's access key and secret given the base ones (the
// same rule makes its OAuth client id and secret).
func TenantCredentials(key, secret string, i int) (string, string) {
	n := strconv.Itoa(i)
	return key + "-" + n, secret + "-" + n
}

// N is the number of tenants.
func (t *Tenants) N() int { return len(t.servers) }

// Tenant returns tenant i (1…N), nil when there is none.
func (t *Tenants) Tenant(i int) *Server {
	if i < 1 || i > len(t.servers) {
		return nil
	}
	return t.servers[i-1]
}

// Clock returns the clock every tenant reads.
func (t *Tenants) Clock() *Clock { return t.clock }

// Stats returns every tenant's counters (Stats.Tenants, by tenant number) and their
// sums; requests no tenant could be found for are in Unrouted.
func (t *Tenants) Stats() Stats {
	all := newStats()
	all.Tenants = map[int]Stats{}
	for i, s := range t.servers {
		st := s.Stats()
		all.Tenants[i+1] = st
		all.add(st)
	}
	unrouted := t.nobody.Stats()
	all.Unrouted = unrouted.Total
	all.add(unrouted)
	return all
}

// add sums b's counters into a (DailyUsed too, and the earliest First and latest Last).
func (a *Stats) add(b Stats) {
	a.Total += b.Total
	for k, v := range b.ByEndpoint {
		a.ByEndpoint[k] += v
	}
	for k, v := range b.Status {
		a.Status[k] += v
	}
	for k, v := range b.Faults {
		a.Faults[k] += v
	}
	a.DailyUsed += b.DailyUsed
	if !b.First.IsZero() && (a.First.IsZero() || b.First.Before(a.First)) {
		a.First = b.First
	}
	if b.Last.After(a.Last) {
		a.Last = b.Last
	}
}

// ResetStats zeroes every tenant's counters.
func (t *Tenants) ResetStats() {
	for _, s := range t.servers {
		s.ResetStats()
	}
	t.nobody.ResetStats()
}

// Serve answers on ln until ctx is cancelled, like Server.Serve.
func (t *Tenants) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: t, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	done := make(chan error, 1)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		done <- hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-done
}

// ServeHTTP hands the request to its tenant: API requests by their credentials,
// OAuth requests by their client id, control routes by ?tenant=i.
//
//	GET    /_fake/stats            every tenant's counters and their sums (Stats.Tenants)
//	GET    /_fake/stats?tenant=i   tenant i's
//	DELETE /_fake/stats[?tenant=i] zero them
//	GET    /_fake/clock, POST /_fake/clock   the shared clock
//	…/_fake/faults, …/_fake/calls  need ?tenant=i
func (t *Tenants) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/_fake/"):
		t.control(w, r)
	case strings.HasPrefix(r.URL.Path, "/oauth2/"):
		t.byClient(r).ServeHTTP(w, r)
	default:
		t.byCredentials(r).ServeHTTP(w, r)
	}
}

// byCredentials is the tenant whose access key, or access token, the request carries.
func (t *Tenants) byCredentials(r *http.Request) *Server {
	h := r.Header.Get("Authorization")
	const bearer = "Bearer "
	if len(h) > len(bearer) && strings.EqualFold(h[:len(bearer)], bearer) {
		tok := strings.TrimSpace(h[len(bearer):])
		for _, s := range t.servers {
			if s.issued(tok) {
				return s
			}
		}
		return t.nobody
	}
	const basic = "Basic "
	if len(h) > len(basic) && strings.EqualFold(h[:len(basic)], basic) {
		if raw, err := b64.Decode(base64.StdEncoding, strings.TrimSpace(h[len(basic):])); err == nil {
			key, _, _ := strings.Cut(string(raw), ":")
			if i, ok := t.byKey[key]; ok {
				return t.servers[i-1]
			}
		}
	}
	return t.nobody
}

// byClient is the tenant whose OAuth app asks: client_id on the authorize page, the
// Basic credentials of a token request.
func (t *Tenants) byClient(r *http.Request) *Server {
	id := r.URL.Query().Get("client_id")
	if u, _, ok := r.BasicAuth(); ok {
		id = u
	}
	if i, ok := t.byApp[id]; ok {
		return t.servers[i-1]
	}
	return t.nobody
}

func (t *Tenants) control(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("tenant")
	if q == "" {
		switch r.Method + " " + r.URL.Path {
		case "GET /_fake/stats":
			writeControl(w, http.StatusOK, t.Stats())
			return
		case "DELETE /_fake/stats":
			t.ResetStats()
			writeControl(w, http.StatusOK, t.Stats())
			return
		case "GET /_fake/clock", "POST /_fake/clock":
			t.servers[0].control(w, r) // the clock is shared
			return
		}
		writeControl(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("name a tenant: %s?tenant=1…%d", r.URL.Path, t.N())})
		return
	}
	i, err := strconv.Atoi(q)
	if err != nil || t.Tenant(i) == nil {
		writeControl(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no tenant %q: there are tenants 1…%d", q, t.N())})
		return
	}
	t.Tenant(i).control(w, r)
}

// issued says whether this server handed out the access token (expired or not).
func (s *Server) issued(token string) bool {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	_, ok := s.oauth.access[token]
	return ok
}
