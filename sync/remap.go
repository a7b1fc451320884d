package sync

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// remapBatch is how many records one remap transaction rewrites.
const remapBatch = 100

// Remapped counts the records whose rows Remap derived again, by table.
type Remapped struct {
	Calls, Users, Trackers int
}

// Remap derives again, from the raw documents already stored, the rows of every call,
// user and tracker definition that an older mapping (a lower CallMapping, UserMapping
// or TrackerMapping) produced, so a new table or column fills for the whole history
// without a single request to Gong. It runs in batches, each its own transaction, in
// id order; interrupted, it goes on where it stopped the next time (the records done
// carry the new version). Then it builds the chunks of stored transcripts that have
// none (store.BuildMissingChunks), from the stored sentences.
func (e *Engine) Remap(ctx context.Context) (Remapped, error) {
	var done Remapped
	var err error
	if done.Calls, err = remapStored(ctx, e, callRemap); err != nil {
		return done, err
	}
	if done.Users, err = remapStored(ctx, e, userRemap); err != nil {
		return done, err
	}
	if done.Trackers, err = remapStored(ctx, e, trackerRemap); err != nil {
		return done, err
	}
	n, err := e.st.BuildMissingChunks(ctx, remapBatch)
	if n > 0 {
		e.log.Info().Int("calls", n).Msg("chunks built for stored transcripts that had none (no requests to Gong)")
	}
	return done, err
}

// remapping is what Remap needs to know of one entity table: which it is, the
// current mapping's version, how a stored raw document becomes a row (false when it
// no longer decodes as one), and how rows are written back.
type remapping[R any] struct {
	kind    store.MappedKind
	version int32
	row     func(raw []byte) (R, bool)
	write   func(tx *store.Tx, ctx context.Context, rows []R) ([]string, error)
}

var callRemap = remapping[store.Call]{kind: store.MappedCalls, version: CallMapping, write: (*store.Tx).RemapCalls,
	row: func(raw []byte) (store.Call, bool) {
		var c gongapi.Call
		if json.Unmarshal(raw, &c) != nil || c.Problem() != "" {
			return store.Call{}, false
		}
		return CallRow(&c), true
	}}

var userRemap = remapping[store.User]{kind: store.MappedUsers, version: UserMapping, write: (*store.Tx).RemapUsers,
	row: func(raw []byte) (store.User, bool) {
		var u gongapi.User
		if json.Unmarshal(raw, &u) != nil || u.ID == "" {
			return store.User{}, false
		}
		return userRow(&u), true
	}}

var trackerRemap = remapping[store.Tracker]{kind: store.MappedTrackers, version: TrackerMapping, write: (*store.Tx).RemapTrackers,
	row: func(raw []byte) (store.Tracker, bool) {
		var t gongapi.KeywordTracker
		if json.Unmarshal(raw, &t) != nil || t.TrackerID == "" {
			return store.Tracker{}, false
		}
		return trackerRow(&t), true
	}}

// remapStored is Remap for one table: its records of an older mapping derived again
// from raw, batch by batch. It returns the records rewritten.
func remapStored[R any](ctx context.Context, e *Engine, m remapping[R]) (int, error) {
	total := 0
	after := ""
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		stored, err := e.st.MappedBefore(ctx, m.kind, m.version, after, remapBatch)
		if err != nil {
			return total, err
		}
		if len(stored) == 0 {
			return total, nil
		}
		after = stored[len(stored)-1].ID
		rows := make([]R, 0, len(stored))
		for _, s := range stored {
			r, ok := m.row(s.Raw)
			if !ok {
				// Stored raw documents were accepted once; one that no longer decodes
				// keeps the rows it has rather than stopping every later remap.
				e.log.Warn().Str("table", string(m.kind)).Str("id", s.ID).
					Msg("stored raw document does not decode as its record; its rows are left as they are")
				continue
			}
			rows = append(rows, r)
		}
		var done []string
		if err := e.st.Transact(ctx, func(tx *store.Tx) error {
			var err error
			done, err = m.write(tx, ctx, rows)
			return err
		}); err != nil {
			return total, fmt.Errorf("remap %s after %q: %w", m.kind, after, err)
		}
		total += len(done)
	}
}
