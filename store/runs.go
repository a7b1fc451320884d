package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gongsync/gongsync/migrations"
)

// RunStatus is how a run of a stream stands, as sync_runs.status holds it: the one
// type the sync engine reports and the store records.
type RunStatus string

// Run statuses.
const (
	RunRunning   RunStatus = "running"
	RunSucceeded RunStatus = "succeeded"
	RunFailed    RunStatus = "failed"
	RunPaused    RunStatus = "paused"  // stopped cleanly at the request budget or Gong's quota
	RunSkipped   RunStatus = "skipped" // another process held the stream, or Gong refused it a scope lately
	// RunInterrupted is a run stopped by a signal (or its process killed) before it finished.
	RunInterrupted RunStatus = "interrupted"
	// RunUnavailable is a run Gong answered that the company's account does not offer
	// the stream's data (a plan without the library): not a failure, and not asked
	// again for a while (stream_refusals).
	RunUnavailable RunStatus = "unavailable"
)

// RunResult is how a run ended, as FinishRun records it.
type RunResult struct {
	Status                                              RunStatus
	Requests, Records, Late, Changed, Deleted, Restored int
	Err                                                 string
	Details                                             []byte // JSON
}

// Run is one row of sync_runs. The JSON names are those of the columns, for
// `gongsync status --json` and /status.
type Run struct {
	ID         int64      `json:"id"`
	Stream     string     `json:"stream"`
	Kind       string     `json:"kind"`
	Status     RunStatus  `json:"status"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Requests   int        `json:"requests"`
	Records    int        `json:"records"`
	Late       int        `json:"late_calls"`
	Changed    int        `json:"changed_calls"`
	Deleted    int        `json:"deleted_calls"`
	Restored   int        `json:"restored_calls"`
	Error      string     `json:"error,omitempty"`
}

// StartRun records the start of a run of a stream (kind: scheduled, sync, backfill,
// settle, webhook, …) and returns its id for FinishRun. It commits at once, outside
// any page transaction, so a run that crashes still shows as started.
func (s *Store) StartRun(ctx context.Context, stream, kind string) (int64, error) {
	var id int64
	if err := s.pool.QueryRow(ctx, "INSERT INTO sync_runs (stream, kind, worker) VALUES ($1, $2, nullif($3, '')) RETURNING id",
		stream, kind, s.worker).Scan(&id); err != nil {
		return 0, fmt.Errorf("start run of %q (%s): %w", stream, kind, err)
	}
	return id, nil
}

// CloseAbandonedRuns marks the runs of stream still 'running' as interrupted: their
// process ended without saying how (SIGKILL, a lost machine). Call it only while
// holding the stream's lock, when no other process can be running it. It returns how
// many runs it closed.
func (s *Store) CloseAbandonedRuns(ctx context.Context, stream string) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE sync_runs SET status = 'interrupted', finished_at = now(),
		error = coalesce(error, 'the process ended without recording how this run ended (killed?)')
		WHERE stream = $1 AND status = 'running'`, stream)
	if err != nil {
		return 0, fmt.Errorf("close abandoned runs of %q: %w", stream, err)
	}
	return int(tag.RowsAffected()), nil
}

// FinishRun records how run id ended.
func (s *Store) FinishRun(ctx context.Context, id int64, r RunResult) error {
	if r.Details != nil && !validJSON(r.Details) {
		return fmt.Errorf("finish run %d: details are not valid JSON", id)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE sync_runs SET finished_at = now(), status = $2,
		requests = $3, records = $4, late_calls = $5, changed_calls = $6, deleted_calls = $7, restored_calls = $8,
		error = nullif($9, ''), details = $10
		WHERE id = $1`,
		id, r.Status, r.Requests, r.Records, r.Late, r.Changed, r.Deleted, r.Restored, r.Err, jsonArg(r.Details))
	if err != nil {
		return fmt.Errorf("finish run %d: %w", id, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("finish run %d: no such run", id)
	}
	return nil
}

// LastRuns returns the newest run of each (stream, kind), by stream and kind.
func (s *Store) LastRuns(ctx context.Context) ([]Run, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (stream, kind)
			id, stream, kind, status, started_at, finished_at, requests, records,
			late_calls, changed_calls, deleted_calls, restored_calls, coalesce(error, '')
		FROM sync_runs ORDER BY stream, kind, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("read last runs: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Run])
	if err != nil {
		return nil, fmt.Errorf("read last runs: %w", err)
	}
	return out, nil
}

// TableCount is the number of rows of one synced table; Deleted counts the soft-deleted
// ones among them (entity tables only).
type TableCount struct {
	Table   string `json:"table"`
	Rows    int64  `json:"rows"`
	Deleted int64  `json:"deleted"`
}

// SyncedTable is a table that holds Gong's data; an entity table keeps the rows Gong
// stopped returning, with deleted_at set.
type SyncedTable struct {
	Name   string
	Entity bool
}

// SyncedTables lists the tables that hold Gong's data, entity tables first, each
// group by name.
func (s *Store) SyncedTables(ctx context.Context) ([]SyncedTable, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.table_name::text, EXISTS (SELECT 1 FROM information_schema.columns c
			WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.column_name = 'deleted_at')
		FROM information_schema.tables t
		WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND NOT t.table_name = ANY($1)
		ORDER BY 2 DESC, 1`, migrations.BookkeepingTables)
	if err != nil {
		return nil, fmt.Errorf("list the synced tables: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[SyncedTable])
	if err != nil {
		return nil, fmt.Errorf("list the synced tables: %w", err)
	}
	return out, nil
}

// TableCounts counts the rows of every synced table, exactly: it reads each table,
// so it is meant for status pages and commands, not for every metrics scrape.
func (s *Store) TableCounts(ctx context.Context) ([]TableCount, error) {
	tables, err := s.SyncedTables(ctx)
	if err != nil {
		return nil, err
	}
	var b pgx.Batch
	for _, t := range tables {
		if t.Entity {
			b.Queue("SELECT count(*), count(deleted_at) FROM " + pgx.Identifier{t.Name}.Sanitize())
		} else {
			b.Queue("SELECT count(*), 0 FROM " + pgx.Identifier{t.Name}.Sanitize())
		}
	}
	br := s.pool.SendBatch(ctx, &b)
	defer br.Close()
	out := make([]TableCount, len(tables))
	for i, t := range tables {
		out[i].Table = t.Name
		if err := br.QueryRow().Scan(&out[i].Rows, &out[i].Deleted); err != nil {
			return nil, fmt.Errorf("count rows of %s: %w", t.Name, err)
		}
	}
	return out, nil
}

// MarkCallsDeleted soft-deletes the calls of a window that Gong no longer returns:
// those started in [from, to) (and in workspaceID, when not empty), not deleted yet,
// and not seen since notSeenSince (the database time the window's reading began).
// It returns their ids.
func (tx *Tx) MarkCallsDeleted(ctx context.Context, from, to time.Time, workspaceID string, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "calls", `started >= $2 AND started < $3 AND ($4 = '' OR workspace_id = $4)`,
		notSeenSince, from, to, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("mark deleted calls of [%s, %s): %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return ids, nil
}

// MarkUsersMissing soft-deletes the users not seen since notSeenSince (the database
// time a full read of the users began) and returns their ids.
func (tx *Tx) MarkUsersMissing(ctx context.Context, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "users", "true", notSeenSince)
	if err != nil {
		return nil, fmt.Errorf("mark missing users: %w", err)
	}
	return ids, nil
}

// MarkWorkspacesMissing soft-deletes the workspaces not seen since notSeenSince and
// returns their ids.
func (tx *Tx) MarkWorkspacesMissing(ctx context.Context, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "workspaces", "true", notSeenSince)
	if err != nil {
		return nil, fmt.Errorf("mark missing workspaces: %w", err)
	}
	return ids, nil
}

// MarkTrackersMissing soft-deletes the tracker definitions not seen since
// notSeenSince and returns their ids.
func (tx *Tx) MarkTrackersMissing(ctx context.Context, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "trackers", "true", notSeenSince)
	if err != nil {
		return nil, fmt.Errorf("mark missing trackers: %w", err)
	}
	return ids, nil
}

// markMissing sets deleted_at on the live rows of table matching where (whose
// parameters start at $2) that were last seen before notSeenSince ($1).
func (tx *Tx) markMissing(ctx context.Context, table, where string, notSeenSince time.Time, args ...any) ([]string, error) {
	// A record Gong still sends but gongsync kept in quarantine (its new shape does not
	// decode) was not seen by its upsert: it is not gone, and keeps its row as it was.
	rows, err := tx.tx.Query(ctx, `UPDATE `+table+` SET deleted_at = now(), updated_at = now()
		WHERE deleted_at IS NULL AND last_seen_at < $1 AND `+where+`
		AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.record_id = `+table+`.id)
		RETURNING id`, append([]any{notSeenSince}, args...)...)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

// NewestCallStarted returns the start time of the newest call not deleted, or nil
// when there is none: how far the sync has got, for its lag.
func (s *Store) NewestCallStarted(ctx context.Context) (*time.Time, error) {
	var t *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT max(started) FROM calls WHERE deleted_at IS NULL`).Scan(&t); err != nil {
		return nil, fmt.Errorf("newest call: %w", err)
	}
	return t, nil
}
