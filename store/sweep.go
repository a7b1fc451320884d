package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The sweep re-reads the stored history a slice at a time; these are the questions it
// asks of the calls table to plan its slices. Deleted calls count: a slice re-read is
// also where a deleted call may come back.

// CallHistory returns the start of the oldest stored call started before edge (nil
// when there is none) and how many calls started before edge.
func (s *Store) CallHistory(ctx context.Context, edge time.Time) (oldest *time.Time, calls int, err error) {
	err = s.pool.QueryRow(ctx, `SELECT min(started), count(*) FROM calls WHERE started < $1`, edge).Scan(&oldest, &calls)
	if err != nil {
		return nil, 0, fmt.Errorf("read the call history before %s: %w", edge.Format(time.RFC3339), err)
	}
	return oldest, calls, nil
}

// SliceEnd returns where a slice of n stored calls beginning at from ends: the start
// of the call after the first n started in [from, to), or to when fewer remain. Calls
// sharing that start all fall in the next slice.
func (s *Store) SliceEnd(ctx context.Context, from, to time.Time, n int) (time.Time, error) {
	var end time.Time
	err := s.pool.QueryRow(ctx, `SELECT started FROM calls WHERE started >= $1 AND started < $2
		ORDER BY started OFFSET $3 LIMIT 1`, from, to, n).Scan(&end)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return to, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("plan a slice from %s: %w", from.Format(time.RFC3339), err)
	case !end.After(from):
		// More than n calls share the slice's first start: take all of them.
		return s.SliceEnd(ctx, from.Add(time.Microsecond), to, 0)
	}
	return end, nil
}

// CallsBetween counts the stored calls started in [from, to).
func (s *Store) CallsBetween(ctx context.Context, from, to time.Time) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM calls WHERE started >= $1 AND started < $2`, from, to).Scan(&n); err != nil {
		return 0, fmt.Errorf("count calls: %w", err)
	}
	return n, nil
}

// OldestLastSeen returns the oldest last_seen_at of a live call (when Gong last
// returned it to any stream) and its age on the database's clock; nil and 0 with no
// calls.
func (s *Store) OldestLastSeen(ctx context.Context) (*time.Time, time.Duration, error) {
	var oldest *time.Time
	var micros *int64
	err := s.pool.QueryRow(ctx, `SELECT min(last_seen_at),
			(extract(epoch FROM now() - min(last_seen_at)) * 1e6)::bigint
		FROM calls WHERE deleted_at IS NULL`).Scan(&oldest, &micros)
	if err != nil {
		return nil, 0, fmt.Errorf("read the oldest last read call: %w", err)
	}
	if micros == nil {
		return nil, 0, nil
	}
	return oldest, time.Duration(*micros) * time.Microsecond, nil
}

// CallStarts returns the start of each of the given calls that has one.
func (s *Store) CallStarts(ctx context.Context, ids []string) (map[string]time.Time, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, started FROM calls WHERE id = ANY($1) AND started IS NOT NULL`, ids)
	if err != nil {
		return nil, fmt.Errorf("read call starts: %w", err)
	}
	out := make(map[string]time.Time, len(ids))
	var id string
	var started time.Time
	_, err = pgx.ForEachRow(rows, []any{&id, &started}, func() error {
		out[id] = started
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read call starts: %w", err)
	}
	return out, nil
}
