package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// UpsertResult says what an upsert did to each distinct record of the batch; the
// four groups do not overlap and add up to the number of distinct ids.
type UpsertResult struct {
	Inserted  []string // ids new to the table
	Changed   []string // ids already there whose content (raw) changed
	Restored  []string // ids that had deleted_at set (it is cleared), changed or not
	Unchanged int      // records already stored with the same content: only last_seen_at moved
}

// entity describes one entity table to the shared upsert path.
type entity[T any] struct {
	kind    string   // what a record is called in errors: "call", "user", …
	table   string   //
	columns []string // the typed columns written from a record, "id" first and "raw" last
	id      func(*T) string
	raw     func(*T) []byte
	values  func(*T) []any // one value per column, in order
	check   func(*T) error
}

// staged is a record about to be written, with the hash of its raw document.
type staged[T any] struct {
	rec  *T
	hash []byte
}

// upsert writes a batch of records the way every entity table wants it:
//
//   - duplicates of an id inside the batch collapse to the last one;
//   - the stored content_hash of each id is read (and the row locked, in id order so
//     that concurrent writers cannot deadlock) to sort the batch into new, changed,
//     restored and unchanged records;
//   - unchanged records only get last_seen_at (and, when they were deleted, lose
//     deleted_at): no document is sent again, so re-reading a window costs little;
//   - new and changed records are checked, COPied into a temporary table and moved
//     into the table with INSERT … ON CONFLICT DO UPDATE.
//
// written receives the records that were inserted or rewritten, so the caller can
// replace their child rows in the same transaction.
func upsert[T any](ctx context.Context, tx *Tx, e *entity[T], recs []T, written func([]*T) error) (UpsertResult, error) {
	var res UpsertResult
	batch := dedupe(recs, e.id)
	if len(batch) == 0 {
		return res, nil
	}
	ids := make([]string, len(batch))
	for i, r := range batch {
		ids[i] = e.id(r)
	}

	stage := stageName(e.table, e.columns)
	var b pgx.Batch
	b.Queue("CREATE TEMP TABLE IF NOT EXISTS " + stage + " ON COMMIT DELETE ROWS AS SELECT " +
		strings.Join(e.columns, ", ") + ", content_hash FROM " + e.table + " WITH NO DATA")
	b.Queue("SELECT id, content_hash, deleted_at IS NOT NULL FROM "+e.table+" WHERE id = ANY($1) ORDER BY id FOR UPDATE", ids)
	type stored struct {
		hash    []byte
		deleted bool
	}
	have := make(map[string]stored, len(batch))
	br := tx.tx.SendBatch(ctx, &b)
	_, err := br.Exec()
	if err == nil {
		var rows pgx.Rows
		rows, err = br.Query()
		if err == nil {
			var (
				id string
				st stored
			)
			_, err = pgx.ForEachRow(rows, []any{&id, &st.hash, &st.deleted}, func() error {
				have[id] = stored{hash: bytes.Clone(st.hash), deleted: st.deleted}
				return nil
			})
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return res, fmt.Errorf("upsert %ss: read stored versions: %w", e.kind, err)
	}

	var (
		write []staged[T]
		touch []string
	)
	for i, r := range batch {
		id := ids[i]
		sum := sha256.Sum256(e.raw(r))
		old, found := have[id]
		switch {
		case !found:
			res.Inserted = append(res.Inserted, id)
		case bytes.Equal(old.hash, sum[:]):
			if old.deleted {
				res.Restored = append(res.Restored, id)
			} else {
				res.Unchanged++
			}
			touch = append(touch, id)
			continue
		case old.deleted:
			res.Restored = append(res.Restored, id)
		default:
			res.Changed = append(res.Changed, id)
		}
		if err := e.check(r); err != nil {
			return UpsertResult{}, fmt.Errorf("upsert %ss: %s %q: %w", e.kind, e.kind, id, err)
		}
		write = append(write, staged[T]{rec: r, hash: sum[:]})
	}

	if len(write) > 0 {
		err := copyRows(ctx, tx, stage, append(append([]string{}, e.columns...), "content_hash"), len(write),
			func(i int) []any { return append(e.values(write[i].rec), write[i].hash) },
			func(i int) string { return e.kind + " " + strconv.Quote(e.id(write[i].rec)) })
		if err != nil {
			return UpsertResult{}, fmt.Errorf("upsert %ss: %w", e.kind, err)
		}
	}
	b = pgx.Batch{}
	if len(touch) > 0 {
		// SET expressions see the old row: updated_at moves only for a restored record.
		b.Queue(`UPDATE `+e.table+` SET last_seen_at = now(),
			updated_at = CASE WHEN deleted_at IS NULL THEN updated_at ELSE now() END,
			deleted_at = NULL
			WHERE id = ANY($1)`, touch)
	}
	if len(write) > 0 {
		b.Queue(e.moveSQL(stage))
	}
	if err := tx.tx.SendBatch(ctx, &b).Close(); err != nil {
		return UpsertResult{}, fmt.Errorf("upsert %ss: %w", e.kind, err)
	}
	if written != nil && len(write) > 0 {
		recs := make([]*T, len(write))
		for i := range write {
			recs[i] = write[i].rec
		}
		if err := written(recs); err != nil {
			return UpsertResult{}, fmt.Errorf("upsert %ss: %w", e.kind, err)
		}
	}
	return res, nil
}

// moveSQL empties the stage into the table: new ids are inserted, existing ones get
// every column rewritten, and all become current (seen now, not deleted).
func (e *entity[T]) moveSQL(stage string) string {
	cols := strings.Join(e.columns, ", ")
	var set strings.Builder
	for _, c := range e.columns[1:] {
		fmt.Fprintf(&set, "%s = EXCLUDED.%s, ", c, c)
	}
	return `WITH s AS (DELETE FROM ` + stage + ` RETURNING *)
		INSERT INTO ` + e.table + ` AS t (` + cols + `, content_hash, first_seen_at, updated_at, last_seen_at)
		SELECT ` + cols + `, content_hash, now(), now(), now() FROM s ORDER BY id
		ON CONFLICT (id) DO UPDATE SET ` + set.String() + `content_hash = EXCLUDED.content_hash,
			updated_at = now(), last_seen_at = now(), deleted_at = NULL`
}

// stageName names the temporary table an entity is staged in. The name carries a hash
// of the column list: a stage left on a pooled connection by an older column list
// (before a migration) is then never picked up by mistake.
func stageName(table string, columns []string) string {
	h := fnv.New32a()
	h.Write([]byte(strings.Join(columns, ",")))
	return fmt.Sprintf("stage_%s_%08x", table, h.Sum32())
}

// dedupe returns pointers to the records of recs with the last occurrence of each
// key winning, in the order of those last occurrences.
func dedupe[T any](recs []T, key func(*T) string) []*T {
	last := make(map[string]int, len(recs))
	for i := range recs {
		last[key(&recs[i])] = i
	}
	out := make([]*T, 0, len(last))
	for i := range recs {
		if last[key(&recs[i])] == i {
			out = append(out, &recs[i])
		}
	}
	return out
}

// copyRows COPies n rows into table. When Postgres rejects a row, the error names the
// record it came from (name(i)), which Postgres only knows as a line of the stream.
func copyRows(ctx context.Context, tx *Tx, table string, columns []string, n int, row func(i int) []any, name func(i int) string) error {
	if n == 0 {
		return nil
	}
	_, err := tx.tx.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		return row(i), nil
	}))
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			if m := copyLine.FindStringSubmatch(pgErr.Where); m != nil {
				if line, _ := strconv.Atoi(m[1]); line >= 1 && line <= n {
					return fmt.Errorf("copy into %s: %s: %w", table, name(line-1), err)
				}
			}
		}
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

var copyLine = regexp.MustCompile(`COPY [^,]+, line (\d+)`)
