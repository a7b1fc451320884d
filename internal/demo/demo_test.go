package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// demoBinaries builds gongsync and the demo into a directory laid out as the demo
// expects (bin/gongsync beside the working directory), with a TMPDIR of its own: every
// process the demo starts runs from, or keeps its files in, that directory.
func demoBinaries(t *testing.T) (root string) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool to build the demo with")
	}
	// Short: a Postgres socket path below it must stay under 108 bytes.
	root, err := os.MkdirTemp("/tmp", "gsdt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	for _, d := range []string{"bin", "tmp"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The cluster's files under tmp belong to the postgres user when tests run as root.
	for _, d := range []string{root, filepath.Join(root, "tmp")} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for pkg, out := range map[string]string{"../../cmd/gongsync": "bin/gongsync", ".": "demo"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(root, out), pkg)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	return root
}

// demo returns the demo as a command, not started, in its own process group.
func demo(root string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(root, "demo"))
	cmd.Dir = root
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") && !strings.HasPrefix(kv, "TMPDIR=") && !strings.HasPrefix(kv, "NO_COLOR=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "TMPDIR="+filepath.Join(root, "tmp"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// leftovers lists the processes that run from, or in, root (Postgres servers work in
// their data directory), and the files left under root's tmp.
func leftovers(root string) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		pid, _ := strconv.Atoi(filepath.Base(p))
		if pid == os.Getpid() {
			continue
		}
		cwd, _ := os.Readlink(p + "/cwd")
		exe, _ := os.Readlink(p + "/exe")
		cmdline, _ := os.ReadFile(p + "/cmdline")
		if strings.HasPrefix(cwd, root) || strings.HasPrefix(exe, root) || bytes.Contains(cmdline, []byte(root)) {
			if alive(pid) {
				out = append(out, fmt.Sprintf("process %d: %s", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
			}
		}
	}
	files, _ := os.ReadDir(filepath.Join(root, "tmp"))
	for _, f := range files {
		out = append(out, "file tmp/"+f.Name())
	}
	return out
}

// waitNoLeftovers waits until nothing of the demo is left, failing after a while.
func waitNoLeftovers(t *testing.T, root string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		left := leftovers(root)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, l := range left {
				t.Errorf("left behind: %s", l)
			}
			// Clean up for the next tests.
			for _, l := range left {
				var pid int
				if _, err := fmt.Sscanf(l, "process %d:", &pid); err == nil {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// readUntil reads lines from r until one contains want, and returns what it read.
func readUntil(t *testing.T, r *bufio.Reader, want string) string {
	t.Helper()
	var b strings.Builder
	for !strings.Contains(b.String(), want) {
		line, err := r.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			t.Fatalf("the demo ended before %q: %v\n%s", want, err, b.String())
		}
	}
	return b.String()
}

// Whatever ends the demo, nothing it started survives it: not when the reader of
// its output goes away (make demo | head -5), not when it is killed outright. Its
// output to a pipe carries no colour.
func TestDemoLeavesNothingRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole demo, end to end: long scenario; runs in make test")
	}
	t.Parallel()
	root := demoBinaries(t)

	t.Run("the reader goes away", func(t *testing.T) {
		cmd := demo(root)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(stdout)
		var head strings.Builder
		for range 5 {
			line, err := r.ReadString('\n')
			head.WriteString(line)
			if err != nil {
				break
			}
		}
		if strings.Contains(head.String(), "\x1b") {
			t.Errorf("colour written to a pipe: %q", head.String())
		}
		stdout.Close() // as head does after five lines
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(stderr.String(), "reader of the demo's output went away") {
				t.Errorf("exit %v; stderr:\n%s", err, stderr.String())
			}
		case <-time.After(90 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			t.Fatalf("the demo still runs 90 s after its reader went away\n%s", stderr.String())
		}
		waitNoLeftovers(t, root)
	})

	t.Run("SIGKILL", func(t *testing.T) {
		cmd := demo(root)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Once the simulated Gong answers, Postgres and the fake both run.
		readUntil(t, bufio.NewReader(stdout), "simulated Gong at")
		if n := len(leftovers(root)); n < 3 {
			t.Errorf("only %d processes and files of the demo found while it runs: the check would see nothing", n)
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		waitNoLeftovers(t, root)
	})

	t.Run("SIGINT", func(t *testing.T) {
		cmd := demo(root)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		readUntil(t, bufio.NewReader(stdout), "gongsync migrate")
		// Ctrl-C reaches the whole foreground process group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		go func() { <-ctx.Done(); _ = cmd.Process.Kill() }()
		if err := cmd.Wait(); err == nil {
			t.Errorf("exit 0 after SIGINT\n%s", stderr.String())
		}
		waitNoLeftovers(t, root)
	})
}
