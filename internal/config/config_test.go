package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, groups Group, env map[string]string, args ...string) (*Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	l := Register(fs, groups, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse: %v", err)
	}
	return l.Load()
}

var goodEnv = map[string]string{
	"DATABASE_URL":           "postgres://u:hunter2@localhost/db",
	"GONG_ACCESS_KEY":        "AK",
	"GONG_ACCESS_KEY_SECRET": "s3cr3t-value",
}

func TestDefaults(t *testing.T) {
	c, err := load(t, Database|Gong|Budget|Sync|Daemon, goodEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Schema != "gong" || c.GongBaseURL != "https://api.gong.io" || c.RateLimit != 3 ||
		c.DailyBudget != 9500 || c.BackfillShare != 0.8 || c.BudgetTZ != time.UTC ||
		c.Overlap != 3*time.Hour || c.SettleWindow != 168*time.Hour || c.UsersMaxAge != 6*time.Hour ||
		c.ScheduleCalls != "*/15 * * * *" || c.HTTPAddr != "127.0.0.1:9090" || c.AuthMode() != "basic" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	env := map[string]string{"GONGSYNC_SCHEMA": "from_env", "GONG_DAILY_BUDGET": "100"}
	for k, v := range goodEnv {
		env[k] = v
	}
	c, err := load(t, Database|Gong|Budget, env, "--schema", "from_flag")
	if err != nil {
		t.Fatal(err)
	}
	if c.Schema != "from_flag" || c.DailyBudget != 100 {
		t.Fatalf("schema=%q budget=%d", c.Schema, c.DailyBudget)
	}
}

func TestEveryProblemReportedAtOnce(t *testing.T) {
	env := map[string]string{
		"GONGSYNC_SCHEMA":         "bad-schema; drop",
		"GONG_DAILY_BUDGET":       "-5",
		"GONGSYNC_SCHEDULE_CALLS": "every now and then",
		"GONG_BASE_URL":           "not a url",
		"GONGSYNC_BUDGET_TZ":      "Mars/Olympus",
		"GONG_BACKFILL_SHARE":     "1.5",
	}
	_, err := load(t, Database|Gong|Budget|Sync|Daemon, env)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"DATABASE_URL", "GONGSYNC_SCHEMA", "GONG_DAILY_BUDGET", "GONGSYNC_SCHEDULE_CALLS",
		"GONG_BASE_URL", "GONGSYNC_BUDGET_TZ", "GONG_BACKFILL_SHARE", "no Gong credentials"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not mention %s:\n%s", want, msg)
		}
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "postgres://u:hunter2@localhost/db", "GONG_ACCESS_KEY": "AK",
		"GONG_ACCESS_KEY_SECRET": "s3cr3t-value", "GONGSYNC_WEBHOOK_TOKEN": "tok-value-0123456789abcdef-0123456789", "GONGSYNC_WEBHOOK_ADDR": "bad"}
	_, err := load(t, Database|Gong|Daemon, env)
	if err == nil {
		t.Fatal("want an error for the webhook address")
	}
	c, err2 := load(t, Database|Gong, goodEnv)
	if err2 != nil {
		t.Fatal(err2)
	}
	for _, out := range []string{err.Error(), fmtAll(c)} {
		for _, secret := range []string{"hunter2", "s3cr3t-value", "tok-value-0123456789abcdef-0123456789"} {
			if strings.Contains(out, secret) {
				t.Errorf("secret %q printed in %q", secret, out)
			}
		}
	}
	if c.AccessKeySecret.Reveal() != "s3cr3t-value" {
		t.Fatal("Reveal lost the value")
	}
}

func fmtAll(c *Config) string {
	var b strings.Builder
	b.WriteString(strings.Join([]string{c.DatabaseURL.String(), c.AccessKeySecret.String()}, " "))
	b.WriteString(" ")
	b.WriteString(strings.ReplaceAll(strings.TrimSpace(fmt.Sprintf("%v %+v %#v", c, c, c)), "\n", " "))
	return b.String()
}

// An empty value is no value, for every variable: the default applies. Turning a
// server off takes the word off.
func TestEmptyValueIsNoValue(t *testing.T) {
	t.Parallel()
	all := Database | Gong | Budget | Sync | Daemon
	want, err := load(t, all, goodEnv)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings() {
		env := map[string]string{s.Env: ""}
		for k, v := range goodEnv {
			if k != s.Env {
				env[k] = v
			}
		}
		if _, ok := goodEnv[s.Env]; ok {
			continue // required, or part of the credentials: empty is "missing", tested below
		}
		c, err := load(t, all, env)
		if err != nil {
			t.Errorf("%s= (empty): %v", s.Env, err)
			continue
		}
		if fmt.Sprintf("%+v", c) != fmt.Sprintf("%+v", want) {
			t.Errorf("%s= (empty) is not the default:\n%+v\n%+v", s.Env, c, want)
		}
		// An empty flag too.
		if s.Kind != "" {
			if c, err := load(t, all, goodEnv, s.Flag+"="); err != nil || fmt.Sprintf("%+v", c) != fmt.Sprintf("%+v", want) {
				t.Errorf("%s= (empty flag): %v", s.Flag, err)
			}
		}
	}
	if c, err := load(t, Gong, map[string]string{"GONG_BASE_URL": "", "GONG_ACCESS_KEY": "k", "GONG_ACCESS_KEY_SECRET": "s"}); err != nil ||
		c.GongBaseURL != "https://api.gong.io" {
		t.Errorf("GONG_BASE_URL= : %v, %v", c, err)
	}
	if _, err := load(t, Database, map[string]string{"DATABASE_URL": ""}); err == nil || !strings.Contains(err.Error(), "is required") {
		t.Errorf("DATABASE_URL= : %v", err)
	}
	for v, addr := range map[string]string{"off": "", "OFF": "", "": "127.0.0.1:9090", ":9191": ":9191"} {
		c, err := load(t, HTTP, map[string]string{"GONGSYNC_HTTP_ADDR": v})
		if err != nil || c.HTTPAddr != addr {
			t.Errorf("GONGSYNC_HTTP_ADDR=%s: %q, %v; want %q", v, c.HTTPAddr, err, addr)
		}
	}
	if c, err := load(t, HTTP, nil, "--http-addr", "off"); err != nil || c.HTTPAddr != "" {
		t.Errorf("--http-addr off: %v, %v", c, err)
	}
}

// A database URL that can never work is a configuration error, whatever its form;
// the password is never repeated.
func TestDatabaseURLIsChecked(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"not a url", "mysql://me:hunter2@localhost/db", "postgres://me:hunter2@localhost:port/db",
		"host=x port=y password=hunter2"} {
		_, err := load(t, Database, map[string]string{"DATABASE_URL": bad})
		if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
			t.Errorf("DATABASE_URL=%q accepted: %v", bad, err)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the password is in %q", err)
		}
	}
	for _, good := range []string{"postgres://u:p@localhost:5432/db?sslmode=disable", "postgresql://localhost/db",
		"host=/var/run/postgresql dbname=gong", "postgres://u@/db?host=/tmp"} {
		if _, err := load(t, Database, map[string]string{"DATABASE_URL": good}); err != nil {
			t.Errorf("DATABASE_URL=%q: %v", good, err)
		}
	}
}

// The schema name is checked by the store's one rule when the configuration loads.
func TestSchemaNameRule(t *testing.T) {
	t.Parallel()
	for name, ok := range map[string]bool{"gong": true, "gong_2": true, "information_schema": false, "pg_temp": false,
		"pg_gong": false, "Gong": false, "select": false, "gong-sync": false} {
		_, err := load(t, Database, map[string]string{"DATABASE_URL": "postgres://localhost/x", "GONGSYNC_SCHEMA": name})
		if (err == nil) != ok {
			t.Errorf("GONGSYNC_SCHEMA=%s: %v; want ok=%v", name, err, ok)
		}
	}
}

func TestScheduleTimeZone(t *testing.T) {
	t.Parallel()
	c, err := load(t, Schedule, nil)
	if err != nil || c.ScheduleTZ != time.UTC {
		t.Fatalf("default: %v, %v", c, err)
	}
	c, err = load(t, Schedule, map[string]string{"GONGSYNC_SCHEDULE_TZ": "Europe/Paris"})
	if err != nil || c.ScheduleTZ.String() != "Europe/Paris" {
		t.Fatalf("Europe/Paris: %v, %v", c, err)
	}
	for _, bad := range []string{"Mars/Olympus", "Local"} {
		if _, err := load(t, Schedule, map[string]string{"GONGSYNC_SCHEDULE_TZ": bad}); err == nil {
			t.Errorf("GONGSYNC_SCHEDULE_TZ=%s accepted", bad)
		}
	}
}

// GONGSYNC_FRESHNESS unset keeps the calls schedule (0); set, it is a duration of at
// least 10s, and GONGSYNC_FRESHNESS_SHARE a share, 0.35 by default.
func TestFreshness(t *testing.T) {
	t.Parallel()
	c, err := load(t, Schedule, nil)
	if err != nil || c.Freshness != 0 || c.FreshnessShare != 0.35 {
		t.Fatalf("default: %v, %v", c, err)
	}
	c, err = load(t, Schedule, map[string]string{"GONGSYNC_FRESHNESS": "2m", "GONGSYNC_FRESHNESS_SHARE": "0.5"})
	if err != nil || c.Freshness != 2*time.Minute || c.FreshnessShare != 0.5 {
		t.Fatalf("2m at 0.5: %v, %v", c, err)
	}
	for env, bad := range map[string]string{"GONGSYNC_FRESHNESS": "5s", "GONGSYNC_FRESHNESS_SHARE": "1.5"} {
		if _, err := load(t, Schedule, map[string]string{env: bad}); err == nil {
			t.Errorf("%s=%s accepted", env, bad)
		}
	}
	if u := UnknownVariables([]string{"GONGSYNC_FRESHNESS", "GONGSYNC_FRESHNESS_SHARE"}); len(u) != 0 {
		t.Errorf("declared settings called unknown: %v", u)
	}
}

func TestWebhookNeedsAuthentication(t *testing.T) {
	_, err := load(t, Daemon, map[string]string{"GONGSYNC_WEBHOOK_ADDR": ":8090"})
	if err == nil || !strings.Contains(err.Error(), "could not be authenticated") {
		t.Fatalf("err = %v", err)
	}
}

// The README's configuration table is what users read: it must list every setting
// with its flag, default and meaning exactly as --help gives them.
func TestReadmeListsEverySetting(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, s := range Settings() {
		def := "–"
		if s.Default != "" {
			def = "`" + s.Default + "`"
		}
		row := "| `" + s.Env + "` | `" + s.Flag + "` | " + def + " | " + s.Usage + " |"
		if !strings.Contains(readme, row+"\n") {
			t.Errorf("README.md lacks the row for %s: %s", s.Env, row)
		}
	}
}

func TestWebhookTokenAndKeyWithLineBreaksAreRefused(t *testing.T) {
	const good = "0123456789abcdef0123456789abcdef"
	for name, env := range map[string]map[string]string{
		"token with a CR":      {"GONGSYNC_WEBHOOK_TOKEN": good[:16] + "\r" + good[16:]},
		"token with a LF":      {"GONGSYNC_WEBHOOK_TOKEN": good[:16] + "\n" + good[16:]},
		"token of 5":           {"GONGSYNC_WEBHOOK_TOKEN": "abcde"},
		"key with a LF inside": {"GONGSYNC_WEBHOOK_PUBLIC_KEY": "MIIBIjANBgkqhkiG9w0BAQEF\nAAOCAQ8AMIIBCgKCAQEA", "GONGSYNC_WEBHOOK_URL": "https://x.example/h"},
	} {
		for k, v := range goodEnv {
			env[k] = v
		}
		env["GONGSYNC_WEBHOOK_ADDR"] = ":8090"
		_, err := load(t, Database|Gong|Daemon, env)
		var cerr *Error
		if !errors.As(err, &cerr) {
			t.Errorf("%s: accepted (%v)", name, err)
			continue
		}
		if tok := env["GONGSYNC_WEBHOOK_TOKEN"]; tok != "" && strings.Contains(err.Error(), tok) {
			t.Errorf("%s: the error quotes the token", name)
		}
	}
	env := map[string]string{"GONGSYNC_WEBHOOK_TOKEN": good, "GONGSYNC_WEBHOOK_ADDR": ":8090"}
	for k, v := range goodEnv {
		env[k] = v
	}
	if _, err := load(t, Database|Gong|Daemon, env); err != nil {
		t.Errorf("a 32-character token: %v", err)
	}
}

// A setting given but refused is one problem, not also "missing" to the rules that
// need it: GONGSYNC_ACTIONS_TOKEN=short says the token is too short, and only that.
func TestRefusedSettingIsReportedOnce(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"GONGSYNC_ACTIONS_ADDR": "127.0.0.1:8091", "GONGSYNC_ACTIONS_TOKEN": "short"}, "GONGSYNC_ACTIONS_TOKEN"},
		{map[string]string{"GONGSYNC_WEBHOOK_ADDR": "127.0.0.1:8090", "GONGSYNC_WEBHOOK_TOKEN": "short"}, "GONGSYNC_WEBHOOK_TOKEN"},
	} {
		env := map[string]string{}
		for k, v := range goodEnv {
			env[k] = v
		}
		for k, v := range tc.env {
			env[k] = v
		}
		_, err := load(t, Database|Gong|Daemon|Actions, env)
		var ce *Error
		if !errors.As(err, &ce) || len(ce.Problems) != 1 || !strings.Contains(ce.Problems[0].Error(), tc.want) {
			t.Errorf("%v: want one problem about %s, got %v", tc.env, tc.want, err)
		}
	}
}

// A variable named like a setting that is none is reported with the nearest names;
// the settings and the variables gongsync reads elsewhere (tests, rotate-key) are not.
func TestUnknownVariables(t *testing.T) {
	names := []string{"GONGSYNC_SHEDULE_CALLS", "GONG_ACCES_KEY", "GONGSYNC_SCHEMA", "GONG_ACCESS_KEY", "GONGSYNC_ENCRYPTION_KEY_OLD",
		"GONGSYNC_BE_MAIN", "GONGSYNC_SOAK", "GONGSYNC_CPUPROFILE", "GONGSYNC_BENCH_OUT", "GONGSYNC_DEMO_REAPER", "GONG_OPENAPI",
		"GONGSYNC_ZZZ", "HOME", "GONGX"}
	got := UnknownVariables(names)
	want := []UnknownVariable{
		{Name: "GONGSYNC_SHEDULE_CALLS", Nearest: []string{"GONGSYNC_SCHEDULE_CALLS"}},
		{Name: "GONGSYNC_ZZZ"},
		{Name: "GONG_ACCES_KEY", Nearest: []string{"GONG_ACCESS_KEY"}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("UnknownVariables = %v, want %v", got, want)
	}
}
