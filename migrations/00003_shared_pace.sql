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

-- +goose Down

DROP TABLE api_pace;
