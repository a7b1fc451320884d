package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

func runFakeGong(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "fake-gong", "[--addr 127.0.0.1:8089] [--seed 1] [--calls 2000] …", `
Serve the simulated Gong: a deterministic dataset from a seed (users, workspaces,
trackers, calls with full content, transcripts) behind Gong's API, with its limits,
cursors, 404-for-empty answers and late, changed and deleted calls. For tests, the
demo and benchmarks. The first line of output is the base URL. It accepts the
credentials in GONG_ACCESS_KEY / GONG_ACCESS_KEY_SECRET (test defaults when unset),
so gongsync and the fake can share one environment. 0 turns a limit off.
Unauthenticated control routes: GET /_fake/stats, POST /_fake/clock, POST /_fake/faults.`, 0)
	fs := c.fs
	addr := fs.String("addr", "127.0.0.1:8089", "listen address (port 0 picks a free one)")
	seed := fs.Int64("seed", 1, "dataset seed")
	users := fs.Int("users", 50, "users")
	workspaces := fs.Int("workspaces", 2, "workspaces")
	calls := fs.Int("calls", 2000, "calls")
	from := fs.String("from", fakegong.DefaultFrom.Format(time.DateOnly), "first call start (date or RFC 3339)")
	to := fs.String("to", fakegong.DefaultTo.Format(time.DateOnly), "calls start before this (date or RFC 3339)")
	rateLimit := fs.Float64("rate-limit", 3, "requests per second before 429s")
	dailyLimit := fs.Int("daily-limit", 10000, "requests per (virtual) day before 429s")
	failRate := fs.Float64("fail-rate", 0, "share of requests answered with a 500")
	latency := fs.Duration("latency", 0, "added to every answer")
	cursorTTL := fs.Duration("cursor-ttl", 0, "cursor lifetime; 0 = never expire")
	omitRetryAfter := fs.Bool("no-retry-after", false, "send 429s without Retry-After")
	unknown := fs.Bool("unknown-fields", false, "add undocumented fields to answers, as Gong may")
	sentences := fs.Int("sentences-per-call", 40, "average transcript length")
	lateShare := fs.Float64("late-share", 0.05, "share of calls processed hours late (negative: none)")
	changeShare := fs.Float64("change-share", 0.03, "share of calls changed after first being visible (negative: none)")
	deleteShare := fs.Float64("delete-share", 0.01, "share of calls deleted after being visible (negative: none)")
	clock := fs.String("clock", "", "start a virtual clock at this time (RFC 3339) instead of real time")
	cfg, err := c.parse(args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", fs.Args())
	}
	opts := fakegong.Options{
		Seed: *seed, Users: *users, Workspaces: *workspaces, Calls: *calls,
		RateLimit: *rateLimit, DailyLimit: *dailyLimit, FailRate: *failRate, Latency: *latency,
		CursorTTL: *cursorTTL, OmitRetryAfter: *omitRetryAfter, UnknownFields: *unknown, SentencesPerCall: *sentences,
		LateShare: zeroMeansNone(*lateShare), ChangeShare: zeroMeansNone(*changeShare), DeleteShare: zeroMeansNone(*deleteShare),
		AccessKey: os.Getenv("GONG_ACCESS_KEY"), AccessKeySecret: os.Getenv("GONG_ACCESS_KEY_SECRET"),
		Logger: c.logger(cfg),
	}
	if *calls == 0 {
		opts.Calls = -1 // the flag's 0 means an empty dataset; the option's 0 means the default
	}
	if opts.From, err = parseWhen(*from); err != nil {
		return usageErrorf("--from: %v", err)
	}
	if opts.To, err = parseWhen(*to); err != nil {
		return usageErrorf("--to: %v", err)
	}
	if *clock != "" {
		t, err := time.Parse(time.RFC3339, *clock)
		if err != nil {
			return usageErrorf("--clock: %v", err)
		}
		opts.Clock = fakegong.NewVirtualClock(t)
	}
	srv, err := fakegong.New(opts)
	if err != nil {
		return usageError{err}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	o := srv.Options()
	fmt.Fprintf(m.Stdout, "http://%s\n", ln.Addr())
	fmt.Fprintf(m.Stdout, "simulated Gong: %d calls from %s to %s, %d users; credentials %s / %s%s\n",
		o.Calls, o.From.Format(time.DateOnly), o.To.Format(time.DateOnly), o.Users, o.AccessKey, secretHint(o.AccessKeySecret), "")
	if f, ok := m.Stdout.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	err = srv.Serve(ctx, ln)
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return nil
	}
	return err
}

// zeroMeansNone maps the flag convention (0 = none) to the Options one (negative = none).
func zeroMeansNone(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
}

// secretHint prints the fake's default secret (a test value) but never one taken from
// the environment, which may be a real one.
func secretHint(s string) string {
	if s == fakegong.DefaultAccessKeySecret {
		return s
	}
	return "[from the environment]"
}
