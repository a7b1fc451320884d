// Package config is gongsync's one configuration loader. Every setting has an
// environment variable and a flag (flags win); a subcommand registers the groups of
// settings it uses, and Load validates all of them at once, before any request or
// write, reporting every problem in one error.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/internal/secretbox"
)

// Group is a set of settings a subcommand may need.
type Group int

// The groups. Logging is always registered.
const (
	Database Group = 1 << iota // DATABASE_URL, GONGSYNC_SCHEMA
	Gong                       // base URL, credentials, pacing, OAuth client, encryption key
	Budget                     // daily budget, backfill share, budget time zone
	Sync                       // overlap, settle window, users max age
	Daemon                     // schedules, HTTP address, webhook receiver
)

// Secret is a string that never prints: %v, %s, %q and JSON all show a placeholder.
type Secret string

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString hides the value from %#v too.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON hides the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// Reveal returns the secret itself, for the one place that must send it.
func (s Secret) Reveal() string { return string(s) }

// Config is every setting of gongsync. Zero values of groups a command did not
// register are left at their defaults.
type Config struct {
	DatabaseURL Secret // may carry a password
	Schema      string

	GongBaseURL       string
	AccessKey         string
	AccessKeySecret   Secret
	RateLimit         float64
	OAuthClientID     string
	OAuthClientSecret Secret
	OAuthAuthorizeURL string
	OAuthTokenURL     string
	EncryptionKey     Secret
	// InsecurePlaintextTokens stores OAuth tokens unencrypted when no EncryptionKey is
	// set (every use is logged as a warning).
	InsecurePlaintextTokens bool

	DailyBudget   int
	BackfillShare float64
	BudgetTZ      *time.Location

	Overlap      time.Duration
	SettleWindow time.Duration
	UsersMaxAge  time.Duration

	ScheduleCalls  string
	ScheduleUsers  string
	ScheduleSettle string
	HTTPAddr       string

	WebhookAddr      string
	WebhookURL       string
	WebhookPublicKey string
	WebhookToken     Secret

	LogLevel  zerolog.Level
	LogFormat string // json, console or auto

	groups Group
}

// AuthMode says how gongsync authenticates to Gong.
func (c *Config) AuthMode() string {
	if c.AccessKey != "" || c.AccessKeySecret != "" {
		return "basic"
	}
	if c.OAuthClientID != "" {
		return "oauth"
	}
	return "none"
}

// setting is one configuration variable: its environment name, flag name, default,
// the group it belongs to and how to check and store it.
type setting struct {
	env, flag, def, usage string
	group                 Group
	secret                bool
	boolean               bool // a flag given without a value: --insecure-plaintext-tokens
	apply                 func(c *Config, v string) error
}

// Settings in the order --help and the README show them.
var settings = []setting{
	{env: "DATABASE_URL", flag: "database-url", group: Database, secret: true,
		usage: "Postgres connection URL (required)",
		apply: func(c *Config, v string) error {
			if v == "" {
				return errors.New("is required (e.g. postgres://user:pass@localhost:5432/gongsync)")
			}
			if strings.Contains(v, "://") {
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
					return errors.New("is not a postgres:// URL or a key=value connection string")
				}
			}
			c.DatabaseURL = Secret(v)
			return nil
		}},
	{env: "GONGSYNC_SCHEMA", flag: "schema", def: "gong", group: Database,
		usage: "Postgres schema for all tables",
		apply: func(c *Config, v string) error {
			if !schemaRE.MatchString(v) {
				return fmt.Errorf("%q is not a plain identifier (letters, digits, underscore; at most 63; not starting with a digit)", v)
			}
			c.Schema = v
			return nil
		}},
	{env: "GONG_BASE_URL", flag: "gong-base-url", def: "https://api.gong.io", group: Gong,
		usage: "Gong API base URL (OAuth uses the customer URL from the token)",
		apply: func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return fmt.Errorf("%q is not an http(s) URL", v)
			}
			c.GongBaseURL = strings.TrimRight(v, "/")
			return nil
		}},
	{env: "GONG_ACCESS_KEY", flag: "gong-access-key", group: Gong,
		usage: "Gong access key (Basic auth)",
		apply: func(c *Config, v string) error { c.AccessKey = v; return nil }},
	{env: "GONG_ACCESS_KEY_SECRET", flag: "gong-access-key-secret", group: Gong, secret: true,
		usage: "Gong access key secret (Basic auth; prefer the environment to a flag)",
		apply: func(c *Config, v string) error { c.AccessKeySecret = Secret(v); return nil }},
	{env: "GONG_RATE_LIMIT", flag: "rate-limit", def: "3", group: Gong,
		usage: "requests per second to Gong; 0 turns pacing off (local fakes only)",
		apply: func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				return fmt.Errorf("%q is not a number ≥ 0", v)
			}
			c.RateLimit = f
			return nil
		}},
	{env: "GONG_OAUTH_CLIENT_ID", flag: "oauth-client-id", group: Gong,
		usage: "OAuth app client id (instead of an access key)",
		apply: func(c *Config, v string) error { c.OAuthClientID = v; return nil }},
	{env: "GONG_OAUTH_CLIENT_SECRET", flag: "oauth-client-secret", group: Gong, secret: true,
		usage: "OAuth app client secret",
		apply: func(c *Config, v string) error { c.OAuthClientSecret = Secret(v); return nil }},
	{env: "GONG_OAUTH_AUTHORIZE_URL", flag: "oauth-authorize-url", def: "https://app.gong.io/oauth2/authorize", group: Gong,
		usage: "Gong's OAuth authorize page (change only to point at a simulated Gong)",
		apply: func(c *Config, v string) error {
			u, err := httpURL(v)
			c.OAuthAuthorizeURL = u
			return err
		}},
	{env: "GONG_OAUTH_TOKEN_URL", flag: "oauth-token-url", def: "https://app.gong.io/oauth2/generate-customer-token", group: Gong,
		usage: "Gong's OAuth token endpoint (change only to point at a simulated Gong)",
		apply: func(c *Config, v string) error {
			u, err := httpURL(v)
			c.OAuthTokenURL = u
			return err
		}},
	{env: "GONGSYNC_ENCRYPTION_KEY", flag: "encryption-key", group: Gong, secret: true,
		usage: "key for OAuth tokens at rest (AES-256-GCM; 32 bytes as 64 hex or base64)",
		apply: func(c *Config, v string) error {
			if v != "" {
				if _, err := secretbox.ParseKey(v); err != nil {
					return err
				}
			}
			c.EncryptionKey = Secret(v)
			return nil
		}},
	{env: "GONGSYNC_INSECURE_PLAINTEXT_TOKENS", flag: "insecure-plaintext-tokens", def: "false", group: Gong, boolean: true,
		usage: "store OAuth tokens unencrypted when GONGSYNC_ENCRYPTION_KEY is not set (warns on every use)",
		apply: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not true or false", v)
			}
			c.InsecurePlaintextTokens = b
			return nil
		}},
	{env: "GONG_DAILY_BUDGET", flag: "daily-budget", def: "9500", group: Budget,
		usage: "requests gongsync may send to Gong per day (Gong allows 10,000 for the whole company)",
		apply: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("%q is not a whole number ≥ 1", v)
			}
			c.DailyBudget = n
			return nil
		}},
	{env: "GONG_BACKFILL_SHARE", flag: "backfill-share", def: "0.8", group: Budget,
		usage: "share of the daily budget backfills may spend, so scheduled syncs keep running",
		apply: func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 || f > 1 {
				return fmt.Errorf("%q is not a number in (0, 1]", v)
			}
			c.BackfillShare = f
			return nil
		}},
	{env: "GONGSYNC_BUDGET_TZ", flag: "budget-tz", def: "UTC", group: Budget,
		usage: "time zone in which the budget day starts (IANA name)",
		apply: func(c *Config, v string) error {
			loc, err := time.LoadLocation(v)
			if err != nil {
				return fmt.Errorf("%q is not a known time zone", v)
			}
			c.BudgetTZ = loc
			return nil
		}},
	{env: "GONGSYNC_OVERLAP", flag: "overlap", def: "3h", group: Sync,
		usage: "how far behind the high-water mark every calls run re-reads",
		apply: durationSetting(func(c *Config, d time.Duration) { c.Overlap = d }, 0)},
	{env: "GONGSYNC_SETTLE_WINDOW", flag: "settle-window", def: "168h", group: Sync,
		usage: "how far back the settle pass re-reads calls (and young transcripts are retried)",
		apply: durationSetting(func(c *Config, d time.Duration) { c.SettleWindow = d }, time.Minute)},
	{env: "GONGSYNC_USERS_MAX_AGE", flag: "users-max-age", def: "6h", group: Sync,
		usage: "when `sync` considers users, workspaces and trackers due again",
		apply: durationSetting(func(c *Config, d time.Duration) { c.UsersMaxAge = d }, 0)},
	{env: "GONGSYNC_SCHEDULE_CALLS", flag: "schedule-calls", def: "*/15 * * * *", group: Daemon,
		usage: "cron schedule of the calls and transcripts streams",
		apply: cronSetting(func(c *Config, s string) { c.ScheduleCalls = s })},
	{env: "GONGSYNC_SCHEDULE_USERS", flag: "schedule-users", def: "0 */6 * * *", group: Daemon,
		usage: "cron schedule of the users, workspaces and trackers streams",
		apply: cronSetting(func(c *Config, s string) { c.ScheduleUsers = s })},
	{env: "GONGSYNC_SCHEDULE_SETTLE", flag: "schedule-settle", def: "30 2 * * *", group: Daemon,
		usage: "cron schedule of the settle pass",
		apply: cronSetting(func(c *Config, s string) { c.ScheduleSettle = s })},
	{env: "GONGSYNC_HTTP_ADDR", flag: "http-addr", def: "127.0.0.1:9090", group: Daemon,
		usage: "address for /healthz, /readyz, /metrics and /status; empty turns it off",
		apply: addrSetting(func(c *Config, s string) { c.HTTPAddr = s })},
	{env: "GONGSYNC_WEBHOOK_ADDR", flag: "webhook-addr", group: Daemon,
		usage: "address of the webhook receiver (POST /webhooks/gong); empty turns it off",
		apply: addrSetting(func(c *Config, s string) { c.WebhookAddr = s })},
	{env: "GONGSYNC_WEBHOOK_URL", flag: "webhook-url", group: Daemon,
		usage: "public URL configured in Gong's rule; signed webhooks must name it",
		apply: func(c *Config, v string) error {
			if v != "" {
				if u, err := url.Parse(v); err != nil || u.Host == "" {
					return fmt.Errorf("%q is not an absolute URL", v)
				}
			}
			c.WebhookURL = v
			return nil
		}},
	{env: "GONGSYNC_WEBHOOK_PUBLIC_KEY", flag: "webhook-public-key", group: Daemon,
		usage: "the rule's RSA public key (PEM, or Gong's bare base64 DER) for signed webhooks",
		apply: func(c *Config, v string) error {
			if v != "" {
				if _, err := gongapi.ParseWebhookPublicKey(v); err != nil {
					return errors.New(strings.TrimPrefix(err.Error(), "gongapi: webhooks: "))
				}
			}
			c.WebhookPublicKey = v
			return nil
		}},
	{env: "GONGSYNC_WEBHOOK_TOKEN", flag: "webhook-token", group: Daemon, secret: true,
		usage: "secret token expected in the webhook URL (?token=…); at least 32 characters, e.g. `openssl rand -hex 32`",
		apply: func(c *Config, v string) error {
			if v != "" {
				if err := gongapi.CheckWebhookToken(v); err != nil {
					return err
				}
			}
			c.WebhookToken = Secret(v)
			return nil
		}},
	{env: "LOG_LEVEL", flag: "log-level", def: "info",
		usage: "debug, info, warn or error",
		apply: func(c *Config, v string) error {
			l, err := zerolog.ParseLevel(strings.ToLower(v))
			if err != nil || v == "" {
				return fmt.Errorf("%q is not one of debug, info, warn, error", v)
			}
			c.LogLevel = l
			return nil
		}},
	{env: "LOG_FORMAT", flag: "log-format", def: "auto",
		usage: "json, console, or auto (console on a terminal, json otherwise)",
		apply: func(c *Config, v string) error {
			switch v {
			case "json", "console", "auto":
				c.LogFormat = v
				return nil
			}
			return fmt.Errorf("%q is not one of json, console, auto", v)
		}},
}

var schemaRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

func durationSetting(set func(*Config, time.Duration), min time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < min {
			return fmt.Errorf("%q is not a duration ≥ %v (e.g. 3h, 90m)", v, min)
		}
		set(c, d)
		return nil
	}
}

func cronSetting(set func(*Config, string)) func(*Config, string) error {
	return func(c *Config, v string) error {
		if _, err := cron.ParseStandard(v); err != nil {
			return fmt.Errorf("%q is not a cron schedule (five fields, or @every 15m): %v", v, err)
		}
		set(c, v)
		return nil
	}
}

// httpURL accepts an absolute http(s) URL without credentials.
func httpURL(v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		// Not quoted: a URL with credentials in it would put them on the terminal.
		return "", errors.New("is not an http(s) URL without credentials")
	}
	return v, nil
}

// boolString is a string setting that flag treats as a boolean, so that
// --insecure-plaintext-tokens needs no value; it stores "true" or "false" for apply.
type boolString string

func (b *boolString) String() string {
	if b == nil {
		return "false"
	}
	return string(*b)
}

func (b *boolString) Set(v string) error {
	if _, err := strconv.ParseBool(v); err != nil {
		return fmt.Errorf("%q is not true or false", v)
	}
	*b = boolString(v)
	return nil
}

// IsBoolFlag lets the flag be given without a value.
func (b *boolString) IsBoolFlag() bool { return true }

func addrSetting(set func(*Config, string)) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v != "" {
			if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
				return fmt.Errorf("%q is not host:port (e.g. 127.0.0.1:9090 or :9090)", v)
			}
		}
		set(c, v)
		return nil
	}
}

// Loader binds settings to a subcommand's flag set.
type Loader struct {
	fs     *flag.FlagSet
	groups Group
	values map[string]*string // by flag name
	lookup func(string) (string, bool)
}

// Register adds the flags of the given groups (and logging) to fs. Flag defaults shown
// by --help are the built-in defaults; the environment overrides them, flags override
// the environment.
func Register(fs *flag.FlagSet, groups Group) *Loader {
	l := &Loader{fs: fs, groups: groups, values: map[string]*string{}, lookup: os.LookupEnv}
	for _, s := range settings {
		if s.group != 0 && s.group&groups == 0 {
			continue
		}
		v := new(string)
		l.values[s.flag] = v
		usage := s.usage + " [$" + s.env + "]"
		if s.boolean {
			*v = s.def
			fs.Var((*boolString)(v), s.flag, usage)
			continue
		}
		fs.StringVar(v, s.flag, s.def, usage)
	}
	return l
}

// WithEnv replaces the environment, for tests.
func (l *Loader) WithEnv(env map[string]string) *Loader {
	l.lookup = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	return l
}

// Load validates every registered setting and returns the configuration, or one error
// listing every problem. Call it after fs.Parse.
func (l *Loader) Load() (*Config, error) {
	set := map[string]bool{}
	l.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	c := &Config{groups: l.groups, BudgetTZ: time.UTC}
	var problems []error
	for _, s := range settings {
		v, ok := l.values[s.flag]
		if !ok {
			continue
		}
		value := *v
		source := s.env + " (--" + s.flag + ")" // neither given: name both ways to fix it
		if set[s.flag] {
			source = "--" + s.flag
		} else {
			// A variable set to the empty string counts: GONGSYNC_HTTP_ADDR= turns the server off.
			if e, present := l.lookup(s.env); present {
				value, source = e, s.env
			}
		}
		if err := s.apply(c, strings.TrimSpace(value)); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", source, err))
		}
	}
	problems = append(problems, c.crossChecks()...)
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return c, nil
}

// crossChecks are rules that involve more than one setting.
func (c *Config) crossChecks() []error {
	var errs []error
	if c.groups&Gong != 0 {
		switch {
		case c.AccessKey != "" && c.AccessKeySecret == "":
			errs = append(errs, errors.New("GONG_ACCESS_KEY is set but GONG_ACCESS_KEY_SECRET is not"))
		case c.AccessKey == "" && c.AccessKeySecret != "":
			errs = append(errs, errors.New("GONG_ACCESS_KEY_SECRET is set but GONG_ACCESS_KEY is not"))
		case c.AccessKey == "" && c.OAuthClientID == "":
			errs = append(errs, errors.New("no Gong credentials: set GONG_ACCESS_KEY and GONG_ACCESS_KEY_SECRET, or GONG_OAUTH_CLIENT_ID and GONG_OAUTH_CLIENT_SECRET and run `gongsync auth login`"))
		case c.OAuthClientID != "" && c.AccessKey == "" && c.OAuthClientSecret == "":
			errs = append(errs, errors.New("GONG_OAUTH_CLIENT_ID is set but GONG_OAUTH_CLIENT_SECRET is not"))
		}
	}
	if c.groups&Daemon != 0 && c.WebhookAddr != "" {
		if c.WebhookToken == "" && c.WebhookPublicKey == "" {
			errs = append(errs, errors.New("GONGSYNC_WEBHOOK_ADDR is set but neither GONGSYNC_WEBHOOK_TOKEN nor GONGSYNC_WEBHOOK_PUBLIC_KEY is: webhooks could not be authenticated"))
		}
		if c.WebhookPublicKey != "" && c.WebhookURL == "" {
			errs = append(errs, errors.New("GONGSYNC_WEBHOOK_PUBLIC_KEY needs GONGSYNC_WEBHOOK_URL (signed webhooks must name the URL they were sent to)"))
		}
	}
	return errs
}

// Error lists every configuration problem found.
type Error struct{ Problems []error }

func (e *Error) Error() string {
	// One problem is one line, so a log line or a CronJob's last message says it all.
	if len(e.Problems) == 1 {
		return "configuration: " + e.Problems[0].Error()
	}
	var b strings.Builder
	b.WriteString("configuration:")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap exposes the individual problems to errors.Is and errors.As.
func (e *Error) Unwrap() []error { return e.Problems }

// Settings describes every variable, for documentation: env, flag, default, meaning.
func Settings() [][4]string {
	out := make([][4]string, 0, len(settings))
	for _, s := range settings {
		out = append(out, [4]string{s.env, "--" + s.flag, s.def, s.usage})
	}
	return out
}
