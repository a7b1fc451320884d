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
