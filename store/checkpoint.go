package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Checkpoint is where a sync stream stands: one row of sync_state. It is saved in the
// same transaction as the page of records it follows.
type Checkpoint struct {
	Stream          string
	HighWaterMark   *time.Time // every call started before this has been read completely
	WindowFrom      *time.Time // the window being read; nil when none is open
	WindowTo        *time.Time
	WindowStartedAt *time.Time // database clock when reading the window began (deletion detection)
	Cursor          string     // Gong cursor for the next page of the window; "" = none
	LastStarted     *time.Time // start time of the last call committed in the window
	CompletedAt     *time.Time // when the stream last completed a window / full refresh
	State           []byte     // JSON, stream-specific
	UpdatedAt       time.Time  // set by the store on save
}

const checkpointColumns = `stream, high_water_mark, window_from, window_to, window_started_at,
	coalesce(cursor, ''), last_started, completed_at, state, updated_at`

func scanCheckpoint(row pgx.Row, cp *Checkpoint) error {
	return row.Scan(&cp.Stream, &cp.HighWaterMark, &cp.WindowFrom, &cp.WindowTo, &cp.WindowStartedAt,
		&cp.Cursor, &cp.LastStarted, &cp.CompletedAt, &cp.State, &cp.UpdatedAt)
}

// Checkpoint returns the stream's checkpoint, or Checkpoint{Stream: stream} when the
// stream has never saved one.
func (s *Store) Checkpoint(ctx context.Context, stream string) (Checkpoint, error) {
	var cp Checkpoint
	err := scanCheckpoint(s.pool.QueryRow(ctx, "SELECT "+checkpointColumns+" FROM sync_state WHERE stream = $1", stream), &cp)
	if errors.Is(err, pgx.ErrNoRows) {
		return Checkpoint{Stream: stream}, nil
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("read checkpoint of %q: %w", stream, err)
	}
	return cp, nil
}

// Checkpoints returns every stream's checkpoint, by stream name.
func (s *Store) Checkpoints(ctx context.Context) ([]Checkpoint, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+checkpointColumns+" FROM sync_state ORDER BY stream")
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	defer rows.Close()
	var out []Checkpoint
	for rows.Next() {
		var cp Checkpoint
		if err := scanCheckpoint(rows, &cp); err != nil {
			return nil, fmt.Errorf("read checkpoints: %w", err)
		}
		out = append(out, cp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	return out, nil
}

// SaveCheckpoint writes the stream's checkpoint (replacing the stored one) as part of
// the transaction; UpdatedAt is set to the transaction's time.
func (tx *Tx) SaveCheckpoint(ctx context.Context, cp Checkpoint) error {
	if cp.Stream == "" {
		return errors.New("save checkpoint: empty stream name")
	}
	if cp.State != nil && !validJSON(cp.State) {
		return fmt.Errorf("save checkpoint of %q: state is not valid JSON", cp.Stream)
	}
	_, err := tx.tx.Exec(ctx, `
		INSERT INTO sync_state AS s (stream, high_water_mark, window_from, window_to, window_started_at,
			cursor, last_started, completed_at, state, updated_at)
		VALUES ($1, $2, $3, $4, $5, nullif($6, ''), $7, $8, $9, now())
		ON CONFLICT (stream) DO UPDATE SET
			high_water_mark = EXCLUDED.high_water_mark,
			window_from = EXCLUDED.window_from,
			window_to = EXCLUDED.window_to,
			window_started_at = EXCLUDED.window_started_at,
			cursor = EXCLUDED.cursor,
			last_started = EXCLUDED.last_started,
			completed_at = EXCLUDED.completed_at,
			state = EXCLUDED.state,
			updated_at = EXCLUDED.updated_at`,
		cp.Stream, cp.HighWaterMark, cp.WindowFrom, cp.WindowTo, cp.WindowStartedAt,
		cp.Cursor, cp.LastStarted, cp.CompletedAt, jsonArg(cp.State))
	if err != nil {
		return fmt.Errorf("save checkpoint of %q: %w", cp.Stream, err)
	}
	return nil
}
