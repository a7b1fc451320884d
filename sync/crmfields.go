package sync

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// appendCRMFields adds the fields of one CRM object of a call, one row each: the
// value as text, and as a number and a time where it reads as one, so SQL compares
// StageName, Amount and CloseDate without unpacking Gong's {name, value} array.
func appendCRMFields(out []store.CallCRMField, system string, o *gongapi.CRMObject) []store.CallCRMField {
	for _, f := range o.Fields {
		row := store.CallCRMField{System: system, ObjectType: clean(o.ObjectType), ObjectID: clean(string(o.ObjectID)),
			Timing: clean(o.Timing), Name: clean(f.Name)}
		row.ValueText, row.ValueNumber, row.ValueTime = crmValue(f.Value)
		out = append(out, row)
	}
	return out
}

// crmValue reads one CRM field's JSON value. Text is a string as is, any other value
// as its JSON (numbers as Gong wrote them, so no digit is lost), nil for null or
// nothing. A number is a JSON number, or a string that is one; a time is a string
// in RFC 3339, Salesforce's "+0000" offset form, or a date (midnight UTC).
func crmValue(raw json.RawMessage) (text *string, number *float64, at *time.Time) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil, nil
	}
	var s string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			// gongapi decoded the page, so the value is valid JSON; a string that
			// still fails is kept as written rather than lost.
			s = string(raw)
		}
		s = clean(s)
		return &s, parseNumber(s), parseTime(s)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err == nil {
		s = clean(compact.String())
	} else {
		s = clean(string(raw))
	}
	if raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9' {
		return &s, parseNumber(s), nil
	}
	return &s, nil, nil
}

// jsonNumber is JSON's grammar for a number: what a CRM sends as a number, and the
// only text read as one (no "1,000", "$5", "NaN", "0x10" or "1_000").
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func parseNumber(s string) *float64 {
	if !jsonNumber.MatchString(s) {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil // beyond a double: the text keeps it
	}
	return &f
}

// timeLayouts are the forms a CRM time takes: RFC 3339 (with or without a fraction),
// Salesforce's datetime with a "+0000" offset, and a bare date.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700", time.DateOnly}

func parseTime(s string) *time.Time {
	if len(s) < len(time.DateOnly) || s[4] != '-' {
		return nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return &t
		}
	}
	return nil
}
