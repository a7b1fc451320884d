package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/catalog"
	"github.com/gongsync/gongsync/store"
)

// StreamRefresh names the runs of the calls.refresh action in sync_runs. It has a lock
// of its own: a refresh writes calls and transcripts row by row under their row locks,
// like a webhook, and must not wait for a backfill to finish.
const StreamRefresh = "refresh"

// refreshResult is what a refresh did, as its answer says it.
type refreshResult struct {
	Asked     int      `json:"asked"`
	Found     int      `json:"found"`
	Inserted  []string `json:"inserted"`
	Changed   []string `json:"changed"`
	Unchanged int      `json:"unchanged"`
	// NotFound are the ids Gong did not return (unknown, deleted, or not visible to the
	// credentials). Their rows are left as they are: the settle pass decides deletions.
	NotFound []string `json:"notFound"`
	// Erased are calls Gong returned that an erasure keeps out.
	Erased      []string `json:"erased"`
	Transcripts int      `json:"transcripts"`
	Sentences   int      `json:"sentences"`
	Requests    int      `json:"requests"`
}

// runCallsRefresh is the calls.refresh action: fetch the calls now, with one request
// of calls/extensive and one of calls/transcript, and store them through the calls
// stream's normalization and upsert. It is a run in sync_runs; no checkpoint moves.
func runCallsRefresh(ctx context.Context, e *Engine, x *actionExec, in catalog.Input) (json.RawMessage, error) {
	var ids []string
	for _, v := range in["callIds"].([]any) { // the catalog checked: an array of strings
		ids = append(ids, v.(string))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	res := &refreshResult{Asked: len(ids)}
	// A run of its own stream, with its own lock; not refusable: a refusal of the
	// scope fails this run only, and is not recorded against a stream the daemon runs.
	def := &streamDef{name: StreamRefresh, lock: StreamRefresh, kind: KindAction,
		work: func(e *Engine, ctx context.Context, r *run) error {
			// Every request of the refresh, the transcripts' included, lists its requestId
			// in the action's record: the run's client reports each attempt that got an
			// answer. The refresh sends one request at a time, so the appends do not race.
			r.gong = r.gong.WithObserver(func(ev gongapi.RequestEvent) {
				if ev.RequestID != "" {
					x.requestIDs = append(x.requestIDs, ev.RequestID)
				}
			})
			return e.refreshCalls(ctx, r, ids, res)
		}}
	rep := e.runStream(ctx, def, KindAction, true, true)
	x.extra += rep.Requests
	res.Requests = rep.Requests
	if rep.Err != nil {
		return nil, rep.Err
	}
	for _, s := range []*[]string{&res.Inserted, &res.Changed, &res.NotFound, &res.Erased} {
		*s = nonNil(*s)
	}
	return json.Marshal(res)
}

// refreshCalls is the work of one refresh of up to 100 calls by id (the calls.refresh
// action's, and the webhooks' fetch): one request of calls/extensive, one of
// calls/transcript for the calls stored, no checkpoint moved.
func (e *Engine) refreshCalls(ctx context.Context, r *run, ids []string, res *refreshResult) error {
	gids := make([]gongapi.ID, len(ids))
	for i, id := range ids {
		gids[i] = gongapi.ID(id)
	}
	pctx, done := e.pageContext(ctx)
	defer done()
	var calls []gongapi.Call
	req := gongapi.CallsExtensiveRequest{Filter: gongapi.CallsFilter{CallIDs: gids}, ContentSelector: gongapi.FullContentSelector()}
	for page, err := range r.gong.CallsExtensive(pctx, req) {
		if err != nil {
			return fmt.Errorf("read %d calls: %w", len(ids), err)
		}
		calls = append(calls, page.Items...)
	}
	rows := CallRows(calls)
	var stored []store.Call
	var up store.UpsertResult
	err := e.st.Transact(pctx, func(tx *store.Tx) error {
		var err error
		if stored, err = e.withoutErased(pctx, tx, rows); err != nil {
			return err
		}
		up, err = tx.UpsertCalls(pctx, stored)
		return err
	})
	if err != nil {
		return fmt.Errorf("store %d calls: %w", len(rows), err)
	}
	got := map[string]bool{}
	for _, r := range rows {
		got[r.ID] = true
	}
	for _, id := range ids {
		if !got[id] {
			res.NotFound = append(res.NotFound, id)
		}
	}
	kept := map[string]bool{}
	for _, r := range stored {
		kept[r.ID] = true
	}
	for id := range got {
		if !kept[id] {
			res.Erased = append(res.Erased, id)
		}
	}
	slices.Sort(res.Erased)
	res.Found = len(got)
	res.Inserted, res.Changed = up.Inserted, up.Changed
	res.Unchanged = len(stored) - len(up.Inserted) - len(up.Changed)
	e.tally(ctx, r, pageFinds{records: len(stored), res: up, metric: metricCalls, newest: latestStart(stored, nil)})
	if len(stored) == 0 {
		return nil
	}

	// Their transcripts, in one request, through the transcripts stream's batch.
	pending := make([]store.PendingTranscript, len(stored))
	for i, r := range stored {
		pending[i] = store.PendingTranscript{CallID: r.ID, Started: r.Started, Ended: callEnd(r)}
	}
	found, err := e.transcriptBatch(pctx, r, pending, e.now())
	e.tally(ctx, r, found)
	if err != nil {
		return err
	}
	res.Transcripts, res.Sentences = found.records, found.sentences
	return nil
}

// callEnd is when a call ended: its start plus its duration, nil when either is unknown.
func callEnd(c store.Call) *time.Time {
	if c.Started == nil || c.DurationSeconds == nil {
		return nil
	}
	end := c.Started.Add(time.Duration(*c.DurationSeconds) * time.Second)
	return &end
}
