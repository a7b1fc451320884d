// Package b64 decodes base64 the strict way untrusted input needs.
//
// encoding/base64 skips '\r' and '\n' anywhere in its input, even in Strict mode, and
// without Strict it leaves the last character's spare bits free. Either way several
// different strings decode to the same bytes, so a value that is compared, signed or
// used as a key by its text could be smuggled in under another spelling. Decode
// accepts only the one canonical spelling of a byte string: the one its encoding
// writes back.
package b64

import (
	"encoding/base64"
	"errors"
)

// ErrNotCanonical is returned for input that encoding/base64 would accept but that is
// not exactly how the encoding writes its bytes (line breaks, spare bits, padding).
var ErrNotCanonical = errors.New("not canonical base64 (line breaks, stray padding or spare bits)")

// Decode decodes s with enc and refuses any input that does not re-encode to itself.
func Decode(enc *base64.Encoding, s string) ([]byte, error) {
	b, err := enc.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if enc.EncodeToString(b) != s {
		return nil, ErrNotCanonical
	}
	return b, nil
}
