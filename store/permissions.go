package store

import (
	"context"
	"fmt"
	"time"
)

// The permission profiles of each workspace and the users on each, entity tables
// (the shared upsert: content hash, new, changed, restored, soft deletion).

// PermissionProfile is one row of permission_profiles.
type PermissionProfile struct {
	ID                              string  `db:"id"`
	WorkspaceID                     *string `db:"workspace_id"`
	Name                            *string `db:"name"`
	Description                     *string `db:"description"`
	CallsAccess                     []byte  `db:"calls_access,json"`
	LibraryFolderAccess             []byte  `db:"library_folder_access,json"`
	DealsAccess                     []byte  `db:"deals_access,json"`
	ForecastPermissions             []byte  `db:"forecast_permissions,json"`
	CoachingAccess                  []byte  `db:"coaching_access,json"`
	InsightsAccess                  []byte  `db:"insights_access,json"`
	UsageAccess                     []byte  `db:"usage_access,json"`
	EmailsAccess                    []byte  `db:"emails_access,json"`
	ScoreCalls                      *bool   `db:"score_calls"`
	OverrideScore                   *bool   `db:"override_score"`
	DownloadCallMedia               *bool   `db:"download_call_media"`
	ShareCallsWithCustomers         *bool   `db:"share_calls_with_customers"`
	ManuallyScheduleAndUploadCalls  *bool   `db:"manually_schedule_and_upload_calls"`
	PrivateCalls                    *bool   `db:"private_calls"`
	DeleteCalls                     *bool   `db:"delete_calls"`
	TrimCalls                       *bool   `db:"trim_calls"`
	ListenInCalls                   *bool   `db:"listen_in_calls"`
	DeleteEmails                    *bool   `db:"delete_emails"`
	CallsAndSearch                  *bool   `db:"calls_and_search"`
	Library                         *bool   `db:"library"`
	Deals                           *bool   `db:"deals"`
	CreateEditAndDeleteDealsBoards  *bool   `db:"create_edit_and_delete_deals_boards"`
	DealsInlineEditing              *bool   `db:"deals_inline_editing"`
	Account                         *bool   `db:"account"`
	Coaching                        *bool   `db:"coaching"`
	Usage                           *bool   `db:"usage"`
	TeamStats                       *bool   `db:"team_stats"`
	Initiatives                     *bool   `db:"initiatives"`
	Market                          *bool   `db:"market"`
	Activity                        *bool   `db:"activity"`
	Forecast                        *bool   `db:"forecast"`
	ForecastManage                  *bool   `db:"forecast_manage"`
	EngageManageCompanyTemplates    *bool   `db:"engage_manage_company_templates"`
	EngageManageCompanySequences    *bool   `db:"engage_manage_company_sequences"`
	EngageSnoozeFlowToDosForOthers  *bool   `db:"engage_snooze_flow_to_dos_for_others"`
	ViewEngageAnalyticsActivity     *bool   `db:"view_engage_analytics_activity"`
	ViewEngageAnalyticsPerformance  *bool   `db:"view_engage_analytics_performance"`
	ViewEngageAnalyticsFlows        *bool   `db:"view_engage_analytics_flows"`
	ManageGeneralBusinessSettings   *bool   `db:"manage_general_business_settings"`
	ManageScorecards                *bool   `db:"manage_scorecards"`
	ExportCallsAndCoachingDataToCSV *bool   `db:"export_calls_and_coaching_data_to_csv"`
	CrmDataInlineEditing            *bool   `db:"crm_data_inline_editing"`
	CrmDataImport                   *bool   `db:"crm_data_import"`
	ViewRevenueAnalytics            *bool   `db:"view_revenue_analytics"`
	ManageRevenueAnalytics          *bool   `db:"manage_revenue_analytics"`
	Raw                             []byte  `db:"raw"`
}

// PermissionProfileUser is one user on a permission profile: a row of
// permission_profile_users.
type PermissionProfileUser struct {
	ID           string  `db:"id"` // profile_id|user_id
	ProfileID    string  `db:"profile_id"`
	UserID       string  `db:"user_id"`
	FullName     *string `db:"full_name"`
	EmailAddress *string `db:"email_address"`
	Raw          []byte  `db:"raw"`
}

var (
	permissionProfileEntity     = newEntity[PermissionProfile]("permission profile", "permission_profiles")
	permissionProfileUserEntity = newEntity[PermissionProfileUser]("permission profile user", "permission_profile_users")
)

// UpsertPermissionProfiles writes permission profiles.
func (tx *Tx) UpsertPermissionProfiles(ctx context.Context, profiles []PermissionProfile) (UpsertResult, error) {
	return upsert(ctx, tx, permissionProfileEntity, profiles)
}

// UpsertPermissionProfileUsers writes the users on permission profiles.
func (tx *Tx) UpsertPermissionProfileUsers(ctx context.Context, users []PermissionProfileUser) (UpsertResult, error) {
	return upsert(ctx, tx, permissionProfileUserEntity, users)
}

// MarkPermissionProfilesMissing soft-deletes the profiles not seen since notSeenSince
// (the start of a complete read of every workspace's profiles), with the users on
// them, and returns the profiles' ids.
func (tx *Tx) MarkPermissionProfilesMissing(ctx context.Context, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "permission_profiles", "true", notSeenSince)
	if err != nil {
		return nil, fmt.Errorf("mark missing permission profiles: %w", err)
	}
	// Their users go with them: no read will list those users again.
	if _, err := tx.tx.Exec(ctx, `UPDATE permission_profile_users SET deleted_at = now(), updated_at = now()
		WHERE deleted_at IS NULL AND profile_id = ANY($1)`, ids); err != nil {
		return nil, fmt.Errorf("mark the users of missing permission profiles: %w", err)
	}
	return ids, nil
}

// MarkPermissionProfileUsersMissing soft-deletes the users of one profile not seen
// since notSeenSince (the profile's users were just read completely) and returns
// their row ids.
func (tx *Tx) MarkPermissionProfileUsersMissing(ctx context.Context, profileID string, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "permission_profile_users", "profile_id = $2", notSeenSince, profileID)
	if err != nil {
		return nil, fmt.Errorf("mark missing users of permission profile %s: %w", profileID, err)
	}
	return ids, nil
}
