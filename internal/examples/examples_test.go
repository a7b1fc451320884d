package examples

import "testing"

func TestTheQueriesFileParses(t *testing.T) {
	p, err := DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	qs, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 8 {
		t.Fatalf("docs/queries.sql has %d queries; it promises at least eight", len(qs))
	}
	seen := map[string]bool{}
	for _, q := range qs {
		if q.Name == "" || q.SQL == "" || q.Comment == "" {
			t.Errorf("query %+v lacks a name, a comment or SQL", q)
		}
		if seen[q.Name] {
			t.Errorf("query name %q used twice", q.Name)
		}
		seen[q.Name] = true
	}
}

func TestParseRejectsUnterminatedQuery(t *testing.T) {
	if _, err := Parse([]byte("-- name: a\n-- comment\nSELECT 1\n")); err == nil {
		t.Fatal("no error for a query without ';'")
	}
}
