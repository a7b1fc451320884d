package store

import (
	"context"
	"fmt"
	"time"
)

// Scorecards: their definitions (a full refresh of a small set, like trackers) with
// their questions as child rows, and the answered scorecards (reviews of calls, read
// by review date) with their answers as child rows. Both go through the shared upsert
// path: a changed record's children are replaced whole.

// Scorecard is one scorecard's definition (GET /v2/settings/scorecards).
type Scorecard struct {
	ID            string     `db:"id"`
	Name          *string    `db:"name"`
	WorkspaceID   *string    `db:"workspace_id"`
	Enabled       *bool      `db:"enabled"`
	ReviewMethod  *string    `db:"review_method"`
	UpdaterUserID *string    `db:"updater_user_id"`
	Created       *time.Time `db:"created"`
	Updated       *time.Time `db:"updated"`
	Raw           []byte     `db:"raw"`

	Questions []ScorecardQuestion
}

// ScorecardQuestion is one question of a scorecard; Position numbers them from 0 in
// the order Gong lists them.
type ScorecardQuestion struct {
	QuestionID         string     `db:"question_id,key"`
	QuestionRevisionID *string    `db:"question_revision_id"`
	Position           int32      `db:"position"`
	QuestionText       *string    `db:"question_text"`
	QuestionType       *string    `db:"question_type"`
	IsOverall          *bool      `db:"is_overall"`
	AnswerGuide        *string    `db:"answer_guide"`
	MinRange           *int64     `db:"min_range"`
	MaxRange           *int64     `db:"max_range"`
	AnswerOptions      []byte     `db:"answer_options,json"`
	Created            *time.Time `db:"created"`
	Updated            *time.Time `db:"updated"`
	UpdaterUserID      *string    `db:"updater_user_id"`
}

// AnsweredScorecard is one review of a call (POST /v2/stats/activity/scorecards).
// ReviewDate is the review's calendar date in the company's time zone (the date Gong's
// review date filters select it by), at midnight UTC.
type AnsweredScorecard struct {
	ID             string     `db:"id"`
	ScorecardID    *string    `db:"scorecard_id"`
	ScorecardName  *string    `db:"scorecard_name"`
	CallID         *string    `db:"call_id"`
	CallStarted    *time.Time `db:"call_started"`
	ReviewedUserID *string    `db:"reviewed_user_id"`
	ReviewerUserID *string    `db:"reviewer_user_id"`
	ReviewTime     *time.Time `db:"review_time"`
	ReviewDate     *time.Time `db:"review_date"`
	Visibility     *string    `db:"visibility"`
	Raw            []byte     `db:"raw"`

	Answers []ScorecardAnswer
}

// ScorecardAnswer is the answer to one question of an answered scorecard.
type ScorecardAnswer struct {
	QuestionID         string   `db:"question_id,key"`
	QuestionRevisionID *string  `db:"question_revision_id"`
	IsOverall          *bool    `db:"is_overall"`
	Score              *Decimal `db:"score"`
	AnswerText         *string  `db:"answer_text"`
	NotApplicable      *bool    `db:"not_applicable"`
	SelectedOptions    []string `db:"selected_options"`
}

var (
	scorecardEntity = newEntity("scorecard", "scorecards", childTable[Scorecard](&childRows[Scorecard, ScorecardQuestion]{
		table: "scorecard_questions", parent: "scorecard_id",
		parentKey: func(s *Scorecard) *string { return &s.ID },
		shape:     shapeOf[ScorecardQuestion](),
		of:        func(s *Scorecard) []ScorecardQuestion { return s.Questions },
	}))
	answeredScorecardEntity = newEntity("answered scorecard", "answered_scorecards", childTable[AnsweredScorecard](&childRows[AnsweredScorecard, ScorecardAnswer]{
		table: "answered_scorecard_answers", parent: "answered_scorecard_id",
		parentKey: func(a *AnsweredScorecard) *string { return &a.ID },
		shape:     shapeOf[ScorecardAnswer](),
		of:        func(a *AnsweredScorecard) []ScorecardAnswer { return a.Answers },
	}))
)

// UpsertScorecards writes scorecard definitions and, for new or changed ones, their
// questions (see UpsertResult for what happens to each).
func (tx *Tx) UpsertScorecards(ctx context.Context, ss []Scorecard) (UpsertResult, error) {
	return upsert(ctx, tx, scorecardEntity, ss)
}

// MarkScorecardsMissing soft-deletes the scorecards not seen since notSeenSince (the
// database time a complete read of the definitions began) and returns their ids.
func (tx *Tx) MarkScorecardsMissing(ctx context.Context, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "scorecards", "true", notSeenSince)
	if err != nil {
		return nil, fmt.Errorf("mark missing scorecards: %w", err)
	}
	return ids, nil
}

// UpsertAnsweredScorecards writes answered scorecards and, for new or changed ones,
// their answers (see UpsertResult for what happens to each).
func (tx *Tx) UpsertAnsweredScorecards(ctx context.Context, as []AnsweredScorecard) (UpsertResult, error) {
	return upsert(ctx, tx, answeredScorecardEntity, as)
}

// MarkAnsweredScorecardsOfCallsDeleted marks deleted the answered scorecards of the
// calls started in [from, to) that Gong no longer returns: not deleted yet, and not
// seen since notSeenSince (the database time reading the range began). It returns
// their ids.
func (tx *Tx) MarkAnsweredScorecardsOfCallsDeleted(ctx context.Context, from, to, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "answered_scorecards", `call_started >= $2 AND call_started < $3`, notSeenSince, from, to)
	if err != nil {
		return nil, fmt.Errorf("mark deleted answered scorecards of the calls started in [%s, %s): %w",
			from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return ids, nil
}

// MarkAnsweredScorecardsDeleted soft-deletes the answered scorecards of a completely
// read range of review dates that Gong no longer returns: those whose review date is
// in [from, to) (calendar dates, at midnight UTC), not deleted yet, and not seen since
// notSeenSince (the database time reading the range began). It returns their ids.
func (tx *Tx) MarkAnsweredScorecardsDeleted(ctx context.Context, from, to, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "answered_scorecards", `review_date >= $2::date AND review_date < $3::date`,
		notSeenSince, from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("mark deleted answered scorecards of review dates [%s, %s): %w",
			from.Format(time.DateOnly), to.Format(time.DateOnly), err)
	}
	return ids, nil
}
