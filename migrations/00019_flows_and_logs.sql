-- Engage flows (GET /v2/flows, asked per flow owner) and the audit logs (GET /v2/logs,
-- one series per log type). Flows are a full refresh spread over a week of daily
-- slices of owners; log records are read incrementally by event time and, having no
-- id of their own, are keyed by a hash of their type and the record as Gong sent it.

-- +goose Up
CREATE TABLE flows (
    id               text PRIMARY KEY CHECK (id <> ''),
    name             text,
    folder_id        text,
    folder_name      text,
    visibility       text,
    creation_date    timestamptz,
    exclusive        boolean,
    flow_owner_email text NOT NULL,
    raw              jsonb NOT NULL,
    content_hash     bytea NOT NULL,
    first_seen_at    timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    last_seen_at     timestamptz NOT NULL,
    deleted_at       timestamptz
);
CREATE INDEX flows_flow_owner_email_idx ON flows (flow_owner_email);

CREATE TABLE audit_logs (
    id                         text PRIMARY KEY CHECK (id <> ''),
    log_type                   text NOT NULL,
    event_time                 timestamptz NOT NULL,
    user_id                    text,
    user_email_address         text,
    user_full_name             text,
    impersonator_user_id       text,
    impersonator_email_address text,
    impersonator_full_name     text,
    impersonator_company_id    text,
    call_id                    text,
    log_record                 jsonb,
    raw                        jsonb NOT NULL,
    content_hash               bytea NOT NULL,
    first_seen_at              timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL,
    last_seen_at               timestamptz NOT NULL,
    deleted_at                 timestamptz
);
CREATE INDEX audit_logs_type_time_idx ON audit_logs (log_type, event_time);
CREATE INDEX audit_logs_call_idx ON audit_logs (call_id) WHERE call_id IS NOT NULL;
CREATE INDEX audit_logs_user_idx ON audit_logs (user_id, event_time);

COMMENT ON TABLE flows IS 'The company''s Gong Engage flows (GET /v2/flows): the company flows, and the personal and shared flows of every active user with an email address, whom Gong must be asked about one at a time. Refreshed in full once a week, a daily slice of the users at a time; a flow no user''s answer lists once a week''s refresh completed keeps its row with deleted_at set.';
COMMENT ON COLUMN flows.id IS 'Gong''s unique numeric identifier for the flow (up to 20 digits, kept as text).';
COMMENT ON COLUMN flows.name IS 'The flow''s name.';
COMMENT ON COLUMN flows.folder_id IS 'Gong''s identifier of the folder the flow is in.';
COMMENT ON COLUMN flows.folder_name IS 'The name of the folder the flow is in.';
COMMENT ON COLUMN flows.visibility IS 'Who sees the flow: Company (everyone; edited by users with edit permissions), Personal (its owner only) or Shared (its owner and the users it is shared with).';
COMMENT ON COLUMN flows.creation_date IS 'When the flow was created (timestamptz).';
COMMENT ON COLUMN flows.exclusive IS 'Whether a prospect in this flow cannot be added to other flows.';
COMMENT ON COLUMN flows.flow_owner_email IS 'The email address gongsync asked GET /v2/flows about (flowOwnerEmail) when it first stored the flow, or last stored a change of it: for a personal flow its owner, for a shared one its owner or a user it is shared with, for a company flow any user. Joins users.email_address.';

COMMENT ON TABLE audit_logs IS 'Gong''s audit and usage logs (GET /v2/logs), one row per log record, of every type: AccessLog (sign-ins), UserActivityLog (what users did), UserCallPlay (who played which call), ExternallySharedCallAccess and ExternallySharedCallPlay (calls shared outside the company, opened and played). Read daily from each type''s high-water mark; records are never marked deleted (Gong keeps no deletion of them).';
COMMENT ON COLUMN audit_logs.id IS 'gongsync bookkeeping: the row''s key, the log type, a colon, and the hex SHA-256 of the record exactly as Gong sent it (Gong gives a log record no id), so that reading a record again finds its row.';
COMMENT ON COLUMN audit_logs.log_type IS 'The log type the record was asked with: AccessLog, UserActivityLog, UserCallPlay, ExternallySharedCallAccess or ExternallySharedCallPlay.';
COMMENT ON COLUMN audit_logs.event_time IS 'When the logged event took place (Gong''s eventTime, timestamptz).';
COMMENT ON COLUMN audit_logs.user_id IS 'The user who did it, when Gong names one. Joins users.id.';
COMMENT ON COLUMN audit_logs.user_email_address IS 'The email address of the user, when Gong sent one (an external viewer of a shared call is named here).';
COMMENT ON COLUMN audit_logs.user_full_name IS 'The full name of the user, when Gong sent one.';
COMMENT ON COLUMN audit_logs.impersonator_user_id IS 'The user who acted on the user''s behalf (impersonation), when there was one.';
COMMENT ON COLUMN audit_logs.impersonator_email_address IS 'The email address of the impersonating user, when there was one.';
COMMENT ON COLUMN audit_logs.impersonator_full_name IS 'The full name of the impersonating user, when there was one.';
COMMENT ON COLUMN audit_logs.impersonator_company_id IS 'The company of the impersonating user (Gong staff act from their own company), when there was one.';
COMMENT ON COLUMN audit_logs.call_id IS 'The call the record concerns (the logRecord''s callId), for the call play and shared call types; null when the record names none. It may be older than the calls gongsync has synced. Joins calls.id.';
COMMENT ON COLUMN audit_logs.log_record IS 'The record''s type-specific fields (Gong''s logRecord, JSON) as Gong sent them.';

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['flows', 'audit_logs'] LOOP
        EXECUTE format('COMMENT ON COLUMN %I.raw IS %L', t,
            'The record exactly as Gong sent it (JSON), including fields that have no column of their own.');
        EXECUTE format('COMMENT ON COLUMN %I.content_hash IS %L', t,
            'gongsync bookkeeping: SHA-256 of raw, to tell a changed record from one read again unchanged.');
        EXECUTE format('COMMENT ON COLUMN %I.first_seen_at IS %L', t,
            'gongsync bookkeeping: when gongsync first stored the record (timestamptz, the database''s clock).');
        EXECUTE format('COMMENT ON COLUMN %I.updated_at IS %L', t,
            'gongsync bookkeeping: when the record''s content last changed, or it was deleted or restored (timestamptz). Not Gong''s modification time: Gong has none.');
        EXECUTE format('COMMENT ON COLUMN %I.last_seen_at IS %L', t,
            'gongsync bookkeeping: the last time Gong returned the record (timestamptz).');
        EXECUTE format('COMMENT ON COLUMN %I.deleted_at IS %L', t,
            'gongsync bookkeeping: when gongsync found the record gone from Gong (timestamptz); null while Gong has it. Nothing is removed: the live_ views leave these rows out.');
    END LOOP;
END
$$;
-- +goose StatementEnd

CREATE VIEW live_flows AS SELECT f.* FROM flows f WHERE f.deleted_at IS NULL;
CREATE VIEW live_audit_logs AS SELECT l.* FROM audit_logs l WHERE l.deleted_at IS NULL;
COMMENT ON VIEW live_flows IS 'flows Gong still lists for some user.';
COMMENT ON VIEW live_audit_logs IS 'audit_logs not marked deleted (all of them: Gong keeps no deletion of log records).';

-- The views' columns carry their tables' comments.
-- +goose StatementBegin
DO $$
DECLARE
    v record;
BEGIN
    FOR v IN
        SELECT vc.oid AS view, tc.oid AS tab, a.attname
        FROM pg_class vc
        JOIN pg_class tc ON tc.relname = substr(vc.relname, 6) AND tc.relnamespace = vc.relnamespace AND tc.relkind = 'r'
        JOIN pg_attribute a ON a.attrelid = vc.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE vc.relkind = 'v' AND vc.relnamespace = current_schema()::regnamespace
          AND vc.relname IN ('live_flows', 'live_audit_logs')
    LOOP
        EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', v.view::regclass, v.attname,
            (SELECT col_description(v.tab, b.attnum) FROM pg_attribute b WHERE b.attrelid = v.tab AND b.attname = v.attname));
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP VIEW live_audit_logs;
DROP VIEW live_flows;
DROP TABLE audit_logs;
DROP TABLE flows;
