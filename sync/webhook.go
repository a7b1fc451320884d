package sync

import (
	"context"
	"fmt"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// IngestCall writes one call that arrived outside the polling windows (a webhook that
// gongapi verified and accepted) through the same normalization and upsert as the
// calls stream. Its transcript is left pending, so the next transcript batch fetches
// it. No checkpoint moves: the polling sync stays the source of truth. A call an
// erasure keeps out is not stored (withoutErased).
func (e *Engine) IngestCall(ctx context.Context, call *gongapi.Call) (store.UpsertResult, error) {
	row := CallRow(call)
	var res store.UpsertResult
	err := e.st.Transact(ctx, func(tx *store.Tx) error {
		rows, err := e.withoutErased(ctx, tx, []store.Call{row})
		if err != nil {
			return err
		}
		res, err = tx.UpsertCalls(ctx, rows)
		return err
	})
	if err != nil {
		return res, fmt.Errorf("store webhook call %s: %w", row.ID, err)
	}
	e.m.observeCalls("webhook", 1, res, 0, row.Started)
	return res, nil
}
