package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/gongsync/gongsync/store"
	gsync "github.com/gongsync/gongsync/sync"
)

// Log lines name their units and speak UTC, whatever the host's zone: durations are
// strings with a unit ("took":"1.2s"), never bare milliseconds, and times end in Z.
func TestLogsNameUnitsAndSpeakUTC(t *testing.T) {
	t.Parallel()
	k := newKillEnv(t, 300, 0)
	db := pgtest.NewDatabase(t)
	cmd := process(context.Background(), append(k.env(db), "TZ=America/Los_Angeles", "LOG_LEVEL=debug", "LOG_FORMAT=json"),
		"backfill", "--from", k.from, "--to", k.to, "--progress", "log")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if out, err := cmd.Output(); err != nil {
		t.Fatalf("backfill: %v\n%s\n%s", err, out, stderr.String())
	}
	durations := map[string]bool{"took": true, "eta": true, "delay": true, "duration": true}
	rfc3339 := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d`)
	seen := map[string]int{}
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		var fields map[string]any
		if err := json.Unmarshal(sc.Bytes(), &fields); err != nil {
			t.Fatalf("not a JSON log line: %s", sc.Text())
		}
		for k, v := range fields {
			seen[k]++
			s, isString := v.(string)
			if durations[k] {
				if _, err := time.ParseDuration(fmt.Sprint(v)); !isString || err != nil {
					t.Errorf("%s is %v, not a duration with its unit: %s", k, v, sc.Text())
				}
			}
			if isString && rfc3339.MatchString(s) && !strings.HasSuffix(s, "Z") {
				t.Errorf("%s is %s, not UTC: %s", k, s, sc.Text())
			}
		}
	}
	for _, k := range []string{"took", "position", "time"} {
		if seen[k] == 0 {
			t.Errorf("no log line has %q: the check saw nothing to check", k)
		}
	}
}

// In bar mode a log line takes the bar's place on the terminal (the line is cleared
// first) and the bar is drawn again below it: no log line starts where the bar ends.
func TestLogLinesDoNotStartOnTheBar(t *testing.T) {
	t.Parallel()
	var term bytes.Buffer
	p := &progressPrinter{w: &term, mode: "bar"}
	log := newLogger(p.logWriter(), 0, false, false)
	p.update(gsync.BackfillProgress{Phase: "calls", Fraction: 0.25, Position: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), Calls: 100})
	log.Warn().Msg("gong request failed, retrying")
	p.finish()
	out := term.String()
	i := strings.Index(out, `{"level":"warn"`)
	if i < 0 {
		t.Fatalf("no log line:\n%q", out)
	}
	if !strings.HasSuffix(out[:i], clearLine) {
		t.Errorf("the log line does not start on a cleared line:\n%q", out)
	}
	if after := out[i:]; !strings.Contains(after, "\n[=======") {
		t.Errorf("the bar is not drawn again below the log line:\n%q", out)
	}
}

// A console log written anywhere but a terminal carries no colour.
func TestConsoleLogsOffATerminalHaveNoColour(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": pgtest.NewDatabase(t), "LOG_FORMAT": "console", "LOG_LEVEL": "info"}
	code, _, errOut := gongsync(t, env, "migrate")
	if code != 0 || !strings.Contains(errOut, "migrations applied") {
		t.Fatalf("migrate: exit %d\n%s", code, errOut)
	}
	if strings.Contains(errOut, "\x1b") {
		t.Errorf("ANSI escapes in a log that is not on a terminal: %q", errOut)
	}
	if colour(&bytes.Buffer{}, func(string) string { return "" }) {
		t.Error("colour on a buffer")
	}
}

// status fits 120 columns, says how long ago in minutes, hours or days, and counts
// the transcripts waiting and due now; --wide shows whole errors.
func TestStatusFitsAndReadsAsAPersonWouldSayIt(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(-d); return &x }
	longErr := "gong: POST /v2/calls/extensive: 500 Internal Server Error (requestId 4al018gzaztcr8nbukw): " + strings.Repeat("the server said something long ", 8)
	s := &gsync.Status{
		Now:        now,
		NewestCall: at(849*time.Hour + time.Minute),
		Streams: []gsync.StreamStatus{
			{Stream: "calls", HighWaterMark: at(3 * time.Hour), CompletedAt: at(20 * time.Minute), WindowFrom: at(4 * time.Hour), WindowTo: at(0),
				Cursor: "eyJhbGciOiJIUzI1NiJ9…", LastRun: &store.Run{Stream: "calls", Kind: "scheduled", Status: "failed", StartedAt: *at(5 * time.Minute),
					Requests: 12, Records: 1200, Late: 3, Changed: 2, Error: longErr}},
			{Stream: "backfill", BackfillFrom: at(400 * 24 * time.Hour), BackfillTo: at(time.Hour), LastRun: &store.Run{Stream: "backfill",
				Kind: "backfill", Status: "paused", StartedAt: *at(50 * time.Hour), Requests: 7600, Records: 760000}},
			{Stream: "settle"},
		},
		Budget:      gsync.BudgetStatus{Day: "2024-06-01", Used: 9000, Left: 500, Limit: 9500, ResetsAt: now.Add(12 * time.Hour), TimeZone: "UTC"},
		Transcripts: store.TranscriptQueue{Waiting: 16, DueNow: 13},
		Schedules:   []gsync.ScheduleStatus{{Job: "calls", Spec: "*/15 * * * *", TimeZone: "Europe/Paris", Next: now.Add(15 * time.Minute)}},
		Tables:      []store.TableCount{{Table: "calls", Rows: 12345}},
	}
	var narrow, wide strings.Builder
	printStatus(&narrow, s, nil, false)
	printStatus(&wide, s, nil, true)
	for _, l := range strings.Split(narrow.String(), "\n") {
		if n := utf8.RuneCountInString(l); n > statusWidth {
			t.Errorf("a line of %d columns:\n%s", n, l)
		}
	}
	for _, want := range []string{"35 days ago", "5 min ago", "2 days ago", "16 calls waiting, 13 due now", "SCHEDULES (Europe/Paris)",
		"next 2024-06-01 12:15Z (in 15 min)", "resets 2024-06-02 00:00Z (in 12 h)", "--wide"} {
		if !strings.Contains(narrow.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, narrow.String())
		}
	}
	if strings.Contains(narrow.String(), "849h") {
		t.Errorf("an age in hours and minutes:\n%s", narrow.String())
	}
	if !strings.Contains(wide.String(), longErr) || !strings.Contains(wide.String(), "eyJhbGciOiJIUzI1NiJ9…") {
		t.Errorf("--wide lacks the whole error or the cursor:\n%s", wide.String())
	}
}

// fake-gong prints its base URL alone on stdout, so GONG_BASE_URL=$(…) or a script's
// first read gets exactly it; what it serves, its credentials and its webhook key go
// to stderr.
func TestFakeGongPrintsOnlyItsBaseURL(t *testing.T) {
	t.Parallel()
	var out, errOut safeBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- m.Run(ctx, []string{"fake-gong", "--addr", "127.0.0.1:0", "--calls", "10", "--webhook-to", "http://127.0.0.1:1/webhooks/gong"})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errOut.String(), "GONGSYNC_WEBHOOK_PUBLIC_KEY") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	url := out.String()
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+\n$`).MatchString(url) {
		t.Errorf("stdout is %q, not the base URL alone", url)
	}
	if resp, err := http.Get(strings.TrimSpace(url) + "/_fake/stats"); err != nil || resp.StatusCode != 200 {
		t.Errorf("the printed URL does not answer: %v", err)
	}
	if !strings.Contains(errOut.String(), "simulated Gong at") {
		t.Errorf("stderr lacks what it serves:\n%s", errOut.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d\n%s", code, errOut.String())
	}
}

// gongsync healthcheck asks /readyz on GONGSYNC_HTTP_ADDR: 0 when it answers 200, 1
// otherwise, 2 when the server is off. (The daemon test asks a real daemon.)
func TestHealthcheck(t *testing.T) {
	t.Parallel()
	var notReady atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || notReady.Load() {
			http.Error(w, "migrations pending", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	_, port, _ := strings.Cut(addr, ":")
	for _, a := range []string{addr, "0.0.0.0:" + port, ":" + port} {
		if code, out, errOut := gongsync(t, map[string]string{"GONGSYNC_HTTP_ADDR": a}, "healthcheck"); code != 0 || out != "ready\n" {
			t.Errorf("%s ready: exit %d, %q %q", a, code, out, errOut)
		}
	}
	notReady.Store(true)
	if code, _, errOut := gongsync(t, map[string]string{"GONGSYNC_HTTP_ADDR": addr}, "healthcheck"); code != 1 || !strings.Contains(errOut, "503") {
		t.Errorf("not ready: exit %d, %q", code, errOut)
	}
	if code, _, _ := gongsync(t, map[string]string{"GONGSYNC_HTTP_ADDR": freeAddr(t)}, "healthcheck"); code != 1 {
		t.Errorf("nothing listening: exit %d", code)
	}
}

// A --to in the future is clamped to now, saying so in one line: the backfill costs
// what one without --to costs, not a request per empty month until then.
func TestBackfillToInTheFutureIsClampedToNow(t *testing.T) {
	t.Parallel()
	k := newKillEnv(t, 200, 0)
	ctx := context.Background()
	var requests [2]int64
	var stderr [2]bytes.Buffer
	for i, to := range [][]string{nil, {"--to", "2099-01-01"}} {
		k.fake.ResetStats()
		cmd := process(ctx, append(k.env(pgtest.NewDatabase(t)), "LOG_LEVEL=warn"),
			append([]string{"backfill", "--from", k.from, "--progress", "none"}, to...)...)
		cmd.Stderr = &stderr[i]
		if out, err := cmd.Output(); err != nil || !strings.Contains(string(out), "complete") {
			t.Fatalf("backfill %v: %v\n%s\n%s", to, err, out, stderr[i].String())
		}
		requests[i] = k.fake.Stats().Total
	}
	if requests[1] != requests[0] {
		t.Errorf("--to 2099-01-01 cost %d requests, no --to %d", requests[1], requests[0])
	}
	if n := strings.Count(stderr[1].String(), "--to is in the future"); n != 1 {
		t.Errorf("%d lines say --to is clamped:\n%s", n, stderr[1].String())
	}
}

// status text reads true: a stream without windows that last ran well says when, the
// RESULT column of a stream that last ran as a sync describes the sync (its backfill
// after it), one request is "1 request", the sweep's period is "7d" and every SWEEP line
// fits the width --help promises.
func TestStatusTextSaysWhatTheLastRunDid(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 7, 2, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(-d); return &x }
	day := func(s string) *time.Time { x, _ := time.Parse(time.DateOnly, s); return &x }
	s := &gsync.Status{
		Now: now,
		Streams: []gsync.StreamStatus{
			{Stream: "transcripts", LastRun: &store.Run{Stream: "transcripts", Kind: "sync", Status: store.RunSucceeded,
				StartedAt: *at(3 * time.Minute), FinishedAt: at(2 * time.Minute), Requests: 9, Records: 17641}},
			{Stream: "answered_scorecards", HighWaterMark: at(time.Hour), BackfillFrom: day("2024-01-01"), BackfillTo: day("2024-07-01"),
				BackfillDone: true, LastRun: &store.Run{Stream: "answered_scorecards", Kind: "sync", Status: store.RunSucceeded,
					StartedAt: *at(10 * time.Minute), FinishedAt: at(9 * time.Minute), Requests: 1, Records: 4}},
		},
		Sweep: []gsync.SweepStatus{{Stream: "sweep", Table: "calls", LastPassAt: at(30 * time.Hour), Period: (168 * time.Hour).String(),
			PassFrom: day("2023-07-01"), PassTo: day("2024-07-02"), PassNext: day("2024-02-11"), PassDone: 0.62, DailySlice: 1000,
			TodaySpent: 217, OldestRead: at(160 * time.Hour)}},
	}
	var out strings.Builder
	printStatus(&out, s, nil, false)
	text := out.String()
	var transcripts, scorecards string
	for _, l := range strings.Split(text, "\n") {
		switch f := strings.Fields(l); {
		case len(f) > 0 && f[0] == "transcripts":
			transcripts = l
		case len(f) > 0 && f[0] == "answered_scorecards":
			scorecards = l
		}
		if n := utf8.RuneCountInString(l); n > statusWidth {
			t.Errorf("a line of %d columns:\n%s", n, l)
		}
	}
	if strings.Contains(transcripts, "never") || !strings.Contains(transcripts, "2 min ago") {
		t.Errorf("the transcripts' last complete run is not shown:\n%s", transcripts)
	}
	if !strings.Contains(scorecards, "(sync)  succeeded, 1 request, 4 records") {
		t.Errorf("answered_scorecards' RESULT does not describe its last run, a sync, first:\n%s", scorecards)
	}
	var wide strings.Builder
	printStatus(&wide, s, nil, true)
	if !strings.Contains(wide.String(), "succeeded, 1 request, 4 records; last backfill 2024-01-01 → 2024-07-01 complete") {
		t.Errorf("--wide lacks answered_scorecards' backfill after its last run:\n%s", wide.String())
	}
	if strings.Contains(text, "1 requests") || !strings.Contains(text, "every 7d") || strings.Contains(text, "168h") {
		t.Errorf("a plural for one or Go's duration:\n%s", text)
	}
}
