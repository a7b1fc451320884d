package store

import (
	"context"
	"fmt"
	"time"
)

// HoursPerWeek is the length of an hour-of-week histogram: Monday 00:00 is hour 0.
const HoursPerWeek = 7 * 24

// CallStartsByHourOfWeek counts the calls (deleted ones too: they happened) that
// started in [from, to), by the hour of the week they started in the time zone loc
// (Monday 00:00–01:00 is index 0): when a company holds its calls, and so when polling
// for new ones finds something.
func (s *Store) CallStartsByHourOfWeek(ctx context.Context, loc *time.Location, from, to time.Time) ([HoursPerWeek]int, error) {
	out, _, err := s.CallStartsSince(ctx, loc, from, to)
	return out, err
}

// CallStartsSince is CallStartsByHourOfWeek with the earliest start counted (zero
// when none is): how much of a week the histogram has seen.
func (s *Store) CallStartsSince(ctx context.Context, loc *time.Location, from, to time.Time) ([HoursPerWeek]int, time.Time, error) {
	var out [HoursPerWeek]int
	var earliest *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT min(started) FROM calls WHERE started >= $1 AND started < $2`, from, to).Scan(&earliest); err != nil {
		return out, time.Time{}, fmt.Errorf("call starts by hour of week: %w", err)
	}
	if earliest == nil {
		return out, time.Time{}, nil
	}
	out, err := s.callStartsByHourOfWeek(ctx, loc, from, to)
	return out, *earliest, err
}

func (s *Store) callStartsByHourOfWeek(ctx context.Context, loc *time.Location, from, to time.Time) ([HoursPerWeek]int, error) {
	var out [HoursPerWeek]int
	rows, err := s.pool.Query(ctx, `
		SELECT ((extract(isodow FROM started AT TIME ZONE $1)::int - 1) * 24 + extract(hour FROM started AT TIME ZONE $1)::int) AS how,
			count(*)
		FROM calls WHERE started >= $2 AND started < $3
		GROUP BY how`, loc.String(), from, to)
	if err != nil {
		return out, fmt.Errorf("call starts by hour of week: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var how, n int
		if err := rows.Scan(&how, &n); err != nil {
			return out, fmt.Errorf("call starts by hour of week: %w", err)
		}
		if how >= 0 && how < HoursPerWeek {
			out[how] = n
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("call starts by hour of week: %w", err)
	}
	return out, nil
}

// CallEnds returns when the calls with the given ids ended by Gong's clock (started
// plus duration), for those that have both: the start of the lag the metrics report
// for their transcripts.
func (s *Store) CallEnds(ctx context.Context, ids []string) ([]time.Time, error) {
	var out []time.Time
	rows, err := s.pool.Query(ctx, `
		SELECT started + make_interval(secs => duration_seconds) FROM calls
		WHERE id = ANY($1) AND started IS NOT NULL AND duration_seconds IS NOT NULL`, ids)
	if err != nil {
		return nil, fmt.Errorf("call ends: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t time.Time
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("call ends: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("call ends: %w", err)
	}
	return out, nil
}

// PollStats is what the freshness controller reads of the runs of the streams it polls.
type PollStats struct {
	// Cost is the requests of a poll: the sum over the streams of the median of their
	// last runs (0 before any).
	Cost float64
	// Spent is what their runs started since a time spent.
	Spent int
	// SinceLast is how long ago (by the database's clock) the newest run of the first
	// stream started; negative when none did.
	SinceLast time.Duration
}

// PollStats reads the scheduled runs of the streams: the median requests of the last
// lastRuns runs of each, the requests of those started since since, and the age of
// the newest run of the first.
func (s *Store) PollStats(ctx context.Context, streams []string, lastRuns int, since time.Time) (PollStats, error) {
	var p PollStats
	var ageMicros *int64
	err := s.pool.QueryRow(ctx, `
		WITH recent AS (
			SELECT stream, requests, row_number() OVER (PARTITION BY stream ORDER BY id DESC) AS n
			FROM sync_runs WHERE stream = ANY($1) AND kind = 'scheduled' AND status <> 'running'
		)
		SELECT
			coalesce((SELECT sum(m) FROM (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY requests) AS m
				FROM recent WHERE n <= $2 GROUP BY stream) x), 0)::float8,
			coalesce((SELECT sum(requests) FROM sync_runs WHERE stream = ANY($1) AND kind = 'scheduled' AND started_at >= $3), 0)::int,
			(SELECT (extract(epoch FROM now() - max(started_at)) * 1e6)::bigint FROM sync_runs
				WHERE stream = ($1::text[])[1] AND kind = 'scheduled')`,
		streams, lastRuns, since).Scan(&p.Cost, &p.Spent, &ageMicros)
	if err != nil {
		return p, fmt.Errorf("poll stats: %w", err)
	}
	p.SinceLast = -1
	if ageMicros != nil {
		p.SinceLast = time.Duration(*ageMicros) * time.Microsecond
	}
	return p, nil
}
