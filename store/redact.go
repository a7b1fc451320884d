package store

import (
	"net/url"
	"regexp"
	"strings"
)

// urlPassword digs the password out of a connection string (URL or key=value form)
// so that errors can be scrubbed of it even when the string did not parse.
func urlPassword(conn string) string {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		if u, err := url.Parse(conn); err == nil {
			if pw, ok := u.User.Password(); ok {
				return pw
			}
			return u.Query().Get("password")
		}
		// Unparseable URL: take what sits between "user:" and the last "@" of the authority.
		rest := conn[strings.Index(conn, "://")+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if colon := strings.Index(rest[:at], ":"); colon >= 0 {
				return rest[colon+1 : at]
			}
		}
		return ""
	}
	if m := kvPassword.FindStringSubmatch(conn); m != nil {
		if m[1] != "" {
			return strings.ReplaceAll(strings.ReplaceAll(m[1], `\'`, `'`), `\\`, `\`)
		}
		return m[2]
	}
	return ""
}

var kvPassword = regexp.MustCompile(`(?:^|\s)password\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))`)

// redactedError is an error whose text had a password in it. It keeps no link to the
// original error: unwrapping it must not hand the password back.
type redactedError struct{ msg string }

func (e *redactedError) Error() string { return e.msg }

// redact returns err unchanged unless its text contains the secret (as is or
// URL-escaped), in which case every occurrence is replaced.
func redact(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	msg := err.Error()
	forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret), url.UserPassword("x", secret).String()[2:]}
	hit := false
	for _, f := range forms {
		if f != "" && strings.Contains(msg, f) {
			msg = strings.ReplaceAll(msg, f, "xxxxx")
			hit = true
		}
	}
	if !hit {
		return err
	}
	return &redactedError{msg: msg}
}
