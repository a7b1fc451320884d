package store

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
)

// Every field of a scorecard, an answered scorecard, a question and an answer comes
// back from its own column.
func TestScorecardFieldsRoundTripThroughTheirColumns(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	n := 0
	var sc Scorecard
	fillDistinct(reflect.ValueOf(&sc).Elem(), &n)
	sc.Raw = []byte(`{"scorecardId": "x"}`)
	var a AnsweredScorecard
	fillDistinct(reflect.ValueOf(&a).Elem(), &n)
	a.Raw = []byte(`{"answeredScorecardId": 1}`)
	day := time.Date(2024, 5, 17, 0, 0, 0, 0, time.UTC) // a date column holds a day
	a.ReviewDate = &day
	if err := s.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.UpsertScorecards(ctx, []Scorecard{sc}); err != nil {
			return err
		}
		_, err := tx.UpsertAnsweredScorecards(ctx, []AnsweredScorecard{a})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	checkColumns(t, s, "scorecards", "id", sc.ID, reflect.ValueOf(sc))
	checkColumns(t, s, "scorecard_questions", "scorecard_id", sc.ID, reflect.ValueOf(sc.Questions[0]))
	checkColumns(t, s, "answered_scorecards", "id", a.ID, reflect.ValueOf(a))
	checkColumns(t, s, "answered_scorecard_answers", "answered_scorecard_id", a.ID, reflect.ValueOf(a.Answers[0]))
}

// A changed answered scorecard has its answers replaced whole; the deletion sweep of
// a range of review dates marks exactly the reviews of those dates not seen since the
// range's reading began, and a review read again is restored.
func TestAnsweredScorecardsChangeAndAreDeletedByReviewDate(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	date := func(d int) *time.Time { v := time.Date(2024, 5, d, 0, 0, 0, 0, time.UTC); return &v }
	review := func(id string, d int, scores ...int64) AnsweredScorecard {
		a := AnsweredScorecard{ID: id, ReviewDate: date(d), Raw: []byte(`{"id":"` + id + `","v":` + string(rune('0'+len(scores))) + `}`)}
		for i, sc := range scores {
			a.Answers = append(a.Answers, ScorecardAnswer{QuestionID: string(rune('a' + i)), Score: ptr(Decimal(strconv.FormatInt(sc, 10)))})
		}
		return a
	}
	upsert := func(as ...AnsweredScorecard) UpsertResult {
		t.Helper()
		var res UpsertResult
		if err := s.Transact(ctx, func(tx *Tx) (err error) { res, err = tx.UpsertAnsweredScorecards(ctx, as); return err }); err != nil {
			t.Fatal(err)
		}
		return res
	}
	upsert(review("r1", 10, 3, 4), review("r2", 11, 5), review("r3", 12, 2), review("r4", 13, 1))
	if res := upsert(review("r1", 10, 1)); len(res.Changed) != 1 {
		t.Fatalf("changed %v, want r1", res.Changed)
	}
	if n := count(t, s, `SELECT count(*) FROM answered_scorecard_answers WHERE answered_scorecard_id = 'r1'`); n != 1 {
		t.Fatalf("r1 has %d answers after its change, want the 1 it has now", n)
	}

	began, err := s.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	upsert(review("r2", 11, 5)) // r2 seen again; r1 and r3 not
	var gone []string
	if err := s.Transact(ctx, func(tx *Tx) (err error) {
		gone, err = tx.MarkAnsweredScorecardsDeleted(ctx, *date(10), *date(13), began)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gone, []string{"r1", "r3"}) {
		t.Fatalf("deleted %v, want r1 and r3 (r2 was seen, r4 is outside the range)", gone)
	}
	if n := count(t, s, `SELECT count(*) FROM live_answered_scorecard_answers WHERE answered_scorecard_id IN ('r1', 'r3')`); n != 0 {
		t.Errorf("live_answered_scorecard_answers shows %d answers of deleted reviews", n)
	}
	if n := count(t, s, `SELECT count(*) FROM live_answered_scorecard_answers WHERE answered_scorecard_id = 'r2'`); n != 1 {
		t.Errorf("live_answered_scorecard_answers shows %d answers of a live review, want 1", n)
	}
	if res := upsert(review("r3", 12, 2)); !slices.Equal(res.Restored, []string{"r3"}) {
		t.Fatalf("restored %v, want r3", res.Restored)
	}
}

// A scorecard's questions are left out of live_scorecard_questions with their deleted
// scorecard; both children views have their table's columns.
func TestScorecardChildViews(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	q := []ScorecardQuestion{{QuestionID: "q1"}, {QuestionID: "q2", Position: 1}}
	if err := s.Transact(ctx, func(tx *Tx) error {
		_, err := tx.UpsertScorecards(ctx, []Scorecard{{ID: "s1", Raw: []byte(`{}`), Questions: q}, {ID: "s2", Raw: []byte(`{}`), Questions: q}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE scorecards SET deleted_at = now() WHERE id = 's2'`); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM live_scorecard_questions WHERE scorecard_id = 's2'`); n != 0 {
		t.Errorf("%d questions of a deleted scorecard are live", n)
	}
	if n := count(t, s, `SELECT count(*) FROM live_scorecard_questions WHERE scorecard_id = 's1'`); n != 2 {
		t.Errorf("%d questions of a live scorecard are live, want 2", n)
	}
	for _, table := range []string{"scorecard_questions", "answered_scorecard_answers"} {
		if got, want := relColumns(t, s, "live_"+table), relColumns(t, s, table); len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("live_%s has columns %v; %s has %v", table, got, table, want)
		}
	}
}
