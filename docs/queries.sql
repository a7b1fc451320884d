-- Example questions about your sales calls, in plain SQL over gongsync's tables.
--
-- The tables live in the schema named by GONGSYNC_SCHEMA (default gong); the line
-- below lets `psql -f docs/queries.sql` run every query as is (`gongsync sql` opens
-- psql with the schema already on the search path). Each query starts with a
-- "-- name:" line; the test suite runs every one of them against synced data and
-- checks its answer, `make bench` times each on 100,000 calls (docs/BENCHMARKS.md),
-- and `make demo` prints a few.
--
-- The live_ views (live_calls, live_call_parties, …) hold what Gong still has: calls
-- gone from Gong, and their child rows, are left out. Every table and column is
-- described in docs/SCHEMA.md and in psql (\d+ live_calls). Where a question says
-- "the last 30 days", the newest call stands for today, so the examples answer on
-- any dataset; write now() instead on a live installation.
SET search_path TO gong;

-- name: calls_per_week
-- How many calls happened each week, and how many of them were with customers.
SELECT date_trunc('week', started)::date           AS week,
       count(*)                                    AS calls,
       count(*) FILTER (WHERE scope = 'External')  AS external_calls,
       round(avg(duration_seconds) / 60.0, 1)      AS avg_minutes
FROM live_calls
WHERE started IS NOT NULL
GROUP BY 1
ORDER BY 1 DESC
LIMIT 12;

-- name: talk_ratio_per_rep
-- Share of talk time taken by the call owner (the rep) on external calls: a classic
-- coaching number (a lower talk ratio usually means better discovery).
SELECT u.first_name || ' ' || u.last_name                         AS rep,
       count(DISTINCT c.id)                                       AS calls,
       round((100 * sum(s.talk_time_seconds) FILTER (WHERE s.user_id = c.primary_user_id)
             / nullif(sum(s.talk_time_seconds), 0))::numeric, 1)  AS talk_ratio_pct
FROM live_calls c
JOIN live_call_speakers s ON s.call_id = c.id
JOIN live_users u ON u.id = c.primary_user_id
WHERE c.scope = 'External'
GROUP BY u.id, rep
HAVING count(DISTINCT c.id) >= 3
ORDER BY talk_ratio_pct DESC
LIMIT 20;

-- name: tracker_mentions_per_rep
-- Which trackers fire on whose calls (competitors, pricing, next steps, …).
SELECT u.first_name || ' ' || u.last_name AS rep,
       t.name                             AS tracker,
       sum(t.count)                       AS mentions,
       count(DISTINCT t.call_id)          AS calls
FROM live_call_trackers t
JOIN live_calls c ON c.id = t.call_id
JOIN live_users u ON u.id = c.primary_user_id
WHERE t.count > 0
GROUP BY u.id, rep, tracker
ORDER BY mentions DESC
LIMIT 20;

-- name: calls_per_opportunity
-- Every CRM opportunity with its calls: how many, first and last, and its stage and
-- amount as the CRM had them at the time of its latest call. Gong sends each CRM
-- object twice, as it was at the call (timing TimeOfCall) and as it is now (Now): pick
-- one, and compare amounts as numbers, not as text.
WITH at_call AS (
    SELECT o.object_id, c.id AS call_id, c.started,
           max(f.value ->> 'value') FILTER (WHERE f.value ->> 'name' = 'Name')              AS name,
           max(f.value ->> 'value') FILTER (WHERE f.value ->> 'name' = 'StageName')         AS stage,
           max((f.value ->> 'value')::numeric) FILTER (WHERE f.value ->> 'name' = 'Amount') AS amount
    FROM call_crm_objects o
    JOIN calls c ON c.id = o.call_id AND c.deleted_at IS NULL
    LEFT JOIN LATERAL jsonb_array_elements(coalesce(o.fields, '[]')) AS f(value) ON true
    WHERE o.object_type = 'Opportunity' AND o.timing = 'TimeOfCall'
    GROUP BY o.object_id, c.id, c.started
)
SELECT object_id                                                   AS opportunity_id,
       (array_agg(name ORDER BY started DESC, call_id DESC))[1]   AS opportunity,
       count(*)                                                    AS calls,
       min(started)::date                                          AS first_call,
       max(started)::date                                          AS last_call,
       (array_agg(stage ORDER BY started DESC, call_id DESC))[1]  AS stage_at_last_call,
       (array_agg(amount ORDER BY started DESC, call_id DESC))[1] AS amount_at_last_call
FROM at_call
GROUP BY object_id
ORDER BY calls DESC, last_call DESC, opportunity_id
LIMIT 20;

-- name: transcript_search
-- Full-text search over every transcript (uses the GIN index): who talked about
-- pricing, on which call, and what they said.
SELECT c.started::date                         AS day,
       c.title,
       coalesce(p.name, p.email_address, '?')  AS speaker,
       p.affiliation,
       round(ts.start_ms / 60000.0, 1)         AS minute,
       left(ts.text, 100)                      AS said
FROM live_transcript_sentences ts
JOIN live_calls c ON c.id = ts.call_id
LEFT JOIN live_call_parties p ON p.call_id = ts.call_id AND p.speaker_id = ts.speaker_id
WHERE to_tsvector('english', ts.text) @@ websearch_to_tsquery('english', 'pricing')
ORDER BY c.started DESC, ts.sentence_index
LIMIT 20;

-- name: top_topics
-- Where the time goes: minutes spent per topic across the last 90 days of calls.
SELECT t.name                                AS topic,
       count(*)                              AS calls,
       round(sum(t.duration_seconds) / 60.0) AS minutes
FROM live_call_topics t
JOIN live_calls c ON c.id = t.call_id
WHERE c.started >= (SELECT max(started) FROM live_calls) - interval '90 days'
GROUP BY t.name
ORDER BY minutes DESC
LIMIT 15;

-- name: questions_per_rep
-- Discovery quality: questions asked by the company versus by the customer, per rep.
SELECT u.first_name || ' ' || u.last_name               AS rep,
       count(*)                                         AS calls,
       round(avg(c.question_company_count), 1)          AS avg_questions_asked,
       round(avg(c.question_non_company_count), 1)      AS avg_questions_received
FROM live_calls c
JOIN live_users u ON u.id = c.primary_user_id
WHERE c.question_company_count IS NOT NULL
GROUP BY u.id, rep
ORDER BY avg_questions_asked DESC
LIMIT 20;

-- name: team_activity_by_manager
-- Calls and customer minutes per manager's team this quarter (users.manager_id).
SELECT coalesce(m.first_name || ' ' || m.last_name, '(no manager)') AS manager,
       count(DISTINCT u.id)                                        AS reps,
       count(c.id)                                                 AS calls,
       round(sum(c.duration_seconds) FILTER (WHERE c.scope = 'External') / 60.0) AS customer_minutes
FROM live_users u
LEFT JOIN live_users m ON m.id = u.manager_id
JOIN live_calls c ON c.primary_user_id = u.id
WHERE c.started >= date_trunc('quarter', (SELECT max(started) FROM live_calls))
GROUP BY m.id, manager
ORDER BY calls DESC;

-- name: external_contacts_per_account
-- The people met at each customer account: distinct external participants per CRM
-- account linked to the calls.
SELECT a.object_id                      AS account_id,
       count(DISTINCT c.id)             AS calls,
       count(DISTINCT lower(p.email_address)) FILTER (WHERE p.affiliation = 'External') AS contacts_met,
       max(c.started)::date             AS last_call
FROM live_call_crm_objects a
JOIN live_calls c ON c.id = a.call_id
JOIN live_call_parties p ON p.call_id = c.id
WHERE a.object_type = 'Account'
GROUP BY a.object_id
ORDER BY calls DESC
LIMIT 20;

-- name: sync_health
-- Is the sync keeping up? Newest call, calls waiting for a transcript and how many of
-- them are due now (the transcripts_waiting view is the definition gongsync status
-- uses too), and what the sync found late, changed or deleted in the last day.
SELECT (SELECT max(started) FROM calls WHERE deleted_at IS NULL)                 AS newest_call,
       (SELECT count(*) FROM transcripts_waiting)                               AS transcripts_waiting,
       (SELECT count(*) FROM transcripts_waiting WHERE due_at <= now())         AS transcripts_due_now,
       (SELECT coalesce(sum(late_calls), 0) FROM sync_runs
         WHERE started_at > now() - interval '1 day')                           AS late_found_24h,
       (SELECT coalesce(sum(changed_calls), 0) FROM sync_runs
         WHERE started_at > now() - interval '1 day')                           AS changed_found_24h,
       (SELECT coalesce(sum(deleted_calls), 0) FROM sync_runs
         WHERE started_at > now() - interval '1 day')                           AS deleted_found_24h,
       (SELECT requests FROM api_usage WHERE day = (now() AT TIME ZONE 'UTC')::date) AS requests_today;

-- name: calls_per_rep_per_week
-- Calls per rep per week, with the rep's talk ratio: Gong's 'Talk Ratio' interaction
-- statistic, the host's share of the talk time as a 0–1 fraction (shown here as a
-- percentage), averaged over the week's calls that have one.
SELECT u.first_name || ' ' || u.last_name              AS rep,
       date_trunc('week', c.started)::date             AS week,
       count(*)                                        AS calls,
       round(100 * avg(tr.value)::numeric, 1)          AS talk_ratio_pct
FROM live_calls c
JOIN live_users u ON u.id = c.primary_user_id
LEFT JOIN live_call_interaction_stats tr ON tr.call_id = c.id AND tr.name = 'Talk Ratio'
WHERE c.started >= (SELECT max(started) FROM live_calls) - interval '4 weeks'
GROUP BY u.id, rep, week
ORDER BY week DESC, calls DESC
LIMIT 40;

-- name: competitor_mentions
-- Calls that mention a competitor, and which one: each phrase of the Competitors
-- tracker that came up, on how many calls, how often the customer said it rather
-- than the rep, and when last.
SELECT coalesce(o.phrase, '(smart tracker)')                      AS competitor,
       count(DISTINCT o.call_id)                                   AS calls,
       count(*)                                                    AS mentions,
       round(100.0 * count(*) FILTER (WHERE p.affiliation = 'External') / count(*), 1) AS said_by_customer_pct,
       max(c.started)::date                                        AS last_mentioned
FROM live_trackers t
JOIN live_call_tracker_occurrences o ON o.tracker_id = t.id
JOIN live_calls c ON c.id = o.call_id
LEFT JOIN live_call_parties p ON p.call_id = o.call_id AND p.speaker_id = o.speaker_id
WHERE t.name = 'Competitors'
  AND c.started >= (SELECT max(started) FROM live_calls) - interval '30 days'
GROUP BY competitor
ORDER BY calls DESC;

-- name: deals_without_a_call_in_30_days
-- Open opportunities nobody has had a call about in the last 30 days: each deal's
-- stage as its latest call saw it (timing Now: the CRM when the call was synced),
-- and the date of that call.
SELECT opportunity_id, stage, last_call
FROM (SELECT DISTINCT ON (f.object_id)
             f.object_id AS opportunity_id, f.value_text AS stage, c.started AS last_call
      FROM live_call_crm_fields f
      JOIN live_calls c ON c.id = f.call_id
      WHERE f.object_type = 'Opportunity' AND f.timing = 'Now' AND f.name = 'StageName'
      ORDER BY f.object_id, c.started DESC) deals
WHERE last_call < (SELECT max(started) FROM live_calls) - interval '30 days'
  AND stage NOT IN ('Closed Won', 'Closed Lost')
ORDER BY last_call;

-- name: stage_moves_after_calls
-- Where deals went after a call: the opportunity's stage at the time of the call
-- against its stage now, over the last 90 days of calls.
SELECT at_call.value_text  AS stage_at_call,
       cur.value_text      AS stage_now,
       count(*)            AS calls
FROM live_call_crm_fields at_call
JOIN live_call_crm_fields cur
  ON cur.call_id = at_call.call_id AND cur.system = at_call.system
 AND cur.object_type = at_call.object_type AND cur.object_id = at_call.object_id
 AND cur.timing = 'Now' AND cur.name = 'StageName'
JOIN live_calls c ON c.id = at_call.call_id
WHERE at_call.object_type = 'Opportunity' AND at_call.timing = 'TimeOfCall' AND at_call.name = 'StageName'
  AND c.started >= (SELECT max(started) FROM live_calls) - interval '90 days'
GROUP BY 1, 2
ORDER BY calls DESC
LIMIT 30;

-- name: open_pipeline_by_close_month
-- The amount of open opportunities by expected close month, from the CRM fields as
-- they were on each deal's latest call (Amount as a number, CloseDate as a time).
SELECT date_trunc('month', close.value_time)::date     AS close_month,
       count(*)                                        AS deals,
       round(sum(amount.value_number))                 AS amount
FROM (SELECT DISTINCT ON (f.object_id) f.object_id, f.call_id, f.value_text AS stage
      FROM live_call_crm_fields f
      JOIN live_calls c ON c.id = f.call_id
      WHERE f.object_type = 'Opportunity' AND f.timing = 'Now' AND f.name = 'StageName'
      ORDER BY f.object_id, c.started DESC) latest
JOIN live_call_crm_fields amount ON amount.call_id = latest.call_id AND amount.object_type = 'Opportunity'
 AND amount.object_id = latest.object_id AND amount.timing = 'Now' AND amount.name = 'Amount'
JOIN live_call_crm_fields close ON close.call_id = latest.call_id AND close.object_type = 'Opportunity'
 AND close.object_id = latest.object_id AND close.timing = 'Now' AND close.name = 'CloseDate'
WHERE latest.stage NOT IN ('Closed Won', 'Closed Lost')
GROUP BY 1
ORDER BY 1;

-- name: presentation_time_per_rep
-- Who screen-shares most: the share of each rep's video calls spent presenting
-- (Gong's video statistics; durations in seconds), over the last 30 days.
SELECT u.first_name || ' ' || u.last_name                                   AS rep,
       count(*)                                                             AS video_calls,
       round(sum(v.duration_seconds) / 60.0)                                AS minutes_presenting,
       round((100 * sum(v.duration_seconds) / sum(c.duration_seconds))::numeric, 1) AS presenting_pct
FROM live_call_video_stats v
JOIN live_calls c ON c.id = v.call_id
JOIN live_users u ON u.id = c.primary_user_id
WHERE v.name = 'Presentation'
  AND c.started >= (SELECT max(started) FROM live_calls) - interval '30 days'
GROUP BY u.id, rep
ORDER BY presenting_pct DESC
LIMIT 20;

-- name: feedback_given
-- Coaching at a glance: who comments on whose calls (public comments), and how many
-- of those comments were written during the call.
SELECT w.first_name || ' ' || w.last_name          AS commenter,
       r.first_name || ' ' || r.last_name          AS rep,
       count(*)                                    AS comments,
       count(*) FILTER (WHERE cm.during_call)      AS during_call,
       max(cm.posted)::date                        AS last_comment
FROM live_call_comments cm
JOIN live_calls c ON c.id = cm.call_id
JOIN live_users w ON w.id = cm.commenter_user_id
JOIN live_users r ON r.id = c.primary_user_id
GROUP BY w.id, r.id, commenter, rep
ORDER BY comments DESC
LIMIT 20;

-- name: overall_score_per_rep_per_month
-- Coaching over time: each rep's average overall score per month of review, from the
-- scorecards reviewers filled in about the rep's calls. Scorecards score on different
-- ranges (1–5, 1–10), so each overall score is shown as a share of its question's
-- range: 0% the lowest score, 100% the highest.
SELECT date_trunc('month', a.review_date)::date                          AS month,
       u.first_name || ' ' || u.last_name                                AS rep,
       count(*)                                                          AS reviews,
       round(avg(100.0 * (x.score - q.min_range)
                 / nullif(q.max_range - q.min_range, 0)), 1)             AS avg_overall_pct
FROM live_answered_scorecards a
JOIN live_answered_scorecard_answers x ON x.answered_scorecard_id = a.id AND x.is_overall
JOIN live_scorecard_questions q ON q.scorecard_id = a.scorecard_id AND q.question_id = x.question_id
JOIN live_users u ON u.id = a.reviewed_user_id
WHERE x.score IS NOT NULL AND NOT coalesce(x.not_applicable, false)
GROUP BY month, u.id, rep
ORDER BY month DESC, avg_overall_pct DESC, rep
LIMIT 30;

-- name: reviewed_share_of_external_calls
-- How much coaching each rep gets: the share of the rep's external calls that at
-- least one reviewer scored.
SELECT u.first_name || ' ' || u.last_name                               AS rep,
       count(*)                                                         AS external_calls,
       count(*) FILTER (WHERE EXISTS (
           SELECT FROM live_answered_scorecards a WHERE a.call_id = c.id)) AS reviewed_calls,
       round(100.0 * count(*) FILTER (WHERE EXISTS (
           SELECT FROM live_answered_scorecards a WHERE a.call_id = c.id)) / count(*), 1) AS reviewed_pct
FROM live_calls c
JOIN live_users u ON u.id = c.primary_user_id
WHERE c.scope = 'External'
GROUP BY u.id, rep
ORDER BY reviewed_pct DESC, rep
LIMIT 20;

-- name: lowest_scoring_questions
-- Where reps score lowest: the scored questions (the overall one aside) by average
-- score, as a share of the question's range, over every review that answered them.
SELECT s.name                                                          AS scorecard,
       q.question_text                                                 AS question,
       count(*)                                                        AS answers,
       round(avg(x.score), 2)                                          AS avg_score,
       q.min_range || '–' || q.max_range                               AS range,
       round(avg(100.0 * (x.score - q.min_range)
                 / nullif(q.max_range - q.min_range, 0)), 1)           AS avg_pct
FROM live_answered_scorecard_answers x
JOIN live_answered_scorecards a ON a.id = x.answered_scorecard_id
JOIN live_scorecard_questions q ON q.scorecard_id = a.scorecard_id AND q.question_id = x.question_id
JOIN live_scorecards s ON s.id = q.scorecard_id
WHERE x.score IS NOT NULL AND NOT coalesce(x.not_applicable, false) AND NOT coalesce(q.is_overall, false)
GROUP BY s.id, s.name, q.question_id, q.question_text, q.min_range, q.max_range
HAVING count(*) >= 5
ORDER BY avg_pct, answers DESC, question
LIMIT 10;

-- name: who_listens_to_whose_calls
-- Who listens to whose calls: Gong's daily activity lists the calls each user listened
-- to that another user hosted (othersCallsListenedTo); a listen counts once per day.
SELECT l.first_name || ' ' || l.last_name  AS listener,
       h.first_name || ' ' || h.last_name  AS rep,
       count(*)                            AS listens,
       count(DISTINCT a.call_id)           AS calls,
       max(a.day)                          AS last_listened
FROM live_user_daily_activity a
JOIN live_calls c ON c.id = a.call_id
JOIN live_users l ON l.id = a.user_id
JOIN live_users h ON h.id = c.primary_user_id
WHERE a.activity = 'othersCallsListenedTo'
GROUP BY l.id, h.id, listener, rep
ORDER BY listens DESC, listener, rep
LIMIT 20;

-- name: talk_ratio_gong_beside_calls
-- Each rep's talk ratio as Gong's own interaction stats give it (the mean of its daily
-- figures, over calls with Whisper on), beside the one computed from the calls the rep
-- hosted on those days (the rep's share of the talk time of its speakers). Days are the
-- company's calendar days; calls are placed by their start in UTC.
WITH gong AS (
    SELECT user_id, count(*) AS days, avg(value) AS talk_ratio,
           min(period_start) AS first_day, max(period_end) AS end_day
    FROM live_user_interaction_stats
    WHERE name = 'Talk Ratio' AND value IS NOT NULL
    GROUP BY user_id
), computed AS (
    SELECT c.primary_user_id AS user_id, count(DISTINCT c.id) AS calls,
           sum(s.talk_time_seconds) FILTER (WHERE s.user_id = c.primary_user_id)
               / nullif(sum(s.talk_time_seconds), 0) AS talk_ratio
    FROM gong g
    JOIN live_calls c ON c.primary_user_id = g.user_id
     AND c.started >= g.first_day::timestamp AT TIME ZONE 'UTC' AND c.started < g.end_day::timestamp AT TIME ZONE 'UTC'
    JOIN live_call_speakers s ON s.call_id = c.id
    GROUP BY c.primary_user_id
)
SELECT u.first_name || ' ' || u.last_name              AS rep,
       g.days                                          AS days_with_stats,
       round((100 * g.talk_ratio)::numeric, 1)         AS gong_talk_ratio_pct,
       k.calls                                         AS calls,
       round((100 * k.talk_ratio)::numeric, 1)         AS computed_talk_ratio_pct
FROM gong g
JOIN live_users u ON u.id = g.user_id
LEFT JOIN computed k ON k.user_id = g.user_id
ORDER BY days_with_stats DESC, rep
LIMIT 20;

-- name: library_folder_calls
-- The calls in the library's folders, with the part of each call a folder keeps (its
-- snippet, as minutes:seconds from the call's start; none for the whole call), who
-- added it and when.
SELECT f.name                                                      AS folder,
       fc.call_id,
       fc.title,
       c.started::date                                             AS call_date,
       to_char(make_interval(secs => fc.snippet_from_seconds), 'MI:SS') AS snippet_from,
       to_char(make_interval(secs => fc.snippet_to_seconds), 'MI:SS')   AS snippet_to,
       fc.note,
       u.first_name || ' ' || u.last_name                          AS added_by,
       fc.created::date                                            AS added
FROM live_library_folder_calls fc
JOIN live_library_folders f ON f.id = fc.folder_id
LEFT JOIN live_calls c ON c.id = fc.call_id
LEFT JOIN live_users u ON u.id = fc.added_by
ORDER BY folder, fc.created DESC, fc.call_id
LIMIT 50;

-- name: chunks_changed_since_last_embedding_run
-- The transcript chunks to embed: those whose text changed since your last embedding
-- run. Replace '-infinity' (every chunk: the first run) with when your last run
-- started, a few minutes back: a transcript being written when it started stamps its
-- chunks with its transaction's start. Key the embeddings by (call_id, content_hash):
-- a chunk whose text did not change keeps its hash and updated_at even when it moved
-- (chunk_index), and an embedding whose pair is no longer in transcript_chunks is
-- stale. Private calls have no chunks unless GONGSYNC_AI_INCLUDE_PRIVATE=true.
SELECT k.call_id,
       k.chunk_index,
       k.content_hash,
       k.token_estimate,
       k.call_title,
       k.call_started,
       k.crm_account_ids,
       k.crm_opportunity_ids,
       k.updated_at,
       k.text
FROM live_transcript_chunks k
WHERE k.updated_at > '-infinity'
ORDER BY k.updated_at, k.call_id, k.chunk_index
LIMIT 500;

-- name: manager_at_call_time
-- Who each rep's manager was when the call happened, beside who it is now (users
-- overwrite a changed manager; users_history keeps every version). One join: the
-- version of the rep current at the call's start. History begins when gongsync first
-- stored the user, so a call from before then takes the oldest version it has; a call
-- made while the user was deleted from Gong has none (null).
SELECT c.id                                      AS call_id,
       c.started,
       c.primary_user_id                         AS rep_id,
       h.raw ->> 'managerId'                     AS manager_at_call,
       u.manager_id                              AS manager_now,
       h.valid_from                              AS version_from
FROM live_calls c
LEFT JOIN users_history h ON h.id = c.primary_user_id
     AND c.started < coalesce(h.valid_to, 'infinity')
     AND (c.started >= h.valid_from
          OR h.valid_from = (SELECT min(f.valid_from) FROM users_history f WHERE f.id = h.id))
LEFT JOIN users u ON u.id = c.primary_user_id
WHERE c.started >= (SELECT max(started) FROM live_calls) - interval '30 days'
ORDER BY c.started DESC, c.id
LIMIT 200;
