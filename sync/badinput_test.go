package sync

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// Bad input, end to end: the fake's answers are rewritten (fakegong.WithTamper) into
// what its generator never makes, the engine syncs them into Postgres, and each is
// either stored correctly or refused with an error naming the endpoint, Gong's
// requestId and the record, with nothing of the refused page written.

// tamperer rewrites the n-th answer of one endpoint, once armed, and stays out of
// the way otherwise.
type tamperer struct {
	endpoint string
	n        int32 // which answer of the endpoint to rewrite (1 = the first)
	edit     func(a fakegong.Answer) fakegong.Answer
	seen     atomic.Int32
	hit      atomic.Int32
	off      atomic.Bool
}

func (tp *tamperer) tamper(a fakegong.Answer) fakegong.Answer {
	if tp.off.Load() || a.Endpoint != tp.endpoint || a.Status != http.StatusOK || tp.seen.Add(1) != tp.n {
		return a
	}
	tp.hit.Add(1)
	return tp.edit(a)
}

// editRecords decodes an answer's records (numbers kept as written), lets fn change
// them and encodes the answer again.
func editRecords(t *testing.T, body []byte, key string, fn func(recs []map[string]any) []map[string]any) []byte {
	t.Helper()
	var page map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&page); err != nil {
		t.Fatalf("tamper: %v", err)
	}
	raw, _ := page[key].([]any)
	recs := make([]map[string]any, len(raw))
	for i, r := range raw {
		recs[i] = r.(map[string]any)
	}
	recs = fn(recs)
	out := make([]any, len(recs))
	for i, r := range recs {
		out[i] = r
	}
	page[key] = out
	b, err := json.Marshal(page)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func meta(rec map[string]any) map[string]any { return rec["metaData"].(map[string]any) }

// badInputEnv is a Gong with three pages of calls in one window; tp rewrites one answer.
func badInputEnv(t *testing.T, tp *tamperer, o envOptions) *env {
	t.Helper()
	now := day0.AddDate(0, 0, 11)
	o.fake = quiet(fakegong.Options{Calls: 250, From: day0, To: day0.AddDate(0, 0, 10), Clock: fakegong.NewVirtualClock(now),
		UnknownFields: o.fake.UnknownFields})
	o.handler = func(s *fakegong.Server) http.Handler { return s.WithTamper(tp.tamper) }
	return newEnv(t, o)
}

var badNow = day0.AddDate(0, 0, 11)

func (v *env) backfillCalls() (*BackfillReport, error) {
	return v.engine.Backfill(v.ctx, BackfillRequest{From: day0, To: badNow, Streams: []string{StreamCalls, StreamTranscripts}})
}

// Answers that are odd but valid are stored, and stored right.
func TestOddButValidAnswersAreStored(t *testing.T) {
	t.Parallel()
	calls := gongapi.EndpointCallsExtensive
	cases := []struct {
		name  string
		edit  func(t *testing.T, a fakegong.Answer) fakegong.Answer
		check func(t *testing.T, v *env, page2 []fakegong.CallData)
		// matches: after the sync the tables hold exactly Gong's calls
		matches bool
	}{
		{name: "ids as JSON numbers", matches: true,
			edit: func(t *testing.T, a fakegong.Answer) fakegong.Answer {
				a.Body = editRecords(t, a.Body, "calls", func(recs []map[string]any) []map[string]any {
					for _, r := range recs {
						m := meta(r)
						m["id"] = json.Number(m["id"].(string))
						if id, ok := m["primaryUserId"].(string); ok {
							m["primaryUserId"] = json.Number(id)
						}
						parties, _ := r["parties"].([]any)
						for _, p := range parties {
							pm := p.(map[string]any)
							if id, ok := pm["userId"].(string); ok && id != "" {
								pm["userId"] = json.Number(id)
							}
						}
					}
					return recs
				})
				return a
			}},
		{name: "nulls everywhere",
			edit: func(t *testing.T, a fakegong.Answer) fakegong.Answer {
				a.Body = editRecords(t, a.Body, "calls", func(recs []map[string]any) []map[string]any {
					m := meta(recs[0])
					for k := range m {
						if k != "id" && k != "started" {
							m[k] = nil
						}
					}
					for _, k := range []string{"parties", "content", "interaction", "collaboration", "context", "media"} {
						recs[0][k] = nil
					}
					return recs
				})
				return a
			},
			check: func(t *testing.T, v *env, page2 []fakegong.CallData) {
				id := page2[0].MetaData.ID
				if n := v.count(`SELECT count(*) FROM calls WHERE id = $1 AND title IS NULL AND url IS NULL AND duration_seconds IS NULL
					AND primary_user_id IS NULL AND is_private IS NULL AND brief IS NULL AND key_points IS NULL AND started IS NOT NULL`, id); n != 1 {
					t.Errorf("the all-null call %s is not stored with NULLs", id)
				}
				if n := v.count(`SELECT count(*) FROM call_parties WHERE call_id = $1`, id); n != 0 {
					t.Errorf("the all-null call has %d parties", n)
				}
			}},
		{name: "25-digit ids, odd offsets, 9 fractional digits",
			edit: func(t *testing.T, a fakegong.Answer) fakegong.Answer {
				a.Body = editRecords(t, a.Body, "calls", func(recs []map[string]any) []map[string]any {
					meta(recs[0])["id"] = json.Number("1234567890123456789012345")
					meta(recs[1])["id"] = "9999999999999999999999999"
					meta(recs[0])["started"] = "2024-03-05T14:45:00.123456789+05:45"
					meta(recs[1])["started"] = "2024-03-04T23:29:59.999999999-09:30"
					meta(recs[2])["started"] = "2024-03-05T23:00:00+14:00"
					return recs
				})
				return a
			},
			check: func(t *testing.T, v *env, _ []fakegong.CallData) {
				for id, want := range map[string]string{
					"1234567890123456789012345": "2024-03-05T09:00:00.123456Z",
					"9999999999999999999999999": "2024-03-05T08:59:59.999999Z",
				} {
					var got time.Time
					if err := v.st.Pool().QueryRow(v.ctx, `SELECT started FROM calls WHERE id = $1`, id).Scan(&got); err != nil {
						t.Errorf("call %s: %v", id, err)
						continue
					}
					if s := got.UTC().Format("2006-01-02T15:04:05.000000Z"); s != want {
						t.Errorf("call %s started %s, want %s", id, s, want)
					}
				}
				if n := v.count(`SELECT count(*) FROM calls WHERE started = '2024-03-05T09:00:00Z'`); n != 1 {
					t.Errorf("the +14:00 start is not 09:00 UTC (%d rows)", n)
				}
			}},
		{name: "the same call twice in one page",
			edit: func(t *testing.T, a fakegong.Answer) fakegong.Answer {
				a.Body = editRecords(t, a.Body, "calls", func(recs []map[string]any) []map[string]any {
					dup := map[string]any{}
					b, _ := json.Marshal(recs[3])
					dec := json.NewDecoder(bytes.NewReader(b))
					dec.UseNumber()
					_ = dec.Decode(&dup)
					meta(dup)["title"] = "the later copy"
					return append(recs, dup)
				})
				return a
			},
			check: func(t *testing.T, v *env, page2 []fakegong.CallData) {
				id := page2[3].MetaData.ID
				if n := v.count(`SELECT count(*) FROM calls WHERE id = $1 AND title = 'the later copy'`, id); n != 1 {
					t.Errorf("call %s: the later copy did not win", id)
				}
				if n, want := v.count(`SELECT count(*) FROM calls`), len(v.fake.Dataset().VisibleCalls(badNow)); n != want {
					t.Errorf("%d calls stored, %d in Gong", n, want)
				}
			}},
		{name: "a call whose parties repeat an id",
			edit: func(t *testing.T, a fakegong.Answer) fakegong.Answer {
				a.Body = editRecords(t, a.Body, "calls", func(recs []map[string]any) []map[string]any {
					parties, _ := recs[0]["parties"].([]any)
					if len(parties) == 0 {
						t.Fatal("the call has no parties to repeat")
					}
					again := map[string]any{}
					for k, val := range parties[0].(map[string]any) {
						again[k] = val
					}
					again["name"] = "Same Party, Later"
					recs[0]["parties"] = append(parties, again)
					return recs
				})
				return a
			},
			check: func(t *testing.T, v *env, page2 []fakegong.CallData) {
				c := page2[0]
				if n := v.count(`SELECT count(*) FROM call_parties WHERE call_id = $1`, c.MetaData.ID); n != len(c.Parties) {
					t.Errorf("%d party rows for %d distinct parties", n, len(c.Parties))
				}
				if n := v.count(`SELECT count(*) FROM call_parties WHERE call_id = $1 AND party_id = $2 AND name = 'Same Party, Later'`,
					c.MetaData.ID, c.Parties[0].ID); n != 1 {
					t.Error("the later copy of the party did not win")
				}
			}},
		{name: "a 50 MiB answer", matches: true,
			edit: func(t *testing.T, a fakegong.Answer) fakegong.Answer {
				pad := bytes.Repeat([]byte("x"), 50<<20)
				a.Body = append(append(append([]byte(`{"padding":"`), pad...), `",`...), a.Body[1:]...)
				return a
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tp := &tamperer{endpoint: calls, n: 2, edit: func(a fakegong.Answer) fakegong.Answer { return c.edit(t, a) }}
			v := badInputEnv(t, tp, envOptions{})
			// What Gong holds in the tampered page, for the checks.
			page2 := v.fake.Dataset().VisibleCalls(badNow)[100:200]
			if _, err := v.backfillCalls(); err != nil {
				t.Fatalf("backfill: %v", err)
			}
			if tp.hit.Load() != 1 {
				t.Fatalf("the answer was rewritten %d times", tp.hit.Load())
			}
			if c.matches {
				v.assertMatchesGong(badNow)
			}
			if c.check != nil {
				c.check(t, v, page2)
			}
		})
	}
}

// Undocumented fields everywhere (the fake's UnknownFields): stored, and kept in raw.
func TestUnknownFieldsAreStoredAndKeptInRaw(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: quiet(fakegong.Options{Calls: 150, UnknownFields: true})})
	rep := v.backfill(day0, day0.AddDate(0, 0, 30))
	if !rep.Done {
		t.Fatal(rep.Message())
	}
	v.assertMatchesGong(v.clock.Now())
	var raw string
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT raw::text FROM calls LIMIT 1`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var call gongapi.Call
	if err := json.Unmarshal([]byte(raw), &call); err != nil {
		t.Fatal(err)
	}
	known, _ := json.Marshal(call)
	if len(raw) <= len(known) {
		t.Errorf("raw (%d bytes) holds nothing beyond the documented fields (%d bytes): unknown fields were dropped", len(raw), len(known))
	}
}

// A transcript Gong sends for a call nobody asked about (and we do not hold) is
// ignored; the calls asked for are stored.
func TestTranscriptForAnUnknownCallIsIgnored(t *testing.T) {
	t.Parallel()
	tp := &tamperer{endpoint: gongapi.EndpointTranscripts, n: 1, edit: nil}
	tp.edit = func(a fakegong.Answer) fakegong.Answer {
		a.Body = editRecords(t, a.Body, "callTranscripts", func(recs []map[string]any) []map[string]any {
			stray := map[string]any{"callId": "4242424242424242424242", "transcript": recs[0]["transcript"]}
			return append([]map[string]any{stray}, recs...)
		})
		return a
	}
	v := badInputEnv(t, tp, envOptions{})
	if _, err := v.engine.Backfill(v.ctx, BackfillRequest{From: day0, To: badNow}); err != nil {
		t.Fatal(err)
	}
	if tp.hit.Load() != 1 {
		t.Fatal("no transcript answer was rewritten")
	}
	if n := v.count(`SELECT count(*) FROM transcript_sentences WHERE call_id = '4242424242424242424242'`); n != 0 {
		t.Errorf("%d sentences stored for a call never seen", n)
	}
	if n := v.count(`SELECT count(*) FROM calls WHERE id = '4242424242424242424242'`); n != 0 {
		t.Error("a call row appeared for the stray transcript")
	}
	v.assertMatchesGong(badNow)
}

// Answers that cannot be read at all (not JSON, cut short, too large) are refused: the
// error names the endpoint and Gong's requestId; nothing of the page is written,
// the checkpoint stays on the page before, and the next run, once Gong answers
// properly again, picks up from there.
func TestBadAnswersAreRefusedAndWriteNothing(t *testing.T) {
	t.Parallel()
	calls := gongapi.EndpointCallsExtensive
	html := func(_ *testing.T, a fakegong.Answer) fakegong.Answer {
		a.Header.Set("Content-Type", "text/html; charset=utf-8")
		a.Body = []byte("<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Something went wrong</h1></body></html>")
		return a
	}
	cases := []struct {
		name   string
		edit   func(t *testing.T, a fakegong.Answer) fakegong.Answer
		client func(*gongapi.Config)
		is     error
		want   []string // in the error, besides the endpoint and the requestId
	}{
		{name: "a body cut short", is: gongapi.ErrMalformedResponse, want: []string{"cut short"},
			edit: func(_ *testing.T, a fakegong.Answer) fakegong.Answer { a.Body = a.Body[:len(a.Body)/2]; return a }},
		{name: "an HTML page with status 200", is: gongapi.ErrMalformedResponse, want: []string{"text/html"}, edit: html},
		{name: "an empty body with status 200", is: gongapi.ErrMalformedResponse, want: []string{"empty body"},
			edit: func(_ *testing.T, a fakegong.Answer) fakegong.Answer { a.Body = nil; return a }},
		{name: "a 50 MiB answer over the client's limit", is: gongapi.ErrBodyTooLarge, want: []string{"more than the 16777216"},
			client: func(c *gongapi.Config) { c.MaxBodyBytes = 16 << 20 },
			edit: func(_ *testing.T, a fakegong.Answer) fakegong.Answer {
				a.Body = append(append([]byte(`{"padding":"`), bytes.Repeat([]byte("x"), 50<<20)...), `"}`...)
				return a
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var requestID atomic.Value
			tp := &tamperer{endpoint: calls, n: 2}
			tp.edit = func(a fakegong.Answer) fakegong.Answer {
				requestID.Store(a.Header.Get("x-traceid"))
				return c.edit(t, a)
			}
			v := badInputEnv(t, tp, envOptions{client: c.client, maxRetries: -1})
			_, err := v.backfillCalls()
			if err == nil {
				t.Fatal("the bad page was accepted")
			}
			id, _ := requestID.Load().(string)
			msg := err.Error()
			t.Logf("refused: %s", msg)
			for _, w := range append([]string{calls, "requestId " + id}, c.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not say %q:\n%s", w, msg)
				}
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error is not %v: %v", c.is, err)
			}
			if strings.Count(msg, "\n") > 0 || len(msg) > 600 {
				t.Errorf("want one short line, got %d bytes:\n%.800s", len(msg), msg)
			}
			v.assertFirstPageOnly()

			tp.off.Store(true)
			if _, err := v.backfillCalls(); err != nil {
				t.Fatalf("after Gong recovered: %v", err)
			}
			v.assertCallsMatch(badNow)
		})
	}
}

// assertFirstPageOnly: the first page's 100 calls and their children are in, nothing
// after them, and the checkpoint holds the first page's cursor and last call.
func (v *env) assertFirstPageOnly() {
	v.t.Helper()
	if n := v.count(`SELECT count(*) FROM calls`); n != 100 {
		v.t.Errorf("%d calls in the table; want the first page's 100", n)
	}
	if n := v.count(`SELECT count(*) FROM call_parties WHERE call_id NOT IN (SELECT id FROM calls)`); n != 0 {
		v.t.Errorf("%d orphan parties", n)
	}
	cp, err := v.st.Checkpoint(v.ctx, StreamBackfill)
	if err != nil {
		v.t.Fatal(err)
	}
	var last time.Time
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT max(started) FROM calls`).Scan(&last); err != nil {
		v.t.Fatal(err)
	}
	if cp.Cursor == "" || cp.LastStarted == nil || !cp.LastStarted.Equal(last) || cp.WindowFrom == nil {
		v.t.Errorf("checkpoint not on the first page: cursor %q, last started %v (table %v), window %v", cp.Cursor, cp.LastStarted, last, cp.WindowFrom)
	}
}

// A record that cannot be stored no longer fails its page (it did, and the stream
// failed on that page at every run): the page's other records and the checkpoint are
// committed, the record is in quarantine with why, and the backfill completes.
func TestBadRecordsAreQuarantinedAndTheirPageCommitted(t *testing.T) {
	t.Parallel()
	calls := gongapi.EndpointCallsExtensive
	cases := []struct {
		name string
		edit func(t *testing.T, a fakegong.Answer) fakegong.Answer
		want []string // in the quarantined record's error (the first) and id (readable or not)
	}{
		{name: "missing metaData", want: []string{"record 5", "no metaData"},
			edit: func(t *testing.T, a fakegong.Answer) fakegong.Answer {
				a.Body = editRecords(t, a.Body, "calls", func(recs []map[string]any) []map[string]any {
					delete(recs[5], "metaData")
					return recs
				})
				return a
			}},
		{name: "an empty call id", want: []string{"record 7", "metaData.id is empty"},
			edit: func(t *testing.T, a fakegong.Answer) fakegong.Answer {
				a.Body = editRecords(t, a.Body, "calls", func(recs []map[string]any) []map[string]any {
					meta(recs[7])["id"] = ""
					return recs
				})
				return a
			}},
		{name: "a record that does not decode", want: []string{"calls record 9 (id ", "timestamp"},
			edit: func(t *testing.T, a fakegong.Answer) fakegong.Answer {
				a.Body = editRecords(t, a.Body, "calls", func(recs []map[string]any) []map[string]any {
					meta(recs[9])["started"] = json.Number("1709283600")
					return recs
				})
				return a
			}},
		{name: "a party without an id", want: []string{"record 3 (id ", "party 0 has no id"},
			edit: func(t *testing.T, a fakegong.Answer) fakegong.Answer {
				a.Body = editRecords(t, a.Body, "calls", func(recs []map[string]any) []map[string]any {
					recs[3]["parties"].([]any)[0].(map[string]any)["id"] = nil
					return recs
				})
				return a
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tp := &tamperer{endpoint: calls, n: 2, edit: func(a fakegong.Answer) fakegong.Answer { return c.edit(t, a) }}
			v := badInputEnv(t, tp, envOptions{maxRetries: -1})
			if _, err := v.backfillCalls(); err != nil {
				t.Fatalf("a bad record failed the backfill: %v", err)
			}
			var errText string
			var index int
			if err := v.st.Pool().QueryRow(v.ctx, `SELECT error, record_index FROM quarantine WHERE endpoint = $1`, calls).Scan(&errText, &index); err != nil {
				t.Fatalf("the bad record is not in quarantine alone: %v", err)
			}
			if !strings.Contains(errText, c.want[1]) || !strings.Contains(c.want[0]+" ", fmt.Sprintf("record %d ", index)) {
				t.Errorf("quarantined record %d: %q; want %v", index, errText, c.want)
			}
			if n, want := v.count(`SELECT count(*) FROM calls`), len(v.fake.Dataset().VisibleCalls(badNow))-1; n != want {
				t.Errorf("%d calls stored; want all %d others", n, want)
			}
		})
	}
}
