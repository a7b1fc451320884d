package main

import (
	"context"
	"fmt"

	"github.com/gongsync/gongsync/internal/config"
	gsync "github.com/gongsync/gongsync/sync"
)

func runRemap(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "remap", "", `
Derive again, from the raw documents already stored, the columns and child rows of
every call, user and tracker definition that an older gongsync mapped (before a
table such as call_outline_sections or user_email_aliases existed), and try the records in quarantine again with this gongsync's decoder:
those that decode now are stored and leave the quarantine. It sends no request to Gong. run, sync and backfill do it by themselves
after migrating; this command is for doing it at a time of your choosing.`, config.Database)
	cfg, err := c.parse(args)
	if err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErrorf("remap takes no arguments, got %q", c.fs.Args())
	}
	log := c.logger(cfg)
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	engine := gsync.New(st, nil, nil, gsync.Options{Logger: log})
	n, err := engine.Remap(ctx)
	fmt.Fprintf(m.Stdout, "%d calls, %d users and %d trackers derived again from their stored raw documents (mapping versions %d, %d, %d); no requests to Gong\n",
		n.Calls, n.Users, n.Trackers, gsync.CallMapping, gsync.UserMapping, gsync.TrackerMapping)
	if err != nil {
		return fmt.Errorf("derive rows again from stored records: %w", err)
	}
	q, err := engine.RemapQuarantine(ctx)
	fmt.Fprintf(m.Stdout, "%d quarantined records decode now and were stored; %d stay in quarantine\n", q.Stored, q.Left)
	if err != nil {
		return fmt.Errorf("try quarantined records again: %w", err)
	}
	return nil
}
