package sync

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
)

// A CRM value keeps its text exactly and is read as a number or a time only when it
// is one: JSON numbers and numeric strings, RFC 3339 times, Salesforce's "+0000"
// offsets and bare dates; never "1,000", NaN, a 30th of February or a bare year.
func TestCRMValuesReadAsTextNumberAndTime(t *testing.T) {
	t.Parallel()
	at := func(s string) *time.Time { v, _ := time.Parse(time.RFC3339Nano, s); return &v }
	num := func(f float64) *float64 { return &f }
	for _, c := range []struct {
		raw    string
		text   *string
		number *float64
		time   *time.Time
	}{
		{raw: `null`},
		{raw: ``},
		{raw: `"Negotiation"`, text: ptr("Negotiation")},
		{raw: `296000`, text: ptr("296000"), number: num(296000)},
		{raw: `-12.5e2`, text: ptr("-12.5e2"), number: num(-1250)},
		{raw: `12345678901234567890123`, text: ptr("12345678901234567890123"), number: num(12345678901234567890123)},
		{raw: `1e999`, text: ptr("1e999")}, // beyond a double: the text keeps it
		{raw: `"250000"`, text: ptr("250000"), number: num(250000)},
		{raw: `"1,000"`, text: ptr("1,000")},
		{raw: `"NaN"`, text: ptr("NaN")},
		{raw: `"0x10"`, text: ptr("0x10")},
		{raw: `"2024"`, text: ptr("2024"), number: num(2024)},
		{raw: `"2024-10-21"`, text: ptr("2024-10-21"), time: at("2024-10-21T00:00:00Z")},
		{raw: `"2024-02-30"`, text: ptr("2024-02-30")},
		{raw: `"2024-03-01T10:15:00.000+0000"`, text: ptr("2024-03-01T10:15:00.000+0000"), time: at("2024-03-01T10:15:00Z")},
		{raw: `"2024-03-01T10:15:00-07:00"`, text: ptr("2024-03-01T10:15:00-07:00"), time: at("2024-03-01T17:15:00Z")},
		{raw: `true`, text: ptr("true")},
		{raw: `{"a": [1, 2]}`, text: ptr(`{"a":[1,2]}`)},
		{raw: `"bad\u0000byte"`, text: ptr("bad\uFFFDbyte")},
	} {
		text, number, tm := crmValue(json.RawMessage(c.raw))
		if !equalPtr(text, c.text) || !equalPtr(number, c.number) ||
			(tm == nil) != (c.time == nil) || tm != nil && !tm.Equal(*c.time) {
			t.Errorf("%s: got %v %v %v, want %v %v %v", c.raw, show(text), show(number), show(tm), show(c.text), show(c.number), show(c.time))
		}
	}
}

// Each field of each CRM object becomes a row, with the object's keys, in Gong's order.
func TestCRMFieldsAreRowsOfTheirObject(t *testing.T) {
	t.Parallel()
	c := &gongapi.Call{MetaData: &gongapi.CallMetaData{ID: "1"}, Context: []gongapi.CallContext{{System: "Salesforce", Objects: []gongapi.CRMObject{
		{ObjectType: "Opportunity", ObjectID: "006A", Timing: "Now", Fields: []gongapi.ContextField{
			{Name: "StageName", Value: json.RawMessage(`"Proposal"`)}, {Name: "Amount", Value: json.RawMessage(`5000`)}}},
		{ObjectType: "Account", ObjectID: "001A"},
	}}}}
	r := CallRow(c)
	if len(r.CRMFields) != 2 {
		t.Fatalf("fields: %+v", r.CRMFields)
	}
	f := r.CRMFields[1]
	if f.System != "Salesforce" || f.ObjectType != "Opportunity" || f.ObjectID != "006A" || f.Timing != "Now" || f.Name != "Amount" ||
		*f.ValueText != "5000" || *f.ValueNumber != 5000 || f.ValueTime != nil {
		t.Errorf("Amount: %+v", f)
	}
	if r.CRMFields[0].Name != "StageName" || *r.CRMFields[0].ValueText != "Proposal" || r.CRMFields[0].ValueNumber != nil {
		t.Errorf("StageName: %+v", r.CRMFields[0])
	}
}

func equalPtr[T comparable](a, b *T) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func show[T any](p *T) any {
	if p == nil {
		return "nil"
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
