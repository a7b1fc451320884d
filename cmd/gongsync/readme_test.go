package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gongsync/gongsync/internal/pgtest"
)

// readmeBlock returns the first sh block after the heading of README.md.
func readmeBlock(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", heading)
	}
	m := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(after)
	if m == nil {
		t.Fatalf("README.md's %q section has no sh block", heading)
	}
	return m[1]
}

// README.md's "try it against the simulated Gong" runs as written: with bin/gongsync
// (this test binary standing in) and a DATABASE_URL, the fake serves, the backfill,
// sync and status succeed, and psql finds the calls.
func TestReadmeTryItRunsAsWritten(t *testing.T) {
	t.Parallel()
	script := readmeBlock(t, "### Try it against the simulated Gong")
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	wrapper := "#!/bin/sh\nGONGSYNC_BE_MAIN=1 exec '" + os.Args[0] + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "bin", "gongsync"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	path := os.Getenv("PATH")
	if _, err := exec.LookPath("psql"); err != nil {
		dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		sort.Strings(dirs)
		if len(dirs) == 0 {
			t.Skip("no psql")
		}
		path = dirs[len(dirs)-1] + ":" + path
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-c", script)
	cmd.Dir = dir
	// The block's own environment, and nothing from the developer's.
	cmd.Env = []string{"PATH=" + path, "HOME=" + dir, "DATABASE_URL=" + pgtest.NewDatabase(t), "LOG_FORMAT=json", "LOG_LEVEL=warn"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the fake, if the block failed before its kill
	if err != nil {
		t.Fatalf("the README's block failed: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{"backfill 2024-01-01..2024-07-01 complete: 4", "STREAMS", "TRANSCRIPTS", "newest", "(1 row)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the block's output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(errOut.String(), `"level":"error"`) {
		t.Errorf("errors logged:\n%s", errOut.String())
	}
	// What the README says the quickstart's backfill costs is what it spent.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	claim := regexp.MustCompile(`backfill of (\d+) calls spent (\d+) requests`).FindStringSubmatch(strings.Join(strings.Fields(string(readme)), " "))
	spent := regexp.MustCompile(`complete: (\d+) calls; (\d+) requests spent`).FindStringSubmatch(out.String())
	if claim == nil || spent == nil || claim[1] != spent[1] || claim[2] != spent[2] {
		t.Errorf("the README says the quickstart's backfill of N calls spent M requests (%v); it did %v", claim, spent)
	}
}

// shellWords splits one line of a README sh block into its words: spaces separate,
// single quotes group, and an unquoted # starts a comment. It is enough for the
// README's examples, which use nothing else of the shell.
func shellWords(line string) []string {
	var words []string
	var w strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
		case quoted && r == '\'':
			quoted = false
		case quoted:
			w.WriteRune(r)
		case r == '\'':
			quoted, inWord = true, true
		case r == '#' && !inWord:
			return words
		case r == ' ' || r == '\t':
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

// The README's action examples run as written against the simulated Gong the
// quickstart starts: every id and address in them exists there, each example exits 0,
// and a failure in between would be printed once. (An example reading a local file,
// @access.json, is the reader's own and is left out.)
func TestReadmeActionExamplesRunAgainstTheSimulatedGong(t *testing.T) {
	t.Parallel()
	var fakeArgs []string
	for _, line := range strings.Split(readmeBlock(t, "### Try it against the simulated Gong"), "\n") {
		if words := shellWords(line); len(words) > 1 && words[0] == "bin/gongsync" && words[1] == "fake-gong" {
			for _, w := range words[1:] {
				if w == ">" {
					break
				}
				fakeArgs = append(fakeArgs, w)
			}
		}
	}
	if fakeArgs == nil {
		t.Fatal("the quickstart starts no fake-gong")
	}
	var url, fakeErr safeBuffer
	fake := &Main{Stdin: strings.NewReader(""), Stdout: &url, Stderr: &fakeErr,
		Env: map[string]string{"GONG_ACCESS_KEY": "try-key", "GONG_ACCESS_KEY_SECRET": "try-secret"}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- fake.Run(ctx, fakeArgs) }()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(20 * time.Second); !strings.HasSuffix(url.String(), "\n"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%v printed no base URL:\n%s", fakeArgs, fakeErr.String())
		}
	}
	env := map[string]string{"DATABASE_URL": migrated.NewDatabase(t), "GONG_BASE_URL": strings.TrimSpace(url.String()),
		"GONG_ACCESS_KEY": "try-key", "GONG_ACCESS_KEY_SECRET": "try-secret", "GONG_RATE_LIMIT": "0", "LOG_FORMAT": "json", "LOG_LEVEL": "info"}
	ran, dryRun, erased := 0, "", ""
	for _, line := range strings.Split(readmeBlock(t, "### Actions"), "\n") {
		words := shellWords(line)
		if len(words) < 3 || words[0] != "bin/gongsync" || strings.Contains(line, "@") && strings.Contains(line, "--input @") {
			continue
		}
		code, out, errOut := gongsync(t, env, words[1:]...)
		if code != 0 {
			t.Errorf("%s\nexit %d:\n%s%s", line, code, out, errOut)
		}
		if strings.Contains(line, "privacy.erase-email") {
			if strings.Contains(line, "--dry-run") {
				dryRun = out
			} else {
				erased = out
			}
		}
		ran++
	}
	if ran < 7 {
		t.Errorf("ran %d of the README's action examples, want at least 7", ran)
	}
	// The dry run said what the erasure then deleted: the same calls, the same rows
	// by table (the calls' own rows included), and at least the refreshed call's.
	var plan struct {
		Local struct {
			Calls int            `json:"callsToDelete"`
			Rows  map[string]int `json:"rowsToDelete"`
		} `json:"local"`
	}
	var result struct {
		Local struct {
			Calls int            `json:"callsDeleted"`
			Rows  map[string]int `json:"rowsDeleted"`
		} `json:"local"`
	}
	if err := json.Unmarshal([]byte(dryRun), &plan); err != nil {
		t.Fatalf("the dry run's answer: %v\n%s", err, dryRun)
	}
	if err := json.Unmarshal([]byte(erased), &result); err != nil {
		t.Fatalf("the erasure's answer: %v\n%s", err, erased)
	}
	if plan.Local.Calls == 0 || plan.Local.Calls != result.Local.Calls || len(plan.Local.Rows) == 0 ||
		!maps.Equal(plan.Local.Rows, result.Local.Rows) {
		t.Errorf("the dry run planned %d calls and rows %v; the erasure deleted %d calls and rows %v",
			plan.Local.Calls, plan.Local.Rows, result.Local.Calls, result.Local.Rows)
	}
	// calls.refresh lists the requestId of each of its requests, the transcripts' too.
	if n := count(t, env["DATABASE_URL"], `SELECT count(*) FROM gong.action_runs
			WHERE action = 'calls.refresh' AND requests = 2 AND cardinality(gong_request_ids) = 2`); n != 1 {
		t.Errorf("%d runs of calls.refresh with 2 requests and 2 request ids, want 1", n)
	}
	// An address held nowhere is erased all the same: nothing to delete is no failure.
	if code, out, errOut := gongsync(t, env, "action", "run", "privacy.erase-email", "--input", `{"emailAddress":"nobody@example.com"}`); code != 0 {
		t.Errorf("erasing an address held nowhere: exit %d\n%s%s", code, out, errOut)
	}
	// A call Gong does not have: Gong's "was not found" needs no hint about the base
	// URL, and the CLI prints it once.
	code, _, errOut := gongsync(t, env, "action", "run", "getCall", "--input", `{"id":"42"}`)
	if code != 1 || !strings.Contains(errOut, "Call 42 was not found") || strings.Contains(errOut, "base URL") ||
		strings.Count(errOut, "was not found") != 1 {
		t.Errorf("getCall of a missing call: exit %d, want 1 printing Gong's answer once, without a base-URL hint:\n%s", code, errOut)
	}
}

// What the README's quickstart writes in the working directory (its > redirections,
// fake-gong.url) is in .gitignore, so that trying it in a clone leaves git clean.
func TestReadmeQuickstartFilesAreIgnoredByGit(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../.gitignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, strings.TrimPrefix(l, "/"))
		}
	}
	written := regexp.MustCompile(`>\s*([A-Za-z0-9._-]+)`).FindAllStringSubmatch(readmeBlock(t, "### Try it against the simulated Gong"), -1)
	if len(written) == 0 {
		t.Fatal("the quickstart writes no file: this test looks for > FILE")
	}
	for _, w := range written {
		ignored := false
		for _, p := range patterns {
			if ok, _ := filepath.Match(p, w[1]); ok {
				ignored = true
			}
		}
		if !ignored {
			t.Errorf("the quickstart writes %s, which .gitignore does not ignore", w[1])
		}
	}
}
