package main

import (
	"bytes"
	"context"
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
}
