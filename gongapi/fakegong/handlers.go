package fakegong

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"
)

// pageSize is Gong's fixed page size; there is no parameter to change it.
const pageSize = 100

// maxCallIDs is how many callIds one request may name.
const maxCallIDs = 100

// The empty answers. Clients must treat exactly these (and no other 404) as empty.
const (
	noCallsFound = "No calls found corresponding to the provided filters"
	noUsersFound = "No users found corresponding to the provided filters"
)

// Request bodies, mirroring Gong's schemas. They are decoded strictly: a field Gong
// does not know is a 400, which catches a cursor put inside the filter.

// bodyID is an id in a request body. Gong's schemas type ids as strings; the fake,
// like the Java server behind Gong, also takes a number (its digits) and null.
type bodyID string

// UnmarshalJSON accepts a JSON string, a JSON number or null.
func (id *bodyID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*id = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("id: %w", err)
		}
		*id = bodyID(s)
	case len(b) > 0 && (b[0] == '-' || '0' <= b[0] && b[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("id: %w", err)
		}
		*id = bodyID(n)
	default:
		return fmt.Errorf("id: want a string or a number, got %.20s", b)
	}
	return nil
}

type callsFilterBody struct {
	FromDateTime   *string  `json:"fromDateTime"`
	ToDateTime     *string  `json:"toDateTime"`
	WorkspaceID    *string  `json:"workspaceId"`
	CallIDs        []bodyID `json:"callIds"`
	PrimaryUserIDs []bodyID `json:"primaryUserIds"`
}

type transcriptFilterBody struct {
	FromDateTime *string  `json:"fromDateTime"`
	ToDateTime   *string  `json:"toDateTime"`
	WorkspaceID  *string  `json:"workspaceId"`
	CallIDs      []bodyID `json:"callIds"`
}

type extensiveBody struct {
	Cursor          *string              `json:"cursor"`
	Filter          *callsFilterBody     `json:"filter"`
	ContentSelector *contentSelectorBody `json:"contentSelector"`
}

type transcriptBody struct {
	Cursor *string               `json:"cursor"`
	Filter *transcriptFilterBody `json:"filter"`
}

type contentSelectorBody struct {
	Context       *string  `json:"context"`
	ContextTiming []string `json:"contextTiming"`
	ExposedFields *struct {
		Parties bool `json:"parties"`
		Content *struct {
			Structure          bool `json:"structure"`
			Topics             bool `json:"topics"`
			Trackers           bool `json:"trackers"`
			TrackerOccurrences bool `json:"trackerOccurrences"`
			PointsOfInterest   bool `json:"pointsOfInterest"` // removed by Gong in 2025; accepted, ignored
			Brief              bool `json:"brief"`
			Outline            bool `json:"outline"`
			Highlights         bool `json:"highlights"`
			CallOutcome        bool `json:"callOutcome"`
			KeyPoints          bool `json:"keyPoints"`
		} `json:"content"`
		Interaction *struct {
			Speakers               bool `json:"speakers"`
			Video                  bool `json:"video"`
			PersonInteractionStats bool `json:"personInteractionStats"`
			Questions              bool `json:"questions"`
		} `json:"interaction"`
		Collaboration *struct {
			PublicComments bool `json:"publicComments"`
		} `json:"collaboration"`
		Media bool `json:"media"`
	} `json:"exposedFields"`
}

type usersExtensiveBody struct {
	Cursor *string `json:"cursor"`
	Filter *struct {
		CreatedFromDateTime *string  `json:"createdFromDateTime"`
		CreatedToDateTime   *string  `json:"createdToDateTime"`
		IncludeAvatars      bool     `json:"includeAvatars"`
		UserIDs             []bodyID `json:"userIds"`
	} `json:"filter"`
}

// badRequest is a 400 with Gong's error body.
type badRequest string

// Error returns the text the 400 answer carries.
func (e badRequest) Error() string { return string(e) }

// decodeBody reads a JSON request body strictly.
func (x *exchange) decodeBody(v any) error {
	body, err := io.ReadAll(io.LimitReader(x.r.Body, 1<<20+1))
	if err != nil {
		return badRequest("could not read the request body")
	}
	if len(body) > 1<<20 {
		return badRequest("request body too large")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("Required request body is missing")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("JSON parse error: " + err.Error())
	}
	if dec.More() {
		return badRequest("JSON parse error: unexpected data after the request object")
	}
	return nil
}

// answerError turns a handler error into Gong's answer.
func (x *exchange) answerError(err error) {
	var br badRequest
	if errors.As(err, &br) {
		x.fail(http.StatusBadRequest, string(br))
		return
	}
	x.fail(http.StatusInternalServerError, "Internal server error")
}

// parseTime parses a filter bound: ISO-8601 with an offset, any fraction.
func parseTime(name, v string) (int64, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return 0, badRequest(fmt.Sprintf("Invalid %s %q: expected ISO-8601 such as 2018-02-18T02:30:00-07:00 or 2018-02-18T08:00:00Z", name, v))
	}
	return t.UnixNano(), nil
}

// callQuery is a parsed call filter.
type callQuery struct {
	endpoint    byte // for the cursor binding
	from, to    int64
	hasFrom     bool
	hasTo       bool
	ws          int32    // -1 any workspace; -2 a workspace that does not exist
	ids         []uint64 // nil: any call
	hosts       []int32  // nil: any host
	transcripts bool     // only calls whose transcript is available
	list        bool     // GET /v2/calls: filter and sort on the listing time
	sel         selection
}

func (d *Dataset) parseCallQuery(from, to, ws *string, ids, hosts []bodyID) (callQuery, error) {
	q := callQuery{ws: -1}
	var err error
	if from != nil && *from != "" {
		if q.from, err = parseTime("fromDateTime", *from); err != nil {
			return q, err
		}
		q.hasFrom = true
	}
	if to != nil && *to != "" {
		if q.to, err = parseTime("toDateTime", *to); err != nil {
			return q, err
		}
		q.hasTo = true
	}
	if q.hasFrom && q.hasTo && q.from > q.to {
		return q, badRequest("fromDateTime must not be after toDateTime")
	}
	if ws != nil && *ws != "" {
		q.ws = -2
		if n, err := strconv.ParseUint(*ws, 10, 64); err == nil {
			if i := slices.Index(d.wsIDs, n); i >= 0 {
				q.ws = int32(i)
			}
		}
	}
	if ids != nil {
		if len(ids) == 0 {
			return q, badRequest("callIds must not be an empty list")
		}
		if len(ids) > maxCallIDs {
			return q, badRequest(fmt.Sprintf("callIds may list at most %d calls, got %d", maxCallIDs, len(ids)))
		}
		q.ids = make([]uint64, 0, len(ids))
		for _, id := range ids {
			if n, err := strconv.ParseUint(string(id), 10, 64); err == nil {
				q.ids = append(q.ids, n)
			}
		}
		slices.Sort(q.ids)
		q.ids = slices.Compact(q.ids)
	}
	if hosts != nil {
		if len(hosts) == 0 {
			return q, badRequest("primaryUserIds must not be an empty list")
		}
		d.mu.RLock()
		for _, id := range hosts {
			if n, err := strconv.ParseUint(string(id), 10, 64); err == nil {
				if i, ok := d.userByID[n]; ok {
					q.hosts = append(q.hosts, i)
				}
			}
		}
		d.mu.RUnlock()
		if q.hosts == nil {
			q.hosts = []int32{} // users that do not exist host no calls
		}
		slices.Sort(q.hosts)
		q.hosts = slices.Compact(q.hosts)
	}
	return q, nil
}

// hash binds a cursor to everything in the request except the cursor.
func (q *callQuery) hash() uint64 {
	h := fnv.New64a()
	var b []byte
	b = append(b, q.endpoint, flag(q.hasFrom), flag(q.hasTo), flag(q.transcripts), flag(q.list))
	b = strconv.AppendInt(b, q.from, 10)
	b = append(b, '|')
	b = strconv.AppendInt(b, q.to, 10)
	b = append(b, '|')
	b = strconv.AppendInt(b, int64(q.ws), 10)
	b = append(b, '|')
	for _, id := range q.ids {
		b = strconv.AppendUint(b, id, 10)
		b = append(b, ',')
	}
	b = append(b, '|')
	if q.hosts != nil {
		b = append(b, 'h')
	}
	for _, u := range q.hosts {
		b = strconv.AppendInt(b, int64(u), 10)
		b = append(b, ',')
	}
	b = fmt.Appendf(b, "|%+v", q.sel)
	h.Write(b)
	return h.Sum64()
}

func flag(v bool) byte {
	if v {
		return '1'
	}
	return '0'
}

// matches reports whether a call answers the query at virtual time now.
func (q *callQuery) matches(m *callMeta, now int64) bool {
	if q.transcripts {
		if !m.hasTranscript(now) {
			return false
		}
	} else if !m.visible(now) {
		return false
	}
	if q.ws != -1 && m.ws != q.ws {
		return false
	}
	if q.hosts != nil {
		if _, ok := slices.BinarySearch(q.hosts, m.host); !ok {
			return false
		}
	}
	return true
}

func (q *callQuery) key(m *callMeta) int64 {
	if q.list {
		return m.listKey
	}
	return m.started
}

// pageCalls finds the page after the cursor position (or the first page). It
// returns copies of the calls' metadata and the users snapshot to build them with,
// whether more pages follow, and the total (counted on the first page only).
func (d *Dataset) pageCalls(q *callQuery, now int64, after *cursor) ([]callMeta, []user, bool, int) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	order := d.byStart
	if q.list {
		order = d.byList
	}
	if q.ids != nil {
		order = make([]int32, 0, len(q.ids))
		for _, id := range q.ids {
			if i, ok := d.byID[id]; ok {
				order = append(order, i)
			}
		}
		cmp := d.cmpStart
		if q.list {
			cmp = d.cmpList
		}
		slices.SortFunc(order, cmp)
	}
	key := func(i int) int64 { return q.key(&d.calls[order[i]]) }
	lo, hi := 0, len(order)
	if q.hasFrom {
		lo = sort.Search(len(order), func(i int) bool { return key(i) >= q.from })
	}
	if q.hasTo {
		hi = sort.Search(len(order), func(i int) bool { return key(i) >= q.to })
	}
	start := lo
	if after != nil {
		start = max(lo, sort.Search(len(order), func(i int) bool {
			k := key(i)
			return k > after.lastKey || k == after.lastKey && d.calls[order[i]].id > after.lastID
		}))
	}
	var out []callMeta
	more := false
	for i := start; i < hi; i++ {
		m := &d.calls[order[i]]
		if !q.matches(m, now) {
			continue
		}
		if len(out) == pageSize {
			more = true
			break
		}
		out = append(out, *m)
	}
	total := 0
	if after == nil {
		for i := lo; i < hi; i++ {
			if q.matches(&d.calls[order[i]], now) {
				total++
			}
		}
	}
	return out, d.users, more, total
}

// resolveCursor checks a cursor against the request; "" is the first page.
func (s *Server) resolveCursor(raw string, query uint64, now int64) (*cursor, error) {
	if raw == "" {
		return nil, nil
	}
	c, err := decodeCursor(s.key, raw)
	if err != nil {
		return nil, badRequest("Invalid cursor")
	}
	if c.query != query {
		return nil, badRequest("The cursor does not belong to this request: all parameters except the cursor must stay the same")
	}
	if ttl := s.opts.CursorTTL; ttl > 0 && now-c.issued > int64(ttl) {
		return nil, badRequest("The request cursor has expired, start again without a cursor")
	}
	return &c, nil
}

// records fills the pagination block and the next cursor.
func (s *Server) records(query uint64, now int64, after *cursor, n, total int, more bool, lastKey int64, lastID uint64) pagination {
	r := pagination{CurrentPageSize: n, TotalRecords: total}
	if after != nil {
		r.CurrentPageNumber, r.TotalRecords = int(after.page), int(after.total)
	}
	if more {
		r.Cursor = encodeCursor(s.key, cursor{
			query: query, issued: now, lastKey: lastKey, lastID: lastID,
			page: int32(r.CurrentPageNumber + 1), total: int32(r.TotalRecords),
		})
	}
	return r
}

func (s *Server) enc(x *exchange) enc {
	return enc{b: x.buf(), loc: s.opts.CompanyLocation, unknown: s.opts.UnknownFields}
}

// ---- calls ----

func (s *Server) handleCallsExtensive(x *exchange) {
	var body extensiveBody
	if err := x.decodeBody(&body); err != nil {
		x.answerError(err)
		return
	}
	if body.Filter == nil {
		x.answerError(badRequest("filter is required"))
		return
	}
	f := body.Filter
	q, err := s.data.parseCallQuery(f.FromDateTime, f.ToDateTime, f.WorkspaceID, f.CallIDs, f.PrimaryUserIDs)
	if err == nil {
		q.sel, err = parseSelector(body.ContentSelector)
	}
	if err != nil {
		x.answerError(err)
		return
	}
	q.endpoint = 'x'
	s.serveCalls(x, &q, body.Cursor)
}

func (s *Server) handleCalls(x *exchange) {
	v := x.r.URL.Query()
	from, to, ws := v.Get("fromDateTime"), v.Get("toDateTime"), v.Get("workspaceId")
	if from == "" || to == "" {
		x.answerError(badRequest("fromDateTime and toDateTime are required"))
		return
	}
	q, err := s.data.parseCallQuery(&from, &to, &ws, nil, nil)
	if err != nil {
		x.answerError(err)
		return
	}
	q.endpoint, q.list = 'c', true
	c := v.Get("cursor")
	s.serveCalls(x, &q, &c)
}

func (s *Server) handleTranscripts(x *exchange) {
	var body transcriptBody
	if err := x.decodeBody(&body); err != nil {
		x.answerError(err)
		return
	}
	if body.Filter == nil {
		x.answerError(badRequest("filter is required"))
		return
	}
	f := body.Filter
	q, err := s.data.parseCallQuery(f.FromDateTime, f.ToDateTime, f.WorkspaceID, f.CallIDs, nil)
	if err != nil {
		x.answerError(err)
		return
	}
	q.endpoint, q.transcripts = 't', true
	s.serveCalls(x, &q, body.Cursor)
}

// serveCalls answers one page of calls, call metadata or transcripts.
func (s *Server) serveCalls(x *exchange, q *callQuery, rawCursor *string) {
	now := s.clock.Now().UnixNano()
	qh := q.hash()
	raw := ""
	if rawCursor != nil {
		raw = *rawCursor
	}
	after, err := s.resolveCursor(raw, qh, now)
	if err != nil {
		x.answerError(err)
		return
	}
	metas, users, more, total := s.data.pageCalls(q, now, after)
	if len(metas) == 0 {
		x.fail(http.StatusNotFound, noCallsFound)
		return
	}
	last := &metas[len(metas)-1]
	rec := s.records(qh, now, after, len(metas), total, more, q.key(last), last.id)
	e := s.enc(x)
	e.requestID(x.id)
	e.records(rec)
	switch {
	case q.transcripts:
		e.b = append(e.b, `,"callTranscripts":[`...)
		for i := range metas {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			t := s.data.buildTranscript(&metas[i], users, now)
			e.transcript(&t)
		}
	case q.list:
		e.b = append(e.b, `,"calls":[`...)
		for i := range metas {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			c := s.data.buildCall(&metas[i], users, &selection{}, now)
			e.callMetaData(c.MetaData)
		}
	default:
		e.b = append(e.b, `,"calls":[`...)
		for i := range metas {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			c := s.data.buildCall(&metas[i], users, &q.sel, now)
			e.call(&c)
		}
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

// parseSelector validates a contentSelector the way Gong documents it.
func parseSelector(cs *contentSelectorBody) (selection, error) {
	var s selection
	if cs == nil {
		return s, nil
	}
	if cs.Context != nil {
		switch *cs.Context {
		case "None", "":
		case "Basic":
			s.context = 1
		case "Extended":
			s.context = 2
		default:
			return s, badRequest(fmt.Sprintf("Invalid contentSelector.context %q: expected None, Basic or Extended", *cs.Context))
		}
	}
	if len(cs.ContextTiming) > 0 && s.context != 2 {
		return s, badRequest("contentSelector.contextTiming can be provided only when contentSelector.context is Extended")
	}
	for _, t := range cs.ContextTiming {
		switch t {
		case "Now":
			s.timingNow = true
		case "TimeOfCall":
			s.timingTimeOfCall = true
		default:
			return s, badRequest(fmt.Sprintf("Invalid contentSelector.contextTiming %q: expected Now or TimeOfCall", t))
		}
	}
	if s.context == 2 && !s.timingNow && !s.timingTimeOfCall {
		s.timingNow = true // Gong's default
	}
	if f := cs.ExposedFields; f != nil {
		s.parties, s.media = f.Parties, f.Media
		if c := f.Content; c != nil {
			s.structure, s.topics, s.trackers = c.Structure, c.Topics, c.Trackers
			s.occurrences = c.Trackers && c.TrackerOccurrences
			s.brief, s.outline, s.highlights = c.Brief, c.Outline, c.Highlights
			s.outcome, s.keyPoints = c.CallOutcome, c.KeyPoints
		}
		if i := f.Interaction; i != nil {
			s.speakers, s.video, s.personStats, s.questions = i.Speakers, i.Video, i.PersonInteractionStats, i.Questions
		}
		if c := f.Collaboration; c != nil {
			s.comments = c.PublicComments
		}
	}
	return s, nil
}

// ---- users ----

// userQuery is a parsed users request.
type userQuery struct {
	endpoint byte
	avatars  bool
	from, to int64
	hasFrom  bool
	hasTo    bool
	ids      []uint64
}

func (q *userQuery) hash() uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%c|%v|%v|%d|%v|%d|%v", q.endpoint, q.avatars, q.hasFrom, q.from, q.hasTo, q.to, q.ids)
	return h.Sum64()
}

func (s *Server) handleUsers(x *exchange) {
	v := x.r.URL.Query()
	q := userQuery{endpoint: 'u'}
	if a := v.Get("includeAvatars"); a != "" {
		b, err := strconv.ParseBool(a)
		if err != nil {
			x.answerError(badRequest("Invalid includeAvatars: expected true or false"))
			return
		}
		q.avatars = b
	}
	c := v.Get("cursor")
	s.serveUsers(x, &q, c)
}

func (s *Server) handleUsersExtensive(x *exchange) {
	var body usersExtensiveBody
	if err := x.decodeBody(&body); err != nil {
		x.answerError(err)
		return
	}
	if body.Filter == nil {
		x.answerError(badRequest("filter is required"))
		return
	}
	f := body.Filter
	q := userQuery{endpoint: 'U', avatars: f.IncludeAvatars}
	var err error
	if f.CreatedFromDateTime != nil && *f.CreatedFromDateTime != "" {
		if q.from, err = parseTime("createdFromDateTime", *f.CreatedFromDateTime); err != nil {
			x.answerError(err)
			return
		}
		q.hasFrom = true
	}
	if f.CreatedToDateTime != nil && *f.CreatedToDateTime != "" {
		if q.to, err = parseTime("createdToDateTime", *f.CreatedToDateTime); err != nil {
			x.answerError(err)
			return
		}
		q.hasTo = true
	}
	if f.UserIDs != nil {
		if len(f.UserIDs) == 0 {
			x.answerError(badRequest("userIds must not be an empty list"))
			return
		}
		q.ids = []uint64{}
		for _, id := range f.UserIDs {
			if n, err := strconv.ParseUint(string(id), 10, 64); err == nil {
				q.ids = append(q.ids, n)
			}
		}
		slices.Sort(q.ids)
		q.ids = slices.Compact(q.ids)
	}
	c := ""
	if body.Cursor != nil {
		c = *body.Cursor
	}
	s.serveUsers(x, &q, c)
}

// serveUsers pages users in id order (a keyset on the id).
func (s *Server) serveUsers(x *exchange, q *userQuery, raw string) {
	now := s.clock.Now().UnixNano()
	qh := q.hash()
	after, err := s.resolveCursor(raw, qh, now)
	if err != nil {
		x.answerError(err)
		return
	}
	s.data.mu.RLock()
	users := s.data.sortedUsers()
	s.data.mu.RUnlock()
	match := func(u *user) bool {
		switch {
		case !u.listed(now), u.avatar && !q.avatars:
			return false
		case q.hasFrom && u.created < q.from, q.hasTo && u.created >= q.to:
			return false
		case q.ids != nil:
			_, ok := slices.BinarySearch(q.ids, u.id)
			return ok
		}
		return true
	}
	var page []*user
	more, total := false, 0
	for i := range users {
		u := &users[i]
		if !match(u) {
			continue
		}
		total++
		if after != nil && u.id <= after.lastID {
			continue
		}
		if len(page) == pageSize {
			more = true
			continue
		}
		page = append(page, u)
	}
	if len(page) == 0 {
		x.fail(http.StatusNotFound, noUsersFound)
		return
	}
	rec := s.records(qh, now, after, len(page), total, more, 0, page[len(page)-1].id)
	e := s.enc(x)
	e.requestID(x.id)
	e.records(rec)
	e.b = append(e.b, `,"users":[`...)
	for i, u := range page {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.user(&u.u)
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

// ---- workspaces and trackers (not paginated) ----

func (s *Server) handleWorkspaces(x *exchange) {
	e := s.enc(x)
	e.requestID(x.id)
	e.b = append(e.b, `,"workspaces":[`...)
	for i := range s.data.workspaces {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.workspace(&s.data.workspaces[i])
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

func (s *Server) handleTrackers(x *exchange) {
	ws := x.r.URL.Query().Get("workspaceId")
	var wsID string
	if ws != "" {
		n, err := strconv.ParseUint(ws, 10, 64)
		if err != nil || !slices.Contains(s.data.wsIDs, n) {
			x.fail(http.StatusNotFound, "Workspace not found: "+ws)
			return
		}
		wsID = ws
	}
	e := s.enc(x)
	e.requestID(x.id)
	e.b = append(e.b, `,"keywordTrackers":[`...)
	n := 0
	defs := s.data.TrackersAt(s.clock.Now())
	for i := range defs {
		t := &defs[i]
		if wsID != "" && (t.WorkspaceID == nil || *t.WorkspaceID != wsID) {
			continue
		}
		if n > 0 {
			e.b = append(e.b, ',')
		}
		n++
		e.keywordTracker(t)
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}
