package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gongsync/gongsync/internal/config"
)

func runHealthcheck(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "healthcheck", "[--timeout 5s]", `
Ask the daemon on GONGSYNC_HTTP_ADDR whether it is ready (GET /readyz: Postgres
answers and the migrations are current) and exit 0 when it answers 200, 1 otherwise.
For container health checks: the image has no shell or HTTP client, so the same
binary asks. A host of 0.0.0.0 or [::] (listen everywhere) is asked on loopback.`, config.HTTP)
	timeout := c.fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	cfg, err := c.parse(args)
	if err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", c.fs.Args())
	}
	if cfg.HTTPAddr == "" {
		return usageErrorf("GONGSYNC_HTTP_ADDR is off: there is no /readyz to ask")
	}
	u := "http://" + loopback(cfg.HTTPAddr) + "/readyz"
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return usageError{err}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not ready: %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s answered %d: %s", u, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Fprintln(m.Stdout, strings.TrimSpace(string(body)))
	return nil
}

// loopback turns a listen address into one to connect to: an empty or unspecified
// host (":9090", "0.0.0.0:9090", "[::]:9090") is this machine.
func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
