package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The tables of the streams beyond calls: users' daily activity and interaction
// stats (data Gong keeps per calendar day), the library, and the call outcome
// definitions. Each is an entity table (the shared upsert: content hash, new, changed,
// restored, soft deletion); Gong gives a user's day, a stat and an outcome no id, so
// sync synthesizes one from what identifies the record.

// UserActivityDay is one row of user_activity_days: what a user did on one calendar
// day of the company, as Gong reported it, with the calls of each activity as rows of
// user_daily_activity. Day is a date (its time of day and zone are ignored).
type UserActivityDay struct {
	ID               string    `db:"id"` // user_id|day
	UserID           string    `db:"user_id"`
	Day              time.Time `db:"day"`
	UserEmailAddress *string   `db:"user_email_address"`
	Raw              []byte    `db:"raw"` // the day as Gong sent it (JSON)

	Calls []UserDailyActivity
}

// UserDailyActivity is one call Gong lists for one activity of a user's day: a row of
// user_daily_activity. UserID and Day repeat the day's, so a query needs no join.
type UserDailyActivity struct {
	UserID   string    `db:"user_id"`
	Day      time.Time `db:"day"`
	Activity string    `db:"activity,key"` // Gong's name of the list: callsAsHost, othersCallsListenedTo, …
	CallID   string    `db:"call_id,key"`
}

// UserInteractionStat is one measure of a user over a period (a row of
// user_interaction_stats): the period is [PeriodStart, PeriodEnd), calendar dates of
// the company.
type UserInteractionStat struct {
	ID          string    `db:"id"` // user_id|period_start|period_end|name
	UserID      string    `db:"user_id"`
	PeriodStart time.Time `db:"period_start"`
	PeriodEnd   time.Time `db:"period_end"`
	Name        string    `db:"name"`
	Value       *Decimal  `db:"value"` // as Gong wrote the number
	Raw         []byte    `db:"raw"`   // the user's stats for the period as Gong sent them (JSON)
}

// LibraryFolder is one row of library_folders.
type LibraryFolder struct {
	ID             string     `db:"id"`
	Name           *string    `db:"name"`
	ParentFolderID *string    `db:"parent_folder_id"`
	WorkspaceID    *string    `db:"workspace_id"`
	CreatedBy      *string    `db:"created_by"`
	Updated        *time.Time `db:"updated"`
	Raw            []byte     `db:"raw"`
}

// LibraryFolderCall is one call (or a snippet of one) in a library folder: a row of
// library_folder_calls.
type LibraryFolderCall struct {
	ID                 string     `db:"id"` // folder_id|call_id|snippet start|snippet end
	FolderID           string     `db:"folder_id"`
	CallID             string     `db:"call_id"`
	Title              *string    `db:"title"`
	Note               *string    `db:"note"`
	AddedBy            *string    `db:"added_by"`
	Created            *time.Time `db:"created"`
	URL                *string    `db:"url"`
	SnippetFromSeconds *float64   `db:"snippet_from_seconds"`
	SnippetToSeconds   *float64   `db:"snippet_to_seconds"`
	Raw                []byte     `db:"raw"`
}

// CallOutcome is one row of call_outcomes: a call outcome definition, keyed by its
// name (Gong gives it no id).
type CallOutcome struct {
	ID            string  `db:"id"` // the outcome's name
	Outcome       string  `db:"outcome"`
	Category      *string `db:"category"`
	ConnectStatus *string `db:"connect_status"`
	Sentiment     *string `db:"sentiment"`
	DisplayOrder  *int32  `db:"display_order"`
	Raw           []byte  `db:"raw"`
}

var (
	activityDayEntity = newEntity("user activity day", "user_activity_days", childTable[UserActivityDay](&childRows[UserActivityDay, UserDailyActivity]{
		table: "user_daily_activity", parent: "user_activity_day_id",
		parentKey: func(d *UserActivityDay) *string { return &d.ID },
		shape:     shapeOf[UserDailyActivity](),
		of:        func(d *UserActivityDay) []UserDailyActivity { return d.Calls },
	}))
	interactionStatEntity   = newEntity[UserInteractionStat]("user interaction stat", "user_interaction_stats")
	libraryFolderEntity     = newEntity[LibraryFolder]("library folder", "library_folders")
	libraryFolderCallEntity = newEntity[LibraryFolderCall]("library folder call", "library_folder_calls")
	callOutcomeEntity       = newEntity[CallOutcome]("call outcome", "call_outcomes")
)

// UpsertActivityDays writes users' days of activity; a day that is new or changed
// gets its rows of user_daily_activity replaced.
func (tx *Tx) UpsertActivityDays(ctx context.Context, days []UserActivityDay) (UpsertResult, error) {
	return upsert(ctx, tx, activityDayEntity, days)
}

// UpsertInteractionStats writes users' interaction stats.
func (tx *Tx) UpsertInteractionStats(ctx context.Context, stats []UserInteractionStat) (UpsertResult, error) {
	return upsert(ctx, tx, interactionStatEntity, stats)
}

// UpsertLibraryFolders writes library folders.
func (tx *Tx) UpsertLibraryFolders(ctx context.Context, folders []LibraryFolder) (UpsertResult, error) {
	return upsert(ctx, tx, libraryFolderEntity, folders)
}

// UpsertLibraryFolderCalls writes the calls of library folders.
func (tx *Tx) UpsertLibraryFolderCalls(ctx context.Context, calls []LibraryFolderCall) (UpsertResult, error) {
	return upsert(ctx, tx, libraryFolderCallEntity, calls)
}

// UpsertCallOutcomes writes call outcome definitions.
func (tx *Tx) UpsertCallOutcomes(ctx context.Context, outcomes []CallOutcome) (UpsertResult, error) {
	return upsert(ctx, tx, callOutcomeEntity, outcomes)
}

// MarkActivityDaysMissing soft-deletes the users' days in [from, to) not seen since
// notSeenSince (the database time a complete read of those days began): Gong no
// longer reports activity for that user on that day. It returns their ids.
func (tx *Tx) MarkActivityDaysMissing(ctx context.Context, from, to, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "user_activity_days", "day >= $2::date AND day < $3::date", notSeenSince, from, to)
	if err != nil {
		return nil, fmt.Errorf("mark missing activity days of [%s, %s): %w", from.Format(time.DateOnly), to.Format(time.DateOnly), err)
	}
	return ids, nil
}

// MarkInteractionStatsMissing soft-deletes the stats of periods starting in
// [from, to) not seen since notSeenSince, and returns their ids.
func (tx *Tx) MarkInteractionStatsMissing(ctx context.Context, from, to, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "user_interaction_stats", "period_start >= $2::date AND period_start < $3::date", notSeenSince, from, to)
	if err != nil {
		return nil, fmt.Errorf("mark missing interaction stats of [%s, %s): %w", from.Format(time.DateOnly), to.Format(time.DateOnly), err)
	}
	return ids, nil
}

// MarkLibraryFoldersMissing soft-deletes the folders not seen since notSeenSince (the
// start of a complete read of the library) and returns their ids.
func (tx *Tx) MarkLibraryFoldersMissing(ctx context.Context, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "library_folders", "true", notSeenSince)
	if err != nil {
		return nil, fmt.Errorf("mark missing library folders: %w", err)
	}
	return ids, nil
}

// MarkLibraryFolderCallsMissing soft-deletes the calls of one folder not seen since
// notSeenSince (the folder's calls were just read completely) and returns their ids.
func (tx *Tx) MarkLibraryFolderCallsMissing(ctx context.Context, folderID string, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "library_folder_calls", "folder_id = $2", notSeenSince, folderID)
	if err != nil {
		return nil, fmt.Errorf("mark missing calls of library folder %s: %w", folderID, err)
	}
	return ids, nil
}

// MarkCallOutcomesMissing soft-deletes the outcome definitions not seen since
// notSeenSince and returns their ids (names).
func (tx *Tx) MarkCallOutcomesMissing(ctx context.Context, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "call_outcomes", "true", notSeenSince)
	if err != nil {
		return nil, fmt.Errorf("mark missing call outcomes: %w", err)
	}
	return ids, nil
}

// LiveWorkspaceIDs returns the ids of the workspaces Gong still has, in id order:
// the library is listed one workspace at a time.
func (s *Store) LiveWorkspaceIDs(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM workspaces WHERE deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	return ids, nil
}
