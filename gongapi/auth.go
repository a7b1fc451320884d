package gongapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
)

// Authorizer adds credentials to an outgoing request. BasicAuth is the access-key
// implementation; OAuth implements it with tokens kept elsewhere, so callers never
// change when the way of authenticating does. Authorize is called once per attempt,
// which lets a token source refresh between retries.
type Authorizer interface {
	Authorize(ctx context.Context, req *http.Request) error
}

// BaseURLProvider is implemented by Authorizers that know the API host to use: with
// OAuth that is Gong's api_base_url_for_customer, and EU or APAC tenants fail on the
// generic host. When the client's Authorizer implements it, its answer replaces
// Config.BaseURL for every request.
type BaseURLProvider interface {
	APIBaseURL(ctx context.Context) (string, error)
}

// Reauthorizer is implemented by Authorizers whose credentials can be renewed (OAuth's
// access tokens). Gong may revoke an access token before it expires, so when Gong
// refuses the credentials (a 401 that names no scope) the client calls Reauthorize once
// with the refused request, and sends the request again if it succeeds. An
// implementation renews only when the refused credentials are still the current ones
// (another process may have renewed them already).
type Reauthorizer interface {
	Reauthorize(ctx context.Context, refused *http.Request) error
}

// BasicAuth authorizes with a Gong access key and its secret ("Authorization: Basic
// base64(key:secret)"). The value it returns prints neither the secret nor the
// header, whatever the format verb, so it can sit in a config struct that gets logged.
func BasicAuth(accessKey, accessKeySecret string) Authorizer {
	return basicAuth{
		accessKey: accessKey,
		header:    "Basic " + base64.StdEncoding.EncodeToString([]byte(accessKey+":"+accessKeySecret)),
	}
}

type basicAuth struct {
	accessKey string
	header    string // the only place the secret lives, already encoded
}

// Authorize sets the Authorization header.
func (a basicAuth) Authorize(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", a.header)
	return nil
}

// String names the key by a short prefix and never shows the secret.
func (a basicAuth) String() string {
	return fmt.Sprintf("gongapi.BasicAuth(accessKey=%s, accessKeySecret=REDACTED)", keyHint(a.accessKey))
}

// GoString is String, so %#v does not dump the fields.
func (a basicAuth) GoString() string { return a.String() }

// Format makes every verb (%d and %x included, which would otherwise print the fields)
// show String.
func (a basicAuth) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(a.String())) }

// MarshalText keeps encoding/json, zerolog's Interface and friends on the redacted form.
func (a basicAuth) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// keyHint shows enough of an access key to tell two apart in a log.
func keyHint(key string) string {
	switch {
	case key == "":
		return `""`
	case len(key) <= 4:
		return "…"
	default:
		return key[:4] + "…"
	}
}
