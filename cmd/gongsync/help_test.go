package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gongsync/gongsync/internal/config"
)

// helpCommands is every command and subcommand that has flags.
func helpCommands() [][]string {
	var out [][]string
	for _, c := range commands() {
		if len(c.subs) == 0 {
			out = append(out, []string{c.name})
		}
		for _, sub := range c.subs {
			out = append(out, []string{c.name, sub})
		}
	}
	return out
}

// helpFlag is a flag as --help shows it: "  --name kind  ($VAR, default x)" and its
// meaning on the next line.
type helpFlag struct{ name, kind, env, def, usage string }

var helpFlagLine = regexp.MustCompile(`^  --?([a-zA-Z0-9-]+)(?: ([^ (]+))?(?:  \((.*)\))?$`)

func parseHelp(t *testing.T, out string) []helpFlag {
	t.Helper()
	lines := strings.Split(out, "\n")
	var flags []helpFlag
	for i, l := range lines {
		m := helpFlagLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		f := helpFlag{name: m[1], kind: m[2]}
		for _, note := range strings.Split(m[3], ", ") {
			switch {
			case strings.HasPrefix(note, "$"):
				f.env = note[1:]
			case strings.HasPrefix(note, "default "):
				f.def = strings.TrimPrefix(note, "default ")
			}
		}
		if i+1 < len(lines) {
			f.usage = strings.TrimSpace(lines[i+1])
		}
		flags = append(flags, f)
	}
	if len(flags) == 0 {
		t.Fatalf("no flags found in:\n%s", out)
	}
	return flags
}

// Every command prints its help once, on stdout, and exits 0, for --help and -h alike.
func TestHelpIsPrintedOnce(t *testing.T) {
	t.Parallel()
	for _, args := range helpCommands() {
		for _, h := range []string{"--help", "-h"} {
			code, out, errOut := gongsync(t, nil, append(args, h)...)
			if code != 0 || strings.Count(out, "Usage: gongsync") != 1 || errOut != "" {
				t.Errorf("%s %s: exit %d, %d usage texts on stdout, stderr %q", strings.Join(args, " "), h, code,
					strings.Count(out, "Usage: gongsync"), errOut)
			}
		}
	}
}

// A flag a command does not know is one line on stderr that says where the flags
// are, exit 2, and nothing on stdout.
func TestUnknownFlagIsOneLine(t *testing.T) {
	t.Parallel()
	for _, args := range helpCommands() {
		code, out, errOut := gongsync(t, nil, append(args, "--frm", "x")...)
		line := strings.TrimSpace(errOut)
		if code != 2 || out != "" || strings.Contains(line, "\n") ||
			!strings.Contains(line, "run 'gongsync "+strings.Join(args, " ")+" --help'") {
			t.Errorf("%s --frm: exit %d\nstdout: %q\nstderr: %q", strings.Join(args, " "), code, out, errOut)
		}
	}
}

// --help names the kind of value each flag takes: a setting's own kind (a number is
// not a "string"), and a word quoted in a flag's meaning is never taken for one.
func TestHelpNamesWhatEachFlagTakes(t *testing.T) {
	t.Parallel()
	kinds := map[string]string{}
	for _, s := range config.Settings() {
		kinds[s.Env] = s.Kind
	}
	for _, args := range helpCommands() {
		_, out, _ := gongsync(t, nil, append(args, "--help")...)
		for _, f := range parseHelp(t, out) {
			if f.env != "" && f.kind != kinds[f.env] {
				t.Errorf("%s --help: --%s takes %q; want %q", strings.Join(args, " "), f.name, f.kind, kinds[f.env])
			}
		}
	}
	_, out, _ := gongsync(t, nil, "sync", "--help")
	for _, want := range []string{"--users-max-age duration  ($GONGSYNC_USERS_MAX_AGE, default 6h)", "--daily-budget count", "--rate-limit number"} {
		if !strings.Contains(out, want) {
			t.Errorf("sync --help lacks %q:\n%s", want, out)
		}
	}
}

// README.md's configuration table and every --help say the same: for each setting a
// command takes, its flag, variable, default and meaning.
func TestHelpAgreesWithTheReadme(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ flag, def, meaning string }
	readme := map[string]row{}
	cell := regexp.MustCompile("^`(.*)`$")
	for _, l := range strings.Split(string(b), "\n") {
		cols := strings.Split(l, " | ")
		if len(cols) != 4 || !strings.HasPrefix(cols[0], "| `") {
			continue
		}
		env := strings.Trim(strings.TrimPrefix(cols[0], "| "), "`")
		r := row{flag: strings.Trim(cols[1], "`"), meaning: strings.TrimSuffix(cols[3], " |")}
		if m := cell.FindStringSubmatch(cols[2]); m != nil {
			r.def = m[1]
		}
		readme[env] = r
	}
	if len(readme) < len(config.Settings()) {
		t.Fatalf("README.md's table has %d rows for %d settings", len(readme), len(config.Settings()))
	}
	seen := map[string]bool{}
	for _, args := range helpCommands() {
		_, out, _ := gongsync(t, nil, append(args, "--help")...)
		for _, f := range parseHelp(t, out) {
			if f.env == "" {
				continue
			}
			seen[f.env] = true
			r, ok := readme[f.env]
			if !ok {
				t.Errorf("%s --help shows $%s, which README.md's table lacks", strings.Join(args, " "), f.env)
				continue
			}
			if r.flag != "--"+f.name || r.def != f.def || r.meaning != f.usage {
				t.Errorf("%s --help and README.md disagree on %s:\n  help:   --%s, default %q: %s\n  README: %s, default %q: %s",
					strings.Join(args, " "), f.env, f.name, f.def, f.usage, r.flag, r.def, r.meaning)
			}
		}
	}
	for _, s := range config.Settings() {
		if !seen[s.Env] {
			t.Errorf("no command's --help shows %s", s.Env)
		}
	}
}

// A one-letter flag is shown with one dash, as the synopsis and curl write it:
// proxy's -X and -d, never --X.
func TestHelpShowsOneLetterFlagsWithOneDash(t *testing.T) {
	t.Parallel()
	_, out, _ := gongsync(t, nil, "proxy", "--help")
	for _, want := range []string{"\n  -X string\n", "\n  -d string\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("proxy --help lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "--X") || strings.Contains(out, "--d ") {
		t.Errorf("proxy --help shows a one-letter flag with two dashes:\n%s", out)
	}
}
