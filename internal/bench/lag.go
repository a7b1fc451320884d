package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"
)

// lagHeading is the section on the lag call by call (issue 28), which -only-lag
// rewrites alone.
const lagHeading = "10. Fresh within minutes: the lag, call by call"

// lagCommand runs sync's BenchmarkLagDay once: a business day in each mode (the
// default schedules, GONGSYNC_FRESHNESS=2m, webhooks on) on the fake's virtual clock.
var lagCommand = []string{"go", "test", "-run", "^$", "-bench", "^BenchmarkLagDay$", "-benchtime", "1x", "-count", "1", "-timeout", "60m", "./sync/"}

// lagModes are BenchmarkLagDay's sub-benchmarks, in the report's order, with what
// each row says.
var lagModes = []struct{ name, label string }{
	{"default", "default schedules (calls every 15 min)"},
	{"freshness-2m", "`GONGSYNC_FRESHNESS=2m` (share 0.35)"},
	{"webhooks", "webhooks on (a webhook per call as Gong lists it), default schedules"},
}

// lagFigures runs the benchmark and returns each mode's figures by metric name, and
// how long it took.
func lagFigures(ctx context.Context) (map[string]map[string]float64, time.Duration, error) {
	began := time.Now()
	cmd := exec.CommandContext(ctx, lagCommand[0], lagCommand[1:]...)
	cmd.Env = append(os.Environ(), "PGTEST_REQUIRED=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, 0, fmt.Errorf("%s: %w\n%s", strings.Join(lagCommand, " "), err, out.String())
	}
	figs, err := parseLag(out.String())
	return figs, time.Since(began), err
}

// parseLag reads the sub-benchmarks' lines: "BenchmarkLagDay/default-2 1 … 459.8 call-p50-s …".
func parseLag(out string) (map[string]map[string]float64, error) {
	figs := map[string]map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, "BenchmarkLagDay/")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, " ")
		name = strings.TrimSpace(name)
		if i := strings.LastIndex(name, "-"); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i] // the GOMAXPROCS suffix
			}
		}
		m := map[string]float64{}
		for _, f := range benchMetric.FindAllStringSubmatch(line, -1) {
			if v, err := strconv.ParseFloat(f[1], 64); err == nil {
				m[f[2]] = v
			}
		}
		figs[name] = m
	}
	for _, mode := range lagModes {
		if _, ok := figs[mode.name]; !ok {
			return nil, fmt.Errorf("no figures for %s in:\n%s", mode.name, out)
		}
	}
	return figs, nil
}

// minutes formats seconds as minutes and seconds.
func minutes(s float64) string {
	if math.IsNaN(s) {
		return "–"
	}
	return (time.Duration(s) * time.Second).String()
}

// writeLag writes the lag's section.
func (r *report) writeLag(w writer) {
	w("## " + lagHeading)
	w("")
	w("A business day of the daemon on the simulated Gong's virtual clock: 500 users, 2,000 calls a day with the simulated")
	w("Gong's processing delays (5–45 minutes after a call ends, 5%% late calls 3–72 hours after) and transcripts 10–120 minutes")
	w("after that, after a backfill of the two days before. For every call Gong first lists during the day (its")
	w("`processed_at` in `GET /_fake/calls`), the lag to the commit of its row; for every transcript Gong has during the day")
	w("(`transcript_at`), the lag to the commit of its sentences. Both ends are on the virtual clock: a commit's time is the")
	w("clock's when its run (or webhook) happened, the clock standing still during a run. The simulation goes on an hour past")
	w("the day so that the calls listed in its last minutes are in; \"not in\" counts those still missing then (late calls")
	w("outside the calls runs' 3-hour overlap wait for the settle pass at 02:30). Requests are the day's, by stream, and the")
	w("share is of Gong's 10,000 a day; the simulated Gong enforced 10,000 a day (its 429s are counted), pacing is not")
	w("simulated here (section 2 measures it).")
	w("")
	w("`%s` (%s on this machine).", strings.Join(lagCommand, " "), r.lagTook.Round(time.Second))
	w("")
	w("| | calls p50 | p95 | max | not in | transcripts p50 | p95 | max | not in | requests | budget | 429s | failed runs | polls |")
	w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, mode := range lagModes {
		f := r.lag[mode.name]
		polls := "–"
		if f["polls/day"] > 0 {
			var reasons []string
			for k, v := range f {
				if r, ok := strings.CutPrefix(k, "polls-"); ok {
					reasons = append(reasons, fmt.Sprintf("%s %.0f", r, v))
				}
			}
			sort.Strings(reasons)
			polls = fmt.Sprintf("%.0f (%s)", f["polls/day"], strings.Join(reasons, ", "))
		}
		w("| %s | %s | %s | %s | %.0f | %s | %s | %s | %.0f | %.0f | %.1f%% | %.0f | %.0f | %s |", mode.label,
			minutes(f["call-p50-s"]), minutes(f["call-p95-s"]), minutes(f["call-max-s"]), f["calls-missing"],
			minutes(f["transcript-p50-s"]), minutes(f["transcript-p95-s"]), minutes(f["transcript-max-s"]), f["transcripts-missing"],
			f["total-req/day"], f["budget-%"], f["429s"], f["failed-runs"], polls)
	}
	w("")
	w("Requests per day by stream:")
	w("")
	streams := map[string]bool{}
	for _, mode := range lagModes {
		for k := range r.lag[mode.name] {
			if s, ok := strings.CutSuffix(k, "-req/day"); ok && s != "total" {
				streams[s] = true
			}
		}
	}
	names := make([]string, 0, len(streams))
	for s := range streams {
		names = append(names, s)
	}
	sort.Strings(names)
	head, rule := "| stream |", "|---|"
	for _, mode := range lagModes {
		head += " " + mode.name + " |"
		rule += "---|"
	}
	w("%s", head)
	w("%s", rule)
	for _, s := range names {
		row := "| " + s + " |"
		for _, mode := range lagModes {
			row += fmt.Sprintf(" %.0f |", r.lag[mode.name][s+"-req/day"])
		}
		w("%s", row)
	}
	w("")
	w("With webhooks on, a webhook stores the call from its body at the moment Gong lists it (the calls' lag) and fetches")
	w("the call and its transcript at once (the webhook stream, not in the table above: the requests beyond the default")
	w("column's are its). The simulated Gong has a transcript 10–120 minutes after it lists the call, so that fetch rarely")
	w("finds it, and the bench fetches each call alone: two requests a call, the worst case; the daemon batches the")
	w("webhooks that arrive within GONGSYNC_WEBHOOK_BATCH. The transcripts are asked again within Gong's processing window")
	w("every 30 minutes by default, every 1.5 targets with a freshness target (TranscriptRecheckFor). The answered")
	w("scorecards run on every calls tick here; the daemon reads them at most hourly (section 1's day).")
	w("Issue 28's done-when for `GONGSYNC_FRESHNESS=2m`: calls p95 ≤ 2 min, transcripts p95 ≤ 5 min after Gong has them,")
	w("≤ 35%% of the budget, no 429, no scheduled stream starved (failed runs 0).")
	w("")
}

// onlyLag measures the lag alone and rewrites its section of c.out.
func onlyLag(ctx context.Context, r *report) error {
	say(r.began, "the lag call by call, a business day in three modes (go test -bench)")
	var err error
	if r.lag, r.lagTook, err = lagFigures(ctx); err != nil {
		return err
	}
	old, err := os.ReadFile(r.cfg.out)
	if err != nil {
		return err
	}
	var b strings.Builder
	r.writeLag(func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) })
	doc := spliceSection(string(old), lagHeading, b.String(), "Where the time goes: the profile")
	if err := os.WriteFile(r.cfg.out, []byte(doc), 0o644); err != nil {
		return err
	}
	say(r.began, "wrote the lag's section of %s", r.cfg.out)
	return nil
}
