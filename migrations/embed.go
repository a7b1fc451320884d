// Package migrations carries gongsync's schema as numbered goose SQL files, embedded
// into the binary so a deployed gongsync can migrate its database without files on
// disk. The SQL names no schema: the store points search_path at the configured one.
package migrations

import "embed"

// FS holds every migration file, applied in the order of their number.
//
//go:embed *.sql
var FS embed.FS

// BookkeepingTables are gongsync's own tables: what its syncs did and may do, not what
// Gong holds. Every other table of the schema holds Gong's data, so a table a later
// migration adds is counted by `gongsync status` and compared by the tests without a
// list to keep up.
var BookkeepingTables = []string{"goose_db_version", "sync_state", "sync_runs", "stream_refusals", "api_usage",
	"api_pace", "oauth_tokens", "action_runs", "erasures", "hash_key", "quarantine"}
