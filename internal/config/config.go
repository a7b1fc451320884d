// Package config is gongsync's one configuration loader. Every setting has an
// environment variable and a flag (flags win); a subcommand registers the groups of
// settings it uses, and Load validates all of them at once, before any request or
// write, reporting every problem in one error. An empty value, from a flag or the
// environment, means "not given": the default applies.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/internal/secretbox"
	"github.com/gongsync/gongsync/internal/suggest"
	"github.com/gongsync/gongsync/store"
)

// Group is a set of settings a subcommand may need.
type Group int

// The groups. Logging is always registered.
const (
	Database Group = 1 << iota // DATABASE_URL, GONGSYNC_SCHEMA
	Gong                       // base URL, credentials, pacing, OAuth client, encryption key
	Budget                     // daily budget, backfill share, budget time zone
	Sync                       // overlap, settle window, users max age
	Schedule                   // the daemon's cron schedules and their time zone
	HTTP                       // the address of /healthz, /readyz, /metrics and /status
	Webhook                    // the webhook receiver
	Actions                    // the actions server (GET /actions, POST /actions/{name})
	Workers                    // a worker's jobs: how many at once, how long, how many requests each
	MCP                        // the daemon's MCP server over HTTP (GONGSYNC_MCP_ADDR, GONGSYNC_MCP_TOKEN)
)

// Daemon is every group `gongsync run` needs beyond the sync's own.
const Daemon = Schedule | HTTP | Webhook | Actions | Workers | MCP

// Off is the value that turns a server off (GONGSYNC_HTTP_ADDR=off): an empty value
// means "not given" like everywhere else, so it cannot.
const Off = "off"

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
	// ControlSchema holds the connection registry and River's queue.
	ControlSchema string
	// Connection names the registry's connection a command works on; "" means the
	// one this configuration describes (no registry, or `run`'s every connection).
	Connection string
	// AI says how transcripts are shaped for AI assistants: the chunk size, and
	// whether private and erased calls are included.
	AI store.AIOptions

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
	SweepPeriod  time.Duration
	SweepShare   float64
	UsersMaxAge  time.Duration

	// FlowsRefreshDays is how many daily slices a refresh of the Engage flows spans.
	FlowsRefreshDays int
	// ReviewsEvery is how stale the answered scorecards may grow on the calls
	// schedule's ticks (sync.Options.ReviewsEvery).
	ReviewsEvery time.Duration

	ScheduleCalls  string
	ScheduleUsers  string
	ScheduleSettle string
	ScheduleDaily  string
	ScheduleTZ     *time.Location
	// Freshness is the target lag of new calls and transcripts (0 when unset: the calls
	// follow ScheduleCalls); FreshnessShare the share of the daily budget the day's
	// projected spending must stay under while the daemon chases it.
	Freshness      time.Duration
	FreshnessShare float64
	HTTPAddr       string // "" when off

	WebhookAddr      string // "" when off
	WebhookURL       string
	WebhookPublicKey string
	WebhookToken     Secret
	// WebhookBatch is how long a call a webhook announced waits for others before
	// they are fetched together (0: each batch at once).
	WebhookBatch time.Duration

	ActionsAddr  string // "" when off
	ActionsToken Secret

	MCPAddr  string // "" when off
	MCPToken Secret

	Workers        int           // jobs one worker process runs at once
	JobTimeout     time.Duration // the longest one job may run
	RequestsPerJob int           // requests one job sends before it goes back in the queue

	LogLevel  zerolog.Level
	LogFormat string // json, console or auto

	groups Group
	// deferCredentials leaves "no credentials at all" to CredentialsProblem (run: a
	// registry, when there is one, holds them).
	deferCredentials bool
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
// the group it belongs to, the kind of value --help shows, and how to check and store
// it (apply sees the default when the value was not given).
type setting struct {
	env, flag, def, usage string
	kind                  string // what --help shows after the flag: URL, number, duration…
	group                 Group
	secret                bool
	boolean               bool // a flag given without a value: --insecure-plaintext-tokens
	apply                 func(c *Config, v string) error
}

// Settings in the order --help and the README show them.
var settings = []setting{
	{env: "DATABASE_URL", flag: "database-url", kind: "URL", group: Database, secret: true,
		usage: "Postgres connection URL or key=value string (required)",
		apply: func(c *Config, v string) error {
			if err := checkDatabaseURL(v); err != nil {
				return err
			}
			c.DatabaseURL = Secret(v)
			return nil
		}},
	{env: "GONGSYNC_SCHEMA", flag: "schema", def: "gong", kind: "name", group: Database,
		usage: "Postgres schema for all tables: a lower-case name, not pg_* or information_schema",
		apply: func(c *Config, v string) error {
			if err := store.ValidateSchema(v); err != nil {
				return err
			}
			c.Schema = v
			return nil
		}},
	{env: "GONGSYNC_CONTROL_SCHEMA", flag: "control-schema", def: "gongsync", kind: "name", group: Database,
		usage: "Postgres schema of the connection registry and the job queue (gongsync connections)",
		apply: func(c *Config, v string) error {
			if err := store.ValidateSchema(v); err != nil {
				return err
			}
			c.ControlSchema = v
			return nil
		}},
	{env: "GONGSYNC_CONNECTION", flag: "connection", kind: "name", group: Database,
		usage: "the registry's connection to work on (gongsync connections list); unset: the one these settings describe",
		apply: func(c *Config, v string) error {
			if v != "" {
				if err := store.ValidateConnectionName(v); err != nil {
					return err
				}
			}
			c.Connection = v
			return nil
		}},
	{env: "GONGSYNC_CHUNK_TOKENS", flag: "chunk-tokens", def: strconv.Itoa(store.DefaultChunkTokens), kind: "count", group: Database,
		usage: "most estimated tokens (characters/4, rounded up) in one transcript_chunks row; a single longer sentence is a chunk of its own",
		apply: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < store.MinChunkTokens || n > 100000 {
				return fmt.Errorf("%q is not a whole number from %d to 100000", v, store.MinChunkTokens)
			}
			c.AI.ChunkTokens = n
			return nil
		}},
	{env: "GONGSYNC_AI_INCLUDE_PRIVATE", flag: "ai-include-private", def: "false", group: Database, boolean: true,
		usage: "let AI assistants read private calls and calls an erasure named: their transcript_chunks and assistant_transcript_turns rows, and what gongsync mcp answers",
		apply: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not true or false", v)
			}
			c.AI.IncludePrivate = b
			return nil
		}},
	{env: "GONG_BASE_URL", flag: "gong-base-url", def: "https://api.gong.io", kind: "URL", group: Gong,
		usage: "Gong API base URL (OAuth uses the customer URL from the token)",
		apply: func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return fmt.Errorf("%q is not an http(s) URL", v)
			}
			c.GongBaseURL = strings.TrimRight(v, "/")
			return nil
		}},
	{env: "GONG_ACCESS_KEY", flag: "gong-access-key", kind: "key", group: Gong,
		usage: "Gong access key (Basic auth)",
		apply: func(c *Config, v string) error { c.AccessKey = v; return nil }},
	{env: "GONG_ACCESS_KEY_SECRET", flag: "gong-access-key-secret", kind: "secret", group: Gong, secret: true,
		usage: "Gong access key secret (Basic auth; prefer the environment to a flag)",
		apply: func(c *Config, v string) error { c.AccessKeySecret = Secret(v); return nil }},
	{env: "GONG_RATE_LIMIT", flag: "rate-limit", def: "3", kind: "number", group: Gong,
		usage: "requests per second to Gong; 0 turns pacing off (local fakes only)",
		apply: func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				return fmt.Errorf("%q is not a number ≥ 0", v)
			}
			c.RateLimit = f
			return nil
		}},
	{env: "GONG_OAUTH_CLIENT_ID", flag: "oauth-client-id", kind: "id", group: Gong,
		usage: "OAuth app client id (instead of an access key)",
		apply: func(c *Config, v string) error { c.OAuthClientID = v; return nil }},
	{env: "GONG_OAUTH_CLIENT_SECRET", flag: "oauth-client-secret", kind: "secret", group: Gong, secret: true,
		usage: "OAuth app client secret",
		apply: func(c *Config, v string) error { c.OAuthClientSecret = Secret(v); return nil }},
	{env: "GONG_OAUTH_AUTHORIZE_URL", flag: "oauth-authorize-url", def: "https://app.gong.io/oauth2/authorize", kind: "URL", group: Gong,
		usage: "Gong's OAuth authorize page (change only to point at a simulated Gong)",
		apply: func(c *Config, v string) error {
			u, err := httpURL(v)
			c.OAuthAuthorizeURL = u
			return err
		}},
	{env: "GONG_OAUTH_TOKEN_URL", flag: "oauth-token-url", def: "https://app.gong.io/oauth2/generate-customer-token", kind: "URL", group: Gong,
		usage: "Gong's OAuth token endpoint (change only to point at a simulated Gong)",
		apply: func(c *Config, v string) error {
			u, err := httpURL(v)
			c.OAuthTokenURL = u
			return err
		}},
	{env: "GONGSYNC_ENCRYPTION_KEY", flag: "encryption-key", kind: "key", group: Gong, secret: true,
		usage: "key for the secrets at rest: OAuth tokens, the registry's connection secrets (AES-256-GCM; 32 bytes as 64 hex or base64, e.g. openssl rand -hex 32)",
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
	{env: "GONG_DAILY_BUDGET", flag: "daily-budget", def: "9500", kind: "count", group: Budget,
		usage: "requests gongsync may send to Gong per day (Gong allows 10,000 for the whole company)",
		apply: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("%q is not a whole number ≥ 1", v)
			}
			c.DailyBudget = n
			return nil
		}},
	{env: "GONG_BACKFILL_SHARE", flag: "backfill-share", def: "0.8", kind: "share", group: Budget,
		usage: "share of the daily budget backfills may spend, so scheduled syncs keep running",
		apply: func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 || f > 1 {
				return fmt.Errorf("%q is not a number in (0, 1]", v)
			}
			c.BackfillShare = f
			return nil
		}},
	{env: "GONGSYNC_BUDGET_TZ", flag: "budget-tz", def: "UTC", kind: "zone", group: Budget,
		usage: "time zone in which the budget day starts (IANA name)",
		apply: zoneSetting(func(c *Config, loc *time.Location) { c.BudgetTZ = loc })},
	{env: "GONGSYNC_OVERLAP", flag: "overlap", def: "3h", kind: "duration", group: Sync,
		usage: "how far behind the high-water mark every calls and answered scorecards run re-reads",
		apply: durationSetting(func(c *Config, d time.Duration) { c.Overlap = d }, 0)},
	{env: "GONGSYNC_SETTLE_WINDOW", flag: "settle-window", def: "168h", kind: "duration", group: Sync,
		usage: "how far back the settle passes re-read calls and answered scorecards (and young transcripts are retried)",
		apply: durationSetting(func(c *Config, d time.Duration) { c.SettleWindow = d }, time.Minute)},
	{env: "GONGSYNC_SWEEP_PERIOD", flag: "sweep-period", def: "168h", kind: "duration", group: Sync,
		usage: "the sweep re-reads every call and answered scorecard older than the settle window at least once per period",
		apply: durationSetting(func(c *Config, d time.Duration) { c.SweepPeriod = d }, time.Hour)},
	{env: "GONGSYNC_SWEEP_SHARE", flag: "sweep-share", def: "0.1", kind: "share", group: Sync,
		usage: "share of the daily budget the sweep may spend a day, all its parts together (it also counts against GONG_BACKFILL_SHARE)",
		apply: func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 || f > 1 {
				return fmt.Errorf("%q is not a number in (0, 1]", v)
			}
			c.SweepShare = f
			return nil
		}},
	{env: "GONGSYNC_FLOWS_REFRESH_DAYS", flag: "flows-refresh-days", def: "7", kind: "count", group: Sync,
		usage: "the Engage flows are refreshed in full once per this many days, a daily slice of the users asked about (GET /v2/flows is asked per user)",
		apply: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 365 {
				return fmt.Errorf("%q is not a whole number from 1 to 365", v)
			}
			c.FlowsRefreshDays = n
			return nil
		}},
	{env: "GONGSYNC_REVIEWS_EVERY", flag: "reviews-every", def: "1h", kind: "duration", group: Sync,
		usage: "the calls schedule's ticks read the answered scorecards once their last read is this old; each read re-reads the company's day so far (Gong selects reviews by date), a page per 100 reviews",
		apply: durationSetting(func(c *Config, d time.Duration) { c.ReviewsEvery = d }, time.Minute)},
	{env: "GONGSYNC_USERS_MAX_AGE", flag: "users-max-age", def: "6h", kind: "duration", group: Sync,
		usage: "when a sync considers users, workspaces, trackers and scorecards due again",
		apply: durationSetting(func(c *Config, d time.Duration) { c.UsersMaxAge = d }, 0)},
	{env: "GONGSYNC_SCHEDULE_CALLS", flag: "schedule-calls", def: "*/15 * * * *", kind: "cron", group: Schedule,
		usage: "cron schedule of the calls, transcripts and answered scorecards streams (the answered scorecards read at most hourly)",
		apply: cronSetting(func(c *Config, s string) { c.ScheduleCalls = s })},
	{env: "GONGSYNC_SCHEDULE_USERS", flag: "schedule-users", def: "0 */6 * * *", kind: "cron", group: Schedule,
		usage: "cron schedule of the users, workspaces, trackers and scorecards streams",
		apply: cronSetting(func(c *Config, s string) { c.ScheduleUsers = s })},
	{env: "GONGSYNC_SCHEDULE_SETTLE", flag: "schedule-settle", def: "30 2 * * *", kind: "cron", group: Schedule,
		usage: "cron schedule of the settle passes (calls and answered scorecards)",
		apply: cronSetting(func(c *Config, s string) { c.ScheduleSettle = s })},
	{env: "GONGSYNC_SCHEDULE_DAILY", flag: "schedule-daily", def: "0 5 * * *", kind: "cron", group: Schedule,
		usage: "cron schedule of the daily streams (those Gong revises for a few days)",
		apply: cronSetting(func(c *Config, s string) { c.ScheduleDaily = s })},
	{env: "GONGSYNC_SCHEDULE_TZ", flag: "schedule-tz", def: "UTC", kind: "zone", group: Schedule,
		usage: "time zone of the cron schedules (IANA name), whatever the host's",
		apply: zoneSetting(func(c *Config, loc *time.Location) { c.ScheduleTZ = loc })},
	{env: "GONGSYNC_FRESHNESS", flag: "freshness", kind: "duration", group: Schedule,
		usage: "target lag of new calls and transcripts (e.g. 2m): the calls are polled as often as it needs, within GONGSYNC_FRESHNESS_SHARE; unset keeps GONGSYNC_SCHEDULE_CALLS",
		apply: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			return durationSetting(func(c *Config, d time.Duration) { c.Freshness = d }, 10*time.Second)(c, v)
		}},
	{env: "GONGSYNC_FRESHNESS_SHARE", flag: "freshness-share", def: "0.35", kind: "share", group: Schedule,
		usage: "share of the daily budget the whole day's projected spending stays under while GONGSYNC_FRESHNESS is chased",
		apply: func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 || f > 1 {
				return fmt.Errorf("%q is not a number in (0, 1]", v)
			}
			c.FreshnessShare = f
			return nil
		}},
	{env: "GONGSYNC_HTTP_ADDR", flag: "http-addr", def: "127.0.0.1:9090", kind: "address", group: HTTP,
		usage: "host:port of /healthz, /readyz, /metrics and /status; off turns the server off",
		apply: addrSetting(func(c *Config, s string) { c.HTTPAddr = s })},
	{env: "GONGSYNC_WEBHOOK_ADDR", flag: "webhook-addr", def: Off, kind: "address", group: Webhook,
		usage: "host:port of the webhook receiver (POST /webhooks/gong), or off",
		apply: addrSetting(func(c *Config, s string) { c.WebhookAddr = s })},
	{env: "GONGSYNC_WEBHOOK_URL", flag: "webhook-url", kind: "URL", group: Webhook,
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
	{env: "GONGSYNC_WEBHOOK_PUBLIC_KEY", flag: "webhook-public-key", kind: "key", group: Webhook,
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
	{env: "GONGSYNC_WEBHOOK_TOKEN", flag: "webhook-token", kind: "secret", group: Webhook, secret: true,
		usage: "secret token expected in the webhook URL (?token=…): at least 32 random characters, e.g. openssl rand -hex 32",
		apply: func(c *Config, v string) error {
			if v != "" {
				if err := gongapi.CheckWebhookToken(v); err != nil {
					return err
				}
			}
			c.WebhookToken = Secret(v)
			return nil
		}},
	{env: "GONGSYNC_WEBHOOK_BATCH", flag: "webhook-batch", def: "3s", kind: "duration", group: Webhook,
		usage: "how long a call a webhook announced waits for others, so that calls announced together are fetched with one request (0: at once)",
		apply: durationSetting(func(c *Config, d time.Duration) { c.WebhookBatch = d }, 0)},
	{env: "GONGSYNC_ACTIONS_ADDR", flag: "actions-addr", def: Off, kind: "address", group: Actions,
		usage: "host:port of the actions server (GET /actions, POST /actions/{name}) for apps, or off",
		apply: addrSetting(func(c *Config, s string) { c.ActionsAddr = s })},
	{env: "GONGSYNC_ACTIONS_TOKEN", flag: "actions-token", kind: "secret", group: Actions, secret: true,
		usage: "bearer token apps must send to the actions server: at least 32 random characters, e.g. openssl rand -hex 32",
		apply: func(c *Config, v string) error {
			if v != "" {
				if err := gongapi.CheckSecretToken("the actions token", v); err != nil {
					return err
				}
			}
			c.ActionsToken = Secret(v)
			return nil
		}},
	{env: "GONGSYNC_MCP_ADDR", flag: "mcp-addr", def: Off, kind: "address", group: MCP,
		usage: "host:port of the MCP server (streamable HTTP, POST /mcp) for AI assistants, or off",
		apply: addrSetting(func(c *Config, s string) { c.MCPAddr = s })},
	{env: "GONGSYNC_MCP_TOKEN", flag: "mcp-token", kind: "secret", group: MCP, secret: true,
		usage: "bearer token assistants must send to the MCP server: at least 32 random characters, e.g. openssl rand -hex 32",
		apply: func(c *Config, v string) error {
			if v != "" {
				if err := gongapi.CheckSecretToken("the MCP token", v); err != nil {
					return err
				}
			}
			c.MCPToken = Secret(v)
			return nil
		}},
	{env: "GONGSYNC_WORKERS", flag: "workers", def: "4", kind: "count", group: Workers,
		usage: "jobs one `gongsync run` runs at once when it works for a connection registry",
		apply: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				return fmt.Errorf("%q is not a whole number from 1 to 1000", v)
			}
			c.Workers = n
			return nil
		}},
	{env: "GONGSYNC_JOB_TIMEOUT", flag: "job-timeout", def: "5m", kind: "duration", group: Workers,
		usage: "the longest one job may run; a job a killed worker left is tried again twice this long after it started",
		apply: durationSetting(func(c *Config, d time.Duration) { c.JobTimeout = d }, time.Second)},
	{env: "GONGSYNC_REQUESTS_PER_JOB", flag: "requests-per-job", def: "20", kind: "count", group: Workers,
		usage: "requests one job sends before it goes back in the queue, behind the connections that waited longer",
		apply: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("%q is not a whole number ≥ 1", v)
			}
			c.RequestsPerJob = n
			return nil
		}},
	{env: "LOG_LEVEL", flag: "log-level", def: "info", kind: "level",
		usage: "debug, info, warn or error",
		apply: func(c *Config, v string) error {
			l, err := zerolog.ParseLevel(strings.ToLower(v))
			if err != nil || v == "" {
				return fmt.Errorf("%q is not one of debug, info, warn, error", v)
			}
			c.LogLevel = l
			return nil
		}},
	{env: "LOG_FORMAT", flag: "log-format", def: "auto", kind: "format",
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

// checkDatabaseURL accepts what pgx can connect with, a postgres:// URL or a
// key=value string, without connecting: a value that can never work is a
// configuration error (exit 2), not a failure to reach the database (exit 1).
func checkDatabaseURL(v string) error {
	if v == "" {
		return errors.New("is required (e.g. postgres://user:pass@localhost:5432/gongsync)")
	}
	if scheme, _, ok := strings.Cut(v, "://"); ok && scheme != "postgres" && scheme != "postgresql" {
		if len(scheme) > 20 || strings.ContainsAny(scheme, "@:/ ") {
			scheme = "a non-Postgres"
		}
		return fmt.Errorf("is a %s:// URL: gongsync needs Postgres (postgres://user:pass@host:5432/db)", scheme)
	}
	if _, err := pgconn.ParseConfig(v); err != nil {
		// pgconn's message quotes the whole string (password masked) before the
		// reason; keep only the reason.
		msg := err.Error()
		if i := strings.LastIndex(msg, "`: "); i >= 0 {
			msg = msg[i+3:]
		}
		return fmt.Errorf("is not a postgres:// URL or a key=value connection string: %s", msg)
	}
	return nil
}

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

func zoneSetting(set func(*Config, *time.Location)) func(*Config, string) error {
	return func(c *Config, v string) error {
		loc, err := time.LoadLocation(v)
		if err != nil || v == "Local" {
			return fmt.Errorf("%q is not a known time zone (an IANA name such as UTC or Europe/Paris)", v)
		}
		set(c, loc)
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

// addrSetting accepts host:port, or Off (stored as "").
func addrSetting(set func(*Config, string)) func(*Config, string) error {
	return func(c *Config, v string) error {
		if strings.EqualFold(v, Off) {
			set(c, "")
			return nil
		}
		if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
			return fmt.Errorf("%q is not host:port (e.g. 127.0.0.1:9090 or :9090) or off", v)
		}
		set(c, v)
		return nil
	}
}

// value is a setting's flag. It holds the text as given; Load checks it, so that a
// problem names where the value came from and every problem is reported at once.
type value struct {
	s   *setting
	v   string
	set bool
}

func (v *value) String() string {
	if v == nil || v.s == nil {
		return ""
	}
	return v.s.def
}

func (v *value) Set(s string) error { v.v, v.set = s, true; return nil }

// IsBoolFlag lets --insecure-plaintext-tokens be given without a value.
func (v *value) IsBoolFlag() bool { return v.s.boolean }

// Kind is what --help shows after the flag's name.
func (v *value) Kind() string { return v.s.kind }

// Env is the variable the flag stands for.
func (v *value) Env() string { return v.s.env }

// Default is the built-in default, "" when there is none.
func (v *value) Default() string { return v.s.def }

// Loader binds settings to a subcommand's flag set.
type Loader struct {
	groups           Group
	values           []*value
	getenv           func(string) string
	deferCredentials bool
}

// Register adds the flags of the given groups (and logging) to fs. getenv is the
// environment (os.Getenv in the binary; a map in tests, so they can run in parallel).
// Flags win over the environment, the environment over the built-in defaults, and an
// empty value is no value at all.
func Register(fs *flag.FlagSet, groups Group, getenv func(string) string) *Loader {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	l := &Loader{groups: groups, getenv: getenv}
	for i := range settings {
		s := &settings[i]
		if s.group != 0 && s.group&groups == 0 {
			continue
		}
		v := &value{s: s}
		l.values = append(l.values, v)
		fs.Var(v, s.flag, s.usage)
	}
	return l
}

// Load validates every registered setting and returns the configuration, or one error
// listing every problem. Call it after fs.Parse.
func (l *Loader) Load() (*Config, error) {
	c := &Config{groups: l.groups, BudgetTZ: time.UTC, ScheduleTZ: time.UTC, deferCredentials: l.deferCredentials}
	var problems []error
	refused := map[string]bool{} // settings given but invalid: not "missing" to the cross-checks
	for _, v := range l.values {
		s := v.s
		value, source := strings.TrimSpace(v.v), "--"+s.flag
		if value == "" {
			value, source = strings.TrimSpace(l.getenv(s.env)), s.env
		}
		if value == "" {
			value, source = s.def, s.env+" (--"+s.flag+")" // neither given: name both ways to fix it
		}
		if err := s.apply(c, value); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", source, err))
			refused[s.env] = true
		}
	}
	problems = append(problems, c.crossChecks(refused)...)
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return c, nil
}

// crossChecks are rules that involve more than one setting. A setting in refused was
// given and already reported as invalid: a rule that would call it missing stays
// quiet, so that each mistake is reported once, and truly.
func (c *Config) crossChecks(refused map[string]bool) []error {
	var errs []error
	if c.groups&Gong != 0 && c.Connection == "" {
		switch {
		case refused["GONG_ACCESS_KEY"] || refused["GONG_ACCESS_KEY_SECRET"] || refused["GONG_OAUTH_CLIENT_ID"] || refused["GONG_OAUTH_CLIENT_SECRET"]:
		case c.AccessKey != "" && c.AccessKeySecret == "":
			errs = append(errs, errors.New("GONG_ACCESS_KEY is set but GONG_ACCESS_KEY_SECRET is not"))
		case c.AccessKey == "" && c.AccessKeySecret != "":
			errs = append(errs, errors.New("GONG_ACCESS_KEY_SECRET is set but GONG_ACCESS_KEY is not"))
		case c.AccessKey == "" && c.OAuthClientID == "":
			if !c.deferCredentials {
				errs = append(errs, errNoCredentials)
			}
		case c.OAuthClientID != "" && c.AccessKey == "" && c.OAuthClientSecret == "":
			errs = append(errs, errors.New("GONG_OAUTH_CLIENT_ID is set but GONG_OAUTH_CLIENT_SECRET is not"))
		}
	}
	if c.groups&Webhook != 0 && c.WebhookAddr != "" {
		if c.WebhookToken == "" && c.WebhookPublicKey == "" && !refused["GONGSYNC_WEBHOOK_TOKEN"] && !refused["GONGSYNC_WEBHOOK_PUBLIC_KEY"] {
			errs = append(errs, errors.New("GONGSYNC_WEBHOOK_ADDR is set but neither GONGSYNC_WEBHOOK_TOKEN nor GONGSYNC_WEBHOOK_PUBLIC_KEY is: webhooks could not be authenticated"))
		}
		if c.WebhookPublicKey != "" && c.WebhookURL == "" {
			errs = append(errs, errors.New("GONGSYNC_WEBHOOK_PUBLIC_KEY needs GONGSYNC_WEBHOOK_URL (signed webhooks must name the URL they were sent to)"))
		}
	}
	if c.groups&Actions != 0 && c.ActionsAddr != "" && c.ActionsToken == "" && !refused["GONGSYNC_ACTIONS_TOKEN"] {
		errs = append(errs, errors.New("GONGSYNC_ACTIONS_ADDR is set but GONGSYNC_ACTIONS_TOKEN is not: the actions server sends requests to Gong on behalf of whoever calls it, so it needs a bearer token"))
	}
	if c.groups&MCP != 0 && c.MCPAddr != "" && c.MCPToken == "" && !refused["GONGSYNC_MCP_TOKEN"] {
		errs = append(errs, errors.New("GONGSYNC_MCP_ADDR is set but GONGSYNC_MCP_TOKEN is not: the MCP server answers with the company's calls, so it needs a bearer token"))
	}
	return errs
}

// errNoCredentials is the configuration's problem when it names no Gong credentials.
var errNoCredentials = errors.New("no Gong credentials: set GONG_ACCESS_KEY and GONG_ACCESS_KEY_SECRET, or GONG_OAUTH_CLIENT_ID and GONG_OAUTH_CLIENT_SECRET and run `gongsync auth login`")

// DeferCredentials leaves the want of any Gong credentials out of Load's problems,
// for CredentialsProblem to report later: `gongsync run` needs none of its own when a
// connection registry holds them, which it learns only from the database.
func (l *Loader) DeferCredentials() { l.deferCredentials = true }

// CredentialsProblem is the configuration error of a configuration that names no Gong
// credentials (after DeferCredentials), nil when it names some.
func (c *Config) CredentialsProblem() error {
	if c.AccessKey == "" && c.OAuthClientID == "" && c.AccessKeySecret == "" {
		return &Error{Problems: []error{errNoCredentials}}
	}
	return nil
}

// Given says whether the setting of the variable env was given, by its flag or in
// the environment, rather than left to its default.
func (l *Loader) Given(env string) bool {
	for _, v := range l.values {
		if v.s.env == env {
			return strings.TrimSpace(v.v) != "" || strings.TrimSpace(l.getenv(env)) != ""
		}
	}
	return false
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

// Setting describes one variable for documentation and --help.
type Setting struct {
	Env, Flag, Default, Kind, Usage string
}

// Settings describes every variable, in the order of the README's table.
func Settings() []Setting {
	out := make([]Setting, 0, len(settings))
	for _, s := range settings {
		out = append(out, Setting{Env: s.env, Flag: "--" + s.flag, Default: s.def, Kind: s.kind, Usage: s.usage})
	}
	return out
}

// otherVariables are the GONGSYNC_ and GONG_ variables read outside the settings:
// rotate-key's old key, and what tests, benchmarks and the demo use. They are not
// mistakes, so UnknownVariables leaves them alone.
var otherVariables = []string{
	"GONGSYNC_ENCRYPTION_KEY_OLD", // gongsync rotate-key
	"GONGSYNC_BE_MAIN",            // the test binary standing in for gongsync
	"GONGSYNC_SOAK",               // the long tests
	"GONGSYNC_CPUPROFILE",         // a CPU profile of one run
	"GONGSYNC_BENCH_OUT",          // where a benchmark writes its figures
	"GONGSYNC_DEMO_REAPER",        // make demo's clean-up process
	"GONG_OPENAPI",                // Gong's API document for the catalog's tests
}

// UnknownVariable is a variable named like a setting that is none: a typo, most
// likely, which would otherwise be ignored without a word.
type UnknownVariable struct {
	Name string
	// Nearest are the known names closest to Name, best first (none when nothing is
	// close).
	Nearest []string
}

// UnknownVariables returns, sorted by name, the variables in names that start with
// GONGSYNC_ or GONG_ but are neither a setting nor one of the variables gongsync reads
// otherwise.
func UnknownVariables(names []string) []UnknownVariable {
	known := slices.Clone(otherVariables)
	for _, s := range settings {
		known = append(known, s.env)
	}
	var out []UnknownVariable
	for _, n := range slices.Sorted(slices.Values(names)) {
		if (strings.HasPrefix(n, "GONGSYNC_") || strings.HasPrefix(n, "GONG_")) && !slices.Contains(known, n) {
			out = append(out, UnknownVariable{Name: n, Nearest: suggest.Nearest(n, known)})
		}
	}
	return out
}
