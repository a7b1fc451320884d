package fakegong

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// The permission profiles of each workspace and the users on each. Every user of a
// workspace is on one of its profiles; a profile can be deleted and a user taken off
// a profile at a point of virtual time (RemovePermissionProfile,
// RemovePermissionProfileUser).

// ---- records ----

// PermissionProfile is one profile of GET /v2/all-permission-profiles (the schema
// PermissionProfileDTO).
type PermissionProfile struct {
	ID                  string              `json:"id"`
	Name                string              `json:"name"`
	Description         string              `json:"description"`
	CallsAccess         AccessLevel         `json:"callsAccess"`
	LibraryFolderAccess LibraryFolderAccess `json:"libraryFolderAccess"`
	DealsAccess         AccessLevel         `json:"dealsAccess"`
	ForecastPermissions ForecastPermissions `json:"forecastPermissions"`
	CoachingAccess      AccessLevel         `json:"coachingAccess"`
	InsightsAccess      AccessLevel         `json:"insightsAccess"`
	UsageAccess         AccessLevel         `json:"usageAccess"`
	EmailsAccess        AccessLevel         `json:"emailsAccess"`
	// Flags are the yes/no permissions, in PermissionFlagNames' order.
	Flags [len(PermissionFlagNames)]bool `json:"-"`
}

// AccessLevel is one of Gong's *AccessWithPermissionLevel blocks: a level (all,
// managers-team, report-to-them, own, none) and, for managers-team, whose teams.
type AccessLevel struct {
	PermissionLevel string   `json:"permissionLevel"`
	TeamLeadIDs     []string `json:"teamLeadIds"`
}

// LibraryFolderAccess is the profile's library access (the schema LibraryFolderAccess).
type LibraryFolderAccess struct {
	PermissionLevel        string   `json:"permissionLevel"`
	LibraryFolderIDs       []string `json:"libraryFolderIds"`
	ManagePublicFolder     bool     `json:"managePublicFolder"`
	ManageStreams          bool     `json:"manageStreams"`
	ManageFolderCalls      bool     `json:"manageFolderCalls"`
	ShareFoldersAndStreams bool     `json:"shareFoldersAndStreams"`
}

// ForecastPermissions is the profile's forecast access (the schema ForecastPermissions).
type ForecastPermissions struct {
	ForecastAccess          AccessLevel `json:"forecastAccess"`
	ForecastEditSubmissions AccessLevel `json:"forecastEditSubmissions"`
	ForecastEditTargets     AccessLevel `json:"forecastEditTargets"`
}

// PermissionProfileUser is one user on a profile (the schema UserSimpleMetadata).
type PermissionProfileUser struct {
	ID           string `json:"id"`
	FullName     string `json:"fullName"`
	EmailAddress string `json:"emailAddress"`
}

// PermissionFlagNames are the yes/no permissions of a profile, in the order of Gong's
// document; PermissionProfile.Flags holds them in this order.
var PermissionFlagNames = [...]string{
	"scoreCalls",
	"overrideScore",
	"downloadCallMedia",
	"shareCallsWithCustomers",
	"manuallyScheduleAndUploadCalls",
	"privateCalls",
	"deleteCalls",
	"trimCalls",
	"listenInCalls",
	"deleteEmails",
	"callsAndSearch",
	"library",
	"deals",
	"createEditAndDeleteDealsBoards",
	"dealsInlineEditing",
	"account",
	"coaching",
	"usage",
	"teamStats",
	"initiatives",
	"market",
	"activity",
	"forecast",
	"forecastManage",
	"engageManageCompanyTemplates",
	"engageManageCompanySequences",
	"engageSnoozeFlowToDosForOthers",
	"viewEngageAnalyticsActivity",
	"viewEngageAnalyticsPerformance",
	"viewEngageAnalyticsFlows",
	"manageGeneralBusinessSettings",
	"manageScorecards",
	"exportCallsAndCoachingDataToCSV",
	"crmDataInlineEditing",
	"crmDataImport",
	"viewRevenueAnalytics",
	"manageRevenueAnalytics",
}

// ---- the dataset's part ----

// permProfile is one permission profile of a workspace and the users on it.
type permProfile struct {
	def     PermissionProfile
	ws      int32
	removed int64 // gone from this virtual time on; 0 = never
	members []permMember
}

// permMember is a user on a profile, until removed (0 = never).
type permMember struct {
	user    int32 // index into Dataset.users
	removed int64
}

var permissionProfileNames = []string{"Administrators", "Sales managers", "Account executives", "SDRs", "Customer success", "Read only"}

var permissionLevels = []string{"all", "managers-team", "report-to-them", "own", "none"}

// genPermissions gives each workspace three to five profiles and puts each of its
// users on one of them. It draws from a stream of its own, so the rest of the dataset
// is what it was without it.
func (d *Dataset) genPermissions() {
	r := newRNG(d.seed, 0, streamPermissions)
	for w := range d.workspaces {
		pool := d.wsUsers[w]
		n := r.between(3, 5)
		first := len(d.profiles)
		for k := range n {
			p := permProfile{ws: int32(w)}
			p.def.ID = strconv.FormatUint(d.newID(&r), 10)
			p.def.Name = permissionProfileNames[(k+w)%len(permissionProfileNames)]
			p.def.Description = "Permissions for " + p.def.Name
			if name := d.workspaces[w].Name; name != nil {
				p.def.Description += " in " + *name
			}
			level := func() AccessLevel {
				a := AccessLevel{PermissionLevel: permissionLevels[min(k, len(permissionLevels)-1)]}
				if a.PermissionLevel == "managers-team" && len(pool) > 0 {
					a.TeamLeadIDs = []string{d.users[pool[r.intn(len(pool))]].u.ID}
				}
				return a
			}
			p.def.CallsAccess, p.def.DealsAccess, p.def.CoachingAccess = level(), level(), level()
			p.def.InsightsAccess, p.def.UsageAccess, p.def.EmailsAccess = level(), level(), level()
			p.def.ForecastPermissions = ForecastPermissions{ForecastAccess: level(), ForecastEditSubmissions: level(), ForecastEditTargets: level()}
			p.def.LibraryFolderAccess = LibraryFolderAccess{PermissionLevel: "all", ManagePublicFolder: k == 0, ManageStreams: k == 0,
				ManageFolderCalls: k <= 1, ShareFoldersAndStreams: r.chance(0.5)}
			for i := range p.def.Flags {
				p.def.Flags[i] = k == 0 || r.chance(0.5)
			}
			d.profiles = append(d.profiles, p)
		}
		for _, u := range pool {
			p := &d.profiles[first+r.intn(n)]
			p.members = append(p.members, permMember{user: u})
		}
	}
}

// PermissionProfilesAt returns what GET /v2/all-permission-profiles?workspaceId=
// answers at virtual time t, and whether the workspace exists.
func (d *Dataset) PermissionProfilesAt(t time.Time, workspaceID string) ([]PermissionProfile, bool) {
	n, err := strconv.ParseUint(workspaceID, 10, 64)
	ws := slices.Index(d.wsIDs, n)
	if err != nil || ws < 0 {
		return nil, false
	}
	now := t.UnixNano()
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := []PermissionProfile{}
	for i := range d.profiles {
		p := &d.profiles[i]
		if p.ws == int32(ws) && (p.removed == 0 || now < p.removed) {
			out = append(out, p.def)
		}
	}
	return out, true
}

// PermissionProfileUsersAt returns what GET /v2/permission-profile/users?profileId=
// answers at virtual time t: the users on the profile Gong lists then, in id order;
// ok is false when the profile does not exist then.
func (d *Dataset) PermissionProfileUsersAt(t time.Time, profileID string) ([]PermissionProfileUser, bool) {
	now := t.UnixNano()
	d.mu.RLock()
	defer d.mu.RUnlock()
	i := slices.IndexFunc(d.profiles, func(p permProfile) bool { return p.def.ID == profileID })
	if i < 0 || (d.profiles[i].removed != 0 && now >= d.profiles[i].removed) {
		return nil, false
	}
	members := slices.Clone(d.profiles[i].members)
	slices.SortFunc(members, func(a, b permMember) int { return cmp.Compare(d.users[a.user].id, d.users[b.user].id) })
	out := []PermissionProfileUser{}
	for _, m := range members {
		u := &d.users[m.user]
		if (m.removed != 0 && now >= m.removed) || !u.listed(now) {
			continue
		}
		pu := PermissionProfileUser{ID: u.u.ID}
		if u.u.FirstName != nil && u.u.LastName != nil {
			pu.FullName = *u.u.FirstName + " " + *u.u.LastName
		}
		if u.u.EmailAddress != nil {
			pu.EmailAddress = *u.u.EmailAddress
		}
		out = append(out, pu)
	}
	return out, true
}

// PermissionProfileIDs lists the ids of every profile, whatever the time, workspace by
// workspace.
func (d *Dataset) PermissionProfileIDs() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]string, len(d.profiles))
	for i := range d.profiles {
		out[i] = d.profiles[i].def.ID
	}
	return out
}

// RemovePermissionProfile deletes a profile from virtual time at on.
func (d *Dataset) RemovePermissionProfile(id string, at time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.IndexFunc(d.profiles, func(p permProfile) bool { return p.def.ID == id })
	if i < 0 {
		return errNoSuch("permission profile", id)
	}
	ps := slices.Clone(d.profiles) // readers may hold the old slice
	ps[i].removed = at.UnixNano()
	d.profiles = ps
	return nil
}

// RemovePermissionProfileUser takes a user off a profile from virtual time at on.
func (d *Dataset) RemovePermissionProfileUser(profileID, userID string, at time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.IndexFunc(d.profiles, func(p permProfile) bool { return p.def.ID == profileID })
	if i < 0 {
		return errNoSuch("permission profile", profileID)
	}
	j := slices.IndexFunc(d.profiles[i].members, func(m permMember) bool { return d.users[m.user].u.ID == userID })
	if j < 0 {
		return errNoSuch("user on permission profile", userID)
	}
	ps := slices.Clone(d.profiles)
	ps[i].members = slices.Clone(ps[i].members)
	ps[i].members[j].removed = at.UnixNano()
	d.profiles = ps
	return nil
}

// ---- serving ----

// The permission endpoints are GET, not paged.

func (s *Server) handlePermissionProfiles(x *exchange) {
	ws := x.r.URL.Query().Get("workspaceId")
	if ws == "" {
		x.fail(http.StatusBadRequest, "workspaceId is required")
		return
	}
	profiles, ok := s.data.PermissionProfilesAt(s.clock.Now(), ws)
	if !ok {
		x.fail(http.StatusBadRequest, "Invalid workspaceId: "+ws)
		return
	}
	e := s.enc(x)
	e.requestID(x.id)
	e.b = append(e.b, `,"profiles":[`...)
	for i := range profiles {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.permissionProfile(&profiles[i])
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

func (s *Server) handlePermissionProfileUsers(x *exchange) {
	id := x.r.URL.Query().Get("profileId")
	if id == "" {
		x.fail(http.StatusBadRequest, "profileId is required")
		return
	}
	users, ok := s.data.PermissionProfileUsersAt(s.clock.Now(), id)
	if !ok {
		x.fail(http.StatusNotFound, "Permission profile not found: "+id)
		return
	}
	e := s.enc(x)
	e.requestID(x.id)
	e.b = append(e.b, `,"users":[`...)
	for i, u := range users {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, `{"id":`...)
		e.id(u.ID)
		e.b = append(e.b, `,"fullName":`...)
		e.str(u.FullName)
		e.b = append(e.b, `,"emailAddress":`...)
		e.str(u.EmailAddress)
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

// ---- encoding ----

func (e *enc) permissionProfile(p *PermissionProfile) {
	e.b = append(e.b, `{"id":`...)
	e.id(p.ID)
	e.b = append(e.b, `,"name":`...)
	e.str(p.Name)
	e.b = append(e.b, `,"description":`...)
	e.str(p.Description)
	e.b = append(e.b, `,"callsAccess":`...)
	e.accessLevel(&p.CallsAccess)
	a := &p.LibraryFolderAccess
	e.b = append(e.b, `,"libraryFolderAccess":{"permissionLevel":`...)
	e.str(a.PermissionLevel)
	e.b = append(e.b, `,"libraryFolderIds":`...)
	e.strings(a.LibraryFolderIDs, false)
	e.b = append(e.b, `,"managePublicFolder":`...)
	e.bool(a.ManagePublicFolder)
	e.b = append(e.b, `,"manageStreams":`...)
	e.bool(a.ManageStreams)
	e.b = append(e.b, `,"manageFolderCalls":`...)
	e.bool(a.ManageFolderCalls)
	e.b = append(e.b, `,"shareFoldersAndStreams":`...)
	e.bool(a.ShareFoldersAndStreams)
	e.b = append(e.b, `},"dealsAccess":`...)
	e.accessLevel(&p.DealsAccess)
	f := &p.ForecastPermissions
	e.b = append(e.b, `,"forecastPermissions":{"forecastAccess":`...)
	e.accessLevel(&f.ForecastAccess)
	e.b = append(e.b, `,"forecastEditSubmissions":`...)
	e.accessLevel(&f.ForecastEditSubmissions)
	e.b = append(e.b, `,"forecastEditTargets":`...)
	e.accessLevel(&f.ForecastEditTargets)
	e.b = append(e.b, `},"coachingAccess":`...)
	e.accessLevel(&p.CoachingAccess)
	e.b = append(e.b, `,"insightsAccess":`...)
	e.accessLevel(&p.InsightsAccess)
	e.b = append(e.b, `,"usageAccess":`...)
	e.accessLevel(&p.UsageAccess)
	e.b = append(e.b, `,"emailsAccess":`...)
	e.accessLevel(&p.EmailsAccess)
	for i, name := range PermissionFlagNames {
		e.b = append(e.b, `,"`...)
		e.b = append(e.b, name...)
		e.b = append(e.b, `":`...)
		e.bool(p.Flags[i])
	}
	e.b = append(e.b, '}')
}

func (e *enc) accessLevel(a *AccessLevel) {
	e.b = append(e.b, `{"permissionLevel":`...)
	e.str(a.PermissionLevel)
	e.b = append(e.b, `,"teamLeadIds":`...)
	e.strings(a.TeamLeadIDs, false)
	e.b = append(e.b, '}')
}
