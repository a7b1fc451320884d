package sync

import (
	"fmt"
	"slices"
	"testing"
)

// fivetranQuestions are questions a dbt project built on Fivetran's Gong connector
// asks, each written once against Fivetran's documented tables and columns (schema
// gong_fivetran, the views) and once against gongsync's own tables. The two must
// answer the same.
var fivetranQuestions = []struct{ name, fivetran, native string }{
	{"external participants and duration of each live call",
		`SELECT c.id, c.duration, count(p.id) FILTER (WHERE p.affiliation = 'External'), count(p.id)
		 FROM gong_fivetran.call c LEFT JOIN gong_fivetran.call_participant p ON p.call_id = c.id
		 WHERE NOT c._fivetran_deleted GROUP BY c.id, c.duration`,
		`SELECT c.id, c.duration_seconds, count(p.party_id) FILTER (WHERE p.affiliation = 'External'), count(p.party_id)
		 FROM calls c LEFT JOIN call_parties p ON p.call_id = c.id
		 WHERE c.deleted_at IS NULL GROUP BY c.id, c.duration_seconds`},
	{"calls deleted in Gong",
		`SELECT count(*) FILTER (WHERE _fivetran_deleted), count(*) FROM gong_fivetran.call`,
		`SELECT count(*) FILTER (WHERE deleted_at IS NOT NULL), count(*) FROM calls`},
	{"sentences and characters per speaker, named from the participants",
		`SELECT t.call_id, p.name, count(*), sum(length(s ->> 'text')), min((s ->> 'start')::bigint)
		 FROM gong_fivetran.transcript t
		 CROSS JOIN LATERAL jsonb_array_elements(t.sentence) s
		 LEFT JOIN gong_fivetran.call_participant p ON p.call_id = t.call_id AND p.speaker_id = t.speaker_id
		 WHERE NOT t._fivetran_deleted GROUP BY t.call_id, p.name`,
		`SELECT s.call_id, p.name, count(*), sum(length(s.text)), min(s.start_ms)
		 FROM transcript_sentences s JOIN calls c ON c.id = s.call_id
		 LEFT JOIN call_parties p ON p.call_id = s.call_id AND p.speaker_id = s.speaker_id
		 WHERE c.deleted_at IS NULL GROUP BY s.call_id, p.name`},
	{"talk time per user",
		`SELECT u.email_address, sum(s.talk_time)::numeric(20,3)
		 FROM gong_fivetran.call_speaker s JOIN gong_fivetran.users u ON u.id = s.user_id
		 WHERE NOT s._fivetran_deleted GROUP BY u.email_address`,
		`SELECT u.email_address, sum(s.talk_time_seconds)::numeric(20,3)
		 FROM call_speakers s JOIN calls c ON c.id = s.call_id AND c.deleted_at IS NULL JOIN users u ON u.id = s.user_id
		 GROUP BY u.email_address`},
	{"calls and hits per tracker",
		`SELECT tr.tracker_name, count(DISTINCT ct.call_id), count(ct.start_time)
		 FROM gong_fivetran.call_tracker ct JOIN gong_fivetran.tracker tr ON tr.tracker_id = ct.id
		 WHERE NOT ct._fivetran_deleted AND ct.count > 0 GROUP BY tr.tracker_name`,
		`SELECT tr.name, count(DISTINCT t.call_id), count(o.start_seconds)
		 FROM call_trackers t JOIN calls c ON c.id = t.call_id AND c.deleted_at IS NULL
		 JOIN trackers tr ON tr.id = t.tracker_id
		 LEFT JOIN call_tracker_occurrences o ON o.call_id = t.call_id AND o.tracker_id = t.tracker_id
		 WHERE t.count > 0 GROUP BY tr.name`},
	{"time per topic",
		`SELECT name, count(*), sum(duration) FROM gong_fivetran.call_topic WHERE NOT _fivetran_deleted GROUP BY name`,
		`SELECT t.name, count(*), sum(t.duration_seconds) FROM call_topics t JOIN calls c ON c.id = t.call_id
		 WHERE c.deleted_at IS NULL GROUP BY t.name`},
	{"overall score of each reviewed rep per scorecard",
		`SELECT u.email_address, sc.name, count(*), avg(x.score)::numeric(10,4)
		 FROM gong_fivetran.answered_scorecard a
		 JOIN gong_fivetran.answered_scorecard_answer x ON x.answered_scorecard_id = a.id
		 JOIN gong_fivetran.scorecard sc ON sc.id = a.scorecard_id
		 JOIN gong_fivetran.scorecard_question q ON q.question_id = x.question_id
		 JOIN gong_fivetran.users u ON u.id = a.reviewed_user_id
		 WHERE NOT a._fivetran_deleted AND x.is_overall AND NOT x.not_applicable
		 GROUP BY u.email_address, sc.name`,
		`SELECT u.email_address, sc.name, count(*), avg(x.score)::numeric(10,4)
		 FROM answered_scorecards a
		 JOIN answered_scorecard_answers x ON x.answered_scorecard_id = a.id
		 JOIN scorecards sc ON sc.id = a.scorecard_id
		 JOIN scorecard_questions q ON q.question_id = x.question_id
		 JOIN users u ON u.id = a.reviewed_user_id
		 WHERE a.deleted_at IS NULL AND x.is_overall AND NOT x.not_applicable
		 GROUP BY u.email_address, sc.name`},
	{"active users with their managers",
		`SELECT u.email_address, m.email_address, u.emails_imported, u.web_conferences_recorded
		 FROM gong_fivetran.users u LEFT JOIN gong_fivetran.users m ON m.id = u.manager_id
		 WHERE u.active AND NOT u._fivetran_deleted`,
		`SELECT u.email_address, m.email_address, (u.settings ->> 'emailsImported')::boolean, (u.settings ->> 'webConferencesRecorded')::boolean
		 FROM users u LEFT JOIN users m ON m.id = u.manager_id
		 WHERE u.active AND u.deleted_at IS NULL`},
	{"opportunity amount at the time of each call",
		`SELECT ci.call_id, ci.object_id, ci.value #>> '{}'
		 FROM gong_fivetran.call_context_integration ci JOIN gong_fivetran.call c ON c.id = ci.call_id
		 WHERE ci.object_type = 'Opportunity' AND ci.name = 'Amount' AND ci.timing = 'TimeOfCall' AND NOT c._fivetran_deleted`,
		`SELECT f.call_id, f.object_id, f.value_text
		 FROM call_crm_fields f JOIN calls c ON c.id = f.call_id AND c.deleted_at IS NULL
		 WHERE f.object_type = 'Opportunity' AND f.name = 'Amount' AND f.timing = 'TimeOfCall'`},
	{"calls per workspace and month",
		`SELECT w.name, date_trunc('month', c.started), count(*)
		 FROM gong_fivetran.call c JOIN gong_fivetran.workspace w ON w.id = c.workspace_id
		 WHERE NOT c._fivetran_deleted GROUP BY 1, 2`,
		`SELECT w.name, date_trunc('month', c.started), count(*)
		 FROM calls c JOIN workspaces w ON w.id = c.workspace_id
		 WHERE c.deleted_at IS NULL GROUP BY 1, 2`},
}

// Queries written against Fivetran's table and column names run unchanged on the
// views of a synced database and answer what the same questions asked of gongsync's
// tables answer: calls and participants, transcripts, trackers, topics, answered
// scorecards, users and managers, CRM context. Some calls are deleted first, so that
// the flag is exercised.
func TestFivetranViewsAnswerAsGongsyncsTables(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{})
	v.backfill(day0, v.clock.Now())
	v.pass()
	if _, err := v.st.Pool().Exec(v.ctx, `UPDATE calls SET deleted_at = now() WHERE hashtext(id) % 10 = 0`); err != nil {
		t.Fatal(err)
	}
	if n := v.count(`SELECT count(*) FROM calls WHERE deleted_at IS NOT NULL`); n == 0 {
		t.Fatal("no call deleted: the flag goes untested")
	}
	if err := v.st.CreateFivetranViews(v.ctx); err != nil {
		t.Fatal(err)
	}
	rowsOf := func(sql string) []string {
		t.Helper()
		rows, err := v.st.Pool().Query(v.ctx, sql)
		if err != nil {
			t.Fatalf("%v\n%s", err, sql)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(vals...))
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%v\n%s", err, sql)
		}
		slices.Sort(out)
		return out
	}
	for _, q := range fivetranQuestions {
		t.Run(q.name, func(t *testing.T) {
			got, want := rowsOf(q.fivetran), rowsOf(q.native)
			if len(want) == 0 {
				t.Fatalf("gongsync's tables answer nothing: the comparison proves nothing\n%s", q.native)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("the views answer %d rows, gongsync's tables %d\nviews:\n  %s\ntables:\n  %s",
					len(got), len(want), head(got), head(want))
			}
		})
	}
}
