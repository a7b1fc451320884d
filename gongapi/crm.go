package gongapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// The CRM data a company uploads through Gong's generic CRM integration (the
// integrations and the schema of each object type), and the calls users associated
// with CRM objects by hand.
const (
	EndpointCrmIntegrations       = "GET /v2/crm/integrations"
	EndpointCrmEntitySchema       = "GET /v2/crm/entity-schema"
	EndpointManualCrmAssociations = "GET /v2/calls/manual-crm-associations"
)

// CrmObjectTypes are the object types GET /v2/crm/entity-schema takes, as Gong's
// document lists them (objectType is case-sensitive).
var CrmObjectTypes = []string{"ACCOUNT", "CONTACT", "DEAL", "LEAD"}

// CrmIntegration is one generic CRM integration (the schema GenericCrmIntegration).
// Gong's document types integrationId as an int64; live Gong sends numbers too large
// for a double: ID keeps every digit of either form.
type CrmIntegration struct {
	IntegrationID ID      `json:"integrationId"`
	OwnerEmail    *string `json:"ownerEmail"`
	Name          *string `json:"name"`

	Raw json.RawMessage `json:"-"`
}

// CrmIntegrationsResponse answers GET /v2/crm/integrations (not paginated).
type CrmIntegrationsResponse struct {
	RequestID    string           `json:"requestId"`
	Integrations []CrmIntegration `json:"integrations"`
}

// CrmSchemaField is one field of an object type's schema (the schema
// GenericSchemaFieldRequest). lastModified is a string in Gong's document: it is kept
// as sent, and read as a time where it is one.
type CrmSchemaField struct {
	UniqueName       string          `json:"uniqueName"`
	Label            *string         `json:"label"`
	Type             *string         `json:"type"`
	LastModified     *string         `json:"lastModified"`
	IsDeleted        *Flag           `json:"isDeleted"`
	ReferenceTo      *string         `json:"referenceTo"`
	OrderedValueList json.RawMessage `json:"orderedValueList"`

	Raw json.RawMessage `json:"-"`
}

// CrmEntitySchemaResponse answers GET /v2/crm/entity-schema: the fields by object type.
type CrmEntitySchemaResponse struct {
	RequestID                  string                      `json:"requestId"`
	ObjectTypeToSelectedFields map[string][]CrmSchemaField `json:"objectTypeToSelectedFields"`
}

// ManualCrmAssociation is one manual association of a call with CRM objects (the
// schema ManualAssociationsBasicData).
type ManualCrmAssociation struct {
	CallID               ID              `json:"callId"`
	UserID               *ID             `json:"userId"`
	Created              Time            `json:"created"`
	AssociatedCrmObjects json.RawMessage `json:"associatedCrmObjects"` // [{accountCrmId, dealCrmId}]

	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes an integration and keeps the raw bytes.
func (i *CrmIntegration) UnmarshalJSON(b []byte) error {
	type plain CrmIntegration
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*i = CrmIntegration(v)
	i.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// UnmarshalJSON decodes a schema field and keeps the raw bytes.
func (f *CrmSchemaField) UnmarshalJSON(b []byte) error {
	type plain CrmSchemaField
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = CrmSchemaField(v)
	f.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// CrmIntegrations lists the company's generic CRM integrations (GET
// /v2/crm/integrations). A company without one answers an empty list.
func (c *Client) CrmIntegrations(ctx context.Context) ([]CrmIntegration, error) {
	method, path := splitEndpoint(EndpointCrmIntegrations)
	var resp CrmIntegrationsResponse
	if err := c.getJSON(ctx, newRequest(method, path, nil, nil), &resp); err != nil {
		return nil, err
	}
	for i, in := range resp.Integrations {
		if in.IntegrationID == "" {
			return nil, &APIError{Class: ClassMalformedResponse, Endpoint: EndpointCrmIntegrations, Status: http.StatusOK,
				RequestID: resp.RequestID, Detail: fmt.Sprintf("integration %d: integrationId is empty", i)}
		}
	}
	return resp.Integrations, nil
}

// CrmEntitySchema lists the schema fields of one object type of an integration (GET
// /v2/crm/entity-schema). Gong answers them keyed by object type; the fields of
// objectType are returned. A 404 (ErrNotFound) says the integration is gone.
func (c *Client) CrmEntitySchema(ctx context.Context, integrationID, objectType string) ([]CrmSchemaField, error) {
	if integrationID == "" || objectType == "" {
		return nil, &APIError{Class: ClassBadRequest, Endpoint: EndpointCrmEntitySchema, Detail: "integrationId and objectType are required"}
	}
	method, path := splitEndpoint(EndpointCrmEntitySchema)
	q := url.Values{"integrationId": {integrationID}, "objectType": {objectType}}
	var resp CrmEntitySchemaResponse
	if err := c.getJSON(ctx, newRequest(method, path, q, nil), &resp); err != nil {
		return nil, err
	}
	fields := resp.ObjectTypeToSelectedFields[objectType]
	for i, f := range fields {
		if f.UniqueName == "" {
			return nil, &APIError{Class: ClassMalformedResponse, Endpoint: EndpointCrmEntitySchema, Status: http.StatusOK,
				RequestID: resp.RequestID, Detail: fmt.Sprintf("integration %s, %s field %d: uniqueName is empty", integrationID, objectType, i)}
		}
	}
	return fields, nil
}

var manualCrmAssociationsSpec = &endpointSpec[ManualCrmAssociation]{
	name:   EndpointManualCrmAssociations,
	items:  "associations",
	target: func(a *ManualCrmAssociation) any { return (*plainManualCrmAssociation)(a) },
	setRaw: func(a *ManualCrmAssociation, raw []byte) { a.Raw = raw },
	id:     func(a *ManualCrmAssociation) ID { return a.CallID },
	rawID:  rawCallID,
	check: func(a *ManualCrmAssociation) string {
		switch {
		case a.CallID == "":
			return "callId is empty"
		case a.Created.IsZero():
			return "created is missing"
		}
		return ""
	},
}

// plainManualCrmAssociation decodes without keeping raw bytes (the page decoder hands
// them over).
type plainManualCrmAssociation ManualCrmAssociation

// ManualCrmAssociationsPage fetches one page of GET
// /v2/calls/manual-crm-associations: the associations made after from (all of them
// when from is zero), starting at cursor ("" for the first page).
func (c *Client) ManualCrmAssociationsPage(ctx context.Context, from time.Time, cursor string) (*Page[ManualCrmAssociation], error) {
	q := url.Values{}
	if !from.IsZero() {
		q.Set("fromDateTime", FormatFilterTime(from))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	method, path := splitEndpoint(EndpointManualCrmAssociations)
	return fetchPage(ctx, c, manualCrmAssociationsSpec, newRequest(method, path, q, nil), cursor)
}

// rawCallID reads a record's top-level "callId" from raw JSON, for error messages.
func rawCallID(raw json.RawMessage) string {
	var v struct {
		CallID json.RawMessage `json:"callId"`
	}
	_ = json.Unmarshal(raw, &v)
	return rawIDText(v.CallID)
}
