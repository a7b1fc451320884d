package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// UpsertResult says what an upsert did to each distinct record of the batch; the
// five groups do not overlap and add up to the number of distinct ids.
type UpsertResult struct {
	Inserted  []string // ids new to the table
	Changed   []string // ids already there whose content (raw) changed
	Restored  []string // ids that had deleted_at set (it is cleared), changed or not
	Unchanged int      // records already stored with the same content: only last_seen_at moved
	// Remapped counts records whose content had not changed but whose rows an older
	// mapping derived (a lower mapping_version): their rows were derived again.
	Remapped int
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
//     deleted_at): no document is sent again and no child row is touched, so
//     re-reading a window costs little;
//   - new records, the bulk of a backfill, are COPied straight into the table and
//     their children straight into the child tables, under a savepoint. Should that
//     meet a unique violation (another transaction inserted the id since it was
//     looked up, or child rows outlived a call deleted by hand), the savepoint is
//     rolled back and they take the next path instead;
//   - changed and restored records are COPied into a temporary table, moved with
//     INSERT … ON CONFLICT DO UPDATE, and their child sets are deleted and rewritten.
//
// Records are checked as they are streamed to Postgres, so the checks run while the
// server works on the rows before them; what only Postgres can refuse (malformed
// JSON) fails the COPY, and the error still names the record.
func upsert[T any](ctx context.Context, tx *Tx, e *entity[T], recs []T) (UpsertResult, error) {
	var res UpsertResult
	batch := dedupe(recs, e.id)
	if len(batch) == 0 {
		return res, nil
	}
	ids := make([]string, len(batch))
	for i, r := range batch {
		ids[i] = e.id(r)
	}

	type stored struct {
		hash    []byte
		deleted bool
		version int32
	}
	have := make(map[string]stored, len(batch))
	var now time.Time
	version := "0"
	if e.versionField >= 0 {
		version = "mapping_version"
	}
	b := byKeys(func(b *pgx.Batch) {
		b.Queue("SELECT now()").QueryRow(func(row pgx.Row) error { return row.Scan(&now) })
		b.Queue("SELECT id, content_hash, deleted_at IS NOT NULL, "+version+" FROM "+e.table+" WHERE id = ANY($1) ORDER BY id FOR UPDATE", ids).
			Query(func(rows pgx.Rows) error {
				var (
					id string
					st stored
				)
				_, err := pgx.ForEachRow(rows, []any{&id, &st.hash, &st.deleted, &st.version}, func() error {
					have[id] = stored{hash: bytes.Clone(st.hash), deleted: st.deleted, version: st.version}
					return nil
				})
				return err
			})
	})
	if err := tx.tx.SendBatch(ctx, b).Close(); err != nil {
		return res, fmt.Errorf("upsert %ss: read stored versions: %w", e.kind, err)
	}

	var fresh, rewrite []staged[T]
	var touch []string
	for i, r := range batch {
		id := ids[i]
		sum := sha256.Sum256(e.raw(r))
		old, found := have[id]
		switch {
		case !found:
			res.Inserted = append(res.Inserted, id)
			fresh = append(fresh, staged[T]{rec: r, hash: sum[:]})
		case bytes.Equal(old.hash, sum[:]) && old.version < e.version(r):
			// Same content, rows derived by an older mapping: derive them again.
			if old.deleted {
				res.Restored = append(res.Restored, id)
			} else {
				res.Remapped++
			}
			rewrite = append(rewrite, staged[T]{rec: r, hash: sum[:]})
		case bytes.Equal(old.hash, sum[:]):
			if old.deleted {
				res.Restored = append(res.Restored, id)
			} else {
				res.Unchanged++
			}
			touch = append(touch, id)
		case old.deleted:
			res.Restored = append(res.Restored, id)
			rewrite = append(rewrite, staged[T]{rec: r, hash: sum[:]})
		default:
			res.Changed = append(res.Changed, id)
			rewrite = append(rewrite, staged[T]{rec: r, hash: sum[:]})
		}
	}

	if len(fresh) > 0 {
		conflict, err := e.insert(ctx, tx, fresh, now)
		if err != nil {
			return UpsertResult{}, fmt.Errorf("upsert %ss: %w", e.kind, err)
		}
		if conflict {
			rewrite = append(rewrite, fresh...)
		}
	}
	if len(rewrite) > 0 {
		if err := e.rewrite(ctx, tx, rewrite); err != nil {
			return UpsertResult{}, fmt.Errorf("upsert %ss: %w", e.kind, err)
		}
	}
	if len(touch) > 0 {
		// SET expressions see the old row: updated_at moves only for a restored record.
		err := tx.tx.SendBatch(ctx, byKeys(func(b *pgx.Batch) {
			b.Queue(`UPDATE `+e.table+` SET last_seen_at = now(),
				updated_at = CASE WHEN deleted_at IS NULL THEN updated_at ELSE now() END,
				deleted_at = NULL
				WHERE id = ANY($1)`, touch)
		})).Close()
		if err != nil {
			return UpsertResult{}, fmt.Errorf("upsert %ss: mark seen: %w", e.kind, err)
		}
	}
	return res, nil
}

// row is the COPY row of a record: its columns, then content_hash. The store checks
// nothing here: sync hands it clean values, and what Postgres still refuses fails the
// COPY with an error naming the record (copyRows).
func (e *entity[T]) row(s staged[T]) []any {
	return append(e.shape.appendValues(make([]any, 0, len(e.shape.columns)+4), s.rec), s.hash)
}

func (e *entity[T]) name(recs []staged[T]) func(i int) string {
	return func(i int) string { return e.kind + " " + strconv.Quote(e.id(recs[i].rec)) }
}

// insert COPies records that were not in the table, and their children, straight
// into the tables under a savepoint. conflict reports a unique violation, after which
// the savepoint is rolled back and nothing of the insert remains.
func (e *entity[T]) insert(ctx context.Context, tx *Tx, recs []staged[T], now time.Time) (conflict bool, err error) {
	sp, err := tx.tx.Begin(ctx)
	if err != nil {
		return false, err
	}
	cols := append(append([]string{}, e.shape.names...), "content_hash", "first_seen_at", "updated_at", "last_seen_at")
	err = copyRows(ctx, sp, e.table, cols, pgx.CopyFromSlice(len(recs), func(i int) ([]any, error) {
		return append(e.row(recs[i]), now, now, now), nil
	}), e.name(recs))
	if err == nil {
		_, err = writeChildren(ctx, sp, e.kind, e.children, records(recs), e.id, false)
	}
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			if rerr := sp.Rollback(ctx); rerr != nil {
				return false, rerr
			}
			return true, nil
		}
		return false, err
	}
	return false, sp.Commit(ctx)
}

// stage COPies records into the entity's stage, a temporary table of the entity's
// columns and content_hash, and returns its name.
func (e *entity[T]) stage(ctx context.Context, tx *Tx, recs []staged[T]) (string, error) {
	stage := stageName(e.table, e.shape.names)
	// The stage outlives the transaction (ON COMMIT DELETE ROWS empties it), so a
	// connection creates it once. Its raw column is stored uncompressed: the rows pass
	// through once, and compressing them twice would double the cost.
	_, err := tx.tx.Exec(ctx, `DO $$ BEGIN
		IF to_regclass('pg_temp.`+stage+`') IS NULL THEN
			CREATE TEMP TABLE `+stage+` ON COMMIT DELETE ROWS AS
				SELECT `+strings.Join(e.shape.names, ", ")+`, content_hash FROM `+e.table+` WITH NO DATA;
			ALTER TABLE `+stage+` ALTER COLUMN raw SET STORAGE EXTERNAL;
		END IF;
	END $$`)
	if err != nil {
		return "", fmt.Errorf("create stage: %w", err)
	}
	err = copyRows(ctx, tx.tx, stage, append(append([]string{}, e.shape.names...), "content_hash"),
		pgx.CopyFromSlice(len(recs), func(i int) ([]any, error) { return e.row(recs[i]), nil }), e.name(recs))
	return stage, err
}

// rewrite COPies records into the entity's stage and moves them into the table:
// existing ids get every column rewritten, and all become current (seen now, not
// deleted). Their child sets are replaced.
func (e *entity[T]) rewrite(ctx context.Context, tx *Tx, recs []staged[T]) error {
	stage, err := e.stage(ctx, tx, recs)
	if err != nil {
		return err
	}
	cols := strings.Join(e.shape.names, ", ")
	var set strings.Builder
	for _, c := range e.shape.names {
		if c != "id" {
			fmt.Fprintf(&set, "%s = EXCLUDED.%s, ", c, c)
		}
	}
	_, err = tx.tx.Exec(ctx, `WITH s AS (DELETE FROM `+stage+` RETURNING *)
		INSERT INTO `+e.table+` AS t (`+cols+`, content_hash, first_seen_at, updated_at, last_seen_at)
		SELECT `+cols+`, content_hash, now(), now(), now() FROM s ORDER BY id
		ON CONFLICT (id) DO UPDATE SET `+set.String()+e.rewriteSet+`content_hash = EXCLUDED.content_hash,
			updated_at = CASE WHEN t.content_hash = EXCLUDED.content_hash AND t.deleted_at IS NULL
				THEN t.updated_at ELSE now() END,
			last_seen_at = now(), deleted_at = NULL`)
	if err != nil {
		return fmt.Errorf("move stage into %s: %w", e.table, err)
	}
	parents := records(recs)
	if _, err := writeChildren(ctx, tx.tx, e.kind, e.children, parents, e.id, true); err != nil {
		return err
	}
	return e.derived(ctx, tx, parents)
}

// derived runs the entity's derive step, if it has one, for the records given.
func (e *entity[T]) derived(ctx context.Context, tx *Tx, recs []*T) error {
	if e.derive == nil || len(recs) == 0 {
		return nil
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = e.id(r)
	}
	return e.derive(tx, ctx, ids)
}

func records[T any](s []staged[T]) []*T {
	out := make([]*T, len(s))
	for i := range s {
		out[i] = s[i].rec
	}
	return out
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

// copyRows COPies the rows of src into table. When a row cannot be built, or Postgres
// rejects one, the error names the record it came from (name of the row's index):
// Postgres only knows it as a line of the stream.
func copyRows(ctx context.Context, q pgx.Tx, table string, columns []string, src pgx.CopyFromSource, name func(i int) string) error {
	_, err := q.CopyFrom(ctx, pgx.Identifier{table}, columns, src)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			if m := copyLine.FindStringSubmatch(pgErr.Where); m != nil {
				if line, _ := strconv.Atoi(m[1]); line >= 1 {
					what := name(line - 1)
					if m[2] != "" {
						what += ", column " + m[2]
					}
					return fmt.Errorf("copy into %s: %s: %w", table, what, err)
				}
			}
		}
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

var copyLine = regexp.MustCompile(`COPY [^,]+, line (\d+)(?:, column (\w+))?`)

// groupedRows is a COPY source over the rows of groups (the children of one call, the
// sentences of one transcript). A group's rows are built only when the COPY reaches
// them, on pgx's encoding goroutine, so building overlaps with the server's work on
// the rows before.
type groupedRows struct {
	groups int
	fill   func(g int, rows [][]any) [][]any // appends the rows of group g
	rows   [][]any                           // the current group's rows
	next   int                               // rows[next-1] is the current row
	ends   []int                             // rows streamed up to the end of each group so far
}

func (s *groupedRows) Next() bool {
	for s.next >= len(s.rows) {
		g := len(s.ends)
		if g >= s.groups {
			return false
		}
		start := 0
		if g > 0 {
			start = s.ends[g-1]
		}
		// pgx encodes a row's values as soon as it has them, so the slice can be reused.
		s.rows = s.fill(g, s.rows[:0])
		s.next = 0
		s.ends = append(s.ends, start+len(s.rows))
	}
	s.next++
	return true
}

func (s *groupedRows) Values() ([]any, error) { return s.rows[s.next-1], nil }

func (s *groupedRows) Err() error { return nil }

// group returns the group row i (from 0) belongs to.
func (s *groupedRows) group(i int) int {
	g, _ := slices.BinarySearch(s.ends, i+1)
	return g
}

// remap rewrites the typed columns and child rows of records already stored, from
// rows a newer mapping derived from their own raw documents. It changes nothing Gong
// said: raw, content_hash and the bookkeeping times stay, so a remap never passes
// for a sync (a deleted record stays deleted, last_seen_at does not move). A record
// whose raw changed since it was read (a sync wrote it meanwhile), or that a mapping
// as new already derived, is left alone. It returns the ids rewritten.
func remap[T any](ctx context.Context, tx *Tx, e *entity[T], recs []T) ([]string, error) {
	batch := dedupe(recs, e.id)
	if len(batch) == 0 {
		return nil, nil
	}
	staged := make([]staged[T], len(batch))
	for i, r := range batch {
		staged[i].rec = r
	}
	stage, err := e.stage(ctx, tx, staged)
	if err != nil {
		return nil, fmt.Errorf("remap %ss: %w", e.kind, err)
	}
	var set strings.Builder
	for _, c := range e.shape.names {
		if c != "id" && c != "raw" {
			fmt.Fprintf(&set, "%s = s.%s, ", c, c)
		}
	}
	rows, err := tx.tx.Query(ctx, `WITH s AS (DELETE FROM `+stage+` RETURNING *)
		UPDATE `+e.table+` AS t SET `+strings.TrimSuffix(set.String(), ", ")+`
		FROM s WHERE t.id = s.id AND t.raw = s.raw AND t.mapping_version < s.mapping_version
		RETURNING t.id`)
	if err != nil {
		return nil, fmt.Errorf("remap %ss: %w", e.kind, err)
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("remap %ss: %w", e.kind, err)
	}
	rewritten := make(map[string]bool, len(done))
	for _, id := range done {
		rewritten[id] = true
	}
	var parents []*T
	for _, r := range batch {
		if rewritten[e.id(r)] {
			parents = append(parents, r)
		}
	}
	if _, err := writeChildren(ctx, tx.tx, e.kind, e.children, parents, e.id, true); err != nil {
		return nil, fmt.Errorf("remap %ss: %w", e.kind, err)
	}
	if err := e.derived(ctx, tx, parents); err != nil {
		return nil, fmt.Errorf("remap %ss: %w", e.kind, err)
	}
	return done, nil
}
