package sync

import (
	"context"
	"math"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// The call outcome definitions: a whole set Gong answers in one request, refreshed
// once a day (a full refresh: what a complete read no longer finds is marked deleted).

// callOutcomesSet is the call outcome definitions: a whole set, in one request (GET
// /v2/call-outcomes).
var callOutcomesSet = &wholeSet[gongapi.CallOutcome, store.CallOutcome]{stream: StreamCallOutcomes, what: "call outcomes",
	fetch: (*gongapi.Client).CallOutcomes, rows: CallOutcomeRows,
	upsert: (*store.Tx).UpsertCallOutcomes, markMissing: (*store.Tx).MarkCallOutcomesMissing}

// syncCallOutcomes reads every call outcome definition in one request.
func (e *Engine) syncCallOutcomes(ctx context.Context, r *run) error {
	return syncWhole(e, ctx, r, callOutcomesSet)
}

// CallOutcomeRows maps the call outcome definitions, keyed by name: Gong gives them
// no id, and a call's outcome names its definition (content.callOutcome.name). Keying
// by the position (displayOrder) would make every outcome "change" when an
// administrator reorders them; a hash of the name would be the name, less readable.
func CallOutcomeRows(outcomes []gongapi.CallOutcome) []store.CallOutcome {
	out := make([]store.CallOutcome, 0, len(outcomes))
	for _, o := range outcomes {
		name := clean(*o.CallOutcome)
		row := store.CallOutcome{
			ID: name, Outcome: name, Category: textOf(o.Category), ConnectStatus: textOf(o.ConnectStatus),
			Sentiment: textOf(o.Sentiment), Raw: rawJSON(o.Raw, o),
		}
		if o.DisplayOrder != nil {
			if n, err := o.DisplayOrder.Int64(); err == nil && n >= math.MinInt32 && n <= math.MaxInt32 {
				v := int32(n)
				row.DisplayOrder = &v
			}
		}
		out = append(out, row)
	}
	return out
}
