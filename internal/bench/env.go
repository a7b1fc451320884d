package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	gosync "sync"
	"syscall"
	"time"

	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// env is what every measurement runs in: one throwaway Postgres cluster (the test
// harness's, with its settings), a fresh database per run, and the gongsync binary.
type env struct {
	bin     string
	cluster *pgtest.Cluster
	admin   string // superuser URL of the cluster's postgres database
	dbSeq   int
}

// newDatabase creates an empty database and returns its URL.
func (e *env) newDatabase(ctx context.Context) (string, error) {
	e.dbSeq++
	name := fmt.Sprintf("bench_%d", e.dbSeq)
	if err := e.exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	return pgtest.WithDatabase(e.admin, name), nil
}

// dropDatabase removes a database a run is done with, so the cluster stays small
// and later runs do not pay for earlier ones' checkpoints.
func (e *env) dropDatabase(ctx context.Context, url string) {
	name := url[strings.LastIndex(url, "/")+1:]
	name, _, _ = strings.Cut(name, "?")
	_ = e.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

func (e *env) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, e.admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// postgresCPU returns the CPU time, in seconds, that the cluster's exited processes
// used so far: the postmaster's children's time, which grows when a backend (one
// connection) exits. A benchmark reads it before and after a run whose connections
// all closed.
func (e *env) postgresCPU(ctx context.Context) (float64, error) {
	conn, err := pgx.Connect(ctx, e.admin)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	var pid int
	// The checkpointer is a child of the postmaster that lives as long as it does.
	if err := conn.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'`).Scan(&pid); err != nil {
		return 0, fmt.Errorf("find the checkpointer: %w", err)
	}
	ppid, err := parentPID(pid)
	if err != nil {
		return 0, err
	}
	st, err := procStat(ppid)
	if err != nil {
		return 0, err
	}
	return st.childCPU, nil
}

// fake is a running `gongsync fake-gong` process.
type fake struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

// startFake starts the simulated Gong with the given flags on a free loopback port.
// fakeAndDatabase starts a fake with args and creates a fresh database: what every
// measurement begins with. stop ends both.
func (e *env) fakeAndDatabase(ctx context.Context, args ...string) (f *fake, db string, stop func(), err error) {
	if f, err = e.startFake(ctx, args...); err != nil {
		return nil, "", nil, err
	}
	if db, err = e.newDatabase(ctx); err != nil {
		f.stop()
		return nil, "", nil, err
	}
	return f, db, func() { e.dropDatabase(ctx, db); f.stop() }, nil
}

func (e *env) startFake(ctx context.Context, args ...string) (*fake, error) {
	cmd := exec.CommandContext(ctx, e.bin, append([]string{"fake-gong", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "LOG_LEVEL=warn", "LOG_FORMAT=json")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start fake-gong: %w", err)
	}
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, errors.New("fake-gong printed no base URL")
	}
	f := &fake{cmd: cmd, url: strings.TrimSpace(lines.Text()), done: make(chan struct{})}
	go func() { _, _ = io.Copy(io.Discard, out); close(f.done) }()
	return f, nil
}

// stop ends the fake and waits for it.
func (f *fake) stop() {
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-f.done:
	case <-time.After(10 * time.Second):
		_ = f.cmd.Process.Kill()
	}
	_ = f.cmd.Wait()
}

// cpu is the fake's CPU time so far, in seconds.
func (f *fake) cpu() float64 {
	st, err := procStat(f.cmd.Process.Pid)
	if err != nil {
		return 0
	}
	return st.cpu
}

// fakeStats is the part of GET /_fake/stats the benchmarks read.
type fakeStats struct {
	Total      int64            `json:"total"`
	ByEndpoint map[string]int64 `json:"by_endpoint"`
	Status     map[string]int64 `json:"status"`
	First      time.Time        `json:"first_request"`
	Last       time.Time        `json:"last_request"`
}

// pace is the achieved request rate between the first and the last request.
func (s fakeStats) pace() float64 {
	d := s.Last.Sub(s.First).Seconds()
	if s.Total < 2 || d <= 0 {
		return 0
	}
	return float64(s.Total-1) / d
}

func (f *fake) stats(ctx context.Context) (fakeStats, error) {
	var s fakeStats
	err := f.control(ctx, http.MethodGet, "/_fake/stats", nil, &s)
	return s, err
}

func (f *fake) resetStats(ctx context.Context) error {
	return f.control(ctx, http.MethodDelete, "/_fake/stats", nil, nil)
}

// control sends one request to the fake's unauthenticated /_fake/ routes.
func (f *fake) control(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, f.url+path, rd)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// gongsyncEnv is the environment of a gongsync process syncing from f into db.
func gongsyncEnv(db, fakeURL string, extra ...string) []string {
	return append(append(os.Environ(),
		"DATABASE_URL="+db, "GONG_BASE_URL="+fakeURL,
		// The fake's default credentials (test values, not secrets).
		"GONG_ACCESS_KEY=fake-access-key", "GONG_ACCESS_KEY_SECRET=fake-access-key-secret",
		"GONG_DAILY_BUDGET=1000000", "GONG_BACKFILL_SHARE=1",
		"GONGSYNC_HTTP_ADDR=off", "LOG_LEVEL=warn", "LOG_FORMAT=json",
	), extra...)
}

// proc is what one finished gongsync process cost.
type proc struct {
	Wall    time.Duration
	CPU     float64 // user + system seconds
	MaxRSS  int64   // bytes: the kernel's peak resident set (what /usr/bin/time -v reports)
	Samples []rssSample
	Stdout  string
}

// rssSample is the process's peak resident set so far (VmHWM) at a moment.
type rssSample struct {
	At  time.Time
	HWM int64 // bytes
}

// hwmAt returns the peak resident set the process had reached by t (the first
// sample taken at or after t), or 0 when none was taken that late.
func (p *proc) hwmAt(t time.Time) int64 {
	for _, s := range p.Samples {
		if !s.At.Before(t) {
			return s.HWM
		}
	}
	return 0
}

// runGongsync runs one gongsync command to its end, sampling its peak resident set
// every 100 ms. A non-zero exit is an error carrying its output.
func (e *env) runGongsync(ctx context.Context, environ []string, args ...string) (*proc, error) {
	cmd := exec.CommandContext(ctx, e.bin, args...)
	cmd.Env = environ
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("gongsync %s: %w", args[0], err)
	}
	p := &proc{}
	var mu gosync.Mutex
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if hwm, err := procHWM(cmd.Process.Pid); err == nil {
				mu.Lock()
				p.Samples = append(p.Samples, rssSample{At: time.Now(), HWM: hwm})
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	err := cmd.Wait()
	p.Wall = time.Since(start)
	close(stop)
	<-sampled
	p.Stdout = stdout.String()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		p.MaxRSS = ru.Maxrss * 1024
		p.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	if err != nil {
		return p, fmt.Errorf("gongsync %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), tail(stderr.String(), 3000))
	}
	return p, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// procHWM reads VmHWM, the peak resident set size so far, from /proc.
func procHWM(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmHWM")
}

func parentPID(pid int) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "PPid:"); ok {
			return strconv.Atoi(strings.TrimSpace(rest))
		}
	}
	return 0, errors.New("no PPid")
}

type stat struct {
	cpu      float64 // the process's own user + system seconds
	childCPU float64 // its waited-for children's
}

// procStat reads a process's CPU times from /proc/PID/stat.
func procStat(pid int) (stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, err
	}
	// The command name may hold spaces; fields start after its closing parenthesis.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 15 {
		return stat{}, errors.New("short /proc stat")
	}
	ticks := func(i int) float64 { v, _ := strconv.ParseFloat(f[i], 64); return v / clockTicks }
	// Fields 14-17 of proc(5) (utime, stime, cutime, cstime) are 11-14 here.
	return stat{cpu: ticks(11) + ticks(12), childCPU: ticks(13) + ticks(14)}, nil
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100
