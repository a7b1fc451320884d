package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	gsync "github.com/gongsync/gongsync/sync"
)

// `sync --help` names every stream of the registry, the on-demand ones too, and
// `sync --schedule settle` runs the daemon's settle group, in its order: the external
// scheduler's path covers the sweep (issue 25, item 3).
func TestSyncScheduleRunsTheDaemonsGroup(t *testing.T) {
	t.Parallel()
	_, help, _ := gongsync(t, nil, "sync", "--help")
	for _, s := range gsync.StreamNames() {
		if !regexp.MustCompile(`[ ,]` + s + `[,\s]`).MatchString(help) {
			t.Errorf("sync --help does not list the stream %s", s)
		}
	}
	for _, args := range [][]string{{"--schedule", "nightly"}, {"--schedule", "settle", "--streams", "calls"}} {
		if code, _, errOut := gongsync(t, map[string]string{"DATABASE_URL": "postgres://x@localhost/x", "GONG_ACCESS_KEY": "k",
			"GONG_ACCESS_KEY_SECRET": "s"}, append([]string{"sync"}, args...)...); code != 2 {
			t.Errorf("sync %v: exit %d, want 2\n%s", args, code, errOut)
		}
	}

	now := time.Now().UTC()
	k := newFakeEnv(t, fakegong.Options{Seed: 6, Calls: 40, From: now.AddDate(0, 0, -20), To: now.AddDate(0, 0, -1)})
	db := migrated.NewDatabase(t)
	code, out, errOut := gongsync(t, envMapOf(k.env(db)), "sync", "--schedule", "settle")
	if code != 0 {
		t.Fatalf("sync --schedule settle: exit %d\n%s%s", code, out, errOut)
	}
	var ran []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		ran = append(ran, strings.Fields(line)[0])
	}
	want, _ := gsync.GroupStreams("settle")
	if strings.Join(ran, ",") != strings.Join(want, ",") || !strings.Contains(strings.Join(ran, ","), "sweep") {
		t.Errorf("sync --schedule settle ran %v, want %v\n%s", ran, want, out)
	}
}
