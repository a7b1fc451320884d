-- Many workers (`gongsync run` on several machines against one control schema) take
-- turns at a connection's streams: each run says which process ran it, so that an
-- operator (and the tests) can see who did what, and that no stream ever ran in two
-- places at once.

-- +goose Up

ALTER TABLE sync_runs ADD COLUMN worker text;

COMMENT ON COLUMN sync_runs.worker IS 'gongsync bookkeeping: the worker of the registry that ran it (host:pid); null for runs of a command or of a single connection''s daemon.';

-- +goose Down

ALTER TABLE sync_runs DROP COLUMN worker;
