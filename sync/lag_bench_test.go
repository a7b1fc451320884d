package sync

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/store"
)

// Lag measured call by call (issue 28): a business day of the daemon on the fake's
// virtual clock, 500 users and 2,000 calls a day with the fake's processing delays
// and late calls, after a backfill of the days before. For every call Gong first
// lists during the day (CallSpec.ProcessedAt, on the virtual clock), the lag to the
// commit of its row, and for every transcript Gong has during the day
// (CallSpec.TranscriptAt), the lag to the commit of its sentences. A commit's time is
// the virtual clock's when the run or webhook that made it happened: the clock stands
// still during a run, so both ends are on the same clock.

const (
	lagPriorDays = 2 // the days backfilled before the day measured
	// lagTail is how long past the day's end the simulation goes on, so that the calls
	// listed in its last minutes are committed too; its requests are not the day's.
	lagTail = time.Hour
)

// lagModes are the day's variants make bench reports (internal/bench, -only-lag).
var lagModes = []struct {
	name      string
	freshness time.Duration
	webhooks  bool
}{
	{"default", 0, false},
	{"freshness-2m", 2 * time.Minute, false},
	{"webhooks", 0, true},
}

// lagDay is what one simulated day measured.
type lagDay struct {
	callLag, transcriptLag []time.Duration
	// callsMissing, transcriptsMissing: listed (or available) during the day, not
	// committed by the end of the tail.
	callsMissing, transcriptsMissing int
	requests                         map[string]int // by stream, the day's runs
	runs, notSucceeded               map[string]int
	total                            int64 // what the fake served during the day
	status429                        int64
	polls                            int
	reasons                          map[string]int // the freshness decisions by reason
}

// simulateLagDay runs the day and measures it.
func simulateLagDay(tb testing.TB, freshness time.Duration, webhooks bool) lagDay {
	tb.Helper()
	day := day0.AddDate(0, 0, lagPriorDays+4) // a Tuesday
	end := day.AddDate(0, 0, 1)
	clock := fakegong.NewVirtualClock(day.Add(-time.Hour))
	// The transcripts are asked again as the daemon asks (cmd/gongsync's wiring).
	opt := Options{TranscriptRecheck: TranscriptRecheckFor(freshness)}
	v := newEnv(tb, envOptions{budget: 10_000, engine: opt, fake: fakegong.Options{Users: dayUsers, Calls: dayCallsPerDay * (lagPriorDays + 5),
		From: day0, To: end.Add(lagTail), Clock: clock, DailyLimit: 10_000}})
	// The backfill is the day before's spending, not the day's.
	if _, err := v.engine.Backfill(v.ctx, BackfillRequest{From: day.AddDate(0, 0, -lagPriorDays), To: day.Add(-time.Hour),
		Streams: []string{StreamCalls, StreamTranscripts}}); err != nil {
		tb.Fatalf("backfill: %v", err)
	}

	sched := Schedules{Calls: dayDefaults[scheduleCalls], Users: dayDefaults[scheduleUsers], Settle: dayDefaults[scheduleSettle],
		Freshness: freshness, FreshnessShare: 0.35}
	ticks, err := sched.Ticks(day, end.Add(lagTail))
	if err != nil {
		tb.Fatal(err)
	}
	var fresh *Freshness
	if freshness > 0 {
		fresh = v.engine.NewFreshness(freshness, sched.FreshnessShare, time.UTC)
	}
	data := v.fake.Dataset()
	var listed []fakegong.CallSpec // the webhooks Gong fires, when a call is first listed
	if webhooks {
		for _, c := range data.AllCalls() {
			if !c.ProcessedAt.Before(day) && c.ProcessedAt.Before(end.Add(lagTail)) {
				listed = append(listed, c)
			}
		}
		sort.Slice(listed, func(i, j int) bool { return listed[i].ProcessedAt.Before(listed[j].ProcessedAt) })
	}
	hook := lagWebhookReceiver(tb, v)

	d := lagDay{requests: map[string]int{}, runs: map[string]int{}, notSucceeded: map[string]int{}, reasons: map[string]int{}}
	committedCalls, committedTranscripts := map[string]time.Time{}, map[string]time.Time{}
	marker := v.dbNow()
	// note records what the runs (or webhooks) at virtual time at committed.
	note := func(at time.Time) {
		rows, err := v.st.Pool().Query(v.ctx, `SELECT id, first_seen_at >= $1, coalesce(transcript_fetched_at >= $1, false)
			FROM calls WHERE first_seen_at >= $1 OR transcript_fetched_at >= $1`, marker)
		if err != nil {
			tb.Fatal(err)
		}
		marker = v.dbNow()
		for rows.Next() {
			var id string
			var call, transcript bool
			if err := rows.Scan(&id, &call, &transcript); err != nil {
				tb.Fatal(err)
			}
			if _, ok := committedCalls[id]; call && !ok {
				committedCalls[id] = at
			}
			if _, ok := committedTranscripts[id]; transcript && !ok {
				committedTranscripts[id] = at
			}
		}
		if err := rows.Err(); err != nil {
			tb.Fatal(err)
		}
	}
	run := func(at time.Time, streams []string) {
		for _, name := range streams {
			r := v.engine.runStream(v.ctx, findStream(name), KindScheduled, false, false)
			if at.Before(end) {
				d.requests[name] += r.Requests
				d.runs[name]++
				if r.Status != store.RunSucceeded {
					d.notSucceeded[name]++
				}
			}
		}
		note(at)
	}

	v.clock.Set(day)
	note(day) // the backfill's commits are not the day's
	v.fake.ResetStats()
	nextPoll := day
	counted := false
	for at := day; at.Before(end.Add(lagTail)); {
		if !counted && !at.Before(end) {
			st := v.fake.Stats()
			d.total, d.status429, counted = st.Total, st.Status["429"], true
		}
		v.clock.Set(at)
		for len(listed) > 0 && !listed[0].ProcessedAt.After(at) {
			hook(listed[0].ID)
			listed = listed[1:]
		}
		note(at)
		for len(ticks) > 0 && !ticks[0].At.After(at) {
			run(at, sched.TickStreams(ticks[0].Group))
			ticks = ticks[1:]
		}
		if fresh != nil && !nextPoll.After(at) {
			run(at, FreshStreams)
			dec, err := fresh.Decide(v.ctx)
			if err != nil {
				tb.Fatal(err)
			}
			if at.Before(end) {
				d.polls++
				d.reasons[dec.Reason]++
			}
			nextPoll = at.Add(dec.Interval)
		}
		// The next event: a tick, a poll, a webhook.
		next := end.Add(lagTail)
		if len(ticks) > 0 {
			next = ticks[0].At
		}
		if fresh != nil && nextPoll.Before(next) {
			next = nextPoll
		}
		if len(listed) > 0 && listed[0].ProcessedAt.Before(next) {
			next = listed[0].ProcessedAt
		}
		at = next
	}
	if !counted {
		st := v.fake.Stats()
		d.total, d.status429 = st.Total, st.Status["429"]
	}

	tail := end.Add(lagTail)
	for _, c := range data.AllCalls() {
		if !c.ProcessedAt.Before(day) && c.ProcessedAt.Before(end) && specListed(c, c.ProcessedAt) {
			if at, ok := committedCalls[c.ID]; ok {
				d.callLag = append(d.callLag, at.Sub(c.ProcessedAt))
			} else if specListed(c, tail) {
				d.callsMissing++
			}
		}
		if !c.TranscriptAt.IsZero() && !c.TranscriptAt.Before(day) && c.TranscriptAt.Before(end) && specListed(c, c.TranscriptAt) {
			if at, ok := committedTranscripts[c.ID]; ok {
				d.transcriptLag = append(d.transcriptLag, at.Sub(c.TranscriptAt))
			} else if specListed(c, tail) {
				d.transcriptsMissing++
			}
		}
	}
	return d
}

// specListed says whether Gong lists the call at t (processed, not deleted).
func specListed(c fakegong.CallSpec, t time.Time) bool {
	if c.ProcessedAt.After(t) {
		return false
	}
	return c.DeletedAt.IsZero() || t.Before(c.DeletedAt) || (!c.RestoredAt.IsZero() && !t.Before(c.RestoredAt))
}

// lagWebhookReceiver is the receiver the fake's webhooks reach in the webhooks mode:
// the verification `gongsync run` does (gongapi.WebhookVerifier, the fake's key), then
// what a verified webhook does in gongsync, deliverWebhook. It returns the function
// that fires the webhook of a call, at the fake's now.
func lagWebhookReceiver(tb testing.TB, v *env) func(callID string) {
	key, err := v.fake.WebhookPublicKey()
	if err != nil {
		tb.Fatal(err)
	}
	var verifier *gongapi.WebhookVerifier
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := verifier.Verify(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if err := deliverWebhook(v, p); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	tb.Cleanup(srv.Close)
	if verifier, err = gongapi.NewWebhookVerifier(gongapi.WebhookConfig{PublicKey: key, URL: srv.URL}); err != nil {
		tb.Fatal(err)
	}
	return func(callID string) {
		status, err := v.fake.SendWebhook(v.ctx, srv.URL, callID, fakegong.WebhookOptions{})
		if err != nil || status != http.StatusOK {
			tb.Fatalf("webhook for call %s: %d %v", callID, status, err)
		}
	}
}

// deliverWebhook is what gongsync does with a verified webhook, as its receiver
// (cmd/gongsync, webhookHandler) does: store the call from the body, then fetch it and
// its transcript at once (Engine.FetchCalls, what the CallBatcher calls). The bench
// fetches each call alone, with no batching: webhooks come minutes apart on its
// virtual clock, and the figure is the worst case of what they cost.
func deliverWebhook(v *env, p *gongapi.WebhookPayload) error {
	if _, err := v.engine.IngestCall(v.ctx, p.CallData); err != nil {
		return err
	}
	for _, rep := range v.engine.FetchCalls(v.ctx, []string{string(p.CallData.MetaData.ID)}) {
		if rep.Err != nil {
			return rep.Err
		}
	}
	return nil
}

// dbNow is the database's clock, which first_seen_at and transcript_fetched_at are
// written on.
func (v *env) dbNow() time.Time {
	v.t.Helper()
	var t time.Time
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT clock_timestamp()`).Scan(&t); err != nil {
		v.t.Fatal(err)
	}
	return t
}

// quantile is the q-quantile of the lags (nearest rank); 0 for none.
func quantile(lags []time.Duration, q float64) time.Duration {
	if len(lags) == 0 {
		return 0
	}
	s := slices.Clone(lags)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// BenchmarkLagDay measures the day in each mode (make bench -only-lag reports it in
// docs/BENCHMARKS.md): the lags' p50, p95 and max in seconds, for calls and
// transcripts, those not committed by an hour after the day, the requests by stream
// and in all, the share of a 10,000-request budget, the 429s, the runs that did not
// succeed, and the freshness loop's polls.
func BenchmarkLagDay(b *testing.B) {
	for _, m := range lagModes {
		b.Run(m.name, func(b *testing.B) {
			for range b.N {
				d := simulateLagDay(b, m.freshness, m.webhooks)
				for _, l := range []struct {
					kind string
					lags []time.Duration
				}{{"call", d.callLag}, {"transcript", d.transcriptLag}} {
					b.ReportMetric(quantile(l.lags, 0.5).Seconds(), l.kind+"-p50-s")
					b.ReportMetric(quantile(l.lags, 0.95).Seconds(), l.kind+"-p95-s")
					b.ReportMetric(quantile(l.lags, 1).Seconds(), l.kind+"-max-s")
					b.ReportMetric(float64(len(l.lags)), l.kind+"s-measured")
				}
				b.ReportMetric(float64(d.callsMissing), "calls-missing")
				b.ReportMetric(float64(d.transcriptsMissing), "transcripts-missing")
				for s, n := range d.requests {
					b.ReportMetric(float64(n), s+"-req/day")
				}
				b.ReportMetric(float64(d.total), "total-req/day")
				b.ReportMetric(100*float64(d.total)/10_000, "budget-%")
				b.ReportMetric(float64(d.status429), "429s")
				notOK := 0
				for _, n := range d.notSucceeded {
					notOK += n
				}
				b.ReportMetric(float64(notOK), "failed-runs")
				b.ReportMetric(float64(d.polls), "polls/day")
				for r, n := range d.reasons {
					b.ReportMetric(float64(n), "polls-"+r)
				}
				if testing.Verbose() {
					fmt.Printf("%s: runs %v\n", m.name, d.runs)
				}
			}
		})
	}
}
