package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// FuzzCheck feeds any action name and any bytes to the checker. It must never panic;
// an unknown name must be ErrUnknownAction; a refusal must be an *InputError with
// located problems; and an accepted input must become a request that carries every
// field where the operation takes it, unchanged (no digit of a number lost, no path
// segment escaping its place). The committed corpus is in testdata/fuzz/FuzzCheck.
func FuzzCheck(f *testing.F) {
	f.Add("listCallsExtensive", []byte(`{"filter":{"callIds":["7782342274025937895"]},"cursor":"c"}`))
	f.Add("getCall", []byte(`{"id":"a/b"}`))
	f.Add("listCrmSchemaFields", []byte(`{"integrationId":9223372036854775807,"objectType":"DEAL"}`))
	all := All()
	f.Fuzz(func(t *testing.T, name string, input []byte) {
		s, err := Find(name)
		if err != nil {
			if !errors.Is(err, ErrUnknownAction) {
				t.Fatalf("Find(%q): %v", name, err)
			}
			// Still exercise an action: the mutated name picks one.
			s = all[len(name)%len(all)]
		}
		in, err := s.Check(input)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || len(ie.Problems) == 0 || len(ie.Problems) > maxProblems || ie.Action != s.Name {
				t.Fatalf("%s: refusal %T %v", s.Name, err, err)
			}
			var top map[string]any
			_ = json.Unmarshal(input, &top)
			for _, p := range ie.Problems {
				if p.Message == "" || (p.Path != "" && !namesField(p.Path, s, top)) {
					t.Fatalf("%s: problem %+v names no field of the input or the action", s.Name, p)
				}
			}
			if _, again := s.Check(input); again == nil || again.Error() != err.Error() {
				t.Fatalf("%s: the same input gave %v, then %v", s.Name, err, again)
			}
			return
		}
		r, err := s.Request(in)
		if err != nil {
			t.Fatalf("%s: an accepted input %q does not become a request: %v", s.Name, input, err)
		}
		checkRoundTrip(t, s, in, r)
	})
}

// namesField reports whether a problem's path starts at one of the action's inputs or
// at a field of the input.
func namesField(path string, s *Spec, top map[string]any) bool {
	for _, f := range s.Inputs {
		if strings.HasPrefix(path, f.Name) {
			return true
		}
	}
	for k := range top {
		if strings.HasPrefix(path, k) {
			return true
		}
	}
	return false
}

// checkRoundTrip reads the request back and compares it with the input it came from.
func checkRoundTrip(t *testing.T, s *Spec, in Input, r *Request) {
	t.Helper()
	if r.Method != s.Method {
		t.Fatalf("%s: method %s", s.Name, r.Method)
	}
	u, err := url.Parse(r.URL())
	if err != nil || u.RawQuery != r.Query.Encode() || u.Fragment != "" || u.Host != "" {
		t.Fatalf("%s: URL %q does not parse back (%v)", s.Name, r.URL(), err)
	}
	tmpl := strings.Split(s.Path, "/")
	got := strings.Split(u.EscapedPath(), "/")
	if len(tmpl) != len(got) {
		t.Fatalf("%s: path %s has %d segments, template %s %d", s.Name, u.EscapedPath(), len(got), s.Path, len(tmpl))
	}
	var body map[string]any
	if r.Body != nil {
		dec := json.NewDecoder(bytes.NewReader(r.Body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: body %s is not JSON: %v", s.Name, r.Body, err)
		}
		body, _ = v.(map[string]any)
		if _, whole := wholeBodyField(s); whole != "" {
			if v2, ok := in[whole]; ok && !reflect.DeepEqual(normalize(v2), v) {
				t.Fatalf("%s: whole body %s differs from input %v", s.Name, r.Body, v2)
			}
		}
	}
	for _, f := range s.Inputs {
		v, ok := in[f.Name]
		if !ok {
			continue
		}
		switch f.In {
		case InPath:
			i := indexOf(tmpl, "{"+f.Name+"}")
			seg, err := url.PathUnescape(got[i])
			if want, _ := scalar(v); err != nil || seg != want {
				t.Fatalf("%s: path segment %q for %s=%v", s.Name, got[i], f.Name, v)
			}
		case InQuery:
			want, _ := queryValues(v)
			if !reflect.DeepEqual(u.Query()[f.Name], want) {
				t.Fatalf("%s: query %s=%v, input %v", s.Name, f.Name, u.Query()[f.Name], v)
			}
		case InBody:
			if !reflect.DeepEqual(normalize(body[f.Name]), normalize(v)) {
				t.Fatalf("%s: body field %s=%v, input %v", s.Name, f.Name, body[f.Name], v)
			}
		case InForm:
			if r.Form[f.Name] != v {
				t.Fatalf("%s: form part %s=%q, input %v", s.Name, f.Name, r.Form[f.Name], v)
			}
		}
	}
}

func wholeBodyField(s *Spec) (Field, string) {
	for _, f := range s.Inputs {
		if f.In == InWholeBody {
			return f, f.Name
		}
	}
	return Field{}, ""
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

// normalize re-reads a value through JSON the way the body is read, so that a string
// the decoder repaired (invalid UTF-8) compares equal to what went out.
func normalize(v any) any {
	b, err := encodeJSON(v)
	if err != nil {
		return err.Error()
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return err.Error()
	}
	return out
}
