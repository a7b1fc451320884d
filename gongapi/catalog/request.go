package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Request is a checked input as the request it becomes.
type Request struct {
	Method string `json:"method"`
	// Path is the path as sent, with the path parameters substituted and escaped
	// (an id "a/b" becomes "a%2Fb"), so it must reach the wire unescaped again.
	Path  string     `json:"path"`
	Query url.Values `json:"query,omitempty"`
	// Body is the JSON body, nil when the operation takes none. An operation with
	// body fields always gets an object, {} when none of them is given.
	Body json.RawMessage `json:"body,omitempty"`
	// Form holds the parts of a multipart/form-data body by name; a binary part's
	// value is the path of the local file to upload.
	Form map[string]string `json:"form,omitempty"`
}

// URL returns the escaped path with the encoded query.
func (r *Request) URL() string {
	if len(r.Query) == 0 {
		return r.Path
	}
	return r.Path + "?" + r.Query.Encode()
}

// Request maps a checked input (from Check) to the request to send: path parameters
// into the path, query parameters into the query, the other fields into the body.
func (s *Spec) Request(in Input) (*Request, error) {
	if !s.Endpoint() {
		return nil, fmt.Errorf("%s is gongsync's own action, not one request to Gong", s.Name)
	}
	r := &Request{Method: s.Method}
	path, err := s.fillPath(in)
	if err != nil {
		return nil, err
	}
	r.Path = path
	var body map[string]any
	for _, f := range s.Inputs {
		v, ok := in[f.Name]
		switch f.In {
		case InBody:
			// Every body in Gong's document is required, so an operation with body
			// fields always sends an object.
			if body == nil {
				body = map[string]any{}
			}
			if ok {
				body[f.Name] = v
			}
		case InWholeBody:
			if ok {
				if r.Body, err = encodeJSON(v); err != nil {
					return nil, fmt.Errorf("%s: %s: %w", s.Name, f.Name, err)
				}
			}
		case InQuery:
			if !ok {
				continue
			}
			vals, err := queryValues(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", s.Name, f.Name, err)
			}
			if r.Query == nil {
				r.Query = url.Values{}
			}
			r.Query[f.Name] = vals
		case InForm:
			if !ok {
				continue
			}
			str, isStr := v.(string)
			if !isStr {
				return nil, fmt.Errorf("%s: %s: want string, got %s", s.Name, f.Name, jsonType(v))
			}
			if r.Form == nil {
				r.Form = map[string]string{}
			}
			r.Form[f.Name] = str
		}
	}
	if body != nil {
		if r.Body, err = encodeJSON(body); err != nil {
			return nil, fmt.Errorf("%s: body: %w", s.Name, err)
		}
	}
	return r, nil
}

// fillPath substitutes the path parameters, each escaped as one path segment.
func (s *Spec) fillPath(in Input) (string, error) {
	var b strings.Builder
	rest := s.Path
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("%s: bad path template %q", s.Name, s.Path)
		}
		name := rest[i+1 : i+j]
		v, ok := in[name]
		if !ok {
			return "", fmt.Errorf("%s: %s: missing (required)", s.Name, name)
		}
		str, err := scalar(v)
		if err != nil || str == "" {
			return "", fmt.Errorf("%s: %s: want a non-empty string or number for the path", s.Name, name)
		}
		b.WriteString(rest[:i])
		b.WriteString(url.PathEscape(str))
		rest = rest[i+j+1:]
	}
}

// WithCursor returns r asking for the page after cursor: the cursor goes in the query
// of a paged GET and in the body of a paged POST (Gong ignores a POST's query cursor
// and answers the first page again).
func (s *Spec) WithCursor(r *Request, cursor string) (*Request, error) {
	next := *r
	switch s.Cursor {
	case InQuery:
		next.Query = url.Values{}
		for k, v := range r.Query {
			next.Query[k] = v
		}
		next.Query.Set("cursor", cursor)
	case InBody:
		dec := json.NewDecoder(bytes.NewReader(r.Body))
		dec.UseNumber()
		var body map[string]any
		if err := dec.Decode(&body); err != nil || body == nil {
			return nil, fmt.Errorf("%s: the request body is not a JSON object", s.Name)
		}
		body["cursor"] = cursor
		b, err := encodeJSON(body)
		if err != nil {
			return nil, err
		}
		next.Body = b
	default:
		return nil, fmt.Errorf("%s is not paged", s.Name)
	}
	return &next, nil
}

// queryValues encodes one query parameter: a scalar, or an array as the parameter
// repeated (the document's form style, exploded).
func queryValues(v any) ([]string, error) {
	if a, ok := v.([]any); ok {
		out := make([]string, 0, len(a))
		for _, item := range a {
			s, err := scalar(item)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// scalar is a string, number or boolean as it is written in a URL. Numbers keep the
// digits they were given.
func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	}
	return "", errors.New("want a string, number or boolean, got " + jsonType(v))
}

// encodeJSON encodes v as compact JSON without HTML escaping (Gong gets what the user
// wrote: "<" stays "<").
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
