package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gongsync/gongsync/internal/pgtest"
)

// gongsync sql runs psql on the database with the installation's schema first on
// the search path: psql's own arguments pass through, tables and views answer by
// their plain names, and psql's exit status reaches the caller.
func TestSQLOpensPsqlWithTheSchemaOnTheSearchPath(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("psql is not installed")
	}
	env := map[string]string{"DATABASE_URL": pgtest.NewDatabase(t), "GONGSYNC_SCHEMA": "analytics"}
	if code, _, errOut := gongsync(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, errOut)
	}
	code, out, errOut := gongsync(t, env, "sql", "-At", "-c", "SELECT current_schema()", "-c", "SELECT count(*) FROM live_calls")
	if code != 0 || out != "analytics\n0\n" {
		t.Fatalf("exit %d, output %q\n%s", code, out, errOut)
	}
	// Own flags first, then psql's after --.
	code, out, errOut = gongsync(t, map[string]string{"DATABASE_URL": env["DATABASE_URL"], "GONGSYNC_SCHEMA": ""},
		"sql", "--schema", "analytics", "--", "-At", "-c", "SELECT to_regclass('calls')::text")
	if code != 0 || out != "calls\n" {
		t.Fatalf("exit %d, output %q\n%s", code, out, errOut)
	}
	code, _, errOut = gongsync(t, env, "sql", "-c", "SELECT * FROM no_such_table")
	if code != 1 || !strings.Contains(errOut, "no_such_table") || !strings.Contains(errOut, "psql exited with status") {
		t.Fatalf("a failing query: exit %d\n%s", code, errOut)
	}
}

// Without psql, the command says what to install instead of failing obscurely.
func TestSQLWithoutPsqlSaysWhatToInstall(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "postgres://x@localhost/x"}
	code, _, errOut := gongsync(t, env, "sql", "--psql", filepath.Join(t.TempDir(), "psql"))
	if code != 1 || !strings.Contains(errOut, "install the PostgreSQL client") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
}

// The password of DATABASE_URL reaches psql in its environment, never on its command
// line (which every user of the machine can read) nor in gongsync's output. A
// stand-in psql writes down how it was called.
func TestSQLGivesPsqlThePasswordInItsEnvironment(t *testing.T) {
	dir := t.TempDir()
	seen := filepath.Join(dir, "seen")
	script := "#!/bin/sh\n{ printf 'args:'; printf ' %s' \"$@\"; printf '\\npassword:%s\\noptions:%s\\n' \"$PGPASSWORD\" \"$PGOPTIONS\"; } > " + seen + "\n"
	fake := filepath.Join(dir, "psql")
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": "postgres://gong:pw-not-shown@db.example:5432/sales?sslmode=require",
		"GONGSYNC_SCHEMA": "gong", "PGOPTIONS": "-c statement_timeout=0"}
	code, out, errOut := gongsync(t, env, "sql", "--psql", fake, "-c", "SELECT 1")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	b, err := os.ReadFile(seen)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	want := "args: --dbname postgres://gong@db.example:5432/sales?sslmode=require -c SELECT 1\n" +
		"password:pw-not-shown\noptions:-c statement_timeout=0 -c search_path=gong,public\n"
	if got != want {
		t.Errorf("psql saw:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(out+errOut, "pw-not-shown") {
		t.Errorf("the password is in gongsync's output:\n%s%s", out, errOut)
	}
}
