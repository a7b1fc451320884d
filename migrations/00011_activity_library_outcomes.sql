-- More of Gong than calls (issue 14): what each user did each day (the calls they
-- hosted, attended, listened to, gave feedback on, …), each user's interaction stats
-- per day, the public library folders and the calls in them, and the company's call
-- outcome definitions.
--
-- Every table here is an entity table: the record as Gong sent it in raw, the
-- bookkeeping columns, soft deletion (deleted_at) and a live_ view. Gong gives a
-- user's day, a stat and an outcome no id, so gongsync keys them by what identifies
-- them (the id column says how). A call id in these tables is the call's Gong id: the
-- call may be older than what gongsync has synced, so the live_ views leave out the
-- rows of calls known to be deleted, not those of calls never synced.
--
-- It also lets a stream be "not available" rather than failed (a plan without the
-- library answers its endpoints 401 or 404): such a run ends 'unavailable', and the
-- stream is left alone for a day like one refused a scope (stream_refusals.reason).

-- +goose Up

CREATE TABLE user_activity_days (
    id                 text PRIMARY KEY CHECK (id <> ''),
    user_id            text NOT NULL,
    day                date NOT NULL,
    user_email_address text,
    raw                jsonb NOT NULL,
    content_hash       bytea NOT NULL,
    first_seen_at      timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    last_seen_at       timestamptz NOT NULL,
    deleted_at         timestamptz
);
CREATE INDEX user_activity_days_day_idx ON user_activity_days (day);

CREATE TABLE user_daily_activity (
    user_activity_day_id text NOT NULL,
    user_id              text NOT NULL,
    day                  date NOT NULL,
    activity             text NOT NULL,
    call_id              text NOT NULL,
    PRIMARY KEY (user_activity_day_id, activity, call_id)
);
-- "Who listens to whose calls": one activity's rows with their calls, from the index.
CREATE INDEX user_daily_activity_activity_idx ON user_daily_activity (activity, call_id) INCLUDE (user_id, day);

CREATE TABLE user_interaction_stats (
    id            text PRIMARY KEY CHECK (id <> ''),
    user_id       text NOT NULL,
    period_start  date NOT NULL,
    period_end    date NOT NULL,
    name          text NOT NULL,
    value         double precision,
    raw           jsonb NOT NULL,
    content_hash  bytea NOT NULL,
    first_seen_at timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    deleted_at    timestamptz,
    CHECK (period_start < period_end)
);
CREATE INDEX user_interaction_stats_period_idx ON user_interaction_stats (period_start);
CREATE INDEX user_interaction_stats_name_idx ON user_interaction_stats (name, user_id) INCLUDE (period_start, value);

CREATE TABLE library_folders (
    id               text PRIMARY KEY CHECK (id <> ''),
    name             text,
    parent_folder_id text,
    workspace_id     text,
    created_by       text,
    updated          timestamptz,
    raw              jsonb NOT NULL,
    content_hash     bytea NOT NULL,
    first_seen_at    timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    last_seen_at     timestamptz NOT NULL,
    deleted_at       timestamptz
);

CREATE TABLE library_folder_calls (
    id                   text PRIMARY KEY CHECK (id <> ''),
    folder_id            text NOT NULL,
    call_id              text NOT NULL,
    title                text,
    note                 text,
    added_by             text,
    created              timestamptz,
    url                  text,
    snippet_from_seconds double precision,
    snippet_to_seconds   double precision,
    raw                  jsonb NOT NULL,
    content_hash         bytea NOT NULL,
    first_seen_at        timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    last_seen_at         timestamptz NOT NULL,
    deleted_at           timestamptz
);
CREATE INDEX library_folder_calls_folder_idx ON library_folder_calls (folder_id);
CREATE INDEX library_folder_calls_call_idx ON library_folder_calls (call_id);

CREATE TABLE call_outcomes (
    id             text PRIMARY KEY CHECK (id <> ''),
    outcome        text NOT NULL,
    category       text,
    connect_status text,
    sentiment      text,
    display_order  integer,
    raw            jsonb NOT NULL,
    content_hash   bytea NOT NULL,
    first_seen_at  timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL,
    deleted_at     timestamptz
);

-- lz4 for the raw documents, as for the other entity tables (00001).
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        FOREACH t IN ARRAY ARRAY['user_activity_days', 'user_interaction_stats', 'library_folders', 'library_folder_calls', 'call_outcomes'] LOOP
            EXECUTE format('ALTER TABLE %I ALTER COLUMN raw SET COMPRESSION lz4', t);
        END LOOP;
    END IF;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available: raw documents are compressed with pglz';
END
$$;
-- +goose StatementEnd

COMMENT ON TABLE user_activity_days IS 'What each user did on each day (POST /v2/stats/activity/day-by-day), one row per user and calendar day of the company on which Gong reports activity; the calls of each activity are rows of user_daily_activity. Gong revises recent days: gongsync re-reads them daily, and a day Gong stops reporting keeps its row with deleted_at set.';
COMMENT ON COLUMN user_activity_days.id IS 'gongsync bookkeeping: the row''s key, user_id|day (Gong gives a user''s day no id).';
COMMENT ON COLUMN user_activity_days.user_id IS 'The user. Joins users.id.';
COMMENT ON COLUMN user_activity_days.day IS 'The calendar day, in the company''s time zone in Gong (a date, not an instant).';
COMMENT ON COLUMN user_activity_days.user_email_address IS 'The email address of the user, as Gong sent it with the activity.';

COMMENT ON TABLE user_daily_activity IS 'The calls of each activity of a user''s day, one row per call id Gong lists for that activity (callsAsHost, callsAttended, ownCallsListenedTo, othersCallsListenedTo, callsGaveFeedback, callsReceivedFeedback, callsRequestedFeedback, callsSharedInternally, callsSharedExternally, callsCommentsGiven, callsCommentsReceived, callsMarkedAsFeedbackGiven, callsMarkedAsFeedbackReceived, callsScorecardsFilled, callsScorecardsReceived). Rewritten with its day whenever Gong revises it.';
COMMENT ON COLUMN user_daily_activity.user_activity_day_id IS 'The day this row belongs to. Joins user_activity_days.id.';
COMMENT ON COLUMN user_daily_activity.user_id IS 'The user who did it (the user of the day). Joins users.id.';
COMMENT ON COLUMN user_daily_activity.day IS 'The calendar day, in the company''s time zone in Gong (a date).';
COMMENT ON COLUMN user_daily_activity.activity IS 'Gong''s name of the activity: callsAsHost (hosted), callsAttended (took part, not as host), ownCallsListenedTo, othersCallsListenedTo, callsGaveFeedback, callsReceivedFeedback, callsRequestedFeedback, callsSharedInternally, callsSharedExternally, callsCommentsGiven, callsCommentsReceived, callsMarkedAsFeedbackGiven, callsMarkedAsFeedbackReceived, callsScorecardsFilled, callsScorecardsReceived.';
COMMENT ON COLUMN user_daily_activity.call_id IS 'The call the activity concerned; it may be older than the calls gongsync has synced. Joins calls.id.';

COMMENT ON TABLE user_interaction_stats IS 'Each user''s interaction stats (POST /v2/stats/interaction) per day: one row per user, day and statistic. Gong aggregates them over the period asked for and computes them only from calls with Whisper on; gongsync asks for one day at a time (a period of any length can then be summarised, weighting days by calls), and re-reads recent days daily because Gong revises them.';
COMMENT ON COLUMN user_interaction_stats.id IS 'gongsync bookkeeping: the row''s key, user_id|period_start|period_end|name (Gong gives a stat no id).';
COMMENT ON COLUMN user_interaction_stats.user_id IS 'The user. Joins users.id.';
COMMENT ON COLUMN user_interaction_stats.period_start IS 'First calendar day of the period (a date, in the company''s time zone in Gong).';
COMMENT ON COLUMN user_interaction_stats.period_end IS 'The day after the period''s last (exclusive: a one-day period ends the next day).';
COMMENT ON COLUMN user_interaction_stats.name IS 'The statistic, in Gong''s words: Talk Ratio (0–1), Longest Monologue (s), Longest Customer Story (s), Interactivity (0–10), Patience (s), Question Rate (questions per hour).';
COMMENT ON COLUMN user_interaction_stats.value IS 'The statistic''s value over the period, in the unit its name implies; null when Gong sent none.';

COMMENT ON TABLE library_folders IS 'The company''s public library folders (GET /v2/library/folders, per workspace), refreshed in full daily. A folder Gong stops listing keeps its row with deleted_at set. Empty when the company''s plan has no library (gongsync status then says the library is not available).';
COMMENT ON COLUMN library_folders.id IS 'Gong''s unique numeric identifier for the folder (up to 20 digits, kept as text).';
COMMENT ON COLUMN library_folders.name IS 'The folder''s display name.';
COMMENT ON COLUMN library_folders.parent_folder_id IS 'The folder it is in; null for a top folder. Joins library_folders.id.';
COMMENT ON COLUMN library_folders.workspace_id IS 'The workspace whose library lists the folder; null when listed without one (no workspace synced). Joins workspaces.id.';
COMMENT ON COLUMN library_folders.created_by IS 'The user who created the folder. Joins users.id.';
COMMENT ON COLUMN library_folders.updated IS 'When the folder was last updated in Gong (timestamptz).';

COMMENT ON TABLE library_folder_calls IS 'The calls in each library folder (GET /v2/library/folder-content): one row per call, or per snippet of a call, in a folder. Refreshed with the library; a call taken out of a folder keeps its row with deleted_at set.';
COMMENT ON COLUMN library_folder_calls.id IS 'gongsync bookkeeping: the row''s key, folder_id|call_id|snippet start|snippet end (Gong gives a folder''s entry no id of its own).';
COMMENT ON COLUMN library_folder_calls.folder_id IS 'The folder. Joins library_folders.id.';
COMMENT ON COLUMN library_folder_calls.call_id IS 'The call; it may be older than the calls gongsync has synced. Joins calls.id.';
COMMENT ON COLUMN library_folder_calls.title IS 'The call''s title as the folder shows it.';
COMMENT ON COLUMN library_folder_calls.note IS 'The note attached to the call in the folder, if any.';
COMMENT ON COLUMN library_folder_calls.added_by IS 'The user who added the call to the folder. Joins users.id.';
COMMENT ON COLUMN library_folder_calls.created IS 'When the call was added to the folder (timestamptz).';
COMMENT ON COLUMN library_folder_calls.url IS 'The call''s URL in Gong.';
COMMENT ON COLUMN library_folder_calls.snippet_from_seconds IS 'Start of the snippet the folder holds, in seconds from the call''s start; null for the whole call.';
COMMENT ON COLUMN library_folder_calls.snippet_to_seconds IS 'End of the snippet, in seconds from the call''s start; null for the whole call.';

COMMENT ON TABLE call_outcomes IS 'The company''s call outcome definitions (GET /v2/call-outcomes, an endpoint Gong answers but does not document), refreshed in full daily. Gong gives them no id: the name is the key, and it is what a call''s outcome names (calls.call_outcome ->> ''name''). An outcome Gong stops listing keeps its row with deleted_at set.';
COMMENT ON COLUMN call_outcomes.id IS 'gongsync bookkeeping: the row''s key, the outcome''s name (the same as outcome).';
COMMENT ON COLUMN call_outcomes.outcome IS 'The outcome''s name (Gong''s callOutcome), as calls.call_outcome ->> ''name'' holds it.';
COMMENT ON COLUMN call_outcomes.category IS 'The outcome''s category, as Gong sent it.';
COMMENT ON COLUMN call_outcomes.connect_status IS 'Whether the outcome means the call connected, as Gong sent it.';
COMMENT ON COLUMN call_outcomes.sentiment IS 'The outcome''s sentiment (positive, neutral, negative), as Gong sent it.';
COMMENT ON COLUMN call_outcomes.display_order IS 'The outcome''s position in Gong''s list of outcomes.';

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['user_activity_days', 'user_interaction_stats', 'library_folders', 'library_folder_calls', 'call_outcomes'] LOOP
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
COMMENT ON COLUMN user_interaction_stats.raw IS 'The statistic exactly as Gong sent it (JSON: name, value, and any field Gong adds).';
COMMENT ON COLUMN user_activity_days.raw IS 'The day exactly as Gong sent it (JSON: fromDate, toDate and the lists of call ids), including lists that have no row of their own.';

-- Views of what Gong still has. A row that names a call is left out when that call
-- is known to be deleted; calls never synced (older than the backfill) keep theirs.
CREATE VIEW live_user_activity_days AS SELECT d.* FROM user_activity_days d WHERE d.deleted_at IS NULL;
CREATE VIEW live_user_daily_activity AS SELECT a.* FROM user_daily_activity a
    WHERE EXISTS (SELECT FROM user_activity_days d WHERE d.id = a.user_activity_day_id AND d.deleted_at IS NULL)
      AND NOT EXISTS (SELECT FROM calls c WHERE c.id = a.call_id AND c.deleted_at IS NOT NULL);
CREATE VIEW live_user_interaction_stats AS SELECT s.* FROM user_interaction_stats s WHERE s.deleted_at IS NULL;
CREATE VIEW live_library_folders AS SELECT f.* FROM library_folders f WHERE f.deleted_at IS NULL;
CREATE VIEW live_library_folder_calls AS SELECT fc.* FROM library_folder_calls fc
    WHERE fc.deleted_at IS NULL
      AND EXISTS (SELECT FROM library_folders f WHERE f.id = fc.folder_id AND f.deleted_at IS NULL)
      AND NOT EXISTS (SELECT FROM calls c WHERE c.id = fc.call_id AND c.deleted_at IS NOT NULL);
CREATE VIEW live_call_outcomes AS SELECT o.* FROM call_outcomes o WHERE o.deleted_at IS NULL;

COMMENT ON VIEW live_user_activity_days IS 'user_activity_days Gong still reports: each user''s days of activity.';
COMMENT ON VIEW live_user_daily_activity IS 'user_daily_activity of the days Gong still reports, without the calls known to be deleted: who hosted, attended, listened to, commented on or reviewed which call on which day.';
COMMENT ON VIEW live_user_interaction_stats IS 'user_interaction_stats Gong still reports: each user''s Talk Ratio, Longest Monologue, Interactivity, Patience, Question Rate, … per day.';
COMMENT ON VIEW live_library_folders IS 'library_folders Gong still lists.';
COMMENT ON VIEW live_library_folder_calls IS 'library_folder_calls still in folders Gong still lists, without the calls known to be deleted.';
COMMENT ON VIEW live_call_outcomes IS 'call_outcomes Gong still lists.';

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
          AND vc.relname IN ('live_user_activity_days', 'live_user_daily_activity', 'live_user_interaction_stats',
                             'live_library_folders', 'live_library_folder_calls', 'live_call_outcomes')
    LOOP
        EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', v.view::regclass, v.attname,
            (SELECT col_description(v.tab, b.attnum) FROM pg_attribute b WHERE b.attrelid = v.tab AND b.attname = v.attname));
    END LOOP;
END
$$;
-- +goose StatementEnd

-- "Not available": a stream whose data the company's account does not offer.
ALTER TABLE stream_refusals ADD COLUMN reason text NOT NULL DEFAULT 'scope'
    CHECK (reason IN ('scope', 'not_available'));
COMMENT ON COLUMN stream_refusals.reason IS 'gongsync bookkeeping: why: scope (the credentials lack scope) or not_available (the company''s account does not offer the stream''s data, e.g. a plan without the library; scope is then empty).';
COMMENT ON TABLE stream_refusals IS 'gongsync bookkeeping: streams whose endpoint Gong refused for want of an OAuth scope (a 401 naming the scope) or answered as not available to the company, and when gongsync asks again. A successful run of the stream removes its row.';
ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_status_check;
ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_status_check
    CHECK (status IN ('running', 'succeeded', 'failed', 'paused', 'skipped', 'interrupted', 'unavailable'));
COMMENT ON COLUMN sync_runs.status IS 'gongsync bookkeeping: running, succeeded, failed, paused (at the daily budget), skipped, interrupted, or unavailable (Gong answered that the company''s account does not offer the stream''s data).';
COMMENT ON COLUMN sync_state.high_water_mark IS 'gongsync bookkeeping: every call that started before this time has been read completely (timestamptz); for the dated streams (user_activity, user_interaction_stats), every day before this one.';

-- +goose Down

COMMENT ON COLUMN sync_state.high_water_mark IS 'gongsync bookkeeping: every call that started before this time has been read completely (timestamptz).';
COMMENT ON COLUMN sync_runs.status IS 'gongsync bookkeeping: running, succeeded, failed, paused (at the daily budget), skipped or interrupted.';
UPDATE sync_runs SET status = 'skipped' WHERE status = 'unavailable';
ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_status_check;
ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_status_check
    CHECK (status IN ('running', 'succeeded', 'failed', 'paused', 'skipped', 'interrupted'));
DELETE FROM stream_refusals WHERE reason <> 'scope';
ALTER TABLE stream_refusals DROP COLUMN reason;
COMMENT ON TABLE stream_refusals IS 'gongsync bookkeeping: streams whose endpoint Gong refused for want of an OAuth scope (a 401 naming the scope), and when gongsync asks again. A successful run of the stream removes its row.';

DROP VIEW live_call_outcomes;
DROP VIEW live_library_folder_calls;
DROP VIEW live_library_folders;
DROP VIEW live_user_interaction_stats;
DROP VIEW live_user_daily_activity;
DROP VIEW live_user_activity_days;
DROP TABLE call_outcomes;
DROP TABLE library_folder_calls;
DROP TABLE library_folders;
DROP TABLE user_interaction_stats;
DROP TABLE user_daily_activity;
DROP TABLE user_activity_days;
