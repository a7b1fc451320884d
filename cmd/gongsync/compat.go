package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gongsync/gongsync/internal/config"
	"github.com/gongsync/gongsync/internal/suggest"
)

// compatTools are the tools whose schema 'gongsync compat' can present.
var compatTools = []string{"fivetran"}

func runCompat(ctx context.Context, m *Main, args []string) error {
	usage := func(w io.Writer) {
		fmt.Fprint(w, `Usage: gongsync compat <fivetran> [flags]

Views over gongsync's tables named and shaped as another tool names its tables, so
that queries and dbt models written for it run unchanged.

  fivetran   schema <schema>_fivetran (gong_fivetran by default): Fivetran's Gong
             connector's tables and columns (docs/COMPATIBILITY.md)

Run 'gongsync compat fivetran --help' for its flags.
`)
	}
	if len(args) == 0 {
		usage(m.Stderr)
		return usageErrorf("compat needs a subcommand: %s", strings.Join(compatTools, " or "))
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(m.Stdout)
		return flag.ErrHelp
	case "fivetran":
		return runCompatFivetran(ctx, m, args[1:])
	}
	hint := ""
	if near := suggest.Nearest(args[0], compatTools); len(near) > 0 {
		hint = " (did you mean " + strings.Join(near, " or ") + "?)"
	}
	return usageErrorf("unknown compat subcommand %q%s: want %s", args[0], hint, strings.Join(compatTools, " or "))
}

func runCompatFivetran(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "compat fivetran", "[--drop]", `
Create, or replace, schema <schema>_fivetran: one view per table of Fivetran's Gong
connector that gongsync fills (call, call_participant, transcript, users,
answered_scorecard, ...), with Fivetran's table and column names, over gongsync's
tables. _fivetran_synced is the last time Gong returned the record (last_seen_at);
_fivetran_deleted is true once gongsync found it gone (deleted_at), and deleted
records stay, flagged. Columns gongsync cannot fill are there, null;
docs/COMPATIBILITY.md maps every table and column. One transaction: readers see the
old views or the new ones. 'gongsync migrate' (and 'gongsync run') drop and create
them again around each migration. Privileges on views do not survive that: grant
them with ALTER DEFAULT PRIVILEGES IN SCHEMA <schema>_fivetran GRANT SELECT ON
TABLES TO a reader role. Applies pending migrations first. Sends nothing to Gong.`, config.Database)
	drop := c.fs.Bool("drop", false, "drop schema <schema>_fivetran and its views instead")
	cfg, err := c.parse(args)
	if err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", c.fs.Args())
	}
	log := c.logger(cfg)
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if *drop {
		existed, err := st.DropFivetranViews(ctx)
		if err != nil {
			return err
		}
		if !existed {
			fmt.Fprintf(m.Stdout, "schema %s does not exist: nothing to drop\n", st.FivetranSchema())
			return nil
		}
		fmt.Fprintf(m.Stdout, "dropped schema %s\n", st.FivetranSchema())
		return nil
	}
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	if err := st.CreateFivetranViews(ctx); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "created the Fivetran-compatible views in schema %s (docs/COMPATIBILITY.md)\n", st.FivetranSchema())
	return nil
}
