package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrStreamLocked is returned by LockStream(wait=false) when another session holds
// the stream's lock: another gongsync process (or goroutine) is syncing it.
var ErrStreamLocked = errors.New("stream is locked by another session")

// advisoryKey derives a Postgres advisory lock key from a purpose and names. The
// schema is always part of it: advisory locks are per database, and two gongsync
// deployments may share a database in different schemas.
func advisoryKey(purpose string, parts ...string) int64 {
	h := fnv.New64a()
	h.Write([]byte("gongsync\x00" + purpose))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return int64(h.Sum64())
}

// sessionLock holds a session-level advisory lock on a connection taken out of the
// pool, so the lock lives exactly as long as the returned unlock is not called.
// With wait false, ok reports whether the lock was free.
func (s *Store) sessionLock(ctx context.Context, key int64, wait bool) (unlock func(), ok bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, err
	}
	if wait {
		_, err = conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key)
		ok = err == nil
	} else {
		err = conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok)
	}
	if err != nil {
		// A cancelled wait may leave the session in doubt (the lock granted as the
		// cancel arrived): closing the connection ends the session and any lock with it.
		discard(conn)
		return nil, false, err
	}
	if !ok {
		conn.Release()
		return nil, false, nil
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var released bool
			if err := conn.QueryRow(ctx, "SELECT pg_advisory_unlock($1)", key).Scan(&released); err != nil || !released {
				discard(conn)
				return
			}
			conn.Release()
		})
	}, true, nil
}

// discard closes a borrowed connection so the pool drops it instead of reusing a
// session whose state is unknown.
func discard(conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = conn.Conn().Close(ctx)
	conn.Release()
}

// LockStream takes the stream's advisory lock on a connection of its own and holds it
// until unlock is called, so that two processes never sync one stream at once. With
// wait false it returns ErrStreamLocked at once when another session holds the lock;
// with wait true it blocks until the lock is free or ctx ends, holding a connection of
// the pool while it waits. unlock may be called more than once.
func (s *Store) LockStream(ctx context.Context, stream string, wait bool) (unlock func(), err error) {
	unlock, ok, err := s.sessionLock(ctx, advisoryKey("stream", s.schema, stream), wait)
	if err != nil {
		return nil, fmt.Errorf("lock stream %q: %w", stream, err)
	}
	if !ok {
		return nil, fmt.Errorf("lock stream %q: %w", stream, ErrStreamLocked)
	}
	return unlock, nil
}

// StreamLockHeld says whether some session holds the stream's lock (LockStream):
// whether a process is syncing it now. A run still 'running' whose lock nobody holds
// belongs to a process that ended without recording how the run ended. It only reads
// pg_locks: it takes no lock itself.
func (s *Store) StreamLockHeld(ctx context.Context, stream string) (bool, error) {
	var held bool
	// A bigint advisory key is kept as two halves: classid the high 32 bits, objid
	// the low ones, objsubid 1.
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 1
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND ((classid::bigint << 32) | objid::bigint) = $1)`, advisoryKey("stream", s.schema, stream)).Scan(&held)
	if err != nil {
		return false, fmt.Errorf("look for the lock of stream %q: %w", stream, err)
	}
	return held, nil
}
