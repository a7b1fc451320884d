package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gongsync/gongsync/internal/config"
	gsync "github.com/gongsync/gongsync/sync"
)

func runDaemon(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "run", "[--no-migrate]", `
Run the daemon: apply pending migrations, sync what is due at once, then run the
calls and transcripts, users, and settle schedules (cron specs, read in
GONGSYNC_SCHEDULE_TZ; a tick that finds its previous run still going is skipped).
Serves /healthz, /readyz, /metrics and /status on GONGSYNC_HTTP_ADDR, Gong
webhooks on GONGSYNC_WEBHOOK_ADDR when set, and the actions for apps (GET /actions,
POST /actions/{name}, bearer GONGSYNC_ACTIONS_TOKEN) on GONGSYNC_ACTIONS_ADDR when
set, and the MCP server for AI assistants (streamable HTTP, POST /mcp, bearer
GONGSYNC_MCP_TOKEN) on GONGSYNC_MCP_ADDR when set. SIGTERM finishes the page in flight, commits it, and exits 0.

With a connection registry that holds a connection (gongsync connections) and no
--connection, it is one worker of the deployment (it refuses to start when the
environment's Gong credentials describe an installation the registry does not hold): it syncs every connection of the registry together with
every other 'gongsync run' on the same database, GONGSYNC_WORKERS jobs at a time
(each job a run of one stream of one connection, GONGSYNC_REQUESTS_PER_JOB requests
at most, then back in the queue); the schedules are each connection's, or these.
With --connection NAME it is that connection's daemon, as without a registry.`,
		config.Database|config.Gong|config.Budget|config.Sync|config.Daemon)
	noMigrate := c.fs.Bool("no-migrate", false, "do not apply pending migrations (fail if any is pending)")
	// A registry holds the credentials of its connections: whether this process needs
	// its own is known once the database says whether there is one.
	c.loader.DeferCredentials()
	cfg, err := c.parse(args)
	if err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", c.fs.Args())
	}
	log := c.logger(cfg)
	if cfg.Connection == "" {
		conns, err := registryConnections(ctx, cfg, log)
		if err != nil {
			return err
		}
		if len(conns) > 0 {
			if err := outsideRegistry(cfg, conns); err != nil {
				return err
			}
			return runWorkers(ctx, cfg, log, *noMigrate)
		}
		if err := cfg.CredentialsProblem(); err != nil {
			return usageError{err}
		}
	} else if err := c.requireActive(); err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, log, appOptions{migrate: !*noMigrate, gong: true, metrics: true, waitForLogin: true})
	if err != nil {
		return err
	}
	defer a.Close()
	d, err := gsync.NewDaemon(a.engine, a.schedules())
	if err != nil {
		return usageError{err}
	}
	a.fresh = d.Freshness()

	var servers []*http.Server
	if cfg.HTTPAddr != "" {
		srv, err := serve(ctx, a, "http", cfg.HTTPAddr, opsHandler(a), 30*time.Second)
		if err != nil {
			return err
		}
		servers = append(servers, srv)
	}
	if cfg.WebhookAddr != "" {
		// The calls webhooks announce are fetched at once, batched, until the daemon
		// stops; a fetch under way ends (interrupted) before the database closes.
		fetch := a.engine.NewCallBatcher(gsync.BatcherOptions{Window: cfg.WebhookBatch})
		fctx, cancel := context.WithCancel(ctx)
		fetched := make(chan struct{})
		go func() { defer close(fetched); _ = fetch.Run(fctx) }()
		defer func() { cancel(); <-fetched }()
		h, err := webhookHandler(a, fetch)
		if err != nil {
			return usageError{err}
		}
		srv, err := serve(ctx, a, "webhook", cfg.WebhookAddr, h, 30*time.Second)
		if err != nil {
			return err
		}
		servers = append(servers, srv)
	}
	if cfg.MCPAddr != "" {
		srv, st, err := openMCP(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer st.Close()
		h, err := mcpHandler(srv, cfg)
		if err != nil {
			return err
		}
		// An answer is read from Postgres in seconds; the write timeout bounds an
		// event stream a client keeps open, which it reopens.
		s, err := serve(ctx, a, "mcp", cfg.MCPAddr, h, 5*time.Minute)
		if err != nil {
			return err
		}
		servers = append(servers, s)
	}
	var actions *http.Server
	if cfg.ActionsAddr != "" {
		if actions, err = serve(ctx, a, "actions", cfg.ActionsAddr, actionsHandler(a), actionsWriteTimeout); err != nil {
			return err
		}
	}

	err = d.Run(ctx)
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range servers {
		_ = s.Shutdown(sctx)
	}
	if actions != nil {
		// A write in flight runs to its end so that its record says how it ended: give
		// the runs a minute before the process goes.
		actx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = actions.Shutdown(actx)
	}
	return err
}

// serve listens on addr (failing at once if it can't) and serves h until shutdown.
// Timeouts keep slow clients from holding connections open; write is how long an
// answer may take.
func serve(ctx context.Context, a *app, name, addr string, h http.Handler, write time.Duration) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s server: %w", name, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      write,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	a.log.Info().Str("server", name).Str("addr", ln.Addr().String()).Msg("listening")
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error().Err(err).Str("server", name).Msg("server stopped")
		}
	}()
	return srv, nil
}
