package fakegong

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// The endpoints of the actions answer as Gong documents them (every answer checked
// against the document's schema), keep what they wrote, and every other operation of
// Gong's API answers 404 "Not simulated".
func TestActionEndpointsAnswerAsDocumented(t *testing.T) {
	t.Parallel()
	o := loadOpenAPI(t)
	f := newFake(t, Options{Seed: 71, Calls: 200, Users: 40, From: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2023, 2, 1, 0, 0, 0, 0, time.UTC)})
	f.Clock().Set(fixedNow)
	check := func(what, method, template string, a answer, want int) answer {
		t.Helper()
		if a.status != want {
			t.Fatalf("%s: status %d, want %d: %s", what, a.status, want, a.body)
		}
		schema := o.responseSchema(t, method, template, a.status)
		if errs := o.validate(schema, a.body); len(errs) > 0 {
			t.Errorf("%s: %s", what, strings.Join(errs[:min(5, len(errs))], "; "))
		}
		return a
	}
	calls := f.Dataset().VisibleCalls(fixedNow)
	var withParty *CallData
	var email, phone string
	for i := range calls {
		for _, p := range calls[i].Parties {
			if p.EmailAddress != nil && *p.Affiliation == "External" && email == "" {
				email, withParty = *p.EmailAddress, &calls[i]
			}
			if p.PhoneNumber != nil && *p.Affiliation != "Internal" && phone == "" {
				phone = *p.PhoneNumber
			}
		}
	}
	if email == "" || phone == "" {
		t.Fatal("the dataset has no external party with an email address and a phone number")
	}
	users := f.Dataset().UsersAt(fixedNow)

	// One call by id; an unknown id is a 404 that is not an empty result.
	got := decode[struct {
		Call CallBasicData `json:"call"`
	}](t, check("getCall", "GET", "/v2/calls/{id}", f.do("GET", "/v2/calls/"+withParty.MetaData.ID, nil, ""), 200))
	if got.Call.ID != withParty.MetaData.ID || *got.Call.Title != *withParty.MetaData.Title {
		t.Errorf("getCall answered %+v", got.Call)
	}
	if a := f.do("GET", "/v2/calls/"+url.PathEscape("12/34"), nil, ""); a.status != 404 || !strings.Contains(string(a.body), "12/34 was not found") {
		t.Errorf("getCall of an escaped id: %d %s", a.status, a.body)
	}

	// Users' access: given, read back, given again (no change), taken back.
	id := withParty.MetaData.ID
	put := `{"callAccessList":[{"callId":"` + id + `","userIds":["` + users[0].ID + `","` + users[1].ID + `"]}]}`
	check("add access", "PUT", "/v2/calls/users-access", f.do("PUT", "/v2/calls/users-access", nil, put), 200)
	check("add access again", "PUT", "/v2/calls/users-access", f.do("PUT", "/v2/calls/users-access", nil, put), 200)
	read := check("get access", "POST", "/v2/calls/users-access", f.do("POST", "/v2/calls/users-access", nil, `{"filter":{"callIds":["`+id+`"]}}`), 200)
	if d := decode[CallsAccessDetailsResponse](t, read); len(d.CallAccessList) != 1 || len(d.CallAccessList[0].Users) != 2 {
		t.Errorf("access read back: %s", read.body)
	}
	check("delete access", "DELETE", "/v2/calls/users-access", f.do("DELETE", "/v2/calls/users-access", nil,
		`{"callAccessList":[{"callId":"`+id+`","userIds":["`+users[0].ID+`"]}]}`), 200)
	if got := f.CallAccess(id); !slices.Equal(got, []string{users[1].ID}) {
		t.Errorf("access after delete: %v", got)
	}
	if a := f.do("PUT", "/v2/calls/users-access", nil, `{"callAccessList":[{"callId":"1","userIds":[]}]}`); a.status != 400 {
		t.Errorf("access to an unknown call: %d", a.status)
	}

	// addCall: the clientUniqueId makes a second upload a 409.
	add := `{"clientUniqueId":"pbx-1","actualStart":"2023-01-05T10:00:00Z","direction":"Outbound","primaryUser":"` + users[0].ID +
		`","parties":[{"emailAddress":"a@b.example","userId":"` + users[0].ID + `"}]}`
	added := decode[NewCallAddingResponse](t, check("addCall", "POST", "/v2/calls", f.do("POST", "/v2/calls", nil, add), 200))
	if added.CallID == "" || f.Uploads()["pbx-1"] != added.CallID {
		t.Errorf("addCall answered %+v, uploads %v", added, f.Uploads())
	}
	if a := check("addCall again", "POST", "/v2/calls", f.do("POST", "/v2/calls", nil, add), 409); !strings.Contains(string(a.body), "clientUniqueId") {
		t.Errorf("second addCall: %s", a.body)
	}
	if a := f.do("POST", "/v2/calls", nil, `{"clientUniqueId":"x"}`); a.status != 400 || !strings.Contains(string(a.body), "actualStart") {
		t.Errorf("addCall without required fields: %d %s", a.status, a.body)
	}

	// Data privacy: the lookup lists the calls with the address; the erase takes
	// effect after the delay.
	refs := decode[EmailAddressReferences](t, check("email lookup", "GET", "/v2/data-privacy/data-for-email-address",
		f.do("GET", "/v2/data-privacy/data-for-email-address", url.Values{"emailAddress": {strings.ToUpper(email)}}, ""), 200))
	if !slices.ContainsFunc(refs.Calls, func(c CallReference) bool { return c.ID == id }) {
		t.Errorf("the lookup of %s does not list call %s: %+v", email, id, refs.Calls)
	}
	phoneRefs := decode[PhoneNumberReferences](t, check("phone lookup", "GET", "/v2/data-privacy/data-for-phone-number",
		f.do("GET", "/v2/data-privacy/data-for-phone-number", url.Values{"phoneNumber": {phone}}, ""), 200))
	if len(phoneRefs.Calls) == 0 || !slices.Contains(phoneRefs.MatchingPhoneNumbers, phone) {
		t.Errorf("the lookup of %s: %+v", phone, phoneRefs)
	}
	check("erase unknown", "POST", "/v2/data-privacy/erase-data-for-email-address",
		f.do("POST", "/v2/data-privacy/erase-data-for-email-address", url.Values{"emailAddress": {"nobody@nowhere.example"}}, ""), 200)
	check("erase", "POST", "/v2/data-privacy/erase-data-for-email-address",
		f.do("POST", "/v2/data-privacy/erase-data-for-email-address", url.Values{"emailAddress": {email}}, ""), 200)
	if a := f.do("POST", "/v2/data-privacy/erase-data-for-email-address", nil, ""); a.status != 400 {
		t.Errorf("erase without an address: %d", a.status)
	}
	if _, ok := f.Dataset().CallAt(id, fixedNow.Add(time.Hour)); !ok {
		t.Error("the call is gone before the erasure delay passed")
	}
	if _, ok := f.Dataset().CallAt(id, fixedNow.Add(4*time.Hour)); ok {
		t.Error("the call is still served after the erasure delay")
	}
	if er := f.Erasures(); len(er) != 2 || !slices.Contains(er[1].CallIDs, id) {
		t.Errorf("erasures %+v", er)
	}

	// The rest of Gong's operations are not simulated.
	for _, p := range []string{"/v2/meetings", "/v2/flows/prospects", "/v2/calls/" + id + "/media"} {
		if a := f.do(http.MethodPost, p, nil, "{}"); a.status != 404 || !strings.Contains(string(a.body), "Not simulated") {
			t.Errorf("POST %s: %d %s", p, a.status, a.body)
		}
	}
	if a := f.do(http.MethodPatch, "/v2/calls/users-access", nil, "{}"); a.status != 405 || a.header.Get("Allow") != "DELETE, POST, PUT" {
		t.Errorf("PATCH users-access: %d Allow %q", a.status, a.header.Get("Allow"))
	}
}
