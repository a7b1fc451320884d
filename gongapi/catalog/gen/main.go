// Command gen writes the catalog's entries for Gong's operations from Gong's OpenAPI
// document:
//
//	go run ./gen [-o operations_gen.go] [gong-openapi.json]
//
// Without a document argument it reads $GONG_OPENAPI, or
// shared/reference/gong-openapi.json in the working directory or above it. Only facts
// go into the Go file (operationIds, methods, paths, types, required fields, enums,
// bounds, scopes), never Gong's descriptions: the project does not ship Gong's prose.
//
// The generator refuses what it cannot represent faithfully (a schema keyword the
// checker would silently ignore, a recursive input, a name clash) rather than
// produce a catalog that checks less than the document says.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/gongsync/gongsync/internal/gongdoc"
)

func main() {
	out := flag.String("o", "", "write the Go file here instead of standard output")
	flag.Parse()
	if flag.NArg() > 1 {
		fail(errors.New("usage: gen [-o FILE] [gong-openapi.json]"))
	}
	path := flag.Arg(0)
	if path == "" {
		var err error
		if path, err = gongdoc.Path(); err != nil {
			fail(err)
		}
	}
	doc, err := os.ReadFile(path)
	if err != nil {
		fail(err)
	}
	src, err := Generate(doc)
	if err != nil {
		fail(fmt.Errorf("%s: %w", path, err))
	}
	if *out == "" {
		_, err = os.Stdout.Write(src)
	} else {
		err = os.WriteFile(*out, src, 0o644)
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}

// The parts of an OpenAPI 3.0 document the catalog needs.
type document struct {
	Info struct {
		Title   string `json:"title"`
		Version string `json:"version"`
	} `json:"info"`
	Paths      map[string]map[string]*operation `json:"paths"`
	Components struct {
		Schemas map[string]*schema `json:"schemas"`
	} `json:"components"`
}

type operation struct {
	OperationID string       `json:"operationId"`
	Description string       `json:"description"`
	Parameters  []*parameter `json:"parameters"`
	RequestBody *struct {
		Required bool                `json:"required"`
		Content  map[string]*content `json:"content"`
	} `json:"requestBody"`
	Responses map[string]*struct {
		Content map[string]*content `json:"content"`
	} `json:"responses"`
}

type parameter struct {
	Name     string  `json:"name"`
	In       string  `json:"in"`
	Required bool    `json:"required"`
	Schema   *schema `json:"schema"`
}

type content struct {
	Schema *schema `json:"schema"`
}

type schema struct {
	Ref        string           `json:"$ref"`
	Type       string           `json:"type"`
	Format     string           `json:"format"`
	Enum       []any            `json:"enum"`
	Properties properties       `json:"properties"`
	Required   []string         `json:"required"`
	Items      *schema          `json:"items"`
	Minimum    *json.Number     `json:"minimum"`
	Maximum    *json.Number     `json:"maximum"`
	MinLength  *int             `json:"minLength"`
	MaxLength  *int             `json:"maxLength"`
	MinItems   *int             `json:"minItems"`
	MaxItems   *int             `json:"maxItems"`
	Additional any              `json:"additionalProperties"`
	Nullable   bool             `json:"nullable"`
	Pattern    string           `json:"pattern"`
	MultipleOf *json.Number     `json:"multipleOf"`
	ExclMin    any              `json:"exclusiveMinimum"`
	ExclMax    any              `json:"exclusiveMaximum"`
	AllOf      []any            `json:"allOf"`
	OneOf      []any            `json:"oneOf"`
	AnyOf      []any            `json:"anyOf"`
	Not        any              `json:"not"`
	Default    *json.RawMessage `json:"default"`
	// uniqueItems is left out on purpose: Gong's document marks every Java Set with
	// it, and Gong folds duplicates rather than refusing them.
}

// properties keeps an object's properties in the document's order, which is the
// order describe shows them in.
type properties []property

type property struct {
	name   string
	schema *schema
}

func (p *properties) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("properties: want an object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		var s schema
		if err := dec.Decode(&s); err != nil {
			return err
		}
		*p = append(*p, property{name: t.(string), schema: &s})
	}
	return nil
}

// wholeBody lists parameters that Gong's document types as query parameters but that
// travel as the whole request body: getCrmObjects' own description and example send
// the ids as a JSON array in the body of the GET.
var wholeBody = map[string]bool{"getCrmObjects.objectsCrmIds": true}

// bodyName is the input field that carries a body which is not an object (an array).
const bodyName = "body"

// idempotencyField is the body field by which Gong recognises a resent write.
const idempotencyField = "clientUniqueId"

// scopeRE finds the OAuth scopes an operation's description names, quoted:
// "requires the scope 'api:calls:read:basic'". The document has no security
// requirements; this sentence is where it states them.
var scopeRE = regexp.MustCompile(`'(api:[A-Za-z0-9:._-]+)'`)

// writeWords are what the names of Gong's write scopes contain.
var writeWords = []string{"write", "create", "delete", "update", "register", "upload"}

// generator turns the document into Go source.
type generator struct {
	doc        *document
	varOf      map[string]string // component schema name → Go variable
	varExpr    map[string]string // Go variable → its expression
	inProgress map[string]bool   // components being converted (recursion check)
}

// Generate returns the Go source of the generated catalog entries.
func Generate(docJSON []byte) ([]byte, error) {
	var doc document
	if err := json.Unmarshal(docJSON, &doc); err != nil {
		return nil, err
	}
	g := &generator{doc: &doc, varOf: map[string]string{}, varExpr: map[string]string{}, inProgress: map[string]bool{}}
	type entry struct{ name, src string }
	var specs []entry
	for path, ops := range doc.Paths {
		for method, op := range ops {
			switch method {
			case "get", "post", "put", "delete", "patch":
			case "parameters", "summary", "description", "servers":
				continue // path-level keys, not operations
			default:
				return nil, fmt.Errorf("%s: unexpected key %q", path, method)
			}
			src, err := g.spec(strings.ToUpper(method), path, op)
			if err != nil {
				return nil, fmt.Errorf("%s %s (%s): %w", strings.ToUpper(method), path, op.OperationID, err)
			}
			specs = append(specs, entry{op.OperationID, src})
		}
	}
	slices.SortFunc(specs, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(specs); i++ {
		if specs[i].name == specs[i-1].name {
			return nil, fmt.Errorf("two operations have the operationId %q", specs[i].name)
		}
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by gongapi/catalog/gen from Gong's OpenAPI document; DO NOT EDIT.\n")
	fmt.Fprintf(&b, "// Document: %q version %q, sha256 %x.\n", doc.Info.Title, doc.Info.Version, sha256.Sum256(docJSON))
	fmt.Fprintf(&b, "// Facts only: names, methods, paths, types, required fields, enums, bounds, scopes.\n\n")
	fmt.Fprintf(&b, "package catalog\n\n")
	fmt.Fprintf(&b, "// gongSpecs are Gong's %d operations.\n", len(specs))
	fmt.Fprintf(&b, "var gongSpecs = []*Spec{\n")
	for _, s := range specs {
		b.WriteString(s.src)
	}
	b.WriteString("}\n\n")
	vars := make([]string, 0, len(g.varExpr))
	for v := range g.varExpr {
		vars = append(vars, v)
	}
	slices.Sort(vars)
	b.WriteString("// Schemas that several inputs share, named after the document's components.\nvar (\n")
	for _, v := range vars {
		fmt.Fprintf(&b, "%s = %s\n", v, g.varExpr[v])
	}
	b.WriteString(")\n")
	return format.Source(b.Bytes())
}

// spec returns one Spec literal.
func (g *generator) spec(method, path string, op *operation) (string, error) {
	if op.OperationID == "" {
		return "", errors.New("no operationId")
	}
	var fields []string
	names := map[string]bool{}
	add := func(name string, src string) error {
		if names[name] {
			return fmt.Errorf("two inputs named %q (a parameter and a body field?)", name)
		}
		names[name] = true
		fields = append(fields, src)
		return nil
	}
	cursor := ""
	hasBody := false
	for _, p := range op.Parameters {
		in := ""
		switch {
		case wholeBody[op.OperationID+"."+p.Name]:
			in, hasBody = "InWholeBody", true
		case p.In == "path":
			if !p.Required {
				return "", fmt.Errorf("path parameter %q is not required", p.Name)
			}
			if !strings.Contains(path, "{"+p.Name+"}") {
				return "", fmt.Errorf("path parameter %q is not in the path", p.Name)
			}
			in = "InPath"
		case p.In == "query":
			in = "InQuery"
		default:
			return "", fmt.Errorf("parameter %q is in %q, which the catalog does not map", p.Name, p.In)
		}
		expr, err := g.schemaExpr(p.Schema)
		if err != nil {
			return "", fmt.Errorf("parameter %q: %w", p.Name, err)
		}
		if ps, err := g.resolve(p.Schema); err != nil || (in == "InQuery" && ps.Type == "object") {
			return "", fmt.Errorf("query parameter %q is an object", p.Name)
		}
		if p.Name == "cursor" && in == "InQuery" {
			cursor = "InQuery"
		}
		if err := add(p.Name, fieldLit(p.Name, in, p.Required, expr)); err != nil {
			return "", err
		}
	}
	for _, name := range strings.Split(path, "{")[1:] {
		name, _, _ = strings.Cut(name, "}")
		if !slices.ContainsFunc(op.Parameters, func(p *parameter) bool { return p.Name == name && p.In == "path" }) {
			return "", fmt.Errorf("path has {%s} but no such path parameter", name)
		}
	}

	idem := ""
	if rb := op.RequestBody; rb != nil {
		if len(rb.Content) != 1 {
			return "", fmt.Errorf("request body has %d content types, want one", len(rb.Content))
		}
		if !rb.Required {
			return "", errors.New("request body is optional; the catalog sends one whenever there are body fields")
		}
		if hasBody {
			return "", errors.New("both a request body and a parameter sent as the body")
		}
		for ct, c := range rb.Content {
			body, err := g.resolve(c.Schema)
			if err != nil {
				return "", fmt.Errorf("request body: %w", err)
			}
			in := ""
			switch ct {
			case "application/json":
				in = "InBody"
			case "multipart/form-data":
				in = "InForm"
			default:
				return "", fmt.Errorf("request body of type %q", ct)
			}
			if in == "InBody" && body.Type == "array" {
				expr, err := g.schemaExpr(c.Schema)
				if err != nil {
					return "", fmt.Errorf("request body: %w", err)
				}
				if err := add(bodyName, fieldLit(bodyName, "InWholeBody", true, expr)); err != nil {
					return "", err
				}
				continue
			}
			if body.Type != "object" || len(body.Properties) == 0 {
				return "", fmt.Errorf("request body is a %q without properties", body.Type)
			}
			if err := checkRequired(body); err != nil {
				return "", fmt.Errorf("request body: %w", err)
			}
			for _, p := range body.Properties {
				expr, err := g.schemaExpr(p.schema)
				if err != nil {
					return "", fmt.Errorf("body field %q: %w", p.name, err)
				}
				if ps, err := g.resolve(p.schema); err != nil || (in == "InForm" && ps.Type != "string") {
					return "", fmt.Errorf("form field %q is not a string or file", p.name)
				}
				if in == "InBody" && p.name == "cursor" {
					cursor = "InBody"
				}
				if in == "InBody" && p.name == idempotencyField {
					idem = p.name
				}
				if err := add(p.name, fieldLit(p.name, in, slices.Contains(body.Required, p.name), expr)); err != nil {
					return "", err
				}
			}
		}
	}

	records, err := g.records(op)
	if err != nil {
		return "", err
	}
	switch {
	case cursor == "" && records != "":
		return "", fmt.Errorf("the answer is paged (records) but the operation takes no cursor")
	case cursor != "" && records == "":
		return "", fmt.Errorf("the operation takes a cursor but its answer has no records block")
	case cursor == "InQuery" && method != "GET", cursor == "InBody" && method != "POST":
		return "", fmt.Errorf("a %s with its cursor %s", method, cursor)
	}

	scopes := uniq(scopeRE.FindAllStringSubmatch(op.Description, -1))
	w := writes(method, op.OperationID)
	if method == "POST" && len(scopes) > 0 {
		// The rule for POSTs rests on Gong's naming; its scopes must agree.
		wordy := slices.ContainsFunc(writeWords, func(word string) bool { return strings.Contains(scopes[0], word) })
		if !w && wordy {
			return "", fmt.Errorf("read by its name but its scope %q writes", scopes[0])
		}
		if w && strings.Contains(scopes[0], ":read") {
			return "", fmt.Errorf("write by its name but its scope %q reads", scopes[0])
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "{\nName: %q, Method: %q, Path: %q, Writes: %t,\n", op.OperationID, method, path, w)
	if len(scopes) > 0 {
		fmt.Fprintf(&b, "Scope: %q,\n", scopes[0])
	}
	if len(scopes) > 1 {
		fmt.Fprintf(&b, "MoreScopes: %s,\n", stringsLit(scopes[1:]))
	}
	if cursor != "" {
		fmt.Fprintf(&b, "Cursor: %s, Records: %q,\n", cursor, records)
	}
	if idem != "" {
		fmt.Fprintf(&b, "IdempotencyField: %q,\n", idem)
	}
	if len(fields) == 0 {
		b.WriteString("Inputs: []Field{},\n")
	} else {
		b.WriteString("Inputs: []Field{\n")
		for _, f := range fields {
			b.WriteString(f)
			b.WriteString(",\n")
		}
		b.WriteString("},\n")
	}
	b.WriteString("},\n")
	return b.String(), nil
}

// writes is the rule for "may change something in Gong": GET reads; PUT, PATCH and
// DELETE write; a POST reads when Gong named it list… or get… (listCallsExtensive,
// getCallTranscripts, getUsersAccessToCalls: filters sent in a body) and writes
// otherwise. Doubt falls on the side of writing, which is never resent blindly:
// integrationStatus only validates, but is counted a write.
func writes(method, operationID string) bool {
	switch method {
	case "GET":
		return false
	case "POST":
		return !strings.HasPrefix(operationID, "list") && !strings.HasPrefix(operationID, "get")
	}
	return true
}

// records returns the array that holds the records of a paged answer ("" when the
// answer has no records block).
func (g *generator) records(op *operation) (string, error) {
	for _, code := range []string{"200", "201"} {
		r := op.Responses[code]
		if r == nil || r.Content["application/json"] == nil {
			continue
		}
		s, err := g.resolve(r.Content["application/json"].Schema)
		if err != nil {
			return "", fmt.Errorf("answer: %w", err)
		}
		if !slices.ContainsFunc(s.Properties, func(p property) bool { return p.name == "records" }) {
			return "", nil
		}
		var arrays []string
		for _, p := range s.Properties {
			ps, err := g.resolve(p.schema)
			if err != nil {
				return "", fmt.Errorf("answer field %q: %w", p.name, err)
			}
			if ps.Type == "array" {
				arrays = append(arrays, p.name)
			}
		}
		if len(arrays) != 1 {
			return "", fmt.Errorf("paged answer has arrays %v, want exactly one", arrays)
		}
		return arrays[0], nil
	}
	return "", nil
}

// resolve follows a $ref to its component.
func (g *generator) resolve(s *schema) (*schema, error) {
	for seen := 0; s != nil && s.Ref != ""; seen++ {
		if seen > 8 {
			return nil, fmt.Errorf("$ref chain too long at %s", s.Ref)
		}
		name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/")
		if !ok {
			return nil, fmt.Errorf("$ref %q outside components/schemas", s.Ref)
		}
		c := g.doc.Components.Schemas[name]
		if c == nil {
			return nil, fmt.Errorf("$ref %q names no schema", s.Ref)
		}
		s = c
	}
	if s == nil {
		return nil, errors.New("no schema")
	}
	return s, nil
}

// schemaExpr returns the Go expression of a schema: a shared variable for a
// component, a literal otherwise.
func (g *generator) schemaExpr(s *schema) (string, error) {
	if s == nil {
		return "", errors.New("no schema")
	}
	if s.Ref == "" {
		return g.literal(s)
	}
	name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/")
	if !ok {
		return "", fmt.Errorf("$ref %q outside components/schemas", s.Ref)
	}
	if v, ok := g.varOf[name]; ok {
		return v, nil
	}
	if g.inProgress[name] {
		return "", fmt.Errorf("schema %q contains itself; inputs are finite", name)
	}
	c := g.doc.Components.Schemas[name]
	if c == nil {
		return "", fmt.Errorf("$ref %q names no schema", s.Ref)
	}
	g.inProgress[name] = true
	expr, err := g.schemaExpr(c)
	delete(g.inProgress, name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	v := "schema" + goName(name)
	for other, ov := range g.varOf {
		if ov == v {
			return "", fmt.Errorf("schemas %q and %q both become %s", other, name, v)
		}
	}
	g.varOf[name] = v
	g.varExpr[v] = expr
	return v, nil
}

// literal returns a &Schema{…} literal for an inline schema.
func (g *generator) literal(s *schema) (string, error) {
	switch {
	case s.Pattern != "", s.MultipleOf != nil, s.ExclMin != nil, s.ExclMax != nil:
		return "", errors.New("a bound the checker does not know (pattern, multipleOf, exclusive…)")
	case len(s.AllOf) > 0 || len(s.OneOf) > 0 || len(s.AnyOf) > 0 || s.Not != nil:
		return "", errors.New("a composed schema (allOf/oneOf/anyOf/not)")
	case s.Nullable:
		return "", errors.New("a nullable input (the checker refuses null)")
	}
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	switch s.Type {
	case "string":
		add("Kind: String")
		switch s.Format {
		case "":
		case "date-time":
			add("Format: FormatDateTime")
		case "date":
			add("Format: FormatDate")
		case "binary":
			add("Format: FormatBinary")
		default:
			return "", fmt.Errorf("string format %q", s.Format)
		}
		if len(s.Enum) > 0 {
			enum, err := enumValues(s.Enum)
			if err != nil {
				return "", err
			}
			add("Enum: %s", stringsLit(enum))
		}
		if s.MinLength != nil && *s.MinLength > 0 {
			add("MinLength: ref(%d)", *s.MinLength)
		}
		if s.MaxLength != nil {
			add("MaxLength: ref(%d)", *s.MaxLength)
		}
	case "integer":
		add("Kind: Integer")
		switch s.Format {
		case "int32":
			add("Format: FormatInt32")
		case "int64":
			add("Format: FormatInt64")
		default:
			return "", fmt.Errorf("integer format %q", s.Format)
		}
		for _, b := range []struct {
			name string
			n    *json.Number
		}{{"Minimum", s.Minimum}, {"Maximum", s.Maximum}} {
			if b.n == nil {
				continue
			}
			n, err := strconv.ParseInt(b.n.String(), 10, 64)
			if err != nil {
				return "", fmt.Errorf("%s %s: %w", b.name, *b.n, err)
			}
			add("%s: ref[int64](%d)", b.name, n)
		}
	case "number":
		add("Kind: Number")
		switch s.Format {
		case "", "double":
		case "float":
			add("Format: FormatFloat")
		default:
			return "", fmt.Errorf("number format %q", s.Format)
		}
	case "boolean":
		add("Kind: Boolean")
	case "array":
		if s.Items == nil {
			return "", errors.New("array without items")
		}
		items, err := g.schemaExpr(s.Items)
		if err != nil {
			return "", fmt.Errorf("items: %w", err)
		}
		add("Kind: Array")
		add("Items: %s", items)
		if s.MinItems != nil && *s.MinItems > 0 {
			add("MinItems: ref(%d)", *s.MinItems)
		}
		// Gong's document writes Java's Integer.MAX_VALUE for "no limit".
		if s.MaxItems != nil && *s.MaxItems < 1<<31-1 {
			add("MaxItems: ref(%d)", *s.MaxItems)
		}
	case "object":
		if s.Additional != nil {
			return "", errors.New("an object with additionalProperties")
		}
		if len(s.Properties) == 0 {
			// Java's Object in Gong's generated document: any JSON value.
			add("Kind: Any")
			break
		}
		if err := checkRequired(s); err != nil {
			return "", err
		}
		var fields []string
		for _, p := range s.Properties {
			expr, err := g.schemaExpr(p.schema)
			if err != nil {
				return "", fmt.Errorf("%s: %w", p.name, err)
			}
			fields = append(fields, fieldLit(p.name, "", slices.Contains(s.Required, p.name), expr))
		}
		add("Kind: Object")
		add("Fields: []Field{\n%s,\n}", strings.Join(fields, ",\n"))
	default:
		return "", fmt.Errorf("type %q", s.Type)
	}
	if s.Type != "string" && len(s.Enum) > 0 {
		return "", fmt.Errorf("an enum on a %s", s.Type)
	}
	return "&Schema{" + strings.Join(parts, ", ") + "}", nil
}

// enumValues returns an enum's values. Gong's document sometimes lists the
// alternatives as one joined value ("number, string, url, date", "all / own / none"):
// such a value is split into its parts, which are what Gong takes.
func enumValues(raw []any) ([]string, error) {
	var out []string
	for _, v := range raw {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("enum value %v is not a string", v)
		}
		var parts []string
		switch {
		case strings.Contains(s, ", "):
			parts = strings.Split(s, ", ")
		case strings.Contains(s, " / "):
			parts = strings.Split(s, " / ")
		default:
			parts = []string{s}
		}
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// checkRequired makes sure every required name is a property.
func checkRequired(s *schema) error {
	for _, r := range s.Required {
		if !slices.ContainsFunc(s.Properties, func(p property) bool { return p.name == r }) {
			return fmt.Errorf("required %q is not a property", r)
		}
	}
	return nil
}

func fieldLit(name, in string, required bool, expr string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{Name: %q", name)
	if in != "" {
		fmt.Fprintf(&b, ", In: %s", in)
	}
	if required {
		b.WriteString(", Required: true")
	}
	fmt.Fprintf(&b, ", Schema: %s}", expr)
	return b.String()
}

func stringsLit(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}

func uniq(matches [][]string) []string {
	var out []string
	for _, m := range matches {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// goName makes a Go identifier of a component name ("Generic Property" →
// "GenericProperty").
func goName(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
