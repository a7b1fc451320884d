package store

import (
	"strings"
	"testing"
)

// The password comes out of every form of connection string, and nothing else does.
func TestSplitPasswordTakesOnlyThePassword(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ conn, rest, password string }{
		{"postgres://gong:s3cr%40t@db.example:5432/sales?sslmode=require", "postgres://gong@db.example:5432/sales?sslmode=require", "s3cr@t"},
		{"postgresql://gong@db/sales?password=pw&sslmode=verify-full", "postgresql://gong@db/sales?sslmode=verify-full", "pw"},
		{"postgres://gong@/sales?host=/var/run/postgresql", "postgres://gong@/sales?host=/var/run/postgresql", ""},
		{`host=db user=gong password='it\'s x' dbname=sales`, "host=db user=gong  dbname=sales", "it's x"},
		{"host=db user=gong password=hunter2 dbname=sales", "host=db user=gong  dbname=sales", "hunter2"},
		{"password='with space' host=db", "host=db", "with space"},
	} {
		rest, pw := SplitPassword(c.conn)
		if rest != c.rest || pw != c.password {
			t.Errorf("SplitPassword(%q) = %q, %q; want %q, %q", c.conn, rest, pw, c.rest, c.password)
		}
		if pw != "" && strings.Contains(rest, pw) {
			t.Errorf("%q: the password is still in %q", c.conn, rest)
		}
	}
}
