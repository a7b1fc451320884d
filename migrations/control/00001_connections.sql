-- The control schema (GONGSYNC_CONTROL_SCHEMA, default gongsync): the registry of
-- connections a deployment syncs, one Gong company each, and beside it River's job
-- queue (river_* tables, migrated by River's own migrator). Each connection's data,
-- ledger, pace, checkpoints, runs and OAuth tokens live in its own schema, migrated by
-- the numbered migrations of migrations/; nothing here is read by analysts.
--
-- Secrets (an access key's secret, an OAuth app's client secret) are sealed with
-- AES-256-GCM under GONGSYNC_ENCRYPTION_KEY by the store before they reach this table,
-- bound to their row and column as oauth_tokens' are; only
-- `--insecure-plaintext-tokens` writes them as plain bytes, and `encrypted` says so.

-- +goose Up

CREATE TABLE connections (
    name                text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    schema_name         text NOT NULL UNIQUE CHECK (schema_name ~ '^[a-z_][a-z0-9_]{0,62}$'),
    base_url            text NOT NULL CHECK (base_url ~ '^https?://'),
    auth_mode           text NOT NULL CHECK (auth_mode IN ('basic', 'oauth')),
    access_key          text,
    access_key_secret   bytea,
    oauth_client_id     text,
    oauth_client_secret bytea,
    encrypted           boolean NOT NULL,
    daily_budget        integer CHECK (daily_budget >= 1),
    backfill_share      double precision CHECK (backfill_share > 0 AND backfill_share <= 1),
    rate_limit          double precision CHECK (rate_limit >= 0),
    schedule_calls      text,
    schedule_users      text,
    schedule_settle     text,
    schedule_daily      text,
    paused_at           timestamptz,
    failed_at           timestamptz,
    failure             text,
    generation          bigint NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (auth_mode <> 'basic' OR (access_key IS NOT NULL AND access_key_secret IS NOT NULL)),
    CHECK (auth_mode <> 'oauth' OR (oauth_client_id IS NOT NULL AND oauth_client_secret IS NOT NULL))
);

COMMENT ON TABLE connections IS 'gongsync bookkeeping: the connections this deployment syncs, one Gong company each (`gongsync connections add`). A worker (`gongsync run`) syncs every connection not paused or failed; every command takes --connection NAME.';
COMMENT ON COLUMN connections.name IS 'gongsync bookkeeping: the connection''s name (--connection, GONGSYNC_CONNECTION): lower-case letters, digits, _ and -; the label of its metrics and the field of its log lines.';
COMMENT ON COLUMN connections.schema_name IS 'gongsync bookkeeping: the schema holding the connection''s tables, its ledger, pace, checkpoints, runs and OAuth tokens (one schema per connection).';
COMMENT ON COLUMN connections.base_url IS 'gongsync bookkeeping: Gong''s API base URL for this company (an OAuth token''s api_base_url_for_customer wins over it).';
COMMENT ON COLUMN connections.auth_mode IS 'gongsync bookkeeping: basic (an access key and its secret) or oauth (an installed app; tokens from `gongsync auth login --connection NAME`, in the connection''s schema).';
COMMENT ON COLUMN connections.access_key IS 'gongsync bookkeeping: the Gong access key (basic); not a secret on its own.';
COMMENT ON COLUMN connections.access_key_secret IS 'gongsync bookkeeping: the access key''s secret, sealed with AES-256-GCM under GONGSYNC_ENCRYPTION_KEY (a version byte, a nonce, the ciphertext and its tag), bound to this row and column.';
COMMENT ON COLUMN connections.oauth_client_id IS 'gongsync bookkeeping: the OAuth app''s client id (oauth).';
COMMENT ON COLUMN connections.oauth_client_secret IS 'gongsync bookkeeping: the OAuth app''s client secret, sealed like access_key_secret.';
COMMENT ON COLUMN connections.encrypted IS 'gongsync bookkeeping: whether the secrets are sealed (false only when written with --insecure-plaintext-tokens and no key).';
COMMENT ON COLUMN connections.daily_budget IS 'gongsync bookkeeping: the connection''s daily request budget; null: the worker''s GONG_DAILY_BUDGET.';
COMMENT ON COLUMN connections.backfill_share IS 'gongsync bookkeeping: the share of the daily budget backfills may spend (0–1); null: the worker''s GONG_BACKFILL_SHARE.';
COMMENT ON COLUMN connections.rate_limit IS 'gongsync bookkeeping: requests per second to this company''s Gong (0 turns pacing off); null: the worker''s GONG_RATE_LIMIT.';
COMMENT ON COLUMN connections.schedule_calls IS 'gongsync bookkeeping: cron schedule of the calls and transcripts streams; null: the worker''s GONGSYNC_SCHEDULE_CALLS.';
COMMENT ON COLUMN connections.schedule_users IS 'gongsync bookkeeping: cron schedule of the users, workspaces and trackers streams; null: the worker''s GONGSYNC_SCHEDULE_USERS.';
COMMENT ON COLUMN connections.schedule_settle IS 'gongsync bookkeeping: cron schedule of the settle pass; null: the worker''s GONGSYNC_SCHEDULE_SETTLE.';
COMMENT ON COLUMN connections.schedule_daily IS 'gongsync bookkeeping: cron schedule of the daily streams (those Gong revises for a few days); null: the worker''s GONGSYNC_SCHEDULE_DAILY.';
COMMENT ON COLUMN connections.paused_at IS 'gongsync bookkeeping: when `gongsync connections pause` paused the connection; null while it is synced.';
COMMENT ON COLUMN connections.failed_at IS 'gongsync bookkeeping: when Gong refused the connection''s credentials (or its OAuth login is needed); workers leave it alone until `gongsync connections resume` or a new `connections add --update`.';
COMMENT ON COLUMN connections.failure IS 'gongsync bookkeeping: why the connection failed, in words (never a secret).';
COMMENT ON COLUMN connections.generation IS 'gongsync bookkeeping: how many times the row was written; a worker that sees it move builds the connection''s client again.';
COMMENT ON COLUMN connections.created_at IS 'gongsync bookkeeping: when the connection was added.';
COMMENT ON COLUMN connections.updated_at IS 'gongsync bookkeeping: when the row last changed.';

COMMENT ON TABLE goose_control_version IS 'gongsync bookkeeping: the migrations applied to the control schema (goose''s version table; the numbered files of migrations/control).';
COMMENT ON COLUMN goose_control_version.id IS 'gongsync bookkeeping: goose''s row number.';
COMMENT ON COLUMN goose_control_version.version_id IS 'gongsync bookkeeping: the migration''s number (the file''s prefix in migrations/control).';
COMMENT ON COLUMN goose_control_version.is_applied IS 'gongsync bookkeeping: true when the row records applying the migration, false when undoing it.';
COMMENT ON COLUMN goose_control_version.tstamp IS 'gongsync bookkeeping: when (timestamp without time zone, the session''s local time: goose''s choice).';

-- +goose Down

DROP TABLE connections;
