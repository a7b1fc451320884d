-- A record gongsync cannot use (a shape it does not decode, no id) no longer fails its
-- page: it is kept here, byte for byte as Gong sent it, in the transaction that commits
-- the page's other records and the checkpoint, so the stream moves on. Reading the same
-- record again updates its row (last_seen_at, times_seen) rather than adding one; a
-- later read that stores it (Gong sent it properly, or `gongsync remap` with a newer
-- decoder) removes its row in the transaction that stores it.

-- +goose Up
CREATE TABLE quarantine (
    stream        text NOT NULL CHECK (stream <> ''),
    endpoint      text NOT NULL CHECK (endpoint <> ''),
    record_key    text NOT NULL CHECK (record_key <> ''),
    record_id     text,
    record_index  integer NOT NULL,
    raw           bytea NOT NULL,
    error         text NOT NULL,
    first_seen_at timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    times_seen    bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (stream, endpoint, record_key)
);
-- A record that is stored fine leaves the quarantine whichever stream read it.
CREATE INDEX quarantine_endpoint_key_idx ON quarantine (endpoint, record_key);

COMMENT ON TABLE quarantine IS 'gongsync bookkeeping: records Gong sent that gongsync could not store (a shape it does not decode, or no id), kept byte for byte so their page and every later one could still be committed. A later read that stores the record, or `gongsync remap` once the decoder takes it, removes its row. `gongsync status` counts them per stream.';
COMMENT ON COLUMN quarantine.stream IS 'gongsync bookkeeping: the stream whose page held the record (calls, settle, sweep, backfill, users, answered_scorecards, …).';
COMMENT ON COLUMN quarantine.endpoint IS 'gongsync bookkeeping: the endpoint that sent it, as "METHOD /path" (e.g. POST /v2/calls/extensive).';
COMMENT ON COLUMN quarantine.record_key IS 'gongsync bookkeeping: what tells the record from the others of its endpoint: its id when one could be read, else "sha256:" and the hex SHA-256 of raw.';
COMMENT ON COLUMN quarantine.record_id IS 'Gong''s id of the record (a call''s metaData.id, a user''s id, an answeredScorecardId, …) when one could be read from it; null otherwise.';
COMMENT ON COLUMN quarantine.record_index IS 'gongsync bookkeeping: the record''s position (0-based) in the array of the page it last came in.';
COMMENT ON COLUMN quarantine.raw IS 'The record exactly as Gong sent it, byte for byte (bytea, not jsonb: jsonb would reorder keys, drop repeated ones and reformat numbers). convert_from(raw, ''UTF8'') shows it as text.';
COMMENT ON COLUMN quarantine.error IS 'gongsync bookkeeping: why gongsync could not store it, as its decoder said the last time it was read.';
COMMENT ON COLUMN quarantine.first_seen_at IS 'gongsync bookkeeping: when gongsync first read the record this way (timestamptz).';
COMMENT ON COLUMN quarantine.last_seen_at IS 'gongsync bookkeeping: when gongsync last read the record this way (timestamptz).';
COMMENT ON COLUMN quarantine.times_seen IS 'gongsync bookkeeping: how many pages have carried the record this way.';

-- +goose Down
DROP TABLE quarantine;
