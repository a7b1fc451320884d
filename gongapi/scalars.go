package gongapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ID is a Gong identifier. Gong documents ids as numeric strings of up to 20 digits,
// which overflow int64, but a few endpoints send JSON numbers; both decode to the
// same digits, without going through a float.
type ID string

// UnmarshalJSON accepts a JSON string, a JSON number (kept digit for digit) or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*id = ""
		return nil
	case b[0] == '"':
		// Fast path: ids are plain digits; only escapes need the full decoder.
		if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 && bytes.IndexByte(b[1:len(b)-1], '"') < 0 {
			*id = ID(b[1 : len(b)-1])
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("id: %w", err)
		}
		*id = ID(s)
		return nil
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("id: %w", err)
		}
		*id = ID(n.String())
		return nil
	default:
		return fmt.Errorf("id: want a string or a number, got %.20s", b)
	}
}

// String returns the id's digits.
func (id ID) String() string { return string(id) }

// Time is a Gong timestamp. Gong answers in the company's local offset with 0, 3 or 6
// fractional digits; Time accepts any offset (with or without a colon, or Z) and 0–9
// fractional digits. The zero Time stands for an absent, null or empty value and
// encodes as null.
type Time struct{ time.Time }

// layouts are tried in order; Go's parser accepts any number of fractional digits after
// the seconds even when the layout has none.
var layouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02",
}

// ParseTime parses a Gong timestamp in any of the forms Time accepts.
func ParseTime(s string) (Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Time{}, nil
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return Time{t}, nil
		}
	}
	return Time{}, fmt.Errorf("unrecognised timestamp %q", s)
}

// UnmarshalJSON accepts a timestamp string, an empty string or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*t = Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: want a string, got %.40s", b)
	}
	p, err := ParseTime(s)
	if err != nil {
		return err
	}
	*t = p
	return nil
}

// MarshalJSON writes RFC 3339 with the value's own offset and fraction, or null.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.Format(time.RFC3339Nano) + `"`), nil
}

// Ptr returns a pointer to the time, or nil when it is zero; handy for nullable columns.
func (t Time) Ptr() *time.Time {
	if t.IsZero() {
		return nil
	}
	v := t.Time
	return &v
}

// FormatFilterTime formats a filter bound the way Gong wants it: second precision, UTC.
func FormatFilterTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}

// FormatFilterDate formats a date filter (reviewFromDate, fromDate, …) the way Gong
// wants it: YYYY-MM-DD. Gong reads these as calendar dates in the company's time zone,
// so t's own calendar date is written, in t's own location: the caller decides which
// day it means.
func FormatFilterDate(t time.Time) string { return t.Format(time.DateOnly) }

// Int is a whole number Gong may send as a JSON number or as a string of digits (a
// scorecard question's range arrives as "1" on live tenants, where the document says
// integer). It is decoded digit for digit, never through a float, and must fit an
// int64; null or an absent key leaves a *Int nil.
type Int int64

// UnmarshalJSON accepts a JSON number or a string holding one, both without a fraction
// or an exponent.
func (n *Int) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("whole number: %w", err)
		}
		s = strings.TrimSpace(s)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("whole number: want digits as a number or a string, got %.30s", b)
	}
	*n = Int(v)
	return nil
}

// Ptr returns the value as a *int64 for a nullable column; nil stays nil.
func (n *Int) Ptr() *int64 {
	if n == nil {
		return nil
	}
	v := int64(*n)
	return &v
}

// Decimal is a number Gong documents as an integer but may send with a fraction (a
// scorecard answer's score: "3.5" is a half-point, not an error), as a JSON number or
// a string holding one. It keeps the number's text as Gong wrote it, so no digit goes
// through a float; null or an absent key leaves a *Decimal nil.
type Decimal string

// UnmarshalJSON accepts a JSON number, or a string holding one (blanks around it
// trimmed); anything else is an error naming what came.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("number: %w", err)
		}
		s = strings.TrimSpace(s)
	}
	// A JSON number's grammar, checked by the decoder itself (strconv would take
	// "Inf", "0x1p3" or "1_000").
	var n json.Number
	if s == "" || s[0] == '"' || json.Unmarshal([]byte(s), &n) != nil || n.String() != s {
		return fmt.Errorf("number: want a number or a string holding one, got %.30s", b)
	}
	*d = Decimal(s)
	return nil
}

// String returns the number as Gong wrote it.
func (d Decimal) String() string { return string(d) }

// Ptr returns the number's text for a nullable numeric column; nil stays nil.
func (d *Decimal) Ptr() *string {
	if d == nil {
		return nil
	}
	v := string(*d)
	return &v
}
