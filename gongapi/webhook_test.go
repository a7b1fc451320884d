package gongapi_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
)

const hookURL = "https://gongsync.example/webhooks/gong"

// hookFake is a fake Gong that signs webhooks, and one call id it holds.
func hookFake(t *testing.T) (*fakegong.Server, string) {
	t.Helper()
	s, err := fakegong.New(fakegong.Options{Seed: 3, Calls: 5, From: dataFrom, To: dataTo, Clock: fakegong.NewVirtualClock(virtualNow)})
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Dataset().AllCalls()[2].ID
}

func verifier(t *testing.T, cfg gongapi.WebhookConfig) *gongapi.WebhookVerifier {
	t.Helper()
	v, err := gongapi.NewWebhookVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestWebhookVerifiesGongSignature(t *testing.T) {
	t.Parallel()
	fake, id := hookFake(t)
	bare, err := fake.WebhookPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	pemKey, _ := fake.WebhookPublicKeyPEM()
	for name, key := range map[string]string{"bare base64 DER": bare, "PEM": pemKey} {
		v := verifier(t, gongapi.WebhookConfig{PublicKey: key, URL: hookURL})
		for _, bearer := range []bool{false, true} {
			req, err := fake.WebhookRequest(context.Background(), hookURL, id, fakegong.WebhookOptions{BearerPrefix: bearer})
			if err != nil {
				t.Fatal(err)
			}
			p, err := v.Verify(req)
			if err != nil {
				t.Fatalf("%s, bearer %v: %v", name, bearer, err)
			}
			if string(p.CallData.MetaData.ID) != id || p.IsTest || len(p.CallData.Raw) == 0 || p.CallData.Content == nil {
				t.Fatalf("%s: payload %+v", name, p)
			}
		}
	}
	req, _ := fake.WebhookRequest(context.Background(), hookURL, id, fakegong.WebhookOptions{IsTest: true})
	if p, err := verifier(t, gongapi.WebhookConfig{PublicKey: bare, URL: hookURL}).Verify(req); err != nil || !p.IsTest {
		t.Fatalf("test webhook: %+v, %v", p, err)
	}
}

// jwtWith makes a token with any header and claims, signed (or not) by sign.
func jwtWith(header, claims string, sign func(signing string) []byte) string {
	b64 := base64.RawURLEncoding
	s := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(claims))
	return s + "." + b64.EncodeToString(sign(s))
}

func TestWebhookRejections(t *testing.T) {
	t.Parallel()
	fake, id := hookFake(t)
	other, _ := hookFake(t) // another key
	key, _ := fake.WebhookPublicKey()
	const token = "hook-token-Secret-0123456789abcdef-42"
	signed := verifier(t, gongapi.WebhookConfig{PublicKey: key, URL: hookURL})
	both := verifier(t, gongapi.WebhookConfig{PublicKey: key, URL: hookURL + "?token=" + token, Token: token})
	byToken := verifier(t, gongapi.WebhookConfig{Token: token})
	ctx := context.Background()

	build := func(url string, o fakegong.WebhookOptions) *http.Request {
		t.Helper()
		req, err := fake.WebhookRequest(ctx, url, id, o)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	body, _ := fake.WebhookBody(id, false)
	sum := sha256.Sum256(body)
	claims := fmt.Sprintf(`{"webhook_url":%q,"body_sha256":%q,"exp":%d}`, hookURL, hex.EncodeToString(sum[:]), time.Now().Add(time.Hour).Unix())
	withAuth := func(auth string) *http.Request {
		req := httptest.NewRequest(http.MethodPost, hookURL, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		return req
	}
	derKey, _ := base64.StdEncoding.DecodeString(key)
	hs256 := jwtWith(`{"alg":"HS256","typ":"JWT"}`, claims, func(s string) []byte {
		m := hmac.New(sha256.New, derKey) // the classic confusion: the public key as an HMAC secret
		m.Write([]byte(s))
		return m.Sum(nil)
	})
	none := jwtWith(`{"alg":"none"}`, claims, func(string) []byte { return nil })

	big := func(chunked bool) *http.Request {
		b := bytes.Repeat([]byte(" "), gongapi.MaxWebhookBody+1)
		req := httptest.NewRequest(http.MethodPost, hookURL, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if chunked {
			req.ContentLength = -1
		}
		return req
	}
	signedBody := func(b []byte) *http.Request {
		req := httptest.NewRequest(http.MethodPost, hookURL, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		jwt, err := fake.SignWebhook(b, hookURL, time.Now().Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", jwt)
		return req
	}

	for _, tc := range []struct {
		name   string
		v      *gongapi.WebhookVerifier
		req    *http.Request
		status int
		reason string
	}{
		{"GET", signed, httptest.NewRequest(http.MethodGet, hookURL, nil), 405, gongapi.ReasonMethod},
		{"body over 5 MiB", signed, big(false), 413, gongapi.ReasonTooLarge},
		{"body over 5 MiB, chunked", signed, big(true), 413, gongapi.ReasonTooLarge},
		{"wrong content type", signed, func() *http.Request {
			r := build(hookURL, fakegong.WebhookOptions{})
			r.Header.Set("Content-Type", "text/plain")
			return r
		}(), 415, gongapi.ReasonContentType},
		{"no content type", signed, func() *http.Request {
			r := build(hookURL, fakegong.WebhookOptions{})
			r.Header.Del("Content-Type")
			return r
		}(), 415, gongapi.ReasonContentType},
		{"bad JSON, signed", signed, signedBody([]byte(`{"callData":{"metaData":`)), 400, gongapi.ReasonBadJSON},
		{"no callData, signed", signed, signedBody([]byte(`{"isTest":false}`)), 400, gongapi.ReasonNoCall},
		{"signed by another key", signed, func() *http.Request {
			r, _ := other.WebhookRequest(ctx, hookURL, other.Dataset().AllCalls()[0].ID, fakegong.WebhookOptions{})
			return r
		}(), 401, gongapi.ReasonBadSignature},
		{"signature altered", signed, func() *http.Request {
			r := build(hookURL, fakegong.WebhookOptions{})
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-4]+"AAAA")
			return r
		}(), 401, gongapi.ReasonBadSignature},
		{"line break inside the signature", signed, func() *http.Request {
			// encoding/base64 alone would skip it and let the signature verify.
			r := build(hookURL, fakegong.WebhookOptions{})
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-10]+"\r\n"+a[len(a)-10:])
			return r
		}(), 401, gongapi.ReasonMalformedJWT},
		{"expired", signed, build(hookURL, fakegong.WebhookOptions{TTL: -time.Minute}), 401, gongapi.ReasonExpired},
		{"wrong URL", signed, build(hookURL, fakegong.WebhookOptions{ClaimURL: "https://evil.example/webhooks/gong"}), 401, gongapi.ReasonWrongURL},
		{"wrong hash", signed, func() *http.Request {
			r := build(hookURL, fakegong.WebhookOptions{})
			b := bytes.Replace(body, []byte(`"isTest":false`), []byte(`"isTest":true `), 1)
			r.Body, r.ContentLength = nopCloser(b), int64(len(b))
			return r
		}(), 401, gongapi.ReasonWrongHash},
		{"no Authorization", signed, withAuth(""), 401, gongapi.ReasonMissingJWT},
		{"Bearer and nothing", signed, withAuth("Bearer "), 401, gongapi.ReasonMissingJWT},
		{"not a JWT", signed, withAuth("Bearer abc.def"), 401, gongapi.ReasonMalformedJWT},
		{"alg none", signed, withAuth(none), 401, gongapi.ReasonAlgorithm},
		{"alg HS256 with the public key", signed, withAuth(hs256), 401, gongapi.ReasonAlgorithm},
		{"missing token", byToken, build(hookURL, fakegong.WebhookOptions{Unsigned: true}), 401, gongapi.ReasonMissingToken},
		{"wrong token", byToken, build(hookURL+"?token=hook-token-Secret-0123456789abcdef-43", fakegong.WebhookOptions{Unsigned: true}), 401, gongapi.ReasonWrongToken},
		{"token right, signature missing", both, build(hookURL+"?token="+token, fakegong.WebhookOptions{Unsigned: true}), 401, gongapi.ReasonMissingJWT},
		{"signature right, token missing", both, build(hookURL, fakegong.WebhookOptions{ClaimURL: hookURL + "?token=" + token}), 401, gongapi.ReasonMissingToken},
	} {
		auth := tc.req.Header.Get("Authorization")
		p, err := tc.v.Verify(tc.req)
		var rej *gongapi.WebhookRejection
		if !errors.As(err, &rej) || p != nil {
			t.Errorf("%s: Verify = %v, %v; want a rejection", tc.name, p, err)
			continue
		}
		if rej.Status != tc.status || rej.Reason != tc.reason {
			t.Errorf("%s: %d %q (%v); want %d %q", tc.name, rej.Status, rej.Reason, err, tc.status, tc.reason)
		}
		msg := err.Error()
		if strings.Contains(msg, token) || (len(auth) > 20 && strings.Contains(msg, auth[len(auth)-20:])) || strings.Contains(msg, "Renewal") {
			t.Errorf("%s: the error shows a secret or the payload: %s", tc.name, msg)
		}
	}

	// The happy paths of the other modes.
	if _, err := byToken.Verify(build(hookURL+"?token="+token, fakegong.WebhookOptions{Unsigned: true})); err != nil {
		t.Errorf("token webhook: %v", err)
	}
	if _, err := both.Verify(build(hookURL+"?token="+token, fakegong.WebhookOptions{})); err != nil {
		t.Errorf("token and signature: %v", err)
	}
}

func TestWebhookVerifierConfig(t *testing.T) {
	t.Parallel()
	fake, _ := hookFake(t)
	key, _ := fake.WebhookPublicKey()
	for name, cfg := range map[string]gongapi.WebhookConfig{
		"nothing":               {},
		"key without URL":       {PublicKey: key},
		"garbage key":           {PublicKey: "not-a-key", URL: hookURL},
		"truncated key":         {PublicKey: key[:100], URL: hookURL},
		"PEM without a body":    {PublicKey: "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----", URL: hookURL},
		"key with a line break": {PublicKey: key[:64] + "\n" + key[64:], URL: hookURL},
		"key with a CR":         {PublicKey: key[:64] + "\r" + key[64:], URL: hookURL},
		"token too short":       {Token: "abc123"},
		"token with a CR":       {Token: "0123456789abcdef0123456789abcdef\r01"},
		"token with a LF":       {Token: "0123456789abcdef\n0123456789abcdef01"},
		"token with a space":    {Token: "0123456789abcdef 0123456789abcdef01"},
	} {
		_, err := gongapi.NewWebhookVerifier(cfg)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if cfg.Token != "" && strings.Contains(err.Error(), cfg.Token) {
			t.Errorf("%s: the error quotes the token: %v", name, err)
		}
	}
	if _, err := gongapi.NewWebhookVerifier(gongapi.WebhookConfig{PublicKey: key, URL: hookURL, Token: "0123456789abcdef0123456789abcdef"}); err != nil {
		t.Errorf("a one-line key and a 32-character token: %v", err)
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func nopCloser(b []byte) readCloser { return readCloser{bytes.NewReader(b)} }

// The fuzz corpus under testdata/fuzz/FuzzVerifyWebhook was signed once with a key
// whose public half is fuzzKey, for fuzzURL, with exp one hour after fuzzNow (and
// some entries expired, for the wrong URL or body, or with alg none or HS256). The
// private key was thrown away: nothing the fuzzer makes can carry a valid signature
// except the two bodies it signed.
const (
	fuzzKey = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsYLlEyzyRi3mPfkeWzsCrZMJlNzZNPXJK286RokXHyRn4bByRpsnMRR59c7TiofvRNgQD1qYHzHuJn0LSsxmqHQr9V90IlkMUc7TUvewj17p1X20l4CqOZYb4tYQDo1DIr82stfdiuoQzcXd/ZtxKjmLdJ986GNY7Qsca+tPpqDmILRQrHEc1zd30rVCMI8FTb6rBeTXphn9TF+V+ODniXcAHGbby4d7KVxUzrF6RX/FPPwZJJ9aTlbuWlUS56xunvea583QJuYgv8P3vSzTIA397oAcV12gCEh7MselXsooxFX58PdySWVsDtVpBjPkkxPaGNrYLvf3KFbtFctNeQIDAQAB"
	fuzzURL = "https://gongsync.example/webhooks/gong"
)

var (
	fuzzNow          = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	fuzzSignedBodies = map[string]bool{
		"33855ef52fdba5228aca707819fa7816a639a1c162dd420250f319ed101dda06": true,
		"a8fb01fed3f1708d2d09f4f424803627b256c5a15086d036eb298eb2f83364c8": true,
	}
)

// FuzzVerifyWebhook: no input panics; every refusal is a 4xx with a reason; and only
// a body that was actually signed is ever accepted.
func FuzzVerifyWebhook(f *testing.F) {
	f.Add("", "application/json", []byte(`{}`))
	f.Add("Bearer e30.e30.", "application/json", []byte(`{"callData":{"metaData":{"id":"1"}}}`))
	v, err := gongapi.NewWebhookVerifier(gongapi.WebhookConfig{PublicKey: fuzzKey, URL: fuzzURL, Now: func() time.Time { return fuzzNow }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, auth, contentType string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, fuzzURL, bytes.NewReader(body))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", contentType)
		p, err := v.Verify(req)
		if err != nil {
			var rej *gongapi.WebhookRejection
			if !errors.As(err, &rej) || rej.Status < 400 || rej.Status > 499 || rej.Reason == "" || p != nil {
				t.Fatalf("Verify = %v, %v: not a 4xx rejection", p, err)
			}
			return
		}
		sum := sha256.Sum256(body)
		if !fuzzSignedBodies[hex.EncodeToString(sum[:])] {
			t.Fatalf("accepted a body nobody signed: %q", body)
		}
		if p.CallData == nil || p.CallData.MetaData == nil || p.CallData.MetaData.ID == "" {
			t.Fatalf("accepted a payload without a call: %+v", p)
		}
	})
}
