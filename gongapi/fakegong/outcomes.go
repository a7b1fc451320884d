package fakegong

import (
	"net/http"
	"slices"
	"time"
)

// The company's call outcome definitions, one for each outcome the dataset's calls
// can be given. Gong's document lacks the endpoint; the fake follows recorded live
// traffic.

// ---- records ----

// CallOutcomeDefinition is one of the company's call outcomes, as GET
// /v2/call-outcomes answers them in recorded live traffic (the endpoint is not in
// Gong's document): no id, the name is callOutcome.
type CallOutcomeDefinition struct {
	CallOutcome   string `json:"callOutcome"`
	DisplayOrder  int64  `json:"displayOrder"`
	ConnectStatus string `json:"connectStatus"`
	Sentiment     string `json:"sentiment"`
	TodoAction    string `json:"todoAction"`
	Automation    string `json:"automation"`
	Category      string `json:"category"`
}

// ---- the dataset's part ----

// outcomeDef is one call outcome definition and when it was removed.
type outcomeDef struct {
	def     CallOutcomeDefinition
	removed int64
}

// genOutcomes defines one outcome for each the calls can be given (their
// content.callOutcome names), in that order.
func (d *Dataset) genOutcomes() {
	r := newRNG(d.seed, 0, streamOutcomes)
	for i, o := range outcomeNames {
		def := CallOutcomeDefinition{CallOutcome: o.name, Category: o.category, DisplayOrder: int64(i + 1),
			ConnectStatus: "CONNECTED", Sentiment: "NEUTRAL", TodoAction: "NONE", Automation: "NONE"}
		switch o.name {
		case "Not qualified", "Escalated":
			def.Sentiment = "NEGATIVE"
		case "Demo scheduled", "Moved to next stage", "Closed won", "Issue resolved":
			def.Sentiment = "POSITIVE"
		}
		if r.chance(0.3) {
			def.TodoAction = "CREATE_FOLLOW_UP_TASK"
		}
		if r.chance(0.3) {
			def.Automation = "UPDATE_CRM"
		}
		d.outcomes = append(d.outcomes, outcomeDef{def: def})
	}
}

// CallOutcomesAt returns what GET /v2/call-outcomes answers at virtual time t.
func (d *Dataset) CallOutcomesAt(t time.Time) []CallOutcomeDefinition {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := []CallOutcomeDefinition{}
	for _, o := range d.outcomes {
		if o.removed == 0 || t.UnixNano() < o.removed {
			out = append(out, o.def)
		}
	}
	return out
}

// RemoveCallOutcome takes an outcome definition away from virtual time at on.
func (d *Dataset) RemoveCallOutcome(name string, at time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.IndexFunc(d.outcomes, func(o outcomeDef) bool { return o.def.CallOutcome == name })
	if i < 0 {
		return errNoSuch("call outcome", name)
	}
	outs := slices.Clone(d.outcomes)
	outs[i].removed = at.UnixNano()
	d.outcomes = outs
	return nil
}

// ---- serving ----

// GET /v2/call-outcomes is not paged.
func (s *Server) handleCallOutcomes(x *exchange) {
	outcomes := s.data.CallOutcomesAt(s.clock.Now())
	e := s.enc(x)
	e.requestID(x.id)
	e.b = append(e.b, `,"outcomes":[`...)
	for i := range outcomes {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.callOutcomeDefinition(&outcomes[i])
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

// ---- encoding ----

func (e *enc) callOutcomeDefinition(o *CallOutcomeDefinition) {
	e.b = append(e.b, `{"callOutcome":`...)
	e.str(o.CallOutcome)
	e.b = append(e.b, `,"displayOrder":`...)
	e.int(o.DisplayOrder)
	e.b = append(e.b, `,"connectStatus":`...)
	e.str(o.ConnectStatus)
	e.b = append(e.b, `,"sentiment":`...)
	e.str(o.Sentiment)
	e.b = append(e.b, `,"todoAction":`...)
	e.str(o.TodoAction)
	e.b = append(e.b, `,"automation":`...)
	e.str(o.Automation)
	e.b = append(e.b, `,"category":`...)
	e.str(o.Category)
	e.b = append(e.b, '}')
}
