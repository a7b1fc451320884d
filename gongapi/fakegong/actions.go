package fakegong

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The endpoints beyond a sync's: one call by id, the users-access writes, adding a
// call, and the data-privacy lookups and erasures. Every other operation of Gong's API
// answers 404 "Not simulated" (ServeHTTP).

// writes is what the fake's write endpoints changed, beside the dataset.
type writes struct {
	mu       sync.Mutex
	access   map[string][]string // call id → user ids given access, sorted
	uploads  map[string]string   // clientUniqueId → the id of the call it added
	erasures []ErasureRequest
}

// ErasureRequest is one erase request the fake took: the address, when, and the calls
// it removes once Options.ErasureDelay has passed on the virtual clock.
type ErasureRequest struct {
	Kind    string    `json:"kind"` // email or phone
	Address string    `json:"address"`
	At      time.Time `json:"at"`
	// Effective is when the calls stop being served.
	Effective time.Time `json:"effective"`
	CallIDs   []string  `json:"call_ids"`
}

// Erasures returns the erase requests taken so far, oldest first.
func (s *Server) Erasures() []ErasureRequest {
	s.writes.mu.Lock()
	defer s.writes.mu.Unlock()
	return slices.Clone(s.writes.erasures)
}

// CallAccess returns the users given access to a call through the users-access
// endpoint, sorted.
func (s *Server) CallAccess(callID string) []string {
	s.writes.mu.Lock()
	defer s.writes.mu.Unlock()
	return slices.Clone(s.writes.access[callID])
}

// Uploads returns the calls added through POST /v2/calls, by clientUniqueId.
func (s *Server) Uploads() map[string]string {
	s.writes.mu.Lock()
	defer s.writes.mu.Unlock()
	out := make(map[string]string, len(s.writes.uploads))
	for k, v := range s.writes.uploads {
		out[k] = v
	}
	return out
}

// writeJSON answers 200 with v encoded by encoding/json: the answers here are small
// and flat, and their types carry Gong's names in their tags.
func (x *exchange) writeJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		x.fail(http.StatusInternalServerError, "Internal server error")
		return
	}
	x.sendJSON(http.StatusOK, append(x.buf(), b...))
}

// ---- one call ----

// handleGetCall answers GET /v2/calls/{id}: the call's metadata (SpecificCall).
func (s *Server) handleGetCall(x *exchange) {
	now := s.clock.Now()
	c, ok := s.data.CallAt(x.pathID, now)
	if !ok {
		x.fail(http.StatusNotFound, "Call "+x.pathID+" was not found")
		return
	}
	e := s.enc(x)
	e.requestID(x.id)
	e.b = append(e.b, `,"call":`...)
	e.callMetaData(c.MetaData)
	e.b = append(e.b, '}')
	x.sendJSON(http.StatusOK, e.b)
}

// ---- users' access to calls ----

func (s *Server) handleAddUsersAccess(x *exchange)    { s.changeUsersAccess(x, true) }
func (s *Server) handleDeleteUsersAccess(x *exchange) { s.changeUsersAccess(x, false) }

// changeUsersAccess gives or takes back access to calls. Giving the same access twice
// changes nothing, as PUT promises.
func (s *Server) changeUsersAccess(x *exchange, give bool) {
	var body CallsUsersAccess
	if err := x.decodeBody(&body); err != nil {
		x.answerError(err)
		return
	}
	if len(body.CallAccessList) == 0 {
		x.answerError(badRequest("callAccessList must list at least one call"))
		return
	}
	now := s.clock.Now().UnixNano()
	for i, c := range body.CallAccessList {
		if c.CallID == nil || *c.CallID == "" {
			x.answerError(badRequest("callAccessList[" + strconv.Itoa(i) + "].callId is required"))
			return
		}
		if !s.data.visible(*c.CallID, now) {
			x.fail(http.StatusBadRequest, "Call "+*c.CallID+" was not found")
			return
		}
		for _, u := range c.UserIDs {
			if !s.data.hasUser(u) {
				x.fail(http.StatusBadRequest, "User "+u+" was not found")
				return
			}
		}
	}
	s.writes.mu.Lock()
	if s.writes.access == nil {
		s.writes.access = map[string][]string{}
	}
	for _, c := range body.CallAccessList {
		users := s.writes.access[*c.CallID]
		for _, u := range c.UserIDs {
			i, found := slices.BinarySearch(users, u)
			switch {
			case give && !found:
				users = slices.Insert(users, i, u)
			case !give && found:
				users = slices.Delete(users, i, i+1)
			}
		}
		s.writes.access[*c.CallID] = users
	}
	s.writes.mu.Unlock()
	x.writeJSON(BaseResponse{RequestID: x.id})
}

// handleGetUsersAccess answers POST /v2/calls/users-access: who was given access.
func (s *Server) handleGetUsersAccess(x *exchange) {
	var body FilterRequestCallsAccessGet
	if err := x.decodeBody(&body); err != nil {
		x.answerError(err)
		return
	}
	if body.Filter == nil || len(body.Filter.CallIDs) == 0 {
		x.answerError(badRequest("filter.callIds is required"))
		return
	}
	if len(body.Filter.CallIDs) > maxCallIDs {
		x.answerError(badRequest("callIds may list at most " + strconv.Itoa(maxCallIDs) + " calls"))
		return
	}
	out := CallsAccessDetailsResponse{RequestID: x.id, CallAccessList: []CallAccessDetails{}}
	s.writes.mu.Lock()
	for _, id := range body.Filter.CallIDs {
		d := CallAccessDetails{CallID: id, Users: []UserAccessDetails{}}
		for _, u := range s.writes.access[id] {
			d.Users = append(d.Users, UserAccessDetails{UserID: u})
		}
		out.CallAccessList = append(out.CallAccessList, d)
	}
	s.writes.mu.Unlock()
	x.writeJSON(out)
}

// ---- adding a call ----

// handleAddCall answers POST /v2/calls. Gong recognises a call it already has by its
// clientUniqueId and refuses it with a 409 (the document lists the status; the text
// is the fake's), which is what makes addCall safe to send again. The call is
// recorded but never processed (no media upload is simulated), so it does not appear
// in the call lists.
func (s *Server) handleAddCall(x *exchange) {
	var body NewCallAddingRequest
	if err := x.decodeBody(&body); err != nil {
		x.answerError(err)
		return
	}
	var missing []string
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"clientUniqueId", body.ClientUniqueID != nil && *body.ClientUniqueID != ""},
		{"actualStart", body.ActualStart != nil},
		{"direction", body.Direction != nil},
		{"parties", len(body.Parties) > 0},
		{"primaryUser", body.PrimaryUser != nil},
	} {
		if !f.ok {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		x.answerError(badRequest("Missing required fields: " + strings.Join(missing, ", ")))
		return
	}
	if _, err := time.Parse(time.RFC3339, *body.ActualStart); err != nil {
		x.answerError(badRequest("Invalid actualStart: expected ISO-8601"))
		return
	}
	switch *body.Direction {
	case "Inbound", "Outbound", "Conference", "Unknown":
	default:
		x.answerError(badRequest("Invalid direction " + strconv.Quote(*body.Direction)))
		return
	}
	s.writes.mu.Lock()
	if s.writes.uploads == nil {
		s.writes.uploads = map[string]string{}
	}
	if _, dup := s.writes.uploads[*body.ClientUniqueID]; dup {
		s.writes.mu.Unlock()
		x.fail(http.StatusConflict, "A call with the same clientUniqueId already exists")
		return
	}
	id := s.data.reserveID()
	s.writes.uploads[*body.ClientUniqueID] = id
	s.writes.mu.Unlock()
	x.writeJSON(NewCallAddingResponse{RequestID: x.id, CallID: id})
}

// ---- data privacy ----

// matchedCall is a visible call whose parties hold an address.
type matchedCall struct {
	id     string
	crm    []CRMObject // the matching parties' CRM leads and contacts
	phones []string    // the matching parties' phone numbers, as written
	emails []string    // the matching parties' email addresses
}

// callsWith lists the calls visible now where a party holds the address: an email
// compared without case, or a phone number by its last 10 digits. The fake holds
// addresses in parties only (its CRM fields and transcripts carry none).
func (s *Server) callsWith(kind, addr string, now int64) []matchedCall {
	metas, users := s.data.visibleMetas(now, false)
	sel := selection{parties: true, context: 1}
	var out []matchedCall
	for i := range metas {
		c := s.data.buildCall(&metas[i], users, &sel, now)
		var m *matchedCall
		for _, p := range c.Parties {
			hit := false
			switch kind {
			case "email":
				hit = p.EmailAddress != nil && strings.EqualFold(*p.EmailAddress, addr)
			case "phone":
				hit = p.PhoneNumber != nil && phoneKey(*p.PhoneNumber) == phoneKey(addr)
			}
			if !hit {
				continue
			}
			if m == nil {
				m = &matchedCall{id: c.MetaData.ID}
			}
			for _, ctx := range p.Context {
				m.crm = append(m.crm, ctx.Objects...)
			}
			if p.PhoneNumber != nil {
				m.phones = append(m.phones, *p.PhoneNumber)
			}
			if p.EmailAddress != nil {
				m.emails = append(m.emails, *p.EmailAddress)
			}
		}
		if m != nil {
			out = append(out, *m)
		}
	}
	return out
}

// phoneKey compares phone numbers: their last 10 digits (all of them when fewer).
func phoneKey(s string) string {
	var d []byte
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			d = append(d, s[i])
		}
	}
	if len(d) > 10 {
		d = d[len(d)-10:]
	}
	return string(d)
}

// addressParam reads the address of a data-privacy request from the query string.
func addressParam(x *exchange, name string) (string, bool) {
	v := strings.TrimSpace(x.r.URL.Query().Get(name))
	if v == "" {
		x.answerError(badRequest("Required request parameter '" + name + "' is not present"))
		return "", false
	}
	return v, true
}

func customerData(calls []matchedCall) []CustomerData {
	out := []CustomerData{}
	var objs []CustomerDataObject
	for _, c := range calls {
		for _, o := range c.crm {
			obj := CustomerDataObject{ObjectType: o.ObjectType, ExternalID: o.ObjectID}
			if !slices.Contains(objs, obj) {
				objs = append(objs, obj)
			}
		}
	}
	if len(objs) > 0 {
		out = append(out, CustomerData{System: "Salesforce", Objects: objs})
	}
	return out
}

func callReferences(calls []matchedCall) []CallReference {
	out := make([]CallReference, len(calls))
	for i, c := range calls {
		out[i] = CallReference{ID: c.id}
	}
	return out
}

func (s *Server) handleEmailReferences(x *exchange) {
	addr, ok := addressParam(x, "emailAddress")
	if !ok {
		return
	}
	calls := s.callsWith("email", addr, s.clock.Now().UnixNano())
	x.writeJSON(EmailAddressReferences{
		RequestID: x.id, Emails: []json.RawMessage{}, Calls: callReferences(calls), Meetings: []json.RawMessage{},
		CustomerData: customerData(calls), CustomerEngagement: []json.RawMessage{},
	})
}

func (s *Server) handlePhoneReferences(x *exchange) {
	addr, ok := addressParam(x, "phoneNumber")
	if !ok {
		return
	}
	calls := s.callsWith("phone", addr, s.clock.Now().UnixNano())
	phones, emails := []string{}, []string{}
	for _, c := range calls {
		for _, p := range c.phones {
			if !slices.Contains(phones, p) {
				phones = append(phones, p)
			}
		}
		for _, e := range c.emails {
			if !slices.Contains(emails, e) {
				emails = append(emails, e)
			}
		}
	}
	x.writeJSON(PhoneNumberReferences{
		RequestID: x.id, Emails: []json.RawMessage{}, Calls: callReferences(calls), Meetings: []json.RawMessage{},
		CustomerData: customerData(calls), SuppliedPhoneNumber: addr, MatchingPhoneNumbers: phones, EmailAddresses: emails,
	})
}

func (s *Server) handleEraseEmail(x *exchange) { s.erase(x, "email", "emailAddress") }
func (s *Server) handleErasePhone(x *exchange) { s.erase(x, "phone", "phoneNumber") }

// erase takes an erase request: the calls that hold the address now disappear once
// Options.ErasureDelay has passed on the virtual clock. Gong answers 200 with only a
// requestId, even for an address it does not know.
func (s *Server) erase(x *exchange, kind, param string) {
	addr, ok := addressParam(x, param)
	if !ok {
		return
	}
	now := s.clock.Now()
	calls := s.callsWith(kind, addr, now.UnixNano())
	req := ErasureRequest{Kind: kind, Address: addr, At: now, Effective: now.Add(s.opts.ErasureDelay), CallIDs: []string{}}
	for _, c := range calls {
		if _, err := s.data.DeleteCall(c.id, req.Effective); err != nil {
			x.fail(http.StatusInternalServerError, "Internal server error")
			return
		}
		req.CallIDs = append(req.CallIDs, c.id)
	}
	s.writes.mu.Lock()
	s.writes.erasures = append(s.writes.erasures, req)
	s.writes.mu.Unlock()
	x.writeJSON(BaseResponse{RequestID: x.id})
}
