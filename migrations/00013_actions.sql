-- Actions (gongsync action run, POST /actions/{name}) and erasures.
--
-- action_runs records every run of an action: what was asked (a keyed digest of the
-- input, never the input), by whom, how it ended, Gong's requestIds, and, for a run
-- given an idempotency key, its answer for a while, so that the same key and input
-- return it again without sending anything.
--
-- erasures records every erasure of an email address or phone number (the privacy.*
-- actions) as a keyed hash, never the address itself: enough to keep the sync from
-- storing again a call Gong has not erased yet, and to tell whether an address was
-- erased, for someone who already knows it and can read hash_key.
--
-- hash_key is the installation's secret for those keyed hashes (HMAC-SHA256), made
-- once by the first process that needs it. It lives in the database, not in the
-- environment: every gongsync process of the schema must compute the same hashes,
-- installations with an access key have no other secret to derive it from, and a key
-- that changed or got lost (GONGSYNC_ENCRYPTION_KEY rotated) would make every recorded
-- erasure unrecognisable and let erased calls back in.

-- +goose Up

CREATE TABLE hash_key (
    -- One row: the key is true and cannot be anything else.
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    key        bytea NOT NULL CHECK (length(key) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE action_runs (
    id               bigserial PRIMARY KEY,
    action           text NOT NULL CHECK (action <> ''),
    asked_by         text NOT NULL CHECK (asked_by IN ('cli', 'http')),
    input_digest     bytea NOT NULL,
    idempotency_key  text CHECK (idempotency_key <> ''),
    status           text NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'succeeded', 'failed', 'maybe_applied')),
    requests         integer NOT NULL DEFAULT 0,
    gong_request_ids text[] NOT NULL DEFAULT '{}',
    answer_digest    bytea,
    answer           text,
    answer_kept_until timestamptz,
    error            text,
    started_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    CHECK ((answer IS NULL) = (answer_kept_until IS NULL))
);
-- A key belongs to one run at a time. A run that failed without reaching Gong's side
-- of things (refused, or nothing sent) lets go of it, so the same request can be tried
-- again with the same key.
CREATE UNIQUE INDEX action_runs_idempotency_key_idx ON action_runs (idempotency_key)
    WHERE idempotency_key IS NOT NULL AND status <> 'failed';
CREATE INDEX action_runs_key_idx ON action_runs (idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Kept answers are dropped once their time is up; this finds them.
CREATE INDEX action_runs_answer_kept_until_idx ON action_runs (answer_kept_until) WHERE answer IS NOT NULL;

CREATE TABLE erasures (
    id               bigserial PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('email', 'phone')),
    address_hash     bytea NOT NULL CHECK (length(address_hash) = 32),
    action_run_id    bigint,
    requested_at     timestamptz NOT NULL DEFAULT now(),
    gong_status      text NOT NULL CHECK (gong_status IN ('requested', 'maybe_requested')),
    gong_request_id  text,
    erased_call_ids  text[] NOT NULL DEFAULT '{}',
    calls_deleted    integer NOT NULL DEFAULT 0,
    rows_deleted     jsonb NOT NULL DEFAULT '{}',
    gong_references  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX erasures_address_hash_idx ON erasures (address_hash);

COMMENT ON TABLE hash_key IS 'gongsync bookkeeping: the installation''s secret key for keyed hashes (HMAC-SHA256), one row made once. Erased addresses (erasures.address_hash) and action inputs (action_runs.input_digest) are kept only as hashes under it, never in clear.';
COMMENT ON COLUMN hash_key.id IS 'gongsync bookkeeping: always true: the table holds one row.';
COMMENT ON COLUMN hash_key.key IS 'gongsync bookkeeping: the 32 random bytes of the key.';
COMMENT ON COLUMN hash_key.created_at IS 'gongsync bookkeeping: when the key was made (timestamptz).';

COMMENT ON TABLE action_runs IS 'gongsync bookkeeping: one row per run of an action (gongsync action run, POST /actions/{name}): which, who asked, how it ended, Gong''s requestIds. The input is kept only as a keyed digest; the answer only for a run with an idempotency key, for 24 hours, so that the same key and input return it without sending again.';
COMMENT ON COLUMN action_runs.id IS 'gongsync bookkeeping: the run''s number, increasing.';
COMMENT ON COLUMN action_runs.action IS 'gongsync bookkeeping: the action: Gong''s operationId (getCall, addCall, …) or gongsync''s own (calls.refresh, privacy.erase-email, …); gongsync action list shows them.';
COMMENT ON COLUMN action_runs.asked_by IS 'gongsync bookkeeping: who asked: cli (gongsync action run) or http (POST /actions/{name} on the daemon).';
COMMENT ON COLUMN action_runs.input_digest IS 'gongsync bookkeeping: HMAC-SHA256 under hash_key of the action''s name and its checked input (and --all), never the input itself: two runs of the same request have the same digest.';
COMMENT ON COLUMN action_runs.idempotency_key IS 'gongsync bookkeeping: the idempotency key the caller gave (--idempotency-key, the Idempotency-Key header), or null. Reusing it with the same input returns the kept answer without sending; with another input it is refused.';
COMMENT ON COLUMN action_runs.status IS 'gongsync bookkeeping: running; succeeded; failed (Gong refused it, or it was not sent); maybe_applied (a write reached Gong and its answer was lost: it may have been carried out, and was not sent again).';
COMMENT ON COLUMN action_runs.requests IS 'gongsync bookkeeping: requests the run sent to Gong (each counted in api_usage).';
COMMENT ON COLUMN action_runs.gong_request_ids IS 'gongsync bookkeeping: Gong''s requestId of each answer the run got (or of the answer that was cut off), in order; quote them to Gong''s support.';
COMMENT ON COLUMN action_runs.answer_digest IS 'gongsync bookkeeping: SHA-256 of the answer the run returned; null until it succeeded.';
COMMENT ON COLUMN action_runs.answer IS 'gongsync bookkeeping: the answer the run returned (JSON, byte for byte as it was returned), kept only for a run with an idempotency key, at most 1 MiB, until answer_kept_until; null otherwise. It may hold Gong''s data (names, addresses) like the synced tables; an erasure clears the answers that hold the erased address.';
COMMENT ON COLUMN action_runs.answer_kept_until IS 'gongsync bookkeeping: when the kept answer is dropped (timestamptz); null when none is kept.';
COMMENT ON COLUMN action_runs.error IS 'gongsync bookkeeping: why the run failed, or why it may have been applied; null when it succeeded.';
COMMENT ON COLUMN action_runs.started_at IS 'gongsync bookkeeping: when the run started (timestamptz).';
COMMENT ON COLUMN action_runs.finished_at IS 'gongsync bookkeeping: when it ended (timestamptz); null while running, or if its process died first.';

COMMENT ON TABLE erasures IS 'gongsync bookkeeping: one row per erasure of an email address or phone number (privacy.erase-email, privacy.erase-phone), recorded as a keyed hash, never the address. While Gong erases (it takes hours), the sync does not store a call that still carries the address, nor any call listed here.';
COMMENT ON COLUMN erasures.id IS 'gongsync bookkeeping: the erasure''s number, increasing.';
COMMENT ON COLUMN erasures.kind IS 'gongsync bookkeeping: email or phone.';
COMMENT ON COLUMN erasures.address_hash IS 'gongsync bookkeeping: HMAC-SHA256 under hash_key of the address: an email in lower case, or a phone number''s last 10 digits (all of them when fewer).';
COMMENT ON COLUMN erasures.action_run_id IS 'gongsync bookkeeping: the run that asked for the erasure. Joins action_runs.id.';
COMMENT ON COLUMN erasures.requested_at IS 'gongsync bookkeeping: when Gong was asked to erase (timestamptz). Calls that started before it and carry the address are never stored again.';
COMMENT ON COLUMN erasures.gong_status IS 'gongsync bookkeeping: requested (Gong answered the erase request), or maybe_requested (the request reached Gong and its answer was lost: run the action again to be sure).';
COMMENT ON COLUMN erasures.gong_request_id IS 'gongsync bookkeeping: Gong''s requestId of the erase request, for Gong''s support.';
COMMENT ON COLUMN erasures.erased_call_ids IS 'gongsync bookkeeping: the Gong ids of the calls deleted here for this erasure, and of those Gong listed for the address: the sync never stores them again.';
COMMENT ON COLUMN erasures.calls_deleted IS 'gongsync bookkeeping: how many calls were deleted from the synced tables, with all their rows and transcripts.';
COMMENT ON COLUMN erasures.rows_deleted IS 'gongsync bookkeeping: other rows deleted or cleared because they held the address, by table (JSON object of counts).';
COMMENT ON COLUMN erasures.gong_references IS 'gongsync bookkeeping: what Gong said it held for the address before erasing, as counts by kind (calls, emails, meetings, customerData, customerEngagement).';

-- +goose Down

DROP TABLE erasures;
DROP TABLE action_runs;
DROP TABLE hash_key;
