package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gongsync/gongsync/internal/pgtest"
)

// TestMain doubles as the gongsync binary: tests that need a real process (killed with
// SIGKILL, say) run this test binary with GONGSYNC_BE_MAIN=1.
func TestMain(m *testing.M) {
	if os.Getenv("GONGSYNC_BE_MAIN") == "1" {
		main()
		return
	}
	pgtest.Main(m)
}

// gongsync runs a command in-process, with env as its whole environment, and returns
// its exit status and output.
func gongsync(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Env: env}
	code := m.Run(context.Background(), args)
	return code, out.String(), errOut.String()
}

// process returns an exec.Cmd running gongsync as its own process.
func process(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "GONGSYNC_BE_MAIN=1"), env...)
	return cmd
}

func TestEveryCommandHasHelp(t *testing.T) {
	t.Parallel()
	for _, c := range commands() {
		code, out, errOut := gongsync(t, nil, c.name, "--help")
		if code != 0 || !strings.Contains(out, "Usage: gongsync "+c.name) {
			t.Errorf("%s --help: exit %d\n%s%s", c.name, code, out, errOut)
		}
	}
	if code, out, _ := gongsync(t, nil, "--help"); code != 0 || !strings.Contains(out, "Commands:") {
		t.Errorf("--help: exit %d", code)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"frobnicate"}, nil, "unknown command"},
		{[]string{"sync", "--no-such-flag"}, nil, "flag provided but not defined"},
		{[]string{"sync"}, map[string]string{"DATABASE_URL": "", "GONG_ACCESS_KEY": "", "GONG_ACCESS_KEY_SECRET": ""}, "DATABASE_URL"},
		{[]string{"run"}, map[string]string{"DATABASE_URL": "postgres://x@localhost/x", "GONG_ACCESS_KEY": "k", "GONG_ACCESS_KEY_SECRET": "s",
			"GONGSYNC_SCHEDULE_CALLS": "every quarter hour"}, "GONGSYNC_SCHEDULE_CALLS"},
		{[]string{"sync"}, map[string]string{"DATABASE_URL": "postgres://x@localhost/x", "GONG_ACCESS_KEY": "k", "GONG_ACCESS_KEY_SECRET": "s",
			"GONG_DAILY_BUDGET": "-100"}, "GONG_DAILY_BUDGET"},
		{[]string{"backfill"}, map[string]string{"DATABASE_URL": "postgres://x@localhost/x", "GONG_ACCESS_KEY": "k", "GONG_ACCESS_KEY_SECRET": "s"}, "--from is required"},
		{[]string{"backfill", "--from", "yesterday"}, map[string]string{"DATABASE_URL": "postgres://x@localhost/x", "GONG_ACCESS_KEY": "k", "GONG_ACCESS_KEY_SECRET": "s"}, "--from"},
		{[]string{"migrate", "sideways"}, map[string]string{"DATABASE_URL": "postgres://x@localhost/x"}, "unknown action"},
		{[]string{"proxy"}, map[string]string{"DATABASE_URL": "postgres://x@localhost/x", "GONG_ACCESS_KEY": "k", "GONG_ACCESS_KEY_SECRET": "s"}, "/v2/"},
		{[]string{"healthcheck"}, map[string]string{"GONGSYNC_HTTP_ADDR": "off"}, "GONGSYNC_HTTP_ADDR is off"},
		{[]string{"run"}, map[string]string{"DATABASE_URL": "postgres://x@localhost/x", "GONG_ACCESS_KEY": "k", "GONG_ACCESS_KEY_SECRET": "s",
			"GONGSYNC_ACTIONS_ADDR": "127.0.0.1:0"}, "GONGSYNC_ACTIONS_ADDR is set but GONGSYNC_ACTIONS_TOKEN is not"},
		{[]string{"run"}, map[string]string{"DATABASE_URL": "postgres://x@localhost/x", "GONG_ACCESS_KEY": "k", "GONG_ACCESS_KEY_SECRET": "s",
			"GONGSYNC_ACTIONS_ADDR": "127.0.0.1:0", "GONGSYNC_ACTIONS_TOKEN": "short"}, "the actions token has 5 characters"},
		{[]string{"run"}, map[string]string{"DATABASE_URL": "postgres://x@localhost/x", "GONG_ACCESS_KEY": "k", "GONG_ACCESS_KEY_SECRET": "s",
			"GONGSYNC_MCP_ADDR": "127.0.0.1:0"}, "GONGSYNC_MCP_ADDR is set but GONGSYNC_MCP_TOKEN is not"},
		{[]string{"run"}, map[string]string{"DATABASE_URL": "postgres://x@localhost/x", "GONG_ACCESS_KEY": "k", "GONG_ACCESS_KEY_SECRET": "s",
			"GONGSYNC_MCP_ADDR": "127.0.0.1:0", "GONGSYNC_MCP_TOKEN": "short"}, "the MCP token has 5 characters"},
		{[]string{"mcp"}, map[string]string{"DATABASE_URL": "postgres://x@localhost/x", "GONGSYNC_AI_INCLUDE_PRIVATE": "maybe"}, "GONGSYNC_AI_INCLUDE_PRIVATE"},
		{[]string{"sync"}, map[string]string{"DATABASE_URL": "not a url", "GONG_ACCESS_KEY": "k", "GONG_ACCESS_KEY_SECRET": "s"}, "DATABASE_URL"},
		{[]string{"sync"}, map[string]string{"DATABASE_URL": "mysql://u:p@localhost/x", "GONG_ACCESS_KEY": "k", "GONG_ACCESS_KEY_SECRET": "s"}, "mysql://"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			code, _, errOut := gongsync(t, c.env, c.args...)
			if code != 2 || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, want 2 with %q in:\n%s", code, c.want, errOut)
			}
		})
	}
}

func TestUnreachableDatabaseExitsOneBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": "postgres://nobody:pw-not-shown@127.0.0.1:1/none?connect_timeout=2",
		"GONG_ACCESS_KEY": "k", "GONG_ACCESS_KEY_SECRET": "s", "GONG_BASE_URL": "http://127.0.0.1:1"}
	code, _, errOut := gongsync(t, env, "sync")
	if code != 1 || !strings.Contains(errOut, "open database") {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	if strings.Contains(errOut, "pw-not-shown") {
		t.Fatalf("the database password is in the error:\n%s", errOut)
	}
	if n := strings.Count(strings.TrimSpace(errOut), "\n"); n > 0 {
		t.Errorf("want one line, got %d:\n%s", n+1, errOut)
	}
}

// Flags may follow a command's positional arguments, on every command, as they may
// precede them; "--" still ends the flags.
func TestFlagsAfterAPositionalAreAccepted(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	env := map[string]string{"DATABASE_URL": db, "LOG_LEVEL": "error"}
	if code, out, errOut := gongsync(t, env, "migrate", "up", "--schema", "gong_acme"); code != 0 {
		t.Fatalf("migrate up --schema gong_acme: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := gongsync(t, env, "migrate", "status", "--schema", "gong_acme")
	if code != 0 || !strings.Contains(out, "init") || strings.Contains(out, "pending") {
		t.Errorf("migrate status --schema gong_acme: exit %d\n%s%s", code, out, errOut)
	}
	if n := queryInt(db, `SELECT count(*)::int FROM information_schema.schemata WHERE schema_name = 'gong'`); n != 0 {
		t.Errorf("the flag after the action was ignored: schema gong exists")
	}
	for _, args := range [][]string{{"migrate", "status", "--help"}, {"action", "describe", "getCall", "--help"}} {
		if code, out, errOut := gongsync(t, nil, args...); code != 0 || !strings.Contains(out, "Usage: gongsync") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	// After "--" a word that looks like a flag is an argument.
	if code, _, errOut := gongsync(t, env, "migrate", "--", "--schema"); code != 2 || !strings.Contains(errOut, `unknown action "--schema"`) {
		t.Errorf("migrate -- --schema: exit %d\n%s", code, errOut)
	}
}

// A misspelt GONGSYNC_ or GONG_ variable is named once, with the nearest setting:
// as a warning when the configuration loads, with the error when it does not.
func TestMisspeltVariablesAreNamedOnce(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": migrated.NewDatabase(t), "GONGSYNC_SHEDULE_CALLS": "*/5 * * * *",
		"GONGSYNC_SOAK": "1", "GONGSYNC_ENCRYPTION_KEY_OLD": "", "LOG_FORMAT": "json"}
	code, _, errOut := gongsync(t, env, "migrate", "status")
	want := "GONGSYNC_SHEDULE_CALLS (did you mean GONGSYNC_SCHEDULE_CALLS?)"
	if code != 0 || strings.Count(errOut, want) != 1 || !strings.Contains(errOut, `"level":"warn"`) ||
		strings.Contains(errOut, "GONGSYNC_SOAK") || strings.Contains(errOut, "KEY_OLD") {
		t.Errorf("migrate status: exit %d, want 0 and one warning naming %q only:\n%s", code, want, errOut)
	}
	env = map[string]string{"DATABASE_URL": env["DATABASE_URL"], "GONG_ACCES_KEY": "k", "GONG_ACCESS_KEY_SECRET": "s"}
	code, _, errOut = gongsync(t, env, "sync")
	if code != 2 || !strings.Contains(errOut, "GONG_ACCES_KEY (did you mean GONG_ACCESS_KEY?)") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("sync with a misspelt key: exit %d, want 2 and one line naming the misspelling:\n%s", code, errOut)
	}
}
