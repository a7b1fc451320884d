package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// Stamped at build time by `make build`, `make release` and the Dockerfile:
//
//	-ldflags "-X main.version=v1.2.3 -X main.commit=<full hash> -X main.date=<RFC 3339, UTC>"
//
// A binary built without them (go build, go install) tells what the module's build
// information knows instead.
var (
	version = ""
	commit  = ""
	date    = ""
)

// build is what a binary knows about how it was made.
type build struct {
	Version string // v1.2.3, a git describe, or devel
	Commit  string // the full commit hash, or "unknown"
	Date    string // when it was built (stamped) or committed (build information), or "unknown"
	Go      string // the Go release it was built with
}

// buildOf reads the stamped values, falling back on the build information Go records
// (vcs.revision and vcs.time, when built inside a git checkout).
func buildOf() build {
	b := build{Version: version, Commit: commit, Date: date, Go: runtime.Version()}
	var rev, when string
	dirty := false
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version // go install …@v1.2.3
		}
	}
	if b.Version == "" {
		b.Version = "devel"
		if rev != "" {
			b.Version += "-" + rev[:min(len(rev), 12)]
			if dirty {
				b.Version += "-dirty"
			}
		}
	}
	if b.Commit == "" {
		b.Commit = rev
	}
	if b.Date == "" {
		b.Date = when
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	if b.Date == "" {
		b.Date = "unknown"
	}
	return b
}

// Version returns gongsync's version string.
func Version() string { return buildOf().Version }

// buildInfoCollector exports gongsync_build_info, so a dashboard shows which version
// each instance runs (during an upgrade, and after a rollback).
func buildInfoCollector() prometheus.Collector {
	b := buildOf()
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gongsync_build_info",
		Help: "Always 1; the labels say which build of gongsync is running.",
		ConstLabels: prometheus.Labels{
			"version": b.Version, "commit": b.Commit, "goversion": b.Go,
		},
	}, func() float64 { return 1 })
}

func runVersion(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "version", "", "Print gongsync's version, the commit and date it was built from, and the Go release and platform.", 0)
	if _, err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", c.fs.Args())
	}
	b := buildOf()
	fmt.Fprintf(m.Stdout, "gongsync %s\ncommit:   %s\nbuilt:    %s\ngo:       %s %s/%s\n",
		b.Version, b.Commit, b.Date, b.Go, runtime.GOOS, runtime.GOARCH)
	return nil
}
