-- The first schema of gongsync: Gong's records as typed tables, plus the bookkeeping
-- the sync needs to resume after a crash and to stay inside Gong's daily quota.
--
-- Every entity table keeps the record as Gong sent it (raw), a hash of those bytes
-- (content_hash, computed by the store, to tell a changed record from a re-read one),
-- and four times: first_seen_at; updated_at, which moves only when the content changes
-- or the record is deleted or restored; last_seen_at, which moves every time Gong
-- returns the record; and deleted_at, set when Gong stops returning it. Nothing is
-- hard-deleted by a sync.

-- +goose Up

CREATE TABLE users (
    id                    text PRIMARY KEY CHECK (id <> ''),
    email_address         text,
    first_name            text,
    last_name             text,
    title                 text,
    phone_number          text,
    extension             text,
    active                boolean,
    manager_id            text,
    created               timestamptz,
    email_aliases         text[],
    trusted_email_address text,
    spoken_languages      jsonb,
    settings              jsonb,
    raw                   jsonb NOT NULL,
    content_hash          bytea NOT NULL,
    first_seen_at         timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    last_seen_at          timestamptz NOT NULL,
    deleted_at            timestamptz
);
CREATE INDEX users_email_address_idx ON users (email_address);

CREATE TABLE workspaces (
    id            text PRIMARY KEY CHECK (id <> ''),
    name          text,
    description   text,
    raw           jsonb NOT NULL,
    content_hash  bytea NOT NULL,
    first_seen_at timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    deleted_at    timestamptz
);

-- Tracker definitions (GET /v2/settings/trackers); call_trackers holds their hits.
CREATE TABLE trackers (
    id                text PRIMARY KEY CHECK (id <> ''),
    name              text,
    workspace_id      text,
    affiliation       text,
    part_of_question  boolean,
    filter_query      text,
    language_keywords jsonb,
    created           timestamptz,
    updated           timestamptz,
    raw               jsonb NOT NULL,
    content_hash      bytea NOT NULL,
    first_seen_at     timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    last_seen_at      timestamptz NOT NULL,
    deleted_at        timestamptz
);

CREATE TABLE calls (
    id                         text PRIMARY KEY CHECK (id <> ''),
    url                        text,
    title                      text,
    scheduled                  timestamptz,
    started                    timestamptz,
    duration_seconds           bigint,
    primary_user_id            text,
    direction                  text,
    system                     text,
    scope                      text,
    media                      text,
    language                   text,
    workspace_id               text,
    sdr_disposition            text,
    client_unique_id           text,
    custom_data                text,
    purpose                    text,
    meeting_url                text,
    is_private                 boolean,
    calendar_event_id          text,
    brief                      text,
    call_outcome               jsonb,
    key_points                 jsonb,
    highlights                 jsonb,
    outline                    jsonb,
    structure                  jsonb,
    question_company_count     integer,
    question_non_company_count integer,
    -- The transcript is fetched separately (POST /v2/calls/transcript), possibly long
    -- after the call: these columns drive that queue and its retries.
    transcript_status          text NOT NULL DEFAULT 'pending'
        CHECK (transcript_status IN ('pending', 'available', 'unavailable')),
    transcript_attempts        integer NOT NULL DEFAULT 0,
    transcript_next_attempt_at timestamptz,
    transcript_fetched_at      timestamptz,
    raw                        jsonb NOT NULL,
    content_hash               bytea NOT NULL,
    first_seen_at              timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL,
    last_seen_at               timestamptz NOT NULL,
    deleted_at                 timestamptz
);
CREATE INDEX calls_started_idx ON calls (started);
CREATE INDEX calls_primary_user_id_idx ON calls (primary_user_id, started);
-- Serves "calls of a workspace" and the deletion sweep of a window in one workspace.
CREATE INDEX calls_workspace_id_idx ON calls (workspace_id, started);
-- The transcript queue: small, because most calls leave it once fetched.
CREATE INDEX calls_transcript_pending_idx ON calls (started)
    WHERE transcript_status = 'pending' AND deleted_at IS NULL;

-- The child tables of calls are rewritten as a set whenever a call is new or its
-- content changed. They carry no foreign key to calls: calls are never hard-deleted
-- by a sync, the store writes children only beside their call in one transaction,
-- and the per-row key check doubled the time to write a page's child rows (measured:
-- 18 ms → 37 ms per 100 calls). Children left behind by a call deleted by hand are
-- replaced when the call comes back.

CREATE TABLE call_parties (
    call_id       text NOT NULL,
    party_id      text NOT NULL,
    user_id       text,
    speaker_id    text,
    email_address text,
    name          text,
    title         text,
    affiliation   text,
    phone_number  text,
    methods       text[],
    context       jsonb,
    PRIMARY KEY (call_id, party_id)
);
-- Partial: most parties of a call are outside the company and have no user id.
CREATE INDEX call_parties_user_id_idx ON call_parties (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX call_parties_email_address_idx ON call_parties (email_address) WHERE email_address IS NOT NULL;

CREATE TABLE call_trackers (
    call_id     text NOT NULL,
    tracker_id  text NOT NULL,
    name        text NOT NULL,
    type        text,
    count       integer NOT NULL,
    occurrences jsonb,
    phrases     jsonb,
    PRIMARY KEY (call_id, tracker_id)
);

CREATE TABLE call_topics (
    call_id          text NOT NULL,
    name             text NOT NULL,
    duration_seconds bigint NOT NULL,
    PRIMARY KEY (call_id, name)
);

CREATE TABLE call_speakers (
    call_id           text NOT NULL,
    party_id          text NOT NULL,
    user_id           text,
    talk_time_seconds double precision NOT NULL,
    PRIMARY KEY (call_id, party_id)
);

CREATE TABLE call_interaction_stats (
    call_id text NOT NULL,
    name    text NOT NULL,
    value   double precision NOT NULL,
    PRIMARY KEY (call_id, name)
);

CREATE TABLE call_crm_objects (
    call_id     text NOT NULL,
    system      text NOT NULL,
    object_type text NOT NULL,
    object_id   text NOT NULL,
    timing      text NOT NULL DEFAULT '', -- '' when Gong sent none, so it can be part of the key
    fields      jsonb,
    PRIMARY KEY (call_id, system, object_type, object_id, timing)
);
CREATE INDEX call_crm_objects_object_idx ON call_crm_objects (object_type, object_id);

CREATE TABLE call_comments (
    call_id             text NOT NULL,
    comment_id          text NOT NULL,
    commenter_user_id   text,
    comment             text,
    posted              timestamptz,
    audio_start_seconds double precision,
    audio_end_seconds   double precision,
    in_reply_to         text,
    during_call         boolean,
    PRIMARY KEY (call_id, comment_id)
);

CREATE TABLE transcript_sentences (
    call_id         text NOT NULL,
    sentence_index  integer NOT NULL,
    monologue_index integer NOT NULL,
    speaker_id      text,
    topic           text,
    start_ms        bigint NOT NULL,
    end_ms          bigint NOT NULL,
    text            text NOT NULL,
    PRIMARY KEY (call_id, sentence_index)
);
-- Full-text search over transcripts in plain SQL:
--   WHERE to_tsvector('english', text) @@ websearch_to_tsquery('english', 'pricing')
CREATE INDEX transcript_sentences_text_idx ON transcript_sentences
    USING gin (to_tsvector('english', text));

-- One row per sync stream: where it stands, so a restarted process resumes exactly
-- where the last committed page left it.
CREATE TABLE sync_state (
    stream            text PRIMARY KEY,
    high_water_mark   timestamptz,
    window_from       timestamptz,
    window_to         timestamptz,
    window_started_at timestamptz,
    cursor            text,
    last_started      timestamptz,
    completed_at      timestamptz,
    state             jsonb,
    updated_at        timestamptz NOT NULL
);

CREATE TABLE sync_runs (
    id             bigserial PRIMARY KEY,
    stream         text NOT NULL,
    kind           text NOT NULL,
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    status         text NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'succeeded', 'failed', 'paused', 'skipped', 'interrupted')),
    requests       integer NOT NULL DEFAULT 0,
    records        integer NOT NULL DEFAULT 0,
    late_calls     integer NOT NULL DEFAULT 0,
    changed_calls  integer NOT NULL DEFAULT 0,
    deleted_calls  integer NOT NULL DEFAULT 0,
    restored_calls integer NOT NULL DEFAULT 0,
    error          text,
    details        jsonb
);
CREATE INDEX sync_runs_stream_kind_idx ON sync_runs (stream, kind, id);

-- The daily request ledger shared by every gongsync process on this database.
CREATE TABLE api_usage (
    day               date PRIMARY KEY,
    requests          integer NOT NULL DEFAULT 0,
    backfill_requests integer NOT NULL DEFAULT 0,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- lz4 compresses the raw documents several times faster than Postgres's default pglz,
-- which otherwise costs about half the write time of a page of calls. Servers older
-- than 14, or built without lz4, keep pglz.
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        FOREACH t IN ARRAY ARRAY['users', 'workspaces', 'trackers', 'calls'] LOOP
            EXECUTE format('ALTER TABLE %I ALTER COLUMN raw SET COMPRESSION lz4', t);
        END LOOP;
    END IF;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available: raw documents are compressed with pglz';
END
$$;
-- +goose StatementEnd

-- +goose Down

DROP TABLE api_usage;
DROP TABLE sync_runs;
DROP TABLE sync_state;
DROP TABLE transcript_sentences;
DROP TABLE call_comments;
DROP TABLE call_crm_objects;
DROP TABLE call_interaction_stats;
DROP TABLE call_speakers;
DROP TABLE call_topics;
DROP TABLE call_trackers;
DROP TABLE call_parties;
DROP TABLE calls;
DROP TABLE trackers;
DROP TABLE workspaces;
DROP TABLE users;
