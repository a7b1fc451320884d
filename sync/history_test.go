package sync

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/examples"
)

// History through the sync: a rep whose manager changes twice has three versions,
// whose bounds are the times of the refreshes that saw the changes; a tracker deleted
// from Gong and restored has its version closed at the deletion and a new one opened
// at the restore; nothing else gets a second version. The example question "the rep's
// manager at the time of each call" answers each call by the version current at its
// start, boundaries included.
func TestHistoryOfAManagerChangedTwiceAndATrackerDeletedAndRestored(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 20, Users: 40})})
	v.run(StreamUsers)
	v.run(StreamTrackers)
	d := v.fake.Dataset()

	users := d.UsersAt(v.clock.Now())
	i := slices.IndexFunc(users, func(u fakegong.UserMetadata) bool { return u.ManagerID != nil })
	if i < 0 || len(users) < 4 {
		t.Fatal("the dataset has no user with a manager")
	}
	rep, managers := users[i].ID, []string{*users[i].ManagerID}
	for _, u := range users {
		if u.ID != rep && !slices.Contains(managers, u.ID) && len(managers) < 3 {
			managers = append(managers, u.ID)
		}
	}
	// validFrom is when the rep's current version opened.
	validFrom := func() time.Time {
		t.Helper()
		var at time.Time
		if err := v.st.Pool().QueryRow(v.ctx, `SELECT valid_from FROM users_history WHERE id = $1 AND valid_to IS NULL`, rep).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	bounds := []time.Time{validFrom()}
	for _, m := range managers[1:] {
		if err := d.ChangeUser(rep, func(u *fakegong.UserMetadata) { u.ManagerID = &m }); err != nil {
			t.Fatal(err)
		}
		v.clock.Advance(time.Minute)
		if r := v.run(StreamUsers); r.Changed != 1 {
			t.Fatalf("users changed %d, want the rep", r.Changed)
		}
		bounds = append(bounds, validFrom())
	}
	if n := v.count(`SELECT count(*) FROM users_history WHERE id = $1`, rep); n != 3 {
		t.Fatalf("the rep has %d versions, want 3", n)
	}
	if n, want := v.count(`SELECT count(*) FROM users_history`), v.count(`SELECT count(*) FROM users`)+2; n != want {
		t.Fatalf("%d versions of users, want %d: one each, and two more for the rep", n, want)
	}
	if n := v.count(`SELECT count(*) FROM users_history WHERE id = $1 AND valid_to = ANY($2)`, rep, bounds[1:]); n != 2 {
		t.Fatalf("%d of the rep's versions close where the next opens, want 2", n)
	}

	tracker := d.Trackers()[0].TrackerID
	if err := d.RemoveTracker(tracker, v.clock.Now().Add(time.Minute), v.clock.Now().Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	v.clock.Advance(time.Hour)
	if r := v.run(StreamTrackers); r.Deleted != 1 {
		t.Fatalf("trackers deleted %d, want 1", r.Deleted)
	}
	var deleted time.Time
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT deleted_at FROM trackers WHERE id = $1`, tracker).Scan(&deleted); err != nil {
		t.Fatal(err)
	}
	v.clock.Advance(2 * time.Hour)
	if r := v.run(StreamTrackers); r.Restored != 1 {
		t.Fatalf("trackers restored %d, want 1", r.Restored)
	}
	var closedAt, reopened, restored time.Time
	var same bool
	err := v.st.Pool().QueryRow(v.ctx, `SELECT a.valid_to, b.valid_from, t.updated_at, a.raw = b.raw AND b.raw = t.raw
		FROM trackers_history a JOIN trackers_history b ON b.id = a.id AND b.valid_to IS NULL
		JOIN trackers t ON t.id = a.id
		WHERE a.id = $1 AND a.valid_to IS NOT NULL`, tracker).Scan(&closedAt, &reopened, &restored, &same)
	if err != nil {
		t.Fatalf("the tracker's two versions: %v", err)
	}
	if !closedAt.Equal(deleted) || !reopened.Equal(restored) || !same {
		t.Fatalf("the tracker's first version closed at %v (deleted %v), the second opened at %v (restored %v), same content %v",
			closedAt, deleted, reopened, restored, same)
	}
	if n := v.count(`SELECT count(*) FROM trackers_history WHERE id = $1`, tracker); n != 2 {
		t.Fatalf("the tracker has %d versions, want 2", n)
	}
	if n, want := v.count(`SELECT count(*) FROM trackers_history`), v.count(`SELECT count(*) FROM trackers`)+1; n != want {
		t.Fatalf("%d versions of trackers, want %d", n, want)
	}

	// Calls of the rep at each boundary, and just before the second: the clock moves
	// past them so that Gong serves them.
	starts := []time.Time{bounds[0], bounds[1].Add(-time.Microsecond), bounds[1], bounds[2]}
	want := map[string]string{}
	for k, at := range starts {
		spec, err := d.AddCall(fakegong.NewCall{Started: at, PrimaryUserID: rep, Duration: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		want[spec.ID] = managers[[]int{0, 0, 1, 2}[k]]
	}
	v.clock.Set(bounds[2].Add(3 * time.Hour))
	v.backfill(bounds[0].Add(-time.Hour), bounds[2].Add(time.Hour))

	path, err := examples.DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	qs, err := examples.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	q := slices.IndexFunc(qs, func(q examples.Query) bool { return q.Name == "manager_at_call_time" })
	if q < 0 {
		t.Fatal("docs/queries.sql has no manager_at_call_time")
	}
	rows, err := v.st.Pool().Query(v.ctx, qs[q].SQL)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := readAnswer(rows)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range answer {
		if id := r["call_id"].(string); want[id] != "" {
			got[id], _ = r["manager_at_call"].(string)
			if r["manager_now"] != managers[2] {
				t.Errorf("call %s: manager now %v, want %s", id, r["manager_now"], managers[2])
			}
		}
	}
	for id, m := range want {
		if got[id] != m {
			t.Errorf("call %s: manager at the call %q, want %q (managers in turn %v, versions from %v)", id, got[id], m, managers, bounds)
		}
	}
}

// privacy.erase-email reaches the history: a user whose address changed keeps no
// version that holds the old one anywhere in the schema, and keeps the others.
func TestEraseEmailReachesAUsersOlderVersions(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 10, Users: 20})})
	v.run(StreamUsers)
	d := v.fake.Dataset()
	u := d.UsersAt(v.clock.Now())[2]
	old := strings.ToLower(*u.EmailAddress)
	moved := "renamed-" + u.ID + "@example.com"
	if err := d.ChangeUser(u.ID, func(x *fakegong.UserMetadata) {
		x.EmailAddress, x.TrustedEmailAddress, x.EmailAliases = &moved, &moved, nil
	}); err != nil {
		t.Fatal(err)
	}
	v.clock.Advance(time.Minute)
	v.run(StreamUsers)
	if n := v.count(`SELECT count(*) FROM users_history WHERE id = $1`, u.ID); n != 2 {
		t.Fatalf("the user has %d versions, want 2", n)
	}
	if where := v.holding(old); !slices.Contains(where, "users_history.raw") || slices.Contains(where, "users.raw") {
		t.Fatalf("before the erasure the old address is in %v: the test proves nothing", where)
	}
	if _, err := v.action("privacy.erase-email", `{"emailAddress":"`+old+`"}`); err != nil {
		t.Fatal(err)
	}
	if where := v.holding(old); where != nil {
		t.Errorf("the old address is still in %v", where)
	}
	var current int
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT count(*) FROM users_history WHERE id = $1 AND valid_to IS NULL AND raw ->> 'emailAddress' = $2`,
		u.ID, moved).Scan(&current); err != nil || current != 1 {
		t.Errorf("the user's current version: %d rows, %v; want it kept", current, err)
	}
}
