package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gongsync/gongsync/internal/config"
	"github.com/gongsync/gongsync/store"
	"github.com/gongsync/gongsync/sync/fleet"
)

func runConnections(ctx context.Context, m *Main, args []string) error {
	usage := func(w io.Writer) {
		fmt.Fprint(w, `Usage: gongsync connections <add|list|pause|resume|remove> [flags]

The connection registry: the Gong companies one deployment syncs, each in a schema of
its own, kept in the control schema (GONGSYNC_CONTROL_SCHEMA). 'gongsync run' works
for every connection of the registry; every other command takes --connection NAME.

  add NAME --schema S   register a company with the credentials and base URL the
                        environment (or flags) give, its secrets encrypted
  list                  the connections, their schemas, states and settings
  pause NAME            stop syncing a connection (workers leave it alone)
  resume NAME           sync it again (also after Gong refused its credentials)
  remove NAME           forget a connection (--drop-data drops its schema too)

Run 'gongsync connections <subcommand> --help' for their flags.
`)
	}
	if len(args) == 0 {
		usage(m.Stderr)
		return usageErrorf("connections needs a subcommand: add, list, pause, resume or remove")
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(m.Stdout)
		return flag.ErrHelp
	case "add":
		return runConnectionsAdd(ctx, m, args[1:])
	case "list":
		return runConnectionsList(ctx, m, args[1:])
	case "pause", "resume":
		return runConnectionsPause(ctx, m, args[0], args[1:])
	case "remove":
		return runConnectionsRemove(ctx, m, args[1:])
	}
	return usageErrorf("unknown connections subcommand %q (want add, list, pause, resume or remove)", args[0])
}

// nameArg takes the connection's name, before or after the flags.
func nameArg(c *cli, args []string) (string, *config.Config, error) {
	cfg, err := c.parse(args)
	if err != nil {
		return "", nil, err
	}
	var name string
	rest := c.fs.Args()
	if len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return "", nil, usageErrorf("unexpected arguments %q", rest)
	}
	if name == "" {
		return "", nil, usageErrorf("name the connection: gongsync %s NAME", c.name)
	}
	if err := store.ValidateConnectionName(name); err != nil {
		return "", nil, usageError{err}
	}
	return name, cfg, nil
}

func runConnectionsAdd(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "connections add", "NAME --schema S [--update]", `
Register a Gong company as the connection NAME, its tables in the schema S
(--schema, GONGSYNC_SCHEMA: required, one schema per connection; an existing
installation's schema, gong, is fine: its data stays where it is). The credentials
and base URL are those the environment or the flags give, as every command reads
them: an access key and its secret (GONG_ACCESS_KEY, GONG_ACCESS_KEY_SECRET), or an
OAuth app (GONG_OAUTH_CLIENT_ID, GONG_OAUTH_CLIENT_SECRET; then run
'gongsync auth login --connection NAME'). Secrets are stored encrypted with
GONGSYNC_ENCRYPTION_KEY. A daily budget, backfill share, rate limit or schedule given
here (by flag or variable) is the connection's own; the others are the worker's.
Creates the registry and the connection's tables on first use; sends nothing to Gong.
--update replaces an existing connection's credentials and settings (and clears a
failure), keeping its schema.`, config.Database|config.Gong|config.Budget|config.Schedule)
	c.keepConnection = true
	update := c.fs.Bool("update", false, "replace the credentials and settings of an existing connection")
	noMigrate := c.fs.Bool("no-migrate", false, "do not create or migrate the connection's tables now")
	name, cfg, err := nameArg(c, args)
	if err != nil {
		return err
	}
	if !c.loader.Given("GONGSYNC_SCHEMA") {
		return usageErrorf("--schema is required: the schema the connection's tables live in (one per connection)")
	}
	conn := store.Connection{Name: name, Schema: cfg.Schema, BaseURL: cfg.GongBaseURL}
	switch cfg.AuthMode() {
	case "basic":
		conn.AuthMode, conn.AccessKey, conn.AccessKeySecret = store.AuthBasic, cfg.AccessKey, store.SecretText(cfg.AccessKeySecret.Reveal())
	case "oauth":
		conn.AuthMode, conn.OAuthClientID, conn.OAuthClientSecret = store.AuthOAuth, cfg.OAuthClientID, store.SecretText(cfg.OAuthClientSecret.Reveal())
	default:
		return usageErrorf("no Gong credentials: set GONG_ACCESS_KEY and GONG_ACCESS_KEY_SECRET, or GONG_OAUTH_CLIENT_ID and GONG_OAUTH_CLIENT_SECRET")
	}
	if c.loader.Given("GONG_DAILY_BUDGET") {
		conn.DailyBudget = &cfg.DailyBudget
	}
	if c.loader.Given("GONG_BACKFILL_SHARE") {
		conn.BackfillShare = &cfg.BackfillShare
	}
	if c.loader.Given("GONG_RATE_LIMIT") {
		conn.RateLimit = &cfg.RateLimit
	}
	for _, sc := range []struct {
		env      string
		dst      *string
		settings string
	}{{"GONGSYNC_SCHEDULE_CALLS", &conn.ScheduleCalls, cfg.ScheduleCalls}, {"GONGSYNC_SCHEDULE_USERS", &conn.ScheduleUsers, cfg.ScheduleUsers},
		{"GONGSYNC_SCHEDULE_SETTLE", &conn.ScheduleSettle, cfg.ScheduleSettle}, {"GONGSYNC_SCHEDULE_DAILY", &conn.ScheduleDaily, cfg.ScheduleDaily}} {
		if c.loader.Given(sc.env) {
			*sc.dst = sc.settings
		}
	}
	log := c.logger(cfg)
	control, err := openControl(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer control.Close()
	// Everything that can refuse the connection is checked before the control schema
	// is created or migrated: a refused add leaves the database as it was.
	if err := control.CheckConnection(conn); err != nil {
		return usageError{err}
	}
	if err := checkRegistryRoom(ctx, control, conn, *update); err != nil {
		return err
	}
	if err := control.Migrate(ctx); err != nil {
		return err
	}
	saved, err := control.AddConnection(ctx, conn, *update)
	switch {
	case errors.Is(err, store.ErrNoEncryptionKey), errors.Is(err, store.ErrConnectionExists),
		errors.Is(err, store.ErrNoConnection), errors.Is(err, store.ErrSchemaTaken):
		return usageError{err}
	case err != nil:
		return err
	}
	if !saved.Encrypted {
		log.Warn().Msg("INSECURE: GONGSYNC_ENCRYPTION_KEY is not set and --insecure-plaintext-tokens is: the connection's secret is stored unencrypted")
	}
	if !*noMigrate {
		st, err := openStore(ctx, connectionConfig(cfg, saved), log)
		if err != nil {
			return err
		}
		err = st.Migrate(ctx)
		st.Close()
		if err != nil {
			return fmt.Errorf("connection %s is registered, but its tables are not: %w", name, err)
		}
	}
	verb := "added"
	if *update {
		verb = "updated"
	}
	fmt.Fprintf(m.Stdout, "connection %s %s: schema %s, %s, %s\n", saved.Name, verb, saved.Schema, authHint(saved), saved.BaseURL)
	if saved.AuthMode == store.AuthOAuth {
		fmt.Fprintf(m.Stdout, "next: gongsync auth login --connection %s\n", saved.Name)
	}
	return nil
}

// checkRegistryRoom refuses, before anything is written, an add whose name or schema
// the registry holds already (or an --update of a connection it does not hold).
// AddConnection checks the same again in its statement, for adds that race.
func checkRegistryRoom(ctx context.Context, control *store.Control, conn store.Connection, update bool) error {
	ok, err := control.Exists(ctx)
	if err != nil {
		return err
	}
	var conns []store.Connection
	if ok {
		if conns, err = control.Connections(ctx); err != nil {
			return err
		}
	}
	i := slices.IndexFunc(conns, func(c store.Connection) bool { return c.Name == conn.Name })
	switch {
	case update && i < 0:
		return usageErrorf("--update %s: %w; `gongsync connections list` shows them", conn.Name, store.ErrNoConnection)
	case !update && i >= 0:
		return usageErrorf("%s: %w (add --update to replace its credentials and settings)", conn.Name, store.ErrConnectionExists)
	case update && conns[i].Schema != conn.Schema:
		return usageErrorf("%s: its schema is %q and cannot change (remove it and add it again to move it to %q)", conn.Name, conns[i].Schema, conn.Schema)
	}
	for _, c := range conns {
		if c.Schema == conn.Schema && c.Name != conn.Name {
			return usageErrorf("schema %q: %w (%s)", conn.Schema, store.ErrSchemaTaken, c.Name)
		}
	}
	return nil
}

// authHint says how a connection authenticates without its secret.
func authHint(c store.Connection) string {
	if c.AuthMode == store.AuthOAuth {
		return "OAuth app " + keyHint(c.OAuthClientID)
	}
	return "access key " + keyHint(c.AccessKey)
}

func runConnectionsList(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "connections list", "[--json]", `
List the registry's connections: name, schema, state (active, paused, or failed with
Gong's reason), how each authenticates (never a secret), its base URL and its own
settings ("–": the worker's). Reads the control schema only.`, config.Database)
	c.keepConnection = true
	asJSON := c.fs.Bool("json", false, "print JSON")
	cfg, err := c.parse(args)
	if err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", c.fs.Args())
	}
	control, err := openControl(ctx, cfg, c.logger(cfg))
	if err != nil {
		return err
	}
	defer control.Close()
	var conns []store.Connection
	ok, err := control.Exists(ctx)
	if err != nil {
		return err
	}
	if ok {
		if conns, err = control.Connections(ctx); err != nil {
			return err
		}
	}
	if *asJSON {
		if conns == nil {
			conns = []store.Connection{}
		}
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(conns)
	}
	if !ok {
		fmt.Fprintf(m.Stdout, "no connection registry in the schema %q; `gongsync connections add NAME --schema S` makes one\n", cfg.ControlSchema)
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSCHEMA\tSTATE\tAUTH\tBASE URL\tBUDGET\tRATE\tSCHEDULES")
	for _, cn := range conns {
		budget, rate, scheds := "–", "–", "–"
		if cn.DailyBudget != nil {
			budget = strconv.Itoa(*cn.DailyBudget)
			if cn.BackfillShare != nil {
				budget += fmt.Sprintf(" (backfills %.0f%%)", 100**cn.BackfillShare)
			}
		}
		if cn.RateLimit != nil {
			rate = strconv.FormatFloat(*cn.RateLimit, 'f', -1, 64) + "/s"
		}
		if s := strings.TrimSpace(strings.Join([]string{schedHint("calls", cn.ScheduleCalls), schedHint("users", cn.ScheduleUsers),
			schedHint("settle", cn.ScheduleSettle), schedHint("daily", cn.ScheduleDaily)}, " ")); s != "" {
			scheds = s
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cn.Name, cn.Schema, cn.State(), authHint(cn), cn.BaseURL, budget, rate, scheds)
	}
	tw.Flush()
	for _, cn := range conns {
		if cn.FailedAt != nil {
			fmt.Fprintf(m.Stdout, "\n%s failed %s: %s\n  (fix it, then `gongsync connections resume %s`, or `connections add %s --update` with new credentials)\n",
				cn.Name, cn.FailedAt.UTC().Format(time.RFC3339), cn.Failure, cn.Name, cn.Name)
		}
	}
	return nil
}

func schedHint(job, spec string) string {
	if spec == "" {
		return ""
	}
	return job + "=" + strconv.Quote(spec)
}

func runConnectionsPause(ctx context.Context, m *Main, verb string, args []string) error {
	about := `
Pause a connection: workers start none of its jobs (those running finish their
page). Its data and checkpoints stay; 'resume' goes on from them.`
	if verb == "resume" {
		about = `
Resume a paused connection, or one that failed (Gong refused its credentials, or its
OAuth login was needed): workers schedule it again within GONGSYNC's registry poll
(15 s), its first runs at once.`
	}
	c := newCLI(m, "connections "+verb, "NAME", about, config.Database)
	c.keepConnection = true
	name, cfg, err := nameArg(c, args)
	if err != nil {
		return err
	}
	control, err := openControl(ctx, cfg, c.logger(cfg))
	if err != nil {
		return err
	}
	defer control.Close()
	if err := registryOrUsage(ctx, control, cfg); err != nil {
		return err
	}
	if err := control.SetPaused(ctx, name, verb == "pause"); errors.Is(err, store.ErrNoConnection) {
		return usageErrorf("no connection %s in %q; `gongsync connections list` shows them", name, cfg.ControlSchema)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "connection %s %sd\n", name, verb)
	return nil
}

func runConnectionsRemove(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "connections remove", "NAME [--drop-data]", `
Remove a connection from the registry and its waiting jobs from the queue (a job
running finishes its page). Its schema, tables and data stay unless --drop-data is
given, which drops the schema with everything in it.`, config.Database)
	c.keepConnection = true
	drop := c.fs.Bool("drop-data", false, "drop the connection's schema, its tables and data, too")
	name, cfg, err := nameArg(c, args)
	if err != nil {
		return err
	}
	control, err := openControl(ctx, cfg, c.logger(cfg))
	if err != nil {
		return err
	}
	defer control.Close()
	if err := registryOrUsage(ctx, control, cfg); err != nil {
		return err
	}
	gone, err := control.RemoveConnection(ctx, name)
	if errors.Is(err, store.ErrNoConnection) {
		return usageErrorf("no connection %s in %q; `gongsync connections list` shows them", name, cfg.ControlSchema)
	} else if err != nil {
		return err
	}
	jobs, err := fleet.DeleteJobs(ctx, control, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "connection %s removed (%d queued jobs deleted)", name, jobs)
	if *drop {
		if err := control.DropSchema(ctx, gone.Schema); err != nil {
			fmt.Fprintln(m.Stdout)
			return err
		}
		fmt.Fprintf(m.Stdout, "; schema %s dropped with its data\n", gone.Schema)
		return nil
	}
	fmt.Fprintf(m.Stdout, "; its data stays in the schema %s\n", gone.Schema)
	return nil
}

// registryOrUsage is a usage error when there is no registry to act on.
func registryOrUsage(ctx context.Context, control *store.Control, cfg *config.Config) error {
	ok, err := control.Exists(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return usageErrorf("there is no connection registry in the schema %q (GONGSYNC_CONTROL_SCHEMA); `gongsync connections add` makes one", cfg.ControlSchema)
	}
	return nil
}
