package store

import (
	"bytes"
	"encoding/json"
)

// The store trusts the rows it is given: sync cleans Gong's values and maps them, and
// what Postgres still refuses (text with NUL, an empty id, a malformed document) fails
// the COPY or statement with an error that names the record. Only the bookkeeping
// documents the sync builds itself (checkpoint state, run details) are checked here,
// so a bug in them is reported as such and not as a database error.

// validJSON reports whether jsonb accepts b: valid JSON, valid UTF-8 (json.Valid
// checks both) and no \u0000, which jsonb refuses to store.
func validJSON(b []byte) bool {
	if !json.Valid(b) {
		return false
	}
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(`\u0000`))
		if j < 0 {
			return true
		}
		// Count the backslashes before it: an even run means the escape is real.
		k := i + j
		n := 0
		for k-n-1 >= 0 && b[k-n-1] == '\\' {
			n++
		}
		if n%2 == 0 {
			return false
		}
		i = k + 1
	}
}

// jsonArg maps an empty document to SQL NULL.
func jsonArg(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
