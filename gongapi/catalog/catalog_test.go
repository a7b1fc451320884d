package catalog

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gongsync/gongsync/internal/gongdoc"
)

// loadDocument reads Gong's OpenAPI document, or skips: the project does not ship it,
// so a fresh clone checks the catalog only where the team's copy is at hand.
func loadDocument(t *testing.T) map[string]any {
	t.Helper()
	path, err := gongdoc.Path()
	if errors.Is(err, gongdoc.ErrNotFound) {
		t.Skipf("%v: the catalog is not compared with it", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

// resolveDoc follows a $ref in the raw document.
func resolveDoc(doc map[string]any, s map[string]any) map[string]any {
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		s = doc["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any)
	}
}

// The catalog is compared with the document by a reading of the raw JSON that shares
// no code with the generator, so a generator bug cannot hide behind itself.
func TestEveryOperationOfTheDocumentIsAnActionWithItsMethodAndPath(t *testing.T) {
	doc := loadDocument(t)
	seen := map[string]bool{}
	for path, item := range doc["paths"].(map[string]any) {
		for method, v := range item.(map[string]any) {
			op := v.(map[string]any)
			id := op["operationId"].(string)
			seen[id] = true
			s, err := Find(id)
			if err != nil {
				t.Errorf("%s %s: %v", method, path, err)
				continue
			}
			if s.Method != strings.ToUpper(method) || s.Path != path {
				t.Errorf("%s: catalog has %s %s, document %s %s", id, s.Method, s.Path, strings.ToUpper(method), path)
			}
			checkParameters(t, doc, s, op)
			checkBody(t, doc, s, op)
		}
	}
	if len(seen) != 55 {
		t.Errorf("the document has %d operations, the issue counted 55", len(seen))
	}
	for _, s := range gongSpecs {
		if !seen[s.Name] {
			t.Errorf("catalog entry %s is not an operation of the document", s.Name)
		}
	}
}

func checkParameters(t *testing.T, doc map[string]any, s *Spec, op map[string]any) {
	t.Helper()
	params, _ := op["parameters"].([]any)
	for _, p := range params {
		p := p.(map[string]any)
		name, in := p["name"].(string), In(p["in"].(string))
		required, _ := p["required"].(bool)
		f, ok := s.Input(name)
		switch {
		case !ok:
			t.Errorf("%s: parameter %s (%s) is not an input", s.Name, name, in)
		case f.In != in && !(s.Name == "getCrmObjects" && name == "objectsCrmIds" && f.In == InWholeBody):
			t.Errorf("%s: %s goes in %s, document says %s", s.Name, name, f.In, in)
		case f.Required != required:
			t.Errorf("%s: %s required=%t, document says %t", s.Name, name, f.Required, required)
		}
		schema := resolveDoc(doc, p["schema"].(map[string]any))
		if ok && string(f.Schema.Kind) != schema["type"] {
			t.Errorf("%s: %s is a %s, document says %v", s.Name, name, f.Schema.Kind, schema["type"])
		}
	}
}

func checkBody(t *testing.T, doc map[string]any, s *Spec, op map[string]any) {
	t.Helper()
	rb, ok := op["requestBody"].(map[string]any)
	if !ok {
		for _, f := range s.Inputs {
			if f.In == InBody || f.In == InForm {
				t.Errorf("%s: input %s goes in a body the document does not have", s.Name, f.Name)
			}
		}
		return
	}
	for ct, c := range rb["content"].(map[string]any) {
		body := resolveDoc(doc, c.(map[string]any)["schema"].(map[string]any))
		if body["type"] == "array" {
			if f, ok := s.Input("body"); !ok || f.In != InWholeBody || f.Schema.Kind != Array {
				t.Errorf("%s: the document's body is an array; want an input \"body\" sent as the whole body", s.Name)
			}
			continue
		}
		want := InBody
		if ct == "multipart/form-data" {
			want = InForm
		}
		required, _ := body["required"].([]any)
		for name := range body["properties"].(map[string]any) {
			f, ok := s.Input(name)
			if !ok || f.In != want {
				t.Errorf("%s: body field %s: want an input in %s, got %+v", s.Name, name, want, f)
				continue
			}
			if f.Required != slices.Contains(required, any(name)) {
				t.Errorf("%s: body field %s required=%t, document disagrees", s.Name, name, f.Required)
			}
		}
	}
}

func TestGongOperationsAreFiftyFiveAndNamesAreUnique(t *testing.T) {
	if len(gongSpecs) != 55 {
		t.Errorf("%d generated entries, want Gong's 55 operations", len(gongSpecs))
	}
	seen := map[string]bool{}
	for _, s := range All() {
		if seen[s.Name] {
			t.Errorf("two actions named %s", s.Name)
		}
		seen[s.Name] = true
		if !s.Endpoint() && s.Writes {
			t.Logf("%s is an own write action", s.Name)
		}
	}
	for _, s := range ownSpecs {
		if !strings.Contains(s.Name, ".") {
			t.Errorf("own action %s: want a dotted name so it cannot clash with an operationId", s.Name)
		}
	}
	if !slices.IsSortedFunc(All(), func(a, b *Spec) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("All is not sorted by name")
	}
}

func TestReadsWritesAndScopes(t *testing.T) {
	cases := []struct {
		name   string
		writes bool
		scope  string
	}{
		{"listCalls", false, "api:calls:read:basic"},
		{"getCall", false, "api:calls:read:basic"},
		{"listCallsExtensive", false, "api:calls:read:extensive"}, // a POST that only reads
		{"getCallTranscripts", false, "api:calls:read:transcript"},
		{"getUsersAccessToCalls", false, "api:call-user-access:read"},
		{"listAnsweredScorecards", false, "api:stats:scorecards"},
		{"getRequestStatus", false, "api:crm:upload"}, // a GET under an upload scope still reads
		{"addCall", true, "api:calls:create"},
		{"purgeEmailAddress", true, "api:data-privacy:delete"},
		{"integrationStatus", true, "api:meetings:integration:status"}, // doubt falls on writing
		{"uploadCrmSchemaField", true, "api:crm:schema"},
		{"addUsersAccessToCalls", true, "api:call-user-access:write"},
		{"deleteUsersAccessToCalls", true, "api:call-user-access:write"},
		{"listTrackers", false, "api:settings:trackers:read"},
		{"listFlows", false, "api:flows:read"},
		{"getPermissionProfile", false, ""}, // the document names no scope
		{"createPermissionProfile", true, ""},
	}
	for _, c := range cases {
		s, err := Find(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if s.Writes != c.writes || s.Scope != c.scope {
			t.Errorf("%s: writes=%t scope=%q, want %t %q", c.name, s.Writes, s.Scope, c.writes, c.scope)
		}
	}
	if s, _ := Find("listCallsExtensive"); !slices.Equal(s.MoreScopes, []string{"api:calls:read:media-url"}) {
		t.Errorf("listCallsExtensive more scopes %v", s.MoreScopes)
	}
	for _, s := range gongSpecs {
		switch s.Method {
		case "GET":
			if s.Writes {
				t.Errorf("%s: a GET that writes", s.Name)
			}
		case "PUT", "DELETE":
			if !s.Writes || !s.Idempotent() {
				t.Errorf("%s: a %s is a write, idempotent by its method", s.Name, s.Method)
			}
		}
		if s.Scope != "" && !strings.HasPrefix(s.Scope, "api:") {
			t.Errorf("%s: scope %q", s.Name, s.Scope)
		}
	}
	if s, _ := Find("addCall"); s.IdempotencyField != "clientUniqueId" || !s.Idempotent() {
		t.Errorf("addCall: idempotency field %q", s.IdempotencyField)
	}
	if s, _ := Find("purgeEmailAddress"); s.Idempotent() {
		t.Error("purgeEmailAddress counted idempotent")
	}
}

func TestPagedOperationsNameTheirCursorAndRecords(t *testing.T) {
	cases := map[string]struct {
		cursor  In
		records string
	}{
		"listCalls":                         {InQuery, "calls"},
		"listUsers":                         {InQuery, "users"},
		"listLogs":                          {InQuery, "logEntries"},
		"listCallsExtensive":                {InBody, "calls"},
		"getCallTranscripts":                {InBody, "callTranscripts"},
		"listMultipleUsers":                 {InBody, "users"},
		"listMultipleUsersDayByDayActivity": {InBody, "usersDetailedActivities"},
		"listWorkspaces":                    {"", ""},
		"listScorecards":                    {"", ""},
		"getCall":                           {"", ""},
	}
	for name, c := range cases {
		s, _ := Find(name)
		if s.Cursor != c.cursor || s.Records != c.records {
			t.Errorf("%s: cursor %q records %q, want %q %q", name, s.Cursor, s.Records, c.cursor, c.records)
		}
	}
	paged := 0
	for _, s := range gongSpecs {
		f, hasCursor := s.Input("cursor")
		switch {
		case hasCursor != (s.Cursor != ""):
			t.Errorf("%s: cursor input %t but Cursor %q", s.Name, hasCursor, s.Cursor)
		case hasCursor && f.In != s.Cursor:
			t.Errorf("%s: cursor input in %s, Cursor %q", s.Name, f.In, s.Cursor)
		case hasCursor && s.Records == "":
			t.Errorf("%s: paged without a records field", s.Name)
		}
		if hasCursor {
			paged++
		}
	}
	if paged != 13 {
		t.Errorf("%d paged operations, want 13", paged)
	}
}

func TestFindSuggestsNearNames(t *testing.T) {
	cases := map[string]string{
		"getcall":    `unknown action "getcall" (did you mean getCall?)`,
		"listCall":   `unknown action "listCall" (did you mean listCalls?)`,
		"frobnicate": `unknown action "frobnicate" (gongsync action list shows them)`,
		"":           `unknown action "" (gongsync action list shows them)`,
	}
	for name, want := range cases {
		_, err := Find(name)
		if !errors.Is(err, ErrUnknownAction) || err.Error() != want {
			t.Errorf("Find(%q) = %v, want %s", name, err, want)
		}
	}
	if _, _, err := Check("nope", []byte(`{}`)); !errors.Is(err, ErrUnknownAction) {
		t.Errorf("Check of an unknown action: %v", err)
	}
}
