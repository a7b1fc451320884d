package fakegong

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
)

// callKind decides what sort of call a generated call is, and so its system,
// direction, media, parties and whether it can have a transcript.
type callKind uint8

const (
	kindConference callKind = iota // a web conference recorded by Gong
	kindOutbound                   // an outbound telephony call
	kindInbound                    // an inbound telephony call
	kindUnknownDir                 // telephony whose direction the dialer did not report
	kindImported                   // uploaded through the API: no parties, no transcript
)

// callMeta is what the dataset keeps per call: enough to filter, sort and decide
// visibility without generating content. Times are Unix nanoseconds; 0 means never.
type callMeta struct {
	id           uint64
	seq          int32 // seeds every lazily generated part of the call
	kind         callKind
	private      bool
	late         bool
	external     bool // has parties outside the company
	noTranscript bool
	ws           int32 // index into Dataset.workspaces
	host         int32 // index into Dataset.users
	duration     int32 // seconds
	started      int64
	scheduled    int64 // 0 = null (telephony and imported calls)
	listKey      int64 // what GET /v2/calls filters and sorts on
	processed    int64 // visible from
	transcriptAt int64 // transcript available from; 0 = never
	deleted      int64 // gone from; 0 = never
	restored     int64 // back again from; 0 = never
	changes      []callChange
}

// callChange is one edit of a call that takes effect at a point of virtual time.
type callChange struct {
	at int64
	ch Change
}

// Change describes how a call changes at some point after it first became visible,
// as titles, privacy and participants change in Gong hours or days later.
type Change struct {
	// Title, when set, replaces the call's title.
	Title *string
	// IsPrivate, when set, replaces the call's privacy flag.
	IsPrivate *bool
	// AddParties adds that many silent external invitees (speakerId null), so the
	// parties change without breaking the transcript's speaker ids.
	AddParties int
	// Reprocess re-processes the call's recording: the call becomes a minute longer and
	// its transcript is generated anew (other sentences), as when Gong transcribes a
	// recording again.
	Reprocess bool
	// Edit, when set, edits the fully generated call after the fields above are
	// applied. It must be deterministic: the fake regenerates a call on every read.
	Edit func(*CallData)
}

// visible reports whether the call is in Gong's answers at virtual time t.
func (m *callMeta) visible(t int64) bool {
	if t < m.processed {
		return false
	}
	if m.deleted != 0 && t >= m.deleted && (m.restored == 0 || t < m.restored) {
		return false
	}
	return true
}

// hasTranscript reports whether the call's transcript is served at virtual time t.
func (m *callMeta) hasTranscript(t int64) bool {
	return m.transcriptAt != 0 && t >= m.transcriptAt && m.visible(t)
}

// lastChange returns when the call last changed (0 = never).
func (m *callMeta) lastChange() int64 {
	var last int64
	for _, c := range m.changes {
		last = max(last, c.at)
	}
	return last
}

// user is one generated user with the numbers the fake filters on.
type user struct {
	u       UserMetadata
	id      uint64
	created int64
	ws      int32
	avatar  bool  // a Gong employee's synthetic user, listed only with includeAvatars
	removed int64 // gone from the user lists from this virtual time; 0 = never
	back    int64 // listed again from this virtual time; 0 = never
}

// listed reports whether the user is in Gong's user lists at virtual time t.
func (u *user) listed(t int64) bool {
	if u.created > t {
		return false
	}
	return u.removed == 0 || t < u.removed || (u.back != 0 && t >= u.back)
}

// listing says when a definition Gong lists is taken out of its list and put back.
type listing struct {
	removed int64 // gone from this virtual time; 0 = never
	back    int64 // listed again from this virtual time; 0 = never
}

// listed reports whether the definition is listed at virtual time t.
func (l listing) listed(t int64) bool {
	return l.removed == 0 || t < l.removed || (l.back != 0 && t >= l.back)
}

// tracker is one tracker as calls report it; keyword trackers also have a definition.
type tracker struct {
	id       string
	name     string
	smart    bool
	keywords []string
}

// Dataset is the company's Gong data: users, workspaces, tracker definitions and
// calls. Call metadata is generated eagerly and cheaply; a call's content and
// transcript are generated on demand, deterministically, from the seed and the
// call's sequence number. All methods are safe for concurrent use, including the
// test hooks while the server is answering.
type Dataset struct {
	seed        uint64
	loc         *time.Location
	sentences   int
	company     string // the company's email domain
	companyName string

	mu         sync.RWMutex
	calls      []callMeta
	byID       map[uint64]int32
	byStart    []int32 // indices into calls ordered by (started, id)
	byList     []int32 // indices into calls ordered by (listKey, id)
	users      []user  // copied on write, so a reader may keep the slice
	userByID   map[uint64]int32
	wsUsers    [][]int32 // non-avatar users per workspace
	workspaces []WorkspaceMetadata
	wsIDs      []uint64
	wsTrackers [][]tracker // per workspace: keyword trackers then smart ones
	keywordDef []KeywordTracker
	defGone    []listing           // per keywordDef, when Gong stops and starts listing it; copied on write
	ids        map[uint64]struct{} // every id handed out, so new ones stay unique
	genRNG     rng                 // for ids of calls added later

	// Scorecards and their reviews (scorecards.go); reviews in review time order.
	cards      []scorecardDef // copied on write, so a reader may keep the slice
	cardByID   map[uint64]int32
	reviews    []reviewMeta
	reviewByID map[uint64]int32

	halfScores bool // Options.DecimalScores

	library  []libFolder  // copied on write (activity.go)
	outcomes []outcomeDef // copied on write

	flows []flowDef   // copied on write (flowslogs.go)
	logs  []logRecord // in (type, time) order; generated once
	// Issue 26's streams (permissions.go, crm.go).
	profiles     []permProfile // copied on write
	crm          []crmIntegration
	associations []manualAssociation // in created order
}

// CallSpec describes a call's life in the dataset: when it started, when Gong
// processed it (it is invisible before), when its transcript became available, and
// when it last changed or was deleted. Zero times mean never.
type CallSpec struct {
	ID            string        `json:"id"`
	Started       time.Time     `json:"started"`
	Duration      time.Duration `json:"duration_ns"`
	WorkspaceID   string        `json:"workspace_id"`
	PrimaryUserID string        `json:"primary_user_id"`
	ProcessedAt   time.Time     `json:"processed_at"`  // visible from
	TranscriptAt  time.Time     `json:"transcript_at"` // transcript available from; zero = never
	ChangedAt     time.Time     `json:"changed_at"`    // last change; zero = never
	DeletedAt     time.Time     `json:"deleted_at"`    // invisible from; zero = never
	RestoredAt    time.Time     `json:"restored_at"`   // visible again from (after DeletedAt); zero = never
	Late          bool          `json:"late"`          // processed hours after the call ended
	Imported      bool          `json:"imported"`      // uploaded: no parties, no transcript
	Private       bool          `json:"private"`       // isPrivate when first visible
}

// spec turns a callMeta into its exported description.
func (d *Dataset) spec(m *callMeta) CallSpec {
	return CallSpec{
		ID:            strconv.FormatUint(m.id, 10),
		Started:       d.at(m.started),
		Duration:      time.Duration(m.duration) * time.Second,
		WorkspaceID:   strconv.FormatUint(d.wsIDs[m.ws], 10),
		PrimaryUserID: strconv.FormatUint(d.users[m.host].id, 10),
		ProcessedAt:   d.at(m.processed),
		TranscriptAt:  d.atOrZero(m.transcriptAt),
		ChangedAt:     d.atOrZero(m.lastChange()),
		DeletedAt:     d.atOrZero(m.deleted),
		RestoredAt:    d.atOrZero(m.restored),
		Late:          m.late,
		Imported:      m.kind == kindImported,
		Private:       m.private,
	}
}

// at converts Unix nanoseconds to a time in the company's offset.
func (d *Dataset) at(ns int64) time.Time { return time.Unix(0, ns).In(d.loc) }

func (d *Dataset) atOrZero(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return d.at(ns)
}

// newDataset generates the dataset for validated options.
func newDataset(o Options) *Dataset {
	d := &Dataset{
		seed:       uint64(o.Seed),
		loc:        o.CompanyLocation,
		sentences:  o.SentencesPerCall,
		halfScores: o.DecimalScores,
		byID:       make(map[uint64]int32, o.Calls),
		userByID:   make(map[uint64]int32, o.Users+2),
		ids:        make(map[uint64]struct{}, o.Calls+o.Users+64),
	}
	r := newRNG(d.seed, 0, streamDataset)
	d.genRNG = newRNG(d.seed, -1, streamDataset)
	pre, suf := pick(&r, accountPrefixes), pick(&r, accountSuffixes)
	d.companyName = pre + " " + suf
	d.company = lower(pre) + "-" + lower(suf) + ".example"
	d.genWorkspaces(&r, o.Workspaces)
	d.genUsers(&r, o)
	d.genTrackers(&r, o)
	d.genCalls(&r, o)
	d.genScorecards(o)
	d.genLibrary(o)
	d.genOutcomes()
	d.genFlows(o)
	d.genLogs(o)
	d.genPermissions()
	d.genCrm(o)
	d.genManualAssociations()
	return d
}

// newID draws an id that no other entity of the dataset has.
func (d *Dataset) newID(r *rng) uint64 {
	for {
		id := r.gongID()
		if _, dup := d.ids[id]; !dup {
			d.ids[id] = struct{}{}
			return id
		}
	}
}

func (d *Dataset) genWorkspaces(r *rng, n int) {
	for i := range n {
		id := d.newID(r)
		name := workspaceNames[i%len(workspaceNames)]
		if i >= len(workspaceNames) {
			name += " " + strconv.Itoa(i/len(workspaceNames)+1)
		}
		desc := workspaceDescriptions[i%len(workspaceDescriptions)]
		d.wsIDs = append(d.wsIDs, id)
		d.workspaces = append(d.workspaces, WorkspaceMetadata{
			ID: strconv.FormatUint(id, 10), Name: &name, Description: &desc,
		})
	}
	d.wsUsers = make([][]int32, n)
}

// genUsers makes the company's users: a few managers at the top, everyone else
// reporting to one of them; most created before the calls' range, some during it
// (new hires); about one in ten inactive; plus two avatars (Gong staff).
func (d *Dataset) genUsers(r *rng, o Options) {
	from, to := o.From.UnixNano(), o.To.UnixNano()
	span := to - from
	managers := max(1, o.Users/10)
	for i := range o.Users + 2 {
		avatar := i >= o.Users
		id := d.newID(r)
		first, last := pick(r, firstNames), pick(r, lastNames)
		var created int64
		switch {
		case i < managers || r.chance(0.85):
			// Veterans: created in the three years before the range.
			created = from - int64(r.uniform(1, 3*365)*float64(24*time.Hour))
		default:
			created = from + int64(r.float()*float64(span))
		}
		created = truncateTo(created, []int64{1e9, 1e6, 1e3}[r.intn(3)])
		email := lower(first) + "." + lower(last) + strconv.Itoa(i) + "@" + d.company
		title := pick(r, userTitles)
		if i < managers {
			title = pick(r, managerTitles)
		}
		active := avatar || i < managers || r.chance(0.9)
		ws := int32(i % len(d.workspaces))
		u := UserMetadata{
			ID:                  strconv.FormatUint(id, 10),
			EmailAddress:        &email,
			Created:             d.at(created),
			Active:              &active,
			EmailAliases:        []string{},
			FirstName:           &first,
			LastName:            &last,
			Title:               &title,
			PersonalMeetingURLs: []string{},
			Settings: &UserSettings{
				WebConferencesRecorded:        boolp(!avatar),
				PreventWebConferenceRecording: boolp(false),
				TelephonyCallsImported:        boolp(r.chance(0.6)),
				EmailsImported:                boolp(r.chance(0.5)),
				PreventEmailImport:            boolp(false),
				NonRecordedMeetingsImported:   boolp(r.chance(0.4)),
				GongConnectEnabled:            boolp(r.chance(0.3)),
			},
			SpokenLanguages:       []SpokenLanguage{{Language: pick(r, spokenLanguageTags[:2]), Primary: true}},
			ConferencingProviders: []string{pick(r, conferencingProviders)},
		}
		if avatar {
			e := "support" + strconv.Itoa(i) + "@gong.example"
			u.EmailAddress, u.FirstName, u.LastName = &e, strp("Gong"), strp("Support")
			u.Title = strp("Customer Success (Gong)")
			u.SpokenLanguages, u.ConferencingProviders = nil, nil
		} else {
			if r.chance(0.3) {
				u.EmailAliases = append(u.EmailAliases, lower(first)+"@"+d.company)
			}
			if r.chance(0.5) {
				u.TrustedEmailAddress = strp(email)
			}
			if r.chance(0.7) {
				u.PhoneNumber = strp("+1 415 555 " + strconv.Itoa(1000+r.intn(9000)))
				if r.chance(0.3) {
					u.Extension = strp(strconv.Itoa(100 + r.intn(900)))
				}
			}
			if r.chance(0.6) {
				u.PersonalMeetingURLs = append(u.PersonalMeetingURLs, "https://zoom.us/j/"+strconv.FormatUint(9_000_000_000+r.next()%999_999_999, 10))
			}
			if r.chance(0.5) {
				u.MeetingConsentPageURL = strp("https://join.gong.example/consent/" + strconv.FormatUint(id, 36))
			}
			if r.chance(0.2) {
				u.SpokenLanguages = append(u.SpokenLanguages, SpokenLanguage{Language: pick(r, spokenLanguageTags[2:]), Primary: false})
			}
			if i > 0 {
				// Manager 0 tops the tree; other managers report to it, everyone
				// else to one of the managers.
				mgr := 0
				if i >= managers {
					mgr = r.intn(managers)
				}
				if mgr != i {
					u.ManagerID = strp(d.users[mgr].u.ID)
				}
			}
			d.wsUsers[ws] = append(d.wsUsers[ws], int32(i))
		}
		d.userByID[id] = int32(i)
		d.users = append(d.users, user{u: u, id: id, created: created, ws: ws, avatar: avatar})
	}
}

// genTrackers makes, per workspace, keyword trackers with definitions (what
// /v2/settings/trackers lists) and smart trackers, which calls report but the
// keyword tracker settings do not list.
func (d *Dataset) genTrackers(r *rng, o Options) {
	d.wsTrackers = make([][]tracker, len(d.workspaces))
	for w := range d.workspaces {
		for k := range 8 {
			ti := (k + w) % len(trackerNames)
			id := d.newID(r)
			t := tracker{id: strconv.FormatUint(id, 10), name: trackerNames[ti], keywords: trackerKeywords[ti]}
			d.wsTrackers[w] = append(d.wsTrackers[w], t)
			created := o.From.Add(-time.Duration(r.uniform(30, 900) * float64(24*time.Hour))).Truncate(time.Millisecond)
			updated := created.Add(time.Duration(r.between(0, 20)) * 24 * time.Hour)
			def := KeywordTracker{
				TrackerID:        t.id,
				TrackerName:      strp(t.name),
				WorkspaceID:      strp(d.workspaces[w].ID),
				LanguageKeywords: []TrackerLanguageKeyword{{Language: "eng", Keywords: t.keywords, IncludeRelatedForms: r.chance(0.5)}},
				Affiliation:      strp(pick(r, []string{"Anyone", "Company", "NonCompany"})),
				PartOfQuestion:   boolp(r.chance(0.2)),
				SaidAt:           strp("Anytime"),
				SaidInTopics:     []string{},
				SaidInCallParts:  []string{},
				Created:          created.In(d.loc),
				Updated:          updated.In(d.loc),
			}
			if r.chance(0.3) {
				def.SaidAt = strp(pick(r, []string{"First", "Last"}))
				def.SaidAtInterval = int64p(int64(r.between(1, 10)))
				def.SaidAtUnit = strp(pick(r, []string{"Minutes", "Percent"}))
			}
			if r.chance(0.3) {
				def.SaidInTopics = append(def.SaidInTopics, pick(r, topicNames))
			}
			if r.chance(0.3) {
				def.FilterQuery = strp(`{"type":"And","filters":[{"type":"CallDirection","terms":["OUTBOUND"]}]}`)
			}
			if k > 0 { // the first tracker of each workspace is built in: no creator
				u := d.users[r.intn(len(d.users)-2)].u.ID
				def.CreatorUserID, def.UpdaterUserID = &u, &u
			}
			d.keywordDef = append(d.keywordDef, def)
		}
		for k := range 2 {
			id := d.newID(r)
			d.wsTrackers[w] = append(d.wsTrackers[w], tracker{
				id: strconv.FormatUint(id, 10), name: smartTrackerNames[(k+w)%len(smartTrackerNames)], smart: true,
			})
		}
	}
}

// genCalls draws every call's metadata and life events, then sorts the indexes.
func (d *Dataset) genCalls(r *rng, o Options) {
	from, to := o.From.UnixNano(), o.To.UnixNano()
	span := to - from
	d.calls = make([]callMeta, 0, o.Calls)
	for i := range o.Calls {
		var started int64
		if i > 0 && r.chance(0.02) {
			// Two calls starting at the very same instant: pagination must not
			// lose or repeat either at a page boundary.
			started = d.calls[r.intn(len(d.calls))].started
		} else {
			started = from + int64(r.float()*float64(span))
			started = truncateTo(started, []int64{1e9, 1e6, 1e3}[r.intn(3)])
		}
		m := d.drawCall(r, int32(i), started, o.LateShare, o.ChangeShare, o.DeleteShare)
		d.byID[m.id] = int32(len(d.calls))
		d.calls = append(d.calls, m)
	}
	d.reindex()
}

// drawCall draws one call's metadata and life events.
func (d *Dataset) drawCall(r *rng, seq int32, started int64, late, change, del float64) callMeta {
	m := callMeta{id: d.newID(r), seq: seq, started: started}
	switch u := r.float(); {
	case u < 0.60:
		m.kind = kindConference
	case u < 0.80:
		m.kind = kindOutbound
	case u < 0.92:
		m.kind = kindInbound
	case u < 0.95:
		m.kind = kindUnknownDir
	default:
		m.kind = kindImported
	}
	m.host = d.pickHost(r, started)
	m.ws = d.users[m.host].ws
	m.private = r.chance(0.04)
	m.external = m.kind != kindConference || r.chance(0.85)
	switch m.kind {
	case kindConference:
		m.duration = int32(r.between(900, 3600))
		// Most meetings start a little after their scheduled time, some a little
		// before it; GET /v2/calls filters these on the scheduled time.
		var sched int64
		if r.chance(0.15) {
			sched = started + int64(r.between(30, 300))*int64(time.Second)
		} else {
			sched = time.Unix(0, started).Truncate(15 * time.Minute).UnixNano()
			if started-sched > int64(10*time.Minute) {
				sched = started - int64(r.between(0, 180))*int64(time.Second)
			}
		}
		m.scheduled = truncateTo(sched, 1e9)
		m.listKey = m.scheduled
	case kindImported:
		m.duration = int32(r.between(300, 2400))
		m.noTranscript = true
		m.listKey = started
	default:
		m.duration = int32(r.between(30, 1500))
		m.listKey = started
	}
	if r.chance(0.03) {
		// Too short to transcribe: a dropped call or a voicemail greeting.
		m.duration = int32(r.between(5, 40))
		m.noTranscript = true
	}
	end := started + int64(m.duration)*int64(time.Second)
	if r.chance(late) {
		m.late = true
		m.processed = end + int64(r.uniform(3, 72)*float64(time.Hour))
	} else {
		m.processed = end + int64(r.uniform(5, 45)*float64(time.Minute))
	}
	if !m.noTranscript {
		m.transcriptAt = m.processed + int64(r.uniform(10, 120)*float64(time.Minute))
	}
	if r.chance(change) {
		at := m.processed + int64(r.uniform(1, 120)*float64(time.Hour))
		m.changes = []callChange{{at: at, ch: d.generatedChange(m)}}
	}
	if r.chance(del) {
		m.deleted = m.processed + int64(r.uniform(2, 240)*float64(time.Hour))
	}
	return m
}

// generatedChange decides what a generated call's one change is.
func (d *Dataset) generatedChange(m callMeta) Change {
	r := newRNG(d.seed, m.seq, streamChange)
	var c Change
	if r.chance(0.7) {
		t := d.baseTitle(&m) + pick(&r, changedTitleSuffixes)
		c.Title = &t
	}
	if r.chance(0.3) {
		c.IsPrivate = boolp(!m.private)
	}
	if m.kind != kindImported && (r.chance(0.4) || (c.Title == nil && c.IsPrivate == nil)) {
		c.AddParties = 1
	}
	if c.Title == nil && c.IsPrivate == nil && c.AddParties == 0 {
		c.IsPrivate = boolp(!m.private) // imported calls have no parties to change
	}
	return c
}

// pickHost picks the call's primary user among users that existed when it started.
func (d *Dataset) pickHost(r *rng, started int64) int32 {
	n := len(d.users) - 2 // the last two are avatars
	for range 8 {
		i := r.intn(n)
		if d.users[i].created <= started {
			return int32(i)
		}
	}
	return 0 // the first manager is always a veteran
}

// reindex rebuilds both sort orders. Ties on the sort time break on the numeric id.
func (d *Dataset) reindex() {
	d.byStart = make([]int32, len(d.calls))
	d.byList = make([]int32, len(d.calls))
	for i := range d.calls {
		d.byStart[i], d.byList[i] = int32(i), int32(i)
	}
	slices.SortFunc(d.byStart, func(a, b int32) int { return d.cmpStart(a, b) })
	slices.SortFunc(d.byList, func(a, b int32) int { return d.cmpList(a, b) })
}

func (d *Dataset) cmpStart(a, b int32) int {
	x, y := &d.calls[a], &d.calls[b]
	return cmp.Or(cmp.Compare(x.started, y.started), cmp.Compare(x.id, y.id))
}

func (d *Dataset) cmpList(a, b int32) int {
	x, y := &d.calls[a], &d.calls[b]
	return cmp.Or(cmp.Compare(x.listKey, y.listKey), cmp.Compare(x.id, y.id))
}

// ---- reading the dataset (for tests that compare what a sync stored) ----

// AllCalls lists every call the dataset will ever hold, visible or not, in
// start-time order.
func (d *Dataset) AllCalls() []CallSpec {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]CallSpec, 0, len(d.byStart))
	for _, i := range d.byStart {
		out = append(out, d.spec(&d.calls[i]))
	}
	return out
}

// Call returns one call's description.
func (d *Dataset) Call(id string) (CallSpec, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	m := d.lookup(id)
	if m == nil {
		return CallSpec{}, false
	}
	return d.spec(m), true
}

// CallAt returns the call with every block (Extended context at both timings, all
// content, interaction, comments and media URLs) as Gong would answer it at virtual
// time t; ok is false
// when the call does not exist or is not visible at t.
func (d *Dataset) CallAt(id string, t time.Time) (CallData, bool) {
	d.mu.RLock()
	m := d.lookup(id)
	if m == nil || !m.visible(t.UnixNano()) {
		d.mu.RUnlock()
		return CallData{}, false
	}
	meta, users := *m, d.users
	d.mu.RUnlock()
	return d.buildCall(&meta, users, &fullSelection, t.UnixNano()), true
}

// VisibleCalls returns, in start-time order, every call visible at virtual time t
// with full content. It generates content for every call: meant for tests.
func (d *Dataset) VisibleCalls(t time.Time) []CallData {
	metas, users := d.visibleMetas(t.UnixNano(), false)
	out := make([]CallData, len(metas))
	for i := range metas {
		out[i] = d.buildCall(&metas[i], users, &fullSelection, t.UnixNano())
	}
	return out
}

// TranscriptAt returns the call's transcript as Gong would answer at virtual time t;
// ok is false when the call is not visible or has no transcript (yet, or ever).
func (d *Dataset) TranscriptAt(id string, t time.Time) (CallTranscript, bool) {
	d.mu.RLock()
	m := d.lookup(id)
	if m == nil || !m.hasTranscript(t.UnixNano()) {
		d.mu.RUnlock()
		return CallTranscript{}, false
	}
	meta, users := *m, d.users
	d.mu.RUnlock()
	return d.buildTranscript(&meta, users, t.UnixNano()), true
}

// VisibleTranscripts returns, in start-time order, the transcripts served at t.
func (d *Dataset) VisibleTranscripts(t time.Time) []CallTranscript {
	metas, users := d.visibleMetas(t.UnixNano(), true)
	out := make([]CallTranscript, len(metas))
	for i := range metas {
		out[i] = d.buildTranscript(&metas[i], users, t.UnixNano())
	}
	return out
}

func (d *Dataset) visibleMetas(t int64, transcripts bool) ([]callMeta, []user) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []callMeta
	for _, i := range d.byStart {
		m := &d.calls[i]
		if (transcripts && m.hasTranscript(t)) || (!transcripts && m.visible(t)) {
			out = append(out, *m)
		}
	}
	return out, d.users
}

// Users returns every user (avatars included) as GET /v2/users?includeAvatars=true
// would list them once all have been created.
func (d *Dataset) Users() []UserMetadata {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]UserMetadata, len(d.users))
	for i, u := range d.sortedUsers() {
		out[i] = u.u
	}
	return out
}

// UsersAt returns the users GET /v2/users lists at virtual time t (created by then,
// avatars left out), in the order it lists them.
func (d *Dataset) UsersAt(t time.Time) []UserMetadata {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []UserMetadata
	for _, u := range d.sortedUsers() {
		if !u.avatar && u.listed(t.UnixNano()) {
			out = append(out, u.u)
		}
	}
	return out
}

// sortedUsers returns the users in id order, the order the fake pages them in.
func (d *Dataset) sortedUsers() []user {
	us := slices.Clone(d.users)
	slices.SortFunc(us, func(a, b user) int { return cmp.Compare(a.id, b.id) })
	return us
}

// Workspaces returns the company's workspaces.
func (d *Dataset) Workspaces() []WorkspaceMetadata {
	return slices.Clone(d.workspaces)
}

// Trackers returns the keyword tracker definitions of every workspace, including any
// RemoveTracker took out of the list.
func (d *Dataset) Trackers() []KeywordTracker {
	return slices.Clone(d.keywordDef)
}

// TrackersAt returns the keyword tracker definitions GET /v2/settings/trackers lists
// at virtual time t, in the order it lists them.
func (d *Dataset) TrackersAt(t time.Time) []KeywordTracker {
	d.mu.RLock()
	gone := d.defGone
	d.mu.RUnlock()
	var out []KeywordTracker
	for i, k := range d.keywordDef {
		if gone == nil || gone[i].listed(t.UnixNano()) {
			out = append(out, k)
		}
	}
	return out
}

// RemoveTracker takes a keyword tracker out of the definitions Gong lists from
// virtual time at on (as when an administrator deletes it), and puts it back from back
// on unless back is zero. Calls keep reporting its hits.
func (d *Dataset) RemoveTracker(id string, at, back time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.IndexFunc(d.keywordDef, func(k KeywordTracker) bool { return k.TrackerID == id })
	if i < 0 {
		return fmt.Errorf("remove tracker: no keyword tracker %q", id)
	}
	gone := make([]listing, len(d.keywordDef)) // readers may hold the old slice
	copy(gone, d.defGone)
	gone[i] = listing{removed: at.UnixNano()}
	if !back.IsZero() {
		gone[i].back = back.UnixNano()
	}
	d.defGone = gone
	return nil
}

// lookup finds a call by its decimal id; the caller holds d.mu.
func (d *Dataset) lookup(id string) *callMeta {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return nil
	}
	i, ok := d.byID[n]
	if !ok {
		return nil
	}
	return &d.calls[i]
}

// visible reports whether the call with a decimal id is served at virtual time now.
func (d *Dataset) visible(id string, now int64) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	m := d.lookup(id)
	return m != nil && m.visible(now)
}

// hasUser reports whether a user with the decimal id exists (avatars included).
func (d *Dataset) hasUser(id string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	n, err := strconv.ParseUint(id, 10, 64)
	_, ok := d.userByID[n]
	return err == nil && ok
}

// reserveID hands out an id no entity of the dataset has, for a call added through
// the API.
func (d *Dataset) reserveID() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strconv.FormatUint(d.newID(&d.genRNG), 10)
}

// ---- test hooks ----

// NewCall describes a call a test adds. Zero fields get what a generated call would
// have: a host drawn from the users, processing 5–45 minutes after the call ended,
// a transcript an hour after that.
type NewCall struct {
	Started  time.Time     // required
	Duration time.Duration // default 30m
	// PrimaryUserID picks the host (and so the workspace); default: drawn.
	PrimaryUserID string
	ProcessedAt   time.Time // visible from
	TranscriptAt  time.Time // transcript from; ignored with NoTranscript
	NoTranscript  bool
	Imported      bool // uploaded: no parties, no transcript
	Private       bool
	Title         string // default: generated
}

// AddCall adds a call and returns its description. Its content is generated like
// any other call's; a Title replaces the generated one (as a change at time zero).
func (d *Dataset) AddCall(nc NewCall) (CallSpec, error) {
	if nc.Started.IsZero() {
		return CallSpec{}, fmt.Errorf("add call: Started is required")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var host int32 = -1
	if nc.PrimaryUserID != "" {
		n, err := strconv.ParseUint(nc.PrimaryUserID, 10, 64)
		i, ok := d.userByID[n]
		if err != nil || !ok || d.users[i].avatar {
			return CallSpec{}, fmt.Errorf("add call: no user %q", nc.PrimaryUserID)
		}
		host = i
	}
	seq := int32(len(d.calls))
	m := d.drawCall(&d.genRNG, seq, nc.Started.UnixNano(), 0, 0, 0)
	if host >= 0 {
		m.host, m.ws = host, d.users[host].ws
	}
	switch {
	case nc.Imported && m.kind != kindImported:
		m.kind, m.scheduled, m.listKey, m.external = kindImported, 0, m.started, true
	case !nc.Imported && m.kind == kindImported:
		// Only an explicit Imported makes a call without parties and transcript.
		m.kind, m.scheduled, m.listKey = kindConference, m.started, m.started
	}
	if nc.Duration > 0 {
		m.duration = int32(nc.Duration / time.Second)
	} else {
		m.duration = 1800
	}
	m.private = nc.Private
	end := m.started + int64(m.duration)*int64(time.Second)
	m.processed = end + int64(20*time.Minute)
	if !nc.ProcessedAt.IsZero() {
		m.processed = nc.ProcessedAt.UnixNano()
	}
	m.late = m.processed-end > int64(3*time.Hour)
	m.noTranscript = nc.NoTranscript || m.kind == kindImported
	m.transcriptAt = 0
	if !m.noTranscript {
		m.transcriptAt = m.processed + int64(time.Hour)
		if !nc.TranscriptAt.IsZero() {
			m.transcriptAt = nc.TranscriptAt.UnixNano()
		}
	}
	m.changes = nil
	if nc.Title != "" {
		t := nc.Title
		m.changes = []callChange{{at: 0, ch: Change{Title: &t}}}
	}
	d.byID[m.id] = seq
	d.calls = append(d.calls, m)
	d.insertSorted(seq)
	return d.spec(&d.calls[seq]), nil
}

// insertSorted puts a new call into both indexes; the caller holds d.mu.
func (d *Dataset) insertSorted(i int32) {
	at, _ := slices.BinarySearchFunc(d.byStart, i, func(a, b int32) int { return d.cmpStart(a, b) })
	d.byStart = slices.Insert(d.byStart, at, i)
	at, _ = slices.BinarySearchFunc(d.byList, i, func(a, b int32) int { return d.cmpList(a, b) })
	d.byList = slices.Insert(d.byList, at, i)
}

// edit applies f to a call under the write lock.
func (d *Dataset) edit(op, id string, f func(m *callMeta) error) (CallSpec, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.lookup(id)
	if m == nil {
		return CallSpec{}, fmt.Errorf("%s: no call %q", op, id)
	}
	if err := f(m); err != nil {
		return CallSpec{}, fmt.Errorf("%s %s: %w", op, id, err)
	}
	return d.spec(m), nil
}

// DeleteCall makes the call disappear from every answer from virtual time at on,
// as deleted calls simply stop appearing in Gong.
func (d *Dataset) DeleteCall(id string, at time.Time) (CallSpec, error) {
	return d.edit("delete call", id, func(m *callMeta) error {
		m.deleted, m.restored = at.UnixNano(), 0
		return nil
	})
}

// RestoreCall makes a deleted call appear again from virtual time at on (for
// "reappearing" calls, e.g. made private and public again).
func (d *Dataset) RestoreCall(id string, at time.Time) (CallSpec, error) {
	return d.edit("restore call", id, func(m *callMeta) error {
		if m.deleted == 0 || at.UnixNano() < m.deleted {
			return fmt.Errorf("not deleted before %s", at.Format(time.RFC3339))
		}
		m.restored = at.UnixNano()
		return nil
	})
}

// ChangeCall schedules a change of the call at virtual time at; reads at or after
// at see it. Changes accumulate in time order.
func (d *Dataset) ChangeCall(id string, at time.Time, c Change) (CallSpec, error) {
	return d.edit("change call", id, func(m *callMeta) error {
		if c.AddParties < 0 {
			return fmt.Errorf("AddParties must not be negative")
		}
		ch := slices.Clone(m.changes) // readers may hold the old slice
		ch = append(ch, callChange{at: at.UnixNano(), ch: c})
		slices.SortStableFunc(ch, func(a, b callChange) int { return cmp.Compare(a.at, b.at) })
		m.changes = ch
		return nil
	})
}

// SetProcessedAt moves when Gong finishes processing the call (when it becomes
// visible); a time hours after the call makes it a late call.
func (d *Dataset) SetProcessedAt(id string, at time.Time) (CallSpec, error) {
	return d.edit("set processed", id, func(m *callMeta) error {
		m.processed = at.UnixNano()
		m.late = m.processed-(m.started+int64(m.duration)*int64(time.Second)) > int64(3*time.Hour)
		return nil
	})
}

// SetTranscriptAt moves when the call's transcript becomes available; the zero time
// means it never will.
func (d *Dataset) SetTranscriptAt(id string, at time.Time) (CallSpec, error) {
	return d.edit("set transcript", id, func(m *callMeta) error {
		if at.IsZero() {
			m.transcriptAt, m.noTranscript = 0, true
			return nil
		}
		if m.kind == kindImported {
			return fmt.Errorf("imported calls have no transcript")
		}
		m.transcriptAt, m.noTranscript = at.UnixNano(), false
		return nil
	})
}

// ChangeUser edits a user (title, active, manager, …); every later answer shows it.
func (d *Dataset) ChangeUser(id string, f func(*UserMetadata)) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, err := strconv.ParseUint(id, 10, 64)
	i, ok := d.userByID[n]
	if err != nil || !ok {
		return fmt.Errorf("change user: no user %q", id)
	}
	users := slices.Clone(d.users) // readers may hold the old slice
	u := cloneUser(users[i].u)
	f(&u)
	u.ID = users[i].u.ID // the id is the key; keep it
	users[i].u = u
	d.users = users
	return nil
}

// RemoveUser takes the user out of Gong's user lists from virtual time at on (as
// when an administrator deletes a user), and puts it back from back on unless back is
// zero. The user's calls are unaffected.
func (d *Dataset) RemoveUser(id string, at, back time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, err := strconv.ParseUint(id, 10, 64)
	i, ok := d.userByID[n]
	if err != nil || !ok {
		return fmt.Errorf("remove user: no user %q", id)
	}
	users := slices.Clone(d.users) // readers may hold the old slice
	users[i].removed = at.UnixNano()
	users[i].back = 0
	if !back.IsZero() {
		users[i].back = back.UnixNano()
	}
	d.users = users
	return nil
}

// cloneUser deep-copies the parts of a user a hook could modify in place.
func cloneUser(u UserMetadata) UserMetadata {
	u.EmailAliases = slices.Clone(u.EmailAliases)
	u.PersonalMeetingURLs = slices.Clone(u.PersonalMeetingURLs)
	u.SpokenLanguages = slices.Clone(u.SpokenLanguages)
	u.ConferencingProviders = slices.Clone(u.ConferencingProviders)
	if u.Settings != nil {
		s := *u.Settings
		u.Settings = &s
	}
	return u
}

// ---- small helpers ----

func strp(s string) *string { return &s }
func boolp(b bool) *bool    { return &b }
func int64p(n int64) *int64 { return &n }
func truncateTo(ns, unit int64) int64 {
	if r := ns % unit; r != 0 {
		if ns < 0 {
			return ns - r - unit
		}
		return ns - r
	}
	return ns
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func errNoSuch(what, id string) error { return fmt.Errorf("no %s %q", what, id) }
