package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// Some full refreshes cannot be read as pages of one list: Gong lists their records
// only under a parent (a workspace's library folders and permission profiles) and
// their children only one at a time (a folder's calls, a profile's users, an
// integration's object type). Such a refresh is a fan-out: list each parent, then read
// each child, one request each. A refresh of a large company takes hundreds of
// requests, so each is committed with the checkpoint after it and a refresh cut short
// resumes at the request it had not committed, rather than starting over. The library
// (library.go), the permission profiles (permissions.go) and the CRM schema (crm.go)
// share the checkpoint below and the commit of one child.

// fanoutCheckpoint is where a fan-out refresh stands: the parents still to list
// (workspaces; for the CRM schema the integrations' list) and the children each
// listing gave that are still to read (folders; profiles; integrations' object types).
// Children are read before the next parent is listed, so at most one parent's
// children are held at a time.
type fanoutCheckpoint struct {
	stream string
	// StartedAt is when the refresh under way began, on the database's clock: records
	// not seen since then are gone from Gong once they would have been read. Nil
	// between refreshes.
	StartedAt *time.Time
	// Parents are still to be listed, the next first.
	Parents []string
	// Children are listed and still to be read, the next first.
	Children []string
	// CompletedAt is when the last refresh completed.
	CompletedAt *time.Time
}

// fanoutState is the part of a fanoutCheckpoint kept in sync_state.state. The library
// was a fan-out of its own before it shared this checkpoint, and its documents name
// the lists "workspaces" and "folders"; it keeps those names (libraryStateKeys), so
// that a library refresh under way when gongsync is upgraded, or rolled back, resumes
// where it stood. Read under the other names, its lists would be empty while StartedAt
// is set: the refresh would look finished, and every folder not yet listed would be
// marked deleted.
type fanoutState struct {
	Parents  []string `json:"parents,omitempty"`
	Children []string `json:"children,omitempty"`
	// Workspaces and Folders are the library's Parents and Children.
	Workspaces []string `json:"workspaces,omitempty"`
	Folders    []string `json:"folders,omitempty"`
}

// libraryStateKeys says whether a stream's state document names its lists as the
// library's does.
func libraryStateKeys(stream string) bool { return stream == StreamLibrary }

// loadFanout reads the checkpoint of a fan-out refresh.
func (e *Engine) loadFanout(ctx context.Context, stream string) (fanoutCheckpoint, error) {
	row, err := e.st.Checkpoint(ctx, stream)
	if err != nil {
		return fanoutCheckpoint{}, err
	}
	var s fanoutState
	if err := decodeState(row, &s); err != nil {
		return fanoutCheckpoint{}, err
	}
	cp := fanoutCheckpoint{stream: stream, StartedAt: row.WindowStartedAt, Parents: s.Parents, Children: s.Children,
		CompletedAt: row.CompletedAt}
	if libraryStateKeys(stream) {
		cp.Parents, cp.Children = s.Workspaces, s.Folders
	}
	return cp, nil
}

// startFanout begins a refresh (committed at once): its start on the database's
// clock, and the parents to list.
func (e *Engine) startFanout(ctx context.Context, cp fanoutCheckpoint, parents []string) (fanoutCheckpoint, error) {
	started, err := e.st.Now(ctx)
	if err != nil {
		return cp, err
	}
	cp.StartedAt, cp.Parents, cp.Children = &started, parents, nil
	return cp, cp.save(ctx, e.st)
}

// listedAfter is the checkpoint after the next parent's listing gave rows: that parent
// done, the rows' keys to read next (each once, in the order listed).
func listedAfter[R any](cp fanoutCheckpoint, rows []R, key func(R) string) fanoutCheckpoint {
	next := cp
	next.Parents = cp.Parents[1:]
	next.Children = make([]string, 0, len(rows))
	for _, r := range rows {
		if k := key(r); !slices.Contains(next.Children, k) {
			next.Children = append(next.Children, k)
		}
	}
	return next
}

// save commits the checkpoint on its own (outside a request's transaction): a refresh's
// start, or its end when the end marks nothing deleted.
func (cp fanoutCheckpoint) save(ctx context.Context, st *store.Store) error {
	return st.Transact(ctx, func(tx *store.Tx) error { return tx.SaveCheckpoint(ctx, cp.row()) })
}

// row is the checkpoint as sync_state stores it.
func (cp fanoutCheckpoint) row() store.Checkpoint {
	s := fanoutState{Parents: cp.Parents, Children: cp.Children}
	if libraryStateKeys(cp.stream) {
		s = fanoutState{Workspaces: cp.Parents, Folders: cp.Children}
	}
	return store.Checkpoint{Stream: cp.stream, WindowStartedAt: cp.StartedAt, CompletedAt: cp.CompletedAt,
		State: encodeState(s)}
}

// fanoutChild is what one stream's read of its next child gave, and how to store it.
type fanoutChild[R any] struct {
	// what names the child's records in errors, after "read " and "commit ": "the
	// calls of library folder 123".
	what string
	// err is the read's error: a 404 (gongapi.ErrNotFound) says the child is gone.
	err  error
	rows []R
	// upsert writes the rows.
	upsert func(*store.Tx, context.Context, []R) (store.UpsertResult, error)
	// markMissing marks the child's records not seen since the refresh began deleted,
	// giving their ids.
	markMissing func(ctx context.Context, tx *store.Tx, notSeenSince time.Time) ([]string, error)
}

// commitChild commits the next child's rows with the checkpoint that has it read, in
// one transaction, and with the child's records not seen since the refresh began
// marked deleted. A child deleted since it was listed (a 404) has nothing to read and
// nothing is marked: the next refresh will not list it, and marks it deleted then with
// its records. Any other error of the read fails the request, the checkpoint unmoved.
func commitChild[R any](ctx context.Context, e *Engine, cp *fanoutCheckpoint, c fanoutChild[R]) (pageFinds, error) {
	gone := errors.Is(c.err, gongapi.ErrNotFound)
	if c.err != nil && !gone {
		return pageFinds{}, fmt.Errorf("read %s: %w", c.what, c.err)
	}
	next := *cp
	next.Children = cp.Children[1:]
	var res store.UpsertResult
	var missing []string
	err := e.st.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if res, err = c.upsert(tx, ctx, c.rows); err != nil {
			return err
		}
		missing = nil
		if !gone {
			if missing, err = c.markMissing(ctx, tx, *cp.StartedAt); err != nil {
				return err
			}
		}
		return tx.SaveCheckpoint(ctx, next.row())
	})
	if err != nil {
		return pageFinds{}, fmt.Errorf("commit %s: %w", c.what, err)
	}
	*cp = next
	return pageFinds{records: len(c.rows), res: res, deleted: missing}, nil
}
