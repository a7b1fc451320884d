package sync

import (
	"slices"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// blockTables are the tables of a call's AI blocks (issue 26).
var blockTables = []string{"call_outline_sections", "call_outline_items", "call_highlights", "call_highlight_items",
	"call_key_points", "call_structure"}

// userTables are the child tables of users.
var userTables = []string{"user_email_aliases", "user_spoken_languages", "user_meeting_urls"}

// rowVersions lists "table|parent|xmin" for every row of the tables (xmin: the
// transaction that wrote the row), so a rewritten row shows as a new entry.
func (v *env) rowVersions(parent string, tables ...string) map[string][]string {
	v.t.Helper()
	out := map[string][]string{}
	for _, table := range tables {
		rows, err := v.st.Pool().Query(v.ctx, `SELECT `+parent+`, xmin::text FROM `+table)
		if err != nil {
			v.t.Fatal(err)
		}
		for rows.Next() {
			var id, xmin string
			if err := rows.Scan(&id, &xmin); err != nil {
				v.t.Fatal(err)
			}
			out[id] = append(out[id], table+"|"+xmin)
		}
		rows.Close()
	}
	for _, s := range out {
		slices.Sort(s)
	}
	return out
}

// A sync over records Gong did not change leaves their derived rows alone (not one is
// rewritten), and a changed call or user has all its derived rows written again,
// equal to Gong's after the change.
func TestDerivedRowsAreRewrittenOnlyWithTheirChangedRecord(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: fakegong.Options{Calls: 120}, engine: Options{SettleWindow: 60 * 24 * time.Hour}})
	if rep := v.backfill(day0, day0.AddDate(0, 0, 30)); !rep.Done {
		t.Fatalf("backfill: %s", rep.Message())
	}
	v.assertMatchesGong(v.clock.Now())
	v.assertUserAndTrackerRowsMatchGong(v.clock.Now())

	var callID, userID string
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT o.call_id FROM call_outline_sections o
		JOIN call_key_points k USING (call_id) JOIN call_highlights h USING (call_id)
		WHERE k.point_index = 1 ORDER BY 1 LIMIT 1`).Scan(&callID); err != nil {
		t.Fatalf("no call with an outline, highlights and two key points: %v", err)
	}
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT user_id FROM user_spoken_languages ORDER BY 1 LIMIT 1`).Scan(&userID); err != nil {
		t.Fatal(err)
	}
	calls, users := v.rowVersions("call_id", blockTables...), v.rowVersions("user_id", userTables...)

	edit := func(c *fakegong.CallData) {
		c.Content.KeyPoints = c.Content.KeyPoints[:1]
		c.Content.Outline[0].Section = "Renamed in Gong"
	}
	if _, err := v.fake.Dataset().ChangeCall(callID, v.clock.Now(), fakegong.Change{Edit: edit}); err != nil {
		t.Fatal(err)
	}
	if err := v.fake.Dataset().ChangeUser(userID, func(u *fakegong.UserMetadata) {
		u.EmailAliases = append(u.EmailAliases, "another.alias@example.com")
	}); err != nil {
		t.Fatal(err)
	}
	v.clock.Advance(time.Hour)
	if rep := v.run(StreamSettle); rep.Changed != 1 {
		t.Errorf("settle found %d calls changed, want 1", rep.Changed)
	}
	if rep := v.run(StreamUsers); rep.Changed != 1 {
		t.Errorf("the users refresh found %d users changed, want 1", rep.Changed)
	}
	v.assertMatchesGong(v.clock.Now())
	v.assertUserAndTrackerRowsMatchGong(v.clock.Now())

	for _, c := range []struct {
		what    string
		changed string
		before  map[string][]string
		after   map[string][]string
	}{
		{"call", callID, calls, v.rowVersions("call_id", blockTables...)},
		{"user", userID, users, v.rowVersions("user_id", userTables...)},
	} {
		for id, was := range c.before {
			now := c.after[id]
			if id != c.changed && !slices.Equal(was, now) {
				t.Errorf("the rows of unchanged %s %s were rewritten: %v, then %v", c.what, id, was, now)
			}
			if id == c.changed {
				for _, r := range now {
					if slices.Contains(was, r) {
						t.Errorf("changed %s %s kept a row it had (%s): its set was not replaced whole", c.what, id, r)
					}
				}
			}
		}
	}
}

// An erasure takes the rows derived from what it deletes: every row of the erased
// calls in the block tables, and every child row of a user whose record held the
// address (not only the one that held it), while the rows of others stay.
func TestErasureTakesTheDerivedRows(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: fakegong.Options{Calls: 150}})
	if rep := v.backfill(day0, day0.AddDate(0, 0, 30)); !rep.Done {
		t.Fatalf("backfill: %s", rep.Message())
	}
	email, ids := v.externalEmail()
	held := 0
	for _, table := range blockTables {
		held += v.count(`SELECT count(*) FROM `+table+` WHERE call_id = ANY($1)`, ids)
	}
	if held == 0 {
		t.Fatalf("the calls of %s have no rows in the block tables: the test proves nothing", email)
	}
	var userID, alias string
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT a.user_id, a.email_alias FROM user_email_aliases a
		JOIN user_spoken_languages l USING (user_id) JOIN user_meeting_urls m USING (user_id) ORDER BY 1 LIMIT 1`).Scan(&userID, &alias); err != nil {
		t.Fatalf("no user with an alias, a language and a meeting URL: %v", err)
	}
	others := map[string]int{}
	for _, table := range append(slices.Clone(blockTables), userTables...) {
		others[table] = v.count(`SELECT count(*) FROM ` + table)
	}
	ownCalls := map[string]int{}
	for _, table := range blockTables {
		ownCalls[table] = v.count(`SELECT count(*) FROM `+table+` WHERE call_id = ANY($1)`, ids)
	}
	ownUser := map[string]int{}
	for _, table := range userTables {
		ownUser[table] = v.count(`SELECT count(*) FROM `+table+` WHERE user_id = $1`, userID)
	}

	for _, address := range []string{email, alias} {
		if _, err := v.action("privacy.erase-email", `{"emailAddress":"`+address+`"}`); err != nil {
			t.Fatal(err)
		}
	}
	for _, table := range blockTables {
		if n := v.count(`SELECT count(*) FROM `+table+` WHERE call_id = ANY($1)`, ids); n != 0 {
			t.Errorf("%s keeps %d rows of the erased calls", table, n)
		}
		if n := v.count(`SELECT count(*) FROM ` + table); n != others[table]-ownCalls[table] {
			t.Errorf("%s holds %d rows after the erasure, want the %d of other calls", table, n, others[table]-ownCalls[table])
		}
	}
	if n := v.count(`SELECT count(*) FROM users WHERE id = $1`, userID); n != 0 {
		t.Errorf("the user whose record held %s is still stored", alias)
	}
	for _, table := range userTables {
		if n := v.count(`SELECT count(*) FROM `+table+` WHERE user_id = $1`, userID); n != 0 {
			t.Errorf("%s keeps %d rows of the erased user", table, n)
		}
		if n := v.count(`SELECT count(*) FROM ` + table); n != others[table]-ownUser[table] {
			t.Errorf("%s holds %d rows after the erasure, want the %d of other users", table, n, others[table]-ownUser[table])
		}
	}
	if where := v.holding(alias); where != nil {
		t.Errorf("%s is still in %v", alias, where)
	}
}
