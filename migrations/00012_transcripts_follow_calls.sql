-- Transcripts follow their calls. A call's transcript depends on its recording: when
-- Gong re-processes it (the duration changes), or the speakers change, the stored
-- transcript may no longer be Gong's. transcript_basis is a fingerprint of what the
-- transcript depends on, written with every call; when a re-read call comes back with
-- another basis, its transcript is due again (the store's upsert sets it pending), and
-- the next transcripts batch replaces the sentences in one transaction.

-- +goose Up
ALTER TABLE calls ADD COLUMN transcript_basis text;
COMMENT ON COLUMN calls.transcript_basis IS 'gongsync bookkeeping: a fingerprint of what the call''s transcript depends on (duration, media, the parties'' speaker ids); when a re-read gives another, the transcript is fetched again. Null for calls stored before gongsync kept it.';
CREATE OR REPLACE VIEW live_calls AS SELECT c.* FROM calls c WHERE c.deleted_at IS NULL;
COMMENT ON COLUMN live_calls.transcript_basis IS 'gongsync bookkeeping: a fingerprint of what the call''s transcript depends on (duration, media, the parties'' speaker ids); when a re-read gives another, the transcript is fetched again. Null for calls stored before gongsync kept it.';

-- +goose Down
DROP VIEW live_calls;
ALTER TABLE calls DROP COLUMN transcript_basis;
CREATE VIEW live_calls AS SELECT c.* FROM calls c WHERE c.deleted_at IS NULL;
COMMENT ON VIEW live_calls IS 'The calls Gong still has: calls without deleted_at. Start here.';
