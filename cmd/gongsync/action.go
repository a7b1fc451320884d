package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gongsync/gongsync/gongapi/catalog"
	"github.com/gongsync/gongsync/internal/config"
	gsync "github.com/gongsync/gongsync/sync"
)

func runAction(ctx context.Context, m *Main, args []string) error {
	usage := func(w io.Writer) {
		fmt.Fprint(w, `Usage: gongsync action <list|describe|check|run> [flags]

Every operation of Gong's v2 API as a named action (its operationId), and
gongsync's own (calls.refresh, privacy.erase-email, privacy.erase-phone), with
their inputs checked before anything is spent.

  list             every action: method and path, read or write, OAuth scope
  describe NAME    an action's inputs, with their types and which are required
  check NAME       check an input (--input JSON, @file or - for stdin) and print
                   the request it becomes; a bad input exits 2
  run NAME         run it: checked, counted in the budget, sent once (or retried
                   when that is safe), recorded in action_runs; prints the answer

list, describe and check need neither a database nor credentials.
Run 'gongsync action <list|describe|check|run> --help' for their flags.
`)
	}
	if len(args) == 0 {
		usage(m.Stderr)
		return usageErrorf("action needs a subcommand: list, describe, check or run")
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(m.Stdout)
		return flag.ErrHelp
	case "list":
		return runActionList(m, args[1:])
	case "describe":
		return runActionDescribe(m, args[1:])
	case "check":
		return runActionCheck(m, args[1:])
	case "run":
		return runActionRun(ctx, m, args[1:])
	}
	return usageErrorf("unknown action subcommand %q (want list, describe, check or run)", args[0])
}

func runActionList(m *Main, args []string) error {
	c := newCLI(m, "action list", "[--json]", `
List every action: its name (Gong's operationId), method and path, whether it reads
or writes, and the OAuth scope it needs ("-" where Gong's document names none).`, 0)
	asJSON := c.fs.Bool("json", false, "print JSON instead of a table")
	if _, err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", c.fs.Args())
	}
	all := catalog.All()
	if *asJSON {
		return writeJSON(m.Stdout, actionSummaries())
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tMETHOD\tPATH\tACCESS\tSCOPE")
	for _, s := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, dash(s.Method), dash(s.Path), access(s), dash(s.Scope))
	}
	return tw.Flush()
}

func runActionDescribe(m *Main, args []string) error {
	c := newCLI(m, "action describe", "NAME [--json]", `
Describe one action: its endpoint, whether it writes, its scope, how it pages, and
its input: a JSON object whose fields go to the path, the query or the body.`, 0)
	asJSON := c.fs.Bool("json", false, "print the action's full description as JSON")
	name, err := parseWithName(c, args)
	if err != nil {
		return err
	}
	s, err := catalog.Find(name)
	if err != nil {
		return usageError{err}
	}
	if *asJSON {
		return writeJSON(m.Stdout, s)
	}
	w := m.Stdout
	if s.Endpoint() {
		fmt.Fprintf(w, "%s: %s %s\n", s.Name, s.Method, s.Path)
	} else {
		fmt.Fprintf(w, "%s: gongsync's own action\n", s.Name)
	}
	fmt.Fprintf(w, "  %s\n", accessLong(s))
	switch {
	case s.Scope != "" && len(s.MoreScopes) > 0 && !s.Endpoint():
		// An own action sends several of Gong's operations, each needing its scope.
		fmt.Fprintf(w, "  OAuth scopes: %s and %s (for the operations it sends)\n", s.Scope, strings.Join(s.MoreScopes, ", "))
	case s.Scope != "" && len(s.MoreScopes) > 0:
		fmt.Fprintf(w, "  OAuth scope: %s (and %s for some inputs)\n", s.Scope, strings.Join(s.MoreScopes, ", "))
	case s.Scope != "":
		fmt.Fprintf(w, "  OAuth scope: %s\n", s.Scope)
	default:
		fmt.Fprintf(w, "  OAuth scope: not named in Gong's document\n")
	}
	if s.Cursor != "" {
		fmt.Fprintf(w, "  paged: the cursor goes in the %s; records are in %q\n", s.Cursor, s.Records)
	}
	if len(s.Inputs) == 0 {
		fmt.Fprintf(w, "\nInput: none ({})\n")
		return nil
	}
	fmt.Fprintf(w, "\nInput, a JSON object (* required; where each field goes, then its type):\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range s.Inputs {
		describeField(tw, 1, f, string(f.In))
	}
	return tw.Flush()
}

// describeField writes one input line and, below it, the fields it contains.
func describeField(w io.Writer, depth int, f catalog.Field, where string) {
	name := f.Name
	if f.Required {
		name += " *"
	}
	fmt.Fprintf(w, "%s%s\t%s\t%s\n", strings.Repeat("  ", depth), name, where, typeText(f.Schema))
	s := f.Schema
	for s.Kind == catalog.Array && s.Items != nil {
		s = s.Items
	}
	for _, sub := range s.Fields {
		describeField(w, depth+1, sub, "")
	}
}

// typeText is a schema's type with its enum and bounds, for describe.
func typeText(s *catalog.Schema) string {
	t := s.TypeName()
	if s.Kind == catalog.Integer && s.Format == catalog.FormatInt64 {
		t = "integer (int64: number or string of digits)"
	}
	inner := s
	for inner.Kind == catalog.Array && inner.Items != nil {
		inner = inner.Items
	}
	var notes []string
	if len(inner.Enum) > 0 {
		notes = append(notes, "one of "+strings.Join(inner.Enum, "|"))
	}
	if inner.Minimum != nil {
		notes = append(notes, fmt.Sprintf(">= %d", *inner.Minimum))
	}
	if inner.Maximum != nil {
		notes = append(notes, fmt.Sprintf("<= %d", *inner.Maximum))
	}
	for _, b := range []struct {
		label string
		n     *int
	}{{"min length", inner.MinLength}, {"max length", inner.MaxLength}, {"min items", s.MinItems}, {"max items", s.MaxItems}} {
		if b.n != nil {
			notes = append(notes, fmt.Sprintf("%s %d", b.label, *b.n))
		}
	}
	if len(notes) > 0 {
		t += ": " + strings.Join(notes, ", ")
	}
	return t
}

// actionUsageError turns a refused input into a usage error (exit 2) listing every
// problem on its own line; other errors pass through.
func actionUsageError(err error) error {
	var bad *catalog.InputError
	if errors.As(err, &bad) {
		lines := make([]string, len(bad.Problems))
		for i, p := range bad.Problems {
			lines[i] = "  " + p.String()
		}
		if bad.More > 0 {
			lines = append(lines, fmt.Sprintf("  … and %d more", bad.More))
		}
		return usageErrorf("bad input for %s (nothing sent):\n%s", bad.Action, strings.Join(lines, "\n"))
	}
	if errors.Is(err, catalog.ErrUnknownAction) {
		return usageError{err}
	}
	return err
}

func runActionCheck(m *Main, args []string) error {
	c := newCLI(m, "action check", "NAME [--input JSON|@file|-]", `
Check an action's input against Gong's document and print the request it would
send (method, path, query, body). Sends nothing and needs no credentials. A bad
input exits 2 with every problem on its own line, named by its field path
(filter.callIds[3]: want string, got number).`, 0)
	input := c.fs.String("input", "{}", "the input JSON ('@file' reads it from a file, '-' from stdin)")
	name, err := parseWithName(c, args)
	if err != nil {
		return err
	}
	s, err := catalog.Find(name)
	if err != nil {
		return usageError{err}
	}
	raw, err := readArg(m.Stdin, "--input", *input)
	if err != nil {
		return usageError{err}
	}
	in, err := s.Check(raw)
	if err != nil {
		return actionUsageError(err)
	}
	if !s.Endpoint() {
		// An own action is a program of several requests, not one request to print.
		fmt.Fprintf(m.Stdout, "%s: the input is good. It is gongsync's own action, several requests rather than one: "+
			"`gongsync action run %s` runs it%s.\n", s.Name, s.Name, map[bool]string{true: " (--dry-run shows what it would do)"}[hasDryRun(s)])
		return nil
	}
	req, err := s.Request(in)
	if err != nil {
		return err
	}
	return writeJSON(m.Stdout, req)
}

// parseWithName parses the flags (before or after the name, as everywhere) and
// returns the action's name.
func parseWithName(c *cli, args []string) (string, error) {
	if _, err := c.parse(args); err != nil {
		return "", err
	}
	var name string
	rest := c.fs.Args()
	if len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	if name == "" {
		return "", usageErrorf("want an action name (gongsync action list shows them)")
	}
	if len(rest) > 0 {
		return "", usageErrorf("unexpected arguments %q", rest)
	}
	return name, nil
}

func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

func access(s *catalog.Spec) string {
	if s.Writes {
		return "write"
	}
	return "read"
}

func accessLong(s *catalog.Spec) string {
	switch {
	case !s.Writes:
		return "reads"
	case s.IdempotencyField != "":
		return "writes; idempotent when " + s.IdempotencyField + " is reused"
	case s.Idempotent():
		return "writes; idempotent by its method (" + s.Method + ")"
	}
	return "writes; not idempotent"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// hasDryRun reports whether an action takes the dry-run input (--dry-run).
func hasDryRun(s *catalog.Spec) bool {
	_, ok := s.Input(catalog.DryRunField)
	return ok
}

func runActionRun(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "action run", "NAME [--input JSON|@file|-] [--all] [--idempotency-key KEY] [--dry-run]", `
Run an action: its input is checked first (a bad one exits 2 and spends nothing),
then it goes through the same client as the sync: the credentials and base URL,
the daily budget and its pace, retries for reads and for writes that are safe to
send again (PUT, DELETE, addCall's clientUniqueId). Any other write is sent once:
if its answer is lost it is reported as "may have been applied" with Gong's
requestId, never sent again. Every run is recorded in action_runs. The answer is
printed as JSON.

A second run with the same --idempotency-key and input prints the first run's
answer (kept 24 hours) without sending anything; another input with the same key
is refused (exit 2). gongsync's own actions: calls.refresh {"callIds": [...]}
fetches calls and their transcripts now; privacy.erase-email {"emailAddress": …}
and privacy.erase-phone {"phoneNumber": …} erase a person in Gong and here
(--dry-run shows what would go, spending only Gong's lookup).`, config.Database|config.Gong|config.Budget|config.Sync)
	input := c.fs.String("input", "{}", "the input JSON ('@file' reads it from a file, '-' from stdin)")
	all := c.fs.Bool("all", false, "follow the cursors of a paged operation and print every record in one answer")
	key := c.fs.String("idempotency-key", "", "a key that makes running the same input again return the first answer without sending")
	dryRun := c.fs.Bool("dry-run", false, "for actions that have one (privacy.*): show what would happen, spending only reads")
	cfg, err := c.parse(args)
	if err != nil {
		return err
	}
	var name string
	rest := c.fs.Args()
	if len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	switch {
	case name == "":
		return usageErrorf("want an action name (gongsync action list shows them)")
	case len(rest) > 0:
		return usageErrorf("unexpected arguments %q", rest)
	}
	spec, err := catalog.Find(name)
	if err != nil {
		return usageError{err}
	}
	raw, err := readArg(m.Stdin, "--input", *input)
	if err != nil {
		return usageError{err}
	}
	if *dryRun {
		if !hasDryRun(spec) {
			return usageErrorf("--dry-run: %s has no dry run; `gongsync action check %s` shows the request without sending it", spec.Name, spec.Name)
		}
		if raw, err = withDryRun(raw); err != nil {
			return actionUsageError(err)
		}
	}
	// Checked here too, before the database is opened: a bad input needs neither.
	if _, err := spec.Check(raw); err != nil {
		return actionUsageError(err)
	}

	log := c.logger(cfg)
	a, err := openApp(ctx, cfg, log, appOptions{migrate: true, gong: true})
	if err != nil {
		return err
	}
	defer a.Close()
	out, err := a.engine.RunAction(ctx, gsync.ActionRequest{
		Name: spec.Name, Input: raw, All: *all, IdempotencyKey: *key, AskedBy: gsync.AskedByCLI, LocalFiles: true,
	})
	var conflict *gsync.ActionConflictError
	switch {
	case errors.As(err, &conflict):
		return usageError{err}
	case err != nil:
		return actionUsageError(err)
	}
	if out.Replayed {
		fmt.Fprintf(m.Stderr, "gongsync action run: the answer of run %d, kept for this idempotency key; nothing sent\n", out.RunID)
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out.Answer, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(out.Answer)
	}
	pretty.WriteByte('\n')
	_, err = m.Stdout.Write(pretty.Bytes())
	return err
}

// withDryRun sets the dry-run input in an input object, keeping every number as it
// was written. An input that is not a JSON object is left for the check to refuse.
func withDryRun(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var in map[string]any
	if err := dec.Decode(&in); err != nil || in == nil {
		return raw, nil
	}
	in[catalog.DryRunField] = true
	return json.Marshal(in)
}
