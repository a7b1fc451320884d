package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/gongsync/gongsync/internal/config"
	"github.com/gongsync/gongsync/internal/suggest"
	"github.com/gongsync/gongsync/store"
	"github.com/rs/zerolog"
	"golang.org/x/term"
)

func init() {
	// Every time gongsync prints or logs is UTC, whatever the host's zone: Postgres
	// hands timestamptz back in the process's local zone, and log lines from one
	// process must not mix offsets. Budget days and cron schedules have their own
	// explicit zones (GONGSYNC_BUDGET_TZ, GONGSYNC_SCHEDULE_TZ).
	time.Local = time.UTC
	zerolog.TimestampFunc = func() time.Time { return time.Now().UTC() }
	// Durations in logs carry their unit ("took":"5.82s"), never a bare number of
	// milliseconds.
	zerolog.DurationFieldFormat = zerolog.DurationFormatString
}

// cli is what every subcommand starts from: its flag set, bound to the configuration
// groups it needs.
type cli struct {
	m                     *Main
	fs                    *flag.FlagSet
	loader                *config.Loader
	name, synopsis, about string
	groups                config.Group
	// conn is the registry's connection the command works on (--connection), read
	// by parse; nil without one. keepConnection leaves --connection unresolved, for
	// the commands that manage the registry themselves.
	conn           *store.Connection
	keepConnection bool
}

// newCLI makes the flag set of a subcommand. synopsis is the one-line usage and about
// a paragraph on what the command does.
func newCLI(m *Main, name, synopsis, about string, groups config.Group) *cli {
	fs := flag.NewFlagSet("gongsync "+name, flag.ContinueOnError)
	// The flag package prints usage itself on -h and on every parse error; parse
	// prints help once, on stdout, and errors once, in one line, through exitStatus.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &cli{m: m, fs: fs, loader: config.Register(fs, groups, m.getenv), name: name, synopsis: synopsis, about: about, groups: groups}
}

// parse parses args and loads the configuration; problems are usage errors (exit 2).
// flagHint is " (did you mean --x?)" for a flag the command does not have but one
// close to it, "" otherwise.
func (c *cli) flagHint(err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return ""
	}
	var names []string
	c.fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	near := suggest.Nearest(strings.TrimLeft(name, "-"), names)
	if len(near) == 0 {
		return ""
	}
	return " (did you mean --" + strings.Join(near, " or --") + "?)"
}

func (c *cli) parse(args []string) (*config.Config, error) {
	if err := c.parseInterspersed(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.usage(c.m.Stdout)
			return nil, err
		}
		return nil, usageErrorf("%v%s; run 'gongsync %s --help' for the flags", err, c.flagHint(err), c.name)
	}
	unknown := c.m.unknownVariables()
	cfg, err := c.loader.Load()
	if err != nil {
		// A misspelt variable may be why a setting is missing: say so with the error.
		if len(unknown) > 0 {
			return nil, usageErrorf("%w; %s", err, unknownVariablesText(unknown))
		}
		return nil, usageError{err}
	}
	if len(unknown) > 0 {
		log := c.logger(cfg)
		log.Warn().Msg(unknownVariablesText(unknown))
	}
	if cfg.Connection != "" && c.groups&config.Database != 0 && !c.keepConnection {
		// The registry's row says where the connection's tables are, and how to reach
		// its Gong: the configuration of the command becomes the connection's.
		return c.resolveConnection(cfg)
	}
	return cfg, nil
}

// unknownVariablesText says which variables are no setting, with the nearest names.
func unknownVariablesText(unknown []config.UnknownVariable) string {
	parts := make([]string, len(unknown))
	for i, u := range unknown {
		parts[i] = u.Name
		if len(u.Nearest) > 0 {
			parts[i] += " (did you mean " + strings.Join(u.Nearest, " or ") + "?)"
		}
	}
	noun := "variable is"
	if len(unknown) > 1 {
		noun = "variables are"
	}
	return fmt.Sprintf("ignored: the %s no gongsync setting: %s", noun, strings.Join(parts, ", "))
}

// parseInterspersed parses flags wherever they stand among the positional arguments
// (`migrate status --schema gong_acme` as well as `migrate --schema gong_acme
// status`), which the flag package stops at; "--" still ends the flags. Afterwards
// c.fs.Args() holds the positional arguments in their order, as after a plain Parse.
func (c *cli) parseInterspersed(args []string) error {
	var positional []string
	for rest := args; ; {
		if err := c.fs.Parse(rest); err != nil {
			return err
		}
		left := c.fs.Args()
		if len(left) == 0 {
			break
		}
		if used := len(rest) - len(left); used > 0 && rest[used-1] == "--" {
			positional = append(positional, left...)
			break
		}
		positional, rest = append(positional, left[0]), left[1:]
	}
	// Parsing "--" and the positionals sets no flag and leaves them as the Args.
	return c.fs.Parse(append([]string{"--"}, positional...))
}

// usage prints the command's help: synopsis, about, then each flag with the kind of
// value it takes, its variable and default on one line and its meaning on the next.
// The command's own flags come first, then the configuration's in the README's order.
func (c *cli) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: gongsync %s %s\n\n%s\n", c.name, c.synopsis, strings.TrimSpace(c.about))
	var own, settings []*flag.Flag
	c.fs.VisitAll(func(f *flag.Flag) {
		if _, ok := f.Value.(interface{ Env() string }); ok {
			settings = append(settings, f)
		} else {
			own = append(own, f)
		}
	})
	order := map[string]int{}
	for i, s := range config.Settings() {
		order[s.Flag] = i
	}
	sort.SliceStable(settings, func(i, j int) bool { return order["--"+settings[i].Name] < order["--"+settings[j].Name] })
	if len(own) > 0 {
		fmt.Fprintln(w, "\nFlags:")
		for _, f := range own {
			printFlag(w, f)
		}
	}
	if len(settings) > 0 {
		fmt.Fprintln(w, "\nConfiguration (each flag also read from the variable named; an empty value is no value):")
		for _, f := range settings {
			printFlag(w, f)
		}
	}
}

// printFlag writes "  --name kind  ($VAR, default x)" and the meaning, indented, below.
func printFlag(w io.Writer, f *flag.Flag) {
	// A one-letter flag is written as curl's are (-X, -d), and as the synopsis
	// shows it; the flag package takes either dash count.
	head := "  --" + f.Name
	if len(f.Name) == 1 {
		head = "  -" + f.Name
	}
	if kind := flagKind(f); kind != "" {
		head += " " + kind
	}
	var notes []string
	if v, ok := f.Value.(interface{ Env() string }); ok {
		notes = append(notes, "$"+v.Env())
	}
	// A setting shows its default as the README does; a command's own flag only a
	// default that is not its type's zero.
	if d, ok := f.Value.(interface{ Default() string }); ok {
		if d.Default() != "" {
			notes = append(notes, "default "+d.Default())
		}
	} else if def := f.DefValue; def != "" && def != "false" && def != "0" && def != "0s" {
		notes = append(notes, "default "+def)
	}
	if len(notes) > 0 {
		head += "  (" + strings.Join(notes, ", ") + ")"
	}
	fmt.Fprintf(w, "%s\n      %s\n", head, f.Usage)
}

// flagKind names the value a flag takes: the setting's own kind, or the Go type of a
// command's flag ("" for a boolean). The usage text is never mined for a name.
func flagKind(f *flag.Flag) string {
	if k, ok := f.Value.(interface{ Kind() string }); ok {
		return k.Kind()
	}
	kind, _ := flag.UnquoteUsage(&flag.Flag{Value: f.Value})
	return kind
}

// logger builds the process's logger from the configuration: JSON for machines,
// console lines on a terminal.
func (c *cli) logger(cfg *config.Config) zerolog.Logger {
	return c.loggerTo(c.m.Stderr, cfg)
}

// withConnection names the connection in every line of log, when there is one.
func withConnection(log zerolog.Logger, cfg *config.Config) zerolog.Logger {
	if cfg.Connection == "" {
		return log
	}
	return log.With().Str("connection", cfg.Connection).Logger()
}

// loggerTo is logger writing to w, which stands in front of stderr (the backfill's
// progress bar puts itself between): stderr decides console or JSON, and colour.
func (c *cli) loggerTo(w io.Writer, cfg *config.Config) zerolog.Logger {
	console := cfg.LogFormat == "console" || (cfg.LogFormat == "auto" && isTerminal(c.m.Stderr))
	return withConnection(newLogger(w, cfg.LogLevel, console, colour(c.m.Stderr, c.m.getenv)), cfg)
}

// colour says whether output to w may carry ANSI colours: only on a terminal, and
// never when NO_COLOR is set (https://no-color.org).
func colour(w io.Writer, getenv func(string) string) bool {
	return isTerminal(w) && getenv("NO_COLOR") == ""
}

func newLogger(w io.Writer, level zerolog.Level, console, colour bool) zerolog.Logger {
	if console {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05", NoColor: !colour}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
