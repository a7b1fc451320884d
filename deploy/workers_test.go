package deploy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
)

// A worker of a connection registry exports each connection's metrics labelled by its
// name, beside the registry's and the queue's: they pass promtool's linter, every
// metric the alert rules and the dashboard query is among them, and the only label
// added is connection (a bounded set: the registry's names).
func TestWorkerMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("two River workers' first pass, run as processes: long scenario; runs in make test")
	}
	t.Parallel()
	promtool(t)
	bin := gongsyncBinary(t)
	now := time.Now().UTC()
	ts, err := fakegong.NewTenants(fakegong.Options{Seed: 23, Calls: 120, From: now.AddDate(0, 0, -5), To: now.Add(-time.Hour)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ts)
	defer srv.Close()
	db := pgtest.NewDatabase(t)
	const key = "7d0a2f7c3e9d41b58c27e6f90a1d3c5b7e9f1a2b3c4d5e6f708192a3b4c5d6e7"
	env := []string{"DATABASE_URL=" + db, "GONG_BASE_URL=" + srv.URL, "GONG_RATE_LIMIT=0", "GONGSYNC_ENCRYPTION_KEY=" + key,
		"LOG_LEVEL=info", "LOG_FORMAT=json"}
	for k, v := range configMap(t).Data {
		env = append(env, k+"="+v)
	}
	for i := 1; i <= 2; i++ {
		k, s := fakegong.TenantCredentials(fakegong.DefaultAccessKey, fakegong.DefaultAccessKeySecret, i)
		cmd := exec.Command(bin, "connections", "add", fmt.Sprintf("c%d", i), "--schema", fmt.Sprintf("gong_c%d", i))
		cmd.Env = append(append([]string{}, env...), "GONG_ACCESS_KEY="+k, "GONG_ACCESS_KEY_SECRET="+s)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("connections add: %v\n%s", err, out)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run")
	cmd.Env = append(env, "GONGSYNC_HTTP_ADDR=127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
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
	var base string
	select {
	case addr := <-addrc:
		base = "http://" + addr
	case <-time.After(60 * time.Second):
		logMu.Lock()
		defer logMu.Unlock()
		t.Fatalf("the worker never said where it listens; log:\n%s", logs.String())
	}
	var body string
	for deadline := time.Now().Add(90 * time.Second); ; {
		body, err = get(base + "/metrics")
		done := err == nil
		for _, c := range []string{"c1", "c2"} {
			done = done && strings.Contains(body, `gongsync_runs_total{connection="`+c+`",kind="scheduled",status="succeeded",stream="transcripts"}`)
		}
		// The registry's gauges come with the worker's registry poll.
		if done && strings.Contains(body, `gongsync_connections{state="active"} 2`) {
			break
		}
		if time.Now().After(deadline) {
			logMu.Lock()
			defer logMu.Unlock()
			t.Fatalf("no first pass of both connections after 90 s (%v); log:\n%s", err, logs.String())
		}
		time.Sleep(250 * time.Millisecond)
	}

	if out, err := runPromtool(t, ".", strings.NewReader(body), "check", "metrics"); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for name, f := range families {
		exported[name] = true
		if f.GetType() == dto.MetricType_HISTOGRAM {
			exported[name+"_bucket"], exported[name+"_sum"], exported[name+"_count"] = true, true, true
		}
		if !strings.HasPrefix(name, "gongsync_") || name == "gongsync_build_info" || name == "gongsync_connections" {
			continue
		}
		// Each connection's series carry its name, and nothing else new.
		for _, m := range f.GetMetric() {
			var conn string
			for _, l := range m.GetLabel() {
				if l.GetName() == "connection" {
					conn = l.GetValue()
				}
			}
			if conn != "c1" && conn != "c2" {
				t.Errorf("%s: a series without its connection: %v", name, m.GetLabel())
			}
		}
	}
	used := map[string]bool{}
	for where, expr := range ruleExprs(t) {
		for _, m := range metricNames(t, where, expr) {
			used[m] = true
		}
	}
	for where, expr := range dashboardExprs(t) {
		for _, m := range metricNames(t, where, expr) {
			used[m] = true
		}
	}
	for m := range used {
		if !exported[m] && !strings.HasPrefix(m, "scrape_") && m != "up" {
			t.Errorf("%s, which the rules or the dashboard query, is not exported by a worker", m)
		}
	}
}
