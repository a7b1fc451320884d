// Command gongsync copies a company's Gong data into Postgres and keeps it fresh.
//
// Each subcommand lives in its own file; this one only dispatches, sets up logging
// and turns errors into exit statuses: 0 done, 1 runtime failure, 2 usage or
// configuration error, 130 or 143 stopped by SIGINT or SIGTERM after committing.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gongsync/gongsync/internal/config"
	"github.com/gongsync/gongsync/internal/suggest"
	gsync "github.com/gongsync/gongsync/sync"

	_ "time/tzdata" // GONGSYNC_BUDGET_TZ must resolve in a static image without /usr/share/zoneinfo
)

func main() {
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Env: envMap(os.Environ())}
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go stopOnSignals(sigs, cancel, func() {
		fmt.Fprintln(os.Stderr, "gongsync: second signal, exiting at once")
		os.Exit(1)
	})
	stopProfile := startCPUProfile()
	code := m.Run(ctx, os.Args[1:])
	stopProfile()
	os.Exit(code)
}

// duplicateSignalWindow is how soon after the first signal another one is the same
// stop request: timeout(1) and some supervisors signal the process and then its
// process group, so one request arrives twice within microseconds, while an operator
// who presses Ctrl-C again takes longer than this.
const duplicateSignalWindow = time.Second

// stopOnSignals turns signals into a stop: the first cancels ctx so work stops at a
// page boundary (its cause names the signal, for the exit status); one arriving within
// duplicateSignalWindow of it is the same request, and the next calls exitNow: the
// operator does not want to wait.
func stopOnSignals(sigs <-chan os.Signal, cancel context.CancelCauseFunc, exitNow func()) {
	cancel(signalCause{<-sigs})
	first := time.Now()
	for range sigs {
		if time.Since(first) >= duplicateSignalWindow {
			exitNow()
			return
		}
	}
}

// Main is one run of gongsync: its standard streams and its environment, so tests
// run commands in-process and side by side, each with its own.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Env is where gongsync's settings come from (the process's environment in the
	// binary); commands read none of their own elsewhere. Libraries may still read
	// the process's (pgx, its PG* variables).
	Env map[string]string

	// envChecked is set once the environment was checked for misspelt settings, so
	// that a run that parses more than one flag set warns once.
	envChecked bool
}

// unknownVariables returns the GONGSYNC_ and GONG_ variables of m.Env that are no
// setting, the first time it is called; nil after.
func (m *Main) unknownVariables() []config.UnknownVariable {
	if m.envChecked {
		return nil
	}
	m.envChecked = true
	return config.UnknownVariables(slices.Collect(maps.Keys(m.Env)))
}

// getenv returns an environment variable of m, "" when unset.
func (m *Main) getenv(key string) string { return m.Env[key] }

// environ is m.Env as a KEY=value list, for the programs gongsync starts (psql).
func (m *Main) environ() []string {
	out := make([]string, 0, len(m.Env))
	for k, v := range m.Env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// envMap turns os.Environ's KEY=value list into a map (a later entry wins, as in exec).
func envMap(environ []string) map[string]string {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// signalCause is why the context of a run was cancelled: a signal, which decides the
// exit status (128 + its number, as shells do).
type signalCause struct{ sig os.Signal }

func (s signalCause) Error() string { return "interrupted by " + signalName(s.sig) }

func (s signalCause) exitCode() int {
	if n, ok := s.sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 130
}

func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// interruptedError is what a command returns when a signal stopped it after it
// committed its last page. Its hint says how to go on; empty when the command already
// printed it.
type interruptedError struct{ hint string }

func (e interruptedError) Error() string {
	if e.hint == "" {
		return "interrupted"
	}
	return e.hint
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, m *Main, args []string) error
	// subs are the command's own subcommands, each with its flags ("auth login").
	subs []string
}

// commands lists the subcommands in the order help shows them.
func commands() []command {
	return []command{
		{"run", "run the daemon: scheduled syncs, health, metrics, webhooks", runDaemon, nil},
		{"sync", "one incremental pass of the streams that are due, then exit", runSync, nil},
		{"backfill", "a resumable historical sync of a date range", runBackfill, nil},
		{"status", "streams, checkpoints, last runs, the day's budget, rows per table", runStatus, nil},
		{"migrate", "apply (up) or list (status) database migrations", runMigrate, nil},
		{"remap", "derive the rows of stored calls, users and trackers again from their raw documents (no requests)", runRemap, nil},
		{"mcp", "answer AI assistants over MCP on stdio: search, calls, transcripts, read-only SQL", runMCP, nil},
		{"sql", "open psql on the synced tables, the schema on the search path", runSQL, nil},
		{"compat", "views named and shaped as another tool's tables: fivetran (<schema>_fivetran)", runCompat, []string{"fivetran"}},
		{"auth", "OAuth: login (connect to Gong as an installed app) or status", runAuth, []string{"login", "status"}},
		{"connections", "the Gong companies one deployment syncs: add, list, pause, resume, remove", runConnections,
			[]string{"add", "list", "pause", "resume", "remove"}},
		{"rotate-key", "seal every stored secret again under a new GONGSYNC_ENCRYPTION_KEY", runRotateKey, nil},
		{"proxy", "send one request to Gong through gongsync's budget and rate limiter", runProxy, nil},
		{"action", "Gong's operations and gongsync's own as checked actions: list, describe, check, run", runAction, []string{"list", "describe", "check", "run"}},
		{"healthcheck", "exit 0 when the daemon on GONGSYNC_HTTP_ADDR is ready (for container health checks)", runHealthcheck, nil},
		{"fake-gong", "serve the simulated Gong API (tests, demo, benchmarks)", runFakeGong, nil},
		{"version", "print the version", runVersion, nil},
	}
}

// Run runs the subcommand named by args[0] and returns the process exit status.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		m.usage(m.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return exitStatus(ctx, m.Stderr, c.name, c.run(ctx, m, args[1:]))
		}
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	hint := ""
	if near := suggest.Nearest(args[0], names); len(near) > 0 {
		hint = " (did you mean " + strings.Join(near, " or ") + "?)"
	}
	fmt.Fprintf(m.Stderr, "gongsync: unknown command %q%s\n\n", args[0], hint)
	m.usage(m.Stderr)
	return 2
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprintln(w, "gongsync copies Gong calls, transcripts and users into Postgres and keeps them fresh.")
	fmt.Fprintln(w, "\nUsage: gongsync <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'gongsync <command> --help' for a command's flags. Every flag also has an environment variable.")
}

// usageError marks mistakes in how gongsync was called, including configuration: exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitStatus prints err and maps it to an exit status. A command that a signal
// stopped prints its resume hint only, not the cancellation it caused.
func exitStatus(ctx context.Context, stderr io.Writer, name string, err error) int {
	var ue usageError
	var sig signalCause
	var ie interruptedError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "gongsync %s: %v\n", name, err)
		return 2
	case errors.As(context.Cause(ctx), &sig) && (errors.As(err, &ie) || errors.Is(err, context.Canceled)):
		switch {
		case ie.hint != "":
			fmt.Fprintf(stderr, "gongsync %s: %s: %s\n", name, sig, ie.hint)
		case !errors.As(err, &ie):
			fmt.Fprintf(stderr, "gongsync %s: %s\n", name, sig)
		}
		return sig.exitCode()
	case errors.As(err, new(*gsync.LoggedError)):
		return 1 // logged with the run it ended: printed once
	default:
		fmt.Fprintf(stderr, "gongsync %s: %v\n", name, err)
		return 1
	}
}
