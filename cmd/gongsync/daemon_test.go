package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// `gongsync run` syncs on its schedule, serves health, readiness, metrics and status,
// and on SIGTERM finishes what is in flight and exits 0 within seconds.
func TestDaemonServesOpsEndpointsAndStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	// Calls over the last two weeks, in real time: the daemon's first window is the
	// last settle window before now.
	now := time.Now().UTC()
	k := newFakeEnv(t, fakegong.Options{Seed: 9, Calls: 400, From: now.AddDate(0, 0, -14), To: now})
	db := migrated.NewDatabase(t)
	addr := freeAddr(t)
	var stderr bytes.Buffer
	cmd := process(context.Background(), append(k.env(db), "GONGSYNC_HTTP_ADDR="+addr,
		"GONGSYNC_SCHEDULE_CALLS=@every 1s", "LOG_LEVEL=info"), "run")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill() }()
	base := "http://" + addr

	// Up and syncing: a calls run succeeds (the metrics say so), and /status is JSON.
	// The deadline only guards against a hang.
	deadline := time.Now().Add(time.Minute)
	for {
		code, body := get(base + "/metrics")
		if code == 200 && strings.Contains(body, `gongsync_runs_total{kind="scheduled",status="succeeded",stream="calls"}`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful calls run: %d\nlog:\n%s", code, stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	// /status shows the newest run; with a run every second the next may have begun
	// already (runs take longer under the race detector), so ask until it shows the
	// calls stream's run succeeded, between two runs.
	callsRun := func() (status, body string) {
		code, body := get(base + "/status")
		var st struct {
			Streams []struct {
				Stream  string
				LastRun *struct{ Status string } `json:"last_run"`
			}
		}
		if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
			t.Fatalf("/status: %d %v\n%s", code, err, body)
		}
		for _, s := range st.Streams {
			if s.Stream == "calls" && s.LastRun != nil {
				return s.LastRun.Status, body
			}
		}
		return "", body
	}
	for status, body := callsRun(); status != "succeeded"; status, body = callsRun() {
		if time.Now().After(deadline) {
			t.Fatalf("/status never showed the calls stream's last run succeeded: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, body := get(base + "/healthz"); code != 200 {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, body := get(base + "/readyz"); code != 200 {
		t.Errorf("/readyz: %d %s", code, body)
	}
	// The container's health check asks the same, as its own process.
	if out, err := process(context.Background(), []string{"GONGSYNC_HTTP_ADDR=" + addr}, "healthcheck").CombinedOutput(); err != nil {
		t.Errorf("gongsync healthcheck: %v\n%s", err, out)
	}
	code, metrics := get(base + "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, name := range []string{"gongsync_gong_requests_total{endpoint=\"POST /v2/calls/extensive\",status=\"200\"}",
		"gongsync_budget_used_requests", "gongsync_budget_left_requests", "gongsync_rows_written_total{stream=\"calls\"}",
		"gongsync_run_duration_seconds_bucket", "gongsync_newest_call_lag_seconds", "gongsync_calls_found_total",
		"gongsync_runs_total"} {
		if !strings.Contains(metrics, name) {
			t.Errorf("/metrics lacks %s", name)
			if testing.Verbose() {
				t.Log(metrics)
			}
		}
	}
	if code, _ := get(base + "/debug/pprof/"); code != 404 {
		t.Errorf("an undocumented route answered %d", code)
	}
	if resp, err := http.Post(base+"/healthz", "text/plain", nil); err != nil || resp.StatusCode != 405 {
		t.Errorf("POST /healthz: %v %v", resp.StatusCode, err)
	}

	began := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
		t.Logf("stopped %s after SIGTERM", time.Since(began).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10s after SIGTERM\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "daemon stopped") {
		t.Errorf("no clean stop in the log:\n%s", stderr.String())
	}
}

func TestStatusCommand(t *testing.T) {
	t.Parallel()
	k := newKillEnv(t, 300, 0)
	db := migrated.NewDatabase(t)
	ctx := context.Background()
	if out, err := process(ctx, k.env(db), "sync").CombinedOutput(); err != nil {
		t.Fatalf("sync: %v\n%s", err, out)
	}
	out, err := process(ctx, k.env(db), "status").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"STREAMS", "calls", "BUDGET", "ROWS", "call_parties", "TRANSCRIPTS", "calls waiting", "due now",
		"SCHEDULES (UTC)", "settle  30 2 * * *"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	for _, l := range strings.Split(string(out), "\n") {
		if len([]rune(l)) > statusWidth {
			t.Errorf("a status line of %d columns: %s", len([]rune(l)), l)
		}
	}
	out, err = process(ctx, k.env(db), "status", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Budget      struct{ Used, Limit int }
		Tables      []struct{ Table string }
		Transcripts *struct{ Waiting, DueNow *int } `json:"transcripts"`
		Schedules   []struct {
			Job  string
			Next time.Time `json:"next_run"`
		}
	}
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if s.Budget.Used == 0 || s.Budget.Limit != 9500 || len(s.Tables) == 0 || s.Transcripts == nil || len(s.Schedules) != 4 ||
		s.Schedules[0].Next.IsZero() {
		t.Errorf("status --json: %+v", s)
	}
	if strings.Contains(string(out), `"freshness"`) {
		t.Errorf("status --json without GONGSYNC_FRESHNESS has a freshness decision:\n%s", out)
	}

	// With a freshness target, the status says how often the calls are polled, and why
	// (the whole budget for the share: the decision is the target at any hour of the
	// real day the test runs in).
	out, err = process(ctx, append(k.env(db), "GONGSYNC_FRESHNESS=2m", "GONGSYNC_FRESHNESS_SHARE=1"), "status").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FRESHNESS (target 2m0s)", "calls and transcripts polled every 2m0s (target)", "of 9500 (GONGSYNC_FRESHNESS_SHARE)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("status with GONGSYNC_FRESHNESS=2m lacks %q:\n%s", want, out)
		}
	}
	for _, l := range strings.Split(string(out), "\n") {
		if len([]rune(l)) > statusWidth {
			t.Errorf("a status line of %d columns: %s", len([]rune(l)), l)
		}
	}
}

// Against a company whose plan has no library, `gongsync sync` succeeds (exit 0) and
// `gongsync status` says the library is not available, and why, apart from the
// refusals for want of a scope.
func TestStatusSaysTheLibraryIsNotAvailable(t *testing.T) {
	t.Parallel()
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	k := newFakeEnv(t, fakegong.Options{Seed: 5, Calls: 100, From: from, To: from.AddDate(0, 1, 0),
		Clock: fakegong.NewVirtualClock(from.AddDate(0, 1, 10)), LibraryUnavailable: 404})
	db := migrated.NewDatabase(t)
	ctx := context.Background()
	if out, err := process(ctx, k.env(db), "sync").CombinedOutput(); err != nil {
		t.Fatalf("sync: %v\n%s", err, out)
	}
	out, err := process(ctx, k.env(db), "status").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"NOT AVAILABLE IN THIS GONG ACCOUNT", "library: GET /v2/library/folders answered as not available",
		"unavailable"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "REFUSED BY GONG") {
		t.Errorf("status lists the library among the scope refusals:\n%s", out)
	}
}
