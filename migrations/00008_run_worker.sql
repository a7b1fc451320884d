-- Many workers (`gongsync run` on several machines against one control schema) take
-- turns at a connection's streams: each run says which process ran it, so that an
-- operator (and the tests) can see who did what, and that no stream ever ran in two
-- places at once.

-- +goose Up

ALTER TABLE sync_runs ADD COLUMN worker text;

COMMENT ON COLUMN sync_runs.worker IS 'gongsync bookkeeping: the process that ran it (host:pid, and the River worker when one ran it as a job); null for runs recorded before the column existed.';

-- +goose Down

ALTER TABLE sync_runs DROP COLUMN worker;
