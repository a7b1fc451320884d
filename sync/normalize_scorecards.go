package sync

import (
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// The scorecard records onto rows, as normalize.go maps the calls: text cleaned, ids
// as text, JSON blocks passed through. Every record here passed gongapi's Problem
// (an id, and an id on every question or answer), so the mapping cannot fail.

// ScorecardRows maps the scorecard definitions answer.
func ScorecardRows(ss []gongapi.Scorecard) []store.Scorecard {
	rows := make([]store.Scorecard, 0, len(ss))
	for i := range ss {
		s := &ss[i]
		row := store.Scorecard{
			ID:            clean(string(s.ScorecardID)),
			Name:          cleanPtr(s.ScorecardName),
			WorkspaceID:   idPtr(s.WorkspaceID),
			Enabled:       s.Enabled,
			ReviewMethod:  cleanPtr(s.ReviewMethod),
			UpdaterUserID: idPtr(s.UpdaterUserID),
			Created:       s.Created.Ptr(),
			Updated:       s.Updated.Ptr(),
			Raw:           rawJSON(s.Raw, s),
			Questions:     make([]store.ScorecardQuestion, 0, len(s.Questions)),
		}
		for j := range s.Questions {
			q := &s.Questions[j]
			row.Questions = append(row.Questions, store.ScorecardQuestion{
				QuestionID:         clean(string(q.QuestionID)),
				QuestionRevisionID: idPtr(q.QuestionRevisionID),
				Position:           int32(j),
				QuestionText:       cleanPtr(q.QuestionText),
				QuestionType:       cleanPtr(q.QuestionType),
				IsOverall:          q.IsOverall,
				AnswerGuide:        cleanPtr(q.AnswerGuide),
				MinRange:           q.MinRange.Ptr(),
				MaxRange:           q.MaxRange.Ptr(),
				AnswerOptions:      jsonDoc(q.AnswerOptions),
				Created:            q.Created.Ptr(),
				Updated:            q.Updated.Ptr(),
				UpdaterUserID:      idPtr(q.UpdaterUserID),
			})
		}
		rows = append(rows, row)
	}
	return rows
}

// AnsweredScorecardRows maps a page of answered scorecards. The review date is the
// calendar date of reviewTime in the offset Gong wrote it in, the company's: the date
// Gong's review date filters select the review by.
func AnsweredScorecardRows(as []gongapi.AnsweredScorecard) []store.AnsweredScorecard {
	rows := make([]store.AnsweredScorecard, 0, len(as))
	for i := range as {
		a := &as[i]
		row := store.AnsweredScorecard{
			ID:             clean(string(a.AnsweredScorecardID)),
			ScorecardID:    idPtr(a.ScorecardID),
			ScorecardName:  cleanPtr(a.ScorecardName),
			CallID:         idPtr(a.CallID),
			CallStarted:    a.CallStartTime.Ptr(),
			ReviewedUserID: idPtr(a.ReviewedUserID),
			ReviewerUserID: idPtr(a.ReviewerUserID),
			ReviewTime:     a.ReviewTime.Ptr(),
			Visibility:     cleanPtr(a.VisibilityType),
			Raw:            rawJSON(a.Raw, a),
			Answers:        make([]store.ScorecardAnswer, 0, len(a.Answers)),
		}
		if !a.ReviewTime.IsZero() {
			d := calendarDate(a.ReviewTime.Time)
			row.ReviewDate = &d
		}
		for j := range a.Answers {
			x := &a.Answers[j]
			ans := store.ScorecardAnswer{
				QuestionID:         clean(string(x.QuestionID)),
				QuestionRevisionID: idPtr(x.QuestionRevisionID),
				IsOverall:          x.IsOverall,
				Score:              decimalPtr(x.Score),
				AnswerText:         cleanPtr(x.AnswerText),
				NotApplicable:      x.NotApplicable,
			}
			if x.SelectedOptions != nil {
				ans.SelectedOptions = make([]string, len(x.SelectedOptions))
				for k, o := range x.SelectedOptions {
					ans.SelectedOptions[k] = clean(string(o))
				}
			}
			row.Answers = append(row.Answers, ans)
		}
		rows = append(rows, row)
	}
	return rows
}

// calendarDate is t's calendar date, in t's own location, as midnight UTC: how the
// store and the checkpoints hold a date.
func calendarDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// decimalPtr passes a number Gong sent on to a numeric column as its text.
func decimalPtr(d *gongapi.Decimal) *store.Decimal {
	if d == nil {
		return nil
	}
	v := store.Decimal(*d)
	return &v
}
