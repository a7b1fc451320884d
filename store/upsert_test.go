package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// allTables is every table a sync writes, for dumps.
var allTables = []string{"users", "workspaces", "trackers", "calls", "call_parties", "call_trackers", "call_topics",
	"call_speakers", "call_interaction_stats", "call_crm_objects", "call_comments", "transcript_sentences",
	"sync_state", "api_usage"}

// dump returns every row of every table as JSON text, in a stable order, leaving out
// the columns named in skip (those that are meant to move, like last_seen_at).
func dump(t *testing.T, s *Store, skip ...string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	for _, table := range allTables {
		q := fmt.Sprintf(`SELECT (to_jsonb(t) - $1::text[])::text AS j FROM %s t ORDER BY 1`, table)
		rows, err := s.pool.Query(ctx, q, skip)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		out[table] = got
	}
	return out
}

func count(t *testing.T, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func page(from, n int) []Call {
	calls := make([]Call, n)
	for i := range calls {
		calls[i] = makeCall(from + i)
	}
	return calls
}

func upsertCalls(t testing.TB, s *Store, calls []Call) UpsertResult {
	t.Helper()
	var res UpsertResult
	err := s.Transact(context.Background(), func(tx *Tx) error {
		var err error
		res, err = tx.UpsertCalls(context.Background(), calls)
		return err
	})
	if err != nil {
		t.Fatalf("upsert calls: %v", err)
	}
	return res
}

func TestSamePageTwiceLeavesIdenticalTables(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	calls := page(0, 25)
	cp := Checkpoint{Stream: "calls", WindowFrom: ptr(base), WindowTo: ptr(base.Add(24 * time.Hour)), Cursor: "c1"}
	write := func() UpsertResult {
		var res UpsertResult
		err := s.Transact(ctx, func(tx *Tx) error {
			var err error
			if res, err = tx.UpsertCalls(ctx, calls); err != nil {
				return err
			}
			if _, err := tx.UpsertUsers(ctx, []User{{ID: "1", FirstName: ptr("Ann"), EmailAliases: []string{"a@x"}, Raw: []byte(`{"id":"1"}`)}}); err != nil {
				return err
			}
			if _, err := tx.UpsertWorkspaces(ctx, []Workspace{{ID: "9", Name: ptr("Main"), Raw: []byte(`{"id":"9"}`)}}); err != nil {
				return err
			}
			if _, err := tx.UpsertTrackers(ctx, []Tracker{{ID: "3", Name: ptr("Pricing"), Raw: []byte(`{"id":"3"}`)}}); err != nil {
				return err
			}
			return tx.SaveCheckpoint(ctx, cp)
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := write()
	if len(first.Inserted) != 25 || first.Unchanged != 0 {
		t.Fatalf("first write: %+v", first)
	}
	before := dump(t, s, "last_seen_at", "updated_at")
	withTimes := dump(t, s, "last_seen_at")
	if n := len(before["call_parties"]); n < 25*4 {
		t.Fatalf("only %d parties stored", n)
	}
	second := write()
	if len(second.Inserted)+len(second.Changed)+len(second.Restored) != 0 || second.Unchanged != 25 {
		t.Fatalf("second write: %+v", second)
	}
	after := dump(t, s, "last_seen_at", "updated_at")
	for _, table := range allTables {
		if !slices.Equal(before[table], after[table]) {
			t.Errorf("table %s differs after writing the same page again", table)
		}
	}
	// updated_at stays (sync_state's is the save time, which moves by design).
	afterTimes := dump(t, s, "last_seen_at")
	for _, table := range []string{"users", "workspaces", "trackers", "calls"} {
		if !slices.Equal(withTimes[table], afterTimes[table]) {
			t.Errorf("%s: updated_at moved for unchanged records", table)
		}
	}
	// last_seen_at moved for every record.
	if n := count(t, s, "SELECT count(*) FROM calls WHERE last_seen_at = first_seen_at"); n != 0 {
		t.Errorf("%d calls kept their first last_seen_at", n)
	}
}

func TestRolledBackPageLeavesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bad := func(mut func(c *Call)) []Call {
		calls := page(100, 10)
		mut(&calls[6])
		return calls
	}
	boom := errors.New("boom")
	for _, tc := range []struct {
		name    string
		calls   []Call
		fnErr   error  // returned by fn after writing
		wantErr string // in the error
	}{
		{"fn fails", page(100, 10), boom, "boom"},
		{"NUL in title", bad(func(c *Call) { c.Title = ptr("bad\x00title") }), nil, `copy into calls: call "7000000000000000106", column title: ERROR: invalid byte sequence`},
		{"invalid raw", bad(func(c *Call) { c.Raw = []byte(`{"id":`) }), nil, `call "7000000000000000106", column raw: ERROR: invalid input syntax for type json`},
		{"empty id", bad(func(c *Call) { c.ID = "" }), nil, `call "": ERROR: new row for relation "calls" violates check constraint "calls_id_check"`},
		{"NUL escape in JSON", bad(func(c *Call) { c.KeyPoints = []byte(`["a\u0000b"]`) }), nil, `call "7000000000000000106", column key_points`},
		{"invalid UTF-8 in a party", bad(func(c *Call) { c.Parties[2].Name = ptr("\xff\xfe") }), nil, `copy into call_parties: call "7000000000000000106", column name: ERROR: invalid byte sequence`},
		// Valid to Go's JSON parser, refused by jsonb: only Postgres can tell, mid-COPY.
		{"lone surrogate", bad(func(c *Call) { c.Raw = []byte(`{"title":"\ud800"}`) }), nil, `call "7000000000000000106", column raw`},
		{"invalid JSON in a child row", bad(func(c *Call) { c.Trackers[1].Occurrences = []byte(`[{]`) }), nil,
			`copy into call_trackers: call "7000000000000000106", column occurrences`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			err := s.Transact(ctx, func(tx *Tx) error {
				if _, err := tx.UpsertCalls(ctx, tc.calls); err != nil {
					return err
				}
				if err := tx.SaveCheckpoint(ctx, Checkpoint{Stream: "calls", Cursor: "next"}); err != nil {
					return err
				}
				return tc.fnErr
			})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if tc.fnErr != nil && !errors.Is(err, tc.fnErr) {
				t.Fatalf("error %v does not wrap fn's error", err)
			}
			for table, rows := range dump(t, s) {
				if len(rows) != 0 {
					t.Errorf("%s has %d rows after a rolled-back page", table, len(rows))
				}
			}
			cp, err := s.Checkpoint(ctx, "calls")
			if err != nil || cp.Cursor != "" || !cp.UpdatedAt.IsZero() {
				t.Fatalf("checkpoint after rollback: %+v, %v", cp, err)
			}
		})
	}
}

func TestChangedCallReplacesItsChildren(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	c := makeCall(1)
	upsertCalls(t, s, []Call{c, makeCall(2)})
	var firstUpdated time.Time
	if err := s.pool.QueryRow(context.Background(), "SELECT updated_at FROM calls WHERE id = $1", c.ID).Scan(&firstUpdated); err != nil {
		t.Fatal(err)
	}
	removed := c.Parties[3].PartyID
	c.Parties = slices.Delete(c.Parties, 3, 4)
	c.Trackers = c.Trackers[:2]
	c.Topics = nil
	c.Title = ptr("renamed")
	c.Raw = rawOf(&c)
	res := upsertCalls(t, s, []Call{c, makeCall(2)})
	if !slices.Equal(res.Changed, []string{c.ID}) || res.Unchanged != 1 || len(res.Inserted) != 0 {
		t.Fatalf("result %+v", res)
	}
	if n := count(t, s, "SELECT count(*) FROM call_parties WHERE call_id = $1 AND party_id = $2", c.ID, removed); n != 0 {
		t.Errorf("removed party still stored")
	}
	if n := count(t, s, "SELECT count(*) FROM call_parties WHERE call_id = $1", c.ID); n != len(c.Parties) {
		t.Errorf("%d parties stored, want %d", n, len(c.Parties))
	}
	if n := count(t, s, "SELECT count(*) FROM call_trackers WHERE call_id = $1", c.ID); n != 2 {
		t.Errorf("%d trackers stored, want 2", n)
	}
	if n := count(t, s, "SELECT count(*) FROM call_topics WHERE call_id = $1", c.ID); n != 0 {
		t.Errorf("%d topics stored, want 0", n)
	}
	if n := count(t, s, "SELECT count(*) FROM calls WHERE id = $1 AND title = 'renamed' AND updated_at > $2", c.ID, firstUpdated); n != 1 {
		t.Errorf("changed call not rewritten (title, updated_at)")
	}
	// The other call's children were left alone.
	other := makeCall(2)
	if n := count(t, s, "SELECT count(*) FROM call_parties WHERE call_id = $1", other.ID); n != len(other.Parties) {
		t.Errorf("unchanged call has %d parties, want %d", n, len(other.Parties))
	}
}

func TestUnchangedCallKeepsItsRows(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	c := makeCall(5)
	upsertCalls(t, s, []Call{c})
	var updated, seen time.Time
	if err := s.pool.QueryRow(ctx, "SELECT updated_at, last_seen_at FROM calls").Scan(&updated, &seen); err != nil {
		t.Fatal(err)
	}
	// Same raw document, different rows: the store trusts the document and writes nothing.
	c.Parties = nil
	c.Title = ptr("not written")
	res := upsertCalls(t, s, []Call{c})
	if res.Unchanged != 1 || len(res.Changed) != 0 {
		t.Fatalf("result %+v", res)
	}
	var updated2, seen2 time.Time
	var title string
	if err := s.pool.QueryRow(ctx, "SELECT updated_at, last_seen_at, title FROM calls").Scan(&updated2, &seen2, &title); err != nil {
		t.Fatal(err)
	}
	if !updated2.Equal(updated) || !seen2.After(seen) || title == "not written" {
		t.Fatalf("updated_at %v→%v, last_seen_at %v→%v, title %q", updated, updated2, seen, seen2, title)
	}
	if n := count(t, s, "SELECT count(*) FROM call_parties"); n == 0 {
		t.Fatal("children of an unchanged call were dropped")
	}
}

func TestDuplicateIDsInABatch(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	a, b := makeCall(1), makeCall(1)
	b.Title = ptr("second version")
	b.Parties = append(b.Parties, b.Parties[0]) // duplicate party key: the last wins
	b.Parties[len(b.Parties)-1].Name = ptr("last party version")
	b.Topics = append(b.Topics, CallTopic{Name: b.Topics[0].Name, DurationSeconds: 4242})
	b.Raw = rawOf(&b)
	res := upsertCalls(t, s, []Call{a, makeCall(2), b})
	if len(res.Inserted) != 2 {
		t.Fatalf("result %+v", res)
	}
	if n := count(t, s, "SELECT count(*) FROM calls WHERE id = $1 AND title = 'second version'", a.ID); n != 1 {
		t.Error("the last occurrence of a duplicated call did not win")
	}
	if n := count(t, s, "SELECT count(*) FROM call_parties WHERE call_id = $1", a.ID); n != len(a.Parties) {
		t.Errorf("%d parties, want %d", n, len(a.Parties))
	}
	if n := count(t, s, "SELECT count(*) FROM call_parties WHERE call_id = $1 AND party_id = $2 AND name = 'last party version'", a.ID, a.Parties[0].PartyID); n != 1 {
		t.Error("the last occurrence of a duplicated party did not win")
	}
	if n := count(t, s, "SELECT count(*) FROM call_topics WHERE call_id = $1 AND duration_seconds = 4242", a.ID); n != 1 {
		t.Error("the last occurrence of a duplicated topic did not win")
	}
	// Users too.
	err := s.Transact(ctx, func(tx *Tx) error {
		r, err := tx.UpsertUsers(ctx, []User{
			{ID: "u1", FirstName: ptr("Old"), Raw: []byte(`{"v":1}`)},
			{ID: "u1", FirstName: ptr("New"), Raw: []byte(`{"v":2}`)},
		})
		if err == nil && (len(r.Inserted) != 1 || r.Unchanged != 0) {
			err = fmt.Errorf("users result %+v", r)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT count(*) FROM users WHERE first_name = 'New'"); n != 1 {
		t.Error("last user version did not win")
	}
}

func TestDeletionAndRestoration(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	calls := page(0, 12) // started every 7 minutes from base, workspaces by i%3
	upsertCalls(t, s, calls)
	windowStart, err := s.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The window is re-read: calls 0..3 come back, 4..11 do not.
	upsertCalls(t, s, calls[:4])
	var deleted []string
	from, to := base, base.Add(10*7*time.Minute) // calls 0..9
	err = s.Transact(ctx, func(tx *Tx) error {
		deleted, err = tx.MarkCallsDeleted(ctx, from, to, "", windowStart)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range calls[4:10] {
		want = append(want, c.ID)
	}
	if !slices.Equal(deleted, want) {
		t.Fatalf("deleted %v, want %v", deleted, want)
	}
	if n := count(t, s, "SELECT count(*) FROM calls WHERE deleted_at IS NOT NULL AND updated_at = deleted_at"); n != 6 {
		t.Errorf("%d calls deleted with updated_at = deleted_at, want 6", n)
	}
	// A workspace-scoped sweep only touches that workspace.
	err = s.Transact(ctx, func(tx *Tx) error {
		deleted, err = tx.MarkCallsDeleted(ctx, base, base.Add(24*time.Hour), *calls[10].WorkspaceID, windowStart)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(deleted, []string{calls[10].ID}) {
		t.Fatalf("workspace sweep deleted %v, want [%s]", deleted, calls[10].ID)
	}

	// Gong returns two deleted calls again, one of them changed.
	changed := calls[5]
	changed.Title = ptr("back and changed")
	changed.Raw = rawOf(&changed)
	res := upsertCalls(t, s, []Call{calls[4], changed, calls[0]})
	if !slices.Equal(res.Restored, []string{calls[4].ID, changed.ID}) || res.Unchanged != 1 || len(res.Changed) != 0 {
		t.Fatalf("result %+v", res)
	}
	if n := count(t, s, "SELECT count(*) FROM calls WHERE id = ANY($1) AND deleted_at IS NULL AND updated_at = last_seen_at",
		[]string{calls[4].ID, changed.ID}); n != 2 {
		t.Errorf("restored calls: %d with deleted_at cleared and updated_at moved, want 2", n)
	}
	if n := count(t, s, "SELECT count(*) FROM calls WHERE id = $1 AND title = 'back and changed'", changed.ID); n != 1 {
		t.Error("restored and changed call not rewritten")
	}

	// Users, workspaces, trackers: whole-table sweeps.
	err = s.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.UpsertUsers(ctx, []User{{ID: "a", Raw: []byte(`{}`)}, {ID: "b", Raw: []byte(`{}`)}}); err != nil {
			return err
		}
		if _, err := tx.UpsertWorkspaces(ctx, []Workspace{{ID: "w", Raw: []byte(`{}`)}}); err != nil {
			return err
		}
		_, err := tx.UpsertTrackers(ctx, []Tracker{{ID: "t", Raw: []byte(`{}`)}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sweep, _ := s.Now(ctx)
	err = s.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.UpsertUsers(ctx, []User{{ID: "a", Raw: []byte(`{}`)}}); err != nil {
			return err
		}
		users, err := tx.MarkUsersMissing(ctx, sweep)
		if err != nil || !slices.Equal(users, []string{"b"}) {
			return fmt.Errorf("users missing %v, %v", users, err)
		}
		ws, err := tx.MarkWorkspacesMissing(ctx, sweep)
		if err != nil || !slices.Equal(ws, []string{"w"}) {
			return fmt.Errorf("workspaces missing %v, %v", ws, err)
		}
		tr, err := tx.MarkTrackersMissing(ctx, sweep)
		if err != nil || !slices.Equal(tr, []string{"t"}) {
			return fmt.Errorf("trackers missing %v, %v", tr, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Transact(ctx, func(tx *Tx) error {
		r, err := tx.UpsertUsers(ctx, []User{{ID: "b", Raw: []byte(`{}`)}})
		if err == nil && !slices.Equal(r.Restored, []string{"b"}) {
			err = fmt.Errorf("users result %+v", r)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTransactRetriesConflicts(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	attempts := 0
	err := s.Transact(ctx, func(tx *Tx) error {
		attempts++
		if err := tx.SaveCheckpoint(ctx, Checkpoint{Stream: "s", Cursor: fmt.Sprint(attempts)}); err != nil {
			return err
		}
		if attempts < 3 {
			_, err := tx.tx.Exec(ctx, `DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$`)
			return err
		}
		return nil
	})
	if err != nil || attempts != 3 {
		t.Fatalf("Transact: %v after %d attempts", err, attempts)
	}
	if cp, _ := s.Checkpoint(ctx, "s"); cp.Cursor != "3" {
		t.Fatalf("checkpoint cursor %q, want the third attempt's", cp.Cursor)
	}
	// Other errors are not retried.
	attempts = 0
	err = s.Transact(ctx, func(tx *Tx) error {
		attempts++
		_, err := tx.tx.Exec(ctx, "SELECT 1/0")
		return err
	})
	if err == nil || attempts != 1 {
		t.Fatalf("division by zero: %v after %d attempts", err, attempts)
	}
	// Nor are conflicts forever.
	attempts = 0
	err = s.Transact(ctx, func(tx *Tx) error {
		attempts++
		_, err := tx.tx.Exec(ctx, `DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$`)
		return err
	})
	if err == nil || attempts != maxRetries+1 {
		t.Fatalf("endless deadlocks: %v after %d attempts", err, attempts)
	}
}

func TestCheckpoints(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	cp, err := s.Checkpoint(ctx, "calls")
	if err != nil || cp.Stream != "calls" || cp.HighWaterMark != nil || !cp.UpdatedAt.IsZero() {
		t.Fatalf("absent checkpoint: %+v, %v", cp, err)
	}
	want := Checkpoint{
		Stream: "calls", HighWaterMark: ptr(base), WindowFrom: ptr(base.Add(-3 * time.Hour)),
		WindowTo: ptr(base.Add(time.Hour)), WindowStartedAt: ptr(base.Add(2 * time.Hour)), Cursor: "abc",
		LastStarted: ptr(base.Add(30 * time.Minute)), CompletedAt: ptr(base.Add(-time.Hour)), State: []byte(`{"k": 1}`),
	}
	for _, c := range []Checkpoint{{Stream: "calls", Cursor: "old"}, want, {Stream: "users"}} {
		if err := s.Transact(ctx, func(tx *Tx) error { return tx.SaveCheckpoint(ctx, c) }); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Checkpoint(ctx, "calls")
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(got.UpdatedAt).Abs() > time.Minute {
		t.Errorf("UpdatedAt %v", got.UpdatedAt)
	}
	got.UpdatedAt = time.Time{}
	if fmt.Sprint(deref(got)) != fmt.Sprint(deref(want)) {
		t.Errorf("round trip:\n got %v\nwant %v", deref(got), deref(want))
	}
	all, err := s.Checkpoints(ctx)
	if err != nil || len(all) != 2 || all[0].Stream != "calls" || all[1].Stream != "users" || all[1].Cursor != "" {
		t.Fatalf("Checkpoints: %+v, %v", all, err)
	}
	if err := s.Transact(ctx, func(tx *Tx) error { return tx.SaveCheckpoint(ctx, Checkpoint{Stream: "x", State: []byte("{")}) }); err == nil {
		t.Fatal("saved a checkpoint with invalid JSON state")
	}
}

// deref renders a checkpoint's times by value (in UTC) so two can be compared as text.
func deref(cp Checkpoint) string {
	f := func(t *time.Time) string {
		if t == nil {
			return "nil"
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%s %s %s %s %s %q %s %s %s", cp.Stream, f(cp.HighWaterMark), f(cp.WindowFrom), f(cp.WindowTo),
		f(cp.WindowStartedAt), cp.Cursor, f(cp.LastStarted), f(cp.CompletedAt), cp.State)
}

func TestInsertFallsBackOnConflicts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("children outlived a call deleted by hand", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		c := makeCall(1)
		upsertCalls(t, s, []Call{c})
		if _, err := s.pool.Exec(ctx, "DELETE FROM calls"); err != nil {
			t.Fatal(err)
		}
		c.Parties = c.Parties[:1]
		c.Raw = rawOf(&c)
		if res := upsertCalls(t, s, []Call{c, makeCall(2)}); len(res.Inserted) != 2 {
			t.Fatalf("result %+v", res)
		}
		if n := count(t, s, "SELECT count(*) FROM call_parties WHERE call_id = $1", c.ID); n != 1 {
			t.Fatalf("%d parties, want the one of the new version", n)
		}
	})

	t.Run("another transaction inserts the same call first", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		first, second := makeCall(1), makeCall(1)
		second.Title = ptr("second writer")
		second.Parties = second.Parties[:2]
		second.Raw = rawOf(&second)

		inserted, commit := make(chan struct{}), make(chan struct{})
		firstDone := make(chan error, 1)
		go func() {
			firstDone <- s.Transact(ctx, func(tx *Tx) error {
				if _, err := tx.UpsertCalls(ctx, []Call{first}); err != nil {
					return err
				}
				close(inserted)
				<-commit
				return nil
			})
		}()
		<-inserted
		secondDone := make(chan error, 1)
		go func() {
			secondDone <- s.Transact(ctx, func(tx *Tx) error {
				_, err := tx.UpsertCalls(ctx, []Call{second})
				return err
			})
		}()
		// Wait until the second writer blocks on the first one's uncommitted key.
		deadline := time.Now().Add(10 * time.Second)
		for count(t, s, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == 0 {
			if time.Now().After(deadline) {
				t.Fatal("second writer never waited for the first")
			}
			time.Sleep(10 * time.Millisecond)
		}
		close(commit)
		if err := <-firstDone; err != nil {
			t.Fatal(err)
		}
		if err := <-secondDone; err != nil {
			t.Fatalf("second writer: %v", err)
		}
		if n := count(t, s, "SELECT count(*) FROM calls WHERE title = 'second writer'"); n != 1 {
			t.Fatal("the second writer's version is not stored")
		}
		if n := count(t, s, "SELECT count(*) FROM call_parties"); n != 2 {
			t.Fatalf("%d parties, want the second writer's 2", n)
		}
	})
}
