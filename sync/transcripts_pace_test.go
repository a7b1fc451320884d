package sync

import (
	"slices"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/store"
)

// The retry of a transcript not ready follows the measured processing time: the
// median after the call's end, then the 90th percentile, then the fixed backoff;
// with too few calls measured, the fixed backoff; within its bounds.
func TestTranscriptRetryAtFollowsTheMeasuredDelays(t *testing.T) {
	end := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	d := store.TranscriptDelays{Calls: minTranscriptDelaySamples, P50: 50 * time.Minute, P90: 2 * time.Hour}
	p := store.PendingTranscript{CallID: "1", Ended: &end, Attempts: 1}
	for _, c := range []struct {
		name string
		now  time.Time
		d    store.TranscriptDelays
		p    store.PendingTranscript
		want time.Time
	}{
		{"before the median: at the median", end.Add(20 * time.Minute), d, p, end.Add(50 * time.Minute)},
		{"just before the median: not sooner than the minimum", end.Add(49 * time.Minute), d, p, end.Add(49*time.Minute + minTranscriptRetry)},
		{"between the median and the 90th percentile: at the latter", end.Add(50 * time.Minute), d, p, end.Add(2 * time.Hour)},
		{"past both: the fixed backoff", end.Add(3 * time.Hour), d, p, end.Add(3*time.Hour + transcriptRetry(1))},
		{"too few calls measured: the fixed backoff", end.Add(20 * time.Minute), store.TranscriptDelays{Calls: minTranscriptDelaySamples - 1, P50: time.Hour, P90: 2 * time.Hour}, p,
			end.Add(20*time.Minute + transcriptRetry(1))},
		{"no end known: the fixed backoff", end.Add(20 * time.Minute), d, store.PendingTranscript{CallID: "1", Attempts: 2}, end.Add(20*time.Minute + transcriptRetry(2))},
		{"a median days away: the longest wait", end, store.TranscriptDelays{Calls: 100, P50: 48 * time.Hour, P90: 72 * time.Hour}, p, end.Add(12 * time.Hour)},
	} {
		if got := transcriptRetryAt(c.now, c.p, c.d, 0); !got.Equal(c.want) {
			t.Errorf("%s: %s, want %s", c.name, got.Format(time.TimeOnly), c.want.Format(time.TimeOnly))
		}
	}
}

// With a recheck interval (a freshness target), a call within Gong's processing
// window is asked again every recheck; past the window, as without one.
func TestTranscriptRecheckWithinTheProcessingWindow(t *testing.T) {
	end := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	d := store.TranscriptDelays{Calls: minTranscriptDelaySamples, P50: 50 * time.Minute, P90: 2 * time.Hour}
	p := store.PendingTranscript{CallID: "1", Ended: &end, Attempts: 1}
	recheck := 4 * time.Minute
	for _, c := range []struct {
		name string
		now  time.Time
		d    store.TranscriptDelays
		want time.Time
	}{
		{"before the median: every recheck", end.Add(20 * time.Minute), d, end.Add(24 * time.Minute)},
		{"past the 90th percentile, within half again: every recheck", end.Add(150 * time.Minute), d, end.Add(154 * time.Minute)},
		{"past the window: the fixed backoff", end.Add(3 * time.Hour), d, end.Add(3*time.Hour + transcriptRetry(1))},
		{"too few measured, young call: every recheck", end.Add(time.Hour), store.TranscriptDelays{}, end.Add(time.Hour + recheck)},
		{"too few measured, past the default window: the fixed backoff", end.Add(recheckWindow), store.TranscriptDelays{}, end.Add(recheckWindow + transcriptRetry(1))},
	} {
		if got := transcriptRetryAt(c.now, p, c.d, recheck); !got.Equal(c.want) {
			t.Errorf("%s: %s, want %s", c.name, got.Format(time.TimeOnly), c.want.Format(time.TimeOnly))
		}
	}
	if got := transcriptRetryAt(end.Add(20*time.Minute), p, d, time.Second); !got.Equal(end.Add(20*time.Minute + minTranscriptRetry)) {
		t.Errorf("a recheck below the minimum: %s", got.Format(time.TimeOnly))
	}
}

// On the simulated Gong's processing delays, a day of 15-minute ticks: every
// transcript is first seen at a tick after Gong made it, the measure of Gong's
// processing time is taken from those finds, the next transcript due is the earliest
// retry, and a call whose transcript is late is asked again at its end plus the
// measured median, then the 90th percentile, and found there.
func TestTranscriptsAreAskedForWhenGongHasThem(t *testing.T) {
	t.Parallel()
	from := day0
	to := from.AddDate(0, 0, 1)
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 200, From: from, To: to, Clock: fakegong.NewVirtualClock(from)})})
	tick := func(at time.Time, streams ...string) {
		t.Helper()
		v.clock.Set(at)
		for _, s := range streams {
			if r := v.engine.RunStream(v.ctx, s, KindScheduled, false); r.Status != store.RunSucceeded {
				t.Fatalf("%s at %s: %s %v", s, at, r.Status, r.Err)
			}
		}
	}
	end := to.Add(6 * time.Hour)
	for at := from; at.Before(end); at = at.Add(15 * time.Minute) {
		tick(at, StreamCalls, StreamTranscripts)
	}

	// Each transcript was first seen at a tick at or after Gong made it, on the
	// engine's clock, and the measure is of those first seen after an early ask.
	rows, err := v.st.Pool().Query(v.ctx, `SELECT id, transcript_first_seen_at, transcript_attempts FROM calls WHERE transcript_first_seen_at IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	var delays []time.Duration
	seen := 0
	for rows.Next() {
		var id string
		var at time.Time
		var attempts int
		if err := rows.Scan(&id, &at, &attempts); err != nil {
			t.Fatal(err)
		}
		spec, _ := v.fake.Dataset().Call(id)
		if at.Before(spec.TranscriptAt) || at.Sub(from)%(15*time.Minute) != 0 {
			t.Errorf("call %s: transcript first seen at %s; Gong made it at %s; the ticks are every 15 minutes", id, at, spec.TranscriptAt)
		}
		if attempts > 0 {
			delays = append(delays, spec.TranscriptAt.Sub(spec.Started.Add(spec.Duration)))
		}
		seen++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	d, err := v.engine.TranscriptReadiness(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Calls != len(delays) || d.Calls < minTranscriptDelaySamples || seen < 100 {
		t.Fatalf("measured %d calls, %d asked early and found, %d found in all: the test measured little", d.Calls, len(delays), seen)
	}
	// The measure is of finds, upper bounds of Gong's own times.
	slices.Sort(delays)
	if gong := delays[len(delays)/2]; d.P50 < gong-time.Minute || d.P50 > gong+2*time.Hour || d.P90 < d.P50 {
		t.Errorf("measured median %s, 90th percentile %s; Gong's median %s", d.P50, d.P90, gong)
	}

	// A call whose transcript is late: asked at once, then at its end plus the median,
	// then plus the 90th percentile, where Gong has it.
	started := end.Add(-2 * time.Hour)
	spec, err := v.fake.Dataset().AddCall(fakegong.NewCall{Started: started, Duration: 30 * time.Minute, ProcessedAt: started.Add(40 * time.Minute),
		TranscriptAt: started.Add(30*time.Minute + d.P90)})
	if err != nil {
		t.Fatal(err)
	}
	callEnd := started.Add(30 * time.Minute)
	next := func() time.Time {
		t.Helper()
		var at time.Time
		if err := v.st.Pool().QueryRow(v.ctx, `SELECT transcript_next_attempt_at FROM calls WHERE id = $1 AND transcript_status = 'pending'`, spec.ID).Scan(&at); err != nil {
			t.Fatalf("call %s is not waiting for its transcript: %v", spec.ID, err)
		}
		return at
	}
	near := func(a, b time.Time) bool { return a.Sub(b).Abs() < time.Millisecond }
	tick(started.Add(45*time.Minute), StreamCalls, StreamTranscripts)
	if at := next(); !near(at, callEnd.Add(d.P50)) {
		t.Fatalf("first retry at %s; want the call's end %s plus the median %s", at, callEnd, d.P50)
	}
	// The next transcript due is the earliest retry of any call waiting.
	due, err := v.engine.NextTranscriptDue(v.ctx)
	var earliest time.Time
	if err2 := v.st.Pool().QueryRow(v.ctx, `SELECT min(transcript_next_attempt_at) FROM calls WHERE transcript_status = 'pending' AND deleted_at IS NULL`).Scan(&earliest); err != nil || err2 != nil {
		t.Fatal(err, err2)
	}
	if due == nil || !due.Equal(earliest) || due.After(next()) {
		t.Fatalf("next transcript due %v; the earliest retry is %s, the late call's %s", due, earliest, next())
	}
	tick(callEnd.Add(d.P50), StreamTranscripts)
	if at := next(); !near(at, callEnd.Add(d.P90)) {
		t.Fatalf("second retry at %s; want the call's end %s plus the 90th percentile %s", at, callEnd, d.P90)
	}
	tick(callEnd.Add(d.P90), StreamTranscripts)
	var status string
	var seenAt time.Time
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT transcript_status, transcript_first_seen_at FROM calls WHERE id = $1`, spec.ID).Scan(&status, &seenAt); err != nil ||
		status != "available" || !near(seenAt, callEnd.Add(d.P90)) {
		t.Fatalf("at the 90th percentile: transcript %s, first seen %s (%v); want available, seen then", status, seenAt, err)
	}
	// Fetched again later (a webhook's fetch), the transcript keeps its first sighting.
	v.clock.Set(callEnd.Add(d.P90 + time.Hour))
	for _, rep := range v.engine.FetchCalls(v.ctx, []string{spec.ID}) {
		if rep.Err != nil || rep.Requests != 2 {
			t.Fatalf("fetch again: %d requests, %v", rep.Requests, rep.Err)
		}
	}
	var again time.Time
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT transcript_first_seen_at FROM calls WHERE id = $1`, spec.ID).Scan(&again); err != nil || !again.Equal(seenAt) {
		t.Fatalf("first seen %s after fetching again (%v); want %s kept", again, err, seenAt)
	}
}
