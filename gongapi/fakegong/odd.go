package fakegong

import (
	"bytes"
	"encoding/json"
)

// Odd records: Gong adds and changes fields without notice, so a live page may carry
// one record whose shape a gongsync build does not know. Faults.OddRecords makes the
// fake send such a page: on the named endpoints, the first record of every 200 page
// gets one of its documented keys again, with a value of another type, at the end of
// the object (decoders take the last of a repeated key). The record's id stays
// readable, so a client can tell which record it refused and recognise it when the
// fake sends it properly again.

// oddKeys is, per endpoint the fault applies to, the records' JSON key and the
// documented key a record gets again as a string.
var oddKeys = map[string]struct{ items, key string }{
	"POST /v2/calls/extensive":           {"calls", "parties"},              // a list of parties, sent as a string
	"POST /v2/stats/activity/scorecards": {"answeredScorecards", "answers"}, // a list of answers, sent as a string
	"GET /v2/users":                      {"users", "created"},              // a timestamp, sent as an object
	"POST /v2/calls/transcript":          {"callTranscripts", "transcript"},
}

// oddValue is what the odd key holds: not the type the document gives it.
func oddValue(key string) string {
	if key == "created" {
		return `{"odd":true}`
	}
	return `"an odd shape gongsync does not know"`
}

// OddRecordEndpoints lists the endpoints Faults.OddRecords takes.
func OddRecordEndpoints() []string {
	out := make([]string, 0, len(oddKeys))
	for ep := range oddKeys {
		out = append(out, ep)
	}
	return out
}

// makeOdd rewrites body, a page of endpoint, so that its first record has an odd
// shape. It returns the new body and the odd record's bytes as sent, or body
// unchanged and nil when the page has no record.
func makeOdd(endpoint string, body []byte) ([]byte, []byte) {
	k, ok := oddKeys[endpoint]
	if !ok {
		return body, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return body, nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return body, nil
		}
		if key, _ := tok.(string); key != k.items {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return body, nil
			}
			continue
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') || !dec.More() {
			return body, nil
		}
		start := int(dec.InputOffset())
		var rec json.RawMessage
		if dec.Decode(&rec) != nil {
			return body, nil
		}
		end := int(dec.InputOffset())
		// rec is the record without the separator before it; its closing brace is
		// the last byte of [start, end).
		open := bytes.IndexByte(body[start:end], '{') + start
		closing := bytes.LastIndexByte(body[start:end], '}') + start
		if open < start || closing < open {
			return body, nil // a record that is not an object is odd enough
		}
		insert := `,"` + k.key + `":` + oddValue(k.key)
		odd := append(append(append([]byte{}, body[:closing]...), insert...), body[closing:]...)
		return odd, bytes.Clone(odd[open : closing+len(insert)+1])
	}
	return body, nil
}
