package fleet

import (
	gosync "sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gongsync/gongsync/store"
	"github.com/gongsync/gongsync/sync"
)

// Metrics are a worker's: its own gauges (the registry's connections by state, and
// the job queue by connection and state) and each connection's engine metrics,
// labelled with the connection's name. Their labels are bounded by the registry.
type Metrics struct {
	reg         prometheus.Registerer
	connections *prometheus.GaugeVec
	jobs        *prometheus.GaugeVec

	mu     gosync.Mutex
	byName map[string]*sync.Metrics
}

// NewMetrics registers the worker's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		reg: reg,
		connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gongsync_connections", Help: "Connections of the registry, by state (active, paused, failed).",
		}, []string{"state"}),
		jobs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gongsync_queue_jobs",
			Help: "Jobs in the queue by connection and state: available (due now), scheduled (later), running, retryable (failed, to be tried again), discarded (failed for good).",
		}, []string{"connection", "state"}),
		byName: map[string]*sync.Metrics{},
	}
	reg.MustRegister(m.connections, m.jobs)
	return m
}

// Connection returns a connection's engine metrics. They live as long as the
// connection is in the registry, so that an engine opened again reports to the same
// ones.
func (m *Metrics) Connection(name string) *sync.Metrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	cm := m.byName[name]
	if cm == nil {
		cm = sync.NewMetrics(m.registerer(name), nil)
		m.byName[name] = cm
	}
	return cm
}

func (m *Metrics) registerer(name string) prometheus.Registerer {
	return prometheus.WrapRegistererWith(prometheus.Labels{"connection": name}, m.reg)
}

// Observe sets the gauges from the registry and the queue's counts (Options.OnQueue),
// and takes out the metrics of the connections that left the registry, so that
// their series go too.
func (m *Metrics) Observe(counts []store.JobCount, conns []store.Connection) {
	if m == nil {
		return
	}
	m.connections.Reset()
	for _, st := range []string{"active", "paused", "failed"} {
		m.connections.WithLabelValues(st).Set(0)
	}
	for _, c := range conns {
		m.connections.WithLabelValues(c.State()).Inc()
	}
	m.jobs.Reset()
	known := map[string]bool{}
	for _, c := range conns {
		known[c.Name] = true
	}
	for _, c := range counts {
		if known[c.Connection] { // jobs of a removed connection are on their way out
			m.jobs.WithLabelValues(c.Connection, c.State).Add(float64(c.Jobs))
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, cm := range m.byName {
		if !known[name] {
			cm.Unregister(m.registerer(name))
			delete(m.byName, name)
		}
	}
}
