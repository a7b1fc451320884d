package sync

import (
	"context"
	"fmt"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// transcriptRetry is how long a call whose transcript Gong does not have yet waits
// before it is asked for again: doubling from 15 minutes up to 12 hours, so that
// calls with no transcript at all do not cost a request on every run while they are
// young (within the settle window), after which they are marked unavailable.
func transcriptRetry(attempts int) time.Duration {
	d := 15 * time.Minute
	for i := 0; i < attempts && d < 12*time.Hour; i++ {
		d *= 2
	}
	return min(d, 12*time.Hour)
}

// syncTranscripts fetches transcripts for calls that have none yet, in batches of up
// to 100 call ids. With fullBatchesOnly it leaves a last partial batch for later (a
// backfill fills batches as its windows go by, so that C calls cost ⌈C/100⌉ requests).
func (e *Engine) syncTranscripts(ctx context.Context, rep *RunReport, fullBatchesOnly bool) error {
	now := e.now()
	// Calls that waited through the whole settle window will not get a transcript.
	var gaveUp int
	if err := e.st.Transact(ctx, func(tx *store.Tx) error {
		var err error
		gaveUp, err = tx.MarkTranscriptsUnavailable(ctx, now.Add(-e.opt.SettleWindow))
		return err
	}); err != nil {
		return err
	}
	if gaveUp > 0 {
		e.log.Info().Str("stream", StreamTranscripts).Int("calls", gaveUp).Msg("calls older than the settle window still without a transcript marked unavailable")
	}
	batch := e.opt.TranscriptBatch
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		pending, err := e.st.PendingTranscripts(ctx, now, batch)
		if err != nil {
			return err
		}
		if len(pending) == 0 || (fullBatchesOnly && len(pending) < batch) {
			return nil
		}
		if err := e.transcriptBatch(ctx, pending, now, rep); err != nil {
			return err
		}
	}
}

// transcriptBatch asks Gong for one batch of transcripts and commits what came back,
// deferring the calls Gong has no transcript for yet.
func (e *Engine) transcriptBatch(ctx context.Context, pending []store.PendingTranscript, now time.Time, rep *RunReport) error {
	ids := make([]gongapi.ID, len(pending))
	asked := make(map[string]store.PendingTranscript, len(pending))
	for i, p := range pending {
		ids[i] = gongapi.ID(p.CallID)
		asked[p.CallID] = p
	}
	pctx, done := e.pageContext(ctx)
	defer done()

	got := make(map[string]store.Transcript, len(pending))
	var unasked []string
	for page, err := range e.gong.Transcripts(pctx, gongapi.TranscriptRequest{Filter: gongapi.CallsFilter{CallIDs: ids}}) {
		if err != nil {
			return fmt.Errorf("read transcripts of %d calls: %w", len(ids), err)
		}
		for i := range page.Items {
			t := TranscriptRow(&page.Items[i])
			if _, ok := asked[t.CallID]; !ok {
				// Gong answered for a call we did not ask about; storing it would need a
				// call row we may not have.
				unasked = append(unasked, t.CallID)
				continue
			}
			got[t.CallID] = t
		}
	}
	if len(unasked) > 0 {
		e.log.Warn().Str("stream", StreamTranscripts).Strs("call_ids", unasked).Msg("Gong sent transcripts for calls not asked for; ignored")
	}

	rows := make([]store.Transcript, 0, len(got))
	for _, t := range got {
		rows = append(rows, t)
	}
	// Calls without a transcript yet are deferred, each by its own attempt count.
	deferred := map[time.Time][]string{}
	for id, p := range asked {
		if _, ok := got[id]; !ok {
			at := now.Add(transcriptRetry(p.Attempts))
			deferred[at] = append(deferred[at], id)
		}
	}
	// The sentences go in over concurrent transactions: indexing them for full-text
	// search is most of a backfill's database time, and one transaction keeps one
	// server core busy while the other idles. Each transaction is atomic for its calls
	// (a call's sentences and its transcript status always agree); should the process
	// die between them, or before the deferrals below, the calls not yet marked are
	// still pending and are asked for again: one request, as after any crash.
	var sentences int
	if len(rows) > 0 {
		var err error
		if sentences, err = e.st.SaveTranscripts(pctx, rows, store.DefaultTranscriptWriters); err != nil {
			return fmt.Errorf("commit transcripts: %w", err)
		}
	}
	err := e.st.Transact(pctx, func(tx *store.Tx) error {
		for at, ids := range deferred {
			if err := tx.DeferTranscripts(pctx, ids, at); err != nil {
				return err
			}
		}
		// Calls older than the settle window that Gong just said it has no transcript
		// for will not get one: give up on them now rather than on some later run, so
		// the outcome does not depend on how runs happen to be cut.
		_, err := tx.MarkTranscriptsUnavailable(pctx, now.Add(-e.opt.SettleWindow))
		return err
	})
	if err != nil {
		return fmt.Errorf("commit transcript deferrals: %w", err)
	}
	rep.Records += len(rows)
	rep.Sentences += sentences
	e.m.observeTranscripts(len(rows), sentences)
	return nil
}
