package sync

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// The checks of the example queries' answers. Each holds an answer against what the
// question promises: ranges (a talk ratio is 0–100 %), orders, and the same figure
// computed another way, over the base tables with deleted_at IS NULL and, for CRM
// questions, straight from Gong's JSON in call_crm_objects.fields, not from the
// views or call_crm_fields the examples use.

// newest is where the examples' "last 30 days" end: the newest live call.
const newest = `(SELECT max(started) FROM calls WHERE deleted_at IS NULL)`

// liveRep joins a call's rep: calls c, users u, both live.
const liveRep = `calls c JOIN users u ON u.id = c.primary_user_id AND u.deleted_at IS NULL AND c.deleted_at IS NULL`

// latestOpportunities is each opportunity as its latest live call saw it (timing
// Now), read from the JSON Gong sent.
const latestOpportunities = `
	SELECT DISTINCT ON (o.object_id) o.object_id, c.started,
	       (SELECT f ->> 'value' FROM jsonb_array_elements(o.fields) f WHERE f ->> 'name' = 'StageName') AS stage,
	       (SELECT (f ->> 'value')::float8 FROM jsonb_array_elements(o.fields) f WHERE f ->> 'name' = 'Amount') AS amount,
	       (SELECT (f ->> 'value')::date FROM jsonb_array_elements(o.fields) f WHERE f ->> 'name' = 'CloseDate') AS close_date
	FROM call_crm_objects o JOIN calls c ON c.id = o.call_id AND c.deleted_at IS NULL
	WHERE o.object_type = 'Opportunity' AND o.timing = 'Now'
	ORDER BY o.object_id, c.started DESC`

var plausible = map[string]func(a *answerCheck){
	"calls_per_week": func(a *answerCheck) {
		a.atMost(12)
		a.descending("week")
		for _, r := range a.rows {
			week := a.time(r, "week")
			if week.Weekday() != time.Monday {
				a.t.Errorf("week %s does not start on a Monday", week.Format(time.DateOnly))
			}
			a.between(r, "avg_minutes", 0.1, 24*60)
			if a.num(r, "external_calls") > a.num(r, "calls") {
				a.t.Errorf("week %s: more external calls than calls: %v", week.Format(time.DateOnly), r)
			}
			a.same(r, "calls", `SELECT count(*) FROM calls WHERE deleted_at IS NULL AND date_trunc('week', started)::date = $1`, week)
		}
	},
	"talk_ratio_per_rep": func(a *answerCheck) {
		a.atMost(20)
		a.descending("talk_ratio_pct")
		for _, r := range a.rows {
			a.between(r, "talk_ratio_pct", 0, 100)
			a.between(r, "calls", 3, math.Inf(1))
		}
	},
	"tracker_mentions_per_rep": func(a *answerCheck) {
		a.atMost(20)
		a.descending("mentions")
		for _, r := range a.rows {
			if a.num(r, "mentions") < a.num(r, "calls") {
				a.t.Errorf("fewer mentions than calls: %v", r)
			}
			a.same(r, "mentions", `SELECT sum(t.count) FROM call_trackers t JOIN `+liveRep+` ON c.id = t.call_id
				WHERE u.first_name || ' ' || u.last_name = $1 AND t.name = $2 AND t.count > 0 GROUP BY u.id`, r["rep"], r["tracker"])
		}
	},
	"calls_per_opportunity": func(a *answerCheck) {
		a.atMost(20)
		for _, r := range a.rows {
			a.between(r, "calls", 1, math.Inf(1))
			if a.time(r, "first_call").After(a.time(r, "last_call")) {
				a.t.Errorf("first call after the last: %v", r)
			}
		}
	},
	"transcript_search": func(a *answerCheck) {
		a.atMost(20)
		for _, r := range a.rows {
			if said := strings.ToLower(a.str(r, "said")); !strings.Contains(said, "pric") {
				a.t.Errorf("a sentence found for 'pricing' does not say it: %q", said)
			}
			a.between(r, "minute", 0, 24*60)
		}
	},
	"chunks_changed_since_last_embedding_run": func(a *answerCheck) {
		a.atMost(500)
		a.ascending("updated_at")
		var live int
		if err := a.v.st.Pool().QueryRow(a.v.ctx, `SELECT count(*) FROM transcript_chunks k
			JOIN calls c ON c.id = k.call_id AND c.deleted_at IS NULL`).Scan(&live); err != nil {
			a.t.Fatal(err)
		}
		if want := min(500, live); len(a.rows) != want {
			a.t.Errorf("%d chunks; %d of live calls changed since -infinity, so %d", len(a.rows), live, want)
		}
		for _, r := range a.rows {
			if h := a.str(r, "content_hash"); len(h) != 64 {
				a.t.Errorf("content_hash %q is not SHA-256 in hex", h)
			}
			a.between(r, "token_estimate", 1, 512)
		}
	},
	"top_topics": func(a *answerCheck) {
		a.descending("minutes")
		for _, r := range a.rows {
			a.same(r, "calls", `SELECT count(*) FROM call_topics t JOIN calls c ON c.id = t.call_id AND c.deleted_at IS NULL
				WHERE t.name = $1 AND c.started >= (SELECT max(started) FROM calls) - interval '90 days'`, r["topic"])
		}
	},
	"questions_per_rep": func(a *answerCheck) {
		a.descending("avg_questions_asked")
		for _, r := range a.rows {
			a.between(r, "avg_questions_asked", 0, 1000)
			a.between(r, "avg_questions_received", 0, 1000)
			a.same(r, "calls", `SELECT count(*) FROM `+liveRep+` WHERE u.first_name || ' ' || u.last_name = $1
				AND c.question_company_count IS NOT NULL GROUP BY u.id`, r["rep"])
		}
	},
	"team_activity_by_manager": func(a *answerCheck) {
		a.total("calls", `SELECT count(*) FROM `+liveRep+`
			WHERE c.started >= date_trunc('quarter', (SELECT max(started) FROM calls WHERE deleted_at IS NULL))`)
	},
	"manager_at_call_time": func(a *answerCheck) {
		a.atMost(200)
		a.descending("started")
		var calls int
		if err := a.v.st.Pool().QueryRow(a.v.ctx, `SELECT least(200, count(*)) FROM calls WHERE deleted_at IS NULL
			AND started >= (SELECT max(started) FROM calls WHERE deleted_at IS NULL) - interval '30 days'`).Scan(&calls); err != nil {
			a.t.Fatal(err)
		}
		if len(a.rows) != calls {
			a.t.Errorf("%d rows, want one per live call of the last 30 days (%d, at most 200)", len(a.rows), calls)
		}
		for _, r := range a.rows {
			// The latest version from before the call, else the first: computed by
			// order, not by ranges.
			a.same(r, "manager_at_call", `SELECT coalesce(
					(SELECT raw ->> 'managerId' FROM users_history WHERE id = $1 AND valid_from <= $2 ORDER BY valid_from DESC LIMIT 1),
					(SELECT raw ->> 'managerId' FROM users_history WHERE id = $1 ORDER BY valid_from LIMIT 1))`,
				r["rep_id"], r["started"])
			// A rep with one version had one manager all along.
			a.same(r, "manager_now", `SELECT CASE WHEN count(*) = 1 THEN min(raw ->> 'managerId') ELSE $2 END
				FROM users_history WHERE id = $1`, r["rep_id"], r["manager_now"])
			if r["manager_at_call"] != nil && r["manager_at_call"] != r["manager_now"] {
				a.same(r, "rep_id", `SELECT id FROM users_history WHERE id = $1 GROUP BY id HAVING count(*) > 1`, r["rep_id"])
			}
		}
	},
	"external_contacts_per_account": func(a *answerCheck) {
		a.atMost(20)
		for _, r := range a.rows {
			a.same(r, "calls", `SELECT count(DISTINCT c.id) FROM call_crm_objects o JOIN calls c ON c.id = o.call_id AND c.deleted_at IS NULL
				WHERE o.object_type = 'Account' AND o.object_id = $1 AND EXISTS (SELECT FROM call_parties p WHERE p.call_id = c.id)`, r["account_id"])
			a.between(r, "contacts_met", 0, math.Inf(1))
		}
	},
	"sync_health": func(a *answerCheck) {
		var want time.Time
		if err := a.v.st.Pool().QueryRow(a.v.ctx, `SELECT `+newest).Scan(&want); err != nil {
			a.t.Fatal(err)
		}
		if got := a.time(a.rows[0], "newest_call"); !got.Equal(want) {
			a.t.Errorf("newest call %v, want %v", got, want)
		}
	},
	"calls_per_rep_per_week": func(a *answerCheck) {
		a.atMost(40)
		percent := false
		for _, r := range a.rows {
			if r["talk_ratio_pct"] != nil {
				a.between(r, "talk_ratio_pct", 0, 100)
				// Gong's Talk Ratio is a 0–1 fraction: shown as a percentage, a rep's
				// week cannot average 1 % or less on every row.
				percent = percent || a.num(r, "talk_ratio_pct") > 1
			}
			a.same(r, "calls", `SELECT count(*) FROM `+liveRep+` WHERE u.first_name || ' ' || u.last_name = $1
				AND date_trunc('week', c.started)::date = $2 AND c.started >= `+newest+` - interval '4 weeks' GROUP BY u.id`, r["rep"], r["week"])
			a.same(r, "talk_ratio_pct", `SELECT round(100 * avg(s.value)::numeric, 1) FROM `+liveRep+`
				LEFT JOIN call_interaction_stats s ON s.call_id = c.id AND s.name = 'Talk Ratio'
				WHERE u.first_name || ' ' || u.last_name = $1 AND date_trunc('week', c.started)::date = $2
				AND c.started >= `+newest+` - interval '4 weeks' GROUP BY u.id`, r["rep"], r["week"])
		}
		if !percent {
			a.t.Error("no week's talk ratio reads as a percentage")
		}
	},
	"competitor_mentions": func(a *answerCheck) {
		var keywords []string
		rows, err := a.v.st.Pool().Query(a.v.ctx, `SELECT DISTINCT k FROM trackers t, jsonb_array_elements(t.language_keywords) l,
			jsonb_array_elements_text(l -> 'keywords') k WHERE t.name = 'Competitors' AND t.deleted_at IS NULL`)
		if err != nil {
			a.t.Fatal(err)
		}
		if keywords, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			a.t.Fatal(err)
		}
		for _, r := range a.rows {
			phrase := a.str(r, "competitor")
			if !slices.Contains(keywords, phrase) {
				a.t.Errorf("competitor %q is none of the Competitors tracker's keywords %q", phrase, keywords)
			}
			a.between(r, "said_by_customer_pct", 0, 100)
			// The same calls and mentions from the tracker's phrases as Gong listed
			// them per call (call_trackers.phrases), not from the hits one by one.
			inWindow := `FROM call_trackers t JOIN calls c ON c.id = t.call_id AND c.deleted_at IS NULL,
				jsonb_array_elements(t.phrases) ph
				WHERE t.name = 'Competitors' AND ph ->> 'phrase' = $1 AND (ph ->> 'count')::int > 0
				AND c.started >= ` + newest + ` - interval '30 days'`
			a.same(r, "calls", `SELECT count(DISTINCT t.call_id) `+inWindow, phrase)
			a.same(r, "mentions", `SELECT sum((ph ->> 'count')::int) `+inWindow, phrase)
		}
	},
	"deals_without_a_call_in_30_days": func(a *answerCheck) {
		var got []string
		for _, r := range a.rows {
			got = append(got, a.str(r, "opportunity_id"))
			if s := a.str(r, "stage"); strings.HasPrefix(s, "Closed") {
				a.t.Errorf("a closed deal among the open ones: %v", r)
			}
		}
		a.sameSet(got, `SELECT object_id FROM (`+latestOpportunities+`) l
			WHERE started < `+newest+` - interval '30 days' AND stage NOT IN ('Closed Won', 'Closed Lost')`)
	},
	"stage_moves_after_calls": func(a *answerCheck) {
		a.descending("calls")
		for _, r := range a.rows {
			a.same(r, "calls", `SELECT count(*) FROM call_crm_objects t
				JOIN call_crm_objects n ON n.call_id = t.call_id AND n.system = t.system AND n.object_type = t.object_type
				 AND n.object_id = t.object_id AND n.timing = 'Now'
				JOIN calls c ON c.id = t.call_id AND c.deleted_at IS NULL
				WHERE t.object_type = 'Opportunity' AND t.timing = 'TimeOfCall' AND c.started >= `+newest+` - interval '90 days'
				AND (SELECT f ->> 'value' FROM jsonb_array_elements(t.fields) f WHERE f ->> 'name' = 'StageName') = $1
				AND (SELECT f ->> 'value' FROM jsonb_array_elements(n.fields) f WHERE f ->> 'name' = 'StageName') = $2`,
				r["stage_at_call"], r["stage_now"])
		}
	},
	"open_pipeline_by_close_month": func(a *answerCheck) {
		a.ascending("close_month")
		for _, r := range a.rows {
			open := `FROM (` + latestOpportunities + `) l WHERE stage NOT IN ('Closed Won', 'Closed Lost')
				AND date_trunc('month', close_date)::date = $1`
			a.same(r, "deals", `SELECT count(*) `+open, r["close_month"])
			a.same(r, "amount", `SELECT round(sum(amount)) `+open, r["close_month"])
		}
	},
	"presentation_time_per_rep": func(a *answerCheck) {
		a.descending("presenting_pct")
		for _, r := range a.rows {
			a.between(r, "presenting_pct", 0, 100)
			a.same(r, "video_calls", `SELECT count(*) FROM call_video_stats v JOIN `+liveRep+` ON c.id = v.call_id
				WHERE v.name = 'Presentation' AND u.first_name || ' ' || u.last_name = $1
				AND c.started >= `+newest+` - interval '30 days' GROUP BY u.id`, r["rep"])
		}
	},
	"feedback_given": func(a *answerCheck) {
		a.descending("comments")
		for _, r := range a.rows {
			if a.num(r, "during_call") > a.num(r, "comments") {
				a.t.Errorf("more comments during the call than comments: %v", r)
			}
			a.same(r, "comments", `SELECT count(*) FROM call_comments cm JOIN calls c ON c.id = cm.call_id AND c.deleted_at IS NULL
				JOIN users w ON w.id = cm.commenter_user_id AND w.deleted_at IS NULL
				JOIN users r ON r.id = c.primary_user_id AND r.deleted_at IS NULL
				WHERE w.first_name || ' ' || w.last_name = $1 AND r.first_name || ' ' || r.last_name = $2
				GROUP BY w.id, r.id`, r["commenter"], r["rep"])
		}
	},
	"who_listens_to_whose_calls": func(a *answerCheck) {
		a.atMost(20)
		a.descending("listens")
		for _, r := range a.rows {
			if a.num(r, "calls") > a.num(r, "listens") {
				a.t.Errorf("more calls than listens: %v", r)
			}
			a.same(r, "listens", `SELECT count(*) FROM user_daily_activity a
				JOIN user_activity_days d ON d.id = a.user_activity_day_id AND d.deleted_at IS NULL
				JOIN calls c ON c.id = a.call_id AND c.deleted_at IS NULL
				JOIN users l ON l.id = a.user_id AND l.deleted_at IS NULL
				JOIN users h ON h.id = c.primary_user_id AND h.deleted_at IS NULL
				WHERE a.activity = 'othersCallsListenedTo' AND l.first_name || ' ' || l.last_name = $1
				  AND h.first_name || ' ' || h.last_name = $2
				GROUP BY l.id, h.id`, r["listener"], r["rep"])
		}
	},
	"talk_ratio_gong_beside_calls": func(a *answerCheck) {
		a.atMost(20)
		a.descending("days_with_stats")
		computed := 0
		for _, r := range a.rows {
			a.between(r, "gong_talk_ratio_pct", 0, 100)
			a.same(r, "gong_talk_ratio_pct", `SELECT round((100 * avg(s.value))::numeric, 1) FROM user_interaction_stats s
				JOIN users u ON u.id = s.user_id AND u.deleted_at IS NULL
				WHERE s.deleted_at IS NULL AND s.name = 'Talk Ratio' AND u.first_name || ' ' || u.last_name = $1
				GROUP BY u.id`, r["rep"])
			if r["computed_talk_ratio_pct"] != nil {
				a.between(r, "computed_talk_ratio_pct", 0, 100)
				computed++
			}
		}
		if computed == 0 {
			a.t.Error("no rep has a talk ratio computed from calls beside Gong's")
		}
	},
	"library_folder_calls": func(a *answerCheck) {
		a.atMost(50)
		snippets := 0
		for _, r := range a.rows {
			a.same(r, "title", `SELECT fc.title FROM library_folder_calls fc
				JOIN library_folders f ON f.id = fc.folder_id AND f.deleted_at IS NULL
				WHERE fc.deleted_at IS NULL AND f.name = $1 AND fc.call_id = $2`, r["folder"], r["call_id"])
			if r["snippet_from"] != nil {
				snippets++
				if a.str(r, "snippet_from") >= a.str(r, "snippet_to") && len(a.str(r, "snippet_from")) == len(a.str(r, "snippet_to")) {
					a.t.Errorf("a snippet that ends before it starts: %v", r)
				}
			}
		}
		if snippets == 0 {
			a.t.Error("no folder's call has a snippet: the answer shows none")
		}
	},
	"overall_score_per_rep_per_month": func(a *answerCheck) {
		a.atMost(30)
		a.descending("month")
		for _, r := range a.rows {
			a.between(r, "avg_overall_pct", 0, 100)
			byRep := `FROM (` + liveReviewAnswers + `) x JOIN users u ON u.id = x.reviewed AND u.deleted_at IS NULL
				WHERE x.is_overall AND x.score IS NOT NULL AND NOT x.na
				  AND date_trunc('month', x.review_date)::date = $1 AND u.first_name || ' ' || u.last_name = $2
				GROUP BY u.id`
			a.same(r, "reviews", `SELECT count(*) `+byRep, r["month"], r["rep"])
			a.same(r, "avg_overall_pct", `SELECT round(avg(100.0 * (x.score - x.lo) / nullif(x.hi - x.lo, 0)), 1) `+byRep, r["month"], r["rep"])
		}
	},
	"reviewed_share_of_external_calls": func(a *answerCheck) {
		a.atMost(20)
		a.descending("reviewed_pct")
		reviewed := 0.0
		for _, r := range a.rows {
			a.between(r, "reviewed_pct", 0, 100)
			if a.num(r, "reviewed_calls") > a.num(r, "external_calls") {
				a.t.Errorf("more reviewed calls than external calls: %v", r)
			}
			reviewed += a.num(r, "reviewed_calls")
			a.same(r, "reviewed_calls", `SELECT count(*) FROM `+liveRep+`
				WHERE c.scope = 'External' AND u.first_name || ' ' || u.last_name = $1
				  AND EXISTS (SELECT FROM answered_scorecards r WHERE r.deleted_at IS NULL AND r.raw ->> 'callId' = c.id)
				GROUP BY u.id`, r["rep"])
		}
		if reviewed == 0 {
			a.t.Error("no rep has a reviewed call: the answer shows nothing of the reviews")
		}
	},
	"lowest_scoring_questions": func(a *answerCheck) {
		a.atMost(10)
		a.ascending("avg_pct")
		perQuestion := `SELECT round(avg(100.0 * (x.score - x.lo) / nullif(x.hi - x.lo, 0)), 1) AS pct
			FROM (` + liveReviewAnswers + `) x
			WHERE NOT x.is_overall AND x.score IS NOT NULL AND NOT x.na`
		for _, r := range a.rows {
			a.between(r, "avg_pct", 0, 100)
			a.between(r, "answers", 5, math.Inf(1))
			a.same(r, "avg_pct", perQuestion+` AND x.scorecard = $1 AND x.question = $2 GROUP BY x.scorecard_id, x.question_id`,
				r["scorecard"], r["question"])
		}
		// The first is the lowest of all, not the lowest of some.
		a.same(a.rows[0], "avg_pct", `SELECT min(pct) FROM (`+perQuestion+` GROUP BY x.scorecard_id, x.question_id HAVING count(*) >= 5) q`)
	},
}

// liveReviewAnswers is every answer of the answered scorecards Gong still has (not of
// a deleted call), read from the JSON Gong sent (answered_scorecards.raw), with its
// question's text and range from the scorecard's JSON (scorecards.raw): not from the
// child tables and views the examples use.
const liveReviewAnswers = `
	SELECT r.id, r.raw ->> 'reviewedUserId' AS reviewed, left(r.raw ->> 'reviewTime', 10)::date AS review_date,
	       s.id AS scorecard_id, s.raw ->> 'scorecardName' AS scorecard,
	       ans ->> 'questionId' AS question_id, qq ->> 'questionText' AS question,
	       coalesce((ans ->> 'isOverall')::bool, false) AS is_overall, coalesce((ans ->> 'notApplicable')::bool, false) AS na,
	       (ans ->> 'score')::numeric AS score, (qq ->> 'minRange')::numeric AS lo, (qq ->> 'maxRange')::numeric AS hi
	FROM answered_scorecards r
	CROSS JOIN LATERAL jsonb_array_elements(r.raw -> 'answers') ans
	JOIN scorecards s ON s.id = r.raw ->> 'scorecardId' AND s.deleted_at IS NULL
	CROSS JOIN LATERAL jsonb_array_elements(s.raw -> 'questions') qq
	WHERE r.deleted_at IS NULL AND qq ->> 'questionId' = ans ->> 'questionId'
	  AND NOT EXISTS (SELECT FROM calls c WHERE c.id = r.raw ->> 'callId' AND c.deleted_at IS NOT NULL)`

// readAnswer reads every row of an answer as column name → value.
func readAnswer(rows pgx.Rows) ([]map[string]any, error) {
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		row := map[string]any{}
		for i, fd := range rows.FieldDescriptions() {
			row[fd.Name] = vals[i]
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// answerCheck is one query's answer under a check.
type answerCheck struct {
	t    *testing.T
	v    *env
	rows []map[string]any
}

func (a *answerCheck) value(r map[string]any, col string) any {
	a.t.Helper()
	v, ok := r[col]
	if !ok {
		a.t.Fatalf("the answer has no column %q: %v", col, r)
	}
	return v
}

// num reads a numeric column as a float64; null fails.
func (a *answerCheck) num(r map[string]any, col string) float64 {
	a.t.Helper()
	f, ok := asFloat(a.value(r, col))
	if !ok {
		a.t.Fatalf("%s = %#v is not a number", col, r[col])
	}
	return f
}

func asFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case int32:
		return float64(v), true
	case float64:
		return v, true
	case pgtype.Numeric:
		f, err := v.Float64Value()
		return f.Float64, err == nil && f.Valid
	}
	return 0, false
}

func (a *answerCheck) str(r map[string]any, col string) string {
	a.t.Helper()
	s, ok := a.value(r, col).(string)
	if !ok {
		a.t.Fatalf("%s = %#v is not text", col, r[col])
	}
	return s
}

func (a *answerCheck) time(r map[string]any, col string) time.Time {
	a.t.Helper()
	tm, ok := a.value(r, col).(time.Time)
	if !ok {
		a.t.Fatalf("%s = %#v is not a date or time", col, r[col])
	}
	return tm
}

func (a *answerCheck) atMost(n int) {
	a.t.Helper()
	if len(a.rows) > n {
		a.t.Errorf("%d rows, the query promises at most %d", len(a.rows), n)
	}
}

func (a *answerCheck) between(r map[string]any, col string, lo, hi float64) {
	a.t.Helper()
	if v := a.num(r, col); v < lo || v > hi {
		a.t.Errorf("%s = %v, outside [%v, %v]: %v", col, v, lo, hi, r)
	}
}

// descending and ascending check the answer's order on a column (nulls skipped).
func (a *answerCheck) descending(col string) { a.t.Helper(); a.ordered(col, -1) }
func (a *answerCheck) ascending(col string)  { a.t.Helper(); a.ordered(col, 1) }

func (a *answerCheck) ordered(col string, dir int) {
	a.t.Helper()
	var prev any
	for _, r := range a.rows {
		v := a.value(r, col)
		if v == nil {
			continue
		}
		if prev != nil && compareValues(prev, v)*dir > 0 {
			a.t.Errorf("not in %s order of %s: %v before %v", map[int]string{1: "ascending", -1: "descending"}[dir], col, prev, v)
			return
		}
		prev = v
	}
}

func compareValues(x, y any) int {
	if tx, ok := x.(time.Time); ok {
		return tx.Compare(y.(time.Time))
	}
	fx, _ := asFloat(x)
	fy, _ := asFloat(y)
	switch {
	case fx < fy:
		return -1
	case fx > fy:
		return 1
	}
	return 0
}

// same checks that a row's figure equals one computed another way. Reps are named
// in the answers, and two users may share a name: a check grouped by user returns
// one figure per user, and the row's must be one of them.
func (a *answerCheck) same(r map[string]any, col, sql string, args ...any) {
	a.t.Helper()
	rows, err := a.v.st.Pool().Query(a.v.ctx, sql, args...)
	if err != nil {
		a.t.Fatalf("%v\n%s", err, sql)
	}
	want, err := pgx.CollectRows(rows, pgx.RowTo[any])
	if err != nil {
		a.t.Fatalf("%v\n%s", err, sql)
	}
	got := a.value(r, col)
	for _, w := range want {
		if sameValue(got, w) {
			return
		}
	}
	a.t.Errorf("%s = %v, computed another way %v (%v)", col, got, want, r)
}

func sameValue(got, want any) bool {
	if got == nil || want == nil {
		return got == nil && want == nil
	}
	g, ok1 := asFloat(got)
	w, ok2 := asFloat(want)
	if ok1 && ok2 {
		return math.Abs(g-w) <= 1e-9*math.Max(1, math.Abs(w))
	}
	return fmt.Sprint(got) == fmt.Sprint(want)
}

// total checks that a column's sum over the answer equals a figure computed another way.
func (a *answerCheck) total(col, sql string) {
	a.t.Helper()
	sum := 0.0
	for _, r := range a.rows {
		sum += a.num(r, col)
	}
	var want float64
	if err := a.v.st.Pool().QueryRow(a.v.ctx, sql).Scan(&want); err != nil {
		a.t.Fatalf("%v\n%s", err, sql)
	}
	if sum != want {
		a.t.Errorf("the answer's %s add up to %v, computed another way %v", col, sum, want)
	}
}

// sameSet checks that the answer names exactly the ids the query finds another way.
func (a *answerCheck) sameSet(got []string, sql string) {
	a.t.Helper()
	rows, err := a.v.st.Pool().Query(a.v.ctx, sql)
	if err != nil {
		a.t.Fatalf("%v\n%s", err, sql)
	}
	want, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		a.t.Fatal(err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		a.t.Errorf("the answer names %d, computed another way %d; missing %s; unexpected %s",
			len(got), len(want), head(diff(want, got)), head(diff(got, want)))
	}
}
