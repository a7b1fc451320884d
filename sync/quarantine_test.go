package sync

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// oddRecords turns the fake's odd records on (or off, with none) for endpoints.
func (v *env) oddRecords(endpoints ...string) {
	v.t.Helper()
	f := v.fake.Faults()
	f.OddRecords = endpoints
	if err := v.fake.SetFaults(f); err != nil {
		v.t.Fatal(err)
	}
}

// quarantined is the quarantine's rows as stream¦endpoint¦record_id¦raw.
func (v *env) quarantined() map[string][]byte {
	v.t.Helper()
	rows, err := v.st.Pool().Query(v.ctx, `SELECT stream || '¦' || endpoint || '¦' || coalesce(record_id, ''), raw FROM quarantine`)
	if err != nil {
		v.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var k string
		var raw []byte
		if err := rows.Scan(&k, &raw); err != nil {
			v.t.Fatal(err)
		}
		out[k] = raw
	}
	return out
}

// oddID reads the id of an odd record the fake sent (a call's metaData.id, a
// review's answeredScorecardId).
func oddID(t *testing.T, raw []byte) string {
	t.Helper()
	var v struct {
		MetaData struct {
			ID string `json:"id"`
		} `json:"metaData"`
		Review json.Number `json:"answeredScorecardId"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&v) // the odd key does not decode into this view: the ids do
	if v.MetaData.ID != "" {
		return v.MetaData.ID
	}
	return v.Review.String()
}

// A page with one record of a shape gongsync does not know no longer stops its stream:
// the stream completes, every other record is stored, the odd one is in quarantine
// byte for byte as Gong sent it, counted in the metrics and shown by status. Once
// Gong sends it properly, the next read stores it and it leaves the quarantine.
func TestAnOddRecordIsQuarantinedAndTheStreamGoesOn(t *testing.T) {
	t.Parallel()
	m := NewMetrics(prometheus.NewRegistry(), nil)
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 250}), engine: Options{Metrics: m}})
	now := v.clock.Now()
	v.oddRecords(gongapi.EndpointCallsExtensive, gongapi.EndpointAnsweredScorecards)
	rep := v.backfill(day0, now)
	if !rep.Done {
		t.Fatalf("the backfill did not complete: %s", rep.Message())
	}
	sent := v.fake.OddRecordsSent()
	if len(sent) < 2 {
		t.Fatalf("the fake sent %d odd records; want one per page of calls and of reviews", len(sent))
	}
	q := v.quarantined()
	for _, raw := range sent {
		id := oddID(t, raw)
		var got []byte
		for k, r := range q {
			if strings.HasSuffix(k, "¦"+id) {
				got = r
			}
		}
		if !bytes.Equal(got, raw) {
			t.Errorf("record %s in quarantine:\n%s\nGong sent:\n%s", id, got, raw)
		}
		if n := v.count(`SELECT count(*) FROM calls WHERE id = $1`, id) + v.count(`SELECT count(*) FROM answered_scorecards WHERE id = $1`, id); n != 0 {
			t.Errorf("the odd record %s was stored anyway", id)
		}
	}
	if len(q) != len(sent) {
		t.Errorf("%d records in quarantine, the fake sent %d odd ones: %v", len(q), len(sent), keys(q))
	}
	calls, reviews := len(v.fake.Dataset().VisibleCalls(now)), len(v.fake.Dataset().AnsweredScorecardsAt(now))
	oddCalls, oddReviews := 0, 0
	for k := range q {
		switch {
		case strings.Contains(k, gongapi.EndpointCallsExtensive):
			oddCalls++
		case strings.Contains(k, gongapi.EndpointAnsweredScorecards):
			oddReviews++
		}
	}
	if oddCalls == 0 || oddReviews == 0 {
		t.Fatalf("quarantine holds %d calls and %d reviews; want both", oddCalls, oddReviews)
	}
	if n := v.count(`SELECT count(*) FROM calls`); n != calls-oddCalls {
		t.Errorf("%d calls stored; want the %d Gong has but the %d odd ones", n, calls, oddCalls)
	}
	if n := v.count(`SELECT count(*) FROM answered_scorecards`); n != reviews-oddReviews {
		t.Errorf("%d reviews stored; want the %d Gong has but the %d odd ones", n, reviews, oddReviews)
	}
	if got := testutil.ToFloat64(m.quarantined.WithLabelValues(StreamBackfill)); got != float64(oddCalls) {
		t.Errorf("gongsync_records_quarantined_total{stream=backfill} = %v; want %d", got, oddCalls)
	}
	st, err := v.engine.Status(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var shown int64
	for _, c := range st.Quarantine {
		shown += c.Records
	}
	if shown != int64(len(q)) {
		t.Errorf("status shows %d quarantined records (%+v); want %d", shown, st.Quarantine, len(q))
	}

	// Gong sends the records properly again: the streams that read them again store
	// them, and they leave the quarantine.
	v.oddRecords()
	if again := v.backfill(day0, now.Add(-time.Hour)); !again.Done {
		t.Fatalf("the second backfill did not complete: %s", again.Message())
	}
	if q := v.quarantined(); len(q) != 0 {
		t.Errorf("still in quarantine after Gong sent them properly: %v", keys(q))
	}
	v.assertMatchesGong(now)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
