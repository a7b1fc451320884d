package fakegong

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// selection is a parsed contentSelector: which blocks of a call to build and send.
type selection struct {
	context          int8 // 0 None, 1 Basic, 2 Extended
	timingNow        bool // Extended only
	timingTimeOfCall bool
	parties, media   bool

	structure, topics, trackers, occurrences, brief, outline, highlights, outcome, keyPoints bool

	speakers, video, personStats, questions bool

	comments bool
}

func (s *selection) anyContent() bool {
	return s.structure || s.topics || s.trackers || s.brief || s.outline || s.highlights || s.outcome || s.keyPoints
}

func (s *selection) anyInteraction() bool {
	return s.speakers || s.video || s.personStats || s.questions
}

// fullSelection is everything a call has; Dataset.CallAt answers with it.
var fullSelection = selection{
	context: 2, timingNow: true, timingTimeOfCall: true, parties: true, media: true,
	structure: true, topics: true, trackers: true, occurrences: true, brief: true, outline: true,
	highlights: true, outcome: true, keyPoints: true,
	speakers: true, video: true, personStats: true, questions: true, comments: true,
}

// trackerOccurrencesSince is when Gong started keeping tracker occurrences.
var trackerOccurrencesSince = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

// callPlan is what every part of a call must agree on, drawn from its own stream.
type callPlan struct {
	account   int  // the external company
	crm       bool // linked to a CRM opportunity
	nInternal int  // internal parties besides the host
	nExternal int
	voicemail bool // telephony: nobody answered
}

func (d *Dataset) plan(m *callMeta) callPlan {
	r := newRNG(d.seed, m.seq, streamPlan)
	p := callPlan{account: r.intn(len(accountPrefixes) * len(accountSuffixes))}
	p.crm = m.external && r.chance(0.85)
	switch m.kind {
	case kindConference:
		p.nInternal = r.between(0, 2)
		if m.external {
			p.nExternal = r.between(1, 7)
		} else {
			p.nInternal += r.between(1, 3)
		}
	case kindImported:
	default:
		p.nExternal = 1
		p.voicemail = m.duration < 40
	}
	return p
}

func accountName(i int) string {
	return accountPrefixes[i%len(accountPrefixes)] + " " + accountSuffixes[(i/len(accountPrefixes))%len(accountSuffixes)]
}

func accountDomain(i int) string {
	return lower(accountPrefixes[i%len(accountPrefixes)]) + lower(accountSuffixes[(i/len(accountPrefixes))%len(accountSuffixes)]) + ".example"
}

// baseTitle is the call's title before any change.
func (d *Dataset) baseTitle(m *callMeta) string {
	r := newRNG(d.seed, m.seq, streamTitle)
	p := d.plan(m)
	switch m.kind {
	case kindConference:
		if !m.external {
			return pick(&r, internalTitles)
		}
		return accountName(p.account) + " <> " + d.companyName + " | " + pick(&r, conferenceTitles)
	case kindImported:
		return "Imported call: " + accountName(p.account)
	case kindInbound:
		return "Inbound call from " + accountName(p.account)
	default:
		return "Call with " + accountName(p.account)
	}
}

// buildCall generates a call as Gong answers it at virtual time now with the given
// selection. users is a snapshot of Dataset.users.
func (d *Dataset) buildCall(m *callMeta, users []user, sel *selection, now int64) CallData {
	need := *sel
	edited := false
	for _, c := range m.changes {
		if c.at <= now && c.ch.Edit != nil {
			edited = true
		}
	}
	if edited {
		// An Edit sees the whole call; what was not asked for is removed after.
		ctx, now, toc := need.context, need.timingNow, need.timingTimeOfCall
		need = fullSelection
		need.context, need.timingNow, need.timingTimeOfCall = ctx, now, toc
	}
	p := d.plan(m)
	c := CallData{MetaData: d.buildMeta(m, users, &p)}
	var parties []Party
	if m.kind != kindImported && (need.parties || need.trackers || need.speakers) {
		parties = d.buildParties(m, users, &p, &need)
	}
	if need.context > 0 && p.crm {
		c.Context = d.buildCRM(m, &p, &need)
	}
	if need.parties && m.kind != kindImported {
		c.Parties = parties
	}
	if need.anyContent() {
		c.Content = d.buildContent(m, parties, &need)
	}
	if need.anyInteraction() {
		c.Interaction = d.buildInteraction(m, parties, &need)
	}
	if need.comments {
		c.Collaboration = d.buildComments(m, users, now)
	}
	if need.media {
		c.Media = d.buildMedia(m, now)
	}
	for k, ch := range m.changes {
		if ch.at > now {
			break // changes are kept in time order
		}
		d.applyChange(m, &c, k, &ch.ch)
	}
	if edited {
		strip(&c, sel)
	}
	return c
}

func (d *Dataset) applyChange(m *callMeta, c *CallData, k int, ch *Change) {
	if ch.Title != nil {
		t := *ch.Title
		c.MetaData.Title = &t
	}
	if ch.IsPrivate != nil {
		c.MetaData.IsPrivate = boolp(*ch.IsPrivate)
	}
	if ch.AddParties > 0 && m.kind != kindImported {
		if c.Parties != nil {
			r := newRNG(d.seed^uint64(k+1)*0x9e3779b97f4a7c15, m.seq, streamChange)
			p := d.plan(m)
			for range ch.AddParties {
				c.Parties = append(c.Parties, d.externalParty(&r, &p, false))
			}
		}
		c.MetaData.Scope = strp("External")
	}
	if ch.Reprocess && c.MetaData.Duration != nil {
		c.MetaData.Duration = int64p(*c.MetaData.Duration + reprocessedLonger)
	}
	if ch.Edit != nil {
		ch.Edit(c)
	}
}

// reprocessedLonger is how many seconds a re-processed recording adds to a call.
const reprocessedLonger = 60

// strip removes what the selection did not ask for (after an Edit saw everything).
func strip(c *CallData, s *selection) {
	if !s.parties {
		c.Parties = nil
	}
	if !s.media {
		c.Media = nil
	}
	if !s.comments {
		c.Collaboration = nil
	}
	if x := c.Content; x != nil {
		if !s.anyContent() {
			c.Content = nil
		} else {
			if !s.structure {
				x.Structure = nil
			}
			if !s.topics {
				x.Topics = nil
			}
			if !s.trackers {
				x.Trackers = nil
			} else if !s.occurrences {
				for i := range x.Trackers {
					x.Trackers[i].Occurrences = nil
					for j := range x.Trackers[i].Phrases {
						x.Trackers[i].Phrases[j].Occurrences = nil
					}
				}
			}
			if !s.brief {
				x.Brief = nil
			}
			if !s.outline {
				x.Outline = nil
			}
			if !s.highlights {
				x.Highlights = nil
			}
			if !s.outcome {
				x.CallOutcome = nil
			}
			if !s.keyPoints {
				x.KeyPoints = nil
			}
		}
	}
	if x := c.Interaction; x != nil {
		if !s.anyInteraction() {
			c.Interaction = nil
		} else {
			if !s.speakers {
				x.Speakers = nil
			}
			if !s.video {
				x.Video = nil
			}
			if !s.personStats {
				x.InteractionStats = nil
			}
			if !s.questions {
				x.Questions = nil
			}
		}
	}
}

func (d *Dataset) buildMeta(m *callMeta, users []user, p *callPlan) *CallBasicData {
	r := newRNG(d.seed, m.seq, streamMeta)
	id := strconv.FormatUint(m.id, 10)
	host := users[m.host].u.ID
	ws := strconv.FormatUint(d.wsIDs[m.ws], 10)
	md := &CallBasicData{
		ID:            id,
		URL:           strp("https://app.gong.io/call?id=" + id),
		Title:         strp(d.baseTitle(m)),
		Scheduled:     d.atOrZero(m.scheduled),
		Started:       d.atOrZero(m.started),
		Duration:      int64p(int64(m.duration)),
		PrimaryUserID: &host,
		WorkspaceID:   &ws,
		Language:      strp(pick(&r, languages)),
		IsPrivate:     boolp(m.private),
	}
	if m.noTranscript && m.kind != kindImported && r.chance(0.5) {
		md.Language = strp("zxx") // not enough speech to tell
	}
	scope := "External"
	if !m.external {
		scope = "Internal"
	}
	switch m.kind {
	case kindConference:
		sys := pick(&r, conferenceSystems)
		md.Direction, md.System, md.Scope = strp("Conference"), &sys, &scope
		md.Media = strp("Video")
		if r.chance(0.1) {
			md.Media = strp("Audio")
		}
		md.MeetingURL = strp(meetingURL(&r, sys))
		if r.chance(0.8) {
			md.CalendarEventID = strp(calendarID(&r))
		}
		if r.chance(0.2) {
			md.Purpose = strp(pick(&r, purposes))
		}
	case kindImported:
		md.Direction, md.Scope, md.Media = strp("Unknown"), strp("Unknown"), strp("Audio")
		md.ClientUniqueID = strp("upload-" + strconv.FormatUint(r.next()%1_000_000, 10))
		md.CustomData = strp("batch=" + strconv.Itoa(r.between(1, 40)))
	default:
		dir := "Unknown"
		switch m.kind {
		case kindOutbound:
			dir = "Outbound"
		case kindInbound:
			dir = "Inbound"
		}
		md.Direction, md.System, md.Scope, md.Media = &dir, strp(pick(&r, telephonySystems)), &scope, strp("Audio")
		md.ClientUniqueID = strp("CA" + strconv.FormatUint(r.next(), 16) + strconv.FormatUint(r.next(), 16))
		if m.kind == kindOutbound && r.chance(0.7) {
			md.SDRDisposition = strp(pick(&r, dispositions))
			if p.voicemail {
				md.SDRDisposition = strp("Left voicemail")
			}
		}
	}
	return md
}

func meetingURL(r *rng, system string) string {
	switch system {
	case "Zoom":
		return "https://zoom.us/j/" + strconv.FormatUint(80_000_000_000+r.next()%9_999_999_999, 10)
	case "Google Meet":
		const a = "abcdefghijklmnopqrstuvwxyz"
		b := []byte("https://meet.google.com/xxx-xxxx-xxx")
		for i := len("https://meet.google.com/"); i < len(b); i++ {
			if b[i] != '-' {
				b[i] = a[r.intn(len(a))]
			}
		}
		return string(b)
	case "Microsoft Teams":
		return "https://teams.microsoft.com/l/meetup-join/19%3ameeting_" + strconv.FormatUint(r.next(), 36)
	default:
		return "https://company.webex.com/meet/" + strconv.FormatUint(r.next()%1_000_000, 36)
	}
}

func calendarID(r *rng) string {
	return strconv.FormatUint(r.next(), 36) + strconv.FormatUint(r.next(), 36)
}

// buildParties generates the call's participants. Absent keys stay nil (Gong leaves
// them out); silent participants have a null speakerId.
func (d *Dataset) buildParties(m *callMeta, users []user, p *callPlan, sel *selection) []Party {
	r := newRNG(d.seed, m.seq, streamParties)
	conference := m.kind == kindConference
	out := make([]Party, 0, 1+p.nInternal+p.nExternal)
	out = append(out, d.internalParty(&r, &users[m.host], true, conference))
	pool := d.wsUsers[m.ws]
	used := map[int32]bool{m.host: true}
	for range p.nInternal {
		if len(used) > len(pool) {
			break
		}
		i := pool[r.intn(len(pool))]
		if used[i] || users[i].created > m.started {
			continue
		}
		used[i] = true
		out = append(out, d.internalParty(&r, &users[i], r.chance(0.7), conference))
	}
	spoke := false
	for k := range p.nExternal {
		speaks := !p.voicemail && (r.chance(0.75) || (k == p.nExternal-1 && !spoke))
		spoke = spoke || speaks
		var party Party
		if conference {
			party = d.externalParty(&r, p, speaks)
		} else {
			party = d.phoneParty(&r, p, speaks)
		}
		out = append(out, party)
	}
	if sel.context > 0 && p.crm {
		cr := newRNG(d.seed, m.seq, streamPartyCRM)
		for i := range out {
			if out[i].Affiliation != nil && *out[i].Affiliation == "External" && out[i].EmailAddress != nil {
				out[i].Context = partyCRM(&cr, sel)
			}
		}
	}
	return out
}

func (d *Dataset) internalParty(r *rng, u *user, speaks, conference bool) Party {
	// Copies, not the user's own pointers: an Edit hook may write through them.
	uid := u.u.ID
	p := Party{
		ID:           strconv.FormatUint(r.gongID(), 10),
		EmailAddress: copyp(u.u.EmailAddress),
		UserID:       &uid,
		Title:        copyp(u.u.Title),
		Affiliation:  strp("Internal"),
	}
	if u.u.FirstName != nil && u.u.LastName != nil {
		p.Name = strp(*u.u.FirstName + " " + *u.u.LastName)
	}
	if speaks {
		p.SpeakerID = speakerID(r)
	}
	if conference {
		p.Methods = methods(r, speaks)
	} else if u.u.PhoneNumber != nil {
		p.PhoneNumber = copyp(u.u.PhoneNumber)
	}
	return p
}

func (d *Dataset) externalParty(r *rng, p *callPlan, speaks bool) Party {
	first, last := pick(r, firstNames), pick(r, lastNames)
	party := Party{
		ID:          strconv.FormatUint(r.gongID(), 10),
		Name:        strp(first + " " + last),
		Affiliation: strp("External"),
		Methods:     methods(r, speaks),
	}
	if r.chance(0.75) {
		party.EmailAddress = strp(lower(first) + "." + lower(last) + "@" + accountDomain(p.account))
	}
	if r.chance(0.6) {
		party.Title = strp(pick(r, externalTitles))
	}
	if speaks {
		party.SpeakerID = speakerID(r)
	}
	return party
}

func (d *Dataset) phoneParty(r *rng, p *callPlan, speaks bool) Party {
	party := Party{
		ID:          strconv.FormatUint(r.gongID(), 10),
		PhoneNumber: strp("+1 212 555 " + strconv.Itoa(1000+r.intn(9000))),
		Affiliation: strp("External"),
	}
	if r.chance(0.2) {
		party.Affiliation = strp("Unknown")
	}
	if r.chance(0.7) {
		first, last := pick(r, firstNames), pick(r, lastNames)
		party.Name = strp(first + " " + last)
		if r.chance(0.5) {
			party.EmailAddress = strp(lower(first) + "." + lower(last) + "@" + accountDomain(p.account))
		}
	}
	if speaks {
		party.SpeakerID = speakerID(r)
	}
	return party
}

func copyp[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func speakerID(r *rng) *string {
	id := strconv.FormatUint(r.gongID(), 10)
	return &id
}

func methods(r *rng, speaks bool) []string {
	switch {
	case !speaks:
		return []string{"Invitee"}
	case r.chance(0.1):
		return []string{"Attendee"} // joined without an invitation
	default:
		return []string{"Invitee", "Attendee"}
	}
}

// timings lists the contextTiming values an Extended selector asked for.
func timings(sel *selection) []string {
	var t []string
	if sel.timingNow {
		t = append(t, "Now")
	}
	if sel.timingTimeOfCall {
		t = append(t, "TimeOfCall")
	}
	return t
}

func partyCRM(r *rng, sel *selection) []CallContext {
	objType, prefix := "Contact", "003"
	if r.chance(0.2) {
		objType, prefix = "Lead", "00Q"
	}
	id := r.sfID(prefix)
	persona := pick(r, []string{"Champion", "Economic Buyer", "Technical Evaluator", "End User"})
	score := r.between(10, 90)
	ctx := CallContext{System: "Salesforce"}
	if sel.context == 1 {
		ctx.Objects = []CRMObject{{ObjectType: objType, ObjectID: id}}
		return []CallContext{ctx}
	}
	for _, t := range timings(sel) {
		s := score
		if t == "Now" {
			s = min(100, score+7)
		}
		ctx.Objects = append(ctx.Objects, CRMObject{
			ObjectType: objType, ObjectID: id, Timing: t,
			Fields: []ContextField{
				{Name: "Persona__c", Value: jsonString(persona)},
				{Name: "Engagement_Score__c", Value: jsonInt(s)},
				{Name: "Do_Not_Call__c", Value: json.RawMessage("null")},
			},
		})
	}
	return []CallContext{ctx}
}

// buildCRM generates the call's CRM context: a Salesforce opportunity and its
// account, once per requested timing, with fields only for Extended.
func (d *Dataset) buildCRM(m *callMeta, p *callPlan, sel *selection) []CallContext {
	// Accounts and their opportunities are shared between calls, so their ids and
	// names come from the account, not the call.
	ar := newRNG(d.seed^0xacc0, int32(p.account), streamCRM)
	accountID := ar.sfID("001")
	industry := pick(&ar, industries)
	employees := ar.between(20, 20000)
	r := newRNG(d.seed, m.seq, streamCRM)
	opp := r.intn(3)
	or := newRNG(d.seed^0x0990, int32(p.account*3+opp), streamCRM)
	oppID := or.sfID("006")
	oppType := pick(&or, opportunityTypes)
	source := pick(&or, leadSources)
	baseAmount := or.between(5, 400) * 1000
	// An opportunity moves between its calls: its stage and amount at a call depend
	// on the week of the call, and today (Now) most are closed, at an amount no call saw.
	// A query that mixes the timings, or takes the largest amount as text, gets it
	// wrong.
	firstStage, phase := or.intn(3), or.intn(5)
	stageNow := 5 + or.intn(2) // Closed Won or Closed Lost
	if or.intn(3) == 0 {
		stageNow = 2 + or.intn(3) // a third of the deals are still open today
	}
	step := (int(m.started/int64(7*24*time.Hour)) + phase) % 5
	stageAtCall := min(4, firstStage+step)
	closeDate := time.Unix(0, m.started).UTC().AddDate(0, r.between(1, 6), 0).Format("2006-01-02")
	name := accountName(p.account)

	ctx := CallContext{System: "Salesforce"}
	if sel.context == 1 {
		ctx.Objects = []CRMObject{
			{ObjectType: "Opportunity", ObjectID: oppID},
			{ObjectType: "Account", ObjectID: accountID},
		}
		return []CallContext{ctx}
	}
	for _, t := range timings(sel) {
		stage, amount := stageAtCall, float64(baseAmount*(10+step))/10
		if t == "Now" {
			stage, amount = stageNow, float64(baseAmount)*1.5
		}
		leadSource := jsonString(source)
		if opp == 2 {
			leadSource = json.RawMessage("null")
		}
		industryValue := jsonString(industry)
		if p.account%7 == 0 {
			industryValue = json.RawMessage("null")
		}
		ctx.Objects = append(ctx.Objects,
			CRMObject{ObjectType: "Opportunity", ObjectID: oppID, Timing: t, Fields: []ContextField{
				{Name: "Name", Value: jsonString(name + " - " + oppType)},
				{Name: "LeadSource", Value: leadSource},
				{Name: "Type", Value: jsonString(oppType)},
				{Name: "StageName", Value: jsonString(stages[stage])},
				{Name: "Probability", Value: jsonFloat(stageProbability[stage])},
				{Name: "Amount", Value: jsonFloat(amount)},
				{Name: "CloseDate", Value: jsonString(closeDate)},
				{Name: "Next_Step__c", Value: json.RawMessage("null")},
			}},
			CRMObject{ObjectType: "Account", ObjectID: accountID, Timing: t, Fields: []ContextField{
				{Name: "Name", Value: jsonString(name)},
				{Name: "Website", Value: jsonString("https://www." + accountDomain(p.account))},
				{Name: "Industry", Value: industryValue},
				{Name: "NumberOfEmployees__c", Value: jsonInt(employees)},
			}},
		)
	}
	return []CallContext{ctx}
}

func jsonString(s string) json.RawMessage { return appendString(nil, s) }
func jsonInt(n int) json.RawMessage       { return strconv.AppendInt(nil, int64(n), 10) }
func jsonFloat(f float64) json.RawMessage { return appendFloat(nil, f) }

// speaking returns the parties with a speaker id.
func speaking(parties []Party) []Party {
	var out []Party
	for _, p := range parties {
		if p.SpeakerID != nil {
			out = append(out, p)
		}
	}
	return out
}

// hasSpeech reports whether Gong could analyse the call's audio.
func (m *callMeta) hasSpeech() bool { return !m.noTranscript }

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func (d *Dataset) topics(m *callMeta) []Topic {
	r := newRNG(d.seed, m.seq, streamTopics)
	n := r.between(3, 6)
	left := int64(m.duration) * 9 / 10
	seen := map[string]bool{}
	out := make([]Topic, 0, n)
	for range n {
		name := pick(&r, topicNames)
		if seen[name] {
			continue
		}
		seen[name] = true
		dur := min(left, int64(r.between(30, max(31, int(m.duration)/3))))
		left -= dur
		out = append(out, Topic{Name: name, Duration: dur})
	}
	return out
}

func (d *Dataset) buildContent(m *callMeta, parties []Party, sel *selection) *Content {
	c := &Content{}
	if !m.hasSpeech() {
		return c // nothing to analyse: Gong returns only what is available
	}
	dur := float64(m.duration)
	if sel.structure {
		r := newRNG(d.seed, m.seq, streamStructure)
		left := int64(m.duration)
		for _, name := range structureNames {
			if left <= 0 || !r.chance(0.55) {
				continue
			}
			part := min(left, int64(r.between(60, max(61, int(m.duration)/3))))
			left -= part
			c.Structure = append(c.Structure, Structure{Name: name, Duration: part})
		}
		if c.Structure == nil {
			c.Structure = []Structure{}
		}
	}
	if sel.topics {
		c.Topics = d.topics(m)
	}
	if sel.trackers {
		c.Trackers = d.callTrackers(m, parties, sel.occurrences)
	}
	if sel.brief {
		r := newRNG(d.seed, m.seq, streamBrief)
		b := pick(&r, summaryLines)
		for range r.between(1, 3) {
			b += " " + pick(&r, summaryLines)
		}
		c.Brief = &b
	}
	if sel.outline {
		r := newRNG(d.seed, m.seq, streamOutline)
		start := 0.0
		for _, sec := range outlineSections {
			if !r.chance(0.6) {
				continue
			}
			length := round2(r.uniform(0.1, 0.3) * dur)
			if start+length > dur {
				break
			}
			o := CallOutlineSection{Section: sec, StartTime: round2(start), Duration: length}
			for k := range r.between(1, 3) {
				o.Items = append(o.Items, CallOutlineItem{Text: pick(&r, summaryLines), StartTime: round2(start + length*float64(k)/3)})
			}
			c.Outline = append(c.Outline, o)
			start += length
		}
		if c.Outline == nil {
			c.Outline = []CallOutlineSection{}
		}
	}
	if sel.highlights {
		r := newRNG(d.seed, m.seq, streamHighlights)
		for _, title := range highlightTitles {
			if !r.chance(0.5) {
				continue
			}
			h := CallHighlightsSection{Title: title}
			for range r.between(1, 3) {
				item := CallHighlightsItem{Text: pick(&r, summaryLines)}
				for range r.between(1, 2) {
					item.StartTimes = append(item.StartTimes, round2(r.uniform(0, dur)))
				}
				h.Items = append(h.Items, item)
			}
			c.Highlights = append(c.Highlights, h)
		}
		if c.Highlights == nil {
			c.Highlights = []CallHighlightsSection{}
		}
	}
	if sel.outcome {
		r := newRNG(d.seed, m.seq, streamOutcome)
		if r.chance(0.7) {
			k := r.intn(len(outcomeNames))
			c.CallOutcome = &CallOutcome{
				ID:       strconv.FormatUint(100_000_000_000_000_000+mix64(d.seed^uint64(k))%900_000_000_000_000_000, 10),
				Category: outcomeNames[k].category,
				Name:     outcomeNames[k].name,
			}
		}
	}
	if sel.keyPoints {
		r := newRNG(d.seed, m.seq, streamKeyPoints)
		n := r.between(2, 5)
		c.KeyPoints = make([]CallKeyPoint, n)
		for i := range n {
			c.KeyPoints[i] = CallKeyPoint{Text: pick(&r, summaryLines)}
		}
	}
	return c
}

// callTrackers reports every tracker of the call's workspace that fired, keyword
// ones with phrases. Occurrences (time and speaker) only for calls since 2023.
func (d *Dataset) callTrackers(m *callMeta, parties []Party, withOccurrences bool) []Tracker {
	r := newRNG(d.seed, m.seq, streamTrackers)
	speakers := speaking(parties)
	occurrences := withOccurrences && m.started >= trackerOccurrencesSince
	out := []Tracker{}
	for _, t := range d.wsTrackers[m.ws] {
		if !r.chance(0.85) {
			continue
		}
		tr := Tracker{ID: t.id, Name: t.name, Type: "KEYWORD"}
		if t.smart {
			tr.Type = "SMART"
		}
		occ := func() TrackerOccurrence {
			o := TrackerOccurrence{StartTime: round2(r.uniform(0, float64(m.duration)))}
			if len(speakers) > 0 {
				o.SpeakerID = speakers[r.intn(len(speakers))].SpeakerID
			}
			return o
		}
		if t.smart {
			tr.Count = r.between(0, 4)
			for range tr.Count {
				if o := occ(); occurrences {
					tr.Occurrences = append(tr.Occurrences, o)
				}
			}
		} else {
			tr.Phrases = []TrackerPhrase{}
			for _, kw := range t.keywords {
				ph := TrackerPhrase{Phrase: kw, Count: r.between(0, 3)}
				if ph.Count == 0 {
					continue
				}
				for range ph.Count {
					if o := occ(); occurrences {
						ph.Occurrences = append(ph.Occurrences, o)
						tr.Occurrences = append(tr.Occurrences, o)
					}
				}
				tr.Count += ph.Count
				tr.Phrases = append(tr.Phrases, ph)
			}
		}
		if occurrences && tr.Occurrences == nil {
			tr.Occurrences = []TrackerOccurrence{}
		}
		out = append(out, tr)
	}
	return out
}

func (d *Dataset) buildInteraction(m *callMeta, parties []Party, sel *selection) *InteractionMeasures {
	in := &InteractionMeasures{}
	if !m.hasSpeech() {
		return in
	}
	dur := float64(m.duration)
	if sel.speakers {
		r := newRNG(d.seed, m.seq, streamSpeakers)
		sp := speaking(parties)
		in.Speakers = make([]UserSpeaker, 0, len(sp))
		left := dur * r.uniform(0.75, 0.95)
		for i, p := range sp {
			share := r.uniform(0.3, 0.6)
			if i == len(sp)-1 {
				share = 1
			}
			talk := round2(left * share)
			left -= talk
			in.Speakers = append(in.Speakers, UserSpeaker{ID: p.ID, UserID: p.UserID, TalkTime: talk})
		}
	}
	if sel.personStats {
		r := newRNG(d.seed, m.seq, streamStats)
		in.InteractionStats = []InteractionStats{
			{Name: "Talk Ratio", Value: round2(r.uniform(0.3, 0.75))},
			{Name: "Longest Monologue", Value: float64(r.between(20, 400))},
			{Name: "Longest Customer Story", Value: float64(r.between(0, 300))},
			{Name: "Interactivity", Value: round2(r.uniform(0, 10))},
			{Name: "Patience", Value: round2(r.uniform(0.2, 2.5))},
			{Name: "Question Rate", Value: round2(r.uniform(0, 30))},
		}
	}
	if sel.video {
		in.Video = []VideoInteraction{}
		if m.kind == kindConference {
			r := newRNG(d.seed, m.seq, streamVideo)
			for _, seg := range videoSegments {
				if r.chance(0.7) {
					in.Video = append(in.Video, VideoInteraction{Name: seg, Duration: round2(r.uniform(0, dur/2))})
				}
			}
		}
	}
	if sel.questions {
		r := newRNG(d.seed, m.seq, streamQuestions)
		in.Questions = &Questions{CompanyCount: r.between(0, 25), NonCompanyCount: r.between(0, 15)}
	}
	return in
}

// buildComments lists the public comments posted by virtual time now: comments keep
// arriving after a call is first visible.
func (d *Dataset) buildComments(m *callMeta, users []user, now int64) *Collaboration {
	col := &Collaboration{PublicComments: []Comment{}}
	r := newRNG(d.seed, m.seq, streamComments)
	if !r.chance(0.25) || m.kind == kindImported {
		return col
	}
	pool := d.wsUsers[m.ws]
	var first string
	for k := range r.between(1, 3) {
		author := &users[pool[r.intn(len(pool))]]
		authorID := author.u.ID
		c := Comment{ID: strconv.FormatUint(r.gongID(), 10), CommenterUserID: &authorID}
		text := pick(&r, commentTexts)
		if r.chance(0.3) {
			mention := &users[m.host]
			if mention.u.FirstName != nil && mention.u.LastName != nil {
				text = "@[" + *mention.u.FirstName + " " + *mention.u.LastName + "](" + mention.u.ID + ") " + text
			}
		}
		c.Comment = &text
		during := r.chance(0.5)
		c.DuringCall = boolp(during)
		var posted int64
		if during {
			posted = m.started + int64(r.uniform(0, float64(m.duration))*float64(time.Second))
		} else {
			posted = m.processed + int64(r.uniform(10, 48*60)*float64(time.Minute))
		}
		c.Posted = d.atOrZero(truncateTo(posted, []int64{1e6, 1e3}[r.intn(2)]))
		if r.chance(0.7) {
			s := round2(r.uniform(0, float64(m.duration)))
			e := round2(min(float64(m.duration), s+r.uniform(5, 60)))
			c.AudioStartTime, c.AudioEndTime = &s, &e
		}
		if k == 0 {
			first = c.ID
		} else if r.chance(0.4) {
			reply := first
			c.InReplyTo = &reply
		}
		if posted <= now {
			col.PublicComments = append(col.PublicComments, c)
		}
	}
	return col
}

// buildMedia returns media URLs that expire eight hours after the request, as Gong's do.
func (d *Dataset) buildMedia(m *callMeta, now int64) *Media {
	id := strconv.FormatUint(m.id, 10)
	exp := strconv.FormatInt(time.Unix(0, now).Add(8*time.Hour).Unix(), 10)
	media := &Media{AudioURL: strp("https://media.fakegong.invalid/calls/" + id + "/audio.mp3?expires=" + exp)}
	if m.kind == kindConference {
		media.VideoURL = strp("https://media.fakegong.invalid/calls/" + id + "/video.mp4?expires=" + exp)
	}
	return media
}

// reprocessings counts the call's re-processed recordings (Change.Reprocess) in effect
// at now: each made the call a minute longer and its transcript a new one.
func reprocessings(m *callMeta, now int64) int {
	n := 0
	for _, ch := range m.changes {
		if ch.at > now {
			break // changes are kept in time order
		}
		if ch.ch.Reprocess {
			n++
		}
	}
	return n
}

// buildTranscript generates the call's transcript as served at now: monologues of
// speakers whose ids are the parties' speaker ids, sentences with millisecond offsets
// in call order. A re-processed recording has a transcript of its own.
func (d *Dataset) buildTranscript(m *callMeta, users []user, now int64) CallTranscript {
	p := d.plan(m)
	parties := d.buildParties(m, users, &p, &selection{})
	sp := speaking(parties)
	topics := d.topics(m)
	gen := reprocessings(m, now)
	r := newRNG(d.seed^uint64(gen)*0x9e3779b97f4a7c15, m.seq, streamTranscript)
	n := transcriptLength(&r, d.sentences)
	total := (int64(m.duration) + int64(gen)*reprocessedLonger) * 1000
	slot := max(total/int64(n), 1)
	ct := CallTranscript{CallID: strconv.FormatUint(m.id, 10)}
	var cur *Monologue
	who := -1
	for k := range n {
		if who < 0 || len(sp) > 1 && r.chance(0.4) {
			next := 0
			if len(sp) > 1 {
				next = r.intn(len(sp))
			}
			if next != who || cur == nil {
				who = next
				mono := Monologue{Sentences: make([]Sentence, 0, 4)}
				if len(sp) > 0 {
					mono.SpeakerID = sp[who].SpeakerID
				}
				if len(topics) > 0 && r.chance(0.8) {
					mono.Topic = &topics[min(len(topics)-1, k*len(topics)/n)].Name
				}
				ct.Transcript = append(ct.Transcript, mono)
				cur = &ct.Transcript[len(ct.Transcript)-1]
			}
		}
		// Each sentence stays inside its slot, so sentences never overlap.
		start := int64(k)*slot + int64(r.intn(int(slot/20)+1))
		end := min(total, start+slot*int64(r.between(50, 90))/100+1)
		cur.Sentences = append(cur.Sentences, Sentence{Start: start, End: end, Text: pick(&r, sentences)})
	}
	return ct
}
