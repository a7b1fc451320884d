package sync

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// remapBatch is how many calls one remap transaction rewrites.
const remapBatch = 100

// Remap derives again, from the raw documents already stored, the rows of every call
// that an older mapping (a lower CallMapping) produced, so a new table or column fills
// for the whole history without a single request to Gong. It runs in batches, each
// its own transaction, in id order; interrupted, it goes on where it stopped the next
// time (the calls done carry the new version). Then it builds the chunks of stored
// transcripts that have none (store.BuildMissingChunks), from the stored sentences. It
// returns the calls rewritten.
func (e *Engine) Remap(ctx context.Context) (int, error) {
	total, err := e.remapCalls(ctx)
	if err != nil {
		return total, err
	}
	n, err := e.st.BuildMissingChunks(ctx, remapBatch)
	if n > 0 {
		e.log.Info().Int("calls", n).Msg("chunks built for stored transcripts that had none (no requests to Gong)")
	}
	return total, err
}

// remapCalls is Remap's first part: the calls' rows derived again from raw.
func (e *Engine) remapCalls(ctx context.Context) (int, error) {
	total := 0
	after := ""
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		stored, err := e.st.CallsMappedBefore(ctx, CallMapping, after, remapBatch)
		if err != nil {
			return total, err
		}
		if len(stored) == 0 {
			return total, nil
		}
		after = stored[len(stored)-1].ID
		rows := make([]store.Call, 0, len(stored))
		for _, s := range stored {
			var c gongapi.Call
			if err := json.Unmarshal(s.Raw, &c); err != nil || c.Problem() != "" {
				// Stored raw documents were accepted once; one that no longer decodes
				// keeps the rows it has rather than stopping every later remap.
				e.log.Warn().Str("call_id", s.ID).Msg("stored raw call does not decode as a call; its rows are left as they are")
				continue
			}
			rows = append(rows, CallRow(&c))
		}
		var done []string
		if err := e.st.Transact(ctx, func(tx *store.Tx) error {
			var err error
			done, err = tx.RemapCalls(ctx, rows)
			return err
		}); err != nil {
			return total, fmt.Errorf("remap calls after %q: %w", after, err)
		}
		total += len(done)
	}
}
