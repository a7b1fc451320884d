package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The schema explains itself: every table, view and column of the migrated schema
// carries a comment, whoever added it, so `\d+` and docs/SCHEMA.md never show a
// bare name. A migration that adds a table or column without its COMMENT fails here.
func TestEveryTableViewAndColumnHasAComment(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	rows, err := s.pool.Query(ctx, `
		SELECT c.relname, c.relkind::text, '' FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
		  AND coalesce(obj_description(c.oid, 'pg_class'), '') = ''
		UNION ALL
		SELECT c.relname, c.relkind::text, a.attname FROM pg_class c
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
		  AND coalesce(col_description(c.oid, a.attnum), '') = ''
		ORDER BY 1, 3`)
	if err != nil {
		t.Fatal(err)
	}
	var rel, kind, col string
	var bare []string
	if _, err := pgx.ForEachRow(rows, []any{&rel, &kind, &col}, func() error {
		what := map[string]string{"r": "table", "p": "table", "v": "view", "m": "materialized view", "f": "foreign table"}[kind]
		if col == "" {
			bare = append(bare, fmt.Sprintf("%s %s", what, rel))
		} else {
			bare = append(bare, fmt.Sprintf("column %s.%s", rel, col))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(bare) > 0 {
		t.Errorf("%d without a COMMENT (write one in the migration that adds it; see docs/ARCHITECTURE.md, \"Adding a table\"):\n  %s",
			len(bare), strings.Join(bare, "\n  "))
	}

	// The test sees what it should: the tables and views of the schema, commented.
	var tables, views int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE relkind = 'r'), count(*) FILTER (WHERE relkind = 'v')
		FROM pg_class WHERE relnamespace = current_schema()::regnamespace`).Scan(&tables, &views); err != nil {
		t.Fatal(err)
	}
	if tables < 15 || views < 15 {
		t.Errorf("the schema holds %d tables and %d views: the catalog query looks in the wrong place", tables, views)
	}
}

// relColumns lists a table's or view's columns in order.
func relColumns(t *testing.T, s *Store, rel string) []string {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT attname FROM pg_attribute
		WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, rel)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// liveTables are the tables that need a live_ view: those with deleted_at (records
// Gong may stop returning) and those whose rows belong to a call (call_id).
func liveTables(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT DISTINCT c.relname FROM pg_class c
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname IN ('deleted_at', 'call_id') AND NOT a.attisdropped
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// Every entity table and every table of a call's rows has its live_ view, with the
// table's columns in the table's order: live_x can replace x in any query, and a
// column added to x without its view fails here.
func TestEveryEntityAndCallChildHasALiveView(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	tables := liveTables(t, s)
	for _, want := range append([]string{"calls", "users", "workspaces", "trackers", "transcript_sentences"}, callChildTables()...) {
		if !slices.Contains(tables, want) {
			t.Errorf("%s is not among the tables that need a live view (%v)", want, tables)
		}
	}
	for table := range recordChildTables() {
		tables = append(tables, table)
	}
	for _, table := range tables {
		view := "live_" + table
		cols := relColumns(t, s, view)
		if len(cols) == 0 {
			t.Errorf("%s has no view %s", table, view)
			continue
		}
		if want := relColumns(t, s, table); !slices.Equal(cols, want) {
			t.Errorf("%s has columns %v; its table %s has %v", view, cols, table, want)
		}
	}
}

// recordChildTables are the child tables of users and trackers, each with the column
// of its parent's id and the parent's table.
func recordChildTables() map[string][2]string {
	out := map[string][2]string{}
	for _, ct := range userChildren {
		out[ct.tableName()] = [2]string{ct.columnNames()[0], "users"}
	}
	for _, ct := range trackerChildren {
		out[ct.tableName()] = [2]string{ct.columnNames()[0], "trackers"}
	}
	return out
}

func callChildTables() []string {
	var out []string
	for _, ct := range callChildren {
		out = append(out, ct.tableName())
	}
	return out
}

// The live_ views leave out what Gong no longer has: a deleted call, user,
// workspace or tracker, and every row of every table that belongs to a deleted call
// (transcripts included), while keeping every row of the records still there.
func TestLiveViewsLeaveOutDeletedRowsAndTheirChildren(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	keep, gone := makeCall(1), makeCall(2)
	for _, c := range []*Call{&keep, &gone} {
		// makeCall leaves these two child sets empty.
		c.VideoStats = []CallVideoStat{{Name: "Presentation", DurationSeconds: 120}}
		c.TrackerOccurrences = []CallTrackerOccurrence{{TrackerID: c.Trackers[0].TrackerID, StartSeconds: 3.5, SpeakerID: c.Parties[0].SpeakerID}}
	}
	ids := map[string][2]string{}
	if err := s.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.UpsertCalls(ctx, []Call{keep, gone}); err != nil {
			return err
		}
		if _, err := tx.WriteTranscripts(ctx, []Transcript{makeTranscript(keep.ID, 1, 5), makeTranscript(gone.ID, 2, 5)}); err != nil {
			return err
		}
		var users []User
		for _, id := range []string{"u1", "u2"} {
			users = append(users, User{ID: id, Raw: []byte(`{}`), EmailAliasRows: []UserEmailAlias{{EmailAlias: id + "@x.example"}},
				LanguageRows: []UserSpokenLanguage{{Language: "en-US"}}, MeetingURLs: []UserMeetingURL{{URL: "https://zoom.us/j/" + id}}})
		}
		if _, err := tx.UpsertUsers(ctx, users); err != nil {
			return err
		}
		if _, err := tx.UpsertWorkspaces(ctx, []Workspace{{ID: "w1", Raw: []byte(`{}`)}, {ID: "w2", Raw: []byte(`{}`)}}); err != nil {
			return err
		}
		var trackers []Tracker
		for _, id := range []string{"t1", "t2"} {
			trackers = append(trackers, Tracker{ID: id, Raw: []byte(`{}`), Languages: []TrackerLanguage{{Language: "eng"}},
				Keywords: []TrackerKeyword{{Language: "eng", Keyword: "price"}}})
		}
		if _, err := tx.UpsertTrackers(ctx, trackers); err != nil {
			return err
		}
		if _, err := tx.UpsertScorecards(ctx, []Scorecard{{ID: "s1", Raw: []byte(`{}`)}, {ID: "s2", Raw: []byte(`{}`)}}); err != nil {
			return err
		}
		// Reviews of the two calls: the one of the deleted call is left out.
		_, err := tx.UpsertAnsweredScorecards(ctx, []AnsweredScorecard{{ID: "a1", CallID: &keep.ID, Raw: []byte(`{}`)},
			{ID: "a2", CallID: &gone.ID, Raw: []byte(`{}`)}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ids["calls"] = [2]string{keep.ID, gone.ID}
	ids["users"], ids["workspaces"], ids["trackers"] = [2]string{"u1", "u2"}, [2]string{"w1", "w2"}, [2]string{"t1", "t2"}
	ids["scorecards"] = [2]string{"s1", "s2"}
	seedBeyondCalls(t, s, keep.ID, gone.ID, ids)
	seedIssue26(t, s, keep.ID, gone.ID, ids)
	seedFlowsAndLogs(t, s, ids)
	for table, id := range ids {
		if _, err := s.pool.Exec(ctx, "UPDATE "+table+" SET deleted_at = now() WHERE id = $1", id[1]); err != nil {
			t.Fatal(err)
		}
	}

	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := s.pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	children := recordChildTables()
	tables := liveTables(t, s)
	for table := range children {
		tables = append(tables, table)
	}
	for _, table := range tables {
		key, kept, deleted := "call_id", keep.ID, gone.ID
		if id, ok := ids[table]; ok {
			key, kept, deleted = "id", id[0], id[1]
		}
		if c, ok := children[table]; ok {
			key, kept, deleted = c[0], ids[c[1]][0], ids[c[1]][1]
		}
		where := " WHERE " + key + " = $1"
		if n := count("SELECT count(*) FROM "+table+where, deleted); n == 0 {
			t.Errorf("%s holds no row of the deleted record: the test proves nothing there", table)
		}
		if n := count("SELECT count(*) FROM live_"+table+where, deleted); n != 0 {
			t.Errorf("live_%s shows %d rows of the deleted record", table, n)
		}
		all, live := count("SELECT count(*) FROM "+table+where, kept), count("SELECT count(*) FROM live_"+table+where, kept)
		if all == 0 || live != all {
			t.Errorf("live_%s shows %d of the %d rows of a record Gong still has", table, live, all)
		}
	}
}

// The migration that adds the comments and views also comes off cleanly: down to
// the version before it drops its views, table and indexes (the comments stay: they
// describe the older tables as well), and up again leaves the same schema.
func TestCommentsAndViewsMigrationGoesDownAndUp(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	catalog := func() []string {
		t.Helper()
		rows, err := s.pool.Query(ctx, `
			SELECT c.relname || '.' || coalesce(a.attname, '') || ' ' || c.relkind::text || ' ' ||
			       coalesce(col_description(c.oid, a.attnum), obj_description(c.oid, 'pg_class'), '')
			FROM pg_class c LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
			WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'v', 'i')
			UNION ALL
			SELECT c.relname || ' ' || coalesce(obj_description(c.oid, 'pg_class'), '') FROM pg_class c
			WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'v')
			ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := catalog()
	provider, db, err := s.goose()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version int64 = -1
	for _, src := range provider.ListSources() {
		if strings.HasPrefix(src.Path[strings.LastIndex(src.Path, "/")+1:], "00005_") {
			version = src.Version
		}
	}
	if version < 0 {
		t.Fatal("no migration 00005_ among the sources")
	}
	// Down past 00005 and everything after it (later migrations may stand on it).
	if _, err := provider.DownTo(ctx, version-1); err != nil {
		t.Fatalf("down to %d: %v", version-1, err)
	}
	var views, left int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE relkind = 'v'),
			count(*) FILTER (WHERE relname IN ('call_crm_fields', 'calls_live_id_idx', 'calls_live_started_idx'))
		FROM pg_class WHERE relnamespace = current_schema()::regnamespace`).Scan(&views, &left); err != nil {
		t.Fatal(err)
	}
	if views != 0 || left != 0 {
		t.Errorf("after going down: %d views and %d of the migration's table and indexes remain", views, left)
	}
	if _, err := provider.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if after := catalog(); !slices.Equal(before, after) {
		t.Errorf("the schema differs after down and up:\n%s", strings.Join(diffLines(before, after), "\n"))
	}
}

func diffLines(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, "- "+x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, "+ "+x)
		}
	}
	return out
}
