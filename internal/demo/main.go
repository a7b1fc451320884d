// Command demo runs gongsync end to end on local defaults, for `make demo`: a Postgres
// (DATABASE_URL if set, else a Docker engine if one answers, else a throwaway cluster
// from the system's binaries), the simulated Gong with a few thousand calls, a
// backfill and an incremental sync, then `gongsync status` and some of the example
// queries of docs/queries.sql. It stops everything it started.
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
)

const bin = "bin/gongsync"

// The queries the demo prints; docs/queries.sql has more.
var shown = []string{"calls_per_week", "talk_ratio_per_rep", "tracker_mentions_per_rep", "calls_per_opportunity", "transcript_search", "sync_health"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	began := time.Now()
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s is missing: run `make build` first (make demo does)", bin)
	}
	dbURL, schema, stopDB, err := startPostgres(ctx)
	if err != nil {
		return err
	}
	defer stopDB()

	// A simulated Gong holding 120 days of calls up to now, paced at Gong's real
	// 3 requests per second.
	now := time.Now().UTC().Truncate(time.Hour)
	from := now.AddDate(0, 0, -120)
	fake := exec.CommandContext(ctx, bin, "fake-gong", "--addr", "127.0.0.1:0", "--seed", "7", "--users", "40",
		"--calls", "3000", "--from", from.Format(time.RFC3339), "--to", now.Format(time.RFC3339), "--rate-limit", "3")
	fake.Env = append(os.Environ(), "GONG_ACCESS_KEY=demo-key", "GONG_ACCESS_KEY_SECRET=demo-secret", "LOG_LEVEL=warn")
	out, err := fake.StdoutPipe()
	if err != nil {
		return err
	}
	fake.Stderr = os.Stderr
	if err := fake.Start(); err != nil {
		return fmt.Errorf("start the simulated Gong: %w", err)
	}
	defer func() { _ = fake.Process.Signal(syscall.SIGTERM); _ = fake.Wait() }()
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		return errors.New("the simulated Gong printed no base URL")
	}
	baseURL := strings.TrimSpace(lines.Text())
	go func() { _, _ = io.Copy(io.Discard, out) }()
	step("simulated Gong at %s: 3,000 calls from %s to %s, 3 requests/s", baseURL, from.Format(time.DateOnly), now.Format(time.DateOnly))

	env := append(os.Environ(),
		"DATABASE_URL="+dbURL, "GONGSYNC_SCHEMA="+schema, "GONG_BASE_URL="+baseURL,
		"GONG_ACCESS_KEY=demo-key", "GONG_ACCESS_KEY_SECRET=demo-secret", "LOG_FORMAT=console", "LOG_LEVEL=warn",
		"GONGSYNC_HTTP_ADDR=")
	for _, args := range [][]string{
		{"migrate", "up"},
		{"backfill", "--from", from.Format(time.DateOnly), "--progress", "log"},
		{"sync"},
		{"status"},
	} {
		step("gongsync %s", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("gongsync %s: %w", args[0], err)
		}
	}

	if err := showQueries(ctx, dbURL, schema); err != nil {
		return err
	}
	step("done in %s; everything the demo started is stopped", time.Since(began).Round(time.Second))
	return nil
}

func step(format string, args ...any) {
	fmt.Printf("\n\033[1m== "+format+"\033[0m\n", args...)
}

// startPostgres returns a database URL, the schema to use and a function that stops
// what was started.
func startPostgres(ctx context.Context) (url, schema string, stop func(), err error) {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		// Someone's own database: keep the demo's rows out of their gong schema.
		step("using DATABASE_URL, schema gongsync_demo")
		return u, "gongsync_demo", func() {}, nil
	}
	if exec.CommandContext(ctx, "docker", "info").Run() == nil {
		step("starting postgres:16 with Docker")
		name := fmt.Sprintf("gongsync-demo-%d", os.Getpid())
		if out, err := exec.CommandContext(ctx, "docker", "run", "-d", "--rm", "--name", name, "-e", "POSTGRES_PASSWORD=demo",
			"-p", "127.0.0.1::5432", "postgres:16").CombinedOutput(); err != nil {
			return "", "", nil, fmt.Errorf("docker run: %v: %s", err, out)
		}
		stop := func() { _ = exec.Command("docker", "rm", "-f", name).Run() }
		port, err := exec.CommandContext(ctx, "docker", "port", name, "5432/tcp").Output()
		if err != nil {
			stop()
			return "", "", nil, fmt.Errorf("docker port: %w", err)
		}
		hostPort := strings.TrimSpace(strings.Split(string(port), "\n")[0])
		u := "postgres://postgres:demo@" + hostPort + "/postgres?sslmode=disable"
		if err := waitFor(ctx, u); err != nil {
			stop()
			return "", "", nil, err
		}
		return u, "gong", stop, nil
	}
	step("starting a throwaway Postgres cluster from the system's binaries")
	c, err := pgtest.StartCluster()
	if err != nil {
		return "", "", nil, err
	}
	return c.URL("postgres"), "gong", c.Stop, nil
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
func showQueries(ctx context.Context, url, schema string) error {
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
			step("docs/queries.sql: %s", q.Name)
			fmt.Println("-- " + q.Comment)
			if err := printQuery(ctx, conn, q.SQL, 8); err != nil {
				return fmt.Errorf("query %s: %w", q.Name, err)
			}
		}
	}
	return nil
}

func printQuery(ctx context.Context, conn *pgx.Conn, sql string, maxRows int) error {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
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
	tw.Flush()
	if n > maxRows {
		fmt.Printf("… %d rows in all\n", n)
	}
	if n == 0 {
		fmt.Println("(no rows)")
	}
	return nil
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
