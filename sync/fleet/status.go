package fleet

import (
	"context"
	"slices"
	"time"

	"github.com/gongsync/gongsync/store"
	"github.com/gongsync/gongsync/sync"
)

// Status is what `gongsync status --all` and a worker's /status show: every
// connection of the registry, its day, and its jobs in the queue.
type Status struct {
	Now           time.Time           `json:"now"`
	ControlSchema string              `json:"control_schema"`
	Connections   []ConnectionSummary `json:"connections"`
}

// ConnectionSummary is one connection in a Status.
type ConnectionSummary struct {
	Name     string     `json:"name"`
	Schema   string     `json:"schema"`
	State    string     `json:"state"` // active, paused or failed
	Failure  string     `json:"failure,omitempty"`
	PausedAt *time.Time `json:"paused_at,omitempty"`
	FailedAt *time.Time `json:"failed_at,omitempty"`
	// DailyBudget is the connection's own, or the worker's when it has none.
	DailyBudget int `json:"daily_budget"`
	store.ConnectionFigures
	Queue []QueueLine `json:"queue"`
}

// QueueLine is one stream's jobs of a connection, by what they wait for.
type QueueLine struct {
	Stream    string `json:"stream"`
	Due       int    `json:"due"`       // available: due now, waiting for a worker
	Scheduled int    `json:"scheduled"` // due later (a pause, a retry's wait)
	Running   int    `json:"running"`
	Retrying  int    `json:"retrying"` // failed, to be tried again
	Failed    int    `json:"failed"`   // failed for good (River discarded them)
	// OldestDue is when the longest-waiting due job became due.
	OldestDue *time.Time `json:"oldest_due,omitempty"`
}

// QueueLines folds River's counts into one line per connection and stream.
func QueueLines(counts []store.JobCount) map[string][]QueueLine {
	byConn := map[string]map[string]*QueueLine{}
	for _, c := range counts {
		lines := byConn[c.Connection]
		if lines == nil {
			lines = map[string]*QueueLine{}
			byConn[c.Connection] = lines
		}
		l := lines[c.Stream]
		if l == nil {
			l = &QueueLine{Stream: c.Stream}
			lines[c.Stream] = l
		}
		switch c.State {
		case "available":
			l.Due += c.Jobs
			if t := c.Oldest; l.OldestDue == nil || t.Before(*l.OldestDue) {
				l.OldestDue = &t
			}
		case "scheduled", "pending":
			l.Scheduled += c.Jobs
		case "running":
			l.Running += c.Jobs
		case "retryable":
			l.Retrying += c.Jobs
		case "discarded":
			l.Failed += c.Jobs
		}
	}
	out := map[string][]QueueLine{}
	order := append(append([]string{}, sync.AllStreams...), sync.StreamSettle, sync.StreamBackfill)
	for conn, lines := range byConn {
		for _, l := range lines {
			out[conn] = append(out[conn], *l)
		}
		slices.SortFunc(out[conn], func(a, b QueueLine) int { return slices.Index(order, a.Stream) - slices.Index(order, b.Stream) })
	}
	return out
}

// ReadStatus reads the registry, each connection's figures of the budget day and the
// queue. defaultBudget is the worker's GONG_DAILY_BUDGET.
func ReadStatus(ctx context.Context, control *store.Control, day time.Time, defaultBudget int) (*Status, error) {
	conns, err := control.Connections(ctx)
	if err != nil {
		return nil, err
	}
	schemas := make([]string, len(conns))
	for i, c := range conns {
		schemas[i] = c.Schema
	}
	figures, err := control.ConnectionFigures(ctx, schemas, day)
	if err != nil {
		return nil, err
	}
	counts, err := control.QueueCounts(ctx, JobKind)
	if err != nil {
		return nil, err
	}
	queue := QueueLines(counts)
	s := &Status{Now: time.Now(), ControlSchema: control.Schema(), Connections: []ConnectionSummary{}}
	for _, c := range conns {
		budget := defaultBudget
		if c.DailyBudget != nil {
			budget = *c.DailyBudget
		}
		s.Connections = append(s.Connections, ConnectionSummary{Name: c.Name, Schema: c.Schema, State: c.State(), Failure: c.Failure,
			PausedAt: c.PausedAt, FailedAt: c.FailedAt, DailyBudget: budget, ConnectionFigures: figures[c.Schema],
			Queue: append([]QueueLine{}, queue[c.Name]...)})
	}
	return s, nil
}

// ConnectionQueue is one connection's jobs in the workers' queue, which `gongsync
// status --connection NAME` shows after the connection's own status.
type ConnectionQueue struct {
	Connection string      `json:"connection,omitempty"`
	Queue      []QueueLine `json:"queue,omitempty"`
}

// ReadConnectionQueue reads a connection's jobs in the queue: none when no worker
// ever ran (the control schema is not migrated yet).
func ReadConnectionQueue(ctx context.Context, control *store.Control, connection string) (*ConnectionQueue, error) {
	q := &ConnectionQueue{Connection: connection, Queue: []QueueLine{}}
	if ok, err := control.MigrationsCurrent(ctx); err != nil || !ok {
		return q, err
	}
	counts, err := control.QueueCounts(ctx, JobKind)
	if err != nil {
		return nil, err
	}
	if lines := QueueLines(counts)[connection]; lines != nil {
		q.Queue = lines
	}
	return q, nil
}
