package gongapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// allReviews reads every page of answered scorecards for req.
func allReviews(t *testing.T, c *gongapi.Client, req gongapi.AnsweredScorecardsRequest) []gongapi.AnsweredScorecard {
	t.Helper()
	var out []gongapi.AnsweredScorecard
	for page, err := range c.AnsweredScorecards(t.Context(), req) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Items...)
	}
	return out
}

var allTime = gongapi.AnsweredScorecardsRequest{Filter: gongapi.AnsweredScorecardsFilter{ReviewFromDate: "2023-01-01", ReviewToDate: "2025-01-01"}}

// The definitions as live tenants send them (ids and ranges as strings, answerOptions
// [], reviewMethod) and the reviews as the document types them (ids as numbers beyond
// 2^53) decode to the dataset's values, digit for digit, each record with its raw bytes.
func TestScorecardsAgainstTheDataset(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{Calls: 600})
	c, _ := client(t, base, nil)
	d := s.Dataset()

	cards, err := c.Scorecards(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := d.ScorecardsAt(virtualNow)
	if len(cards) != len(want) || len(cards) == 0 {
		t.Fatalf("%d scorecards, the dataset lists %d", len(cards), len(want))
	}
	for i, sc := range cards {
		w := want[i]
		if string(sc.ScorecardID) != w.ScorecardID || *sc.ScorecardName != w.ScorecardName || string(*sc.UpdaterUserID) != w.UpdaterUserID ||
			*sc.ReviewMethod != w.ReviewMethod || !sc.Updated.Equal(w.Updated) || len(sc.Questions) != len(w.Questions) || len(sc.Raw) == 0 {
			t.Fatalf("scorecard %d: %+v, want %+v", i, sc, w)
		}
		for j, q := range sc.Questions {
			wq := w.Questions[j]
			if string(q.QuestionID) != wq.QuestionID || string(*q.QuestionRevisionID) != wq.QuestionRevisionID {
				t.Errorf("question %s: ids differ", wq.QuestionID)
			}
			if (q.MinRange == nil) != (wq.MinRange == nil) || (wq.MinRange != nil && strconv.FormatInt(int64(*q.MinRange), 10) != *wq.MinRange) {
				t.Errorf("question %s: minRange %v, want %v", wq.QuestionID, q.MinRange, wq.MinRange)
			}
			if len(wq.AnswerOptions) == 0 && string(q.AnswerOptions) != "[]" {
				t.Errorf("question %s: answerOptions %s, want the [] Gong sent", wq.QuestionID, q.AnswerOptions)
			}
		}
	}

	reviews := allReviews(t, c, allTime)
	wantReviews := d.AnsweredScorecardsAt(virtualNow)
	if len(reviews) != len(wantReviews) || len(reviews) < 50 {
		t.Fatalf("%d reviews, the dataset serves %d", len(reviews), len(wantReviews))
	}
	beyond := 0
	for i, r := range reviews {
		w := wantReviews[i]
		if string(r.AnsweredScorecardID) != w.AnsweredScorecardID.String() || string(*r.CallID) != w.CallID.String() ||
			string(*r.ScorecardID) != w.ScorecardID.String() || !r.ReviewTime.Equal(w.ReviewTime) || len(r.Answers) != len(w.Answers) {
			t.Fatalf("review %d: %s, want %s", i, r.AnsweredScorecardID, w.AnsweredScorecardID)
		}
		if n, _ := strconv.ParseUint(string(r.AnsweredScorecardID), 10, 64); n > 1<<53 {
			beyond++
		}
		if _, off := r.ReviewTime.Zone(); off != -7*3600 {
			t.Fatalf("review %s: reviewTime lost the company's offset (%d s)", r.AnsweredScorecardID, off)
		}
		for j, a := range r.Answers {
			wa := w.Answers[j]
			if (a.Score == nil) != (wa.Score == nil) || (a.Score != nil && string(*a.Score) != string(*wa.Score)) ||
				!slices.Equal(idStrings(a.SelectedOptions), wa.SelectedOptions) {
				t.Errorf("review %s, answer %d: %+v, want %+v", r.AnsweredScorecardID, j, a, wa)
			}
		}
	}
	if beyond == 0 {
		t.Error("no id beyond 2^53: the test proves nothing about floats")
	}
}

func idStrings(ids []gongapi.ID) []string {
	if ids == nil {
		return nil
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

var (
	quotedDigits = regexp.MustCompile(`"(scorecardId|workspaceId|questionId|questionRevisionId|minRange|maxRange)":"(-?\d+)"`)
	bareDigits   = regexp.MustCompile(`"(answeredScorecardId|scorecardId|callId|reviewedUserId|reviewerUserId|questionId|questionRevisionId)":(\d+)`)
)

// Ids and numbers decode the same whichever form Gong sends them in: the definitions'
// strings turned into numbers, the reviews' numbers turned into strings.
func TestScorecardIDsInEitherForm(t *testing.T) {
	t.Parallel()
	s, _ := fake(t, fakegong.Options{Calls: 300})
	plain := httptest.NewServer(s)
	t.Cleanup(plain.Close)
	flipped := httptest.NewServer(s.WithTamper(func(a fakegong.Answer) fakegong.Answer {
		switch a.Endpoint {
		case gongapi.EndpointScorecards:
			a.Body = quotedDigits.ReplaceAll(a.Body, []byte(`"$1":$2`))
		case gongapi.EndpointAnsweredScorecards:
			a.Body = bareDigits.ReplaceAll(a.Body, []byte(`"$1":"$2"`))
		}
		return a
	}))
	t.Cleanup(flipped.Close)
	c1, _ := client(t, plain.URL, nil)
	c2, _ := client(t, flipped.URL, nil)
	cards1, err1 := c1.Scorecards(t.Context())
	cards2, err2 := c2.Scorecards(t.Context())
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if bytes.Equal(cards1[0].Raw, cards2[0].Raw) {
		t.Fatal("the tamper changed nothing")
	}
	strip := func(v any) string {
		b, _ := json.Marshal(v) // Raw is not marshalled: this compares the decoded values
		return string(b)
	}
	if strip(cards1) != strip(cards2) {
		t.Errorf("definitions decode differently with numbers:\n%.400s\n%.400s", strip(cards1), strip(cards2))
	}
	r1, r2 := allReviews(t, c1, allTime), allReviews(t, c2, allTime)
	if len(r1) == 0 || bytes.Equal(r1[0].Raw, r2[0].Raw) {
		t.Fatal("no reviews, or the tamper changed nothing")
	}
	if strip(r1) != strip(r2) {
		t.Errorf("reviews decode differently with strings:\n%.400s\n%.400s", strip(r1), strip(r2))
	}
}

// The client refuses review date ranges Gong would misread, before sending: a range
// from a day to the same day (empty, the end being exclusive), a reversed one, and a
// date that is not YYYY-MM-DD. A range with no review is Gong's empty 404: an empty
// page, not an error.
func TestReviewDateRanges(t *testing.T) {
	t.Parallel()
	s, base := fake(t, fakegong.Options{})
	c, _ := client(t, base, nil)
	for _, f := range []gongapi.AnsweredScorecardsFilter{
		{ReviewFromDate: "2024-02-01", ReviewToDate: "2024-02-01"},
		{ReviewFromDate: "2024-02-02", ReviewToDate: "2024-02-01"},
		{ReviewFromDate: "2024-02-01T00:00:00Z"},
		{CallFromDate: "2024-02-01", CallToDate: "2024-02-01"},
	} {
		_, err := c.AnsweredScorecardsPage(t.Context(), gongapi.AnsweredScorecardsRequest{Filter: f})
		asAPIError(t, err, gongapi.ErrBadRequest)
	}
	if n := s.Stats().Total; n != 0 {
		t.Fatalf("%d requests sent for refused filters", n)
	}
	page, err := c.AnsweredScorecardsPage(t.Context(), gongapi.AnsweredScorecardsRequest{Filter: gongapi.AnsweredScorecardsFilter{
		ReviewFromDate: gongapi.FormatFilterDate(virtualNow.AddDate(1, 0, 0)), ReviewToDate: gongapi.FormatFilterDate(virtualNow.AddDate(1, 0, 1))}})
	if err != nil || len(page.Items) != 0 || page.NextCursor != "" {
		t.Fatalf("a range without reviews: %v items, err %v", page, err)
	}
	if got := gongapi.FormatFilterDate(time.Date(2024, 3, 1, 23, 30, 0, 0, time.FixedZone("", -7*3600))); got != "2024-03-01" {
		t.Errorf("FormatFilterDate writes %s: the time's own calendar date is 2024-03-01", got)
	}
}

// A definition without an id or with a range that is not a whole number fails the
// (unpaged) answer as malformed; a review without an id or with an answer without a
// question is rejected alone, the page's other reviews returned; a missing scope is
// a refusal naming it.
func TestUnusableScorecardsAreRefused(t *testing.T) {
	t.Parallel()
	s, _ := fake(t, fakegong.Options{Calls: 300})
	for _, c := range []struct {
		endpoint, from, to string
	}{
		{gongapi.EndpointAnsweredScorecards, `"answeredScorecardId":`, `"answeredScorecardId":null,"was":`},
		{gongapi.EndpointAnsweredScorecards, `"answers":[{"questionId":`, `"answers":[{"questionId":"","was":`},
		{gongapi.EndpointScorecards, `"minRange":"1"`, `"minRange":"one"`},
		{gongapi.EndpointScorecards, `"scorecardId":`, `"scorecardId":null,"was":`},
	} {
		hs := httptest.NewServer(s.WithTamper(func(a fakegong.Answer) fakegong.Answer {
			if a.Endpoint == c.endpoint {
				a.Body = bytes.Replace(a.Body, []byte(c.from), []byte(c.to), 1)
			}
			return a
		}))
		cl, _ := client(t, hs.URL, nil)
		if c.endpoint == gongapi.EndpointScorecards {
			// The definitions are one list, not pages of records: the answer fails.
			_, err := cl.Scorecards(t.Context())
			e := asAPIError(t, err, gongapi.ErrMalformedResponse)
			if e.Endpoint != c.endpoint {
				t.Errorf("%s: the error names %s", c.to, e.Endpoint)
			}
		} else {
			// A review is a record of a page: it alone is rejected, the others come.
			page, err := cl.AnsweredScorecardsPage(t.Context(), allTime)
			if err != nil {
				t.Fatalf("%s: the page failed: %v", c.to, err)
			}
			if len(page.Rejected) != 1 || page.Rejected[0].Index != 0 || !bytes.Contains(page.Rejected[0].Raw, []byte(`"was":`)) || len(page.Items) == 0 {
				t.Errorf("%s: %d returned, rejected %+v; want the first alone rejected", c.to, len(page.Items), page.Rejected)
			}
		}
		hs.Close()
	}

	_, base := fake(t, fakegong.Options{WithheldScopes: []string{"api:stats:scorecards"}})
	cl, _ := client(t, base, nil)
	_, err := cl.AnsweredScorecardsPage(t.Context(), allTime)
	var ae *gongapi.APIError
	if !errors.Is(err, gongapi.ErrScopeMissing) || !errors.As(err, &ae) || ae.Scope != "api:stats:scorecards" {
		t.Fatalf("without the scope: %v", err)
	}
	if _, err := cl.Scorecards(t.Context()); err != nil {
		t.Errorf("the definitions need another scope: %v", err)
	}
}
