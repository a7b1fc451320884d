package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/gongsync/gongsync/internal/config"
	"github.com/gongsync/gongsync/internal/secretbox"
	"github.com/gongsync/gongsync/store"
)

func runRotateKey(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "rotate-key", "[--old-key KEY]", `
Seal every stored secret again under a new GONGSYNC_ENCRYPTION_KEY, without a new
login: the registry's connection secrets (GONGSYNC_CONTROL_SCHEMA) and the OAuth
tokens of every connection's schema and of GONGSYNC_SCHEMA, one transaction per
schema. GONGSYNC_ENCRYPTION_KEY is the new key; the old one comes from
GONGSYNC_ENCRYPTION_KEY_OLD (or --old-key; prefer the environment). Stop every
gongsync process first and start them with the new key after: one still holding the
old key can no longer open what was re-sealed. Running it again is safe: values
already under the new key are counted, not changed. Sends nothing to Gong.`, config.Database|config.Gong)
	c.keepConnection = true
	c.loader.DeferCredentials()
	oldKey := c.fs.String("old-key", "", "the key the secrets are sealed with now (default $GONGSYNC_ENCRYPTION_KEY_OLD)")
	cfg, err := c.parse(args)
	if err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", c.fs.Args())
	}
	if *oldKey == "" {
		*oldKey = m.getenv("GONGSYNC_ENCRYPTION_KEY_OLD")
	}
	if cfg.EncryptionKey == "" || *oldKey == "" {
		return usageErrorf("rotate-key needs the new key in GONGSYNC_ENCRYPTION_KEY and the old one in GONGSYNC_ENCRYPTION_KEY_OLD")
	}
	next, err := secretbox.FromString(cfg.EncryptionKey.Reveal())
	if err != nil {
		return usageErrorf("GONGSYNC_ENCRYPTION_KEY: %v", err)
	}
	prev, err := secretbox.FromString(*oldKey)
	if err != nil {
		return usageErrorf("GONGSYNC_ENCRYPTION_KEY_OLD: %v", err)
	}
	if k1, _ := secretbox.ParseKey(*oldKey); string(k1) == string(mustKey(cfg.EncryptionKey.Reveal())) {
		return usageErrorf("GONGSYNC_ENCRYPTION_KEY_OLD is the same key as GONGSYNC_ENCRYPTION_KEY: nothing to rotate")
	}
	log := c.logger(cfg)

	type result struct {
		schema, what string
		res          store.Resealed
		err          error
	}
	var results []result
	schemas := []string{cfg.Schema}
	control, err := openControl(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer control.Close()
	registry, err := control.Exists(ctx)
	if err != nil {
		return err
	}
	if registry {
		res, err := control.ResealConnections(ctx, prev, next)
		results = append(results, result{control.Schema(), "connection secrets", res, err})
		conns, err := control.Connections(ctx)
		if err != nil {
			return err
		}
		for _, cn := range conns {
			if !slices.Contains(schemas, cn.Schema) {
				schemas = append(schemas, cn.Schema)
			}
		}
	}
	for _, s := range schemas {
		scfg := *cfg
		scfg.Schema = s
		st, err := openStore(ctx, &scfg, log)
		if err != nil {
			return err
		}
		res, err := st.ResealTokens(ctx, prev, next)
		st.Close()
		results = append(results, result{s, "OAuth tokens", res, err})
	}

	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCHEMA\tSECRETS\tRE-SEALED\tALREADY NEW\tUNENCRYPTED\tRESULT")
	var failed []error
	for _, r := range results {
		outcome := "ok"
		if r.err != nil {
			outcome = "unchanged: " + r.err.Error()
			failed = append(failed, r.err)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", r.schema, r.what, r.res.Resealed, r.res.Already, r.res.Plain, outcome)
	}
	tw.Flush()
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d schemas not rotated (each is all or nothing; fix the cause and run rotate-key again): %w",
			len(failed), len(results), errors.Join(failed...))
	}
	fmt.Fprintln(m.Stdout, "every secret is sealed with the new key: start gongsync with it (GONGSYNC_ENCRYPTION_KEY), and forget the old one")
	return nil
}

// mustKey is the key's bytes (already checked), for comparing two keys written differently.
func mustKey(s string) []byte {
	k, _ := secretbox.ParseKey(s)
	return k
}
