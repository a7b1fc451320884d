package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
)

// Postgres going away in the middle of `gongsync sync` ends the pass at once with the
// one failure (not a warning and an error for every stream left), and the run it cut
// short does not read as still running in `status` once the database is back: no
// process holds its stream (issue 25, item 7).
func TestPostgresGoneMidPassEndsItWithOneLine(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	k := newFakeEnv(t, fakegong.Options{Seed: 12, Calls: 600, From: now.AddDate(0, 0, -5), To: now.AddDate(0, 0, -1),
		Latency: 30 * time.Millisecond})
	cluster := pgtest.NewCluster(t)
	db := cluster.URL("postgres")
	var stderr syncBuffer
	cmd := process(context.Background(), k.env(db), "sync")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	deadline := time.Now().Add(30 * time.Second)
	for queryInt(db, `SELECT count(*) FROM gong.calls`) < 50 {
		if time.Now().After(deadline) {
			t.Fatalf("no calls stored in 30 s:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cluster.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	out := stderr.String()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if n := strings.Count(out, `"level":"error"`) + strings.Count(out, `"level":"warn"`) + strings.Count(out, "gongsync sync:"); n != 1 {
		t.Errorf("%d warnings and errors for one lost database, want 1:\n%s", n, out)
	}

	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	env := envMapOf(k.env(db))
	code, js, errOut := gongsync(t, env, "status", "--json")
	var st struct {
		Streams []struct {
			Stream  string
			LastRun *struct{ Status string } `json:"last_run"`
		}
	}
	if err := json.Unmarshal([]byte(js), &st); code != 0 || err != nil {
		t.Fatalf("status --json: exit %d, %v\n%s%s", code, err, js, errOut)
	}
	for _, s := range st.Streams {
		if s.LastRun != nil && s.LastRun.Status == "running" {
			t.Errorf("status shows %s running, though no process is", s.Stream)
		}
	}
	if queryInt(db, `SELECT count(*) FROM gong.sync_runs WHERE status = 'running'`) != 1 {
		t.Error("the run cut short is not the one left 'running' in sync_runs (the test lost its point)")
	}
}
