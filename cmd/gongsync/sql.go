package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/gongsync/gongsync/internal/config"
	"github.com/gongsync/gongsync/store"
)

func runSQL(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "sql", "[psql arguments]", `
Open psql on gongsync's database with its schema first on the search path, so the
tables and the live_ views answer by their plain names:

  gongsync sql
  gongsync sql -c 'SELECT count(*) FROM live_calls'
  gongsync sql -f docs/queries.sql
  gongsync sql -- --csv -c 'SELECT * FROM live_users'   (psql's long options after --)

The connection is DATABASE_URL's; its password reaches psql in the environment
(PGPASSWORD), never on the command line. Arguments after gongsync's own flags (or
after --) go to psql as they are; -h is help here, the host is DATABASE_URL's.
docs/SCHEMA.md describes every table and column, as \d+ does in psql.`, config.Database)
	psql := c.fs.String("psql", "psql", "the psql program to run (a name looked up on PATH, or a path)")
	ours, theirs := splitSQLArgs(c, args)
	cfg, err := c.parse(ours)
	if err != nil {
		return err
	}
	// The configuration checked the name when it loaded (store.ValidateSchema).
	schema := cfg.Schema
	path, err := exec.LookPath(*psql)
	if err != nil {
		return fmt.Errorf("%s was not found: install the PostgreSQL client (e.g. apt-get install postgresql-client), or name it with --psql", *psql)
	}
	conn, password := store.SplitPassword(cfg.DatabaseURL.Reveal())
	if conn == "" {
		return usageErrorf("DATABASE_URL is not a URL psql can use")
	}
	argv := append([]string{"psql", "--dbname", conn}, theirs...)
	env := psqlEnv(m.environ(), schema, password)

	// On a terminal gongsync becomes psql (exec), so Ctrl-C cancels psql's query as it
	// would in psql itself; with other streams (tests, pipes set up in Go) psql runs
	// as a child on them.
	if m.Stdin == os.Stdin && m.Stdout == os.Stdout && m.Stderr == os.Stderr {
		if err := syscall.Exec(path, argv, env); err != nil {
			return fmt.Errorf("run %s: %w", path, err)
		}
	}
	cmd := exec.CommandContext(ctx, path, argv[1:]...)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, m.Stdin, m.Stdout, m.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("psql exited with status %d", exit.ExitCode())
		}
		return fmt.Errorf("run %s: %w", path, err)
	}
	return nil
}

// splitSQLArgs takes gongsync's own flags from the front of args and leaves the rest
// to psql: everything after --, or from the first argument that is not a flag or is a
// short option gongsync does not know (-c, -f, -At …). An unknown long flag (--frm)
// stays gongsync's, so it is refused as a mistyped flag rather than handed on.
func splitSQLArgs(c *cli, args []string) (ours, theirs []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return args[:i], args[i+1:]
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		known := c.fs.Lookup(name) != nil || name == "h" || name == "help"
		if !strings.HasPrefix(a, "-") || !known && !strings.HasPrefix(a, "--") {
			return args[:i], args[i:]
		}
		if !known {
			return args[:i+1], nil // the parse refuses it
		}
		if !hasValue && name != "h" && name != "help" && i+1 < len(args) {
			i++ // the flag's value
		}
	}
	return args, nil
}

// psqlEnv is psql's environment: gongsync's, with the schema first on the search path
// (added to any PGOPTIONS already set) and the password, when the URL had one.
func psqlEnv(environ []string, schema, password string) []string {
	options := "-c search_path=" + schema + ",public"
	var env []string
	for _, kv := range environ {
		switch {
		case strings.HasPrefix(kv, "PGOPTIONS="):
			options = strings.TrimPrefix(kv, "PGOPTIONS=") + " " + options
		case password != "" && strings.HasPrefix(kv, "PGPASSWORD="):
		default:
			env = append(env, kv)
		}
	}
	env = append(env, "PGOPTIONS="+options)
	if password != "" {
		env = append(env, "PGPASSWORD="+password)
	}
	return env
}
