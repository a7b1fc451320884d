package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/internal/config"
	"github.com/gongsync/gongsync/internal/secretbox"
	"github.com/gongsync/gongsync/store"
	gsync "github.com/gongsync/gongsync/sync"
)

func runAuth(ctx context.Context, m *Main, args []string) error {
	usage := func(w io.Writer) {
		fmt.Fprint(w, `Usage: gongsync auth <login|status> [flags]

Connect gongsync to Gong as an installed OAuth app instead of with an access key.

  login   open Gong's consent page, receive its redirect on this machine, and store
          the tokens in Postgres (encrypted with GONGSYNC_ENCRYPTION_KEY)
  status  the auth mode in use, the stored connection's scopes, expiry and API host

Run 'gongsync auth <login|status> --help' for their flags.
`)
	}
	if len(args) == 0 {
		usage(m.Stderr)
		return usageErrorf("auth needs a subcommand: login or status")
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(m.Stdout)
		return flag.ErrHelp
	case "login":
		return runAuthLogin(ctx, m, args[1:])
	case "status":
		return runAuthStatus(ctx, m, args[1:])
	}
	return usageErrorf("unknown auth subcommand %q (want login or status)", args[0])
}

func runAuthLogin(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "auth login", "[--redirect-url URL] [--no-browser] [--timeout 10m]", `
Connect gongsync to a Gong company as an installed OAuth app. Prints Gong's
authorize page (and opens it when this machine has a desktop), listens on the
redirect URL for Gong's answer, checks its state, exchanges the code, and stores the
tokens in Postgres, encrypted with GONGSYNC_ENCRYPTION_KEY. The redirect URL must be
registered for the app in Gong. Needs GONG_OAUTH_CLIENT_ID and
GONG_OAUTH_CLIENT_SECRET; applies pending migrations first.`, config.Database|config.Gong)
	redirect := c.fs.String("redirect-url", gongapi.DefaultRedirectURL, "where Gong redirects the browser; gongsync listens there (port 0 picks a free one, tests only)")
	noBrowser := c.fs.Bool("no-browser", false, "only print the authorize URL")
	timeout := c.fs.Duration("timeout", 10*time.Minute, "how long to wait for Gong's redirect")
	scopes := c.fs.String("scopes", strings.Join(gsync.OAuthScopes(), " "), "scopes to ask for, space-separated")
	noMigrate := c.fs.Bool("no-migrate", false, "do not apply pending migrations (fail if any is pending)")
	cfg, err := c.parse(args)
	if err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", c.fs.Args())
	}
	if c.conn != nil && c.conn.AuthMode != store.AuthOAuth {
		return usageErrorf("connection %s authenticates with an access key; `gongsync connections add %s --update` with an OAuth app's GONG_OAUTH_CLIENT_ID and GONG_OAUTH_CLIENT_SECRET makes it an OAuth connection", c.conn.Name, c.conn.Name)
	}
	if cfg.OAuthClientID == "" || cfg.OAuthClientSecret == "" {
		return usageErrorf("auth login needs the OAuth app's GONG_OAUTH_CLIENT_ID and GONG_OAUTH_CLIENT_SECRET")
	}
	log := c.logger(cfg)
	tokens, closeStore, err := openTokens(ctx, cfg, log, !*noMigrate)
	if err != nil {
		return err
	}
	defer closeStore()
	// Refuse before anyone clicks anything: tokens Gong hands out and we cannot keep
	// would be wasted (and the code is single-use).
	if err := tokens.CanWrite(); err != nil {
		return usageError{err}
	}
	app, err := newOAuthApp(cfg, strings.Fields(*scopes))
	if err != nil {
		return usageError{err}
	}
	if cfg.AccessKey != "" {
		log.Warn().Msg("GONG_ACCESS_KEY is set: gongsync keeps using the access key until it is unset; the OAuth connection is stored for then")
	}
	if !tokens.Encrypting() {
		log.Warn().Msg("INSECURE: GONGSYNC_ENCRYPTION_KEY is not set and --insecure-plaintext-tokens is: the OAuth tokens will be stored unencrypted")
	}

	lctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	tok, err := app.Login(lctx, gongapi.LoginOptions{
		RedirectURL: *redirect,
		OnAuthURL: func(u string) {
			fmt.Fprintf(m.Stdout, "Open this page to connect gongsync to Gong (a Gong administrator approves the app):\n\n  %s\n\n", u)
			if !*noBrowser && openBrowser(u, m.getenv) {
				fmt.Fprintln(m.Stdout, "(opened in your browser)")
			}
			fmt.Fprintf(m.Stdout, "Waiting up to %s for Gong's redirect…\n", timeout.String())
			if f, ok := m.Stdout.(interface{ Sync() error }); ok {
				_ = f.Sync()
			}
		},
	})
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return fmt.Errorf("no redirect from Gong within %s: %w", *timeout, err)
		}
		return fmt.Errorf("login: %w", err)
	}
	saved, err := tokens.Save(ctx, gsync.TokenFromLogin(tok))
	if err != nil {
		return err
	}
	if c.conn != nil && c.conn.FailedAt != nil {
		// The new login is the fix the failure waited for: workers take the
		// connection up again.
		if control, err := openControl(ctx, cfg, log); err == nil {
			err = control.ClearFailure(ctx, c.conn.Name)
			control.Close()
			if err != nil {
				log.Warn().Err(err).Msg("could not clear the connection's failure: run `gongsync connections resume`")
			}
		}
	}
	fmt.Fprintln(m.Stdout, "\nConnected to Gong.")
	printToken(m.Stdout, cfg, saved)
	return nil
}

func runAuthStatus(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "auth status", "[--json]", `
Show which way gongsync authenticates to Gong (access key, OAuth, or none) and, for
OAuth, the stored connection: scopes, when the access token expires (it is refreshed
automatically), the company's API base URL, how it is stored, and whether a new login
is needed. Never shows a token. Reads Postgres only. Exits 1 when OAuth is configured
but the connection is missing or needs a new login.`, config.Database|config.Gong)
	asJSON := c.fs.Bool("json", false, "print JSON")
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
	if ok, err := st.MigrationsCurrent(ctx); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("the database schema %q is not up to date: run `gongsync migrate`", cfg.Schema)
		}
		return err
	}
	info, err := st.OAuthTokenInfo(ctx, store.DefaultConnection)
	stored := err == nil
	if err != nil && !errors.Is(err, store.ErrNoToken) {
		return err
	}

	mode := cfg.AuthMode()
	var problem error
	if mode == "oauth" {
		switch {
		case !stored:
			problem = &gsync.LoginRequiredError{Reason: "no OAuth connection is stored"}
		case info.LoginRequired != "":
			problem = &gsync.LoginRequiredError{Reason: info.LoginRequired}
		}
	}
	if *asJSON {
		out := map[string]any{"mode": mode}
		if stored {
			out["oauth"] = tokenJSON(info)
		}
		if problem != nil {
			out["problem"] = problem.Error()
		}
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
		return problem
	}
	switch mode {
	case "basic":
		fmt.Fprintf(m.Stdout, "mode: basic (access key %s)\n", keyHint(cfg.AccessKey))
		if stored {
			fmt.Fprintln(m.Stdout, "An OAuth connection is stored too; it is not used while GONG_ACCESS_KEY is set.")
		}
	case "oauth":
		fmt.Fprintf(m.Stdout, "mode: oauth (client id %s)\n", keyHint(cfg.OAuthClientID))
	default:
		fmt.Fprintln(m.Stdout, "mode: none (no Gong credentials configured)")
	}
	if stored {
		printToken(m.Stdout, cfg, info)
	} else {
		fmt.Fprintln(m.Stdout, "No OAuth connection is stored; `gongsync auth login` makes one.")
	}
	return problem
}

// printToken describes a stored connection without its tokens.
func printToken(w io.Writer, cfg *config.Config, t store.OAuthToken) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  connection\t%s (generation %d, updated %s)\n", t.ID, t.Generation, t.UpdatedAt.UTC().Format(time.RFC3339))
	fmt.Fprintf(tw, "  scopes\t%s\n", strings.Join(t.Scopes, " "))
	if t.ExpiresAt.IsZero() {
		fmt.Fprintf(tw, "  access token expires\tunknown\n")
	} else {
		left := time.Until(t.ExpiresAt).Round(time.Second)
		when := "in " + left.String()
		if left <= 0 {
			when = "expired " + (-left).String() + " ago; refreshed on next use"
		}
		fmt.Fprintf(tw, "  access token expires\t%s (%s)\n", t.ExpiresAt.UTC().Format(time.RFC3339), when)
	}
	base := t.APIBaseURL
	if base == "" {
		base = cfg.GongBaseURL + " (the token names no customer URL)"
	}
	fmt.Fprintf(tw, "  API base URL\t%s\n", base)
	if t.Encrypted {
		fmt.Fprintf(tw, "  stored\tencrypted (AES-256-GCM) in %s.oauth_tokens\n", cfg.Schema)
	} else {
		fmt.Fprintf(tw, "  stored\tUNENCRYPTED (--insecure-plaintext-tokens) in %s.oauth_tokens\n", cfg.Schema)
	}
	if t.LoginRequired != "" {
		fmt.Fprintf(tw, "  login required\t%s (since %s): run `gongsync auth login`\n", t.LoginRequired, t.LoginRequiredAt.UTC().Format(time.RFC3339))
	}
	tw.Flush()
}

func tokenJSON(t store.OAuthToken) map[string]any {
	out := map[string]any{
		"connection": t.ID, "generation": t.Generation, "scopes": t.Scopes, "api_base_url": t.APIBaseURL,
		"encrypted": t.Encrypted, "updated_at": t.UpdatedAt, "obtained_at": t.ObtainedAt,
	}
	if !t.ExpiresAt.IsZero() {
		out["expires_at"] = t.ExpiresAt
	}
	if t.LoginRequired != "" {
		out["login_required"] = t.LoginRequired
		out["login_required_at"] = t.LoginRequiredAt
	}
	return out
}

// keyHint shows enough of an id to recognise it.
func keyHint(s string) string {
	if len(s) <= 4 {
		return "…"
	}
	return s[:4] + "…"
}

// openTokens opens the store (migrating when asked) and its token store.
func openTokens(ctx context.Context, cfg *config.Config, log zerolog.Logger, migrate bool) (*store.Tokens, func(), error) {
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	if migrate {
		err = st.Migrate(ctx)
	} else if ok, cerr := st.MigrationsCurrent(ctx); cerr != nil || !ok {
		err = cerr
		if err == nil {
			err = fmt.Errorf("the database schema %q is not up to date: run `gongsync migrate`", cfg.Schema)
		}
	}
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	tokens, err := tokenStore(cfg, st, log)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return tokens, st.Close, nil
}

// tokenStore is the store's token table under the configured key.
func tokenStore(cfg *config.Config, st *store.Store, log zerolog.Logger) (*store.Tokens, error) {
	var box *secretbox.Box
	if k := cfg.EncryptionKey.Reveal(); k != "" {
		var err error
		if box, err = secretbox.FromString(k); err != nil {
			return nil, usageErrorf("GONGSYNC_ENCRYPTION_KEY: %v", err)
		}
	}
	return st.Tokens(store.TokenOptions{Box: box, AllowPlaintext: cfg.InsecurePlaintextTokens, Logger: log}), nil
}

// newOAuthApp is the OAuth app of the configuration; a login asks for scopes, or, when
// none are given, for every stream's (sync.OAuthScopes).
func newOAuthApp(cfg *config.Config, scopes []string) (*gongapi.OAuth, error) {
	if len(scopes) == 0 {
		scopes = gsync.OAuthScopes()
	}
	return gongapi.NewOAuth(gongapi.OAuthConfig{
		ClientID:     cfg.OAuthClientID,
		ClientSecret: cfg.OAuthClientSecret.Reveal(),
		AuthorizeURL: cfg.OAuthAuthorizeURL,
		TokenURL:     cfg.OAuthTokenURL,
		Scopes:       scopes,
		UserAgent:    "gongsync/" + Version(),
	})
}

// oauthAuthorizer is the Gong client's Authorizer in OAuth mode: the stored
// connection, refreshed as needed. It checks the connection at once, so a command
// that cannot authenticate fails before its first request, telling the operator to
// log in.
func oauthAuthorizer(ctx context.Context, cfg *config.Config, st *store.Store, log zerolog.Logger, waitForLogin bool) (gongapi.Authorizer, error) {
	tokens, err := tokenStore(cfg, st, log)
	if err != nil {
		return nil, err
	}
	app, err := newOAuthApp(cfg, nil)
	if err != nil {
		return nil, usageError{err}
	}
	ts := gsync.NewTokenSource(tokens, app, gsync.TokenSourceOptions{BaseURL: cfg.GongBaseURL, Logger: log})
	if err := ts.Check(ctx); err != nil {
		if !waitForLogin || !errors.Is(err, gsync.ErrLoginRequired) {
			return nil, err
		}
		log.Warn().Err(err).Msg("starting anyway: the sync begins once `gongsync auth login` has stored a connection")
	}
	return ts, nil
}

// openBrowser opens u in the desktop's browser when there is one, without waiting.
func openBrowser(u string, getenv func(string) string) bool {
	var name string
	switch {
	case runtime.GOOS == "darwin":
		name = "open"
	case getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != "":
		name = "xdg-open"
	default:
		return false
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return false
	}
	cmd := exec.Command(path, u)
	if cmd.Start() != nil {
		return false
	}
	go func() { _ = cmd.Wait() }()
	return true
}
