package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/internal/config"
	"github.com/gongsync/gongsync/internal/mcpserver"
	"github.com/gongsync/gongsync/store"
)

func runMCP(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "mcp", "", `
Speak the Model Context Protocol on stdin and stdout, for a desktop AI assistant
that starts gongsync as its MCP server: full-text search of the transcripts, calls
with their context, transcripts as speaker turns, calls by filter, one read-only SQL
statement, and how fresh the copy is. It reads the database only: no request goes
to Gong. Private calls and calls an erasure touched are left out unless
GONGSYNC_AI_INCLUDE_PRIVATE=true. The log goes to stderr.

The daemon serves the same over HTTP on GONGSYNC_MCP_ADDR (gongsync run --help).`,
		config.Database)
	cfg, err := c.parse(args)
	if err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", c.fs.Args())
	}
	log := c.logger(cfg)
	srv, st, err := openMCP(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info().Str("schema", cfg.Schema).Bool("include_private", cfg.AI.IncludePrivate).Msg("mcp: serving on stdio")
	if err := srv.RunStdio(ctx, m.Stdin, m.Stdout); err != nil {
		return fmt.Errorf("mcp: %w", err)
	}
	return nil
}

// mcpPoolConns is the MCP server's own pool: the query tool runs an assistant's SQL
// on its connections, which it keeps apart from the sync's.
const mcpPoolConns = 4

// openMCP opens the MCP server's own pool on an up-to-date schema and builds the
// server. The caller closes the store.
func openMCP(ctx context.Context, cfg *config.Config, log zerolog.Logger) (*mcpserver.Server, *store.Store, error) {
	st, err := openStoreWith(ctx, cfg, log, store.Options{MaxConns: mcpPoolConns})
	if err != nil {
		return nil, nil, err
	}
	if ok, err := st.MigrationsCurrent(ctx); err != nil || !ok {
		st.Close()
		if err == nil {
			err = fmt.Errorf("the database schema %q is not up to date: run `gongsync migrate`", cfg.Schema)
		}
		return nil, nil, err
	}
	return mcpserver.New(mcpserver.Options{Store: st, ControlSchema: cfg.ControlSchema, IncludePrivate: cfg.AI.IncludePrivate,
		Version: Version(), Logger: log.With().Str("server", "mcp").Logger()}), st, nil
}

// mcpHandler serves the MCP server behind the bearer token. The configuration
// refuses an address without a token; this refuses it again rather than serve calls
// to anyone.
func mcpHandler(srv *mcpserver.Server, cfg *config.Config) (http.Handler, error) {
	if cfg.MCPToken == "" {
		return nil, usageErrorf("GONGSYNC_MCP_ADDR is set but GONGSYNC_MCP_TOKEN is not")
	}
	return srv.Handler(cfg.MCPToken.Reveal()), nil
}
