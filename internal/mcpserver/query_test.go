package mcpserver

import (
	"strings"
	"testing"
)

// The statement check reads past comments, strings and quoted names: what they hide
// neither passes nor is refused, and what they do not hide is judged. (The read-only
// transaction behind it is tested with a real client in cmd/gongsync.)
func TestMCPStatementCheckReadsPastCommentsAndStrings(t *testing.T) {
	s := &Server{schema: "gong", controlSchema: "gongsync"}
	for _, tc := range []struct {
		sql     string
		refused string // "" when the statement runs
		runs    string // the statement handed to Postgres, when it runs
	}{
		{"SELECT 1;", "", "SELECT 1"},
		{"  select ';' AS semi ;  ", "", "select ';' AS semi"},
		{"SELECT 'gong.calls' AS name", "", ""},
		{"SELECT 1 -- ; DELETE FROM calls", "", ""},
		{"SELECT $$;$$, $x$ pg_advisory_lock( $x$", "", ""},
		{`SELECT "it's" FROM calls`, "", ""},
		{"(SELECT 1) UNION (SELECT 2)", "", ""},
		{"WITH x AS (SELECT 1) SELECT * FROM x", "", ""},
		{"SELECT 1; SELECT 2", "one statement at a time", ""},
		{"SELECT 1 /* nested /* ; */ still */ ; DELETE FROM calls", "one statement at a time", ""},
		{"DELETE FROM calls", "DELETE is refused", ""},
		{"/* a comment */ SET search_path = public", "SET is refused", ""},
		{"DO $$ BEGIN END $$", "DO is refused", ""},
		{"COPY calls TO STDOUT", "COPY is refused", ""},
		{"SELECT PG_ADVISORY_LOCK (1)", "pg_advisory_lock() acts outside", ""},
		{"SELECT pg_try_advisory_xact_lock(1)", "pg_try_advisory_xact_lock() acts outside", ""},
		{"SELECT nextval('s')", "nextval() acts outside", ""},
		{"SELECT * FROM gong.calls", "without the schema", ""},
		{`SELECT * FROM "gong" . "calls"`, "without the schema", ""},
		{"SELECT * FROM gongsync.connections", "without the schema", ""},
		{"SELECT 'unclosed", "not closed", ""},
		{"SELECT 1 /* unclosed", "not closed", ""},
		{`SELECT E'\';DELETE FROM calls;--'`, "backslash", ""},
		{"", "no statement", ""},
		{"-- only a comment", "no statement", ""},
	} {
		got, err := s.checkStatement(tc.sql)
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("%q: refused (%v), want it run", tc.sql, err)
		case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
			t.Errorf("%q: %v, want refused saying %q", tc.sql, err, tc.refused)
		case tc.runs != "" && got != tc.runs:
			t.Errorf("%q: runs %q, want %q", tc.sql, got, tc.runs)
		}
	}
}
