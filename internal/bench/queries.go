package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gongsync/gongsync/internal/examples"
	"github.com/jackc/pgx/v5"
)

// The example questions of docs/queries.sql, timed on the database the largest
// backfill filled, each with its plan checked: what an analyst meets on 100,000 calls.

// largeTable is the row count from which a sequential scan needs a reason; below it,
// reading the table costs about what reading an index does.
const largeTable = 10_000

// keptFloor is the share of the rows it reads that a sequential scan of a large table
// must keep. One that throws away more has a selective filter: an index on it would
// serve.
const keptFloor = 0.10

// queryRun is the example queries on one database.
type queryRun struct {
	Calls, Sentences int
	Reps             int
	Queries          []queryFigure
}

// queryFigure is one example query: its time, its answer's size, and what its plan
// reads.
type queryFigure struct {
	Name   string
	Ms     figure   // wall time of each run, answer read, in milliseconds
	Rows   int      // rows in the answer
	Whole  []string // large tables the plan reads whole (and why that is right)
	Misses []string // sequential scans where an index would serve
}

// exampleQueries runs every example query on db: once under EXPLAIN ANALYZE to check
// its plan, then reps times to time it. The tables are vacuumed and analyzed first,
// as autovacuum keeps them on a live installation (statistics for the planner, the
// visibility map for index-only scans).
func exampleQueries(ctx context.Context, db string, reps int) (*queryRun, error) {
	path, err := examples.DefaultPath()
	if err != nil {
		return nil, err
	}
	qs, err := examples.Load(path)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(db)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["search_path"] = "gong"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "VACUUM (ANALYZE)"); err != nil {
		return nil, fmt.Errorf("vacuum: %w", err)
	}
	run := &queryRun{Reps: reps}
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM live_calls), (SELECT count(*) FROM live_transcript_sentences)`).
		Scan(&run.Calls, &run.Sentences); err != nil {
		return nil, err
	}
	sizes, err := tableSizes(ctx, conn)
	if err != nil {
		return nil, err
	}
	for _, q := range qs {
		f := queryFigure{Name: q.Name}
		var plan []byte
		if err := conn.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+q.SQL).Scan(&plan); err != nil {
			return nil, fmt.Errorf("explain %s: %w", q.Name, err)
		}
		if f.Whole, f.Misses, err = checkPlan(plan, sizes); err != nil {
			return nil, fmt.Errorf("plan of %s: %w", q.Name, err)
		}
		for range reps {
			began := time.Now()
			rows, err := conn.Query(ctx, q.SQL)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", q.Name, err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("%s: %w", q.Name, err)
			}
			f.Ms = append(f.Ms, float64(time.Since(began).Microseconds())/1000)
			f.Rows = n
		}
		run.Queries = append(run.Queries, f)
	}
	return run, nil
}

// tableSizes is the planner's row count of every table of the schema.
func tableSizes(ctx context.Context, conn *pgx.Conn) (map[string]float64, error) {
	rows, err := conn.Query(ctx, `SELECT relname, reltuples FROM pg_class
		WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'`)
	if err != nil {
		return nil, err
	}
	sizes := map[string]float64{}
	var name string
	var n float64
	_, err = pgx.ForEachRow(rows, []any{&name, &n}, func() error { sizes[name] = n; return nil })
	return sizes, err
}

// planNode is the part of a node of EXPLAIN (ANALYZE, FORMAT JSON) the check reads.
// Actual rows and rows removed are per loop; a parallel-aware node's loops are its
// workers, not repetitions.
type planNode struct {
	NodeType      string     `json:"Node Type"`
	Relation      string     `json:"Relation Name"`
	ParallelAware bool       `json:"Parallel Aware"`
	Rows          float64    `json:"Actual Rows"`
	Loops         float64    `json:"Actual Loops"`
	Removed       float64    `json:"Rows Removed by Filter"`
	Plans         []planNode `json:"Plans"`
}

// checkPlan reads a plan and sorts its sequential scans of large tables: those that
// read a table whole, keeping most of it (the question needs most rows: an index
// would cost more), and those where an index would serve, because the scan throws
// away most of what it reads or runs again for every row of a join.
func checkPlan(explain []byte, sizes map[string]float64) (whole, misses []string, err error) {
	var doc []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal(explain, &doc); err != nil {
		return nil, nil, err
	}
	if len(doc) != 1 {
		return nil, nil, errors.New("not one plan")
	}
	var walk func(n *planNode)
	walk = func(n *planNode) {
		if n.NodeType == "Seq Scan" && sizes[n.Relation] >= largeTable {
			read := n.Rows + n.Removed
			kept := 1.0
			if read > 0 {
				kept = n.Rows / read
			}
			switch {
			case kept < keptFloor:
				misses = append(misses, fmt.Sprintf("%s: the scan keeps %.1f%% of the rows it reads; an index on its filter would serve", n.Relation, 100*kept))
			case n.Loops > 1 && !n.ParallelAware:
				misses = append(misses, fmt.Sprintf("%s: scanned %.0f times, once per row of a join; an index on the join's column would serve", n.Relation, n.Loops))
			default:
				whole = append(whole, fmt.Sprintf("%s (%s rows, %.0f%% kept)", n.Relation, num(sizes[n.Relation], 0), 100*kept))
			}
		}
		for i := range n.Plans {
			walk(&n.Plans[i])
		}
	}
	walk(&doc[0].Plan)
	return whole, misses, nil
}

// writeQueries writes the section of the report on the example queries.
func (r *report) writeQueries(w writer) {
	w("## %s", queriesHeading)
	w("")
	q := r.queries
	if q == nil {
		w("Not measured in this run.")
		w("")
		return
	}
	source := fmt.Sprintf("the database the %s-call backfill above filled", num(float64(r.cfg.bigCalls), 0))
	if r.cfg.onlyQueries {
		source = fmt.Sprintf("the database a backfill of %s calls filled, the same dataset as the largest backfill above, in a run of its own "+
			"(`go run ./internal/bench -only-queries`, %s, which rewrote this section and the part on disk of section 9 only)", num(float64(r.cfg.bigCalls), 0), r.began.UTC().Format("2006-01-02 15:04 MST"))
	}
	w("Every question of `docs/queries.sql` on %s: %s live calls, %s transcript sentences, "+
		"after `VACUUM (ANALYZE)` (what autovacuum keeps up on a live installation). Each query ran once under `EXPLAIN (ANALYZE)`, its plan checked, "+
		"then %d times, timed from sending it to reading the last row of its answer. Times are milliseconds, median (min–max) of the %d runs; "+
		"the server is the one described above, its settings untouched (JIT on).",
		source, num(float64(q.Calls), 0), num(float64(q.Sentences), 0), q.Reps, q.Reps)
	w("")
	w("The plan check: no sequential scan of a table of %s rows or more that keeps under %.0f%% of the rows it reads, or that runs again for each row of a join. "+
		"Those are where an index would serve. A large table read whole is named with the share of its rows the scan keeps: where a question needs that share of a table, "+
		"reading it in order costs less than fetching the rows one by one through an index.",
		num(largeTable, 0), 100*keptFloor)
	w("")
	w("| question | ms | rows | large tables read whole | plan check |")
	w("|---|---|---|---|---|")
	bad := 0
	for _, f := range q.Queries {
		check := "met"
		if len(f.Misses) > 0 {
			check = "**NOT MET**: " + strings.Join(f.Misses, "; ")
			bad++
		}
		whole := strings.Join(f.Whole, ", ")
		if whole == "" {
			whole = "none"
		}
		w("| `%s` | %s | %d | %s | %s |", f.Name, f.Ms.show(1), f.Rows, whole, check)
	}
	w("")
	w("Plans: %d of %d questions without a sequential scan where an index would serve: **%s**.", len(q.Queries)-bad, len(q.Queries), verdict(bad == 0))
	w("")
	r.writeTools(w)
}

// queriesHeading heads the section; -only-queries finds it by this text.
const queriesHeading = "6. Example queries"

// ok reports whether every example query's plan passed its check.
func (q *queryRun) ok() bool {
	if q == nil {
		return false
	}
	for _, f := range q.Queries {
		if len(f.Misses) > 0 {
			return false
		}
	}
	return true
}

// spliceSection replaces the section headed "## heading" in a Markdown document (up
// to the next "## " heading) with section, or inserts it before the heading before,
// or appends it.
func spliceSection(doc, heading, section, before string) string {
	start := strings.Index(doc, "## "+heading+"\n")
	if start < 0 {
		if at := strings.Index(doc, "## "+before+"\n"); at >= 0 {
			return doc[:at] + section + doc[at:]
		}
		return strings.TrimRight(doc, "\n") + "\n\n" + section
	}
	end := strings.Index(doc[start+3:], "\n## ")
	if end < 0 {
		return doc[:start] + section
	}
	return doc[:start] + section + doc[start+3+end+1:]
}

// sectionBounds is where the section headed "## heading" starts and ends (at the next
// "## " heading, or the document's end); start is -1 without it.
func sectionBounds(doc, heading string) (start, end int) {
	start = strings.Index(doc, "## "+heading+"\n")
	if start < 0 {
		return -1, -1
	}
	if i := strings.Index(doc[start+3:], "\n## "); i >= 0 {
		return start, start + 3 + i + 1
	}
	return start, len(doc)
}

// subsectionBounds is where the subsection headed "### sub" starts and ends in a
// section (at the next "### " heading, or the section's end); start is -1 without it.
func subsectionBounds(sec, sub string) (start, end int) {
	at := strings.Index(sec, "\n### "+sub+"\n")
	if at < 0 {
		return -1, -1
	}
	start = at + 1
	if i := strings.Index(sec[start:], "\n### "); i >= 0 {
		return start, start + i + 1
	}
	return start, len(sec)
}

// subsection is the text of the subsection headed "### sub" of the section headed
// "## heading", "" without it.
func subsection(doc, heading, sub string) string {
	start, end := sectionBounds(doc, heading)
	if start < 0 {
		return ""
	}
	sec := doc[start:end]
	if s, e := subsectionBounds(sec, sub); s >= 0 {
		return sec[s:e]
	}
	return ""
}

// spliceSubsection replaces the subsection headed "### sub" of the section headed
// "## heading" with text, or appends text to the section; a document without the
// section is returned as it was.
func spliceSubsection(doc, heading, sub, text string) string {
	start, end := sectionBounds(doc, heading)
	if start < 0 {
		return doc
	}
	sec := doc[start:end]
	if s, e := subsectionBounds(sec, sub); s >= 0 {
		sec = sec[:s] + text + sec[e:]
	} else {
		sec = strings.TrimRight(sec, "\n") + "\n\n" + text
	}
	return doc[:start] + sec + doc[end:]
}

// onlyQueries measures the example queries, the MCP tools and the transcript tables'
// sizes alone, on a backfill of c.bigCalls calls, and writes the queries' section and
// the turns section's part on disk into the existing report.
func onlyQueries(ctx context.Context, e *env, r *report) error {
	c := r.cfg
	say(r.began, "end-to-end backfill of %d calls, then the example queries and the MCP tools", c.bigCalls)
	if _, err := backfillThen(ctx, e, 1, c.bigCalls, c.bigSent, "", false, r.measureDatabase); err != nil {
		return err
	}
	old, err := os.ReadFile(c.out)
	if err != nil {
		return err
	}
	var b strings.Builder
	r.writeQueries(func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) })
	doc := spliceSection(string(old), queriesHeading, b.String(), "Where the time goes: the profile")
	b.Reset()
	r.writeTurnsDisk(func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) })
	doc = spliceSubsection(doc, turnsHeading, turnsDiskHeading, b.String())
	if err := os.WriteFile(c.out, []byte(doc), 0o644); err != nil {
		return err
	}
	say(r.began, "wrote the example queries' section of %s and the part %q of its section %q", c.out, turnsDiskHeading, turnsHeading)
	return nil
}
