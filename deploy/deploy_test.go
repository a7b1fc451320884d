package deploy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// gongsyncBinary builds ./cmd/gongsync for a test (the build cache makes the second
// build a link), to run it as a process, as an operator's platform runs it.
func gongsyncBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "gongsync")
	if out, err := exec.Command(goTool, "build", "-o", bin, "../cmd/gongsync").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/gongsync: %v\n%s", err, out)
	}
	return bin
}

// promtool finds promtool ($PROMTOOL, else PATH). Where it cannot be had the test is
// skipped, except in CI, where a check that silently did not run would be a lie.
func promtool(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PROMTOOL"); p != "" {
		return p
	}
	p, err := exec.LookPath("promtool")
	if err == nil {
		return p
	}
	msg := "promtool not found: `make promtool` extracts it from Debian's prometheus package when run as root; " +
		"otherwise install the prometheus package, or set PROMTOOL to a Prometheus release's promtool"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// runPromtool runs promtool in dir with stdin and returns its combined output.
func runPromtool(t *testing.T, dir string, stdin io.Reader, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	cmd.Stdin = stdin
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// daemonMetrics starts `gongsync run` with the shipped ConfigMap's settings against
// a simulated Gong and a fresh database, waits for its first pass over every stream,
// and returns the text of GET /metrics.
func daemonMetrics(t *testing.T) string {
	t.Helper()
	body, err := runDaemonAndScrape(t, gongsyncBinary(t), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func runDaemonAndScrape(t *testing.T, bin, db string) (string, error) {
	now := time.Now().UTC()
	fake, err := fakegong.New(fakegong.Options{Seed: 19, Calls: 300, From: now.AddDate(0, 0, -14), To: now})
	if err != nil {
		return "", err
	}
	// One 429 first, so that the scrape holds a status label beyond 200 (the client
	// waits out its Retry-After, a second, and goes on).
	if err := fake.SetFaults(fakegong.Faults{Script: []fakegong.Fault{fakegong.Fault429}, RetryAfter: time.Second}); err != nil {
		return "", err
	}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	var env []string
	for k, v := range configMap(t).Data {
		env = append(env, k+"="+v)
	}
	// The shipped settings, then what points this daemon at the test's world.
	env = append(env, "DATABASE_URL="+db, "GONG_BASE_URL="+srv.URL, "GONG_RATE_LIMIT=0",
		"GONG_ACCESS_KEY="+fakegong.DefaultAccessKey, "GONG_ACCESS_KEY_SECRET="+fakegong.DefaultAccessKeySecret,
		"GONGSYNC_HTTP_ADDR=127.0.0.1:0", "LOG_LEVEL=info", "LOG_FORMAT=json")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run")
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	// The daemon logs the address it listens on.
	var logMu sync.Mutex
	var logs strings.Builder
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			logs.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			var line struct{ Server, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Server == "http" && line.Addr != "" {
				select {
				case addrc <- line.Addr:
				default:
				}
			}
		}
	}()
	logText := func() string { logMu.Lock(); defer logMu.Unlock(); return logs.String() }

	var base string
	select {
	case addr := <-addrc:
		base = "http://" + addr
	case <-time.After(60 * time.Second):
		return "", fmt.Errorf("the daemon never said where it listens; log:\n%s", logText())
	}
	// The first pass ends with the transcripts stream.
	for deadline := time.Now().Add(60 * time.Second); ; {
		body, err := get(base + "/metrics")
		if err == nil && strings.Contains(body, `gongsync_runs_total{kind="scheduled",status="succeeded",stream="transcripts"}`) {
			return body, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no successful first pass after a minute (%v); log:\n%s", err, logText())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func get(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), nil
}
