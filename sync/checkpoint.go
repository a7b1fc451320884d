package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gongsync/gongsync/store"
)

// Every stream keeps where it stands in one row of sync_state (store.Checkpoint): a few
// columns a person can read and a JSON document for the rest. Each stream family has
// its own typed checkpoint, loaded and turned into its row in the family's file
// (windowCheckpoint in calls.go, refreshCheckpoint in refresh.go, reviewCheckpoint in
// scorecards.go, datedCheckpoint in activity.go, fanoutCheckpoint in fanout.go);
// this file holds what they share.

// completedWithin says whether the stream completed a run less than d ago and has
// none under way: a pass that names no stream then leaves it alone (Engine.Due).
// Every kind of checkpoint below keeps its last completion in completed_at and a run
// under way in window_from or window_started_at, so this reads them all alike.
func (e *Engine) completedWithin(ctx context.Context, stream string, d time.Duration) (bool, error) {
	row, err := e.st.Checkpoint(ctx, stream)
	if err != nil {
		return false, err
	}
	underWay := row.WindowFrom != nil || row.WindowStartedAt != nil
	return row.CompletedAt != nil && !underWay && e.now().Sub(*row.CompletedAt) < d, nil
}

// decodeState reads a checkpoint row's state document into s; an empty one leaves s
// as it is.
func decodeState(row store.Checkpoint, s any) error {
	if len(row.State) == 0 {
		return nil
	}
	if err := json.Unmarshal(row.State, s); err != nil {
		return fmt.Errorf("checkpoint %s: the state document does not decode: %w", row.Stream, err)
	}
	return nil
}

// encodeState writes a state document; the state types are plain data, so it cannot
// fail.
func encodeState(s any) []byte {
	b, _ := json.Marshal(s)
	return b
}
