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

-- +goose Down
DROP VIEW transcripts_waiting;
