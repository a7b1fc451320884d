package sync

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are gongsync's Prometheus metrics. Everything a run learns is reported here,
// from one place; a nil *Metrics reports nothing (tests, one-shot commands).
type Metrics struct {
	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	budgetUsed      prometheus.Gauge
	budgetBackfill  prometheus.Gauge
	budgetLimit     prometheus.Gauge
	budgetLeft      prometheus.Gauge
	rows            *prometheus.CounterVec
	sentences       prometheus.Counter
	found           *prometheus.CounterVec
	recordsFound    *prometheus.CounterVec
	quarantined     *prometheus.CounterVec
	runs            *prometheus.CounterVec
	runDuration     *prometheus.HistogramVec
	lastSuccess     *prometheus.GaugeVec
	newestCall      prometheus.Gauge
	budgetReset     prometheus.Gauge
	failuresInARow  *prometheus.GaugeVec
	loginRequired   prometheus.Gauge
	transcriptsDue  prometheus.Gauge
	oldestUnread    *prometheus.GaugeVec
	foundAge        *prometheus.HistogramVec
	pollInterval    *prometheus.GaugeVec
	callLag         *prometheus.HistogramVec
	newestUnix      atomic.Int64
	now             func() time.Time
	collectors      []prometheus.Collector
}

// NewMetrics registers the metrics with reg. now is the clock the newest call's lag
// is measured against.
func NewMetrics(reg prometheus.Registerer, now func() time.Time) *Metrics {
	if now == nil {
		now = time.Now
	}
	m := &Metrics{
		now: now,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gongsync_gong_requests_total", Help: "Requests sent to Gong, by endpoint and HTTP status (0: no answer).",
		}, []string{"endpoint", "status"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gongsync_gong_request_duration_seconds", Help: "Time to an answer from Gong, by endpoint.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 10),
		}, []string{"endpoint"}),
		budgetUsed:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "gongsync_budget_used_requests", Help: "Requests counted in today's ledger (all processes)."}),
		budgetBackfill: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gongsync_budget_backfill_used_requests", Help: "Requests backfills spent today."}),
		budgetLimit:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "gongsync_budget_limit_requests", Help: "The daily budget (GONG_DAILY_BUDGET)."}),
		budgetLeft:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "gongsync_budget_left_requests", Help: "Requests left in today's budget."}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gongsync_rows_written_total", Help: "Records written or confirmed, by stream.",
		}, []string{"stream"}),
		sentences: prometheus.NewCounter(prometheus.CounterOpts{Name: "gongsync_transcript_sentences_written_total", Help: "Transcript sentences written."}),
		found: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gongsync_calls_found_total", Help: "Calls found late (processed after a run passed them), changed, deleted or restored.",
		}, []string{"kind"}),
		recordsFound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gongsync_records_found_total",
			Help: "Records other than calls found changed, deleted or restored when read again, by stream (users, library folders, days of activity Gong revised, …).",
		}, []string{"stream", "kind"}),
		quarantined: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gongsync_records_quarantined_total",
			Help: "Records Gong sent that gongsync could not store (a shape it does not decode, no id), kept in the quarantine table while their pages were committed, by stream.",
		}, []string{"stream"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gongsync_runs_total", Help: "Stream runs, by stream, kind and final status.",
		}, []string{"stream", "kind", "status"}),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gongsync_run_duration_seconds", Help: "Duration of stream runs.",
			Buckets: prometheus.ExponentialBuckets(0.1, 2, 14),
		}, []string{"stream", "kind"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gongsync_last_success_timestamp_seconds", Help: "When each stream last succeeded (Unix time).",
		}, []string{"stream"}),
		newestCall: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gongsync_newest_call_started_timestamp_seconds", Help: "Start time of the newest synced call (Unix time); now minus this is the sync's lag.",
		}),
		// The alerts (deploy/prometheus) are written against the four below.
		budgetReset: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gongsync_budget_reset_timestamp_seconds",
			Help: "When the budget day of the usage figures ends (Unix time, GONGSYNC_BUDGET_TZ); in the past, the figures are a previous day's.",
		}),
		failuresInARow: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gongsync_consecutive_failed_runs",
			Help: "Runs of each stream that failed since its last success (pauses, skips and interruptions leave it as it is).",
		}, []string{"stream"}),
		loginRequired: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gongsync_oauth_login_required",
			Help: "1 when the OAuth connection needs a new `gongsync auth login` (Gong refused its refresh token), else 0.",
		}),
		transcriptsDue: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gongsync_transcripts_due_calls",
			Help: "Calls whose transcript is due to be fetched and was not, as of the end of the last transcripts run.",
		}),
		oldestUnread: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gongsync_oldest_unread_seconds",
			Help: "Seconds since the live record Gong was asked about longest ago was last read, by table (calls, answered_scorecards); the sweep keeps it under GONGSYNC_SWEEP_PERIOD.",
		}, []string{"table"}),
		foundAge: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gongsync_found_age_days",
			Help:    "Age (days since the call started, or since the review's date) of each record found changed, deleted or restored, by table and what was found.",
			Buckets: findAgeDays,
		}, []string{"table", "kind"}),
		pollInterval: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gongsync_calls_poll_interval_seconds",
			Help: "Current interval between polls of the calls and transcripts, with the reason (one series is 1 at a time, the others 0): target (GONGSYNC_FRESHNESS), quiet_hours, budget (GONGSYNC_FRESHNESS_SHARE), or schedule (GONGSYNC_SCHEDULE_CALLS, no target).",
		}, []string{"reason"}),
		callLag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gongsync_call_lag_seconds",
			Help:    "For each new call, seconds from the call's end by Gong's clock (started + duration) to the commit of its row (kind=call), and to the commit of its transcript (kind=transcript). Gong's processing time is part of it: it gives no time at which it listed the call or finished the transcript.",
			Buckets: []float64{30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400},
		}, []string{"kind"}),
	}
	m.collectors = []prometheus.Collector{m.requests, m.requestDuration, m.budgetUsed, m.budgetBackfill, m.budgetLimit, m.budgetLeft,
		m.rows, m.sentences, m.found, m.recordsFound, m.quarantined, m.runs, m.runDuration, m.lastSuccess, m.newestCall,
		m.budgetReset, m.failuresInARow, m.loginRequired, m.transcriptsDue, m.oldestUnread, m.foundAge, m.pollInterval, m.callLag,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gongsync_newest_call_lag_seconds", Help: "Seconds between now and the start of the newest synced call.",
		}, func() float64 {
			return m.lagSeconds()
		})}
	reg.MustRegister(m.collectors...)
	return m
}

// Unregister takes the metrics out of reg (the one they were registered with): a
// worker does so when a connection leaves the registry, so that its series go too.
func (m *Metrics) Unregister(reg prometheus.Registerer) {
	for _, c := range m.collectors {
		reg.Unregister(c)
	}
}

func (m *Metrics) lagSeconds() float64 {
	newest := m.newestUnix.Load()
	if newest == 0 {
		return 0
	}
	return float64(m.now().Unix() - newest)
}

// ObserveNewestCall records the start of the newest call known to be synced.
func (m *Metrics) ObserveNewestCall(t time.Time) {
	if m == nil || t.IsZero() {
		return
	}
	for {
		old := m.newestUnix.Load()
		if t.Unix() <= old || m.newestUnix.CompareAndSwap(old, t.Unix()) {
			break
		}
	}
	m.newestCall.Set(float64(m.newestUnix.Load()))
}

// ObserveRequest records one attempt of a Gong request; give it to gongapi.Config.Observer.
func (m *Metrics) ObserveRequest(ev gongapi.RequestEvent) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(ev.Endpoint, strconv.Itoa(ev.Status)).Inc()
	if ev.Status != 0 {
		m.requestDuration.WithLabelValues(ev.Endpoint).Observe(ev.Duration.Seconds())
	}
}

func (m *Metrics) observeUsage(u store.Usage, daily int) {
	if m == nil {
		return
	}
	m.budgetUsed.Set(float64(u.Requests))
	m.budgetBackfill.Set(float64(u.BackfillRequests))
	m.budgetLimit.Set(float64(daily))
	m.budgetLeft.Set(float64(max(0, daily-u.Requests)))
	if !u.Day.IsZero() {
		m.budgetReset.Set(float64(u.Day.AddDate(0, 0, 1).Unix()))
	}
}

func (m *Metrics) observeCalls(stream string, n int, res store.UpsertResult, deleted int, newest *time.Time) {
	if m == nil {
		return
	}
	if newest != nil {
		m.ObserveNewestCall(*newest)
	}
	m.rows.WithLabelValues(stream).Add(float64(n))
	m.found.WithLabelValues("changed").Add(float64(len(res.Changed)))
	m.found.WithLabelValues("restored").Add(float64(len(res.Restored)))
	m.found.WithLabelValues("deleted").Add(float64(deleted))
}

func (m *Metrics) observeFind(table, found string, age time.Duration) {
	if m == nil {
		return
	}
	m.foundAge.WithLabelValues(table, found).Observe(age.Hours() / 24)
}

func (m *Metrics) observeOldestUnread(table string, age time.Duration) {
	if m == nil {
		return
	}
	m.oldestUnread.WithLabelValues(table).Set(age.Seconds())
}

func (m *Metrics) observeRows(stream string, n int) {
	if m == nil {
		return
	}
	m.rows.WithLabelValues(stream).Add(float64(n))
}

// observeFound counts what a read of records other than calls found changed, deleted
// or restored.
func (m *Metrics) observeFound(stream string, res store.UpsertResult, deleted int) {
	if m == nil {
		return
	}
	m.recordsFound.WithLabelValues(stream, "changed").Add(float64(len(res.Changed)))
	m.recordsFound.WithLabelValues(stream, "restored").Add(float64(len(res.Restored)))
	m.recordsFound.WithLabelValues(stream, "deleted").Add(float64(deleted))
}

// observeQuarantined counts the records of a committed page kept in quarantine.
func (m *Metrics) observeQuarantined(stream string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.quarantined.WithLabelValues(stream).Add(float64(n))
}

func (m *Metrics) observeTranscripts(n, sentences int) {
	if m == nil {
		return
	}
	m.rows.WithLabelValues(StreamTranscripts).Add(float64(n))
	m.sentences.Add(float64(sentences))
}

func (m *Metrics) observeRun(r *RunReport) {
	if m == nil {
		return
	}
	m.runs.WithLabelValues(r.Stream, string(r.Kind), string(r.Status)).Inc()
	// The stream's quarantine counter exists from its first run, at 0: increase() over
	// a series that appears already at 1 would miss the first record quarantined.
	m.quarantined.WithLabelValues(r.Stream)
	m.runDuration.WithLabelValues(r.Stream, string(r.Kind)).Observe(r.Finished.Sub(r.Started).Seconds())
	switch r.Stream {
	case StreamCalls, StreamSettle, StreamBackfill:
		m.found.WithLabelValues("late").Add(float64(r.Late))
	default:
		if r.Late > 0 {
			m.recordsFound.WithLabelValues(r.Stream, "late").Add(float64(r.Late))
		}
	}
	switch r.Status {
	case store.RunSucceeded:
		m.lastSuccess.WithLabelValues(r.Stream).Set(float64(r.Finished.Unix()))
		m.failuresInARow.WithLabelValues(r.Stream).Set(0)
		if r.Requests > 0 {
			// Gong answered this run's requests: the connection works.
			m.loginRequired.Set(0)
		}
	case store.RunFailed:
		m.failuresInARow.WithLabelValues(r.Stream).Inc()
	}
	if errors.Is(r.Err, ErrLoginRequired) {
		m.loginRequired.Set(1)
	}
}

// observeTranscriptBacklog counts the calls whose transcript is due now. It runs
// after each transcripts run (and when the daemon starts), not on every scrape: a
// scrape should not depend on the database answering.
func (e *Engine) observeTranscriptBacklog(ctx context.Context) {
	if e.m == nil || ctx.Err() != nil {
		return
	}
	q, err := e.st.CountTranscriptsWaiting(ctx, e.now())
	if err != nil {
		e.log.Warn().Err(err).Msg("could not count the transcript backlog for the metrics")
		return
	}
	e.m.transcriptsDue.Set(float64(q.DueNow))
}

// observePollInterval reports the interval to the next poll of the calls and why: the
// reason's series holds it, the other reasons' series 0.
func (m *Metrics) observePollInterval(iv time.Duration, reason string) {
	if m == nil {
		return
	}
	for _, r := range []string{ReasonSchedule, ReasonTarget, ReasonQuiet, ReasonBudget} {
		v := 0.0
		if r == reason {
			v = iv.Seconds()
		}
		m.pollInterval.WithLabelValues(r).Set(v)
	}
}

// The kinds of gongsync_call_lag_seconds.
const (
	lagCall       = "call"
	lagTranscript = "transcript"
)

// observeCallLag reports, for calls or transcripts committed at committed, the lag
// from each call's end.
func (m *Metrics) observeCallLag(kind string, ends []time.Time, committed time.Time) {
	if m == nil {
		return
	}
	for _, end := range ends {
		m.callLag.WithLabelValues(kind).Observe(max(0, committed.Sub(end).Seconds()))
	}
}
