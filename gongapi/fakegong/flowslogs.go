package fakegong

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Engage flows and the audit logs. Flows: a few company flows everyone sees, and the
// personal flows of about a third of the active users, some shared with colleagues
// of their workspace; GET /v2/flows answers per user (flowOwnerEmail). Logs: the five
// log types of GET /v2/logs, spread over the dataset's time: sign-ins and actions of
// the users, plays of the dataset's calls by users of their workspace, and calls
// shared outside the company opened and played by their recipients.

// ---- records ----

// Flow is one Engage flow (the schema PublicApiFlow).
type Flow struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	FolderID     string    `json:"folderId"`
	FolderName   string    `json:"folderName"`
	Visibility   string    `json:"visibility"`
	CreationDate time.Time `json:"creationDate"`
	Exclusive    bool      `json:"exclusive"`
}

// LogEntry is one log record (the schema logEntry), as the fake generates it; the
// type-specific fields are LogRecord's.
type LogEntry struct {
	LogType          string
	UserID           string // "" for an external viewer
	UserEmailAddress string
	UserFullName     string
	Impersonator     string // the impersonating user's id, "" for none
	EventTime        time.Time
	LogRecord        map[string]string
}

// ---- the dataset's part ----

// flowDef is one flow and who sees it.
type flowDef struct {
	def     Flow
	owner   int32   // index into Dataset.users; -1 for a company flow
	shared  []int32 // the users a Shared flow is shared with
	created int64
	removed int64 // gone from this virtual time on; 0 = never
}

// logRecord is one generated log record; its JSON is made when served.
type logRecord struct {
	typ   uint8 // index into logTypes
	at    int64
	user  int32 // index into Dataset.users; -1 for an external viewer
	call  int32 // index into Dataset.calls; -1 for none
	ext   int32 // which external viewer of the call, for the shared types
	imper int32 // the impersonating user; -1 for none
	what  uint8 // which action or sign-in method
}

// logTypes are GET /v2/logs's log types, in the order of Gong's document.
var logTypes = []string{"AccessLog", "UserActivityLog", "UserCallPlay", "ExternallySharedCallAccess", "ExternallySharedCallPlay"}

const (
	logAccess = iota
	logActivity
	logCallPlay
	logSharedAccess
	logSharedPlay
)

var flowNames = []string{"Inbound follow-up", "Event attendees", "Trial nurture", "Closed-lost revival", "Champion change",
	"Webinar no-shows", "Cold outreach", "Renewal reminder", "Pricing page visitors", "Executive intro"}

var flowFolders = []string{"Prospecting", "Customer success", "Events", "My flows"}

var logActions = []string{"Viewed call", "Shared call internally", "Exported report", "Changed settings", "Created scorecard", "Viewed deal"}

var loginMethods = []string{"SSO", "Google", "Password", "Microsoft"}

// genFlows makes the company's flows and the personal ones of about a third of the
// active users. It draws from a stream of its own, so the rest is what it was.
func (d *Dataset) genFlows(o Options) {
	r := newRNG(d.seed, 0, streamFlows)
	folderIDs := make([]string, len(flowFolders))
	for i := range folderIDs {
		folderIDs[i] = strconv.FormatUint(d.newID(&r), 10)
	}
	add := func(owner int32, visibility string, folder int) {
		f := flowDef{owner: owner, created: o.From.Add(-time.Duration(r.uniform(1, 300) * float64(24*time.Hour))).Truncate(time.Second).UnixNano()}
		f.def = Flow{ID: strconv.FormatUint(d.newID(&r), 10), Name: pick(&r, flowNames), FolderID: folderIDs[folder],
			FolderName: flowFolders[folder], Visibility: visibility, Exclusive: r.chance(0.3)}
		if visibility == "Shared" {
			pool := d.wsUsers[d.users[owner].ws]
			for range r.between(1, 2) {
				if u := pool[r.intn(len(pool))]; u != owner && !slices.Contains(f.shared, u) {
					f.shared = append(f.shared, u)
				}
			}
		}
		d.flows = append(d.flows, f)
	}
	for range r.between(3, 5) {
		add(-1, "Company", r.intn(len(flowFolders)-1))
	}
	for i := range d.users {
		u := &d.users[i]
		if u.avatar || u.u.Active == nil || !*u.u.Active || u.u.EmailAddress == nil || !r.chance(0.33) {
			continue
		}
		for range r.between(1, 3) {
			vis := "Personal"
			if r.chance(0.3) {
				vis = "Shared"
			}
			add(int32(i), vis, len(flowFolders)-1)
		}
	}
}

// genLogs makes the log records of the dataset's time: each user signs in every few
// days and does something in Gong about weekly; about a third of the calls are played
// by one to three users of their workspace after Gong processed them; about one in
// thirty is shared outside the company, opened and played by its recipients.
func (d *Dataset) genLogs(o Options) {
	r := newRNG(d.seed, 0, streamLogs)
	from, to := o.From.UnixNano(), o.To.UnixNano()
	day := int64(24 * time.Hour)
	for i := range d.users {
		u := &d.users[i]
		if u.avatar {
			continue
		}
		for t := from + int64(r.uniform(0, 5)*float64(day)); t < to; t += int64(r.uniform(1, 9) * float64(day)) {
			rec := logRecord{typ: logAccess, at: t, user: int32(i), call: -1, imper: -1, what: uint8(r.intn(len(loginMethods)))}
			if r.chance(0.02) {
				rec.imper = int32(r.intn(len(d.users)))
			}
			d.logs = append(d.logs, rec)
		}
		for t := from + int64(r.uniform(0, 7)*float64(day)); t < to; t += int64(r.uniform(3, 11) * float64(day)) {
			d.logs = append(d.logs, logRecord{typ: logActivity, at: t, user: int32(i), call: -1, imper: -1, what: uint8(r.intn(len(logActions)))})
		}
	}
	for i := range d.calls {
		m := &d.calls[i]
		pool := d.wsUsers[m.ws]
		if len(pool) == 0 {
			continue
		}
		if r.chance(0.33) {
			for range r.between(1, 3) {
				d.logs = append(d.logs, logRecord{typ: logCallPlay, at: m.processed + int64(r.uniform(1, 20*24)*float64(time.Hour)),
					user: pool[r.intn(len(pool))], call: int32(i), imper: -1})
			}
		}
		if r.chance(0.03) {
			opened := m.processed + int64(r.uniform(2, 72)*float64(time.Hour))
			viewers := r.between(1, 2)
			for v := range viewers {
				at := opened + int64(v)*int64(time.Hour)
				d.logs = append(d.logs, logRecord{typ: logSharedAccess, at: at, user: -1, call: int32(i), ext: int32(v), imper: -1})
				if r.chance(0.7) {
					d.logs = append(d.logs, logRecord{typ: logSharedPlay, at: at + int64(r.uniform(1, 30)*float64(time.Minute)),
						user: -1, call: int32(i), ext: int32(v), imper: -1})
				}
			}
		}
	}
	// Whole seconds, as Gong's eventTime is written; then in the order GET /v2/logs
	// serves them.
	for i := range d.logs {
		d.logs[i].at = d.logs[i].at / int64(time.Second) * int64(time.Second)
	}
	slices.SortStableFunc(d.logs, func(a, b logRecord) int {
		return cmp.Or(cmp.Compare(a.typ, b.typ), cmp.Compare(a.at, b.at))
	})
}

// flowVisible says whether flow i exists at now. The caller holds d.mu.
func (d *Dataset) flowVisible(i int, now int64) bool {
	f := &d.flows[i]
	return f.created <= now && (f.removed == 0 || now < f.removed)
}

// FlowsAt returns what GET /v2/flows?flowOwnerEmail= answers at virtual time t: the
// company flows, and the user's personal flows and those shared with them, in id
// order; ok is false when no user listed then has that address.
func (d *Dataset) FlowsAt(t time.Time, email string) ([]Flow, bool) {
	now := t.UnixNano()
	d.mu.RLock()
	defer d.mu.RUnlock()
	u := slices.IndexFunc(d.users, func(u user) bool {
		return !u.avatar && u.listed(now) && u.u.EmailAddress != nil && *u.u.EmailAddress == email
	})
	if u < 0 {
		return nil, false
	}
	out := []Flow{}
	for i := range d.flows {
		f := &d.flows[i]
		if d.flowVisible(i, now) && (f.owner < 0 || f.owner == int32(u) || slices.Contains(f.shared, int32(u))) {
			def := f.def
			def.CreationDate = d.at(f.created)
			out = append(out, def)
		}
	}
	slices.SortFunc(out, func(a, b Flow) int { return compareIDs(a.ID, b.ID) })
	return out, true
}

// compareIDs orders numeric ids as numbers.
func compareIDs(a, b string) int { return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b)) }

// FlowIDs lists the ids of every flow, whatever the time, in the order they were made.
func (d *Dataset) FlowIDs() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]string, len(d.flows))
	for i := range d.flows {
		out[i] = d.flows[i].def.ID
	}
	return out
}

// RemoveFlow takes a flow away from virtual time at on (its owner deleted it).
func (d *Dataset) RemoveFlow(id string, at time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.IndexFunc(d.flows, func(f flowDef) bool { return f.def.ID == id })
	if i < 0 {
		return errNoSuch("flow", id)
	}
	flows := slices.Clone(d.flows) // readers may hold the old slice
	flows[i].removed = at.UnixNano()
	d.flows = flows
	return nil
}

// logRange returns the indices [lo, hi) of d.logs of type typ with an event time in
// [from, to).
func (d *Dataset) logRange(typ uint8, from, to int64) (lo, hi int) {
	key := func(r logRecord, t int64) int { return cmp.Or(cmp.Compare(r.typ, typ), cmp.Compare(r.at, t)) }
	lo, _ = slices.BinarySearchFunc(d.logs, from, key)
	hi, _ = slices.BinarySearchFunc(d.logs, to, key)
	return lo, hi
}

// LogsAt returns what GET /v2/logs answers at virtual time t for logType and
// [from, to), every page together, in the order they are served.
func (d *Dataset) LogsAt(t time.Time, logType string, from, to time.Time) []LogEntry {
	typ := slices.Index(logTypes, logType)
	if typ < 0 {
		return nil
	}
	lo, hi := d.logRange(uint8(typ), from.UnixNano(), min(to.UnixNano(), t.UnixNano()+1))
	out := make([]LogEntry, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, d.logEntry(&d.logs[i]))
	}
	return out
}

// logEntry is a generated record as Gong sends it.
func (d *Dataset) logEntry(r *logRecord) LogEntry {
	e := LogEntry{LogType: logTypes[r.typ], EventTime: d.at(r.at), LogRecord: map[string]string{}}
	if r.user >= 0 {
		u := &d.users[r.user].u
		e.UserID = u.ID
		if u.EmailAddress != nil {
			e.UserEmailAddress = *u.EmailAddress
		}
		if u.FirstName != nil && u.LastName != nil {
			e.UserFullName = *u.FirstName + " " + *u.LastName
		}
	}
	if r.imper >= 0 {
		e.Impersonator = d.users[r.imper].u.ID
	}
	var callID string
	if r.call >= 0 {
		callID = strconv.FormatUint(d.calls[r.call].id, 10)
	}
	switch r.typ {
	case logAccess:
		e.LogRecord["loginMethod"] = loginMethods[r.what]
		e.LogRecord["ipAddress"] = fmt.Sprintf("203.0.113.%d", 1+r.user%250)
	case logActivity:
		e.LogRecord["action"] = logActions[r.what]
	case logCallPlay:
		e.LogRecord["callId"] = callID
	case logSharedAccess, logSharedPlay:
		e.LogRecord["callId"] = callID
		e.UserEmailAddress = fmt.Sprintf("viewer%d.%s@customer.example", r.ext+1, callID[len(callID)-4:])
		m := &d.calls[r.call]
		e.LogRecord["sharedByUserId"] = d.users[m.host].u.ID
	}
	return e
}

// ---- serving ----

// logsQuery is what a GET /v2/logs request selects; its hash binds a cursor to it.
type logsQuery struct {
	typ      uint8
	from, to int64
}

func (q *logsQuery) hash() uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "logs|%d|%d|%d", q.typ, q.from, q.to)
	return h.Sum64()
}

func (s *Server) handleFlows(x *exchange) {
	v := x.r.URL.Query()
	email := v.Get("flowOwnerEmail")
	if email == "" {
		x.answerError(badRequest("flowOwnerEmail is required"))
		return
	}
	now := s.clock.Now().UnixNano()
	h := fnv.New64a()
	fmt.Fprintf(h, "flows|%s|%s", email, v.Get("workspaceId"))
	qh := h.Sum64()
	after, err := s.resolveCursor(v.Get("cursor"), qh, now)
	if err != nil {
		x.answerError(err)
		return
	}
	flows, ok := s.data.FlowsAt(s.clock.Now(), email)
	if !ok {
		x.answerError(badRequest("No Gong user with the email address " + email))
		return
	}
	// The cursor holds the last id served: a flow added or removed between pages
	// shifts nothing.
	start := 0
	if after != nil {
		last := strconv.FormatUint(after.lastID, 10)
		for start < len(flows) && compareIDs(flows[start].ID, last) <= 0 {
			start++
		}
	}
	end := min(len(flows), start+pageSize)
	var lastID uint64
	if end > start {
		lastID, _ = strconv.ParseUint(flows[end-1].ID, 10, 64)
	}
	rec := s.records(qh, now, after, end-start, len(flows), end < len(flows), 0, lastID)
	e := s.enc(x)
	e.requestID(x.id)
	e.records(rec)
	e.b = append(e.b, `,"flows":[`...)
	for i, f := range flows[start:end] {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.flow(&f)
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

func (s *Server) handleLogs(x *exchange) {
	v := x.r.URL.Query()
	typ := slices.Index(logTypes, v.Get("logType"))
	if typ < 0 {
		x.answerError(badRequest(fmt.Sprintf("Invalid logType %q", v.Get("logType"))))
		return
	}
	if v.Get("fromDateTime") == "" {
		x.answerError(badRequest("fromDateTime is required"))
		return
	}
	q := logsQuery{typ: uint8(typ), to: 1<<63 - 1}
	var err error
	if q.from, err = parseTime("fromDateTime", v.Get("fromDateTime")); err != nil {
		x.answerError(err)
		return
	}
	if t := v.Get("toDateTime"); t != "" {
		if q.to, err = parseTime("toDateTime", t); err != nil {
			x.answerError(err)
			return
		}
	}
	now := s.clock.Now().UnixNano()
	qh := q.hash()
	after, err := s.resolveCursor(v.Get("cursor"), qh, now)
	if err != nil {
		x.answerError(err)
		return
	}
	s.data.mu.RLock()
	logs := s.data.logs
	s.data.mu.RUnlock()
	lo, hi := s.data.logRange(q.typ, q.from, min(q.to, now+1))
	start := lo
	if after != nil {
		start = max(lo, int(after.lastID))
	}
	if start >= hi {
		x.fail(http.StatusNotFound, "No logs found for the specified period")
		return
	}
	end := min(hi, start+pageSize)
	// Log records never change once made: the cursor holds the position after the
	// page's last.
	rec := s.records(qh, now, after, end-start, hi-lo, end < hi, 0, uint64(end))
	e := s.enc(x)
	e.requestID(x.id)
	e.records(rec)
	e.b = append(e.b, `,"logEntries":[`...)
	for i := start; i < end; i++ {
		if i > start {
			e.b = append(e.b, ',')
		}
		le := s.data.logEntry(&logs[i])
		e.logEntry(&le)
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

// ---- encoding ----

func (e *enc) flow(f *Flow) {
	e.b = append(e.b, `{"id":`...)
	e.id(f.ID)
	e.b = append(e.b, `,"name":`...)
	e.str(f.Name)
	e.b = append(e.b, `,"folderId":`...)
	e.id(f.FolderID)
	e.b = append(e.b, `,"folderName":`...)
	e.str(f.FolderName)
	e.b = append(e.b, `,"visibility":`...)
	e.str(f.Visibility)
	e.b = append(e.b, `,"creationDate":`...)
	e.time(f.CreationDate)
	e.b = append(e.b, `,"exclusive":`...)
	e.bool(f.Exclusive)
	e.b = append(e.b, '}')
}

// A log record's absent user (an external viewer has only an address) and absent
// impersonator are left out; its logRecord's fields are in name order.
func (e *enc) logEntry(l *LogEntry) {
	e.b = append(e.b, '{')
	if l.UserID != "" {
		e.b = append(e.b, `"userId":`...)
		e.id(l.UserID)
		e.b = append(e.b, ',')
	}
	if l.UserEmailAddress != "" {
		e.b = append(e.b, `"userEmailAddress":`...)
		e.str(l.UserEmailAddress)
		e.b = append(e.b, ',')
	}
	if l.UserFullName != "" {
		e.b = append(e.b, `"userFullName":`...)
		e.str(l.UserFullName)
		e.b = append(e.b, ',')
	}
	if l.Impersonator != "" {
		e.b = append(e.b, `"impersonatorUserId":`...)
		e.id(l.Impersonator)
		e.b = append(e.b, `,"impersonatorCompanyId":"1"`...)
		e.b = append(e.b, ',')
	}
	e.b = append(e.b, `"eventTime":`...)
	e.time(l.EventTime)
	e.b = append(e.b, `,"logRecord":{`...)
	keys := make([]string, 0, len(l.LogRecord))
	for k := range l.LogRecord {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.str(k)
		e.b = append(e.b, ':')
		e.str(l.LogRecord[k])
	}
	e.b = append(e.b, "}}"...)
}
