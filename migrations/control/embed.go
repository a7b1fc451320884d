// Package control carries the migrations of gongsync's control schema
// (GONGSYNC_CONTROL_SCHEMA): the connection registry. They are numbered apart from the
// per-connection migrations of the parent package and applied by goose under a
// version table of their own; River's queue tables beside them are migrated by
// River's own migrator.
package control

import "embed"

// FS holds the control schema's migration files, applied in the order of their number.
//
//go:embed *.sql
var FS embed.FS
