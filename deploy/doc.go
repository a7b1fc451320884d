// Package deploy holds what operators run gongsync with — Prometheus alert rules
// (prometheus/), a Grafana dashboard (grafana/) and Kubernetes manifests
// (kubernetes/) — and, in its tests, the checks that keep them true to the daemon:
// a running `gongsync run` is scraped and its metrics pass `promtool check metrics`;
// every metric the rules and the dashboard query is one that scrape exports; the
// manifests decode strictly into Kubernetes' own API types and set only environment
// variables gongsync reads. It has no code of its own.
package deploy
