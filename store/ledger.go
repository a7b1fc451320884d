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
	// Interval is the shared pace: the time between the send times of two requests,
	// whichever processes reserve them. Zero leaves the request unpaced (it may go at
	// once) and the pace untouched.
	Interval time.Duration
}

// Usage is what a budget day has counted so far.
type Usage struct {
	Day              time.Time
	Requests         int
	BackfillRequests int
}

// Grant is an accepted reservation: the day's usage with the request counted, and
// how long to wait before sending it so that the requests of every process keep the
// pace.
type Grant struct {
	Usage
	// Wait is the time from the reservation (on the database's clock) to the request's
	// send time; zero when it may go at once.
	Wait time.Duration
	// SendAt is the send time on the database's clock; zero for an unpaced request.
	SendAt time.Time
}

// dayArg is the calendar date of a budget day as Postgres date text. The day's own
// location decides the date: midnight in Europe/Berlin is still the previous
// evening in UTC.
func dayArg(day time.Time) string { return day.Format("2006-01-02") }

// Reserve counts one request against the day's limit (and the backfill share for a
// backfill request) and, when r.Interval is set, gives it a send time; or refuses with a
// *LimitError when the limit is reached. It is one statement, one round trip: the
// conditional upsert locks the day's row, so any number of processes reserving at once
// never count past the limit, and the pace row's lock queues them in the order they
// ask. A request's send time is the later of the database's clock and the previous
// reservation's send time plus the interval; a refused request takes none.
func (s *Store) Reserve(ctx context.Context, r Reservation) (Grant, error) {
	if r.Day.IsZero() {
		return Grant{}, errors.New("reserve request: zero day")
	}
	g := Grant{Usage: Usage{Day: r.Day}}
	var waitMicros int64
	var sendAt *time.Time
	// The CTE "pace" reads "slot", so it runs only once the slot is taken. Its UPDATE
	// waits for the row lock of earlier reservations and then reads their committed
	// send time; clock_timestamp() is the time after that wait, not the statement's start.
	err := s.pool.QueryRow(ctx, `
		WITH slot AS (
			INSERT INTO api_usage AS u (day, requests, backfill_requests, updated_at)
			SELECT $1::date, 1, CASE WHEN $3 THEN 1 ELSE 0 END, now()
			WHERE $2 > 0 AND (NOT $3 OR $4 > 0)
			ON CONFLICT (day) DO UPDATE SET
				requests = u.requests + 1,
				backfill_requests = u.backfill_requests + EXCLUDED.backfill_requests,
				updated_at = now()
			WHERE u.requests < $2 AND (NOT $3 OR u.backfill_requests < $4)
			RETURNING requests, backfill_requests
		), pace AS (
			UPDATE api_pace SET
				next_send_at = greatest(next_send_at, clock_timestamp()) + make_interval(secs => $5::bigint / 1e6),
				updated_at = now()
			WHERE $5::bigint > 0 AND EXISTS (SELECT FROM slot)
			RETURNING next_send_at - make_interval(secs => $5::bigint / 1e6) AS send_at
		)
		SELECT slot.requests, slot.backfill_requests,
			coalesce((SELECT floor(extract(epoch FROM greatest(send_at - clock_timestamp(), interval '0')) * 1e6)::bigint FROM pace), 0),
			(SELECT send_at FROM pace)
		FROM slot`,
		dayArg(r.Day), r.Limit, r.Backfill, r.BackfillLimit, r.Interval.Microseconds()).Scan(&g.Requests, &g.BackfillRequests, &waitMicros, &sendAt)
	if err == nil {
		g.Wait = time.Duration(waitMicros) * time.Microsecond
		if sendAt != nil {
			g.SendAt = *sendAt
		}
		return g, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Grant{}, fmt.Errorf("reserve request for %s: %w", dayArg(r.Day), err)
	}
	// Refused. Read the counts only to say which limit refused and by how much.
	used, err := s.Usage(ctx, r.Day)
	if err != nil {
		return Grant{}, err
	}
	le := &LimitError{Day: r.Day, ResetAt: r.Day.AddDate(0, 0, 1), Limit: r.Limit, Used: used.Requests}
	if r.Backfill && used.Requests < r.Limit {
		le.Backfill, le.Limit, le.Used = true, r.BackfillLimit, used.BackfillRequests
	}
	return Grant{Usage: used}, le
}

// Refund gives back the slot of a reservation whose request never reached Gong (the
// connection was refused, DNS or TLS failed, or the caller gave up before sending), so
// that the ledger counts what Gong saw. Its send time is not given back: that moment
// has passed. It returns the day's usage after the refund.
func (s *Store) Refund(ctx context.Context, r Reservation) (Usage, error) {
	u := Usage{Day: r.Day}
	err := s.pool.QueryRow(ctx, `
		UPDATE api_usage SET
			requests = requests - 1,
			backfill_requests = backfill_requests - CASE WHEN $2 THEN 1 ELSE 0 END,
			updated_at = now()
		WHERE day = $1::date AND requests > 0 AND (NOT $2 OR backfill_requests > 0)
		RETURNING requests, backfill_requests`,
		dayArg(r.Day), r.Backfill).Scan(&u.Requests, &u.BackfillRequests)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("refund request of %s: nothing was counted that day", dayArg(r.Day))
	}
	if err != nil {
		return Usage{}, fmt.Errorf("refund request of %s: %w", dayArg(r.Day), err)
	}
	return u, nil
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
