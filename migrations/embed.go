// Package migrations carries gongsync's schema as numbered goose SQL files, embedded
// into the binary so a deployed gongsync can migrate its database without files on
// disk. The SQL names no schema: the store points search_path at the configured one.
package migrations

import "embed"

// FS holds every migration file, applied in the order of their number.
//
//go:embed *.sql
var FS embed.FS
