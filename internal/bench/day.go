package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// dayCommand runs sync's BenchmarkADayAtDefaultSchedules once: a day of the daemon's
// ticks at the default schedules, for 500 users and 2,000 calls a day, on the fake's
// virtual clock (a day of real time would not fit in make bench). It is quoted in
// the report.
var dayCommand = []string{"go", "test", "-run", "^$", "-bench", "^BenchmarkADayAtDefaultSchedules$", "-benchtime", "1x", "-count", "1", "./sync/"}

// dayMetric is one figure the benchmark reports: "302.0 answered_scorecards-req/day".
var dayMetric = regexp.MustCompile(`([\d.]+) (\S+)/day`)

// dayFigures runs the benchmark and returns its figures by name: "<stream>-req" and
// "<stream>-runs" for a stream's requests and runs, "total-req" for every stream's
// requests, "reviews" for the answered scorecards published that day.
func dayFigures(ctx context.Context) (map[string]float64, error) {
	cmd := exec.CommandContext(ctx, dayCommand[0], dayCommand[1:]...)
	cmd.Env = append(os.Environ(), "PGTEST_REQUIRED=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", strings.Join(dayCommand, " "), err, out.String())
	}
	return parseDay(out.String())
}

// parseDay reads the benchmark's line of figures.
func parseDay(out string) (map[string]float64, error) {
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "BenchmarkADayAtDefaultSchedules") {
			continue
		}
		figs := map[string]float64{}
		for _, m := range dayMetric.FindAllStringSubmatch(line, -1) {
			v, err := strconv.ParseFloat(m[1], 64)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", m[0], err)
			}
			figs[m[2]] = v
		}
		if figs["total-req"] == 0 {
			return nil, fmt.Errorf("no total in %q", line)
		}
		return figs, nil
	}
	return nil, fmt.Errorf("no benchmark line in:\n%s", out)
}

// dayHeading opens the day's subsection of the request economy's section.
const dayHeading = "### A day at the default schedules\n"

// onlyDay measures a day at the default schedules alone and rewrites its subsection
// of c.out (from its heading to the next section), leaving the rest as it was.
func onlyDay(ctx context.Context, r *report) error {
	say(r.began, "a day at the default schedules (go test -bench)")
	var err error
	if r.day, err = dayFigures(ctx); err != nil {
		return err
	}
	old, err := os.ReadFile(r.cfg.out)
	if err != nil {
		return err
	}
	doc := string(old)
	start := strings.Index(doc, dayHeading)
	if start < 0 {
		return fmt.Errorf("%s has no %q subsection to rewrite: run -only-economy", r.cfg.out, strings.TrimSpace(dayHeading))
	}
	end := len(doc)
	if i := strings.Index(doc[start:], "\n## "); i >= 0 {
		end = start + i + 1
	}
	var b strings.Builder
	r.writeDay(func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) })
	if err := os.WriteFile(r.cfg.out, []byte(doc[:start]+b.String()+doc[end:]), 0o644); err != nil {
		return err
	}
	say(r.began, "wrote the day's subsection of %s", r.cfg.out)
	return nil
}
