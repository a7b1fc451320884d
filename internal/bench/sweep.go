package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// sweepDays mirrors what sync's TestSweepOnTheDaemonsDefaultSchedules writes to
// GONGSYNC_BENCH_OUT: 20 virtual days of the daemon's default schedules, sweep on.
type sweepDays struct {
	Days         int     `json:"days"`
	CallsPerDay  int     `json:"calls_per_day"`
	Budget       int     `json:"budget"`
	Ticks        int     `json:"ticks"`
	PerDay       []int   `json:"requests_per_day"`
	SweepPerDay  []int   `json:"sweep_requests_per_day"`
	MaxDay       int     `json:"max_day"`
	Paused       int     `json:"paused_runs"`
	Passes       int     `json:"sweep_passes"`
	PassDays     float64 `json:"longest_pass_days"`
	HistoryCalls int     `json:"calls_at_end"`
	Changed      int     `json:"changed_found_by_sweep"`
	Deleted      int     `json:"deleted_found_by_sweep"`

	ReviewSweepPerDay []int   `json:"review_sweep_requests_per_day"`
	ReviewPasses      int     `json:"review_sweep_passes"`
	ReviewPassDays    float64 `json:"review_last_pass_days"`
	Reviews           int     `json:"reviews_at_end"`
	ReviewsChanged    int     `json:"changed_reviews_found_by_sweep"`
	ReviewsDeleted    int     `json:"deleted_reviews_found_by_sweep"`
}

// sweepCommand is the go test invocation, quoted in the report. The scenario runs in
// the engine's own process, because only there can gongsync read time from the
// simulated Gong's virtual clock (20 days in minutes).
func sweepCommand() []string {
	return []string{"go", "test", "-count=1", "-timeout", "60m", "-run", "^TestSweepOnTheDaemonsDefaultSchedules$", "./sync/"}
}

// sweepFigures runs the 20-day scenario once and returns its figures.
func sweepFigures(ctx context.Context, from string) (*sweepDays, error) {
	if from != "" {
		return readSweepFigures(from)
	}
	dir, err := os.MkdirTemp("", "gongsync-sweep-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "sweep.json")
	args := sweepCommand()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "PGTEST_REQUIRED=1", "GONGSYNC_BENCH_OUT="+file)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return readSweepFigures(file)
}

// readSweepFigures reads the figures the scenario wrote.
func readSweepFigures(file string) (*sweepDays, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var s sweepDays
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &s, nil
}

// sweepHeading is the heading of the sweep's section.
const sweepHeading = "8. Nothing goes stale: the sweep on the daemon's schedules"

// onlySweep runs the sweep's scenario alone and writes its section into the existing
// report.
func onlySweep(ctx context.Context, r *report) error {
	say(r.began, "the sweep on the daemon's schedules, 20 virtual days")
	var err error
	if r.sweep, err = sweepFigures(ctx, r.cfg.sweepFrom); err != nil {
		return err
	}
	old, err := os.ReadFile(r.cfg.out)
	if err != nil {
		return err
	}
	var b strings.Builder
	r.writeSweep(func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) })
	doc := spliceSection(string(old), sweepHeading, b.String(), "Where the time goes: the profile")
	if err := os.WriteFile(r.cfg.out, []byte(doc), 0o644); err != nil {
		return err
	}
	say(r.began, "wrote the sweep's section of %s", r.cfg.out)
	return nil
}

// writeSweep writes the section on the sweep under the daemon's schedules.
func (r *report) writeSweep(w writer) {
	s := r.sweep
	if s == nil {
		return
	}
	w("## " + sweepHeading)
	w("")
	w("`GONGSYNC_BENCH_OUT=FILE %s` (run once): the daemon's default schedules (calls and transcripts every 15 minutes, "+
		"users every 6 hours, the settle pass and the sweep at 02:30, the daily streams at 05:00) for %d virtual days of %s calls a day "+
		"on top of 10 days of history, on the simulated Gong's clock, with the default budget of %s requests a day and the sweep's "+
		"defaults (a pass every 168h, at most 10%% of the budget).",
		strings.Join(sweepCommand(), " "), s.Days, num(float64(s.CallsPerDay), 0), num(float64(s.Budget), 0))
	w("")
	sum := 0
	for _, n := range s.PerDay {
		sum += n
	}
	sweep, reviews := 0, 0
	for _, n := range s.SweepPerDay {
		sweep += n
	}
	for _, n := range s.ReviewSweepPerDay {
		reviews += n
	}
	nights := float64(max(1, len(s.SweepPerDay)))
	w("| figure | value |")
	w("|---|---|")
	w("| schedule ticks run | %s |", num(float64(s.Ticks), 0))
	w("| requests per day, mean / highest | %s / %s (budget %s) |", num(float64(sum)/float64(max(1, len(s.PerDay))), 0), num(float64(s.MaxDay), 0), num(float64(s.Budget), 0))
	w("| of which the sweep, per night (mean): calls' part + answered scorecards' part | %s + %s |", num(float64(sweep)/nights, 1), num(float64(reviews)/nights, 1))
	w("| scheduled runs paused by the budget | %d |", s.Paused)
	w("| complete passes over the calls' history; the last took | %d; %.1f days |", s.Passes, s.PassDays)
	w("| complete passes over the answered scorecards' history; the last took | %d; %.1f days |", s.ReviewPasses, s.ReviewPassDays)
	w("| calls / answered scorecards in the tables at the end | %s / %s |", num(float64(s.HistoryCalls), 0), num(float64(s.Reviews), 0))
	w("| changed / deleted calls the sweep found (older than the settle window) | %d / %d |", s.Changed, s.Deleted)
	w("| changed / deleted answered scorecards the sweep found | %d / %d |", s.ReviewsChanged, s.ReviewsDeleted)
	w("")
	w("Requests per day: %s. The sweep's runs, one a night, calls' part: %s requests; answered scorecards' part: %s "+
		"(each part's daily slice grows with its history: ⌈records/100⌉ pages a pass spread over the period, plus one).",
		joinInts(s.PerDay), joinInts(s.SweepPerDay), joinInts(s.ReviewSweepPerDay))
	w("")
}

func joinInts(v []int) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ", ")
}
