package gongapi

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"time"
)

// Scorecards are how a team coaches: a scorecard's definition (its questions) lives in
// Gong's settings, and each review of a call answers one. Gong's document types their
// ids, ranges and scores as integers, but live tenants send the definitions' ids and
// ranges as strings ("scorecardId":"9067931441193858457", "minRange":"1",
// "updaterUserId":"-1"), answerOptions as [] on range questions, and fields the
// document lacks (reviewMethod, a question's created and updated). No successful live
// answer of the answered scorecards has been recorded, so every id and number there
// is read as either form too: ids as ID (digits kept as text, never through a
// float: they pass 2^53), ranges as Int, scores as Decimal (a fraction is a value).

// Endpoints of the scorecard streams.
const (
	EndpointScorecards         = "GET /v2/settings/scorecards"
	EndpointAnsweredScorecards = "POST /v2/stats/activity/scorecards"
)

// ---- definitions (settings) ----

// ScorecardsResponse answers GET /v2/settings/scorecards (not paginated).
type ScorecardsResponse struct {
	RequestID  string      `json:"requestId"`
	Scorecards []Scorecard `json:"scorecards"`
}

// Scorecard is one scorecard's definition (Gong's Scorecard schema).
type Scorecard struct {
	ScorecardID   ID      `json:"scorecardId"`
	ScorecardName *string `json:"scorecardName"`
	WorkspaceID   *ID     `json:"workspaceId"`
	Enabled       *bool   `json:"enabled"`
	UpdaterUserID *ID     `json:"updaterUserId"`
	Created       Time    `json:"created"`
	Updated       Time    `json:"updated"`
	// ReviewMethod is not in Gong's document; live tenants send it ("MANUAL").
	ReviewMethod *string             `json:"reviewMethod"`
	Questions    []ScorecardQuestion `json:"questions"`

	// Raw is the scorecard exactly as Gong sent it (empty when built in Go).
	Raw json.RawMessage `json:"-"`
}

// ScorecardQuestion is one question of a scorecard (Gong's Question schema).
type ScorecardQuestion struct {
	QuestionID         ID      `json:"questionId"`
	QuestionRevisionID *ID     `json:"questionRevisionId"`
	QuestionText       *string `json:"questionText"`
	IsOverall          *bool   `json:"isOverall"`
	QuestionType       *string `json:"questionType"`
	AnswerGuide        *string `json:"answerGuide"`
	MinRange           *Int    `json:"minRange"`
	MaxRange           *Int    `json:"maxRange"`
	// AnswerOptions ([{id, text}] for select questions, [] or null otherwise) is stored
	// as the document Gong sent.
	AnswerOptions json.RawMessage `json:"answerOptions"`
	// Created, Updated and UpdaterUserID are not in Gong's document; live tenants send them.
	Created       Time `json:"created"`
	Updated       Time `json:"updated"`
	UpdaterUserID *ID  `json:"updaterUserId"`
}

// Problem says why a scorecard cannot be stored ("" when it can): it has no id, or a
// question without an id (a question is keyed by its id within the scorecard).
func (s *Scorecard) Problem() string {
	if s.ScorecardID == "" {
		return "scorecardId is empty"
	}
	for i := range s.Questions {
		if s.Questions[i].QuestionID == "" {
			return fmt.Sprintf("question %d has no questionId", i)
		}
	}
	return ""
}

// UnmarshalJSON decodes a scorecard and keeps its raw bytes.
func (s *Scorecard) UnmarshalJSON(b []byte) error {
	type plain Scorecard
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = Scorecard(p)
	s.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// Scorecards lists every scorecard's definition with its questions (GET
// /v2/settings/scorecards). A scorecard Gong sends without an id, or with a question
// without one, fails the answer as ErrMalformedResponse naming it.
func (c *Client) Scorecards(ctx context.Context) ([]Scorecard, error) {
	method, path := splitEndpoint(EndpointScorecards)
	var resp ScorecardsResponse
	if err := c.getJSON(ctx, newRequest(method, path, nil, nil), &resp); err != nil {
		return nil, err
	}
	for i := range resp.Scorecards {
		if problem := resp.Scorecards[i].Problem(); problem != "" {
			return nil, &APIError{Class: ClassMalformedResponse, Endpoint: EndpointScorecards, Status: http.StatusOK,
				RequestID: resp.RequestID, Detail: fmt.Sprintf("scorecard %d%s: %s", i, idSuffix(string(resp.Scorecards[i].ScorecardID)), problem)}
		}
	}
	return resp.Scorecards, nil
}

// ---- answered scorecards (stats) ----

// AnsweredScorecardsRequest is the body of POST /v2/stats/activity/scorecards. The
// cursor travels in the body, next to the filter.
type AnsweredScorecardsRequest struct {
	Cursor string                   `json:"cursor,omitempty"`
	Filter AnsweredScorecardsFilter `json:"filter"`
}

// AnsweredScorecardsFilter selects reviews. The dates are calendar dates (YYYY-MM-DD,
// FormatFilterDate) in the company's time zone, from inclusive, to exclusive: a range
// from a day to the same day is empty (Gong answers its empty-result 404), so the
// client refuses it rather than let a caller read nothing and believe it.
type AnsweredScorecardsFilter struct {
	CallFromDate    string `json:"callFromDate,omitempty"`
	CallToDate      string `json:"callToDate,omitempty"`
	ReviewFromDate  string `json:"reviewFromDate,omitempty"`
	ReviewToDate    string `json:"reviewToDate,omitempty"`
	ReviewedUserIDs []ID   `json:"reviewedUserIds,omitempty"`
	ScorecardIDs    []ID   `json:"scorecardIds,omitempty"`
}

// AnsweredScorecardsResponse answers POST /v2/stats/activity/scorecards.
type AnsweredScorecardsResponse struct {
	RequestID          string              `json:"requestId"`
	Records            *Records            `json:"records,omitempty"`
	AnsweredScorecards []AnsweredScorecard `json:"answeredScorecards"`
}

// AnsweredScorecard is one review of a call: a scorecard answered by a reviewer about
// the user who hosted the call (Gong's AnsweredScorecard schema).
type AnsweredScorecard struct {
	AnsweredScorecardID ID      `json:"answeredScorecardId"`
	ScorecardID         *ID     `json:"scorecardId"`
	ScorecardName       *string `json:"scorecardName"`
	CallID              *ID     `json:"callId"`
	CallStartTime       Time    `json:"callStartTime"`
	ReviewedUserID      *ID     `json:"reviewedUserId"`
	ReviewerUserID      *ID     `json:"reviewerUserId"`
	// ReviewTime is when the review was published, in the company's offset: its
	// calendar date there is the one the review date filters select it by.
	ReviewTime     Time              `json:"reviewTime"`
	VisibilityType *string           `json:"visibilityType"`
	Answers        []ScorecardAnswer `json:"answers"`

	// Raw is the answered scorecard exactly as Gong sent it (empty when built in Go).
	Raw json.RawMessage `json:"-"`
}

// ScorecardAnswer is the answer to one question of an answered scorecard (Gong's
// Answer schema). Score, AnswerText and SelectedOptions are null when the question
// was not answered that way. The document types Score as an integer; a fraction (a
// half-point) is taken as the value it is.
type ScorecardAnswer struct {
	QuestionID         ID       `json:"questionId"`
	QuestionRevisionID *ID      `json:"questionRevisionId"`
	IsOverall          *bool    `json:"isOverall"`
	Score              *Decimal `json:"score"`
	AnswerText         *string  `json:"answerText"`
	NotApplicable      *bool    `json:"notApplicable"`
	// SelectedOptions are the ids of the options chosen (strings in Gong's document;
	// numbers are read as well).
	SelectedOptions []ID `json:"selectedOptions"`
}

// Problem says why an answered scorecard cannot be stored ("" when it can): it has no
// id, or an answer without a questionId (answers are keyed by it). This is the one
// place that rule is written.
func (a *AnsweredScorecard) Problem() string {
	if a.AnsweredScorecardID == "" {
		return "answeredScorecardId is empty"
	}
	for i := range a.Answers {
		if a.Answers[i].QuestionID == "" {
			return fmt.Sprintf("answer %d has no questionId", i)
		}
	}
	return ""
}

var answeredScorecardsSpec = &endpointSpec[AnsweredScorecard]{
	name:  EndpointAnsweredScorecards,
	items: "answeredScorecards",
	// The page decoder hands each record its raw bytes (setRaw), as for calls.
	target: func(a *AnsweredScorecard) any { return a },
	setRaw: func(a *AnsweredScorecard, raw []byte) { a.Raw = raw },
	id:     func(a *AnsweredScorecard) ID { return a.AnsweredScorecardID },
	rawID: func(raw json.RawMessage) string {
		var v struct {
			ID json.RawMessage `json:"answeredScorecardId"`
		}
		_ = json.Unmarshal(raw, &v)
		return rawIDText(v.ID)
	},
	check: (*AnsweredScorecard).Problem,
}

// checkDates refuses a date filter Gong would misread: a bound that is not a calendar
// date, or a range that selects no day (the end is exclusive).
func checkDates(endpoint, name string, from, to string) error {
	var f, t time.Time
	var err error
	if from != "" {
		if f, err = time.Parse(time.DateOnly, from); err != nil {
			return &APIError{Class: ClassBadRequest, Endpoint: endpoint, Detail: fmt.Sprintf("%sFromDate %q is not a YYYY-MM-DD date", name, from)}
		}
	}
	if to != "" {
		if t, err = time.Parse(time.DateOnly, to); err != nil {
			return &APIError{Class: ClassBadRequest, Endpoint: endpoint, Detail: fmt.Sprintf("%sToDate %q is not a YYYY-MM-DD date", name, to)}
		}
	}
	if from != "" && to != "" && !f.Before(t) {
		return &APIError{Class: ClassBadRequest, Endpoint: endpoint, Detail: fmt.Sprintf(
			"%sFromDate %s is not before %sToDate %s: the end is exclusive, so the range selects no day (Gong answers it as empty)",
			name, from, name, to)}
	}
	return nil
}

// AnsweredScorecardsPage fetches one page of POST /v2/stats/activity/scorecards,
// starting at req.Cursor ("" for the first page).
func (c *Client) AnsweredScorecardsPage(ctx context.Context, req AnsweredScorecardsRequest) (*Page[AnsweredScorecard], error) {
	f := req.Filter
	if err := checkDates(EndpointAnsweredScorecards, "review", f.ReviewFromDate, f.ReviewToDate); err != nil {
		return nil, err
	}
	if err := checkDates(EndpointAnsweredScorecards, "call", f.CallFromDate, f.CallToDate); err != nil {
		return nil, err
	}
	r, err := postJSON(EndpointAnsweredScorecards, req)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, c, answeredScorecardsSpec, r, req.Cursor)
}

// AnsweredScorecards iterates over the pages of POST /v2/stats/activity/scorecards from
// req.Cursor to the last page, changing nothing but the cursor between pages.
func (c *Client) AnsweredScorecards(ctx context.Context, req AnsweredScorecardsRequest) iter.Seq2[*Page[AnsweredScorecard], error] {
	return pages(EndpointAnsweredScorecards, req.Cursor, func(cursor string) (*Page[AnsweredScorecard], error) {
		req.Cursor = cursor
		return c.AnsweredScorecardsPage(ctx, req)
	})
}
