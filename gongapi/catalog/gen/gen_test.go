package main

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/gongsync/gongsync/internal/gongdoc"
)

// TestGeneratedFileIsCurrent regenerates the catalog from Gong's document and compares
// it with the committed file, so a hand edit or a changed document does not go
// unnoticed.
func TestGeneratedFileIsCurrent(t *testing.T) {
	path, err := gongdoc.Path()
	if errors.Is(err, gongdoc.ErrNotFound) {
		t.Skipf("%v: the generated file is not compared with it", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Generate(doc)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../operations_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("gongapi/catalog/operations_gen.go is not what the generator makes of " + path + ": run go generate ./gongapi/catalog")
	}
	// Facts only: none of the document's descriptions reaches the Go file.
	for _, prose := range []string{"When accessed", "Bearer token", "<p>", "Retrieve"} {
		if bytes.Contains(got, []byte(prose)) {
			t.Errorf("the generated file contains %q from the document's prose", prose)
		}
	}
}

// doc wraps paths and component schemas in a minimal OpenAPI document.
func doc(paths, schemas string) []byte {
	if schemas == "" {
		schemas = "{}"
	}
	return []byte(`{"openapi":"3.0.1","info":{"title":"t","version":"1"},"paths":` + paths + `,"components":{"schemas":` + schemas + `}}`)
}

func TestGenerateReadsTheFactsOfAnOperation(t *testing.T) {
	src, err := Generate(doc(`{
		"/v2/things": {
			"get": {"operationId": "listThings", "description": "requires the scope 'api:things:read'.",
				"parameters": [
					{"name": "cursor", "in": "query", "schema": {"type": "string"}},
					{"name": "kind", "in": "query", "required": true, "schema": {"type": "string", "enum": ["a, b, c"]}}
				],
				"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}}}},
			"post": {"operationId": "listThingsByFilter", "description": "requires the scope 'api:things:read'. Moreover 'api:things:media'.",
				"requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["filter"], "properties": {
					"cursor": {"type": "string"},
					"filter": {"$ref": "#/components/schemas/Filter"}
				}}}}},
				"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}}}}
		},
		"/v2/things/{id}": {
			"post": {"operationId": "addThing", "description": "requires the scope 'api:things:write'.",
				"parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}}],
				"requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {
					"clientUniqueId": {"type": "string", "maxLength": 10},
					"at": {"type": "string", "format": "date-time"},
					"n": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 5},
					"tags": {"type": "array", "minItems": 1, "maxItems": 2147483647, "uniqueItems": true, "items": {"type": "string"}},
					"value": {"type": "object"}
				}}}}},
				"responses": {"200": {"content": {"application/json": {"schema": {"type": "object", "properties": {"requestId": {"type": "string"}}}}}}}}
		}
	}`, `{
		"Page": {"type": "object", "properties": {"requestId": {"type": "string"}, "records": {"type": "object"}, "things": {"type": "array", "items": {"type": "string"}}}},
		"Filter": {"type": "object", "properties": {"ids": {"type": "array", "items": {"type": "string"}}}}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`Name: "addThing", Method: "POST", Path: "/v2/things/{id}", Writes: true,`,
		`Scope: "api:things:write",`,
		`IdempotencyField: "clientUniqueId",`,
		`{Name: "id", In: InPath, Required: true, Schema: &Schema{Kind: Integer, Format: FormatInt64}}`,
		`{Name: "clientUniqueId", In: InBody, Schema: &Schema{Kind: String, MaxLength: ref(10)}}`,
		`{Name: "at", In: InBody, Schema: &Schema{Kind: String, Format: FormatDateTime}}`,
		`{Name: "n", In: InBody, Schema: &Schema{Kind: Integer, Format: FormatInt32, Minimum: ref[int64](0), Maximum: ref[int64](5)}}`,
		`{Name: "tags", In: InBody, Schema: &Schema{Kind: Array, Items: &Schema{Kind: String}, MinItems: ref(1)}}`, // Integer.MAX_VALUE is no limit
		`{Name: "value", In: InBody, Schema: &Schema{Kind: Any}}`,
		`Name: "listThings", Method: "GET", Path: "/v2/things", Writes: false,`,
		`Cursor: InQuery, Records: "things",`,
		`{Name: "kind", In: InQuery, Required: true, Schema: &Schema{Kind: String, Enum: []string{"a", "b", "c"}}}`,
		`Name: "listThingsByFilter", Method: "POST", Path: "/v2/things", Writes: false,`,
		`MoreScopes: []string{"api:things:media"},`,
		`{Name: "filter", In: InBody, Required: true, Schema: schemaFilter}`,
		`schemaFilter = &Schema{Kind: Object, Fields: []Field{`,
		"// gongSpecs are Gong's 3 operations.",
	} {
		if !strings.Contains(normalizeSpace(string(src)), normalizeSpace(want)) {
			t.Errorf("generated source lacks %s\n%s", want, src)
		}
	}
	if strings.Contains(string(src), "requires the scope") {
		t.Error("a description reached the generated source")
	}
}

func normalizeSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestGenerateRefusesWhatTheCatalogCannotCheck(t *testing.T) {
	op := func(body string) string {
		return `{"/v2/x": {"post": {"operationId": "addX", "requestBody": {"required": true, "content": {"application/json": {"schema": ` + body + `}}}, "responses": {}}}}`
	}
	cases := []struct {
		name, paths, schemas, want string
	}{
		{"recursive input", op(`{"$ref": "#/components/schemas/Node"}`),
			`{"Node": {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/Node"}}}}`, "contains itself"},
		{"unknown string format", op(`{"type": "object", "properties": {"a": {"type": "string", "format": "uuid"}}}`), "", `string format "uuid"`},
		{"pattern", op(`{"type": "object", "properties": {"a": {"type": "string", "pattern": "^a$"}}}`), "", "a bound the checker does not know"},
		{"nullable", op(`{"type": "object", "properties": {"a": {"type": "string", "nullable": true}}}`), "", "nullable"},
		{"oneOf", op(`{"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}}`), "", "composed schema"},
		{"map", op(`{"type": "object", "properties": {"a": {"type": "object", "additionalProperties": {"type": "string"}}}}`), "", "additionalProperties"},
		{"required but absent", op(`{"type": "object", "required": ["b"], "properties": {"a": {"type": "string"}}}`), "", `required "b" is not a property`},
		{"dangling ref", op(`{"$ref": "#/components/schemas/Nope"}`), "", "names no schema"},
		{"optional body", `{"/v2/x": {"post": {"operationId": "addX", "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}}, "responses": {}}}}`,
			"", "request body is optional"},
		{"header parameter", `{"/v2/x": {"get": {"operationId": "getX", "parameters": [{"name": "h", "in": "header", "schema": {"type": "string"}}], "responses": {}}}}`,
			"", `is in "header"`},
		{"path parameter not in the path", `{"/v2/x": {"get": {"operationId": "getX", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {}}}}`,
			"", "not in the path"},
		{"path without its parameter", `{"/v2/x/{id}": {"get": {"operationId": "getX", "responses": {}}}}`, "", "no such path parameter"},
		{"parameter and body field clash", `{"/v2/x": {"post": {"operationId": "addX", "parameters": [{"name": "a", "in": "query", "schema": {"type": "string"}}],
			"requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}}, "responses": {}}}}`,
			"", `two inputs named "a"`},
		{"cursor without records", `{"/v2/x": {"get": {"operationId": "listX", "parameters": [{"name": "cursor", "in": "query", "schema": {"type": "string"}}], "responses": {}}}}`,
			"", "no records block"},
		{"a read by name with a write scope", `{"/v2/x": {"post": {"operationId": "listX", "description": "requires the scope 'api:x:write'.", "responses": {}}}}`,
			"", "scope \"api:x:write\" writes"},
		{"a write by name with a read scope", `{"/v2/x": {"post": {"operationId": "sendX", "description": "requires the scope 'api:x:read'.", "responses": {}}}}`,
			"", "scope \"api:x:read\" reads"},
		{"two operations, one id", `{"/v2/x": {"get": {"operationId": "getX", "responses": {}}}, "/v2/y": {"get": {"operationId": "getX", "responses": {}}}}`,
			"", "two operations have the operationId"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Generate(doc(c.paths, c.schemas))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestWritesRule(t *testing.T) {
	cases := []struct {
		method, id string
		want       bool
	}{
		{"GET", "addSomething", false},
		{"PUT", "getSomething", true},
		{"DELETE", "listSomething", true},
		{"POST", "listCallsExtensive", false},
		{"POST", "getCallTranscripts", false},
		{"POST", "addCall", true},
		{"POST", "integrationStatus", true},
		{"POST", "purgeEmailAddress", true},
	}
	for _, c := range cases {
		if got := writes(c.method, c.id); got != c.want {
			t.Errorf("writes(%s, %s) = %t", c.method, c.id, got)
		}
	}
}

func TestEnumValuesSplitJoinedAlternatives(t *testing.T) {
	got, err := enumValues([]any{"all", "own", "all / managers-team / own", "Lead,Contact", "number, string"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "all|own|managers-team|Lead,Contact|number|string"; strings.Join(got, "|") != want {
		t.Errorf("enum %v, want %s", got, want)
	}
	if _, err := enumValues([]any{1.0}); err == nil {
		t.Error("a number enum value")
	}
}
