package main

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gongsync/gongsync/internal/config"
)

// docs/OPERATIONS.md and the Kubernetes manifests' comments say what the code does:
// every command they name exists, the secrets' key can be rotated with its command,
// registry deployments are described, schedules are read in GONGSYNC_SCHEDULE_TZ, and
// every variable they name is a setting.
func TestOperationsGuideAgreesWithTheCode(t *testing.T) {
	t.Parallel()
	ops := readRoot(t, "docs/OPERATIONS.md")
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	for _, m := range regexp.MustCompile("`gongsync ([a-z-]+)").FindAllStringSubmatch(ops, -1) {
		if !slices.Contains(names, m[1]) {
			t.Errorf("docs/OPERATIONS.md names `gongsync %s`, which is no command", m[1])
		}
	}
	for _, want := range []string{"gongsync rotate-key", "GONGSYNC_ENCRYPTION_KEY_OLD", "gongsync connections add", "GONGSYNC_WORKERS",
		"GONGSYNC_SCHEDULE_TZ"} {
		if !strings.Contains(ops, want) {
			t.Errorf("docs/OPERATIONS.md does not mention %s", want)
		}
	}
	for _, wrong := range []string{"no command that re-seals", "in the process's time zone"} {
		if strings.Contains(ops, wrong) {
			t.Errorf("docs/OPERATIONS.md still says %q", wrong)
		}
	}
	texts := map[string]string{"docs/OPERATIONS.md": ops}
	manifests, _ := filepath.Glob("../../deploy/kubernetes/*.yaml")
	for _, f := range manifests {
		name := strings.TrimPrefix(f, "../../")
		texts[name] = readRoot(t, name)
	}
	for name, text := range texts {
		vars := regexp.MustCompile(`\b(?:GONGSYNC|GONG)_[A-Z0-9_]*[A-Z0-9]\b`).FindAllString(text, -1)
		for _, u := range config.UnknownVariables(vars) {
			t.Errorf("%s names %s, which is no setting (did you mean %v?)", name, u.Name, u.Nearest)
		}
	}
	// The manifests' comments: replicas for a registry, and what the key seals.
	if d := texts["deploy/kubernetes/deployment.yaml"]; !strings.Contains(d, "registry") || !strings.Contains(d, "worker") {
		t.Error("deployment.yaml's replicas comment says nothing of a registry's workers, which config.yaml says to scale")
	}
	if s := texts["deploy/kubernetes/secret.example.yaml"]; !strings.Contains(s, "registry") || !strings.Contains(s, "rotate-key") {
		t.Error("secret.example.yaml ties GONGSYNC_ENCRYPTION_KEY to OAuth only")
	}
	if c := texts["deploy/kubernetes/config.yaml"]; strings.Contains(c, "container's time zone") {
		t.Error("config.yaml says the schedules run in the container's time zone")
	}
}

// Every `make` target the README names is one the Makefile lists in `make help`, and
// the README says what `make test` costs and which target is the inner loop.
func TestReadmeMakeTargetsExist(t *testing.T) {
	t.Parallel()
	makefile := readRoot(t, "Makefile")
	readme := readRoot(t, "README.md")
	targets := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-zA-Z_-]+):.*## `).FindAllStringSubmatch(makefile, -1) {
		targets[m[1]] = true
	}
	// A target is named in code: `make x` in the text, or a line of a block starting with it.
	for _, m := range regexp.MustCompile("(?m)(?:`|^)make ([a-z][a-z-]*)").FindAllStringSubmatch(readme, -1) {
		if !targets[m[1]] && m[1] != "help" {
			t.Errorf("README.md names `make %s`, which the Makefile does not list", m[1])
		}
	}
	_, twoCommands, _ := strings.Cut(readme, "## Two commands")
	twoCommands, _, _ = strings.Cut(twoCommands, "\n## ")
	if !strings.Contains(twoCommands, "several minutes on 2 cores") || !strings.Contains(twoCommands, "make test-short") {
		t.Error("README.md's \"Two commands\" does not say that make test takes several minutes and make test-short is the inner loop")
	}
}
