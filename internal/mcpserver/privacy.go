package mcpserver

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// secretTables hold secrets, not Gong's data: the query tool always shows them empty.
var secretTables = map[string]bool{"oauth_tokens": true, "hash_key": true}

// wholeRecordTables keep Gong's records or answers whole, of any call, in JSON that has
// no call_id column to filter on (quarantine, the actions' answers): with private calls
// left out, the query tool shows them empty.
var wholeRecordTables = map[string]bool{"quarantine": true, "action_runs": true}

// hideFromQueries creates, in tx, a temporary view in front of every relation of the
// schema that holds a call's rows, named like it and leaving out the hidden calls'
// rows, and empty views in front of the secret tables. A temporary relation comes
// before the schema's on the search path, so the query tool's statement, which may
// not name the schema (checkStatement), reads the views. The views go with the
// transaction's rollback: nothing is left behind on the connection.
func (s *Server) hideFromQueries(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT c.relname,
  EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'call_id' AND NOT a.attisdropped),
  EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'answered_scorecard_id' AND NOT a.attisdropped)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY c.relname`, s.schema)
	if err != nil {
		return fmt.Errorf("list the schema's relations: %w", err)
	}
	type rel struct {
		name                string
		callID, scorecardID bool
	}
	rels, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rel, error) {
		var x rel
		return x, r.Scan(&x.name, &x.callID, &x.scorecardID)
	})
	if err != nil {
		return fmt.Errorf("list the schema's relations: %w", err)
	}
	schema := pgx.Identifier{s.schema}.Sanitize()
	// hidden is true for a call id the answers leave out.
	hidden := func(id string) string {
		return fmt.Sprintf(`(EXISTS (SELECT 1 FROM %[1]s.calls h WHERE h.id = %[2]s AND h.is_private)
  OR EXISTS (SELECT 1 FROM %[1]s.erasures e WHERE %[2]s = ANY (e.erased_call_ids)))`, schema, id)
	}
	var b pgx.Batch
	for _, r := range rels {
		where := ""
		switch {
		case secretTables[r.name]:
			where = "false"
		case s.includePrivate:
			continue
		case wholeRecordTables[r.name]:
			where = "false"
		case r.name == "calls" || r.name == "live_calls":
			where = "NOT " + hidden("t.id")
		case r.callID:
			where = "NOT " + hidden("t.call_id")
		case r.scorecardID:
			where = fmt.Sprintf("NOT EXISTS (SELECT 1 FROM %s.answered_scorecards a WHERE a.id = t.answered_scorecard_id AND %s)", schema, hidden("a.call_id"))
		default:
			continue
		}
		name := pgx.Identifier{r.name}.Sanitize()
		b.Queue(fmt.Sprintf("CREATE TEMPORARY VIEW %s AS SELECT * FROM %s.%s t WHERE %s", name, schema, name, where))
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("create the views that hide private calls: %w", err)
	}
	return nil
}
