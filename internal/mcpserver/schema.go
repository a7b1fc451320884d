package mcpserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// SchemaURI names the schema resource.
const SchemaURI = "gongsync://schema"

// readSchema answers the schema resource from the database's own COMMENTs (those
// docs/SCHEMA.md is generated from), so that it describes the schema the query tool
// reads, at the version this database is migrated to. The secret tables are left out:
// the query tool shows them empty.
func (s *Server) readSchema(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	rows, err := s.st.Pool().Query(ctx, `SELECT c.relname, c.relkind = 'v', coalesce(obj_description(c.oid, 'pg_class'), ''),
  a.attname, format_type(a.atttypid, a.atttypmod), coalesce(col_description(c.oid, a.attnum), '')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm')
ORDER BY c.relkind = 'v', c.relname, a.attnum`, s.schema)
	if err != nil {
		return nil, fmt.Errorf("read the schema's comments: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# The synced schema\n\nThe query tool runs on it with the schema on the search path: name tables without it. "+
		"Query the live_ views: they leave out what Gong deleted. Times are timestamptz, ids are Gong's as text. "+
		"Full-text search: to_tsvector('english', text) @@ websearch_to_tsquery('english', '…') on transcript_sentences.\n")
	if !s.includePrivate {
		b.WriteString("\nPrivate calls and calls an erasure touched are left out of every table and view, and quarantine and action_runs read as empty.\n")
	}
	last := ""
	var name, typ, about, relAbout, column string
	var view bool
	_, err = pgx.ForEachRow(rows, []any{&name, &view, &relAbout, &column, &typ, &about}, func() error {
		if secretTables[name] {
			return nil
		}
		if name != last {
			kind := "table"
			if view {
				kind = "view"
			}
			fmt.Fprintf(&b, "\n## %s (%s)\n\n%s\n\n| column | type | description |\n|---|---|---|\n", name, kind, relAbout)
			last = name
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", column, typ, strings.ReplaceAll(about, "|", `\|`))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the schema's comments: %w", err)
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, MIMEType: "text/markdown", Text: b.String()}}}, nil
}
