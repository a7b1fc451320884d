package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// problems checks input against action and returns its problems as "path: message".
func problems(t *testing.T, action, input string) []string {
	t.Helper()
	s, err := Find(action)
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.Check([]byte(input))
	if err == nil {
		if in == nil {
			t.Fatalf("%s: no error and no input", action)
		}
		return nil
	}
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("%s: %T %v, want *InputError", action, err, err)
	}
	if ie.Action != action || len(ie.Problems) == 0 {
		t.Fatalf("%s: InputError %+v", action, ie)
	}
	var out []string
	for _, p := range ie.Problems {
		out = append(out, p.String())
	}
	return out
}

func TestCheckRefusesEachKindOfMistakeNamingTheField(t *testing.T) {
	long := strings.Repeat("x", 256)
	cases := []struct {
		name, action, input string
		want                []string // nil: accepted
	}{
		// The input as a whole.
		{"not JSON", "listUsers", `{"cursor":`, []string{"not valid JSON: unexpected EOF"}},
		{"empty", "listUsers", ``, []string{"empty input: want a JSON object ({} when nothing is needed)"}},
		{"blank", "listUsers", " \n", []string{"empty input: want a JSON object ({} when nothing is needed)"}},
		{"an array", "listUsers", `[]`, []string{"want a JSON object, got array"}},
		{"null", "listUsers", `null`, []string{"want a JSON object, got null"}},
		{"two values", "listUsers", `{} {}`, []string{"not valid JSON: more follows the first value"}},
		{"trailing garbage", "listUsers", `{}x`, []string{"not valid JSON: more follows the first value"}},
		{"nothing needed", "listWorkspaces", `{}`, nil},
		{"nothing taken", "listWorkspaces", `{"workspaceId":"1"}`, []string{"workspaceId: unknown field (nothing is taken here)"}},

		// Unknown fields, at every depth, with help finding the right one.
		{"unknown, near", "listCalls", `{"fromDateTime":"a","toDateTime":"b","workspaceID":"1"}`,
			[]string{"workspaceID: unknown field (did you mean workspaceId?)"}},
		{"unknown, few known", "getCallTranscripts", `{"filter":{},"page":2}`,
			[]string{"page: unknown field (known: cursor, filter)"}},
		{"unknown, many known", "createPermissionProfile", `{"workspaceId":"1","zzzzzz":true}`,
			[]string{"zzzzzz: unknown field"}},
		{"unknown nested", "listCallsExtensive", `{"filter":{"callId":["1"]}}`,
			[]string{"filter.callId: unknown field (did you mean callIds?)"}},
		{"unknown deep in an array", "addUsersAccessToCalls", `{"callAccessList":[{"callId":"1","userIds":[],"userId":"2"}]}`,
			[]string{"callAccessList[0].userId: unknown field (did you mean userIds?)"}},
		{"unknown fields sorted", "listUsers", `{"b":1,"a":2}`,
			[]string{"a: unknown field (known: cursor, includeAvatars)", "b: unknown field (known: cursor, includeAvatars)"}},

		// Missing required fields.
		{"missing query", "listCalls", `{"fromDateTime":"2024-01-01T00:00:00Z"}`, []string{"toDateTime: missing (required)"}},
		{"missing path", "getCall", `{}`, []string{"id: missing (required)"}},
		{"missing body object", "listCallsExtensive", `{"cursor":"c"}`, []string{"filter: missing (required)"}},
		{"missing nested", "listInteractionStats", `{"filter":{"fromDate":"2024-01-01"}}`, []string{"filter.toDate: missing (required)"}},
		{"missing in an array item", "addCall", `{"clientUniqueId":"u","actualStart":"2024-01-01T00:00:00Z","direction":"Inbound","primaryUser":"1",` +
			`"parties":[{"context":[{"objects":[{"objectType":"Lead"}]}]}]}`,
			[]string{"parties[0].context[0].system: missing (required)", "parties[0].context[0].objects[0].objectId: missing (required)"}},
		{"missing whole body", "uploadCrmSchemaField", `{"integrationId":1,"objectType":"DEAL"}`, []string{"body: missing (required)"}},
		{"empty path parameter", "getUser", `{"id":""}`, []string{"id: must not be empty (it is part of the path)"}},

		// Wrong types.
		{"string got number", "getCallTranscripts", `{"filter":{"callIds":["1","2","3",4]}}`, []string{"filter.callIds[3]: want string, got number"}},
		{"string got object", "listCalls", `{"fromDateTime":{},"toDateTime":"b"}`, []string{"fromDateTime: want string, got object"}},
		{"boolean got string", "listUsers", `{"includeAvatars":"true"}`, []string{"includeAvatars: want boolean, got string"}},
		{"object got array", "listCallsExtensive", `{"filter":[]}`, []string{"filter: want object, got array"}},
		{"array got string", "getCallTranscripts", `{"filter":{"callIds":"1"}}`, []string{"filter.callIds: want array of string, got string"}},
		{"array got object", "getFlowsForProspects", `{"crmProspectsIds":{}}`, []string{"crmProspectsIds: want array of string, got object"}},
		{"null required", "listCallsExtensive", `{"filter":null}`, []string{"filter: want object, got null (leave the field out instead)"}},
		{"null optional", "listUsers", `{"cursor":null}`, []string{"cursor: want string, got null (leave the field out instead)"}},
		{"number got string", "addCall", addCallWith(`"duration":"60"`), []string{"duration: want number (float), got string"}},
		{"float out of range", "addCall", addCallWith(`"duration":1e39`), []string{`duration: "1e39" is out of range for a 32-bit number`}},
		{"number ok", "addCall", addCallWith(`"duration":60.5`), nil},
		{"any takes anything", "addCall", addCallWith(`"context":[{"system":"Generic","objects":[{"objectType":"Account","objectId":"1","fields":[{"name":"a","value":{"x":[1,null]}},{"name":"b","value":null},{"name":"c","value":3}]}]}]`), nil},

		// Integers: int32 numbers only; int64 a number or a string of digits, never a float.
		{"int64 as string", "listCrmSchemaFields", `{"integrationId":"6286478263646","objectType":"ACCOUNT"}`, nil},
		{"int64 as number", "listCrmSchemaFields", `{"integrationId":6286478263646,"objectType":"ACCOUNT"}`, nil},
		{"int64 beyond 2^53", "listCrmSchemaFields", `{"integrationId":9223372036854775807,"objectType":"ACCOUNT"}`, nil},
		{"int64 negative", "listCrmSchemaFields", `{"integrationId":"-1","objectType":"ACCOUNT"}`, nil},
		{"int64 beyond int64", "listCrmSchemaFields", `{"integrationId":"9223372036854775808","objectType":"ACCOUNT"}`,
			[]string{`integrationId: "9223372036854775808" is out of range for a 64-bit integer`}},
		{"int64 fraction", "listCrmSchemaFields", `{"integrationId":1.5,"objectType":"ACCOUNT"}`,
			[]string{`integrationId: want integer (a number or a string of digits), got "1.5"`}},
		{"int64 exponent", "listCrmSchemaFields", `{"integrationId":1e3,"objectType":"ACCOUNT"}`,
			[]string{`integrationId: want integer (a number or a string of digits), got "1e3"`}},
		{"int64 not digits", "listCrmSchemaFields", `{"integrationId":"12a","objectType":"ACCOUNT"}`,
			[]string{`integrationId: want integer (a number or a string of digits), got "12a"`}},
		{"int64 empty string", "listCrmSchemaFields", `{"integrationId":"","objectType":"ACCOUNT"}`,
			[]string{`integrationId: want integer (a number or a string of digits), got ""`}},
		{"int64 boolean", "listCrmSchemaFields", `{"integrationId":true,"objectType":"ACCOUNT"}`,
			[]string{`integrationId: want integer (a number or a string of digits), got boolean`}},
		{"int64 in the path", "deleteMeeting", `{"meetingId":"123"}`, nil},
		{"int64 in the path, empty", "deleteMeeting", `{"meetingId":""}`,
			[]string{`meetingId: want integer (a number or a string of digits), got ""`}},
		{"int64 in the path, bad", "deleteMeeting", `{"meetingId":"12/3"}`,
			[]string{`meetingId: want integer (a number or a string of digits), got "12/3"`}},
		{"int32 as string", "addCall", addCallWith(`"speakersTimeline":{"speechSegments":[{"fromTime":"1","toTime":2,"partyIds":[]}]}`),
			[]string{"speakersTimeline.speechSegments[0].fromTime: want integer, got string"}},
		{"int32 out of range", "addCall", addCallWith(`"speakersTimeline":{"speechSegments":[{"fromTime":2147483648,"toTime":2,"partyIds":[]}]}`),
			[]string{`speakersTimeline.speechSegments[0].fromTime: "2147483648" is out of range for a 32-bit integer`}},
		{"below minimum", "addCall", addCallWith(`"speakersTimeline":{"speechSegments":[{"fromTime":-1,"toTime":2,"partyIds":[]}]}`),
			[]string{"speakersTimeline.speechSegments[0].fromTime: want at least 0, got -1"}},
		{"above maximum", "addCall", `{"clientUniqueId":"u","actualStart":"s","direction":"Inbound","primaryUser":"1","parties":[{"mediaChannelId":2}]}`,
			[]string{"parties[0].mediaChannelId: want at most 1, got 2"}},

		// Enums, including the document's joined alternatives, split.
		{"enum", "listCallsExtensive", `{"filter":{},"contentSelector":{"context":"basic"}}`,
			[]string{`contentSelector.context: "basic" is not one of None, Basic, Extended`}},
		{"enum in an array", "listCallsExtensive", `{"filter":{},"contentSelector":{"contextTiming":["Now","Then"]}}`,
			[]string{`contentSelector.contextTiming[1]: "Then" is not one of Now, TimeOfCall`}},
		{"enum in the query", "listLogs", `{"logType":"Access","fromDateTime":"x"}`,
			[]string{`logType: "Access" is not one of AccessLog, UserActivityLog, UserCallPlay, ExternallySharedCallAccess, ExternallySharedCallPlay`}},
		{"joined enum split", "customAction", `{"reportingSystem":"r","eventTimestamp":"t","eventProperties":[{"name":"n","value":"v","dataType":"url"}],"agentPlatform":"MacOS"}`, nil},
		{"joined enum not itself a value", "customAction", `{"reportingSystem":"r","eventTimestamp":"t","agentPlatform":"Windows, Linux, MacOS, iOS, Android"}`,
			[]string{`agentPlatform: "Windows, Linux, MacOS, iOS, Android" is not one of Windows, Linux, MacOS, iOS, Android`}},
		{"slash-joined enum", "updatePermissionProfile", `{"profileId":"1","callsAccess":{"permissionLevel":"all / managers-team / report-to-them / own / none"}}`,
			[]string{`callsAccess.permissionLevel: "all / managers-team / report-to-them / o"… is not one of all, managers-team, report-to-them, own, none`}},
		{"long value cut short", "listLogs", `{"logType":"` + strings.Repeat("A", 100) + `","fromDateTime":"x"}`,
			[]string{`logType: "` + strings.Repeat("A", 40) + `"… is not one of AccessLog, UserActivityLog, UserCallPlay, ExternallySharedCallAccess, ExternallySharedCallPlay`}},

		// Formats where the document gives one.
		{"date-time ok", "addDigitalInteraction", digitalWith(`"2024-01-01T00:00:00Z"`), nil},
		{"date-time with offset and fraction", "addDigitalInteraction", digitalWith(`"2019-10-18T14:03:37.041977-07:00"`), nil},
		{"date-time without zone", "addDigitalInteraction", digitalWith(`"2024-01-01T00:00:00"`),
			[]string{`timestamp: "2024-01-01T00:00:00" is not a date-time (RFC 3339, such as 2024-01-01T00:00:00Z)`}},
		{"date-time a date", "listInteractionStats", `{"filter":{"fromDate":"a","toDate":"b","createdFromDateTime":"2024-01-01"}}`,
			[]string{`filter.createdFromDateTime: "2024-01-01" is not a date-time (RFC 3339, such as 2024-01-01T00:00:00Z)`}},
		{"date-time a number", "addDigitalInteraction", digitalWith(`1704067200`), []string{"timestamp: want string (date-time), got number"}},
		{"file part", "addCallRecording", `{"id":"1","mediaFile":"call.mp3"}`, nil},
		{"file part empty", "addCallRecording", `{"id":"1","mediaFile":""}`, []string{"mediaFile: want the path of a file to upload, got an empty string"}},
		{"file part a number", "addCallRecording", `{"id":"1","mediaFile":1}`, []string{"mediaFile: want string (the path of a file to upload), got number"}},

		// Bounds.
		{"max length", "addCall", addCallWith(`"purpose":"` + long + `"`), []string{"purpose: want at most 255 characters, got 256"}},
		{"max length in UTF-16 units", "addCall", addCallWith(`"purpose":"` + strings.Repeat("😀", 128) + `"`), []string{"purpose: want at most 255 characters, got 256"}},
		{"max length exactly", "addCall", addCallWith(`"purpose":"` + long[1:] + `"`), nil},
		{"min items", "addCall", `{"clientUniqueId":"u","actualStart":"s","direction":"Inbound","primaryUser":"1","parties":[]}`,
			[]string{"parties: want at least 1 items, got 0"}},

		// Several mistakes at once: unknown ones first, then the document's order.
		{"several", "listCalls", `{"toDateTime":5,"cursr":"c"}`,
			[]string{"cursr: unknown field (did you mean cursor?)", "fromDateTime: missing (required)", "toDateTime: want string, got number"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := problems(t, c.action, c.input)
			if !slices.Equal(got, c.want) {
				t.Errorf("%s %s:\n got %q\nwant %q", c.action, c.input, got, c.want)
			}
		})
	}
}

// addCallWith is a valid addCall input with one more field.
func addCallWith(field string) string {
	return `{"clientUniqueId":"u","actualStart":"2024-01-01T00:00:00Z","direction":"Inbound","primaryUser":"1","parties":[{"userId":"1"}],` + field + `}`
}

// digitalWith is a valid addDigitalInteraction input with the given timestamp.
func digitalWith(timestamp string) string {
	return `{"eventId":"e","timestamp":` + timestamp + `,"eventType":"view","content":{"contentTitle":"t"}}`
}

func TestCheckBoundsItsErrorAndSaysHowManyMore(t *testing.T) {
	ids := make([]int, 25)
	b, _ := json.Marshal(map[string]any{"filter": map[string]any{"callIds": ids}})
	s, _ := Find("getCallTranscripts")
	_, err := s.Check(b)
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("%v", err)
	}
	if len(ie.Problems) != maxProblems || ie.More != 25-maxProblems {
		t.Fatalf("%d problems and %d more, want %d and %d", len(ie.Problems), ie.More, maxProblems, 25-maxProblems)
	}
	if !strings.HasPrefix(err.Error(), "getCallTranscripts: filter.callIds[0]: want string, got number; filter.callIds[1]:") ||
		!strings.HasSuffix(err.Error(), "filter.callIds[9]: want string, got number (and 15 more)") {
		t.Errorf("error text %q", err)
	}
	// The same input gives the same error, word for word: unknown fields are sorted,
	// not listed in map order.
	in := []byte(`{"z":1,"y":2,"x":3,"w":4,"filter":{"q":1,"p":2}}`)
	_, first := s.Check(in)
	for range 20 {
		if _, again := s.Check(in); again.Error() != first.Error() {
			t.Fatalf("error changed: %v then %v", first, again)
		}
	}
}

func TestCheckKeepsEveryDigitOfAnId(t *testing.T) {
	s, _ := Find("listCrmSchemaFields")
	for _, id := range []string{`9007199254740993`, `"9007199254740993"`, `9223372036854775807`} {
		in, err := s.Check([]byte(`{"integrationId":` + id + `,"objectType":"DEAL"}`))
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.Request(in)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := r.Query.Get("integrationId"), strings.Trim(id, `"`); got != want {
			t.Errorf("integrationId %s went out as %s", id, got)
		}
	}
}

// TestEveryActionAcceptsAValidInputAndRefusesEachMistake builds, for every operation
// in the catalog, an input with every field filled in, checks that it is accepted,
// then breaks it one field at a time (removed, given the wrong type, or joined by an
// unknown sibling) and checks the error names exactly that field.
func TestEveryActionAcceptsAValidInputAndRefusesEachMistake(t *testing.T) {
	for _, s := range All() {
		t.Run(s.Name, func(t *testing.T) {
			full := sampleObject(s.Inputs, true)
			minimal := sampleObject(s.Inputs, false)
			for _, in := range []map[string]any{full, minimal} {
				if _, err := s.Check(mustJSON(t, in)); err != nil {
					t.Fatalf("a valid input %s is refused: %v", mustJSON(t, in), err)
				}
			}
			for _, m := range mutations(s.Inputs, full, "") {
				b := mustJSON(t, full)
				m.apply()
				bad := mustJSON(t, full)
				m.undo()
				if !slices.Equal(mustJSON(t, full), b) {
					t.Fatalf("mutation %s was not undone", m.path)
				}
				_, err := s.Check(bad)
				var ie *InputError
				if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].Path != m.path || !strings.HasPrefix(ie.Problems[0].Message, m.want) {
					t.Errorf("%s %s: got %v, want one problem %q at %s", m.kind, m.path, err, m.want, m.path)
				}
			}
		})
	}
}

type mutation struct {
	kind, path, want string
	apply, undo      func()
}

// mutations lists one-field breakages of obj, a valid input for fields, at every
// depth (the first item of each array stands for all).
func mutations(fields []Field, obj map[string]any, path string) []mutation {
	var out []mutation
	unknown := joinPath(path, "zzUnknown")
	out = append(out, mutation{"unknown", unknown, "unknown field",
		func() { obj["zzUnknown"] = 1 }, func() { delete(obj, "zzUnknown") }})
	for _, f := range fields {
		f := f
		p := joinPath(path, f.Name)
		old := obj[f.Name]
		if f.Required {
			out = append(out, mutation{"remove", p, "missing (required)",
				func() { delete(obj, f.Name) }, func() { obj[f.Name] = old }})
		}
		if wrong, want := wrongValue(f.Schema); wrong != nil {
			out = append(out, mutation{"wrong type", p, "want " + want,
				func() { obj[f.Name] = wrong }, func() { obj[f.Name] = old }})
		}
		s := f.Schema
		switch {
		case s.Kind == Object:
			out = append(out, mutations(s.Fields, old.(map[string]any), p)...)
		case s.Kind == Array && s.Items.Kind == Object:
			item := old.([]any)[0].(map[string]any)
			out = append(out, mutations(s.Items.Fields, item, p+"[0]")...)
		}
	}
	return out
}

// wrongValue is a value of another JSON type than s takes.
func wrongValue(s *Schema) (any, string) {
	switch s.Kind {
	case String:
		return json.Number("1"), want(s) + ", got number"
	case Integer:
		return true, want(s) + ", got boolean"
	case Number, Boolean:
		return "x", want(s) + ", got string"
	case Object:
		return []any{}, "object, got array"
	case Array:
		return map[string]any{}, want(s) + ", got object"
	}
	return nil, "" // Any takes everything
}

// sampleObject is a valid object for fields: every field when full, else only the
// required ones.
func sampleObject(fields []Field, full bool) map[string]any {
	m := map[string]any{}
	for _, f := range fields {
		if f.Required || full {
			m[f.Name] = sampleValue(f.Schema, full)
		}
	}
	return m
}

func sampleValue(s *Schema, full bool) any {
	switch s.Kind {
	case String:
		switch {
		case len(s.Enum) > 0:
			return s.Enum[len(s.Enum)-1]
		case s.Format == FormatDateTime:
			return "2024-01-01T00:00:00Z"
		case s.Format == FormatDate:
			return "2024-01-01"
		case s.Format == FormatEmail:
			return "jane.doe@example.com"
		case s.Format == FormatPhone:
			return "+1 (212) 555-0100"
		}
		return "7782342274025937895"
	case Integer:
		n := int64(9007199254740993) // 2^53+1: a float64 would round it
		if s.Format == FormatInt32 {
			n = 7
		}
		if s.Maximum != nil {
			n = *s.Maximum
		}
		return json.Number(fmt.Sprint(n))
	case Number:
		return json.Number("12.5")
	case Boolean:
		return true
	case Object:
		return sampleObject(s.Fields, full)
	case Array:
		return []any{sampleValue(s.Items, full)}
	}
	return map[string]any{"any": []any{json.Number("1"), nil}}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The own actions' formats refuse what cannot be an address before an erasure is
// asked for, and a path parameter cannot climb out of its path.
func TestOwnFormatsAndPathParameters(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"jane.doe@example.com", true}, {"Jane+tag@Sub.Example.co.uk", true}, {"o'neil@example.ie", true},
		{"jane", false}, {"@example.com", false}, {"jane@", false}, {"jane@example", false}, {"jane@.example.com", false},
		{"jane doe@example.com", false}, {"a@b.com, c@d.com", false}, {`"jane"@example.com`, false}, {"jane@exa@mple.com", false},
		{"jane@example.com\n", false}, {strings.Repeat("a", 250) + "@b.co", false},
	} {
		if got := EmailAddress(tc.s); got != tc.want {
			t.Errorf("EmailAddress(%q) = %t", tc.s, got)
		}
	}
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"+1 (212) 555-0100", true}, {"212.555.0100", true}, {"5550100", true}, {"+442071838750", true},
		{"555010", false}, {"1234567890123456", false}, {"212-555-0100 ext 4", false}, {"1+2125550100", false}, {"", false},
	} {
		if got := PhoneNumber(tc.s); got != tc.want {
			t.Errorf("PhoneNumber(%q) = %t", tc.s, got)
		}
	}
	s, _ := Find("getCall")
	for _, id := range []string{".", ".."} {
		_, err := s.Check([]byte(`{"id":"` + id + `"}`))
		if err == nil || !strings.Contains(err.Error(), "id: must not be "+id+" (it is part of the path)") {
			t.Errorf("id %q: %v", id, err)
		}
	}
	if in, err := s.Check([]byte(`{"id":"..."}`)); err != nil || in["id"] != "..." {
		t.Errorf(`id "...": %v`, err)
	}
}
