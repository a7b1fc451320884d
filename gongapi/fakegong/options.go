package fakegong

import (
	"cmp"
	"crypto/rsa"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rs/zerolog"
)

// The credentials the fake accepts when Options leaves them empty. They are test
// values, printed by `gongsync fake-gong`, never real secrets.
const (
	DefaultAccessKey       = "fake-access-key"
	DefaultAccessKeySecret = "fake-access-key-secret"
)

// Defaults for the dataset. The date range matches the example command line in the
// issue, so a fake started without flags holds half a year of calls.
var (
	DefaultFrom = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	DefaultTo   = time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
)

// Options configure a fake Gong. The zero value is usable: 50 users, 2 workspaces and
// 1,000 calls in the default range, no limits, no faults, a real-time clock.
type Options struct {
	// Seed makes the dataset (and the sequence of random faults) reproducible.
	Seed int64
	// Users, Workspaces and Calls size the dataset; 0 means the default (50, 2, 1,000)
	// and a negative Calls means none at all, for tests of empty answers.
	Users, Workspaces, Calls int
	// From and To bound the calls' start times (From inclusive, To exclusive).
	From, To time.Time
	// CompanyLocation is the offset the fake answers timestamps in, as Gong answers in
	// the company's local time. Default: a fixed -07:00.
	CompanyLocation *time.Location

	// AccessKey and AccessKeySecret are the Basic credentials the fake accepts;
	// empty means DefaultAccessKey / DefaultAccessKeySecret.
	AccessKey, AccessKeySecret string

	// OAuthClientID and OAuthClientSecret are the OAuth app the token endpoint
	// accepts; empty means DefaultOAuthClientID / DefaultOAuthClientSecret.
	OAuthClientID, OAuthClientSecret string
	// OAuthTokenLifetime is how long an access token lasts (expires_in) on the fake's
	// clock; 0 means 24h, Gong's usual.
	OAuthTokenLifetime time.Duration
	// OAuthOmitRefreshToken makes refresh answers carry no refresh token, the old one
	// staying valid, as Gong's answers may.
	OAuthOmitRefreshToken bool
	// WithheldScopes are scopes the company's administrator did not grant: OAuth tokens
	// are issued without them whatever the app asks for, and the access key may not use
	// them either. An endpoint that needs one answers 401 naming it, as Gong does
	// ("You don't have permission to use 'api:calls:read:transcript' in your app.").
	WithheldScopes []string
	// StrictDates refuses, with a 400, a stats request whose toDate is after the
	// company's current day on the fake's clock: Gong's document says it "should not
	// exceed the current day", without saying what Gong does with one that does. Off,
	// such a toDate reads as the current day, which a client running on another clock
	// than the fake's (a gongsync process against a fake stopped in the past) needs.
	// Tests whose client shares the fake's clock turn it on to check the client never
	// asks for a day that has not begun.
	StrictDates bool
	// LibraryUnavailable makes the fake a company whose plan has no library: its
	// endpoints answer with this status, 401 or 404 (0: the library is served).
	LibraryUnavailable int
	// NoCrmIntegration makes the fake a company without a generic CRM integration: GET
	// /v2/crm/integrations answers an empty list.
	NoCrmIntegration bool
	// PublicURL is the fake's address as clients reach it, for the customer base URL
	// in token answers; empty means the Host of the token request.
	PublicURL string

	// WebhookKey signs the webhooks SendWebhook fires (RS256); nil means a 2048-bit
	// key generated on first use. Its public half is WebhookPublicKey.
	WebhookKey *rsa.PrivateKey

	// RateLimit is the per-second request limit (real time, a token bucket holding
	// one second's worth); 0 turns it off.
	RateLimit float64
	// DailyLimit is the number of requests allowed per virtual UTC day; 0 turns it off.
	DailyLimit int
	// OmitRetryAfter sends 429s without a Retry-After header, as some connectors saw.
	OmitRetryAfter bool
	// CursorTTL is how long, on the virtual clock, a cursor stays valid; 0 = forever.
	CursorTTL time.Duration
	// ErasureDelay is how long, on the virtual clock, Gong takes to carry out an erase
	// request (the data-privacy endpoints): the calls with the address are served
	// until then. 0 means 4h (Gong says "several hours").
	ErasureDelay time.Duration

	// Latency and FailRate seed the runtime faults (see SetFaults).
	Latency  time.Duration
	FailRate float64

	// UnknownFields adds fields Gong does not document to every answer, as Gong may at
	// any time, to prove that clients ignore them.
	UnknownFields bool
	// DecimalScores makes the reviews' range scores half-points ("score":3.5) where
	// they are below the question's top: Gong documents a score as an integer, and a
	// client must take a fraction as the value it is.
	DecimalScores bool

	// LateShare is the share of calls processed hours after they ended; ChangeShare
	// the share whose title, privacy or parties change after first being visible;
	// DeleteShare the share deleted some time after being visible. 0 means the
	// default (5%, 3%, 1%); a negative value means none.
	LateShare, ChangeShare, DeleteShare float64
	// SentencesPerCall is the average transcript length; 0 means 40. Lengths spread
	// around it with a long tail, as calls do: about 1 in 100 transcripts is over four
	// times as long.
	SentencesPerCall int

	// Clock drives visibility, cursor expiry and the daily quota; nil = NewClock().
	Clock *Clock
	// Logger receives one debug line per request (never a credential).
	Logger zerolog.Logger
}

// maxCalls keeps a typo on the command line from eating the machine's memory.
const maxCalls = 5_000_000

// withDefaults fills in defaults and validates, so the rest of the package can trust
// every field.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	o.Users = cmp.Or(o.Users, 50)
	o.Workspaces = cmp.Or(o.Workspaces, 2)
	switch {
	case o.Calls == 0:
		o.Calls = 1000
	case o.Calls < 0:
		o.Calls = 0
	case o.Calls > maxCalls:
		errs = append(errs, fmt.Errorf("calls: %d is more than the fake holds (%d)", o.Calls, maxCalls))
	}
	if o.Users < 1 {
		errs = append(errs, fmt.Errorf("users: need at least 1, got %d", o.Users))
	}
	if o.Workspaces < 1 {
		errs = append(errs, fmt.Errorf("workspaces: need at least 1, got %d", o.Workspaces))
	}
	if o.From.IsZero() {
		o.From = DefaultFrom
	}
	if o.To.IsZero() {
		o.To = DefaultTo
	}
	if !o.From.Before(o.To) {
		errs = append(errs, fmt.Errorf("from %s is not before to %s", o.From.Format(time.RFC3339), o.To.Format(time.RFC3339)))
	}
	if o.CompanyLocation == nil {
		o.CompanyLocation = time.FixedZone("", -7*3600)
	}
	o.AccessKey = cmp.Or(o.AccessKey, DefaultAccessKey)
	o.AccessKeySecret = cmp.Or(o.AccessKeySecret, DefaultAccessKeySecret)
	o.OAuthClientID = cmp.Or(o.OAuthClientID, DefaultOAuthClientID)
	o.OAuthClientSecret = cmp.Or(o.OAuthClientSecret, DefaultOAuthClientSecret)
	o.OAuthTokenLifetime = cmp.Or(o.OAuthTokenLifetime, 24*time.Hour)
	if o.OAuthTokenLifetime < time.Second {
		errs = append(errs, fmt.Errorf("OAuth token lifetime: want at least 1s, got %s", o.OAuthTokenLifetime))
	}
	if o.RateLimit < 0 || math.IsNaN(o.RateLimit) || math.IsInf(o.RateLimit, 0) {
		errs = append(errs, fmt.Errorf("rate limit: want a finite number >= 0, got %v", o.RateLimit))
	}
	if o.DailyLimit < 0 {
		errs = append(errs, fmt.Errorf("daily limit: want >= 0, got %d", o.DailyLimit))
	}
	if o.LibraryUnavailable != 0 && o.LibraryUnavailable != 401 && o.LibraryUnavailable != 404 {
		errs = append(errs, fmt.Errorf("library unavailable: want 0, 401 or 404, got %d", o.LibraryUnavailable))
	}
	if o.CursorTTL < 0 {
		errs = append(errs, fmt.Errorf("cursor TTL: want >= 0, got %s", o.CursorTTL))
	}
	o.ErasureDelay = cmp.Or(o.ErasureDelay, 4*time.Hour)
	if o.ErasureDelay < 0 {
		errs = append(errs, fmt.Errorf("erasure delay: want >= 0, got %s", o.ErasureDelay))
	}
	o.LateShare = share(o.LateShare, 0.05)
	o.ChangeShare = share(o.ChangeShare, 0.03)
	o.DeleteShare = share(o.DeleteShare, 0.01)
	for _, sh := range []struct {
		name string
		v    float64
	}{{"late share", o.LateShare}, {"change share", o.ChangeShare}, {"delete share", o.DeleteShare}} {
		if sh.v > 1 || math.IsNaN(sh.v) {
			errs = append(errs, fmt.Errorf("%s: want a share between 0 and 1, got %v", sh.name, sh.v))
		}
	}
	o.SentencesPerCall = cmp.Or(o.SentencesPerCall, 40)
	if o.SentencesPerCall < 1 {
		errs = append(errs, fmt.Errorf("sentences per call: want >= 1, got %d", o.SentencesPerCall))
	}
	if o.Clock == nil {
		o.Clock = NewClock()
	}
	f := Faults{Latency: o.Latency, FailRate: o.FailRate, OmitRetryAfter: o.OmitRetryAfter}
	if err := f.validate(); err != nil {
		errs = append(errs, err)
	}
	return o, errors.Join(errs...)
}

// share maps the Options convention (0 = default, negative = none) to a share.
func share(v, def float64) float64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}
