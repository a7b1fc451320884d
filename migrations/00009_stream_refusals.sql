-- Gong's refusals of a stream's endpoint for want of an OAuth scope (a 401 that names
-- the scope). Such a refusal concerns one stream, not the credentials: the other
-- streams go on, and this one is not asked again until asked_again_after (or at once
-- when an operator names it), so the budget is not spent on refusals every 15 minutes.
-- A successful run of the stream clears its row.

-- +goose Up
CREATE TABLE stream_refusals (
    stream            text PRIMARY KEY CHECK (stream <> ''),
    scope             text NOT NULL,
    endpoint          text NOT NULL,
    refused_at        timestamptz NOT NULL,
    asked_again_after timestamptz NOT NULL
);
COMMENT ON TABLE stream_refusals IS 'gongsync bookkeeping: streams whose endpoint Gong refused for want of an OAuth scope (a 401 naming the scope), and when gongsync asks again. A successful run of the stream removes its row.';
COMMENT ON COLUMN stream_refusals.stream IS 'gongsync bookkeeping: the stream refused (users, calls, transcripts, …).';
COMMENT ON COLUMN stream_refusals.scope IS 'gongsync bookkeeping: the scope Gong named, to be granted to the app or key (e.g. api:calls:read:transcript).';
COMMENT ON COLUMN stream_refusals.endpoint IS 'gongsync bookkeeping: the endpoint that refused, as "METHOD /path".';
COMMENT ON COLUMN stream_refusals.refused_at IS 'gongsync bookkeeping: when Gong refused (timestamptz, on the engine''s clock).';
COMMENT ON COLUMN stream_refusals.asked_again_after IS 'gongsync bookkeeping: until then the daemon and an unnamed sync skip the stream (timestamptz).';

-- +goose Down
DROP TABLE stream_refusals;
