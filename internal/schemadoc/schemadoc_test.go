package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/gongsync/gongsync/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// docs/SCHEMA.md is what the migrations give, to the byte: a migration that changes
// a table, a view or a comment without `make schema-doc` fails here.
func TestSchemaDocIsCurrent(t *testing.T) {
	t.Parallel()
	doc, err := migratedDoc(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "SCHEMA.md")
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run make schema-doc", err)
	}
	if string(old) == doc {
		return
	}
	want, got := strings.Split(doc, "\n"), strings.Split(string(old), "\n")
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] {
			t.Fatalf("docs/SCHEMA.md differs from the migrations' schema at line %d (run make schema-doc):\n  file:       %s\n  migrations: %s", i+1, got[i], want[i])
		}
	}
	t.Fatalf("docs/SCHEMA.md has %d lines, the migrations' schema %d (run make schema-doc)", len(got), len(want))
}

// Every "Joins t.c" of a column comment names a column that exists, and the diagram
// draws the joins an analyst needs first: a call's rows, its rep, its CRM fields.
func TestDiagramDrawsTheJoinsTheCommentsName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DatabaseURL: pgtest.NewDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := st.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	s, err := readSchema(ctx, conn.Conn())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.joins(); err != nil {
		t.Fatal(err)
	}
	doc := s.markdown()
	for _, line := range []string{
		"calls ||--o{ call_parties : call_id",
		"calls ||--o{ transcript_sentences : call_id",
		"users |o--o{ calls : primary_user_id",
		"users |o--o{ users : manager_id",
		"calls ||--o{ call_crm_fields : call_id",
		"call_parties |o--o{ transcript_sentences : speaker_id",
	} {
		if !strings.Contains(doc, "    "+line+"\n") {
			t.Errorf("the diagram lacks %q", line)
		}
	}
	// A join to nowhere is an error, not a line.
	s.tables[0].columns[0].comment = "Joins nowhere.id."
	if _, err := s.joins(); err == nil || !strings.Contains(err.Error(), "nowhere.id") {
		t.Errorf("a join to a table that does not exist: %v", err)
	}
}
