package sync

import (
	"context"
	"fmt"
	"math"
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

// Transcripts when Gong has them: a call whose transcript is not ready is asked again
// near the time by which Gong, as measured on the calls gongsync has seen, has most
// transcripts ready (at the median of its processing time after the call's end, then
// at the 90th percentile), and only past those on transcriptRetry's backoff.
const (
	// transcriptDelaysOver is how far back the processing time is measured: recent
	// enough to follow Gong, long enough for a quiet company to have a sample.
	transcriptDelaysOver = 14 * 24 * time.Hour
	// minTranscriptDelaySamples is the fewest calls measured that the retries follow;
	// with fewer, the fixed backoff.
	minTranscriptDelaySamples = 20
	// minTranscriptRetry is the soonest a call is asked again: the measured times are
	// upper bounds (a transcript is found at the attempt after Gong made it).
	minTranscriptRetry = 2 * time.Minute
)

// TranscriptReadiness is Gong's processing time as gongsync measured it over the last
// two weeks: from a call's end, by when half and nine tenths of the transcripts were
// ready. A daemon may use it to poll when transcripts are due.
func (e *Engine) TranscriptReadiness(ctx context.Context) (store.TranscriptDelays, error) {
	return e.st.MeasureTranscriptDelays(ctx, e.now().Add(-transcriptDelaysOver))
}

// NextTranscriptDue is when the transcripts stream next has a call to ask Gong about
// (the zero time: at once; nil: no call waits), so that a daemon can wake for it
// rather than wait for its next tick.
func (e *Engine) NextTranscriptDue(ctx context.Context) (*time.Time, error) {
	return e.st.NextTranscriptDue(ctx)
}

// transcriptRetryAt is when to ask again for a transcript Gong did not have at now.
// With a recheck interval (Options.TranscriptRecheck, set by a freshness target), a
// call still within Gong's processing window (half again the measured 90th
// percentile after its end, or recheckWindow while too few calls are measured) is
// asked again every recheck, so its transcript lands at most about that long after
// Gong has it: a request then holds up to 100 such calls. Otherwise at the call's end
// plus the measured median, or else the 90th percentile, whichever is the first still
// to come; past both (or with too few calls measured, or no end known), on the fixed
// backoff. Never sooner than minTranscriptRetry, never later than the backoff's
// longest wait.
func transcriptRetryAt(now time.Time, p store.PendingTranscript, d store.TranscriptDelays, recheck time.Duration) time.Time {
	measured := d.Calls >= minTranscriptDelaySamples
	if recheck > 0 && p.Ended != nil {
		window := recheckWindow
		if measured {
			window = d.P90 + d.P90/2
		}
		if now.Before(p.Ended.Add(window)) {
			return now.Add(max(recheck, minTranscriptRetry))
		}
	}
	if measured && p.Ended != nil {
		for _, q := range []time.Duration{d.P50, d.P90} {
			if at := p.Ended.Add(q); at.After(now) {
				wait := min(max(at.Sub(now), minTranscriptRetry), transcriptRetry(math.MaxInt))
				return now.Add(wait)
			}
		}
	}
	return now.Add(transcriptRetry(p.Attempts))
}

// recheckWindow is how long after a call's end its transcript is asked for every
// recheck while too few calls are measured to know Gong's processing time.
const recheckWindow = 3 * time.Hour

// syncTranscripts is a run of the transcripts stream: every transcript due, then the
// backlog's gauge.
func (e *Engine) syncTranscripts(ctx context.Context, r *run) error {
	defer e.observeTranscriptBacklog(ctx)
	return e.fetchDueTranscripts(ctx, r, false)
}

// fetchDueTranscripts fetches transcripts for calls that have none yet on the page
// loop, in batches of up to 100 call ids. With fullBatchesOnly it leaves a last
// partial batch for later (a backfill fills batches as its windows go by, so that C
// calls cost ⌈C/100⌉ requests).
func (e *Engine) fetchDueTranscripts(ctx context.Context, r *run, fullBatchesOnly bool) error {
	now := e.now()
	if err := e.giveUpOnTranscripts(ctx, now); err != nil {
		return err
	}
	return e.readPages(ctx, r, &transcriptsRead{e: e, now: now, fullBatchesOnly: fullBatchesOnly})
}

// transcriptsRead is the transcripts due as the page loop reads them: a page is a
// batch of pending calls, asked for in one request. The pending calls are its plan,
// kept in the transcripts' table rather than in a checkpoint.
type transcriptsRead struct {
	noAfterPage
	e               *Engine
	now             time.Time
	fullBatchesOnly bool
	drained         bool // no batch is left to ask for
}

func (t *transcriptsRead) more() bool { return !t.drained }

func (t *transcriptsRead) page(ctx context.Context, r *run) (pageFinds, bool, error) {
	batch := t.e.opt.TranscriptBatch
	pending, err := t.e.st.PendingTranscripts(ctx, t.now, batch)
	if err != nil {
		return pageFinds{}, false, err
	}
	if len(pending) == 0 || (t.fullBatchesOnly && len(pending) < batch) {
		t.drained = true
		return pageFinds{}, false, nil
	}
	found, err := t.e.transcriptBatch(ctx, r, pending, t.now)
	return found, err == nil, err
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
func (e *Engine) transcriptBatch(ctx context.Context, r *run, pending []store.PendingTranscript, now time.Time) (pageFinds, error) {
	b, err := e.fetchTranscripts(ctx, r, pending, now)
	if err != nil {
		return pageFinds{}, err
	}
	found, err := e.commitTranscripts(ctx, b)
	if err != nil {
		return pageFinds{}, err
	}
	return found, nil
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
		quarantine = append(quarantine, quarantineOf(e, StreamTranscripts, page, ""))
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
	// Calls without a transcript yet are deferred, each by its own end and attempt
	// count, following Gong's measured processing time.
	var delays *store.TranscriptDelays
	for id, p := range asked {
		if _, ok := got[id]; !ok {
			if delays == nil {
				d, err := e.TranscriptReadiness(ctx)
				if err != nil {
					return nil, err
				}
				delays = &d
			}
			at := transcriptRetryAt(now, p, *delays, e.opt.TranscriptRecheck)
			b.deferred[at] = append(b.deferred[at], id)
		}
	}
	return b, nil
}

// commitTranscripts writes a batch: the sentences, then the deferrals and the
// quarantine of the transcripts gongsync cannot use (their calls deferred like those
// Gong sent nothing for). It returns what the batch found.
func (e *Engine) commitTranscripts(ctx context.Context, b *transcriptAnswer) (pageFinds, error) {
	var sentences int
	var err error
	// The sentences go in over concurrent transactions: indexing them for full-text
	// search is most of a backfill's database time, and one transaction keeps one
	// server core busy while the other idles. Each transaction is atomic for its calls
	// (a call's sentences and its transcript status always agree); should the process
	// die between them, or before the deferrals below, the calls not yet marked are
	// still pending and are asked for again: one request, as after any crash.
	if len(b.rows) > 0 {
		if sentences, err = e.st.SaveTranscripts(ctx, b.rows, store.DefaultTranscriptWriters); err != nil {
			return pageFinds{}, fmt.Errorf("commit transcripts: %w", err)
		}
	}
	err = e.st.Transact(ctx, func(tx *store.Tx) error {
		for _, q := range b.quarantine {
			if err := q.write(ctx, tx); err != nil { // the pages' rejected records (quarantine.go)
				return err
			}
		}
		seen := make([]string, len(b.rows))
		for i, t := range b.rows {
			seen[i] = t.CallID
		}
		if err := tx.MarkTranscriptsSeen(ctx, seen, b.now); err != nil {
			return err
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
		return pageFinds{}, fmt.Errorf("commit transcript deferrals: %w", err)
	}
	f := pageFinds{records: len(b.rows), sentences: sentences, metric: metricTranscripts, quarantined: b.quarantine}
	if e.m != nil && len(b.rows) > 0 {
		ids := make([]string, len(b.rows))
		for i := range b.rows {
			ids[i] = b.rows[i].CallID
		}
		// The lag is a metric: a failure to read the calls' ends costs its samples, not
		// the batch, already committed.
		if f.ends, err = e.st.CallEnds(ctx, ids); err != nil {
			e.log.Warn().Err(err).Msg("transcript lag not measured")
		}
	}
	return f, nil
}

// TranscriptRow flattens a transcript's monologues into numbered sentences.
func TranscriptRow(t *gongapi.CallTranscript) store.Transcript {
	n := 0
	for _, m := range t.Transcript {
		n += len(m.Sentences)
	}
	out := store.Transcript{CallID: clean(string(t.CallID)), Sentences: make([]store.Sentence, 0, n)}
	for mi, m := range t.Transcript {
		speaker, topic := idPtr(m.SpeakerID), cleanPtr(m.Topic)
		for _, s := range m.Sentences {
			out.Sentences = append(out.Sentences, store.Sentence{
				SentenceIndex:  int32(len(out.Sentences)),
				MonologueIndex: int32(mi),
				SpeakerID:      speaker,
				Topic:          topic,
				StartMs:        s.Start,
				EndMs:          s.End,
				Text:           clean(s.Text),
			})
		}
	}
	return out
}
