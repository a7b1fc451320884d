package pgtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gongsync/gongsync/migrations"
)

// SyncedTables lists the tables of schema that hold Gong's data, sorted.
func SyncedTables(ctx context.Context, pool *pgxpool.Pool, schema string) ([]string, error) {
	rows, err := pool.Query(ctx, `SELECT table_name::text FROM information_schema.tables
		WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND NOT table_name = ANY($2) ORDER BY 1`,
		schema, migrations.BookkeepingTables)
	if err != nil {
		return nil, fmt.Errorf("list the synced tables: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// bookkeepingColumns differ between two syncs of the same data (they say when, not
// what), so table comparisons leave them out.
var bookkeepingColumns = []string{"first_seen_at", "updated_at", "last_seen_at", "transcript_fetched_at",
	"transcript_next_attempt_at", "transcript_attempts", "transcript_first_seen_at", "valid_from", "valid_to"}

// Dump returns every row of the synced tables in schema, as sorted JSON texts without
// the bookkeeping columns: two databases that synced the same data dump equal.
func Dump(ctx context.Context, pool *pgxpool.Pool, schema string) (map[string][]string, error) {
	out := map[string][]string{}
	tables, err := SyncedTables(ctx, pool, schema)
	if err != nil {
		return nil, err
	}
	for _, table := range tables {
		q := fmt.Sprintf(`SELECT (to_jsonb(t) - $1::text[])::text FROM %s.%s t`,
			pgx.Identifier{schema}.Sanitize(), pgx.Identifier{table}.Sanitize())
		rows, err := pool.Query(ctx, q, bookkeepingColumns)
		if err != nil {
			return nil, fmt.Errorf("dump %s: %w", table, err)
		}
		var all []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return nil, err
			}
			all = append(all, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		slices.Sort(all)
		out[table] = all
	}
	return out, nil
}

// DiffDumps describes how two dumps differ ("" when they are equal): per table, the
// row counts and the first differing rows.
func DiffDumps(a, b map[string][]string) string {
	var s string
	tables := slices.Sorted(maps.Keys(a))
	for table := range b {
		if _, ok := a[table]; !ok {
			tables = append(tables, table)
		}
	}
	for _, table := range tables {
		x, y := a[table], b[table]
		if slices.Equal(x, y) {
			continue
		}
		s += fmt.Sprintf("%s: %d rows vs %d rows", table, len(x), len(y))
		for i := 0; i < len(x) && i < len(y); i++ {
			if x[i] != y[i] {
				s += fmt.Sprintf("\n  first difference at row %d: %s", i, columnDiff(x[i], y[i]))
				break
			}
		}
		s += "\n"
	}
	return s
}

// columnDiff names the columns in which two dumped rows differ, with both values.
func columnDiff(a, b string) string {
	var x, y map[string]json.RawMessage
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return fmt.Sprintf("\n    %.300s\n    %.300s", a, b)
	}
	var out string
	for k, v := range x {
		if w, ok := y[k]; !ok || !bytes.Equal(v, w) {
			out += fmt.Sprintf("\n    %s: %.200s\n    %s: %.200s", k, v, k, w)
		}
	}
	for k, w := range y {
		if _, ok := x[k]; !ok {
			out += fmt.Sprintf("\n    %s: (absent)\n    %s: %.200s", k, k, w)
		}
	}
	return fmt.Sprintf("id %s%s", x["id"], out)
}
