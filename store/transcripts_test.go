package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func writeTranscripts(t *testing.T, s *Store, ts ...Transcript) (int, error) {
	t.Helper()
	var n int
	err := s.Transact(context.Background(), func(tx *Tx) error {
		var err error
		n, err = tx.WriteTranscripts(context.Background(), ts)
		return err
	})
	return n, err
}

func TestTranscriptsReplaceAndSearch(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	calls := page(0, 3)
	upsertCalls(t, s, calls)

	long := makeTranscript(calls[0].ID, 1, 50)
	long.Sentences[10].Text = "Let's talk about the Pricing for next year"
	n, err := writeTranscripts(t, s, long, makeTranscript(calls[1].ID, 2, 20))
	if err != nil || n != 70 {
		t.Fatalf("write: %d, %v", n, err)
	}
	if n := count(t, s, "SELECT count(*) FROM calls WHERE transcript_status = 'available' AND transcript_fetched_at IS NOT NULL"); n != 2 {
		t.Fatalf("%d calls marked available, want 2", n)
	}
	search := func() []string {
		rows, err := s.pool.Query(ctx, `SELECT call_id || ':' || sentence_index FROM transcript_sentences
			WHERE to_tsvector('english', text) @@ websearch_to_tsquery('english', 'pricing') ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := search(); !slices.Contains(got, calls[0].ID+":10") {
		t.Fatalf("search for pricing: %v", got)
	}

	// A new version replaces the whole transcript: shorter, and without the sentence.
	short := makeTranscript(calls[0].ID, 3, 5)
	for i := range short.Sentences {
		short.Sentences[i].Text = "nothing to see here"
	}
	short.Sentences = append(short.Sentences, Sentence{SentenceIndex: 2, Text: "last version of sentence two"})
	if n, err := writeTranscripts(t, s, short); err != nil || n != 5 {
		t.Fatalf("rewrite: %d, %v", n, err)
	}
	if n := count(t, s, "SELECT count(*) FROM transcript_sentences WHERE call_id = $1", calls[0].ID); n != 5 {
		t.Fatalf("%d sentences after the rewrite, want 5", n)
	}
	if n := count(t, s, "SELECT count(*) FROM transcript_sentences WHERE call_id = $1 AND sentence_index = 2 AND text = 'last version of sentence two'", calls[0].ID); n != 1 {
		t.Fatal("a duplicated sentence index did not keep its last version")
	}
	for _, hit := range search() {
		if strings.HasPrefix(hit, calls[0].ID+":") {
			t.Fatalf("replaced transcript still found: %s", hit)
		}
	}
	if n := count(t, s, "SELECT count(*) FROM transcript_sentences WHERE call_id = $1", calls[1].ID); n != 20 {
		t.Fatalf("other call's transcript touched: %d sentences", n)
	}

	// A transcript of an unknown call fails the batch, naming it; nothing is written.
	_, err = writeTranscripts(t, s, makeTranscript(calls[2].ID, 4, 5), makeTranscript("404", 5, 5))
	if err == nil || !strings.Contains(err.Error(), `"404"`) {
		t.Fatalf("unknown call: %v", err)
	}
	if n := count(t, s, "SELECT count(*) FROM transcript_sentences WHERE call_id = $1", calls[2].ID); n != 0 {
		t.Fatal("part of a failed batch was written")
	}
	// So does a sentence Postgres cannot store.
	bad := makeTranscript(calls[2].ID, 6, 5)
	bad.Sentences[3].Text = "nul\x00byte"
	if _, err = writeTranscripts(t, s, bad); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("transcript of call %q, column text", calls[2].ID)) {
		t.Fatalf("NUL byte: %v", err)
	}
}

func TestTranscriptSearchUsesTheIndex(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	calls := page(0, 40)
	upsertCalls(t, s, calls)
	var ts []Transcript
	for i, c := range calls {
		ts = append(ts, makeTranscript(c.ID, i, 500))
	}
	// A word said in three calls only, as most searched words are.
	for _, i := range []int{3, 17, 30} {
		ts[i].Sentences[250].Text = "the zeppelin integration came up again"
	}
	if _, err := writeTranscripts(t, s, ts...); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, "ANALYZE transcript_sentences"); err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	rows, err := s.pool.Query(ctx, `EXPLAIN SELECT call_id, sentence_index FROM transcript_sentences
		WHERE to_tsvector('english', text) @@ websearch_to_tsquery('english', 'zeppelin')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		_ = rows.Scan(&line)
		plan.WriteString(line + "\n")
	}
	if !strings.Contains(plan.String(), "transcript_sentences_text_idx") {
		t.Fatalf("full-text search over %d sentences does not use the GIN index:\n%s", 40*500, plan.String())
	}
}

func TestTranscriptQueue(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	calls := page(0, 6) // call i started at base + 7i minutes
	upsertCalls(t, s, calls)
	now := base.Add(24 * time.Hour)

	pending, err := s.PendingTranscripts(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 6 || pending[0].CallID != calls[0].ID || pending[5].CallID != calls[5].ID || !pending[0].Started.Equal(base) {
		t.Fatalf("pending: %+v", pending)
	}
	err = s.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.WriteTranscripts(ctx, []Transcript{makeTranscript(calls[1].ID, 1, 3)}); err != nil {
			return err
		}
		if err := tx.DeferTranscripts(ctx, []string{calls[2].ID, calls[0].ID}, now.Add(time.Hour)); err != nil {
			return err
		}
		// Calls 0..2 started before base+15m; only call 0 is still pending among them, but deferred.
		n, err := tx.MarkTranscriptsUnavailable(ctx, base.Add(15*time.Minute))
		if err != nil || n != 2 { // calls 0 and 2 (pending, deferred or not)
			return fmt.Errorf("marked %d unavailable (%v), want 2", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Deferral: attempts counted and the call waits.
	err = s.Transact(ctx, func(tx *Tx) error {
		return tx.DeferTranscripts(ctx, []string{calls[4].ID}, now.Add(time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	pending, err = s.PendingTranscripts(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range pending {
		ids = append(ids, p.CallID)
	}
	if !slices.Equal(ids, []string{calls[3].ID, calls[5].ID}) {
		t.Fatalf("pending now: %v", ids)
	}
	later, err := s.PendingTranscripts(ctx, now.Add(2*time.Hour), 1)
	if err != nil || len(later) != 1 || later[0].CallID != calls[3].ID {
		t.Fatalf("pending later, limit 1: %+v, %v", later, err)
	}
	// Waiting: calls 3, 4 (deferred) and 5; due now: 3 and 5; due later: all three.
	if q, err := s.CountTranscriptsWaiting(ctx, now); err != nil || q != (TranscriptQueue{Waiting: 3, DueNow: 2}) {
		t.Fatalf("count now: %+v, %v (want 3 waiting, 2 due)", q, err)
	}
	if q, err := s.CountTranscriptsWaiting(ctx, now.Add(2*time.Hour)); err != nil || q != (TranscriptQueue{Waiting: 3, DueNow: 3}) {
		t.Fatalf("count later: %+v, %v (want calls 3, 4, 5)", q, err)
	}
	all, _ := s.PendingTranscripts(ctx, now.Add(2*time.Hour), 10)
	if len(all) != 3 || all[1].CallID != calls[4].ID || all[1].Attempts != 1 {
		t.Fatalf("deferred call: %+v", all)
	}
	// A deleted call leaves the queue.
	err = s.Transact(ctx, func(tx *Tx) error {
		_, err := tx.MarkCallsDeleted(ctx, base, now, "", time.Now().Add(time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if q, err := s.CountTranscriptsWaiting(ctx, now.Add(2*time.Hour)); err != nil || q != (TranscriptQueue{}) {
		t.Fatalf("count after deleting every call: %+v, %v", q, err)
	}
}

func TestRunsAndCounts(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	first, err := s.StartRun(ctx, "calls", "scheduled")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, first, RunResult{Status: RunFailed, Requests: 3, Err: "gong: 500"}); err != nil {
		t.Fatal(err)
	}
	second, _ := s.StartRun(ctx, "calls", "scheduled")
	if err := s.FinishRun(ctx, second, RunResult{Status: RunSucceeded, Requests: 7, Records: 250, Late: 1, Changed: 2,
		Deleted: 3, Restored: 4, Details: []byte(`{"pages": 3}`)}); err != nil {
		t.Fatal(err)
	}
	running, _ := s.StartRun(ctx, "users", "sync")
	if err := s.FinishRun(ctx, 9999, RunResult{Status: RunSucceeded}); err == nil {
		t.Fatal("finished a run that does not exist")
	}
	if err := s.FinishRun(ctx, running, RunResult{Status: "exploded"}); err == nil {
		t.Fatal("finished a run with an unknown status")
	}
	runs, err := s.LastRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("last runs: %+v", runs)
	}
	c, u := runs[0], runs[1]
	if c.ID != second || c.Status != RunSucceeded || c.Records != 250 || c.Late != 1 || c.Changed != 2 || c.Deleted != 3 ||
		c.Restored != 4 || c.FinishedAt == nil || c.Error != "" {
		t.Errorf("calls run: %+v", c)
	}
	if u.ID != running || u.Status != RunRunning || u.FinishedAt != nil {
		t.Errorf("users run: %+v", u)
	}

	upsertCalls(t, s, page(0, 2))
	counts, err := s.TableCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, tc := range counts {
		got[tc.Table] = tc.Rows
	}
	want := int64(len(makeCall(0).Parties) + len(makeCall(1).Parties))
	if got["calls"] != 2 || got["call_parties"] != want || got["transcript_sentences"] != 0 || len(counts) < 15 {
		t.Fatalf("counts %v (want 2 calls, %d parties)", got, want)
	}
}

func TestSaveTranscriptsSpreadsCallsOverTransactions(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	calls := page(0, 7)
	upsertCalls(t, s, calls)
	var ts []Transcript
	for i, c := range calls {
		ts = append(ts, makeTranscript(c.ID, i, 10+i*7))
	}
	want := 0
	for _, x := range ts {
		want += len(x.Sentences)
	}
	n, err := s.SaveTranscripts(ctx, ts, 3)
	if err != nil || n != want {
		t.Fatalf("saved %d of %d sentences: %v", n, want, err)
	}
	if got := count(t, s, "SELECT count(*) FROM transcript_sentences"); got != want {
		t.Fatalf("%d sentences stored, want %d", got, want)
	}
	if got := count(t, s, "SELECT count(*) FROM calls WHERE transcript_status = 'available'"); got != len(calls) {
		t.Fatalf("%d calls available, want %d", got, len(calls))
	}

	// A bad transcript fails its own transaction only; what is reported saved is
	// exactly what is stored, and the status of every call agrees with its sentences.
	more := page(7, 5)
	upsertCalls(t, s, more)
	ts = ts[:0]
	for i, c := range more {
		ts = append(ts, makeTranscript(c.ID, i, 20))
	}
	ts = append(ts, makeTranscript("404", 9, 20))
	n, err = s.SaveTranscripts(ctx, ts, 2)
	if err == nil || !strings.Contains(err.Error(), `"404"`) {
		t.Fatalf("unknown call: %v", err)
	}
	if got := count(t, s, "SELECT count(*) FROM transcript_sentences") - want; got != n || n == 0 || n == 5*20 {
		t.Fatalf("reported %d saved, %d stored (want some but not all of the 5 calls)", n, got)
	}
	if bad := count(t, s, `SELECT count(*) FROM calls c WHERE (transcript_status = 'available') <>
		EXISTS (SELECT 1 FROM transcript_sentences s WHERE s.call_id = c.id)`); bad != 0 {
		t.Fatalf("%d calls whose status disagrees with their sentences", bad)
	}
}
