// Package examples reads docs/queries.sql, the example queries users copy from, so
// that the tests can run every one of them and the demo can print some.
package examples

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Query is one named example query.
type Query struct {
	Name    string
	Comment string // the comment lines under the name
	SQL     string // without the trailing semicolon
}

// Load reads the queries file. Each query starts with a "-- name: x" line and ends
// with a line ending in ";". Statements before the first name (the SET search_path
// line) are not queries.
func Load(path string) ([]Query, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse splits the text of a queries file.
func Parse(b []byte) ([]Query, error) {
	var out []Query
	var cur *Query
	var sql, comment strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		trimmed := strings.TrimSpace(text)
		if name, ok := strings.CutPrefix(trimmed, "-- name:"); ok {
			if cur != nil {
				return nil, fmt.Errorf("line %d: query %q has no terminating ';'", line, cur.Name)
			}
			cur = &Query{Name: strings.TrimSpace(name)}
			sql.Reset()
			comment.Reset()
			continue
		}
		if cur == nil {
			continue
		}
		if sql.Len() == 0 && strings.HasPrefix(trimmed, "--") {
			comment.WriteString(strings.TrimSpace(strings.TrimPrefix(trimmed, "--")) + " ")
			continue
		}
		sql.WriteString(text + "\n")
		if strings.HasSuffix(trimmed, ";") {
			cur.SQL = strings.TrimSuffix(strings.TrimSpace(sql.String()), ";")
			cur.Comment = strings.TrimSpace(comment.String())
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("query %q has no terminating ';'", cur.Name)
	}
	return out, sc.Err()
}

// DefaultPath finds docs/queries.sql from the working directory or one of its parents
// (tests run in their package's directory).
func DefaultPath() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "docs", "queries.sql")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("docs/queries.sql not found above the working directory")
		}
		dir = parent
	}
}
