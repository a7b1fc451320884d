package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"

	"github.com/gongsync/gongsync/store"
)

// turnsHeading is the section on keeping turns and chunks current, which -only-turns
// rewrites.
const turnsHeading = "9. Keeping transcript turns and chunks current"

// turnsBar is issue 27's bar: turns and chunks add at most 25% to Postgres CPU per
// 1,000 calls synced.
const turnsBar = 25.0

// turnsCommand is the go test invocation of the store's paired benchmark, quoted in
// the report. Each iteration is one pair (1,000 calls each side).
func turnsCommand(count int) []string {
	return []string{"go", "test", "-run", "^$", "-bench", "^BenchmarkTurnsAndChunksCost$",
		"-benchtime", "2x", "-count", strconv.Itoa(count), "./store/"}
}

var benchMetric = regexp.MustCompile(`([\d.]+) (\S+)`)

// turnsFigures runs BenchmarkTurnsAndChunksCost count times on a cluster of its own
// on this machine (not TEST_DATABASE_URL's, whose processes /proc cannot see), and
// returns each metric's figures.
func turnsFigures(ctx context.Context, count int) (map[string]figure, string, error) {
	args := turnsCommand(count)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TEST_DATABASE_URL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PGTEST_REQUIRED=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, "", fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	figs := map[string]figure{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "BenchmarkTurnsAndChunksCost") {
			continue
		}
		for _, m := range benchMetric.FindAllStringSubmatch(line, -1) {
			if v, err := strconv.ParseFloat(m[1], 64); err == nil {
				figs[m[2]] = append(figs[m[2]], v)
			}
		}
	}
	if len(figs["%-more-cpu"]) == 0 {
		return nil, "", fmt.Errorf("no CPU figure (is the server on this machine?) in:\n%s", out.String())
	}
	return figs, strings.Join(args, " "), nil
}

// writeTurns writes the section on keeping turns and chunks current.
func (r *report) writeTurns(w writer) {
	f := r.turns
	if f == nil {
		return
	}
	w("## " + turnsHeading)
	w("")
	w("`%s`, on a throwaway cluster on this machine: each run writes the transcripts of 1,000 new calls (200 sentences each, "+
		"pages of 100 in one transaction each, as one transcript writer does) twice, paired on the same database, "+
		"as sentences alone and with their `transcript_turns` and `transcript_chunks` (default %d-token limit), alternating "+
		"which goes first; two pairs a run. Postgres CPU is what the server's processes used, read from /proc; wall time "+
		"includes gongsync's own work (grouping turns, packing and hashing chunks). Median and range over %d runs.",
		r.turnsCmd, store.DefaultChunkTokens, len(f["%-more-cpu"]))
	w("")
	w("| per 1,000 calls | sentences alone | with turns and chunks | more |")
	w("|---|---|---|---|")
	w("| Postgres CPU, ms | %s | %s | %s%% |", f["cpu-ms-sentences/1k-calls"].show(0),
		f["cpu-ms-with-turns-chunks/1k-calls"].show(0), f["%-more-cpu"].show(1))
	w("| wall time, ms | %s | %s | %s%% |", f["ms-sentences/1k-calls"].show(0),
		f["ms-with-turns-chunks/1k-calls"].show(0), f["%-more-wall"].show(1))
	w("")
	verdict := "within"
	if f["%-more-cpu"].median() > turnsBar {
		verdict = "over"
	}
	w("Issue 27's bar is at most %.0f%% more Postgres CPU: the median is %s it.", turnsBar, verdict)
	w("")
	r.writeTurnsDisk(w)
}

// onlyTurns measures the cost of turns and chunks alone and writes its section into
// the existing report.
func onlyTurns(ctx context.Context, r *report) error {
	say(r.began, "turns and chunks, paired with sentences alone (go test -bench)")
	var err error
	if r.turns, r.turnsCmd, err = turnsFigures(ctx, r.cfg.turnsCount); err != nil {
		return err
	}
	old, err := os.ReadFile(r.cfg.out)
	if err != nil {
		return err
	}
	var b strings.Builder
	r.writeTurns(func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) })
	doc := spliceSection(string(old), turnsHeading, b.String(), "Where the time goes: the profile")
	// The bytes on disk come from -only-queries' database: keep what it wrote.
	if kept := subsection(string(old), turnsHeading, turnsDiskHeading); kept != "" {
		doc = spliceSubsection(doc, turnsHeading, turnsDiskHeading, kept)
	}
	if err := os.WriteFile(r.cfg.out, []byte(doc), 0o644); err != nil {
		return err
	}
	say(r.began, "wrote the turns and chunks section of %s", r.cfg.out)
	return nil
}
