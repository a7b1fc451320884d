package sync

import (
	"context"
	"fmt"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// Users, workspaces and trackers have no change feed: each run reads all of them.
// Records missing from a complete read are marked deleted; a record that reappears is
// restored by its upsert.

// syncUsers reads GET /v2/users page by page on the page loop, committing each page
// with its cursor, so an interrupted refresh resumes where it stopped. The refresh's
// start (database clock) is kept in the checkpoint: users not seen since then, once
// the last page is in, are gone from Gong. Users are few, so a cursor too old to
// trust, or expired, starts the pages over, keeping the refresh's start.
func (e *Engine) syncUsers(ctx context.Context, r *run) error {
	cp, err := e.loadRefresh(ctx, StreamUsers)
	if err != nil {
		return err
	}
	if cp.Window == nil {
		started, err := e.st.Now(ctx)
		if err != nil {
			return err
		}
		cp.Window = &cursorWindow{StartedAt: started}
	}
	return e.readPages(ctx, r, pagesOf(e, &usersRead{e: e, cp: &cp}))
}

// usersRead is a refresh of the users as the page loop reads it.
type usersRead struct {
	noAfterPage
	e  *Engine
	cp *refreshCheckpoint
}

func (u *usersRead) window() *cursorWindow { return u.cp.Window }

func (u *usersRead) fetch(ctx context.Context, gong *gongapi.Client, cursor string) (*gongapi.Page[gongapi.User], error) {
	page, err := gong.UsersPage(ctx, cursor)
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	return page, nil
}

// commit writes a page of users (UserRows) and the checkpoint after it; the last page
// also marks deleted the users not seen since the refresh began.
func (u *usersRead) commit(ctx context.Context, _ *run, page *gongapi.Page[gongapi.User], turn pageTurn) (pageFinds, error) {
	rows := UserRows(page.Items)
	started := u.cp.Window.StartedAt
	next := u.cp.pageDone(turn)
	q := quarantineOf(u.e, StreamUsers, page, "")
	var res store.UpsertResult
	var missing []string
	err := u.e.st.Transact(ctx, func(tx *store.Tx) error {
		if err := q.write(ctx, tx); err != nil {
			return err
		}
		var err error
		if res, err = tx.UpsertUsers(ctx, rows); err != nil {
			return err
		}
		missing = nil
		if next.Window == nil {
			if missing, err = tx.MarkUsersMissing(ctx, started); err != nil {
				return err
			}
		}
		return tx.SaveCheckpoint(ctx, next.row())
	})
	if err != nil {
		return pageFinds{}, fmt.Errorf("commit users page: %w", err)
	}
	*u.cp = next
	return pageFinds{records: len(rows), res: res, deleted: missing, quarantined: []*pageQuarantine{q}}, nil
}

// pageDone is the checkpoint a committed page of a paged refresh leaves (pure): the
// refresh goes on from the page's cursor, or, on its last page, is complete.
func (cp refreshCheckpoint) pageDone(turn pageTurn) refreshCheckpoint {
	if turn.last() {
		cp.Window, cp.CompletedAt = nil, &turn.at
		return cp
	}
	w := cp.Window.turned(turn, time.Time{})
	cp.Window = &w
	return cp
}

// wholeSet declares a full refresh Gong answers in one request (workspaces,
// trackers, scorecard definitions, call outcomes): the request, the rows, and the
// upsert and deletion marking of its table.
type wholeSet[T, R any] struct {
	stream      string // the stream whose checkpoint the refresh completes
	what        string // in errors: "workspaces"
	fetch       func(c *gongapi.Client, ctx context.Context) ([]T, error)
	rows        func([]T) []R
	upsert      func(*store.Tx, context.Context, []R) (store.UpsertResult, error)
	markMissing func(*store.Tx, context.Context, time.Time) ([]string, error)
}

var workspacesSet = &wholeSet[gongapi.Workspace, store.Workspace]{stream: StreamWorkspaces, what: "workspaces",
	fetch: (*gongapi.Client).Workspaces, rows: WorkspaceRows,
	upsert: (*store.Tx).UpsertWorkspaces, markMissing: (*store.Tx).MarkWorkspacesMissing}

var trackersSet = &wholeSet[gongapi.KeywordTracker, store.Tracker]{stream: StreamTrackers, what: "trackers",
	fetch: func(c *gongapi.Client, ctx context.Context) ([]gongapi.KeywordTracker, error) {
		return c.Trackers(ctx, "")
	},
	rows:   TrackerRows,
	upsert: (*store.Tx).UpsertTrackers, markMissing: (*store.Tx).MarkTrackersMissing}

// syncWorkspaces reads every workspace in one request (GET /v2/workspaces).
func (e *Engine) syncWorkspaces(ctx context.Context, r *run) error {
	return syncWhole(e, ctx, r, workspacesSet)
}

// syncTrackers reads every tracker definition in one request (GET /v2/settings/trackers).
func (e *Engine) syncTrackers(ctx context.Context, r *run) error {
	return syncWhole(e, ctx, r, trackersSet)
}

// syncWhole reads a whole set in one request and commits it (commitRefresh).
func syncWhole[T, R any](e *Engine, ctx context.Context, r *run, set *wholeSet[T, R]) error {
	started, err := e.st.Now(ctx)
	if err != nil {
		return err
	}
	pctx, done := e.pageContext(ctx)
	defer done()
	items, err := set.fetch(r.gong, pctx)
	if err != nil {
		return fmt.Errorf("read %s: %w", set.what, err)
	}
	return commitRefresh(pctx, e, r, set.stream, started, set.rows(items), set.upsert, set.markMissing)
}

// commitRefresh writes a complete read of a small set in one transaction: the rows,
// the records not seen since the read began (started, on the database's clock) marked
// deleted, and the stream's checkpoint saying the refresh completed.
func commitRefresh[T any](ctx context.Context, e *Engine, r *run, stream string, started time.Time, rows []T,
	upsert func(*store.Tx, context.Context, []T) (store.UpsertResult, error),
	markMissing func(*store.Tx, context.Context, time.Time) ([]string, error),
) error {
	now := e.now()
	done := refreshCheckpoint{stream: stream, CompletedAt: &now}
	var res store.UpsertResult
	var missing []string
	err := e.st.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if res, err = upsert(tx, ctx, rows); err != nil {
			return err
		}
		if missing, err = markMissing(tx, ctx, started); err != nil {
			return err
		}
		return tx.SaveCheckpoint(ctx, done.row())
	})
	if err != nil {
		return fmt.Errorf("commit %s: %w", stream, err)
	}
	e.tally(ctx, r, pageFinds{records: len(rows), res: res, deleted: missing})
	return nil
}

// refreshCheckpoint is where a paged full refresh stands (users).
type refreshCheckpoint struct {
	stream string
	// Window is the refresh under way, nil between refreshes: its start on the
	// database's clock (records not seen since then are gone from Gong once the last
	// page is in), and its cursor. A full refresh reads no range: From and To are zero.
	Window *cursorWindow
	// CompletedAt is when the last refresh completed.
	CompletedAt *time.Time
}

// refreshState is the part of a refreshCheckpoint kept in sync_state.state.
type refreshState struct {
	CursorAt *time.Time `json:"cursor_at,omitempty"`
}

// loadRefresh reads the checkpoint of a paged full refresh.
func (e *Engine) loadRefresh(ctx context.Context, stream string) (refreshCheckpoint, error) {
	row, err := e.st.Checkpoint(ctx, stream)
	if err != nil {
		return refreshCheckpoint{}, err
	}
	var s refreshState
	if err := decodeState(row, &s); err != nil {
		return refreshCheckpoint{}, err
	}
	cp := refreshCheckpoint{stream: stream, CompletedAt: row.CompletedAt}
	if row.WindowStartedAt != nil {
		cp.Window = &cursorWindow{StartedAt: *row.WindowStartedAt, Cursor: row.Cursor, CursorAt: s.CursorAt}
	}
	return cp, nil
}

// row is the checkpoint as sync_state stores it.
func (cp refreshCheckpoint) row() store.Checkpoint {
	row := store.Checkpoint{Stream: cp.stream, CompletedAt: cp.CompletedAt}
	if w := cp.Window; w != nil {
		row.WindowStartedAt, row.Cursor = &w.StartedAt, w.Cursor
		row.State = encodeState(refreshState{CursorAt: w.CursorAt})
	} else {
		row.State = encodeState(refreshState{})
	}
	return row
}

// UserMapping is the version of the mapping from Gong's users to rows, stored with
// every user (users.mapping_version); TrackerMapping is the same for tracker
// definitions. Raise one whenever UserRows or TrackerRows starts deriving rows it did
// not before: Remap then derives the stored records' rows again from their raw
// documents, without asking Gong (see CallMapping).
//
//	1: the users and trackers tables
//	2: also user_email_aliases, user_spoken_languages and user_meeting_urls;
//	   tracker_languages and tracker_keywords
const (
	UserMapping    = 2
	TrackerMapping = 2
)

// UserRows maps a page of users that gongapi accepted (each has an id).
func UserRows(users []gongapi.User) []store.User {
	rows := make([]store.User, 0, len(users))
	for i := range users {
		rows = append(rows, userRow(&users[i]))
	}
	return rows
}

// userRow maps one user and its lists; empty entries of a list give no row.
func userRow(u *gongapi.User) store.User {
	row := store.User{
		ID:                  clean(string(u.ID)),
		EmailAddress:        cleanPtr(u.EmailAddress),
		FirstName:           cleanPtr(u.FirstName),
		LastName:            cleanPtr(u.LastName),
		Title:               cleanPtr(u.Title),
		PhoneNumber:         cleanPtr(u.PhoneNumber),
		Extension:           cleanPtr(u.Extension),
		Active:              u.Active,
		ManagerID:           idPtr(u.ManagerID),
		Created:             u.Created.Ptr(),
		EmailAliases:        cleanAll(u.EmailAliases),
		TrustedEmailAddress: cleanPtr(u.TrustedEmailAddress),
		SpokenLanguages:     jsonDoc(u.SpokenLanguages),
		Settings:            jsonDoc(u.Settings),
		MappingVersion:      UserMapping,
		Raw:                 rawJSON(u.Raw, u),
	}
	for _, a := range u.EmailAliases {
		if a != "" {
			row.EmailAliasRows = append(row.EmailAliasRows, store.UserEmailAlias{EmailAlias: clean(a)})
		}
	}
	for _, l := range u.SpokenLanguageList() {
		if l.Language != nil && *l.Language != "" {
			row.LanguageRows = append(row.LanguageRows, store.UserSpokenLanguage{Language: clean(*l.Language), IsPrimary: l.Primary})
		}
	}
	for _, m := range u.PersonalMeetingURLs {
		if m != "" {
			row.MeetingURLs = append(row.MeetingURLs, store.UserMeetingURL{URL: clean(m)})
		}
	}
	return row
}

// WorkspaceRows maps the workspaces answer.
func WorkspaceRows(ws []gongapi.Workspace) []store.Workspace {
	rows := make([]store.Workspace, 0, len(ws))
	for i := range ws {
		w := &ws[i]
		rows = append(rows, store.Workspace{ID: clean(string(w.ID)), Name: cleanPtr(w.Name),
			Description: cleanPtr(w.Description), Raw: rawJSON(w.Raw, w)})
	}
	return rows
}

// TrackerRows maps the tracker definitions answer.
func TrackerRows(ts []gongapi.KeywordTracker) []store.Tracker {
	rows := make([]store.Tracker, 0, len(ts))
	for i := range ts {
		rows = append(rows, trackerRow(&ts[i]))
	}
	return rows
}

// trackerRow maps one tracker definition with its languages and keywords; an entry
// without a language gives no row.
func trackerRow(t *gongapi.KeywordTracker) store.Tracker {
	row := store.Tracker{
		ID:               clean(string(t.TrackerID)),
		Name:             cleanPtr(t.TrackerName),
		WorkspaceID:      idPtr(t.WorkspaceID),
		Affiliation:      cleanPtr(t.Affiliation),
		PartOfQuestion:   t.PartOfQuestion,
		FilterQuery:      cleanPtr(t.FilterQuery),
		LanguageKeywords: jsonDoc(t.LanguageKeywords),
		Created:          t.Created.Ptr(),
		Updated:          t.Updated.Ptr(),
		MappingVersion:   TrackerMapping,
		Raw:              rawJSON(t.Raw, t),
	}
	for _, lk := range t.LanguageKeywordList() {
		if lk.Language == nil || *lk.Language == "" {
			continue
		}
		lang := clean(*lk.Language)
		row.Languages = append(row.Languages, store.TrackerLanguage{Language: lang, IncludeRelatedForms: lk.IncludeRelatedForms})
		for _, k := range lk.Keywords {
			if k != "" {
				row.Keywords = append(row.Keywords, store.TrackerKeyword{Language: lang, Keyword: clean(k)})
			}
		}
	}
	return row
}
