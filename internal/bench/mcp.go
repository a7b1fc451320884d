package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gongsync/gongsync/internal/mcpserver"
	"github.com/gongsync/gongsync/store"
)

// The MCP server's tools, timed on the database the largest backfill filled, as an
// assistant calls them: the SDK's client and the server in this process, joined by
// the SDK's in-memory transports, so a time is the server's work (its SQL, the
// answer's JSON and its check against the output schema) and the client's decoding,
// without a network or a process between them.

// toolRun is the MCP tools on one database.
type toolRun struct {
	Calls, Sentences int
	Reps             int
	Tools            []toolFigure
}

// toolFigure is one tool call, repeated: its input, its time and its answer's size.
type toolFigure struct {
	Tool   string
	Input  string // the arguments, as JSON
	What   string // what the input stands for
	Ms     figure // wall time of each call, answer decoded, in milliseconds
	Answer string // what the answer held, for the table
	Bytes  int    // the answer's structured content, as JSON
}

// toolCase is an input to time.
type toolCase struct {
	tool string
	what string
	args map[string]any
}

// mcpTools times search_calls and get_transcript on db, reps calls of each input
// after one untimed call (the example queries' EXPLAIN plays that part for them).
func mcpTools(ctx context.Context, db string, reps int) (*toolRun, error) {
	st, err := store.Open(ctx, store.Options{DatabaseURL: db, MaxConns: 4})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	run := &toolRun{Reps: reps}
	pool := st.Pool()
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM gong.live_calls), (SELECT count(*) FROM gong.live_transcript_sentences)`).
		Scan(&run.Calls, &run.Sentences); err != nil {
		return nil, err
	}
	// The longest transcript an assistant may read (not private, not erased), and the
	// month of the dataset with the most calls, for a search narrowed to it.
	var longest string
	var longSentences int
	if err := pool.QueryRow(ctx, `SELECT s.call_id, count(*) FROM gong.transcript_sentences s
		JOIN gong.calls c ON c.id = s.call_id
		WHERE c.deleted_at IS NULL AND c.is_private IS NOT TRUE
		GROUP BY s.call_id ORDER BY count(*) DESC, s.call_id LIMIT 1`).Scan(&longest, &longSentences); err != nil {
		return nil, fmt.Errorf("the longest transcript: %w", err)
	}
	var month time.Time
	if err := pool.QueryRow(ctx, `SELECT date_trunc('month', started) FROM gong.calls WHERE started IS NOT NULL
		GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`).Scan(&month); err != nil {
		return nil, fmt.Errorf("the busiest month: %w", err)
	}
	from, to := month.Format(time.DateOnly), month.AddDate(0, 1, -1).Format(time.DateOnly)
	cases := []toolCase{
		{"search_calls", "a competitor the fake's transcripts name", map[string]any{"query": "Dialwise"}},
		{"search_calls", "a price phrase", map[string]any{"query": `"list price"`}},
		{"search_calls", "the competitor, in one month", map[string]any{"query": "Dialwise", "from": from, "to": to}},
		{"search_calls", "a word in no transcript", map[string]any{"query": "zeppelin"}},
		{"get_transcript", fmt.Sprintf("the longest transcript (%s sentences), whole", num(float64(longSentences), 0)),
			map[string]any{"call_id": longest, "max_chars": 200_000}},
		{"get_transcript", "the same call, default size limit (20,000 characters)", map[string]any{"call_id": longest}},
		{"get_transcript", "the same call, 5:00 to 10:00", map[string]any{"call_id": longest, "from_seconds": 300, "to_seconds": 600}},
	}

	srv := mcpserver.New(mcpserver.Options{Store: st, Version: "bench"})
	clientT, serverT := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, serverT, nil)
	if err != nil {
		return nil, fmt.Errorf("mcp server: %w", err)
	}
	defer func() { _ = ss.Close() }()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "v0"}, nil).Connect(ctx, clientT, nil)
	if err != nil {
		return nil, fmt.Errorf("mcp client: %w", err)
	}
	defer func() { _ = cs.Close() }()

	for _, c := range cases {
		in, _ := json.Marshal(c.args)
		f := toolFigure{Tool: c.tool, Input: string(in), What: c.what}
		for i := range reps + 1 {
			began := time.Now()
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: c.tool, Arguments: c.args})
			took := time.Since(began)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", c.tool, in, err)
			}
			if res.IsError {
				return nil, fmt.Errorf("%s %s answered an error: %s", c.tool, in, toolText(res))
			}
			if i == 0 {
				if f.Answer, f.Bytes, err = describeAnswer(c.tool, res); err != nil {
					return nil, fmt.Errorf("%s %s: %w", c.tool, in, err)
				}
				continue
			}
			f.Ms = append(f.Ms, float64(took.Microseconds())/1000)
		}
		run.Tools = append(run.Tools, f)
	}
	return run, nil
}

// toolText is the text of a tool's answer: its error message, when it failed.
func toolText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// describeAnswer says what an answer held: hits, or turns and characters.
func describeAnswer(tool string, res *mcp.CallToolResult) (string, int, error) {
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return "", 0, err
	}
	switch tool {
	case "search_calls":
		var out mcpserver.SearchOutput
		if err := json.Unmarshal(b, &out); err != nil {
			return "", 0, err
		}
		more := ""
		if out.More {
			more = ", more beyond the limit"
		}
		return fmt.Sprintf("%d hits%s", len(out.Hits), more), len(b), nil
	case "get_transcript":
		var out mcpserver.TranscriptOutput
		if err := json.Unmarshal(b, &out); err != nil {
			return "", 0, err
		}
		chars := 0
		for _, t := range out.Turns {
			chars += len(t.Text)
		}
		cut := ""
		if out.Truncated {
			cut = ", cut short"
		}
		return fmt.Sprintf("%d turns, %s characters%s", len(out.Turns), num(float64(chars), 0), cut), len(b), nil
	}
	return "", len(b), nil
}

// writeTools writes the tools' part of the example queries' section.
func (r *report) writeTools(w writer) {
	t := r.tools
	if t == nil {
		return
	}
	w("### The MCP server's tools")
	w("")
	w("`search_calls` and `get_transcript` on the same database (%s live calls, %s transcript sentences), called as an assistant calls them: "+
		"the SDK's client (`github.com/modelcontextprotocol/go-sdk`) and `internal/mcpserver` in the benchmark's process, joined by the SDK's "+
		"in-memory transports, the server on a pool of its own (4 connections, as `gongsync mcp`'s), private calls left out (the default). "+
		"Each input was called once untimed, then %d times, timed from sending the request to holding the decoded answer: the server's SQL, "+
		"the answer's JSON and its check against the tool's output schema, without a network or a process between client and server. "+
		"Milliseconds, median and 95th percentile (nearest rank) of the %d calls, with the fastest and slowest.",
		num(float64(t.Calls), 0), num(float64(t.Sentences), 0), t.Reps, t.Reps)
	w("")
	w("| tool | input | arguments | median ms | p95 ms | min–max ms | answer | answer bytes |")
	w("|---|---|---|---|---|---|---|---|")
	for _, f := range t.Tools {
		w("| `%s` | %s | `%s` | %s | %s | %s–%s | %s | %s |", f.Tool, f.What, f.Input, num(f.Ms.median(), 1), num(f.Ms.quantile(0.95), 1),
			num(f.Ms.min(), 1), num(f.Ms.max(), 1), f.Answer, num(float64(f.Bytes), 0))
	}
	w("")
}

// turnsDisk is the room transcript turns and chunks take beside the sentences they
// are derived from, on the largest backfill's database.
type turnsDisk struct {
	Calls       int // calls in the calls table, deleted ones included: what was synced
	Transcripts int // calls with a transcript
	Tables      []tableBytes
}

// tableBytes is one table's rows and bytes on disk.
type tableBytes struct {
	Name          string
	Rows          int64
	Table, Index  int64 // pg_table_size (heap, TOAST, free space and visibility maps), pg_indexes_size
	Total         int64 // pg_total_relation_size: both
	CallsWithRows int64
}

// transcriptTables are the tables turnsDisk compares, the sentences first.
var transcriptTables = []string{"transcript_sentences", "transcript_turns", "transcript_chunks"}

// measureTurnsDisk reads the transcript tables' sizes on db. Run after the example
// queries' VACUUM (ANALYZE): the sizes are what a vacuumed installation holds.
func measureTurnsDisk(ctx context.Context, db string) (*turnsDisk, error) {
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	d := &turnsDisk{}
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM gong.calls),
		(SELECT count(DISTINCT call_id) FROM gong.transcript_sentences)`).Scan(&d.Calls, &d.Transcripts); err != nil {
		return nil, err
	}
	for _, name := range transcriptTables {
		t := tableBytes{Name: name}
		q := fmt.Sprintf(`SELECT (SELECT count(*) FROM gong.%[1]s), (SELECT count(DISTINCT call_id) FROM gong.%[1]s),
			pg_table_size('gong.%[1]s'), pg_indexes_size('gong.%[1]s'), pg_total_relation_size('gong.%[1]s')`, name)
		if err := conn.QueryRow(ctx, q).Scan(&t.Rows, &t.CallsWithRows, &t.Table, &t.Index, &t.Total); err != nil {
			return nil, fmt.Errorf("size of %s: %w", name, err)
		}
		d.Tables = append(d.Tables, t)
	}
	return d, nil
}

// turnsDiskHeading heads the bytes' part of the turns section; -only-queries, which
// measures them, rewrites that part alone, and -only-turns keeps it.
const turnsDiskHeading = "On disk"

// writeTurnsDisk writes the bytes' part of the turns section.
func (r *report) writeTurnsDisk(w writer) {
	d := r.disk
	if d == nil || len(d.Tables) != len(transcriptTables) {
		return
	}
	source := fmt.Sprintf("the database the %s-call backfill of section 4 filled", num(float64(r.cfg.bigCalls), 0))
	if r.cfg.onlyQueries {
		source = fmt.Sprintf("the database of section 6 (a backfill of %s calls, `go run ./internal/bench -only-queries`, %s, which rewrote this part of the section)",
			num(float64(r.cfg.bigCalls), 0), r.began.UTC().Format("2006-01-02 15:04 MST"))
	}
	sent := d.Tables[0]
	w("### " + turnsDiskHeading)
	w("")
	w("What the turns and chunks take on disk beside the sentences they are derived from, on %s: %s calls synced, %s of them with a transcript, "+
		"%s sentences (%s a transcript on average, the `--big-sentences-per-call` of that backfill), after `VACUUM (ANALYZE)`. "+
		"Bytes are `pg_total_relation_size`: the table, its TOAST and its indexes (sentences: their full-text GIN index included). "+
		"Chunks are left out for private calls and calls an erasure touched (the default), so fewer calls have chunks than turns. "+
		"Per 1,000 calls synced, and per 1,000 sentences for other transcript lengths.",
		source, num(float64(d.Calls), 0), num(float64(d.Transcripts), 0), num(float64(sent.Rows), 0),
		num(float64(sent.Rows)/float64(max(d.Transcripts, 1)), 0))
	w("")
	w("| table | rows | calls with rows | table and TOAST, MiB | indexes, MiB | total, MiB | KiB per 1,000 calls | KiB per 1,000 sentences | beside the sentences |")
	w("|---|---|---|---|---|---|---|---|---|")
	var extra int64
	for i, t := range d.Tables {
		share := "–"
		if i > 0 {
			share = fmt.Sprintf("+%.1f%%", 100*float64(t.Total)/float64(sent.Total))
			extra += t.Total
		}
		w("| `%s` | %s | %s | %s | %s | %s | %s | %s | %s |", t.Name, num(float64(t.Rows), 0), num(float64(t.CallsWithRows), 0),
			num(mib(float64(t.Table)), 1), num(mib(float64(t.Index)), 1), num(mib(float64(t.Total)), 1),
			num(float64(t.Total)/1024/float64(d.Calls)*1000, 0), num(float64(t.Total)/1024/float64(sent.Rows)*1000, 1), share)
	}
	w("")
	w("Keeping turns and chunks adds **%s KiB per 1,000 calls** synced at this length (%s KiB per 1,000 sentences), **+%.1f%%** on the sentences' own bytes.",
		num(float64(extra)/1024/float64(d.Calls)*1000, 0), num(float64(extra)/1024/float64(sent.Rows)*1000, 1), 100*float64(extra)/float64(sent.Total))
	w("")
}

// measureDatabase measures what the largest backfill's database answers: the example
// queries (which vacuum it first), the MCP tools, and the room turns and chunks take.
func (r *report) measureDatabase(ctx context.Context, db string) error {
	c := r.cfg
	say(r.began, "  the example queries of docs/queries.sql, %d runs each", c.queryReps)
	var err error
	if r.queries, err = exampleQueries(ctx, db, c.queryReps); err != nil {
		return err
	}
	say(r.began, "  the MCP tools search_calls and get_transcript, %d calls each", c.mcpReps)
	if r.tools, err = mcpTools(ctx, db, c.mcpReps); err != nil {
		return fmt.Errorf("mcp tools: %w", err)
	}
	say(r.began, "  the transcript tables' sizes")
	if r.disk, err = measureTurnsDisk(ctx, db); err != nil {
		return fmt.Errorf("transcript tables' sizes: %w", err)
	}
	return nil
}
