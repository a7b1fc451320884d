package gongapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// The permission profiles of each workspace and the users on each: who may see which
// calls, deals, emails and pages.
const (
	EndpointPermissionProfiles     = "GET /v2/all-permission-profiles"
	EndpointPermissionProfileUsers = "GET /v2/permission-profile/users"
)

// PermissionProfile is one permission profile of GET /v2/all-permission-profiles
// (the schema PermissionProfileDTO). The access blocks ({permissionLevel,
// teamLeadIds, …}) are kept as Gong sent them; the yes/no permissions are Flags, which
// take a JSON boolean or one written as a string.
type PermissionProfile struct {
	ID          ID      `json:"id"`
	Name        *string `json:"name"`
	Description *string `json:"description"`

	CallsAccess         json.RawMessage `json:"callsAccess"`
	LibraryFolderAccess json.RawMessage `json:"libraryFolderAccess"`
	DealsAccess         json.RawMessage `json:"dealsAccess"`
	ForecastPermissions json.RawMessage `json:"forecastPermissions"`
	CoachingAccess      json.RawMessage `json:"coachingAccess"`
	InsightsAccess      json.RawMessage `json:"insightsAccess"`
	UsageAccess         json.RawMessage `json:"usageAccess"`
	EmailsAccess        json.RawMessage `json:"emailsAccess"`

	ScoreCalls                      *Flag `json:"scoreCalls"`
	OverrideScore                   *Flag `json:"overrideScore"`
	DownloadCallMedia               *Flag `json:"downloadCallMedia"`
	ShareCallsWithCustomers         *Flag `json:"shareCallsWithCustomers"`
	ManuallyScheduleAndUploadCalls  *Flag `json:"manuallyScheduleAndUploadCalls"`
	PrivateCalls                    *Flag `json:"privateCalls"`
	DeleteCalls                     *Flag `json:"deleteCalls"`
	TrimCalls                       *Flag `json:"trimCalls"`
	ListenInCalls                   *Flag `json:"listenInCalls"`
	DeleteEmails                    *Flag `json:"deleteEmails"`
	CallsAndSearch                  *Flag `json:"callsAndSearch"`
	Library                         *Flag `json:"library"`
	Deals                           *Flag `json:"deals"`
	CreateEditAndDeleteDealsBoards  *Flag `json:"createEditAndDeleteDealsBoards"`
	DealsInlineEditing              *Flag `json:"dealsInlineEditing"`
	Account                         *Flag `json:"account"`
	Coaching                        *Flag `json:"coaching"`
	Usage                           *Flag `json:"usage"`
	TeamStats                       *Flag `json:"teamStats"`
	Initiatives                     *Flag `json:"initiatives"`
	Market                          *Flag `json:"market"`
	Activity                        *Flag `json:"activity"`
	Forecast                        *Flag `json:"forecast"`
	ForecastManage                  *Flag `json:"forecastManage"`
	EngageManageCompanyTemplates    *Flag `json:"engageManageCompanyTemplates"`
	EngageManageCompanySequences    *Flag `json:"engageManageCompanySequences"`
	EngageSnoozeFlowToDosForOthers  *Flag `json:"engageSnoozeFlowToDosForOthers"`
	ViewEngageAnalyticsActivity     *Flag `json:"viewEngageAnalyticsActivity"`
	ViewEngageAnalyticsPerformance  *Flag `json:"viewEngageAnalyticsPerformance"`
	ViewEngageAnalyticsFlows        *Flag `json:"viewEngageAnalyticsFlows"`
	ManageGeneralBusinessSettings   *Flag `json:"manageGeneralBusinessSettings"`
	ManageScorecards                *Flag `json:"manageScorecards"`
	ExportCallsAndCoachingDataToCSV *Flag `json:"exportCallsAndCoachingDataToCSV"`
	CrmDataInlineEditing            *Flag `json:"crmDataInlineEditing"`
	CrmDataImport                   *Flag `json:"crmDataImport"`
	ViewRevenueAnalytics            *Flag `json:"viewRevenueAnalytics"`
	ManageRevenueAnalytics          *Flag `json:"manageRevenueAnalytics"`

	Raw json.RawMessage `json:"-"`
}

// PermissionProfilesResponse answers GET /v2/all-permission-profiles (not paginated).
type PermissionProfilesResponse struct {
	RequestID string              `json:"requestId"`
	Profiles  []PermissionProfile `json:"profiles"`
}

// PermissionProfileUser is one user on a permission profile (the schema
// UserSimpleMetadata).
type PermissionProfileUser struct {
	ID           ID      `json:"id"`
	FullName     *string `json:"fullName"`
	EmailAddress *string `json:"emailAddress"`

	Raw json.RawMessage `json:"-"`
}

// PermissionProfileUsersResponse answers GET /v2/permission-profile/users (not
// paginated).
type PermissionProfileUsersResponse struct {
	RequestID string                  `json:"requestId"`
	Users     []PermissionProfileUser `json:"users"`
}

// Flag is a yes/no permission: Gong's document types them as booleans; one written as
// a string ("true") is taken too, as live Gong writes other scalars as strings.
type Flag bool

// UnmarshalJSON reads true, false, "true", "false" or null (left unset).
func (f *Flag) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	v, err := strconv.ParseBool(string(b))
	if err != nil {
		return fmt.Errorf("not a boolean: %s", b)
	}
	*f = Flag(v)
	return nil
}

// Ptr returns the flag as a *bool, nil when Gong left it out.
func (f *Flag) Ptr() *bool {
	if f == nil {
		return nil
	}
	v := bool(*f)
	return &v
}

// UnmarshalJSON decodes a permission profile and keeps the raw bytes.
func (p *PermissionProfile) UnmarshalJSON(b []byte) error {
	type plain PermissionProfile
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = PermissionProfile(v)
	p.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// UnmarshalJSON decodes a user of a permission profile and keeps the raw bytes.
func (u *PermissionProfileUser) UnmarshalJSON(b []byte) error {
	type plain PermissionProfileUser
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*u = PermissionProfileUser(v)
	u.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// PermissionProfiles lists the permission profiles of a workspace (GET
// /v2/all-permission-profiles; Gong requires the workspace).
func (c *Client) PermissionProfiles(ctx context.Context, workspaceID string) ([]PermissionProfile, error) {
	if workspaceID == "" {
		return nil, &APIError{Class: ClassBadRequest, Endpoint: EndpointPermissionProfiles, Detail: "workspaceId is empty"}
	}
	method, path := splitEndpoint(EndpointPermissionProfiles)
	var resp PermissionProfilesResponse
	if err := c.getJSON(ctx, newRequest(method, path, url.Values{"workspaceId": {workspaceID}}, nil), &resp); err != nil {
		return nil, err
	}
	for i, p := range resp.Profiles {
		if p.ID == "" {
			return nil, &APIError{Class: ClassMalformedResponse, Endpoint: EndpointPermissionProfiles, Status: http.StatusOK,
				RequestID: resp.RequestID, Detail: fmt.Sprintf("profile %d: id is empty", i)}
		}
	}
	return resp.Profiles, nil
}

// PermissionProfileUsers lists the users on a permission profile (GET
// /v2/permission-profile/users). A profile deleted since it was listed answers a 404
// (ErrNotFound).
func (c *Client) PermissionProfileUsers(ctx context.Context, profileID string) ([]PermissionProfileUser, error) {
	if profileID == "" {
		return nil, &APIError{Class: ClassBadRequest, Endpoint: EndpointPermissionProfileUsers, Detail: "profileId is empty"}
	}
	method, path := splitEndpoint(EndpointPermissionProfileUsers)
	var resp PermissionProfileUsersResponse
	if err := c.getJSON(ctx, newRequest(method, path, url.Values{"profileId": {profileID}}, nil), &resp); err != nil {
		return nil, err
	}
	for i, u := range resp.Users {
		if u.ID == "" {
			return nil, &APIError{Class: ClassMalformedResponse, Endpoint: EndpointPermissionProfileUsers, Status: http.StatusOK,
				RequestID: resp.RequestID, Detail: fmt.Sprintf("profile %s, user %d: id is empty", profileID, i)}
		}
	}
	return resp.Users, nil
}
