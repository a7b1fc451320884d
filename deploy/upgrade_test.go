package deploy

import (
	"context"
	"io/fs"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/gongsync/gongsync/migrations"
)

// Rolling back the binary (docs/OPERATIONS.md, "Upgrading and rolling back") works on
// a schema a newer release has migrated further: the older binary applies nothing,
// finds its own migrations applied, and so starts and reports ready.
func TestOlderReleaseRunsOnANewerSchema(t *testing.T) {
	t.Parallel()
	bin := gongsyncBinary(t)
	db := pgtest.NewDatabase(t)
	gongsync := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"DATABASE_URL=" + db, "LOG_FORMAT=json"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("gongsync %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	gongsync("migrate")

	// A newer release's migration, as goose records it.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "INSERT INTO gong.goose_db_version (version_id, is_applied) VALUES (99999, true)"); err != nil {
		t.Fatal(err)
	}

	// Each of the binary's migrations is listed as applied (a date, not "pending"),
	// and nothing else: what /readyz checks.
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v", err)
	}
	for _, args := range [][]string{{"migrate"}, {"migrate", "status"}} {
		out := gongsync(args...)
		rows := strings.Split(strings.TrimSpace(out), "\n")
		var listed []string
		for _, r := range rows {
			if f := strings.Fields(r); len(f) >= 3 && f[0] != "VERSION" && !strings.HasPrefix(r, "{") {
				listed = append(listed, f[0])
				if f[2] == "pending" {
					t.Errorf("gongsync %s: %s is pending", strings.Join(args, " "), f[1])
				}
			}
		}
		if len(listed) != len(files) {
			t.Errorf("gongsync %s lists %q, want the %d migrations it carries:\n%s", strings.Join(args, " "), listed, len(files), out)
		}
	}
}
