package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/gongsync/gongsync/internal/suggest"
)

// Input is a checked action input: its top-level fields, decoded with numbers kept as
// json.Number so that no id loses a digit on its way to Gong.
type Input map[string]any

// Problem is one thing wrong with an input, at a field path such as
// "filter.callIds[3]" (empty for the input as a whole).
type Problem struct {
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// InputError is an input that does not fit its action. Nothing was sent.
type InputError struct {
	Action   string
	Problems []Problem // the first maxProblems found, in the input's order
	More     int       // how many more were found
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.Action)
	b.WriteString(": ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	if e.More > 0 {
		fmt.Fprintf(&b, " (and %d more)", e.More)
	}
	return b.String()
}

// maxProblems bounds an InputError: enough to fix several mistakes in one go, not a
// page of noise for an array of ten thousand wrong items.
const maxProblems = 10

// Check decodes input, which must be one JSON object, and checks it against the
// action's inputs: no unknown field, every required field present, every value of its
// type (nested objects, array items, enums, formats and bounds included). Problems
// come back as an *InputError naming each field's path.
func (s *Spec) Check(input []byte) (Input, error) {
	c := &checker{}
	v, err := decodeInput(input)
	if err != nil {
		c.add("", err.Error())
		return nil, c.err(s.Name)
	}
	m, ok := v.(map[string]any)
	if !ok {
		c.add("", "want a JSON object, got "+jsonType(v))
		return nil, c.err(s.Name)
	}
	c.object("", s.Inputs, m)
	for _, f := range s.Inputs {
		// An empty path parameter, or one of the path's own "." and "..", would change
		// which endpoint the request reaches.
		if str, ok := m[f.Name].(string); ok && f.In == InPath && f.Schema.Kind == String {
			switch str {
			case "":
				c.add(f.Name, "must not be empty (it is part of the path)")
			case ".", "..":
				c.add(f.Name, "must not be "+str+" (it is part of the path)")
			}
		}
	}
	if err := c.err(s.Name); err != nil {
		return nil, err
	}
	return Input(m), nil
}

// Check finds the action called name and checks input against it: an unknown name
// wraps ErrUnknownAction, a bad input is an *InputError.
func Check(name string, input []byte) (*Spec, Input, error) {
	s, err := Find(name)
	if err != nil {
		return nil, nil, err
	}
	in, err := s.Check(input)
	if err != nil {
		return s, nil, err
	}
	return s, in, nil
}

// decodeInput decodes exactly one JSON value, numbers as json.Number.
func decodeInput(input []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(input))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty input: want a JSON object ({} when nothing is needed)")
		}
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("not valid JSON: more follows the first value")
	}
	return v, nil
}

// checker collects problems while walking an input beside its schema.
type checker struct {
	problems []Problem
	more     int
}

func (c *checker) add(path, msg string) {
	if len(c.problems) == maxProblems {
		c.more++
		return
	}
	c.problems = append(c.problems, Problem{Path: path, Message: msg})
}

func (c *checker) err(action string) error {
	if len(c.problems) == 0 {
		return nil
	}
	return &InputError{Action: action, Problems: c.problems, More: c.more}
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// object checks an object's fields: unknown ones first (in name order, so the same
// input always gives the same error), then each known field in the document's order.
func (c *checker) object(path string, fields []Field, m map[string]any) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if !slices.ContainsFunc(fields, func(f Field) bool { return f.Name == k }) {
			c.add(joinPath(path, k), unknownField(k, fields))
		}
	}
	for _, f := range fields {
		v, ok := m[f.Name]
		if !ok {
			if f.Required {
				c.add(joinPath(path, f.Name), "missing (required)")
			}
			continue
		}
		c.value(joinPath(path, f.Name), f.Schema, v)
	}
}

// unknownField says a field is unknown and helps find the right one.
func unknownField(name string, fields []Field) string {
	if len(fields) == 0 {
		return "unknown field (nothing is taken here)"
	}
	known := make([]string, len(fields))
	for i, f := range fields {
		known[i] = f.Name
	}
	if near := suggest.Nearest(name, known); len(near) > 0 {
		return "unknown field (did you mean " + strings.Join(near, " or ") + "?)"
	}
	if len(known) <= 8 {
		return "unknown field (known: " + strings.Join(known, ", ") + ")"
	}
	return "unknown field"
}

func (c *checker) value(path string, s *Schema, v any) {
	if s.Kind == Any {
		return
	}
	if v == nil {
		c.add(path, "want "+want(s)+", got null (leave the field out instead)")
		return
	}
	switch s.Kind {
	case String:
		str, ok := v.(string)
		if !ok {
			c.wrongType(path, s, v)
			return
		}
		c.string(path, s, str)
	case Integer:
		c.integer(path, s, v)
	case Number:
		n, ok := v.(json.Number)
		if !ok {
			c.wrongType(path, s, v)
			return
		}
		bits := 64
		if s.Format == FormatFloat {
			bits = 32
		}
		if _, err := strconv.ParseFloat(n.String(), bits); err != nil {
			c.add(path, fmt.Sprintf("%s is out of range for a %d-bit number", show(n.String()), bits))
		}
	case Boolean:
		if _, ok := v.(bool); !ok {
			c.wrongType(path, s, v)
		}
	case Object:
		m, ok := v.(map[string]any)
		if !ok {
			c.wrongType(path, s, v)
			return
		}
		c.object(path, s.Fields, m)
	case Array:
		a, ok := v.([]any)
		if !ok {
			c.wrongType(path, s, v)
			return
		}
		if s.MinItems != nil && len(a) < *s.MinItems {
			c.add(path, fmt.Sprintf("want at least %d items, got %d", *s.MinItems, len(a)))
		}
		if s.MaxItems != nil && len(a) > *s.MaxItems {
			c.add(path, fmt.Sprintf("want at most %d items, got %d", *s.MaxItems, len(a)))
		}
		for i, item := range a {
			c.value(fmt.Sprintf("%s[%d]", path, i), s.Items, item)
		}
	default:
		c.add(path, fmt.Sprintf("the catalog has no checker for kind %q", s.Kind))
	}
}

func (c *checker) wrongType(path string, s *Schema, v any) {
	c.add(path, "want "+want(s)+", got "+jsonType(v))
}

func (c *checker) string(path string, s *Schema, str string) {
	if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
		c.add(path, fmt.Sprintf("%s is not one of %s", show(str), strings.Join(s.Enum, ", ")))
		return
	}
	switch s.Format {
	case FormatDateTime:
		if _, err := time.Parse(time.RFC3339, str); err != nil {
			c.add(path, show(str)+" is not a date-time (RFC 3339, such as 2024-01-01T00:00:00Z)")
			return
		}
	case FormatDate:
		if _, err := time.Parse(time.DateOnly, str); err != nil {
			c.add(path, show(str)+" is not a date (YYYY-MM-DD)")
			return
		}
	case FormatBinary:
		if str == "" {
			c.add(path, "want the path of a file to upload, got an empty string")
			return
		}
	case FormatEmail:
		if !EmailAddress(str) {
			c.add(path, show(str)+" is not an email address (name@domain)")
			return
		}
	case FormatPhone:
		if !PhoneNumber(str) {
			c.add(path, show(str)+" is not a phone number (7 to 15 digits, with + ( ) - . or spaces)")
			return
		}
	}
	if s.MinLength != nil || s.MaxLength != nil {
		n := utf16Len(str)
		if s.MinLength != nil && n < *s.MinLength {
			c.add(path, fmt.Sprintf("want at least %d characters, got %d", *s.MinLength, n))
		}
		if s.MaxLength != nil && n > *s.MaxLength {
			c.add(path, fmt.Sprintf("want at most %d characters, got %d", *s.MaxLength, n))
		}
	}
}

var integerRE = regexp.MustCompile(`^-?[0-9]+$`)

// integer accepts a JSON number written as an integer and, for int64 fields, a string
// of digits too: Gong's ids travel either way and beyond 2^53 only the string is safe
// in most JSON libraries. The digits are parsed as integers, never through a float64.
func (c *checker) integer(path string, s *Schema, v any) {
	var digits string
	switch x := v.(type) {
	case json.Number:
		digits = x.String()
	case string:
		if s.Format != FormatInt64 {
			c.wrongType(path, s, v)
			return
		}
		digits = x
	default:
		c.wrongType(path, s, v)
		return
	}
	if !integerRE.MatchString(digits) {
		c.add(path, "want "+want(s)+", got "+show(digits))
		return
	}
	bits := 64
	if s.Format == FormatInt32 {
		bits = 32
	}
	n, err := strconv.ParseInt(digits, 10, bits)
	if err != nil {
		c.add(path, fmt.Sprintf("%s is out of range for a %d-bit integer", show(digits), bits))
		return
	}
	if s.Minimum != nil && n < *s.Minimum {
		c.add(path, fmt.Sprintf("want at least %d, got %d", *s.Minimum, n))
	}
	if s.Maximum != nil && n > *s.Maximum {
		c.add(path, fmt.Sprintf("want at most %d, got %d", *s.Maximum, n))
	}
}

// EmailAddress reports whether s reads as one email address: a local part and a
// domain with a dot, no spaces, quotes, backslashes or control characters, at most
// 254 characters. It is a plausibility check, not RFC 5321: its job is to catch a
// wrong field or a pasted list before an erasure is asked for in Gong.
func EmailAddress(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || len(s) > 254 || strings.Contains(domain, "@") ||
		!strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(`"\<>(),;:[]`, r) {
			return false
		}
	}
	return true
}

// PhoneNumber reports whether s reads as one phone number: 7 to 15 digits (E.164's
// most), with an optional leading + and the separators people write.
func PhoneNumber(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return false
		}
	}
	return digits >= 7 && digits <= 15
}

// want names what a schema takes, as an error message says it.
func want(s *Schema) string {
	switch {
	case s.Kind == Integer && s.Format == FormatInt64:
		return "integer (a number or a string of digits)"
	case s.Kind == Integer:
		return "integer"
	case s.Kind == String && s.Format == FormatBinary:
		return "string (the path of a file to upload)"
	case s.Kind == String && s.Format == FormatEmail:
		return "string (an email address)"
	case s.Kind == String && s.Format == FormatPhone:
		return "string (a phone number)"
	}
	return s.TypeName()
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// show quotes a value for an error message, cut short: inputs come from anyone, and
// an error must stay one readable line.
func show(s string) string {
	const max = 40
	if r := []rune(s); len(r) > max {
		return strconv.Quote(string(r[:max])) + "…"
	}
	return strconv.Quote(s)
}

// utf16Len is a string's length as Java's String.length counts it.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
