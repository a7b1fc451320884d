package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/gongapi/catalog"
	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/config"
)

// fakeStats reads what the fake served from its control route, as a test of a
// process in another address space would.
func fakeStats(t *testing.T, url string) fakegong.Stats {
	t.Helper()
	resp, err := http.Get(url + "/_fake/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s fakegong.Stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func envMapOf(kv []string) map[string]string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return m
}

// Every kind of bad input to `gongsync action run` exits 2 and spends nothing: the
// fake saw no request, the ledger counted none, no run was recorded.
func TestActionRunBadInputSpendsNothing(t *testing.T) {
	t.Parallel()
	k := newKillEnv(t, 20, 0)
	db := migrated.NewDatabase(t)
	env := envMapOf(k.env(db))
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"getcall"}, `unknown action "getcall" (did you mean getCall?)`},
		{[]string{"getCall", "--input", `{"id":"1","ID":"2"}`}, "ID: unknown field"},
		{[]string{"getCall"}, "id: missing (required)"},
		{[]string{"getCall", "--input", `{"id":1}`}, "id: want string, got number"},
		{[]string{"getCall", "--input", `{"id":""}`}, "id: must not be empty"},
		{[]string{"getCall", "--input", `{"id":".."}`}, "id: must not be .."},
		{[]string{"getCall", "--input", `{"id":`}, "not valid JSON"},
		{[]string{"getCall", "--input", `["1"]`}, "want a JSON object, got array"},
		{[]string{"getCall", "--input", "@" + filepath.Join(dir, "nope.json")}, "no such file"},
		{[]string{"listCallsExtensive", "--input", `{"filter":{"callIds":"1"}}`}, "filter.callIds: want array of string, got string"},
		{[]string{"listWorkspaces", "--all"}, "listWorkspaces is not paged"},
		{[]string{"listWorkspaces", "--dry-run"}, "listWorkspaces has no dry run"},
		{[]string{"addCallRecording", "--input", `{"id":"1","mediaFile":"` + filepath.Join(dir, "none.mp3") + `"}`}, "mediaFile: cannot read the file"},
		{[]string{"privacy.erase-email", "--input", `{"emailAddress":"not an address"}`, "--dry-run"}, "is not an email address"},
		{[]string{"calls.refresh", "--input", `{"callIds":[]}`}, "callIds: want at least 1 items"},
		{[]string{"listUsers", "--idempotency-key", strings.Repeat("k", 300)}, "the idempotency key must be at most"},
		{[]string{"listUsers", "extra"}, "unexpected arguments"},
	} {
		code, out, errOut := gongsync(t, env, append([]string{"action", "run"}, tc.args...)...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, want 2 saying %q:\n%s%s", tc.args, code, tc.want, out, errOut)
		}
	}
	if s := fakeStats(t, k.url); s.Total != 0 {
		t.Errorf("bad input cost %d requests: %v", s.Total, s.ByEndpoint)
	}
	if n := count(t, db, `SELECT coalesce(sum(requests), 0) FROM gong.api_usage`) + count(t, db, `SELECT count(*) FROM gong.action_runs`); n != 0 {
		t.Errorf("the ledger or action_runs has %d", n)
	}
}

// count runs a query returning one number against the database at url.
func count(t *testing.T, url, sql string, args ...any) int {
	t.Helper()
	a, err := openApp(context.Background(), &config.Config{DatabaseURL: config.Secret(url), Schema: "gong",
		DailyBudget: 100, BackfillShare: 1, BudgetTZ: time.UTC}, zerolog.Nop(), appOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var n int
	if err := a.st.Pool().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// `gongsync action run` prints the answer; with --idempotency-key a second run prints
// the kept answer without sending; another input with the key exits 2.
func TestActionRunPrintsTheAnswerAndReplaysIt(t *testing.T) {
	t.Parallel()
	k := newKillEnv(t, 20, 0)
	db := migrated.NewDatabase(t)
	env := envMapOf(k.env(db))
	code, out, errOut := gongsync(t, env, "action", "run", "listWorkspaces", "--idempotency-key", "ws-1")
	var ws struct {
		Workspaces []map[string]any `json:"workspaces"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &ws) != nil || len(ws.Workspaces) == 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	code, again, errOut := gongsync(t, env, "action", "run", "listWorkspaces", "--input", `{ }`, "--idempotency-key", "ws-1")
	if code != 0 || again != out || !strings.Contains(errOut, "kept for this idempotency key; nothing sent") {
		t.Errorf("replay: exit %d\n%s\n%s", code, again, errOut)
	}
	if code, _, errOut := gongsync(t, env, "action", "run", "listUsers", "--idempotency-key", "ws-1"); code != 2 ||
		!strings.Contains(errOut, `idempotency key "ws-1": already used for the action listWorkspaces (run 1); nothing sent`) {
		t.Errorf("another action with the key: exit %d %s", code, errOut)
	}
	if s := fakeStats(t, k.url); s.Total != 1 {
		t.Errorf("%d requests, want 1", s.Total)
	}
	// A Gong refusal exits 1, naming the run and Gong's requestId.
	code, _, errOut = gongsync(t, env, "action", "run", "getCall", "--input", `{"id":"42"}`)
	if code != 1 || !strings.Contains(errOut, "getCall (run 2) failed") || !strings.Contains(errOut, "requestId") {
		t.Errorf("a 404: exit %d %s", code, errOut)
	}
	// An own action with a dry run: the lookup only.
	code, out, errOut = gongsync(t, env, "action", "run", "privacy.erase-email", "--input", `{"emailAddress":"nobody@example.com"}`, "--dry-run")
	if code != 0 || !strings.Contains(out, `"dryRun": true`) || fakeStats(t, k.url).ByEndpoint["GET /v2/data-privacy/data-for-email-address"] != 1 {
		t.Errorf("dry run: exit %d %s%s", code, out, errOut)
	}
}

// actionsWorld is the daemon's actions server on a real database, before a fake Gong.
type actionsWorld struct {
	t     *testing.T
	a     *app
	fake  *fakegong.Server
	fakeU string
	srv   *httptest.Server
	logs  *safeBuffer
	token string
}

func newActionsWorld(t *testing.T, budget int) *actionsWorld {
	t.Helper()
	k := newKillEnv(t, 30, 0)
	w := &actionsWorld{t: t, fake: k.fake, fakeU: k.url, logs: &safeBuffer{}, token: "act-Token-0f9e8d7c6b5a-0123456789abcdef"}
	cfg := &config.Config{
		DatabaseURL: config.Secret(migrated.NewDatabase(t)), Schema: "gong", GongBaseURL: k.url,
		AccessKey: fakegong.DefaultAccessKey, AccessKeySecret: config.Secret(fakegong.DefaultAccessKeySecret),
		DailyBudget: budget, BackfillShare: 0.8, BudgetTZ: time.UTC, ActionsToken: config.Secret(w.token),
	}
	var err error
	if w.a, err = openApp(context.Background(), cfg, zerolog.New(w.logs), appOptions{migrate: true, gong: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.a.Close)
	w.srv = httptest.NewServer(actionsHandler(w.a))
	t.Cleanup(w.srv.Close)
	return w
}

// post sends an action's input with the token and returns the status, headers and
// decoded JSON answer.
func (w *actionsWorld) do(method, path, body string, header ...string) (int, http.Header, map[string]any) {
	w.t.Helper()
	req, err := http.NewRequest(method, w.srv.URL+path, strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.token)
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &v); err != nil {
			w.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return resp.StatusCode, resp.Header, v
}

// The actions server: the token first, the same checks and record as the CLI, a short
// reason with every refusal, and bad input of every kind spends nothing.
func TestActionsServerChecksEverythingBeforeSpending(t *testing.T) {
	t.Parallel()
	w := newActionsWorld(t, 1000)
	file := filepath.Join(t.TempDir(), "call.mp3")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, path, body string
		header                   []string
		status                   int
		want                     string
	}{
		{"no token", "POST", "/actions/listUsers", `{}`, []string{"Authorization", ""}, 401, "missing or wrong bearer token"},
		{"wrong token", "POST", "/actions/listUsers", `{}`, []string{"Authorization", "Bearer " + strings.Repeat("x", 36)}, 401, "bearer token"},
		{"token as Basic", "GET", "/actions", ``, []string{"Authorization", "Basic " + "act-Token-0f9e8d7c6b5a-0123456789abcdef"}, 401, "bearer token"},
		{"unknown action", "POST", "/actions/getcall", `{}`, nil, 404, `unknown action "getcall" (did you mean getCall?)`},
		{"unknown route", "GET", "/v2/users", ``, nil, 404, "no such route"},
		{"wrong method", "GET", "/actions/listUsers", ``, nil, 405, "POST /actions/{name} runs an action"},
		{"unknown field", "POST", "/actions/getCall", `{"id":"1","ids":[]}`, nil, 400, "bad input for getCall (nothing sent)"},
		{"missing field", "POST", "/actions/getCall", `{}`, nil, 400, "bad input"},
		{"wrong type", "POST", "/actions/listCallsExtensive", `{"filter":{"callIds":[7]}}`, nil, 400, "bad input"},
		{"not JSON", "POST", "/actions/getCall", `{"id":`, nil, 400, "bad input"},
		{"not an object", "POST", "/actions/getCall", `"1"`, nil, 400, "bad input"},
		{"not paged", "POST", "/actions/listWorkspaces?all=true", `{}`, nil, 400, "bad input"},
		{"all not a boolean", "POST", "/actions/listUsers?all=maybe", `{}`, nil, 400, "all: want true or false"},
		{"local file", "POST", "/actions/addCallRecording", `{"id":"1","mediaFile":"` + file + `"}`, nil, 400, "bad input"},
		{"bad email", "POST", "/actions/privacy.erase-email", `{"emailAddress":"@"}`, nil, 400, "bad input"},
		{"too large", "POST", "/actions/getCall", `{"id":"` + strings.Repeat("1", maxActionBody) + `"}`, nil, 413, "larger than"},
		{"not JSON content", "POST", "/actions/getCall", `{"id":"1"}`, []string{"Content-Type", "text/plain"}, 415, "application/json"},
		{"key too long", "POST", "/actions/listUsers", `{}`, []string{"Idempotency-Key", strings.Repeat("k", 256)}, 400, "bad input"},
	} {
		status, h, v := w.do(tc.method, tc.path, tc.body, tc.header...)
		reason, _ := v["error"].(string)
		if status != tc.status || !strings.Contains(reason, tc.want) {
			t.Errorf("%s: %d %v, want %d saying %q", tc.name, status, v, tc.status, tc.want)
		}
		if status == 401 && h.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", tc.name)
		}
	}
	// The problems name their fields.
	_, _, v := w.do("POST", "/actions/listCallsExtensive", `{"filter":{"callIds":[7]},"x":1}`)
	if b, _ := json.Marshal(v["problems"]); !strings.Contains(string(b), `"path":"filter.callIds[0]"`) || !strings.Contains(string(b), `"path":"x"`) {
		t.Errorf("problems %s", b)
	}
	if s := fakeStats(t, w.fakeU); s.Total != 0 {
		t.Errorf("bad input cost %d requests: %v", s.Total, s.ByEndpoint)
	}
	var runs int
	if err := w.a.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM action_runs`).Scan(&runs); err != nil || runs != 0 {
		t.Errorf("%d runs recorded (%v)", runs, err)
	}
	if strings.Contains(w.logs.String(), w.token) {
		t.Error("the token is in the log")
	}
}

// A run answers 200 with Gong's answer; the idempotency key replays it and refuses
// another input (409); Gong's refusal is a 502 with its requestId; a spent budget is
// a 429 with Retry-After.
func TestActionsServerRunsRecordsAndRefuses(t *testing.T) {
	t.Parallel()
	w := newActionsWorld(t, 4)
	status, h, v := w.do("POST", "/actions/listUsers", ``, "Idempotency-Key", "users-1")
	if status != 200 || v["users"] == nil || h.Get("Gongsync-Action-Run") != "1" || h.Get("Content-Type") != "application/json" {
		t.Fatalf("listUsers: %d %v %v", status, h, v)
	}
	status, h, again := w.do("POST", "/actions/listUsers", `{}`, "Idempotency-Key", "users-1")
	if status != 200 || h.Get("Gongsync-Replayed") != "true" || h.Get("Gongsync-Action-Run") != "1" || len(again["users"].([]any)) != len(v["users"].([]any)) {
		t.Errorf("replay: %d %v", status, h)
	}
	if status, _, v := w.do("POST", "/actions/listUsers", `{"includeAvatars":true}`, "Idempotency-Key", "users-1"); status != 409 ||
		!strings.Contains(v["error"].(string), "already used for another input") || v["run"] != 1.0 {
		t.Errorf("another input with the key: %d %v", status, v)
	}
	status, _, v = w.do("POST", "/actions/getCall", `{"id":"42"}`)
	if ids, _ := v["requestIds"].([]any); status != 502 || v["status"] != "failed" || len(ids) != 1 || !strings.Contains(v["error"].(string), "404") {
		t.Errorf("a Gong 404: %d %v", status, v)
	}
	// The write is recorded as asked over HTTP.
	status, _, v = w.do("POST", "/actions/purgeEmailAddress", `{"emailAddress":"a@b.example"}`)
	if status != 200 || v["requestId"] == nil {
		t.Errorf("purge: %d %v", status, v)
	}
	var asked string
	if err := w.a.st.Pool().QueryRow(context.Background(), `SELECT string_agg(asked_by || ':' || status, ',' ORDER BY id) FROM action_runs`).Scan(&asked); err != nil ||
		asked != "http:succeeded,http:failed,http:succeeded" {
		t.Errorf("records %q (%v)", asked, err)
	}
	// The budget of 4 is spent by the next read.
	status, _, _ = w.do("POST", "/actions/listWorkspaces", `{}`)
	status2, h2, v2 := w.do("POST", "/actions/listWorkspaces", `{}`)
	if status != 200 || status2 != 429 || h2.Get("Retry-After") == "" || !strings.Contains(v2["error"].(string), "budget") {
		t.Errorf("over the budget: %d then %d %v %v", status, status2, h2, v2)
	}
	// GET /actions lists every action.
	resp, err := func() (*http.Response, error) {
		req, _ := http.NewRequest("GET", w.srv.URL+"/actions", nil)
		req.Header.Set("Authorization", "Bearer "+w.token)
		return http.DefaultClient.Do(req)
	}()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []actionSummary
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &list); err != nil || len(list) != 58 || !bytes.Contains(b, []byte(`"name":"privacy.erase-email"`)) {
		t.Errorf("GET /actions: %d actions (%v)", len(list), err)
	}
}

// README.md's Actions section: every action its examples run exists and every input
// they give passes the check, from the CLI and with curl.
func TestReadmeActionExamplesAreValid(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n### Actions\n")
	if !ok {
		t.Fatal(`README.md has no "### Actions" section`)
	}
	section, _, _ = strings.Cut(section, "\n### ")
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) != 2 {
		t.Fatalf("the Actions section has %d sh blocks, want the CLI's and curl's", len(blocks))
	}
	text := strings.ReplaceAll(blocks[0][1]+blocks[1][1], "\\\n", " ")
	checked := 0
	check := func(name, input string) {
		t.Helper()
		if _, _, err := catalog.Check(name, []byte(input)); err != nil {
			t.Errorf("README example %s %s: %v", name, input, err)
		}
		checked++
	}
	cli := regexp.MustCompile(`gongsync action (?:run|check) (\S+)(.*)`)
	input := regexp.MustCompile(`--input '([^']*)'`)
	for _, m := range cli.FindAllStringSubmatch(text, -1) {
		in := "{}"
		if i := input.FindStringSubmatch(m[2]); i != nil {
			in = i[1]
		} else if strings.Contains(m[2], "--input @") {
			continue
		}
		check(m[1], in)
	}
	curl := regexp.MustCompile(`curl .*?(?:-d '([^']*)'.*?)?/actions/([^\s?']+)`)
	for _, m := range curl.FindAllStringSubmatch(text, -1) {
		check(m[2], cmp.Or(m[1], "{}"))
	}
	// curl -d alone sends application/x-www-form-urlencoded, which the server refuses
	// with 415: an example that posts must say it sends JSON.
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "curl ") && strings.Contains(line, " -d ") &&
			!strings.Contains(line, "-H 'Content-Type: application/json'") {
			t.Errorf("README example posts without Content-Type: application/json: %s", line)
		}
	}
	if checked < 8 {
		t.Errorf("only %d examples checked", checked)
	}
}
