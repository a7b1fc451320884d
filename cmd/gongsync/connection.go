package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/internal/config"
	"github.com/gongsync/gongsync/internal/secretbox"
	"github.com/gongsync/gongsync/store"
)

// A connection is one Gong company of the registry (GONGSYNC_CONTROL_SCHEMA). Every
// command that takes --connection NAME (GONGSYNC_CONNECTION) works with the
// configuration the registry's row makes of the process's own: the connection's
// schema, base URL and credentials, and its own budget, rate and schedules where it
// has them. Without --connection, the configuration describes the one connection
// there is, as it did before registries existed.

// secretBox is the key of the secrets at rest (GONGSYNC_ENCRYPTION_KEY), nil when none
// is set.
func secretBox(cfg *config.Config) (*secretbox.Box, error) {
	k := cfg.EncryptionKey.Reveal()
	if k == "" {
		return nil, nil
	}
	box, err := secretbox.FromString(k)
	if err != nil {
		return nil, usageErrorf("GONGSYNC_ENCRYPTION_KEY: %v", err)
	}
	return box, nil
}

// openControl opens the control schema, its secrets under the configured key.
func openControl(ctx context.Context, cfg *config.Config, log zerolog.Logger) (*store.Control, error) {
	box, err := secretBox(cfg)
	if err != nil {
		return nil, err
	}
	c, err := store.OpenControl(ctx, store.ControlOptions{
		Options: store.Options{DatabaseURL: cfg.DatabaseURL.Reveal(), Schema: cfg.ControlSchema, Logger: log},
		Box:     box, AllowPlaintext: cfg.InsecurePlaintextTokens,
	})
	if err != nil {
		return nil, openDatabaseError(err)
	}
	return c, nil
}

// registryConnections lists the registry's connections (without their secrets), none
// when there is no registry. Only a registry that holds a connection makes `run` a
// worker and `status` the fleet's: an empty one leaves the deployment the single
// installation its configuration describes, as before registries existed.
func registryConnections(ctx context.Context, cfg *config.Config, log zerolog.Logger) ([]store.Connection, error) {
	c, err := openControl(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if n, err := c.CountConnections(ctx); err != nil || n == 0 {
		return nil, err
	}
	return c.Connections(ctx)
}

// outsideRegistry is the one line saying that the environment describes an
// installation (Gong credentials of its own, for the schema GONGSYNC_SCHEMA) that the
// registry does not hold; nil when it describes none or the registry holds it. Every
// command then agrees: a worker never leaves such an installation unsynced silently.
func outsideRegistry(cfg *config.Config, conns []store.Connection) error {
	if cfg.CredentialsProblem() != nil || slices.ContainsFunc(conns, func(c store.Connection) bool { return c.Schema == cfg.Schema }) {
		return nil
	}
	return usageErrorf("the environment's Gong credentials describe the installation in the schema %q, which the connection registry in %q "+
		"does not hold: add it (`gongsync connections add NAME --schema %s`), or give --connection NAME, or unset GONG_ACCESS_KEY, "+
		"GONG_ACCESS_KEY_SECRET and GONG_OAUTH_CLIENT_ID to work for the registry's connections only", cfg.Schema, cfg.ControlSchema, cfg.Schema)
}

// resolveConnection reads --connection's row and returns the command's configuration
// for it; the row is kept in c.conn. Commands that send nothing to Gong (no Gong
// group) read it without its secrets, so they need no key.
func (c *cli) resolveConnection(cfg *config.Config) (*config.Config, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	control, err := openControl(ctx, cfg, zerolog.Nop())
	if err != nil {
		return nil, err
	}
	defer control.Close()
	ok, err := control.Exists(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, usageErrorf("--connection %s (GONGSYNC_CONNECTION): there is no connection registry in the schema %q "+
			"(GONGSYNC_CONTROL_SCHEMA); `gongsync connections add` makes one", cfg.Connection, cfg.ControlSchema)
	}
	var conn store.Connection
	if c.groups&config.Gong != 0 {
		conn, err = control.Connection(ctx, cfg.Connection)
	} else {
		conn, err = control.ConnectionInfo(ctx, cfg.Connection)
	}
	if errors.Is(err, store.ErrNoConnection) {
		return nil, usageErrorf("--connection %s (GONGSYNC_CONNECTION): no such connection in %q; `gongsync connections list` shows them",
			cfg.Connection, cfg.ControlSchema)
	}
	if errors.Is(err, store.ErrNoEncryptionKey) {
		return nil, usageError{err} // configuration: the key that opens the connection's secrets is missing
	}
	if err != nil {
		return nil, err
	}
	c.conn = &conn
	return connectionConfig(cfg, conn), nil
}

// connectionConfig is cfg made the connection's: its schema, base URL and
// credentials, and its own limits and schedules where the registry holds them.
func connectionConfig(cfg *config.Config, conn store.Connection) *config.Config {
	out := *cfg
	out.Connection = conn.Name
	out.Schema = conn.Schema
	out.GongBaseURL = conn.BaseURL
	out.AccessKey, out.AccessKeySecret = "", ""
	out.OAuthClientID, out.OAuthClientSecret = "", ""
	switch conn.AuthMode {
	case store.AuthBasic:
		out.AccessKey, out.AccessKeySecret = conn.AccessKey, config.Secret(conn.AccessKeySecret.Reveal())
	case store.AuthOAuth:
		out.OAuthClientID, out.OAuthClientSecret = conn.OAuthClientID, config.Secret(conn.OAuthClientSecret.Reveal())
	}
	if conn.DailyBudget != nil {
		out.DailyBudget = *conn.DailyBudget
	}
	if conn.BackfillShare != nil {
		out.BackfillShare = *conn.BackfillShare
	}
	if conn.RateLimit != nil {
		out.RateLimit = *conn.RateLimit
	}
	if conn.ScheduleCalls != "" {
		out.ScheduleCalls = conn.ScheduleCalls
	}
	if conn.ScheduleUsers != "" {
		out.ScheduleUsers = conn.ScheduleUsers
	}
	if conn.ScheduleSettle != "" {
		out.ScheduleSettle = conn.ScheduleSettle
	}
	if conn.ScheduleDaily != "" {
		out.ScheduleDaily = conn.ScheduleDaily
	}
	return &out
}

// requireActive refuses to sync a paused connection: pausing it is how an operator
// says so.
func (c *cli) requireActive() error {
	if c.conn == nil || c.conn.PausedAt == nil {
		return nil
	}
	return fmt.Errorf("connection %s is paused (since %s): `gongsync connections resume %s` first",
		c.conn.Name, c.conn.PausedAt.UTC().Format(time.RFC3339), c.conn.Name)
}
