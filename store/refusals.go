package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Refusal is Gong's refusal of a stream's endpoint: for want of an OAuth scope, or
// because the company's account does not offer the stream's data (Reason).
type Refusal struct {
	Stream string `json:"stream"`
	// Reason is RefusedScope or RefusedNotAvailable.
	Reason   string    `json:"reason"`
	Scope    string    `json:"scope,omitempty"` // RefusedScope: the scope to grant
	Endpoint string    `json:"endpoint"`
	At       time.Time `json:"refused_at"`
	// Until is when the stream is asked again unless an operator names it sooner.
	Until time.Time `json:"asked_again_after"`
}

// The reasons of a Refusal.
const (
	// RefusedScope: Gong refused the endpoint for want of the scope Refusal.Scope.
	RefusedScope = "scope"
	// RefusedNotAvailable: the company's account does not offer the stream's data
	// (a plan without the library answers its endpoints 401 or 404).
	RefusedNotAvailable = "not_available"
)

// Refusal returns the refusal recorded for stream, or nil when there is none.
func (s *Store) Refusal(ctx context.Context, stream string) (*Refusal, error) {
	var r Refusal
	err := s.pool.QueryRow(ctx, `SELECT stream, reason, scope, endpoint, refused_at, asked_again_after
		FROM stream_refusals WHERE stream = $1`, stream).Scan(&r.Stream, &r.Reason, &r.Scope, &r.Endpoint, &r.At, &r.Until)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the refusal of %q: %w", stream, err)
	}
	return &r, nil
}

// Refusals returns every recorded refusal, by stream.
func (s *Store) Refusals(ctx context.Context) ([]Refusal, error) {
	rows, err := s.pool.Query(ctx, `SELECT stream, reason, scope, endpoint, refused_at, asked_again_after
		FROM stream_refusals ORDER BY stream`)
	if err != nil {
		return nil, fmt.Errorf("read refusals: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Refusal])
	if err != nil {
		return nil, fmt.Errorf("read refusals: %w", err)
	}
	return out, nil
}

// SaveRefusal records r, replacing any earlier refusal of its stream. An empty
// Reason is RefusedScope.
func (s *Store) SaveRefusal(ctx context.Context, r Refusal) error {
	if r.Reason == "" {
		r.Reason = RefusedScope
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO stream_refusals (stream, reason, scope, endpoint, refused_at, asked_again_after)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (stream) DO UPDATE SET reason = EXCLUDED.reason, scope = EXCLUDED.scope, endpoint = EXCLUDED.endpoint,
			refused_at = EXCLUDED.refused_at, asked_again_after = EXCLUDED.asked_again_after`,
		r.Stream, r.Reason, r.Scope, r.Endpoint, r.At, r.Until)
	if err != nil {
		return fmt.Errorf("record the refusal of %q: %w", r.Stream, err)
	}
	return nil
}

// ClearRefusal forgets the refusal of stream, if any.
func (s *Store) ClearRefusal(ctx context.Context, stream string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM stream_refusals WHERE stream = $1`, stream); err != nil {
		return fmt.Errorf("clear the refusal of %q: %w", stream, err)
	}
	return nil
}
