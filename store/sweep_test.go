package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// A slice of n records ends at the value of the record after the first n, and a value
// holding more than n records is taken whole, the slice ending at the next value, for
// a date column (review dates) as for a time (call starts).
func TestSliceEndTakesAValueWholeAndStopsAtTheNext(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2024, 5, d, 0, 0, 0, 0, time.UTC) }
	// Review dates 10, 11, 12 and 14 hold 5, 5, 1 and 1 reviews; calls start at the
	// same instants.
	var reviews []AnsweredScorecard
	var calls []Call
	for _, d := range []struct{ day, n int }{{10, 5}, {11, 5}, {12, 1}, {14, 1}} {
		for i := range d.n {
			date, started := day(d.day), day(d.day)
			id := fmt.Sprintf("%d-%d", d.day, i)
			reviews = append(reviews, AnsweredScorecard{ID: id, ReviewDate: &date, Raw: []byte(`{}`)})
			calls = append(calls, Call{ID: id, Started: &started, Raw: []byte(`{}`)})
		}
	}
	if err := s.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.UpsertAnsweredScorecards(ctx, reviews); err != nil {
			return err
		}
		_, err := tx.UpsertCalls(ctx, calls)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []Swept{SweptAnsweredScorecards, SweptCalls} {
		for _, c := range []struct {
			from, n int
			want    time.Time
		}{
			{10, 2, day(11)},  // more than 2 on the 10th: all of them, up to the next value
			{10, 5, day(11)},  // exactly 5
			{10, 7, day(11)},  // the 8th record is on the 11th: the 11th goes whole to the next slice
			{10, 10, day(12)}, // the 11th record is on the 12th
			{11, 1, day(12)},
			{12, 1, day(14)},
			{12, 5, day(15)}, // fewer remain: up to the range's end
			{14, 0, day(15)}, // a value with records and nothing after it
		} {
			got, err := s.SliceEnd(ctx, w, day(c.from), day(15), c.n)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(c.want) || got.Location() != time.UTC {
				t.Errorf("%s: SliceEnd(from %d, n %d) = %v, want %v", w.Table(), c.from, c.n, got, c.want)
			}
		}
	}
}
