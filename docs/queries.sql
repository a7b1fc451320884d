-- Example questions about your sales calls, in plain SQL over gongsync's tables.
--
-- The tables live in the schema named by GONGSYNC_SCHEMA (default gong); the line
-- below lets `psql -f docs/queries.sql` run every query as is. Each query starts with
-- a "-- name:" line; the test suite runs every one of them against synced data, and
-- `make demo` prints a few. Soft-deleted rows (deleted_at set) are left out.
SET search_path TO gong;

-- name: calls_per_week
-- How many calls happened each week, and how many of them were with customers.
SELECT date_trunc('week', started)::date           AS week,
       count(*)                                    AS calls,
       count(*) FILTER (WHERE scope = 'External')  AS external_calls,
       round(avg(duration_seconds) / 60.0, 1)      AS avg_minutes
FROM calls
WHERE deleted_at IS NULL AND started IS NOT NULL
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
FROM calls c
JOIN call_speakers s ON s.call_id = c.id
JOIN users u ON u.id = c.primary_user_id
WHERE c.deleted_at IS NULL AND c.scope = 'External'
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
FROM call_trackers t
JOIN calls c ON c.id = t.call_id AND c.deleted_at IS NULL
JOIN users u ON u.id = c.primary_user_id
WHERE t.count > 0
GROUP BY rep, tracker
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
FROM transcript_sentences ts
JOIN calls c ON c.id = ts.call_id AND c.deleted_at IS NULL
LEFT JOIN call_parties p ON p.call_id = ts.call_id AND p.speaker_id = ts.speaker_id
WHERE to_tsvector('english', ts.text) @@ websearch_to_tsquery('english', 'pricing')
ORDER BY c.started DESC, ts.sentence_index
LIMIT 20;

-- name: top_topics
-- Where the time goes: minutes spent per topic across the last 90 days of calls.
SELECT t.name                                AS topic,
       count(*)                              AS calls,
       round(sum(t.duration_seconds) / 60.0) AS minutes
FROM call_topics t
JOIN calls c ON c.id = t.call_id AND c.deleted_at IS NULL
WHERE c.started >= (SELECT max(started) FROM calls) - interval '90 days'
GROUP BY t.name
ORDER BY minutes DESC
LIMIT 15;

-- name: questions_per_rep
-- Discovery quality: questions asked by the company versus by the customer, per rep.
SELECT u.first_name || ' ' || u.last_name               AS rep,
       count(*)                                         AS calls,
       round(avg(c.question_company_count), 1)          AS avg_questions_asked,
       round(avg(c.question_non_company_count), 1)      AS avg_questions_received
FROM calls c
JOIN users u ON u.id = c.primary_user_id
WHERE c.deleted_at IS NULL AND c.question_company_count IS NOT NULL
GROUP BY u.id, rep
ORDER BY avg_questions_asked DESC
LIMIT 20;

-- name: team_activity_by_manager
-- Calls and customer minutes per manager's team this quarter (users.manager_id).
SELECT coalesce(m.first_name || ' ' || m.last_name, '(no manager)') AS manager,
       count(DISTINCT u.id)                                        AS reps,
       count(c.id)                                                 AS calls,
       round(sum(c.duration_seconds) FILTER (WHERE c.scope = 'External') / 60.0) AS customer_minutes
FROM users u
LEFT JOIN users m ON m.id = u.manager_id
JOIN calls c ON c.primary_user_id = u.id AND c.deleted_at IS NULL
WHERE c.started >= date_trunc('quarter', (SELECT max(started) FROM calls))
GROUP BY manager
ORDER BY calls DESC;

-- name: external_contacts_per_account
-- The people met at each customer account: distinct external participants per CRM
-- account linked to the calls.
SELECT a.object_id                      AS account_id,
       count(DISTINCT c.id)             AS calls,
       count(DISTINCT lower(p.email_address)) FILTER (WHERE p.affiliation = 'External') AS contacts_met,
       max(c.started)::date             AS last_call
FROM call_crm_objects a
JOIN calls c ON c.id = a.call_id AND c.deleted_at IS NULL
JOIN call_parties p ON p.call_id = c.id
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
