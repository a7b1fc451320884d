package sync

import (
	"context"
	"strings"
	"testing"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/store"
)

// After a backfill from the simulated Gong, every synced transcript that may have
// chunks has them, and every chunk obeys the token limit by the stated estimate (or
// holds a single sentence), holds its own call's sentences only, whole and in order,
// and the chunks of a call cover its transcript without gap or overlap. Private calls
// have no chunks and no assistant turns; a store with the setting on builds both.
func TestSyncedChunksObeyTheLimitAndNeverCrossACall(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: fakegong.Options{Calls: 200}})
	v.backfill(day0, day0.AddDate(0, 0, 30))
	ctx := v.ctx
	pool := v.st.Pool()

	var available, private, withChunks int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE NOT coalesce(is_private, false)),
			count(*) FILTER (WHERE is_private),
			count(*) FILTER (WHERE EXISTS (SELECT FROM transcript_chunks k WHERE k.call_id = c.id))
		FROM calls c WHERE transcript_status = 'available'`).Scan(&available, &private, &withChunks); err != nil {
		t.Fatal(err)
	}
	if available < 100 || private == 0 {
		t.Fatalf("%d public and %d private calls with a transcript: too few to check", available, private)
	}
	if withChunks != available {
		t.Errorf("%d calls have chunks; %d public calls have a transcript", withChunks, available)
	}

	// Each chunk, beside the sentences it says it holds.
	rows, err := pool.Query(ctx, `SELECT k.call_id, k.chunk_index, k.first_sentence, k.last_sentence, k.text,
			k.token_estimate, k.content_hash = encode(sha256(convert_to(k.text, 'UTF8')), 'hex'),
			(SELECT string_agg(s.text, ' ' ORDER BY s.sentence_index) FROM transcript_sentences s
				WHERE s.call_id = k.call_id AND s.sentence_index BETWEEN k.first_sentence AND k.last_sentence),
			lag(k.last_sentence) OVER (PARTITION BY k.call_id ORDER BY k.chunk_index),
			(SELECT min(sentence_index) FROM transcript_sentences s WHERE s.call_id = k.call_id),
			(SELECT max(sentence_index) FROM transcript_sentences s WHERE s.call_id = k.call_id),
			lead(k.chunk_index) OVER (PARTITION BY k.call_id ORDER BY k.chunk_index) IS NULL
		FROM transcript_chunks k ORDER BY k.call_id, k.chunk_index`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	chunks := 0
	for rows.Next() {
		var (
			call, text, sentences      string
			index, first, last, tokens int32
			prevLast                   *int32
			minSentence, maxSentence   int32
			hashOK, lastOfCall         bool
		)
		if err := rows.Scan(&call, &index, &first, &last, &text, &tokens, &hashOK, &sentences, &prevLast,
			&minSentence, &maxSentence, &lastOfCall); err != nil {
			t.Fatal(err)
		}
		chunks++
		if int(tokens) != store.TokenEstimate(text) {
			t.Errorf("call %s chunk %d: token_estimate %d, estimate of its text %d", call, index, tokens, store.TokenEstimate(text))
		}
		if tokens > store.DefaultChunkTokens && first != last {
			t.Errorf("call %s chunk %d: %d tokens over %d in %d sentences", call, index, tokens, store.DefaultChunkTokens, last-first+1)
		}
		if !hashOK {
			t.Errorf("call %s chunk %d: content_hash is not the SHA-256 of its text", call, index)
		}
		switch {
		case prevLast == nil && first != minSentence:
			t.Errorf("call %s: first chunk starts at sentence %d, its transcript at %d", call, first, minSentence)
		case prevLast != nil && first != *prevLast+1:
			t.Errorf("call %s chunk %d starts at sentence %d after one ending at %d", call, index, first, *prevLast)
		}
		if lastOfCall && last != maxSentence {
			t.Errorf("call %s: last chunk ends at sentence %d, its transcript at %d", call, last, maxSentence)
		}
		// Without the labels, a chunk is exactly its sentences: nothing of another call.
		var said []string
		for _, line := range strings.Split(text, "\n") {
			label, rest, ok := strings.Cut(line, "): ")
			if !ok || !strings.Contains(label, " (") {
				t.Errorf("call %s chunk %d: unlabelled line %q", call, index, line)
			}
			said = append(said, rest)
		}
		if got := strings.Join(said, " "); got != sentences {
			t.Errorf("call %s chunk %d holds %q; its sentences %d–%d are %q", call, index, got, first, last, sentences)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d chunks of %d calls checked", chunks, withChunks)

	// A chunk carries its call's columns and CRM ids; an external speaker's line names
	// the call's account (the simulated Gong's calls have one).
	var wrongCall, externalLines, withAccount int
	if err := pool.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE k.call_title IS DISTINCT FROM c.title OR k.call_started IS DISTINCT FROM c.started
				OR k.workspace_id IS DISTINCT FROM c.workspace_id
				OR k.crm_account_ids <> ARRAY(SELECT DISTINCT o.object_id FROM call_crm_objects o
					WHERE o.call_id = c.id AND o.object_type = 'Account' ORDER BY 1)
				OR k.crm_opportunity_ids <> ARRAY(SELECT DISTINCT o.object_id FROM call_crm_objects o
					WHERE o.call_id = c.id AND o.object_type = 'Opportunity' ORDER BY 1)),
			count(*) FILTER (WHERE k.text ~ '\(external\)|, external\)'),
			count(*) FILTER (WHERE EXISTS (SELECT FROM call_crm_fields f WHERE f.call_id = c.id AND f.object_type = 'Account'
				AND f.name = 'Name' AND strpos(k.text, '(' || f.value_text || ', external): ') > 0))
		FROM transcript_chunks k JOIN calls c ON c.id = k.call_id`).Scan(&wrongCall, &externalLines, &withAccount); err != nil {
		t.Fatal(err)
	}
	if wrongCall != 0 {
		t.Errorf("%d chunks whose call columns or CRM ids are not their call's", wrongCall)
	}
	if externalLines == 0 || withAccount == 0 {
		t.Errorf("%d chunks have external speakers, %d of them labelled with the account's name; want some of each", externalLines, withAccount)
	}

	privateRows := func(st *store.Store, q string) int {
		var n int
		if err := st.Pool().QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const privateChunks = `SELECT count(*) FROM transcript_chunks k JOIN calls c ON c.id = k.call_id WHERE c.is_private`
	const privateTurns = `SELECT count(*) FROM assistant_transcript_turns k JOIN calls c ON c.id = k.call_id WHERE c.is_private`
	if n := privateRows(v.st, privateChunks); n != 0 {
		t.Errorf("%d chunks of private calls", n)
	}
	if n := privateRows(v.st, privateTurns); n != 0 {
		t.Errorf("%d assistant turns of private calls", n)
	}
	if n := privateRows(v.st, `SELECT count(*) FROM live_transcript_turns k JOIN calls c ON c.id = k.call_id WHERE c.is_private`); n == 0 {
		t.Errorf("private calls have no turns at all: only assistants are to be kept from them")
	}

	with, err := store.Open(context.Background(), store.Options{DatabaseURL: v.dbURL, Schema: "gong",
		AI: store.AIOptions{IncludePrivate: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer with.Close()
	if n, err := with.BuildMissingChunks(ctx, 100); err != nil || n != private {
		t.Errorf("with the setting on, chunks built for %d calls (%v); want the %d private ones", n, err, private)
	}
	if n := privateRows(with, privateTurns); n == 0 {
		t.Errorf("with the setting on, no assistant turns of private calls")
	}
	if n := privateRows(v.st, privateChunks); n == 0 {
		t.Errorf("with the setting on, no chunks of private calls")
	}
}
