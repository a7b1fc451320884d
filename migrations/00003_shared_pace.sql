-- The shared pace. Gong allows about 3 requests a second for the whole company, as it
-- allows 10,000 a day: a limit on every process that talks to it, not on each one.
-- The daily slot of a request (api_usage) and its send time are taken in one statement:
-- the send time is the later of the database's clock and the previous reservation's
-- send time plus the interval between requests (1/GONG_RATE_LIMIT), and this row then
-- holds the earliest time the next request may go out. Every process of a schema,
-- on any machine, reads the one row, so their requests together keep the pace; its row
-- lock queues reservations in the order they ask.

-- +goose Up

CREATE TABLE api_pace (
    -- One row: the key is true and cannot be anything else.
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),
    -- The earliest time (database clock) the next reserved request may be sent.
    next_send_at timestamptz NOT NULL DEFAULT '-infinity',
    updated_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO api_pace DEFAULT VALUES;

COMMENT ON TABLE api_pace IS 'gongsync bookkeeping: the per-second pace shared by every gongsync process on this schema, one row. Each request takes its send time here in the statement that counts it in api_usage: the later of the database''s clock and the previous send time plus 1/GONG_RATE_LIMIT.';
COMMENT ON COLUMN api_pace.id IS 'gongsync bookkeeping: always true: the table holds one row.';
COMMENT ON COLUMN api_pace.next_send_at IS 'gongsync bookkeeping: the earliest time the next request may be sent, on the database''s clock (timestamptz); -infinity before the first.';
COMMENT ON COLUMN api_pace.updated_at IS 'gongsync bookkeeping: when a request last took its send time (timestamptz).';

-- +goose Down

DROP TABLE api_pace;
