package fakegong

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// The generic CRM integrations with the schema of each object type (one or two
// integrations; none when Options.NoCrmIntegration), and the calls users associated
// with CRM objects by hand: about one call in thirty, some hours to weeks after Gong
// processed it.

// ---- records ----

// CrmIntegration is one generic CRM integration (the schema GenericCrmIntegration).
type CrmIntegration struct {
	IntegrationID string `json:"integrationId"` // a number on the wire
	OwnerEmail    string `json:"ownerEmail"`
	Name          string `json:"name"`
}

// CrmSchemaField is one field of an object type's schema (the schema
// GenericSchemaFieldRequest). OrderedValueList is left out when nil.
type CrmSchemaField struct {
	UniqueName       string   `json:"uniqueName"`
	Label            string   `json:"label"`
	Type             string   `json:"type"`
	LastModified     string   `json:"lastModified"`
	IsDeleted        bool     `json:"isDeleted"`
	ReferenceTo      string   `json:"referenceTo"` // left out when ""
	OrderedValueList []string `json:"orderedValueList"`
}

// ManualAssociation is one manual association of a call (the schema
// ManualAssociationsBasicData).
type ManualAssociation struct {
	CallID               string              `json:"callId"`
	UserID               string              `json:"userId"`
	Created              time.Time           `json:"created"`
	AssociatedCrmObjects []AssociationObject `json:"associatedCrmObjects"`
}

// AssociationObject is one CRM object of an association; DealCrmID is left out when "".
type AssociationObject struct {
	AccountCrmID string `json:"accountCrmId"`
	DealCrmID    string `json:"dealCrmId"`
}

// CrmObjectTypes are the object types of GET /v2/crm/entity-schema, as Gong's
// document lists them.
var CrmObjectTypes = []string{"ACCOUNT", "CONTACT", "DEAL", "LEAD"}

// ---- the dataset's part ----

// crmIntegration is one integration with its fields by object type, each field
// present until removed (0 = never).
type crmIntegration struct {
	def     CrmIntegration
	removed int64
	fields  map[string][]crmField
}

type crmField struct {
	def     CrmSchemaField
	removed int64
}

// manualAssociation is one association and the call it is of.
type manualAssociation struct {
	a      ManualAssociation
	call   uint64
	at     int64 // created, Unix ns
	callIx int32
}

// crmFieldVocab are the fields an object type's schema draws from.
var crmFieldVocab = map[string][]CrmSchemaField{
	"ACCOUNT": {{UniqueName: "Name", Label: "Account Name", Type: "STRING"}, {UniqueName: "Industry", Label: "Industry", Type: "PICKLIST"},
		{UniqueName: "AnnualRevenue", Label: "Annual Revenue", Type: "CURRENCY"}, {UniqueName: "Website", Label: "Website", Type: "URL"},
		{UniqueName: "NumberOfEmployees", Label: "Employees", Type: "NUMBER"}, {UniqueName: "OwnerId", Label: "Owner", Type: "ID"},
		{UniqueName: "Phone", Label: "Phone", Type: "PHONENUMBER"}, {UniqueName: "ParentId", Label: "Parent Account", Type: "REFERENCE", ReferenceTo: "ACCOUNT"}},
	"CONTACT": {{UniqueName: "FirstName", Label: "First Name", Type: "STRING"}, {UniqueName: "LastName", Label: "Last Name", Type: "STRING"},
		{UniqueName: "Email", Label: "Email", Type: "EMAILADDRESS"}, {UniqueName: "Title", Label: "Title", Type: "STRING"},
		{UniqueName: "AccountId", Label: "Account", Type: "REFERENCE", ReferenceTo: "ACCOUNT"}, {UniqueName: "DoNotCall", Label: "Do Not Call", Type: "BOOLEAN"}},
	"DEAL": {{UniqueName: "Name", Label: "Opportunity Name", Type: "STRING"}, {UniqueName: "Amount", Label: "Amount", Type: "CURRENCY"},
		{UniqueName: "StageName", Label: "Stage", Type: "PICKLIST"}, {UniqueName: "CloseDate", Label: "Close Date", Type: "DATE"},
		{UniqueName: "Probability", Label: "Probability", Type: "PERCENT"}, {UniqueName: "AccountId", Label: "Account", Type: "REFERENCE", ReferenceTo: "ACCOUNT"},
		{UniqueName: "Competitors", Label: "Competitors", Type: "STRINGARRAY"}},
	"LEAD": {{UniqueName: "Company", Label: "Company", Type: "STRING"}, {UniqueName: "Status", Label: "Lead Status", Type: "PICKLIST"},
		{UniqueName: "Email", Label: "Email", Type: "EMAILADDRESS"}, {UniqueName: "ConvertedDate", Label: "Converted", Type: "DATETIME"},
		{UniqueName: "LeadSource", Label: "Lead Source", Type: "PICKLIST"}},
}

var crmPicklist = []string{"Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost"}

// genCrm makes one or two generic CRM integrations (none with NoCrmIntegration), each
// with some of the vocabulary's fields per object type.
func (d *Dataset) genCrm(o Options) {
	if o.NoCrmIntegration {
		return
	}
	r := newRNG(d.seed, 0, streamCrm)
	// Two integrations, so that a test can take one away and keep the other.
	for k := range 2 {
		in := crmIntegration{fields: map[string][]crmField{}}
		// Live Gong's integration ids are beyond 2^53: so are the fake's.
		in.def.IntegrationID = strconv.FormatUint(1<<60+d.newID(&r)%(1<<59), 10)
		in.def.Name = []string{"Generic CRM", "Data warehouse sync"}[k]
		in.def.OwnerEmail = "crm-admin" + strconv.Itoa(k+1) + "@" + d.company
		for _, ot := range CrmObjectTypes {
			vocab := crmFieldVocab[ot]
			for _, f := range vocab {
				if !r.chance(0.8) {
					continue
				}
				f.LastModified = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.intn(500*24)) * time.Hour).Format(time.RFC3339)
				f.IsDeleted = r.chance(0.05)
				if f.Type == "PICKLIST" {
					f.OrderedValueList = slices.Clone(crmPicklist[:r.between(2, len(crmPicklist))])
				}
				in.fields[ot] = append(in.fields[ot], crmField{def: f})
			}
		}
		d.crm = append(d.crm, in)
	}
}

// genManualAssociations associates about one call in thirty with CRM objects by hand,
// by a user of its workspace, between an hour and thirty days after Gong processed it.
func (d *Dataset) genManualAssociations() {
	for i := range d.calls {
		m := &d.calls[i]
		r := newRNG(d.seed, m.seq, streamManualAssociations)
		pool := d.wsUsers[m.ws]
		if !r.chance(1.0/30) || len(pool) == 0 {
			continue
		}
		at := m.processed + int64(r.uniform(1, 30*24)*float64(time.Hour))
		at -= at % int64(time.Millisecond)
		a := ManualAssociation{CallID: strconv.FormatUint(m.id, 10), UserID: d.users[pool[r.intn(len(pool))]].u.ID}
		for range r.between(1, 2) {
			o := AssociationObject{AccountCrmID: r.sfID("001")}
			if r.chance(0.6) {
				o.DealCrmID = r.sfID("006")
			}
			a.AssociatedCrmObjects = append(a.AssociatedCrmObjects, o)
		}
		d.associations = append(d.associations, manualAssociation{a: a, call: m.id, at: at, callIx: int32(i)})
	}
	slices.SortFunc(d.associations, func(x, y manualAssociation) int {
		return cmp.Or(cmp.Compare(x.at, y.at), cmp.Compare(x.call, y.call))
	})
}

// CrmIntegrationsAt returns what GET /v2/crm/integrations answers at virtual time t.
func (d *Dataset) CrmIntegrationsAt(t time.Time) []CrmIntegration {
	now := t.UnixNano()
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := []CrmIntegration{}
	for _, in := range d.crm {
		if in.removed == 0 || now < in.removed {
			out = append(out, in.def)
		}
	}
	return out
}

// CrmEntitySchemaAt returns the fields GET /v2/crm/entity-schema answers for an
// integration and object type at virtual time t; ok is false for an integration that
// does not exist then.
func (d *Dataset) CrmEntitySchemaAt(t time.Time, integrationID, objectType string) ([]CrmSchemaField, bool) {
	now := t.UnixNano()
	d.mu.RLock()
	defer d.mu.RUnlock()
	i := slices.IndexFunc(d.crm, func(in crmIntegration) bool { return in.def.IntegrationID == integrationID })
	if i < 0 || (d.crm[i].removed != 0 && now >= d.crm[i].removed) {
		return nil, false
	}
	out := []CrmSchemaField{}
	for _, f := range d.crm[i].fields[objectType] {
		if f.removed == 0 || now < f.removed {
			out = append(out, f.def)
		}
	}
	return out, true
}

// RemoveCrmIntegration deletes an integration, with its schema, from virtual time at
// on.
func (d *Dataset) RemoveCrmIntegration(integrationID string, at time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.IndexFunc(d.crm, func(in crmIntegration) bool { return in.def.IntegrationID == integrationID })
	if i < 0 {
		return errNoSuch("CRM integration", integrationID)
	}
	crm := slices.Clone(d.crm) // readers may hold the old slice
	crm[i].removed = at.UnixNano()
	d.crm = crm
	return nil
}

// RemoveCrmSchemaField takes a field out of an object type's schema from virtual time
// at on.
func (d *Dataset) RemoveCrmSchemaField(integrationID, objectType, name string, at time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.IndexFunc(d.crm, func(in crmIntegration) bool { return in.def.IntegrationID == integrationID })
	if i < 0 {
		return errNoSuch("CRM integration", integrationID)
	}
	fs := d.crm[i].fields[objectType]
	j := slices.IndexFunc(fs, func(f crmField) bool { return f.def.UniqueName == name })
	if j < 0 {
		return errNoSuch("CRM schema field", name)
	}
	crm := slices.Clone(d.crm) // readers may hold the old slice and maps
	fields := make(map[string][]crmField, len(crm[i].fields))
	for k, v := range crm[i].fields {
		fields[k] = v
	}
	fields[objectType] = slices.Clone(fs)
	fields[objectType][j].removed = at.UnixNano()
	crm[i].fields = fields
	d.crm = crm
	return nil
}

// ManualAssociationsAt returns every association Gong lists at virtual time t made
// after from (all when from is zero), in the order Gong pages them.
func (d *Dataset) ManualAssociationsAt(t, from time.Time) []ManualAssociation {
	now := t.UnixNano()
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []ManualAssociation
	for _, a := range d.associations {
		if a.at <= now && (from.IsZero() || a.at > from.UnixNano()) {
			m := a.a
			m.Created = d.at(a.at)
			out = append(out, m)
		}
	}
	return out
}

// ---- serving ----

func (s *Server) handleCrmIntegrations(x *exchange) {
	ins := s.data.CrmIntegrationsAt(s.clock.Now())
	e := s.enc(x)
	e.requestID(x.id)
	e.b = append(e.b, `,"integrations":[`...)
	for i, in := range ins {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, `{"integrationId":`...)
		e.b = append(e.b, in.IntegrationID...) // a number, beyond 2^53
		e.b = append(e.b, `,"ownerEmail":`...)
		e.str(in.OwnerEmail)
		e.b = append(e.b, `,"name":`...)
		e.str(in.Name)
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

func (s *Server) handleCrmEntitySchema(x *exchange) {
	q := x.r.URL.Query()
	id, ot := q.Get("integrationId"), q.Get("objectType")
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		x.fail(http.StatusBadRequest, "Invalid integrationId: "+id)
		return
	}
	if !slices.Contains(CrmObjectTypes, ot) {
		x.fail(http.StatusBadRequest, "Invalid objectType: "+ot)
		return
	}
	fields, ok := s.data.CrmEntitySchemaAt(s.clock.Now(), id, ot)
	if !ok {
		// Gong's document does not say; the fake answers an integration it does not
		// have (deleted since it was listed) as a missing record.
		x.fail(http.StatusNotFound, "Integration not found: "+id)
		return
	}
	e := s.enc(x)
	e.requestID(x.id)
	e.b = append(e.b, `,"objectTypeToSelectedFields":{`...)
	e.str(ot)
	e.b = append(e.b, ":["...)
	for i := range fields {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.crmSchemaField(&fields[i])
	}
	e.b = append(e.b, "]}}"...)
	x.sendJSON(http.StatusOK, e.b)
}

// noAssociationsFound is the empty answer, worded as Gong words its other empty
// results.
const noAssociationsFound = "No associations found corresponding to the provided filters"

func (s *Server) handleManualAssociations(x *exchange) {
	q := x.r.URL.Query()
	var from time.Time
	if v := q.Get("fromDateTime"); v != "" {
		ns, err := parseTime("fromDateTime", v)
		if err != nil {
			x.answerError(err)
			return
		}
		from = time.Unix(0, ns)
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "manual-crm|%d", from.UnixNano())
	qh := h.Sum64()
	now := s.clock.Now().UnixNano()
	after, err := s.resolveCursor(q.Get("cursor"), qh, now)
	if err != nil {
		x.answerError(err)
		return
	}
	all := s.data.ManualAssociationsAt(s.clock.Now(), from)
	var page []ManualAssociation
	more := false
	for _, a := range all {
		key, id := a.Created.UnixNano(), mustUint(a.CallID)
		if after != nil && (key < after.lastKey || key == after.lastKey && id <= after.lastID) {
			continue
		}
		if len(page) == pageSize {
			more = true
			break
		}
		page = append(page, a)
	}
	if len(page) == 0 {
		x.fail(http.StatusNotFound, noAssociationsFound)
		return
	}
	last := page[len(page)-1]
	rec := s.records(qh, now, after, len(page), len(all), more, last.Created.UnixNano(), mustUint(last.CallID))
	e := s.enc(x)
	e.requestID(x.id)
	e.records(rec)
	e.b = append(e.b, `,"associations":[`...)
	for i := range page {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.manualAssociation(&page[i])
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

// mustUint reads an id the fake made itself.
func mustUint(id string) uint64 {
	n, _ := strconv.ParseUint(id, 10, 64)
	return n
}

// ---- encoding ----

func (e *enc) crmSchemaField(f *CrmSchemaField) {
	e.b = append(e.b, `{"uniqueName":`...)
	e.str(f.UniqueName)
	e.b = append(e.b, `,"label":`...)
	e.str(f.Label)
	e.b = append(e.b, `,"type":`...)
	e.str(f.Type)
	e.b = append(e.b, `,"lastModified":`...)
	e.str(f.LastModified)
	e.b = append(e.b, `,"isDeleted":`...)
	e.bool(f.IsDeleted)
	if f.ReferenceTo != "" {
		e.b = append(e.b, `,"referenceTo":`...)
		e.str(f.ReferenceTo)
	}
	if f.OrderedValueList != nil {
		e.b = append(e.b, `,"orderedValueList":`...)
		e.strings(f.OrderedValueList, false)
	}
	e.b = append(e.b, '}')
}

func (e *enc) manualAssociation(a *ManualAssociation) {
	e.b = append(e.b, `{"callId":`...)
	e.id(a.CallID)
	e.b = append(e.b, `,"userId":`...)
	e.id(a.UserID)
	e.b = append(e.b, `,"created":`...)
	e.time(a.Created)
	e.b = append(e.b, `,"associatedCrmObjects":[`...)
	for i, o := range a.AssociatedCrmObjects {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, `{"accountCrmId":`...)
		e.str(o.AccountCrmID)
		if o.DealCrmID != "" {
			e.b = append(e.b, `,"dealCrmId":`...)
			e.str(o.DealCrmID)
		}
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, "]}"...)
}
