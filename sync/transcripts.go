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

// syncTranscripts is a run of the transcripts stream: every transcript due, then the
// backlog's gauge.
func (e *Engine) syncTranscripts(ctx context.Context, r *run) error {
	defer e.observeTranscriptBacklog(ctx)
	return e.fetchDueTranscripts(ctx, r, false)
}

// fetchDueTranscripts fetches transcripts for calls that have none yet, in batches of
// up to 100 call ids. With fullBatchesOnly it leaves a last partial batch for later (a
// backfill fills batches as its windows go by, so that C calls cost ⌈C/100⌉ requests).
func (e *Engine) fetchDueTranscripts(ctx context.Context, r *run, fullBatchesOnly bool) error {
	now := e.now()
	if err := e.giveUpOnTranscripts(ctx, now); err != nil {
		return err
	}
	batch := e.opt.TranscriptBatch
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := e.runFull(r); err != nil {
			return err
		}
		pending, err := e.st.PendingTranscripts(ctx, now, batch)
		if err != nil {
			return err
		}
		if len(pending) == 0 || (fullBatchesOnly && len(pending) < batch) {
			return nil
		}
		if err := e.transcriptBatch(ctx, r, pending, now); err != nil {
			return err
		}
	}
}

// giveUpOnTranscripts marks unavailable the calls that waited through the whole
// settle window for a transcript: they will not get one.
func (e *Engine) giveUpOnTranscripts(ctx context.Context, now time.Time) error {
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
	return nil
}

// transcriptBatch asks Gong for one batch of transcripts (the pending calls are its
// plan) and commits what came back, deferring the calls Gong has no transcript for yet.
func (e *Engine) transcriptBatch(ctx context.Context, r *run, pending []store.PendingTranscript, now time.Time) error {
	pctx, done := e.pageContext(ctx)
	defer done()
	b, err := e.fetchTranscripts(pctx, r, pending, now)
	if err != nil {
		return err
	}
	records, sentences, err := e.commitTranscripts(pctx, b)
	if err != nil {
		return err
	}
	e.countTranscripts(r, records, sentences)
	return nil
}

// countTranscripts adds a committed batch to the run's report and the metrics.
func (e *Engine) countTranscripts(r *run, records, sentences int) {
	r.Records += records
	r.Sentences += sentences
	e.m.observeTranscripts(records, sentences)
}

// transcriptAnswer is one batch of transcripts as Gong sent it, ready to commit: the
// rows, and the calls Gong has no transcript for yet, by when to ask again.
type transcriptAnswer struct {
	now      time.Time
	rows     []store.Transcript
	deferred map[time.Time][]string
	// quarantine holds the pages' rejected transcripts (quarantine.go); their calls
	// are deferred like those Gong sent nothing for.
	quarantine []*pageQuarantine
}

// fetchTranscripts asks Gong for the transcripts of pending calls (one request for
// up to 100 calls, on the run's account) and maps the answer to rows.
func (e *Engine) fetchTranscripts(ctx context.Context, r *run, pending []store.PendingTranscript, now time.Time) (*transcriptAnswer, error) {
	ids := make([]gongapi.ID, len(pending))
	asked := make(map[string]store.PendingTranscript, len(pending))
	for i, p := range pending {
		ids[i] = gongapi.ID(p.CallID)
		asked[p.CallID] = p
	}
	got := make(map[string]store.Transcript, len(pending))
	var unasked []string
	var quarantine []*pageQuarantine
	for page, err := range r.gong.Transcripts(ctx, gongapi.TranscriptRequest{Filter: gongapi.CallsFilter{CallIDs: ids}}) {
		if err != nil {
			return nil, fmt.Errorf("read transcripts of %d calls: %w", len(ids), err)
		}
		quarantine = append(quarantine, quarantineOf(StreamTranscripts, page, ""))
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

	b := &transcriptAnswer{now: now, rows: make([]store.Transcript, 0, len(got)), deferred: map[time.Time][]string{}, quarantine: quarantine}
	for _, t := range got {
		b.rows = append(b.rows, t)
	}
	// Calls without a transcript yet are deferred, each by its own attempt count.
	for id, p := range asked {
		if _, ok := got[id]; !ok {
			at := now.Add(transcriptRetry(p.Attempts))
			b.deferred[at] = append(b.deferred[at], id)
		}
	}
	return b, nil
}

// commitTranscripts writes a batch: the sentences, then the deferrals. It returns the
// transcripts and sentences written.
func (e *Engine) commitTranscripts(ctx context.Context, b *transcriptAnswer) (records, sentences int, err error) {
	// The sentences go in over concurrent transactions: indexing them for full-text
	// search is most of a backfill's database time, and one transaction keeps one
	// server core busy while the other idles. Each transaction is atomic for its calls
	// (a call's sentences and its transcript status always agree); should the process
	// die between them, or before the deferrals below, the calls not yet marked are
	// still pending and are asked for again: one request, as after any crash.
	if len(b.rows) > 0 {
		if sentences, err = e.st.SaveTranscripts(ctx, b.rows, store.DefaultTranscriptWriters); err != nil {
			return 0, 0, fmt.Errorf("commit transcripts: %w", err)
		}
	}
	err = e.st.Transact(ctx, func(tx *store.Tx) error {
		for _, q := range b.quarantine {
			if err := q.write(ctx, tx); err != nil { // the pages' rejected records (quarantine.go)
				return err
			}
		}
		for at, ids := range b.deferred {
			if err := tx.DeferTranscripts(ctx, ids, at); err != nil {
				return err
			}
		}
		// Calls older than the settle window that Gong just said it has no transcript
		// for will not get one: give up on them now rather than on some later run, so
		// the outcome does not depend on how runs happen to be cut.
		_, err := tx.MarkTranscriptsUnavailable(ctx, b.now.Add(-e.opt.SettleWindow))
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("commit transcript deferrals: %w", err)
	}
	for _, q := range b.quarantine {
		e.countQuarantine(nil, q) // a backfill commits on its own goroutine: no run report
	}
	return len(b.rows), sentences, nil
}
