package fakegong

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"

	"github.com/gongsync/gongsync/internal/b64"
)

// A cursor is opaque to clients. It looks like the JWTs Gong hands out (three
// base64url parts) and carries a keyset position, not an offset: the sort key and
// id of the last record served. Calls that appear between two pages therefore never
// shift what the next page holds. It is bound to the request it continues (a hash
// of everything but the cursor) and signed, so a client cannot edit it or reuse it
// with other filters.
type cursor struct {
	query   uint64 // hash of the request without its cursor
	issued  int64  // virtual time it was handed out (Unix ns), for CursorTTL
	lastKey int64  // sort key of the last record served
	lastID  uint64 // id of the last record served (breaks ties on the key)
	page    int32  // number of the page this cursor fetches (0-based)
	total   int32  // totalRecords as counted for the first page
}

const (
	cursorHeader  = "eyJhbGciOiJIUzI1NiJ9" // base64url of {"alg":"HS256"}
	cursorVersion = 1
	cursorLen     = 1 + 8 + 8 + 8 + 8 + 4 + 4
	cursorMACLen  = 16
)

var errBadCursor = errors.New("invalid cursor")

// encodeCursor signs and serialises a cursor.
func encodeCursor(key []byte, c cursor) string {
	p := make([]byte, 0, cursorLen)
	p = append(p, cursorVersion)
	p = binary.BigEndian.AppendUint64(p, c.query)
	p = binary.BigEndian.AppendUint64(p, uint64(c.issued))
	p = binary.BigEndian.AppendUint64(p, uint64(c.lastKey))
	p = binary.BigEndian.AppendUint64(p, c.lastID)
	p = binary.BigEndian.AppendUint32(p, uint32(c.page))
	p = binary.BigEndian.AppendUint32(p, uint32(c.total))
	return cursorHeader + "." + base64.RawURLEncoding.EncodeToString(p) + "." +
		base64.RawURLEncoding.EncodeToString(cursorMAC(key, p))
}

// decodeCursor checks the signature and parses; any damage is errBadCursor.
func decodeCursor(key []byte, s string) (cursor, error) {
	head, rest, ok := strings.Cut(s, ".")
	if !ok || head != cursorHeader {
		return cursor{}, errBadCursor
	}
	body, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return cursor{}, errBadCursor
	}
	// Only the canonical spelling: encoding/base64 skips line breaks and leaves the
	// last character's spare bits free, so several strings would name one page.
	p, err := b64.Decode(base64.RawURLEncoding, body)
	if err != nil || len(p) != cursorLen || p[0] != cursorVersion {
		return cursor{}, errBadCursor
	}
	mac, err := b64.Decode(base64.RawURLEncoding, sig)
	if err != nil || !hmac.Equal(mac, cursorMAC(key, p)) {
		return cursor{}, errBadCursor
	}
	return cursor{
		query:   binary.BigEndian.Uint64(p[1:]),
		issued:  int64(binary.BigEndian.Uint64(p[9:])),
		lastKey: int64(binary.BigEndian.Uint64(p[17:])),
		lastID:  binary.BigEndian.Uint64(p[25:]),
		page:    int32(binary.BigEndian.Uint32(p[33:])),
		total:   int32(binary.BigEndian.Uint32(p[37:])),
	}, nil
}

func cursorMAC(key, p []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(p)
	return h.Sum(nil)[:cursorMACLen]
}

// cursorKey derives the signing key from the seed, so a fake restarted with the same
// seed accepts the cursors its predecessor handed out (resume after a crash).
func cursorKey(seed int64) []byte {
	k := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("fakegong cursor key "), uint64(seed)))
	return k[:]
}
