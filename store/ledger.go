package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrLimitReached is what a refused reservation wraps: the day's request budget (or
// its backfill share) is spent.
var ErrLimitReached = errors.New("daily request limit reached")

// LimitError is a refused reservation: which limit of which day, and when the day
// resets.
type LimitError struct {
	Day      time.Time // midnight of the budget day
	ResetAt  time.Time // when the next day's budget starts
	Limit    int       // the limit that refused (the backfill limit when Backfill)
	Used     int       // requests counted against that limit when refused
	Backfill bool      // the backfill share refused, not the whole day's limit
}

// Error names the limit, the day and when the day resets.
func (e *LimitError) Error() string {
	what := "daily request limit"
	if e.Backfill {
		what = "backfill share of the daily request limit"
	}
	return fmt.Sprintf("%s reached: %d of %d requests used on %s; resets at %s",
		what, e.Used, e.Limit, e.Day.Format("2006-01-02"), e.ResetAt.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrLimitReached) true for a LimitError.
func (e *LimitError) Is(target error) bool { return target == ErrLimitReached }

// Reservation asks the ledger for one request of a budget day.
type Reservation struct {
	Day           time.Time // midnight of the budget day, in the budget's time zone; the day resets at Day+24h (AddDate(0,0,1))
	Limit         int       // the day's total limit
	Backfill      bool      // counts against BackfillLimit too
	BackfillLimit int
}

// Usage is what a budget day has counted so far.
type Usage struct {
	Day              time.Time
	Requests         int
	BackfillRequests int
}

// dayArg is the calendar date of a budget day as Postgres date text. The day's own
// location decides the date: midnight in Europe/Berlin is still the previous
// evening in UTC.
func dayArg(day time.Time) string { return day.Format("2006-01-02") }

// Reserve counts one request against the day's limit (and the backfill share for a
// backfill request), or refuses with a *LimitError when the limit is reached. It is
// one statement: the conditional upsert locks the day's row, so any number of
// processes reserving at once never count past the limit.
func (s *Store) Reserve(ctx context.Context, r Reservation) (Usage, error) {
	if r.Day.IsZero() {
		return Usage{}, errors.New("reserve request: zero day")
	}
	u := Usage{Day: r.Day}
	err := s.pool.QueryRow(ctx, `
		INSERT INTO api_usage AS u (day, requests, backfill_requests, updated_at)
		SELECT $1::date, 1, CASE WHEN $3 THEN 1 ELSE 0 END, now()
		WHERE $2 > 0 AND (NOT $3 OR $4 > 0)
		ON CONFLICT (day) DO UPDATE SET
			requests = u.requests + 1,
			backfill_requests = u.backfill_requests + EXCLUDED.backfill_requests,
			updated_at = now()
		WHERE u.requests < $2 AND (NOT $3 OR u.backfill_requests < $4)
		RETURNING requests, backfill_requests`,
		dayArg(r.Day), r.Limit, r.Backfill, r.BackfillLimit).Scan(&u.Requests, &u.BackfillRequests)
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Usage{}, fmt.Errorf("reserve request for %s: %w", dayArg(r.Day), err)
	}
	// Refused. Read the counts only to say which limit refused and by how much.
	used, err := s.Usage(ctx, r.Day)
	if err != nil {
		return Usage{}, err
	}
	le := &LimitError{Day: r.Day, ResetAt: r.Day.AddDate(0, 0, 1), Limit: r.Limit, Used: used.Requests}
	if r.Backfill && used.Requests < r.Limit {
		le.Backfill, le.Limit, le.Used = true, r.BackfillLimit, used.BackfillRequests
	}
	return used, le
}

// ReserveRequest counts one request against the day's limit, or returns a *LimitError
// (errors.Is ErrLimitReached) naming the time the day resets.
func (s *Store) ReserveRequest(ctx context.Context, day time.Time, limit int) error {
	_, err := s.Reserve(ctx, Reservation{Day: day, Limit: limit})
	return err
}

// Usage returns what the day has counted; a day without requests counts zero.
func (s *Store) Usage(ctx context.Context, day time.Time) (Usage, error) {
	u := Usage{Day: day}
	err := s.pool.QueryRow(ctx, "SELECT requests, backfill_requests FROM api_usage WHERE day = $1::date", dayArg(day)).
		Scan(&u.Requests, &u.BackfillRequests)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Usage{}, fmt.Errorf("read request usage of %s: %w", dayArg(day), err)
	}
	return u, nil
}
