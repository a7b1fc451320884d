// Command gongsync copies a company's Gong data into Postgres and keeps it fresh.
//
// Each subcommand lives in its own file; this one only dispatches, sets up logging
// and turns errors into exit statuses: 0 done, 1 runtime failure, 2 usage or
// configuration error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	_ "time/tzdata" // GONGSYNC_BUDGET_TZ must resolve in a static image without /usr/share/zoneinfo
)

func main() {
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal cancels ctx so work stops at a page boundary; a second one
		// means the operator does not want to wait.
		<-ctx.Done()
		stop()
		again := make(chan os.Signal, 1)
		signal.Notify(again, os.Interrupt, syscall.SIGTERM)
		<-again
		fmt.Fprintln(os.Stderr, "gongsync: second signal, exiting at once")
		os.Exit(1)
	}()
	stopProfile := startCPUProfile()
	code := m.Run(ctx, os.Args[1:])
	stopProfile()
	os.Exit(code)
}

// Main holds the process's standard streams so tests can run commands in-process.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, m *Main, args []string) error
}

// commands lists the subcommands in the order help shows them.
func commands() []command {
	return []command{
		{"run", "run the daemon: scheduled syncs, health, metrics, webhooks", runDaemon},
		{"sync", "one incremental pass of the streams that are due, then exit", runSync},
		{"backfill", "a resumable historical sync of a date range", runBackfill},
		{"status", "streams, checkpoints, last runs, the day's budget, rows per table", runStatus},
		{"migrate", "apply (up) or list (status) database migrations", runMigrate},
		{"remap", "derive stored calls' rows again from their raw documents (no requests)", runRemap},
		{"sql", "open psql on the synced tables, the schema on the search path", runSQL},
		{"auth", "OAuth: login (connect to Gong as an installed app) or status", runAuth},
		{"proxy", "send one request to Gong through gongsync's budget and rate limiter", runProxy},
		{"fake-gong", "serve the simulated Gong API (tests, demo, benchmarks)", runFakeGong},
		{"version", "print the version", runVersion},
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
			return exitStatus(m.Stderr, c.name, c.run(ctx, m, args[1:]))
		}
	}
	fmt.Fprintf(m.Stderr, "gongsync: unknown command %q\n\n", args[0])
	m.usage(m.Stderr)
	return 2
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprintln(w, "gongsync copies Gong calls, transcripts and users into Postgres and keeps them fresh.")
	fmt.Fprintln(w, "\nUsage: gongsync <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'gongsync <command> --help' for a command's flags. Every flag also has an environment variable.")
}

// usageError marks mistakes in how gongsync was called, including configuration: exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitStatus prints err and maps it to an exit status.
func exitStatus(stderr io.Writer, name string, err error) int {
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "gongsync %s: %v\n", name, err)
		return 2
	default:
		fmt.Fprintf(stderr, "gongsync %s: %v\n", name, err)
		return 1
	}
}
