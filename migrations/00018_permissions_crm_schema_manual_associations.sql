-- New streams of issue 26 (part 1): what Fivetran's Gong connector offers and gongsync
-- lacked. The permission profiles of each workspace with the users on each (who may
-- see which calls), the schema of the CRM objects a company uploads through Gong's
-- generic CRM integration, and the calls users associated with CRM objects by hand.
--
-- Every table here is an entity table (the record as Gong sent it in raw, the
-- bookkeeping columns, soft deletion and a live_ view). The shared upsert keys a
-- record by a text id: where Gong's key is several fields (a profile's user, a schema
-- field, an association) the id column joins them, and the primary key is Gong's
-- fields. A call id here is the call's Gong id: the call may be older than what
-- gongsync has synced, so the live_ view leaves out the rows of calls known to be
-- deleted, not those of calls never synced.

-- +goose Up

CREATE TABLE permission_profiles (
    id                    text PRIMARY KEY CHECK (id <> ''),
    workspace_id          text,
    name                  text,
    description           text,
    calls_access          jsonb,
    library_folder_access jsonb,
    deals_access          jsonb,
    forecast_permissions  jsonb,
    coaching_access       jsonb,
    insights_access       jsonb,
    usage_access          jsonb,
    emails_access         jsonb,
    score_calls                              boolean,
    override_score                           boolean,
    download_call_media                      boolean,
    share_calls_with_customers               boolean,
    manually_schedule_and_upload_calls       boolean,
    private_calls                            boolean,
    delete_calls                             boolean,
    trim_calls                               boolean,
    listen_in_calls                          boolean,
    delete_emails                            boolean,
    calls_and_search                         boolean,
    library                                  boolean,
    deals                                    boolean,
    create_edit_and_delete_deals_boards      boolean,
    deals_inline_editing                     boolean,
    account                                  boolean,
    coaching                                 boolean,
    usage                                    boolean,
    team_stats                               boolean,
    initiatives                              boolean,
    market                                   boolean,
    activity                                 boolean,
    forecast                                 boolean,
    forecast_manage                          boolean,
    engage_manage_company_templates          boolean,
    engage_manage_company_sequences          boolean,
    engage_snooze_flow_to_dos_for_others     boolean,
    view_engage_analytics_activity           boolean,
    view_engage_analytics_performance        boolean,
    view_engage_analytics_flows              boolean,
    manage_general_business_settings         boolean,
    manage_scorecards                        boolean,
    export_calls_and_coaching_data_to_csv    boolean,
    crm_data_inline_editing                  boolean,
    crm_data_import                          boolean,
    view_revenue_analytics                   boolean,
    manage_revenue_analytics                 boolean,
    raw          jsonb NOT NULL,
    content_hash bytea NOT NULL,
    first_seen_at timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    deleted_at   timestamptz
);
CREATE INDEX permission_profiles_workspace_idx ON permission_profiles (workspace_id);

CREATE TABLE permission_profile_users (
    id            text NOT NULL UNIQUE CHECK (id <> ''),
    profile_id    text NOT NULL,
    user_id       text NOT NULL,
    full_name     text,
    email_address text,
    raw          jsonb NOT NULL,
    content_hash bytea NOT NULL,
    first_seen_at timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    deleted_at   timestamptz,
    PRIMARY KEY (profile_id, user_id)
);
CREATE INDEX permission_profile_users_user_idx ON permission_profile_users (user_id);

CREATE TABLE crm_integrations (
    id             text NOT NULL UNIQUE CHECK (id <> ''),
    integration_id text PRIMARY KEY CHECK (integration_id <> ''),
    owner_email    text,
    name           text,
    raw          jsonb NOT NULL,
    content_hash bytea NOT NULL,
    first_seen_at timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    deleted_at   timestamptz
);

CREATE TABLE crm_entity_schema_fields (
    id                 text NOT NULL UNIQUE CHECK (id <> ''),
    integration_id     text NOT NULL,
    object_type        text NOT NULL,
    name               text NOT NULL,
    label              text,
    type               text,
    reference_to       text,
    last_modified      timestamptz,
    is_deleted         boolean,
    ordered_value_list jsonb,
    raw          jsonb NOT NULL,
    content_hash bytea NOT NULL,
    first_seen_at timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    deleted_at   timestamptz,
    PRIMARY KEY (integration_id, object_type, name)
);

CREATE TABLE call_manual_crm_associations (
    id                     text PRIMARY KEY CHECK (id <> ''),
    call_id                text NOT NULL,
    user_id                text,
    created                timestamptz NOT NULL,
    associated_crm_objects jsonb,
    raw          jsonb NOT NULL,
    content_hash bytea NOT NULL,
    first_seen_at timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    deleted_at   timestamptz
);
CREATE INDEX call_manual_crm_associations_call_idx ON call_manual_crm_associations (call_id);
CREATE INDEX call_manual_crm_associations_created_idx ON call_manual_crm_associations (created);

-- lz4 for the raw documents, as for the other entity tables (00001).
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        FOREACH t IN ARRAY ARRAY['permission_profiles', 'permission_profile_users', 'crm_integrations', 'crm_entity_schema_fields', 'call_manual_crm_associations'] LOOP
            EXECUTE format('ALTER TABLE %I ALTER COLUMN raw SET COMPRESSION lz4', t);
        END LOOP;
    END IF;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available: raw documents are compressed with pglz';
END
$$;
-- +goose StatementEnd

COMMENT ON TABLE permission_profiles IS 'The permission profiles of each workspace (GET /v2/all-permission-profiles per workspace): what the users on a profile may see and do. Refreshed in full with the users; a profile Gong stops listing keeps its row with deleted_at set. The users on each are rows of permission_profile_users.';
COMMENT ON COLUMN permission_profiles.id IS 'Gong''s unique numeric identifier of the permission profile (up to 20 digits, kept as text).';
COMMENT ON COLUMN permission_profiles.workspace_id IS 'The workspace the profile belongs to (the one it was listed for). Joins workspaces.id.';
COMMENT ON COLUMN permission_profiles.name IS 'The permission profile''s name.';
COMMENT ON COLUMN permission_profiles.description IS 'The permission profile''s description.';
COMMENT ON COLUMN permission_profiles.calls_access IS 'Which calls the profile''s users may see (Gong''s callsAccess, JSON as sent): permissionLevel (all, managers-team, report-to-them, own, none) and teamLeadIds (the users whose teams'' calls, for managers-team).';
COMMENT ON COLUMN permission_profiles.library_folder_access IS 'Library access (Gong''s libraryFolderAccess, JSON as sent): permissionLevel (none, all, specific-folders), libraryFolderIds, managePublicFolder, manageStreams, manageFolderCalls, shareFoldersAndStreams.';
COMMENT ON COLUMN permission_profiles.deals_access IS 'Which deals the profile''s users may see (Gong''s dealsAccess, JSON as sent): permissionLevel and teamLeadIds.';
COMMENT ON COLUMN permission_profiles.forecast_permissions IS 'Forecast permissions (Gong''s forecastPermissions, JSON as sent): forecastAccess, forecastEditSubmissions and forecastEditTargets, each a permissionLevel and teamLeadIds.';
COMMENT ON COLUMN permission_profiles.coaching_access IS 'Whose coaching data the profile''s users may see (Gong''s coachingAccess, JSON as sent): permissionLevel and teamLeadIds.';
COMMENT ON COLUMN permission_profiles.insights_access IS 'Whose insights the profile''s users may see (Gong''s insightsAccess, JSON as sent): permissionLevel and teamLeadIds.';
COMMENT ON COLUMN permission_profiles.usage_access IS 'Whose usage data the profile''s users may see (Gong''s usageAccess, JSON as sent): permissionLevel and teamLeadIds.';
COMMENT ON COLUMN permission_profiles.emails_access IS 'Which emails the profile''s users may see (Gong''s emailsAccess, JSON as sent): permissionLevel and teamLeadIds.';
COMMENT ON COLUMN permission_profiles.score_calls IS 'User can score calls (Gong''s scoreCalls).';
COMMENT ON COLUMN permission_profiles.override_score IS 'User can override someone else score (Gong''s overrideScore).';
COMMENT ON COLUMN permission_profiles.download_call_media IS 'User can download call media (Gong''s downloadCallMedia).';
COMMENT ON COLUMN permission_profiles.share_calls_with_customers IS 'User can share calls with customers (Gong''s shareCallsWithCustomers).';
COMMENT ON COLUMN permission_profiles.manually_schedule_and_upload_calls IS 'User can manually schedule and upload calls (Gong''s manuallyScheduleAndUploadCalls).';
COMMENT ON COLUMN permission_profiles.private_calls IS 'User can set their own calls as private (Gong''s privateCalls).';
COMMENT ON COLUMN permission_profiles.delete_calls IS 'User can delete calls (Gong''s deleteCalls).';
COMMENT ON COLUMN permission_profiles.trim_calls IS 'User can trim calls (Gong''s trimCalls).';
COMMENT ON COLUMN permission_profiles.listen_in_calls IS 'User can listen in calls (Gong''s listenInCalls).';
COMMENT ON COLUMN permission_profiles.delete_emails IS 'User can delete emails (Gong''s deleteEmails).';
COMMENT ON COLUMN permission_profiles.calls_and_search IS 'User can view and search calls (Gong''s callsAndSearch).';
COMMENT ON COLUMN permission_profiles.library IS 'User can view library pages (Gong''s library).';
COMMENT ON COLUMN permission_profiles.deals IS 'User can view deals pages (Gong''s deals).';
COMMENT ON COLUMN permission_profiles.create_edit_and_delete_deals_boards IS 'User can create/edit/delete deals boards (Gong''s createEditAndDeleteDealsBoards).';
COMMENT ON COLUMN permission_profiles.deals_inline_editing IS 'User can perform inline editing of deals (Gong''s dealsInlineEditing).';
COMMENT ON COLUMN permission_profiles.account IS 'User can view account pages (Gong''s account).';
COMMENT ON COLUMN permission_profiles.coaching IS 'User can view coaching pages (Gong''s coaching).';
COMMENT ON COLUMN permission_profiles.usage IS 'User can view usage pages (Gong''s usage).';
COMMENT ON COLUMN permission_profiles.team_stats IS 'User can view team stats page (Gong''s teamStats).';
COMMENT ON COLUMN permission_profiles.initiatives IS 'User can view initiatives page (Gong''s initiatives).';
COMMENT ON COLUMN permission_profiles.market IS 'User can view market page (Gong''s market).';
COMMENT ON COLUMN permission_profiles.activity IS 'User can view activity pages (Gong''s activity).';
COMMENT ON COLUMN permission_profiles.forecast IS 'User can view forecast pages (Gong''s forecast).';
COMMENT ON COLUMN permission_profiles.forecast_manage IS 'User can manage forecast boards and upload targets (Gong''s forecastManage).';
COMMENT ON COLUMN permission_profiles.engage_manage_company_templates IS 'User can manage company email templates (Gong''s engageManageCompanyTemplates).';
COMMENT ON COLUMN permission_profiles.engage_manage_company_sequences IS 'User can manage company sequences (Gong''s engageManageCompanySequences).';
COMMENT ON COLUMN permission_profiles.engage_snooze_flow_to_dos_for_others IS 'User can snooze flow in to dos for others (Gong''s engageSnoozeFlowToDosForOthers).';
COMMENT ON COLUMN permission_profiles.view_engage_analytics_activity IS 'User can view engage analytics activity page (Gong''s viewEngageAnalyticsActivity).';
COMMENT ON COLUMN permission_profiles.view_engage_analytics_performance IS 'User can view engage analytics performance page (Gong''s viewEngageAnalyticsPerformance).';
COMMENT ON COLUMN permission_profiles.view_engage_analytics_flows IS 'User can view engage analytics flows page (Gong''s viewEngageAnalyticsFlows).';
COMMENT ON COLUMN permission_profiles.manage_general_business_settings IS 'User can manage general business settings (Gong''s manageGeneralBusinessSettings).';
COMMENT ON COLUMN permission_profiles.manage_scorecards IS 'User can manage scorecards (Gong''s manageScorecards).';
COMMENT ON COLUMN permission_profiles.export_calls_and_coaching_data_to_csv IS 'User can export calls and coaching metrics data to CSV (Gong''s exportCallsAndCoachingDataToCSV).';
COMMENT ON COLUMN permission_profiles.crm_data_inline_editing IS 'User can perform inline editing of crm data (Gong''s crmDataInlineEditing).';
COMMENT ON COLUMN permission_profiles.crm_data_import IS 'User can perform import of crm data (Gong''s crmDataImport).';
COMMENT ON COLUMN permission_profiles.view_revenue_analytics IS 'User can view dashboards page (Gong''s viewRevenueAnalytics).';
COMMENT ON COLUMN permission_profiles.manage_revenue_analytics IS 'User can manage revenue analytics (Gong''s manageRevenueAnalytics).';

COMMENT ON TABLE permission_profile_users IS 'The users on each permission profile (GET /v2/permission-profile/users per profile), refreshed with the profiles. A user no longer on a profile keeps the row with deleted_at set.';
COMMENT ON COLUMN permission_profile_users.id IS 'gongsync bookkeeping: the row''s key for the shared upsert, profile_id|user_id.';
COMMENT ON COLUMN permission_profile_users.profile_id IS 'The permission profile. Joins permission_profiles.id.';
COMMENT ON COLUMN permission_profile_users.user_id IS 'The user on the profile. Joins users.id.';
COMMENT ON COLUMN permission_profile_users.full_name IS 'The user''s full name, as Gong sent it with the profile.';
COMMENT ON COLUMN permission_profile_users.email_address IS 'The user''s email address, as Gong sent it with the profile.';

COMMENT ON TABLE crm_integrations IS 'The company''s generic CRM integrations (GET /v2/crm/integrations), through which it uploads CRM data to Gong; refreshed in full daily. Empty for a company without one. An integration Gong stops listing keeps its row with deleted_at set.';
COMMENT ON COLUMN crm_integrations.id IS 'gongsync bookkeeping: the row''s key for the shared upsert, the same as integration_id.';
COMMENT ON COLUMN crm_integrations.integration_id IS 'Gong''s identifier of the integration (a number beyond 2^53 in live traffic, kept as text with every digit).';
COMMENT ON COLUMN crm_integrations.owner_email IS 'The email address of the integration''s owner.';
COMMENT ON COLUMN crm_integrations.name IS 'The integration''s name.';

COMMENT ON TABLE crm_entity_schema_fields IS 'The fields of each CRM object type (ACCOUNT, CONTACT, DEAL, LEAD) of each generic CRM integration (GET /v2/crm/entity-schema per integration and object type), refreshed in full daily. A field Gong stops listing keeps its row with deleted_at set; one the company deleted in its CRM is listed with is_deleted.';
COMMENT ON COLUMN crm_entity_schema_fields.id IS 'gongsync bookkeeping: the row''s key for the shared upsert, integration_id|object_type|name.';
COMMENT ON COLUMN crm_entity_schema_fields.integration_id IS 'The integration. Joins crm_integrations.integration_id.';
COMMENT ON COLUMN crm_entity_schema_fields.object_type IS 'The CRM object type the field belongs to: ACCOUNT, CONTACT, DEAL or LEAD.';
COMMENT ON COLUMN crm_entity_schema_fields.name IS 'The field''s unique name in the CRM (Gong''s uniqueName).';
COMMENT ON COLUMN crm_entity_schema_fields.label IS 'The field''s display label.';
COMMENT ON COLUMN crm_entity_schema_fields.type IS 'The field''s type: DATE, DATETIME, NUMBER, PERCENT, CURRENCY, ID, URL, STRING, BOOLEAN, PHONENUMBER, EMAILADDRESS, PICKLIST, REFERENCE or STRINGARRAY.';
COMMENT ON COLUMN crm_entity_schema_fields.reference_to IS 'For a REFERENCE field, the object type it refers to.';
COMMENT ON COLUMN crm_entity_schema_fields.last_modified IS 'When the field was last modified (Gong''s lastModified, timestamptz; null when Gong sent none or one that is not a time: raw keeps it as sent).';
COMMENT ON COLUMN crm_entity_schema_fields.is_deleted IS 'Whether the field is deleted in the CRM (Gong''s isDeleted).';
COMMENT ON COLUMN crm_entity_schema_fields.ordered_value_list IS 'For a PICKLIST field, its values in order (Gong''s orderedValueList, JSON array as sent).';

COMMENT ON TABLE call_manual_crm_associations IS 'Calls users associated with CRM objects by hand (GET /v2/calls/manual-crm-associations, in beta at Gong), one row per association Gong lists, read incrementally by the time the association was made. Gong lists no removals: a read never marks a row deleted.';
COMMENT ON COLUMN call_manual_crm_associations.id IS 'gongsync bookkeeping: the row''s key, call_id|created (UTC): Gong gives an association no id.';
COMMENT ON COLUMN call_manual_crm_associations.call_id IS 'The call; it may be older than the calls gongsync has synced. Joins calls.id.';
COMMENT ON COLUMN call_manual_crm_associations.user_id IS 'The user who made the association. Joins users.id.';
COMMENT ON COLUMN call_manual_crm_associations.created IS 'When the association was made (timestamptz).';
COMMENT ON COLUMN call_manual_crm_associations.associated_crm_objects IS 'The CRM objects the call was associated with (Gong''s associatedCrmObjects, JSON array as sent): each an accountCrmId and, when a deal or opportunity was associated, its dealCrmId.';

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['permission_profiles', 'permission_profile_users', 'crm_integrations', 'crm_entity_schema_fields', 'call_manual_crm_associations'] LOOP
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

-- Views of what Gong still has.
CREATE VIEW live_permission_profiles AS SELECT p.* FROM permission_profiles p WHERE p.deleted_at IS NULL;
CREATE VIEW live_permission_profile_users AS SELECT pu.* FROM permission_profile_users pu
    WHERE pu.deleted_at IS NULL
      AND EXISTS (SELECT FROM permission_profiles p WHERE p.id = pu.profile_id AND p.deleted_at IS NULL);
CREATE VIEW live_crm_integrations AS SELECT i.* FROM crm_integrations i WHERE i.deleted_at IS NULL;
CREATE VIEW live_crm_entity_schema_fields AS SELECT f.* FROM crm_entity_schema_fields f
    WHERE f.deleted_at IS NULL
      AND EXISTS (SELECT FROM crm_integrations i WHERE i.integration_id = f.integration_id AND i.deleted_at IS NULL);
CREATE VIEW live_call_manual_crm_associations AS SELECT a.* FROM call_manual_crm_associations a
    WHERE a.deleted_at IS NULL
      AND NOT EXISTS (SELECT FROM calls c WHERE c.id = a.call_id AND c.deleted_at IS NOT NULL);

COMMENT ON VIEW live_permission_profiles IS 'permission_profiles Gong still lists.';
COMMENT ON VIEW live_permission_profile_users IS 'permission_profile_users still on profiles Gong still lists.';
COMMENT ON VIEW live_crm_integrations IS 'crm_integrations Gong still lists.';
COMMENT ON VIEW live_crm_entity_schema_fields IS 'crm_entity_schema_fields Gong still lists, of integrations Gong still lists.';
COMMENT ON VIEW live_call_manual_crm_associations IS 'call_manual_crm_associations without the calls known to be deleted.';

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
          AND vc.relname IN ('live_permission_profiles', 'live_permission_profile_users', 'live_crm_integrations', 'live_crm_entity_schema_fields', 'live_call_manual_crm_associations')
    LOOP
        EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', v.view::regclass, v.attname,
            (SELECT col_description(v.tab, b.attnum) FROM pg_attribute b WHERE b.attrelid = v.tab AND b.attname = v.attname));
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down

DROP VIEW live_call_manual_crm_associations;
DROP VIEW live_crm_entity_schema_fields;
DROP VIEW live_crm_integrations;
DROP VIEW live_permission_profile_users;
DROP VIEW live_permission_profiles;
DROP TABLE call_manual_crm_associations;
DROP TABLE crm_entity_schema_fields;
DROP TABLE crm_integrations;
DROP TABLE permission_profile_users;
DROP TABLE permission_profiles;

