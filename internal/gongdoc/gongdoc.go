// Package gongdoc finds Gong's OpenAPI document on a development machine. gongsync
// does not ship the document (it is Gong's, prose and all); the generator and the
// conformance tests read it where the team keeps it, beside the checkout or above it.
package gongdoc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Env names a variable that, when set, gives the document's path.
const Env = "GONG_OPENAPI"

// rel is where the document sits relative to a directory that holds it.
var rel = filepath.Join("shared", "reference", "gong-openapi.json")

// ErrNotFound is returned when no document is found.
var ErrNotFound = errors.New("no Gong OpenAPI document")

// Path returns the document's path: $GONG_OPENAPI when set, otherwise
// shared/reference/gong-openapi.json in the working directory or the nearest of its
// parents that has one (the main checkout and its worktrees sit below the same
// shared directory at different depths).
func Path() (string, error) {
	if p := os.Getenv(Env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", Env, p, err)
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w: set %s or put it at %s above the checkout", ErrNotFound, Env, rel)
		}
		dir = parent
	}
}
