package gongapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// DefaultBaseURL is Gong's generic API host.
const DefaultBaseURL = "https://api.gong.io"

// Defaults for the zero values of Config.
const (
	DefaultMaxRetries     = 6
	DefaultRequestTimeout = 60 * time.Second
	DefaultMaxRetryAfter  = 10 * time.Minute
	DefaultMaxBodyBytes   = 64 << 20
	DefaultRetryBaseDelay = time.Second
	DefaultRetryMaxDelay  = 30 * time.Second
	DefaultUserAgent      = "gongsync/dev"
)

// Config configures a Client. Only Auth is required.
type Config struct {
	// BaseURL is the API host, default DefaultBaseURL; a trailing slash is fine. It
	// must not carry credentials. An Auth that implements BaseURLProvider overrides it.
	BaseURL string
	// Auth adds credentials to every request (BasicAuth, or OAuth elsewhere).
	Auth Authorizer
	// Transport sends the requests; default a clone of http.DefaultTransport.
	Transport http.RoundTripper
	// Budget, when set, is asked before every attempt, retries included: it counts the
	// attempt and says when it may be sent (the pace). Without one, requests go out as
	// fast as they come.
	Budget Budget
	// MaxRetries bounds the retries of a request after a 429, a 5xx or a network error;
	// 0 means DefaultMaxRetries, a negative value means no retry.
	MaxRetries int
	// RequestTimeout bounds one attempt, answer body included; default 60s.
	RequestTimeout time.Duration
	// MaxRetryAfter is the longest Retry-After the client sleeps through; a longer one
	// returns a *QuotaError saying until when. Default 10 minutes.
	MaxRetryAfter time.Duration
	// MaxBodyBytes bounds an answer's (decompressed) body; default 64 MiB.
	MaxBodyBytes int64
	// RetryBaseDelay and RetryMaxDelay shape the exponential backoff (full jitter)
	// used when Gong gives no Retry-After; defaults 1s and 30s.
	RetryBaseDelay, RetryMaxDelay time.Duration
	// UserAgent is sent on every request; default DefaultUserAgent. Set it to
	// "gongsync/<version>".
	UserAgent string
	// Logger gets retries at warn and every request at debug; never a secret.
	Logger zerolog.Logger
	// Observer, when set, is called after every attempt that was sent (for metrics).
	Observer func(RequestEvent)
}

// Budget counts a request before it is sent, so that the whole company's daily quota
// is shared by every process that talks to Gong, and gives it a send time, so that
// their requests together keep Gong's per-second pace. Any error stops the call and
// nothing is sent. A refusal is a *QuotaError (with Until when known) or an error
// wrapping ErrQuotaExhausted; the client returns it as a *QuotaError. Any other error is
// a failure to count (the ledger is down, say) and comes back wrapped as it is, so that
// a broken ledger does not pass for a spent quota and pause a sync as if all were well.
//
// The pace lives here, not in the client: a limiter inside one process cannot keep
// several processes (or machines) under one per-second limit, and a second, local
// limiter behind a shared pace would only delay requests past the send times they were
// given, wasting slots of the shared pace.
type Budget interface {
	Reserve(ctx context.Context, endpoint string) (Slot, error)
}

// Slot is one counted attempt.
type Slot struct {
	// SendAt is when the attempt may be sent, on this machine's clock; zero means at once.
	SendAt time.Time
	// Refund, when not nil, gives the slot back. The client calls it only for an
	// attempt that certainly never reached Gong (it was not written whole: DNS, the
	// dial or TLS failed, or the caller gave up before it was sent, even on a
	// connection already had), so that the ledger counts what Gong saw. An attempt
	// that may have reached Gong stays counted.
	Refund func(ctx context.Context) error
}

// RequestEvent describes one attempt, for metrics.
type RequestEvent struct {
	Endpoint string // "POST /v2/calls/extensive"
	Status   int    // HTTP status; 0 when no answer came
	Duration time.Duration
	Attempt  int   // 1 for the first attempt
	Err      error // nil when the attempt succeeded (an empty-result 404 included)
	// RequestID is Gong's requestId of the answer, "" when none came or it had none.
	RequestID string
}

// Client talks to Gong's API. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   *url.URL
	http   *http.Client
	log    zerolog.Logger
	jitter func(int64) int64
}

// New checks cfg, fills in defaults and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.Auth == nil {
		return nil, errors.New("gongapi: Config.Auth is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.Transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		cfg.Transport = t
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.RetryBaseDelay <= 0 {
		cfg.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if cfg.RetryMaxDelay <= 0 {
		cfg.RetryMaxDelay = DefaultRetryMaxDelay
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	c := &Client{
		cfg:  cfg,
		base: base,
		http: &http.Client{
			Transport: cfg.Transport,
			// Gong's API does not redirect. Following one would turn a POST into a GET
			// (301/302) or carry the credentials somewhere unexpected; report it instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		log:    cfg.Logger,
		jitter: jitter,
	}
	return c, nil
}

// WithBudget returns a client that sends as c does (same transport, credentials and
// settings) but counts every attempt with b: a caller that spends on behalf of someone
// (a backfill, an operator's proxy call) holds a client of its own for it, so who pays
// shows in what it holds rather than travelling unseen with the context.
func (c *Client) WithBudget(b Budget) *Client {
	cc := *c
	cc.cfg.Budget = b
	return &cc
}

// WithObserver returns a client that sends as c does and also calls observe after
// every attempt it sent, after c's own Observer: a caller that must account for each
// request of a piece of work (an action listing Gong's requestIds) watches its own
// client without touching the metrics' observer.
func (c *Client) WithObserver(observe func(RequestEvent)) *Client {
	cc := *c
	if prev := c.cfg.Observer; prev != nil {
		cc.cfg.Observer = func(ev RequestEvent) { prev(ev); observe(ev) }
	} else {
		cc.cfg.Observer = observe
	}
	return &cc
}

// parseBaseURL accepts http(s)://host[:port][/prefix] without credentials, query or fragment.
func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(s), "/"))
	if err != nil {
		// url.Parse quotes its input, which might hold a password: keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("gongapi: base URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("gongapi: base URL must start with https:// (got scheme %q)", u.Scheme)
	case u.Host == "":
		return nil, errors.New("gongapi: base URL has no host")
	case u.User != nil:
		return nil, errors.New("gongapi: base URL must not contain credentials; use the access key settings")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, errors.New("gongapi: base URL must not have a query or fragment")
	}
	return u, nil
}

// request is one logical call; it may take several attempts.
type request struct {
	method string
	// path is the path on the API host as it goes on the wire, escaped: an id "a/b"
	// in it is "a%2Fb" ("/v2/calls/extensive" for the sync's endpoints).
	path     string
	query    url.Values
	body     []byte    // JSON, nil for none
	form     *formBody // a multipart/form-data body instead of JSON, nil for none
	endpoint string    // method + " " + path, or the operation's template
	// once: the request must not be sent again once it may have reached Gong (a write
	// that is not idempotent). See Operation.Once.
	once bool
}

func newRequest(method, path string, query url.Values, body []byte) *request {
	return &request{method: method, path: path, query: query, body: body, endpoint: method + " " + path}
}

// answer is a successful (2xx or empty-result 404) answer. body is pooled: call
// release once it has been decoded and is no longer referenced.
type answer struct {
	status    int
	header    http.Header
	body      *bytes.Buffer
	requestID string
	attempts  int
	empty     bool // Gong's "no records found corresponding to the provided filters"
}

func (a *answer) release() {
	if a.body != nil {
		putBuffer(a.body)
		a.body = nil
	}
}

// send runs a request through the pipeline: per attempt, credentials, the budget (a
// slot and a send time), the HTTP exchange with a timeout, and classification; retries
// 429s, 5xx and network errors with Retry-After or backoff. With credentials that can
// be renewed (OAuth), a 401 that refuses them renews them once and tries again.
func (c *Client) send(ctx context.Context, r *request) (*answer, error) {
	reauthorized := false
	for attempt := 1; ; attempt++ {
		// Credentials first: a token source that cannot authorize should not cost a
		// request from the budget.
		req, err := c.newHTTPRequest(ctx, r)
		if err != nil {
			if ctx.Err() != nil {
				return nil, c.stopped(ctx, r, ctx.Err())
			}
			return nil, fmt.Errorf("gongapi: %s: %w", r.endpoint, err)
		}
		var slot Slot
		if c.cfg.Budget != nil {
			if slot, err = c.cfg.Budget.Reserve(ctx, r.endpoint); err != nil {
				if ctx.Err() != nil {
					return nil, c.stopped(ctx, r, ctx.Err())
				}
				return nil, budgetError(r.endpoint, err)
			}
		}
		if err := sleepUntil(ctx, slot.SendAt); err != nil {
			c.refund(ctx, r, slot) // never sent
			return nil, c.stopped(ctx, r, err)
		}

		start := time.Now()
		out := c.attempt(ctx, req, r)
		if out.unsent {
			c.refund(ctx, r, slot)
		}
		c.observe(r, attempt, time.Since(start), out)
		ans, apiErr := out.ans, out.err
		if out.class == classRetry && ctx.Err() != nil {
			if r.once && !out.unsent {
				// The caller gave up while the write was on its way or being answered.
				apiErr.Attempts, apiErr.MayHaveBeenApplied = attempt, true
				apiErr.Err = errors.Join(apiErr.Err, ctx.Err())
				return nil, apiErr
			}
			// The caller gave up; the broken exchange is a consequence, not a fault.
			return nil, c.stopped(ctx, r, ctx.Err())
		}
		if r.once && out.mayHaveApplied() {
			// Sending it again could apply it twice: say so instead.
			apiErr.Attempts, apiErr.MayHaveBeenApplied = attempt, true
			return nil, apiErr
		}

		switch out.class {
		case classOK, classEmpty:
			ans.attempts = attempt
			return ans, nil
		case classFinal, classMalformed:
			apiErr.Attempts = attempt
			if re, ok := c.cfg.Auth.(Reauthorizer); ok && !reauthorized && apiErr.refusesCredentials() {
				// Gong may revoke an access token before it expires: renew it once, and
				// fail only if the fresh one is refused too.
				reauthorized = true
				if err := re.Reauthorize(ctx, req); err != nil {
					return nil, fmt.Errorf("%w; renewing the credentials failed too: %w", apiErr, err)
				}
				c.log.Info().Str("endpoint", r.endpoint).Str("request_id", apiErr.RequestID).
					Msg("Gong refused the access token; renewed it, trying once more")
				continue
			}
			return nil, apiErr
		}

		// classRetry
		delay := backoff(attempt, c.cfg.RetryBaseDelay, c.cfg.RetryMaxDelay, c.jitter)
		if apiErr.Status == http.StatusTooManyRequests {
			if ra, ok := parseRetryAfter(out.header, time.Now()); ok {
				if ra > c.cfg.MaxRetryAfter {
					return nil, &QuotaError{
						Until:     time.Now().Add(ra),
						Reason:    fmt.Sprintf("Gong answered 429 with Retry-After %s (more than the %s the client waits)", ra, c.cfg.MaxRetryAfter),
						RequestID: apiErr.RequestID,
						Endpoint:  r.endpoint,
					}
				}
				delay = ra
			}
		}
		if attempt > c.cfg.MaxRetries {
			apiErr.Attempts = attempt
			return nil, apiErr
		}
		c.log.Warn().
			Str("endpoint", r.endpoint).
			Int("status", apiErr.Status).
			Int("attempt", attempt).
			Str("request_id", apiErr.RequestID).
			Dur("delay", delay).
			Str("error", apiErr.Error()).
			Msg("gong request failed, retrying")
		if err := sleep(ctx, delay); err != nil {
			return nil, c.stopped(ctx, r, err)
		}
	}
}

// refund gives back the slot of an attempt that never reached Gong. It runs even when
// the caller has given up (that is often why nothing was sent); a refund that fails
// leaves the request counted, which errs on the safe side of the budget.
func (c *Client) refund(ctx context.Context, r *request, slot Slot) {
	if slot.Refund == nil {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := slot.Refund(rctx); err != nil {
		c.log.Warn().Err(err).Str("endpoint", r.endpoint).
			Msg("could not give back the budget slot of a request that never reached Gong; it stays counted")
	}
}

// stopped wraps the caller's cancellation with the endpoint.
func (c *Client) stopped(ctx context.Context, r *request, err error) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(err, cause) {
		err = fmt.Errorf("%w (%w)", err, cause)
	}
	return fmt.Errorf("gongapi: %s: %w", r.endpoint, err)
}

// budgetError turns a Budget's refusal into a *QuotaError for the endpoint, keeping a
// QuotaError the Budget returned (its Until in particular), and wraps its failures.
func budgetError(endpoint string, err error) error {
	var qe *QuotaError
	switch {
	case errors.As(err, &qe):
		out := *qe
		if out.Endpoint == "" {
			out.Endpoint = endpoint
		}
		return &out
	case errors.Is(err, ErrQuotaExhausted):
		return &QuotaError{Reason: "the request budget refused the request", Endpoint: endpoint, Err: err}
	default:
		return fmt.Errorf("gongapi: %s: request budget: %w", endpoint, err)
	}
}

func (c *Client) observe(r *request, attempt int, d time.Duration, out outcome) {
	status, reqID := 0, ""
	var err error
	if out.ans != nil {
		status, reqID = out.ans.status, out.ans.requestID
	} else if out.err != nil {
		status, reqID, err = out.err.Status, out.err.RequestID, out.err
	}
	c.log.Debug().
		Str("endpoint", r.endpoint).
		Int("status", status).
		Int("attempt", attempt).
		Dur("duration", d).
		Str("request_id", reqID).
		Msg("gong request")
	if c.cfg.Observer != nil {
		c.cfg.Observer(RequestEvent{Endpoint: r.endpoint, Status: status, Duration: d, Attempt: attempt, Err: err, RequestID: reqID})
	}
}

// outcome is what one attempt came to: an answer, or an error and the headers of the
// answer that caused it (the retry decision reads Retry-After).
type outcome struct {
	ans    *answer
	err    *APIError
	header http.Header
	class  answerClass
	// unsent: the attempt failed before the transport finished writing it (DNS, dial,
	// TLS, a connection lost or a caller who gave up before the request was written
	// whole), so Gong cannot have acted on it.
	unsent bool
}

// mayHaveApplied reports whether an attempt that failed may still have been carried
// out by Gong: it reached Gong, and what came back is not a refusal Gong makes before
// acting. A 429 is such a refusal (the limits are checked first), as are the other 4xx;
// a 5xx, a lost or cut answer, or a 2xx whose body cannot be read are not.
func (o outcome) mayHaveApplied() bool {
	switch {
	case o.err == nil || o.unsent:
		return false
	case o.err.Status == http.StatusTooManyRequests:
		return false
	case o.err.Status >= 400 && o.err.Status < 500:
		return false
	}
	return true
}

// attempt sends the request once and reads the whole answer within RequestTimeout.
func (c *Client) attempt(ctx context.Context, req *http.Request, r *request) outcome {
	actx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	// Gong can act only on a request it received whole: until the transport says the
	// request is written, nothing left. Having a connection is not enough: a reused
	// HTTP/1 connection or an HTTP/2 one at its stream limit is had before anything
	// is written, and a caller who gives up then sends nothing.
	var written atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			written.Store(true)
		}
	}})
	req = req.WithContext(actx)

	netErr := func(err error) outcome {
		detail := ""
		if actx.Err() != nil && ctx.Err() == nil {
			detail = fmt.Sprintf("no complete answer within %s", c.cfg.RequestTimeout)
		}
		// url.Error repeats the whole URL; the endpoint already says where.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return outcome{err: &APIError{Class: ClassNetwork, Endpoint: r.endpoint, Detail: detail, Err: err}, class: classRetry,
			unsent: !written.Load()}
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return netErr(err)
	}
	defer resp.Body.Close()

	limit := c.cfg.MaxBodyBytes
	if resp.ContentLength > limit {
		return c.tooLarge(r, resp, resp.ContentLength)
	}
	buf := getBuffer()
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1)); err != nil {
		putBuffer(buf)
		// The answer was cut off, but its headers arrived: keep Gong's requestId.
		out := netErr(err)
		out.err.Status, out.err.RequestID = resp.StatusCode, resp.Header.Get("x-traceid")
		return out
	}
	if int64(buf.Len()) > limit {
		putBuffer(buf)
		return c.tooLarge(r, resp, -1)
	}

	class, apiErr := classify(r.endpoint, resp.StatusCode, resp.Header, buf.Bytes())
	switch class {
	case classOK, classEmpty:
		ans := &answer{status: resp.StatusCode, header: resp.Header, body: buf, empty: class == classEmpty}
		if apiErr != nil {
			ans.requestID = apiErr.RequestID
		} else {
			ans.requestID = resp.Header.Get("x-traceid")
		}
		return outcome{ans: ans, class: class}
	default:
		putBuffer(buf)
		return outcome{err: apiErr, header: resp.Header, class: class}
	}
}

func (c *Client) tooLarge(r *request, resp *http.Response, size int64) outcome {
	detail := fmt.Sprintf("more than the %d bytes allowed", c.cfg.MaxBodyBytes)
	if size > 0 {
		detail = fmt.Sprintf("%d bytes, more than the %d allowed", size, c.cfg.MaxBodyBytes)
	}
	return outcome{err: &APIError{
		Class: ClassBodyTooLarge, Endpoint: r.endpoint, Status: resp.StatusCode,
		RequestID: resp.Header.Get("x-traceid"), Detail: detail,
	}, header: resp.Header, class: classFinal}
}

// newHTTPRequest builds one attempt's request: base URL (the Authorizer's, if it has
// one), headers, credentials.
func (c *Client) newHTTPRequest(ctx context.Context, r *request) (*http.Request, error) {
	base := c.base
	if p, ok := c.cfg.Auth.(BaseURLProvider); ok {
		s, err := p.APIBaseURL(ctx)
		if err != nil {
			return nil, fmt.Errorf("API base URL: %w", err)
		}
		if base, err = parseBaseURL(s); err != nil {
			return nil, err
		}
	}
	u := *base
	// r.path is escaped: it goes on the wire as it is (an id "a/b" stays "a%2Fb", not a
	// second path segment), and Path holds its unescaped reading.
	u.RawPath = base.EscapedPath() + r.path
	path, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, fmt.Errorf("path %q: %w", r.path, err)
	}
	u.Path = path
	if len(r.query) > 0 {
		u.RawQuery = r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.form != nil {
		// A fresh body for every attempt: the files are opened again, not buffered.
		req.Body, req.ContentLength = r.form.body(), r.form.size
		req.Header.Set("Content-Type", r.form.contentType)
	}
	if err := c.cfg.Auth.Authorize(ctx, req); err != nil {
		return nil, fmt.Errorf("authorize: %w", err)
	}
	return req, nil
}

// Answers are read into pooled buffers: a sync reads pages of a megabyte or more
// several times a second, and reusing the buffers keeps that off the garbage collector.
// Buffers that grew past maxPooledBuffer are dropped rather than kept forever.
const maxPooledBuffer = 8 << 20

var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer {
	b := bufferPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		bufferPool.Put(b)
	}
}
