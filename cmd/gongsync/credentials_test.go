package main

import (
	"strings"
	"testing"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
)

// A wrong secret costs exactly one request and prints one error, once, in sync,
// backfill and run alike: the first 401 ends the pass (and the daemon), exit 1.
func TestWrongSecretCostsOneRequestAndOneErrorLine(t *testing.T) {
	k := newKillEnv(t, 50, 0)
	for _, args := range [][]string{
		{"sync"},
		{"backfill", "--from", k.from, "--to", k.to, "--progress", "none"},
		{"run"},
	} {
		t.Run(args[0], func(t *testing.T) {
			db := pgtest.NewDatabase(t)
			env := map[string]string{"DATABASE_URL": db, "GONG_BASE_URL": k.url, "GONG_RATE_LIMIT": "0",
				"GONG_ACCESS_KEY": fakegong.DefaultAccessKey, "GONG_ACCESS_KEY_SECRET": "not-the-secret",
				"GONGSYNC_HTTP_ADDR": "off", "LOG_LEVEL": "info", "LOG_FORMAT": "json"}
			k.fake.ResetStats()
			code, out, errOut := gongsync(t, env, args...)
			all := out + errOut
			t.Logf("gongsync %s: exit %d\n%s", strings.Join(args, " "), code, all)
			if code != 1 {
				t.Errorf("exit %d, want 1:\n%s", code, all)
			}
			if n := k.fake.Stats().Total; n != 1 {
				t.Errorf("Gong saw %d requests, want 1", n)
			}
			// Every print of the error carries Gong's status and the operator's hint. (A bare
			// "401" would also match a duration such as "took":"1.8340165ms".)
			var lines []string
			for _, l := range strings.Split(all, "\n") {
				if strings.Contains(l, "401 unauthorized") || strings.Contains(l, "check the access key") {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 || !strings.Contains(lines[0], "401 unauthorized") || !strings.Contains(lines[0], "check the access key") {
				t.Errorf("the error is printed %d times, want once with its hint:\n%s", len(lines), all)
			}
			if n := queryInt(db, `SELECT coalesce(sum(requests), 0)::int FROM gong.api_usage`); n != 1 {
				t.Errorf("the ledger counted %d requests, want 1", n)
			}
		})
	}
}
