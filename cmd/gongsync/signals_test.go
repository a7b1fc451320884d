package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// One stop request that arrives twice at once (`timeout -s TERM` signals gongsync and
// then its process group) is one: the daemon finishes its page and exits 0, instead
// of "second signal, exiting at once" (issue 25, item 8).
func TestTwoSignalsTogetherAreOneStop(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	k := newFakeEnv(t, fakegong.Options{Seed: 4, Calls: 200, From: now.AddDate(0, 0, -5), To: now.AddDate(0, 0, -1),
		Latency: 20 * time.Millisecond})
	db := migrated.NewDatabase(t)
	var out syncBuffer
	cmd := process(context.Background(), append(k.env(db), "GONGSYNC_HTTP_ADDR=off", "LOG_LEVEL=info"), "run")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	deadline := time.Now().Add(30 * time.Second)
	for queryInt(db, `SELECT count(*) FROM gong.sync_runs`) < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no run started in 30 s:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for range 2 {
		if err := syscall.Kill(cmd.Process.Pid, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 0 || strings.Contains(out.String(), "second signal") {
		t.Errorf("exit %d after two SIGTERMs together, want 0 and a clean stop:\n%s", code, out.String())
	}
}

// A signal later than duplicateSignalWindow after the first is the operator's second
// one: it exits at once; one within the window does not.
func TestASecondSignalLaterExitsAtOnce(t *testing.T) {
	t.Parallel()
	sigs := make(chan os.Signal, 3)
	ctx, cancel := context.WithCancelCause(context.Background())
	exited := make(chan struct{})
	go stopOnSignals(sigs, cancel, func() { close(exited) })
	sigs <- syscall.SIGTERM
	sigs <- syscall.SIGTERM
	select {
	case <-exited:
		t.Fatal("a duplicate signal exited at once")
	case <-time.After(duplicateSignalWindow / 2):
	}
	var sc signalCause
	if err := context.Cause(ctx); err == nil || !errors.As(err, &sc) || sc.sig != syscall.SIGTERM {
		t.Errorf("cause %v, want SIGTERM", context.Cause(ctx))
	}
	time.Sleep(duplicateSignalWindow / 2)
	sigs <- syscall.SIGINT
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("a second signal after the window did not exit")
	}
}
