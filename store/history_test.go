package store

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// version is one row of a <table>_history, as the tests compare them.
type version struct {
	Raw       string
	ValidFrom time.Time
	ValidTo   *time.Time
}

// versions reads the versions of one record from table_history, oldest first, and
// checks that they follow one another: each closed where the next opened, or earlier
// when the record was deleted in between.
func versions(t *testing.T, s *Store, table, where string, args ...any) []version {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT raw::text, valid_from, valid_to FROM `+table+`_history
		WHERE `+where+` ORDER BY valid_from`, args...)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[version])
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		if v.ValidTo == nil && i < len(vs)-1 {
			t.Fatalf("%s %v: version %d of %d is open", table, args, i+1, len(vs))
		}
		if v.ValidTo != nil && (v.ValidTo.Before(v.ValidFrom) || i < len(vs)-1 && v.ValidTo.After(vs[i+1].ValidFrom)) {
			t.Fatalf("%s %v: version %d runs %v..%v, the next opens %v", table, args, i+1, v.ValidFrom, *v.ValidTo, vs[i+1].ValidFrom)
		}
	}
	return vs
}

func raws(vs []version) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Raw
	}
	return out
}

func historyUser(id, manager, email string) User {
	return User{ID: id, ManagerID: &manager, EmailAddress: &email,
		Raw: fmt.Appendf(nil, `{"id": %q, "managerId": %q, "emailAddress": %q}`, id, manager, email)}
}

// A user's versions: one when first stored, one per change of content, none when it
// is read again unchanged; a deletion closes the current one and a restore opens a
// new one, each at the time of its transaction, the same as updated_at.
func TestHistoryHasAVersionPerChangeOfAUser(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	write := func(f func(tx *Tx) error) {
		t.Helper()
		if err := s.Transact(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	upsert := func(us ...User) UpsertResult {
		t.Helper()
		var res UpsertResult
		write(func(tx *Tx) (err error) { res, err = tx.UpsertUsers(ctx, us); return err })
		return res
	}
	updatedAt := func() time.Time {
		t.Helper()
		var at time.Time
		if err := s.pool.QueryRow(ctx, `SELECT updated_at FROM users WHERE id = 'u1'`).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}

	upsert(historyUser("u1", "m1", "a@example.com"), historyUser("u2", "m1", "b@example.com"))
	if res := upsert(historyUser("u1", "m1", "a@example.com")); res.Unchanged != 1 {
		t.Fatalf("%+v, want u1 unchanged", res)
	}
	if vs := versions(t, s, "users", "id = 'u1'"); len(vs) != 1 || vs[0].ValidTo != nil || !vs[0].ValidFrom.Equal(updatedAt()) {
		t.Fatalf("versions of u1 after a re-read: %+v, want one, open, from its first_seen_at", vs)
	}
	upsert(historyUser("u1", "m2", "a@example.com"))
	upsert(historyUser("u1", "m3", "a@example.com"), historyUser("u2", "m1", "b@example.com"))
	vs := versions(t, s, "users", "id = 'u1'")
	if len(vs) != 3 || !vs[2].ValidFrom.Equal(updatedAt()) || *vs[0].ValidTo != vs[1].ValidFrom || *vs[1].ValidTo != vs[2].ValidFrom {
		t.Fatalf("versions of u1 after two changes of manager: %+v", vs)
	}
	for i, m := range []string{"m1", "m2", "m3"} {
		if want := string(historyUser("u1", m, "a@example.com").Raw); !jsonEqual(vs[i].Raw, want) {
			t.Errorf("version %d of u1: %s, want %s", i+1, vs[i].Raw, want)
		}
	}
	if vs := versions(t, s, "users", "id = 'u2'"); len(vs) != 1 {
		t.Fatalf("u2, never changed, has %d versions", len(vs))
	}

	write(func(tx *Tx) error {
		_, err := tx.MarkUsersMissing(ctx, time.Now().Add(time.Hour))
		return err
	})
	deleted := updatedAt()
	if vs := versions(t, s, "users", "id = 'u1'"); len(vs) != 3 || vs[2].ValidTo == nil || !vs[2].ValidTo.Equal(deleted) {
		t.Fatalf("versions of u1 once deleted at %v: %+v, want the last closed then", deleted, vs)
	}
	if res := upsert(historyUser("u1", "m3", "a@example.com")); len(res.Restored) != 1 {
		t.Fatalf("%+v, want u1 restored", res)
	}
	vs = versions(t, s, "users", "id = 'u1'")
	if len(vs) != 4 || vs[3].ValidTo != nil || !vs[3].ValidFrom.Equal(updatedAt()) || vs[3].Raw != vs[2].Raw || !vs[3].ValidFrom.After(deleted) {
		t.Fatalf("versions of u1 once restored unchanged: %+v, want a fourth, open, like the third", vs)
	}

	// Two changes in one transaction are one version: the last.
	write(func(tx *Tx) error {
		if _, err := tx.UpsertUsers(ctx, []User{historyUser("u2", "m4", "b@example.com")}); err != nil {
			return err
		}
		_, err := tx.UpsertUsers(ctx, []User{historyUser("u2", "m5", "b@example.com")})
		return err
	})
	if vs := versions(t, s, "users", "id = 'u2'"); len(vs) != 2 || !jsonEqual(vs[1].Raw, string(historyUser("u2", "m5", "b@example.com").Raw)) {
		t.Fatalf("versions of u2 after two changes in one transaction: %+v", vs)
	}
}

// A scorecard's questions are rewritten as a set whenever the scorecard changes: a
// question that did not change keeps its one version; one that changed, or went, has
// its version closed.
func TestHistoryOfScorecardQuestionsFollowsEachQuestion(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	card := func(name string, questions ...string) Scorecard {
		sc := Scorecard{ID: "s1", Name: &name, Raw: fmt.Appendf(nil, `{"scorecardId": "s1", "name": %q, "q": %q}`, name, strings.Join(questions, "|"))}
		for i, q := range questions {
			sc.Questions = append(sc.Questions, ScorecardQuestion{QuestionID: fmt.Sprint("q", i), Position: int32(i), QuestionText: &q})
		}
		return sc
	}
	for _, sc := range []Scorecard{card("one", "why?", "how?"), card("two", "why?", "how?"), card("two", "why?", "how so?"), card("two", "why?")} {
		if err := s.Transact(ctx, func(tx *Tx) error { _, err := tx.UpsertScorecards(ctx, []Scorecard{sc}); return err }); err != nil {
			t.Fatal(err)
		}
	}
	if vs := versions(t, s, "scorecards", "id = 's1'"); len(vs) != 4 {
		t.Fatalf("scorecard s1 has %d versions, want 4 (first, a name change, two changes of questions)", len(vs))
	}
	if vs := versions(t, s, "scorecard_questions", "scorecard_id = 's1' AND question_id = 'q0'"); len(vs) != 1 || vs[0].ValidTo != nil {
		t.Fatalf("q0, never changed: %+v", vs)
	}
	vs := versions(t, s, "scorecard_questions", "scorecard_id = 's1' AND question_id = 'q1'")
	if len(vs) != 2 || vs[1].ValidTo == nil {
		t.Fatalf("q1, changed then gone: %+v", vs)
	}
	var texts []string
	for _, v := range vs {
		var text string
		if err := s.pool.QueryRow(ctx, `SELECT $1::jsonb->>'question_text'`, v.Raw).Scan(&text); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, text)
	}
	if !slices.Equal(texts, []string{"how?", "how so?"}) {
		t.Fatalf("q1's versions hold %q", texts)
	}
}

// An erasure reaches the older versions: a user whose address changed keeps no
// version that holds the erased one, and keeps the versions that do not.
func TestErasureReachesTheHistory(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	for _, u := range []User{historyUser("u1", "m1", "old@example.com"), historyUser("u1", "m2", "new@example.com"), historyUser("u1", "m3", "new@example.com")} {
		if err := s.Transact(ctx, func(tx *Tx) error { _, err := tx.UpsertUsers(ctx, []User{u}); return err }); err != nil {
			t.Fatal(err)
		}
	}
	found, err := s.FindAddress(ctx, AddressMatch{Text: "old@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if found.Rows["users_history"] != 1 || found.Rows["users"] != 0 {
		t.Fatalf("found %v, want the one version of users_history", found.Rows)
	}
	out, err := s.EraseAddress(ctx, AddressMatch{Text: "old@example.com"}, Erasure{Kind: "email", AddressHash: make([]byte, 32),
		RequestedAt: time.Now(), GongStatus: "requested"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Rows["users_history"] != 1 {
		t.Fatalf("erased %v, want one row of users_history", out.Rows)
	}
	vs := versions(t, s, "users", "id = 'u1'")
	if len(vs) != 2 || slices.ContainsFunc(raws(vs), func(r string) bool { return jsonEqual(r, string(historyUser("u1", "m1", "old@example.com").Raw)) }) {
		t.Fatalf("versions of u1 after the erasure: %+v", vs)
	}

	// The current address: the user goes, and so do all its versions.
	if _, err := s.EraseAddress(ctx, AddressMatch{Text: "NEW@example.com"}, Erasure{Kind: "email", AddressHash: make([]byte, 32),
		RequestedAt: time.Now(), GongStatus: "requested"}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM users_history WHERE id = 'u1'`) + count(t, s, `SELECT count(*) FROM users WHERE id = 'u1'`); n != 0 {
		t.Fatalf("%d rows of u1 left after its address was erased", n)
	}
}

// jsonEqual reports whether two JSON texts hold the same value (jsonb reorders keys).
func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// Migrating a database that already holds records seeds each history table with
// them: a record's version from its first_seen_at, closed at deleted_at when it is
// deleted; a scorecard's questions from their scorecard's first_seen_at.
func TestHistoryMigrationSeedsTheRecordsHeld(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	provider, db, err := s.goose()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version int64 = -1
	for _, src := range provider.ListSources() {
		if strings.HasPrefix(src.Path[strings.LastIndex(src.Path, "/")+1:], "00021_") {
			version = src.Version
		}
	}
	if version < 0 {
		t.Fatal("no migration 00021_ among the sources")
	}
	if _, err := provider.DownTo(ctx, version-1); err != nil {
		t.Fatalf("down to %d: %v", version-1, err)
	}
	if n := count(t, s, `SELECT count(*) FROM pg_proc WHERE proname LIKE 'gongsync%history%' AND pronamespace = current_schema()::regnamespace`); n != 0 {
		t.Fatalf("%d history functions left after going down", n)
	}
	if n := count(t, s, `SELECT count(*) FROM pg_class WHERE relname LIKE '%\_history' AND relnamespace = current_schema()::regnamespace`); n != 0 {
		t.Fatalf("%d history tables or indexes left after going down", n)
	}
	q := "why?"
	err = s.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.UpsertUsers(ctx, []User{historyUser("u1", "m1", "a@example.com"), historyUser("u2", "m1", "b@example.com")}); err != nil {
			return err
		}
		_, err := tx.UpsertScorecards(ctx, []Scorecard{{ID: "s1", Raw: []byte(`{"scorecardId": "s1"}`),
			Questions: []ScorecardQuestion{{QuestionID: "q1", QuestionText: &q}}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE users SET deleted_at = now() + interval '1 minute', first_seen_at = now() - interval '1 day' WHERE id = 'u2'`); err != nil {
		t.Fatal(err)
	}
	if _, err := provider.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if n := count(t, s, `SELECT count(*) FROM users u JOIN users_history h ON h.id = u.id AND h.valid_from = u.first_seen_at
			AND h.valid_to IS NOT DISTINCT FROM u.deleted_at AND h.raw = u.raw AND h.content_hash = u.content_hash`); n != 2 {
		t.Fatalf("%d users seeded as they are, want 2", n)
	}
	if n := count(t, s, `SELECT count(*) FROM scorecard_questions_history h JOIN scorecards s ON s.id = h.scorecard_id
			WHERE h.valid_from = s.first_seen_at AND h.valid_to IS NULL AND h.raw ->> 'question_text' = 'why?'`); n != 1 {
		t.Fatalf("%d questions seeded from their scorecard's first_seen_at, want 1", n)
	}
	// The seeded version hashes a question as the trigger does: rewritten unchanged
	// with its changed scorecard, it keeps its one version.
	err = s.Transact(ctx, func(tx *Tx) error {
		_, err := tx.UpsertScorecards(ctx, []Scorecard{{ID: "s1", Raw: []byte(`{"scorecardId": "s1", "name": "renamed"}`),
			Questions: []ScorecardQuestion{{QuestionID: "q1", QuestionText: &q}}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if vs := versions(t, s, "scorecard_questions", "question_id = 'q1'"); len(vs) != 1 || vs[0].ValidTo != nil {
		t.Fatalf("the seeded question after its scorecard changed: %+v, want its one version, open", vs)
	}
	if vs := versions(t, s, "scorecards", "id = 's1'"); len(vs) != 2 {
		t.Fatalf("the scorecard has %d versions after its change, want 2", len(vs))
	}
}

// Putting another table under history is one line, gongsync_keep_history('<table>'):
// a table (a scratch one here) with the bookkeeping columns of a Gong record gets its history table, with
// a comment on each column, its versions, and goes down with the migration.
func TestKeepHistoryIsOneLineForAnotherTable(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	for _, sql := range []string{
		`CREATE TABLE widgets (id text PRIMARY KEY, name text, raw jsonb NOT NULL, content_hash bytea NOT NULL,
			first_seen_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, last_seen_at timestamptz NOT NULL, deleted_at timestamptz)`,
		`INSERT INTO widgets VALUES ('f1', 'one', '{"id": "f1"}', '\x01', now() - interval '1 day', now(), now(), NULL)`,
		`SELECT gongsync_keep_history('widgets')`,
		`UPDATE widgets SET last_seen_at = now()`,
		`UPDATE widgets SET raw = '{"id": "f1", "name": "two"}', content_hash = '\x02'`,
		`INSERT INTO widgets VALUES ('f2', 'new', '{"id": "f2"}', '\x03', now(), now(), now(), NULL)`,
	} {
		if _, err := s.pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if vs := versions(t, s, "widgets", "id = 'f1'"); len(vs) != 2 || !jsonEqual(vs[0].Raw, `{"id": "f1"}`) || !jsonEqual(vs[1].Raw, `{"id": "f1", "name": "two"}`) {
		t.Fatalf("versions of f1: %+v", vs)
	}
	if vs := versions(t, s, "widgets", "id = 'f2'"); len(vs) != 1 {
		t.Fatalf("versions of f2: %+v", vs)
	}
	if n := count(t, s, `SELECT count(*) FROM pg_attribute a WHERE a.attrelid = 'widgets_history'::regclass AND a.attnum > 0
			AND coalesce(col_description(a.attrelid, a.attnum), '') <> ''`); n != 5 {
		t.Fatalf("%d of the 5 columns of widgets_history have a comment", n)
	}
	provider, db, err := s.goose()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version int64 = -1
	for _, src := range provider.ListSources() {
		if strings.HasPrefix(src.Path[strings.LastIndex(src.Path, "/")+1:], "00021_") {
			version = src.Version
		}
	}
	if _, err := provider.DownTo(ctx, version-1); err != nil {
		t.Fatalf("down to %d: %v", version-1, err)
	}
	if n := count(t, s, `SELECT count(*) FROM pg_class WHERE relname = 'widgets_history' AND relnamespace = current_schema()::regnamespace`); n != 0 {
		t.Fatal("widgets_history is left after going down")
	}
}
