package gongapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// EndpointCallOutcomes answers the call outcome definitions. It is not in Gong's API
// document; live tenants answer it.
const EndpointCallOutcomes = "GET /v2/call-outcomes"

// CallOutcome is one of the company's call outcome definitions (GET
// /v2/call-outcomes, seen live, absent from Gong's document). Gong gives them no id:
// the outcome's name (callOutcome) is what a call's content.callOutcome.name holds.
// The fields seen only live are kept as Gong sent them.
type CallOutcome struct {
	CallOutcome   *string         `json:"callOutcome"`
	DisplayOrder  *json.Number    `json:"displayOrder"`
	ConnectStatus json.RawMessage `json:"connectStatus"`
	Sentiment     json.RawMessage `json:"sentiment"`
	Category      json.RawMessage `json:"category"`
	TodoAction    json.RawMessage `json:"todoAction"`
	Automation    json.RawMessage `json:"automation"`

	Raw json.RawMessage `json:"-"`
}

// CallOutcomesResponse answers GET /v2/call-outcomes (not paginated, no records).
type CallOutcomesResponse struct {
	RequestID string        `json:"requestId"`
	Outcomes  []CallOutcome `json:"outcomes"`
}

// UnmarshalJSON decodes a call outcome definition and keeps the raw bytes.
func (o *CallOutcome) UnmarshalJSON(b []byte) error {
	type plain CallOutcome
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*o = CallOutcome(p)
	o.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// CallOutcomes lists the company's call outcome definitions (GET /v2/call-outcomes).
// The endpoint is not in Gong's document: a 404 that is not Gong's empty result (an
// account or a version of Gong without it) is ClassNotAvailable.
func (c *Client) CallOutcomes(ctx context.Context) ([]CallOutcome, error) {
	method, path := splitEndpoint(EndpointCallOutcomes)
	var resp CallOutcomesResponse
	if err := c.getJSON(ctx, newRequest(method, path, nil, nil), &resp); err != nil {
		if ae, ok := err.(*APIError); ok && ae.Class == ClassNotFound {
			return nil, notAvailable(err, "Gong does not answer call outcomes for this company (the endpoint is not in Gong's document)")
		}
		return nil, err
	}
	for i, o := range resp.Outcomes {
		if o.CallOutcome == nil || *o.CallOutcome == "" {
			return nil, &APIError{Class: ClassMalformedResponse, Endpoint: EndpointCallOutcomes, Status: http.StatusOK,
				RequestID: resp.RequestID, Detail: fmt.Sprintf("outcome %d has no callOutcome (its name, the only key it has)", i)}
		}
	}
	return resp.Outcomes, nil
}
