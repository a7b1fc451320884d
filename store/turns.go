package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// A transcript is stored three times over, each shape for its reader: sentences
// (transcript_sentences, as Gong sends them), turns (transcript_turns, one row per
// monologue with its speaker, for people and assistants reading a call), and chunks
// (transcript_chunks, turns packed to a size an embedding model takes). Turns and
// chunks are derived here, from the stored sentences and the call's rows, in the
// transaction that writes either: they never disagree with the sentences, and an
// embedding pipeline re-embeds only the chunks whose text changed.

// DefaultChunkTokens is the default of AIOptions.ChunkTokens (GONGSYNC_CHUNK_TOKENS):
// a few hundred tokens is what retrieval guides and the public dbt projects chunk
// call transcripts to, well under every embedding model's input limit.
const DefaultChunkTokens = 512

// MinChunkTokens is the smallest chunk limit the configuration accepts: below it most
// chunks would be a single sentence.
const MinChunkTokens = 32

// includePrivateSetting is the session setting assistant_transcript_turns reads: on
// shows a session the turns of private and erased calls too.
const includePrivateSetting = "gongsync.ai_include_private"

// AIOptions says how transcripts are shaped for AI assistants.
type AIOptions struct {
	// ChunkTokens is the most tokens (by TokenEstimate) a chunk holds; 0 means
	// DefaultChunkTokens.
	ChunkTokens int
	// IncludePrivate gives private calls, and calls an erasure named, chunks, and shows
	// their turns in assistant_transcript_turns to this store's sessions
	// (GONGSYNC_AI_INCLUDE_PRIVATE). Off, chunks of such calls are removed when the
	// call or its transcript is written.
	IncludePrivate bool
}

func (o AIOptions) withDefaults() AIOptions {
	if o.ChunkTokens <= 0 {
		o.ChunkTokens = DefaultChunkTokens
	}
	return o
}

// TokenEstimate is gongsync's estimate of the tokens a text costs an embedding model:
// its characters (Unicode code points) divided by 4, rounded up. English averages about
// four characters a token in the BPE vocabularies of the common embedding models; the
// estimate needs no tokenizer, is the same in every language gongsync is read from, and
// is what transcript_chunks.token_estimate holds and GONGSYNC_CHUNK_TOKENS bounds.
func TokenEstimate(text string) int {
	return (utf8.RuneCountInString(text) + 3) / 4
}

// turnsFromSentences derives the turns of the calls $1 from their stored sentences and
// parties. Migration 00017 filled the turns of existing transcripts with the same
// SQL over every call.
const turnsFromSentences = `INSERT INTO transcript_turns (call_id, turn_index, speaker_id, speaker_name, speaker_title,
	affiliation, user_id, topic, start_ms, end_ms, text, word_count)
SELECT m.call_id, m.monologue_index, m.speaker_id, p.name, p.title,
	CASE lower(p.affiliation) WHEN 'internal' THEN 'internal' WHEN 'external' THEN 'external' ELSE 'unknown' END,
	p.user_id, m.topic, m.start_ms, m.end_ms, m.text,
	CASE WHEN m.text ~ '\S' THEN cardinality(regexp_split_to_array(btrim(m.text, E' \t\n\r'), '\s+')) ELSE 0 END
FROM (SELECT call_id, monologue_index,
		(array_agg(speaker_id ORDER BY sentence_index))[1] AS speaker_id,
		(array_agg(topic ORDER BY sentence_index))[1] AS topic,
		min(start_ms) AS start_ms, max(end_ms) AS end_ms,
		string_agg(text, ' ' ORDER BY sentence_index) AS text
	FROM transcript_sentences WHERE call_id = ANY($1) GROUP BY call_id, monologue_index) m
LEFT JOIN LATERAL (SELECT p.name, p.title, p.affiliation, p.user_id FROM call_parties p
	WHERE p.call_id = m.call_id AND p.speaker_id = m.speaker_id ORDER BY p.party_id LIMIT 1) p ON true`

// chunkSource reads the sentences of the calls $1 that may have chunks ($2: private and
// erased calls too), in order, with their turn's label: the speaker's name and side,
// and for an external speaker the call's CRM account name (as at the time of the
// call when Gong sent both timings).
const chunkSource = `WITH account AS (
	SELECT DISTINCT ON (f.call_id) f.call_id, f.value_text AS name FROM call_crm_fields f
	WHERE f.call_id = ANY($1) AND f.object_type = 'Account' AND f.name = 'Name' AND f.value_text <> ''
	ORDER BY f.call_id, f.timing = 'TimeOfCall' DESC, f.object_id)
SELECT s.call_id, s.sentence_index, s.monologue_index, s.start_ms, s.end_ms, s.text,
	coalesce(t.speaker_name, ''), t.affiliation, CASE WHEN t.affiliation = 'external' THEN coalesce(a.name, '') ELSE '' END
FROM transcript_sentences s
JOIN transcript_turns t ON t.call_id = s.call_id AND t.turn_index = s.monologue_index
JOIN calls c ON c.id = s.call_id
LEFT JOIN account a ON a.call_id = s.call_id
WHERE s.call_id = ANY($1)
	AND ($2 OR (c.is_private IS NOT TRUE AND NOT EXISTS (SELECT FROM erasures e WHERE c.id = ANY (e.erased_call_ids))))
ORDER BY s.call_id, s.sentence_index`

// writeChunks upserts the chunks given as arrays, with their call's columns. A chunk
// whose text some chunk of its call had before takes that chunk's updated_at, so a
// rebuild that only moves text (an earlier part gained a chunk) moves no updated_at;
// a row whose columns are all as stored is not written at all.
const writeChunks = `WITH x AS (
	SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::int[], $5::bigint[], $6::bigint[], $7::text[], $8::int[], $9::text[])
		AS x(call_id, chunk_index, first_sentence, last_sentence, start_ms, end_ms, text, token_estimate, content_hash)),
meta AS (
	SELECT c.id, c.title, c.started, c.workspace_id,
		ARRAY(SELECT DISTINCT o.object_id FROM call_crm_objects o
			WHERE o.call_id = c.id AND o.object_type = 'Account' ORDER BY 1) AS accounts,
		ARRAY(SELECT DISTINCT o.object_id FROM call_crm_objects o
			WHERE o.call_id = c.id AND o.object_type = 'Opportunity' ORDER BY 1) AS opportunities
	FROM calls c WHERE c.id IN (SELECT DISTINCT call_id FROM x))
INSERT INTO transcript_chunks AS t (call_id, chunk_index, first_sentence, last_sentence, start_ms, end_ms, text,
	token_estimate, call_title, call_started, workspace_id, crm_account_ids, crm_opportunity_ids, content_hash, updated_at)
SELECT x.call_id, x.chunk_index, x.first_sentence, x.last_sentence, x.start_ms, x.end_ms, x.text, x.token_estimate,
	m.title, m.started, m.workspace_id, m.accounts, m.opportunities, x.content_hash,
	coalesce((SELECT max(o.updated_at) FROM transcript_chunks o
		WHERE o.call_id = x.call_id AND o.content_hash = x.content_hash), now())
FROM x JOIN meta m ON m.id = x.call_id
ORDER BY x.call_id, x.chunk_index
ON CONFLICT (call_id, chunk_index) DO UPDATE SET first_sentence = EXCLUDED.first_sentence,
	last_sentence = EXCLUDED.last_sentence, start_ms = EXCLUDED.start_ms, end_ms = EXCLUDED.end_ms,
	text = EXCLUDED.text, token_estimate = EXCLUDED.token_estimate, call_title = EXCLUDED.call_title,
	call_started = EXCLUDED.call_started, workspace_id = EXCLUDED.workspace_id,
	crm_account_ids = EXCLUDED.crm_account_ids, crm_opportunity_ids = EXCLUDED.crm_opportunity_ids,
	content_hash = EXCLUDED.content_hash, updated_at = EXCLUDED.updated_at
WHERE (t.first_sentence, t.last_sentence, t.start_ms, t.end_ms, t.token_estimate, t.call_title, t.call_started,
		t.workspace_id, t.crm_account_ids, t.crm_opportunity_ids, t.content_hash)
	IS DISTINCT FROM (EXCLUDED.first_sentence, EXCLUDED.last_sentence, EXCLUDED.start_ms, EXCLUDED.end_ms,
		EXCLUDED.token_estimate, EXCLUDED.call_title, EXCLUDED.call_started, EXCLUDED.workspace_id,
		EXCLUDED.crm_account_ids, EXCLUDED.crm_opportunity_ids, EXCLUDED.content_hash)`

// deriveTurnsAndChunks rewrites the turns of the calls from their stored sentences and
// parties, then their chunks: each call's chunks are packed again and only those that
// differ from the stored ones are written; the stored chunks past a call's new last
// one, and every chunk of a call that may have none, are deleted.
func (tx *Tx) deriveTurnsAndChunks(ctx context.Context, callIDs []string) error {
	if len(callIDs) == 0 {
		return nil
	}
	var src []chunkSentence
	err := tx.tx.SendBatch(ctx, byKeys(func(b *pgx.Batch) {
		b.Queue("DELETE FROM transcript_turns WHERE call_id = ANY($1)", callIDs)
		b.Queue(turnsFromSentences, callIDs)
		b.Queue(chunkSource, callIDs, tx.ai.IncludePrivate).Query(func(rows pgx.Rows) error {
			var s chunkSentence
			_, err := pgx.ForEachRow(rows, []any{&s.callID, &s.index, &s.turn, &s.startMs, &s.endMs, &s.text,
				&s.speaker, &s.side, &s.company}, func() error {
				src = append(src, s)
				return nil
			})
			return err
		})
	})).Close()
	if err != nil {
		return fmt.Errorf("derive turns: %w", err)
	}

	var (
		w      chunkColumns
		counts = make(map[string]int32, len(callIDs))
	)
	for len(src) > 0 {
		n := 1
		for n < len(src) && src[n].callID == src[0].callID {
			n++
		}
		call := src[0].callID
		chunks := packChunks(turnsOf(src[:n]), tx.ai.ChunkTokens)
		for i, c := range chunks {
			w.add(call, int32(i), c)
		}
		counts[call] = int32(len(chunks))
		src = src[n:]
	}
	keep := make([]int32, len(callIDs))
	for i, id := range callIDs {
		keep[i] = counts[id]
	}
	err = tx.tx.SendBatch(ctx, byKeys(func(b *pgx.Batch) {
		if len(w.callID) > 0 {
			b.Queue(writeChunks, w.callID, w.index, w.first, w.last, w.startMs, w.endMs, w.text, w.tokens, w.hash)
		}
		b.Queue(`DELETE FROM transcript_chunks t USING unnest($1::text[], $2::int[]) AS n(call_id, chunks)
			WHERE t.call_id = n.call_id AND t.chunk_index >= n.chunks`, callIDs, keep)
	})).Close()
	if err != nil {
		return fmt.Errorf("derive chunks: %w", err)
	}
	return nil
}

// chunkSentence is a sentence as chunkSource reads it.
type chunkSentence struct {
	callID         string
	index, turn    int32
	startMs, endMs int64
	text           string
	speaker, side  string
	company        string
}

// chunkColumns are chunks as the columns writeChunks takes.
type chunkColumns struct {
	callID             []string
	index, first, last []int32
	startMs, endMs     []int64
	text, hash         []string
	tokens             []int32
}

func (w *chunkColumns) add(call string, i int32, c chunk) {
	sum := sha256.Sum256([]byte(c.Text))
	w.callID = append(w.callID, call)
	w.index = append(w.index, i)
	w.first = append(w.first, c.FirstSentence)
	w.last = append(w.last, c.LastSentence)
	w.startMs = append(w.startMs, c.StartMs)
	w.endMs = append(w.endMs, c.EndMs)
	w.text = append(w.text, c.Text)
	w.tokens = append(w.tokens, int32(c.Tokens))
	w.hash = append(w.hash, hex.EncodeToString(sum[:]))
}

// turnsOf groups one call's sentences, in order, into its turns with their labels.
func turnsOf(sents []chunkSentence) []chunkTurn {
	var turns []chunkTurn
	for i, s := range sents {
		if i == 0 || s.turn != sents[i-1].turn {
			turns = append(turns, chunkTurn{Label: speakerLabel(s.speaker, s.company, s.side)})
		}
		t := &turns[len(turns)-1]
		t.Sentences = append(t.Sentences, packSentence{Index: s.index, StartMs: s.startMs, EndMs: s.endMs, Text: s.text})
	}
	return turns
}

// speakerLabel is how a chunk's line names its speaker: "Jane Doe (Acme, external)",
// or with the side alone when the company is not known ("Sam Lee (internal)"), and
// "Unknown speaker" for a speaker Gong named no one.
func speakerLabel(name, company, side string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "Unknown speaker"
	}
	if company != "" {
		return name + " (" + company + ", " + side + ")"
	}
	return name + " (" + side + ")"
}

// chunkTurn is a turn to pack: its speaker's label and its sentences in order.
type chunkTurn struct {
	Label     string
	Sentences []packSentence
}

// packSentence is a sentence to pack.
type packSentence struct {
	Index          int32 // transcript_sentences.sentence_index
	StartMs, EndMs int64
	Text           string
}

// chunk is a packed chunk of one call: a row of transcript_chunks without the call's
// columns.
type chunk struct {
	FirstSentence, LastSentence int32
	StartMs, EndMs              int64
	Text                        string
	Tokens                      int // TokenEstimate(Text)
}

// packChunks packs one call's turns, in order, into chunks of at most limit tokens
// (TokenEstimate). Each line of a chunk is a turn, or the part of one the chunk holds,
// as "Label: sentence sentence…"; a turn that goes on in the next chunk is labelled
// again there. A sentence is never split: one whose line alone is over the limit is a
// chunk of its own, the only kind over the limit.
//
// Chunk boundaries are chosen so that a change stays local. Filling each chunk to
// the limit from the call's start would move every later boundary when one sentence
// grows, and re-embed the rest of the call. Instead the turns are first cut into
// sections at anchors chosen by content: a turn is an anchor when the first 8 bytes of
// the SHA-256 of its first sentence, as a number modulo the limit, are below twice its
// line's token estimate, so a section runs about half the limit on average, whatever
// the speakers' habits. Each section is packed on its own, to the limit. A change
// inside a section re-packs that section only (and its neighbour, when the change
// makes or unmakes an anchor); every other chunk keeps its text, its hash and its
// row. Measured (TestAGrownSentenceChangesOnlyItsSection): one sentence grown by up to
// 80 tokens changes 1.4 chunks on average (at most 3) where filling from the start
// changes 8 (up to 22); the price is chunks of about half the limit on average, twice
// as many rows to embed.
func packChunks(turns []chunkTurn, limit int) []chunk {
	var p packer
	p.limit = limit
	for _, t := range turns {
		if len(t.Sentences) == 0 {
			continue
		}
		if p.open && isAnchor(t, limit) {
			p.close()
		}
		p.newLine = true
		for _, s := range t.Sentences {
			p.add(t.Label, s)
		}
	}
	p.close()
	return p.out
}

// isAnchor says whether a turn starts a section (packChunks).
func isAnchor(t chunkTurn, limit int) bool {
	runes := utf8.RuneCountInString(t.Label) + 2 + len(t.Sentences) - 1
	for _, s := range t.Sentences {
		runes += utf8.RuneCountInString(s.Text)
	}
	sum := sha256.Sum256([]byte(t.Sentences[0].Text))
	return binary.BigEndian.Uint64(sum[:8])%uint64(limit) < uint64(2*((runes+3)/4))
}

// packer builds one call's chunks, a sentence at a time, counting characters as it goes
// so that the estimate of a chunk under construction costs nothing.
type packer struct {
	limit   int
	out     []chunk
	b       strings.Builder
	runes   int
	cur     chunk
	open    bool // the chunk under construction has a sentence
	newLine bool // the next sentence starts a new turn
}

// add appends s, said by label, to the chunk under construction, or closes that chunk
// and starts the next with s when s would take it over the limit.
func (p *packer) add(label string, s packSentence) {
	sep := " "
	if p.newLine {
		sep = "\n" + label + ": "
	}
	if p.open && (p.runes+utf8.RuneCountInString(sep)+utf8.RuneCountInString(s.Text)+3)/4 > p.limit {
		p.close()
		sep = "\n" + label + ": "
	}
	if !p.open {
		sep = strings.TrimPrefix(sep, "\n")
		p.open = true
		p.cur = chunk{FirstSentence: s.Index, StartMs: s.StartMs}
	}
	p.b.WriteString(sep)
	p.b.WriteString(s.Text)
	p.runes += utf8.RuneCountInString(sep) + utf8.RuneCountInString(s.Text)
	p.cur.LastSentence, p.cur.EndMs = s.Index, max(p.cur.EndMs, s.EndMs)
	p.newLine = false
}

// close finishes the chunk under construction, if it has a sentence.
func (p *packer) close() {
	if !p.open {
		return
	}
	p.cur.Text = p.b.String()
	p.cur.Tokens = TokenEstimate(p.cur.Text)
	p.out = append(p.out, p.cur)
	p.b.Reset()
	p.runes, p.open = 0, false
}

// BuildMissingChunks builds the chunks of stored transcripts that have none and may
// have some: those stored before transcript_chunks existed (migration 00017 filled
// their turns in SQL; packing is Go's), and those of private calls when IncludePrivate
// was turned on since. It runs in batches of batch calls, each its own transaction, in
// id order, with no request to Gong, and returns the calls it built chunks for.
func (s *Store) BuildMissingChunks(ctx context.Context, batch int) (int, error) {
	total, after := 0, ""
	for {
		rows, err := s.pool.Query(ctx, `SELECT c.id FROM calls c
			WHERE c.id > $1 AND c.transcript_status = 'available'
			  AND EXISTS (SELECT FROM transcript_sentences s WHERE s.call_id = c.id)
			  AND NOT EXISTS (SELECT FROM transcript_chunks k WHERE k.call_id = c.id)
			  AND ($2 OR (c.is_private IS NOT TRUE AND NOT EXISTS (SELECT FROM erasures e WHERE c.id = ANY (e.erased_call_ids))))
			ORDER BY c.id LIMIT $3`, after, s.ai.IncludePrivate, batch)
		if err != nil {
			return total, fmt.Errorf("build missing chunks: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return total, fmt.Errorf("build missing chunks: %w", err)
		}
		if len(ids) == 0 {
			return total, nil
		}
		after = ids[len(ids)-1]
		err = s.Transact(ctx, func(tx *Tx) error {
			// Locked like a transcript writer locks them: a concurrent writer of the
			// same calls waits, and its turns and chunks are the ones kept.
			if _, err := tx.tx.Exec(ctx, `SELECT id FROM calls WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids); err != nil {
				return err
			}
			return tx.deriveTurnsAndChunks(ctx, ids)
		})
		if err != nil {
			return total, fmt.Errorf("build missing chunks after %q: %w", after, err)
		}
		total += len(ids)
	}
}
