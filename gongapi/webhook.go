package gongapi

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gongsync/gongsync/internal/b64"
)

// MaxWebhookBody is the largest webhook body accepted: one call with its full
// content is well under a megabyte.
const MaxWebhookBody = 5 << 20

// DefaultWebhookLeeway is how far past exp a signed webhook is still accepted, for
// clock skew between Gong and this machine.
const DefaultWebhookLeeway = 30 * time.Second

// WebhookConfig says how to authenticate Gong's webhooks. At least one method must be
// configured; when both are, a webhook must pass both.
type WebhookConfig struct {
	// Token is the secret expected in the webhook URL's query (?token=…), compared in
	// constant time.
	Token string
	// PublicKey is the rule's RSA public key, as Gong shows it (bare base64 DER,
	// SubjectPublicKeyInfo) or as PEM. Set, it requires a signed JWT (RS256) in the
	// Authorization header.
	PublicKey string
	// URL is the webhook URL configured in Gong's rule; a signed webhook's webhook_url
	// claim must equal it. Required with PublicKey.
	URL string
	// Leeway is the tolerance on exp (and nbf/iat in the future); default
	// DefaultWebhookLeeway.
	Leeway time.Duration
	// Now is the clock exp is checked against; default time.Now.
	Now func() time.Time
}

// WebhookVerifier authenticates and decodes Gong's webhooks. Safe for concurrent use.
type WebhookVerifier struct {
	token  []byte
	key    *rsa.PublicKey
	url    string
	leeway time.Duration
	now    func() time.Time
}

// NewWebhookVerifier parses the public key and checks the configuration. Its errors
// quote neither the token nor the key.
func NewWebhookVerifier(cfg WebhookConfig) (*WebhookVerifier, error) {
	v := &WebhookVerifier{url: cfg.URL, leeway: cfg.Leeway, now: cfg.Now}
	if cfg.Token == "" && strings.TrimSpace(cfg.PublicKey) == "" {
		return nil, errors.New("gongapi: webhooks: configure a token, a public key, or both")
	}
	if cfg.Token != "" {
		if err := CheckWebhookToken(cfg.Token); err != nil {
			return nil, err
		}
		v.token = []byte(cfg.Token)
	}
	if strings.TrimSpace(cfg.PublicKey) != "" {
		k, err := ParseWebhookPublicKey(cfg.PublicKey)
		if err != nil {
			return nil, err
		}
		if cfg.URL == "" {
			return nil, errors.New("gongapi: webhooks: a public key needs the webhook URL configured in Gong (signed webhooks name it)")
		}
		v.key = k
	}
	if v.leeway <= 0 {
		v.leeway = DefaultWebhookLeeway
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

// MinWebhookTokenLen is the shortest URL token accepted: 32 characters of a random
// secret (`openssl rand -hex 32` gives 64) cannot be guessed by trying.
const MinWebhookTokenLen = MinSecretTokenLen

// MinSecretTokenLen is the shortest secret token gongsync accepts from its operator
// for callers to present (the webhook URL's token, the actions' bearer token).
const MinSecretTokenLen = 32

// CheckWebhookToken is the one rule for the secret token of webhook URLs
// (CheckSecretToken).
func CheckWebhookToken(token string) error { return CheckSecretToken("the webhook token", token) }

// CheckSecretToken is gongsync's one rule for a secret token that callers present (a
// webhook URL's ?token=, the actions' bearer token), named what in errors: at least
// MinSecretTokenLen characters, all of them URL-safe and printable (letters, digits,
// '-', '.', '_', '~'), so it travels in a query string or a header unchanged and no
// line break or space can hide in it. The error never quotes the token.
func CheckSecretToken(what, token string) error {
	for _, r := range token {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)) {
			return errors.New(what + " may hold only letters, digits and - . _ ~ (no spaces or line breaks); make one with `openssl rand -hex 32`")
		}
	}
	if len(token) < MinSecretTokenLen {
		return fmt.Errorf("%s has %d characters; use at least %d of a random secret, e.g. `openssl rand -hex 32`", what, len(token), MinSecretTokenLen)
	}
	return nil
}

// ParseWebhookPublicKey reads an RSA public key given as Gong shows it (bare base64 of
// the DER SubjectPublicKeyInfo, on one line) or as PEM ("PUBLIC KEY", or
// "RSA PUBLIC KEY" in PKCS #1).
func ParseWebhookPublicKey(s string) (*rsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	var der []byte
	pkcs1 := false
	if strings.HasPrefix(s, "-----BEGIN") {
		block, _ := pem.Decode([]byte(s))
		if block == nil {
			return nil, errors.New("gongapi: webhooks: the public key's PEM does not parse")
		}
		der, pkcs1 = block.Bytes, block.Type == "RSA PUBLIC KEY"
	} else {
		// Gong shows the key on one line; a line break inside it is a paste gone wrong
		// (or a second value smuggled in), not something to guess around.
		if strings.ContainsAny(s, "\r\n") {
			return nil, errors.New("gongapi: webhooks: the public key has a line break inside: give Gong's base64 on one line, or PEM")
		}
		var err error
		der, err = b64.Decode(base64.StdEncoding, s)
		if err != nil {
			return nil, errors.New("gongapi: webhooks: the public key is neither PEM nor base64 DER")
		}
	}
	var pub any
	var err error
	if pkcs1 {
		pub, err = x509.ParsePKCS1PublicKey(der)
	} else {
		pub, err = x509.ParsePKIXPublicKey(der)
	}
	if err != nil {
		return nil, fmt.Errorf("gongapi: webhooks: the public key does not parse: %w", err)
	}
	k, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("gongapi: webhooks: the public key is a %T, not RSA", pub)
	}
	if k.N.BitLen() < 2048 {
		return nil, fmt.Errorf("gongapi: webhooks: the RSA key has %d bits; at least 2048 are required", k.N.BitLen())
	}
	return k, nil
}

// WebhookRejection is why a webhook was refused: Status and Reason are what the
// sender gets (a 4xx and a short text), Err the detail for the log. None of them
// contains the body, the token or the JWT.
type WebhookRejection struct {
	Status int
	Reason string // short and stable, e.g. "bad signature"
	Err    error
}

// Error reads "webhook rejected: bad signature: detail".
func (r *WebhookRejection) Error() string {
	if r.Err != nil {
		return "webhook rejected: " + r.Reason + ": " + r.Err.Error()
	}
	return "webhook rejected: " + r.Reason
}

// Unwrap gives the detail.
func (r *WebhookRejection) Unwrap() error { return r.Err }

// The reasons a webhook is rejected, each its own.
const (
	ReasonMethod        = "method not allowed"
	ReasonTooLarge      = "body too large"
	ReasonContentType   = "content type must be application/json"
	ReasonMissingToken  = "missing token"
	ReasonWrongToken    = "wrong token"
	ReasonMissingJWT    = "missing signature"
	ReasonMalformedJWT  = "malformed signature"
	ReasonAlgorithm     = "unsupported signature algorithm"
	ReasonBadSignature  = "bad signature"
	ReasonExpired       = "expired signature"
	ReasonNotYetValid   = "signature not yet valid"
	ReasonWrongURL      = "webhook_url does not match"
	ReasonWrongHash     = "body_sha256 does not match"
	ReasonBadJSON       = "invalid JSON"
	ReasonNoCall        = "no callData"
	ReasonReadBody      = "cannot read body"
	ReasonMissingClaims = "missing claims"
)

func reject(status int, reason string, err error) *WebhookRejection {
	return &WebhookRejection{Status: status, Reason: reason, Err: err}
}

// Verify authenticates one webhook request and decodes its payload. It reads at most
// MaxWebhookBody+1 bytes of the body. Order: method, URL token, content type, size,
// signature (which covers the body's hash), and only then JSON. Every refusal is a
// *WebhookRejection.
func (v *WebhookVerifier) Verify(r *http.Request) (*WebhookPayload, error) {
	if r.Method != http.MethodPost {
		return nil, reject(http.StatusMethodNotAllowed, ReasonMethod, nil)
	}
	if v.token != nil {
		got := r.URL.Query().Get("token")
		if got == "" {
			return nil, reject(http.StatusUnauthorized, ReasonMissingToken, nil)
		}
		if subtle.ConstantTimeCompare([]byte(got), v.token) != 1 {
			return nil, reject(http.StatusUnauthorized, ReasonWrongToken, nil)
		}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil, reject(http.StatusUnsupportedMediaType, ReasonContentType, nil)
	}
	if r.ContentLength > MaxWebhookBody {
		return nil, reject(http.StatusRequestEntityTooLarge, ReasonTooLarge, fmt.Errorf("declared length %d > %d", r.ContentLength, MaxWebhookBody))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxWebhookBody+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, reject(http.StatusRequestEntityTooLarge, ReasonTooLarge, err)
		}
		return nil, reject(http.StatusBadRequest, ReasonReadBody, err)
	}
	if len(body) > MaxWebhookBody {
		return nil, reject(http.StatusRequestEntityTooLarge, ReasonTooLarge, fmt.Errorf("more than %d bytes", MaxWebhookBody))
	}
	if v.key != nil {
		if rej := v.verifyJWT(r.Header.Get("Authorization"), body); rej != nil {
			return nil, rej
		}
	}
	return decodeWebhook(body)
}

// decodeWebhook parses a verified body.
func decodeWebhook(body []byte) (*WebhookPayload, error) {
	var p WebhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, reject(http.StatusBadRequest, ReasonBadJSON, jsonErrorAt(err))
	}
	if p.CallData == nil {
		return nil, reject(http.StatusBadRequest, ReasonNoCall, errors.New("the payload has no callData"))
	}
	if problem := p.CallData.Problem(); problem != "" {
		return nil, reject(http.StatusBadRequest, ReasonNoCall, errors.New("callData: "+problem))
	}
	return &p, nil
}

// jsonErrorAt keeps a JSON error's position and kind but none of the input.
func jsonErrorAt(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Errorf("wrong type for %s at byte %d", te.Field, te.Offset)
	}
	return errors.New("does not decode")
}

// jwtHeader is the JOSE header; only RS256 is accepted.
type jwtHeader struct {
	Alg  string   `json:"alg"`
	Typ  string   `json:"typ"`
	Crit []string `json:"crit"`
}

// webhookClaims are the claims Gong signs. Numbers may be floats (NumericDate).
type webhookClaims struct {
	WebhookURL *string  `json:"webhook_url"`
	BodySHA256 *string  `json:"body_sha256"`
	Exp        *float64 `json:"exp"`
	Nbf        *float64 `json:"nbf"`
	Iat        *float64 `json:"iat"`
}

// maxJWT bounds the Authorization header's token: Gong's are under 1 KiB.
const maxJWT = 16 << 10

// verifyJWT checks the signed JWT: RS256 signature first, then exp (with leeway),
// webhook_url, and body_sha256 in constant time.
func (v *WebhookVerifier) verifyJWT(header string, body []byte) *WebhookRejection {
	tok := strings.TrimSpace(header)
	if len(tok) >= 6 && strings.EqualFold(tok[:6], "bearer") && (len(tok) == 6 || tok[6] == ' ') {
		tok = strings.TrimSpace(tok[6:])
	}
	if tok == "" {
		return reject(http.StatusUnauthorized, ReasonMissingJWT, nil)
	}
	if len(tok) > maxJWT {
		return reject(http.StatusUnauthorized, ReasonMalformedJWT, errors.New("token too long"))
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return reject(http.StatusUnauthorized, ReasonMalformedJWT, fmt.Errorf("%d parts, want 3", len(parts)))
	}
	rawHeader, err1 := b64.Decode(base64.RawURLEncoding, parts[0])
	rawClaims, err2 := b64.Decode(base64.RawURLEncoding, parts[1])
	sig, err3 := b64.Decode(base64.RawURLEncoding, parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return reject(http.StatusUnauthorized, ReasonMalformedJWT, errors.New("a part is not base64url"))
	}
	var h jwtHeader
	if err := json.Unmarshal(rawHeader, &h); err != nil {
		return reject(http.StatusUnauthorized, ReasonMalformedJWT, errors.New("the header is not JSON"))
	}
	// The algorithm is fixed by configuration, never taken from the token: "none",
	// HS256 signed with the public key as a secret, and friends are all refused here.
	if h.Alg != "RS256" {
		return reject(http.StatusUnauthorized, ReasonAlgorithm, fmt.Errorf("alg %q; only RS256 is accepted", oneLine(h.Alg)))
	}
	if len(h.Crit) > 0 {
		return reject(http.StatusUnauthorized, ReasonMalformedJWT, errors.New("critical header extensions are not supported"))
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(v.key, crypto.SHA256, digest[:], sig); err != nil {
		return reject(http.StatusUnauthorized, ReasonBadSignature, errors.New("the RS256 signature does not verify with the configured public key"))
	}

	var c webhookClaims
	dec := json.NewDecoder(bytes.NewReader(rawClaims))
	if err := dec.Decode(&c); err != nil {
		return reject(http.StatusUnauthorized, ReasonMalformedJWT, errors.New("the claims are not the JSON expected"))
	}
	if c.Exp == nil || c.WebhookURL == nil || c.BodySHA256 == nil {
		return reject(http.StatusUnauthorized, ReasonMissingClaims, errors.New("exp, webhook_url and body_sha256 are all required"))
	}
	now := v.now()
	exp, ok := numericDate(*c.Exp)
	if !ok {
		return reject(http.StatusUnauthorized, ReasonMalformedJWT, errors.New("exp is not a time"))
	}
	if !now.Before(exp.Add(v.leeway)) {
		return reject(http.StatusUnauthorized, ReasonExpired, fmt.Errorf("expired at %s", exp.UTC().Format(time.RFC3339)))
	}
	for _, nb := range []*float64{c.Nbf, c.Iat} {
		if nb == nil {
			continue
		}
		t, ok := numericDate(*nb)
		if !ok {
			return reject(http.StatusUnauthorized, ReasonMalformedJWT, errors.New("nbf or iat is not a time"))
		}
		if t.After(now.Add(v.leeway)) {
			return reject(http.StatusUnauthorized, ReasonNotYetValid, fmt.Errorf("valid from %s", t.UTC().Format(time.RFC3339)))
		}
	}
	if *c.WebhookURL != v.url {
		// The claim is signed by Gong and names one of our URLs: safe to log, shortened.
		return reject(http.StatusUnauthorized, ReasonWrongURL, fmt.Errorf("signed for %q", redactURLToken(oneLine(*c.WebhookURL))))
	}
	sum := sha256.Sum256(body)
	want := hex.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(*c.BodySHA256)), []byte(want)) != 1 {
		return reject(http.StatusUnauthorized, ReasonWrongHash, errors.New("the body is not the one that was signed"))
	}
	return nil
}

// numericDate turns a JWT NumericDate (seconds, maybe fractional) into a time.
func numericDate(f float64) (time.Time, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1<<40 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// redactURLToken hides a token=… query value in a URL for logs.
func redactURLToken(u string) string {
	i := strings.Index(u, "token=")
	if i < 0 {
		return u
	}
	end := strings.IndexAny(u[i:], "&#")
	if end < 0 {
		return u[:i] + "token=REDACTED"
	}
	return u[:i] + "token=REDACTED" + u[i+end:]
}
