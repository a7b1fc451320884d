// Command demo runs gongsync end to end on local defaults, for `make demo`: a Postgres
// (DATABASE_URL if set, else a Docker engine if one answers, else a throwaway cluster
// from the system's binaries), the simulated Gong with a few thousand calls, a
// backfill and an incremental sync, then `gongsync status` and some of the example
// queries of docs/queries.sql.
//
// Whatever ends it (the end, Ctrl-C, SIGTERM, a reader of its output that goes away
// as in `make demo | head -5`, even SIGKILL), nothing it started survives it: a
// reaper process, which the demo starts first, is told of everything the demo starts
// and stops all of it when the demo's end of a pipe closes, however the demo ended.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/gongsync/gongsync/internal/examples"
	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"golang.org/x/term"
)

const bin = "bin/gongsync"

// The queries the demo prints; docs/queries.sql has more.
var shown = []string{"calls_per_week", "talk_ratio_per_rep", "tracker_mentions_per_rep", "calls_per_opportunity", "transcript_search", "sync_health"}

// errReaderGone is why the demo stops when its output can no longer be written.
var errReaderGone = errors.New("the reader of the demo's output went away")

func main() {
	if os.Getenv(reaperEnv) != "" {
		reap(os.Stdin, os.Stderr)
		return
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	// SIGPIPE too: a write to a closed pipe then fails (and stops the demo with its
	// cleanup) instead of killing the process on the spot.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	go func() {
		s := <-sigs
		if s == syscall.SIGPIPE {
			cancel(errReaderGone)
			return
		}
		cancel(fmt.Errorf("interrupted by %v", s))
	}()
	out := &output{w: os.Stdout, cancel: cancel, colour: term.IsTerminal(int(os.Stdout.Fd())) && os.Getenv("NO_COLOR") == ""}
	err := run(ctx, out)
	if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
		err = cause
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err, "(everything it started is stopped)")
		os.Exit(1)
	}
}

// output is the demo's stdout. The first write that fails (the reader went away)
// cancels the demo; bold headings only on a terminal, and never with NO_COLOR.
type output struct {
	w      io.Writer
	cancel context.CancelCauseFunc
	colour bool
}

func (o *output) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	if err != nil {
		o.cancel(errReaderGone)
	}
	return n, err
}

func (o *output) step(format string, args ...any) {
	line := fmt.Sprintf("== "+format, args...)
	if o.colour {
		line = "\033[1m" + line + "\033[0m"
	}
	fmt.Fprintf(o, "\n%s\n", line)
}

func run(ctx context.Context, out *output) error {
	began := time.Now()
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s is missing: run `make build` first (make demo does)", bin)
	}
	r, err := startReaper()
	if err != nil {
		return err
	}
	defer r.close()
	// Everything the demo puts on disk (a throwaway cluster's files) goes under one
	// directory the reaper removes.
	// A short name: the cluster's socket is below it, and socket paths stop at 107 bytes.
	tmp, err := os.MkdirTemp("", "gsd")
	if err != nil {
		return err
	}
	if err := r.watch("dir", tmp); err != nil {
		return err
	}
	// The cluster's own directory below it belongs to the postgres user, who must be
	// able to reach it.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	os.Setenv("TMPDIR", tmp)

	dbURL, schema, err := startPostgres(ctx, out, r)
	if err != nil {
		return err
	}

	// A simulated Gong holding 120 days of calls up to now, paced at Gong's real
	// 3 requests per second.
	now := time.Now().UTC().Truncate(time.Hour)
	from := now.AddDate(0, 0, -120)
	fake := command(ctx, bin, "fake-gong", "--addr", "127.0.0.1:0", "--seed", "7", "--users", "40",
		"--calls", "3000", "--from", from.Format(time.RFC3339), "--to", now.Format(time.RFC3339), "--rate-limit", "3")
	fake.Env = append(os.Environ(), "GONG_ACCESS_KEY=demo-key", "GONG_ACCESS_KEY_SECRET=demo-secret", "LOG_LEVEL=warn")
	fakeOut, err := fake.StdoutPipe()
	if err != nil {
		return err
	}
	fake.Stderr = io.Discard // it says what it serves; the step below says it too
	if err := fake.Start(); err != nil {
		return fmt.Errorf("start the simulated Gong: %w", err)
	}
	if err := r.watch("pid", strconv.Itoa(fake.Process.Pid)); err != nil {
		return err
	}
	defer func() { _ = fake.Process.Signal(syscall.SIGTERM); _ = fake.Wait() }()
	lines := bufio.NewScanner(fakeOut)
	if !lines.Scan() {
		return errors.New("the simulated Gong printed no base URL")
	}
	baseURL := strings.TrimSpace(lines.Text())
	out.step("simulated Gong at %s: 3,000 calls from %s to %s, 3 requests/s", baseURL, from.Format(time.DateOnly), now.Format(time.DateOnly))

	env := append(os.Environ(),
		"DATABASE_URL="+dbURL, "GONGSYNC_SCHEMA="+schema, "GONG_BASE_URL="+baseURL,
		"GONG_ACCESS_KEY=demo-key", "GONG_ACCESS_KEY_SECRET=demo-secret", "LOG_FORMAT=console", "LOG_LEVEL=warn",
		"GONGSYNC_HTTP_ADDR=off")
	for _, args := range [][]string{
		{"migrate", "up"},
		{"backfill", "--from", from.Format(time.DateOnly), "--progress", "log"},
		{"sync"},
		{"status"},
	} {
		out.step("gongsync %s", strings.Join(args, " "))
		cmd := command(ctx, bin, args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, out, os.Stderr
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("gongsync %s: %w", args[0], err)
		}
		if err := r.watch("pid", strconv.Itoa(cmd.Process.Pid)); err != nil {
			return err
		}
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("gongsync %s: %w", args[0], err)
		}
		if err := r.watch("gone", strconv.Itoa(cmd.Process.Pid)); err != nil {
			return err
		}
	}

	if err := showQueries(ctx, out, dbURL, schema); err != nil {
		return err
	}
	if err := r.close(); err != nil {
		return err
	}
	out.step("done in %s; everything the demo started is stopped", time.Since(began).Round(time.Second))
	return ctx.Err()
}

// command is a child of the demo that a cancelled demo stops with SIGTERM (SIGKILL
// if it lingers).
func command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// startPostgres returns a database URL and the schema to use; the reaper stops what
// it started.
func startPostgres(ctx context.Context, out *output, r *reaper) (url, schema string, err error) {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		// Someone's own database: keep the demo's rows out of their gong schema.
		out.step("using DATABASE_URL, schema gongsync_demo")
		return u, "gongsync_demo", nil
	}
	if exec.CommandContext(ctx, "docker", "info").Run() == nil {
		out.step("starting postgres:16 with Docker")
		name := fmt.Sprintf("gongsync-demo-%d", os.Getpid())
		// Named before it exists: a kill during docker run leaves nothing either.
		if err := r.watch("docker", name); err != nil {
			return "", "", err
		}
		if b, err := exec.CommandContext(ctx, "docker", "run", "-d", "--rm", "--name", name, "-e", "POSTGRES_PASSWORD=demo",
			"-p", "127.0.0.1::5432", "postgres:16").CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("docker run: %v: %s", err, b)
		}
		port, err := exec.CommandContext(ctx, "docker", "port", name, "5432/tcp").Output()
		if err != nil {
			return "", "", fmt.Errorf("docker port: %w", err)
		}
		hostPort := strings.TrimSpace(strings.Split(string(port), "\n")[0])
		u := "postgres://postgres:demo@" + hostPort + "/postgres?sslmode=disable"
		if err := waitFor(ctx, u); err != nil {
			return "", "", err
		}
		return u, "gong", nil
	}
	out.step("starting a throwaway Postgres cluster from the system's binaries")
	// Its files, and so its server, are under TMPDIR, which the reaper watches.
	c, err := pgtest.StartCluster()
	if err != nil {
		return "", "", err
	}
	return c.URL("postgres"), "gong", nil
}

func waitFor(ctx context.Context, url string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, url)
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not come up: %w", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// showQueries runs some of the example queries and prints their results.
func showQueries(ctx context.Context, out *output, url, schema string) error {
	path, err := examples.DefaultPath()
	if err != nil {
		return err
	}
	qs, err := examples.Load(path)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET search_path TO "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return err
	}
	for _, name := range shown {
		for _, q := range qs {
			if q.Name != name {
				continue
			}
			out.step("docs/queries.sql: %s", q.Name)
			fmt.Fprintln(out, "-- "+q.Comment)
			if err := printQuery(ctx, out, conn, q.SQL, 8); err != nil {
				return fmt.Errorf("query %s: %w", q.Name, err)
			}
		}
	}
	return nil
}

func printQuery(ctx context.Context, out io.Writer, conn *pgx.Conn, sql string, maxRows int) error {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	var head []string
	for _, f := range rows.FieldDescriptions() {
		head = append(head, f.Name)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	n := 0
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		if n++; n > maxRows {
			continue
		}
		cells := make([]string, len(vals))
		for i, v := range vals {
			cells[i] = cell(v)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n > maxRows {
		fmt.Fprintf(out, "… %d rows in all\n", n)
	}
	if n == 0 {
		fmt.Fprintln(out, "(no rows)")
	}
	return ctx.Err()
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "–"
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.UTC().Format("2006-01-02 15:04Z")
	case pgtype.Numeric:
		if f, err := x.Float64Value(); err == nil && f.Valid {
			return strconv.FormatFloat(f.Float64, 'f', -1, 64)
		}
		return "–"
	case fmt.Stringer:
		return x.String()
	}
	s := fmt.Sprint(v)
	if len(s) > 60 {
		s = s[:57] + "…"
	}
	return s
}
