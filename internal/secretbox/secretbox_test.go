package secretbox

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func testKey() []byte {
	k := make([]byte, KeySize)
	for i := range k {
		k[i] = byte(i * 7)
	}
	return k
}

func TestParseKeyForms(t *testing.T) {
	t.Parallel()
	key := testKey()
	for name, s := range map[string]string{
		"hex":           hex.EncodeToString(key),
		"hex upper":     strings.ToUpper(hex.EncodeToString(key)),
		"base64":        base64.StdEncoding.EncodeToString(key),
		"base64 raw":    base64.RawStdEncoding.EncodeToString(key),
		"base64url":     base64.URLEncoding.EncodeToString(key),
		"with newline":  hex.EncodeToString(key) + "\n",
		"base64url raw": base64.RawURLEncoding.EncodeToString(key),
	} {
		got, err := ParseKey(s)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("%s: ParseKey = %x, %v", name, got, err)
		}
	}
	const secretish = "c2hvcnQtYnV0LXNlY3JldA" // 16 bytes
	b64 := base64.StdEncoding.EncodeToString(key)
	hexKey := hex.EncodeToString(key)
	for _, s := range []string{"", "zz", hex.EncodeToString(key[:31]), secretish, "not a key at all!",
		b64[:20] + "\n" + b64[20:], b64[:20] + "\r" + b64[20:], b64[:20] + "\r\n" + b64[20:], hexKey[:30] + "\n" + hexKey[30:]} {
		_, err := ParseKey(s)
		if err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
			continue
		}
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("ParseKey error repeats the input: %v", err)
		}
	}
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	box, err := New(testKey())
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("gong-access-token-0123456789")
	ad := []byte("oauth_tokens/default/access_token")
	a, err := box.Seal(secret, ad)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := box.Seal(secret, ad)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same value are equal: the nonce is not fresh")
	}
	if bytes.Contains(a, secret) {
		t.Fatal("the sealed value contains the plaintext")
	}
	got, err := box.Open(a, ad)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}

	// Moved to another column, altered, under another key: all refused.
	if _, err := box.Open(a, []byte("oauth_tokens/default/refresh_token")); !errors.Is(err, ErrOpen) {
		t.Errorf("open with other associated data: %v", err)
	}
	bad := bytes.Clone(a)
	bad[len(bad)-1] ^= 1
	if _, err := box.Open(bad, ad); !errors.Is(err, ErrOpen) {
		t.Errorf("open altered value: %v", err)
	}
	other := testKey()
	other[0] ^= 0xff
	box2, _ := New(other)
	if _, err := box2.Open(a, ad); !errors.Is(err, ErrOpen) {
		t.Errorf("open under another key: %v", err)
	}
	v2 := bytes.Clone(a)
	v2[0] = 2
	if _, err := box.Open(v2, ad); err == nil || errors.Is(err, ErrOpen) {
		t.Errorf("unknown version: %v", err)
	}
	if _, err := box.Open(a[:10], ad); err == nil {
		t.Error("short value opened")
	}
	if _, err := New(testKey()[:16]); err == nil {
		t.Error("New accepted a 16-byte key")
	}
}
