package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The Engage flows and the audit logs, both entity tables (the shared upsert: content
// hash, new, changed, restored, soft deletion).

// Flow is one row of flows.
type Flow struct {
	ID             string     `db:"id"`
	Name           *string    `db:"name"`
	FolderID       *string    `db:"folder_id"`
	FolderName     *string    `db:"folder_name"`
	Visibility     *string    `db:"visibility"`
	CreationDate   *time.Time `db:"creation_date"`
	Exclusive      *bool      `db:"exclusive"`
	FlowOwnerEmail string     `db:"flow_owner_email"` // the flowOwnerEmail the flow came back for
	Raw            []byte     `db:"raw"`
}

// AuditLog is one log record of GET /v2/logs: a row of audit_logs.
type AuditLog struct {
	ID                       string    `db:"id"` // log type:hex SHA-256 of raw
	LogType                  string    `db:"log_type"`
	EventTime                time.Time `db:"event_time"`
	UserID                   *string   `db:"user_id"`
	UserEmailAddress         *string   `db:"user_email_address"`
	UserFullName             *string   `db:"user_full_name"`
	ImpersonatorUserID       *string   `db:"impersonator_user_id"`
	ImpersonatorEmailAddress *string   `db:"impersonator_email_address"`
	ImpersonatorFullName     *string   `db:"impersonator_full_name"`
	ImpersonatorCompanyID    *string   `db:"impersonator_company_id"`
	CallID                   *string   `db:"call_id"`
	LogRecord                []byte    `db:"log_record"`
	Raw                      []byte    `db:"raw"`
}

var (
	flowEntity     = newEntity[Flow]("flow", "flows")
	auditLogEntity = newEntity[AuditLog]("audit log record", "audit_logs")
)

// UpsertFlows writes flows. A flow read again unchanged keeps the owner email it was
// stored with: a company flow comes back for every user asked.
func (tx *Tx) UpsertFlows(ctx context.Context, flows []Flow) (UpsertResult, error) {
	return upsert(ctx, tx, flowEntity, flows)
}

// MarkFlowsMissing soft-deletes the flows not seen since notSeenSince (the start of a
// refresh that asked about every owner) and returns their ids.
func (tx *Tx) MarkFlowsMissing(ctx context.Context, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "flows", "true", notSeenSince)
	if err != nil {
		return nil, fmt.Errorf("mark missing flows: %w", err)
	}
	return ids, nil
}

// UpsertAuditLogs writes log records.
func (tx *Tx) UpsertAuditLogs(ctx context.Context, logs []AuditLog) (UpsertResult, error) {
	return upsert(ctx, tx, auditLogEntity, logs)
}

// FlowOwnerEmails returns the email addresses GET /v2/flows is asked about: those of
// the active users Gong still lists, each once, in order. A user without an address
// cannot be asked about, and an inactive one owns no flow anyone still runs.
func (s *Store) FlowOwnerEmails(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT email_address FROM users
		WHERE deleted_at IS NULL AND active IS NOT FALSE AND coalesce(email_address, '') <> ''
		ORDER BY email_address`)
	if err != nil {
		return nil, fmt.Errorf("list flow owners: %w", err)
	}
	emails, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list flow owners: %w", err)
	}
	return emails, nil
}
