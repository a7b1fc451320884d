package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/gongsync/gongsync/gongapi/catalog"
)

func runAction(ctx context.Context, m *Main, args []string) error {
	usage := func(w io.Writer) {
		fmt.Fprint(w, `Usage: gongsync action <list|describe|check> [flags]

Every operation of Gong's v2 API as a named action (its operationId), with its
inputs checked before anything is spent. None of these needs a database or
credentials.

  list             every action: method and path, read or write, OAuth scope
  describe NAME    an action's inputs, with their types and which are required
  check NAME       check an input (--input JSON, @file or - for stdin) and print
                   the request it becomes; a bad input exits 2

Run 'gongsync action <list|describe|check> --help' for their flags.
`)
	}
	if len(args) == 0 {
		usage(m.Stderr)
		return usageErrorf("action needs a subcommand: list, describe or check")
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
	}
	return usageErrorf("unknown action subcommand %q (want list, describe or check)", args[0])
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
		type summary struct {
			Name       string     `json:"name"`
			Method     string     `json:"method,omitempty"`
			Path       string     `json:"path,omitempty"`
			Writes     bool       `json:"writes"`
			Scope      string     `json:"scope,omitempty"`
			MoreScopes []string   `json:"moreScopes,omitempty"`
			Cursor     catalog.In `json:"cursor,omitempty"`
			Records    string     `json:"records,omitempty"`
		}
		out := make([]summary, len(all))
		for i, s := range all {
			out[i] = summary{s.Name, s.Method, s.Path, s.Writes, s.Scope, s.MoreScopes, s.Cursor, s.Records}
		}
		return writeJSON(m.Stdout, out)
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
	raw, err := readInput(m.Stdin, *input)
	if err != nil {
		return usageError{err}
	}
	in, err := s.Check(raw)
	var bad *catalog.InputError
	if errors.As(err, &bad) {
		lines := make([]string, len(bad.Problems))
		for i, p := range bad.Problems {
			lines[i] = "  " + p.String()
		}
		if bad.More > 0 {
			lines = append(lines, fmt.Sprintf("  … and %d more", bad.More))
		}
		return usageErrorf("bad input for %s (nothing sent):\n%s", s.Name, strings.Join(lines, "\n"))
	}
	if err != nil {
		return err
	}
	req, err := s.Request(in)
	if err != nil {
		return err
	}
	return writeJSON(m.Stdout, req)
}

// parseWithName parses flags that may come before or after an action's name.
func parseWithName(c *cli, args []string) (string, error) {
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if _, err := c.parse(args); err != nil {
		return "", err
	}
	rest := c.fs.Args()
	if name == "" && len(rest) > 0 {
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

// readInput reads --input: inline JSON, @file, or - for standard input.
func readInput(stdin io.Reader, v string) ([]byte, error) {
	switch {
	case v == "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("--input -: %w", err)
		}
		return b, nil
	case strings.HasPrefix(v, "@"):
		b, err := os.ReadFile(v[1:])
		if err != nil {
			return nil, fmt.Errorf("--input: %w", err)
		}
		return b, nil
	}
	return []byte(v), nil
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
