package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	gsync "github.com/gongsync/gongsync/sync"
)

// readmeStreamTable returns the streams named in the first column of the table under
// README.md's "### Streams, schedules and scopes", in the table's order.
func readmeStreamTable(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const heading = "### Streams, schedules and scopes"
	_, section, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", heading)
	}
	if next := strings.Index(section, "\n#"); next >= 0 {
		section = section[:next]
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|")
	var names []string
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		names = append(names, m[1])
	}
	if len(names) == 0 {
		t.Fatalf("README.md's %q section has no table of streams", heading)
	}
	return names
}

// helpStreams returns the streams `gongsync sync --help` offers for --streams.
func helpStreams(t *testing.T) []string {
	t.Helper()
	code, out, errOut := gongsync(t, nil, "sync", "--help")
	if code != 0 {
		t.Fatalf("sync --help: exit %d\n%s", code, errOut)
	}
	for _, f := range parseHelp(t, out) {
		if f.name != "streams" {
			continue
		}
		_, list, ok := strings.Cut(f.usage, " of ")
		list, _, ok2 := strings.Cut(list, " (default")
		if !ok || !ok2 {
			t.Fatalf("--streams' help does not read \"…, of a, b (default…)\": %q", f.usage)
		}
		return strings.Split(list, ", ")
	}
	t.Fatalf("sync --help has no --streams:\n%s", out)
	return nil
}

// The stream registry is the source of truth: `sync --help` offers every stream of it
// and no other, and README.md's table of streams names every one of them, once, and
// no other. A stream added to the registry without its row fails here.
func TestReadmeStreamTableNamesEveryStream(t *testing.T) {
	t.Parallel()
	registry := gsync.StreamNames()
	for _, c := range []struct {
		where string
		names []string
	}{
		{"sync --help", helpStreams(t)},
		{"README.md's table of streams", readmeStreamTable(t)},
	} {
		for _, n := range registry {
			if k := occurrences(c.names, n); k != 1 {
				t.Errorf("%s names stream %q %d times, want once", c.where, n, k)
			}
		}
		for _, n := range c.names {
			if !slices.Contains(registry, n) {
				t.Errorf("%s names %q, which is no stream of the registry (%s)", c.where, n, strings.Join(registry, ", "))
			}
		}
	}
}

// occurrences is how many times name is in names.
func occurrences(names []string, name string) int {
	n := 0
	for _, s := range names {
		if s == name {
			n++
		}
	}
	return n
}
