package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/internal/config"
	"github.com/gongsync/gongsync/store"
	gsync "github.com/gongsync/gongsync/sync"
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
}

type appOptions struct {
	migrate bool // apply pending migrations first
	gong    bool // build a Gong client (needs credentials)
	metrics bool // register Prometheus metrics
}

func openStore(ctx context.Context, cfg *config.Config, log zerolog.Logger) (*store.Store, error) {
	st, err := store.Open(ctx, store.Options{DatabaseURL: cfg.DatabaseURL.Reveal(), Schema: cfg.Schema, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("open database: %s (check DATABASE_URL: host, port, credentials, and that Postgres is running)", oneLine(err))
	}
	return st, nil
}

// openApp connects to Postgres (migrating when asked) and builds the client and engine.
func openApp(ctx context.Context, cfg *config.Config, log zerolog.Logger, opt appOptions) (*app, error) {
	st, err := openStore(ctx, cfg, log)
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
	if opt.metrics {
		a.reg = prometheus.NewRegistry()
		a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildInfoCollector())
		a.metrics = gsync.NewMetrics(a.reg, nil)
	}
	a.budget = gsync.NewBudget(st, gsync.BudgetOptions{Daily: cfg.DailyBudget, BackfillShare: cfg.BackfillShare,
		RateLimit: cfg.RateLimit, TZ: cfg.BudgetTZ})
	if opt.gong {
		auth, err := gongAuth(ctx, cfg, st, log)
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
		if a.gong, err = gongapi.New(gc); err != nil {
			st.Close()
			return nil, usageError{err}
		}
	}
	a.engine = gsync.New(st, a.gong, a.budget, gsync.Options{
		Overlap:      cfg.Overlap,
		SettleWindow: cfg.SettleWindow,
		SweepPeriod:  cfg.SweepPeriod,
		SweepShare:   cfg.SweepShare,
		UsersMaxAge:  cfg.UsersMaxAge,
		Logger:       log,
		Metrics:      a.metrics,
	})
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

// remapStored runs the engine's remap and says what it did.
func remapStored(ctx context.Context, engine *gsync.Engine, log zerolog.Logger) error {
	n, err := engine.Remap(ctx)
	if n > 0 {
		log.Info().Int("calls", n).Int("mapping_version", gsync.CallMapping).
			Msg("rows of calls stored by an older gongsync derived again from their raw documents (no requests to Gong)")
	}
	if err != nil {
		return fmt.Errorf("derive rows again from stored calls: %w", err)
	}
	return nil
}

func (a *app) Close() { a.st.Close() }

// gongAuth picks Basic auth when an access key is configured, OAuth otherwise.
func gongAuth(ctx context.Context, cfg *config.Config, st *store.Store, log zerolog.Logger) (gongapi.Authorizer, error) {
	switch cfg.AuthMode() {
	case "basic":
		return gongapi.BasicAuth(cfg.AccessKey, cfg.AccessKeySecret.Reveal()), nil
	case "oauth":
		return oauthAuthorizer(ctx, cfg, st, log)
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
