package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
)

// A backfill stopped by SIGINT or SIGTERM commits its last page and exits 130 or 143
// with the resume hint only: no "context canceled", no error. Run again, it finishes.
func TestInterruptedBackfillExitsWithTheSignalAndTheHint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			t.Parallel()
			k := newKillEnv(t, 1500, 40*time.Millisecond)
			db := pgtest.NewDatabase(t)
			ctx := context.Background()
			cmd := k.backfill(ctx, db)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Let it commit some pages first.
			deadline := time.Now().Add(30 * time.Second)
			for queryInt(db, `SELECT count(*) FROM gong.calls`) < 100 {
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					t.Fatalf("no calls committed in 30 s\n%s", stderr.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), "run the same command again to resume") {
				t.Errorf("no resume hint on stdout:\n%s", stdout.String())
			}
			if s := stderr.String(); strings.Contains(s, "context canceled") || strings.Contains(s, `"level":"error"`) ||
				strings.Contains(s, "gongsync backfill:") {
				t.Errorf("an interruption reported as a failure:\n%s", s)
			}
			out, err := k.backfill(ctx, db).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "complete") {
				t.Fatalf("the backfill run again: %v\n%s", err, out)
			}
		})
	}
}

// A sync stopped by a signal says how it will go on, in one line, and exits 130; one
// that the signal did not stop is not an interruption.
func TestInterruptedSyncExitsWithTheSignal(t *testing.T) {
	t.Parallel()
	// Calls of the last days: a first sync reads them all.
	now := time.Now().UTC()
	k := newFakeEnv(t, fakegong.Options{Seed: 3, Calls: 1500, From: now.AddDate(0, 0, -5), To: now.AddDate(0, 0, -1),
		Latency: 40 * time.Millisecond})
	db := pgtest.NewDatabase(t)
	env := map[string]string{}
	for _, kv := range k.env(db) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		for queryInt(db, `SELECT count(*) FROM gong.calls`) < 50 {
			time.Sleep(20 * time.Millisecond)
		}
		cancel(signalCause{os.Interrupt})
	}()
	var out, errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Env: env}
	code := m.Run(ctx, []string{"sync", "--streams", "calls"})
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	line := lines[len(lines)-1]
	if code != 130 || !strings.Contains(line, "interrupted by SIGINT") || !strings.Contains(line, "resumes from it") ||
		strings.Contains(errOut.String(), "context canceled") || strings.Count(errOut.String(), "gongsync sync:") != 1 {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
}
