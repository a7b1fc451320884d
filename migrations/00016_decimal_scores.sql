-- Gong documents a scorecard answer's score as an integer, but a half-point (3.5) is a
-- score too; the interaction stats are figures Gong documents as a double "or
-- integer". Both become numeric, which keeps every digit Gong sent (a double would
-- not) and compares exactly. The live_ views select their tables' columns, so they are
-- dropped and made again around the change, with their comments.

-- +goose Up
DROP VIEW live_answered_scorecard_answers;
DROP VIEW live_user_interaction_stats;
ALTER TABLE answered_scorecard_answers ALTER COLUMN score TYPE numeric;
ALTER TABLE user_interaction_stats ALTER COLUMN value TYPE numeric;
CREATE VIEW live_answered_scorecard_answers AS SELECT x.* FROM answered_scorecard_answers x
    WHERE EXISTS (SELECT FROM live_answered_scorecards a WHERE a.id = x.answered_scorecard_id);
CREATE VIEW live_user_interaction_stats AS SELECT s.* FROM user_interaction_stats s WHERE s.deleted_at IS NULL;

COMMENT ON COLUMN answered_scorecard_answers.score IS 'The score given, within the question''s range (Gong: 1 to 50), exactly as Gong sent it: Gong documents whole numbers, a half-point (3.5) is kept as it is; null when the question was not answered with a score.';
COMMENT ON COLUMN user_interaction_stats.value IS 'The statistic''s value over the period, in the unit its name implies, with every digit Gong sent (numeric); null when Gong sent none.';
COMMENT ON VIEW live_answered_scorecard_answers IS 'The answers of the answered scorecards in live_answered_scorecards.';
COMMENT ON VIEW live_user_interaction_stats IS 'user_interaction_stats Gong still reports: each user''s Talk Ratio, Longest Monologue, Interactivity, Patience, Question Rate, … per day.';

-- +goose StatementBegin
DO $$
DECLARE
    v text;
    c record;
BEGIN
    -- Each view's columns carry their table's comments.
    FOREACH v IN ARRAY ARRAY['answered_scorecard_answers', 'user_interaction_stats'] LOOP
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
DROP VIEW live_user_interaction_stats;
-- A fraction is rounded to the nearest whole number on the way back.
ALTER TABLE answered_scorecard_answers ALTER COLUMN score TYPE bigint USING round(score);
ALTER TABLE user_interaction_stats ALTER COLUMN value TYPE double precision;
CREATE VIEW live_answered_scorecard_answers AS SELECT x.* FROM answered_scorecard_answers x
    WHERE EXISTS (SELECT FROM live_answered_scorecards a WHERE a.id = x.answered_scorecard_id);
CREATE VIEW live_user_interaction_stats AS SELECT s.* FROM user_interaction_stats s WHERE s.deleted_at IS NULL;
COMMENT ON COLUMN answered_scorecard_answers.score IS 'The score given, within the question''s range (Gong: 1 to 50); null when the question was not answered with a score.';
COMMENT ON COLUMN user_interaction_stats.value IS 'The statistic''s value over the period, in the unit its name implies; null when Gong sent none.';
