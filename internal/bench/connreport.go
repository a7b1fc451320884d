package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/gongsync/gongsync/store"
)

const connectionsHeading = "7. Many connections"

// The connection-day: what one company costs in a day of steady syncing, from the
// measured parts. Its volume is an assumption, stated in docs/SCALING.md: a sales team
// of about 50 people recording about 4 calls each a working day; every figure it
// drives scales linearly with it.
const (
	dayCalls       = 200 // new calls a connection syncs a day, with their transcripts
	dayTicks       = 96  // the calls schedule's ticks a day (GONGSYNC_SCHEDULE_CALLS, every 15 minutes)
	dayRefreshRuns = 12  // users, workspaces and trackers, 4 times a day (GONGSYNC_SCHEDULE_USERS)
	daySettleDays  = 7   // the nightly settle pass re-reads the last week (GONGSYNC_SETTLE_WINDOW)
	gongPaceSecs   = 1 / 2.94
)

// connFigures are the phase's measurements, reduced to what the plan multiplies.
type connFigures struct {
	pgPer1000, mibPer1000  figure  // Postgres CPU s and MiB on disk per 1,000 calls synced
	pgTick, reqTick        float64 // Postgres CPU s and requests per scheduled tick that finds nothing new
	jobSecsTick            float64 // seconds a tick's runs hold workers
	pgSettlePer1000        float64 // Postgres CPU s per 1,000 calls the settle pass re-reads
	runRowBytes            float64
	cpuDay, bytesDay       float64 // per connection-day
	requestsDay, jobSecDay float64
}

func (r *report) connFigures() (connFigures, bool) {
	var f connFigures
	if len(r.fleet) == 0 || r.steady == nil {
		return f, false
	}
	for _, run := range r.fleet {
		k := float64(run.Calls) / 1000
		f.pgPer1000 = append(f.pgPer1000, run.PGCPU/k)
		f.mibPer1000 = append(f.mibPer1000, mib(float64(run.Bytes))/k)
	}
	s := r.steady
	f.pgTick = s.TickPGCPU / float64(s.Ticks)
	f.reqTick = float64(s.TickRequests) / float64(s.Ticks)
	f.jobSecsTick = s.TickJobSecs / float64(s.Ticks)
	if s.SettleCalls > 0 {
		f.pgSettlePer1000 = s.SettlePGCPU / float64(s.SettleCalls) * 1000
	}
	f.runRowBytes = s.RunRowBytes
	d := float64(dayCalls) / 1000
	// A refresh run costs about what half a tick (one run of two) does: one request, a
	// small upsert. The settle pass re-reads a week of calls once a day.
	f.cpuDay = d*f.pgPer1000.median() + (dayTicks+dayRefreshRuns/2.0)*f.pgTick + daySettleDays*d*f.pgSettlePer1000
	f.bytesDay = d*f.mibPer1000.median()*(1<<20) + float64(2*dayTicks+dayRefreshRuns+1)*f.runRowBytes
	f.requestsDay = dayTicks*f.reqTick + 2*float64(dayCalls)/100 + daySettleDays*float64(dayCalls)/100 + dayRefreshRuns
	f.jobSecDay = f.requestsDay*gongPaceSecs + (dayTicks+dayRefreshRuns/2.0)*f.jobSecsTick + f.cpuDay
	return f, true
}

func (r *report) writeConnections(w writer) {
	c := r.cfg
	w("## %s", connectionsHeading)
	w("")
	w("A registry of %d connections (`gongsync connections add`), one per company of one `bin/gongsync fake-gong --tenants %d` "+
		"(each company %d calls from 6.5 to 3.5 days ago, %d sentences a call on average), synced by 1, 2 and 3 `bin/gongsync run` "+
		"worker processes of %d jobs each (`GONGSYNC_WORKERS`), with Gong's limits off (`GONG_RATE_LIMIT=0`, the fake's `--rate-limit 0`): "+
		"from the workers' start until every connection's first pass is through (users, workspaces, trackers, calls and transcripts, "+
		"and the scorecard, activity, library and outcome streams a first pass also finds due) and the queue is empty. Every process shares this machine's %d cores with Postgres and the fake. %d run(s) per worker count.",
		c.connCount, c.connCount, c.connCalls, c.sentences, c.connSlots, runtime.NumCPU(), c.connReps)
	w("")
	w("| worker processes (jobs at once) | wall s | calls/s | requests/s | jobs/s | Postgres CPU s | Postgres cores busy | workers' cores busy | the fake's cores busy | speed-up | load average at the end (1, 5, 15 min), each run |")
	w("|---|---|---|---|---|---|---|---|---|---|---|")
	base := map[int]figure{}
	busy := map[int]float64{} // cores busy, Postgres, workers and fake together (medians)
	for _, k := range []int{1, 2, 3} {
		var wall, cps, rps, jps, pg, pgBusy, wBusy, fBusy figure
		var loads []string
		for _, run := range r.fleet {
			if run.Workers != k {
				continue
			}
			loads = append(loads, run.Load)
			s := run.Wall.Seconds()
			wall, cps, rps, jps = append(wall, s), append(cps, float64(run.Calls)/s), append(rps, float64(run.Requests)/s), append(jps, float64(run.Runs)/s)
			pg, pgBusy, wBusy = append(pg, run.PGCPU), append(pgBusy, run.PGCPU/s), append(wBusy, run.WorkerCPU/s)
			fBusy = append(fBusy, run.FakeCPU/s)
		}
		if len(wall) == 0 {
			continue
		}
		base[k] = cps
		speed := "1.00"
		if b := base[1]; len(b) > 0 && k > 1 {
			speed = fmt.Sprintf("%.2f", cps.median()/b.median())
		}
		busy[k] = pgBusy.median() + wBusy.median() + fBusy.median()
		w("| %d (%d) | %s | %s | %s | %s | %s | %s | %s | %s | %s× | %s |", k, k*c.connSlots, wall.show(1), cps.show(0), rps.show(1), jps.show(1), pg.show(1),
			pgBusy.show(2), wBusy.show(2), fBusy.show(2), speed, strings.Join(loads, "; "))
	}
	w("")
	if one, ok := busy[1]; ok {
		w("Every process of the benchmark shares this machine's %d cores: with one worker process, Postgres, the worker and the simulated "+
			"Gong together already keep %s of them busy (the rest goes to the kernel, the benchmark and what else runs here). Where that "+
			"is near %d, more worker processes find no core to run on, and the speed-up stays near 1: the machine, not the number of "+
			"workers, is the bound, and Postgres, with about %s%% of the busy cores, is the part that grows with the calls. On a server "+
			"where Postgres has cores of its own, workers add throughput until its cores are busy; the plan below sizes Postgres from the "+
			"CPU seconds per 1,000 calls, which do not depend on that wait. A load average well above %d means processes other than the "+
			"benchmark's were competing too.",
			runtime.NumCPU(), num(one, 2), runtime.NumCPU(), num(100*r.pgShareOfBusy(1), 0), runtime.NumCPU())
		w("")
	}
	f, ok := r.connFigures()
	if !ok {
		w("(The steady state was not measured.)")
		w("")
		return
	}
	w("Postgres does most of the work: it indexes every transcript sentence for full-text search (section 3). Where its cores busy "+
		"approach the machine's %d, more workers add nothing: the database is the bottleneck, not the workers. Per 1,000 calls synced, "+
		"all runs: Postgres CPU **%s s**, on disk **%s MiB** (every table of the connections' schemas, indexes included; section 3 "+
		"measures the same for one installation).",
		runtime.NumCPU(), f.pgPer1000.show(2), f.mibPer1000.show(1))
	w("")
	s := r.steady
	w("The steady state, on the first sweep's database (all %d connections synced): one worker, started fresh, with the calls schedule "+
		"at every %s for %s, Gong holding nothing new. Each tick is the calls schedule group's runs: the calls (one request, to learn that "+
		"nothing is new), the transcripts after them (none due: no request) and the answered scorecards (one request); %s ticks per "+
		"connection came due in that time (a tick finding the last one still queued adds nothing). A connection's first tick in a "+
		"worker also opens its engine (a pool, the migrations checked), as every tick of the default 15-minute schedule does: a worker "+
		"closes an engine idle for 5 minutes, or sooner when it needs the room (it keeps at most 2 × GONGSYNC_WORKERS open). Then the settle pass of %d connections, "+
		"`gongsync sync --connection cN --streams settle` each (a process per connection, its start-up included). One run.",
		c.connCount, c.tickEvery, c.tickFor, num(float64(r.steady.Ticks)/float64(c.connCount), 1), c.settleConns)
	w("")
	w("| | measured |")
	w("|---|---|")
	w("| scheduled ticks (calls, transcripts and answered scorecards runs) | %d ticks, %d runs |", s.Ticks, s.TickRuns)
	w("| Postgres CPU per tick, River's queue included | %s ms |", num(1000*f.pgTick, 1))
	w("| requests per tick | %s |", num(f.reqTick, 2))
	w("| seconds a tick's runs hold workers (limits off) | %s |", num(f.jobSecsTick, 3))
	w("| settle: calls re-read | %s in %s |", num(float64(s.SettleCalls), 0), s.SettleWall.Round(time.Millisecond))
	w("| settle: Postgres CPU per 1,000 calls re-read | %s s |", num(f.pgSettlePer1000, 2))
	w("| bytes on disk per `sync_runs` row | %s |", num(f.runRowBytes, 0))
	w("")
	w("**Per connection-day** at %d new calls a day (the assumption of docs/SCALING.md; the plan there multiplies these): Postgres CPU "+
		"**%s s**, on disk **%s MiB**, **%s** requests to Gong, **%s s** of a worker's time.",
		dayCalls, num(f.cpuDay, 1), num(mib(f.bytesDay), 1), num(f.requestsDay, 0), num(f.jobSecDay, 0))
	w("")
}

// The generated part of docs/SCALING.md lies between these lines; the rest is prose.
const (
	scalingBegin = "<!-- make bench writes from here -->"
	scalingEnd   = "<!-- to here -->"
	scalingDoc   = "docs/SCALING.md"
)

// writeScalingDoc writes the plan's arithmetic into docs/SCALING.md from the figures.
func (r *report) writeScalingDoc() error {
	old, err := os.ReadFile(scalingDoc)
	if err != nil {
		return err
	}
	doc := string(old)
	i, j := strings.Index(doc, scalingBegin), strings.Index(doc, scalingEnd)
	if i < 0 || j < i {
		return fmt.Errorf("%s lacks the lines %q and %q around its figures", scalingDoc, scalingBegin, scalingEnd)
	}
	var b strings.Builder
	r.writePlan(func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) })
	doc = doc[:i+len(scalingBegin)] + "\n" + b.String() + doc[j:]
	return os.WriteFile(scalingDoc, []byte(doc), 0o644)
}

// Sizes of one Postgres server the plan measures against: a large but ordinary cloud
// instance, run at half its CPU to leave room for backfills, vacuum and queries.
const (
	serverCores    = 16
	serverCPUShare = 0.5
	serverTiB      = 10
)

func (r *report) writePlan(w writer) {
	f, ok := r.connFigures()
	if !ok {
		w("(make bench has not measured the many connections' phase yet.)")
		return
	}
	c := r.cfg
	w("")
	w("Measured by `make bench` on %s (docs/BENCHMARKS.md, section 7, from which these figures come; this block is rewritten with them).",
		r.began.UTC().Format("2006-01-02"))
	w("")
	w("### The measured parts")
	w("")
	w("| part | figure | from |")
	w("|---|---|---|")
	w("| Postgres CPU per 1,000 calls synced with their transcripts | %s s | %d connections of %d calls, %d sentences a call |", num(f.pgPer1000.median(), 2), c.connCount, c.connCalls, c.sentences)
	w("| disk per 1,000 calls synced | %s MiB | the same |", num(f.mibPer1000.median(), 1))
	w("| Postgres CPU per scheduled tick that finds nothing new | %s ms | %d ticks of %d connections |", num(1000*f.pgTick, 1), r.steady.Ticks, c.connCount)
	w("| requests per such tick | %s | the same |", num(f.reqTick, 2))
	w("| Postgres CPU per 1,000 calls the settle pass re-reads | %s s | %d settle passes |", num(f.pgSettlePer1000, 2), c.settleConns)
	w("| disk per run recorded (`sync_runs`) | %s bytes | the same database |", num(f.runRowBytes, 0))
	w("")
	d := float64(dayCalls) / 1000
	w("### One connection-day")
	w("")
	w("At %d new calls a day (D), %d ticks, %d refresh runs (counted as half a tick each: one request, a small upsert) and a settle pass "+
		"over %d days:", dayCalls, dayTicks, dayRefreshRuns, daySettleDays)
	w("")
	w("- Postgres CPU = D/1,000 × %s + (%d + %d/2) × %s + %d × D/1,000 × %s = %s + %s + %s = **%s s**",
		num(f.pgPer1000.median(), 2), dayTicks, dayRefreshRuns, num(f.pgTick, 4), daySettleDays, num(f.pgSettlePer1000, 2),
		num(d*f.pgPer1000.median(), 2), num((dayTicks+dayRefreshRuns/2.0)*f.pgTick, 2), num(daySettleDays*d*f.pgSettlePer1000, 2), num(f.cpuDay, 2))
	w("- disk = D/1,000 × %s MiB + (2 × %d + %d + 1) runs × %s bytes = **%s MiB**", num(f.mibPer1000.median(), 1), dayTicks, dayRefreshRuns,
		num(f.runRowBytes, 0), num(mib(f.bytesDay), 2))
	w("- requests = %d × %s + 2 × D/100 + %d × D/100 + %d = **%s** (of Gong's 10,000 a day for the company)", dayTicks, num(f.reqTick, 2),
		daySettleDays, dayRefreshRuns, num(f.requestsDay, 0))
	w("- a worker's time = requests × 1/2.94 s (Gong's pace, which a job waits for) + ticks × %s s + Postgres's time = **%s s**",
		num(f.jobSecsTick, 3), num(f.jobSecDay, 0))
	w("")
	w("### 1,000 and 10,000 connections")
	w("")
	w("| | 1,000 connections | 10,000 connections |")
	w("|---|---|---|")
	row := func(what string, v func(n float64) string) { w("| %s | %s | %s |", what, v(1000), v(10000)) }
	row("Postgres cores busy, day average (N × CPU a day / 86,400 s)", func(n float64) string { return num(n*f.cpuDay/86400, 2) })
	row("Postgres cores at the quarter hour, every tick due at once, spread over 5 minutes (N × tick / 300 s)", func(n float64) string {
		return num(n*f.pgTick/300, 2)
	})
	row("disk a year (N × 365 × disk a day)", func(n float64) string { return tib(n * 365 * f.bytesDay) })
	row("requests a day to Gong, all companies (each within its own 10,000)", func(n float64) string { return num(n*f.requestsDay, 0) })
	row("jobs at once, day average (N × worker time a day / 86,400 s)", func(n float64) string { return num(n*f.jobSecDay/86400, 1) })
	burst := f.jobSecsTick + gongPaceSecs
	row(fmt.Sprintf("jobs at once to run every tick within 5 minutes (N × (%s + 0.34) s / 300 s)", num(f.jobSecsTick, 2)), func(n float64) string {
		return num(n*burst/300, 0)
	})
	row(fmt.Sprintf("`gongsync run` processes at GONGSYNC_WORKERS=%d for that", c.connSlots), func(n float64) string {
		return num(max(2, ceil(n*burst/300/float64(c.connSlots))), 0)
	})
	row(fmt.Sprintf("Postgres connections those workers may hold (a process keeps at most 2 × GONGSYNC_WORKERS connections' pools of %d, and its control pool of %d, River's included)",
		workerPoolConns, store.DefaultMaxConns), func(n float64) string {
		procs := max(2, ceil(n*burst/300/float64(c.connSlots)))
		return num(procs*float64(2*c.connSlots*workerPoolConns+store.DefaultMaxConns), 0)
	})
	w("")
	maxCPU := serverCores * serverCPUShare * 86400 / f.cpuDay
	maxDisk := serverTiB * (1 << 40) / (365 * f.bytesDay)
	w("One Postgres of %d cores run at %.0f%% and %d TiB of disk holds, for a year of data: by CPU %s connections, by disk %s. "+
		"**Disk runs out first, at about %s connections**; a year's history backfilled on arrival (365 × D calls, another %s per connection) brings that "+
		"down to %s.",
		serverCores, 100*serverCPUShare, serverTiB, num(maxCPU, 0), num(maxDisk, 0), num(min(maxCPU, maxDisk), 0),
		tib(365*d*f.mibPer1000.median()*(1<<20)), num(serverTiB*(1<<40)/(2*365*f.bytesDay), 0))
	w("")
	w("A year of history for one new connection: 365 × D = %s calls, %s requests at Gong's pace of 150 calls/s with their transcripts: "+
		"**%s** of Gong's time, and %s s of Postgres CPU (%s cores for that time).",
		num(365*float64(dayCalls), 0), num(2*365*float64(dayCalls)/100, 0), backfillTime().String(),
		num(365*d*f.pgPer1000.median(), 0), num(365*d*f.pgPer1000.median()/(365*float64(dayCalls)/150), 2))
	w("")
}

// backfillTime is a year of one connection's history at Gong's pace with transcripts.
func backfillTime() time.Duration {
	secs := 365 * float64(dayCalls) / 150
	return time.Duration(secs * float64(time.Second)).Round(time.Second)
}

func ceil(v float64) float64 {
	n := float64(int64(v))
	if n < v {
		n++
	}
	return n
}

// tib writes bytes in TiB (GiB below one TiB).
func tib(bytes float64) string {
	if bytes < 1<<40 {
		return num(bytes/(1<<30), 0) + " GiB"
	}
	return num(bytes/(1<<40), 1) + " TiB"
}

// workerPoolConns is a worker's pool per connection (cmd's jobPoolConns).
const workerPoolConns = 4

// pgShareOfBusy is Postgres's share of the cores busy with k worker processes
// (medians of the runs).
func (r *report) pgShareOfBusy(k int) float64 {
	var pg, all figure
	for _, run := range r.fleet {
		if run.Workers == k {
			pg = append(pg, run.PGCPU)
			all = append(all, run.PGCPU+run.WorkerCPU+run.FakeCPU)
		}
	}
	if len(all) == 0 || all.median() == 0 {
		return 0
	}
	return pg.median() / all.median()
}
