package main

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/gongsync/gongsync/internal/config"
)

// There is no Docker engine here: these tests read the packaging files as Docker
// and Compose would and check what they promise.

func readRoot(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// composeFile is the part of docker-compose.yml the tests look at.
type composeFile struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build struct {
			Context string            `yaml:"context"`
			Args    map[string]string `yaml:"args"`
		} `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		EnvFile     any               `yaml:"env_file"`
		Ports       []string          `yaml:"ports"`
		Restart     string            `yaml:"restart"`
		Healthcheck *struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
}

// The build context leaves out .git, bin/ and env files; everything the build needs
// is in it.
func TestDockerignore(t *testing.T) {
	t.Parallel()
	var patterns []string
	sc := bufio.NewScanner(strings.NewReader(readRoot(t, ".dockerignore")))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			if strings.HasPrefix(l, "!") || strings.Contains(l, "**") {
				t.Fatalf("pattern %q: this test matches plain patterns only", l)
			}
			patterns = append(patterns, l)
		}
	}
	ignored := func(path string) bool {
		for _, p := range patterns {
			// Docker matches a pattern against the path and, for a directory, all below it.
			for prefix := path; prefix != "."; prefix = filepath.Dir(prefix) {
				if ok, _ := filepath.Match(p, prefix); ok {
					return true
				}
			}
		}
		return false
	}
	for _, p := range []string{".git", ".git/HEAD", "bin/gongsync", ".env", "prod.env"} {
		if !ignored(p) {
			t.Errorf("%s is sent to the Docker build", p)
		}
	}
	for _, p := range []string{"go.mod", "go.sum", "cmd/gongsync/main.go", "migrations/00001_init.sql", "gongapi/client.go", "internal/config/config.go"} {
		if ignored(p) {
			t.Errorf("%s is left out of the Docker build, which needs it", p)
		}
	}
}

// The image checks its own health with gongsync (it has no shell or HTTP client) and
// runs as a non-root user.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	df := readRoot(t, "Dockerfile")
	if !regexp.MustCompile(`(?m)^HEALTHCHECK .*CMD \["/usr/local/bin/gongsync", "healthcheck"\]$`).MatchString(df) {
		t.Error("no HEALTHCHECK running gongsync healthcheck")
	}
	if !regexp.MustCompile(`(?m)^USER nonroot`).MatchString(df) || !regexp.MustCompile(`(?m)^EXPOSE 9090 8090$`).MatchString(df) {
		t.Error("the image should run as nonroot and expose 9090 and 8090")
	}
}

// docker-compose.yml: gongsync has a health check and a bounded restart policy (and
// the file says how to see why it stopped); Postgres is not published on the host;
// the password comes from the env file, as do Gong's credentials, whichever way
// (access key or OAuth); the webhook port is published.
func TestComposeFile(t *testing.T) {
	t.Parallel()
	text := readRoot(t, "docker-compose.yml")
	var c composeFile
	if err := yaml.Unmarshal([]byte(text), &c); err != nil {
		t.Fatal(err)
	}
	pg, gs := c.Services["postgres"], c.Services["gongsync"]
	if len(pg.Ports) != 0 {
		t.Errorf("postgres publishes %v on the host", pg.Ports)
	}
	if pw := pg.Environment["POSTGRES_PASSWORD"]; !strings.HasPrefix(pw, "${POSTGRES_PASSWORD:?") {
		t.Errorf("POSTGRES_PASSWORD is %q, not taken from the env file", pw)
	}
	if u := gs.Environment["DATABASE_URL"]; !strings.Contains(u, "${POSTGRES_PASSWORD") {
		t.Errorf("DATABASE_URL is %q: the password is not the env file's", u)
	}
	if gs.EnvFile != ".env" {
		t.Errorf("gongsync's env_file is %v, want .env", gs.EnvFile)
	}
	for k, v := range gs.Environment {
		if strings.HasPrefix(k, "GONG_") && strings.Contains(v, ":?") {
			t.Errorf("%s is required by the compose file, so OAuth users cannot leave it out", k)
		}
	}
	if gs.Healthcheck == nil || !slices.Equal(gs.Healthcheck.Test, []string{"CMD", "/usr/local/bin/gongsync", "healthcheck"}) {
		t.Errorf("gongsync's health check: %+v", gs.Healthcheck)
	}
	if !regexp.MustCompile(`^on-failure:[1-9][0-9]?$`).MatchString(gs.Restart) {
		t.Errorf("gongsync restarts %q: a configuration error would restart it forever", gs.Restart)
	}
	if !strings.Contains(text, "docker compose logs gongsync") {
		t.Error("the file does not say how to see why gongsync stopped")
	}
	if !slices.Contains(gs.Ports, "127.0.0.1:8090:8090") || !slices.Contains(gs.Ports, "127.0.0.1:9090:9090") {
		t.Errorf("gongsync publishes %v; want the ops port and the webhook port", gs.Ports)
	}
	if gs.Environment["GONGSYNC_HTTP_ADDR"] != "0.0.0.0:9090" {
		t.Errorf("GONGSYNC_HTTP_ADDR is %q: the published port would reach nothing", gs.Environment["GONGSYNC_HTTP_ADDR"])
	}
}

// .env.example names only variables gongsync (or the compose file) reads, offers both
// ways to authenticate, and says how to make each secret.
func TestEnvExample(t *testing.T) {
	t.Parallel()
	known := map[string]bool{"POSTGRES_PASSWORD": true}
	for _, s := range config.Settings() {
		known[s.Env] = true
	}
	text := readRoot(t, ".env.example")
	var vars []string
	for _, l := range strings.Split(text, "\n") {
		if k, _, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
			if !known[k] {
				t.Errorf(".env.example sets %s, which nothing reads", k)
			}
			vars = append(vars, k)
		}
	}
	for _, want := range []string{"POSTGRES_PASSWORD", "GONG_ACCESS_KEY", "GONG_ACCESS_KEY_SECRET", "GONG_OAUTH_CLIENT_ID",
		"GONG_OAUTH_CLIENT_SECRET", "GONGSYNC_ENCRYPTION_KEY", "GONGSYNC_WEBHOOK_TOKEN", "GONGSYNC_WEBHOOK_ADDR"} {
		if !slices.Contains(vars, want) {
			t.Errorf(".env.example lacks %s", want)
		}
	}
	if strings.Count(text, "openssl rand -hex 32") < 2 {
		t.Error(".env.example does not say how to make the encryption key and the webhook token (openssl rand -hex 32)")
	}
	for _, f := range []string{".gitignore", ".dockerignore"} {
		if !regexp.MustCompile(`(?m)^\.env$`).MatchString(readRoot(t, f)) {
			t.Errorf("%s does not keep .env out", f)
		}
	}
}

// The image compose builds is stamped with the checkout's version and commit: .git is
// not in the build context, so every ARG of the Dockerfile is a build argument of the
// compose file, taken from the variable of the same name, and `make compose` sets
// those from git as `make build` does.
func TestComposeBuildStampsTheVersion(t *testing.T) {
	t.Parallel()
	var c composeFile
	if err := yaml.Unmarshal([]byte(readRoot(t, "docker-compose.yml")), &c); err != nil {
		t.Fatal(err)
	}
	build := c.Services["gongsync"].Build
	if build.Context != "." {
		t.Errorf("gongsync's build context is %q, want .", build.Context)
	}
	args := regexp.MustCompile(`(?m)^ARG ([A-Z_]+)$`).FindAllStringSubmatch(readRoot(t, "Dockerfile"), -1)
	if len(args) == 0 {
		t.Fatal("the Dockerfile has no ARG: how would the image learn its version?")
	}
	makefile := readRoot(t, "Makefile")
	recipe := regexp.MustCompile(`(?m)^compose:.*\n\t(.*)$`).FindStringSubmatch(makefile)
	if recipe == nil || !strings.Contains(recipe[1], "docker compose up") {
		t.Fatalf("the Makefile has no compose target running docker compose up")
	}
	for _, a := range args {
		if v := build.Args[a[1]]; v != "${"+a[1]+":-}" {
			t.Errorf("compose passes the build argument %s as %q, want ${%s:-}", a[1], v, a[1])
		}
		if !strings.Contains(recipe[1], a[1]+"='$("+a[1]+")'") {
			t.Errorf("make compose does not set %s from the Makefile's: %s", a[1], recipe[1])
		}
	}
}
