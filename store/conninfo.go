package store

import (
	"net/url"
	"strings"
)

// SplitPassword separates the password from a connection string (URL or key=value
// form), so that a program given the rest — psql, for `gongsync sql` — can receive
// the password in its environment (PGPASSWORD) rather than on its command line, where
// every user of the machine can read it. A connection string without a password is
// returned as is, with an empty password.
func SplitPassword(conn string) (rest, password string) {
	password = urlPassword(conn)
	if password == "" {
		return conn, ""
	}
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		if u, err := url.Parse(conn); err == nil {
			if u.User != nil {
				u.User = url.User(u.User.Username())
			}
			q := u.Query()
			if q.Has("password") {
				q.Del("password")
				u.RawQuery = q.Encode()
			}
			return u.String(), password
		}
		// A URL that does not parse goes nowhere: psql would refuse it as well.
		return "", password
	}
	rest = kvPassword.ReplaceAllString(conn, " ")
	return strings.TrimSpace(rest), password
}
