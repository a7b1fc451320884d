package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// The Engage flows (GET /v2/flows). Gong lists flows per user: the company's flows,
// and that user's personal flows and those shared with them, so a complete read asks
// once per user. For a company of 500 users that is 500 requests, 5% of the default
// daily 10,000, on the day it runs. Flows change seldom, so the refresh is spread over
// a week (Options.FlowsRefreshDays): it asks about the active users with an email
// address (inactive users run no flows, and Gong is asked by address), a daily slice
// of them, each owner's pages committed with the checkpoint after them, so a slice cut
// short resumes at the owner it had not finished. A flow that no owner's answer listed
// since the refresh began is gone from Gong once the last slice is read.

// StreamFlows is the Engage flows' stream.
const StreamFlows = "flows"

// scopeFlows is the scope Gong's document names for GET /v2/flows.
var scopeFlows = []string{"api:flows:read"}

// syncFlows reads today's slice of the flow owners, beginning a refresh when none is
// under way.
func (e *Engine) syncFlows(ctx context.Context, r *run) error {
	cp, err := e.loadFlows(ctx)
	if err != nil {
		return err
	}
	if cp.RefreshStartedAt == nil {
		if cp, err = e.startFlows(ctx, cp); err != nil {
			return err
		}
	}
	if cp.SliceLeft == 0 {
		started, err := e.st.Now(ctx)
		if err != nil {
			return err
		}
		cp.SliceLeft, cp.SliceStartedAt = min(cp.PerSlice, len(cp.Owners)), &started
	}
	if len(cp.Owners) == 0 {
		return e.finishFlowsSlice(ctx, &cp)
	}
	return e.readPages(ctx, r, pagesOf(e, &flowsRead{e: e, cp: &cp}))
}

// startFlows begins a refresh (committed at once): its start on the database's clock,
// the owners to ask about, and how many of them a day's slice asks.
func (e *Engine) startFlows(ctx context.Context, cp flowsCheckpoint) (flowsCheckpoint, error) {
	started, err := e.st.Now(ctx)
	if err != nil {
		return cp, err
	}
	owners, err := e.st.FlowOwnerEmails(ctx)
	if err != nil {
		return cp, err
	}
	cp.RefreshStartedAt, cp.Owners, cp.PerSlice = &started, owners, flowsPerSlice(len(owners), e.opt.FlowsRefreshDays)
	cp.Window, cp.SliceLeft, cp.SliceStartedAt = cursorWindow{StartedAt: started}, 0, nil
	return cp, cp.save(ctx, e.st)
}

// flowsPerSlice is how many owners a day's slice asks about so that a refresh of
// owners completes in days slices: ceil(owners/days), at least one.
func flowsPerSlice(owners, days int) int {
	return max(1, (owners+days-1)/max(1, days))
}

// flowsRead is a slice of the flows' refresh as the page loop reads it: the pages of
// one owner after the other, until the slice has asked about its share.
type flowsRead struct {
	noAfterPage
	e  *Engine
	cp *flowsCheckpoint
}

func (f *flowsRead) window() *cursorWindow {
	if f.cp.SliceLeft == 0 || len(f.cp.Owners) == 0 {
		return nil
	}
	return &f.cp.Window
}

// fetch asks for the next page of the slice's current owner. An owner Gong refuses on
// the first page (a user removed, or whose address changed, since the refresh began:
// Gong's document names a 400 for input it refuses) lists nothing: an empty page, so
// that one owner cannot hold up the week's refresh. The refusal is logged: every
// owner refused would mean the request itself is wrong.
func (f *flowsRead) fetch(ctx context.Context, gong *gongapi.Client, cursor string) (*gongapi.Page[gongapi.Flow], error) {
	owner := f.cp.Owners[0]
	page, err := gong.FlowsPage(ctx, gongapi.FlowsRequest{FlowOwnerEmail: owner, Cursor: cursor})
	if cursor == "" && (errors.Is(err, gongapi.ErrNotFound) || errors.Is(err, gongapi.ErrBadRequest)) {
		f.e.log.Warn().Err(err).Str("stream", StreamFlows).Msg("Gong refused to list the flows of an owner; skipping the owner")
		return &gongapi.Page[gongapi.Flow]{Endpoint: gongapi.EndpointFlows, Cursor: cursor}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the flows of %s: %w", owner, err)
	}
	return page, nil
}

// commit writes the page's flows and the checkpoint after it (flowsPageDone); the
// page that ends the refresh also marks deleted the flows not listed since it began.
func (f *flowsRead) commit(ctx context.Context, _ *run, page *gongapi.Page[gongapi.Flow], turn pageTurn) (pageFinds, error) {
	owner := f.cp.Owners[0]
	rows := FlowRows(page.Items, owner)
	next := flowsPageDone(*f.cp, turn)
	q := quarantineOf(f.e, StreamFlows, page, "")
	var res store.UpsertResult
	var missing []string
	err := f.e.st.Transact(ctx, func(tx *store.Tx) error {
		if err := q.write(ctx, tx); err != nil {
			return err
		}
		var err error
		if res, err = tx.UpsertFlows(ctx, rows); err != nil {
			return err
		}
		missing = nil
		if next.RefreshStartedAt == nil {
			if missing, err = tx.MarkFlowsMissing(ctx, *f.cp.RefreshStartedAt); err != nil {
				return err
			}
		}
		return tx.SaveCheckpoint(ctx, next.row())
	})
	if err != nil {
		return pageFinds{}, fmt.Errorf("commit the flows of %s (requestId %s): %w", owner, page.RequestID, err)
	}
	*f.cp = next
	return pageFinds{records: len(rows), res: res, deleted: missing, quarantined: []*pageQuarantine{q}}, nil
}

// flowsPageDone is the checkpoint a committed page leaves (pure): the owner's pages go
// on from the page's cursor, or, on the owner's last page, the next owner is due; the
// slice ends once it asked about its share, and the refresh once every owner is done.
func flowsPageDone(cp flowsCheckpoint, turn pageTurn) flowsCheckpoint {
	if !turn.last() {
		cp.Window = cp.Window.turned(turn, time.Time{})
		return cp
	}
	cp.Owners = cp.Owners[1:]
	cp.SliceLeft--
	cp.Window = cursorWindow{StartedAt: cp.Window.StartedAt}
	if cp.SliceLeft > 0 && len(cp.Owners) > 0 {
		return cp
	}
	return flowsSliceDone(cp, turn.at)
}

// flowsSliceDone ends a slice at now, and the refresh with it when no owner is left.
func flowsSliceDone(cp flowsCheckpoint, now time.Time) flowsCheckpoint {
	cp.SliceLeft, cp.SliceStartedAt, cp.CompletedAt = 0, nil, &now
	if len(cp.Owners) == 0 {
		cp.RefreshStartedAt, cp.RefreshCompletedAt, cp.Owners, cp.PerSlice = nil, &now, nil, 0
	}
	return cp
}

// finishFlowsSlice ends a refresh that had no owner to ask about (no active user with
// an address is synced: the users were not read yet, or Gong refused them). Nothing
// was asked, so nothing is found gone: the flows keep their rows.
func (e *Engine) finishFlowsSlice(ctx context.Context, cp *flowsCheckpoint) error {
	e.log.Warn().Str("stream", StreamFlows).Msg("no active user with an email address is synced: no flows to ask about")
	next := flowsSliceDone(*cp, e.now())
	if err := next.save(ctx, e.st); err != nil {
		return fmt.Errorf("commit flows: %w", err)
	}
	*cp = next
	return nil
}

// flowsCheckpoint is where the flows' refresh stands.
type flowsCheckpoint struct {
	// RefreshStartedAt is when the refresh under way began, on the database's clock:
	// flows not listed since then are gone once every owner was asked. Nil between
	// refreshes.
	RefreshStartedAt *time.Time
	// Owners are the email addresses still to ask about, the next first.
	Owners []string
	// PerSlice is how many owners a day's slice asks about, fixed when the refresh began.
	PerSlice int
	// SliceLeft is how many owners the slice under way still asks about; 0 when no
	// slice is under way. SliceStartedAt is when it began: a slice under way makes the
	// stream due until it ends.
	SliceLeft      int
	SliceStartedAt *time.Time
	// Window is the current owner's read: Gong's cursor for their next page.
	Window cursorWindow
	// CompletedAt is when the last slice ended; RefreshCompletedAt when the last
	// refresh did.
	CompletedAt        *time.Time
	RefreshCompletedAt *time.Time
}

// flowsState is the part of a flowsCheckpoint kept in sync_state.state.
type flowsState struct {
	RefreshStartedAt   *time.Time `json:"refresh_started_at,omitempty"`
	RefreshCompletedAt *time.Time `json:"refresh_completed_at,omitempty"`
	Owners             []string   `json:"owners,omitempty"`
	PerSlice           int        `json:"per_slice,omitempty"`
	SliceLeft          int        `json:"slice_left,omitempty"`
	CursorAt           *time.Time `json:"cursor_at,omitempty"`
}

// loadFlows reads the flows' checkpoint.
func (e *Engine) loadFlows(ctx context.Context) (flowsCheckpoint, error) {
	row, err := e.st.Checkpoint(ctx, StreamFlows)
	if err != nil {
		return flowsCheckpoint{}, err
	}
	var s flowsState
	if err := decodeState(row, &s); err != nil {
		return flowsCheckpoint{}, err
	}
	cp := flowsCheckpoint{RefreshStartedAt: s.RefreshStartedAt, RefreshCompletedAt: s.RefreshCompletedAt, Owners: s.Owners,
		PerSlice: s.PerSlice, SliceLeft: s.SliceLeft, SliceStartedAt: row.WindowStartedAt, CompletedAt: row.CompletedAt}
	if s.RefreshStartedAt != nil {
		cp.Window = cursorWindow{StartedAt: *s.RefreshStartedAt, Cursor: row.Cursor, CursorAt: s.CursorAt}
	}
	return cp, nil
}

// row is the checkpoint as sync_state stores it: a slice under way in
// window_started_at, the refresh in the state document.
func (cp flowsCheckpoint) row() store.Checkpoint {
	return store.Checkpoint{Stream: StreamFlows, WindowStartedAt: cp.SliceStartedAt, CompletedAt: cp.CompletedAt, Cursor: cp.Window.Cursor,
		State: encodeState(flowsState{RefreshStartedAt: cp.RefreshStartedAt, RefreshCompletedAt: cp.RefreshCompletedAt, Owners: cp.Owners,
			PerSlice: cp.PerSlice, SliceLeft: cp.SliceLeft, CursorAt: cp.Window.CursorAt})}
}

// save commits the checkpoint on its own (outside a page's transaction).
func (cp flowsCheckpoint) save(ctx context.Context, st *store.Store) error {
	return st.Transact(ctx, func(tx *store.Tx) error { return tx.SaveCheckpoint(ctx, cp.row()) })
}

// FlowRows maps the flows Gong listed for owner.
func FlowRows(flows []gongapi.Flow, owner string) []store.Flow {
	rows := make([]store.Flow, 0, len(flows))
	for i := range flows {
		f := &flows[i]
		rows = append(rows, store.Flow{
			ID: clean(string(f.ID)), Name: cleanPtr(f.Name), FolderID: idPtr(f.FolderID), FolderName: cleanPtr(f.FolderName),
			Visibility: cleanPtr(f.Visibility), CreationDate: f.CreationDate.Ptr(), Exclusive: f.Exclusive,
			FlowOwnerEmail: clean(owner), Raw: rawJSON(f.Raw, f),
		})
	}
	return rows
}
