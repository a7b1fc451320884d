package store

import (
	"context"
	"fmt"
	"time"
)

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

// call_outcomes is an entity table (the shared upsert: content hash, new, changed,
// restored, soft deletion).
var callOutcomeEntity = newEntity[CallOutcome]("call outcome", "call_outcomes")

// UpsertCallOutcomes writes call outcome definitions.
func (tx *Tx) UpsertCallOutcomes(ctx context.Context, outcomes []CallOutcome) (UpsertResult, error) {
	return upsert(ctx, tx, callOutcomeEntity, outcomes)
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
