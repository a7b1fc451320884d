package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
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

	// sentencesOnly writes transcripts without turns and chunks: only the benchmark
	// that prices them (BenchmarkTurnsAndChunksCost) sets it.
	sentencesOnly bool
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

// Turns are derived in Go from the sentences read back, and written with COPY: the
// same in SQL (GROUP BY with string_agg, a word count by regular expression, INSERT)
// cost 170 ms a page of 100 calls of 200 sentences, a third of writing the sentences
// themselves (BenchmarkTurnsAndChunksCost). Migration 00017 fills the turns of the
// transcripts stored before it in SQL, once; TestExistingTranscriptsGainTurnsAndChunks
// holds the two to the same rows.

// deriveSources reads what the turns and chunks of the calls $1 are derived from.
const (
	// Their sentences, in order.
	deriveSentences = `SELECT call_id, sentence_index, monologue_index, speaker_id, topic, start_ms, end_ms, text
		FROM transcript_sentences WHERE call_id = ANY($1) ORDER BY call_id, sentence_index`
	// Their speakers: the party with the lowest party_id of each speaker id.
	deriveSpeakers = `SELECT DISTINCT ON (p.call_id, p.speaker_id) p.call_id, p.speaker_id, p.name, p.title,
			CASE lower(p.affiliation) WHEN 'internal' THEN 'internal' WHEN 'external' THEN 'external' ELSE 'unknown' END,
			p.user_id
		FROM call_parties p WHERE p.call_id = ANY($1) AND p.speaker_id IS NOT NULL
		ORDER BY p.call_id, p.speaker_id, p.party_id`
	// Whether each may have chunks ($2: private and erased calls too).
	deriveCalls = `SELECT c.id,
			$2 OR (c.is_private IS NOT TRUE AND NOT EXISTS (SELECT FROM erasures e WHERE c.id = ANY (e.erased_call_ids)))
		FROM calls c WHERE c.id = ANY($1)`
	// Their CRM objects, and the names among their fields: the accounts and
	// opportunities a chunk carries, and the company of external speakers. Only by
	// call id: given the object type too, the planner may take the (object_type, …)
	// indexes and read every account of every call for each call.
	deriveCRMObjects = `SELECT call_id, object_type, object_id FROM call_crm_objects WHERE call_id = ANY($1)`
	deriveCRMNames   = `SELECT call_id, object_type, object_id, timing, value_text FROM call_crm_fields
		WHERE call_id = ANY($1) AND name = 'Name' AND value_text <> ''`
)

// writeChunks upserts the chunks given as arrays, with their call's columns. A chunk
// whose text some chunk of its call had before takes that chunk's updated_at, so a
// rebuild that only moves text (an earlier part gained a chunk) moves no updated_at;
// a row whose columns are all as stored is not written at all. The earlier chunk is
// looked up in key order, not as max(updated_at): that the planner may answer by
// reading the updated_at index backwards through every chunk of every call. With
// max(), some runs of BenchmarkTurnsAndChunksCost cost Postgres 3 to 8 times the CPU
// of the sentences alone; in key order, none of 8 runs did.
const writeChunks = `WITH x AS (
	SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::int[], $5::bigint[], $6::bigint[], $7::text[], $8::int[],
			$9::text[], $10::text[], $11::text[])
		AS x(call_id, chunk_index, first_sentence, last_sentence, start_ms, end_ms, text, token_estimate, content_hash,
			accounts, opportunities)),
meta AS (SELECT c.id, c.title, c.started, c.workspace_id FROM calls c WHERE c.id = ANY($12))
INSERT INTO transcript_chunks AS t (call_id, chunk_index, first_sentence, last_sentence, start_ms, end_ms, text,
	token_estimate, call_title, call_started, workspace_id, crm_account_ids, crm_opportunity_ids, content_hash, updated_at)
SELECT x.call_id, x.chunk_index, x.first_sentence, x.last_sentence, x.start_ms, x.end_ms, x.text, x.token_estimate,
	m.title, m.started, m.workspace_id, string_to_array(x.accounts, E'\x1f'), string_to_array(x.opportunities, E'\x1f'),
	x.content_hash,
	coalesce((SELECT o.updated_at FROM transcript_chunks o
		WHERE o.call_id = x.call_id AND o.content_hash = x.content_hash ORDER BY o.chunk_index LIMIT 1), now())
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
	return tx.deriveFrom(ctx, callIDs, nil)
}

// deriveFrom is deriveTurnsAndChunks, from the transcripts given when the caller has
// just written them (their sentences are not read back: that cost Postgres a tenth of
// what turns and chunks cost it, measured), or from the stored sentences when nil.
func (tx *Tx) deriveFrom(ctx context.Context, callIDs []string, written []*Transcript) error {
	if len(callIDs) == 0 || tx.ai.sentencesOnly {
		return nil
	}
	var (
		sents    = sentencesOf(written)
		speakers = make(map[turnKey]speaker) // by call and speaker id (turnKey.speaker)
		calls    = make(map[string]*callChunking, len(callIDs))
	)
	err := tx.tx.SendBatch(ctx, byKeys(func(b *pgx.Batch) {
		// The statements' costs, inflated by byKeys, would otherwise have Postgres
		// compile them (JIT) in every transaction: 0.4 s a page of 100 calls, measured.
		b.Queue("SET LOCAL jit = off")
		b.Queue("DELETE FROM transcript_turns WHERE call_id = ANY($1)", callIDs)
		if written == nil {
			b.Queue(deriveSentences, callIDs).Query(func(rows pgx.Rows) error {
				var s storedSentence
				_, err := pgx.ForEachRow(rows, []any{&s.callID, &s.index, &s.turn, &s.speakerID, &s.topic,
					&s.startMs, &s.endMs, &s.text}, func() error {
					sents = append(sents, s)
					return nil
				})
				return err
			})
		}
		b.Queue(deriveSpeakers, callIDs).Query(func(rows pgx.Rows) error {
			var (
				k  turnKey
				sp speaker
			)
			_, err := pgx.ForEachRow(rows, []any{&k.callID, &k.speaker, &sp.name, &sp.title, &sp.side, &sp.userID}, func() error {
				speakers[k] = sp
				return nil
			})
			return err
		})
		b.Queue(deriveCalls, callIDs, tx.ai.IncludePrivate).Query(func(rows pgx.Rows) error {
			var (
				id      string
				chunked bool
			)
			_, err := pgx.ForEachRow(rows, []any{&id, &chunked}, func() error {
				calls[id] = &callChunking{chunked: chunked}
				return nil
			})
			return err
		})
		b.Queue(deriveCRMObjects, callIDs).Query(func(rows pgx.Rows) error {
			var id, typ, obj string
			_, err := pgx.ForEachRow(rows, []any{&id, &typ, &obj}, func() error {
				if c := calls[id]; c != nil {
					c.addObject(typ, obj)
				}
				return nil
			})
			return err
		})
		b.Queue(deriveCRMNames, callIDs).Query(func(rows pgx.Rows) error {
			var id, typ, obj, timing, name string
			_, err := pgx.ForEachRow(rows, []any{&id, &typ, &obj, &timing, &name}, func() error {
				if c := calls[id]; c != nil && typ == "Account" {
					c.nameAccount(obj, timing, name)
				}
				return nil
			})
			return err
		})
	})).Close()
	if err != nil {
		return fmt.Errorf("derive turns: read sentences and speakers: %w", err)
	}

	var (
		turnRows [][]any
		w        chunkColumns
		keep     = make([]int32, len(callIDs))
		counts   = make(map[string]int32, len(callIDs))
	)
	for len(sents) > 0 {
		n := 1
		for n < len(sents) && sents[n].callID == sents[0].callID {
			n++
		}
		call := sents[0].callID
		cc := calls[call]
		if cc == nil {
			cc = &callChunking{} // not in calls: WriteTranscripts refused it before
		}
		turns := turnsOf(sents[:n], speakers, cc.company)
		for i := range turns {
			turnRows = append(turnRows, turns[i].row(call))
		}
		if cc.chunked {
			chunks := packChunks(turns, tx.ai.ChunkTokens)
			accounts, opportunities := strings.Join(cc.accounts, "\x1f"), strings.Join(cc.opportunities, "\x1f")
			for i, c := range chunks {
				w.add(call, int32(i), c, accounts, opportunities)
			}
			counts[call] = int32(len(chunks))
		}
		sents = sents[n:]
	}
	if _, err := tx.tx.CopyFrom(ctx, pgx.Identifier{"transcript_turns"}, turnColumns, pgx.CopyFromRows(turnRows)); err != nil {
		return fmt.Errorf("derive turns: %w", err)
	}
	for i, id := range callIDs {
		keep[i] = counts[id]
	}
	err = tx.tx.SendBatch(ctx, byKeys(func(b *pgx.Batch) {
		if len(w.callID) > 0 {
			b.Queue(writeChunks, w.callID, w.index, w.first, w.last, w.startMs, w.endMs, w.text, w.tokens, w.hash,
				w.accounts, w.opportunities, callIDs)
		}
		// By the key list, not a join with unnest: the planner would read the whole
		// table's index to join it.
		b.Queue(`DELETE FROM transcript_chunks t WHERE t.call_id = ANY($1)
			AND t.chunk_index >= ($2::int[])[array_position($1, t.call_id)]`, callIDs, keep)
		b.Queue("RESET jit")
	})).Close()
	if err != nil {
		return fmt.Errorf("derive chunks: %w", err)
	}
	return nil
}

// sentencesOf lists the sentences of transcripts as deriveSentences would read them
// once written: by call, in index order, the last of a repeated index kept (as
// writeChildren keeps it).
func sentencesOf(ts []*Transcript) []storedSentence {
	var out []storedSentence
	for _, t := range ts {
		ss := slices.Clone(t.Sentences)
		slices.SortStableFunc(ss, func(a, b Sentence) int { return int(a.SentenceIndex) - int(b.SentenceIndex) })
		for i, s := range ss {
			if i+1 < len(ss) && ss[i+1].SentenceIndex == s.SentenceIndex {
				continue
			}
			out = append(out, storedSentence{callID: t.CallID, index: s.SentenceIndex, turn: s.MonologueIndex,
				speakerID: s.SpeakerID, topic: s.Topic, startMs: s.StartMs, endMs: s.EndMs, text: s.Text})
		}
	}
	slices.SortStableFunc(out, func(a, b storedSentence) int { return strings.Compare(a.callID, b.callID) })
	return out
}

// storedSentence is a sentence as deriveSentences reads it.
type storedSentence struct {
	callID           string
	index, turn      int32
	speakerID, topic *string
	startMs, endMs   int64
	text             string
}

// turnKey names a speaker of a call.
type turnKey struct {
	callID  string
	speaker string
}

// speaker is a call's party as a turn names it.
type speaker struct {
	name, title *string
	side        string // internal, external or unknown
	userID      *string
}

// callChunking is what a call's chunks depend on beyond its sentences and speakers.
type callChunking struct {
	chunked                 bool     // the call may have chunks
	company                 string   // its CRM account's name, or ""
	accounts, opportunities []string // CRM ids, sorted, without repeats
	companyAtCall           bool     // company is the account's name at the time of the call
	companyObject           string   // the account company is the name of
}

// addObject notes one of the call's CRM objects.
func (c *callChunking) addObject(typ, id string) {
	switch typ {
	case "Account":
		c.accounts = insertSorted(c.accounts, id)
	case "Opportunity":
		c.opportunities = insertSorted(c.opportunities, id)
	}
}

// nameAccount notes an account's name: the company is the name at the time of the call
// when Gong sent it (else now), of the account with the lowest id.
func (c *callChunking) nameAccount(id, timing, name string) {
	atCall := timing == "TimeOfCall"
	better := c.company == "" ||
		atCall && !c.companyAtCall ||
		atCall == c.companyAtCall && id < c.companyObject
	if better {
		c.company, c.companyAtCall, c.companyObject = name, atCall, id
	}
}

func insertSorted(ids []string, id string) []string {
	i, found := slices.BinarySearch(ids, id)
	if found {
		return ids
	}
	return slices.Insert(ids, i, id)
}

// turnColumns are the columns of transcript_turns, in the order turn.row gives them.
var turnColumns = []string{"call_id", "turn_index", "speaker_id", "speaker_name", "speaker_title", "affiliation",
	"user_id", "topic", "start_ms", "end_ms", "text", "word_count"}

// row is the turn as a row of transcript_turns. Its text is its sentences joined with
// single spaces; its word count, the runs of characters between white space.
func (t *chunkTurn) row(callID string) []any {
	texts := make([]string, len(t.Sentences))
	words := 0
	for i, s := range t.Sentences {
		texts[i] = s.Text
		words += len(strings.Fields(s.Text))
	}
	first, last := t.Sentences[0], t.Sentences[len(t.Sentences)-1]
	end := last.EndMs
	for _, s := range t.Sentences {
		end = max(end, s.EndMs)
	}
	start := first.StartMs
	for _, s := range t.Sentences {
		start = min(start, s.StartMs)
	}
	return []any{callID, t.index, t.speakerID, t.speaker.name, t.speaker.title, t.speaker.side, t.speaker.userID,
		t.topic, start, end, strings.Join(texts, " "), words}
}

// chunkColumns are chunks as the columns writeChunks takes.
type chunkColumns struct {
	callID             []string
	index, first, last []int32
	startMs, endMs     []int64
	text, hash         []string
	tokens             []int32
	// The call's CRM ids, joined with the unit separator (U+001F): pgx sends no
	// array of arrays of uneven length, and CRM ids never hold it.
	accounts, opportunities []string
}

func (w *chunkColumns) add(call string, i int32, c chunk, accounts, opportunities string) {
	w.accounts = append(w.accounts, accounts)
	w.opportunities = append(w.opportunities, opportunities)
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

// turnsOf groups one call's sentences, in order, into its turns (a turn per monologue
// index), each with its speaker and the label its chunk lines carry.
func turnsOf(sents []storedSentence, speakers map[turnKey]speaker, company string) []chunkTurn {
	var turns []chunkTurn
	for i, s := range sents {
		if i == 0 || s.turn != sents[i-1].turn {
			t := chunkTurn{index: s.turn, speakerID: s.speakerID, topic: s.topic, speaker: speaker{side: "unknown"}}
			if s.speakerID != nil {
				if sp, ok := speakers[turnKey{s.callID, *s.speakerID}]; ok {
					t.speaker = sp
				}
			}
			name := ""
			if t.speaker.name != nil {
				name = *t.speaker.name
			}
			if t.speaker.side != "external" {
				t.Label = speakerLabel(name, "", t.speaker.side)
			} else {
				t.Label = speakerLabel(name, company, t.speaker.side)
			}
			turns = append(turns, t)
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

// chunkTurn is a turn: its speaker's label and its sentences in order, to pack, and
// what its row of transcript_turns says.
type chunkTurn struct {
	Label     string
	Sentences []packSentence

	index            int32
	speakerID, topic *string
	speaker          speaker
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
