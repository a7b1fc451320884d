package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gongsync/gongsync/gongapi/catalog"
)

// noBackends points the database and Gong nowhere: the action commands must not need
// either.
var noBackends = map[string]string{"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "GONG_BASE_URL": "http://127.0.0.1:1"}

func TestActionListShowsEveryOperation(t *testing.T) {
	code, out, errOut := gongsync(t, noBackends, "action", "list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// Gong's 55 operations and gongsync's three own actions.
	if len(lines) != 1+len(catalog.All()) || len(catalog.All()) != 55+3 {
		t.Errorf("%d lines for %d actions", len(lines), len(catalog.All()))
	}
	if strings.Join(strings.Fields(lines[0]), " ") != "NAME METHOD PATH ACCESS SCOPE" {
		t.Errorf("header %q", lines[0])
	}
	for _, want := range []string{
		"listCallsExtensive POST /v2/calls/extensive read api:calls:read:extensive",
		"purgeEmailAddress POST /v2/data-privacy/erase-data-for-email-address write api:data-privacy:delete",
		"getPermissionProfile GET /v2/permission-profile read -",
		"calls.refresh - - read api:calls:read:extensive",
		"privacy.erase-email - - write api:data-privacy:delete",
		"privacy.erase-phone - - write api:data-privacy:delete",
	} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("list lacks %q", want)
		}
	}

	code, out, errOut = gongsync(t, noBackends, "action", "list", "--json")
	var list []struct{ Name, Method, Path, Scope string }
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != len(catalog.All()) {
		t.Fatalf("list --json: exit %d, %d entries: %s", code, len(list), errOut)
	}
}

func TestActionDescribeShowsInputsAndRequired(t *testing.T) {
	code, out, errOut := gongsync(t, noBackends, "action", "describe", "getCallTranscripts")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"getCallTranscripts: POST /v2/calls/transcript",
		"reads",
		"OAuth scope: api:calls:read:transcript",
		`paged: the cursor goes in the body; records are in "callTranscripts"`,
		"cursor body string",
		"filter * body object",
		"callIds array of string",
	} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = gongsync(t, noBackends, "action", "describe", "--json", "addCall")
	var got catalog.Spec
	want, _ := catalog.Find("addCall")
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || !reflect.DeepEqual(&got, want) {
		t.Errorf("describe --json addCall: exit %d, does not decode to the catalog's entry", code)
	}
	if code, _, errOut := gongsync(t, noBackends, "action", "describe", "getcall"); code != 2 || !strings.Contains(errOut, `unknown action "getcall" (did you mean getCall?)`) {
		t.Errorf("describe of an unknown action: exit %d %s", code, errOut)
	}
}

func TestActionCheckPrintsTheRequestOrRefusesWithExitTwo(t *testing.T) {
	code, out, errOut := gongsync(t, noBackends, "action", "check", "listCallsExtensive", "--input", `{"filter":{"callIds":["9223372036854775807"]}}`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r catalog.Request
	var body bytes.Buffer
	err := json.Unmarshal([]byte(out), &r)
	if err == nil {
		err = json.Compact(&body, r.Body)
	}
	if err != nil || r.Method != "POST" || r.Path != "/v2/calls/extensive" || body.String() != `{"filter":{"callIds":["9223372036854775807"]}}` {
		t.Errorf("check printed %s (%v)", out, err)
	}

	code, out, errOut = gongsync(t, noBackends, "action", "check", "getCallTranscripts", "--input", `{"filter":{"callIds":["1",2]},"page":1}`)
	if code != 2 || out != "" {
		t.Errorf("bad input: exit %d, stdout %q", code, out)
	}
	for _, want := range []string{"bad input for getCallTranscripts (nothing sent)", "\n  page: unknown field", "\n  filter.callIds[1]: want string, got number"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}

	// The input from a file, from standard input, and the name after the flags.
	file := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(file, []byte(`{"id":"a/b"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := gongsync(t, noBackends, "action", "check", "--input", "@"+file, "getCall"); code != 0 || !strings.Contains(out, `"path": "/v2/calls/a%2Fb"`) {
		t.Errorf("--input @file: exit %d %s%s", code, out, errOut)
	}
	var stdout, stderr bytes.Buffer
	m := &Main{Stdin: strings.NewReader(`{"emailAddress":"a@b.c"}`), Stdout: &stdout, Stderr: &stderr}
	if code := m.Run(context.Background(), []string{"action", "check", "purgeEmailAddress", "--input", "-"}); code != 0 || !strings.Contains(stdout.String(), `"emailAddress": [`) {
		t.Errorf("--input -: exit %d %s%s", code, stdout.String(), stderr.String())
	}

	// An own action's input is checked; it has no single request to print.
	if code, out, errOut := gongsync(t, noBackends, "action", "check", "privacy.erase-email", "--input", `{"emailAddress":"a@b.example"}`); code != 0 ||
		!strings.Contains(out, "privacy.erase-email: the input is good") || !strings.Contains(out, "--dry-run") {
		t.Errorf("check of an own action: exit %d %s%s", code, out, errOut)
	}
	if code, _, errOut := gongsync(t, noBackends, "action", "check", "calls.refresh", "--input", `{"callIds":["1",2]}`); code != 2 ||
		!strings.Contains(errOut, "callIds[1]: want string, got number") {
		t.Errorf("check of an own action's bad input: exit %d %s", code, errOut)
	}

	for _, args := range [][]string{
		{"action"},
		{"action", "frob"},
		{"action", "check"},
		{"action", "check", "nope"},
		{"action", "check", "getCall", "extra"},
		{"action", "check", "getCall", "--input", "@/nonexistent/file"},
		{"action", "check", "getCall", "--input", "{"},
		{"action", "list", "extra"},
	} {
		if code, _, errOut := gongsync(t, noBackends, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
}
