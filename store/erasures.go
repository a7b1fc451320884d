package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// An erasure deletes every row of the schema that holds an email address or phone
// number. Where it may be is not listed by hand: every text, json and text[] column of
// every table is searched, so a table added later is searched too. What happens to a
// row that holds it depends on the table:
//
//   - calls, and every table with a call_id column (the call's rows, its transcript):
//     the whole call goes, with all its rows, for good;
//   - tables of Gong records (id, raw and deleted_at: users, workspaces, trackers):
//     the row goes (a later refresh brings it back if Gong still has it), and the
//     rows derived from it (user_email_aliases, tracker_keywords, …) with it, by
//     their foreign keys' ON DELETE CASCADE;
//   - history tables (<table>_history, see migrations/00021): the versions that hold
//     it go, the others stay; the record's own row closes its current version as it
//     goes;
//   - action_runs: the kept answer and the error are cleared;
//   - any other table: the columns that hold it are set to null.

// AddressMatch says what an erasure looks for.
type AddressMatch struct {
	// Text is the address as text, found case-insensitively anywhere in a value.
	Text string
	// PhoneKey, for a phone number, is its key (PhoneKey): a column whose name says
	// it holds phone numbers matches when its value has the same key, however it is
	// written ("+1 (212) 555-0100" and "212.555.0100").
	PhoneKey string
}

// PhoneKey is how phone numbers are compared: the last 10 digits, or all of them when
// there are fewer, so that a number with and without its country code match. The
// erasure's SQL computes the same (phoneKeySQL).
func PhoneKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if len(d) > 10 {
		d = d[len(d)-10:]
	}
	return d
}

// phoneKeySQL is PhoneKey in SQL, over the column expression col.
func phoneKeySQL(col string) string {
	d := "regexp_replace(" + col + ", '[^0-9]', '', 'g')"
	return "right(" + d + ", 10)"
}

// AddressFound is where an address was found.
type AddressFound struct {
	// CallIDs are the calls that hold it somewhere (their own row, one of their rows,
	// their transcript), sorted.
	CallIDs []string
	// Rows counts the other rows that hold it, by table.
	Rows map[string]int
}

// searchColumn is a column an address may be in.
type searchColumn struct {
	name     string
	nullable bool
	// bytes marks a bytea column holding a record as Gong sent it (the quarantine's
	// raw): searched through its escaped text, where an address is ASCII as written.
	bytes bool
}

// searchTable is a table with the columns an address may be in.
type searchTable struct {
	name    string
	columns []searchColumn
	callID  bool // has call_id: its rows belong to a call
	record  bool // a Gong record: id, raw and deleted_at
	history bool // the versions of a record: valid_from and raw
}

// querier is what a pool and a transaction have in common.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// searchTables lists the schema's tables with the columns an address may be in.
func searchTables(ctx context.Context, q querier) ([]searchTable, error) {
	rows, err := q.Query(ctx, `SELECT c.table_name::text, c.column_name::text, c.is_nullable = 'YES',
			c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea')
				OR (c.data_type = 'ARRAY' AND c.udt_name IN ('_text', '_varchar')),
			c.data_type = 'bytea'
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("list the columns to search: %w", err)
	}
	var out []searchTable
	var has map[string]bool
	defer rows.Close()
	finish := func() {
		if n := len(out); n > 0 {
			out[n-1].callID = has["call_id"]
			out[n-1].record = has["id"] && has["raw"] && has["deleted_at"]
			out[n-1].history = has["valid_from"] && has["raw"]
		}
	}
	for rows.Next() {
		var table, column string
		var nullable, searchable, bytes bool
		if err := rows.Scan(&table, &column, &nullable, &searchable, &bytes); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].name != table {
			finish()
			out = append(out, searchTable{name: table})
			has = map[string]bool{}
		}
		has[column] = true
		if searchable {
			t := &out[len(out)-1]
			t.columns = append(t.columns, searchColumn{name: column, nullable: nullable, bytes: bytes})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the columns to search: %w", err)
	}
	finish()
	return slices.DeleteFunc(out, func(t searchTable) bool { return len(t.columns) == 0 }), nil
}

// likePattern is an ILIKE pattern for s anywhere in a value, its wildcards escaped.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// matches is the condition "column col holds the address" ($1 the pattern, $2 the
// phone key or ”).
func (c searchColumn) matches() string {
	col := pgx.Identifier{c.name}.Sanitize()
	cond := col + "::text ILIKE $1"
	if c.bytes {
		cond = "encode(" + col + ", 'escape') ILIKE $1"
	}
	if strings.Contains(c.name, "phone") {
		cond = "(" + cond + " OR ($2 <> '' AND " + phoneKeySQL(col+"::text") + " = $2))"
	}
	return cond
}

// args are the arguments of t's conditions: the pattern, and the phone key when a
// column of t holds phone numbers (Postgres refuses a parameter no condition uses).
func (t searchTable) args(m AddressMatch) []any {
	for _, c := range t.columns {
		if strings.Contains(c.name, "phone") {
			return []any{likePattern(m.Text), m.PhoneKey}
		}
	}
	return []any{likePattern(m.Text)}
}

// where is the condition "some column of t holds the address".
func (t searchTable) where() string {
	conds := make([]string, len(t.columns))
	for i, c := range t.columns {
		conds[i] = c.matches()
	}
	return strings.Join(conds, " OR ")
}

// FindAddress says where an address is, without changing anything: the calls that
// hold it and the other rows, by table. It reads every text and json column of the
// schema, so it takes as long as reading the tables (transcripts are most of it).
func (s *Store) FindAddress(ctx context.Context, m AddressMatch) (AddressFound, error) {
	return findAddress(ctx, s.pool, m)
}

func findAddress(ctx context.Context, q querier, m AddressMatch) (AddressFound, error) {
	found := AddressFound{Rows: map[string]int{}}
	if strings.TrimSpace(m.Text) == "" {
		return found, fmt.Errorf("find address: empty address")
	}
	tables, err := searchTables(ctx, q)
	if err != nil {
		return found, err
	}
	calls := map[string]bool{}
	for _, t := range tables {
		name := pgx.Identifier{t.name}.Sanitize()
		if t.name != "calls" && !t.callID {
			var n int
			if err := q.QueryRow(ctx, "SELECT count(*) FROM "+name+" WHERE "+t.where(), t.args(m)...).Scan(&n); err != nil {
				return found, fmt.Errorf("search %s: %w", t.name, err)
			}
			if n > 0 {
				found.Rows[t.name] = n
			}
			continue
		}
		sql := "SELECT DISTINCT call_id FROM " + name + " WHERE " + t.where()
		if t.name == "calls" {
			sql = "SELECT id FROM calls WHERE " + t.where()
		}
		rows, err := q.Query(ctx, sql, t.args(m)...)
		if err != nil {
			return found, fmt.Errorf("search %s: %w", t.name, err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return found, fmt.Errorf("search %s: %w", t.name, err)
		}
		for _, id := range ids {
			calls[id] = true
		}
	}
	found.CallIDs = slices.Sorted(maps.Keys(calls))
	return found, nil
}

// CallsHeld returns which of ids are in calls, sorted.
func (s *Store) CallsHeld(ctx context.Context, ids []string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM calls WHERE id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, fmt.Errorf("calls held: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("calls held: %w", err)
	}
	return out, nil
}

// lockErasures takes the transaction-level lock that orders erasures and the writes
// of calls: an erasure holds it exclusively from its search to its commit, a sync's
// page shares it from reading the erasures to its commit. So a page either commits
// before the erasure searches (and the erasure finds its calls), or reads the
// erasure's record (and leaves the calls out): no erased call slips in between.
func lockErasures(ctx context.Context, tx pgx.Tx, exclusive bool) error {
	fn := "pg_advisory_xact_lock_shared"
	if exclusive {
		fn = "pg_advisory_xact_lock"
	}
	if _, err := tx.Exec(ctx, "SELECT "+fn+"(hashtextextended('gongsync erasures ' || current_schema(), 0))"); err != nil {
		return fmt.Errorf("lock erasures: %w", err)
	}
	return nil
}

// ErasureSet is what the sync must not store again: calls by id, and calls that
// carry an erased address and started before it was erased.
type ErasureSet struct {
	// Hashes maps each erased address's keyed hash to when it was first erased.
	Hashes map[[32]byte]time.Time
	// Kinds says which kinds of address were erased (email, phone).
	Kinds map[string]bool
	// CallIDs are the calls deleted or listed by an erasure.
	CallIDs map[string]bool
}

// Empty reports whether nothing was ever erased.
func (e *ErasureSet) Empty() bool { return len(e.Hashes) == 0 && len(e.CallIDs) == 0 }

// Erasures reads the erasures under the shared erasure lock, which the transaction
// keeps until it ends: call it in the transaction that writes calls, before writing.
func (tx *Tx) Erasures(ctx context.Context) (*ErasureSet, error) {
	if err := lockErasures(ctx, tx.tx, false); err != nil {
		return nil, err
	}
	set := &ErasureSet{Hashes: map[[32]byte]time.Time{}, Kinds: map[string]bool{}, CallIDs: map[string]bool{}}
	rows, err := tx.tx.Query(ctx, `SELECT kind, address_hash, min(requested_at) FROM erasures GROUP BY kind, address_hash`)
	if err != nil {
		return nil, fmt.Errorf("read erasures: %w", err)
	}
	var kind string
	var hash []byte
	var at time.Time
	if _, err := pgx.ForEachRow(rows, []any{&kind, &hash, &at}, func() error {
		if len(hash) == 32 {
			set.Hashes[[32]byte(hash)] = at
			set.Kinds[kind] = true
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read erasures: %w", err)
	}
	rows, err = tx.tx.Query(ctx, `SELECT DISTINCT unnest(erased_call_ids) FROM erasures`)
	if err != nil {
		return nil, fmt.Errorf("read erased calls: %w", err)
	}
	var id string
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error { set.CallIDs[id] = true; return nil }); err != nil {
		return nil, fmt.Errorf("read erased calls: %w", err)
	}
	return set, nil
}

// Erasure is the record of one erasure, never the address.
type Erasure struct {
	Kind        string // email or phone
	AddressHash []byte // keyed hash of the normalized address
	// RequestedAt is when Gong was asked, on the sync's clock: calls are compared
	// with it by their start time, which Gong gives on the same clock.
	RequestedAt   time.Time
	ActionRunID   int64
	GongStatus    string // requested, maybe_requested
	GongRequestID string
	// GongCallIDs are the calls Gong listed for the address: never stored again,
	// whether or not they are held here.
	GongCallIDs    []string
	GongReferences map[string]int
}

// Erased is what an erasure deleted.
type Erased struct {
	ID           int64          `json:"erasureId"`
	CallIDs      []string       `json:"callIds"` // calls deleted, sorted
	CallsDeleted int            `json:"callsDeleted"`
	Rows         map[string]int `json:"rowsDeleted"` // other rows deleted or cleared, by table
}

// EraseAddress deletes every copy of an address in one transaction, under the
// exclusive erasure lock, and records the erasure: the calls that hold it (and those
// Gong listed) with all their rows, the Gong records that hold it, and the address
// wherever else it is (see the top of this file). Nothing is soft-deleted.
func (s *Store) EraseAddress(ctx context.Context, m AddressMatch, e Erasure) (Erased, error) {
	var out Erased
	err := s.Transact(ctx, func(tx *Tx) error {
		out = Erased{Rows: map[string]int{}}
		if err := lockErasures(ctx, tx.tx, true); err != nil {
			return err
		}
		found, err := findAddress(ctx, tx.tx, m)
		if err != nil {
			return err
		}
		ids := slices.Sorted(slices.Values(slices.Concat(found.CallIDs, e.GongCallIDs)))
		ids = nonNilIDs(slices.Compact(ids))
		tables, err := searchTables(ctx, tx.tx)
		if err != nil {
			return err
		}
		// The calls first: deleting them takes their row locks, so a transcript being
		// written for one of them (which locks it too) commits before the sentences
		// below are deleted, or waits and then finds no call.
		rows, err := tx.tx.Query(ctx, `DELETE FROM calls WHERE id = ANY($1) RETURNING id`, ids)
		if err != nil {
			return fmt.Errorf("erase calls: %w", err)
		}
		if out.CallIDs, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("erase calls: %w", err)
		}
		slices.Sort(out.CallIDs)
		out.CallsDeleted = len(out.CallIDs)
		if err := eraseCallRows(ctx, tx.tx, ids, out.Rows); err != nil {
			return err
		}
		for _, t := range tables {
			if t.name == "calls" || t.callID || found.Rows[t.name] == 0 {
				continue
			}
			n, err := eraseFrom(ctx, tx.tx, t, t.args(m))
			if err != nil {
				return err
			}
			if n > 0 {
				out.Rows[t.name] = n
			}
		}
		rowsJSON, _ := json.Marshal(out.Rows) // a map of counts: cannot fail
		refs, _ := json.Marshal(e.GongReferences)
		return tx.tx.QueryRow(ctx, `INSERT INTO erasures (kind, address_hash, action_run_id, gong_status, gong_request_id,
				erased_call_ids, calls_deleted, rows_deleted, gong_references, requested_at)
			VALUES ($1, $2, nullif($3, 0), $4, nullif($5, ''), $6, $7, $8, $9, $10) RETURNING id`,
			e.Kind, e.AddressHash, e.ActionRunID, e.GongStatus, e.GongRequestID, ids, out.CallsDeleted, rowsJSON, refs, e.RequestedAt).
			Scan(&out.ID)
	})
	if err != nil {
		return Erased{}, fmt.Errorf("erase address: %w", err)
	}
	return out, nil
}

// callTables lists the tables of the schema that hold a call's rows (a call_id column).
func callTables(ctx context.Context, q querier) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT c.table_name::text FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.column_name = 'call_id'
		ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("list the tables of calls: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list the tables of calls: %w", err)
	}
	return tables, nil
}

// CallRows counts, by table, the rows the given calls hold besides their row in calls:
// what an erasure of those calls deletes with them, so that a dry run can say so.
func (s *Store) CallRows(ctx context.Context, ids []string) (map[string]int, error) {
	out := map[string]int{}
	tables, err := callTables(ctx, s.pool)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		var n int
		if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{t}.Sanitize()+" WHERE call_id = ANY($1)", nonNilIDs(ids)).Scan(&n); err != nil {
			return nil, fmt.Errorf("count the rows of calls in %s: %w", t, err)
		}
		if n > 0 {
			out[t] = n
		}
	}
	return out, nil
}

// eraseCallRows deletes the rows of the given calls from every table with a call_id,
// adding how many it deleted to rows by table.
func eraseCallRows(ctx context.Context, tx pgx.Tx, ids []string, rows map[string]int) error {
	tables, err := callTables(ctx, tx)
	if err != nil {
		return err
	}
	for _, t := range tables {
		tag, err := tx.Exec(ctx, "DELETE FROM "+pgx.Identifier{t}.Sanitize()+" WHERE call_id = ANY($1)", ids)
		if err != nil {
			return fmt.Errorf("erase the rows of calls from %s: %w", t, err)
		}
		if n := int(tag.RowsAffected()); n > 0 {
			rows[t] += n
		}
	}
	return nil
}

// nonNilIDs is ids, or an empty list for none: pgx sends a nil slice as NULL, which
// neither = ANY nor a NOT NULL array column takes as "no calls".
func nonNilIDs(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

// eraseFrom removes the address from one table that is not a call's, by the table's
// rule, and returns how many rows it touched.
func eraseFrom(ctx context.Context, tx pgx.Tx, t searchTable, args []any) (int, error) {
	name := pgx.Identifier{t.name}.Sanitize()
	var sql string
	switch {
	case t.record, t.history, t.name == "quarantine":
		// A Gong record (the quarantine keeps them whole, byte for byte, a history table
		// as they were) cannot lose one value and stay what Gong sent: it goes.
		sql = "DELETE FROM " + name + " WHERE " + t.where()
	case t.name == "action_runs":
		// The run stays on record; what it kept of Gong's data goes.
		sql = `UPDATE action_runs SET answer = NULL, answer_kept_until = NULL,
			error = CASE WHEN error ILIKE $1 THEN 'cleared: it held an erased address' ELSE error END,
			idempotency_key = CASE WHEN idempotency_key ILIKE $1 THEN NULL ELSE idempotency_key END
			WHERE ` + t.where()
	default:
		var sets []string
		for _, c := range t.columns {
			col := pgx.Identifier{c.name}.Sanitize()
			if c.nullable {
				sets = append(sets, col+" = CASE WHEN "+c.matches()+" THEN NULL ELSE "+col+" END")
			}
		}
		if len(sets) == 0 {
			sql = "DELETE FROM " + name + " WHERE " + t.where()
		} else {
			sql = "UPDATE " + name + " SET " + strings.Join(sets, ", ") + " WHERE " + t.where()
		}
	}
	tag, err := tx.Exec(ctx, sql, args...)
	if err != nil {
		return 0, fmt.Errorf("erase from %s: %w", t.name, err)
	}
	return int(tag.RowsAffected()), nil
}
