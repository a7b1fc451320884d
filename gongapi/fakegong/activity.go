package fakegong

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"
)

// What the company's users do with its calls: the activity of
// /v2/stats/activity/day-by-day and the interaction stats of /v2/stats/interaction,
// both derived from the dataset's calls and users, so they agree with them (the
// activity lists the fake's calls, the stats are the hosts' calls' own figures). The
// library (library.go) and the call outcomes (outcomes.go) are derived the same way.
//
// Gong revises activity and stats for a few days, and so does the fake, on its
// virtual clock: a call's hosting and attendance count only once the call is
// processed (late calls hours or days after their day), listens, feedback, shares,
// reviews and scorecards show up to a day and a half after they happened, comments
// when posted, and a deleted call leaves every list. The stats of a day change as its
// late calls arrive.

// ---- records ----

// The records are the fake's own reading of Gong's document, with the conventions of
// types.go: ids are decimal strings, a zero time.Time is absent; the encoder (below)
// writes the names the JSON tags give, and a test checks that the two agree.

// UserDayByDayActivity is one user's record of POST /v2/stats/activity/day-by-day:
// one DailyActivityWithDates per day of the requested range, days without activity
// included (with empty lists).
type UserDayByDayActivity struct {
	UserID                 string                   `json:"userId"`
	UserEmailAddress       *string                  `json:"userEmailAddress"`
	UserDailyActivityStats []DailyActivityWithDates `json:"userDailyActivityStats"`
}

// DailyActivityWithDates is one day of a user's activity: the day's start and end in
// the company's offset, and per activity the ids of the calls it concerned. Every list
// is sent, [] when empty.
type DailyActivityWithDates struct {
	CallsAsHost                   []string  `json:"callsAsHost"`
	CallsGaveFeedback             []string  `json:"callsGaveFeedback"`
	CallsRequestedFeedback        []string  `json:"callsRequestedFeedback"`
	CallsReceivedFeedback         []string  `json:"callsReceivedFeedback"`
	OwnCallsListenedTo            []string  `json:"ownCallsListenedTo"`
	OthersCallsListenedTo         []string  `json:"othersCallsListenedTo"`
	CallsSharedInternally         []string  `json:"callsSharedInternally"`
	CallsSharedExternally         []string  `json:"callsSharedExternally"`
	CallsAttended                 []string  `json:"callsAttended"`
	CallsCommentsGiven            []string  `json:"callsCommentsGiven"`
	CallsCommentsReceived         []string  `json:"callsCommentsReceived"`
	CallsMarkedAsFeedbackGiven    []string  `json:"callsMarkedAsFeedbackGiven"`
	CallsMarkedAsFeedbackReceived []string  `json:"callsMarkedAsFeedbackReceived"`
	CallsScorecardsFilled         []string  `json:"callsScorecardsFilled"`
	CallsScorecardsReceived       []string  `json:"callsScorecardsReceived"`
	FromDate                      time.Time `json:"fromDate"`
	ToDate                        time.Time `json:"toDate"`
}

// PersonInteractionStats is one user's record of POST /v2/stats/interaction (the
// schema InteractionStats): the user's measures over the whole requested range.
type PersonInteractionStats struct {
	UserID                 string            `json:"userId"`
	UserEmailAddress       *string           `json:"userEmailAddress"`
	PersonInteractionStats []InteractionStat `json:"personInteractionStats"`
}

// InteractionStat is one named measure of a user.
type InteractionStat struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// ---- the dataset's part ----

// The activities of a day, in the order of Gong's document.
const (
	actHost = iota
	actGaveFeedback
	actRequestedFeedback
	actReceivedFeedback
	actOwnListened
	actOthersListened
	actSharedInternally
	actSharedExternally
	actAttended
	actCommentsGiven
	actCommentsReceived
	actMarkedGiven
	actMarkedReceived
	actScorecardsFilled
	actScorecardsReceived
	numActivities
)

// activityEvent is one thing a user did with a call: it counts on the day it happened
// (at, in the company's time zone) and Gong shows it from visible on.
type activityEvent struct {
	user    int32
	kind    uint8
	at      int64
	visible int64
}

// activityReach is how long after a call starts it can still draw activity: the
// latest processing (72 hours after it ends), then listens up to four days later.
const activityReach = int64(8 * 24 * time.Hour)

// callActivity is every event of a call, visible or not yet. The caller holds d.mu
// (for reading) and passes the users snapshot.
func (d *Dataset) callActivity(m *callMeta, users []user) []activityEvent {
	var out []activityEvent
	add := func(u int32, kind uint8, at, visible int64) {
		out = append(out, activityEvent{user: u, kind: kind, at: at, visible: max(visible, m.processed)})
	}
	add(m.host, actHost, m.started, m.processed)
	if m.kind != kindImported {
		p := d.plan(m)
		for _, party := range d.buildParties(m, users, &p, &selection{}) {
			if party.UserID == nil || *party.UserID == users[m.host].u.ID {
				continue
			}
			if n, err := strconv.ParseUint(*party.UserID, 10, 64); err == nil {
				if i, ok := d.userByID[n]; ok {
					add(i, actAttended, m.started, m.processed)
				}
			}
		}
	}
	for _, c := range d.buildComments(m, users, math.MaxInt64).PublicComments {
		if c.CommenterUserID == nil {
			continue
		}
		n, _ := strconv.ParseUint(*c.CommenterUserID, 10, 64)
		if i, ok := d.userByID[n]; ok {
			at := c.Posted.UnixNano()
			add(i, actCommentsGiven, at, at)
			add(m.host, actCommentsReceived, at, at)
		}
	}

	r := newRNG(d.seed, m.seq, streamActivity)
	pool := d.wsUsers[m.ws]
	after := func(lo, hi float64) int64 { return m.processed + int64(r.uniform(lo, hi)*float64(time.Hour)) }
	lag := func(at int64) int64 { return at + int64(r.uniform(0, 36)*float64(time.Hour)) }
	reviewer := d.reviewerOf(&r, m, users)
	if r.chance(0.35) {
		for range r.between(1, 3) {
			u := pool[r.intn(len(pool))]
			kind := uint8(actOthersListened)
			if u == m.host {
				kind = actOwnListened
			}
			at := after(0.5, 96)
			add(u, kind, at, lag(at))
		}
	}
	if r.chance(0.12) {
		if r.chance(0.3) {
			at := after(0.2, 2)
			add(m.host, actRequestedFeedback, at, lag(at))
		}
		at := after(2, 72)
		v := lag(at)
		add(reviewer, actGaveFeedback, at, v)
		add(m.host, actReceivedFeedback, at, v)
	}
	if r.chance(0.08) {
		at := after(1, 48)
		v := lag(at)
		add(reviewer, actMarkedGiven, at, v)
		add(m.host, actMarkedReceived, at, v)
	}
	if r.chance(0.1) {
		at := after(0.5, 48)
		add(pool[r.intn(len(pool))], actSharedInternally, at, lag(at))
	}
	if r.chance(0.05) {
		at := after(0.5, 24)
		add(m.host, actSharedExternally, at, lag(at))
	}
	if r.chance(0.1) {
		at := after(2, 72)
		v := lag(at)
		add(reviewer, actScorecardsFilled, at, v)
		add(m.host, actScorecardsReceived, at, v)
	}
	return out
}

// reviewerOf is who gives feedback on a call: the host's manager, or another user of
// its workspace when the host has none.
func (d *Dataset) reviewerOf(r *rng, m *callMeta, users []user) int32 {
	if mgr := users[m.host].u.ManagerID; mgr != nil {
		if n, err := strconv.ParseUint(*mgr, 10, 64); err == nil {
			if i, ok := d.userByID[n]; ok {
				return i
			}
		}
	}
	pool := d.wsUsers[m.ws]
	return pool[r.intn(len(pool))]
}

// daysOf lists the company's calendar days [from, to) (dates: their year, month and
// day are read), as the starts of the days in the company's time zone.
func (d *Dataset) daysOf(from, to time.Time) []time.Time {
	var out []time.Time
	for day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, d.loc); ; day = day.AddDate(0, 0, 1) {
		if !day.Before(time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, d.loc)) {
			return out
		}
		out = append(out, day)
	}
}

// callsStartedIn returns the calls that started in [from, to) (Unix ns), in start
// order; the caller holds d.mu.
func (d *Dataset) callsStartedIn(from, to int64) []*callMeta {
	lo := sort.Search(len(d.byStart), func(k int) bool { return d.calls[d.byStart[k]].started >= from })
	var out []*callMeta
	for _, i := range d.byStart[lo:] {
		if d.calls[i].started >= to {
			break
		}
		out = append(out, &d.calls[i])
	}
	return out
}

// ActivityAt returns what POST /v2/stats/activity/day-by-day answers at virtual time
// t for the company's days [from, to) (dates): every user with activity in the range,
// in id order, each with one entry per day of it.
func (d *Dataset) ActivityAt(t time.Time, from, to time.Time) []UserDayByDayActivity {
	now := t.UnixNano()
	days := d.daysOf(from, to)
	if len(days) == 0 {
		return nil
	}
	index := map[string]int{}
	for i, day := range days {
		index[day.Format(time.DateOnly)] = i
	}
	lo, hi := days[0].UnixNano(), days[len(days)-1].AddDate(0, 0, 1).UnixNano()

	d.mu.RLock()
	defer d.mu.RUnlock()
	users := d.users
	type key struct {
		user int32
		day  int
		kind uint8
	}
	lists := map[key][]uint64{}
	active := map[int32]bool{}
	for _, m := range d.callsStartedIn(lo-activityReach, hi) {
		if !m.visible(now) {
			continue
		}
		for _, ev := range d.callActivity(m, users) {
			if ev.at < lo || ev.at >= hi || ev.visible > now {
				continue
			}
			day, ok := index[time.Unix(0, ev.at).In(d.loc).Format(time.DateOnly)]
			if !ok {
				continue
			}
			k := key{ev.user, day, ev.kind}
			if !slices.Contains(lists[k], m.id) {
				lists[k] = append(lists[k], m.id)
			}
			active[ev.user] = true
		}
	}
	var out []UserDayByDayActivity
	for _, u := range sortedIndexes(users, active) {
		rec := UserDayByDayActivity{UserID: users[u].u.ID, UserEmailAddress: copyp(users[u].u.EmailAddress)}
		for i, day := range days {
			a := DailyActivityWithDates{FromDate: day, ToDate: day.AddDate(0, 0, 1)}
			for kind, list := range a.lists() {
				ids := lists[key{u, i, uint8(kind)}]
				*list = make([]string, len(ids))
				for j, id := range ids {
					(*list)[j] = strconv.FormatUint(id, 10)
				}
			}
			rec.UserDailyActivityStats = append(rec.UserDailyActivityStats, a)
		}
		out = append(out, rec)
	}
	return out
}

// lists are the day's lists in the order of the activity constants.
func (a *DailyActivityWithDates) lists() []*[]string {
	return []*[]string{&a.CallsAsHost, &a.CallsGaveFeedback, &a.CallsRequestedFeedback, &a.CallsReceivedFeedback,
		&a.OwnCallsListenedTo, &a.OthersCallsListenedTo, &a.CallsSharedInternally, &a.CallsSharedExternally,
		&a.CallsAttended, &a.CallsCommentsGiven, &a.CallsCommentsReceived, &a.CallsMarkedAsFeedbackGiven,
		&a.CallsMarkedAsFeedbackReceived, &a.CallsScorecardsFilled, &a.CallsScorecardsReceived}
}

// ActivityLists names the lists of a day as Gong's document does, in the order of
// DailyActivityWithDates's fields, with what each holds on a given day.
func (a *DailyActivityWithDates) ActivityLists() map[string][]string {
	names := []string{"callsAsHost", "callsGaveFeedback", "callsRequestedFeedback", "callsReceivedFeedback",
		"ownCallsListenedTo", "othersCallsListenedTo", "callsSharedInternally", "callsSharedExternally", "callsAttended",
		"callsCommentsGiven", "callsCommentsReceived", "callsMarkedAsFeedbackGiven", "callsMarkedAsFeedbackReceived",
		"callsScorecardsFilled", "callsScorecardsReceived"}
	out := map[string][]string{}
	for i, l := range a.lists() {
		out[names[i]] = *l
	}
	return out
}

// sortedIndexes returns the users in set in id order, the order Gong pages users in.
func sortedIndexes(users []user, set map[int32]bool) []int32 {
	out := make([]int32, 0, len(set))
	for u := range set {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b int32) int { return cmp.Compare(users[a].id, users[b].id) })
	return out
}

// InteractionStatsAt returns what POST /v2/stats/interaction answers at virtual time
// t for the company's days [from, to): for every user who hosted a call with speech
// in the range (the calls Gong's Whisper analyses), the measures over those calls:
// the mean of each call's Talk Ratio, Interactivity, Patience and Question Rate, and
// the longest monologue and customer story. Users in id order.
func (d *Dataset) InteractionStatsAt(t time.Time, from, to time.Time) []PersonInteractionStats {
	now := t.UnixNano()
	days := d.daysOf(from, to)
	if len(days) == 0 {
		return nil
	}
	lo, hi := days[0].UnixNano(), days[len(days)-1].AddDate(0, 0, 1).UnixNano()
	d.mu.RLock()
	defer d.mu.RUnlock()
	users := d.users
	byUser := map[int32][][]InteractionStats{}
	for _, m := range d.callsStartedIn(lo, hi) {
		if !m.visible(now) || !m.hasSpeech() {
			continue
		}
		in := d.buildInteraction(m, nil, &selection{personStats: true})
		byUser[m.host] = append(byUser[m.host], in.InteractionStats)
	}
	set := map[int32]bool{}
	for u := range byUser {
		set[u] = true
	}
	var out []PersonInteractionStats
	for _, u := range sortedIndexes(users, set) {
		calls := byUser[u]
		rec := PersonInteractionStats{UserID: users[u].u.ID, UserEmailAddress: copyp(users[u].u.EmailAddress)}
		for k, s := range calls[0] {
			v := s.Value
			for _, c := range calls[1:] {
				switch s.Name {
				case "Longest Monologue", "Longest Customer Story":
					v = max(v, c[k].Value)
				default:
					v += c[k].Value
				}
			}
			if s.Name != "Longest Monologue" && s.Name != "Longest Customer Story" {
				v /= float64(len(calls))
			}
			rec.PersonInteractionStats = append(rec.PersonInteractionStats, InteractionStat{Name: s.Name, Value: math.Round(v*1e4) / 1e4})
		}
		out = append(out, rec)
	}
	return out
}

// ---- serving ----

// Daily activity and interaction stats are POST, paged by 100 users, the cursor in the
// body.

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

// ---- encoding ----

// Every list of a day's activity is sent, [] when empty.

func (e *enc) userDayByDayActivity(u *UserDayByDayActivity) {
	e.b = append(e.b, `{"userId":`...)
	e.id(u.UserID)
	e.b = append(e.b, `,"userEmailAddress":`...)
	e.strp(u.UserEmailAddress)
	e.b = append(e.b, `,"userDailyActivityStats":[`...)
	for i := range u.UserDailyActivityStats {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.dailyActivity(&u.UserDailyActivityStats[i])
	}
	e.b = append(e.b, "]}"...)
}

func (e *enc) dailyActivity(a *DailyActivityWithDates) {
	s := e.open()
	for _, f := range []struct {
		key  string
		list []string
	}{
		{"callsAsHost", a.CallsAsHost}, {"callsGaveFeedback", a.CallsGaveFeedback},
		{"callsRequestedFeedback", a.CallsRequestedFeedback}, {"callsReceivedFeedback", a.CallsReceivedFeedback},
		{"ownCallsListenedTo", a.OwnCallsListenedTo}, {"othersCallsListenedTo", a.OthersCallsListenedTo},
		{"callsSharedInternally", a.CallsSharedInternally}, {"callsSharedExternally", a.CallsSharedExternally},
		{"callsAttended", a.CallsAttended}, {"callsCommentsGiven", a.CallsCommentsGiven},
		{"callsCommentsReceived", a.CallsCommentsReceived}, {"callsMarkedAsFeedbackGiven", a.CallsMarkedAsFeedbackGiven},
		{"callsMarkedAsFeedbackReceived", a.CallsMarkedAsFeedbackReceived}, {"callsScorecardsFilled", a.CallsScorecardsFilled},
		{"callsScorecardsReceived", a.CallsScorecardsReceived},
	} {
		e.key(f.key)
		e.strings(f.list, false)
	}
	e.key("fromDate")
	e.time(a.FromDate)
	e.key("toDate")
	e.time(a.ToDate)
	if e.unknown {
		e.b = append(e.b, `,"callsViewedInMobile":["1"]`...)
	}
	e.close(s)
}

func (e *enc) personInteractionStats(p *PersonInteractionStats) {
	e.b = append(e.b, `{"userId":`...)
	e.id(p.UserID)
	e.b = append(e.b, `,"userEmailAddress":`...)
	e.strp(p.UserEmailAddress)
	e.b = append(e.b, `,"personInteractionStats":[`...)
	for i, st := range p.PersonInteractionStats {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, `{"name":`...)
		e.str(st.Name)
		e.b = append(e.b, `,"value":`...)
		e.float(st.Value)
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, "]}"...)
}
