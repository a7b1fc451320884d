package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gongsync/gongsync/internal/mcpserver"
)

// mcpWorld is a database synced from the simulated Gong, with one call made private:
// what an assistant's MCP client reads.
type mcpWorld struct {
	k    *killEnv
	db   string
	pool *pgxpool.Pool
	// phrase is said in the transcripts of at least two calls: shown, the one of them
	// that is public, and hidden, the one made private.
	phrase        string
	shown, hidden string
	visibleCalls  int
}

func newMCPWorld(t *testing.T) *mcpWorld {
	t.Helper()
	w := &mcpWorld{k: newKillEnv(t, 40, 0), db: migrated.NewDatabase(t), phrase: "Dialwise"}
	if code, out, errOut := gongsync(t, envMapOf(w.k.env(w.db)), "backfill", "--from", w.k.from, "--to", w.k.to, "--progress", "none"); code != 0 {
		t.Fatalf("backfill: exit %d\n%s%s", code, out, errOut)
	}
	var err error
	if w.pool, err = pgxpool.New(context.Background(), w.db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.pool.Close)
	ctx := context.Background()
	rows, err := w.pool.Query(ctx, `SELECT DISTINCT call_id FROM gong.transcript_sentences WHERE text LIKE '%' || $1 || '%' ORDER BY call_id`, w.phrase)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if len(ids) < 2 {
		t.Fatalf("the simulated Gong said %q in %d calls' transcripts, want at least 2", w.phrase, len(ids))
	}
	w.hidden, w.shown = ids[0], ids[1]
	if _, err := w.pool.Exec(ctx, `UPDATE gong.calls SET is_private = true WHERE id = $1`, w.hidden); err != nil {
		t.Fatal(err)
	}
	if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM gong.calls WHERE deleted_at IS NULL AND is_private IS NOT TRUE`).Scan(&w.visibleCalls); err != nil {
		t.Fatal(err)
	}
	return w
}

// call calls a tool and decodes its structured answer into out; it returns the
// result's text when the tool answered an error.
func call(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any, out any) (errText string) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s %v: %v", tool, args, err)
	}
	if res.IsError {
		var b strings.Builder
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				b.WriteString(tc.Text)
			}
		}
		return b.String()
	}
	if out != nil {
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v\n%s", tool, err, b)
		}
	}
	return ""
}

// advisoryLocks counts the advisory locks on key 42 (the one the refused query asks
// for) held in the test's database: the daemon's own runs and the other tests sharing
// the server take and release advisory locks of their own meanwhile.
func (w *mcpWorld) advisoryLocks(t *testing.T) int {
	t.Helper()
	var n int
	if err := w.pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_locks
		WHERE locktype = 'advisory' AND classid = 0 AND objid = 42 AND objsubid = 1
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// exercise is an assistant's session: it finds a call by a phrase of its transcript,
// reads the call and its transcript, lists calls, asks how fresh the copy is, reads
// the schema, and tries to write through query; the private call appears nowhere.
func (w *mcpWorld) exercise(t *testing.T, cs *mcp.ClientSession) {
	t.Helper()
	ctx := context.Background()
	if info := cs.InitializeResult(); info == nil || info.ServerInfo.Name != "gongsync" {
		t.Fatalf("initialize: %+v", info)
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
		if b, _ := json.Marshal(tool.InputSchema); !strings.Contains(string(b), `"type":"object"`) {
			t.Errorf("%s: input schema %s", tool.Name, b)
		}
	}
	slices.Sort(names)
	if want := []string{"get_call", "get_transcript", "list_calls", "query", "search_calls", "sync_status"}; !slices.Equal(names, want) {
		t.Errorf("tools %v, want %v", names, want)
	}

	// Search: the public call is found with what cites it; the private one is not.
	var found mcpserver.SearchOutput
	if e := call(t, cs, "search_calls", map[string]any{"query": w.phrase, "limit": 100}, &found); e != "" {
		t.Fatalf("search_calls: %s", e)
	}
	var hit *mcpserver.SearchHit
	for i, h := range found.Hits {
		if h.CallID == w.hidden {
			t.Errorf("search_calls found the private call %s", w.hidden)
		}
		if h.CallID == w.shown {
			hit = &found.Hits[i]
		}
		if !strings.Contains(h.Snippet, "**"+w.phrase+"**") || h.URL == "" || h.Started == "" || h.Title == "" {
			t.Errorf("a hit an assistant cannot cite: %+v", h)
		}
	}
	if hit == nil {
		t.Fatalf("search_calls %q did not find call %s: %+v", w.phrase, w.shown, found)
	}
	// The filters narrow: a company that is nobody's finds nothing.
	var none mcpserver.SearchOutput
	if e := call(t, cs, "search_calls", map[string]any{"query": w.phrase, "company": "No Such Company Ltd"}, &none); e != "" || len(none.Hits) != 0 {
		t.Errorf("search_calls with a company of nobody: %s %+v", e, none)
	}

	var got mcpserver.CallOutput
	if e := call(t, cs, "get_call", map[string]any{"call_id": hit.CallID}, &got); e != "" {
		t.Fatalf("get_call: %s", e)
	}
	if got.Title != hit.Title || got.URL != hit.URL || len(got.Parties) == 0 || got.Transcript != "available" {
		t.Errorf("get_call %s: %+v", hit.CallID, got)
	}
	if e := call(t, cs, "get_call", map[string]any{"call_id": w.hidden}, nil); !strings.Contains(e, "no call") {
		t.Errorf("get_call of the private call: %q, want no call", e)
	}

	// The transcript as turns: the phrase is in the turn the hit points into.
	var tr mcpserver.TranscriptOutput
	if e := call(t, cs, "get_transcript", map[string]any{"call_id": hit.CallID}, &tr); e != "" {
		t.Fatalf("get_transcript: %s", e)
	}
	saidIt := false
	for _, turn := range tr.Turns {
		if strings.Contains(turn.Text, w.phrase) && turn.StartMs <= hit.StartMs && hit.StartMs <= turn.EndMs && turn.Speaker == hit.Speaker {
			saidIt = true
		}
	}
	if len(tr.Turns) == 0 || !saidIt || tr.Truncated {
		t.Errorf("get_transcript %s: no turn says %q at %s by %s (%d turns, truncated %v)", hit.CallID, w.phrase, hit.At, hit.Speaker, len(tr.Turns), tr.Truncated)
	}
	var part mcpserver.TranscriptOutput
	if e := call(t, cs, "get_transcript", map[string]any{"call_id": hit.CallID, "max_chars": 1}, &part); e != "" ||
		len(part.Turns) != 1 || !part.Truncated || part.NextFromSeconds <= 0 {
		t.Errorf("get_transcript with max_chars 1: %s %d turns, truncated %v, next %v", e, len(part.Turns), part.Truncated, part.NextFromSeconds)
	}
	if e := call(t, cs, "get_transcript", map[string]any{"call_id": w.hidden}, nil); !strings.Contains(e, "no call") {
		t.Errorf("get_transcript of the private call: %q", e)
	}

	// Every page of list_calls: the visible calls, newest first, never the private one.
	var listed []mcpserver.CallSummary
	for page := 1; ; page++ {
		var l mcpserver.ListOutput
		if e := call(t, cs, "list_calls", map[string]any{"page": page, "page_size": 7}, &l); e != "" {
			t.Fatalf("list_calls: %s", e)
		}
		listed = append(listed, l.Calls...)
		if !l.More {
			break
		}
	}
	if len(listed) != w.visibleCalls || !slices.IsSortedFunc(listed, func(a, b mcpserver.CallSummary) int { return strings.Compare(b.Started, a.Started) }) {
		t.Errorf("list_calls: %d calls, want %d newest first", len(listed), w.visibleCalls)
	}
	for _, c := range listed {
		if c.CallID == w.hidden {
			t.Errorf("list_calls lists the private call")
		}
	}

	var st mcpserver.StatusOutput
	if e := call(t, cs, "sync_status", map[string]any{}, &st); e != "" || len(st.Streams) == 0 || st.NewestCall == nil || st.Calls != int64(w.visibleCalls) {
		t.Errorf("sync_status: %s %+v", e, st)
	}
	res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: mcpserver.SchemaURI})
	if err != nil || len(res.Contents) != 1 || !strings.Contains(res.Contents[0].Text, "## transcript_sentences (table)") ||
		strings.Contains(res.Contents[0].Text, "oauth_tokens") {
		t.Errorf("the schema resource: %v", err)
	}

	// query reads through the layer that hides the private call.
	var q mcpserver.QueryOutput
	if e := call(t, cs, "query", map[string]any{"sql": "SELECT count(*) AS n, count(*) FILTER (WHERE id = '" + w.hidden + "') AS hidden FROM live_calls;"}, &q); e != "" ||
		!reflect.DeepEqual(q.Rows, [][]any{{float64(w.visibleCalls), float64(0)}}) {
		t.Errorf("query count: %s %+v", e, q)
	}
	if e := call(t, cs, "query", map[string]any{"sql": "SELECT count(*) FROM transcript_sentences WHERE call_id = '" + w.hidden + "'"}, &q); e != "" ||
		!reflect.DeepEqual(q.Rows, [][]any{{float64(0)}}) {
		t.Errorf("query of the private call's transcript: %s %+v", e, q)
	}
	if e := call(t, cs, "query", map[string]any{"sql": "SELECT id FROM calls ORDER BY id", "max_rows": 3}, &q); e != "" || len(q.Rows) != 3 || !q.Truncated {
		t.Errorf("query with max_rows 3: %s %+v", e, q)
	}

	// Every write is refused, and nothing changed.
	locks, calls := w.advisoryLocks(t), 0
	if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM gong.calls`).Scan(&calls); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"DELETE FROM calls",
		"delete from calls where id = '" + w.shown + "'",
		"UPDATE calls SET title = 'x'",
		"SET search_path = public",
		"SELECT 1; DELETE FROM calls",
		"SELECT 1 /* ; */ ; SELECT 2",
		"SELECT nextval('sync_runs_id_seq')",
		"SELECT pg_advisory_lock(42)",
		"SELECT set_config('search_path', 'public', false)",
		"WITH d AS (DELETE FROM calls RETURNING id) SELECT count(*) FROM d",
		"SELECT * FROM calls FOR UPDATE",
		"SELECT * INTO stolen FROM calls",
		"COPY calls TO STDOUT",
		"DO $$ BEGIN DELETE FROM gong.calls; END $$",
		"CREATE TABLE x (a int)",
		"SELECT count(*) FROM gong.calls",
		`SELECT count(*) FROM "gong"."calls"`,
		"SELECT query_to_xml('select * from gong.calls', true, true, '')",
	} {
		e := call(t, cs, "query", map[string]any{"sql": sql}, nil)
		if !strings.Contains(e, "refused") {
			t.Errorf("query %q: %q, want refused", sql, e)
		}
	}
	if n := w.advisoryLocks(t); n != locks {
		t.Errorf("%d advisory locks after the refusals, %d before", n, locks)
	}
	var untouched int
	if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM gong.calls WHERE title IS DISTINCT FROM 'x'`).Scan(&untouched); err != nil || untouched != calls {
		t.Errorf("%d calls left untouched of %d (%v)", untouched, calls, err)
	}
}

// The built binary's `gongsync mcp`, started by the SDK's client as a desktop
// assistant starts it, answers every tool from the database: no request reaches Gong,
// the private call appears nowhere, every write through query is refused and the
// database is the same after as before.
func TestMCPOverStdioAnswersFromTheCopyOnly(t *testing.T) {
	t.Parallel()
	w := newMCPWorld(t)
	bin := filepath.Join(t.TempDir(), "gongsync")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	before, stats := dump(t, w.db), fakeStats(t, w.k.url)

	cmd := exec.Command(bin, "mcp")
	// The command needs the database only: no Gong credentials are given.
	cmd.Env = []string{"DATABASE_URL=" + w.db, "LOG_LEVEL=warn", "LOG_FORMAT=json"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-assistant", Version: "v0"}, nil).Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, stderr.String())
	}
	w.exercise(t, cs)
	if err := cs.Close(); err != nil {
		t.Errorf("close: %v\n%s", err, stderr.String())
	}
	if after := fakeStats(t, w.k.url); after.Total != stats.Total {
		t.Errorf("the MCP session sent %d requests to Gong: %v", after.Total-stats.Total, after.ByEndpoint)
	}
	if after := dump(t, w.db); !reflect.DeepEqual(after, before) {
		t.Errorf("the database changed during the MCP session")
	}
}

// bearer adds a token to every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// The daemon serves the same over streamable HTTP on GONGSYNC_MCP_ADDR: a missing or
// wrong token gets 401, and with the token the session answers from the copy alone.
func TestMCPOverHTTPFromTheDaemon(t *testing.T) {
	t.Parallel()
	w := newMCPWorld(t)
	addr := freeAddr(t)
	token := "mcp-Token-0f9e8d7c6b5a-0123456789abcdef"
	// Schedules that do not come round during the test: what the daemon syncs at
	// start is done before the session begins.
	env := append(w.k.env(w.db), "GONGSYNC_HTTP_ADDR=off", "GONGSYNC_MCP_ADDR="+addr, "GONGSYNC_MCP_TOKEN="+token,
		"GONGSYNC_SCHEDULE_CALLS=0 0 1 1 *", "GONGSYNC_SCHEDULE_USERS=0 0 1 1 *", "GONGSYNC_SCHEDULE_SETTLE=0 0 1 1 *", "GONGSYNC_SCHEDULE_DAILY=0 0 1 1 *")
	var stderr safeBuffer
	cmd := process(context.Background(), env, "run")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	endpoint := "http://" + addr + mcpserver.Path

	// Up, and done with what it syncs at start: no run going, and Gong quiet a while.
	deadline := time.Now().Add(time.Minute)
	last := int64(-1)
	for {
		code, _ := get(endpoint)
		var running int
		_ = w.pool.QueryRow(context.Background(), `SELECT count(*) FROM gong.sync_runs WHERE status = 'running'`).Scan(&running)
		total := fakeStats(t, w.k.url).Total
		if code == http.StatusUnauthorized && running == 0 && total == last {
			break
		}
		last = total
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not settle (status %d, %d runs going)\n%s", code, running, stderr.String())
		}
		time.Sleep(time.Second)
	}

	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"0"}}}`
	for name, auth := range map[string]string{"no token": "", "wrong token": "Bearer " + strings.Repeat("x", len(token)),
		"token as Basic": "Basic " + token, "token with a suffix": "Bearer " + token + "x"} {
		req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(initialize))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %d, want 401 with WWW-Authenticate", name, resp.StatusCode)
		}
	}
	ctx := context.Background()
	if _, err := mcp.NewClient(&mcp.Implementation{Name: "intruder", Version: "v0"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: &http.Client{Transport: bearer{"wrong-" + token}}, MaxRetries: -1}, nil); err == nil {
		t.Errorf("a client with a wrong token connected")
	}

	stats := fakeStats(t, w.k.url)
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-assistant", Version: "v0"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: &http.Client{Transport: bearer{token}}}, nil)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, stderr.String())
	}
	w.exercise(t, cs)
	_ = cs.Close()
	if after := fakeStats(t, w.k.url); after.Total != stats.Total {
		t.Errorf("the MCP session sent %d requests to Gong: %v", after.Total-stats.Total, after.ByEndpoint)
	}
	if strings.Contains(stderr.String(), token) {
		t.Errorf("the token is in the log")
	}
}
