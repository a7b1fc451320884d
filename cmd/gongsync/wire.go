package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/internal/config"
	"github.com/gongsync/gongsync/store"
	gsync "github.com/gongsync/gongsync/sync"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"
)

// app is what the commands that sync are built from: the store, the ledger-backed
// budget, the one Gong client of the process, and the engine joining them.
type app struct {
	cfg     *config.Config
	log     zerolog.Logger
	st      *store.Store
	budget  *gsync.Budget
	gong    *gongapi.Client // nil for commands that send nothing (status)
	engine  *gsync.Engine
	reg     *prometheus.Registry
	metrics *gsync.Metrics
	// fresh is the daemon's freshness controller, when this process runs one.
	fresh *gsync.Freshness
}

type appOptions struct {
	migrate bool // apply pending migrations first
	gong    bool // build a Gong client (needs credentials)
	metrics bool // register Prometheus metrics
	// waitForLogin starts the app even when its OAuth connection needs a login (the
	// daemon, which syncs once one is made); a command fails at once instead.
	waitForLogin bool

	// A worker's connection (runWorkers) sets these; the zero values are a command's.
	job *jobOptions
}

// jobOptions make an app a worker's connection: short runs, a small pool that lets
// its idle connections go, and a Gong client that hands a long Retry-After back as a
// pause (the job snoozes, freeing its worker) instead of sleeping through it.
type jobOptions struct {
	metrics        *gsync.Metrics // the connection's, labelled with its name
	worker         string         // host:pid, recorded with every run
	requestsPerRun int
}

// jobPoolConns is a worker's pool per connection: a held stream lock, a writing
// transaction and a second transcript writer.
const jobPoolConns = 4

func openStore(ctx context.Context, cfg *config.Config, log zerolog.Logger) (*store.Store, error) {
	return openStoreWith(ctx, cfg, log, store.Options{})
}

// openStoreWith is openStore with a worker's pool settings.
func openStoreWith(ctx context.Context, cfg *config.Config, log zerolog.Logger, o store.Options) (*store.Store, error) {
	o.DatabaseURL, o.Schema, o.Logger, o.AI = cfg.DatabaseURL.Reveal(), cfg.Schema, log, cfg.AI
	st, err := store.Open(ctx, o)
	if err != nil {
		return nil, openDatabaseError(err)
	}
	return st, nil
}

// openDatabaseError is the one line for a database that could not be opened. When
// Postgres answered (a role or database that does not exist, a wrong password), its
// answer leads: pgx tries TLS first, then plain, and reports the refused TLS attempt
// before the server's real answer, which is the one to act on.
func openDatabaseError(err error) error {
	const hint = "(check DATABASE_URL: host, port, credentials, and that Postgres is running)"
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		who := ""
		if ce := (*pgconn.ConnectError)(nil); errors.As(err, &ce) && ce.Config != nil {
			who = fmt.Sprintf(" (user %s, database %s, host %s:%d)", ce.Config.User, ce.Config.Database, ce.Config.Host, ce.Config.Port)
		}
		return fmt.Errorf("open database: Postgres answered: %s%s %s", pgErr.Error(), who, hint)
	}
	return fmt.Errorf("open database: %s %s", oneLine(err), hint)
}

// openApp connects to Postgres (migrating when asked) and builds the client and engine.
func openApp(ctx context.Context, cfg *config.Config, log zerolog.Logger, opt appOptions) (*app, error) {
	var so store.Options
	if opt.job != nil {
		so = store.Options{Worker: opt.job.worker, MaxConns: jobPoolConns, MaxConnIdleTime: time.Minute}
	}
	st, err := openStoreWith(ctx, cfg, log, so)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, st: st}
	if opt.migrate {
		if err := st.Migrate(ctx); err != nil {
			st.Close()
			return nil, err
		}
	} else if ok, err := st.MigrationsCurrent(ctx); err != nil || !ok {
		st.Close()
		if err == nil {
			err = fmt.Errorf("the database schema %q is not up to date: run `gongsync migrate`", cfg.Schema)
		}
		return nil, err
	}
	if opt.job != nil {
		a.metrics = opt.job.metrics
	} else if opt.metrics {
		a.reg = prometheus.NewRegistry()
		a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildInfoCollector())
		a.metrics = gsync.NewMetrics(a.reg, nil)
	}
	a.budget = gsync.NewBudget(st, gsync.BudgetOptions{Daily: cfg.DailyBudget, BackfillShare: cfg.BackfillShare,
		RateLimit: cfg.RateLimit, TZ: cfg.BudgetTZ})
	if opt.gong {
		auth, err := gongAuth(ctx, cfg, st, log, opt.waitForLogin)
		if err != nil {
			st.Close()
			return nil, err
		}
		gc := gongapi.Config{
			BaseURL:   cfg.GongBaseURL,
			Auth:      auth,
			Budget:    a.budget,
			UserAgent: "gongsync/" + Version(),
			Logger:    log,
		}
		if a.metrics != nil {
			gc.Observer = a.metrics.ObserveRequest
		}
		if opt.job != nil {
			gc.MaxRetryAfter = jobMaxRetryAfter
		}
		if a.gong, err = gongapi.New(gc); err != nil {
			st.Close()
			return nil, usageError{err}
		}
	}
	eo := gsync.Options{
		Overlap:      cfg.Overlap,
		SettleWindow: cfg.SettleWindow,
		SweepPeriod:  cfg.SweepPeriod,
		SweepShare:   cfg.SweepShare,
		UsersMaxAge:  cfg.UsersMaxAge,
		Logger:       log,
		Metrics:      a.metrics,
	}
	eo.FlowsRefreshDays = cfg.FlowsRefreshDays
	eo.ReviewsEvery = cfg.ReviewsEvery
	eo.TranscriptRecheck = gsync.TranscriptRecheckFor(cfg.Freshness)
	if opt.job != nil {
		eo.RequestsPerRun = opt.job.requestsPerRun
	}
	a.engine = gsync.New(st, a.gong, a.budget, eo)
	if opt.migrate {
		// Part of bringing the database up to date: rows an older gongsync derived are
		// derived again from their raw documents (no request to Gong).
		if err := remapStored(ctx, a.engine, log); err != nil {
			st.Close()
			return nil, err
		}
	}
	return a, nil
}

// jobMaxRetryAfter is the longest Retry-After a worker's job sleeps through; a longer
// one (a 429 storm at one company) pauses the job, which goes back in the queue until
// then and frees its worker for other connections.
const jobMaxRetryAfter = 30 * time.Second

// remapStored runs the engine's remap and says what it did.
func remapStored(ctx context.Context, engine *gsync.Engine, log zerolog.Logger) error {
	n, err := engine.Remap(ctx)
	if n.Calls > 0 || n.Users > 0 || n.Trackers > 0 {
		log.Info().Int("calls", n.Calls).Int("users", n.Users).Int("trackers", n.Trackers).
			Int("call_mapping_version", gsync.CallMapping).
			Msg("rows of records stored by an older gongsync derived again from their raw documents (no requests to Gong)")
	}
	if err != nil {
		return fmt.Errorf("derive rows again from stored records: %w", err)
	}
	return nil
}

func (a *app) Close() { a.st.Close() }

// gongAuth picks Basic auth when an access key is configured, OAuth otherwise.
func gongAuth(ctx context.Context, cfg *config.Config, st *store.Store, log zerolog.Logger, waitForLogin bool) (gongapi.Authorizer, error) {
	switch cfg.AuthMode() {
	case "basic":
		return gongapi.BasicAuth(cfg.AccessKey, cfg.AccessKeySecret.Reveal()), nil
	case "oauth":
		return oauthAuthorizer(ctx, cfg, st, log, waitForLogin)
	}
	return nil, usageErrorf("no Gong credentials: set GONG_ACCESS_KEY and GONG_ACCESS_KEY_SECRET, or configure OAuth and run `gongsync auth login`")
}

// oneLine folds a multi-line error (pgx lists one line per address it tried, often
// the same one twice) into one line without repeats.
func oneLine(err error) string {
	var parts []string
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSuffix(strings.Join(strings.Fields(l), " "), ":")
		if l != "" && !slices.Contains(parts, l) {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, ": ")
}
