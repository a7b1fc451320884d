-- Scorecards: how a team coaches in Gong. A scorecard's definition (its questions)
-- comes from GET /v2/settings/scorecards, a full refresh that marks what vanished;
-- each review of a call answers one, from POST /v2/stats/activity/scorecards, read by
-- review date (reviews are added and edited after the call). The definitions and the
-- answered scorecards are entities (raw, content hash, the four bookkeeping times);
-- their questions and answers are child rows, rewritten as a set with their parent,
-- without a foreign key, as the call child tables are (see 00001).

-- +goose Up
CREATE TABLE scorecards (
    id              text PRIMARY KEY CHECK (id <> ''),
    name            text,
    workspace_id    text,
    enabled         boolean,
    review_method   text,
    updater_user_id text,
    created         timestamptz,
    updated         timestamptz,
    raw             jsonb NOT NULL,
    content_hash    bytea NOT NULL,
    first_seen_at   timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    deleted_at      timestamptz
);

CREATE TABLE scorecard_questions (
    scorecard_id         text NOT NULL,
    question_id          text NOT NULL,
    question_revision_id text,
    position             integer NOT NULL,
    question_text        text,
    question_type        text,
    is_overall           boolean,
    answer_guide         text,
    min_range            bigint,
    max_range            bigint,
    answer_options       jsonb,
    created              timestamptz,
    updated              timestamptz,
    updater_user_id      text,
    PRIMARY KEY (scorecard_id, question_id)
);
-- Answers name the question they answer, not its scorecard: "the questions where reps
-- score lowest" joins them here.
CREATE INDEX scorecard_questions_question_id_idx ON scorecard_questions (question_id);

CREATE TABLE answered_scorecards (
    id               text PRIMARY KEY CHECK (id <> ''),
    scorecard_id     text,
    scorecard_name   text,
    call_id          text,
    call_started     timestamptz,
    reviewed_user_id text,
    reviewer_user_id text,
    review_time      timestamptz,
    review_date      date,
    visibility       text,
    raw              jsonb NOT NULL,
    content_hash     bytea NOT NULL,
    first_seen_at    timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    last_seen_at     timestamptz NOT NULL,
    deleted_at       timestamptz
);
-- The deletion sweep of a completely read range of review dates.
CREATE INDEX answered_scorecards_review_date_idx ON answered_scorecards (review_date) WHERE deleted_at IS NULL;
-- Reviews of a call, and a rep's reviews over time.
CREATE INDEX answered_scorecards_call_id_idx ON answered_scorecards (call_id);
CREATE INDEX answered_scorecards_reviewed_user_idx ON answered_scorecards (reviewed_user_id, call_started);

CREATE TABLE answered_scorecard_answers (
    answered_scorecard_id text NOT NULL,
    question_id           text NOT NULL,
    question_revision_id  text,
    is_overall            boolean,
    score                 bigint,
    answer_text           text,
    not_applicable        boolean,
    selected_options      text[],
    PRIMARY KEY (answered_scorecard_id, question_id)
);
CREATE INDEX answered_scorecard_answers_question_id_idx ON answered_scorecard_answers (question_id);

-- lz4 for the raw documents, as for the other entity tables (00001).
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        FOREACH t IN ARRAY ARRAY['scorecards', 'answered_scorecards'] LOOP
            EXECUTE format('ALTER TABLE %I ALTER COLUMN raw SET COMPRESSION lz4', t);
        END LOOP;
    END IF;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available: raw documents are compressed with pglz';
END
$$;
-- +goose StatementEnd

-- Views of the live data (see 00005): a deleted scorecard's questions and a deleted
-- review's answers are left out with their parent; a review of a call gongsync knows to
-- be deleted is left out too (a review whose call was not synced stays: its call may
-- simply not be in the calls stream's range).
CREATE VIEW live_scorecards AS SELECT s.* FROM scorecards s WHERE s.deleted_at IS NULL;
CREATE VIEW live_scorecard_questions AS SELECT q.* FROM scorecard_questions q
    WHERE EXISTS (SELECT FROM scorecards s WHERE s.id = q.scorecard_id AND s.deleted_at IS NULL);
CREATE VIEW live_answered_scorecards AS SELECT a.* FROM answered_scorecards a
    WHERE a.deleted_at IS NULL
      AND NOT EXISTS (SELECT FROM calls c WHERE c.id = a.call_id AND c.deleted_at IS NOT NULL);
CREATE VIEW live_answered_scorecard_answers AS SELECT x.* FROM answered_scorecard_answers x
    WHERE EXISTS (SELECT FROM live_answered_scorecards a WHERE a.id = x.answered_scorecard_id);

COMMENT ON TABLE scorecards IS 'Scorecard definitions (GET /v2/settings/scorecards): the forms reviewers fill in about a call, refreshed in full with the users. A scorecard Gong stops returning keeps its row with deleted_at set. Its questions are in scorecard_questions.';
COMMENT ON TABLE scorecard_questions IS 'The questions of each scorecard, in order, as the definition has them now. Rewritten with the scorecard whenever it changes; answers keep the revision they answered (answered_scorecard_answers.question_revision_id).';
COMMENT ON TABLE answered_scorecards IS 'Answered scorecards (POST /v2/stats/activity/scorecards): one row per review of a call, by a reviewer about the user who hosted it. Read by review date, re-read as reviews are added and edited; one Gong stops returning keeps its row with deleted_at set. Its answers are in answered_scorecard_answers.';
COMMENT ON TABLE answered_scorecard_answers IS 'The answers of each answered scorecard, one row per question. Rewritten with the answered scorecard whenever it changes.';

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['scorecards', 'answered_scorecards'] LOOP
        EXECUTE format('COMMENT ON COLUMN %I.raw IS %L', t,
            'The record exactly as Gong sent it (JSON), including fields that have no column of their own.');
        EXECUTE format('COMMENT ON COLUMN %I.content_hash IS %L', t,
            'gongsync bookkeeping: SHA-256 of raw, to tell a changed record from one read again unchanged.');
        EXECUTE format('COMMENT ON COLUMN %I.first_seen_at IS %L', t,
            'gongsync bookkeeping: when gongsync first stored the record (timestamptz, the database''s clock).');
        EXECUTE format('COMMENT ON COLUMN %I.updated_at IS %L', t,
            'gongsync bookkeeping: when the record''s content last changed, or it was deleted or restored (timestamptz). Not Gong''s modification time.');
        EXECUTE format('COMMENT ON COLUMN %I.last_seen_at IS %L', t,
            'gongsync bookkeeping: the last time Gong returned the record (timestamptz).');
        EXECUTE format('COMMENT ON COLUMN %I.deleted_at IS %L', t,
            'gongsync bookkeeping: when gongsync found the record gone from Gong (timestamptz); null while Gong has it. Nothing is removed: the live_ views leave these rows out.');
    END LOOP;
END
$$;
-- +goose StatementEnd

COMMENT ON COLUMN scorecards.id IS 'Gong''s unique numeric identifier for the scorecard (scorecardId, up to 20 digits, kept as text whether Gong sends a string or a number).';
COMMENT ON COLUMN scorecards.name IS 'The name of the scorecard (scorecardName), e.g. Discovery Call Scorecard.';
COMMENT ON COLUMN scorecards.workspace_id IS 'The workspace the scorecard belongs to. Joins workspaces.id.';
COMMENT ON COLUMN scorecards.enabled IS 'True if reviewers can fill the scorecard in now.';
COMMENT ON COLUMN scorecards.review_method IS 'How the scorecard is filled in, as Gong sends it (reviewMethod, e.g. MANUAL; not in Gong''s API document).';
COMMENT ON COLUMN scorecards.updater_user_id IS 'The user who last updated the scorecard; -1 when Gong itself did. Joins users.id.';
COMMENT ON COLUMN scorecards.created IS 'When the scorecard was created in Gong (timestamptz).';
COMMENT ON COLUMN scorecards.updated IS 'When the scorecard was last updated in Gong (timestamptz).';

COMMENT ON COLUMN scorecard_questions.scorecard_id IS 'The scorecard the question belongs to. Joins scorecards.id.';
COMMENT ON COLUMN scorecard_questions.question_id IS 'Gong''s identifier of the question (questionId, kept as text); answered_scorecard_answers.question_id refers to it.';
COMMENT ON COLUMN scorecard_questions.question_revision_id IS 'The question''s current revision (questionRevisionId): it changes when the question is edited; an answer names the revision it answered.';
COMMENT ON COLUMN scorecard_questions.position IS 'gongsync bookkeeping: the question''s place in the scorecard, from 0, in the order Gong lists them.';
COMMENT ON COLUMN scorecard_questions.question_text IS 'The question''s text.';
COMMENT ON COLUMN scorecard_questions.question_type IS 'The type of question, as Gong names it (RANGE for a score between min_range and max_range; select and text questions otherwise).';
COMMENT ON COLUMN scorecard_questions.is_overall IS 'True for the scorecard''s main, overall question: its score is the review''s overall score.';
COMMENT ON COLUMN scorecard_questions.answer_guide IS 'The guide reviewers are given for answering the question.';
COMMENT ON COLUMN scorecard_questions.min_range IS 'The lowest score a reviewer can give (range questions; null otherwise). Gong sends it as a string or a number.';
COMMENT ON COLUMN scorecard_questions.max_range IS 'The highest score a reviewer can give (range questions; null otherwise).';
COMMENT ON COLUMN scorecard_questions.answer_options IS 'The options of a select question, as Gong sent them (JSON array of {id, text}); [] or null for other questions. answered_scorecard_answers.selected_options holds the ids chosen.';
COMMENT ON COLUMN scorecard_questions.created IS 'When the question was created (timestamptz; sent by live tenants, not in Gong''s API document).';
COMMENT ON COLUMN scorecard_questions.updated IS 'When the question was last updated (timestamptz; sent by live tenants, not in Gong''s API document).';
COMMENT ON COLUMN scorecard_questions.updater_user_id IS 'The user who last updated the question; -1 when Gong itself did. Joins users.id.';

COMMENT ON COLUMN answered_scorecards.id IS 'Gong''s unique numeric identifier for the answered scorecard (answeredScorecardId, kept as text). answered_scorecard_answers join it on answered_scorecard_id.';
COMMENT ON COLUMN answered_scorecards.scorecard_id IS 'The scorecard answered. Joins scorecards.id.';
COMMENT ON COLUMN answered_scorecards.scorecard_name IS 'The scorecard''s name, as Gong sent it with the review.';
COMMENT ON COLUMN answered_scorecards.call_id IS 'The call reviewed. Joins calls.id.';
COMMENT ON COLUMN answered_scorecards.call_started IS 'When the reviewed call started (callStartTime, timestamptz).';
COMMENT ON COLUMN answered_scorecards.reviewed_user_id IS 'The team member being reviewed, who hosted the call: the rep. Joins users.id.';
COMMENT ON COLUMN answered_scorecards.reviewer_user_id IS 'The team member who filled the scorecard in. Joins users.id.';
COMMENT ON COLUMN answered_scorecards.review_time IS 'When the review was completed and published (reviewTime, timestamptz).';
COMMENT ON COLUMN answered_scorecards.review_date IS 'The review''s calendar date in the company''s time zone (the date part of reviewTime as Gong sent it, in the company''s offset): what Gong''s reviewFromDate and reviewToDate filters select.';
COMMENT ON COLUMN answered_scorecards.visibility IS 'Who can see the review: PUBLIC, PRIVATE or OPT_IN_USERS (visibilityType).';

COMMENT ON COLUMN answered_scorecard_answers.answered_scorecard_id IS 'The answered scorecard. Joins answered_scorecards.id.';
COMMENT ON COLUMN answered_scorecard_answers.question_id IS 'The question answered. Joins scorecard_questions.question_id.';
COMMENT ON COLUMN answered_scorecard_answers.question_revision_id IS 'The revision of the question that was answered (questionRevisionId); scorecard_questions.question_revision_id is the current one.';
COMMENT ON COLUMN answered_scorecard_answers.is_overall IS 'True for the scorecard''s overall question: its score is the review''s overall score.';
COMMENT ON COLUMN answered_scorecard_answers.score IS 'The score given, within the question''s range (Gong: 1 to 50); null when the question was not answered with a score.';
COMMENT ON COLUMN answered_scorecard_answers.answer_text IS 'The reviewer''s written answer; null when none.';
COMMENT ON COLUMN answered_scorecard_answers.not_applicable IS 'True when the reviewer marked the question irrelevant for the call.';
COMMENT ON COLUMN answered_scorecard_answers.selected_options IS 'The ids of the options chosen (select questions; see scorecard_questions.answer_options); null otherwise.';

COMMENT ON VIEW live_scorecards IS 'The scorecards Gong still has: scorecards without deleted_at.';
COMMENT ON VIEW live_scorecard_questions IS 'The questions of the scorecards Gong still has.';
COMMENT ON VIEW live_answered_scorecards IS 'The answered scorecards Gong still has, without the reviews of calls gongsync found deleted.';
COMMENT ON VIEW live_answered_scorecard_answers IS 'The answers of the answered scorecards in live_answered_scorecards.';

-- +goose StatementBegin
DO $$
DECLARE
    v text;
    c record;
BEGIN
    -- Each view's columns carry their table's comments.
    FOREACH v IN ARRAY ARRAY['scorecards', 'scorecard_questions', 'answered_scorecards', 'answered_scorecard_answers'] LOOP
        FOR c IN SELECT a.attname, col_description(a.attrelid, a.attnum) AS d FROM pg_attribute a
                WHERE a.attrelid = to_regclass(v) AND a.attnum > 0 AND NOT a.attisdropped LOOP
            EXECUTE format('COMMENT ON COLUMN %I.%I IS %L', 'live_' || v, c.attname, c.d);
        END LOOP;
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP VIEW live_answered_scorecard_answers;
DROP VIEW live_answered_scorecards;
DROP VIEW live_scorecard_questions;
DROP VIEW live_scorecards;
DROP TABLE answered_scorecard_answers;
DROP TABLE answered_scorecards;
DROP TABLE scorecard_questions;
DROP TABLE scorecards;
