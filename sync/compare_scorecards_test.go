package sync

import (
	"fmt"
	"strings"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// assertScorecardsMatchGong checks that every live scorecard, question, answered
// scorecard and answer in the tables is exactly what Gong serves at virtual time at,
// built from the fake's records independently of normalize_scorecards.go; a record
// Gong no longer serves is marked deleted (the comparisons read the live rows only).
func (v *env) assertScorecardsMatchGong(at time.Time) {
	v.t.Helper()
	v.assertScorecardDefinitionsMatchGong(at)
	v.assertAnsweredScorecardsMatchGong(at)
}

// assertScorecardDefinitionsMatchGong compares the scorecards and their questions.
func (v *env) assertScorecardDefinitionsMatchGong(at time.Time) {
	v.t.Helper()
	var wantCards, wantQuestions []string
	cards := v.fake.Dataset().ScorecardsAt(at)
	for _, c := range cards {
		wantCards = append(wantCards, fmt.Sprintf("%s¦%s¦%s¦%v¦%s¦%s¦%s¦%s", c.ScorecardID, c.ScorecardName, c.WorkspaceID, c.Enabled,
			c.ReviewMethod, c.UpdaterUserID, micros(c.Created), micros(c.Updated)))
		for i, q := range c.Questions {
			var opts []string
			for _, o := range q.AnswerOptions {
				opts = append(opts, fmt.Sprintf("%d:%s", o.ID, o.Text))
			}
			wantQuestions = append(wantQuestions, fmt.Sprintf("%s¦%s¦%s¦%d¦%s¦%s¦%v¦%s¦%s¦%s¦array:%s¦%s¦%s¦%s",
				c.ScorecardID, q.QuestionID, q.QuestionRevisionID, i, q.QuestionText, q.QuestionType, q.IsOverall, q.AnswerGuide,
				deref(q.MinRange), deref(q.MaxRange), strings.Join(opts, ","), micros(q.Created), micros(q.Updated), q.UpdaterUserID))
		}
	}
	if len(cards) == 0 {
		v.t.Fatal("Gong serves no scorecard: the comparison proves nothing")
	}
	v.compare("scorecards", wantCards, `SELECT id || '¦' || coalesce(name, '') || '¦' || coalesce(workspace_id, '') || '¦' || coalesce(enabled::text, '')
		|| '¦' || coalesce(review_method, '') || '¦' || coalesce(updater_user_id, '') || '¦' || `+utc("created")+` || '¦' || `+utc("updated")+`
		FROM scorecards WHERE deleted_at IS NULL`)
	v.compare("scorecard_questions", wantQuestions, `SELECT q.scorecard_id || '¦' || question_id || '¦' || coalesce(question_revision_id, '')
		|| '¦' || position || '¦' || coalesce(question_text, '') || '¦' || coalesce(question_type, '') || '¦' || coalesce(is_overall::text, '')
		|| '¦' || coalesce(answer_guide, '') || '¦' || coalesce(min_range::text, '') || '¦' || coalesce(max_range::text, '')
		|| '¦' || coalesce(jsonb_typeof(answer_options), 'null') || ':'
		|| coalesce((SELECT string_agg((o ->> 'id') || ':' || (o ->> 'text'), ',' ORDER BY n)
			FROM jsonb_array_elements(CASE jsonb_typeof(answer_options) WHEN 'array' THEN answer_options END) WITH ORDINALITY e(o, n)), '')
		|| '¦' || `+utc("q.created")+` || '¦' || `+utc("q.updated")+` || '¦' || coalesce(q.updater_user_id, '')
		FROM scorecard_questions q JOIN scorecards s ON s.id = q.scorecard_id AND s.deleted_at IS NULL`)
}

// utc renders a timestamptz column as micros renders a time.
func utc(col string) string {
	return `coalesce(to_char(` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '')`
}

// assertAnsweredScorecardsMatchGong compares the answered scorecards and their answers.
func (v *env) assertAnsweredScorecardsMatchGong(at time.Time) {
	v.t.Helper()
	var wantReviews, wantAnswers []string
	reviews := v.fake.Dataset().AnsweredScorecardsAt(at)
	for _, r := range reviews {
		wantReviews = append(wantReviews, fmt.Sprintf("%s¦%s¦%s¦%s¦%s¦%s¦%s¦%s¦%s¦%s", r.AnsweredScorecardID, r.ScorecardID, r.ScorecardName,
			r.CallID, micros(r.CallStartTime), r.ReviewedUserID, r.ReviewerUserID, micros(r.ReviewTime),
			r.ReviewTime.Format(time.DateOnly), r.VisibilityType)) // the fake writes reviewTime in the company's offset
		for _, a := range r.Answers {
			score := ""
			if a.Score != nil {
				score = fmt.Sprint(*a.Score)
			}
			opts := "∅"
			if a.SelectedOptions != nil {
				opts = strings.Join(a.SelectedOptions, ",")
			}
			wantAnswers = append(wantAnswers, fmt.Sprintf("%s¦%s¦%s¦%v¦%s¦%s¦%v¦%s", r.AnsweredScorecardID, a.QuestionID, a.QuestionRevisionID,
				a.IsOverall, score, deref(a.AnswerText), a.NotApplicable, opts))
		}
	}
	if len(reviews) == 0 {
		v.t.Fatal("Gong serves no review: the comparison proves nothing")
	}
	v.compare("answered_scorecards", wantReviews, `SELECT id || '¦' || coalesce(scorecard_id, '') || '¦' || coalesce(scorecard_name, '')
		|| '¦' || coalesce(call_id, '') || '¦' || `+utc("call_started")+` || '¦' || coalesce(reviewed_user_id, '')
		|| '¦' || coalesce(reviewer_user_id, '') || '¦' || `+utc("review_time")+` || '¦' || coalesce(review_date::text, '')
		|| '¦' || coalesce(visibility, '') FROM answered_scorecards WHERE deleted_at IS NULL`)
	v.compare("answered_scorecard_answers", wantAnswers, `SELECT x.answered_scorecard_id || '¦' || question_id || '¦' || coalesce(question_revision_id, '')
		|| '¦' || coalesce(is_overall::text, '') || '¦' || coalesce(score::text, '') || '¦' || coalesce(answer_text, '')
		|| '¦' || coalesce(not_applicable::text, '') || '¦' || coalesce(array_to_string(selected_options, ','), '∅')
		FROM answered_scorecard_answers x JOIN answered_scorecards a ON a.id = x.answered_scorecard_id AND a.deleted_at IS NULL`)
}

// reviewCounts are what the fake's dataset says happened to its reviews by virtual
// time at: how many were shown late, edited, and deleted.
func reviewCounts(ds *fakegong.Dataset, at time.Time) (late, edited, deleted int) {
	for _, r := range ds.Reviews() {
		if r.Late && !r.ShownAt.After(at) {
			late++
		}
		if !r.EditedAt.IsZero() && !r.EditedAt.After(at) {
			edited++
		}
		if !r.DeletedAt.IsZero() && !r.DeletedAt.After(at) {
			deleted++
		}
	}
	return late, edited, deleted
}
