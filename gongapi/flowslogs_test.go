package gongapi

import (
	"net/http"
	"testing"
)

// GET /v2/logs words its empty result its own way ("No logs found for the specified
// period"): only that endpoint's 404 carrying it is an empty page; the same words from
// another endpoint, or another 404 of the logs, stay errors.
func TestNoLogsFoundIsEmptyOnlyForTheLogs(t *testing.T) {
	body := []byte(`{"requestId":"abc","errors":["No logs found for the specified period"]}`)
	if class, _ := classify(EndpointLogs, http.StatusNotFound, http.Header{}, body); class != classEmpty {
		t.Errorf("logs' empty answer: class %v, want empty", class)
	}
	if class, _ := classify(EndpointFlows, http.StatusNotFound, http.Header{}, body); class == classEmpty {
		t.Error("another endpoint's 404 with the logs' words taken as empty")
	}
	other := []byte(`{"requestId":"abc","errors":["Not Found"]}`)
	if class, _ := classify(EndpointLogs, http.StatusNotFound, http.Header{}, other); class == classEmpty {
		t.Error("a 404 of the logs without the empty result's words taken as empty")
	}
}
