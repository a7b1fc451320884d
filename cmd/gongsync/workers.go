package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/internal/config"
	"github.com/gongsync/gongsync/store"
	gsync "github.com/gongsync/gongsync/sync"
	"github.com/gongsync/gongsync/sync/fleet"
)

// runWorkers is `gongsync run` with a connection registry: one worker of the
// deployment (fleet.Fleet). It serves /healthz, /readyz (the control schema answers
// and is migrated), /metrics (each connection's metrics labelled by its name, and the
// queue's) and /status (`gongsync status --all --json`).
func runWorkers(ctx context.Context, cfg *config.Config, log zerolog.Logger, noMigrate bool) error {
	if cfg.WebhookAddr != "" {
		return usageErrorf("GONGSYNC_WEBHOOK_ADDR: a worker of many connections receives no webhooks; " +
			"run `gongsync run --connection NAME` with it for the connection whose Gong sends them")
	}
	if cfg.ActionsAddr != "" {
		return usageErrorf("GONGSYNC_ACTIONS_ADDR: a worker of many connections serves no actions (each sends on one company's account); " +
			"run `gongsync run --connection NAME` with it for the connection the apps act on")
	}
	if cfg.MCPAddr != "" {
		return usageErrorf("GONGSYNC_MCP_ADDR: a worker of many connections serves no MCP server (each answers from one company's calls); " +
			"run `gongsync run --connection NAME` with it for the connection the assistants read")
	}
	control, err := openControl(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer control.Close()
	if !noMigrate {
		if err := control.Migrate(ctx); err != nil {
			return err
		}
	} else if ok, err := control.MigrationsCurrent(ctx); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("the control schema %q is not up to date: run `gongsync connections list` (it migrates) or drop --no-migrate", cfg.ControlSchema)
		}
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildInfoCollector())
	fm := fleet.NewMetrics(reg)
	worker := workerName()
	open := func(ctx context.Context, conn store.Connection) (*fleet.OpenedConnection, error) {
		a, err := openApp(ctx, connectionConfig(cfg, conn), log.With().Str("connection", conn.Name).Logger(), appOptions{
			migrate: !noMigrate, gong: true,
			job: &jobOptions{metrics: fm.Connection(conn.Name), worker: worker, requestsPerRun: cfg.RequestsPerJob},
		})
		if err != nil {
			return nil, err
		}
		return &fleet.OpenedConnection{Engine: a.engine, Close: a.Close}, nil
	}
	f, err := fleet.New(fleet.Options{
		Control: control, Open: open, ID: worker, Workers: cfg.Workers, JobTimeout: cfg.JobTimeout,
		Schedules: gsync.Schedules{Calls: cfg.ScheduleCalls, Users: cfg.ScheduleUsers, Settle: cfg.ScheduleSettle,
			Daily: cfg.ScheduleDaily, Location: cfg.ScheduleTZ, Freshness: cfg.Freshness, FreshnessShare: cfg.FreshnessShare},
		OnQueue: fm.Observe,
		Logger:  log,
	})
	if err != nil {
		return usageError{err}
	}

	var srv *http.Server
	if cfg.HTTPAddr != "" {
		a := &app{cfg: cfg, log: log}
		if srv, err = serve(ctx, a, "http", cfg.HTTPAddr, workerOpsHandler(cfg, control, reg, log), 30*time.Second); err != nil {
			return err
		}
	}
	err = f.Run(ctx)
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}
	return err
}

// workerName names this process in River and in sync_runs.worker.
func workerName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// workerOpsHandler is a worker's operational endpoints (opsHandler's, for a fleet).
func workerOpsHandler(cfg *config.Config, control *store.Control, reg *prometheus.Registry, log zerolog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := control.Ping(ctx); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		if ok, err := control.MigrationsCurrent(ctx); err != nil || !ok {
			http.Error(w, "migrations pending", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		s, err := fleet.ReadStatus(ctx, control, budgetDay(cfg, time.Now()), cfg.DailyBudget)
		if err != nil {
			log.Warn().Err(err).Msg("status failed")
			http.Error(w, "status unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(s)
	})
	return mux
}

// budgetDay is midnight of the budget day containing t (GONGSYNC_BUDGET_TZ).
func budgetDay(cfg *config.Config, t time.Time) time.Time {
	return gsync.NewBudget(nil, gsync.BudgetOptions{TZ: cfg.BudgetTZ}).Day(t)
}
