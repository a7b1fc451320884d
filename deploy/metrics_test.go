package deploy

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"
)

const (
	rulesFile     = "prometheus/gongsync-rules.yml"
	rulesTestFile = "gongsync-rules.test.yml" // in prometheus/, where promtool resolves rule_files
	dashboardFile = "grafana/gongsync.json"
	operationsDoc = "../docs/OPERATIONS.md"
)

// madeByPrometheus are series Prometheus writes itself for every target, not exported
// by any daemon.
var madeByPrometheus = []string{"up", "scrape_duration_seconds", "scrape_samples_scraped",
	"scrape_samples_post_metric_relabeling", "scrape_series_added"}

// A running daemon's metrics pass the Prometheus project's own linter, and every
// metric the alert rules and the dashboard query is one of them.
func TestDaemonMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("a daemon's first pass, run as a process: long scenario; runs in make test")
	}
	t.Parallel()
	promtool(t) // skip (outside CI) before starting anything when it cannot be had
	body := daemonMetrics(t)

	t.Run("promtool check metrics", func(t *testing.T) {
		out, err := runPromtool(t, ".", strings.NewReader(body), "check", "metrics")
		if err != nil || strings.TrimSpace(out) != "" {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	})

	t.Run("rules and dashboard query exported metrics", func(t *testing.T) {
		p := expfmt.NewTextParser(model.UTF8Validation)
		families, err := p.TextToMetricFamilies(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		exported := map[string]bool{}
		for name, f := range families {
			exported[name] = true
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM:
				exported[name+"_bucket"], exported[name+"_sum"], exported[name+"_count"] = true, true, true
			case dto.MetricType_SUMMARY:
				exported[name+"_sum"], exported[name+"_count"] = true, true
			}
		}
		used := map[string][]string{} // metric → where
		for where, expr := range ruleExprs(t) {
			for _, m := range metricNames(t, where, expr) {
				used[m] = append(used[m], where)
			}
		}
		for where, expr := range dashboardExprs(t) {
			for _, m := range metricNames(t, where, expr) {
				used[m] = append(used[m], where)
			}
		}
		if len(used) < 10 {
			t.Fatalf("only %d metric names found in the rules and the dashboard: the extraction is broken", len(used))
		}
		for m, where := range used {
			if !exported[m] && !slices.Contains(madeByPrometheus, m) {
				slices.Sort(where)
				t.Errorf("%s is not exported by the daemon; used in %s", m, strings.Join(where, "; "))
			}
		}
		for name := range families {
			if strings.HasPrefix(name, "gongsync_") && used[name] == nil && used[name+"_bucket"] == nil && used[name+"_sum"] == nil {
				t.Logf("note: %s is in neither the rules nor the dashboard", name)
			}
		}
	})
}

// The rules pass promtool's checks and its unit tests of every alert.
func TestAlertRules(t *testing.T) {
	t.Parallel()
	if out, err := runPromtool(t, ".", nil, "check", "rules", rulesFile); err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
	if out, err := runPromtool(t, "prometheus", nil, "test", "rules", rulesTestFile); err != nil {
		t.Errorf("promtool test rules: %v\n%s", err, out)
	}
}

// Every alert says what it is and where its runbook is, a section that exists in
// docs/OPERATIONS.md, and is unit-tested both firing and quiet.
func TestAlertRulesSayWhatToDo(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#+ +(.+)$`).FindAllStringSubmatch(string(doc), -1) {
		anchors[githubAnchor(m[1])] = true
	}
	tests, err := os.ReadFile("prometheus/" + rulesTestFile)
	if err != nil {
		t.Fatal(err)
	}
	rf := readRules(t)
	alerts := 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if r.Labels["severity"] != "critical" && r.Labels["severity"] != "warning" {
				t.Errorf("%s: severity %q, want critical or warning", r.Alert, r.Labels["severity"])
			}
			for _, a := range []string{"summary", "description", "runbook_url"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("%s: no %s", r.Alert, a)
				}
			}
			const prefix = "https://github.com/gongsync/gongsync/blob/main/docs/OPERATIONS.md#"
			if anchor, ok := strings.CutPrefix(r.Annotations["runbook_url"], prefix); !ok || !anchors[anchor] {
				t.Errorf("%s: runbook_url %q is not a section of docs/OPERATIONS.md", r.Alert, r.Annotations["runbook_url"])
			}
			// promtool test rules passes for alerts it was never asked about: each must
			// be tested firing and quiet.
			fires := regexp.MustCompile(`alertname: ` + r.Alert + `\n\s+exp_alerts:\n\s+- exp_labels`)
			quiet := regexp.MustCompile(`alertname: ` + r.Alert + `\n\s+exp_alerts: \[\]`)
			if !fires.Match(tests) || !quiet.Match(tests) {
				t.Errorf("%s: %s must test it both firing and not firing", r.Alert, rulesTestFile)
			}
		}
	}
	if alerts < 7 {
		t.Errorf("%d alerts, want the 7 of issue 19", alerts)
	}
}

// The dashboard is one Grafana can load: unique panel ids, every panel on the data
// source variable, every query valid PromQL, and the panels operators asked for.
func TestDashboard(t *testing.T) {
	t.Parallel()
	d := readDashboard(t)
	ids := map[float64]string{}
	var walk func(panels []map[string]any)
	titles := map[string]bool{}
	walk = func(panels []map[string]any) {
		for _, p := range panels {
			title, _ := p["title"].(string)
			id, _ := p["id"].(float64)
			if prev, dup := ids[id]; dup || id == 0 {
				t.Errorf("panel %q: id %v already used by %q (or missing)", title, id, prev)
			}
			ids[id] = title
			titles[title] = true
			gp, _ := p["gridPos"].(map[string]any)
			if x, w := gp["x"].(float64), gp["w"].(float64); w == 0 || x+w > 24 {
				t.Errorf("panel %q: gridPos %v does not fit Grafana's 24 columns", title, gp)
			}
			if p["type"] == "row" {
				walk(asPanels(p["panels"]))
				continue
			}
			if ds, _ := p["datasource"].(map[string]any); ds["uid"] != "${datasource}" {
				t.Errorf("panel %q: data source %v, want the ${datasource} variable", title, p["datasource"])
			}
			targets, _ := p["targets"].([]any)
			if len(targets) == 0 {
				t.Errorf("panel %q has no query", title)
			}
			for _, tg := range targets {
				m, _ := tg.(map[string]any)
				if ref, _ := m["refId"].(string); ref == "" {
					t.Errorf("panel %q: query without refId: %v", title, m)
				}
				if expr, _ := m["expr"].(string); expr == "" {
					t.Errorf("panel %q: query without expr: %v", title, m)
				}
			}
		}
	}
	walk(asPanels(d["panels"]))
	for _, want := range []string{"Budget used and left", "Requests to Gong by endpoint and status", "Rows written per stream",
		"Run durations", "Lag", "Late, changed, deleted and restored calls found", "Transcript backlog"} {
		if !titles[want] {
			t.Errorf("no panel %q", want)
		}
	}
	// Parsing is the check: metricNames fails the test on invalid PromQL.
	for where, expr := range dashboardExprs(t) {
		metricNames(t, where, expr)
	}
}

// githubAnchor is the fragment GitHub gives a Markdown heading.
func githubAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

type ruleFile struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Alert       string            `json:"alert"`
			Record      string            `json:"record"`
			Expr        string            `json:"expr"`
			For         string            `json:"for"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"rules"`
	} `json:"groups"`
}

func readRules(t *testing.T) ruleFile {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.UnmarshalStrict(b, &rf); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	return rf
}

// ruleExprs returns every rule's expression, by "file: alert".
func ruleExprs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			out[rulesFile+": "+r.Alert+r.Record] = r.Expr
		}
	}
	return out
}

func readDashboard(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

func asPanels(v any) []map[string]any {
	list, _ := v.([]any)
	var out []map[string]any
	for _, p := range list {
		if m, ok := p.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// grafanaVar is a Grafana variable in a query: $name, ${name} or ${name:format}.
var grafanaVar = regexp.MustCompile(`\$(?:\{(\w+)(?::\w+)?\}|(\w+))`)

// labelValues is a query variable's label_values(selector, label).
var labelValues = regexp.MustCompile(`^\s*label_values\((.+),\s*\w+\s*\)\s*$`)

// dashboardExprs returns the dashboard's PromQL, by "file: panel title" (or variable),
// with Grafana's variables replaced by values PromQL accepts.
func dashboardExprs(t *testing.T) map[string]string {
	t.Helper()
	d := readDashboard(t)
	out := map[string]string{}
	var walk func(panels []map[string]any)
	walk = func(panels []map[string]any) {
		for _, p := range panels {
			walk(asPanels(p["panels"]))
			targets, _ := p["targets"].([]any)
			for i, tg := range targets {
				m, _ := tg.(map[string]any)
				if expr, _ := m["expr"].(string); expr != "" {
					out[dashboardFile+": panel "+p["title"].(string)+" query "+string(rune('A'+i))] = expr
				}
			}
		}
	}
	walk(asPanels(d["panels"]))
	templating, _ := d["templating"].(map[string]any)
	for _, v := range asPanels(templating["list"]) {
		if v["type"] != "query" {
			continue
		}
		q, _ := v["query"].(string)
		if m, ok := v["query"].(map[string]any); ok {
			q, _ = m["query"].(string)
		}
		if lv := labelValues.FindStringSubmatch(q); lv != nil {
			q = lv[1]
		}
		out[dashboardFile+": variable "+v["name"].(string)] = q
	}
	for k, expr := range out {
		out[k] = grafanaVar.ReplaceAllStringFunc(expr, func(s string) string {
			m := grafanaVar.FindStringSubmatch(s)
			switch m[1] + m[2] {
			case "__rate_interval", "__interval", "__range":
				return "5m"
			case "__range_s", "__interval_ms":
				return "300"
			}
			return "value" // a label value, inside a matcher's quotes
		})
	}
	return out
}

// metricNames parses expr as PromQL and returns the metric names it selects.
func metricNames(t *testing.T, where, expr string) []string {
	t.Helper()
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		t.Errorf("%s: not valid PromQL: %v\n%s", where, err, expr)
		return nil
	}
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		for _, m := range vs.LabelMatchers {
			if m.Name == model.MetricNameLabel && name == "" {
				name = m.Value
			}
		}
		if name == "" {
			t.Errorf("%s: a selector without a metric name: %s", where, vs)
			return nil
		}
		names = append(names, name)
		return nil
	})
	return names
}

// A deployment of many connections reads the dashboard by company: a connection
// variable (all by default, which also matches a single installation's series, which
// have no such label) narrows every query of a per-connection metric.
func TestDashboardHasAConnectionVariable(t *testing.T) {
	t.Parallel()
	d := readDashboard(t)
	templating, _ := d["templating"].(map[string]any)
	var conn map[string]any
	for _, v := range asPanels(templating["list"]) {
		if v["name"] == "connection" {
			conn = v
		}
	}
	if conn == nil || conn["includeAll"] != true || conn["allValue"] != ".*" || conn["multi"] != true {
		t.Fatalf("no connection variable offering all connections (allValue .*): %v", conn)
	}
	for where, expr := range dashboardExprs(t) {
		e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
		if err != nil {
			continue // TestDashboard reports it
		}
		parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
			vs, ok := n.(*parser.VectorSelector)
			// The build and the registry's gauge are the process's, not a connection's.
			if !ok || !strings.HasPrefix(vs.Name, "gongsync_") || vs.Name == "gongsync_build_info" || vs.Name == "gongsync_connections" ||
				strings.HasSuffix(where, "variable connection") {
				return nil
			}
			if !slices.ContainsFunc(vs.LabelMatchers, func(m *labels.Matcher) bool { return m.Name == "connection" }) {
				t.Errorf("%s: %s is not narrowed by $connection", where, vs)
			}
			return nil
		})
	}
}
