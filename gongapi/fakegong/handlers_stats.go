package fakegong

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"
)

// The endpoints beyond calls: daily activity and interaction stats (POST, paged by
// 100 users, the cursor in the body), the library and the call outcomes (GET, not
// paged).

// The empty answers of the stats endpoints. Gong's document does not give their
// text; like every empty result they say "found corresponding to the provided
// filters", which is what a client must key on.
const (
	noActivityFound = "No users found corresponding to the provided filters"
	noStatsFound    = "No interaction stats found corresponding to the provided filters"
)

type statsFilterBody struct {
	FromDate            *string  `json:"fromDate"`
	ToDate              *string  `json:"toDate"`
	CreatedFromDateTime *string  `json:"createdFromDateTime"`
	CreatedToDateTime   *string  `json:"createdToDateTime"`
	UserIDs             []bodyID `json:"userIds"`
}

type statsBody struct {
	Cursor *string          `json:"cursor"`
	Filter *statsFilterBody `json:"filter"`
}

// statsQuery is a parsed stats request.
type statsQuery struct {
	endpoint byte
	from, to time.Time // the company's dates, at midnight UTC
	ids      []uint64  // nil: every user
}

func (q *statsQuery) hash() uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%c|%s|%s|%v|%v", q.endpoint, q.from.Format(time.DateOnly), q.to.Format(time.DateOnly), q.ids != nil, q.ids)
	return h.Sum64()
}

// parseStats reads a stats body the way Gong's document describes it: both dates
// required as YYYY-MM-DD in the company's time zone, toDate exclusive and not after
// the company's current day (Options.StrictDates; else a later one reads as the
// current day). empty reports a range with no day in it (a same-day
// range), which Gong answers with its empty result.
func (s *Server) parseStats(x *exchange, endpoint byte) (q statsQuery, cursor string, empty bool, err error) {
	var body statsBody
	if err := x.decodeBody(&body); err != nil {
		return q, "", false, err
	}
	if body.Filter == nil {
		return q, "", false, badRequest("filter is required")
	}
	f := body.Filter
	if f.FromDate == nil || f.ToDate == nil {
		return q, "", false, badRequest("filter.fromDate and filter.toDate are required")
	}
	q.endpoint = endpoint
	if q.from, err = time.Parse(time.DateOnly, *f.FromDate); err != nil {
		return q, "", false, badRequest(fmt.Sprintf("Invalid fromDate %q: expected YYYY-MM-DD", *f.FromDate))
	}
	if q.to, err = time.Parse(time.DateOnly, *f.ToDate); err != nil {
		return q, "", false, badRequest(fmt.Sprintf("Invalid toDate %q: expected YYYY-MM-DD", *f.ToDate))
	}
	now := s.clock.Now().In(s.opts.CompanyLocation)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch {
	case q.from.After(q.to):
		return q, "", false, badRequest("fromDate must not be after toDate")
	case q.to.After(today) && s.opts.StrictDates:
		return q, "", false, badRequest(fmt.Sprintf("toDate %s exceeds the current day %s", *f.ToDate, today.Format(time.DateOnly)))
	case q.to.After(today):
		// What Gong does with such a toDate is not recorded; the fake answers the days
		// it has, so that a client on another clock (the binary, against a fake
		// stopped in the past) reads them.
		q.to = today
		if q.from.After(q.to) {
			q.from = q.to
		}
	}
	if f.UserIDs != nil {
		q.ids = []uint64{}
		for _, id := range f.UserIDs {
			if n, err := strconv.ParseUint(string(id), 10, 64); err == nil {
				q.ids = append(q.ids, n)
			}
		}
		slices.Sort(q.ids)
		q.ids = slices.Compact(q.ids)
	}
	if body.Cursor != nil {
		cursor = *body.Cursor
	}
	return q, cursor, q.from.Equal(q.to), nil
}

// pageUsers picks the page of records after the cursor, keyed by user id, and the
// pagination block. ids are the records' user ids, in order.
func (s *Server) pageUsers(x *exchange, q *statsQuery, raw string, ids []uint64) (lo, hi int, rec pagination, ok bool) {
	now := s.clock.Now().UnixNano()
	qh := q.hash()
	after, err := s.resolveCursor(raw, qh, now)
	if err != nil {
		x.answerError(err)
		return 0, 0, rec, false
	}
	if after != nil {
		lo = sort.Search(len(ids), func(k int) bool { return ids[k] > after.lastID })
	}
	hi = min(len(ids), lo+pageSize)
	if lo >= hi {
		return lo, hi, rec, true
	}
	return lo, hi, s.records(qh, now, after, hi-lo, len(ids), hi < len(ids), 0, ids[hi-1]), true
}

// selected keeps the records of the users the query names (all when it names none).
func selected[T any](q *statsQuery, recs []T, id func(*T) string) ([]T, []uint64) {
	var out []T
	var ids []uint64
	for i := range recs {
		n, _ := strconv.ParseUint(id(&recs[i]), 10, 64)
		if q.ids != nil {
			if _, ok := slices.BinarySearch(q.ids, n); !ok {
				continue
			}
		}
		out = append(out, recs[i])
		ids = append(ids, n)
	}
	return out, ids
}

func (s *Server) handleUserActivity(x *exchange) {
	q, cursor, empty, err := s.parseStats(x, 'a')
	if err != nil {
		x.answerError(err)
		return
	}
	if empty {
		x.fail(http.StatusNotFound, noActivityFound)
		return
	}
	recs, ids := selected(&q, s.data.ActivityAt(s.clock.Now(), q.from, q.to), func(r *UserDayByDayActivity) string { return r.UserID })
	lo, hi, rec, ok := s.pageUsers(x, &q, cursor, ids)
	if !ok {
		return
	}
	if lo >= hi {
		x.fail(http.StatusNotFound, noActivityFound)
		return
	}
	e := s.enc(x)
	e.requestID(x.id)
	e.records(rec)
	e.b = append(e.b, `,"usersDetailedActivities":[`...)
	for i := lo; i < hi; i++ {
		if i > lo {
			e.b = append(e.b, ',')
		}
		e.userDayByDayActivity(&recs[i])
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

func (s *Server) handleInteractionStats(x *exchange) {
	q, cursor, empty, err := s.parseStats(x, 'i')
	if err != nil {
		x.answerError(err)
		return
	}
	if empty {
		x.fail(http.StatusNotFound, noStatsFound)
		return
	}
	recs, ids := selected(&q, s.data.InteractionStatsAt(s.clock.Now(), q.from, q.to), func(r *PersonInteractionStats) string { return r.UserID })
	lo, hi, rec, ok := s.pageUsers(x, &q, cursor, ids)
	if !ok {
		return
	}
	if lo >= hi {
		x.fail(http.StatusNotFound, noStatsFound)
		return
	}
	loc := s.opts.CompanyLocation
	e := s.enc(x)
	e.requestID(x.id)
	e.records(rec)
	e.b = append(e.b, `,"timeZone":`...)
	e.str(zoneName(loc))
	e.b = append(e.b, `,"fromDateTime":`...)
	e.time(time.Date(q.from.Year(), q.from.Month(), q.from.Day(), 0, 0, 0, 0, loc))
	e.b = append(e.b, `,"toDateTime":`...)
	e.time(time.Date(q.to.Year(), q.to.Month(), q.to.Day(), 0, 0, 0, 0, loc))
	e.b = append(e.b, `,"peopleInteractionStats":[`...)
	for i := lo; i < hi; i++ {
		if i > lo {
			e.b = append(e.b, ',')
		}
		e.personInteractionStats(&recs[i])
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

// zoneName names the company's time zone as Gong does (an IANA name); a fixed offset
// without a name reads as the Etc/GMT zone of that offset (whose sign is reversed).
func zoneName(loc *time.Location) string {
	if name := loc.String(); name != "" && name != "UTC" || loc == time.UTC {
		return name
	}
	_, off := time.Date(2024, 1, 1, 0, 0, 0, 0, loc).Zone()
	switch {
	case off == 0:
		return "Etc/GMT"
	case off < 0:
		return "Etc/GMT+" + strconv.Itoa(-off/3600)
	default:
		return "Etc/GMT-" + strconv.Itoa(off/3600)
	}
}

// libraryUnavailable answers as a company whose plan has no library, when the fake
// is one.
func (s *Server) libraryUnavailable(x *exchange) bool {
	switch s.opts.LibraryUnavailable {
	case http.StatusUnauthorized:
		x.fail(http.StatusUnauthorized, "Unauthorized")
	case http.StatusNotFound:
		x.fail(http.StatusNotFound, "Not Found")
	default:
		return false
	}
	return true
}

func (s *Server) handleLibraryFolders(x *exchange) {
	if s.libraryUnavailable(x) {
		return
	}
	folders, ok := s.data.LibraryFoldersAt(s.clock.Now(), x.r.URL.Query().Get("workspaceId"))
	if !ok {
		x.fail(http.StatusBadRequest, "Invalid workspaceId: "+x.r.URL.Query().Get("workspaceId"))
		return
	}
	e := s.enc(x)
	e.requestID(x.id)
	e.b = append(e.b, `,"folders":[`...)
	for i := range folders {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.libraryFolder(&folders[i])
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

func (s *Server) handleLibraryFolderContent(x *exchange) {
	if s.libraryUnavailable(x) {
		return
	}
	id := x.r.URL.Query().Get("folderId")
	if id == "" {
		x.fail(http.StatusBadRequest, "folderId is required")
		return
	}
	f, calls, ok := s.data.LibraryFolderCallsAt(s.clock.Now(), id)
	if !ok {
		x.fail(http.StatusNotFound, "Folder not found: "+id)
		return
	}
	e := s.enc(x)
	e.requestID(x.id)
	e.b = append(e.b, `,"id":`...)
	e.id(f.ID)
	e.b = append(e.b, `,"name":`...)
	e.strp(f.Name)
	e.b = append(e.b, `,"createdBy":`...)
	e.idp(f.CreatedBy)
	e.b = append(e.b, `,"updated":`...)
	e.time(f.Updated)
	e.b = append(e.b, `,"calls":[`...)
	for i := range calls {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.libraryCall(&calls[i])
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

func (s *Server) handleCallOutcomes(x *exchange) {
	outcomes := s.data.CallOutcomesAt(s.clock.Now())
	e := s.enc(x)
	e.requestID(x.id)
	e.b = append(e.b, `,"outcomes":[`...)
	for i := range outcomes {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.callOutcomeDefinition(&outcomes[i])
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}
