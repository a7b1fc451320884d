package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// The CRM schema of the generic CRM integrations is a full refresh once a day: the
// integrations (one request; a company without one stops there), then the schema of
// each object type of each (one request each). The manual CRM associations of calls
// are read incrementally, by when they were made, from the stream's own high-water
// mark less the overlap.

// Streams of this file.
const (
	StreamCrmSchema             = "crm_schema"
	StreamManualCrmAssociations = "manual_crm_associations"
)

// listIntegrations is the one parent of a CRM schema refresh: the integrations' list.
const listIntegrations = "integrations"

// syncCrmSchema reads the CRM schema on the page loop: the integrations, then each
// integration's object types.
func (e *Engine) syncCrmSchema(ctx context.Context, r *run) error {
	cp, err := e.loadFanout(ctx, StreamCrmSchema)
	if err != nil {
		return err
	}
	if cp.StartedAt == nil {
		if cp, err = e.startFanout(ctx, cp, []string{listIntegrations}); err != nil {
			return err
		}
	}
	return e.readPages(ctx, r, &crmSchemaRead{e: e, cp: &cp})
}

// crmSchemaRead is a refresh of the CRM schema as the page loop reads it: a page is
// the integrations' list, or one object type of one integration, or, last, the
// refresh's end (no request).
type crmSchemaRead struct {
	noAfterPage
	e  *Engine
	cp *fanoutCheckpoint
}

func (c *crmSchemaRead) more() bool { return c.cp.StartedAt != nil }

func (c *crmSchemaRead) page(ctx context.Context, r *run) (pageFinds, bool, error) {
	var found pageFinds
	var err error
	switch {
	case len(c.cp.Children) > 0:
		found, err = c.e.readCrmEntitySchema(ctx, r, c.cp)
	case len(c.cp.Parents) > 0:
		found, err = c.e.readCrmIntegrations(ctx, r, c.cp)
	default:
		now := c.e.now()
		next := fanoutCheckpoint{stream: c.cp.stream, CompletedAt: &now}
		if err = next.save(ctx, c.e.st); err == nil {
			*c.cp = next
		}
	}
	return found, err == nil, err
}

// readCrmIntegrations lists the integrations and commits them, with those no longer
// listed marked deleted with their schema, and the checkpoint that has each
// integration's object types to read next.
func (e *Engine) readCrmIntegrations(ctx context.Context, r *run, cp *fanoutCheckpoint) (pageFinds, error) {
	ins, err := r.gong.CrmIntegrations(ctx)
	if err != nil {
		return pageFinds{}, fmt.Errorf("read CRM integrations: %w", err)
	}
	rows := CrmIntegrationRows(ins)
	var children []string
	for _, in := range rows {
		for _, ot := range gongapi.CrmObjectTypes {
			children = append(children, in.IntegrationID+"|"+ot)
		}
	}
	next := listedAfter(*cp, children, func(k string) string { return k })
	var res store.UpsertResult
	var missing []string
	err = e.st.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if res, err = tx.UpsertCrmIntegrations(ctx, rows); err != nil {
			return err
		}
		if missing, err = tx.MarkCrmIntegrationsMissing(ctx, *cp.StartedAt); err != nil {
			return err
		}
		fields, err := tx.MarkCrmSchemaOfMissingIntegrations(ctx, *cp.StartedAt)
		if err != nil {
			return err
		}
		missing = append(missing, fields...)
		return tx.SaveCheckpoint(ctx, next.row())
	})
	if err != nil {
		return pageFinds{}, fmt.Errorf("commit CRM integrations: %w", err)
	}
	*cp = next
	return pageFinds{records: len(rows), res: res, deleted: missing}, nil
}

// readCrmEntitySchema reads the next object type of an integration and commits its
// fields, with those no longer listed marked deleted. An integration deleted since it
// was listed (a 404) has no schema to read: the next refresh will not list it, and
// marks it deleted with its fields then.
func (e *Engine) readCrmEntitySchema(ctx context.Context, r *run, cp *fanoutCheckpoint) (pageFinds, error) {
	integration, objectType, _ := strings.Cut(cp.Children[0], "|")
	fields, err := r.gong.CrmEntitySchema(ctx, integration, objectType)
	if errors.Is(err, gongapi.ErrNotFound) {
		r.log.Info().Str("integration", integration).Msg("CRM integration gone since it was listed")
	}
	return commitChild(ctx, e, cp, fanoutChild[store.CrmEntitySchemaField]{
		what:   fmt.Sprintf("the %s schema of CRM integration %s", objectType, integration),
		err:    err,
		rows:   CrmEntitySchemaFieldRows(integration, objectType, fields),
		upsert: (*store.Tx).UpsertCrmEntitySchemaFields,
		markMissing: func(ctx context.Context, tx *store.Tx, notSeenSince time.Time) ([]string, error) {
			return tx.MarkCrmEntitySchemaFieldsMissing(ctx, integration, objectType, notSeenSince)
		},
	})
}

// CrmIntegrationRows maps the integrations Gong listed.
func CrmIntegrationRows(ins []gongapi.CrmIntegration) []store.CrmIntegration {
	out := make([]store.CrmIntegration, 0, len(ins))
	for i := range ins {
		in := &ins[i]
		id := clean(string(in.IntegrationID))
		out = append(out, store.CrmIntegration{ID: id, IntegrationID: id, OwnerEmail: cleanPtr(in.OwnerEmail),
			Name: cleanPtr(in.Name), Raw: rawJSON(in.Raw, in)})
	}
	return out
}

// CrmEntitySchemaFieldRows maps the fields of one object type of an integration.
// lastModified is a string in Gong's document: it becomes a time where it reads as
// one (raw keeps it as sent).
func CrmEntitySchemaFieldRows(integrationID, objectType string, fields []gongapi.CrmSchemaField) []store.CrmEntitySchemaField {
	integrationID, objectType = clean(integrationID), clean(objectType)
	out := make([]store.CrmEntitySchemaField, 0, len(fields))
	for i := range fields {
		f := &fields[i]
		name := clean(f.UniqueName)
		row := store.CrmEntitySchemaField{ID: integrationID + "|" + objectType + "|" + name, IntegrationID: integrationID,
			ObjectType: objectType, Name: name, Label: cleanPtr(f.Label), Type: cleanPtr(f.Type), ReferenceTo: cleanPtr(f.ReferenceTo),
			IsDeleted: f.IsDeleted.Ptr(), OrderedValueList: jsonDoc(f.OrderedValueList), Raw: rawJSON(f.Raw, f)}
		if f.LastModified != nil {
			if t, err := gongapi.ParseTime(*f.LastModified); err == nil {
				row.LastModified = t.Ptr()
			}
		}
		out = append(out, row)
	}
	return out
}

// syncManualCrmAssociations reads the associations made since the stream's
// high-water mark less the overlap (all of them the first time: a backfill at the
// page floor), on the page loop. The window's start, on the engine's clock, becomes
// the high-water mark once its last page is in.
func (e *Engine) syncManualCrmAssociations(ctx context.Context, r *run) error {
	cp, err := e.loadManualAssociations(ctx)
	if err != nil {
		return err
	}
	if cp.Window == nil {
		w := cursorWindow{StartedAt: e.now()}
		if cp.HighWater != nil {
			w.From = cp.HighWater.Add(-e.opt.Overlap)
		}
		cp.Window = &w
		if err := cp.save(ctx, e.st); err != nil {
			return err
		}
	}
	return e.readPages(ctx, r, pagesOf(e, &manualAssociationsRead{e: e, cp: &cp}))
}

// backfillManualCrmAssociations is the stream's part of `gongsync backfill`: its
// first read, which asks Gong for every association it has (Gong's filter takes no
// end, and one from before the oldest association costs the same), when none has
// completed yet. Once one has, the incremental reads keep the table whole and a
// backfill has nothing to add.
func (e *Engine) backfillManualCrmAssociations(ctx context.Context, r *run, _, _ time.Time) error {
	cp, err := e.loadManualAssociations(ctx)
	if err != nil {
		return err
	}
	if cp.HighWater != nil && cp.Window == nil {
		return nil
	}
	return e.syncManualCrmAssociations(ctx, r)
}

// manualAssociationsRead is a window of manual associations as the page loop reads it.
type manualAssociationsRead struct {
	noAfterPage
	e  *Engine
	cp *manualAssociationsCheckpoint
}

func (m *manualAssociationsRead) window() *cursorWindow { return m.cp.Window }

// fetch asks for the window's associations: with the cursor, or from the window's
// start again (the records read twice are unchanged on their second upsert).
func (m *manualAssociationsRead) fetch(ctx context.Context, gong *gongapi.Client, cursor string) (*gongapi.Page[gongapi.ManualCrmAssociation], error) {
	page, err := gong.ManualCrmAssociationsPage(ctx, m.cp.Window.From, cursor)
	if err != nil {
		return nil, fmt.Errorf("read manual CRM associations: %w", err)
	}
	return page, nil
}

// commit writes a page of associations and the checkpoint after it; the last page
// moves the high-water mark to the window's start.
func (m *manualAssociationsRead) commit(ctx context.Context, _ *run, page *gongapi.Page[gongapi.ManualCrmAssociation], turn pageTurn) (pageFinds, error) {
	rows := ManualCrmAssociationRows(page.Items)
	next := *m.cp
	if turn.last() {
		started := m.cp.Window.StartedAt
		next.Window, next.HighWater, next.CompletedAt = nil, &started, &turn.at
	} else {
		w := m.cp.Window.turned(turn, m.cp.Window.From)
		next.Window = &w
	}
	q := quarantineOf(m.e, StreamManualCrmAssociations, page, "")
	var res store.UpsertResult
	err := m.e.st.Transact(ctx, func(tx *store.Tx) error {
		if err := q.write(ctx, tx); err != nil {
			return err
		}
		var err error
		if res, err = tx.UpsertCallManualCrmAssociations(ctx, rows); err != nil {
			return err
		}
		return tx.SaveCheckpoint(ctx, next.row())
	})
	if err != nil {
		return pageFinds{}, fmt.Errorf("commit manual CRM associations page: %w", err)
	}
	*m.cp = next
	return pageFinds{records: len(rows), res: res, quarantined: []*pageQuarantine{q}}, nil
}

// manualAssociationsCheckpoint is where the manual associations stand: every
// association made before HighWater has been read, and the window under way.
type manualAssociationsCheckpoint struct {
	// HighWater is the start of the last complete window, on the engine's clock; nil
	// before the first.
	HighWater *time.Time
	// Window is the read under way: From is the query's fromDateTime (zero: every
	// association), StartedAt when it began. Nil between reads.
	Window *cursorWindow
	// CompletedAt is when the last window was read completely.
	CompletedAt *time.Time
}

// loadManualAssociations reads the stream's checkpoint.
func (e *Engine) loadManualAssociations(ctx context.Context) (manualAssociationsCheckpoint, error) {
	row, err := e.st.Checkpoint(ctx, StreamManualCrmAssociations)
	if err != nil {
		return manualAssociationsCheckpoint{}, err
	}
	var s refreshState
	if err := decodeState(row, &s); err != nil {
		return manualAssociationsCheckpoint{}, err
	}
	cp := manualAssociationsCheckpoint{HighWater: row.HighWaterMark, CompletedAt: row.CompletedAt}
	if row.WindowStartedAt != nil {
		w := cursorWindow{StartedAt: *row.WindowStartedAt, Cursor: row.Cursor, CursorAt: s.CursorAt}
		if row.WindowFrom != nil {
			w.From = *row.WindowFrom
		}
		cp.Window = &w
	}
	return cp, nil
}

// save commits the checkpoint on its own (outside a page's transaction).
func (cp manualAssociationsCheckpoint) save(ctx context.Context, st *store.Store) error {
	return st.Transact(ctx, func(tx *store.Tx) error { return tx.SaveCheckpoint(ctx, cp.row()) })
}

// row is the checkpoint as sync_state stores it.
func (cp manualAssociationsCheckpoint) row() store.Checkpoint {
	row := store.Checkpoint{Stream: StreamManualCrmAssociations, HighWaterMark: cp.HighWater, CompletedAt: cp.CompletedAt,
		State: encodeState(refreshState{})}
	if w := cp.Window; w != nil {
		row.WindowStartedAt, row.Cursor = &w.StartedAt, w.Cursor
		if !w.From.IsZero() {
			from := w.From
			row.WindowFrom = &from
		}
		row.State = encodeState(refreshState{CursorAt: w.CursorAt})
	}
	return row
}

// ManualCrmAssociationRows maps a page of associations gongapi accepted (each has a
// call id and a time), keyed by the call and the time in UTC: Gong gives an
// association no id.
func ManualCrmAssociationRows(assocs []gongapi.ManualCrmAssociation) []store.CallManualCrmAssociation {
	out := make([]store.CallManualCrmAssociation, 0, len(assocs))
	for i := range assocs {
		a := &assocs[i]
		callID := clean(string(a.CallID))
		created := a.Created.Time
		out = append(out, store.CallManualCrmAssociation{ID: callID + "|" + created.UTC().Format(time.RFC3339Nano), CallID: callID,
			UserID: idPtr(a.UserID), Created: created, AssociatedCrmObjects: jsonDoc(a.AssociatedCrmObjects), Raw: rawJSON(a.Raw, a)})
	}
	return out
}
