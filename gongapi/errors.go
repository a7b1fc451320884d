package gongapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Sentinels for errors.Is. Every error the client returns for an answer from Gong (or
// for the lack of one) is an *APIError or a *QuotaError that matches exactly one of them.
var (
	// ErrQuotaExhausted: the Budget refused the request, or Gong asked to wait longer
	// than Config.MaxRetryAfter. Callers stop cleanly and come back after QuotaError.Until.
	ErrQuotaExhausted = errors.New("quota exhausted")
	// ErrCursorExpired: Gong no longer knows the cursor; restart the window from its start.
	ErrCursorExpired = errors.New("cursor expired")
	// ErrUnauthorized: Gong refused the credentials: a wrong, expired or revoked key,
	// secret or token (401), or a key that may not be used from this machine's address
	// (403, a trusted-IP restriction). Nothing sent with them can succeed: stop, never retry.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrScopeMissing: Gong refused one endpoint because the credentials lack the scope
	// it needs (a 401 whose text names the scope; APIError.Scope says which). Other
	// endpoints still answer. Never retried.
	ErrScopeMissing = errors.New("scope missing")
	// ErrNotFound: a 404 that is not Gong's way of saying "no records" (a wrong path or host).
	ErrNotFound = errors.New("not found")
	// ErrBadRequest: Gong refused the request's input (400 and other 4xx), or the client
	// refused it before sending because Gong would.
	ErrBadRequest = errors.New("bad request")
	// ErrRateLimited: Gong kept answering 429 after every retry.
	ErrRateLimited = errors.New("rate limited")
	// ErrServer: Gong kept answering 5xx after every retry.
	ErrServer = errors.New("server error")
	// ErrNetwork: no answer (connection refused or dropped, timeout) after every retry.
	ErrNetwork = errors.New("network error")
	// ErrMalformedResponse: a success status with a body that is not the JSON expected.
	ErrMalformedResponse = errors.New("malformed response")
	// ErrBodyTooLarge: an answer bigger than Config.MaxBodyBytes.
	ErrBodyTooLarge = errors.New("response body too large")
	// ErrUnexpectedStatus: a status Gong's API does not use (a redirect, 1xx, …), which
	// usually means the base URL points somewhere else than Gong's API.
	ErrUnexpectedStatus = errors.New("unexpected status")
	// ErrNotAvailable: the company's Gong does not offer this endpoint's data (a plan
	// without the library answers its endpoints 401 or 404). The credentials and the
	// other endpoints are fine; asking again soon would get the same answer.
	ErrNotAvailable = errors.New("not available")

	// ErrMayHaveBeenApplied is not a class but a circumstance, matched besides the class's
	// sentinel: a request sent only once (Operation.Once) reached Gong and its answer was
	// lost, cut off, a 5xx or unreadable, so Gong may have carried it out. It was not sent
	// again; APIError.RequestID is Gong's requestId when its headers arrived.
	ErrMayHaveBeenApplied = errors.New("may have been applied")
)

// ErrorClass classifies an *APIError; each class matches one sentinel.
type ErrorClass int

// The classes of APIError.
const (
	ClassUnauthorized ErrorClass = iota + 1
	ClassNotFound
	ClassBadRequest
	ClassCursorExpired
	ClassRateLimited
	ClassServer
	ClassNetwork
	ClassMalformedResponse
	ClassBodyTooLarge
	ClassUnexpectedStatus
	ClassScopeMissing
	ClassNotAvailable
)

var classSentinels = map[ErrorClass]error{
	ClassUnauthorized:      ErrUnauthorized,
	ClassNotFound:          ErrNotFound,
	ClassBadRequest:        ErrBadRequest,
	ClassCursorExpired:     ErrCursorExpired,
	ClassRateLimited:       ErrRateLimited,
	ClassServer:            ErrServer,
	ClassNetwork:           ErrNetwork,
	ClassMalformedResponse: ErrMalformedResponse,
	ClassBodyTooLarge:      ErrBodyTooLarge,
	ClassUnexpectedStatus:  ErrUnexpectedStatus,
	ClassScopeMissing:      ErrScopeMissing,
	ClassNotAvailable:      ErrNotAvailable,
}

// String names the class as its sentinel does.
func (c ErrorClass) String() string {
	if s, ok := classSentinels[c]; ok {
		return s.Error()
	}
	return fmt.Sprintf("ErrorClass(%d)", int(c))
}

// APIError is a failed request: what Gong answered (or that it did not), on which
// endpoint, with Gong's requestId so an operator can quote it to Gong's support.
type APIError struct {
	Class     ErrorClass
	Endpoint  string   // "POST /v2/calls/extensive"
	Status    int      // HTTP status; 0 when there was no answer
	RequestID string   // Gong's requestId (body) or x-traceid (header); may be empty
	Errors    []string // Gong's error texts, as sent
	Attempts  int      // attempts made, retries included; 0 when refused before sending
	// Scope is the scope Gong said the credentials lack (ClassScopeMissing only), e.g.
	// "api:calls:read:transcript".
	Scope string
	// Detail says what was wrong beyond Gong's texts (which record failed to decode,
	// what to check for a 401, …).
	Detail string
	// Err is the underlying cause (a decode or network error), if any.
	Err error
	// MayHaveBeenApplied is set for a request sent only once (Operation.Once) that
	// reached Gong without a usable answer: Gong may have carried it out, and it was
	// not sent again. The error then also matches ErrMayHaveBeenApplied.
	MayHaveBeenApplied bool
}

// Error reads "gongapi: POST /v2/calls/extensive: 401 unauthorized (requestId …): texts: detail".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("gongapi: ")
	b.WriteString(e.Endpoint)
	b.WriteString(": ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d ", e.Status)
	}
	b.WriteString(e.Class.String())
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (requestId %s)", e.RequestID)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if len(e.Errors) > 0 {
		fmt.Fprintf(&b, ": %q", e.Errors)
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.MayHaveBeenApplied {
		b.WriteString("; the request reached Gong and may have been applied: it was not sent again")
	}
	return b.String()
}

// Unwrap gives the class's sentinel and the cause, so both errors.Is(err, ErrServer)
// and errors.Is(err, context.DeadlineExceeded) work, and ErrMayHaveBeenApplied when set.
func (e *APIError) Unwrap() []error {
	errs := make([]error, 0, 3)
	if s, ok := classSentinels[e.Class]; ok {
		errs = append(errs, s)
	}
	if e.MayHaveBeenApplied {
		errs = append(errs, ErrMayHaveBeenApplied)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// refusesCredentials says whether Gong refused the credentials themselves with a 401
// (not a missing scope, not a 403 from an address): the one refusal that renewed
// credentials (a fresh OAuth access token) may cure.
func (e *APIError) refusesCredentials() bool {
	return e.Class == ClassUnauthorized && e.Status == http.StatusUnauthorized
}

// QuotaError says no more requests may be sent for now: a Budget refused one, or Gong
// answered 429 with a Retry-After longer than Config.MaxRetryAfter. Budget
// implementations may return one themselves to tell the caller when to come back.
type QuotaError struct {
	Until     time.Time // when requests may resume; zero when unknown
	Reason    string    // why, in words
	RequestID string    // Gong's requestId of the 429, if that is the cause
	Endpoint  string    // the endpoint that was refused
	Err       error     // the Budget's own error, when it was not a *QuotaError
}

// Error reads "gongapi: POST /v2/calls/extensive: quota exhausted until 2024-05-02T00:00:00Z: reason".
func (e *QuotaError) Error() string {
	var b strings.Builder
	b.WriteString("gongapi: ")
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
		b.WriteString(": ")
	}
	b.WriteString("quota exhausted")
	if !e.Until.IsZero() {
		b.WriteString(" until ")
		b.WriteString(e.Until.UTC().Format(time.RFC3339))
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (requestId %s)", e.RequestID)
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is makes every QuotaError match ErrQuotaExhausted.
func (e *QuotaError) Is(target error) bool { return target == ErrQuotaExhausted }

// Unwrap gives the Budget's own error, if any.
func (e *QuotaError) Unwrap() error { return e.Err }

// emptyResultText is how Gong words an empty result ("No calls found corresponding to
// the provided filters"); only a 404 carrying it is an empty page.
const emptyResultText = "found corresponding to the provided filters"

// noLogsText is how Gong's document words GET /v2/logs's empty result ("No logs found
// for the specified period"), which does not say "corresponding to the provided
// filters"; only that endpoint's 404 carrying it is an empty page.
const noLogsText = "no logs found"

// recordNotFoundText marks Gong's 404 about one record the request named, as opposed
// to a path Gong does not serve.
const recordNotFoundText = "was not found"

// cursorExpiredText marks the 400 that means "restart the window".
const cursorExpiredText = "cursor has expired"

// answerClass is what one HTTP answer means for the request that got it.
type answerClass int

const (
	classOK        answerClass = iota // 2xx with a JSON body
	classEmpty                        // Gong's empty-result 404
	classRetry                        // worth another attempt (429, 5xx)
	classFinal                        // an error no retry will fix
	classMalformed                    // 2xx, but not JSON
)

// classify decides what an answer means, from its status, headers and body alone. The
// *APIError is nil for classOK; for classEmpty it only carries the requestId.
func classify(endpoint string, status int, header http.Header, body []byte) (answerClass, *APIError) {
	reqID := header.Get("x-traceid")
	if status >= 200 && status < 300 {
		if detail := notJSON(header, body); detail != "" {
			if reqID == "" {
				reqID = scanRequestID(body)
			}
			return classMalformed, &APIError{Class: ClassMalformedResponse, Endpoint: endpoint, Status: status, RequestID: reqID, Detail: detail}
		}
		return classOK, nil
	}

	var eb ErrorBody
	if len(body) > 0 && json.Unmarshal(body, &eb) == nil && eb.RequestID != "" && reqID == "" {
		reqID = eb.RequestID
	}
	e := &APIError{Endpoint: endpoint, Status: status, RequestID: reqID, Errors: eb.Errors}
	switch {
	case status == http.StatusUnauthorized:
		// Gong answers a missing OAuth scope with a 401 too, naming the scope: that
		// refusal concerns one endpoint, not the credentials.
		if scope := missingScope(eb.Errors); scope != "" {
			e.Class, e.Scope = ClassScopeMissing, scope
			e.Detail = "the credentials lack the scope " + scope + " this endpoint needs: grant it to the app in Gong " +
				"(OAuth: add it to the app, then run `gongsync auth login` again); the other endpoints are not affected"
			return classFinal, e
		}
		e.Class = ClassUnauthorized
		e.Detail = "Gong refused the credentials: check the access key and its secret (keys can expire), " +
			"and that the base URL is the API host of your Gong region (OAuth: the customer's api_base_url)"
		return classFinal, e
	case status == http.StatusForbidden:
		e.Class = ClassUnauthorized
		e.Detail = "Gong refused this machine: the access key is limited to trusted IP addresses and this one is not among them " +
			"(Gong: Company settings → Ecosystem → API); also check that the base URL is your region's API host"
		return classFinal, e
	case status == http.StatusNotFound:
		if containsFold(eb.Errors, emptyResultText) || (endpoint == EndpointLogs && containsFold(eb.Errors, noLogsText)) {
			return classEmpty, e
		}
		e.Class = ClassNotFound
		// Gong's own answer naming a missing record ("Call 42 was not found") says the
		// host and path are right: the hint is for 404s from something else.
		if !containsFold(eb.Errors, recordNotFoundText) {
			e.Detail = "check the base URL and the path"
		}
		return classFinal, e
	case status == http.StatusTooManyRequests:
		e.Class = ClassRateLimited
		return classRetry, e
	case status == http.StatusBadRequest && containsFold(eb.Errors, cursorExpiredText):
		e.Class = ClassCursorExpired
		return classFinal, e
	case status >= 500 && status < 600:
		e.Class = ClassServer
		return classRetry, e
	case status >= 400 && status < 500:
		e.Class = ClassBadRequest
		return classFinal, e
	default:
		e.Class = ClassUnexpectedStatus
		if loc := header.Get("Location"); loc != "" {
			e.Detail = "redirected to " + loc + "; check the base URL"
		} else {
			e.Detail = "check the base URL"
		}
		return classFinal, e
	}
}

// notJSON says why a success body cannot be Gong's JSON, or "" when it may be. Gong
// always answers JSON; HTML or an empty body with a 200 comes from something in between
// (a proxy, a login page, a wrong base URL).
func notJSON(header http.Header, body []byte) string {
	ct := header.Get("Content-Type")
	if ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
			return fmt.Sprintf("content type %q is not JSON (%d bytes)", ct, len(body))
		}
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return "empty body"
	case trimmed[0] != '{' && trimmed[0] != '[':
		return fmt.Sprintf("body is not a JSON object (%d bytes, content type %q)", len(body), ct)
	}
	return ""
}

// scanRequestID finds Gong's requestId in a body that may not parse as a whole, so a
// malformed answer can still be quoted to Gong's support.
func scanRequestID(body []byte) string {
	const key = `"requestId"`
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(body[i+len(key):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' {
		return ""
	}
	rest = rest[1:]
	end := bytes.IndexByte(rest, '"')
	if end <= 0 || end > 64 {
		return ""
	}
	for _, c := range rest[:end] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return ""
		}
	}
	return string(rest[:end])
}

// scopeText finds the scope in Gong's refusal of a missing one: "You don't have
// permission to use 'api:stats:scorecards' in your app."
var scopeText = regexp.MustCompile(`(?i)permission to use '([^'\s]+)'`)

// missingScope returns the scope a 401's texts name, or "" when they name none.
func missingScope(texts []string) string {
	for _, t := range texts {
		if m := scopeText.FindStringSubmatch(t); m != nil {
			return m[1]
		}
	}
	return ""
}

func containsFold(texts []string, sub string) bool {
	for _, t := range texts {
		if strings.Contains(strings.ToLower(t), sub) {
			return true
		}
	}
	return false
}

// notAvailable turns a 404 that is not Gong's empty result, or a 401 that names no
// scope (after any renewal of the credentials), into ClassNotAvailable with why. Only
// Gong's answer itself is turned: an error that also says a renewal of the
// credentials failed stays as it is.
func notAvailable(err error, why string) error {
	ae, ok := err.(*APIError)
	if !ok {
		return err
	}
	switch {
	case ae.Class == ClassNotFound, ae.Class == ClassUnauthorized && ae.Status == http.StatusUnauthorized:
		out := *ae
		out.Class, out.Detail = ClassNotAvailable, why
		return &out
	}
	return err
}
