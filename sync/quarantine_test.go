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
	"github.com/gongsync/gongsync/store"
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

// Scores Gong documents as whole numbers but sends as half-points are values: stored
// as 3.5, not refused ("whole number: want digits …, got 3.5", before numeric).
func TestDecimalScoresAreStoredAsTheyAre(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 200, DecimalScores: true})})
	now := v.clock.Now()
	if rep := v.backfill(day0, now); !rep.Done {
		t.Fatal(rep.Message())
	}
	if n := v.count(`SELECT count(*) FROM quarantine`); n != 0 {
		t.Errorf("%d records quarantined", n)
	}
	if n := v.count(`SELECT count(*) FROM answered_scorecard_answers WHERE score = 3.5`); n == 0 {
		t.Error("no score of 3.5 stored")
	}
	v.assertAnsweredScorecardsMatchGong(now)
}

// A record an older gongsync quarantined (one with a half-point score, which it
// could not decode) is stored by remap with the current decoder, with no request to
// Gong, and leaves the quarantine; a record that still does not decode stays.
func TestRemapStoresQuarantinedRecordsThatDecodeNow(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 200, DecimalScores: true})})
	if rep := v.backfill(day0, v.clock.Now()); !rep.Done {
		t.Fatal(rep.Message())
	}
	// Take one review back out of the tables into quarantine, as an older gongsync
	// would have left it, next to one that is still odd.
	var id string
	var raw []byte
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT a.id, a.raw::text::bytea FROM answered_scorecards a
		WHERE EXISTS (SELECT FROM answered_scorecard_answers x WHERE x.answered_scorecard_id = a.id AND x.score = 3.5) LIMIT 1`).Scan(&id, &raw); err != nil {
		t.Fatal(err)
	}
	if _, err := v.st.Pool().Exec(v.ctx, `DELETE FROM answered_scorecard_answers WHERE answered_scorecard_id = $1;`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := v.st.Pool().Exec(v.ctx, `DELETE FROM answered_scorecards WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	odd := []byte(`{"answeredScorecardId":"77","answers":"an odd shape"}`)
	if _, err := v.st.Pool().Exec(v.ctx, `INSERT INTO quarantine (stream, endpoint, record_key, record_id, record_index, raw, error, first_seen_at, last_seen_at)
		VALUES ('answered_scorecards', $1, $2, $2, 3, $3, 'whole number: want digits as a number or a string, got 3.5', now(), now()),
		       ('answered_scorecards', $1, '77', '77', 4, $4, 'answers: want a list', now(), now())`,
		gongapi.EndpointAnsweredScorecards, id, raw, odd); err != nil {
		t.Fatal(err)
	}
	before, _ := v.requests()
	rep, err := v.engine.RemapQuarantine(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stored != 1 || rep.Left != 1 {
		t.Errorf("remap stored %d, left %d; want 1 and 1", rep.Stored, rep.Left)
	}
	if after, _ := v.requests(); after != before {
		t.Errorf("remap sent %d requests to Gong", after-before)
	}
	if n := v.count(`SELECT count(*) FROM answered_scorecard_answers WHERE answered_scorecard_id = $1 AND score = 3.5`, id); n == 0 {
		t.Errorf("review %s is not stored with its 3.5", id)
	}
	if q := v.quarantined(); len(q) != 1 || q["answered_scorecards¦"+gongapi.EndpointAnsweredScorecards+"¦77"] == nil {
		t.Errorf("quarantine after remap: %v; want the odd record alone", keys(q))
	}
	v.assertAnsweredScorecardsMatchGong(v.clock.Now())
}

// A call stored before whose shape Gong changes is kept in quarantine and keeps its
// row: the settle pass that closes its window does not mark it deleted, since Gong
// still sends it (review of issue 24's quarantine).
func TestAQuarantinedRecordIsNotMarkedDeleted(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 250})})
	now := v.clock.Now()
	if rep := v.backfill(day0, now); !rep.Done {
		t.Fatalf("backfill: %s", rep.Message())
	}
	// A backfill of a new range reads every call again, and its windows close: a call
	// it does not see since it began would be marked deleted.
	v.oddRecords(gongapi.EndpointCallsExtensive)
	rep, err := v.engine.Backfill(v.ctx, BackfillRequest{From: day0, To: now.Add(time.Second), Streams: []string{StreamCalls}})
	if err != nil || !rep.Done {
		t.Fatalf("the second backfill: %v", err)
	}
	var odd []string
	for _, raw := range v.fake.OddRecordsSent() {
		if id := oddID(t, raw); id != "" {
			odd = append(odd, id)
		}
	}
	if len(odd) == 0 || v.count(`SELECT count(*) FROM quarantine`) == 0 {
		t.Fatalf("the fake sent %d odd calls: the test proves nothing", len(odd))
	}
	for _, id := range odd {
		if n := v.count(`SELECT count(*) FROM calls WHERE id = $1 AND deleted_at IS NULL`, id); n != 1 {
			t.Errorf("call %s, kept in quarantine by the backfill, is marked deleted (live rows %d)", id, n)
		}
	}
	if n := v.count(`SELECT count(*) FROM calls WHERE deleted_at IS NOT NULL`); n != 0 {
		t.Errorf("%d calls marked deleted; Gong deleted none", n)
	}
}

// An erasure reaches the quarantine: a record kept there byte for byte that holds the
// erased address goes, with the rest of the synced copy's.
func TestAnErasureReachesTheQuarantine(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 10})})
	raw := []byte(`{"metaData":{"id":"77"},"parties":"Erased.Person@Example.com"}`)
	if _, err := v.st.Pool().Exec(v.ctx, `INSERT INTO quarantine (stream, endpoint, record_key, record_id, record_index, raw, error, first_seen_at, last_seen_at)
		VALUES ('calls', 'POST /v2/calls/extensive', '77', '77', 0, $1, 'odd', now(), now()),
		       ('calls', 'POST /v2/calls/extensive', '78', '78', 1, $2, 'odd', now(), now())`,
		raw, []byte(`{"metaData":{"id":"78"},"parties":"someone.else@example.com"}`)); err != nil {
		t.Fatal(err)
	}
	found, err := v.st.FindAddress(v.ctx, store.AddressMatch{Text: "erased.person@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if found.Rows["quarantine"] != 1 {
		t.Fatalf("the address is found in %v; want the quarantine's one row", found.Rows)
	}
	if _, err := v.st.EraseAddress(v.ctx, store.AddressMatch{Text: "erased.person@example.com"},
		store.Erasure{Kind: "email", AddressHash: make([]byte, 32), RequestedAt: v.clock.Now(), GongStatus: "requested"}); err != nil {
		t.Fatal(err)
	}
	if n := v.count(`SELECT count(*) FROM quarantine`); n != 1 {
		t.Errorf("%d quarantine rows after the erasure; want the other record's alone", n)
	}
	if n := v.count(`SELECT count(*) FROM quarantine WHERE record_id = '77'`); n != 0 {
		t.Error("the quarantined record holding the erased address is still there")
	}
}
