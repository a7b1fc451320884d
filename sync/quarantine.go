package sync

import (
	"context"
	"fmt"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// The quarantine: a record of a page that gongsync cannot use (gongapi hands it back
// in Page.Rejected) is kept, byte for byte, in the quarantine table in the same
// transaction that commits the page's other records and the checkpoint after them,
// so the stream moves on instead of failing on that page at every run. A record
// stored fine later (Gong sends it properly again, or RemapQuarantine finds that the
// current decoder takes it) leaves the quarantine in the transaction that stores it.
//
// A page loop hooks in with three calls:
//
//	q := quarantineOf(stream, page, scope)  // after the page is read
//	q.write(ctx, tx)                        // inside the page's commit transaction
//	e.countQuarantine(r, q)                 // after the commit succeeded

// pageQuarantine is what one page's commit does to the quarantine.
type pageQuarantine struct {
	e                *Engine
	stream, endpoint string
	// scope tells apart the same record of different requests where its id alone
	// does not: a user's stats of one range of days are not those of another.
	scope    string
	rejected []gongapi.RejectedRecord
	stored   []string // keys of the page's records that decoded: they leave the quarantine
	released map[string]int
}

// quarantineOf is page's quarantine step for stream. scope is "" for records whose id
// names them whatever was asked (calls, users, reviews), and the request's range for
// records that are per user and range (stats).
func quarantineOf[T any](e *Engine, stream string, page *gongapi.Page[T], scope string) *pageQuarantine {
	q := &pageQuarantine{e: e, stream: stream, endpoint: page.Endpoint, scope: scope, rejected: page.Rejected}
	q.stored = make([]string, 0, len(page.IDs))
	for _, id := range page.IDs {
		if id != "" {
			q.stored = append(q.stored, id+scope)
		}
	}
	return q
}

// write keeps the page's rejected records in quarantine and lets the records it stores
// out of it, in tx, the page's commit transaction. Transact may run its function more
// than once, so write keeps nothing from a rolled-back attempt.
func (q *pageQuarantine) write(ctx context.Context, tx *store.Tx) error {
	if q == nil {
		return nil
	}
	released, err := tx.ReleaseQuarantined(ctx, q.endpoint, q.stored)
	if err != nil {
		return err
	}
	q.released = released
	if len(q.rejected) == 0 {
		return nil
	}
	rejected, err := q.withoutErased(ctx, tx)
	if err != nil {
		return err
	}
	recs := make([]store.QuarantinedRecord, len(rejected))
	for i, rj := range rejected {
		key := ""
		if rj.ID != "" {
			key = rj.ID + q.scope
		}
		recs[i] = store.QuarantinedRecord{Stream: q.stream, Endpoint: q.endpoint, Key: store.QuarantineKey(key, rj.Raw),
			ID: rj.ID, Index: rj.Index, Raw: rj.Raw, Error: rj.Err.Error()}
	}
	return tx.Quarantine(ctx, recs)
}

// withoutErased are the page's rejected records less those an erasure keeps out (an
// erased call's, or any that carries an erased address: privacy.go), read in tx under
// the erasures' lock as a page of calls is: an odd record of an erased call is not
// kept either, whatever shape it has.
func (q *pageQuarantine) withoutErased(ctx context.Context, tx *store.Tx) ([]gongapi.RejectedRecord, error) {
	asCalls := make([]store.Call, len(q.rejected))
	for i, rj := range q.rejected {
		asCalls[i] = store.Call{ID: rj.ID, Raw: rj.Raw}
	}
	kept, err := q.e.withoutErased(ctx, tx, asCalls)
	if err != nil || len(kept) == len(q.rejected) {
		return q.rejected, err
	}
	out := make([]gongapi.RejectedRecord, 0, len(kept))
	for i, j := 0, 0; i < len(q.rejected) && j < len(kept); i++ {
		if q.rejected[i].ID == kept[j].ID && string(q.rejected[i].Raw) == string(kept[j].Raw) {
			out = append(out, q.rejected[i])
			j++
		}
	}
	return out, nil
}

// countQuarantine reports a committed page's quarantine: a warning and a count per
// record quarantined (the metric an alert watches), a note per record let out. r is
// nil where the commit runs apart from its run (a backfill's transcripts).
func (e *Engine) countQuarantine(r *run, q *pageQuarantine) {
	if q == nil {
		return
	}
	log := e.log
	if r != nil {
		log = r.log
		r.Quarantined += len(q.rejected)
	}
	for _, rj := range q.rejected {
		log.Warn().Str("stream", q.stream).Str("endpoint", q.endpoint).Str("record_id", rj.ID).Int("index", rj.Index).
			Err(rj.Err).Msg("a record Gong sent cannot be stored: kept in quarantine, the stream goes on")
	}
	// Counted under the run's stream where there is one, the series its first run
	// created at zero (a backfill's transcripts are the backfill's).
	stream := q.stream
	if r != nil {
		stream = r.Stream
	}
	e.m.observeQuarantined(stream, len(q.rejected))
	for stream, n := range q.released {
		log.Info().Str("stream", stream).Str("endpoint", q.endpoint).Int("records", n).Msg("quarantined records stored fine now: out of quarantine")
	}
}

// quarantineBatch is how many quarantined records RemapQuarantine reads at a time.
const quarantineBatch = 100

// QuarantineReport says what RemapQuarantine did.
type QuarantineReport struct {
	Stored int // records that decode now: stored in their tables, out of quarantine
	Left   int // records still in quarantine
}

// RemapQuarantine tries every quarantined record again with the current decoder and
// mapping (gongapi.DecodeRecord), without a request to Gong: a record that decodes is
// stored in its tables and leaves the quarantine, in one transaction. Records that
// still do not decode stay. Calls, users and answered scorecards are stored this way;
// a transcript or a user's stats needs the request it answered (the call asked about,
// the range of days), so those wait for the stream to read them again.
func (e *Engine) RemapQuarantine(ctx context.Context) (QuarantineReport, error) {
	var rep QuarantineReport
	var after store.QuarantinedRecord
	for {
		recs, err := e.st.QuarantinedRecords(ctx, after, quarantineBatch)
		if err != nil {
			return rep, err
		}
		if len(recs) == 0 {
			return rep, nil
		}
		after = recs[len(recs)-1]
		for _, q := range recs {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			stored, err := e.remapQuarantined(ctx, q)
			if err != nil {
				return rep, err
			}
			if stored {
				rep.Stored++
			} else {
				rep.Left++
			}
		}
	}
}

// remapQuarantined stores one quarantined record if it decodes now, and reports whether
// it did.
func (e *Engine) remapQuarantined(ctx context.Context, q store.QuarantinedRecord) (bool, error) {
	rec, err := gongapi.DecodeRecord(q.Endpoint, q.Raw)
	if err != nil {
		return false, nil // still not a record gongsync can use: it stays
	}
	var upsert func(tx *store.Tx) error
	switch rec := rec.(type) {
	case *gongapi.Call:
		upsert = func(tx *store.Tx) error {
			kept, err := e.withoutErased(ctx, tx, []store.Call{CallRow(rec)})
			if err != nil {
				return err
			}
			_, err = tx.UpsertCalls(ctx, kept)
			return err
		}
	case *gongapi.User:
		upsert = func(tx *store.Tx) error { _, err := tx.UpsertUsers(ctx, UserRows([]gongapi.User{*rec})); return err }
	case *gongapi.AnsweredScorecard:
		upsert = func(tx *store.Tx) error {
			_, err := tx.UpsertAnsweredScorecards(ctx, AnsweredScorecardRows([]gongapi.AnsweredScorecard{*rec}))
			return err
		}
	default:
		return false, nil
	}
	err = e.st.Transact(ctx, func(tx *store.Tx) error {
		if err := upsert(tx); err != nil {
			return err
		}
		_, err := tx.ReleaseQuarantined(ctx, q.Endpoint, []string{q.Key})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store quarantined record %s of %s: %w", q.Key, q.Endpoint, err)
	}
	e.log.Info().Str("stream", q.Stream).Str("endpoint", q.Endpoint).Str("record_id", q.ID).
		Msg("a quarantined record decodes now: stored, out of quarantine")
	return true, nil
}
