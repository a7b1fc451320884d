package main

import (
	"strings"
	"testing"
)

// The plan check tells a large table read whole from a scan where an index would
// serve: one that throws away most of what it reads, or runs again for each row of a
// join (a parallel scan's loops are its workers, not repetitions); small tables pass.
func TestCheckPlanFindsScansWhereAnIndexWouldServe(t *testing.T) {
	t.Parallel()
	sizes := map[string]float64{"calls": 100_000, "call_speakers": 320_000, "users": 50, "call_topics": 350_000}
	plan := `[{"Plan": {"Node Type": "Hash Join", "Actual Rows": 10, "Actual Loops": 1, "Plans": [
		{"Node Type": "Seq Scan", "Relation Name": "call_speakers", "Parallel Aware": true, "Actual Rows": 107000, "Actual Loops": 3},
		{"Node Type": "Seq Scan", "Relation Name": "calls", "Actual Rows": 90, "Rows Removed by Filter": 99910, "Actual Loops": 1},
		{"Node Type": "Nested Loop", "Actual Rows": 5, "Actual Loops": 1, "Plans": [
			{"Node Type": "Seq Scan", "Relation Name": "users", "Actual Rows": 2, "Rows Removed by Filter": 48, "Actual Loops": 1},
			{"Node Type": "Seq Scan", "Relation Name": "call_topics", "Actual Rows": 350000, "Actual Loops": 2},
			{"Node Type": "Index Only Scan", "Relation Name": "calls", "Actual Rows": 1, "Actual Loops": 900}
		]}
	]}, "Execution Time": 12.5}]`
	whole, misses, err := checkPlan([]byte(plan), sizes)
	if err != nil {
		t.Fatal(err)
	}
	if len(whole) != 1 || !strings.HasPrefix(whole[0], "call_speakers (320,000 rows, 100% kept)") {
		t.Errorf("whole = %q", whole)
	}
	if len(misses) != 2 || !strings.HasPrefix(misses[0], "calls: the scan keeps 0.1%") || !strings.HasPrefix(misses[1], "call_topics: scanned 2 times") {
		t.Errorf("misses = %q", misses)
	}
	if _, _, err := checkPlan([]byte(`{"Plan": 1}`), sizes); err == nil {
		t.Error("a plan that is not EXPLAIN's JSON was read")
	}
}

// -only-queries rewrites its own section of the report and nothing else, or adds it
// where it belongs when the report has none yet.
func TestSpliceSectionReplacesOnlyItsOwnSection(t *testing.T) {
	t.Parallel()
	doc := "# B\n\n## 5. Scaling\n\nx\n\n## 6. Q\n\nold\n\n## Where\n\ny\n"
	if got, want := spliceSection(doc, "6. Q", "## 6. Q\n\nnew\n\n", "Where"), "# B\n\n## 5. Scaling\n\nx\n\n## 6. Q\n\nnew\n\n## Where\n\ny\n"; got != want {
		t.Errorf("replace:\n%q\nwant\n%q", got, want)
	}
	noSection := "# B\n\n## 5. Scaling\n\nx\n\n## Where\n\ny\n"
	if got, want := spliceSection(noSection, "6. Q", "## 6. Q\n\nnew\n\n", "Where"), doc[:len("# B\n\n## 5. Scaling\n\nx\n\n")]+"## 6. Q\n\nnew\n\n## Where\n\ny\n"; got != want {
		t.Errorf("insert:\n%q\nwant\n%q", got, want)
	}
	if got := spliceSection("# B\n", "6. Q", "## 6. Q\n\nnew\n", "Where"); got != "# B\n\n## 6. Q\n\nnew\n" {
		t.Errorf("append: %q", got)
	}
	last := "# B\n\n## 6. Q\n\nold\n"
	if got := spliceSection(last, "6. Q", "## 6. Q\n\nnew\n", "Where"); got != "# B\n\n## 6. Q\n\nnew\n" {
		t.Errorf("last section: %q", got)
	}
}

// A part of a section ("### sub") is replaced in place, appended to its section when
// missing, and read back; the sections around it are left as they were.
func TestSpliceSubsectionReplacesOnlyItsOwnPart(t *testing.T) {
	t.Parallel()
	doc := "# B\n\n## 9. T\n\ncpu\n\n### On disk\n\nold\n\n### Other\n\nz\n\n## Where\n\ny\n"
	if got, want := spliceSubsection(doc, "9. T", "On disk", "### On disk\n\nnew\n\n"),
		"# B\n\n## 9. T\n\ncpu\n\n### On disk\n\nnew\n\n### Other\n\nz\n\n## Where\n\ny\n"; got != want {
		t.Errorf("replace:\n%q\nwant\n%q", got, want)
	}
	if got, want := subsection(doc, "9. T", "On disk"), "### On disk\n\nold\n\n"; got != want {
		t.Errorf("subsection = %q, want %q", got, want)
	}
	without := "# B\n\n## 9. T\n\ncpu\n\n## Where\n\ny\n"
	if got, want := spliceSubsection(without, "9. T", "On disk", "### On disk\n\nnew\n\n"),
		"# B\n\n## 9. T\n\ncpu\n\n### On disk\n\nnew\n\n## Where\n\ny\n"; got != want {
		t.Errorf("append:\n%q\nwant\n%q", got, want)
	}
	if got := subsection(without, "9. T", "On disk"); got != "" {
		t.Errorf("subsection of a section without it = %q", got)
	}
	last := "# B\n\n## 9. T\n\ncpu\n\n### On disk\n\nold\n"
	if got, want := spliceSubsection(last, "9. T", "On disk", "### On disk\n\nnew\n"), "# B\n\n## 9. T\n\ncpu\n\n### On disk\n\nnew\n"; got != want {
		t.Errorf("last section:\n%q\nwant\n%q", got, want)
	}
	if got := spliceSubsection("# B\n", "9. T", "On disk", "### On disk\n\nnew\n"); got != "# B\n" {
		t.Errorf("no section: %q", got)
	}
}
