package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"

	"github.com/gongsync/gongsync/internal/config"
	gsync "github.com/gongsync/gongsync/sync"
)

// gongMethods are the methods of Gong's API (every operation of its OpenAPI document
// uses one of them).
var gongMethods = []string{"GET", "POST", "PUT", "DELETE"}

func runProxy(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "proxy", "[-X METHOD] /v2/path[?query] [-d JSON]", `
Send one request to Gong through gongsync's client: the same credentials and base
URL, rate limiter, retries, and daily budget ledger as the sync, so ad-hoc calls
never spend the quota behind its back. Prints the JSON answer on stdout; a Gong
error prints its requestId and texts and exits 1.`, config.Database|config.Gong|config.Budget)
	method := c.fs.String("X", "", "HTTP method: GET, POST, PUT or DELETE (default GET, or POST with -d)")
	data := c.fs.String("d", "", "JSON request body ('@file' reads it from a file, '-' from stdin)")
	cfg, err := c.parse(args) // flags may follow the path: gongsync proxy /v2/calls -X GET
	if err != nil {
		return err
	}
	path := c.fs.Arg(0)
	if !strings.HasPrefix(path, "/") || c.fs.NArg() > 1 {
		return usageErrorf("want one path starting with /v2/ (e.g. gongsync proxy /v2/users)")
	}
	var body []byte
	if *data != "" {
		if body, err = readArg(m.Stdin, "-d", *data); err != nil {
			return usageError{err}
		}
	}
	if len(body) > 0 && !json.Valid(body) {
		return usageErrorf("-d is not valid JSON")
	}
	if *method == "" {
		*method = "GET"
		if len(body) > 0 {
			*method = "POST"
		}
	}
	// Checked before anything is spent: Gong answers any other method with a 405,
	// and that answer costs a request of the day's budget.
	*method = strings.ToUpper(*method)
	if !slices.Contains(gongMethods, *method) {
		return usageErrorf("-X %s: Gong's API takes %s", *method, strings.Join(gongMethods, ", "))
	}
	u, err := url.Parse(path)
	if err != nil || !strings.HasPrefix(u.Path, "/v2/") {
		return usageErrorf("path %q must start with /v2/", path)
	}

	log := c.logger(cfg)
	a, err := openApp(ctx, cfg, log, appOptions{migrate: true, gong: true})
	if err != nil {
		return err
	}
	defer a.Close()
	// The operator pays for this request, not a sync: it counts as a proxy call. The
	// path goes as typed, escapes included: an id "a%2Fb" stays one segment.
	resp, err := a.gong.WithBudget(a.budget.For(gsync.KindProxy)).Do(ctx, *method, u.EscapedPath(), u.Query(), body)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, resp.Body, "", "  ") == nil {
		pretty.WriteByte('\n')
		_, err = m.Stdout.Write(pretty.Bytes())
		return err
	}
	_, err = m.Stdout.Write(resp.Body)
	return err
}
