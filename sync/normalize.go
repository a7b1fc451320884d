package sync

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// What every family's row mapping shares: text and JSON made safe for Postgres, ids as
// text, numbers and dates as Gong sends them. Each family maps its records in its own
// file (CallRows in calls.go, UserRows in refresh.go, …). Records with no id of their
// own (a user's day, a stat, an outcome, a folder's entry) get a row id that joins
// what identifies them with "|", which Gong's ids (digits) and dates never hold.
//
// Postgres text cannot hold NUL, and jsonb cannot hold \u0000 or invalid UTF-8. Gong
// is not known to send either, but one such byte would otherwise fail its page on
// every run forever; replacing it loses one character instead.

func clean(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

func cleanPtr(p *string) *string {
	if p == nil {
		return nil
	}
	s := clean(*p)
	return &s
}

func cleanAll(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clean(s)
	}
	return out
}

// idText is an optional id as text, "" when absent.
func idText(id *gongapi.ID) string {
	if id == nil {
		return ""
	}
	return string(*id)
}

func idPtr(id *gongapi.ID) *string {
	if id == nil || *id == "" {
		return nil
	}
	s := clean(string(*id))
	return &s
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	s = clean(s)
	return &s
}

var nulEscape = []byte(`\u0000`)

// rawJSON returns the record's bytes as Gong sent them, made safe for jsonb, or the
// record marshalled when it was built in Go (tests). The types are plain data:
// marshalling them cannot fail.
func rawJSON(raw json.RawMessage, v any) []byte {
	if len(raw) == 0 {
		raw, _ = json.Marshal(v)
	}
	return safeJSON(raw)
}

// jsonDoc is a block Gong sent, as the document of a jsonb column: absent or null is
// SQL NULL, anything else passes through as sent, made safe for jsonb.
func jsonDoc(raw json.RawMessage) []byte {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return safeJSON(raw)
}

// safeJSON replaces what jsonb refuses and Gong is not known to send: the \u0000
// escape and invalid UTF-8. One such character costs that character, not its page.
func safeJSON(b []byte) []byte {
	if bytes.Contains(b, nulEscape) {
		b = bytes.ReplaceAll(b, nulEscape, []byte(`\ufffd`))
	}
	if !utf8.Valid(b) {
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	return b
}

// jsonOrNil encodes v, or returns nil (SQL NULL) when the block was absent: for the
// documents built from blocks decoded into rows as well (tracker hits, CRM fields).
// Encoding these plain structs cannot fail.
func jsonOrNil(present bool, v any) []byte {
	if !present {
		return nil
	}
	b, _ := json.Marshal(v)
	return safeJSON(b)
}

// calendarDate is t's calendar date, in t's own location, as midnight UTC: how the
// store and the checkpoints hold a date.
func calendarDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// decimalPtr passes a number Gong sent on to a numeric column as its text.
func decimalPtr(d *gongapi.Decimal) *store.Decimal {
	if d == nil {
		return nil
	}
	v := store.Decimal(*d)
	return &v
}

// numberPtr is a number Gong sent (as a number or a numeric string), or nil.
func numberPtr(n *json.Number) *float64 {
	if n == nil {
		return nil
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// numberDecimal is a number Gong sent, digit for digit, for a numeric column, or nil.
// The decoder took it only if it has a JSON number's form, which Postgres reads.
func numberDecimal(n *json.Number) *store.Decimal {
	if n == nil || n.String() == "" {
		return nil
	}
	v := store.Decimal(n.String())
	return &v
}

func numberText(n *json.Number) string {
	if n == nil {
		return ""
	}
	return clean(n.String())
}

// textOf is a value of a field Gong is only seen to send, as text: a string as it
// reads, anything else (a number, a boolean, an object) as its JSON; null or absent is
// nil.
func textOf(raw json.RawMessage) *string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return cleanPtr(&s)
	}
	s = string(safeJSON(raw))
	return &s
}
