package fakegong

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Gong's automation rules can "fire a webhook" with one call's data. The fake signs
// them the way Gong does: a JWT in the Authorization header (RS256) whose claims name
// the URL it was sent to (webhook_url), the hex SHA-256 of the body (body_sha256) and
// an expiry (exp). Its public key is shown as bare base64 DER, as Gong shows a rule's.

// webhookKey is the signing key, made on first use: most fakes never send a webhook,
// and generating an RSA key takes tens of milliseconds.
type webhookKey struct {
	once sync.Once
	key  *rsa.PrivateKey
	err  error
}

func (s *Server) signingKey() (*rsa.PrivateKey, error) {
	s.webhook.once.Do(func() {
		if s.opts.WebhookKey != nil {
			s.webhook.key = s.opts.WebhookKey
			return
		}
		s.webhook.key, s.webhook.err = rsa.GenerateKey(rand.Reader, 2048)
	})
	return s.webhook.key, s.webhook.err
}

// WebhookPublicKey returns the public key webhooks are signed with, as bare base64
// DER (SubjectPublicKeyInfo), the form Gong shows for a rule: what
// GONGSYNC_WEBHOOK_PUBLIC_KEY takes.
func (s *Server) WebhookPublicKey() (string, error) {
	k, err := s.signingKey()
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// WebhookPublicKeyPEM returns the same key as a PEM "PUBLIC KEY" block.
func (s *Server) WebhookPublicKeyPEM() (string, error) {
	k, err := s.signingKey()
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// WebhookOptions shape one webhook. The zero value is a well-formed, signed webhook
// of a real (not test) call.
type WebhookOptions struct {
	// IsTest marks the payload as a rule's test ("isTest": true).
	IsTest bool
	// Unsigned sends no Authorization header: for receivers that authenticate with a
	// secret token in the URL instead.
	Unsigned bool
	// BearerPrefix puts "Bearer " before the JWT; Gong's header may come either way.
	BearerPrefix bool
	// ClaimURL is the webhook_url claim; default the URL the webhook is sent to.
	ClaimURL string
	// TTL is how long the JWT is valid from now (real time, as a receiver checks it):
	// default 5 minutes; negative makes an already expired token.
	TTL time.Duration
	// Client sends the webhook; default a client with a 30s timeout.
	Client *http.Client
}

// WebhookRequest builds the POST Gong would send to url for the call as it stands on
// the fake's clock, without sending it, so tests can alter it first.
func (s *Server) WebhookRequest(ctx context.Context, url, callID string, opts WebhookOptions) (*http.Request, error) {
	body, err := s.WebhookBody(callID, opts.IsTest)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("fakegong: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Gong-Webhook (gongsync fake)")
	if !opts.Unsigned {
		claimURL := opts.ClaimURL
		if claimURL == "" {
			claimURL = url
		}
		ttl := opts.TTL
		if ttl == 0 {
			ttl = 5 * time.Minute
		}
		jwt, err := s.SignWebhook(body, claimURL, time.Now().Add(ttl))
		if err != nil {
			return nil, err
		}
		if opts.BearerPrefix {
			jwt = "Bearer " + jwt
		}
		req.Header.Set("Authorization", jwt)
	}
	return req, nil
}

// WebhookBody is the payload for one call: {"callData": <the call with full
// content>, "isTest": …, "isPrivate": …}, written by the fake's own encoder so it
// reads exactly like the calls of POST /v2/calls/extensive.
func (s *Server) WebhookBody(callID string, isTest bool) ([]byte, error) {
	call, ok := s.data.CallAt(callID, s.clock.Now())
	if !ok {
		return nil, fmt.Errorf("fakegong: webhook: no call %q is visible now", callID)
	}
	e := enc{loc: s.opts.CompanyLocation, unknown: s.opts.UnknownFields}
	e.b = append(e.b, `{"callData":`...)
	e.call(&call)
	e.b = append(e.b, `,"isTest":`...)
	e.bool(isTest)
	e.b = append(e.b, `,"isPrivate":`...)
	e.bool(call.MetaData != nil && call.MetaData.IsPrivate != nil && *call.MetaData.IsPrivate)
	e.b = append(e.b, '}')
	return e.b, nil
}

// SignWebhook makes the JWT for a body: RS256 over {"webhook_url", "body_sha256",
// "iat", "exp"}.
func (s *Server) SignWebhook(body []byte, webhookURL string, exp time.Time) (string, error) {
	k, err := s.signingKey()
	if err != nil {
		return "", fmt.Errorf("fakegong: webhook key: %w", err)
	}
	sum := sha256.Sum256(body)
	claims, err := json.Marshal(map[string]any{
		"webhook_url": webhookURL,
		"body_sha256": hex.EncodeToString(sum[:]),
		"iat":         time.Now().Unix(),
		"exp":         exp.Unix(),
	})
	if err != nil {
		return "", err
	}
	b64 := base64.RawURLEncoding
	signing := b64.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + b64.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("fakegong: sign webhook: %w", err)
	}
	return signing + "." + b64.EncodeToString(sig), nil
}

// SendWebhook fires one webhook for a call at url and returns the receiver's status.
// An answer of any status is not an error; failing to build or deliver it is.
func (s *Server) SendWebhook(ctx context.Context, url, callID string, opts WebhookOptions) (int, error) {
	req, err := s.WebhookRequest(ctx, url, callID, opts)
	if err != nil {
		return 0, err
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("fakegong: send webhook for call %s: %w", callID, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, nil
}

// WebhookFeed fires webhooks at a URL as calls become visible (`gongsync fake-gong
// --webhook-to`).
type WebhookFeed struct {
	URL string
	// Every is how often (real time) the feed looks for calls that became visible on
	// the fake's clock since its last look; default 5s.
	Every time.Duration
	// Backlog, when positive, first sends that many of the newest calls already
	// visible, so a demo sees webhooks without waiting for new calls.
	Backlog int
	// Options shape every webhook sent.
	Options WebhookOptions
	// Sent hears about every webhook: the call, the receiver's status, the error.
	Sent func(callID string, status int, err error)
	// looked, when set (tests), hears about each look at the clock once its webhooks
	// are sent: a test that checks a look sent nothing waits for it, not for a while.
	looked func()
}

// RunWebhooks runs the feed until ctx ends. A call is sent once, when it first
// becomes visible (processed); calls the fake's hooks add later are picked up like
// any other. Delivery failures are reported to Sent and not retried.
func (s *Server) RunWebhooks(ctx context.Context, f WebhookFeed) error {
	if f.URL == "" {
		return errors.New("fakegong: webhook feed: no URL")
	}
	if f.Every <= 0 {
		f.Every = 5 * time.Second
	}
	send := func(id string) {
		status, err := s.SendWebhook(ctx, f.URL, id, f.Options)
		if f.Sent != nil && ctx.Err() == nil {
			f.Sent(id, status, err)
		}
	}
	last := s.clock.Now()
	if f.Backlog > 0 {
		var visible []string
		for _, c := range s.data.AllCalls() {
			if specVisible(c, last) {
				visible = append(visible, c.ID)
			}
		}
		slices.Reverse(visible)
		for _, id := range visible[:min(f.Backlog, len(visible))] {
			send(id)
		}
	}
	t := time.NewTicker(f.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		now := s.clock.Now()
		if now.After(last) {
			for _, c := range s.data.AllCalls() {
				if c.ProcessedAt.After(last) && specVisible(c, now) {
					send(c.ID)
				}
			}
			last = now
		}
		if f.looked != nil {
			f.looked()
		}
	}
}

// specVisible says whether Gong returns the call at t: processed, and not deleted (or
// restored since).
func specVisible(c CallSpec, t time.Time) bool {
	if c.ProcessedAt.After(t) {
		return false
	}
	return c.DeletedAt.IsZero() || t.Before(c.DeletedAt) || (!c.RestoredAt.IsZero() && !t.Before(c.RestoredAt))
}
