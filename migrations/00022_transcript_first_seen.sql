-- Transcripts when Gong has them. Gong processes a call's recording for a while after
-- the call ends; gongsync learns how long from the calls it has seen: the time from a
-- call's end to the first time it found the transcript at Gong. The transcripts stream
-- asks again for a transcript Gong does not have yet near the time by which most of
-- them are ready (sync/transcripts.go), not only on a fixed backoff.

-- +goose Up
ALTER TABLE calls ADD COLUMN transcript_first_seen_at timestamptz;
COMMENT ON COLUMN calls.transcript_first_seen_at IS 'gongsync bookkeeping: when gongsync first found the call''s transcript at Gong (its clock), kept when the transcript is fetched again; less the call''s end, Gong''s processing time, which paces the retries of transcripts not ready yet. Null until then, and for transcripts fetched before gongsync kept it.';
CREATE OR REPLACE VIEW live_calls AS SELECT c.* FROM calls c WHERE c.deleted_at IS NULL;
COMMENT ON COLUMN live_calls.transcript_first_seen_at IS 'gongsync bookkeeping: when gongsync first found the call''s transcript at Gong (its clock), kept when the transcript is fetched again; less the call''s end, Gong''s processing time, which paces the retries of transcripts not ready yet. Null until then, and for transcripts fetched before gongsync kept it.';
-- The calls waiting for a transcript say when they ended, to schedule their retries.
CREATE OR REPLACE VIEW transcripts_waiting AS
SELECT id                                                AS call_id,
       started,
       transcript_attempts                               AS attempts,
       coalesce(transcript_next_attempt_at, '-infinity') AS due_at,
       started + duration_seconds * interval '1 second'  AS ended
FROM calls
WHERE transcript_status = 'pending' AND deleted_at IS NULL;
COMMENT ON COLUMN transcripts_waiting.ended IS 'When the call ended (started plus its duration; timestamptz): Gong''s processing of the recording starts then.';
-- The measurement reads the recent calls whose transcript was seen.
CREATE INDEX calls_transcript_first_seen_idx ON calls (transcript_first_seen_at) WHERE transcript_first_seen_at IS NOT NULL;

-- +goose Down
DROP VIEW transcripts_waiting;
CREATE VIEW transcripts_waiting AS
SELECT id                                                AS call_id,
       started,
       transcript_attempts                               AS attempts,
       coalesce(transcript_next_attempt_at, '-infinity') AS due_at
FROM calls
WHERE transcript_status = 'pending' AND deleted_at IS NULL;
COMMENT ON VIEW transcripts_waiting IS 'Calls still waiting for their transcript (POST /v2/calls/transcript): pending and not deleted. gongsync bookkeeping; due once due_at <= now().';
COMMENT ON COLUMN transcripts_waiting.call_id IS 'The call''s Gong id; joins calls.id.';
COMMENT ON COLUMN transcripts_waiting.started IS 'When the call started (timestamptz).';
COMMENT ON COLUMN transcripts_waiting.attempts IS 'How many times Gong was asked for this transcript and had none yet.';
COMMENT ON COLUMN transcripts_waiting.due_at IS 'When gongsync asks again (timestamptz); -infinity when never asked: due at once.';
DROP INDEX calls_transcript_first_seen_idx;
DROP VIEW live_calls;
ALTER TABLE calls DROP COLUMN transcript_first_seen_at;
CREATE VIEW live_calls AS SELECT c.* FROM calls c WHERE c.deleted_at IS NULL;
COMMENT ON VIEW live_calls IS 'The calls Gong still has: calls without deleted_at. Start here.';
