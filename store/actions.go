package store

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Action run statuses, as action_runs.status holds them.
const (
	ActionRunning   = "running"
	ActionSucceeded = "succeeded"
	ActionFailed    = "failed"
	// ActionMaybeApplied is a write that reached Gong without a usable answer: it may
	// have been carried out, and was not sent again.
	ActionMaybeApplied = "maybe_applied"
)

// HashKey returns the installation's secret for keyed hashes (hash_key), making it
// on first use: 32 random bytes, inserted by whichever process gets there first. It
// is read once per Store.
func (s *Store) HashKey(ctx context.Context) ([]byte, error) {
	s.hashKeyMu.Lock()
	defer s.hashKeyMu.Unlock()
	if s.hashKey != nil {
		return s.hashKey, nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("hash key: %w", err)
	}
	var key []byte
	err := s.pool.QueryRow(ctx, `WITH made AS (
			INSERT INTO hash_key (key) VALUES ($1) ON CONFLICT (id) DO NOTHING RETURNING key)
		SELECT key FROM made UNION ALL SELECT key FROM hash_key LIMIT 1`, fresh).Scan(&key)
	if errors.Is(err, pgx.ErrNoRows) {
		// Another process made the key while this statement ran: its snapshot did
		// not see the row the conflict waited for. The next statement does.
		err = s.pool.QueryRow(ctx, `SELECT key FROM hash_key`).Scan(&key)
	}
	if err != nil {
		return nil, fmt.Errorf("hash key: %w", err)
	}
	s.hashKey = key
	return key, nil
}

// ActionRun is one row of action_runs.
type ActionRun struct {
	ID              int64      `json:"id"`
	Action          string     `json:"action"`
	AskedBy         string     `json:"asked_by"`
	InputDigest     []byte     `json:"-"`
	IdempotencyKey  *string    `json:"idempotency_key,omitempty"`
	Status          string     `json:"status"`
	Requests        int        `json:"requests"`
	GongRequestIDs  []string   `json:"gong_request_ids"`
	AnswerDigest    []byte     `json:"-"`
	Answer          []byte     `json:"-"`
	AnswerKeptUntil *time.Time `json:"answer_kept_until,omitempty"`
	Error           *string    `json:"error,omitempty"`
	StartedAt       time.Time  `json:"started_at"`
	FinishedAt      *time.Time `json:"finished_at,omitempty"`
}

const actionRunColumns = `id, action, asked_by, input_digest, idempotency_key, status, requests, gong_request_ids,
	answer_digest, answer, answer_kept_until, error, started_at, finished_at`

// ErrIdempotencyKeyTaken is StartActionRun's answer when another run holds the key
// (running, succeeded or maybe applied); ActionRunsByKey says which.
var ErrIdempotencyKeyTaken = errors.New("idempotency key taken by another run")

// StartActionRun records the start of a run and returns its id. A run with an
// idempotency key another run holds is refused with ErrIdempotencyKeyTaken; the
// unique index decides, so two processes racing for one key cannot both start.
func (s *Store) StartActionRun(ctx context.Context, action, askedBy string, inputDigest []byte, key string) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO action_runs (action, asked_by, input_digest, idempotency_key)
		VALUES ($1, $2, $3, nullif($4, '')) RETURNING id`, action, askedBy, inputDigest, key).Scan(&id)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return 0, ErrIdempotencyKeyTaken
	}
	if err != nil {
		return 0, fmt.Errorf("start action run of %s: %w", action, err)
	}
	return id, nil
}

// ActionRunsByKey returns the runs given an idempotency key, newest first.
func (s *Store) ActionRunsByKey(ctx context.Context, key string) ([]ActionRun, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+actionRunColumns+` FROM action_runs
		WHERE idempotency_key = $1 ORDER BY id DESC`, key)
	if err != nil {
		return nil, fmt.Errorf("read action runs by key: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ActionRun])
	if err != nil {
		return nil, fmt.Errorf("read action runs by key: %w", err)
	}
	return out, nil
}

// ActionRunByID returns one run.
func (s *Store) ActionRunByID(ctx context.Context, id int64) (ActionRun, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+actionRunColumns+` FROM action_runs WHERE id = $1`, id)
	if err != nil {
		return ActionRun{}, fmt.Errorf("read action run %d: %w", id, err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[ActionRun])
	if err != nil {
		return ActionRun{}, fmt.Errorf("read action run %d: %w", id, err)
	}
	return r, nil
}

// ActionResult is how a run ended, as FinishActionRun records it.
type ActionResult struct {
	Status         string
	Requests       int
	GongRequestIDs []string
	AnswerDigest   []byte
	// Answer is kept until KeepUntil when both are set (runs with an idempotency key).
	Answer    []byte
	KeepUntil time.Time
	Err       string
}

// FinishActionRun records how run id ended. Kept answers whose time is up are
// dropped in the same statement's transaction, so they never outlive it by more
// than the time to the next run.
func (s *Store) FinishActionRun(ctx context.Context, id int64, r ActionResult) error {
	var answer *string // text: the answer byte for byte, as the replay must return it
	var keep *time.Time
	if len(r.Answer) > 0 && !r.KeepUntil.IsZero() {
		if !json.Valid(r.Answer) {
			return fmt.Errorf("finish action run %d: the answer is not valid JSON", id)
		}
		a := string(r.Answer)
		answer, keep = &a, &r.KeepUntil
	}
	ids := r.GongRequestIDs
	if ids == nil {
		ids = []string{}
	}
	return s.Transact(ctx, func(tx *Tx) error {
		tag, err := tx.tx.Exec(ctx, `UPDATE action_runs SET status = $2, requests = $3, gong_request_ids = $4,
			answer_digest = $5, answer = $6, answer_kept_until = $7, error = nullif($8, ''), finished_at = now()
			WHERE id = $1`, id, r.Status, r.Requests, ids, r.AnswerDigest, answer, keep, r.Err)
		if err != nil {
			return fmt.Errorf("finish action run %d: %w", id, err)
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("finish action run %d: no such run", id)
		}
		if _, err := tx.tx.Exec(ctx, `UPDATE action_runs SET answer = NULL, answer_kept_until = NULL
			WHERE answer IS NOT NULL AND answer_kept_until <= now()`); err != nil {
			return fmt.Errorf("drop kept answers whose time is up: %w", err)
		}
		return nil
	})
}
