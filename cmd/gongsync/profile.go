package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// cpuProfileEnv names a file to write a CPU profile of the whole process to, for
// `make bench` and anyone chasing a slow sync (`go tool pprof bin/gongsync FILE`).
// It is an environment variable rather than a flag because it is a developer's tool,
// not part of any command's interface, and it covers every command alike.
const cpuProfileEnv = "GONGSYNC_CPUPROFILE"

// startCPUProfile starts profiling when GONGSYNC_CPUPROFILE is set and returns what
// stops it and flushes the file. A profile that cannot be started is reported and
// skipped: it must never stop the command it was meant to observe.
func startCPUProfile() (stop func()) {
	path := os.Getenv(cpuProfileEnv)
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gongsync: %s: %v\n", cpuProfileEnv, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "gongsync: %s: %v\n", cpuProfileEnv, err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "gongsync: %s: %v\n", cpuProfileEnv, err)
		}
	}
}
