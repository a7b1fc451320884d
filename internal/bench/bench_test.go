package main

import (
	"fmt"
	"math"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestFigureMedianAndSpread(t *testing.T) {
	t.Parallel()
	cases := []struct {
		f    figure
		prec int
		want string
	}{
		{figure{3, 1, 2}, 0, "2 (1–3)"},
		{figure{1000, 1500, 1200, 1100}, 0, "1,150 (1,000–1,500)"},
		{figure{2.94, 2.94, 2.94}, 2, "2.94 (all 3 runs)"},
		{figure{1234567.891}, 1, "1,234,567.9 (1 run)"},
		{nil, 0, "–"},
	}
	for _, c := range cases {
		if got := c.f.show(c.prec); got != c.want {
			t.Errorf("%v.show(%d) = %q, want %q", c.f, c.prec, got, c.want)
		}
	}
	if !math.IsNaN(figure(nil).median()) {
		t.Error("the median of nothing is a number")
	}
	twenty := figure{}
	for i := 20; i >= 1; i-- {
		twenty = append(twenty, float64(i))
	}
	if got := twenty.quantile(0.95); got != 19 {
		t.Errorf("the 95th percentile of 1…20 = %v, want 19 (nearest rank)", got)
	}
	if got := (figure{7}).quantile(0.95); got != 7 {
		t.Errorf("the 95th percentile of one run = %v, want it", got)
	}
	if got := num(-1234.5, 1); got != "-1,234.5" {
		t.Errorf("num(-1234.5) = %q", got)
	}
}

func TestFakePaceCountsFromFirstToLastRequest(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	s := fakeStats{Total: 31, First: t0, Last: t0.Add(10 * time.Second)}
	if got := s.pace(); got != 3 {
		t.Errorf("pace = %v, want 3 (30 intervals in 10 s)", got)
	}
	if got := (fakeStats{Total: 1, First: t0, Last: t0}).pace(); got != 0 {
		t.Errorf("pace of one request = %v, want 0", got)
	}
}

// A run of events as load() leaves them: three calls pages, two transcript batches,
// two more pages.
func sampleRun() *e2eRun {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	return &e2eRun{
		Events: []event{
			{At: at(0), N: 100, Cum: 100},
			{At: at(80), N: 100, Cum: 200},
			{At: at(180), N: 100, Cum: 300},
			{At: at(300), Transcripts: true, N: 100, Cum: 100},
			{At: at(360), Transcripts: true, N: 100, Cum: 200},
			{At: at(500), N: 100, Cum: 400},
			{At: at(590), N: 100, Cum: 500},
		},
		Proc: &proc{MaxRSS: 99, Samples: []rssSample{{At: at(100), HWM: 10}, {At: at(400), HWM: 20}, {At: at(600), HWM: 30}}},
	}
}

func TestPaceTimesPagesFromThePreviousPageOfTheirKind(t *testing.T) {
	t.Parallel()
	r := sampleRun()
	// Pages 2 and 3 follow pages (80 and 100 ms); page 4 follows page 3 across two
	// batches (320 ms), page 5 follows page 4 (90 ms). Per 1,000 calls: ten times those.
	got := r.pace(500, 1000, false)
	want := figure{0.8, 1.0, 3.2, 0.9}
	if len(got) != len(want) {
		t.Fatalf("pace = %v, want %v", got, want)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9 {
			t.Fatalf("pace = %v, want %v", got, want)
		}
	}
	if got := r.pace(200, 1000, true); len(got) != 1 || math.Abs(got[0]-0.6) > 1e-9 {
		t.Errorf("transcript pace = %v, want [0.6]", got)
	}
	if got := r.pace(300, 100, false); len(got) != 1 {
		t.Errorf("pace of the pages from 200 to 300 = %v, want one page", got)
	}
	if r.final(false) != 500 || r.final(true) != 200 {
		t.Errorf("final = %d calls, %d transcripts", r.final(false), r.final(true))
	}
}

func TestHWMAfterIsTheSampleAfterTheNextCommit(t *testing.T) {
	t.Parallel()
	r := sampleRun()
	// 200 calls were in at 80 ms; the next commit was at 180 ms; the first sample
	// after that is at 400 ms.
	if got := r.hwmAfter(200); got != 20 {
		t.Errorf("hwmAfter(200) = %d, want 20", got)
	}
	if got := r.hwmAfter(10_000); got != 0 {
		t.Errorf("hwmAfter a count never reached = %d, want 0", got)
	}
}

func TestBenchLineReadsCustomMetrics(t *testing.T) {
	t.Parallel()
	for line, want := range map[string][2]string{
		"BenchmarkUpsertCalls-2            	      40	  31148120 ns/op	      3211 calls/s":    {"BenchmarkUpsertCalls", "3211"},
		"BenchmarkWriteTranscripts/writers=2-2   40	  44240131 ns/op	     90417 sentences/s": {"BenchmarkWriteTranscripts/writers=2", "90417"},
		"BenchmarkRawCopySentences 40 8000000 ns/op 1024 B/op 503529.5 sentences/s":          {"BenchmarkRawCopySentences", "503529.5"},
	} {
		m := benchLine.FindStringSubmatch(line)
		if m == nil || m[1] != want[0] || m[2] != want[1] {
			t.Errorf("%q: got %q, want %q", line, m, want)
		}
	}
	if benchLine.MatchString("PASS") {
		t.Error("a line without a benchmark matched")
	}
}

func TestProcStatReadsThisProcess(t *testing.T) {
	t.Parallel()
	// Burn CPU until the kernel has charged this process 100ms (getrusage): a loop on
	// the wall clock may hardly run at all on a busy machine, and then charges nothing.
	for {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		if time.Duration(ru.Utime.Nano()+ru.Stime.Nano()) >= 100*time.Millisecond {
			break
		}
	}
	st, err := procStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.cpu <= 0 {
		t.Errorf("cpu = %v after a busy loop", st.cpu)
	}
	if hwm, err := procHWM(os.Getpid()); err != nil || hwm <= 0 {
		t.Errorf("VmHWM = %d, %v", hwm, err)
	}
	if ppid, err := parentPID(os.Getpid()); err != nil || ppid != os.Getppid() {
		t.Errorf("parent = %d, %v; want %d", ppid, err, os.Getppid())
	}
}

// The day's figures are read from go test's benchmark line, every stream's and the
// total; output without the line or without a total is refused.
func TestParseDayReadsEveryFigure(t *testing.T) {
	t.Parallel()
	out := "goos: linux\nBenchmarkADayAtDefaultSchedules-2   \t       1\t159765512771 ns/op\t       302.0 answered_scorecards-req/day\t" +
		"        23.00 answered_scorecards_settle-req/day\t       365.0 calls-req/day\t       419.0 reviews/day\t      1024 total-req/day\nPASS\n"
	figs, err := parseDay(out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"answered_scorecards-req": 302, "answered_scorecards_settle-req": 23, "calls-req": 365, "reviews": 419, "total-req": 1024}
	if len(figs) != len(want) {
		t.Errorf("figures %v, want %v", figs, want)
	}
	for k, v := range want {
		if figs[k] != v {
			t.Errorf("%s = %v, want %v", k, figs[k], v)
		}
	}
	for _, bad := range []string{"PASS\n", "BenchmarkADayAtDefaultSchedules-2 1 5 ns/op 3 calls-req/day\n"} {
		if _, err := parseDay(bad); err == nil {
			t.Errorf("parseDay(%q) found figures", bad)
		}
	}
}

// The lag's figures are read per mode, the GOMAXPROCS suffix taken off, and the
// section writes a row per mode with its percentiles in minutes.
func TestParseLagReadsEveryMode(t *testing.T) {
	out := "goos: linux\n" +
		"BenchmarkLagDay/default-2         	       1	146241917241 ns/op	         0 429s	       459.8 call-p50-s	       859.4 call-p95-s	       892.0 total-req/day	       210.0 calls-req/day\n" +
		"BenchmarkLagDay/freshness-2m-2    	       1	1 ns/op	        60.0 call-p95-s	       700.0 polls/day	       650.0 polls-target	        50.0 polls-quiet_hours	       210.0 calls-req/day\n" +
		"BenchmarkLagDay/webhooks-2        	       1	1 ns/op	         0 call-p95-s\nPASS\n"
	figs, err := parseLag(out)
	if err != nil {
		t.Fatal(err)
	}
	if figs["default"]["call-p95-s"] != 859.4 || figs["freshness-2m"]["polls/day"] != 700 || figs["webhooks"]["call-p95-s"] != 0 {
		t.Fatalf("figures %v", figs)
	}
	var b strings.Builder
	r := &report{lag: figs}
	r.writeLag(func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) })
	for _, want := range []string{"| default schedules (calls every 15 min) | 7m39s | 14m19s |", "700 (quiet_hours 50, target 650)", "| calls | 210 | 210 | 0 |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("section lacks %q:\n%s", want, b.String())
		}
	}
	if _, err := parseLag("BenchmarkLagDay/default-2 1 1 ns/op\n"); err == nil {
		t.Error("figures without the freshness and webhooks modes were accepted")
	}
}
