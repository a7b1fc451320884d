package store

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// Packing obeys the limit by the stated estimate, keeps sentences whole and in order,
// labels every line, and gives an over-long sentence a chunk of its own.
func TestPackChunksObeysTheLimitAndKeepsSentencesWhole(t *testing.T) {
	t.Parallel()
	if got := TokenEstimate("abcde"); got != 2 {
		t.Errorf("TokenEstimate(abcde) = %d, want 2 (⌈5/4⌉)", got)
	}
	if got := TokenEstimate("héllo wörld!"); got != 3 {
		t.Errorf("TokenEstimate counts characters, not bytes: got %d, want 3", got)
	}
	long := strings.Repeat("word ", 200) + "end"
	var turns []chunkTurn
	idx := int32(0)
	for k := range 40 {
		label := speakerLabel("Jane Doe", "Acme", "external")
		if k%2 == 1 {
			label = speakerLabel("Sam Lee", "", "internal")
		}
		tu := chunkTurn{Label: label}
		for j := range 1 + k%5 {
			text := strings.Repeat("talk ", 3+j*k%11) + "done."
			if k == 17 && j == 0 {
				text = long
			}
			tu.Sentences = append(tu.Sentences, packSentence{Index: idx, StartMs: int64(idx) * 1000, EndMs: int64(idx)*1000 + 900, Text: text})
			idx++
		}
		turns = append(turns, tu)
	}
	const limit = 64
	chunks := packChunks(turns, limit)
	next := int32(0)
	sawLong := false
	for i, c := range chunks {
		if c.Tokens != TokenEstimate(c.Text) {
			t.Errorf("chunk %d: tokens %d, estimate of its text %d", i, c.Tokens, TokenEstimate(c.Text))
		}
		if strings.Contains(c.Text, long) {
			sawLong = true
			if c.FirstSentence != c.LastSentence {
				t.Errorf("chunk %d holds the over-long sentence and others (%d–%d)", i, c.FirstSentence, c.LastSentence)
			}
		} else if c.Tokens > limit {
			t.Errorf("chunk %d has %d tokens, over %d: %q", i, c.Tokens, limit, c.Text)
		}
		if c.FirstSentence != next {
			t.Errorf("chunk %d starts at sentence %d, want %d (in order, none lost)", i, c.FirstSentence, next)
		}
		next = c.LastSentence + 1
		for _, line := range strings.Split(c.Text, "\n") {
			if !strings.HasPrefix(line, "Jane Doe (Acme, external): ") && !strings.HasPrefix(line, "Sam Lee (internal): ") {
				t.Errorf("chunk %d: unlabelled line %q", i, line)
			}
		}
	}
	if next != idx || !sawLong {
		t.Errorf("chunks end at sentence %d of %d; over-long sentence seen: %v", next, idx, sawLong)
	}
}

// A sentence that grows changes the chunks of its section, not the rest of the call:
// over 200 transcripts of 120 turns, each with one sentence grown by up to 80 tokens,
// about 1.4 chunks change on average and never more than 4. Chunks filled from the
// call's start, without anchors, change 8 on average and up to 22 (measured when the
// anchors were chosen).
func TestAGrownSentenceChangesOnlyItsSection(t *testing.T) {
	t.Parallel()
	total, most := 0, 0
	const runs = 200
	for seed := range runs {
		r := rand.New(rand.NewPCG(uint64(seed), 1))
		var turns []chunkTurn
		idx := int32(0)
		for k := range 120 {
			tu := chunkTurn{Label: speakerLabel("Speaker "+string(rune('A'+k%3)), "", "external")}
			for range 1 + r.IntN(6) {
				tu.Sentences = append(tu.Sentences, packSentence{Index: idx, Text: sentence(r, 4+r.IntN(16))})
				idx++
			}
			turns = append(turns, tu)
		}
		before := packChunks(turns, DefaultChunkTokens)
		k := r.IntN(len(turns))
		j := r.IntN(len(turns[k].Sentences))
		turns[k].Sentences[j].Text += strings.Repeat(" and more words", 1+r.IntN(20))
		was := make(map[string]bool, len(before))
		for _, c := range before {
			was[c.Text] = true
		}
		changed := 0
		for _, c := range packChunks(turns, DefaultChunkTokens) {
			if !was[c.Text] {
				changed++
			}
		}
		total += changed
		most = max(most, changed)
	}
	if avg := float64(total) / runs; avg > 2 || most > 4 {
		t.Errorf("one grown sentence changed %.2f chunks on average, %d at most; want at most 2 and 4", avg, most)
	}
}

type storedChunk struct {
	index   int32
	hash    string
	updated time.Time
	tokens  int32
}

func readChunks(t *testing.T, s *Store, callID string) []storedChunk {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT chunk_index, content_hash, updated_at, token_estimate
		FROM transcript_chunks WHERE call_id = $1 ORDER BY chunk_index`, callID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []storedChunk
	for rows.Next() {
		var c storedChunk
		if err := rows.Scan(&c.index, &c.hash, &c.updated, &c.tokens); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Turns are the transcript's monologues with their speakers; chunks obey the limit;
// a transcript written again with one sentence changed rewrites only the chunks whose
// text changed, and every other chunk keeps its hash and updated_at.
func TestARevisedTranscriptChangesOnlyTheChunksWhoseTextChanged(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	calls := page(0, 1)
	upsertCalls(t, s, calls)
	tr := makeTranscript(calls[0].ID, 1, 400)
	if _, err := writeTranscripts(t, s, tr); err != nil {
		t.Fatal(err)
	}

	if n := count(t, s, "SELECT count(*) FROM transcript_turns"); n != 100 {
		t.Errorf("%d turns, want 100 (monologues of 4 sentences)", n)
	}
	var name, aff, text string
	var words int
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(speaker_name, ''), affiliation, text, word_count FROM transcript_turns
		WHERE call_id = $1 AND turn_index = 0`, calls[0].ID).Scan(&name, &aff, &text, &words); err != nil {
		t.Fatal(err)
	}
	wantText := strings.Join([]string{tr.Sentences[0].Text, tr.Sentences[1].Text, tr.Sentences[2].Text, tr.Sentences[3].Text}, " ")
	if name != "Person 0" || aff != "internal" || text != wantText || words != len(strings.Fields(wantText)) {
		t.Errorf("turn 0: %q %q %q %d; want Person 0, internal, %q, %d", name, aff, text, words, wantText, len(strings.Fields(wantText)))
	}

	before := readChunks(t, s, calls[0].ID)
	if len(before) < 10 {
		t.Fatalf("%d chunks of a 400-sentence call; want many", len(before))
	}
	for _, c := range before {
		if c.tokens > DefaultChunkTokens {
			t.Errorf("chunk %d: %d tokens", c.index, c.tokens)
		}
	}

	// Gong re-processed the call: one sentence in the middle reads differently, and
	// longer by about 50 tokens, enough to push every later boundary of chunks filled
	// from the call's start.
	time.Sleep(10 * time.Millisecond)
	tr.Sentences[200].Text += strings.Repeat(" and more words", 12) + " to move the chunk's end"
	if _, err := writeTranscripts(t, s, tr); err != nil {
		t.Fatal(err)
	}
	after := readChunks(t, s, calls[0].ID)
	was := make(map[string]time.Time, len(before))
	for _, c := range before {
		was[c.hash] = c.updated
	}
	changed, keptAfter := 0, 0
	var firstChanged int32 = -1
	for _, c := range after {
		old, ok := was[c.hash]
		switch {
		case !ok:
			changed++
			if firstChanged < 0 {
				firstChanged = c.index
			}
		case !old.Equal(c.updated):
			t.Errorf("chunk %d kept its text but its updated_at moved", c.index)
		case firstChanged >= 0:
			keptAfter++
		}
	}
	if changed == 0 || changed > 3 {
		t.Errorf("%d chunks changed for one sentence; want 1 to 3 (its section)", changed)
	}
	if keptAfter == 0 {
		t.Errorf("no chunk after the changed one kept its row: the change rippled to the end")
	}
	if n := count(t, s, "SELECT count(*) FROM transcript_turns WHERE text LIKE '%to move the chunk''s end%'"); n != 1 {
		t.Errorf("%d turns hold the new text, want 1", n)
	}

	// A shorter transcript leaves no chunk past its end.
	tr.Sentences = tr.Sentences[:40]
	if _, err := writeTranscripts(t, s, tr); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT count(*) FROM transcript_chunks WHERE last_sentence >= 40"); n != 0 {
		t.Errorf("%d chunks past the new end", n)
	}
}

// Private calls have no chunks and no assistant turns by default, and have both for
// a store whose options include them; a call that becomes private loses its chunks
// when it is rewritten.
func TestPrivateCallsHaveNoChunksUnlessIncluded(t *testing.T) {
	t.Parallel()
	url := migrated.NewDatabase(t)
	s := openStore(t, url, "")
	ctx := context.Background()
	calls := page(0, 2)
	calls[1].IsPrivate = ptr(true)
	calls[1].Raw = rawOf(&calls[1])
	upsertCalls(t, s, calls)
	if _, err := writeTranscripts(t, s, makeTranscript(calls[0].ID, 1, 40), makeTranscript(calls[1].ID, 2, 40)); err != nil {
		t.Fatal(err)
	}
	chunksOf := func(s *Store, id string) int {
		return count(t, s, "SELECT count(*) FROM transcript_chunks WHERE call_id = '"+id+"'")
	}
	assistant := func(s *Store, id string) int {
		return count(t, s, "SELECT count(*) FROM assistant_transcript_turns WHERE call_id = '"+id+"'")
	}
	if chunksOf(s, calls[0].ID) == 0 || assistant(s, calls[0].ID) == 0 {
		t.Errorf("the public call has no chunks or no assistant turns")
	}
	if n := chunksOf(s, calls[1].ID); n != 0 {
		t.Errorf("the private call has %d chunks by default", n)
	}
	if n := assistant(s, calls[1].ID); n != 0 {
		t.Errorf("the private call has %d assistant turns by default", n)
	}
	if n := count(t, s, "SELECT count(*) FROM live_transcript_turns WHERE call_id = '"+calls[1].ID+"'"); n == 0 {
		t.Errorf("the private call has no live turns: only assistants are kept from it")
	}

	with, err := Open(ctx, Options{DatabaseURL: url, AI: AIOptions{IncludePrivate: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(with.Close)
	if n := assistant(with, calls[1].ID); n == 0 {
		t.Errorf("the private call has no assistant turns with the setting on")
	}
	err = with.Transact(ctx, func(tx *Tx) error {
		_, err := tx.WriteTranscripts(ctx, []Transcript{makeTranscript(calls[1].ID, 2, 40)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := chunksOf(s, calls[1].ID); n == 0 {
		t.Errorf("the private call has no chunks with the setting on")
	}

	// The public call becomes private: its rewrite removes its chunks.
	calls[0].IsPrivate = ptr(true)
	calls[0].Raw = rawOf(&calls[0])
	upsertCalls(t, s, calls[:1])
	if n := chunksOf(s, calls[0].ID); n != 0 {
		t.Errorf("a call that became private kept %d chunks", n)
	}
}

// A database migrated to 00017 with transcripts already stored has the same turns the
// store writes (the migration's SQL over every call), and BuildMissingChunks gives
// those transcripts the chunks the store would have written, without a request to Gong.
func TestExistingTranscriptsGainTurnsAndChunks(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	calls := page(0, 3)
	upsertCalls(t, s, calls)
	if _, err := writeTranscripts(t, s, makeTranscript(calls[0].ID, 1, 120), makeTranscript(calls[1].ID, 2, 30)); err != nil {
		t.Fatal(err)
	}
	const turnsQ = `SELECT string_agg(concat_ws('|', call_id, turn_index, speaker_id, speaker_name, speaker_title, affiliation,
		user_id, topic, start_ms, end_ms, text, word_count), E'\n' ORDER BY call_id, turn_index) FROM transcript_turns`
	const chunksQ = `SELECT string_agg(call_id || ':' || chunk_index || ':' || content_hash, ',' ORDER BY call_id, chunk_index) FROM transcript_chunks`
	var turnsBefore, chunksBefore string
	if err := s.pool.QueryRow(ctx, turnsQ).Scan(&turnsBefore); err != nil {
		t.Fatal(err)
	}
	if err := s.pool.QueryRow(ctx, chunksQ).Scan(&chunksBefore); err != nil {
		t.Fatal(err)
	}

	provider, db, err := s.goose()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version int64 = -1
	for _, src := range provider.ListSources() {
		if strings.HasPrefix(src.Path[strings.LastIndex(src.Path, "/")+1:], "00017_") {
			version = src.Version
		}
	}
	if _, err := provider.DownTo(ctx, version-1); err != nil {
		t.Fatalf("down to %d: %v", version-1, err)
	}
	if _, err := provider.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	var turnsAfter string
	if err := s.pool.QueryRow(ctx, turnsQ).Scan(&turnsAfter); err != nil {
		t.Fatal(err)
	}
	if turnsAfter != turnsBefore {
		t.Errorf("the migration's turns differ from the store's:\n%s\n---\n%s", turnsAfter, turnsBefore)
	}
	if n := count(t, s, "SELECT count(*) FROM transcript_chunks"); n != 0 {
		t.Fatalf("%d chunks right after the migration", n)
	}
	n, err := s.BuildMissingChunks(ctx, 1)
	if err != nil || n != 2 {
		t.Fatalf("BuildMissingChunks: %d calls, %v; want 2", n, err)
	}
	var chunksAfter string
	if err := s.pool.QueryRow(ctx, chunksQ).Scan(&chunksAfter); err != nil {
		t.Fatal(err)
	}
	if chunksAfter != chunksBefore {
		t.Errorf("built chunks differ from the store's:\n%s\n---\n%s", chunksAfter, chunksBefore)
	}
	if n, err := s.BuildMissingChunks(ctx, 100); err != nil || n != 0 {
		t.Errorf("a second BuildMissingChunks built %d, %v; want none", n, err)
	}
}

// A call rewritten with a party renamed (Gong corrected a name) renames the speaker
// in its turns and its chunks' labels, in the same transaction as the call's rows.
func TestARenamedPartyRenamesTheTurnsAndChunks(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	calls := page(0, 1)
	upsertCalls(t, s, calls)
	if _, err := writeTranscripts(t, s, makeTranscript(calls[0].ID, 1, 40)); err != nil {
		t.Fatal(err)
	}
	calls[0].Parties[0].Name = ptr("Person Zero Renamed")
	calls[0].Raw = rawOf(&calls[0])
	if res := upsertCalls(t, s, calls); len(res.Changed) != 1 {
		t.Fatalf("the renamed call was not rewritten: %+v", res)
	}
	if n := count(t, s, "SELECT count(*) FROM transcript_turns WHERE speaker_name = 'Person 0'"); n != 0 {
		t.Errorf("%d turns keep the old name", n)
	}
	if n := count(t, s, "SELECT count(*) FROM transcript_turns WHERE speaker_name = 'Person Zero Renamed'"); n == 0 {
		t.Errorf("no turn has the new name")
	}
	if n := count(t, s, "SELECT count(*) FROM transcript_chunks WHERE text LIKE '%Person 0 (%'"); n != 0 {
		t.Errorf("%d chunks keep the old name", n)
	}
	if n := count(t, s, "SELECT count(*) FROM transcript_chunks WHERE text LIKE '%Person Zero Renamed (internal): %'"); n == 0 {
		t.Errorf("no chunk is labelled with the new name")
	}
}
