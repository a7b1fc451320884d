package catalog

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// request checks input and maps it, failing the test on any error.
func request(t *testing.T, action, input string) (*Spec, *Request) {
	t.Helper()
	s, in, err := Check(action, []byte(input))
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Request(in)
	if err != nil {
		t.Fatal(err)
	}
	return s, r
}

func TestRequestPutsEachInputWhereTheOperationTakesIt(t *testing.T) {
	cases := []struct {
		name, action, input string
		method, url, body   string // body "" means none
		form                map[string]string
	}{
		{"path parameter, escaped", "getCall", `{"id":"a/b?c d"}`, "GET", "/v2/calls/a%2Fb%3Fc%20d", "", nil},
		{"path parameter, digits", "getCall", `{"id":"7782342274025937895"}`, "GET", "/v2/calls/7782342274025937895", "", nil},
		{"int64 path parameter as a number", "deleteMeeting", `{"meetingId":9007199254740993}`, "DELETE", "/v2/meetings/9007199254740993", `{}`, nil},
		{"query, encoded", "listCalls", `{"fromDateTime":"2024-01-01T00:00:00+02:00","toDateTime":"2024-02-01T00:00:00Z","workspaceId":"5"}`,
			"GET", "/v2/calls?fromDateTime=2024-01-01T00%3A00%3A00%2B02%3A00&toDateTime=2024-02-01T00%3A00%3A00Z&workspaceId=5", "", nil},
		{"boolean in the query", "listUsers", `{"includeAvatars":false}`, "GET", "/v2/users?includeAvatars=false", "", nil},
		{"query with a hyphenated name", "listUsers_1", `{"workspace-id":"1","manager-id":2,"from":"a","to":"b"}`,
			"GET", "/v2/coaching?from=a&manager-id=2&to=b&workspace-id=1", "", nil},
		{"body, numbers and text as written", "listCallsExtensive",
			`{"filter":{"callIds":["1"],"fromDateTime":"2024-01-01T00:00:00Z"},"contentSelector":{"context":"Extended","exposedFields":{"parties":true}},"cursor":"<c&>"}`,
			"POST", "/v2/calls/extensive",
			`{"contentSelector":{"context":"Extended","exposedFields":{"parties":true}},"cursor":"<c&>","filter":{"callIds":["1"],"fromDateTime":"2024-01-01T00:00:00Z"}}`, nil},
		{"query and body together", "createPermissionProfile", `{"workspaceId":"9","name":"Reps","scoreCalls":true}`,
			"POST", "/v2/permission-profile?workspaceId=9", `{"name":"Reps","scoreCalls":true}`, nil},
		{"body required, no body field given", "deleteMeeting", `{"meetingId":"1"}`, "DELETE", "/v2/meetings/1", `{}`, nil},
		{"no body at all", "purgeEmailAddress", `{"emailAddress":"a+b@example.com"}`, "POST", "/v2/data-privacy/erase-data-for-email-address?emailAddress=a%2Bb%40example.com", "", nil},
		{"nothing", "listWorkspaces", `{}`, "GET", "/v2/workspaces", "", nil},
		{"an array body", "uploadCrmSchemaField", `{"integrationId":"6286478263646","objectType":"ACCOUNT","body":[{"uniqueName":"u","label":"l","type":"STRING"}]}`,
			"POST", "/v2/crm/entity-schema?integrationId=6286478263646&objectType=ACCOUNT", `[{"label":"l","type":"STRING","uniqueName":"u"}]`, nil},
		{"ids sent as the body of a GET", "getCrmObjects", `{"integrationId":1,"objectType":"DEAL","objectsCrmIds":["1234","8765"]}`,
			"GET", "/v2/crm/entities?integrationId=1&objectType=DEAL", `["1234","8765"]`, nil},
		{"a multipart file", "addCallRecording", `{"id":"77","mediaFile":"/tmp/call.mp3"}`, "PUT", "/v2/calls/77/media", "", map[string]string{"mediaFile": "/tmp/call.mp3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, r := request(t, c.action, c.input)
			if r.Method != c.method || r.URL() != c.url {
				t.Errorf("%s %s, want %s %s", r.Method, r.URL(), c.method, c.url)
			}
			if c.body != "" && string(r.Body) != c.body {
				t.Errorf("body %s, want %s", r.Body, c.body)
			}
			if c.body == "" && r.Body != nil {
				t.Errorf("body %s, want none", r.Body)
			}
			if len(r.Form) != len(c.form) {
				t.Errorf("form %v, want %v", r.Form, c.form)
			}
			for k, v := range c.form {
				if r.Form[k] != v {
					t.Errorf("form %v, want %v", r.Form, c.form)
				}
			}
		})
	}
}

func TestRequestBodyKeepsLargeNumbersExact(t *testing.T) {
	_, r := request(t, "addCall", addCallWith(`"duration":12345678901234567890.5,"speakersTimeline":{"speechSegments":[{"fromTime":2147483647,"toTime":0,"partyIds":[]}]}`))
	for _, want := range []string{`"duration":12345678901234567890.5`, `"fromTime":2147483647`} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("body %s lacks %s", r.Body, want)
		}
	}
}

func TestWithCursorFollowsEachPagedOperationItsWay(t *testing.T) {
	// A GET takes the cursor in its query and keeps its other parameters.
	s, r := request(t, "listCalls", `{"fromDateTime":"a","toDateTime":"b"}`)
	next, err := s.WithCursor(r, "c/2=")
	if err != nil {
		t.Fatal(err)
	}
	if want := "/v2/calls?cursor=c%2F2%3D&fromDateTime=a&toDateTime=b"; next.URL() != want {
		t.Errorf("next page %s, want %s", next.URL(), want)
	}
	if r.Query.Get("cursor") != "" {
		t.Error("WithCursor changed the first request's query")
	}
	again, _ := s.WithCursor(next, "c3")
	if again.Query["cursor"][0] != "c3" || len(again.Query["cursor"]) != 1 {
		t.Errorf("a second cursor: %v", again.Query)
	}

	// A POST takes it in the body (Gong ignores a POST's query cursor) and keeps every
	// other field, numbers included, as given.
	s, r = request(t, "listMultipleUsersAggregateByPeriod", `{"filter":{"fromDate":"2024-01-01","toDate":"2024-02-01","userIds":["9223372036854775807"]},"aggregationPeriod":"WEEK"}`)
	next, err = s.WithCursor(r, "abc")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"aggregationPeriod":"WEEK","cursor":"abc","filter":{"fromDate":"2024-01-01","toDate":"2024-02-01","userIds":["9223372036854775807"]}}`
	if string(next.Body) != want || next.Query != nil || next.Path != r.Path {
		t.Errorf("next page %s %s, want body %s", next.URL(), next.Body, want)
	}
	if strings.Contains(string(r.Body), "cursor") {
		t.Error("WithCursor changed the first request's body")
	}

	s, r = request(t, "listWorkspaces", `{}`)
	if _, err := s.WithCursor(r, "x"); err == nil {
		t.Error("a cursor for an operation that is not paged")
	}
}

func TestRequestOfAnOwnActionIsAnError(t *testing.T) {
	own := &Spec{Name: "calls.refresh", Writes: true, Inputs: []Field{
		{Name: "callIds", Required: true, Schema: &Schema{Kind: Array, Items: &Schema{Kind: String}}},
	}}
	in, err := own.Check([]byte(`{"callIds":["1"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := own.Request(in); err == nil || !strings.Contains(err.Error(), "own action") {
		t.Errorf("Request of an own action: %v", err)
	}
	if _, err := own.Check([]byte(`{"callIds":[1]}`)); err == nil || err.Error() != "calls.refresh: callIds[0]: want string, got number" {
		t.Errorf("an own action's input is checked the same way: %v", err)
	}
}

func TestRequestRefusesWhatCheckWouldHave(t *testing.T) {
	// Request trusts Check but does not build a wrong request from an input that
	// skipped it.
	s, _ := Find("getCall")
	for _, in := range []Input{{}, {"id": ""}, {"id": map[string]any{}}} {
		if r, err := s.Request(in); err == nil {
			t.Errorf("Request(%v) = %s", in, r.URL())
		}
	}
	s, _ = Find("listUsers")
	if _, err := s.Request(Input{"cursor": map[string]any{}}); err == nil {
		t.Error("an object in the query")
	}
	// The escaped path never carries a query or a fragment of the input's making.
	s, _ = Find("getUser")
	r, err := s.Request(Input{"id": "../../v2/calls?x=1#f"})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := url.Parse(r.URL()); err != nil || u.RawQuery != "" || u.Fragment != "" || strings.Count(u.EscapedPath(), "/") != 3 {
		t.Errorf("path %s escapes its segment", r.URL())
	}
	var body map[string]any
	if r.Body != nil && json.Unmarshal(r.Body, &body) != nil {
		t.Error("body is not JSON")
	}
}
