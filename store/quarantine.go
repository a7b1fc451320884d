package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// QuarantinedRecord is one row of quarantine: a record Gong sent that gongsync could
// not store, kept byte for byte so its page could be committed without it.
type QuarantinedRecord struct {
	Stream   string
	Endpoint string // "POST /v2/calls/extensive"
	// Key tells the record from the others of its endpoint: QuarantineKey(ID, Raw).
	Key   string
	ID    string // Gong's id, "" when none could be read
	Index int    // its position in the page's array
	Raw   []byte // exactly as Gong sent it
	Error string

	FirstSeenAt, LastSeenAt time.Time
	TimesSeen               int64
}

// QuarantineKey is a record's key in quarantine: its id, or, when none could be read,
// the hash of its bytes (the same bytes read again are the same record).
func QuarantineKey(id string, raw []byte) string {
	if id != "" {
		return id
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Quarantine keeps records in quarantine, in the transaction that commits the rest of
// their page. A record already there (same stream, endpoint and key) is updated (its
// bytes, error and position as read now, last_seen_at, one more times_seen) rather
// than added again. Key is derived when empty.
func (tx *Tx) Quarantine(ctx context.Context, recs []QuarantinedRecord) error {
	if len(recs) == 0 {
		return nil
	}
	// A page that carries the same record twice counts it once, as read last: ON
	// CONFLICT may not touch a row twice in one statement.
	type key struct{ stream, endpoint, key string }
	at := map[key]int{}
	var streams, endpoints, keys, errs []string
	var ids []*string
	var indexes []int32
	var raws [][]byte
	for _, r := range recs {
		k := key{r.Stream, r.Endpoint, r.Key}
		if k.key == "" {
			k.key = QuarantineKey(r.ID, r.Raw)
		}
		var id *string
		if r.ID != "" {
			id = &r.ID
		}
		if i, ok := at[k]; ok {
			ids[i], indexes[i], raws[i], errs[i] = id, int32(r.Index), r.Raw, r.Error
			continue
		}
		at[k] = len(keys)
		streams, endpoints, keys = append(streams, k.stream), append(endpoints, k.endpoint), append(keys, k.key)
		ids, indexes, raws, errs = append(ids, id), append(indexes, int32(r.Index)), append(raws, r.Raw), append(errs, r.Error)
	}
	_, err := tx.tx.Exec(ctx, `
		INSERT INTO quarantine (stream, endpoint, record_key, record_id, record_index, raw, error, first_seen_at, last_seen_at)
		SELECT s, e, k, i, x, r, m, now(), now()
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::bytea[], $7::text[]) AS q(s, e, k, i, x, r, m)
		ON CONFLICT (stream, endpoint, record_key) DO UPDATE SET
			record_id = excluded.record_id, record_index = excluded.record_index, raw = excluded.raw,
			error = excluded.error, last_seen_at = excluded.last_seen_at, times_seen = quarantine.times_seen + 1`,
		streams, endpoints, keys, ids, indexes, raws, errs)
	if err != nil {
		return fmt.Errorf("quarantine %d records: %w", len(keys), err)
	}
	return nil
}

// ReleaseQuarantined removes from quarantine the records of endpoint with these keys,
// whichever stream read them: they have just been stored, in tx. It returns how many
// left, by stream.
func (tx *Tx) ReleaseQuarantined(ctx context.Context, endpoint string, keys []string) (map[string]int, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	rows, err := tx.tx.Query(ctx, `DELETE FROM quarantine WHERE endpoint = $1 AND record_key = ANY($2) RETURNING stream`, endpoint, keys)
	if err != nil {
		return nil, fmt.Errorf("release quarantined records of %s: %w", endpoint, err)
	}
	streams, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("release quarantined records of %s: %w", endpoint, err)
	}
	var out map[string]int
	for _, s := range streams {
		if out == nil {
			out = map[string]int{}
		}
		out[s]++
	}
	return out, nil
}

// QuarantineCount is how many records one stream has in quarantine.
type QuarantineCount struct {
	Stream  string    `json:"stream"`
	Records int64     `json:"records"`
	Newest  time.Time `json:"last_seen_at"` // the latest last_seen_at of them
}

// QuarantineCounts returns, per stream with records in quarantine, how many.
func (s *Store) QuarantineCounts(ctx context.Context) ([]QuarantineCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT stream, count(*), max(last_seen_at) FROM quarantine GROUP BY stream ORDER BY stream`)
	if err != nil {
		return nil, fmt.Errorf("count quarantined records: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[QuarantineCount])
	if err != nil {
		return nil, fmt.Errorf("count quarantined records: %w", err)
	}
	return out, nil
}

// QuarantinedRecords returns up to limit records of quarantine after the one at
// (stream, endpoint, key) (all three "" for the first), in that order, for a caller
// that walks them all in batches.
func (s *Store) QuarantinedRecords(ctx context.Context, after QuarantinedRecord, limit int) ([]QuarantinedRecord, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT stream, endpoint, record_key, coalesce(record_id, ''), record_index, raw, error, first_seen_at, last_seen_at, times_seen
		FROM quarantine WHERE (stream, endpoint, record_key) > ($1, $2, $3)
		ORDER BY stream, endpoint, record_key LIMIT $4`, after.Stream, after.Endpoint, after.Key, limit)
	if err != nil {
		return nil, fmt.Errorf("read quarantined records: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[QuarantinedRecord])
	if err != nil {
		return nil, fmt.Errorf("read quarantined records: %w", err)
	}
	return out, nil
}
