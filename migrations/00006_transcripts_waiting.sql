-- Calls waiting for their transcript, in one place: the transcripts stream takes its
-- batches from this view, `gongsync status` counts it, and docs/queries.sql's
-- sync_health reads it, so the three can never disagree on what "waiting" means.
--
-- A call waits while its transcript is 'pending' and the call is not deleted. It is
-- due once due_at has come: at once when it was never asked for, otherwise at the
-- time the last attempt set (Gong makes transcripts hours after a call, so a call
-- asked too early is asked again later, with backoff, until it leaves the settle
-- window and becomes 'unavailable'). Count the due ones with `due_at <= now()`.

-- +goose Up
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

-- +goose Down
DROP VIEW transcripts_waiting;
