package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// The sweep re-reads the stored history of a table a slice at a time; these are the
// questions it asks of the table to plan its slices. Deleted records count: a slice
// re-read is also where a deleted record may come back.

// Swept is a table the sweep re-reads, and the column Gong selects its records by
// (what a slice is a range of): a timestamptz, or a date.
type Swept struct {
	table string
	at    string
	date  bool
}

// The tables the sweep re-reads: calls by their start, answered scorecards by their
// review date (a calendar date in the company's time zone, what Gong's filter takes).
var (
	SweptCalls              = Swept{table: "calls", at: "started"}
	SweptAnsweredScorecards = Swept{table: "answered_scorecards", at: "review_date", date: true}
)

// Table names the swept table.
func (w Swept) Table() string { return w.table }

// value is the column as a time: a date is midnight UTC, as the engine holds dates,
// whatever the session's time zone.
func (w Swept) value() string {
	if w.date {
		return `(` + w.at + `::timestamp AT TIME ZONE 'UTC')`
	}
	return w.at
}

// arg is parameter n as a value of the column: a time's UTC date for a date column
// (compared as a date, whatever the session's time zone).
func (w Swept) arg(n int) string {
	p := "$" + strconv.Itoa(n)
	if w.date {
		return `(` + p + `::timestamptz AT TIME ZONE 'UTC')::date`
	}
	return p
}

// History returns the oldest value of w's column before edge (nil when the table has
// no record there) and how many records lie before edge.
func (s *Store) History(ctx context.Context, w Swept, edge time.Time) (oldest *time.Time, n int, err error) {
	err = s.pool.QueryRow(ctx, `SELECT min(`+w.value()+`), count(*) FROM `+w.table+` WHERE `+w.at+` < `+w.arg(1), edge).Scan(&oldest, &n)
	if err != nil {
		return nil, 0, fmt.Errorf("read the %s history before %s: %w", w.table, edge.Format(time.RFC3339), err)
	}
	if oldest != nil {
		utc := oldest.UTC()
		oldest = &utc
	}
	return oldest, n, nil
}

// SliceEnd returns where a slice of n stored records beginning at from ends: the value
// of the record after the first n in [from, to), or to when fewer remain. Records
// sharing that value all fall in the next slice; when more than n share from's value,
// the slice takes all of them and ends at the next value.
func (s *Store) SliceEnd(ctx context.Context, w Swept, from, to time.Time, n int) (time.Time, error) {
	var end time.Time
	err := s.pool.QueryRow(ctx, `SELECT `+w.value()+` FROM `+w.table+` WHERE `+w.at+` >= `+w.arg(1)+` AND `+w.at+` < `+w.arg(2)+`
		ORDER BY `+w.at+` OFFSET $3 LIMIT 1`, from, to, n).Scan(&end)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return to, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("plan a slice of %s from %s: %w", w.table, from.Format(time.RFC3339), err)
	case !end.After(from):
		return s.nextValue(ctx, w, from, to)
	}
	return end.UTC(), nil
}

// nextValue returns the first value of w's column after from's and before to, or to.
func (s *Store) nextValue(ctx context.Context, w Swept, from, to time.Time) (time.Time, error) {
	var next *time.Time
	err := s.pool.QueryRow(ctx, `SELECT min(`+w.value()+`) FROM `+w.table+` WHERE `+w.at+` > `+w.arg(1)+` AND `+w.at+` < `+w.arg(2),
		from, to).Scan(&next)
	if err != nil {
		return time.Time{}, fmt.Errorf("plan a slice of %s from %s: %w", w.table, from.Format(time.RFC3339), err)
	}
	if next == nil {
		return to, nil
	}
	return next.UTC(), nil
}

// Between counts the stored records of w in [from, to).
func (s *Store) Between(ctx context.Context, w Swept, from, to time.Time) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+w.table+` WHERE `+w.at+` >= `+w.arg(1)+` AND `+w.at+` < `+w.arg(2), from, to).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", w.table, err)
	}
	return n, nil
}

// OldestLastSeen returns the oldest last_seen_at of a live record of w (when Gong last
// returned it to any stream) and its age on the database's clock; nil and 0 with no
// records.
func (s *Store) OldestLastSeen(ctx context.Context, w Swept) (*time.Time, time.Duration, error) {
	var oldest *time.Time
	var micros *int64
	err := s.pool.QueryRow(ctx, `SELECT min(last_seen_at),
			(extract(epoch FROM now() - min(last_seen_at)) * 1e6)::bigint
		FROM `+w.table+` WHERE deleted_at IS NULL`).Scan(&oldest, &micros)
	if err != nil {
		return nil, 0, fmt.Errorf("read the oldest last read of %s: %w", w.table, err)
	}
	if micros == nil {
		return nil, 0, nil
	}
	return oldest, time.Duration(*micros) * time.Microsecond, nil
}

// SweptAt returns the value of w's column for each of the given records that has one:
// the start of a call, the review date of an answered scorecard (what a find's age is
// counted from).
func (s *Store) SweptAt(ctx context.Context, w Swept, ids []string) (map[string]time.Time, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, `+w.value()+` FROM `+w.table+` WHERE id = ANY($1) AND `+w.at+` IS NOT NULL`, ids)
	if err != nil {
		return nil, fmt.Errorf("read the %s of %s: %w", w.at, w.table, err)
	}
	out := make(map[string]time.Time, len(ids))
	var id string
	var at time.Time
	_, err = pgx.ForEachRow(rows, []any{&id, &at}, func() error {
		out[id] = at.UTC()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the %s of %s: %w", w.at, w.table, err)
	}
	return out, nil
}
