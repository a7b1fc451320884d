package store

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// A connection the server dropped, met again from the pool, fails with pgconn's
// ErrConnClosed ("begin transaction: conn closed"): the database is unreachable, as
// for a refused connection, and a pass stops there (TestPostgresGoneMidPassEndsItWithOneLine).
func TestUnreachableKnowsAClosedConnection(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("commit calls page: begin transaction: %w", pgconn.ErrConnClosed), true},
		{&pgconn.PgError{Code: "57P01"}, true},
		{&pgconn.PgError{Code: "23505"}, false},
		{errors.New("conn closed"), false}, // text alone is not the driver's error
		{nil, false},
	} {
		if got := Unreachable(c.err); got != c.want {
			t.Errorf("Unreachable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
