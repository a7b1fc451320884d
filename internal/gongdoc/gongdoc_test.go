package gongdoc

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestPathLooksInTheEnvironmentThenUpwards(t *testing.T) {
	root := t.TempDir()
	doc := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(doc), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(doc, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A worktree two levels below the shared directory, like /work/wt/issue17.
	deep := filepath.Join(root, "wt", "issue", "gongapi", "catalog")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(Env, "")
	t.Chdir(deep)
	if got, err := Path(); err != nil || got != doc {
		t.Errorf("Path() = %q, %v; want %q", got, err, doc)
	}

	other := filepath.Join(t.TempDir(), "gong.json")
	if err := os.WriteFile(other, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(Env, other)
	if got, err := Path(); err != nil || got != other {
		t.Errorf("with %s set: Path() = %q, %v; want %q", Env, got, err, other)
	}
	t.Setenv(Env, filepath.Join(root, "missing.json"))
	if _, err := Path(); err == nil {
		t.Errorf("with %s naming no file: no error", Env)
	}

	t.Setenv(Env, "")
	t.Chdir(t.TempDir())
	if _, err := Path(); !errors.Is(err, ErrNotFound) {
		t.Errorf("no document anywhere: %v, want ErrNotFound", err)
	}
}
