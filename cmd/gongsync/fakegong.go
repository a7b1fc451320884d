package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

func runFakeGong(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "fake-gong", "[--addr 127.0.0.1:8089] [--seed 1] [--calls 2000] …", `
Serve the simulated Gong: a deterministic dataset from a seed (users, workspaces,
trackers, calls with full content, transcripts) behind Gong's API, with its limits,
cursors, 404-for-empty answers and late, changed and deleted calls. For tests, the
demo and benchmarks. Its base URL is the only line on stdout, so that
GONG_BASE_URL=$(…) or a script can read it; what it serves goes to stderr. It accepts
the credentials in GONG_ACCESS_KEY / GONG_ACCESS_KEY_SECRET (test defaults when
unset), so gongsync and the fake can share one environment. 0 turns a limit off.
Unauthenticated control routes: GET /_fake/stats, POST /_fake/clock, POST /_fake/faults.

OAuth: GET /oauth2/authorize approves at once and redirects with a code;
POST /oauth2/generate-customer-token exchanges it and rotates single-use refresh
tokens. It accepts GONG_OAUTH_CLIENT_ID / GONG_OAUTH_CLIENT_SECRET (test defaults
when unset); point GONG_OAUTH_AUTHORIZE_URL and GONG_OAUTH_TOKEN_URL at it. Access
tokens work under <base>/customer-api, the api_base_url_for_customer it hands out.

Webhooks: --webhook-to URL posts a signed webhook (RS256 JWT, as Gong's rules do) for
each call when it becomes visible on the fake's clock, checked every --webhook-every;
--webhook-backlog N first sends the N newest calls already visible. The public key to
configure as GONGSYNC_WEBHOOK_PUBLIC_KEY is printed at start (stderr); keep it stable across
restarts with --webhook-key-file (created when missing), and print it alone with
--print-webhook-key.

Many companies: --tenants N serves N of them from one process, as one Gong serves
every company. Tenant i (1…N) answers the credentials KEY-i / SECRET-i, where KEY and
SECRET are the usual GONG_ACCESS_KEY / GONG_ACCESS_KEY_SECRET (its OAuth app is the
client id and secret with -i too), with a dataset of its own (seed + i) and limits of
its own. GET /_fake/stats?tenant=i reports one tenant, GET /_fake/stats all of them
(a "tenants" map beside their sums); other control routes take ?tenant=i.`, 0)
	fs := c.fs
	addr := fs.String("addr", "127.0.0.1:8089", "listen address (port 0 picks a free one)")
	seed := fs.Int64("seed", 1, "dataset seed")
	users := fs.Int("users", 50, "users")
	workspaces := fs.Int("workspaces", 2, "workspaces")
	calls := fs.Int("calls", 2000, "calls")
	from := fs.String("from", fakegong.DefaultFrom.Format(time.DateOnly), "first call start (date or RFC 3339)")
	to := fs.String("to", fakegong.DefaultTo.Format(time.DateOnly), "calls start before this (date or RFC 3339)")
	rateLimit := fs.Float64("rate-limit", 3, "requests per second before 429s")
	dailyLimit := fs.Int("daily-limit", 10000, "requests per (virtual) day before 429s")
	failRate := fs.Float64("fail-rate", 0, "share of requests answered with a 500")
	latency := fs.Duration("latency", 0, "added to every answer")
	cursorTTL := fs.Duration("cursor-ttl", 0, "cursor lifetime; 0 = never expire")
	omitRetryAfter := fs.Bool("no-retry-after", false, "send 429s without Retry-After")
	unknown := fs.Bool("unknown-fields", false, "add undocumented fields to answers, as Gong may")
	sentences := fs.Int("sentences-per-call", 40, "average transcript length")
	lateShare := fs.Float64("late-share", 0.05, "share of calls processed hours late (negative: none)")
	changeShare := fs.Float64("change-share", 0.03, "share of calls changed after first being visible (negative: none)")
	deleteShare := fs.Float64("delete-share", 0.01, "share of calls deleted after being visible (negative: none)")
	clock := fs.String("clock", "", "start a virtual clock at this time (RFC 3339) instead of real time")
	tokenLifetime := fs.Duration("oauth-token-lifetime", 24*time.Hour, "OAuth access token lifetime (expires_in)")
	webhookTo := fs.String("webhook-to", "", "post signed webhooks for calls as they become visible to this URL")
	webhookEvery := fs.Duration("webhook-every", 5*time.Second, "how often to look for newly visible calls to send")
	webhookBacklog := fs.Int("webhook-backlog", 0, "first send webhooks for this many of the newest visible calls")
	webhookTest := fs.Bool("webhook-test", false, `mark the webhooks as a rule's test ("isTest": true)`)
	webhookKeyFile := fs.String("webhook-key-file", "", "PEM file of the RSA key webhooks are signed with; created when missing")
	printKey := fs.Bool("print-webhook-key", false, "print the webhook public key (bare base64 DER) and exit; needs --webhook-key-file")
	tenants := fs.Int("tenants", 0, "serve this many companies, tenant i with the credentials KEY-i / SECRET-i and the dataset of seed+i (0: one company)")
	cfg, err := c.parse(args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", fs.Args())
	}
	opts := fakegong.Options{
		Seed: *seed, Users: *users, Workspaces: *workspaces, Calls: *calls,
		RateLimit: *rateLimit, DailyLimit: *dailyLimit, FailRate: *failRate, Latency: *latency,
		CursorTTL: *cursorTTL, OmitRetryAfter: *omitRetryAfter, UnknownFields: *unknown, SentencesPerCall: *sentences,
		LateShare: zeroMeansNone(*lateShare), ChangeShare: zeroMeansNone(*changeShare), DeleteShare: zeroMeansNone(*deleteShare),
		AccessKey: m.getenv("GONG_ACCESS_KEY"), AccessKeySecret: m.getenv("GONG_ACCESS_KEY_SECRET"),
		OAuthClientID: m.getenv("GONG_OAUTH_CLIENT_ID"), OAuthClientSecret: m.getenv("GONG_OAUTH_CLIENT_SECRET"),
		OAuthTokenLifetime: *tokenLifetime,
		Logger:             c.logger(cfg),
	}
	if *printKey && *webhookKeyFile == "" {
		return usageErrorf("--print-webhook-key needs --webhook-key-file: without it the key is new at every start")
	}
	if *webhookKeyFile != "" {
		if opts.WebhookKey, err = loadOrCreateKey(*webhookKeyFile); err != nil {
			return err
		}
	}
	if *calls == 0 {
		opts.Calls = -1 // the flag's 0 means an empty dataset; the option's 0 means the default
	}
	if opts.From, err = parseWhen(*from); err != nil {
		return usageErrorf("--from: %v", err)
	}
	if opts.To, err = parseWhen(*to); err != nil {
		return usageErrorf("--to: %v", err)
	}
	if *clock != "" {
		t, err := time.Parse(time.RFC3339, *clock)
		if err != nil {
			return usageErrorf("--clock: %v", err)
		}
		opts.Clock = fakegong.NewVirtualClock(t)
	}
	if *tenants != 0 {
		if *webhookTo != "" || *printKey {
			return usageErrorf("--tenants serves no webhooks: drop --webhook-to and --print-webhook-key")
		}
		return serveTenants(ctx, m, opts, *tenants, *addr)
	}
	srv, err := fakegong.New(opts)
	if err != nil {
		return usageError{err}
	}
	if *printKey {
		key, err := srv.WebhookPublicKey()
		if err != nil {
			return err
		}
		fmt.Fprintln(m.Stdout, key)
		return nil
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	o := srv.Options()
	fmt.Fprintf(m.Stdout, "http://%s\n", ln.Addr())
	fmt.Fprintf(m.Stderr, "simulated Gong at http://%s: %d calls from %s to %s, %d users; credentials %s / %s\n",
		ln.Addr(), o.Calls, o.From.Format(time.DateOnly), o.To.Format(time.DateOnly), o.Users, o.AccessKey, secretHint(o.AccessKeySecret))
	if *webhookTo != "" {
		key, err := srv.WebhookPublicKey()
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stderr, "webhooks to %s, signed with RS256; GONGSYNC_WEBHOOK_PUBLIC_KEY=%s\n", *webhookTo, key)
		log := c.logger(cfg)
		go func() {
			err := srv.RunWebhooks(ctx, fakegong.WebhookFeed{
				URL: *webhookTo, Every: *webhookEvery, Backlog: *webhookBacklog,
				Options: fakegong.WebhookOptions{IsTest: *webhookTest},
				Sent: func(id string, status int, err error) {
					if err != nil {
						log.Warn().Err(err).Str("call_id", id).Msg("webhook not delivered")
						return
					}
					log.Info().Str("call_id", id).Int("status", status).Msg("webhook sent")
				},
			})
			if err != nil {
				log.Error().Err(err).Msg("webhook feed stopped")
			}
		}()
	}
	if f, ok := m.Stdout.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	err = srv.Serve(ctx, ln)
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return nil
	}
	return err
}

// serveTenants serves n companies from one fake (fake-gong --tenants).
func serveTenants(ctx context.Context, m *Main, opts fakegong.Options, n int, addr string) error {
	ts, err := fakegong.NewTenants(opts, n)
	if err != nil {
		return usageError{err}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	o := ts.Tenant(1).Options()
	key, secret := cmp.Or(opts.AccessKey, fakegong.DefaultAccessKey), cmp.Or(opts.AccessKeySecret, fakegong.DefaultAccessKeySecret)
	fmt.Fprintf(m.Stdout, "http://%s\n", ln.Addr())
	fmt.Fprintf(m.Stderr, "simulated Gong at http://%s: %d companies of %d calls each from %s to %s; tenant i (1…%d) answers %s-i / %s-i\n",
		ln.Addr(), n, o.Calls, o.From.Format(time.DateOnly), o.To.Format(time.DateOnly), n, key, secretHint(secret))
	if f, ok := m.Stdout.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	err = ts.Serve(ctx, ln)
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return nil
	}
	return err
}

// zeroMeansNone maps the flag convention (0 = none) to the Options one (negative = none).
func zeroMeansNone(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
}

// secretHint prints the fake's default secret (a test value) but never one taken from
// the environment, which may be a real one.
func secretHint(s string) string {
	if s == fakegong.DefaultAccessKeySecret {
		return s
	}
	return "[from the environment]"
}

// loadOrCreateKey reads an RSA private key (PKCS #8 or PKCS #1 PEM), or makes one and
// writes it (0600) when the file does not exist, so that the fake's webhook public key
// stays the same across restarts.
func loadOrCreateKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return nil, fmt.Errorf("--webhook-key-file: %w", err)
		}
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--webhook-key-file: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, usageErrorf("--webhook-key-file %s: not a PEM file", path)
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, usageErrorf("--webhook-key-file %s: %v", path, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, usageErrorf("--webhook-key-file %s: a %T, not an RSA key", path, k)
	}
	return rk, nil
}
