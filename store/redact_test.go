package store

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	const pw = `p@ss w/rd'x`
	for _, tc := range []struct{ conn, want string }{
		{"postgres://u:" + url.PathEscape(pw) + "@h/db", pw},
		{"postgresql://u:" + url.QueryEscape(pw) + "@h:5432/db?sslmode=disable", strings.ReplaceAll(pw, " ", "+")}, // '+' is not a space in userinfo
		{"postgres://u@h/db?password=" + url.QueryEscape(pw), pw},
		{"postgres://u:se:cret@h:bad/db", "se:cret"}, // does not parse as a URL
		{`host=h user=u password='p@ss w/rd\'x' dbname=d`, pw},
		{"host=h password=plain dbname=d", "plain"},
		{"postgres://u@h/db", ""},
		{"host=h dbname=d", ""},
	} {
		if got := urlPassword(tc.conn); got != tc.want {
			t.Errorf("urlPassword(%q) = %q, want %q", tc.conn, got, tc.want)
		}
	}

	inner := errors.New("cannot connect to postgres://u:" + url.QueryEscape(pw) + "@h/db (" + pw + ")")
	err := redact(inner, pw)
	if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), url.QueryEscape(pw)) || !strings.Contains(err.Error(), "xxxxx") {
		t.Fatalf("redacted: %v", err)
	}
	if errors.Unwrap(err) != nil {
		t.Fatal("a redacted error hands back the original")
	}
	if other := errors.New("no secret here"); redact(other, pw) != other {
		t.Fatal("an error without the password was replaced")
	}
}
