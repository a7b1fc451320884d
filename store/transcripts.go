package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// PendingTranscript is a call whose transcript is still to be fetched.
type PendingTranscript struct {
	CallID   string
	Started  *time.Time
	Attempts int
	// Ended is when the call ended (nil when its start or duration is unknown): Gong
	// processes its recording from then.
	Ended *time.Time
}

// PendingTranscripts returns up to limit calls, oldest started first, whose
// transcript is due at now: the due part of the transcripts_waiting view.
func (s *Store) PendingTranscripts(ctx context.Context, now time.Time, limit int) ([]PendingTranscript, error) {
	rows, err := s.pool.Query(ctx, `SELECT call_id, started, attempts, ended FROM transcripts_waiting
		WHERE due_at <= $1 ORDER BY started NULLS LAST, call_id LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("list pending transcripts: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PendingTranscript])
	if err != nil {
		return nil, fmt.Errorf("list pending transcripts: %w", err)
	}
	return out, nil
}

// TranscriptQueue is how many calls wait for a transcript, and how many of those are
// due (PendingTranscripts would return them).
type TranscriptQueue struct {
	Waiting int `json:"waiting"`
	DueNow  int `json:"due_now"`
}

// CountTranscriptsWaiting counts the transcripts_waiting view, and its due part at now.
func (s *Store) CountTranscriptsWaiting(ctx context.Context, now time.Time) (TranscriptQueue, error) {
	var q TranscriptQueue
	if err := s.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE due_at <= $1) FROM transcripts_waiting`, now).
		Scan(&q.Waiting, &q.DueNow); err != nil {
		return q, fmt.Errorf("count transcripts waiting: %w", err)
	}
	return q, nil
}

// WriteTranscripts stores whole transcripts: each call's stored sentences are replaced
// by the given ones (sentences with the same index collapse to the last), with the
// turns and chunks derived from them (deriveTurnsAndChunks), and the call's transcript
// becomes available. A transcript for a call that is not in calls
// fails the batch with an error naming it. It returns the number of sentences written.
func (tx *Tx) WriteTranscripts(ctx context.Context, ts []Transcript) (sentences int, err error) {
	batch := dedupe(ts, func(t *Transcript) string { return t.CallID })
	if len(batch) == 0 {
		return 0, nil
	}
	ids := make([]string, len(batch))
	for i, t := range batch {
		ids[i] = t.CallID
	}
	// Lock the calls in id order (concurrent writers cannot deadlock), learn which
	// exist, and drop their old sentences, in one round trip.
	var found []string
	err = tx.tx.SendBatch(ctx, byKeys(func(b *pgx.Batch) {
		b.Queue(`UPDATE calls SET transcript_status = 'available', transcript_fetched_at = now(),
				transcript_next_attempt_at = NULL
			WHERE id IN (SELECT id FROM calls WHERE id = ANY($1) ORDER BY id FOR UPDATE)
			RETURNING id`, slices.Sorted(slices.Values(ids))).Query(func(rows pgx.Rows) error {
			var err error
			found, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		b.Queue("DELETE FROM transcript_sentences WHERE call_id = ANY($1)", ids)
	})).Close()
	if err != nil {
		return 0, fmt.Errorf("write transcripts: mark calls and drop old sentences: %w", err)
	}
	if len(found) != len(ids) {
		have := make(map[string]bool, len(found))
		for _, id := range found {
			have[id] = true
		}
		for _, id := range ids {
			if !have[id] {
				return 0, fmt.Errorf("write transcripts: call %q is not in calls", id)
			}
		}
	}
	// The old sentences are gone (above): the new ones go straight in.
	sentences, err = writeChildren(ctx, tx.tx, "transcript of call", []childTable[Transcript]{sentenceRows}, batch,
		func(t *Transcript) string { return t.CallID }, false)
	if err != nil {
		return 0, fmt.Errorf("write transcripts: %w", err)
	}
	if err := tx.deriveFrom(ctx, ids, batch); err != nil {
		return 0, fmt.Errorf("write transcripts: %w", err)
	}
	return sentences, nil
}

// NextTranscriptDue is the earliest time a call waiting for its transcript is due
// (PendingTranscripts returns it from then): nil when none waits. A call never asked
// for is due at once, which reads as the zero time.
func (s *Store) NextTranscriptDue(ctx context.Context) (*time.Time, error) {
	var (
		waiting int
		now     *bool
		due     *time.Time
	)
	if err := s.pool.QueryRow(ctx, `SELECT count(*), bool_or(due_at = '-infinity'),
			min(due_at) FILTER (WHERE due_at <> '-infinity') FROM transcripts_waiting`).Scan(&waiting, &now, &due); err != nil {
		return nil, fmt.Errorf("read the next transcript due: %w", err)
	}
	switch {
	case waiting == 0:
		return nil, nil
	case now != nil && *now:
		return &time.Time{}, nil
	}
	return due, nil
}

// TranscriptDelays is Gong's measured processing time: over the calls whose
// transcript gongsync first found since a time, after asking at least once too early
// (a call asked for only when its transcript was long ready, as in a backfill, says
// nothing of it), the time from the call's end to that find.
type TranscriptDelays struct {
	Calls    int           // the calls measured
	P50, P90 time.Duration // by then, half and nine tenths of them had their transcript
}

// MeasureTranscriptDelays reads TranscriptDelays over the transcripts first found
// since since.
func (s *Store) MeasureTranscriptDelays(ctx context.Context, since time.Time) (TranscriptDelays, error) {
	var d TranscriptDelays
	var p50, p90 *float64
	err := s.pool.QueryRow(ctx, `WITH d AS (
			SELECT extract(epoch FROM transcript_first_seen_at - (started + duration_seconds * interval '1 second')) AS s
			FROM calls
			WHERE transcript_first_seen_at >= $1 AND transcript_attempts > 0 AND started IS NOT NULL AND duration_seconds IS NOT NULL)
		SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY s), percentile_cont(0.9) WITHIN GROUP (ORDER BY s)
		FROM d WHERE s >= 0`, since).Scan(&d.Calls, &p50, &p90)
	if err != nil {
		return d, fmt.Errorf("measure transcript delays: %w", err)
	}
	if p50 != nil && p90 != nil {
		d.P50, d.P90 = time.Duration(*p50*float64(time.Second)), time.Duration(*p90*float64(time.Second))
	}
	return d, nil
}

// MarkTranscriptsSeen records that the calls' transcripts were found at Gong at at,
// for those found for the first time (transcript_first_seen_at).
func (tx *Tx) MarkTranscriptsSeen(ctx context.Context, callIDs []string, at time.Time) error {
	if len(callIDs) == 0 {
		return nil
	}
	err := tx.tx.SendBatch(ctx, byKeys(func(b *pgx.Batch) {
		b.Queue(`UPDATE calls SET transcript_first_seen_at = $2
			WHERE id IN (SELECT id FROM calls WHERE id = ANY($1) AND transcript_first_seen_at IS NULL ORDER BY id FOR UPDATE)`,
			slices.Sorted(slices.Values(callIDs)), at)
	})).Close()
	if err != nil {
		return fmt.Errorf("mark transcripts seen: %w", err)
	}
	return nil
}

// DeferTranscripts records a failed or empty fetch of the calls' transcripts: one more
// attempt counted, and none before nextAttempt.
func (tx *Tx) DeferTranscripts(ctx context.Context, callIDs []string, nextAttempt time.Time) error {
	if len(callIDs) == 0 {
		return nil
	}
	err := tx.tx.SendBatch(ctx, byKeys(func(b *pgx.Batch) {
		b.Queue(`UPDATE calls SET transcript_attempts = transcript_attempts + 1,
			transcript_next_attempt_at = $2
			WHERE id IN (SELECT id FROM calls WHERE id = ANY($1) ORDER BY id FOR UPDATE)`,
			slices.Sorted(slices.Values(callIDs)), nextAttempt)
	})).Close()
	if err != nil {
		return fmt.Errorf("defer transcripts: %w", err)
	}
	return nil
}

// MarkTranscriptsUnavailable gives up on the pending transcripts of calls started
// before startedBefore that Gong was asked for at least once and had none, so they
// leave the queue. Calls never asked for (a backfill's old calls) stay pending until
// their first request. It returns how many calls it marked.
func (tx *Tx) MarkTranscriptsUnavailable(ctx context.Context, startedBefore time.Time) (int, error) {
	tag, err := tx.tx.Exec(ctx, `UPDATE calls SET transcript_status = 'unavailable', transcript_next_attempt_at = NULL
		WHERE transcript_status = 'pending' AND deleted_at IS NULL AND transcript_attempts > 0
		  AND started < $1`, startedBefore)
	if err != nil {
		return 0, fmt.Errorf("mark transcripts unavailable: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// RequeueUnavailableTranscripts puts back in the queue, as if never asked for, the live
// calls started in [from, to) whose transcript Gong did not have when asked: Gong may
// have made one since. The sweep does this for each slice it reads, so such a call is
// asked again once per sweep period, not never. It returns how many calls it requeued.
func (tx *Tx) RequeueUnavailableTranscripts(ctx context.Context, from, to time.Time) (int, error) {
	tag, err := tx.tx.Exec(ctx, `UPDATE calls SET transcript_status = 'pending', transcript_attempts = 0,
			transcript_next_attempt_at = NULL
		WHERE transcript_status = 'unavailable' AND deleted_at IS NULL AND started >= $1 AND started < $2`, from, to)
	if err != nil {
		return 0, fmt.Errorf("requeue unavailable transcripts: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// DefaultTranscriptWriters is how many transactions SaveTranscripts runs at once when
// not told.
const DefaultTranscriptWriters = 2

// SaveTranscripts writes transcripts like WriteTranscripts, but split by call over
// up to writers concurrent transactions. Indexing a sentence for full-text search
// costs Postgres several times what storing it does, and one transaction runs on one
// server core; transcripts of different calls are independent, so spreading them
// over connections multiplies the rate by the cores the server can give.
//
// Each transaction is atomic for its calls (sentences and transcript status always
// agree), but the batch as a whole is not: on error, the calls of the other
// transactions may be saved. The calls not saved stay pending, to be fetched again.
// It returns the sentences saved and every error, joined.
func (s *Store) SaveTranscripts(ctx context.Context, ts []Transcript, writers int) (int, error) {
	batch := dedupe(ts, func(t *Transcript) string { return t.CallID })
	if writers <= 0 {
		writers = DefaultTranscriptWriters
	}
	writers = min(writers, len(batch), int(s.pool.Config().MaxConns)-1)
	if writers <= 1 {
		var n int
		err := s.Transact(ctx, func(tx *Tx) error {
			var err error
			n, err = tx.WriteTranscripts(ctx, derefAll(batch))
			return err
		})
		if err != nil {
			return 0, err
		}
		return n, nil
	}
	// Deal the transcripts, longest first, to the writer with the fewest sentences.
	slices.SortStableFunc(batch, func(a, b *Transcript) int { return len(b.Sentences) - len(a.Sentences) })
	shares := make([][]Transcript, writers)
	load := make([]int, writers)
	for _, t := range batch {
		w := 0
		for i := range load {
			if load[i] < load[w] {
				w = i
			}
		}
		shares[w] = append(shares[w], *t)
		load[w] += len(t.Sentences)
	}
	var (
		wg    sync.WaitGroup
		saved = make([]int, writers)
		errs  = make([]error, writers)
	)
	for w := range shares {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = s.Transact(ctx, func(tx *Tx) error {
				var err error
				saved[w], err = tx.WriteTranscripts(ctx, shares[w])
				return err
			})
			if errs[w] != nil {
				saved[w] = 0
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range saved {
		total += n
	}
	return total, errors.Join(errs...)
}

func derefAll[T any](ps []*T) []T {
	out := make([]T, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}
