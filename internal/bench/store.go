package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// storeBenchmarks are the store's Go benchmarks (store/bench_test.go) this report
// quotes, each with the unit of the figure it reports.
var storeBenchmarks = []struct{ name, unit string }{
	{"BenchmarkUpsertCalls", "calls/s"},
	{"BenchmarkRawCopyCalls", "calls/s"},
	{"BenchmarkWriteTranscripts/writers=1", "sentences/s"},
	{"BenchmarkWriteTranscripts/writers=2", "sentences/s"},
	{"BenchmarkWriteTranscriptsPendingList", "sentences/s"},
	{"BenchmarkRawCopySentences", "sentences/s"},
	{"BenchmarkUpsertCallsUnchanged", "calls/s"},
}

// storeCommand is the go test invocation, quoted in the report.
func storeCommand(count int) []string {
	return []string{"go", "test", "-run", "^$", "-bench",
		"^(BenchmarkUpsertCalls|BenchmarkUpsertCallsUnchanged|BenchmarkRawCopyCalls|BenchmarkWriteTranscripts|BenchmarkWriteTranscriptsPendingList|BenchmarkRawCopySentences)$",
		"-benchtime", "40x", "-count", strconv.Itoa(count), "./store/"}
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+.*?([\d.]+) (calls/s|sentences/s)`)

// storeFigures runs the store benchmarks count times and returns each one's figures.
// Each repetition runs the store and its raw-COPY ceiling in the same process, on
// the same throwaway cluster.
func storeFigures(ctx context.Context, count int) (map[string]figure, string, error) {
	args := storeCommand(count)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "PGTEST_REQUIRED=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, "", fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	figs := map[string]figure{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			continue
		}
		figs[m[1]] = append(figs[m[1]], v)
	}
	for _, b := range storeBenchmarks {
		if len(figs[b.name]) == 0 {
			return nil, "", fmt.Errorf("no figure for %s in:\n%s", b.name, out.String())
		}
	}
	return figs, strings.Join(args, " "), nil
}
