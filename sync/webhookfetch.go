package sync

import (
	"context"
	"slices"
	gosync "sync"
	"time"
)

// StreamWebhook names the runs that fetch the calls webhooks announced, in sync_runs.
// Its lock is its own: like a refresh, it writes calls and transcripts row by row
// under their row locks and waits for no stream.
const StreamWebhook = "webhook"

// DefaultWebhookBatch is how long the first call a webhook announces waits for others
// to share its requests (GONGSYNC_WEBHOOK_BATCH): Gong fires a rule's webhooks call by
// call, often several at once when meetings end on the hour.
const DefaultWebhookBatch = 3 * time.Second

// maxFetchBatch is the most call ids one request of calls/extensive or
// calls/transcript takes.
const maxFetchBatch = 100

// FetchCalls fetches the calls now by id, with their transcripts when Gong has them,
// as the calls.refresh action does (refreshCalls): a run of the webhook stream, of
// kind webhook, its requests counted in the ledger and paced like every other, in
// batches of up to 100 ids. No checkpoint moves: the polling sync stays the source of
// truth. A transcript Gong does not have yet is deferred as the transcripts stream
// defers it. The daemon may call it for any calls it wants fresh at once.
func (e *Engine) FetchCalls(ctx context.Context, ids []string) []*RunReport {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var reps []*RunReport
	for batch := range slices.Chunk(ids, maxFetchBatch) {
		res := &refreshResult{Asked: len(batch)}
		def := &streamDef{name: StreamWebhook, lock: StreamWebhook, kind: KindWebhook,
			work: func(e *Engine, ctx context.Context, r *run) error { return e.refreshCalls(ctx, r, batch, res) }}
		rep := e.runStream(ctx, def, KindWebhook, true, true)
		if rep.Err == nil {
			e.log.Info().Str("stream", StreamWebhook).Int("asked", res.Asked).Int("found", res.Found).
				Int("transcripts", res.Transcripts).Strs("not_found", res.NotFound).Msg("announced calls fetched")
		}
		reps = append(reps, rep)
		if rep.Err != nil && ctx.Err() != nil {
			break
		}
	}
	return reps
}

// CallBatcher gathers the ids of calls that webhooks announce and fetches them
// (Engine.FetchCalls) once the first of a batch has waited its window, so that calls
// announced together cost one request of each endpoint rather than one each. Run
// does the fetching; Announce is safe from any goroutine.
type CallBatcher struct {
	e       *Engine
	window  time.Duration
	after   func(time.Duration) <-chan time.Time
	fetched func(ids []string, reps []*RunReport)

	mu      gosync.Mutex
	pending []string
	kick    chan struct{} // holds a token while ids are pending
}

// BatcherOptions configure a CallBatcher.
type BatcherOptions struct {
	// Window is how long the first announced call of a batch waits for others; zero
	// fetches each batch as soon as Run sees it.
	Window time.Duration
	// After ends a window; default time.After. Tests end windows when they choose.
	After func(time.Duration) <-chan time.Time
	// Fetched, when set, hears of every batch fetched, after its rows are committed.
	Fetched func(ids []string, reps []*RunReport)
}

// NewCallBatcher makes a batcher that fetches through the engine.
func (e *Engine) NewCallBatcher(o BatcherOptions) *CallBatcher {
	if o.After == nil {
		o.After = time.After
	}
	return &CallBatcher{e: e, window: o.Window, after: o.After, fetched: o.Fetched, kick: make(chan struct{}, 1)}
}

// Announce queues a call for the next batch.
func (b *CallBatcher) Announce(id string) {
	b.mu.Lock()
	b.pending = append(b.pending, id)
	b.mu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default: // a batch is already waiting
	}
}

// Run fetches batches until ctx ends: it waits for an announced call, then for the
// window, then fetches every call announced meanwhile. Calls announced while a batch
// is being fetched make the next batch.
func (b *CallBatcher) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-b.kick:
		}
		if b.window > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-b.after(b.window):
			}
		}
		b.mu.Lock()
		ids := b.pending
		b.pending = nil
		b.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		reps := b.e.FetchCalls(ctx, ids)
		if b.fetched != nil {
			b.fetched(ids, reps)
		}
	}
}
