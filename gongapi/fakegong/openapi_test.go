package fakegong

import (
	"bytes"
	"encoding/json"
	"errors"
	goflag "flag"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
)

// openAPI is Gong's OpenAPI document with a small validator: types, enums, formats,
// $refs and no properties the schema does not list. Two readings are needed for
// Gong's Java-generated document: a schema of type object without properties is
// Java's Object (any JSON value, e.g. a CRM field's value), and null is accepted only
// where Gong is seen to send it. Where live traffic differs from the document (nulls,
// undocumented fields, ids as strings), the check allows exactly what liveTraffic
// (deviations_test.go) lists, and records what it allowed in used.
type openAPI struct {
	doc     map[string]any
	unknown bool // accept properties the schema does not list
	used    map[string]bool
}

// The validator reads an extract of Gong's document committed under testdata: the
// response schemas of the endpoints the fake serves and every schema they refer to,
// keeping only what a validator needs (types, formats, enums, required lists). The
// full document lives outside the repository (../shared/reference), where a fresh
// clone cannot see it; with the extract the check runs wherever the tests run, so it
// cannot pass by being skipped. TestOpenAPIExtractIsCurrent keeps the two in step.
const openAPIExtractFile = "testdata/gong-openapi-extract.json"

// servedEndpoints are the operations the fake answers, whose schemas the extract keeps.
var servedEndpoints = map[string][]string{
	"/v2/users":                                     {"get"},
	"/v2/users/extensive":                           {"post"},
	"/v2/workspaces":                                {"get"},
	"/v2/settings/trackers":                         {"get"},
	"/v2/calls":                                     {"get", "post"},
	"/v2/calls/{id}":                                {"get"},
	"/v2/calls/extensive":                           {"post"},
	"/v2/calls/transcript":                          {"post"},
	"/v2/calls/users-access":                        {"put", "post", "delete"},
	"/v2/data-privacy/data-for-email-address":       {"get"},
	"/v2/data-privacy/data-for-phone-number":        {"get"},
	"/v2/data-privacy/erase-data-for-email-address": {"post"},
	"/v2/data-privacy/erase-data-for-phone-number":  {"post"},

	"/v2/settings/scorecards":       {"get"},
	"/v2/stats/activity/scorecards": {"post"},

	"/v2/stats/activity/day-by-day":     {"post"},
	"/v2/stats/interaction":             {"post"},
	"/v2/library/folders":               {"get"},
	"/v2/library/folder-content":        {"get"},
	"/v2/flows":                         {"get"},
	"/v2/logs":                          {"get"},
	"/v2/all-permission-profiles":       {"get"},
	"/v2/permission-profile/users":      {"get"},
	"/v2/crm/integrations":              {"get"},
	"/v2/crm/entity-schema":             {"get"},
	"/v2/calls/manual-crm-associations": {"get"},
	// /v2/call-outcomes is not in Gong's document: its answer is checked against what
	// recorded live traffic shows (TestCallOutcomesAsSeenLive).
}

var updateOpenAPI = goflag.Bool("update-openapi", false, "rewrite "+openAPIExtractFile+" from Gong's full document (GONG_OPENAPI or ../shared/reference)")

func loadOpenAPI(t testing.TB) *openAPI {
	t.Helper()
	b, err := os.ReadFile(openAPIExtractFile)
	if err != nil {
		t.Fatalf("the OpenAPI extract: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", openAPIExtractFile, err)
	}
	return &openAPI{doc: doc, used: map[string]bool{}}
}

// fullOpenAPIPath finds Gong's full document: GONG_OPENAPI, else
// shared/reference/gong-openapi.json in a directory above the test's (the layout of
// the development machine); "" when there is none.
func fullOpenAPIPath(t testing.TB) string {
	if p := os.Getenv("GONG_OPENAPI"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "reference", "gong-openapi.json")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// extractOpenAPI keeps, from the full document, what the validator reads for the
// served endpoints.
func extractOpenAPI(full map[string]any) (map[string]any, error) {
	paths, _ := full["paths"].(map[string]any)
	schemas, _ := full["components"].(map[string]any)["schemas"].(map[string]any)
	if paths == nil || schemas == nil {
		return nil, errors.New("no paths or components.schemas")
	}
	outPaths := map[string]any{}
	for path, methods := range servedEndpoints {
		ops, _ := paths[path].(map[string]any)
		for _, m := range methods {
			op, _ := ops[m].(map[string]any)
			responses, _ := op["responses"].(map[string]any)
			if len(responses) == 0 {
				return nil, fmt.Errorf("no responses for %s %s", m, path)
			}
			outResp := map[string]any{}
			for status, r := range responses {
				schema, ok := dig(r, "content", "application/json", "schema")
				if !ok {
					continue
				}
				outResp[status] = map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": bareSchema(schema)}}}
			}
			if outPaths[path] == nil {
				outPaths[path] = map[string]any{}
			}
			outPaths[path].(map[string]any)[m] = map[string]any{"responses": outResp}
		}
	}
	// Every schema the kept ones refer to, transitively, and Gong's error body.
	outSchemas := map[string]any{}
	todo := []string{"ErrorResponse"}
	refs(outPaths, &todo)
	for len(todo) > 0 {
		name := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if outSchemas[name] != nil {
			continue
		}
		s, ok := schemas[name]
		if !ok {
			return nil, fmt.Errorf("unresolvable schema %q", name)
		}
		outSchemas[name] = bareSchema(s)
		refs(outSchemas[name], &todo)
	}
	return map[string]any{"paths": outPaths, "components": map[string]any{"schemas": outSchemas}}, nil
}

func dig(v any, keys ...string) (any, bool) {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// bareSchema keeps a schema's structure and drops its prose and examples.
func bareSchema(v any) any {
	s, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for k, x := range s {
		switch k {
		case "type", "format", "enum", "required", "$ref":
			out[k] = x
		case "items":
			out[k] = bareSchema(x)
		case "properties":
			props := map[string]any{}
			for name, p := range x.(map[string]any) {
				props[name] = bareSchema(p)
			}
			out[k] = props
		}
	}
	return out
}

// refs appends the schema names v refers to.
func refs(v any, names *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, y := range x {
			if s, ok := y.(string); ok && k == "$ref" {
				*names = append(*names, strings.TrimPrefix(s, "#/components/schemas/"))
				continue
			}
			refs(y, names)
		}
	case []any:
		for _, y := range x {
			refs(y, names)
		}
	}
}

// TestOpenAPIExtractIsCurrent checks the committed extract against Gong's full
// document when this machine has it, and rewrites it with -update-openapi.
func TestOpenAPIExtractIsCurrent(t *testing.T) {
	path := fullOpenAPIPath(t)
	if path == "" {
		t.Skip("Gong's full OpenAPI document is not on this machine (set GONG_OPENAPI); the committed extract is checked against it where it is")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var full map[string]any
	if err := json.Unmarshal(b, &full); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	ex, err := extractOpenAPI(full)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	want, err := json.MarshalIndent(ex, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *updateOpenAPI {
		if err := os.WriteFile(openAPIExtractFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(openAPIExtractFile)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s is not the extract of %s (err %v): run go test ./gongapi/fakegong -run TestOpenAPIExtractIsCurrent -update-openapi", openAPIExtractFile, path, err)
	}
}

// responseSchema returns the schema Gong documents for one endpoint and status.
func (o *openAPI) responseSchema(t testing.TB, method, path string, status int) map[string]any {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("no %d response schema for %s %s in the document: %v", status, method, path, r)
		}
	}()
	op := o.doc["paths"].(map[string]any)[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
	resp := op["responses"].(map[string]any)[fmt.Sprint(status)].(map[string]any)
	return resp["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
}

func (o *openAPI) schema(name string) map[string]any {
	s, _ := o.doc["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any)
	return s
}

// validate checks a JSON document against a schema and returns every violation.
func (o *openAPI) validate(schema map[string]any, body []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	var errs []string
	o.check(&errs, "$", "", "", schema, v)
	return errs
}

// check validates v against s. name is the schema v sits in and prop its property
// there (or the array's, for an item), where liveTraffic may allow a difference.
func (o *openAPI) check(errs *[]string, at, name, prop string, s map[string]any, v any) {
	fail := func(format string, args ...any) { *errs = append(*errs, at+": "+fmt.Sprintf(format, args...)) }
	if ref, ok := s["$ref"].(string); ok {
		name = strings.TrimPrefix(ref, "#/components/schemas/")
		if s = o.schema(name); s == nil {
			fail("unresolvable $ref %s", ref)
			return
		}
	}
	if v == nil {
		fail("null")
		return
	}
	typ, _ := s["type"].(string)
	switch typ {
	case "object":
		obj, ok := v.(map[string]any)
		props, hasProps := s["properties"].(map[string]any)
		if !hasProps {
			return // Java's Object: any value
		}
		if !ok {
			fail("want an object, got %T", v)
			return
		}
		for _, r := range asStrings(s["required"]) {
			if _, ok := obj[r]; !ok {
				fail("required property %q missing", r)
			}
		}
		for k, val := range obj {
			ps, known := props[k].(map[string]any)
			if !known {
				if !o.allows(extraProperty, name, k) && !o.unknown {
					fail("property %q is not in %s", k, name)
				}
				continue
			}
			if val == nil {
				if o.allows(emptyForNull, name, k) {
					fail("%s.%s is null: Gong sends [] there", name, k)
				} else if !o.allows(sendsNull, name, k) {
					fail("%s.%s is null", name, k)
				}
				continue
			}
			if arr, ok := val.([]any); ok && len(arr) == 0 {
				o.allows(emptyForNull, name, k)
			}
			o.check(errs, at+"."+k, name, k, ps, val)
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			fail("want an array, got %T", v)
			return
		}
		items, _ := s["items"].(map[string]any)
		for i, x := range arr {
			o.check(errs, fmt.Sprintf("%s[%d]", at, i), name, prop, items, x)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			fail("want a string, got %T", v)
			return
		}
		if enum := asStrings(s["enum"]); enum != nil && !slices.Contains(enum, str) {
			fail("%q is not one of %v", str, enum)
		}
		if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				fail("%q is not a date-time", str)
			}
		}
	case "integer":
		n, ok := v.(json.Number)
		if str, isStr := v.(string); isStr && o.allows(stringForInteger, name, prop) {
			n, ok = json.Number(str), true
		}
		if _, isInt := new(big.Int).SetString(string(n), 10); !ok || !isInt {
			fail("want an integer, got %v", v)
		}
	case "number":
		if _, ok := v.(json.Number); !ok {
			fail("want a number, got %T", v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("want a boolean, got %T", v)
		}
	default:
		fail("schema type %q not understood", typ)
	}
}

func asStrings(v any) []string {
	xs, _ := v.([]any)
	var out []string
	for _, x := range xs {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func TestValidatorCatchesMistakes(t *testing.T) {
	t.Parallel()
	o := loadOpenAPI(t)
	calls := o.responseSchema(t, "POST", "/v2/calls/extensive", 200)
	good := `{"requestId":"abc","records":{"totalRecords":1,"currentPageSize":1,"currentPageNumber":0},"calls":[{"metaData":{"id":"1","started":"2024-01-01T00:00:00Z","direction":"Inbound","title":null},"parties":[{"id":"2","speakerId":null}],"context":[{"system":"Salesforce","objects":[{"objectType":"Account","objectId":"x","fields":[{"name":"a","value":3},{"name":"b","value":null}]}]}]}]}`
	if errs := o.validate(calls, []byte(good)); len(errs) != 0 {
		t.Fatalf("a valid answer fails: %v", errs)
	}
	for _, bad := range []string{
		strings.Replace(good, `"title":null`, `"title":null,"invented":1`, 1),                          // unknown property
		strings.Replace(good, `"direction":"Inbound"`, `"direction":"Sideways"`, 1),                    // enum
		strings.Replace(good, `"started":"2024-01-01T00:00:00Z"`, `"started":"yesterday"`, 1),          // date-time
		strings.Replace(good, `"totalRecords":1`, `"totalRecords":"1"`, 1),                             // type
		strings.Replace(good, `"totalRecords":1`, `"totalRecords":1.5`, 1),                             // integer
		strings.Replace(good, `"parties":[{"id":"2","speakerId":null}]`, `"parties":[{"id":null}]`, 1), // null where Gong sends none
		strings.Replace(good, `"calls":[`, `"calls":{"x":[`, 1) + "}",                                  // array
		`{"requestId":"abc","calls":[{"metaData":{"id":"1"}}]`,                                         // not JSON
	} {
		if errs := o.validate(calls, []byte(bad)); len(errs) == 0 {
			t.Errorf("the validator accepts %s", bad)
		}
	}
}

// TestAnswersMatchOpenAPI validates real answers of every endpoint against the
// response schemas in Gong's document.
func TestAnswersMatchOpenAPI(t *testing.T) {
	t.Parallel()
	o := loadOpenAPI(t)
	f := newFake(t, Options{Seed: 70, Calls: 450, Users: 120, From: time.Date(2022, 10, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)})
	f.Clock().Set(fixedNow)
	checked := 0
	check := func(what, method, path string, a answer) {
		t.Helper()
		schema := o.responseSchema(t, method, path, a.status)
		if errs := o.validate(schema, a.body); len(errs) > 0 {
			t.Errorf("%s (%d): %d violations, first: %s", what, a.status, len(errs), strings.Join(errs[:min(5, len(errs))], "; "))
		}
		checked++
	}
	all := func(what, path string, req gongapi.CallsExtensiveRequest) {
		for a := f.post(path, req); ; a = f.post(path, req) {
			check(what, http.MethodPost, path, a)
			var p struct{ Records *pagination }
			json.Unmarshal(a.body, &p)
			if a.status != http.StatusOK || p.Records.Cursor == "" {
				return
			}
			req.Cursor = p.Records.Cursor
		}
	}

	check("users", "GET", "/v2/users", f.do(http.MethodGet, "/v2/users", url.Values{"includeAvatars": {"true"}}, ""))
	check("users extensive", "POST", "/v2/users/extensive", f.post("/v2/users/extensive", gongapi.UsersExtensiveRequest{Filter: gongapi.UsersExtensiveFilter{CreatedFromDateTime: "2020-01-01T00:00:00Z"}}))
	check("workspaces", "GET", "/v2/workspaces", f.do(http.MethodGet, "/v2/workspaces", nil, ""))
	check("trackers", "GET", "/v2/settings/trackers", f.do(http.MethodGet, "/v2/settings/trackers", nil, ""))
	check("calls", "GET", "/v2/calls", f.do(http.MethodGet, "/v2/calls", url.Values{"fromDateTime": {"2022-01-01T00:00:00Z"}, "toDateTime": {"2024-01-01T00:00:00Z"}}, ""))
	all("extensive, full", "/v2/calls/extensive", gongapi.CallsExtensiveRequest{ContentSelector: gongapi.FullContentSelector()})
	basic := gongapi.FullContentSelector()
	basic.Context, basic.ContextTiming = "Basic", nil
	basic.ExposedFields.Media = true
	all("extensive, basic context and media", "/v2/calls/extensive", gongapi.CallsExtensiveRequest{ContentSelector: basic})
	all("extensive, metadata", "/v2/calls/extensive", gongapi.CallsExtensiveRequest{})
	a := f.post("/v2/calls/transcript", gongapi.TranscriptRequest{})
	check("transcripts", "POST", "/v2/calls/transcript", a)
	check("scorecards", "GET", "/v2/settings/scorecards", f.do(http.MethodGet, "/v2/settings/scorecards", nil, ""))
	reviews := gongapi.AnsweredScorecardsRequest{Filter: gongapi.AnsweredScorecardsFilter{ReviewFromDate: "2022-01-01", ReviewToDate: "2024-01-01"}}
	for a := f.post("/v2/stats/activity/scorecards", reviews); ; a = f.post("/v2/stats/activity/scorecards", reviews) {
		check("answered scorecards", "POST", "/v2/stats/activity/scorecards", a)
		var p struct{ Records *pagination }
		json.Unmarshal(a.body, &p)
		if a.status != http.StatusOK || p.Records.Cursor == "" {
			break
		}
		reviews.Cursor = p.Records.Cursor
	}
	// The library's folders (more endpoints of issue 14 in activity_test.go).
	for _, w := range f.Dataset().Workspaces() {
		check("library folders", "GET", "/v2/library/folders", f.do(http.MethodGet, "/v2/library/folders", url.Values{"workspaceId": {w.ID}}, ""))
		check("permission profiles", "GET", "/v2/all-permission-profiles", f.do(http.MethodGet, "/v2/all-permission-profiles", url.Values{"workspaceId": {w.ID}}, ""))
	}
	// Issue 26's streams.
	for _, id := range f.Dataset().PermissionProfileIDs()[:2] {
		check("permission profile users", "GET", "/v2/permission-profile/users", f.do(http.MethodGet, "/v2/permission-profile/users", url.Values{"profileId": {id}}, ""))
	}
	check("CRM integrations", "GET", "/v2/crm/integrations", f.do(http.MethodGet, "/v2/crm/integrations", nil, ""))
	for _, in := range f.Dataset().CrmIntegrationsAt(fixedNow) {
		for _, ot := range CrmObjectTypes {
			check("CRM entity schema "+ot, "GET", "/v2/crm/entity-schema", f.do(http.MethodGet, "/v2/crm/entity-schema", url.Values{"integrationId": {in.IntegrationID}, "objectType": {ot}}, ""))
		}
	}
	for q := (url.Values{}); ; {
		a := f.do(http.MethodGet, "/v2/calls/manual-crm-associations", q, "")
		check("manual CRM associations", "GET", "/v2/calls/manual-crm-associations", a)
		var p struct{ Records *pagination }
		json.Unmarshal(a.body, &p)
		if a.status != http.StatusOK || p.Records.Cursor == "" {
			break
		}
		q = url.Values{"cursor": {p.Records.Cursor}}
	}

	// The flows of every user with an address, and each log type's records.
	for _, u := range f.Dataset().Users() {
		if u.EmailAddress != nil {
			check("flows", "GET", "/v2/flows", f.do(http.MethodGet, "/v2/flows", url.Values{"flowOwnerEmail": {*u.EmailAddress}}, ""))
		}
	}
	for _, typ := range gongapi.LogTypes {
		q := url.Values{"logType": {typ}, "fromDateTime": {"2022-10-01T00:00:00Z"}, "toDateTime": {"2023-04-01T00:00:00Z"}}
		for a := f.do(http.MethodGet, "/v2/logs", q, ""); ; a = f.do(http.MethodGet, "/v2/logs", q, "") {
			check("logs "+typ, "GET", "/v2/logs", a)
			var p struct{ Records *pagination }
			json.Unmarshal(a.body, &p)
			if a.status != http.StatusOK || p.Records.Cursor == "" {
				break
			}
			q.Set("cursor", p.Records.Cursor)
		}
	}

	// Error answers have Gong's error schema too.
	errSchema := o.schema("ErrorResponse")
	for what, a := range map[string]answer{
		"401":                    f.doAuth(http.MethodGet, "/v2/calls", nil, "", "x", "y"),
		"400":                    f.post("/v2/calls/extensive", map[string]any{"filter": map[string]any{"callIds": []string{}}}),
		"404 empty":              f.post("/v2/calls/transcript", gongapi.TranscriptRequest{Filter: gongapi.CallsFilter{FromDateTime: "2030-01-01T00:00:00Z"}}),
		"404 no logs":            f.do(http.MethodGet, "/v2/logs", url.Values{"logType": {"AccessLog"}, "fromDateTime": {"2030-01-01T00:00:00Z"}}, ""),
		"400 no such flow owner": f.do(http.MethodGet, "/v2/flows", url.Values{"flowOwnerEmail": {"nobody@nowhere.example"}}, ""),
		"404 no reviews": f.post("/v2/stats/activity/scorecards", map[string]any{"filter": map[string]any{
			"reviewFromDate": "2023-01-05", "reviewToDate": "2023-01-05"}}),
	} {
		if errs := o.validate(map[string]any{"$ref": "#/components/schemas/ErrorResponse"}, a.body); len(errs) > 0 || errSchema == nil {
			t.Errorf("%s: %v", what, errs)
		}
		checked++
	}
	if checked < 15 {
		t.Errorf("only %d answers checked", checked)
	}
	// The allowed differences are exactly the ones the fake shows: each was needed.
	if problems := checkLiveTraffic(o); len(problems) > 0 {
		t.Errorf("liveTraffic (deviations_test.go):\n  %s", strings.Join(problems, "\n  "))
	}
	if unused := o.unused(); len(unused) > 0 {
		t.Errorf("liveTraffic allows differences no answer of the fake showed (drop them, or make the fake send them):\n  %s",
			strings.Join(unused, "\n  "))
	}

	// With UnknownFields the strict check finds them and the tolerant one passes.
	g := newFake(t, Options{Seed: 70, Calls: 150, UnknownFields: true})
	g.Clock().Set(fixedNow)
	b := g.post("/v2/calls/extensive", gongapi.CallsExtensiveRequest{ContentSelector: gongapi.FullContentSelector()})
	schema := o.responseSchema(t, "POST", "/v2/calls/extensive", 200)
	if errs := o.validate(schema, b.body); len(errs) == 0 {
		t.Error("UnknownFields: the strict check finds no undocumented field")
	}
	tolerant := &openAPI{doc: o.doc, unknown: true, used: map[string]bool{}}
	if errs := tolerant.validate(schema, b.body); len(errs) > 0 {
		t.Errorf("UnknownFields: %s", strings.Join(errs[:min(5, len(errs))], "; "))
	}
}
