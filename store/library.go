package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The library's tables: its public folders and the calls each holds, both entity
// tables (the shared upsert: content hash, new, changed, restored, soft deletion).

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

var (
	libraryFolderEntity     = newEntity[LibraryFolder]("library folder", "library_folders")
	libraryFolderCallEntity = newEntity[LibraryFolderCall]("library folder call", "library_folder_calls")
)

// UpsertLibraryFolders writes library folders.
func (tx *Tx) UpsertLibraryFolders(ctx context.Context, folders []LibraryFolder) (UpsertResult, error) {
	return upsert(ctx, tx, libraryFolderEntity, folders)
}

// UpsertLibraryFolderCalls writes the calls of library folders.
func (tx *Tx) UpsertLibraryFolderCalls(ctx context.Context, calls []LibraryFolderCall) (UpsertResult, error) {
	return upsert(ctx, tx, libraryFolderCallEntity, calls)
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
