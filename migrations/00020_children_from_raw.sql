-- Rows for what gongsync kept only as JSON documents (issue 26): a call's outline,
-- highlights, key points and agenda; a user's email aliases, spoken languages and
-- personal meeting URLs; a tracker's languages and keywords. All are derived from the
-- raw documents already stored, by a new mapping version: calls, users and trackers
-- stored before this migration are derived again by `gongsync remap` (also run at the
-- start of run, sync and backfill) without a single request to Gong. The JSON columns
-- stay: they keep what Gong adds inside the blocks.
--
-- The call_* tables are child tables of calls like the others (rewritten as a set
-- whenever a call is new or changed, removed with the call by an erasure through
-- call_id). The user_* and tracker_* tables are child tables of users and trackers,
-- rewritten with their record; they go with it when an erasure deletes it.

-- +goose Up

ALTER TABLE users ADD COLUMN mapping_version integer NOT NULL DEFAULT 1;
ALTER TABLE trackers ADD COLUMN mapping_version integer NOT NULL DEFAULT 1;

CREATE TABLE call_outline_sections (
    call_id       text NOT NULL,
    section_index integer NOT NULL,
    section       text,
    start_time    double precision,
    duration      double precision,
    PRIMARY KEY (call_id, section_index)
);

CREATE TABLE call_outline_items (
    call_id       text NOT NULL,
    section_index integer NOT NULL,
    item_index    integer NOT NULL,
    text          text,
    start_time    double precision,
    PRIMARY KEY (call_id, section_index, item_index)
);

CREATE TABLE call_highlights (
    call_id         text NOT NULL,
    highlight_index integer NOT NULL,
    title           text,
    PRIMARY KEY (call_id, highlight_index)
);

CREATE TABLE call_highlight_items (
    call_id         text NOT NULL,
    highlight_index integer NOT NULL,
    item_index      integer NOT NULL,
    text            text,
    start_times     double precision[],
    PRIMARY KEY (call_id, highlight_index, item_index)
);

CREATE TABLE call_key_points (
    call_id     text NOT NULL,
    point_index integer NOT NULL,
    text        text,
    PRIMARY KEY (call_id, point_index)
);

CREATE TABLE call_structure (
    call_id         text NOT NULL,
    structure_index integer NOT NULL,
    name            text,
    duration        bigint,
    PRIMARY KEY (call_id, structure_index)
);

CREATE TABLE user_email_aliases (
    user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email_alias text NOT NULL,
    PRIMARY KEY (user_id, email_alias)
);

CREATE TABLE user_spoken_languages (
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    language   text NOT NULL,
    is_primary boolean,
    PRIMARY KEY (user_id, language)
);

CREATE TABLE user_meeting_urls (
    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url     text NOT NULL,
    PRIMARY KEY (user_id, url)
);

CREATE TABLE tracker_languages (
    tracker_id            text NOT NULL REFERENCES trackers (id) ON DELETE CASCADE,
    language              text NOT NULL,
    include_related_forms boolean,
    PRIMARY KEY (tracker_id, language)
);

CREATE TABLE tracker_keywords (
    tracker_id text NOT NULL REFERENCES trackers (id) ON DELETE CASCADE,
    language   text NOT NULL,
    keyword    text NOT NULL,
    PRIMARY KEY (tracker_id, language, keyword)
);

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['call_outline_sections', 'call_outline_items', 'call_highlights',
            'call_highlight_items', 'call_key_points', 'call_structure'] LOOP
        EXECUTE format('CREATE VIEW %I AS SELECT x.* FROM %I x
            WHERE EXISTS (SELECT FROM calls c WHERE c.id = x.call_id AND c.deleted_at IS NULL)', 'live_' || t, t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['user_email_aliases', 'user_spoken_languages', 'user_meeting_urls'] LOOP
        EXECUTE format('CREATE VIEW %I AS SELECT x.* FROM %I x
            WHERE EXISTS (SELECT FROM users u WHERE u.id = x.user_id AND u.deleted_at IS NULL)', 'live_' || t, t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['tracker_languages', 'tracker_keywords'] LOOP
        EXECUTE format('CREATE VIEW %I AS SELECT x.* FROM %I x
            WHERE EXISTS (SELECT FROM trackers r WHERE r.id = x.tracker_id AND r.deleted_at IS NULL)', 'live_' || t, t);
    END LOOP;
END
$$;
-- +goose StatementEnd

COMMENT ON COLUMN users.mapping_version IS 'gongsync bookkeeping: the version of gongsync''s mapping that derived the columns and child rows from raw; older rows are derived again from raw without asking Gong.';
COMMENT ON COLUMN trackers.mapping_version IS 'gongsync bookkeeping: the version of gongsync''s mapping that derived the columns and child rows from raw; older rows are derived again from raw without asking Gong.';

COMMENT ON TABLE call_outline_sections IS 'The sections of a call''s AI outline (content.outline), one row per section in Gong''s order; their lines are in call_outline_items. Derived from calls.raw.';
COMMENT ON COLUMN call_outline_sections.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN call_outline_sections.section_index IS 'Position of the section in the outline, from 0.';
COMMENT ON COLUMN call_outline_sections.section IS 'The name of the section.';
COMMENT ON COLUMN call_outline_sections.start_time IS 'When the section starts, in seconds from the start of the call.';
COMMENT ON COLUMN call_outline_sections.duration IS 'How long the section lasts, in seconds.';

COMMENT ON TABLE call_outline_items IS 'The lines of each section of a call''s AI outline (content.outline[].items). Derived from calls.raw.';
COMMENT ON COLUMN call_outline_items.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN call_outline_items.section_index IS 'The section the line belongs to. Joins call_outline_sections (call_id, section_index).';
COMMENT ON COLUMN call_outline_items.item_index IS 'Position of the line in its section, from 0.';
COMMENT ON COLUMN call_outline_items.text IS 'The text of the line.';
COMMENT ON COLUMN call_outline_items.start_time IS 'When the line''s subject starts, in seconds from the start of the call.';

COMMENT ON TABLE call_highlights IS 'The titled groups of a call''s AI highlights (content.highlights), one row per group in Gong''s order; the highlights themselves are in call_highlight_items. Derived from calls.raw.';
COMMENT ON COLUMN call_highlights.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN call_highlights.highlight_index IS 'Position of the group among the call''s highlights, from 0.';
COMMENT ON COLUMN call_highlights.title IS 'The title of the group (Next steps, Pain points, …).';

COMMENT ON TABLE call_highlight_items IS 'Each highlight of a call (content.highlights[].items). Derived from calls.raw.';
COMMENT ON COLUMN call_highlight_items.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN call_highlight_items.highlight_index IS 'The group the highlight belongs to. Joins call_highlights (call_id, highlight_index).';
COMMENT ON COLUMN call_highlight_items.item_index IS 'Position of the highlight in its group, from 0.';
COMMENT ON COLUMN call_highlight_items.text IS 'The text of the highlight.';
COMMENT ON COLUMN call_highlight_items.start_times IS 'When it was said, in seconds from the start of the call (Gong''s startTimes, in Gong''s order).';

COMMENT ON TABLE call_key_points IS 'The AI key points of a call (content.keyPoints), in Gong''s order. Derived from calls.raw.';
COMMENT ON COLUMN call_key_points.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN call_key_points.point_index IS 'Position of the key point, from 0.';
COMMENT ON COLUMN call_key_points.text IS 'The text of the key point.';

COMMENT ON TABLE call_structure IS 'The agenda of a call (content.structure): its parts and how long each lasted, in Gong''s order. Derived from calls.raw.';
COMMENT ON COLUMN call_structure.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN call_structure.structure_index IS 'Position of the part in the agenda, from 0.';
COMMENT ON COLUMN call_structure.name IS 'The name of the part of the agenda (Meeting Setup, Demo, …).';
COMMENT ON COLUMN call_structure.duration IS 'How long the part lasted, in seconds.';

COMMENT ON TABLE user_email_aliases IS 'Other email addresses of a Gong user (emailAliases), one row each. Derived from users.raw.';
COMMENT ON COLUMN user_email_aliases.user_id IS 'The user. Joins users.id.';
COMMENT ON COLUMN user_email_aliases.email_alias IS 'An email address alias of the user.';

COMMENT ON TABLE user_spoken_languages IS 'The languages a Gong user speaks in calls (spokenLanguages), one row each. Derived from users.raw.';
COMMENT ON COLUMN user_spoken_languages.user_id IS 'The user. Joins users.id.';
COMMENT ON COLUMN user_spoken_languages.language IS 'The language, as a BCP-47 tag (es-ES).';
COMMENT ON COLUMN user_spoken_languages.is_primary IS 'Whether it is the user''s primary language (one per user): Gong assumes it when it cannot tell a call''s language.';

COMMENT ON TABLE user_meeting_urls IS 'The personal meeting URLs of a Gong user (personalMeetingUrls), one row each. Derived from users.raw.';
COMMENT ON COLUMN user_meeting_urls.user_id IS 'The user. Joins users.id.';
COMMENT ON COLUMN user_meeting_urls.url IS 'A personal meeting URL of the user (https://zoom.us/j/…).';

COMMENT ON TABLE tracker_languages IS 'The languages a tracker definition has keywords in (languageKeywords), one row each; the keywords are in tracker_keywords. Derived from trackers.raw.';
COMMENT ON COLUMN tracker_languages.tracker_id IS 'The tracker. Joins trackers.id.';
COMMENT ON COLUMN tracker_languages.language IS 'The language of the keywords, as an ISO 639-2/B code; mul for keywords of every language.';
COMMENT ON COLUMN tracker_languages.include_related_forms IS 'Whether the tracker also finds other forms of the keywords (organized, organizes for organize).';

COMMENT ON TABLE tracker_keywords IS 'The words and phrases a tracker definition looks for, one row per keyword and language (languageKeywords[].keywords). Derived from trackers.raw.';
COMMENT ON COLUMN tracker_keywords.tracker_id IS 'The tracker. Joins trackers.id.';
COMMENT ON COLUMN tracker_keywords.language IS 'The language of the keyword. Joins tracker_languages (tracker_id, language).';
COMMENT ON COLUMN tracker_keywords.keyword IS 'A word or phrase the tracker looks for.';

COMMENT ON VIEW live_call_outline_sections IS 'call_outline_sections of live calls: the sections of their outlines.';
COMMENT ON VIEW live_call_outline_items IS 'call_outline_items of live calls: the lines of their outlines.';
COMMENT ON VIEW live_call_highlights IS 'call_highlights of live calls: the groups of their highlights.';
COMMENT ON VIEW live_call_highlight_items IS 'call_highlight_items of live calls: their highlights.';
COMMENT ON VIEW live_call_key_points IS 'call_key_points of live calls: their key points.';
COMMENT ON VIEW live_call_structure IS 'call_structure of live calls: their agendas.';
COMMENT ON VIEW live_user_email_aliases IS 'user_email_aliases of the users Gong still has.';
COMMENT ON VIEW live_user_spoken_languages IS 'user_spoken_languages of the users Gong still has.';
COMMENT ON VIEW live_user_meeting_urls IS 'user_meeting_urls of the users Gong still has.';
COMMENT ON VIEW live_tracker_languages IS 'tracker_languages of the tracker definitions Gong still has.';
COMMENT ON VIEW live_tracker_keywords IS 'tracker_keywords of the tracker definitions Gong still has.';

-- The views' columns say what their tables' columns say.
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
          AND vc.relname IN ('live_call_outline_sections', 'live_call_outline_items', 'live_call_highlights',
                             'live_call_highlight_items', 'live_call_key_points', 'live_call_structure',
                             'live_user_email_aliases', 'live_user_spoken_languages', 'live_user_meeting_urls',
                             'live_tracker_languages', 'live_tracker_keywords')
    LOOP
        EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', v.view::regclass, v.attname,
            (SELECT col_description(v.tab, b.attnum) FROM pg_attribute b WHERE b.attrelid = v.tab AND b.attname = v.attname));
    END LOOP;
END
$$;
-- +goose StatementEnd

-- live_users and live_trackers are SELECT u.* views: recreated, they show the new
-- column like the table (a view keeps the columns it was created with).
CREATE OR REPLACE VIEW live_users AS SELECT u.* FROM users u WHERE u.deleted_at IS NULL;
CREATE OR REPLACE VIEW live_trackers AS SELECT t.* FROM trackers t WHERE t.deleted_at IS NULL;
COMMENT ON COLUMN live_users.mapping_version IS 'gongsync bookkeeping: the version of gongsync''s mapping that derived the columns and child rows from raw; older rows are derived again from raw without asking Gong.';
COMMENT ON COLUMN live_trackers.mapping_version IS 'gongsync bookkeeping: the version of gongsync''s mapping that derived the columns and child rows from raw; older rows are derived again from raw without asking Gong.';

-- +goose Down

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['call_outline_sections', 'call_outline_items', 'call_highlights',
            'call_highlight_items', 'call_key_points', 'call_structure', 'user_email_aliases',
            'user_spoken_languages', 'user_meeting_urls', 'tracker_languages', 'tracker_keywords'] LOOP
        EXECUTE format('DROP VIEW %I', 'live_' || t);
        EXECUTE format('DROP TABLE %I', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP VIEW live_users;
DROP VIEW live_trackers;
ALTER TABLE users DROP COLUMN mapping_version;
ALTER TABLE trackers DROP COLUMN mapping_version;
CREATE VIEW live_users AS SELECT u.* FROM users u WHERE u.deleted_at IS NULL;
CREATE VIEW live_trackers AS SELECT t.* FROM trackers t WHERE t.deleted_at IS NULL;
COMMENT ON VIEW live_users IS 'The users Gong still has: users without deleted_at.';
COMMENT ON VIEW live_trackers IS 'The tracker definitions Gong still has: trackers without deleted_at.';
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
          AND vc.relname IN ('live_users', 'live_trackers')
    LOOP
        EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', v.view::regclass, v.attname,
            (SELECT col_description(v.tab, b.attnum) FROM pg_attribute b WHERE b.attrelid = v.tab AND b.attname = v.attname));
    END LOOP;
END
$$;
-- +goose StatementEnd
