-- The analyst's side of the schema: a comment on every table, view and column (what
-- it is in Gong's words, its unit, where its ids join, which columns are gongsync's
-- own bookkeeping), views of the live data, CRM fields as rows, and indexes for the
-- questions of docs/queries.sql.
--
-- Rules for every later migration (the tests enforce them; docs/ARCHITECTURE.md,
-- "Adding a table", has the checklist):
--   - every table, view and column it adds carries a COMMENT, written in the same
--     migration: `psql \d+` and docs/SCHEMA.md (generated from these comments by
--     `make schema-doc`) are where analysts read the schema;
--   - a column that holds another record's id says "Joins <table>.<column>." in its
--     comment: that sentence draws the line in the diagram of docs/SCHEMA.md;
--   - a table with deleted_at, and a table of rows that belong to a call (call_id),
--     gets a live_<table> view with the table's columns, in its order, leaving out
--     deleted rows and the rows of deleted calls; a column added to such a table is
--     added to its view too (CREATE OR REPLACE VIEW … SELECT t.* appends it).
--
-- Naming: the views are live_<table>, in the same schema as the tables. The schema is
-- the installation's (GONGSYNC_SCHEMA, on search_path; migrations name none), so a
-- second schema for views would break the one-schema-per-installation design. A
-- prefix keeps each view beside its table in `\d`, completes as `live_<TAB>`, and
-- says what differs from the table: only what Gong still has.

-- +goose Up

-- CRM fields as rows. call_crm_objects keeps each object's fields as Gong's JSON array
-- of {name, value}. A view expanding that array with jsonb_array_elements took 2.0 s
-- to find each opportunity's latest stage over 100,000 calls, where this table takes
-- about a quarter of that (measured while designing it; docs/BENCHMARKS.md has the
-- current figure of every example query). The store writes it beside
-- call_crm_objects, as one more child table of calls, derived from the same fields.
CREATE TABLE call_crm_fields (
    call_id      text NOT NULL,
    system       text NOT NULL,
    object_type  text NOT NULL,
    object_id    text NOT NULL,
    timing       text NOT NULL,
    name         text NOT NULL,
    value_text   text,
    value_number double precision,
    value_time   timestamptz,
    PRIMARY KEY (call_id, system, object_type, object_id, timing, name)
);
-- "The latest stage of every opportunity": one field's rows of one object type, with
-- the object and call they belong to, read from the index alone (the table's rows
-- of one call lie together, so a field's rows are spread over every page of it).
CREATE INDEX call_crm_fields_field_idx ON call_crm_fields (object_type, name, timing)
    INCLUDE (object_id, call_id, value_text);

-- The live calls. The live_ views of the child tables check each row's call through
-- the first without reading the (wide) calls table; questions over a period read the
-- second, which holds what most of them group and filter by.
CREATE INDEX calls_live_id_idx ON calls (id) WHERE deleted_at IS NULL;
CREATE INDEX calls_live_started_idx ON calls (started) INCLUDE (id, primary_user_id, scope, duration_seconds)
    WHERE deleted_at IS NULL;

-- Views of the live data: deleted rows and the rows of deleted calls left out. Each
-- has its table's columns in its table's order (deleted_at is then always null), so
-- live_x can replace x in any query.
CREATE VIEW live_users AS SELECT u.* FROM users u WHERE u.deleted_at IS NULL;
CREATE VIEW live_workspaces AS SELECT w.* FROM workspaces w WHERE w.deleted_at IS NULL;
CREATE VIEW live_trackers AS SELECT t.* FROM trackers t WHERE t.deleted_at IS NULL;
CREATE VIEW live_calls AS SELECT c.* FROM calls c WHERE c.deleted_at IS NULL;

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['call_parties', 'call_trackers', 'call_tracker_occurrences', 'call_topics',
            'call_speakers', 'call_interaction_stats', 'call_video_stats', 'call_crm_objects', 'call_crm_fields',
            'call_comments', 'transcript_sentences'] LOOP
        EXECUTE format('CREATE VIEW %I AS SELECT x.* FROM %I x
            WHERE EXISTS (SELECT FROM calls c WHERE c.id = x.call_id AND c.deleted_at IS NULL)', 'live_' || t, t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- Tables.

COMMENT ON TABLE users IS 'The company''s Gong users (GET /v2/users), one row per user, refreshed in full on every users sync. A user Gong stops returning keeps its row with deleted_at set.';
COMMENT ON TABLE workspaces IS 'Gong workspaces (GET /v2/workspaces): the separate areas a company''s calls, trackers and settings live in.';
COMMENT ON TABLE trackers IS 'Tracker definitions (GET /v2/settings/trackers, Gong''s keywordTrackers): the words and phrases Gong looks for in calls. Their hits are in call_trackers and call_tracker_occurrences.';
COMMENT ON TABLE calls IS 'Gong calls (POST /v2/calls/extensive), one row per call: metaData, content and interaction as columns, the whole record in raw. Child tables (call_*, transcript_sentences) join on call_id. A call Gong stops returning keeps its row with deleted_at set; live_calls leaves those out.';
COMMENT ON TABLE call_parties IS 'The participants of a call (Gong''s parties): company users and people outside the company. Rewritten with the call whenever the call changes.';
COMMENT ON TABLE call_trackers IS 'Each tracker''s hits in a call (content.trackers): how many times its words came up. One row per tracker per call; the hits one by one are in call_tracker_occurrences.';
COMMENT ON TABLE call_tracker_occurrences IS 'Each hit of a tracker in a call, one row per hit (content.trackers[].occurrences and phrases[].occurrences): when, who, and for keyword trackers which phrase. Gong has these only for calls since 2023-01-01.';
COMMENT ON TABLE call_topics IS 'Time spent on each topic of a call (content.topics), as Gong''s AI detects them (Pricing, Product Demo, …).';
COMMENT ON TABLE call_speakers IS 'Talk time of each participant who spoke in a call (interaction.speakers).';
COMMENT ON TABLE call_interaction_stats IS 'Interaction statistics of the call''s host, the primary user (interaction.interactionStats): Talk Ratio, Longest Monologue, Longest Customer Story, Interactivity, Patience. One row per statistic per call; see the value column for units.';
COMMENT ON TABLE call_video_stats IS 'What the video of a call showed and for how long (interaction.video): Browser, Presentation, WebcamPrimaryUser, WebcamNonCompany, Webcam.';
COMMENT ON TABLE call_crm_objects IS 'CRM objects linked to a call (Gong''s call context, Extended): opportunities, accounts, … one row per object and timing, with their fields as Gong''s JSON. The same fields one per row are in call_crm_fields.';
COMMENT ON TABLE call_crm_fields IS 'The fields of the CRM objects linked to a call, one row per call, object, timing and field, derived by gongsync from call_crm_objects.fields: the value as text, and as a number and a time where it reads as one.';
COMMENT ON TABLE call_comments IS 'Public comments on a call (collaboration.publicComments), written in Gong during or after the call.';
COMMENT ON TABLE transcript_sentences IS 'Call transcripts (POST /v2/calls/transcript), one row per sentence, in the order spoken. A call''s transcript arrives later than the call (calls.transcript_status); full-text search: to_tsvector(''english'', text) @@ websearch_to_tsquery(''english'', ''…'').';
COMMENT ON TABLE sync_state IS 'gongsync bookkeeping: where each sync stream stands (its checkpoint), saved with the page it follows so a restarted gongsync resumes there.';
COMMENT ON TABLE sync_runs IS 'gongsync bookkeeping: one row per run of a stream (scheduled, sync, backfill, settle, webhook, …): when, how it ended, the requests it spent and what it found.';
COMMENT ON TABLE api_usage IS 'gongsync bookkeeping: the daily request ledger shared by every gongsync process on this database. Every request to Gong is counted here before it is sent, against the company''s daily limit (10,000 by default).';
COMMENT ON TABLE oauth_tokens IS 'gongsync bookkeeping: OAuth connections to Gong (gongsync auth login), one row per connection; tokens sealed with AES-256-GCM under GONGSYNC_ENCRYPTION_KEY.';
COMMENT ON TABLE goose_db_version IS 'gongsync bookkeeping: the migrations applied to this schema (goose''s version table).';

-- Columns every entity table shares: the record as Gong sent it, and bookkeeping.
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'workspaces', 'trackers', 'calls'] LOOP
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

COMMENT ON COLUMN users.id IS 'Gong''s unique numeric identifier for the user (up to 20 digits, kept as text).';
COMMENT ON COLUMN users.email_address IS 'The email address of the Gong user.';
COMMENT ON COLUMN users.first_name IS 'The first name of the Gong user.';
COMMENT ON COLUMN users.last_name IS 'The last name of the Gong user.';
COMMENT ON COLUMN users.title IS 'The job title of the Gong user.';
COMMENT ON COLUMN users.phone_number IS 'The phone number of the Gong user.';
COMMENT ON COLUMN users.extension IS 'The extension number of the Gong user.';
COMMENT ON COLUMN users.active IS 'True if the user is active in Gong, false if not.';
COMMENT ON COLUMN users.manager_id IS 'The user''s manager. Joins users.id.';
COMMENT ON COLUMN users.created IS 'When the user was created in Gong (timestamptz).';
COMMENT ON COLUMN users.email_aliases IS 'Other email addresses of the Gong user.';
COMMENT ON COLUMN users.trusted_email_address IS 'The trusted authentication email assigned to the Gong user.';
COMMENT ON COLUMN users.spoken_languages IS 'The languages the user speaks, as Gong sent them (JSON array of {language, primary}).';
COMMENT ON COLUMN users.settings IS 'The user''s settings in Gong, as Gong sent them (JSON: webConferencesRecorded, telephonyCallsImported, emailsImported, …).';

COMMENT ON COLUMN workspaces.id IS 'Gong''s unique numeric identifier for the workspace (up to 20 digits, kept as text).';
COMMENT ON COLUMN workspaces.name IS 'The name of the workspace.';
COMMENT ON COLUMN workspaces.description IS 'The description of the workspace.';

COMMENT ON COLUMN trackers.id IS 'The unique identifier of the tracker (Gong''s trackerId).';
COMMENT ON COLUMN trackers.name IS 'The name of the tracker (Gong''s trackerName), e.g. Competitors.';
COMMENT ON COLUMN trackers.workspace_id IS 'The workspace the tracker is in. Joins workspaces.id.';
COMMENT ON COLUMN trackers.affiliation IS 'Whose words the tracker counts: Anyone, Company or NonCompany.';
COMMENT ON COLUMN trackers.part_of_question IS 'True when the tracker only counts its words when they are part of a question.';
COMMENT ON COLUMN trackers.filter_query IS 'The filter (JSON text, from Gong''s search page) of the calls the tracker looks in.';
COMMENT ON COLUMN trackers.language_keywords IS 'The words and phrases of the tracker per language, as Gong sent them (JSON array of {language, keywords, includeRelatedForms}).';
COMMENT ON COLUMN trackers.created IS 'When the tracker was created in Gong (timestamptz).';
COMMENT ON COLUMN trackers.updated IS 'When the tracker''s settings were last updated in Gong (timestamptz).';

COMMENT ON COLUMN calls.id IS 'Gong''s unique numeric identifier for the call (up to 20 digits, kept as text). The child tables join it on call_id.';
COMMENT ON COLUMN calls.url IS 'The URL of the call''s page in the Gong web application.';
COMMENT ON COLUMN calls.title IS 'The title of the call.';
COMMENT ON COLUMN calls.scheduled IS 'When the call was scheduled to begin (timestamptz).';
COMMENT ON COLUMN calls.started IS 'When the call was recorded, i.e. started (timestamptz). Gong''s date filters, and gongsync''s windows, apply to this time.';
COMMENT ON COLUMN calls.duration_seconds IS 'The duration of the call, in seconds.';
COMMENT ON COLUMN calls.primary_user_id IS 'The team member who hosted the call (Gong''s primaryUserId): the rep. Joins users.id.';
COMMENT ON COLUMN calls.direction IS 'Call direction: Inbound, Outbound, Conference or Unknown.';
COMMENT ON COLUMN calls.system IS 'The system the call was carried out with (e.g. Zoom, WebEx, a dialer).';
COMMENT ON COLUMN calls.scope IS 'External if some participants are not from the company, Internal if all are, Unknown if Gong cannot tell.';
COMMENT ON COLUMN calls.media IS 'Media type: Video or Audio.';
COMMENT ON COLUMN calls.language IS 'The language spoken, as an ISO-639-2B code (eng, fre, spa, ger, ita; und: unsupported, zxx: not enough speech).';
COMMENT ON COLUMN calls.workspace_id IS 'The call''s workspace. Joins workspaces.id.';
COMMENT ON COLUMN calls.sdr_disposition IS 'The SDR disposition of the call, set by the dialer or by the rep.';
COMMENT ON COLUMN calls.client_unique_id IS 'The call''s identifier in the system it was recorded in (typically a telephony system).';
COMMENT ON COLUMN calls.custom_data IS 'Metadata given to Gong when the call was created through Gong''s API.';
COMMENT ON COLUMN calls.purpose IS 'The purpose of the call.';
COMMENT ON COLUMN calls.meeting_url IS 'The URL of the web conference the call was recorded on.';
COMMENT ON COLUMN calls.is_private IS 'True if the call is private in Gong.';
COMMENT ON COLUMN calls.calendar_event_id IS 'The id of the meeting in Google or Outlook Calendar.';
COMMENT ON COLUMN calls.brief IS 'The call''s brief (Gong Spotlight), when Gong made one.';
COMMENT ON COLUMN calls.call_outcome IS 'The outcome of the call set by Gong''s AI, as Gong sent it (JSON {id, category, name}).';
COMMENT ON COLUMN calls.key_points IS 'The key points of the call, as Gong sent them (JSON array of {text}).';
COMMENT ON COLUMN calls.highlights IS 'The call''s highlights, as Gong sent them (JSON array of sections {title, items[{text, startTimes}]}; startTimes in seconds from the start of the call).';
COMMENT ON COLUMN calls.outline IS 'The call''s outline, as Gong sent it (JSON array of {section, startTime, duration, items}; times and durations in seconds from the start of the call).';
COMMENT ON COLUMN calls.structure IS 'The call''s agenda, as Gong sent it (JSON array of {name, duration}; duration in seconds).';
COMMENT ON COLUMN calls.question_company_count IS 'The number of questions asked by company speakers (interaction.questions.companyCount).';
COMMENT ON COLUMN calls.question_non_company_count IS 'The number of questions asked by non-company speakers (interaction.questions.nonCompanyCount).';
COMMENT ON COLUMN calls.transcript_status IS 'gongsync bookkeeping: pending until the transcript is fetched, then available (its sentences are in transcript_sentences), or unavailable when Gong has none after the retries.';
COMMENT ON COLUMN calls.transcript_attempts IS 'gongsync bookkeeping: how many times the transcript was asked for and Gong had none yet.';
COMMENT ON COLUMN calls.transcript_next_attempt_at IS 'gongsync bookkeeping: not before this time is the transcript asked for again (timestamptz).';
COMMENT ON COLUMN calls.transcript_fetched_at IS 'gongsync bookkeeping: when the transcript was stored (timestamptz).';
COMMENT ON COLUMN calls.mapping_version IS 'gongsync bookkeeping: the version of gongsync''s mapping that derived the columns and child rows from raw; older rows are derived again from raw without asking Gong.';

COMMENT ON COLUMN call_parties.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN call_parties.party_id IS 'Unique id of the participant in the call (Gong''s party id, meaningful within the call only).';
COMMENT ON COLUMN call_parties.user_id IS 'The participant''s Gong user, when the participant is a user. Joins users.id.';
COMMENT ON COLUMN call_parties.speaker_id IS 'The participant''s id in the transcript, when the participant spoke; transcript_sentences.speaker_id and call_tracker_occurrences.speaker_id refer to it within the same call.';
COMMENT ON COLUMN call_parties.email_address IS 'Email address of the participant.';
COMMENT ON COLUMN call_parties.name IS 'The name of the participant.';
COMMENT ON COLUMN call_parties.title IS 'The job title of the participant.';
COMMENT ON COLUMN call_parties.affiliation IS 'Internal (from the company), External, or Unknown.';
COMMENT ON COLUMN call_parties.phone_number IS 'The phone number of the participant.';
COMMENT ON COLUMN call_parties.methods IS 'Whether the participant was invited to the meeting (Invitee) or only attended the call (Attendee).';
COMMENT ON COLUMN call_parties.context IS 'The participant''s CRM records (contact, lead, …), as Gong sent them (JSON array of {system, objects[{objectType, objectId, fields, timing}]}).';

COMMENT ON COLUMN call_trackers.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN call_trackers.tracker_id IS 'The tracker. Joins trackers.id.';
COMMENT ON COLUMN call_trackers.name IS 'The name of the tracker (e.g. Competitors), as on the call.';
COMMENT ON COLUMN call_trackers.type IS 'The type of the tracker: Keyword or Smart.';
COMMENT ON COLUMN call_trackers.count IS 'The number of times the tracker''s words came up in the call.';
COMMENT ON COLUMN call_trackers.occurrences IS 'When the tracker''s words came up, as Gong sent it (JSON array of {startTime, speakerId}; startTime in seconds from the start of the call). One row per hit: call_tracker_occurrences.';
COMMENT ON COLUMN call_trackers.phrases IS 'Each phrase of a keyword tracker and when it came up, as Gong sent it (JSON array of {phrase, count, occurrences}). One row per hit: call_tracker_occurrences.';

COMMENT ON COLUMN call_tracker_occurrences.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN call_tracker_occurrences.tracker_id IS 'The tracker. Joins trackers.id (and, with call_id, call_trackers.tracker_id).';
COMMENT ON COLUMN call_tracker_occurrences.occurrence_index IS 'Numbers the tracker''s hits in the call from 0, in the order they came up.';
COMMENT ON COLUMN call_tracker_occurrences.start_seconds IS 'When the tracker''s words were said, in seconds from the start of the call.';
COMMENT ON COLUMN call_tracker_occurrences.speaker_id IS 'Who said them: with call_id, joins call_parties.speaker_id.';
COMMENT ON COLUMN call_tracker_occurrences.phrase IS 'The tracker phrase that was said (e.g. a competitor''s name), for keyword trackers set to list each phrase; null otherwise.';

COMMENT ON COLUMN call_topics.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN call_topics.name IS 'The name of the topic (e.g. Pricing).';
COMMENT ON COLUMN call_topics.duration_seconds IS 'The total time spent on the topic within the call, in seconds.';

COMMENT ON COLUMN call_speakers.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN call_speakers.party_id IS 'The participant: with call_id, joins call_parties.party_id.';
COMMENT ON COLUMN call_speakers.user_id IS 'The participant''s Gong user, when a user. Joins users.id.';
COMMENT ON COLUMN call_speakers.talk_time_seconds IS 'How long the participant talked, in seconds. Their share of the call''s talk: talk_time_seconds / sum(talk_time_seconds) over the call.';

COMMENT ON COLUMN call_interaction_stats.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN call_interaction_stats.name IS 'The statistic, in Gong''s words: Talk Ratio, Longest Monologue, Longest Customer Story, Interactivity, Patience.';
COMMENT ON COLUMN call_interaction_stats.value IS 'The statistic''s value for the host of the call. Units by name (Gong''s document gives none; these are the scales Gong shows): Talk Ratio a 0–1 fraction of the talk time (not a percentage); Longest Monologue and Longest Customer Story in seconds; Interactivity a score from 0 to 10; Patience in seconds (the pause before answering).';

COMMENT ON COLUMN call_video_stats.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN call_video_stats.name IS 'Video segment type: Browser (a web browser), Presentation (such as PowerPoint), WebcamPrimaryUser (the host''s webcam), WebcamNonCompany (webcams of non-company speakers), Webcam (any webcam).';
COMMENT ON COLUMN call_video_stats.duration_seconds IS 'Total duration of the video segments of this type, in seconds.';

COMMENT ON COLUMN call_crm_objects.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN call_crm_objects.system IS 'The CRM (Gong''s external system name), e.g. Salesforce.';
COMMENT ON COLUMN call_crm_objects.object_type IS 'The CRM object type, e.g. Opportunity or Account.';
COMMENT ON COLUMN call_crm_objects.object_id IS 'The object''s id in the CRM (for Salesforce, its 15- or 18-character id).';
COMMENT ON COLUMN call_crm_objects.timing IS 'Which moment the fields describe: Now (the CRM''s values when gongsync last fetched the call) or TimeOfCall (as they were when the call happened); empty when Gong sent none.';
COMMENT ON COLUMN call_crm_objects.fields IS 'The object''s fields, as Gong sent them (JSON array of {name, value}). One row per field: call_crm_fields.';

COMMENT ON COLUMN call_crm_fields.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN call_crm_fields.system IS 'The CRM, e.g. Salesforce.';
COMMENT ON COLUMN call_crm_fields.object_type IS 'The CRM object type, e.g. Opportunity or Account.';
COMMENT ON COLUMN call_crm_fields.object_id IS 'The object''s id in the CRM: with call_id, system, object_type and timing, joins call_crm_objects.object_id. The same object appears on every call linked to it.';
COMMENT ON COLUMN call_crm_fields.timing IS 'Now (the CRM''s values when gongsync last fetched the call) or TimeOfCall (as they were when the call happened); empty when Gong sent none. The freshest Now values of an object are those of its most recently fetched call.';
COMMENT ON COLUMN call_crm_fields.name IS 'The field''s name in the CRM, e.g. StageName, Amount, CloseDate (Salesforce API names; custom fields end in __c).';
COMMENT ON COLUMN call_crm_fields.value_text IS 'The value as text: a string as is, a number, true or false as written in Gong''s JSON, an object or array as JSON text; null when the value is null.';
COMMENT ON COLUMN call_crm_fields.value_number IS 'The value as a number, when it is a JSON number or a string that reads as one (e.g. Amount, Probability); null otherwise.';
COMMENT ON COLUMN call_crm_fields.value_time IS 'The value as a time (timestamptz), when it reads as an RFC 3339 time or a date (e.g. CloseDate); a date without a time is midnight UTC; null otherwise.';

COMMENT ON COLUMN call_comments.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN call_comments.comment_id IS 'Unique identifier of the comment in Gong.';
COMMENT ON COLUMN call_comments.commenter_user_id IS 'Who wrote the comment. Joins users.id.';
COMMENT ON COLUMN call_comments.comment IS 'The comment itself; people tagged in it appear as @[user name](user id).';
COMMENT ON COLUMN call_comments.posted IS 'When the comment was posted (timestamptz).';
COMMENT ON COLUMN call_comments.audio_start_seconds IS 'The moment of the call the comment refers to, in seconds from the start of the call.';
COMMENT ON COLUMN call_comments.audio_end_seconds IS 'Where the part of the call the comment refers to ends, in seconds from the start of the call.';
COMMENT ON COLUMN call_comments.in_reply_to IS 'The comment this one replies to: with call_id, joins call_comments.comment_id.';
COMMENT ON COLUMN call_comments.during_call IS 'True if the comment was written during the call, false if posted after it.';

COMMENT ON COLUMN transcript_sentences.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN transcript_sentences.sentence_index IS 'The sentence''s position in the whole call, from 0.';
COMMENT ON COLUMN transcript_sentences.monologue_index IS 'The monologue (an uninterrupted turn of one speaker) the sentence belongs to, from 0.';
COMMENT ON COLUMN transcript_sentences.speaker_id IS 'Who said it: with call_id, joins call_parties.speaker_id.';
COMMENT ON COLUMN transcript_sentences.topic IS 'The topic of the monologue, when Gong named one.';
COMMENT ON COLUMN transcript_sentences.start_ms IS 'When the sentence starts, in milliseconds from the start of the call.';
COMMENT ON COLUMN transcript_sentences.end_ms IS 'When the sentence ends, in milliseconds from the start of the call.';
COMMENT ON COLUMN transcript_sentences.text IS 'The sentence as transcribed by Gong.';

COMMENT ON COLUMN sync_state.stream IS 'gongsync bookkeeping: the stream (users, workspaces, trackers, calls, settle, backfill, transcripts, …).';
COMMENT ON COLUMN sync_state.high_water_mark IS 'gongsync bookkeeping: every call that started before this time has been read completely (timestamptz).';
COMMENT ON COLUMN sync_state.window_from IS 'gongsync bookkeeping: start of the window of call start times being read (timestamptz); null when none is open.';
COMMENT ON COLUMN sync_state.window_to IS 'gongsync bookkeeping: end (exclusive) of the window being read (timestamptz).';
COMMENT ON COLUMN sync_state.window_started_at IS 'gongsync bookkeeping: when reading the window began, on the database''s clock (timestamptz); calls of the window not seen since are deleted when it closes.';
COMMENT ON COLUMN sync_state.cursor IS 'gongsync bookkeeping: Gong''s cursor for the next page of the window.';
COMMENT ON COLUMN sync_state.last_started IS 'gongsync bookkeeping: start time of the last call committed in the window (timestamptz).';
COMMENT ON COLUMN sync_state.completed_at IS 'gongsync bookkeeping: when the stream last completed a window or a full refresh (timestamptz).';
COMMENT ON COLUMN sync_state.state IS 'gongsync bookkeeping: what else the stream needs to resume (JSON, its own per stream).';
COMMENT ON COLUMN sync_state.updated_at IS 'gongsync bookkeeping: when the checkpoint was last saved (timestamptz).';

COMMENT ON COLUMN sync_runs.id IS 'gongsync bookkeeping: the run''s number, increasing.';
COMMENT ON COLUMN sync_runs.stream IS 'gongsync bookkeeping: the stream the run synced.';
COMMENT ON COLUMN sync_runs.kind IS 'gongsync bookkeeping: what started it: scheduled, sync, backfill, settle, webhook, …';
COMMENT ON COLUMN sync_runs.started_at IS 'gongsync bookkeeping: when the run started (timestamptz).';
COMMENT ON COLUMN sync_runs.finished_at IS 'gongsync bookkeeping: when it ended (timestamptz); null while running.';
COMMENT ON COLUMN sync_runs.status IS 'gongsync bookkeeping: running, succeeded, failed, paused (at the daily budget), skipped or interrupted.';
COMMENT ON COLUMN sync_runs.requests IS 'gongsync bookkeeping: requests to Gong the run spent.';
COMMENT ON COLUMN sync_runs.records IS 'gongsync bookkeeping: records it read.';
COMMENT ON COLUMN sync_runs.late_calls IS 'gongsync bookkeeping: new calls that started before the previous high-water mark (Gong processed them late).';
COMMENT ON COLUMN sync_runs.changed_calls IS 'gongsync bookkeeping: calls whose content had changed since last read.';
COMMENT ON COLUMN sync_runs.deleted_calls IS 'gongsync bookkeeping: calls found gone from Gong.';
COMMENT ON COLUMN sync_runs.restored_calls IS 'gongsync bookkeeping: calls found again after being marked deleted.';
COMMENT ON COLUMN sync_runs.error IS 'gongsync bookkeeping: why the run failed, when it did (secrets removed).';
COMMENT ON COLUMN sync_runs.details IS 'gongsync bookkeeping: more about the run (JSON, its own per stream).';

COMMENT ON COLUMN api_usage.day IS 'gongsync bookkeeping: the budget day, a calendar date in GONGSYNC_BUDGET_TZ (UTC by default).';
COMMENT ON COLUMN api_usage.requests IS 'gongsync bookkeeping: requests to Gong counted that day, by every gongsync process on this database.';
COMMENT ON COLUMN api_usage.backfill_requests IS 'gongsync bookkeeping: of those, the requests backfills spent (capped by GONG_BACKFILL_SHARE).';
COMMENT ON COLUMN api_usage.updated_at IS 'gongsync bookkeeping: when the day''s row last counted a request (timestamptz).';

COMMENT ON COLUMN oauth_tokens.id IS 'gongsync bookkeeping: the connection''s name.';
COMMENT ON COLUMN oauth_tokens.encrypted IS 'gongsync bookkeeping: true when the tokens are sealed; false only with --insecure-plaintext-tokens.';
COMMENT ON COLUMN oauth_tokens.access_token IS 'gongsync bookkeeping: the access token, sealed (bytes, not text).';
COMMENT ON COLUMN oauth_tokens.refresh_token IS 'gongsync bookkeeping: the refresh token, sealed; Gong''s refresh tokens are single-use.';
COMMENT ON COLUMN oauth_tokens.token_type IS 'gongsync bookkeeping: the token type Gong gave (Bearer).';
COMMENT ON COLUMN oauth_tokens.scopes IS 'gongsync bookkeeping: the scopes Gong granted (api:calls:read:extensive, …).';
COMMENT ON COLUMN oauth_tokens.api_base_url_for_customer IS 'gongsync bookkeeping: the company''s own API host, where requests with this token go.';
COMMENT ON COLUMN oauth_tokens.expires_at IS 'gongsync bookkeeping: when the access token expires (timestamptz).';
COMMENT ON COLUMN oauth_tokens.obtained_at IS 'gongsync bookkeeping: when the current tokens were obtained (timestamptz).';
COMMENT ON COLUMN oauth_tokens.login_required IS 'gongsync bookkeeping: why Gong refused the refresh token, when it did; every run fails fast until gongsync auth login.';
COMMENT ON COLUMN oauth_tokens.login_required_at IS 'gongsync bookkeeping: since when a login is required (timestamptz).';
COMMENT ON COLUMN oauth_tokens.generation IS 'gongsync bookkeeping: counts the writes of the token pair.';
COMMENT ON COLUMN oauth_tokens.created_at IS 'gongsync bookkeeping: when the connection was made (timestamptz).';
COMMENT ON COLUMN oauth_tokens.updated_at IS 'gongsync bookkeeping: when the row last changed (timestamptz).';

COMMENT ON COLUMN goose_db_version.id IS 'gongsync bookkeeping: goose''s row number.';
COMMENT ON COLUMN goose_db_version.version_id IS 'gongsync bookkeeping: the migration''s number (the file''s prefix in migrations/).';
COMMENT ON COLUMN goose_db_version.is_applied IS 'gongsync bookkeeping: true when the row records applying the migration, false when undoing it.';
COMMENT ON COLUMN goose_db_version.tstamp IS 'gongsync bookkeeping: when (timestamp without time zone, the session''s local time: goose''s choice, the one column that is not timestamptz).';

-- Views. Their columns say what their table's columns say.

COMMENT ON VIEW live_users IS 'The users Gong still has: users without deleted_at.';
COMMENT ON VIEW live_workspaces IS 'The workspaces Gong still has: workspaces without deleted_at.';
COMMENT ON VIEW live_trackers IS 'The tracker definitions Gong still has: trackers without deleted_at.';
COMMENT ON VIEW live_calls IS 'The calls Gong still has: calls without deleted_at. Start here.';
COMMENT ON VIEW live_call_parties IS 'call_parties of live calls: the participants of calls Gong still has.';
COMMENT ON VIEW live_call_trackers IS 'call_trackers of live calls: tracker hits per call.';
COMMENT ON VIEW live_call_tracker_occurrences IS 'call_tracker_occurrences of live calls: each tracker hit, when and by whom.';
COMMENT ON VIEW live_call_topics IS 'call_topics of live calls: time spent per topic.';
COMMENT ON VIEW live_call_speakers IS 'call_speakers of live calls: talk time per participant.';
COMMENT ON VIEW live_call_interaction_stats IS 'call_interaction_stats of live calls: the host''s Talk Ratio (0–1), Longest Monologue (s), Longest Customer Story (s), Interactivity (0–10), Patience (s).';
COMMENT ON VIEW live_call_video_stats IS 'call_video_stats of live calls: what the video showed and for how long.';
COMMENT ON VIEW live_call_crm_objects IS 'call_crm_objects of live calls: the CRM objects linked to calls Gong still has.';
COMMENT ON VIEW live_call_crm_fields IS 'call_crm_fields of live calls: CRM fields one per row, with their values as text, number and time.';
COMMENT ON VIEW live_call_comments IS 'call_comments of live calls: public comments.';
COMMENT ON VIEW live_transcript_sentences IS 'transcript_sentences of live calls: transcripts, one sentence per row.';

-- +goose StatementBegin
DO $$
DECLARE
    v record;
BEGIN
    FOR v IN
        SELECT vc.oid AS view, tc.oid AS tab, a.attnum AS vcol, a.attname
        FROM pg_class vc
        JOIN pg_class tc ON tc.relname = substr(vc.relname, 6) AND tc.relnamespace = vc.relnamespace AND tc.relkind = 'r'
        JOIN pg_attribute a ON a.attrelid = vc.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE vc.relkind = 'v' AND vc.relname LIKE 'live\_%' AND vc.relnamespace = current_schema()::regnamespace
    LOOP
        EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', v.view::regclass, v.attname,
            (SELECT col_description(v.tab, b.attnum) FROM pg_attribute b WHERE b.attrelid = v.tab AND b.attname = v.attname));
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down

-- The comments on the tables of earlier migrations stay: they describe those tables
-- as well without this migration, and later migrations may have added their own.
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['call_parties', 'call_trackers', 'call_tracker_occurrences', 'call_topics',
            'call_speakers', 'call_interaction_stats', 'call_video_stats', 'call_crm_objects', 'call_crm_fields',
            'call_comments', 'transcript_sentences', 'users', 'workspaces', 'trackers', 'calls'] LOOP
        EXECUTE format('DROP VIEW %I', 'live_' || t);
    END LOOP;
END
$$;
-- +goose StatementEnd

DROP INDEX calls_live_started_idx;
DROP INDEX calls_live_id_idx;
DROP TABLE call_crm_fields;
