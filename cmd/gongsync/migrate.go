package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/gongsync/gongsync/internal/config"
	gsync "github.com/gongsync/gongsync/sync"
)

func runMigrate(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "migrate", "[up|status]", `
Apply the database migrations (up, the default) or list them with their state
(status). 'up' also derives again, from the stored raw documents, the rows of calls
an older gongsync mapped (see 'gongsync remap'; no requests to Gong). Migrations run under an advisory lock, so several processes may start
together; 'gongsync run' migrates by itself unless --no-migrate is given.`, config.Database)
	cfg, err := c.parse(args)
	if err != nil {
		return err
	}
	action := "up"
	if c.fs.NArg() > 1 {
		return usageErrorf("want at most one action (up or status), got %q", c.fs.Args())
	}
	if c.fs.NArg() == 1 {
		action = c.fs.Arg(0)
	}
	if action != "up" && action != "status" {
		return usageErrorf("unknown action %q: want up or status", action)
	}
	log := c.logger(cfg)
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()

	if action == "up" {
		if err := st.Migrate(ctx); err != nil {
			return err
		}
		log.Info().Str("schema", cfg.Schema).Msg("migrations applied")
		if err := remapStored(ctx, gsync.New(st, nil, nil, gsync.Options{Logger: log}), log); err != nil {
			return err
		}
	}
	states, err := st.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tAPPLIED")
	for _, s := range states {
		applied := "pending"
		if s.AppliedAt != nil {
			applied = s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", s.Version, s.Name, applied)
	}
	return tw.Flush()
}
