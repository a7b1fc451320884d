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

-- The tables of issue 26 (migrations 00018 to 00021): the permission profiles, the CRM
-- schema and manual associations, the flows, the rows derived from raw, the history.
-- 00020: rows derived from users.raw.
CREATE VIEW __compat__.user_email_alias AS
SELECT a.email_alias AS email, a.user_id,
       u.last_seen_at AS _fivetran_synced, u.deleted_at IS NOT NULL AS _fivetran_deleted
FROM user_email_aliases a JOIN users u ON u.id = a.user_id;

CREATE VIEW __compat__.user_spoken_language AS
SELECT l.language AS languages, l.user_id, l.is_primary,
       u.last_seen_at AS _fivetran_synced, u.deleted_at IS NOT NULL AS _fivetran_deleted
FROM user_spoken_languages l JOIN users u ON u.id = l.user_id;

CREATE VIEW __compat__.user_meeting_url AS
SELECT m.url, m.user_id,
       u.last_seen_at AS _fivetran_synced, u.deleted_at IS NOT NULL AS _fivetran_deleted
FROM user_meeting_urls m JOIN users u ON u.id = m.user_id;

-- 00020: rows derived from trackers.raw (languageKeywords).
CREATE VIEW __compat__.tracker_language AS
SELECT l.language AS tracker_language, l.tracker_id, l.include_related_forms,
       t.last_seen_at AS _fivetran_synced, t.deleted_at IS NOT NULL AS _fivetran_deleted
FROM tracker_languages l JOIN trackers t ON t.id = l.tracker_id;

-- Fivetran keys a keyword by its language only; tracker_id is added so that a keyword
-- joins its tracker.
CREATE VIEW __compat__.language_keywords AS
SELECT k.keyword, k.language AS tracker_language, k.tracker_id,
       t.last_seen_at AS _fivetran_synced, t.deleted_at IS NOT NULL AS _fivetran_deleted
FROM tracker_keywords k JOIN trackers t ON t.id = k.tracker_id;

-- 00020: rows derived from calls.raw (content). Fivetran's reference lists no columns
-- for the call_outline, call_highlight and call_key_point tables yet: the names
-- below follow Gong's JSON, index being the position.
CREATE VIEW __compat__.call_outline AS
SELECT o.call_id, o.section_index AS index, o.section, o.start_time, o.duration,
       c.last_seen_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM call_outline_sections o JOIN calls c ON c.id = o.call_id;

CREATE VIEW __compat__.call_outline_item AS
SELECT i.call_id, i.section_index AS outline_index, i.item_index AS index, i.text, i.start_time,
       c.last_seen_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM call_outline_items i JOIN calls c ON c.id = i.call_id;

CREATE VIEW __compat__.call_highlight AS
SELECT h.call_id, h.highlight_index AS index, h.title,
       c.last_seen_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM call_highlights h JOIN calls c ON c.id = h.call_id;

CREATE VIEW __compat__.call_highlight_item AS
SELECT i.call_id, i.highlight_index, i.item_index AS index, i.text, i.start_times,
       c.last_seen_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM call_highlight_items i JOIN calls c ON c.id = i.call_id;

CREATE VIEW __compat__.call_key_point AS
SELECT k.call_id, k.point_index AS index, k.text,
       c.last_seen_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM call_key_points k JOIN calls c ON c.id = k.call_id;

CREATE VIEW __compat__.call_structure AS
SELECT md5(s.call_id || '|' || s.structure_index) AS _fivetran_id, s.call_id, s.duration, s.name,
       c.last_seen_at AS _fivetran_synced, c.deleted_at IS NOT NULL AS _fivetran_deleted
FROM call_structure s JOIN calls c ON c.id = s.call_id;

-- 00018: permission profiles. Read from raw (Gong's PermissionProfileDTO), which the
-- contract fixes, rather than from columns whose names it leaves open.
CREATE VIEW __compat__.permission_profile AS
SELECT p.id, p.workspace_id,
       (p.raw ->> 'account')::boolean AS account, (p.raw ->> 'activity')::boolean AS activity,
       p.raw #>> '{callsAccess,permissionLevel}' AS calls_access_permission_level,
       (p.raw ->> 'callsAndSearch')::boolean AS calls_and_search, (p.raw ->> 'coaching')::boolean AS coaching,
       (p.raw ->> 'createEditAndDeleteDealsBoards')::boolean AS create_edit_and_delete_deals_boards,
       (p.raw ->> 'crmDataImport')::boolean AS crm_data_import, (p.raw ->> 'crmDataInlineEditing')::boolean AS crm_data_inline_editing,
       p.raw #>> '{dealsAccess,permissionLevel}' AS deal_access_permission_level,
       (p.raw ->> 'deals')::boolean AS deals, (p.raw ->> 'dealsInlineEditing')::boolean AS deals_inline_editing,
       (p.raw ->> 'deleteCalls')::boolean AS delete_calls, (p.raw ->> 'deleteEmails')::boolean AS delete_emails,
       p.description, (p.raw ->> 'downloadCallMedia')::boolean AS download_call_media,
       p.raw #>> '{emailsAccess,permissionLevel}' AS emails_access_permission_level,
       (p.raw ->> 'engageManageCompanySequences')::boolean AS engage_manage_company_sequences,
       (p.raw ->> 'engageManageCompanyTemplates')::boolean AS engage_manage_company_templates,
       (p.raw ->> 'exportCallsAndCoachingDataToCSV')::boolean AS export_calls_and_coaching_data_to_csv,
       (p.raw ->> 'forecast')::boolean AS forecast,
       p.raw #>> '{forecastPermissions,forecastAccess,permissionLevel}' AS forecast_access_permission_level,
       p.raw #>> '{forecastPermissions,forecastEditSubmissions,permissionLevel}' AS forecast_edit_submissions_access_permission_level,
       p.raw #>> '{forecastPermissions,forecastEditTargets,permissionLevel}' AS forecast_edit_targets_access_permission_level,
       (p.raw ->> 'forecastManage')::boolean AS forecast_manage, (p.raw ->> 'initiatives')::boolean AS initiatives,
       p.raw #>> '{insightsAccess,permissionLevel}' AS insights_access_permission_level,
       (p.raw ->> 'library')::boolean AS library,
       p.raw #>> '{libraryFolderAccess,permissionLevel}' AS library_folder_access_permission_level,
       (p.raw ->> 'manageGeneralBusinessSettings')::boolean AS manage_general_business_settings,
       (p.raw ->> 'manageScorecards')::boolean AS manage_scorecards,
       (p.raw ->> 'manuallyScheduleAndUploadCalls')::boolean AS manually_schedule_and_upload_calls,
       (p.raw ->> 'market')::boolean AS market, p.name, (p.raw ->> 'privateCalls')::boolean AS private_calls,
       (p.raw ->> 'scoreCalls')::boolean AS score_calls, (p.raw ->> 'shareCallsWithCustomers')::boolean AS share_calls_with_customers,
       (p.raw ->> 'teamStats')::boolean AS team_stats, (p.raw ->> 'trimCalls')::boolean AS trim_calls,
       p.last_seen_at AS _fivetran_synced, p.deleted_at IS NOT NULL AS _fivetran_deleted
FROM permission_profiles p;

-- The users whose calls, deals, ... a profile opens (Gong's teamLeadIds of each access
-- block), one view per block as Fivetran has them.
CREATE VIEW __compat__.permission_call_access AS
SELECT p.id AS permission_profile_id, u.user_id, p.last_seen_at AS _fivetran_synced, p.deleted_at IS NOT NULL AS _fivetran_deleted
FROM permission_profiles p CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(p.raw #> '{callsAccess,teamLeadIds}', '[]')) u(user_id);

CREATE VIEW __compat__.permission_coaching_access AS
SELECT p.id AS permission_profile_id, u.user_id, p.last_seen_at AS _fivetran_synced, p.deleted_at IS NOT NULL AS _fivetran_deleted
FROM permission_profiles p CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(p.raw #> '{coachingAccess,teamLeadIds}', '[]')) u(user_id);

CREATE VIEW __compat__.permission_deal_access AS
SELECT p.id AS permission_profile_id, u.user_id, p.last_seen_at AS _fivetran_synced, p.deleted_at IS NOT NULL AS _fivetran_deleted
FROM permission_profiles p CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(p.raw #> '{dealsAccess,teamLeadIds}', '[]')) u(user_id);

CREATE VIEW __compat__.permission_email_access AS
SELECT p.id AS permission_profile_id, u.user_id, p.last_seen_at AS _fivetran_synced, p.deleted_at IS NOT NULL AS _fivetran_deleted
FROM permission_profiles p CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(p.raw #> '{emailsAccess,teamLeadIds}', '[]')) u(user_id);

CREATE VIEW __compat__.permission_forecast_access AS
SELECT p.id AS permission_profile_id, u.user_id, p.last_seen_at AS _fivetran_synced, p.deleted_at IS NOT NULL AS _fivetran_deleted
FROM permission_profiles p CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(p.raw #> '{forecastPermissions,forecastAccess,teamLeadIds}', '[]')) u(user_id);

CREATE VIEW __compat__.permission_forecast_edit_submission_access AS
SELECT p.id AS permission_profile_id, u.user_id, p.last_seen_at AS _fivetran_synced, p.deleted_at IS NOT NULL AS _fivetran_deleted
FROM permission_profiles p CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(p.raw #> '{forecastPermissions,forecastEditSubmissions,teamLeadIds}', '[]')) u(user_id);

CREATE VIEW __compat__.permission_forecast_edit_target_access AS
SELECT p.id AS permission_profile_id, u.user_id, p.last_seen_at AS _fivetran_synced, p.deleted_at IS NOT NULL AS _fivetran_deleted
FROM permission_profiles p CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(p.raw #> '{forecastPermissions,forecastEditTargets,teamLeadIds}', '[]')) u(user_id);

CREATE VIEW __compat__.permission_insight_access AS
SELECT p.id AS permission_profile_id, u.user_id, p.last_seen_at AS _fivetran_synced, p.deleted_at IS NOT NULL AS _fivetran_deleted
FROM permission_profiles p CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(p.raw #> '{insightsAccess,teamLeadIds}', '[]')) u(user_id);

-- Gong's library folder block lists folders, not users: user_id stays null and the
-- folder is in library_folder_id, added.
CREATE VIEW __compat__.permission_library_folder_access AS
SELECT p.id AS permission_profile_id, NULL::text AS user_id, f.library_folder_id,
       p.last_seen_at AS _fivetran_synced, p.deleted_at IS NOT NULL AS _fivetran_deleted
FROM permission_profiles p CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(p.raw #> '{libraryFolderAccess,libraryFolderIds}', '[]')) f(library_folder_id);

-- 00018: the CRM integrations and their entity schemas.
CREATE VIEW __compat__.crm AS
SELECT i.integration_id, i.raw ->> 'ownerEmail' AS owner_email, i.name,
       i.last_seen_at AS _fivetran_synced, i.deleted_at IS NOT NULL AS _fivetran_deleted
FROM crm_integrations i;

CREATE VIEW __compat__.account_entity_schema AS
SELECT f.name, f.integration_id, f.is_deleted, f.label, f.last_modified, f.reference_to, f.type,
       f.last_seen_at AS _fivetran_synced, f.deleted_at IS NOT NULL AS _fivetran_deleted
FROM crm_entity_schema_fields f WHERE upper(f.object_type) = 'ACCOUNT';

CREATE VIEW __compat__.contact_entity_schema AS
SELECT f.name, f.integration_id, f.is_deleted, f.label, f.last_modified, f.reference_to, f.type,
       f.last_seen_at AS _fivetran_synced, f.deleted_at IS NOT NULL AS _fivetran_deleted
FROM crm_entity_schema_fields f WHERE upper(f.object_type) = 'CONTACT';

CREATE VIEW __compat__.deal_entity_schema AS
SELECT f.name, f.integration_id, f.is_deleted, f.label, f.last_modified, f.reference_to, f.type,
       f.last_seen_at AS _fivetran_synced, f.deleted_at IS NOT NULL AS _fivetran_deleted
FROM crm_entity_schema_fields f WHERE upper(f.object_type) = 'DEAL';

CREATE VIEW __compat__.lead_entity_schema AS
SELECT f.name, f.integration_id, f.is_deleted, f.label, f.last_modified, f.reference_to, f.type,
       f.last_seen_at AS _fivetran_synced, f.deleted_at IS NOT NULL AS _fivetran_deleted
FROM crm_entity_schema_fields f WHERE upper(f.object_type) = 'LEAD';

-- 00018: manual CRM associations (GET /v2/calls/manual-crm-associations). Assumed:
-- one row per associated object with user_id and created as Gong sends them, and
-- object_type Account or Deal (Gong's accountCrmId, dealCrmId).
CREATE VIEW __compat__.manual_call AS
SELECT a.call_id AS id, a.user_id, min(a.created) AS created,
       max(a.last_seen_at) AS _fivetran_synced, bool_and(a.deleted_at IS NOT NULL) AS _fivetran_deleted
FROM call_manual_crm_associations a GROUP BY a.call_id, a.user_id;

CREATE VIEW __compat__.manual_call_integration AS
SELECT md5(a.id || '|' || o.ord) AS _fivetran_id,
       o.obj ->> 'accountCrmId' AS account_crm_id,
       o.obj ->> 'dealCrmId' AS deal_crm_id,
       a.call_id AS manual_call_id, a.user_id AS manual_user_id,
       a.last_seen_at AS _fivetran_synced, a.deleted_at IS NOT NULL AS _fivetran_deleted
FROM call_manual_crm_associations a
CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof(a.associated_crm_objects)
    WHEN 'array' THEN a.associated_crm_objects ELSE '[]' END) WITH ORDINALITY AS o(obj, ord);

-- 00019: Engage flows, one row per flow and owner asked for.
CREATE VIEW __compat__.engage_flow AS
SELECT f.id, f.flow_owner_email AS user_email_address, f.folder_id, f.creation_date, f.name, f.visibility,
       f.last_seen_at AS _fivetran_synced, f.deleted_at IS NOT NULL AS _fivetran_deleted
FROM flows f;

-- 00021: user settings as gongsync saw them change (one row per setting per version
-- of the user it kept, time = when that version was first seen); Gong's own history
-- (GET /v2/users/{id}/settings-history) goes back further and is not read.
CREATE VIEW __compat__.user_setting_history AS
SELECT s.key AS setting, h.valid_from AS time, h.id AS user_id,
       CASE s.value WHEN 'true' THEN true WHEN 'false' THEN false END AS value,
       h.valid_from AS _fivetran_synced, false AS _fivetran_deleted
FROM users_history h
CROSS JOIN LATERAL jsonb_each_text(CASE jsonb_typeof(h.raw -> 'settings') WHEN 'object' THEN h.raw -> 'settings' ELSE '{}' END) s;
