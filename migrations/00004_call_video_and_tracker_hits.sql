-- What the calls stream kept only inside JSON, as rows an analyst can query: the
-- video measures of a call (interaction.video) and each hit of a tracker (when in the
-- call, who said it, which phrase). Both are child tables of calls like the others:
-- rewritten as a set whenever a call is new or changed.
--
-- mapping_version records which version of gongsync's mapping derived a call's
-- columns and child rows from its raw document. Calls stored before this migration
-- have version 1; gongsync re-derives their rows from raw (`gongsync remap`, also run
-- at the start of run, sync and backfill) without asking Gong again.

-- +goose Up

CREATE TABLE call_video_stats (
    call_id          text NOT NULL,
    name             text NOT NULL,
    duration_seconds double precision NOT NULL,
    PRIMARY KEY (call_id, name)
);

CREATE TABLE call_tracker_occurrences (
    call_id          text NOT NULL,
    tracker_id       text NOT NULL,
    occurrence_index integer NOT NULL,
    start_seconds    double precision NOT NULL,
    speaker_id       text,
    phrase           text,
    PRIMARY KEY (call_id, tracker_id, occurrence_index)
);
CREATE INDEX call_tracker_occurrences_tracker_idx ON call_tracker_occurrences (tracker_id);

ALTER TABLE calls ADD COLUMN mapping_version integer NOT NULL DEFAULT 1;
-- Finds the calls an older mapping produced at once, however many calls there are;
-- all but a few share one value, which btree deduplication stores compactly.
CREATE INDEX calls_mapping_version_idx ON calls (mapping_version);

-- +goose Down

DROP INDEX calls_mapping_version_idx;
ALTER TABLE calls DROP COLUMN mapping_version;
DROP TABLE call_tracker_occurrences;
DROP TABLE call_video_stats;
