package fakegong

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"testing"
)

// GET /v2/call-outcomes is not in Gong's document: its answer has the keys recorded
// live traffic shows, no more, no fewer, and no records block.
func TestCallOutcomesAsSeenLive(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 72, Calls: 100})
	a := f.do(http.MethodGet, "/v2/call-outcomes", nil, "")
	if a.status != http.StatusOK {
		t.Fatalf("%d %s", a.status, a.body)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(a.body, &body); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(body)); !slices.Equal(got, []string{"outcomes", "requestId"}) {
		t.Errorf("top-level keys %v, want outcomes and requestId", got)
	}
	var outcomes []map[string]any
	if err := json.Unmarshal(body["outcomes"], &outcomes); err != nil || len(outcomes) == 0 {
		t.Fatalf("outcomes: %v, %d", err, len(outcomes))
	}
	want := []string{"automation", "callOutcome", "category", "connectStatus", "displayOrder", "sentiment", "todoAction"}
	for i, o := range outcomes {
		if got := slices.Sorted(maps.Keys(o)); !slices.Equal(got, want) {
			t.Errorf("outcome %d: keys %v, want %v", i, got, want)
		}
		if _, ok := o["callOutcome"].(string); !ok {
			t.Errorf("outcome %d: callOutcome %v is not a string", i, o["callOutcome"])
		}
	}
}
