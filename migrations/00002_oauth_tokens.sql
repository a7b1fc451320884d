-- OAuth connections to Gong (`gongsync auth login`), one row per connection.
--
-- The tokens are sealed with AES-256-GCM under GONGSYNC_ENCRYPTION_KEY by the store
-- before they reach this table (a version byte, a nonce, the ciphertext and its tag),
-- bound to the row and column they belong in. Only `--insecure-plaintext-tokens`
-- writes them as plain bytes, and then says so in `encrypted`.
--
-- Gong's refresh tokens are single-use: a refresh locks the row (SELECT … FOR UPDATE),
-- re-reads it, and commits the new pair before the new access token is used, so two
-- processes never spend the same refresh token. `generation` counts those writes.

-- +goose Up

CREATE TABLE oauth_tokens (
    id                        text PRIMARY KEY CHECK (id <> ''),
    encrypted                 boolean NOT NULL,
    access_token              bytea NOT NULL,
    refresh_token             bytea,
    token_type                text NOT NULL DEFAULT 'Bearer',
    scopes                    text[] NOT NULL DEFAULT '{}',
    api_base_url_for_customer text,
    expires_at                timestamptz,
    obtained_at               timestamptz NOT NULL,
    -- Set when Gong refused the refresh token (invalid_grant): why, and since when.
    -- Every run fails fast until `gongsync auth login` replaces the row's tokens.
    login_required            text,
    login_required_at         timestamptz,
    generation                bigint NOT NULL DEFAULT 1,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now()
);

-- +goose Down

DROP TABLE oauth_tokens;
