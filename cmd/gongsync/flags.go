package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gongsync/gongsync/internal/config"
	"github.com/rs/zerolog"
	"golang.org/x/term"
)

// cli is what every subcommand starts from: its flag set, bound to the configuration
// groups it needs.
type cli struct {
	m      *Main
	fs     *flag.FlagSet
	loader *config.Loader
}

// newCLI makes the flag set of a subcommand. usage is the one-line synopsis and
// about a paragraph on what the command does.
func newCLI(m *Main, name, synopsis, about string, groups config.Group) *cli {
	fs := flag.NewFlagSet("gongsync "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse errors are returned and printed once, by exitStatus
	c := &cli{m: m, fs: fs, loader: config.Register(fs, groups)}
	fs.Usage = func() {
		w := m.Stdout
		fmt.Fprintf(w, "Usage: gongsync %s %s\n\n%s\n\nFlags (each also read from the environment variable in brackets):\n", name, synopsis, strings.TrimSpace(about))
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return c
}

// parse parses args and loads the configuration; problems are usage errors (exit 2).
func (c *cli) parse(args []string) (*config.Config, error) {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.fs.Usage()
			return nil, err
		}
		return nil, usageError{err}
	}
	cfg, err := c.loader.Load()
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// logger builds the process's logger from the configuration: JSON for machines,
// console lines on a terminal.
func (c *cli) logger(cfg *config.Config) zerolog.Logger {
	return newLogger(c.m.Stderr, cfg.LogLevel, cfg.LogFormat)
}

func newLogger(w io.Writer, level zerolog.Level, format string) zerolog.Logger {
	if format == "console" || (format == "auto" && isTerminal(w)) {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05"}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
