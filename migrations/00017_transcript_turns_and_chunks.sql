-- Transcripts in the shapes an AI assistant reads (issue 27): one row per speaker turn,
-- and the turns packed into chunks sized for an embedding model. Both are derived from
-- transcript_sentences and the call's rows, in the transaction that writes them
-- (store/turns.go); nothing here asks Gong for anything. The turns of the transcripts
-- already stored are filled below, in SQL; their chunks, which are packed in Go, are
-- built by the next run, sync, backfill or migrate (Store.BuildMissingChunks).

-- +goose Up
CREATE TABLE transcript_turns (
    call_id       text NOT NULL,
    turn_index    integer NOT NULL,
    speaker_id    text,
    speaker_name  text,
    speaker_title text,
    affiliation   text NOT NULL CHECK (affiliation IN ('internal', 'external', 'unknown')),
    user_id       text,
    topic         text,
    start_ms      bigint NOT NULL,
    end_ms        bigint NOT NULL,
    text          text NOT NULL,
    word_count    integer NOT NULL,
    PRIMARY KEY (call_id, turn_index)
);

CREATE TABLE transcript_chunks (
    call_id             text NOT NULL,
    chunk_index         integer NOT NULL,
    first_sentence      integer NOT NULL,
    last_sentence       integer NOT NULL,
    start_ms            bigint NOT NULL,
    end_ms              bigint NOT NULL,
    text                text NOT NULL,
    token_estimate      integer NOT NULL,
    call_title          text,
    call_started        timestamptz,
    workspace_id        text,
    crm_account_ids     text[] NOT NULL,
    crm_opportunity_ids text[] NOT NULL,
    content_hash        text NOT NULL,
    updated_at          timestamptz NOT NULL,
    PRIMARY KEY (call_id, chunk_index)
);
-- The texts are compressed with lz4 where the server has it, as raw is (00001): pglz
-- costs several times the CPU on every write.
-- +goose StatementBegin
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        ALTER TABLE transcript_turns ALTER COLUMN text SET COMPRESSION lz4;
        ALTER TABLE transcript_chunks ALTER COLUMN text SET COMPRESSION lz4;
    END IF;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available: turns and chunks are compressed with pglz';
END
$$;
-- +goose StatementEnd
-- "The chunks changed since my last embedding run" (docs/queries.sql).
CREATE INDEX transcript_chunks_updated_at_idx ON transcript_chunks (updated_at, call_id, chunk_index);

CREATE VIEW live_transcript_turns AS SELECT t.* FROM transcript_turns t
    WHERE EXISTS (SELECT FROM calls c WHERE c.id = t.call_id AND c.deleted_at IS NULL);
CREATE VIEW live_transcript_chunks AS SELECT t.* FROM transcript_chunks t
    WHERE EXISTS (SELECT FROM calls c WHERE c.id = t.call_id AND c.deleted_at IS NULL);

-- The turns an assistant may read: of live calls that are not private and that no
-- erasure named. A session that sets gongsync.ai_include_private to on (the store
-- does when GONGSYNC_AI_INCLUDE_PRIVATE=true) sees the private and erased ones too.
CREATE VIEW assistant_transcript_turns AS SELECT t.* FROM transcript_turns t
    WHERE EXISTS (SELECT FROM calls c WHERE c.id = t.call_id AND c.deleted_at IS NULL
        AND (current_setting('gongsync.ai_include_private', true) = 'on'
            OR (c.is_private IS NOT TRUE
                AND NOT EXISTS (SELECT FROM erasures e WHERE c.id = ANY (e.erased_call_ids)))));

-- The turns of the transcripts already stored, in SQL; the store derives new ones in Go
-- (store/turns.go), and TestExistingTranscriptsGainTurnsAndChunks holds the two to the
-- same rows.
INSERT INTO transcript_turns (call_id, turn_index, speaker_id, speaker_name, speaker_title, affiliation,
    user_id, topic, start_ms, end_ms, text, word_count)
SELECT m.call_id, m.monologue_index, m.speaker_id, p.name, p.title,
    CASE lower(p.affiliation) WHEN 'internal' THEN 'internal' WHEN 'external' THEN 'external' ELSE 'unknown' END,
    p.user_id, m.topic, m.start_ms, m.end_ms, m.text,
    CASE WHEN m.text ~ '\S' THEN cardinality(regexp_split_to_array(btrim(m.text, E' \t\n\r'), '\s+')) ELSE 0 END
FROM (SELECT call_id, monologue_index,
        (array_agg(speaker_id ORDER BY sentence_index))[1] AS speaker_id,
        (array_agg(topic ORDER BY sentence_index))[1] AS topic,
        min(start_ms) AS start_ms, max(end_ms) AS end_ms,
        string_agg(text, ' ' ORDER BY sentence_index) AS text
    FROM transcript_sentences GROUP BY call_id, monologue_index) m
LEFT JOIN LATERAL (SELECT p.name, p.title, p.affiliation, p.user_id FROM call_parties p
    WHERE p.call_id = m.call_id AND p.speaker_id = m.speaker_id ORDER BY p.party_id LIMIT 1) p ON true;

COMMENT ON TABLE transcript_turns IS 'gongsync bookkeeping: one row per monologue of a transcript (a speaker''s uninterrupted turn), derived from transcript_sentences and call_parties in the transaction that writes the transcript, and derived again when the call is rewritten (its parties may have changed names).';
COMMENT ON COLUMN transcript_turns.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN transcript_turns.turn_index IS 'The turn''s position in the call, from 0: transcript_sentences.monologue_index.';
COMMENT ON COLUMN transcript_turns.speaker_id IS 'Who spoke: with call_id, joins call_parties.speaker_id.';
COMMENT ON COLUMN transcript_turns.speaker_name IS 'The speaker''s name as the call''s party has it when the turn was derived (the party with the lowest party_id when several share the speaker id); null when Gong named none.';
COMMENT ON COLUMN transcript_turns.speaker_title IS 'The speaker''s job title as the call''s party has it; null when Gong has none.';
COMMENT ON COLUMN transcript_turns.affiliation IS 'internal (from the company), external, or unknown (Gong did not know, or no party has the speaker id): call_parties.affiliation in lower case.';
COMMENT ON COLUMN transcript_turns.user_id IS 'The speaker''s Gong user, when the speaker is one. Joins users.id.';
COMMENT ON COLUMN transcript_turns.topic IS 'The topic of the monologue, when Gong named one.';
COMMENT ON COLUMN transcript_turns.start_ms IS 'When the turn''s first sentence starts, in milliseconds from the start of the call.';
COMMENT ON COLUMN transcript_turns.end_ms IS 'When the turn''s last sentence ends, in milliseconds from the start of the call.';
COMMENT ON COLUMN transcript_turns.text IS 'The turn''s sentences in order, joined with single spaces.';
COMMENT ON COLUMN transcript_turns.word_count IS 'Words in text: runs of characters between white space.';

COMMENT ON TABLE transcript_chunks IS 'gongsync bookkeeping: each transcript cut into chunks ready to embed: its turns packed in order into chunks of at most GONGSYNC_CHUNK_TOKENS estimated tokens (default 512), never across calls, never inside a sentence, one line per turn labelled with the speaker and side. Private calls and calls an erasure named have none unless GONGSYNC_AI_INCLUDE_PRIVATE=true. Rebuilt with the transcript and when the call is rewritten; a chunk whose text did not change keeps its content_hash and updated_at. Key embeddings by (call_id, content_hash).';
COMMENT ON COLUMN transcript_chunks.call_id IS 'The call. Joins calls.id.';
COMMENT ON COLUMN transcript_chunks.chunk_index IS 'The chunk''s position in the call, from 0. It shifts when an earlier part of the transcript gains or loses a chunk; content_hash does not.';
COMMENT ON COLUMN transcript_chunks.first_sentence IS 'The first sentence in the chunk: transcript_sentences.sentence_index.';
COMMENT ON COLUMN transcript_chunks.last_sentence IS 'The last sentence in the chunk: transcript_sentences.sentence_index.';
COMMENT ON COLUMN transcript_chunks.start_ms IS 'When the chunk''s first sentence starts, in milliseconds from the start of the call.';
COMMENT ON COLUMN transcript_chunks.end_ms IS 'When the chunk''s last sentence ends, in milliseconds from the start of the call.';
COMMENT ON COLUMN transcript_chunks.text IS 'The text to embed: one line per turn (or part of a turn), "Speaker Name (Company, external): sentences…", or "(internal)", "(external)", "(unknown)" when the company is not known. The company of an external speaker is the call''s CRM account name.';
COMMENT ON COLUMN transcript_chunks.token_estimate IS 'gongsync''s token estimate of text: its characters (Unicode code points) divided by 4, rounded up. At most GONGSYNC_CHUNK_TOKENS, except a chunk of a single sentence longer than that.';
COMMENT ON COLUMN transcript_chunks.call_title IS 'The call''s title (calls.title) when the chunk was built.';
COMMENT ON COLUMN transcript_chunks.call_started IS 'When the call started (calls.started, timestamptz).';
COMMENT ON COLUMN transcript_chunks.workspace_id IS 'The call''s workspace. Joins workspaces.id.';
COMMENT ON COLUMN transcript_chunks.crm_account_ids IS 'The CRM ids of the accounts linked to the call (call_crm_objects of type Account), sorted.';
COMMENT ON COLUMN transcript_chunks.crm_opportunity_ids IS 'The CRM ids of the opportunities linked to the call (call_crm_objects of type Opportunity), sorted.';
COMMENT ON COLUMN transcript_chunks.content_hash IS 'gongsync bookkeeping: SHA-256 of text, in hex. Equal hashes, equal text: an embedding keyed by it stays valid.';
COMMENT ON COLUMN transcript_chunks.updated_at IS 'gongsync bookkeeping: when text last changed (timestamptz). A rebuild that leaves the text as it was keeps it, even when the chunk moved or its other columns changed; re-embed WHERE updated_at > your last run.';

COMMENT ON VIEW live_transcript_turns IS 'transcript_turns of live calls: transcripts, one speaker turn per row.';
COMMENT ON VIEW live_transcript_chunks IS 'transcript_chunks of live calls: the chunks to embed; private calls have none unless GONGSYNC_AI_INCLUDE_PRIVATE=true.';
COMMENT ON VIEW assistant_transcript_turns IS 'The turns an AI assistant may read: live_transcript_turns without private calls and calls an erasure named, unless the session sets gongsync.ai_include_private to on (gongsync does when GONGSYNC_AI_INCLUDE_PRIVATE=true).';

-- +goose StatementBegin
DO $$
DECLARE
    v text;
    c record;
BEGIN
    -- Each view's columns carry their table's comments.
    FOREACH v IN ARRAY ARRAY['live_transcript_turns', 'assistant_transcript_turns', 'live_transcript_chunks'] LOOP
        FOR c IN SELECT a.attname, col_description(a.attrelid, a.attnum) AS d FROM pg_attribute a
                WHERE a.attrelid = to_regclass(CASE WHEN v LIKE '%chunks' THEN 'transcript_chunks' ELSE 'transcript_turns' END)
                    AND a.attnum > 0 AND NOT a.attisdropped LOOP
            EXECUTE format('COMMENT ON COLUMN %I.%I IS %L', v, c.attname, c.d);
        END LOOP;
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP VIEW assistant_transcript_turns;
DROP VIEW live_transcript_chunks;
DROP VIEW live_transcript_turns;
DROP TABLE transcript_chunks;
DROP TABLE transcript_turns;
