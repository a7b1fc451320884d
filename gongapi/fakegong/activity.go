package fakegong

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"
)

// What the company's users do with its calls (the activity of
// /v2/stats/activity/day-by-day and the interaction stats of /v2/stats/interaction),
// the library, and the call outcome definitions: all derived from the dataset's calls
// and users, so they agree with them (the activity lists the fake's calls, the stats
// are the hosts' calls' own figures, the folders hold the fake's calls).
//
// Gong revises activity and stats for a few days, and so does the fake, on its
// virtual clock: a call's hosting and attendance count only once the call is
// processed (late calls hours or days after their day), listens, feedback, shares,
// reviews and scorecards show up to a day and a half after they happened, comments
// when posted, and a deleted call leaves every list. The stats of a day change as its
// late calls arrive.

// Stream keys of the parts beyond calls, away from rng.go's, so that adding them never
// shifts what the calls' parts draw.
const (
	streamActivity uint64 = 0x80 + iota
	streamLibrary
	streamFolderEntries
	streamOutcomes
)

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

// ---- the library ----

// libFolder is one public folder of a workspace's library.
type libFolder struct {
	def     LibraryFolder // Updated is computed per answer
	ws      int32
	created int64
	removed int64 // gone from this virtual time on; 0 = never
	entries []libEntry
}

// libEntry is one call (or snippet) filed in a folder.
type libEntry struct {
	call     int32 // index into Dataset.calls
	added    int64
	addedBy  int32
	from, to int64 // the snippet, in seconds; to == 0 is the whole call
	note     string
}

var libraryFolderNames = []string{"Best discovery calls", "Objection handling", "Demos that closed", "Onboarding examples",
	"Pricing conversations", "Cold calls that worked", "Renewals", "Competitor mentions"}

var libraryNotes = []string{"Great example of discovery questions.", "Listen to how the objection is handled.",
	"Clear pricing walkthrough.", "Use this for new hires.", "Strong close at the end."}

// genLibrary files about one call in twenty in one of its workspace's folders. It
// draws from streams of its own, so the calls are what they were without it.
func (d *Dataset) genLibrary(o Options) {
	r := newRNG(d.seed, 0, streamLibrary)
	byWS := make([][]int, len(d.workspaces))
	for w := range d.workspaces {
		pool := d.wsUsers[w]
		if len(pool) == 0 {
			continue
		}
		n := r.between(3, 6)
		first := len(d.library)
		for k := range n {
			f := libFolder{ws: int32(w), created: o.From.Add(-time.Duration(r.uniform(30, 400) * float64(24*time.Hour))).Truncate(time.Second).UnixNano()}
			f.def.ID = strconv.FormatUint(d.newID(&r), 10)
			name := libraryFolderNames[(k+w)%len(libraryFolderNames)]
			f.def.Name = &name
			if k >= 2 {
				parent := d.library[first+r.intn(k)].def.ID
				f.def.ParentFolderID = &parent
			}
			f.def.CreatedBy = strp(d.users[pool[r.intn(len(pool))]].u.ID)
			byWS[w] = append(byWS[w], len(d.library))
			d.library = append(d.library, f)
		}
	}
	for i := range d.calls {
		m := &d.calls[i]
		cr := newRNG(d.seed, m.seq, streamFolderEntries)
		folders := byWS[m.ws]
		if !cr.chance(0.05) || len(folders) == 0 {
			continue
		}
		pool := d.wsUsers[m.ws]
		e := libEntry{call: int32(i), added: m.processed + int64(cr.uniform(1, 72)*float64(time.Hour)), addedBy: pool[cr.intn(len(pool))]}
		if cr.chance(0.7) && m.duration > 60 {
			e.from = int64(cr.uniform(0, 0.8*float64(m.duration)))
			e.to = min(int64(m.duration), e.from+int64(cr.uniform(30, 300)))
		}
		if cr.chance(0.4) {
			e.note = pick(&cr, libraryNotes)
		}
		f := &d.library[folders[cr.intn(len(folders))]]
		f.entries = append(f.entries, e)
	}
}

// folderAt returns the folder as it stands at now: nil when it does not exist (yet,
// or any more). The caller holds d.mu.
func (d *Dataset) folderAt(i int, now int64) *LibraryFolder {
	f := &d.library[i]
	if f.created > now || (f.removed != 0 && now >= f.removed) {
		return nil
	}
	def := f.def
	updated := f.created
	for _, e := range f.entries {
		if d.entryVisible(&e, now) {
			updated = max(updated, e.added)
		}
	}
	def.Updated = d.at(updated)
	return &def
}

func (d *Dataset) entryVisible(e *libEntry, now int64) bool {
	return e.added <= now && d.calls[e.call].visible(now)
}

// LibraryFoldersAt returns what GET /v2/library/folders?workspaceId= answers at
// virtual time t ("" is the company's first workspace, its default), and whether the
// workspace exists.
func (d *Dataset) LibraryFoldersAt(t time.Time, workspaceID string) ([]LibraryFolder, bool) {
	ws := 0
	if workspaceID != "" {
		n, err := strconv.ParseUint(workspaceID, 10, 64)
		if ws = slices.Index(d.wsIDs, n); err != nil || ws < 0 {
			return nil, false
		}
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := []LibraryFolder{}
	for i := range d.library {
		if d.library[i].ws != int32(ws) {
			continue
		}
		if f := d.folderAt(i, t.UnixNano()); f != nil {
			out = append(out, *f)
		}
	}
	return out, true
}

// LibraryFolderCallsAt returns what GET /v2/library/folder-content?folderId= answers
// at virtual time t: the folder and its calls in the order they were added; ok is
// false when the folder does not exist then.
func (d *Dataset) LibraryFolderCallsAt(t time.Time, folderID string) (LibraryFolder, []LibraryCall, bool) {
	now := t.UnixNano()
	d.mu.RLock()
	defer d.mu.RUnlock()
	i := slices.IndexFunc(d.library, func(f libFolder) bool { return f.def.ID == folderID })
	if i < 0 {
		return LibraryFolder{}, nil, false
	}
	f := d.folderAt(i, now)
	if f == nil {
		return LibraryFolder{}, nil, false
	}
	entries := slices.Clone(d.library[i].entries)
	slices.SortStableFunc(entries, func(a, b libEntry) int { return cmp.Compare(a.added, b.added) })
	calls := []LibraryCall{}
	for _, e := range entries {
		if !d.entryVisible(&e, now) {
			continue
		}
		m := &d.calls[e.call]
		id := strconv.FormatUint(m.id, 10)
		c := LibraryCall{ID: id, Title: strp(d.titleAt(m, now)), AddedBy: strp(d.users[e.addedBy].u.ID),
			Created: d.at(e.added), URL: strp("https://app.gong.io/call?id=" + id)}
		if e.note != "" {
			c.Note = strp(e.note)
		}
		if e.to != 0 {
			c.Snippet = &Snippet{FromSec: e.from, ToSec: e.to}
		}
		calls = append(calls, c)
	}
	return *f, calls, true
}

// titleAt is the call's title at now: the generated one, or the last title a change
// up to now gave it.
func (d *Dataset) titleAt(m *callMeta, now int64) string {
	title := d.baseTitle(m)
	for _, c := range m.changes {
		if c.at <= now && c.ch.Title != nil {
			title = *c.ch.Title
		}
	}
	return title
}

// LibraryFolderIDs lists the ids of every folder, whatever the time, in the order
// they were made (workspace by workspace).
func (d *Dataset) LibraryFolderIDs() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]string, len(d.library))
	for i := range d.library {
		out[i] = d.library[i].def.ID
	}
	return out
}

// RemoveLibraryFolder takes a folder out of the library from virtual time at on (an
// administrator deleted it, or made it private).
func (d *Dataset) RemoveLibraryFolder(id string, at time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.IndexFunc(d.library, func(f libFolder) bool { return f.def.ID == id })
	if i < 0 {
		return errNoSuch("library folder", id)
	}
	lib := slices.Clone(d.library) // readers may hold the old slice
	lib[i].removed = at.UnixNano()
	d.library = lib
	return nil
}

// ---- call outcomes ----

// outcomeDef is one call outcome definition and when it was removed.
type outcomeDef struct {
	def     CallOutcomeDefinition
	removed int64
}

// genOutcomes defines one outcome for each the calls can be given (their
// content.callOutcome names), in that order.
func (d *Dataset) genOutcomes() {
	r := newRNG(d.seed, 0, streamOutcomes)
	for i, o := range outcomeNames {
		def := CallOutcomeDefinition{CallOutcome: o.name, Category: o.category, DisplayOrder: int64(i + 1),
			ConnectStatus: "CONNECTED", Sentiment: "NEUTRAL", TodoAction: "NONE", Automation: "NONE"}
		switch o.name {
		case "Not qualified", "Escalated":
			def.Sentiment = "NEGATIVE"
		case "Demo scheduled", "Moved to next stage", "Closed won", "Issue resolved":
			def.Sentiment = "POSITIVE"
		}
		if r.chance(0.3) {
			def.TodoAction = "CREATE_FOLLOW_UP_TASK"
		}
		if r.chance(0.3) {
			def.Automation = "UPDATE_CRM"
		}
		d.outcomes = append(d.outcomes, outcomeDef{def: def})
	}
}

// CallOutcomesAt returns what GET /v2/call-outcomes answers at virtual time t.
func (d *Dataset) CallOutcomesAt(t time.Time) []CallOutcomeDefinition {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := []CallOutcomeDefinition{}
	for _, o := range d.outcomes {
		if o.removed == 0 || t.UnixNano() < o.removed {
			out = append(out, o.def)
		}
	}
	return out
}

// RemoveCallOutcome takes an outcome definition away from virtual time at on.
func (d *Dataset) RemoveCallOutcome(name string, at time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.IndexFunc(d.outcomes, func(o outcomeDef) bool { return o.def.CallOutcome == name })
	if i < 0 {
		return errNoSuch("call outcome", name)
	}
	outs := slices.Clone(d.outcomes)
	outs[i].removed = at.UnixNano()
	d.outcomes = outs
	return nil
}

func errNoSuch(what, id string) error { return fmt.Errorf("no %s %q", what, id) }
