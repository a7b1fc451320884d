package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The query tool's limits: an answer an assistant can read, a statement that cannot
// hold the database for long.
const (
	defaultQueryRows = 100
	maxQueryRows     = 1000
	maxQueryBytes    = 256 << 10
	queryTimeout     = 10 * time.Second
)

// QueryInput is the query tool's input.
type QueryInput struct {
	SQL     string `json:"sql" jsonschema:"one SELECT, WITH, VALUES, TABLE or EXPLAIN statement; tables by their plain names (live_calls, transcript_sentences, …)"`
	MaxRows int    `json:"max_rows,omitempty" jsonschema:"the most rows to return (default 100, at most 1000)"`
}

// QueryOutput is the query tool's answer.
type QueryOutput struct {
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
	// Truncated says max_rows or the size limit cut the rows short.
	Truncated bool `json:"truncated"`
}

// RefusedError is a statement the query tool does not run.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "refused, nothing was run: " + e.Reason }

// reads are the statements the tool runs. The read-only transaction would stop the
// writes among the others; this says so before anything runs, and stops SET, which a
// read-only transaction allows.
var reads = map[string]bool{"select": true, "with": true, "values": true, "table": true, "explain": true}

// sideEffects are functions whose effect outlives the statement or reaches outside the
// database's tables, which a read-only transaction allows (advisory locks are the
// session's; set_config is SET; the rest read or write the server's files, signal
// other sessions, or run SQL given as text, which would pass this check unseen).
// nextval and setval are here for a clear message: the transaction would refuse them.
var sideEffects = regexp.MustCompile(`\b(pg_advisory\w*|pg_try_advisory\w*|set_config|nextval|setval|pg_sleep\w*|` +
	`pg_terminate_backend|pg_cancel_backend|pg_reload_conf|pg_rotate_logfile|pg_notify|pg_logical_emit_message|` +
	`pg_switch_wal|pg_create_\w+|pg_drop_replication_slot|pg_replication_origin_\w+|pg_export_snapshot|` +
	`pg_read_file|pg_read_binary_file|pg_ls_\w+|pg_stat_file|lo_\w+|dblink\w*|` +
	`query_to_xml\w*|cursor_to_xml\w*|table_to_xml\w*|schema_to_xml\w*|database_to_xml\w*|` +
	`txid_current|pg_current_xact_id)\s*\(`)

// checkStatement returns the one statement of sql to run, or why it is refused. It
// reads the statement with its comments, strings and quoted names taken apart, so that
// neither hides a second statement nor a refused name.
func (s *Server) checkStatement(sql string) (string, error) {
	code, err := skeleton(sql)
	if err != nil {
		return "", &RefusedError{err.Error()}
	}
	// Postgres folds unquoted names to lower case: PG_ADVISORY_LOCK is pg_advisory_lock.
	code = strings.ToLower(strings.TrimSpace(code))
	if i := strings.IndexByte(code, ';'); i >= 0 {
		if strings.TrimSpace(strings.Trim(code[i:], "; \t\r\n")) != "" {
			return "", &RefusedError{"one statement at a time: this has more than one"}
		}
		code = code[:i]
	}
	first, _, _ := strings.Cut(strings.Join(strings.Fields(code), " "), " ")
	first = strings.TrimLeft(first, "(")
	if first == "" {
		return "", &RefusedError{"no statement"}
	}
	if !reads[first] {
		return "", &RefusedError{fmt.Sprintf("only reads run here (SELECT, WITH, VALUES, TABLE, EXPLAIN); %s is refused", strings.ToUpper(first))}
	}
	if m := sideEffects.FindStringSubmatch(code); m != nil {
		return "", &RefusedError{fmt.Sprintf("%s() acts outside the answer (locks, settings, files, other sessions, or SQL run from text)", m[1])}
	}
	for _, schema := range []string{s.schema, s.controlSchema} {
		if schema != "" && regexp.MustCompile(`\b`+regexp.QuoteMeta(schema)+`\s*\.`).MatchString(code) {
			return "", &RefusedError{fmt.Sprintf("name the tables without the schema (%s. is on the search path already)", schema)}
		}
	}
	// The statement as written, less a trailing semicolon: Postgres runs it, not the
	// skeleton.
	return strings.TrimRight(strings.TrimSpace(sql), "; \t\r\n"), nil
}

// skeleton is sql with its comments turned into spaces, its string constants into an
// empty string constant and its quoted names into their lower-case text: what is left is the statement's
// keywords, names and punctuation.
func skeleton(sql string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '-' && strings.HasPrefix(sql[i:], "--"):
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				return b.String(), nil
			}
			b.WriteByte(' ')
			i += j
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			// Postgres's block comments nest.
			depth, j := 0, i
			for j < len(sql) {
				if strings.HasPrefix(sql[j:], "/*") {
					depth, j = depth+1, j+2
				} else if strings.HasPrefix(sql[j:], "*/") {
					depth, j = depth-1, j+2
					if depth == 0 {
						break
					}
				} else {
					j++
				}
			}
			if depth != 0 {
				return "", errors.New("a comment is not closed")
			}
			b.WriteByte(' ')
			i = j
		case c == '\'':
			j, err := closeQuote(sql, i, '\'')
			if err != nil {
				return "", err
			}
			b.WriteString("''")
			i = j
		case c == '"':
			j, err := closeQuote(sql, i, '"')
			if err != nil {
				return "", err
			}
			b.WriteString(strings.ToLower(strings.ReplaceAll(sql[i+1:j-1], `""`, `"`)))
			i = j
		case c == '$':
			// A dollar-quoted string: $$…$$ or $tag$…$tag$. A $1 is a parameter.
			m := dollarTag.FindString(sql[i:])
			if m == "" {
				b.WriteByte(c)
				i++
				continue
			}
			end := strings.Index(sql[i+len(m):], m)
			if end < 0 {
				return "", errors.New("a $-quoted string is not closed")
			}
			b.WriteString("''")
			i += len(m) + end + len(m)
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

var dollarTag = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)?\$`)

// closeQuote returns the index after the quote q that closes the one at i; a doubled
// quote is one quote inside. Backslashes escape nothing in standard strings; in an
// escape string (E'…') a backslash could hide a quote from this reading, so it is refused.
func closeQuote(sql string, i int, q byte) (int, error) {
	for j := i + 1; j < len(sql); j++ {
		if sql[j] != q {
			if q == '\'' && sql[j] == '\\' && i > 0 && (sql[i-1] == 'E' || sql[i-1] == 'e') {
				return 0, errors.New(`backslash escapes in E'' strings are not accepted here; double a quote instead`)
			}
			continue
		}
		if j+1 < len(sql) && sql[j+1] == q {
			j++
			continue
		}
		return j + 1, nil
	}
	return 0, errors.New("a quoted string or name is not closed")
}

func (s *Server) query(ctx context.Context, _ *mcp.CallToolRequest, in QueryInput) (*mcp.CallToolResult, QueryOutput, error) {
	out, err := s.runQuery(ctx, in.SQL, clamp(in.MaxRows, defaultQueryRows, maxQueryRows))
	if err != nil {
		s.log.Info().Str("server", "mcp").Str("tool", "query").Err(err).Msg("query not answered")
	}
	return nil, out, err
}

// runQuery runs one checked statement in a transaction that ends in a rollback: the
// private-call layer (privacy.go) is created in it, then the transaction turns read
// only, with a statement timeout and the schema on the search path, and the statement
// runs; whatever it did, the rollback undoes, and a write was refused by Postgres
// before that.
func (s *Server) runQuery(ctx context.Context, sql string, maxRows int) (QueryOutput, error) {
	out := QueryOutput{Columns: []string{}, Rows: [][]any{}}
	stmt, err := s.checkStatement(sql)
	if err != nil {
		return out, err
	}
	conn, err := s.st.Pool().Acquire(ctx)
	if err != nil {
		return out, fmt.Errorf("query: %w", err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return out, fmt.Errorf("query: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := s.hideFromQueries(ctx, tx); err != nil {
		return out, fmt.Errorf("query: %w", err)
	}
	// Read only from here on: Postgres allows the switch at any point of a
	// transaction, and refuses the way back.
	setup := fmt.Sprintf(`SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = %d; SET LOCAL lock_timeout = 2000; SET LOCAL search_path = %s`,
		queryTimeout.Milliseconds(), pgx.Identifier{s.schema}.Sanitize())
	if _, err := tx.Exec(ctx, setup, pgx.QueryExecModeSimpleProtocol); err != nil {
		return out, fmt.Errorf("query: %w", err)
	}
	// The extended protocol (an unnamed statement, not cached) takes one statement
	// only: Postgres itself refuses a second one that got past the check.
	rows, err := tx.Query(ctx, stmt, pgx.QueryExecModeDescribeExec)
	if err != nil {
		return out, explain(err)
	}
	defer rows.Close()
	for _, f := range rows.FieldDescriptions() {
		out.Columns = append(out.Columns, f.Name)
	}
	size := 0
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return out, explain(err)
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i] = jsonValue(v)
		}
		b, _ := json.Marshal(row)
		if len(out.Rows) == maxRows || size+len(b) > maxQueryBytes {
			out.Truncated = true
			break
		}
		size += len(b)
		out.Rows = append(out.Rows, row)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, explain(err)
	}
	return out, nil
}

// jsonValue is v as the answer's JSON shows it: times as RFC 3339, and anything JSON
// cannot encode as its text.
func jsonValue(v any) any {
	switch t := v.(type) {
	case time.Time:
		return t.UTC().Format(time.RFC3339Nano)
	case nil, string, bool, int16, int32, int64, float32, float64:
		return v
	}
	if _, err := json.Marshal(v); err != nil {
		return fmt.Sprint(v)
	}
	return v
}

// explain words Postgres's refusals for the assistant: a write in the read-only
// transaction, the timeout, or the SQL error with its position.
func explain(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "25006":
			return &RefusedError{"the statement would write, and queries run in a read-only transaction (" + pg.Message + ")"}
		case "57014":
			return fmt.Errorf("the statement ran longer than %s and was cancelled: narrow it, or use the live_ views' indexed columns (started, call_id)", queryTimeout)
		case "42601":
			if strings.Contains(pg.Message, "multiple commands") {
				return &RefusedError{"one statement at a time: this has more than one"}
			}
		}
		return fmt.Errorf("postgres answered: %s (%s)", pg.Message, pg.Code)
	}
	return fmt.Errorf("query: %w", err)
}
