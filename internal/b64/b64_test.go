package b64

import (
	"encoding/base64"
	"testing"
)

func TestDecodeRefusesEveryOtherSpellingOfTheSameBytes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		enc  *base64.Encoding
		in   string
		ok   bool
	}{
		{"canonical raw url", base64.RawURLEncoding, "AQID_-8", true},
		{"canonical std padded", base64.StdEncoding, "AQIDBA==", true},
		{"empty", base64.RawURLEncoding, "", true},
		{"carriage return inside", base64.RawURLEncoding, "AQ\rID_-8", false},
		{"newline inside", base64.RawURLEncoding, "AQID\n_-8", false},
		{"crlf at the end", base64.StdEncoding, "AQIDBA==\r\n", false},
		{"spare bits set", base64.RawURLEncoding, "AQID_-9", false},
		{"padding missing", base64.StdEncoding, "AQIDBA", false},
		{"padding on a raw encoding", base64.RawURLEncoding, "AQIDBA==", false},
		{"other alphabet", base64.RawURLEncoding, "AQID/+8", false},
	} {
		_, err := Decode(tc.enc, tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%s: Decode(%q) error = %v, want ok=%v", tc.name, tc.in, err, tc.ok)
		}
	}
}

func FuzzDecodeIsCanonical(f *testing.F) {
	f.Add("AQID_-8")
	f.Add("AQ\rID_-8")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Decode(base64.RawURLEncoding, s)
		if err != nil {
			return
		}
		if again := base64.RawURLEncoding.EncodeToString(b); again != s {
			t.Fatalf("%q decodes but re-encodes as %q", s, again)
		}
	})
}
