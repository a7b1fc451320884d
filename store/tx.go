package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/sethvargo/go-retry"
)

// Tx is one database transaction and the write methods that go into it. The sync
// writes a page of records and the checkpoint that follows it through one Tx, so
// after a crash the data and the checkpoint always agree.
type Tx struct {
	tx pgx.Tx
	ai AIOptions // how WriteTranscripts and UpsertCalls derive turns and chunks
}

// maxRetries bounds Transact's retries of serialization failures and deadlocks.
const maxRetries = 4

// Transact runs fn in one transaction and commits it when fn returns nil; any error
// (or panic) rolls everything back. When Postgres aborts the transaction for a
// serialization failure or a deadlock, fn runs again from the start in a new
// transaction, a few times, so fn must not keep state across attempts except
// through its return.
func (s *Store) Transact(ctx context.Context, fn func(tx *Tx) error) error {
	attempt := 0
	backoff := retry.WithMaxRetries(maxRetries, retry.NewExponential(10*time.Millisecond))
	err := retry.Do(ctx, backoff, func(ctx context.Context) error {
		attempt++
		err := s.transactOnce(ctx, fn)
		if err != nil && retryable(err) {
			s.log.Debug().Err(err).Int("attempt", attempt).Msg("transaction aborted by a conflict; retrying")
			return retry.RetryableError(err)
		}
		return err
	})
	if err != nil && retryable(err) && attempt > maxRetries {
		return fmt.Errorf("transaction failed %d times: %w", attempt, err)
	}
	return err
}

func (s *Store) transactOnce(ctx context.Context, fn func(tx *Tx) error) (err error) {
	ptx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = ptx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
		if err != nil {
			_ = ptx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(&Tx{tx: ptx, ai: s.ai}); err != nil {
		return err
	}
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports whether err is a conflict that a fresh attempt may not meet.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}

// Now returns the transaction's timestamp (now()): the last_seen_at every record
// written in this transaction gets.
func (tx *Tx) Now(ctx context.Context) (time.Time, error) {
	var t time.Time
	if err := tx.tx.QueryRow(ctx, "SELECT now()").Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("read transaction time: %w", err)
	}
	return t, nil
}

// byKeys returns a batch of the statements queue adds, run with sequential scans
// off. Those statements find their rows by a list of keys (col = ANY($1)) on an
// indexed column. On a table filling up faster than autovacuum analyzes it (a
// backfill, a fresh install) the planner has no statistics, guesses that a hundred
// keys match a good share of the table and reads all of it: a cost per page that
// grows with the table. With an index on the key, an index scan is always right here.
// Measured on a fresh 10,000-call backfill (pg_stat_user_tables): without this, 18
// sequential scans of transcript_sentences read 234,044 rows and calls had 19 more;
// with it, none. Wall time was equal within noise at that size, and the two extra
// statements ride in the same batch, so it costs no round trip.
func byKeys(queue func(b *pgx.Batch)) *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue("SET LOCAL enable_seqscan = off")
	queue(b)
	b.Queue("RESET enable_seqscan")
	return b
}
