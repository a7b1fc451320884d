package sync

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongsync/gongsync/store"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// quiet is a dataset where nothing happens unless a test makes it happen.
func quiet(o fakegong.Options) fakegong.Options {
	o.LateShare, o.ChangeShare, o.DeleteShare = -1, -1, -1
	return o
}

// Each kind of after-the-fact event is caught by the run that should catch it, and
// counted exactly once.
func TestLateChangedDeletedAndRestoredCallsAreCountedByTheRightRun(t *testing.T) {
	t.Parallel()
	now := day0.AddDate(0, 0, 12)
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 120, From: day0, To: day0.AddDate(0, 0, 10), Clock: fakegong.NewVirtualClock(now)})})
	ds := v.fake.Dataset()
	v.backfill(day0, now)
	v.pass(StreamCalls, StreamTranscripts) // sets the high-water mark at now

	old := ds.AllCalls()
	changedID, deletedID, flickerID := old[len(old)-3].ID, old[len(old)-2].ID, old[len(old)-1].ID
	// A call that started two hours ago but is processed only after the next run: the
	// overlap catches it. Its transcript comes five hours later still.
	nearLate, err := ds.AddCall(fakegong.NewCall{Started: now.Add(-2 * time.Hour), Duration: 30 * time.Minute,
		ProcessedAt: now.Add(30 * time.Minute), TranscriptAt: now.Add(5 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// A call from two days ago processed only now: beyond the overlap, the settle pass finds it.
	farLate, err := ds.AddCall(fakegong.NewCall{Started: now.Add(-48 * time.Hour), ProcessedAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	title := "Renamed after the fact"
	if _, err := ds.ChangeCall(changedID, now.Add(10*time.Minute), fakegong.Change{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if _, err := ds.DeleteCall(deletedID, now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := ds.DeleteCall(flickerID, now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := ds.RestoreCall(flickerID, now.Add(150*time.Minute)); err != nil {
		t.Fatal(err)
	}

	// +90 min: the incremental run finds the near-late call, and only that.
	v.clock.Set(now.Add(90 * time.Minute))
	r := v.run(StreamCalls)
	if r.Late != 1 || r.Inserted != 1 || r.Changed != 0 || r.Deleted != 0 {
		t.Fatalf("incremental run: late %d inserted %d changed %d deleted %d; want 1 1 0 0", r.Late, r.Inserted, r.Changed, r.Deleted)
	}
	if tr := v.run(StreamTranscripts); tr.Records != 0 {
		t.Fatalf("transcript of the near-late call fetched %d before Gong has it", tr.Records)
	}
	status := func(id string) string {
		var s string
		if err := v.st.Pool().QueryRow(v.ctx, `SELECT transcript_status FROM calls WHERE id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := status(nearLate.ID); s != "pending" {
		t.Fatalf("near-late call's transcript is %s, want pending", s)
	}

	// The settle pass finds the far-late call, the change and both deletions.
	r = v.run(StreamSettle)
	if r.Late != 1 || r.Changed != 1 || r.Deleted != 2 || r.Restored != 0 {
		t.Fatalf("settle: late %d changed %d deleted %d restored %d; want 1 1 2 0", r.Late, r.Changed, r.Deleted, r.Restored)
	}
	if n := v.count(`SELECT count(*) FROM calls WHERE id = $1 AND title = $2`, changedID, title); n != 1 {
		t.Fatal("the changed title is not in the table")
	}
	if n := v.count(`SELECT count(*) FROM calls WHERE id = ANY($1) AND deleted_at IS NOT NULL`, []string{deletedID, flickerID}); n != 2 {
		t.Fatalf("%d of 2 vanished calls marked deleted", n)
	}

	// +3h: the flickering call is back.
	v.clock.Set(now.Add(3 * time.Hour))
	r = v.run(StreamSettle)
	if r.Restored != 1 || r.Deleted != 0 || r.Late != 0 {
		t.Fatalf("second settle: restored %d deleted %d late %d; want 1 0 0", r.Restored, r.Deleted, r.Late)
	}

	// +6h: the late transcript has arrived and is fetched.
	v.clock.Set(now.Add(6 * time.Hour))
	v.run(StreamTranscripts)
	if s := status(nearLate.ID); s != "available" {
		t.Fatalf("near-late call's transcript is %s after Gong has it", s)
	}
	if farLate.ID == "" {
		t.Fatal("no id")
	}
	v.assertMatchesGong(v.clock.Now())

	// The runs' counts are in sync_runs too.
	if n := v.count(`SELECT coalesce(sum(late_calls), 0) FROM sync_runs WHERE stream IN ('calls', 'settle')`); n != 2 {
		t.Errorf("sync_runs: %d late calls, want 2", n)
	}
	if n := v.count(`SELECT coalesce(sum(deleted_calls), 0) FROM sync_runs`); n != 2 {
		t.Errorf("sync_runs: %d deleted calls, want 2", n)
	}
}

// What a sync costs, counted by the fake: a backfill of C calls over half a year costs
// ⌈C/100⌉ extensive requests and ⌈C/100⌉ transcript requests, plus at most one of
// each for a final page (the range is one query series, and transcript batches fill
// across what used to be window boundaries); an incremental run with nothing new at
// most 2 requests for the calls, and one for the answered scorecards of the day.
func TestRequestEconomy(t *testing.T) {
	if testing.Short() {
		t.Skip("backfill and incremental runs counted request by request: long scenario; runs in make test")
	}
	t.Parallel()
	end := day0.AddDate(0, 6, 0)
	now := end.AddDate(0, 0, 1)
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 1234, From: day0, To: end, Clock: fakegong.NewVirtualClock(now)})})
	rep := v.backfill(day0, now)
	calls := len(v.fake.Dataset().VisibleCalls(now))
	_, by := v.requests()
	pages := int64(math.Ceil(float64(calls) / 100))
	t.Logf("%d calls over %s: %d extensive, %d transcript requests against a floor of %d each; %s", calls, now.Sub(day0),
		by["POST /v2/calls/extensive"], by["POST /v2/calls/transcript"], pages, rep.Message())
	for _, ep := range []string{"POST /v2/calls/extensive", "POST /v2/calls/transcript"} {
		if got := by[ep]; got < pages || got > pages+1 {
			t.Errorf("%s: %d requests for %d calls, want ⌈C/100⌉ = %d (one more for a final page)", ep, got, calls, pages)
		}
	}

	// A first pass brings the streams read once a day that a backfill does not
	// complete (the day's slice of the flows, the logs): the runs counted are the
	// passes of the calls' ticks after it.
	v.clock.Advance(15 * time.Minute)
	v.pass()
	for i := range 3 {
		v.clock.Advance(15 * time.Minute)
		v.fake.ResetStats()
		v.pass()
		total, by := v.requests()
		if calls := by["POST /v2/calls/extensive"] + by["POST /v2/calls/transcript"]; calls > 2 || total > calls+1 {
			t.Errorf("incremental run %d with nothing new cost %d requests: %v", i, total, by)
		}
	}
}

// With a budget of N, a daemon and a backfill running side by side send exactly N
// requests to Gong, both pause and say so, and both go on once the (virtual) day
// changes.
func TestBudgetIsSharedExactlyAndRunsResumeNextDay(t *testing.T) {
	if testing.Short() {
		t.Skip("a daemon ticking every second beside a backfill, over two budget days: long scenario; runs in make test")
	}
	t.Parallel()
	const budget = 40
	now := day0.AddDate(0, 0, 31)
	v := newEnv(t, envOptions{budget: budget, share: 0.5,
		fake: quiet(fakegong.Options{Calls: 4000, From: day0, To: day0.AddDate(0, 0, 30), Clock: fakegong.NewVirtualClock(now)})})

	ctx, cancel := context.WithCancel(v.ctx)
	d, err := NewDaemon(v.engine, Schedules{Calls: "@every 1s", Users: "@every 1h", Settle: "@every 1h"})
	if err != nil {
		t.Fatal(err)
	}
	callsTicks := make(chan struct{}, 8)
	d.tickDone = func(group string) {
		if group == scheduleCalls {
			select {
			case callsTicks <- struct{}{}:
			default:
			}
		}
	}
	daemonDone := make(chan error, 1)
	go func() { daemonDone <- d.Run(ctx) }()

	rep, err := v.engine.Backfill(v.ctx, BackfillRequest{From: day0, To: day0.AddDate(0, 0, 30)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done || rep.PausedUntil.IsZero() {
		t.Fatalf("backfill should have paused at the budget: %s", rep.Message())
	}
	if !strings.Contains(rep.Message(), "paused by the daily budget") || !strings.Contains(rep.Message(), "2024-04-02T00:00:00Z") {
		t.Errorf("pause message does not say how far and until when: %s", rep.Message())
	}
	// Wait for the daemon to spend the rest and pause.
	deadline := time.Now().Add(30 * time.Second)
	for {
		u, err := v.budget.Usage(v.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if u.Requests >= budget && v.count(`SELECT count(*) FROM sync_runs WHERE kind = 'scheduled' AND status = 'paused'`) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not spend the budget and pause: usage %+v", u)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Two more calls ticks must send nothing. The first to end may have started before
	// the pause; the second started after the first ended (a tick never overlaps the
	// one before), so it met the spent budget from its start.
	for len(callsTicks) > 0 {
		<-callsTicks
	}
	for i := range 2 {
		select {
		case <-callsTicks:
		case <-time.After(30 * time.Second):
			t.Fatalf("calls tick %d after the pause never ended", i+1)
		}
	}
	total, _ := v.requests()
	u, _ := v.budget.Usage(v.ctx)
	if total != budget || u.Requests != budget {
		t.Fatalf("Gong saw %d requests and the ledger counted %d; the budget is %d", total, u.Requests, budget)
	}
	if u.BackfillRequests > budget/2 {
		t.Errorf("backfills spent %d, more than their share %d", u.BackfillRequests, budget/2)
	}

	// Next (virtual) day: both go on. The daemon's resumed run is one that starts
	// after the day changed (on the database's clock, which stamps runs).
	var dayChanged time.Time
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT clock_timestamp()`).Scan(&dayChanged); err != nil {
		t.Fatal(err)
	}
	v.clock.Set(now.AddDate(0, 0, 1).Add(time.Minute))
	v.fake.ResetStats()
	rep, err = v.engine.Backfill(v.ctx, BackfillRequest{From: day0, To: day0.AddDate(0, 0, 30)})
	if err != nil {
		t.Fatal(err)
	}
	if total, _ := v.requests(); total == 0 {
		t.Fatalf("the backfill sent nothing on the new day: %s", rep.Message())
	}
	// The deadline only keeps a broken daemon from hanging the test: the daemon ticks
	// every second, but a run may take many under the race detector.
	deadline = time.Now().Add(2 * time.Minute)
	for v.count(`SELECT count(*) FROM sync_runs WHERE kind = 'scheduled' AND requests > 0 AND started_at > $1`, dayChanged) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the daemon did not resume on the new day")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if err := <-daemonDone; err != nil {
		t.Fatal(err)
	}
}

// advanceAfter is a transport that moves the fake's clock forward once, after the
// n-th successful extensive-calls answer: every cursor handed out before expires.
type advanceAfter struct {
	next  http.RoundTripper
	clock *fakegong.Clock
	n     int32
	by    time.Duration
	seen  atomic.Int32
}

func (a *advanceAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(r)
	if err == nil && resp.StatusCode == 200 && strings.HasSuffix(r.URL.Path, "/calls/extensive") && a.seen.Add(1) == a.n {
		a.clock.Advance(a.by)
	}
	return resp, err
}

// When Gong's cursor expires mid-window, the window restarts from the start time of
// the last committed call: it costs one failed request and at most one page again.
func TestExpiredCursorRestartsFromLastCommittedCall(t *testing.T) {
	t.Parallel()
	now := day0.AddDate(0, 0, 11)
	clock := fakegong.NewVirtualClock(now)
	adv := &advanceAfter{clock: clock, n: 3, by: 10 * time.Minute}
	v := newEnv(t, envOptions{
		fake:      quiet(fakegong.Options{Calls: 1000, From: day0, To: day0.AddDate(0, 0, 10), Clock: clock, CursorTTL: 5 * time.Minute}),
		transport: func(rt http.RoundTripper) http.RoundTripper { adv.next = rt; return adv },
		engine:    Options{CursorMaxAge: time.Hour},
	})
	rep, err := v.engine.Backfill(v.ctx, BackfillRequest{From: day0, To: now, Streams: []string{StreamCalls}})
	if err != nil {
		t.Fatal(err)
	}
	restarts := 0
	for _, r := range rep.Runs {
		restarts += r.CursorRestarts
	}
	_, by := v.requests()
	pages := int64(math.Ceil(float64(len(v.fake.Dataset().VisibleCalls(now))) / 100))
	t.Logf("%d pages of calls, %d extensive requests, %d cursor restarts", pages, by["POST /v2/calls/extensive"], restarts)
	if restarts != 1 {
		t.Errorf("cursor restarts = %d, want 1", restarts)
	}
	// One 400 for the expired cursor and at most one page read again.
	if got := by["POST /v2/calls/extensive"]; got > pages+2 {
		t.Errorf("%d extensive requests for %d pages: the restart cost more than one page", got, pages)
	}
	v.assertCallsMatch(now)
}

// A resume after a pause that outlived the cursor does not even try the stale cursor.
func TestStaleCursorIsNotTried(t *testing.T) {
	t.Parallel()
	now := day0.AddDate(0, 0, 11)
	v := newEnv(t, envOptions{
		budget: 4, share: 1,
		fake:   quiet(fakegong.Options{Calls: 800, From: day0, To: day0.AddDate(0, 0, 10), Clock: fakegong.NewVirtualClock(now), CursorTTL: time.Hour}),
		engine: Options{},
	})
	req := BackfillRequest{From: day0, To: now, Streams: []string{StreamCalls}}
	rep, err := v.engine.Backfill(v.ctx, req)
	if err != nil || rep.PausedUntil.IsZero() {
		t.Fatalf("want a pause at 4 requests: %v %s", err, rep.Message())
	}
	cp, _ := v.st.Checkpoint(v.ctx, StreamBackfill)
	if cp.Cursor == "" || cp.LastStarted == nil {
		t.Fatalf("no cursor or last call in the paused checkpoint: %+v", cp)
	}
	// Each day the budget resets and the cursor is a day old: resume until done.
	for day := 1; !rep.Done; day++ {
		if day > 5 {
			t.Fatalf("not done after %d days: %s", day, rep.Message())
		}
		v.clock.Set(now.AddDate(0, 0, day))
		if rep, err = v.engine.Backfill(v.ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	if s := v.fake.Stats(); s.Status["400"] != 0 {
		t.Errorf("a stale cursor was sent: %d answers 400", s.Status["400"])
	}
	v.assertCallsMatch(now)
}

// assertCallsMatch compares only the calls (for tests that skip transcripts).
func (v *env) assertCallsMatch(at time.Time) {
	v.t.Helper()
	want := len(v.fake.Dataset().VisibleCalls(at))
	if got := v.count(`SELECT count(*) FROM calls WHERE deleted_at IS NULL`); got != want {
		v.t.Errorf("calls: %d in the table, %d in Gong", got, want)
	}
}

// Two processes never sync the same stream at once: a run that finds the stream held
// skips (the daemon) or waits (sync, backfill).
func TestHeldStreamIsSkippedOrWaitedFor(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 50})})
	unlock, err := v.st.LockStream(v.ctx, StreamCalls, false)
	if err != nil {
		t.Fatal(err)
	}
	r := v.engine.RunStream(v.ctx, StreamCalls, KindScheduled, false)
	if r.Status != store.RunSkipped || !errors.Is(r.Err, ErrStreamBusy) {
		t.Fatalf("status %s err %v; want skipped", r.Status, r.Err)
	}
	if total, _ := v.requests(); total != 0 {
		t.Fatalf("a skipped run sent %d requests", total)
	}
	done := make(chan *RunReport)
	go func() { done <- v.engine.RunStream(v.ctx, StreamCalls, KindSync, true) }()
	// It must not run before the unlock: wait until Postgres shows it waiting for the
	// lock (an advisory lock not granted in this test's database), then check.
	for deadline := time.Now().Add(10 * time.Second); v.count(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
		AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`) == 0; {
		select {
		case r := <-done:
			t.Fatalf("did not wait for the lock: %s", r.Status)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the run never waited for the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case r := <-done:
		t.Fatalf("did not wait for the lock: %s", r.Status)
	default:
	}
	unlock()
	if r := <-done; r.Status != store.RunSucceeded {
		t.Fatalf("after the lock was released: %s %v", r.Status, r.Err)
	}
}

// A shutdown while a page is in flight lets that page finish and commit, then stops.
func TestShutdownFinishesThePageInFlight(t *testing.T) {
	t.Parallel()
	now := day0.AddDate(0, 0, 11)
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 600, From: day0, To: day0.AddDate(0, 0, 10), Clock: fakegong.NewVirtualClock(now)})})
	if err := v.fake.SetFaults(fakegong.Faults{Latency: 400 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(v.ctx)
	time.AfterFunc(1200*time.Millisecond, cancel) // during the third page's request
	rep, _ := v.engine.Backfill(ctx, BackfillRequest{From: day0, To: now, Streams: []string{StreamCalls}})
	last := rep.Runs[len(rep.Runs)-1]
	if last.Status != store.RunInterrupted {
		t.Fatalf("status %s (%v), want interrupted", last.Status, last.Err)
	}
	total, _ := v.requests()
	committed := v.count(`SELECT count(*) FROM calls`)
	cp, _ := v.st.Checkpoint(v.ctx, StreamBackfill)
	t.Logf("%d requests sent, %d calls committed, cursor held: %v", total, committed, cp.Cursor != "")
	if int64(committed) != total*100 || cp.Cursor == "" {
		t.Fatalf("%d requests but %d calls committed: the page in flight was thrown away", total, committed)
	}
	if n := v.count(`SELECT count(*) FROM sync_runs WHERE stream = 'backfill' AND status = 'interrupted' AND finished_at IS NOT NULL`); n != 1 {
		t.Errorf("the interrupted run is not recorded as such (%d rows)", n)
	}
	// And the backfill resumes from there.
	v.fake.SetFaults(fakegong.Faults{})
	if _, err := v.engine.Backfill(v.ctx, BackfillRequest{From: day0, To: now, Streams: []string{StreamCalls}}); err != nil {
		t.Fatal(err)
	}
	v.assertCallsMatch(now)
}

// A page that Gong sends malformed fails the run with an error naming the endpoint;
// nothing of it is written and the checkpoint stays on the last good page.
func TestMalformedPageWritesNothing(t *testing.T) {
	t.Parallel()
	now := day0.AddDate(0, 0, 11)
	v := newEnv(t, envOptions{maxRetries: -1, fake: quiet(fakegong.Options{Calls: 300, From: day0, To: day0.AddDate(0, 0, 10), Clock: fakegong.NewVirtualClock(now)})})
	if err := v.fake.SetFaults(fakegong.Faults{Script: []fakegong.Fault{fakegong.FaultNone, fakegong.FaultMalformed}}); err != nil {
		t.Fatal(err)
	}
	req := BackfillRequest{From: day0, To: now, Streams: []string{StreamCalls}}
	_, err := v.engine.Backfill(v.ctx, req)
	if err == nil || !errors.Is(err, gongapi.ErrMalformedResponse) || !strings.Contains(err.Error(), "/v2/calls/extensive") {
		t.Fatalf("err = %v; want a malformed-response error naming the endpoint", err)
	}
	if n := v.count(`SELECT count(*) FROM calls`); n != 100 {
		t.Fatalf("%d calls written; want the first page's 100 only", n)
	}
	cp, _ := v.st.Checkpoint(v.ctx, StreamBackfill)
	var lastCommitted time.Time
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT max(started) FROM calls`).Scan(&lastCommitted); err != nil {
		t.Fatal(err)
	}
	if cp.LastStarted == nil || !cp.LastStarted.Equal(lastCommitted) {
		t.Fatalf("checkpoint at %v, last committed call at %v", cp.LastStarted, lastCommitted)
	}
	if _, err := v.engine.Backfill(v.ctx, req); err != nil {
		t.Fatal(err)
	}
	v.assertCallsMatch(now)
}
