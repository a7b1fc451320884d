package sync

import (
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// A backfill of streams other than the calls (issue 25, item 4) reads them, says it is
// complete, spends nothing when run again, and leaves the calls' backfill as it was:
// it used to report "stopped at <from> (0% of the range, 0 calls)", start a new calls
// range in place of the one under way, and read the streams again on every run.
func TestBackfillOfStreamsBeyondCallsCompletesOnceAndLeavesTheCallsRange(t *testing.T) {
	t.Parallel()
	now := day0.AddDate(0, 0, 40).Add(12 * time.Hour)
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 300, Clock: fakegong.NewVirtualClock(now)})})
	callsTo := day0.AddDate(0, 0, 20)
	if rep := v.backfill(day0, callsTo); !rep.Done {
		t.Fatalf("calls backfill: %s", rep.Message())
	}

	for _, streams := range [][]string{{StreamLibrary}, {StreamUserActivity}, {StreamLibrary, StreamInteractionStats}} {
		from, to := day0.AddDate(0, 0, 5), day0.AddDate(0, 0, 15)
		rep, err := v.engine.Backfill(v.ctx, BackfillRequest{From: from, To: to, Streams: streams})
		if err != nil {
			t.Fatalf("%v: %v", streams, err)
		}
		msg := rep.Message()
		if !rep.Done || rep.CallSide || !strings.Contains(msg, "complete") || strings.Contains(msg, "calls") {
			t.Errorf("%v: done %v, message %q; want complete, without calls", streams, rep.Done, msg)
		}
		again, err := v.engine.Backfill(v.ctx, BackfillRequest{From: from, To: to, Streams: streams})
		if err != nil || !again.Done || again.Requests != 0 {
			t.Errorf("%v run again: done %v, %d requests (err %v); want done, none spent", streams, again.Done, again.Requests, err)
		}
	}

	// The calls' backfill is the one of before: run again with its range, it has
	// nothing left to read.
	cp, err := v.engine.loadWindow(v.ctx, StreamBackfill)
	if err != nil {
		t.Fatal(err)
	}
	if r := cp.Range; r == nil || !r.From.Equal(day0) || !r.To.Equal(callsTo) || !r.Done {
		t.Errorf("the calls' backfill range is now %+v; want [%s, %s), done", r, day0, callsTo)
	}
	rep, err := v.engine.Backfill(v.ctx, BackfillRequest{From: day0, To: callsTo, Streams: []string{StreamCalls}})
	if err != nil || !rep.Done || rep.Requests != 0 {
		t.Errorf("the calls' backfill resumed: done %v, %d requests (err %v); want done, none spent", rep.Done, rep.Requests, err)
	}

	// A stream with no range to backfill is refused before anything is sent.
	if _, err := ParseBackfillStreams("calls,sweep"); err == nil || !strings.Contains(err.Error(), "sweep") {
		t.Errorf("a backfill of the sweep: %v", err)
	}
	if _, err := v.engine.Backfill(v.ctx, BackfillRequest{From: day0, To: callsTo, Streams: []string{StreamSettle}}); err == nil {
		t.Error("a backfill of the settle pass was accepted")
	}
}
