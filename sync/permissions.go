package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// The permission profiles are a full refresh with the users' cadence: each workspace's
// profiles (one request per workspace), then each profile's users (one request per
// profile), each committed with the checkpoint after it; a profile no longer listed is
// marked deleted with the users on it, and a user no longer on a profile once that
// profile's users are read.

// StreamPermissionProfiles is the permission profiles with their users.
const StreamPermissionProfiles = "permission_profiles"

// syncPermissionProfiles reads the permission profiles on the page loop: for each
// live workspace its profiles, then each profile's users; then the profiles no longer
// listed are marked deleted. Gong lists profiles only per workspace, so the workspaces
// must be synced first (the workspaces stream runs before this one in a pass).
func (e *Engine) syncPermissionProfiles(ctx context.Context, r *run) error {
	cp, err := e.loadFanout(ctx, StreamPermissionProfiles)
	if err != nil {
		return err
	}
	if cp.StartedAt == nil {
		ws, err := e.st.LiveWorkspaceIDs(ctx)
		if err != nil {
			return err
		}
		if len(ws) == 0 {
			return errors.New("no workspaces synced: Gong lists permission profiles per workspace (sync the workspaces stream first)")
		}
		if cp, err = e.startFanout(ctx, cp, ws); err != nil {
			return err
		}
	}
	return e.readPages(ctx, r, &profilesRead{e: e, cp: &cp})
}

// profilesRead is a refresh of the permission profiles as the page loop reads it: a
// page is a workspace's profiles, or a profile's users, or, last, the refresh's end
// (no request).
type profilesRead struct {
	noAfterPage
	e  *Engine
	cp *fanoutCheckpoint
}

func (p *profilesRead) more() bool { return p.cp.StartedAt != nil }

func (p *profilesRead) page(ctx context.Context, r *run) (pageFinds, bool, error) {
	var found pageFinds
	var err error
	switch {
	case len(p.cp.Children) > 0:
		found, err = p.e.readProfileUsers(ctx, r, p.cp)
	case len(p.cp.Parents) > 0:
		found, err = p.e.readProfiles(ctx, r, p.cp)
	default:
		found, err = p.e.finishProfiles(ctx, p.cp)
	}
	return found, err == nil, err
}

// readProfiles lists the next workspace's profiles and commits them with the
// checkpoint that has their users to read next.
func (e *Engine) readProfiles(ctx context.Context, r *run, cp *fanoutCheckpoint) (pageFinds, error) {
	ws := cp.Parents[0]
	profiles, err := r.gong.PermissionProfiles(ctx, ws)
	if err != nil {
		return pageFinds{}, fmt.Errorf("read permission profiles of workspace %s: %w", ws, err)
	}
	rows := PermissionProfileRows(profiles, ws)
	next := listedAfter(*cp, rows, func(p store.PermissionProfile) string { return p.ID })
	var res store.UpsertResult
	err = e.st.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if res, err = tx.UpsertPermissionProfiles(ctx, rows); err != nil {
			return err
		}
		return tx.SaveCheckpoint(ctx, next.row())
	})
	if err != nil {
		return pageFinds{}, fmt.Errorf("commit permission profiles of workspace %s: %w", ws, err)
	}
	*cp = next
	return pageFinds{records: len(rows), res: res}, nil
}

// readProfileUsers reads the next profile's users and commits them, with the users
// of the profile not seen since the refresh began marked deleted. A profile deleted
// since it was listed (a 404) has no users to read: the next refresh will not list it,
// and marks it deleted with its users then.
func (e *Engine) readProfileUsers(ctx context.Context, r *run, cp *fanoutCheckpoint) (pageFinds, error) {
	profile := cp.Children[0]
	users, err := r.gong.PermissionProfileUsers(ctx, profile)
	return commitChild(ctx, e, cp, fanoutChild[store.PermissionProfileUser]{
		what:   "the users of permission profile " + profile,
		err:    err,
		rows:   PermissionProfileUserRows(profile, users),
		upsert: (*store.Tx).UpsertPermissionProfileUsers,
		markMissing: func(ctx context.Context, tx *store.Tx, notSeenSince time.Time) ([]string, error) {
			return tx.MarkPermissionProfileUsersMissing(ctx, profile, notSeenSince)
		},
	})
}

// finishProfiles closes the refresh: the profiles not listed since it began are gone
// from Gong, and the users on them with them.
func (e *Engine) finishProfiles(ctx context.Context, cp *fanoutCheckpoint) (pageFinds, error) {
	now := e.now()
	next := fanoutCheckpoint{stream: cp.stream, CompletedAt: &now}
	var missing []string
	err := e.st.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if missing, err = tx.MarkPermissionProfilesMissing(ctx, *cp.StartedAt); err != nil {
			return err
		}
		return tx.SaveCheckpoint(ctx, next.row())
	})
	if err != nil {
		return pageFinds{}, fmt.Errorf("commit permission profiles: %w", err)
	}
	*cp = next
	return pageFinds{deleted: missing}, nil
}

// PermissionProfileRows maps the profiles a workspace listed.
func PermissionProfileRows(profiles []gongapi.PermissionProfile, workspaceID string) []store.PermissionProfile {
	out := make([]store.PermissionProfile, 0, len(profiles))
	for i := range profiles {
		p := &profiles[i]
		out = append(out, store.PermissionProfile{
			ID: clean(string(p.ID)), WorkspaceID: nonEmpty(clean(workspaceID)), Name: cleanPtr(p.Name), Description: cleanPtr(p.Description),
			CallsAccess: jsonDoc(p.CallsAccess), LibraryFolderAccess: jsonDoc(p.LibraryFolderAccess), DealsAccess: jsonDoc(p.DealsAccess),
			ForecastPermissions: jsonDoc(p.ForecastPermissions), CoachingAccess: jsonDoc(p.CoachingAccess),
			InsightsAccess: jsonDoc(p.InsightsAccess), UsageAccess: jsonDoc(p.UsageAccess), EmailsAccess: jsonDoc(p.EmailsAccess),
			ScoreCalls:                      p.ScoreCalls.Ptr(),
			OverrideScore:                   p.OverrideScore.Ptr(),
			DownloadCallMedia:               p.DownloadCallMedia.Ptr(),
			ShareCallsWithCustomers:         p.ShareCallsWithCustomers.Ptr(),
			ManuallyScheduleAndUploadCalls:  p.ManuallyScheduleAndUploadCalls.Ptr(),
			PrivateCalls:                    p.PrivateCalls.Ptr(),
			DeleteCalls:                     p.DeleteCalls.Ptr(),
			TrimCalls:                       p.TrimCalls.Ptr(),
			ListenInCalls:                   p.ListenInCalls.Ptr(),
			DeleteEmails:                    p.DeleteEmails.Ptr(),
			CallsAndSearch:                  p.CallsAndSearch.Ptr(),
			Library:                         p.Library.Ptr(),
			Deals:                           p.Deals.Ptr(),
			CreateEditAndDeleteDealsBoards:  p.CreateEditAndDeleteDealsBoards.Ptr(),
			DealsInlineEditing:              p.DealsInlineEditing.Ptr(),
			Account:                         p.Account.Ptr(),
			Coaching:                        p.Coaching.Ptr(),
			Usage:                           p.Usage.Ptr(),
			TeamStats:                       p.TeamStats.Ptr(),
			Initiatives:                     p.Initiatives.Ptr(),
			Market:                          p.Market.Ptr(),
			Activity:                        p.Activity.Ptr(),
			Forecast:                        p.Forecast.Ptr(),
			ForecastManage:                  p.ForecastManage.Ptr(),
			EngageManageCompanyTemplates:    p.EngageManageCompanyTemplates.Ptr(),
			EngageManageCompanySequences:    p.EngageManageCompanySequences.Ptr(),
			EngageSnoozeFlowToDosForOthers:  p.EngageSnoozeFlowToDosForOthers.Ptr(),
			ViewEngageAnalyticsActivity:     p.ViewEngageAnalyticsActivity.Ptr(),
			ViewEngageAnalyticsPerformance:  p.ViewEngageAnalyticsPerformance.Ptr(),
			ViewEngageAnalyticsFlows:        p.ViewEngageAnalyticsFlows.Ptr(),
			ManageGeneralBusinessSettings:   p.ManageGeneralBusinessSettings.Ptr(),
			ManageScorecards:                p.ManageScorecards.Ptr(),
			ExportCallsAndCoachingDataToCSV: p.ExportCallsAndCoachingDataToCSV.Ptr(),
			CrmDataInlineEditing:            p.CrmDataInlineEditing.Ptr(),
			CrmDataImport:                   p.CrmDataImport.Ptr(),
			ViewRevenueAnalytics:            p.ViewRevenueAnalytics.Ptr(),
			ManageRevenueAnalytics:          p.ManageRevenueAnalytics.Ptr(),
			Raw:                             rawJSON(p.Raw, p),
		})
	}
	return out
}

// PermissionProfileUserRows maps the users on one profile.
func PermissionProfileUserRows(profileID string, users []gongapi.PermissionProfileUser) []store.PermissionProfileUser {
	profileID = clean(profileID)
	out := make([]store.PermissionProfileUser, 0, len(users))
	for i := range users {
		u := &users[i]
		id := clean(string(u.ID))
		out = append(out, store.PermissionProfileUser{ID: profileID + "|" + id, ProfileID: profileID, UserID: id,
			FullName: cleanPtr(u.FullName), EmailAddress: cleanPtr(u.EmailAddress), Raw: rawJSON(u.Raw, u)})
	}
	return out
}
