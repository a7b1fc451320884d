package store

import (
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unreachable says whether err means the database cannot be reached: no connection
// could be made (refused, DNS, TLS, authentication), or the server ended the
// session (shut down, restarting, in recovery), or the connection broke. Every later
// statement fails the same way until the server is back, so a pass of many streams
// stops at the first such error instead of failing each stream in turn.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P01-57P03: the server is shutting down,
		// crashed, or cannot take connections yet.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	// A pooled connection the server dropped fails its next use with pgconn's
	// ErrConnClosed before any socket error is seen.
	var oe *net.OpError
	return errors.As(err, &oe) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, pgconn.ErrConnClosed)
}
