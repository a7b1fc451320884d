// Package catalog knows every operation of Gong's v2 API as a named action: its method
// and path, the inputs it takes (with their types and which are required), whether it
// writes, and the OAuth scope it needs. It checks an action's input before anything is
// spent and turns a checked input into the request to send.
//
// The entries for Gong's operations are generated from Gong's OpenAPI document
// (go generate; see gen/). gongsync's own actions are hand-written Specs of the same
// shape (own.go). The package sends nothing and knows nothing of Postgres.
package catalog

//go:generate go run ./gen -o operations_gen.go

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gongsync/gongsync/internal/suggest"
)

// Spec is one action.
type Spec struct {
	// Name is the action's name: Gong's operationId ("listCallsExtensive"), or a dotted
	// name for gongsync's own actions ("calls.refresh").
	Name string `json:"name"`
	// Method and Path are the endpoint ("POST", "/v2/calls/extensive"); path
	// parameters appear as {name}. Both are empty for an own action that is not one
	// request.
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	// Writes is true when running the action may change something in Gong; such an
	// action must never be sent twice without knowing it is safe.
	Writes bool `json:"writes"`
	// Scope is the OAuth scope the operation needs ("" when Gong's document names
	// none). MoreScopes are scopes needed only for some inputs (media URLs from
	// listCallsExtensive need api:calls:read:media-url), or by the other endpoints an
	// own action calls.
	Scope      string   `json:"scope,omitempty"`
	MoreScopes []string `json:"moreScopes,omitempty"`
	// Inputs are the top-level fields of the action's input JSON object, each with
	// where it goes in the request.
	Inputs []Field `json:"inputs"`
	// Cursor is where a paged operation takes its cursor (InQuery for GETs, InBody for
	// POSTs), "" for an operation that is not paged. Records names the array in the
	// answer that holds a page's records ("calls").
	Cursor  In     `json:"cursor,omitempty"`
	Records string `json:"records,omitempty"`
	// IdempotencyField is a body field Gong uses to recognise a write it has already
	// applied (addCall's clientUniqueId), "" when there is none.
	IdempotencyField string `json:"idempotencyField,omitempty"`
}

// Endpoint reports whether the action is one request to Gong (every generated entry
// is; an own action may not be).
func (s *Spec) Endpoint() bool { return s.Method != "" && s.Path != "" }

// Idempotent reports whether sending the action twice has the effect of sending it
// once: a read, a PUT or DELETE (idempotent by HTTP's definition), or a write whose
// input carries Gong's own idempotency field.
func (s *Spec) Idempotent() bool {
	return !s.Writes || s.Method == "PUT" || s.Method == "DELETE" || s.IdempotencyField != ""
}

// Input returns the top-level input field called name.
func (s *Spec) Input(name string) (Field, bool) {
	i := slices.IndexFunc(s.Inputs, func(f Field) bool { return f.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return s.Inputs[i], true
}

// In says where a top-level input field goes in the request.
type In string

// Where inputs go.
const (
	InPath  In = "path"  // substituted (escaped) into the path
	InQuery In = "query" // a query parameter
	InBody  In = "body"  // a field of the JSON body object
	// InWholeBody: the field's value is the whole JSON body (an array, for the
	// operations whose body is not an object).
	InWholeBody In = "whole-body"
	// InForm: a part of a multipart/form-data body. A binary part's input is the
	// path of a local file to upload; the catalog does not open it.
	InForm In = "form"
)

// Field is one named input, at the top level (with In) or nested in an object.
type Field struct {
	Name     string  `json:"name"`
	In       In      `json:"in,omitempty"`
	Required bool    `json:"required,omitempty"`
	Schema   *Schema `json:"schema"`
}

// Kind is a JSON type as the checker sees it.
type Kind string

// The kinds. Any is Gong's document's object without properties (Java's Object): any
// JSON value, such as a CRM field's value.
const (
	String  Kind = "string"
	Integer Kind = "integer"
	Number  Kind = "number"
	Boolean Kind = "boolean"
	Object  Kind = "object"
	Array   Kind = "array"
	Any     Kind = "any"
)

// Formats the checker knows. An int64 takes a JSON number or a string of digits,
// because Gong's ids outgrow a double (and sometimes int64); nothing passes through a
// float64.
const (
	FormatInt32    = "int32"
	FormatInt64    = "int64"
	FormatFloat    = "float"
	FormatDateTime = "date-time" // RFC 3339
	FormatDate     = "date"      // YYYY-MM-DD
	FormatBinary   = "binary"    // a file (multipart parts only)
	// The formats of gongsync's own actions (Gong's document uses none of them).
	FormatEmail = "email" // an email address: one @, no spaces, quotes or control characters
	FormatPhone = "phone" // a phone number: digits (7 to 15), with + ( ) - . and spaces
)

// Schema is the type of a value: the facts of Gong's document that the checker uses.
type Schema struct {
	Kind   Kind     `json:"kind"`
	Format string   `json:"format,omitempty"`
	Enum   []string `json:"enum,omitempty"`
	// Fields of an object, in the document's order.
	Fields []Field `json:"fields,omitempty"`
	// Items is the type of an array's elements.
	Items *Schema `json:"items,omitempty"`
	// Bounds, when the document sets them: Minimum and Maximum for integers, lengths
	// (in UTF-16 units, as Gong's Java counts them) for strings, counts for arrays.
	Minimum   *int64 `json:"minimum,omitempty"`
	Maximum   *int64 `json:"maximum,omitempty"`
	MinLength *int   `json:"minLength,omitempty"`
	MaxLength *int   `json:"maxLength,omitempty"`
	MinItems  *int   `json:"minItems,omitempty"`
	MaxItems  *int   `json:"maxItems,omitempty"`
}

// Field returns the object field called name.
func (s *Schema) Field(name string) (Field, bool) {
	i := slices.IndexFunc(s.Fields, func(f Field) bool { return f.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return s.Fields[i], true
}

// TypeName is a schema's type in a few words: "string", "array of string",
// "integer (int64)", "string (date-time)", "object".
func (s *Schema) TypeName() string {
	switch {
	case s.Kind == Array && s.Items != nil:
		return "array of " + s.Items.TypeName()
	case s.Format != "":
		return string(s.Kind) + " (" + s.Format + ")"
	}
	return string(s.Kind)
}

// ref returns a pointer to v; the generated entries use it for optional bounds.
func ref[T any](v T) *T { return &v }

// ErrUnknownAction is returned (wrapped, with the name) for a name no action has.
var ErrUnknownAction = errors.New("unknown action")

// index is every action by name, built once from the generated and the own entries.
var index = sync.OnceValues(func() (map[string]*Spec, []*Spec) {
	all := slices.Concat(gongSpecs, ownSpecs)
	byName := make(map[string]*Spec, len(all))
	for _, s := range all {
		if byName[s.Name] != nil {
			// Both lists are code in this package; a clash is a programming mistake
			// the tests catch before it ships.
			panic("catalog: two actions named " + s.Name)
		}
		byName[s.Name] = s
	}
	slices.SortFunc(all, func(a, b *Spec) int { return strings.Compare(a.Name, b.Name) })
	return byName, all
})

// All returns every action, sorted by name.
func All() []*Spec {
	_, all := index()
	return slices.Clone(all)
}

// Find returns the action called name. An unknown name is an error wrapping
// ErrUnknownAction that suggests the nearest names.
func Find(name string) (*Spec, error) {
	byName, all := index()
	if s := byName[name]; s != nil {
		return s, nil
	}
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name
	}
	if near := suggest.Nearest(name, names); len(near) > 0 {
		return nil, fmt.Errorf("%w %q (did you mean %s?)", ErrUnknownAction, name, strings.Join(near, " or "))
	}
	return nil, fmt.Errorf("%w %q (gongsync action list shows them)", ErrUnknownAction, name)
}
