package fakegong

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/internal/b64"
)

// Server is a simulated Gong API. It is an http.Handler, so httptest.NewServer(s)
// works; Serve runs it on a listener for `gongsync fake-gong`.
type Server struct {
	opts  Options
	data  *Dataset
	clock *Clock
	log   zerolog.Logger
	key   []byte // signs cursors

	faultMu sync.Mutex
	oddSent [][]byte // the odd records sent (Faults.OddRecords), under faultMu
	faults  Faults
	frand   rng

	limiter *bucket // nil when RateLimit is 0
	quota   *daily  // nil when DailyLimit is 0

	stats  statsRecorder
	reqSeq atomic.Uint64
	bufs   sync.Pool // *[]byte page buffers

	oauth   oauthState // the OAuth endpoints' codes and tokens (oauth.go)
	webhook webhookKey // the key webhooks are signed with (webhook.go)
	writes  writes     // what the write endpoints changed (actions.go)
}

// New generates the dataset and returns a server ready to answer.
func New(opts Options) (*Server, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:  o,
		data:  newDataset(o),
		clock: o.Clock,
		log:   o.Logger,
		key:   cursorKey(o.Seed),
		faults: Faults{
			Latency: o.Latency, FailRate: o.FailRate, OmitRetryAfter: o.OmitRetryAfter,
		},
		frand: newRNG(uint64(o.Seed), 0, 0xfa),
	}
	if o.RateLimit > 0 {
		s.limiter = newBucket(o.RateLimit)
	}
	if o.DailyLimit > 0 {
		s.quota = &daily{limit: o.DailyLimit}
	}
	s.oauth.withheld = append([]string(nil), o.WithheldScopes...)
	s.stats.s = newStats()
	return s, nil
}

// Serve answers on ln until ctx is cancelled, then shuts down, giving requests in
// flight five seconds to finish. Requests held by a timeout fault end with ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	done := make(chan error, 1)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		done <- hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-done
}

// Clock returns the clock that drives visibility, cursor expiry and the daily quota.
func (s *Server) Clock() *Clock { return s.clock }

// Dataset returns what the fake Gong holds, for tests to compare with.
func (s *Server) Dataset() *Dataset { return s.data }

// Options returns the options in force, defaults filled in (the CLI prints them).
func (s *Server) Options() Options { return s.opts }

// SetFaults replaces the injected faults (and restarts the fault script).
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	f.Script = append([]Fault(nil), f.Script...)
	f.OddRecords = append([]string(nil), f.OddRecords...)
	s.faults = f
	return nil
}

// Faults returns the faults in force, with what remains of the script.
func (s *Server) Faults() Faults {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	f := s.faults
	f.Script = append([]Fault(nil), f.Script...)
	return f
}

// oddPage gives body an odd record when Faults.OddRecords names the endpoint.
func (s *Server) oddPage(endpoint string, body []byte) []byte {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if !slices.Contains(s.faults.OddRecords, endpoint) {
		return body
	}
	out, rec := makeOdd(endpoint, body)
	if rec != nil {
		s.oddSent = append(s.oddSent, rec)
	}
	return out
}

// OddRecordsSent returns every odd record the fake has sent (Faults.OddRecords), in
// order, exactly as it sent them.
func (s *Server) OddRecordsSent() [][]byte {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return slices.Clone(s.oddSent)
}

// Stats returns the counters since the start or the last ResetStats.
func (s *Server) Stats() Stats {
	st := s.stats.snapshot()
	if s.quota != nil {
		st.DailyUsed = s.quota.usedToday(s.clock.Now())
	}
	return st
}

// ResetStats zeroes the counters (not the daily quota, which is Gong's, not ours).
func (s *Server) ResetStats() { s.stats.reset() }

// drawFault takes the next scripted fault or draws one from the rates.
func (s *Server) drawFault() (Fault, Faults) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	f := s.faults
	if len(s.faults.Script) > 0 {
		next := s.faults.Script[0]
		s.faults.Script = s.faults.Script[1:]
		return next, f
	}
	return f.pick(s.frand.float()), f
}

func (s *Server) currentFaults() Faults {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.faults
}

// requestID makes a Gong-style request id: 19 lowercase letters and digits.
func (s *Server) requestID() string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	n := s.reqSeq.Add(1)
	a, b := mix64(uint64(s.opts.Seed)^n*0x9e3779b97f4a7c15), mix64(n^0x5deece66d)
	var out [19]byte
	for i := range out {
		if i == 10 {
			a = b
		}
		out[i] = alphabet[a%36]
		a /= 36
	}
	return string(out[:])
}

// route is one API endpoint: its handler and the OAuth scope Gong's API document
// names for it.
type route struct {
	handler func(s *Server, x *exchange)
	scope   string
}

// routes are the endpoints the fake serves, by path and method. A path with an {id}
// segment is matched by idRoutes.
var routes = map[string]map[string]route{
	"/v2/users":             {http.MethodGet: {(*Server).handleUsers, "api:users:read"}},
	"/v2/users/extensive":   {http.MethodPost: {(*Server).handleUsersExtensive, "api:users:read"}},
	"/v2/workspaces":        {http.MethodGet: {(*Server).handleWorkspaces, "api:workspaces:read"}},
	"/v2/settings/trackers": {http.MethodGet: {(*Server).handleTrackers, "api:settings:trackers:read"}},
	"/v2/calls": {
		http.MethodGet:  {(*Server).handleCalls, "api:calls:read:basic"},
		http.MethodPost: {(*Server).handleAddCall, "api:calls:create"},
	},
	"/v2/calls/extensive":  {http.MethodPost: {(*Server).handleCallsExtensive, "api:calls:read:extensive"}},
	"/v2/calls/transcript": {http.MethodPost: {(*Server).handleTranscripts, "api:calls:read:transcript"}},
	"/v2/calls/users-access": {
		http.MethodPut:    {(*Server).handleAddUsersAccess, "api:call-user-access:write"},
		http.MethodPost:   {(*Server).handleGetUsersAccess, "api:call-user-access:read"},
		http.MethodDelete: {(*Server).handleDeleteUsersAccess, "api:call-user-access:write"},
	},
	"/v2/data-privacy/data-for-email-address":       {http.MethodGet: {(*Server).handleEmailReferences, "api:data-privacy:read"}},
	"/v2/data-privacy/data-for-phone-number":        {http.MethodGet: {(*Server).handlePhoneReferences, "api:data-privacy:read"}},
	"/v2/data-privacy/erase-data-for-email-address": {http.MethodPost: {(*Server).handleEraseEmail, "api:data-privacy:delete"}},
	"/v2/data-privacy/erase-data-for-phone-number":  {http.MethodPost: {(*Server).handleErasePhone, "api:data-privacy:delete"}},

	"/v2/settings/scorecards":       {http.MethodGet: {(*Server).handleScorecards, "api:settings:scorecards:read"}},
	"/v2/stats/activity/scorecards": {http.MethodPost: {(*Server).handleAnsweredScorecards, "api:stats:scorecards"}},

	"/v2/stats/activity/day-by-day": {http.MethodPost: {(*Server).handleUserActivity, "api:stats:user-actions:detailed"}},
	"/v2/stats/interaction":         {http.MethodPost: {(*Server).handleInteractionStats, "api:stats:interaction"}},
	"/v2/library/folders":           {http.MethodGet: {(*Server).handleLibraryFolders, "api:library:read"}},
	"/v2/library/folder-content":    {http.MethodGet: {(*Server).handleLibraryFolderContent, "api:library:read"}},
	// /v2/call-outcomes is not in Gong's document, which so names no scope for it.
	"/v2/call-outcomes": {http.MethodGet: {(*Server).handleCallOutcomes, ""}},
	"/v2/flows":         {http.MethodGet: {(*Server).handleFlows, "api:flows:read"}},
	"/v2/logs":          {http.MethodGet: {(*Server).handleLogs, "api:logs:read"}},
	// Issue 26's streams. Gong's document names no scope for the permission profiles'
	// list; its users' list asks api:users:read.
	"/v2/all-permission-profiles":       {http.MethodGet: {(*Server).handlePermissionProfiles, ""}},
	"/v2/permission-profile/users":      {http.MethodGet: {(*Server).handlePermissionProfileUsers, "api:users:read"}},
	"/v2/crm/integrations":              {http.MethodGet: {(*Server).handleCrmIntegrations, "api:crm:integrations:read"}},
	"/v2/crm/entity-schema":             {http.MethodGet: {(*Server).handleCrmEntitySchema, "api:crm:schema"}},
	"/v2/calls/manual-crm-associations": {http.MethodGet: {(*Server).handleManualAssociations, "api:crm-calls:manual-association:read"}},
}

// idRoutes are the endpoints whose last path segment is an id, by the path before it.
var idRoutes = map[string]map[string]route{
	"/v2/calls/": {http.MethodGet: {(*Server).handleGetCall, "api:calls:read:basic"}},
}

// findRoute resolves a request's escaped path to its endpoint: the methods it takes,
// and the unescaped id for an {id} path. ok is false for a path the fake does not serve.
func findRoute(escaped string) (methods map[string]route, id string, ok bool) {
	path, err := url.PathUnescape(escaped)
	if err != nil {
		return nil, "", false
	}
	if m, ok := routes[path]; ok {
		return m, "", true
	}
	i := strings.LastIndexByte(escaped, '/')
	if m, ok := idRoutes[escaped[:i+1]]; ok && i+1 < len(escaped) {
		if id, err = url.PathUnescape(escaped[i+1:]); err == nil {
			return m, id, true
		}
	}
	return nil, "", false
}

// ServeHTTP answers one request the way Gong would: latency, authentication, the
// rate and daily limits, injected faults, then the endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_fake/") {
		s.control(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/oauth2/") {
		s.serveOAuth(w, r)
		return
	}
	// The company's own API host (OAuth's api_base_url_for_customer) serves the same
	// API under a prefix; stats and routes see the path without it. Routes read the
	// escaped path, so that an id "a/b" sent as "a%2Fb" stays one segment.
	escaped, customer := strings.CutPrefix(strings.TrimSuffix(r.URL.EscapedPath(), "/"), CustomerPathPrefix)
	path, _ := strings.CutPrefix(strings.TrimSuffix(r.URL.Path, "/"), CustomerPathPrefix)
	x := &exchange{s: s, w: w, r: r, id: s.requestID(), endpoint: r.Method + " " + escaped, start: time.Now()}
	s.stats.request(x.endpoint)
	methods, pathID, known := findRoute(escaped)
	rt, allowed := methods[r.Method]

	f := s.currentFaults()
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			x.gone()
			return
		}
	}
	if msg := s.authorize(r, customer); msg != "" {
		x.fail(http.StatusUnauthorized, msg)
		return
	}
	if scope := s.refusedScope(r, rt.scope); scope != "" {
		x.fail(http.StatusUnauthorized, "You don't have permission to use '"+scope+"' in your app.")
		return
	}
	if f.Forbidden {
		x.fault = Fault403
		s.stats.fault(Fault403)
		x.fail(http.StatusForbidden, "Access denied: this key may not call this API from this address")
		return
	}
	if s.limiter != nil {
		if ok, wait := s.limiter.take(time.Now()); !ok {
			x.tooMany(wait, f.OmitRetryAfter, "API request limit exceeded: too many requests per second")
			return
		}
	}
	if s.quota != nil {
		if ok, wait := s.quota.take(s.clock.Now()); !ok {
			x.tooMany(wait, f.OmitRetryAfter, "API request limit exceeded: daily quota exhausted")
			return
		}
	}
	fault, f := s.drawFault()
	if fault != FaultNone {
		s.stats.fault(fault)
	}
	if fault.replaces() {
		s.injected(x, fault, f)
		return
	}
	x.fault = fault

	switch {
	case !known:
		// Every other operation of Gong's API, and any path that is none.
		x.fail(http.StatusNotFound, "Not simulated: the fake Gong does not serve "+r.Method+" "+path)
	case !allowed:
		x.w.Header().Set("Allow", strings.Join(slices.Sorted(maps.Keys(methods)), ", "))
		x.fail(http.StatusMethodNotAllowed, "Request method '"+r.Method+"' is not supported")
	default:
		x.pathID = pathID
		rt.handler(s, x)
	}
}

// authorized checks the Basic credentials in constant time.
func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	const prefix = "Basic "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return false
	}
	raw, err := b64.Decode(base64.StdEncoding, strings.TrimSpace(h[len(prefix):]))
	if err != nil {
		return false
	}
	key, secret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return false
	}
	k := subtle.ConstantTimeCompare([]byte(key), []byte(s.opts.AccessKey))
	v := subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.AccessKeySecret))
	return k&v == 1
}

// injected answers with a fault that replaces the whole answer.
func (s *Server) injected(x *exchange, fault Fault, f Faults) {
	x.fault = fault
	switch fault {
	case Fault500:
		x.fail(http.StatusInternalServerError, "Internal server error")
	case Fault503:
		x.fail(http.StatusServiceUnavailable, "Service temporarily unavailable")
	case Fault502:
		x.send(http.StatusBadGateway, "text/html", []byte(badGatewayPage))
	case Fault403:
		x.fail(http.StatusForbidden, "Access denied: this key may not call this API from this address")
	case Fault429:
		wait := f.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		x.tooMany(wait, f.OmitRetryAfter, "API request limit exceeded")
	case FaultTimeout:
		hang := f.Hang
		if hang <= 0 {
			hang = 2 * time.Minute
		}
		t := time.NewTimer(hang)
		defer t.Stop()
		select {
		case <-t.C:
		case <-x.r.Context().Done():
		}
		x.gone()
		panic(http.ErrAbortHandler) // close the connection without an answer
	}
}

const badGatewayPage = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"

const htmlPage = "<!DOCTYPE html><html><head><title>Gong</title></head><body><h1>We'll be right back</h1><p>Gong is undergoing maintenance.</p></body></html>"

// exchange is one API request being answered.
type exchange struct {
	s        *Server
	w        http.ResponseWriter
	r        *http.Request
	id       string
	endpoint string
	start    time.Time
	fault    Fault // a fault that spoils the computed answer, if any
	page     *[]byte
	pathID   string // the {id} of an id route, unescaped
}

// gone records a request that got no answer.
func (x *exchange) gone() {
	x.s.stats.status(0)
	x.logLine(0)
}

// fail answers with Gong's error body.
func (x *exchange) fail(status int, msgs ...string) {
	e := enc{b: x.buf()}
	e.errorBody(x.id, msgs)
	x.sendJSON(status, e.b)
}

// tooMany answers 429, with Retry-After in whole seconds unless told to leave it out.
func (x *exchange) tooMany(wait time.Duration, omit bool, msg string) {
	if !omit {
		x.w.Header().Set("Retry-After", strconv.FormatInt(retryAfterSeconds(wait), 10))
	}
	x.fail(http.StatusTooManyRequests, msg)
}

// buf lends a buffer for the answer; send returns it.
func (x *exchange) buf() []byte {
	if x.page == nil {
		if p, ok := x.s.bufs.Get().(*[]byte); ok {
			x.page = p
		} else {
			b := make([]byte, 0, 64<<10)
			x.page = &b
		}
	}
	return (*x.page)[:0]
}

const jsonContentType = "application/json;charset=UTF-8"

func (x *exchange) sendJSON(status int, body []byte) {
	x.send(status, jsonContentType, body)
}

// send writes the answer, spoiled by the exchange's fault if it has one.
func (x *exchange) send(status int, contentType string, body []byte) {
	defer x.release(body)
	if status == http.StatusOK {
		body = x.s.oddPage(x.endpoint, body)
	}
	h := x.w.Header()
	h.Set("x-traceid", x.id)
	switch x.fault {
	case FaultMalformed:
		// A complete answer that is not JSON: the closing brace replaced by a
		// dangling key.
		if n := len(body); n > 0 {
			body = append(body[:n-1], `,"`...)
		}
	case FaultHTML:
		status, contentType, body = http.StatusOK, "text/html;charset=UTF-8", []byte(htmlPage)
	case FaultEmpty:
		status, body = http.StatusOK, nil
	case FaultContentType:
		contentType = "text/plain;charset=UTF-8"
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	x.w.WriteHeader(status)
	x.s.stats.status(status)
	x.logLine(status)
	if x.fault == FaultDrop {
		// Promise the whole body, send half, and hang up.
		x.w.Write(body[:len(body)/2])
		if fl, ok := x.w.(http.Flusher); ok {
			fl.Flush()
		}
		x.release(body)
		panic(http.ErrAbortHandler)
	}
	x.w.Write(body)
}

// release returns the page buffer to the pool, unless it grew huge.
func (x *exchange) release(body []byte) {
	if x.page == nil {
		return
	}
	if cap(body) >= cap(*x.page) && cap(body) <= 16<<20 {
		*x.page = body[:0]
		x.s.bufs.Put(x.page)
	}
	x.page = nil
}

func (x *exchange) logLine(status int) {
	ev := x.s.log.Debug()
	if !ev.Enabled() {
		return
	}
	ev = ev.Str("endpoint", x.endpoint).Int("status", status).Str("request_id", x.id).
		Dur("duration", time.Since(x.start))
	if x.fault != FaultNone {
		ev = ev.Str("fault", string(x.fault))
	}
	ev.Msg("fake gong request")
}
