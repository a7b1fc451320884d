-- Views named and shaped as Fivetran's Gong connector names its tables, over
-- gongsync's own tables, for dbt models written against Fivetran's schema.
-- docs/COMPATIBILITY.md maps every Fivetran table and column; internal/compat checks
-- this file against Fivetran's list.
--
-- Run by store.CreateFivetranViews with search_path set to gongsync's schema (so the
-- names below resolve to gongsync's tables) and __compat__ replaced by the views'
-- schema. Every view has _fivetran_synced (the last time Gong returned the record:
-- last_seen_at) and _fivetran_deleted (gongsync found it gone: deleted_at is set);
-- rows of a record come and go with it, so they take both from it. Deleted records
-- stay, flagged, as Fivetran keeps them. A column gongsync cannot fill is there, null,
-- so that queries naming it still run.

CREATE VIEW __compat__.workspace AS
SELECT w.id, w.description, w.name,
       w.last_seen_at AS _fivetran_synced, w.deleted_at IS NOT NULL AS _fivetran_deleted
FROM workspaces w;

CREATE VIEW __compat__.users AS
SELECT u.id, u.manager_id, u.active, u.created, u.email_address,
       CASE u.settings ->> 'emailsImported' WHEN 'true' THEN true WHEN 'false' THEN false END AS emails_imported,
       u.extension, u.first_name,
       CASE u.settings ->> 'gongConnectEnabled' WHEN 'true' THEN true WHEN 'false' THEN false END AS gong_connect_enabled,
       u.last_name,
       u.raw ->> 'meetingConsentPageUrl' AS meeting_consent_page_url,
       CASE u.settings ->> 'nonRecordedMeetingsImported' WHEN 'true' THEN true WHEN 'false' THEN false END AS non_recorded_meetings_imported,
       u.phone_number,
       CASE u.settings ->> 'preventEmailImport' WHEN 'true' THEN true WHEN 'false' THEN false END AS prevent_email_import,
       CASE u.settings ->> 'preventWebConferenceRecording' WHEN 'true' THEN true WHEN 'false' THEN false END AS prevent_web_conference_recording,
       CASE u.settings ->> 'telephonyCallsImported' WHEN 'true' THEN true WHEN 'false' THEN false END AS telephony_calls_imported,
       u.title,
       CASE u.settings ->> 'webConferencesRecorded' WHEN 'true' THEN true WHEN 'false' THEN false END AS web_conferences_recorded,
       u.last_seen_at AS _fivetran_synced, u.deleted_at IS NOT NULL AS _fivetran_deleted
FROM users u;

CREATE VIEW __compat__.call AS
SELECT c.id, c.workspace_id, c.primary_user_id, c.calendar_event_id, c.client_unique_id,
       c.question_company_count AS company_question_count, c.custom_data, c.direction,
       c.duration_seconds::integer AS duration, c.is_private, c.language AS languages, c.media,
       -- Media URLs expire within hours; gongsync does not ask for them.
       NULL::text AS media_audio_url, NULL::text AS media_video_url,
       c.meeting_url, c.question_non_company_count AS non_company_question_count, c.purpose,
       c.scheduled, c.scope, c.sdr_disposition, c.started, c.system AS systems, c.title, c.url,
       c.call_outcome ->> 'name' AS call_outcome_name, c.call_outcome ->> 'category' AS call_outcome_category,
       c.call_outcome ->> 'id' AS call_outcome_id, c.brief,
       c.last_seen_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM calls c;

CREATE VIEW __compat__.call_participant AS
SELECT p.party_id AS id, p.call_id, p.user_id, p.affiliation, p.email_address,
       to_jsonb(p.methods) AS methods, p.name, p.phone_number, p.speaker_id, p.title,
       c.last_seen_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM call_parties p JOIN calls c ON c.id = p.call_id;

-- One row per field of each CRM record of a participant (Gong's parties[].context).
CREATE VIEW __compat__.call_participant_integration AS
SELECT f ->> 'name' AS name, o ->> 'objectId' AS object_id, p.call_id, p.party_id AS call_participant_id,
       o ->> 'objectType' AS object_type, ctx ->> 'system' AS systems, o ->> 'timing' AS timing,
       f ->> 'value' AS value,
       c.last_seen_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM call_parties p
JOIN calls c ON c.id = p.call_id
CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof(p.context) WHEN 'array' THEN p.context ELSE '[]' END) ctx
CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof(ctx -> 'objects') WHEN 'array' THEN ctx -> 'objects' ELSE '[]' END) o
CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof(o -> 'fields') WHEN 'array' THEN o -> 'fields' ELSE '[]' END) f;

-- One row per field of each CRM record linked to a call, at each timing, the value
-- as Gong sent it (JSON).
CREATE VIEW __compat__.call_context_integration AS
SELECT f ->> 'name' AS name, o.object_id, o.call_id, o.object_type, o.system AS systems, o.timing,
       f -> 'value' AS value,
       c.last_seen_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM call_crm_objects o
JOIN calls c ON c.id = o.call_id
CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof(o.fields) WHEN 'array' THEN o.fields ELSE '[]' END) f;

CREATE VIEW __compat__.call_interaction AS
SELECT s.name, s.call_id, s.value,
       c.last_seen_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM call_interaction_stats s JOIN calls c ON c.id = s.call_id;

CREATE VIEW __compat__.call_speaker AS
SELECT s.party_id AS id, s.call_id, s.user_id, s.talk_time_seconds AS talk_time,
       c.last_seen_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM call_speakers s JOIN calls c ON c.id = s.call_id;

CREATE VIEW __compat__.call_topic AS
SELECT md5(t.call_id || '|' || t.name) AS _fivetran_id, t.call_id, t.duration_seconds AS duration, t.name,
       c.last_seen_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM call_topics t JOIN calls c ON c.id = t.call_id;

-- One row per hit of a tracker in a call (a tracker that came up with no hit listed
-- has one row, without a time); count is the tracker's hits in the call, on each row.
CREATE VIEW __compat__.call_tracker AS
SELECT md5(t.call_id || '|' || t.tracker_id || '|' || coalesce(o.occurrence_index::text, '')) AS _fivetran_id,
       t.call_id, t.tracker_id AS id, t.name, o.phrase, o.speaker_id, o.start_seconds AS start_time, t.type,
       t.count,
       c.last_seen_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM call_trackers t
JOIN calls c ON c.id = t.call_id
LEFT JOIN call_tracker_occurrences o ON o.call_id = t.call_id AND o.tracker_id = t.tracker_id;

CREATE VIEW __compat__.call_video AS
SELECT md5(v.call_id || '|' || v.name) AS _fivetran_id, v.call_id, v.duration_seconds AS duration, v.name,
       c.last_seen_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM call_video_stats v JOIN calls c ON c.id = v.call_id;

CREATE VIEW __compat__.call_public_comment AS
SELECT m.comment_id AS id, m.call_id, m.commenter_user_id, m.in_reply_to,
       m.audio_end_seconds AS audio_end_time, m.audio_start_seconds AS audio_start_time,
       m.comment, m.during_call, m.posted,
       c.last_seen_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM call_comments m JOIN calls c ON c.id = m.call_id;

-- Gong's action items (content.pointsOfInterest) are not asked for: Gong replaced
-- them with key points and highlights (call_key_point, call_highlight_item).
CREATE VIEW __compat__.call_content_action_item AS
SELECT NULL::text AS _fivetran_id, NULL::text AS call_id, NULL::text AS snippet,
       NULL::double precision AS snippet_end_time, NULL::double precision AS snippet_start_time,
       NULL::text AS speaker_id, NULL::timestamptz AS _fivetran_synced, NULL::boolean AS _fivetran_deleted
WHERE false;

-- One monologue per row, its sentences as a JSON array of {start, end, text}
-- (milliseconds from the start of the call), in the order spoken.
CREATE VIEW __compat__.transcript AS
SELECT s.call_id, s.monologue_index AS index, c.workspace_id,
       jsonb_agg(jsonb_build_object('start', s.start_ms, 'end', s.end_ms, 'text', s.text) ORDER BY s.sentence_index) AS sentence,
       min(s.speaker_id) AS speaker_id, min(s.topic) AS topic,
       c.transcript_fetched_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM transcript_sentences s JOIN calls c ON c.id = s.call_id
GROUP BY s.call_id, s.monologue_index, c.workspace_id, c.transcript_fetched_at, c.deleted_at;

CREATE VIEW __compat__.library_folder AS
SELECT f.id, f.created_by, f.parent_folder_id, f.workspace_id, f.name, f.updated,
       f.last_seen_at AS _fivetran_synced, f.deleted_at IS NOT NULL AS _fivetran_deleted
FROM library_folders f;

CREATE VIEW __compat__.call_in_folder AS
SELECT l.call_id, l.folder_id AS library_folder_id, l.added_by, l.created, l.note,
       l.snippet_from_seconds::integer AS snippet_from_second, l.snippet_to_seconds::integer AS snippet_to_second,
       l.last_seen_at AS _fivetran_synced, l.deleted_at IS NOT NULL AS _fivetran_deleted
FROM library_folder_calls l;

CREATE VIEW __compat__.scorecard AS
SELECT s.id, s.updater_user_id, s.workspace_id, s.created, s.enabled, s.name, s.updated,
       s.last_seen_at AS _fivetran_synced, s.deleted_at IS NOT NULL AS _fivetran_deleted
FROM scorecards s;

CREATE VIEW __compat__.scorecard_question AS
SELECT q.question_id, q.scorecard_id, q.updater_user_id, q.created, q.is_overall,
       q.question_revision_id, q.question_text, q.updated,
       s.last_seen_at AS _fivetran_synced, s.deleted_at IS NOT NULL AS _fivetran_deleted
FROM scorecard_questions q JOIN scorecards s ON s.id = q.scorecard_id;

CREATE VIEW __compat__.answered_scorecard AS
SELECT a.id, a.call_id, a.scorecard_id, a.reviewed_user_id, a.reviewer_user_id,
       a.call_started AS call_start_time, a.review_time, a.visibility AS visibility_type,
       a.last_seen_at AS _fivetran_synced, a.deleted_at IS NOT NULL AS _fivetran_deleted
FROM answered_scorecards a;

CREATE VIEW __compat__.answered_scorecard_answer AS
SELECT x.answered_scorecard_id, x.question_id, x.answer_text, x.is_overall, x.not_applicable,
       x.question_revision_id, x.score,
       a.last_seen_at AS _fivetran_synced, a.deleted_at IS NOT NULL AS _fivetran_deleted
FROM answered_scorecard_answers x JOIN answered_scorecards a ON a.id = x.answered_scorecard_id;

CREATE VIEW __compat__.tracker AS
SELECT t.id AS tracker_id, t.raw ->> 'creatorUserId' AS creator_user_id, t.raw ->> 'updaterUserId' AS updater_user_id,
       t.workspace_id, t.affiliation, t.created, t.filter_query, t.part_of_question,
       t.raw ->> 'saidAt' AS said_at,
       CASE WHEN t.raw ->> 'saidAtInterval' ~ '^-?[0-9]{1,18}$' THEN (t.raw ->> 'saidAtInterval')::bigint END AS said_at_interval,
       t.name AS tracker_name, t.updated,
       t.last_seen_at AS _fivetran_synced, t.deleted_at IS NOT NULL AS _fivetran_deleted
FROM trackers t;

CREATE VIEW __compat__.tracker_said_in_topic AS
SELECT k.keyword, t.id AS tracker_id,
       t.last_seen_at AS _fivetran_synced, t.deleted_at IS NOT NULL AS _fivetran_deleted
FROM trackers t
CROSS JOIN LATERAL jsonb_array_elements_text(CASE jsonb_typeof(t.raw -> 'saidInTopics') WHEN 'array' THEN t.raw -> 'saidInTopics' ELSE '[]' END) k(keyword);

CREATE VIEW __compat__.tracker_said_in_call_parts AS
SELECT k.keyword, t.id AS tracker_id,
       t.last_seen_at AS _fivetran_synced, t.deleted_at IS NOT NULL AS _fivetran_deleted
FROM trackers t
CROSS JOIN LATERAL jsonb_array_elements_text(CASE jsonb_typeof(t.raw -> 'saidInCallParts') WHEN 'array' THEN t.raw -> 'saidInCallParts' ELSE '[]' END) k(keyword);
