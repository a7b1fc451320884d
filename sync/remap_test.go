package sync

import (
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// derivedTables are the tables an older mapping did not fill: calls of mapping 1
// lacked the first three, and calls, users and trackers of the mapping before issue 26
// the others.
var derivedTables = []string{"call_video_stats", "call_tracker_occurrences", "call_crm_fields",
	"call_outline_sections", "call_outline_items", "call_highlights", "call_highlight_items", "call_key_points",
	"call_structure", "user_email_aliases", "user_spoken_languages", "user_meeting_urls", "tracker_languages",
	"tracker_keywords"}

// olderMapping makes the synced tables look as an older gongsync left them: calls,
// users and trackers at mapping version 1, the tables that version did not have
// empty, and a typed column it did have wrong, so that re-deriving must rewrite
// columns as well as add rows. It returns what the fake had served until then.
func (v *env) olderMapping() int64 {
	v.t.Helper()
	qs := []string{
		`UPDATE calls SET mapping_version = 1, question_company_count = NULL`,
		`UPDATE users SET mapping_version = 1`,
		`UPDATE trackers SET mapping_version = 1`,
	}
	for _, t := range derivedTables {
		qs = append(qs, `DELETE FROM `+t)
	}
	for _, q := range qs {
		if _, err := v.st.Pool().Exec(v.ctx, q); err != nil {
			v.t.Fatal(err)
		}
	}
	total, _ := v.requests()
	return total
}

// Calls, users and trackers synced before the tables derived from their JSON existed
// (call_video_stats … call_structure, user_email_aliases … tracker_keywords) gain
// their rows from the raw documents already stored: Remap sends no request, leaves
// what Gong said (raw, times, deletions) alone, and the tables then equal Gong's.
func TestRemapFillsNewTablesFromStoredRawWithoutRequests(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: fakegong.Options{Calls: 300}})
	if rep := v.backfill(day0, day0.AddDate(0, 0, 30)); !rep.Done {
		t.Fatalf("backfill: %s", rep.Message())
	}
	filled := map[string]int{}
	for _, table := range derivedTables {
		if filled[table] = v.count(`SELECT count(*) FROM ` + table); filled[table] == 0 {
			t.Fatalf("the dataset gives no row of %s: nothing to remap", table)
		}
	}
	calls, users, trackers := v.count(`SELECT count(*) FROM calls`), v.count(`SELECT count(*) FROM users`), v.count(`SELECT count(*) FROM trackers`)
	ledger := v.count(`SELECT coalesce(sum(requests), 0) FROM api_usage`)
	before := v.olderMapping()
	// A deleted call stays deleted through a remap.
	if _, err := v.st.Pool().Exec(v.ctx, `UPDATE calls SET deleted_at = now() WHERE id = (SELECT min(id) FROM calls)`); err != nil {
		t.Fatal(err)
	}
	var seen time.Time
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT max(last_seen_at) FROM calls`).Scan(&seen); err != nil {
		t.Fatal(err)
	}

	n, err := v.engine.Remap(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != (Remapped{Calls: calls, Users: users, Trackers: trackers}) {
		t.Errorf("remapped %+v, want %d calls, %d users, %d trackers", n, calls, users, trackers)
	}
	if after, by := v.requests(); after != before {
		t.Errorf("remap sent %d requests to Gong (%v)", after-before, by)
	}
	if got := v.count(`SELECT coalesce(sum(requests), 0) FROM api_usage`); got != ledger {
		t.Errorf("the request ledger grew by %d during the remap", got-ledger)
	}
	for table, want := range filled {
		if got := v.count(`SELECT count(*) FROM ` + table); got != want {
			t.Errorf("%s: %d rows after the remap, %d before the upgrade", table, got, want)
		}
	}
	if got := v.count(`SELECT count(*) FROM calls WHERE mapping_version <> $1`, CallMapping); got != 0 {
		t.Errorf("%d calls kept an older mapping version", got)
	}
	if got := v.count(`SELECT count(*) FROM users WHERE mapping_version <> $1`, UserMapping) +
		v.count(`SELECT count(*) FROM trackers WHERE mapping_version <> $1`, TrackerMapping); got != 0 {
		t.Errorf("%d users and trackers kept an older mapping version", got)
	}
	if got := v.count(`SELECT count(*) FROM calls WHERE deleted_at IS NOT NULL`); got != 1 {
		t.Errorf("%d calls deleted after the remap, want the 1 deleted before it", got)
	}
	if got := v.count(`SELECT count(*) FROM calls WHERE last_seen_at > $1`, seen); got != 0 {
		t.Errorf("a remap moved last_seen_at of %d calls: it is not a sighting in Gong", got)
	}
	if got := v.count(`SELECT count(*) FROM calls WHERE question_company_count IS NULL`); got == calls {
		t.Error("a typed column was not derived again")
	}
	if _, err := v.st.Pool().Exec(v.ctx, `UPDATE calls SET deleted_at = NULL`); err != nil {
		t.Fatal(err)
	}
	v.assertMatchesGong(v.clock.Now())
	v.assertUserAndTrackerRowsMatchGong(v.clock.Now())
	if n, err := v.engine.Remap(v.ctx); err != nil || n != (Remapped{}) {
		t.Errorf("a second remap rewrote %+v (%v)", n, err)
	}
}

// A sync that re-reads calls stored by an older mapping derives their rows again
// as it upserts them, and counts them as remapped, not changed: Gong changed nothing.
func TestSyncRederivesRowsOfAnOlderMapping(t *testing.T) {
	t.Parallel()
	// The settle pass re-reads the whole dataset (it is 10 to 40 days old).
	v := newEnv(t, envOptions{fake: fakegong.Options{Calls: 200}, engine: Options{SettleWindow: 60 * 24 * time.Hour}})
	if rep := v.backfill(day0, day0.AddDate(0, 0, 30)); !rep.Done {
		t.Fatalf("backfill: %s", rep.Message())
	}
	v.olderMapping()
	v.clock.Advance(time.Hour)
	rep := v.run(StreamSettle)
	if rep.Remapped != rep.Records {
		t.Errorf("settle read %d calls and derived the rows of %d again, want all", rep.Records, rep.Remapped)
	}
	if rep.Changed != 0 || rep.Inserted != 0 || rep.Records == 0 {
		t.Errorf("settle over an older mapping: %d read, %d changed, %d new; want all read, none changed or new",
			rep.Records, rep.Changed, rep.Inserted)
	}
	v.assertMatchesGong(v.clock.Now())
}
