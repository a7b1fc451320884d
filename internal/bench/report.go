package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// report gathers the runs and writes docs/BENCHMARKS.md.
type report struct {
	cfg       config
	began     time.Time
	took      time.Duration
	machine   []string
	postgres  []string
	loadAfter string

	economy      []*economyRun
	day          map[string]float64 // a day at the default schedules (dayFigures)
	pace1, pace2 []*pacingRun
	store        map[string]figure
	storeCmd     string
	profRun      *e2eRun
	costs        []cost
	profSeconds  float64
	profTop      string
	e2e, big     []*e2eRun
	callsOnly    []*e2eRun  // backfills of the calls stream alone (no transcripts)
	queries      *queryRun  // the example queries on the largest backfill's database
	tools        *toolRun   // the MCP tools on that database
	disk         *turnsDisk // the transcript tables' sizes on that database
	sweep        *sweepDays
	turns        map[string]figure // BenchmarkTurnsAndChunksCost's metrics
	turnsCmd     string
	lag          map[string]map[string]float64 // BenchmarkLagDay's metrics by mode
	lagTook      time.Duration
	fleet        []*fleetRun
	steady       *steadyRun
}

// Floors from issues 6 and 11 (and issue 2 for the store). The throughput floors are
// stated against what Gong can deliver (issue 11), not as fixed numbers.
const (
	floorPace       = 2.7
	floorDelivery   = 2.0 // end to end, times Gong's maximum delivery
	floorStoreCalls = 3_000
	floorRawShare   = 0.5
	floorRSSMiB     = 150
)

// Gong's maximum delivery: 3 requests/s of 100 calls each. A backfill with transcripts
// needs one calls/extensive and one calls/transcript request per 100 calls, so Gong
// hands over at most 150 calls/s with their transcripts, or 300 calls/s without.
const (
	gongRate              = 3.0
	gongDeliveryCalls     = gongRate * 100     // calls/s, calls stream alone
	gongDeliveryWithTrans = gongRate * 100 / 2 // calls/s with their transcripts
)

func describeMachine(ctx context.Context) []string {
	var out []string
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	out = append(out, fmt.Sprintf("CPU: %s, %d logical cores (runtime.NumCPU)", model, runtime.NumCPU()))
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		out = append(out, "Memory: "+strings.Join(strings.Fields(strings.TrimPrefix(line, "MemTotal:")), " "))
	}
	if b, err := exec.CommandContext(ctx, "uname", "-sr").Output(); err == nil {
		out = append(out, "Kernel: "+strings.TrimSpace(string(b)))
	}
	out = append(out, "Go: "+runtime.Version())
	if b, err := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty").Output(); err == nil {
		out = append(out, "gongsync: "+strings.TrimSpace(string(b)))
	}
	out = append(out, "Load average when the run began (1, 5, 15 min): "+loadAverage())
	return out
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

// describePostgres names the server and the settings that shape write speed.
func describePostgres(ctx context.Context, url string) []string {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return []string{"PostgreSQL: " + err.Error()}
	}
	defer conn.Close(context.Background())
	var version string
	_ = conn.QueryRow(ctx, "SHOW server_version").Scan(&version)
	var settings []string
	for _, name := range []string{"fsync", "synchronous_commit", "full_page_writes", "wal_level", "shared_buffers", "max_wal_size", "work_mem", "autovacuum"} {
		var v string
		if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v); err == nil {
			settings = append(settings, name+"="+v)
		}
	}
	return []string{
		"PostgreSQL " + version + ", a throwaway cluster started by the test harness (internal/pgtest) on a unix socket, " +
			"with its settings: " + strings.Join(settings, ", ") + ". fsync and full-page writes are off as in the tests " +
			"(a production server keeps them on: commits there also wait for the disk); nothing else is tuned.",
	}
}

func (r *report) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	c := r.cfg
	w("# Benchmarks")
	w("")
	w("Written by `make bench` (`go run ./internal/bench`); every number below comes from its last run, on %s, which took %s. Do not edit by hand: run it again.",
		r.began.UTC().Format("2006-01-02 15:04 MST"), r.took.Round(time.Second))
	w("")
	w("Each figure is the **median** of its runs with the spread (min–max) in brackets, over %d runs unless it says otherwise. "+
		"The machine is shared and noisy: compare medians, and read a wide spread as noise.", c.reps)
	w("")
	w("## The machine")
	w("")
	for _, m := range r.machine {
		w("- %s", m)
	}
	w("- Load average when it ended: %s", r.loadAfter)
	for _, p := range r.postgres {
		w("- %s", p)
	}
	w("- The simulated Gong is `bin/gongsync fake-gong` (full content, `--late-share 0.05`, `--change-share 0.03`, `--delete-share 0.01`), "+
		"on loopback, in its own process; gongsync runs as `bin/gongsync` processes. The throughput, memory and scaling figures use "+
		"transcripts of realistic length, `--sentences-per-call %d` on average (a 30-minute sales call is about 150 words a minute, a dozen "+
		"words a sentence: several hundred sentences), spread with a long tail: about 1 in 100 is over four times the average, so some have "+
		"over 1,000. The request economy and pacing figures count requests, which do not depend on length: they keep the fake's default of 40, "+
		"as does the %s-call backfill of sections 4 and 5 (at realistic lengths it alone would take most of `make bench`'s ten minutes).",
		c.sentences, num(float64(c.bigCalls), 0))
	w("")
	r.writeEconomy(w)
	r.writePacing(w)
	r.writeThroughput(w)
	r.writeMemory(w)
	r.writeScaling(w)
	r.writeQueries(w)
	r.writeConnections(w)
	r.writeSweep(w)
	r.writeTurns(w)
	r.writeLag(w)
	r.writeProfile(w)
	r.writeFloors(w)
	return b.String()
}

type writer func(format string, args ...any)

// economyHeading is the request economy's section heading, which -only-economy rewrites.
const economyHeading = "1. Request economy"

func (r *report) writeEconomy(w writer) {
	w("## " + economyHeading)
	w("")
	w("A simulated Gong holding %d months of calls (%s of them, up to now; its clock stands still, so nothing appears between runs unless added), "+
		"counted by its `/_fake/stats`. The floor is Gong's page size: ⌈calls/100⌉ `calls/extensive` requests and as many `calls/transcript` "+
		"requests, one more of each allowed for an empty or final page. The backfill reads the whole range as one query series, and fills "+
		"transcript batches of 100 as calls come in, whatever the range's length.",
		economyMonths, num(economyCalls, 0))
	w("")
	var calls, ext, tr, extRatio, trRatio, refreshes, other, idle, ten, settle, settleRatio, settleCalls figure
	var reviews, rv, rvFloor, rvRatio, rvSettle, rvSettleReviews, rvSettleRatio figure
	for _, e := range r.economy {
		reviews = append(reviews, float64(e.Reviews))
		rv = append(rv, float64(e.Backfill[epReviews]))
		rvFloor = append(rvFloor, pageFloor(e.Reviews))
		rvRatio = append(rvRatio, float64(e.Backfill[epReviews])/pageFloor(e.Reviews))
		rvSettle = append(rvSettle, float64(total(e.ReviewSettle)))
		rvSettleReviews = append(rvSettleReviews, float64(e.SettleReviews))
		rvSettleRatio = append(rvSettleRatio, float64(total(e.ReviewSettle))/max(1, pageFloor(e.SettleReviews)))
		floor := pageFloor(e.Calls)
		calls = append(calls, float64(e.Calls))
		ext, tr = append(ext, float64(e.Backfill[epExtensive])), append(tr, float64(e.Backfill[epTranscripts]))
		extRatio = append(extRatio, float64(e.Backfill[epExtensive])/floor)
		trRatio = append(trRatio, float64(e.Backfill[epTranscripts])/floor)
		var r int64
		for _, ep := range epRefreshes {
			r += e.Backfill[ep]
		}
		refreshes = append(refreshes, float64(r))
		other = append(other, float64(total(e.Backfill)-e.Backfill[epExtensive]-e.Backfill[epTranscripts]-e.Backfill[epReviews]-r))
		idle = append(idle, float64(total(e.Idle)))
		ten = append(ten, float64(total(e.TenNew)))
		settle = append(settle, float64(total(e.Settle)))
		settleCalls = append(settleCalls, float64(e.SettleCalls))
		settleRatio = append(settleRatio, float64(total(e.Settle))/pageFloor(e.SettleCalls))
	}
	floors := make(figure, len(calls))
	for i, c := range calls {
		floors[i] = pageFloor(int(c))
	}
	w("| what | requests | floor | ratio to the floor |")
	w("|---|---|---|---|")
	w("| %d-month backfill (`gongsync backfill`), %s calls: `calls/extensive` | %s | %s | %s |", economyMonths, calls.show(0), ext.show(0), floors.show(0), extRatio.show(2))
	w("| the same: `calls/transcript` | %s | %s | %s |", tr.show(0), floors.show(0), trRatio.show(2))
	w("| the same: `stats/activity/scorecards`, %s answered scorecards (every review of the backfilled calls, read by their calls' dates in windows of up to a month) | %s | %s | %s |",
		reviews.show(0), rv.show(0), rvFloor.show(0), rvRatio.show(2))
	w("| the same: users, workspaces, trackers, scorecard definitions (once per backfill, not per call) | %s | 4 | |", refreshes.show(0))
	w("| the same: daily activity and interaction stats over the range (stats one day a request), the library, the call outcomes | %s | | |", other.show(0))
	w("| incremental `gongsync sync`, nothing new (one `calls/extensive`, one `stats/activity/scorecards`) | %s | 2 | %s |", idle.show(0), ratioTo(idle, 2))
	w("| incremental `gongsync sync` after 10 new calls | %s | 3 | %s |", ten.show(0), ratioTo(ten, 3))
	w("| settle pass `gongsync sync --streams settle`, %d days, %s calls | %s | ⌈calls/100⌉ | %s |", settleDays, settleCalls.show(0), settle.show(0), settleRatio.show(2))
	w("| answered scorecards' settle pass `gongsync sync --streams answered_scorecards_settle`, %d days, %s reviews | %s | ⌈reviews/100⌉ | %s |",
		settleDays, rvSettleReviews.show(0), rvSettle.show(0), rvSettleRatio.show(2))
	w("")
	w("Floor: the backfill at 1.00× the floor per endpoint, one request more allowed for the final page: **%s**.", verdict(r.economyAtFloor()))
	w("")
	if len(r.economy) > 0 {
		e := r.economy[0]
		w("By endpoint, first run: backfill %s; nothing new %s; 10 new %s; settle %s.", endpoints(e.Backfill), endpoints(e.Idle), endpoints(e.TenNew), endpoints(e.Settle))
		w("")
	}
	w("An incremental run needs one `calls/extensive` request to learn that nothing is new (Gong has no change feed), and one " +
		"`calls/transcript` request for new calls' transcripts. Calls whose transcript Gong does not have yet are asked again with backoff, " +
		"not on every run. The answered scorecards need one `stats/activity/scorecards` request a run: Gong selects them by review date, " +
		"so a run reads the company's today (and yesterday, within the overlap after midnight) again, a page per 100 reviews of those dates.")
	w("")
	r.writeDay(w)
}

// writeDay writes what each stream costs a day at the default schedules.
func (r *report) writeDay(w writer) {
	if r.day == nil {
		return
	}
	w("### A day at the default schedules")
	w("")
	w("A company of 500 users with 2,000 calls a day (%s answered scorecards published that day), after a backfill of the week before: "+
		"a day of the daemon's ticks (calls every 15 minutes, users every 6 hours, the settle passes at 02:30, the daily streams at 05:00), each running the streams "+
		"its schedule runs (the answered scorecards on the calls' ticks once their last read is an hour old), on the simulated Gong's virtual clock, measured by `%s`. A run costs at least one request (Gong has no "+
		"change feed); the requests beyond it are pages of records.", num(r.day["reviews"], 0), strings.Join(dayCommand, " "))
	w("")
	w("| stream | schedule | requests a day | runs a day | requests a run |")
	w("|---|---|---|---|---|")
	schedules := map[string]string{"users": "users", "workspaces": "users", "trackers": "users", "scorecards": "users",
		"calls": "calls", "transcripts": "calls and settle", "answered_scorecards": "calls, hourly", "settle": "settle",
		"answered_scorecards_settle": "settle", "sweep": "settle", "answered_scorecards_sweep": "settle", "user_activity": "daily", "user_interaction_stats": "daily", "library": "daily",
		"call_outcomes": "daily", "flows": "daily (a seventh of the users a day)", "logs": "daily", "crm_schema": "daily",
		"permission_profiles": "users", "manual_crm_associations": "users"}
	var names []string
	for name := range r.day {
		if s, ok := strings.CutSuffix(name, "-req"); ok && s != "total" {
			names = append(names, s)
		}
	}
	sort.Strings(names)
	runs := 0.0
	for _, name := range names {
		req, n := r.day[name+"-req"], r.day[name+"-runs"]
		runs += n
		w("| `%s` | %s | %s | %s | %.2f |", name, cmp.Or(schedules[name], "?"), num(req, 0), num(n, 0), req/max(n, 1))
	}
	w("| **all streams** | | **%s** (%.1f%% of Gong's 10,000) | %s | %.2f |", num(r.day["total-req"], 0), r.day["total-req"]/100,
		num(runs, 0), r.day["total-req"]/max(runs, 1))
	w("")
	w("The answered scorecards cost the most of the scorecard streams: each read reads the company's whole today again (and yesterday "+
		"within the overlap after midnight), a page per 100 reviews, since Gong selects reviews by date, not by time; so they read once an "+
		"hour (reviews at most an hour stale), %s runs instead of the calls' 96; the definitions are one request per refresh; the settle "+
		"pass one page per 100 reviews of the week.", num(r.day["answered_scorecards-runs"], 0))
	w("")
	flows, logs := r.day["flows-req"], r.day["logs-req"]
	profiles, crm, manual := r.day["permission_profiles-req"], r.day["crm_schema-req"], r.day["manual_crm_associations-req"]
	if all := flows + logs + profiles + crm + manual; all > 0 {
		w("The streams of issue 26: `permission_profiles` a request per workspace and per profile on the users' ticks (%s), `crm_schema` "+
			"one for the integrations and one per integration and object type (%s), `manual_crm_associations` a page of new ones (%s), "+
			"`flows` GET /v2/flows about a seventh of the active users with an address a day (%s; all of them, about %s, once a week: "+
			"asked on one day they would cost that many), and `logs` one request per log type and 100 records since its mark (%s): "+
			"together %s requests a day, %.2f%% of Gong's 10,000 (the issue's ceiling for its new streams is about 3%%).",
			num(profiles, 0), num(crm, 0), num(manual, 0), num(flows, 0), num(7*flows, 0), num(logs, 0), num(all, 0), all/100)
		w("")
	}
}

// economyAtFloor says whether every backfill cost at most ⌈calls/100⌉ + 1 requests of
// each endpoint.
func (r *report) economyAtFloor() bool {
	for _, e := range r.economy {
		floor := int64(pageFloor(e.Calls))
		if e.Backfill[epExtensive] > floor+1 || e.Backfill[epTranscripts] > floor+1 {
			return false
		}
	}
	return len(r.economy) > 0
}

func ratioTo(f figure, floor float64) string {
	g := make(figure, len(f))
	for i, v := range f {
		g[i] = v / floor
	}
	return g.show(2)
}

func endpoints(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, ep := range []string{epExtensive, epTranscripts, epReviews, "GET /v2/users", "GET /v2/workspaces", "GET /v2/settings/trackers", epScorecards} {
		if n, ok := m[ep]; ok {
			parts = append(parts, fmt.Sprintf("`%s` %d", ep, n))
		}
	}
	for ep, n := range m {
		switch ep {
		case epExtensive, epTranscripts, epReviews, "GET /v2/users", "GET /v2/workspaces", "GET /v2/settings/trackers", epScorecards:
		default:
			parts = append(parts, fmt.Sprintf("`%s` %d", ep, n))
		}
	}
	return strings.Join(parts, ", ")
}

func (r *report) writePacing(w writer) {
	w("## 2. Pacing")
	w("")
	w("gongsync at its default `GONG_RATE_LIMIT=3` against a fake that answers 429 beyond 3 requests/s (a token bucket of one second). "+
		"The pace is the requests after the first divided by the time from the first to the last, as the fake saw them. "+
		"One process: a backfill of %d calls (about %d requests). Two processes at once, of one installation (one database schema, so one "+
		"ledger and one pace): a backfill of %d calls and a `gongsync sync` reading %d newer calls and their transcripts.",
		r.cfg.paceCalls, 2*int(pageFloor(r.cfg.paceCalls))+3, r.cfg.dualCalls, r.cfg.dualCalls)
	w("")
	var p1, n1, t1, p2, n2, t2 figure
	for _, p := range r.pace1 {
		p1, n1, t1 = append(p1, p.Pace), append(n1, float64(p.Requests)), append(t1, float64(p.TooMany))
	}
	for _, p := range r.pace2 {
		p2, n2, t2 = append(p2, p.Pace), append(n2, float64(p.Requests)), append(t2, float64(p.TooMany))
	}
	w("| | requests/s | requests | 429s received |")
	w("|---|---|---|---|")
	w("| one process | %s | %s | %s |", p1.show(2), n1.show(0), t1.show(0))
	w("| two processes, one pace | %s (both together) | %s | %s |", p2.show(2), n2.show(0), t2.show(0))
	w("")
	w("Floor: %.1f requests/s with no 429: **%s** (median %.2f/s, at most %.0f 429s in a run); two processes together: no 429: **%s**.",
		floorPace, verdict(len(p1) > 0 && p1.median() >= floorPace && t1.max() == 0), p1.median(), t1.max(), verdict(len(t2) > 0 && t2.max() == 0))
	w("")
	w("Every request takes its daily slot and its send time in one statement on the ledger in Postgres: the send time is the later of " +
		"the database's clock and the previous request's plus 1/`GONG_RATE_LIMIT` (2%% more, for the network's jitter), whichever process " +
		"asked. So any number of processes, on any number of machines, keep one pace together. Installations in different schemas keep " +
		"a ledger and a pace each.")
	w("")
}

func (r *report) writeThroughput(w writer) {
	w("## 3. Throughput without API limits")
	w("")
	w("### End to end")
	w("")
	w("`bin/gongsync backfill` (a process) of a fake holding %s calls over %s..%s with full content and transcripts of realistic length "+
		"(%d sentences a call on average), both with rate limits off, into an empty database, with the full-text index the schema keeps; "+
		"wall time of the backfill process (migrations applied before).",
		num(float64(r.cfg.e2eCalls), 0), e2eFrom.Format(time.DateOnly), e2eTo.Format(time.DateOnly), r.cfg.sentences)
	w("")
	var cps, ratio, sps, wall, sent, long, cpuGS, cpuFake, cpuPG, disk, diskTr, diskCalls figure
	for _, e := range r.e2e {
		s := e.Proc.Wall.Seconds()
		k := float64(e.Calls) / 10_000
		cps, sps, wall = append(cps, float64(e.Calls)/s), append(sps, float64(e.Sentences)/s), append(wall, s)
		ratio = append(ratio, float64(e.Calls)/s/gongDeliveryWithTrans)
		sent = append(sent, float64(e.Sentences)/float64(e.Calls))
		cpuGS, cpuFake, cpuPG = append(cpuGS, e.Proc.CPU/k), append(cpuFake, e.FakeCPU/k), append(cpuPG, e.PGCPU/k)
		per := float64(e.Calls) / 1000
		disk = append(disk, mib(float64(e.AllBytes))/per)
		diskTr = append(diskTr, mib(float64(e.TranscriptBytes))/per)
		diskCalls = append(diskCalls, mib(float64(e.CallBytes))/per)
		long = append(long, float64(e.LongTranscripts))
	}
	w("| | median (min–max) |")
	w("|---|---|")
	w("| calls/s | %s |", cps.show(0))
	w("| **times Gong's maximum delivery** (%.0f calls/s with their transcripts) | **%s** |", gongDeliveryWithTrans, ratio.show(2))
	w("| transcript sentences/s | %s |", sps.show(0))
	w("| wall time, s | %s |", wall.show(1))
	w("| sentences per call (all calls, those without a transcript included) | %s |", sent.show(1))
	w("| transcripts of over 1,000 sentences | %s |", long.show(0))
	w("| CPU s per 10,000 calls: Postgres (its backends, from the postmaster's children's time) | %s |", cpuPG.show(1))
	w("| CPU s per 10,000 calls: gongsync | %s |", cpuGS.show(1))
	w("| CPU s per 10,000 calls: the simulated Gong | %s |", cpuFake.show(1))
	w("")
	w("Floor: end to end at least %.0f× Gong's maximum delivery (%.0f calls/s) with transcripts of realistic length: **%s** (%s×).",
		floorDelivery, floorDelivery*gongDeliveryWithTrans, verdict(len(ratio) > 0 && ratio.median() >= floorDelivery), num(ratio.median(), 2))
	w("")
	w("Bytes on disk per 1,000 calls once the backfill ended (`pg_total_relation_size`: each table with its TOAST and its indexes):")
	w("")
	w("| | MiB per 1,000 calls |")
	w("|---|---|")
	w("| transcript sentences, with their primary key and full-text index | %s |", diskTr.show(1))
	w("| calls, with their raw JSON | %s |", diskCalls.show(1))
	w("| every table of the schema | %s |", disk.show(1))
	w("")
	var only, onlyRatio figure
	for _, e := range r.callsOnly {
		cs := float64(e.Calls) / e.Proc.Wall.Seconds()
		only, onlyRatio = append(only, cs), append(onlyRatio, cs/gongDeliveryCalls)
	}
	w("The calls stream alone (`backfill --streams calls`: the same full content, no transcript requests), %s calls, %d runs: **%s calls/s**, "+
		"%s× the %.0f calls/s Gong delivers without transcripts.",
		num(float64(r.cfg.callsOnly), 0), len(r.callsOnly), only.show(0), onlyRatio.show(2), gongDeliveryCalls)
	w("")
	cpuAll := cpuPG.median() + cpuGS.median() + cpuFake.median()
	cores := float64(runtime.NumCPU())
	w("Together the three processes need %.1f s of CPU per 10,000 calls. On %.0f cores, a design that overlapped every stage perfectly "+
		"would top out near %s calls/s; the backfill reaches %s. It reads one page of calls at a time (fetch, decode, commit, then the next), "+
		"and writes each batch of transcripts, over two connections, while Gong prepares the next page of calls: a crash costs at most one "+
		"request per stream. The cores were busy %.0f%% of the wall time.",
		cpuAll, cores, num(10_000/(cpuAll/cores), 0), num(cps.median(), 0), 100*cpuAll/(cores*10_000/cps.median()))
	w("")
	w("### The store alone, beside a raw COPY")
	w("")
	w("`%s`: pre-built pages into Postgres through the store (100 calls with ~6 parties, ~8 trackers, ~5 topics and raw JSON each; "+
		"10 transcripts of 400 sentences per write), and in the same run a raw `COPY` of the same rows into copies of the tables with no index, "+
		"key or constraint: the ceiling of this machine. Each benchmark runs %d times.", r.storeCmd, r.cfg.storeCount)
	w("")
	s := r.store
	w("| | store | raw COPY | share of raw |")
	w("|---|---|---|---|")
	w("| calls/s (new calls with their children) | %s | %s | %s |", s["BenchmarkUpsertCalls"].show(0), s["BenchmarkRawCopyCalls"].show(0), share(s["BenchmarkUpsertCalls"], s["BenchmarkRawCopyCalls"]))
	w("| calls/s (unchanged calls read again) | %s | | |", s["BenchmarkUpsertCallsUnchanged"].show(0))
	w("| sentences/s, one transaction | %s | %s | %s |", s["BenchmarkWriteTranscripts/writers=1"].show(0), s["BenchmarkRawCopySentences"].show(0), share(s["BenchmarkWriteTranscripts/writers=1"], s["BenchmarkRawCopySentences"]))
	w("| sentences/s, two transactions (what the sync uses) | %s | %s | %s |", s["BenchmarkWriteTranscripts/writers=2"].show(0), s["BenchmarkRawCopySentences"].show(0), share(s["BenchmarkWriteTranscripts/writers=2"], s["BenchmarkRawCopySentences"]))
	w("| sentences/s, two transactions, the index's pending list at 64 MB (its merge included) | %s | %s | %s |", s["BenchmarkWriteTranscriptsPendingList"].show(0), s["BenchmarkRawCopySentences"].show(0), share(s["BenchmarkWriteTranscriptsPendingList"], s["BenchmarkRawCopySentences"]))
	w("")
	uc, rc := s["BenchmarkUpsertCalls"], s["BenchmarkRawCopyCalls"]
	ws, rs := s["BenchmarkWriteTranscripts/writers=2"], s["BenchmarkRawCopySentences"]
	w("Floors: store ≥ %s calls/s: **%s**; at least half of the raw COPY: calls **%s**, sentences **%s**. (The former floor of 100,000 "+
		"sentences/s, which the full-text index makes unreachable on this machine, is replaced by the end-to-end floor against Gong's "+
		"delivery above.)",
		num(floorStoreCalls, 0), verdict(uc.median() >= floorStoreCalls),
		verdict(uc.median() >= floorRawShare*rc.median()), verdict(ws.median() >= floorRawShare*rs.median()))
	w("")
	w("The transcripts table carries the full-text index the schema requires, `USING gin (to_tsvector('english', text))`: "+
		"Postgres computes the tsvector of every sentence and adds each of its words to the index, which costs several times what storing the row does "+
		"(compare the raw COPY). %s A larger pending list for the index (`fastupdate`, `gin_pending_list_limit` = 64 MB, set on the index) "+
		"only defers the work to a bulk merge, and with the merge counted it is %s the default (%s against %s sentences/s)%s",
		r.ginNote(), fasterOrSlower(s["BenchmarkWriteTranscriptsPendingList"], ws), num(s["BenchmarkWriteTranscriptsPendingList"].median(), 0), num(ws.median(), 0),
		pendingListVerdict(s["BenchmarkWriteTranscriptsPendingList"], ws))
	w("")
}

// ginNote explains the transcript floor, from the figures.
func (r *report) ginNote() string {
	ws, rs := r.store["BenchmarkWriteTranscripts/writers=2"], r.store["BenchmarkRawCopySentences"]
	if len(ws) == 0 || len(rs) == 0 || ws.median() >= floorRawShare*rs.median() {
		return ""
	}
	return fmt.Sprintf("That index is why the transcript figures miss their floor here: the raw COPY of the same sentences runs at %s/s, "+
		"the indexed table at %s/s with two writers (both cores).", num(rs.median(), 0), num(ws.median(), 0))
}

// pendingListVerdict says what the pending-list figures mean for the schema, which
// keeps Postgres's defaults for the index unless this comes out clearly ahead.
func pendingListVerdict(pending, def figure) string {
	if len(pending) > 0 && len(def) > 0 && pending.median() > 1.1*def.median() {
		return ": enough to consider setting it on the index in a migration."
	}
	return ": the schema keeps Postgres's defaults."
}

func fasterOrSlower(a, b figure) string {
	if len(a) == 0 || len(b) == 0 {
		return "not measured against"
	}
	if a.median() > b.median() {
		return fmt.Sprintf("%.0f%% faster than", 100*(a.median()/b.median()-1))
	}
	return fmt.Sprintf("%.0f%% slower than", 100*(1-a.median()/b.median()))
}

func share(a, b figure) string {
	if len(a) == 0 || len(b) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", 100*a.median()/b.median())
}

func (r *report) writeMemory(w writer) {
	w("## 4. Memory")
	w("")
	w("Peak resident set of the backfill process: the kernel's maximum (`getrusage`, what `/usr/bin/time -v` prints) at the end of a run, " +
		"and `VmHWM` from `/proc/PID/status` sampled every 100 ms for the peak once 10,000 calls were in the tables.")
	w("")
	var atE2E, at10big, atBig figure
	for _, e := range r.e2e {
		atE2E = append(atE2E, mib(float64(e.Proc.MaxRSS)))
	}
	for _, e := range r.big {
		if h := e.hwmAfter(10_000); h > 0 {
			at10big = append(at10big, mib(float64(h)))
		}
		atBig = append(atBig, mib(float64(e.Proc.MaxRSS)))
	}
	w("| calls backfilled | peak RSS (MiB) |")
	w("|---|---|")
	w("| %s with realistic transcripts, %d sentences on average (the end-to-end backfills, at their end) | %s |", num(float64(r.cfg.e2eCalls), 0), r.cfg.sentences, atE2E.show(1))
	w("| 10,000 (in the %s-call backfill, %d sentences on average) | %s |", num(float64(r.cfg.bigCalls), 0), r.cfg.bigSent, at10big.show(1))
	w("| %s (its end) | %s |", num(float64(r.cfg.bigCalls), 0), atBig.show(1))
	w("")
	ok := len(atE2E) > 0 && len(atBig) > 0 && len(at10big) > 0 && atE2E.max() < floorRSSMiB && atBig.max() < floorRSSMiB && at10big.max() < floorRSSMiB
	w("Floor: under %d MiB at every size: **%s**; growth from 10,000 to %s calls: %s MiB.",
		floorRSSMiB, verdict(ok), num(float64(r.cfg.bigCalls), 0), growth(at10big, atBig))
	if r.cfg.bigReps < r.cfg.reps {
		w("")
		w("The %s-call backfill runs %d time(s), not %d: each takes minutes, and `make bench` must finish in 10. "+
			"Its figures are one sample each (the scaling figures below are medians over the pages of that run).",
			num(float64(r.cfg.bigCalls), 0), r.cfg.bigReps, r.cfg.reps)
	}
	w("")
}

func growth(a, b figure) string {
	if len(a) == 0 || len(b) == 0 {
		return "–"
	}
	return fmt.Sprintf("%+.1f", b.median()-a.median())
}

func (r *report) writeScaling(w writer) {
	w("## 5. Scaling")
	w("")
	w("Time per 1,000 calls as the tables grow, from the %s-call backfill: every page of calls and batch of transcripts commits in its own "+
		"transaction, whose start time the rows keep (`first_seen_at`, `transcript_fetched_at`), so the interval from one page of calls to the "+
		"next is one turn of the backfill: a page fetched, decoded and written, and beside it a batch of transcripts written. Each figure is the "+
		"median (min–max) over the full pages that brought the tables to the mark from 2,000 below it; the last mark is where the backfill ended.",
		num(float64(r.cfg.bigCalls), 0))
	w("")
	w("| calls (transcripts) already in the tables | s per 1,000 calls |")
	w("|---|---|")
	var first, last float64
	for i, m := range []int{10_000, 50_000, -1} {
		var pages figure
		var calls, transcripts []string
		for _, e := range r.big {
			cm, tm := m, m
			if m < 0 {
				cm, tm = e.final(false), e.final(true)
			}
			calls, transcripts = append(calls, num(float64(cm), 0)), append(transcripts, num(float64(tm), 0))
			pages = append(pages, e.pace(cm, 2_000, false)...)
		}
		if i == 0 {
			first = pages.median()
		}
		last = pages.median()
		w("| %s (%s) | %s |", strings.Join(calls, ", "), strings.Join(transcripts, ", "), pages.show(3))
	}
	w("")
	w("Ratio of the time per 1,000 calls at the end of the %s-call backfill to that at 10,000: **%.2f** (1.00: no slowdown as the tables grow).",
		num(float64(r.cfg.bigCalls), 0), last/first)
	w("")
}

func (r *report) writeProfile(w writer) {
	w("## Where the time goes: the profile")
	w("")
	p := r.profRun
	if p == nil {
		return
	}
	k := float64(p.Calls) / 10_000
	w("A CPU profile of the first end-to-end backfill of %s calls above (`GONGSYNC_CPUPROFILE=FILE bin/gongsync backfill …`, read with `go tool pprof`), "+
		"taken once. That backfill ran %.1f s; per 10,000 calls its CPU went to Postgres **%.1f s**, gongsync **%.1f s** and the simulated Gong **%.1f s**. "+
		"A backfill is mostly a sequence (fetch a page, decode it, commit it, then the next), so these add up rather than overlap, "+
		"except where Postgres writes a transcript batch (over two connections) while the next page of calls is fetched.",
		num(float64(p.Calls), 0), p.Proc.Wall.Seconds(), p.PGCPU/k, p.Proc.CPU/k, p.FakeCPU/k)
	w("")
	w("The top three costs:")
	w("")
	st := r.store
	w("1. **Postgres writing the rows**, %.0f%% of all CPU. The transcript sentences' full-text index is the heavy part: the store "+
		"writes sentences at %s of the rate of a raw COPY of the same rows, calls with their children at %s (section 3).",
		100*p.PGCPU/(p.PGCPU+p.Proc.CPU+p.FakeCPU),
		share(st["BenchmarkWriteTranscripts/writers=2"], st["BenchmarkRawCopySentences"]), share(st["BenchmarkUpsertCalls"], st["BenchmarkRawCopyCalls"]))
	for i, c := range r.costs {
		if i >= 2 {
			break
		}
		w("%d. **gongsync: %s**, %.0f%% of gongsync's profile (%.1f s of %.1f s).", i+2, c.Name, 100*c.Share, c.Seconds, r.profSeconds)
	}
	w("")
	w("gongsync's profile, sorted into what the work is for (shares of its CPU time):")
	w("")
	w("| cost | share of gongsync's CPU |")
	w("|---|---|")
	for _, c := range r.costs {
		w("| %s | %.0f%% |", c.Name, 100*c.Share)
	}
	w("")
	w("`go tool pprof -top` of the same profile:")
	w("")
	w("```")
	w("%s", strings.TrimRight(r.profTop, "\n"))
	w("```")
	w("")
}

func (r *report) writeFloors(w writer) {
	w("## Floors at a glance")
	w("")
	w("| floor | measured (median) | |")
	w("|---|---|---|")
	var pace, tooMany, cps figure
	for _, p := range r.pace1 {
		pace, tooMany = append(pace, p.Pace), append(tooMany, float64(p.TooMany))
	}
	for _, e := range r.e2e {
		cps = append(cps, float64(e.Calls)/e.Proc.Wall.Seconds())
	}
	var ratio figure
	for _, e := range r.economy {
		ratio = append(ratio, max(float64(e.Backfill[epExtensive]), float64(e.Backfill[epTranscripts]))/pageFloor(e.Calls))
	}
	var pace2 figure
	for _, p := range r.pace2 {
		pace2 = append(pace2, float64(p.TooMany))
	}
	var rss figure
	for _, e := range append(append([]*e2eRun{}, r.e2e...), r.big...) {
		rss = append(rss, mib(float64(e.Proc.MaxRSS)))
	}
	s := r.store
	uc, rc := s["BenchmarkUpsertCalls"], s["BenchmarkRawCopyCalls"]
	ws, rs := s["BenchmarkWriteTranscripts/writers=2"], s["BenchmarkRawCopySentences"]
	w("| %d-month backfill at the page-size floor per endpoint (1.00×, one more for the final page) | %.2f× | %s |", economyMonths, ratio.median(), verdict(r.economyAtFloor()))
	w("| ≥ %.1f requests/s at a 3/s limit, zero 429s | %.2f/s, %.0f 429s | %s |", floorPace, pace.median(), tooMany.max(), verdict(pace.median() >= floorPace && tooMany.max() == 0))
	w("| two processes, one pace: zero 429s | %.0f 429s | %s |", pace2.max(), verdict(len(pace2) > 0 && pace2.max() == 0))
	var only figure
	for _, e := range r.callsOnly {
		only = append(only, float64(e.Calls)/e.Proc.Wall.Seconds())
	}
	w("| end to end ≥ %.0f× Gong's maximum delivery (%.0f × %.0f = %.0f calls/s), realistic transcripts | %s calls/s, %.2f× | %s |",
		floorDelivery, floorDelivery, gongDeliveryWithTrans, floorDelivery*gongDeliveryWithTrans, num(cps.median(), 0), cps.median()/gongDeliveryWithTrans,
		verdict(cps.median() >= floorDelivery*gongDeliveryWithTrans))
	w("| calls stream alone ≥ %.0f× Gong's delivery without transcripts (%.0f × %.0f = %.0f calls/s) | %s calls/s, %.2f× | %s |",
		floorDelivery, floorDelivery, gongDeliveryCalls, floorDelivery*gongDeliveryCalls, num(only.median(), 0), only.median()/gongDeliveryCalls,
		verdict(only.median() >= floorDelivery*gongDeliveryCalls))
	w("| store ≥ %s calls/s | %s | %s |", num(floorStoreCalls, 0), num(uc.median(), 0), verdict(uc.median() >= floorStoreCalls))
	w("| store calls ≥ half the raw COPY | %s | %s |", share(uc, rc), verdict(uc.median() >= floorRawShare*rc.median()))
	w("| store sentences ≥ half the raw COPY | %s | %s |", share(ws, rs), verdict(ws.median() >= floorRawShare*rs.median()))
	w("| peak RSS < %d MiB at every size | %s MiB at most | %s |", floorRSSMiB, num(rss.max(), 1), verdict(rss.max() < floorRSSMiB))
	if q := r.queries; q != nil {
		w("| example queries: no sequential scan where an index would serve (section 6) | %d questions | %s |", len(q.Queries), verdict(q.ok()))
	}
	w("")
}
