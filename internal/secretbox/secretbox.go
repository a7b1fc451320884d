// Package secretbox seals small secrets (OAuth tokens) for storage with AES-256-GCM
// under one key, GONGSYNC_ENCRYPTION_KEY. The store uses it so that a dump of the
// database, a replica or a backup does not hand out a working Gong connection.
//
// A sealed value is a version byte, a random 96-bit nonce and the GCM ciphertext with
// its tag. The caller passes associated data naming where the value lives (table, row,
// column), so a ciphertext copied into another row or column does not open.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/gongsync/gongsync/internal/b64"
)

// KeySize is the length of an AES-256 key.
const KeySize = 32

// version1 marks AES-256-GCM with a 12-byte random nonce prefixed to the ciphertext.
// It is authenticated as part of the associated data, so it cannot be swapped.
const version1 byte = 1

// ErrOpen means a sealed value did not open: the key is not the one it was sealed
// with, or the value was altered or moved. GCM cannot tell these apart.
var ErrOpen = errors.New("secretbox: cannot decrypt (wrong key, or the value was altered)")

// Box seals and opens values under one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// ParseKey reads a key as an operator would write it: 64 hex digits, or base64
// (standard or URL alphabet, padded or not) of exactly 32 bytes. The error never
// repeats the input.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("the key is empty")
	}
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		// Canonical only: encoding/base64 would skip a line break inside the key.
		if b, err := b64.Decode(enc, s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("the key is %d bytes; AES-256 needs %d (generate one with `openssl rand -hex 32`)", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("the key is neither 64 hex digits nor base64 of %d bytes (generate one with `openssl rand -hex 32`)", KeySize)
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return &Box{aead: aead}, nil
}

// FromString is ParseKey followed by New.
func FromString(s string) (*Box, error) {
	key, err := ParseKey(s)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return New(key)
}

// Seal encrypts plaintext, binding it to ad (where the value is stored). Each call
// draws a fresh random nonce: a key may seal about 2^32 values before a nonce repeat
// becomes a risk, far more than a token store ever writes.
func (b *Box) Seal(plaintext, ad []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	out := make([]byte, 1+n, 1+n+len(plaintext)+b.aead.Overhead())
	out[0] = version1
	if _, err := rand.Read(out[1 : 1+n]); err != nil {
		return nil, fmt.Errorf("secretbox: draw a nonce: %w", err)
	}
	return b.aead.Seal(out, out[1:1+n], plaintext, associated(version1, ad)), nil
}

// Open decrypts what Seal returned for the same ad. Any failure is ErrOpen or says
// the value is not a sealed one; neither error contains the value.
func (b *Box) Open(sealed, ad []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() {
		return nil, errors.New("secretbox: value too short to be sealed")
	}
	if sealed[0] != version1 {
		return nil, fmt.Errorf("secretbox: unknown format version %d", sealed[0])
	}
	out, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], associated(sealed[0], ad))
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}

func associated(version byte, ad []byte) []byte {
	return append([]byte{version}, ad...)
}
