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
	l := Register(fs, groups).WithEnv(env)
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

func TestEmptyEnvironmentValueTurnsServerOff(t *testing.T) {
	env := map[string]string{"GONGSYNC_HTTP_ADDR": ""}
	c, err := load(t, Daemon, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "" {
		t.Fatalf("http addr %q", c.HTTPAddr)
	}
}

func TestWebhookNeedsAuthentication(t *testing.T) {
	_, err := load(t, Daemon, map[string]string{"GONGSYNC_WEBHOOK_ADDR": ":8090"})
	if err == nil || !strings.Contains(err.Error(), "could not be authenticated") {
		t.Fatalf("err = %v", err)
	}
}

// The README's configuration table is what users read: it must list every setting
// with its default.
func TestReadmeListsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, s := range Settings() {
		def := "–"
		if s[2] != "" {
			def = "`" + s[2] + "`"
		}
		row := "| `" + s[0] + "` | `" + s[1] + "` | " + def + " |"
		if !strings.Contains(readme, row) {
			t.Errorf("README.md lacks the row for %s: %s", s[0], row)
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
