-- Fivetran-compatible views over tables issue 26's other branches add (migrations
-- 00018 to 00021). Not run yet: CreateFivetranViews runs fivetran.sql only. Once
-- those tables are merged, append this file to fivetran.sql (and check the columns
-- marked "assumed" below against the merged migrations); docs/COMPATIBILITY.md marks
-- these tables "view written against the planned table".
-- Same conventions as fivetran.sql: search_path is gongsync's schema, __compat__ the
-- views' schema; rows derived from a record take _fivetran_synced and
-- _fivetran_deleted from it.

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
SELECT md5(a.call_id || '|' || coalesce(a.user_id, '')) AS _fivetran_id,
       max(a.object_id) FILTER (WHERE lower(a.object_type) LIKE 'account%') AS account_crm_id,
       max(a.object_id) FILTER (WHERE lower(a.object_type) LIKE 'deal%') AS deal_crm_id,
       a.call_id AS manual_call_id, a.user_id AS manual_user_id,
       max(a.last_seen_at) AS _fivetran_synced, bool_and(a.deleted_at IS NOT NULL) AS _fivetran_deleted
FROM call_manual_crm_associations a GROUP BY a.call_id, a.user_id;

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
