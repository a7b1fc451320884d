package fakegong

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// The fake writes its JSON by hand, for two reasons: exact control of the wire (Gong
// sends explicit nulls in user and call metadata but leaves absent party keys out;
// timestamps carry 0, 3 or 6 fractional digits in the company's offset; undocumented
// fields appear only when asked for), and speed (a page of 100 calls with full
// content is over a megabyte, and the fake must not be what limits a sync).
//
// Call blocks follow one rule: a nil slice or pointer is left out, a non-nil empty
// slice is written as []. User, tracker and call metadata write nil as null.

// enc appends JSON to b.
type enc struct {
	b       []byte
	loc     *time.Location
	unknown bool // add fields Gong does not document
}

// open starts an object whose fields are all written with key (which puts a comma
// first); close drops the comma before the first field.
func (e *enc) open() int {
	e.b = append(e.b, '{')
	return len(e.b) - 1
}

func (e *enc) close(start int) {
	if len(e.b) > start+1 && e.b[start+1] == ',' {
		e.b = append(e.b[:start+1], e.b[start+2:]...)
	}
	e.b = append(e.b, '}')
}

func (e *enc) key(k string) {
	e.b = append(e.b, ',', '"')
	e.b = append(e.b, k...)
	e.b = append(e.b, '"', ':')
}

func (e *enc) str(s string)    { e.b = appendString(e.b, s) }
func (e *enc) id(id string)    { e.b = appendString(e.b, id) }
func (e *enc) int(n int64)     { e.b = strconv.AppendInt(e.b, n, 10) }
func (e *enc) float(f float64) { e.b = appendFloat(e.b, f) }
func (e *enc) null()           { e.b = append(e.b, "null"...) }

func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, "true"...)
	} else {
		e.b = append(e.b, "false"...)
	}
}

func (e *enc) strp(s *string) {
	if s == nil {
		e.null()
		return
	}
	e.str(*s)
}

func (e *enc) idp(id *string) {
	if id == nil {
		e.null()
		return
	}
	e.id(*id)
}

func (e *enc) boolp(v *bool) {
	if v == nil {
		e.null()
		return
	}
	e.bool(*v)
}

// time writes a timestamp in the company's offset with as many fractional digits
// as the value needs among 0, 3, 6 and 9, or null for the zero time.
func (e *enc) time(t time.Time) {
	if t.IsZero() {
		e.null()
		return
	}
	tt := t.In(e.loc)
	layout := "2006-01-02T15:04:05Z07:00"
	switch ns := tt.Nanosecond(); {
	case ns == 0:
	case ns%1e6 == 0:
		layout = "2006-01-02T15:04:05.000Z07:00"
	case ns%1e3 == 0:
		layout = "2006-01-02T15:04:05.000000Z07:00"
	default:
		layout = "2006-01-02T15:04:05.000000000Z07:00"
	}
	e.b = append(e.b, '"')
	e.b = tt.AppendFormat(e.b, layout)
	e.b = append(e.b, '"')
}

func (e *enc) strings(xs []string, nilAsNull bool) {
	if xs == nil && nilAsNull {
		e.null()
		return
	}
	e.b = append(e.b, '[')
	for i, s := range xs {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.str(s)
	}
	e.b = append(e.b, ']')
}

func (e *enc) raw(v json.RawMessage) {
	if len(v) == 0 {
		e.null()
		return
	}
	e.b = append(e.b, v...)
}

// ---- pages ----

func (e *enc) requestID(id string) {
	e.b = append(e.b, `{"requestId":`...)
	e.str(id)
	if e.unknown {
		e.b = append(e.b, `,"serverRegion":"us-west-2"`...)
	}
}

func (e *enc) records(r pagination) {
	e.b = append(e.b, `,"records":{"totalRecords":`...)
	e.int(int64(r.TotalRecords))
	e.b = append(e.b, `,"currentPageSize":`...)
	e.int(int64(r.CurrentPageSize))
	e.b = append(e.b, `,"currentPageNumber":`...)
	e.int(int64(r.CurrentPageNumber))
	if r.Cursor != "" {
		e.b = append(e.b, `,"cursor":`...)
		e.str(r.Cursor)
	}
	if e.unknown {
		e.b = append(e.b, `,"pageSizeLimit":100`...)
	}
	e.b = append(e.b, '}')
}

// errorBody writes Gong's error answer.
func (e *enc) errorBody(requestID string, msgs []string) {
	e.b = append(e.b, `{"requestId":`...)
	e.str(requestID)
	e.b = append(e.b, `,"errors":`...)
	e.strings(msgs, false)
	e.b = append(e.b, '}')
}

// ---- calls ----

func (e *enc) callMetaData(m *CallBasicData) {
	e.b = append(e.b, `{"id":`...)
	e.id(m.ID)
	e.b = append(e.b, `,"url":`...)
	e.strp(m.URL)
	e.b = append(e.b, `,"title":`...)
	e.strp(m.Title)
	e.b = append(e.b, `,"scheduled":`...)
	e.time(m.Scheduled)
	e.b = append(e.b, `,"started":`...)
	e.time(m.Started)
	e.b = append(e.b, `,"duration":`...)
	if m.Duration == nil {
		e.null()
	} else {
		e.int(*m.Duration)
	}
	e.b = append(e.b, `,"primaryUserId":`...)
	e.idp(m.PrimaryUserID)
	e.b = append(e.b, `,"direction":`...)
	e.strp(m.Direction)
	e.b = append(e.b, `,"system":`...)
	e.strp(m.System)
	e.b = append(e.b, `,"scope":`...)
	e.strp(m.Scope)
	e.b = append(e.b, `,"media":`...)
	e.strp(m.Media)
	e.b = append(e.b, `,"language":`...)
	e.strp(m.Language)
	e.b = append(e.b, `,"workspaceId":`...)
	e.idp(m.WorkspaceID)
	e.b = append(e.b, `,"sdrDisposition":`...)
	e.strp(m.SDRDisposition)
	e.b = append(e.b, `,"clientUniqueId":`...)
	e.strp(m.ClientUniqueID)
	e.b = append(e.b, `,"customData":`...)
	e.strp(m.CustomData)
	e.b = append(e.b, `,"purpose":`...)
	e.strp(m.Purpose)
	e.b = append(e.b, `,"meetingUrl":`...)
	e.strp(m.MeetingURL)
	e.b = append(e.b, `,"isPrivate":`...)
	e.boolp(m.IsPrivate)
	e.b = append(e.b, `,"calendarEventId":`...)
	e.strp(m.CalendarEventID)
	if e.unknown {
		e.b = append(e.b, `,"meetingPlatformDetails":{"provider":"native","recordingBotId":null,"segments":[1,2.5,"x"]}`...)
	}
	e.b = append(e.b, '}')
}

func (e *enc) call(c *CallData) {
	s := e.open()
	if c.MetaData != nil {
		e.key("metaData")
		e.callMetaData(c.MetaData)
	}
	if c.Context != nil {
		e.key("context")
		e.contexts(c.Context)
	}
	if c.Parties != nil {
		e.key("parties")
		e.b = append(e.b, '[')
		for i := range c.Parties {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.party(&c.Parties[i])
		}
		e.b = append(e.b, ']')
	}
	if c.Content != nil {
		e.key("content")
		e.content(c.Content)
	}
	if c.Interaction != nil {
		e.key("interaction")
		e.interaction(c.Interaction)
	}
	if c.Collaboration != nil {
		e.key("collaboration")
		s := e.open()
		if c.Collaboration.PublicComments != nil {
			e.key("publicComments")
			e.b = append(e.b, '[')
			for i := range c.Collaboration.PublicComments {
				if i > 0 {
					e.b = append(e.b, ',')
				}
				e.comment(&c.Collaboration.PublicComments[i])
			}
			e.b = append(e.b, ']')
		}
		e.close(s)
	}
	if c.Media != nil {
		e.key("media")
		s := e.open()
		if c.Media.AudioURL != nil {
			e.key("audioUrl")
			e.str(*c.Media.AudioURL)
		}
		if c.Media.VideoURL != nil {
			e.key("videoUrl")
			e.str(*c.Media.VideoURL)
		}
		e.close(s)
	}
	e.close(s)
}

func (e *enc) contexts(cs []CallContext) {
	e.b = append(e.b, '[')
	for i := range cs {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, `{"system":`...)
		e.str(cs[i].System)
		e.b = append(e.b, `,"objects":[`...)
		for j := range cs[i].Objects {
			o := &cs[i].Objects[j]
			if j > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"objectType":`...)
			e.str(o.ObjectType)
			e.b = append(e.b, `,"objectId":`...)
			e.id(o.ObjectID)
			if o.Fields != nil {
				e.b = append(e.b, `,"fields":[`...)
				for k := range o.Fields {
					if k > 0 {
						e.b = append(e.b, ',')
					}
					e.b = append(e.b, `{"name":`...)
					e.str(o.Fields[k].Name)
					e.b = append(e.b, `,"value":`...)
					e.raw(o.Fields[k].Value)
					e.b = append(e.b, '}')
				}
				e.b = append(e.b, ']')
			}
			if o.Timing != "" {
				e.b = append(e.b, `,"timing":`...)
				e.str(o.Timing)
			}
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, "]}"...)
	}
	e.b = append(e.b, ']')
}

// party leaves absent keys out, except speakerId, which is null for a silent party.
func (e *enc) party(p *Party) {
	e.b = append(e.b, `{"id":`...)
	e.id(p.ID)
	if p.EmailAddress != nil {
		e.b = append(e.b, `,"emailAddress":`...)
		e.str(*p.EmailAddress)
	}
	if p.Name != nil {
		e.b = append(e.b, `,"name":`...)
		e.str(*p.Name)
	}
	if p.Title != nil {
		e.b = append(e.b, `,"title":`...)
		e.str(*p.Title)
	}
	if p.UserID != nil {
		e.b = append(e.b, `,"userId":`...)
		e.id(*p.UserID)
	}
	e.b = append(e.b, `,"speakerId":`...)
	e.idp(p.SpeakerID)
	if p.Context != nil {
		e.b = append(e.b, `,"context":`...)
		e.contexts(p.Context)
	}
	if p.Affiliation != nil {
		e.b = append(e.b, `,"affiliation":`...)
		e.str(*p.Affiliation)
	}
	if p.PhoneNumber != nil {
		e.b = append(e.b, `,"phoneNumber":`...)
		e.str(*p.PhoneNumber)
	}
	if p.Methods != nil {
		e.b = append(e.b, `,"methods":`...)
		e.strings(p.Methods, false)
	}
	if e.unknown {
		e.b = append(e.b, `,"isOrganizer":false`...)
	}
	e.b = append(e.b, '}')
}

func (e *enc) content(c *Content) {
	s := e.open()
	if c.Structure != nil {
		e.key("structure")
		e.b = append(e.b, '[')
		for i, p := range c.Structure {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"name":`...)
			e.str(p.Name)
			e.b = append(e.b, `,"duration":`...)
			e.int(p.Duration)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	if c.Trackers != nil {
		e.key("trackers")
		e.b = append(e.b, '[')
		for i := range c.Trackers {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.tracker(&c.Trackers[i])
		}
		e.b = append(e.b, ']')
	}
	if c.Topics != nil {
		e.key("topics")
		e.b = append(e.b, '[')
		for i, t := range c.Topics {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"name":`...)
			e.str(t.Name)
			e.b = append(e.b, `,"duration":`...)
			e.int(t.Duration)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	if c.Brief != nil {
		e.key("brief")
		e.str(*c.Brief)
	}
	if c.Outline != nil {
		e.key("outline")
		e.b = append(e.b, '[')
		for i := range c.Outline {
			o := &c.Outline[i]
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"section":`...)
			e.str(o.Section)
			e.b = append(e.b, `,"startTime":`...)
			e.float(o.StartTime)
			e.b = append(e.b, `,"duration":`...)
			e.float(o.Duration)
			if o.Items != nil {
				e.b = append(e.b, `,"items":[`...)
				for j, it := range o.Items {
					if j > 0 {
						e.b = append(e.b, ',')
					}
					e.b = append(e.b, `{"text":`...)
					e.str(it.Text)
					e.b = append(e.b, `,"startTime":`...)
					e.float(it.StartTime)
					e.b = append(e.b, '}')
				}
				e.b = append(e.b, ']')
			}
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	if c.Highlights != nil {
		e.key("highlights")
		e.b = append(e.b, '[')
		for i := range c.Highlights {
			h := &c.Highlights[i]
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"title":`...)
			e.str(h.Title)
			if h.Items != nil {
				e.b = append(e.b, `,"items":[`...)
				for j := range h.Items {
					if j > 0 {
						e.b = append(e.b, ',')
					}
					e.b = append(e.b, `{"text":`...)
					e.str(h.Items[j].Text)
					if h.Items[j].StartTimes != nil {
						e.b = append(e.b, `,"startTimes":[`...)
						for k, t := range h.Items[j].StartTimes {
							if k > 0 {
								e.b = append(e.b, ',')
							}
							e.float(t)
						}
						e.b = append(e.b, ']')
					}
					e.b = append(e.b, '}')
				}
				e.b = append(e.b, ']')
			}
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	if c.CallOutcome != nil {
		e.key("callOutcome")
		e.b = append(e.b, `{"id":`...)
		e.id(c.CallOutcome.ID)
		e.b = append(e.b, `,"category":`...)
		e.str(c.CallOutcome.Category)
		e.b = append(e.b, `,"name":`...)
		e.str(c.CallOutcome.Name)
		e.b = append(e.b, '}')
	}
	if c.KeyPoints != nil {
		e.key("keyPoints")
		e.b = append(e.b, '[')
		for i, k := range c.KeyPoints {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"text":`...)
			e.str(k.Text)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	if e.unknown {
		e.key("aiModelVersion")
		e.str("v7")
	}
	e.close(s)
}

func (e *enc) occurrences(os []TrackerOccurrence) {
	e.b = append(e.b, '[')
	for i := range os {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, `{"startTime":`...)
		e.float(os[i].StartTime)
		if os[i].SpeakerID != nil {
			e.b = append(e.b, `,"speakerId":`...)
			e.id(*os[i].SpeakerID)
		}
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, ']')
}

func (e *enc) tracker(t *Tracker) {
	e.b = append(e.b, `{"id":`...)
	e.id(t.ID)
	e.b = append(e.b, `,"name":`...)
	e.str(t.Name)
	e.b = append(e.b, `,"count":`...)
	e.int(int64(t.Count))
	if t.Type != "" {
		e.b = append(e.b, `,"type":`...)
		e.str(t.Type)
	}
	if t.Occurrences != nil {
		e.b = append(e.b, `,"occurrences":`...)
		e.occurrences(t.Occurrences)
	}
	if t.Phrases != nil {
		e.b = append(e.b, `,"phrases":[`...)
		for i := range t.Phrases {
			p := &t.Phrases[i]
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"count":`...)
			e.int(int64(p.Count))
			if p.Occurrences != nil {
				e.b = append(e.b, `,"occurrences":`...)
				e.occurrences(p.Occurrences)
			}
			e.b = append(e.b, `,"phrase":`...)
			e.str(p.Phrase)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	e.b = append(e.b, '}')
}

func (e *enc) interaction(in *InteractionMeasures) {
	s := e.open()
	if in.Speakers != nil {
		e.key("speakers")
		e.b = append(e.b, '[')
		for i := range in.Speakers {
			sp := &in.Speakers[i]
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"id":`...)
			e.id(sp.ID)
			if sp.UserID != nil {
				e.b = append(e.b, `,"userId":`...)
				e.id(*sp.UserID)
			}
			e.b = append(e.b, `,"talkTime":`...)
			e.float(sp.TalkTime)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	if in.InteractionStats != nil {
		e.key("interactionStats")
		e.b = append(e.b, '[')
		for i, st := range in.InteractionStats {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"name":`...)
			e.str(st.Name)
			e.b = append(e.b, `,"value":`...)
			e.float(st.Value)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	if in.Video != nil {
		e.key("video")
		e.b = append(e.b, '[')
		for i, v := range in.Video {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"name":`...)
			e.str(v.Name)
			e.b = append(e.b, `,"duration":`...)
			e.float(v.Duration)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	if in.Questions != nil {
		e.key("questions")
		e.b = append(e.b, `{"companyCount":`...)
		e.int(int64(in.Questions.CompanyCount))
		e.b = append(e.b, `,"nonCompanyCount":`...)
		e.int(int64(in.Questions.NonCompanyCount))
		e.b = append(e.b, '}')
	}
	if e.unknown {
		e.key("sentimentScore")
		e.float(0.42)
	}
	e.close(s)
}

func (e *enc) comment(c *Comment) {
	e.b = append(e.b, `{"id":`...)
	e.id(c.ID)
	if c.AudioStartTime != nil {
		e.b = append(e.b, `,"audioStartTime":`...)
		e.float(*c.AudioStartTime)
	}
	if c.AudioEndTime != nil {
		e.b = append(e.b, `,"audioEndTime":`...)
		e.float(*c.AudioEndTime)
	}
	if c.CommenterUserID != nil {
		e.b = append(e.b, `,"commenterUserId":`...)
		e.id(*c.CommenterUserID)
	}
	if c.Comment != nil {
		e.b = append(e.b, `,"comment":`...)
		e.str(*c.Comment)
	}
	e.b = append(e.b, `,"posted":`...)
	e.time(c.Posted)
	if c.InReplyTo != nil {
		e.b = append(e.b, `,"inReplyTo":`...)
		e.id(*c.InReplyTo)
	}
	if c.DuringCall != nil {
		e.b = append(e.b, `,"duringCall":`...)
		e.bool(*c.DuringCall)
	}
	e.b = append(e.b, '}')
}

// ---- transcripts ----

func (e *enc) transcript(t *CallTranscript) {
	e.b = append(e.b, `{"callId":`...)
	e.id(t.CallID)
	if e.unknown {
		e.b = append(e.b, `,"language":"eng"`...)
	}
	e.b = append(e.b, `,"transcript":[`...)
	for i := range t.Transcript {
		m := &t.Transcript[i]
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, `{"speakerId":`...)
		e.idp(m.SpeakerID)
		e.b = append(e.b, `,"topic":`...)
		e.strp(m.Topic)
		e.b = append(e.b, `,"sentences":[`...)
		for j := range m.Sentences {
			s := &m.Sentences[j]
			if j > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"start":`...)
			e.int(s.Start)
			e.b = append(e.b, `,"end":`...)
			e.int(s.End)
			e.b = append(e.b, `,"text":`...)
			e.str(s.Text)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
		if e.unknown {
			e.b = append(e.b, `,"confidence":0.93`...)
		}
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, "]}"...)
}

// ---- users, workspaces, trackers ----

func (e *enc) user(u *UserMetadata) {
	e.b = append(e.b, `{"id":`...)
	e.id(u.ID)
	e.b = append(e.b, `,"emailAddress":`...)
	e.strp(u.EmailAddress)
	e.b = append(e.b, `,"created":`...)
	e.time(u.Created)
	e.b = append(e.b, `,"active":`...)
	e.boolp(u.Active)
	e.b = append(e.b, `,"emailAliases":`...)
	e.strings(u.EmailAliases, true)
	e.b = append(e.b, `,"trustedEmailAddress":`...)
	e.strp(u.TrustedEmailAddress)
	e.b = append(e.b, `,"firstName":`...)
	e.strp(u.FirstName)
	e.b = append(e.b, `,"lastName":`...)
	e.strp(u.LastName)
	e.b = append(e.b, `,"title":`...)
	e.strp(u.Title)
	e.b = append(e.b, `,"phoneNumber":`...)
	e.strp(u.PhoneNumber)
	e.b = append(e.b, `,"extension":`...)
	e.strp(u.Extension)
	e.b = append(e.b, `,"personalMeetingUrls":`...)
	e.strings(u.PersonalMeetingURLs, true)
	e.b = append(e.b, `,"settings":`...)
	if s := u.Settings; s == nil {
		e.null()
	} else {
		o := e.open()
		for _, f := range []struct {
			name string
			v    *bool
		}{
			{"webConferencesRecorded", s.WebConferencesRecorded},
			{"preventWebConferenceRecording", s.PreventWebConferenceRecording},
			{"telephonyCallsImported", s.TelephonyCallsImported},
			{"emailsImported", s.EmailsImported},
			{"preventEmailImport", s.PreventEmailImport},
			{"nonRecordedMeetingsImported", s.NonRecordedMeetingsImported},
			{"gongConnectEnabled", s.GongConnectEnabled},
		} {
			if f.v != nil {
				e.key(f.name)
				e.bool(*f.v)
			}
		}
		e.close(o)
	}
	e.b = append(e.b, `,"managerId":`...)
	e.idp(u.ManagerID)
	e.b = append(e.b, `,"meetingConsentPageUrl":`...)
	e.strp(u.MeetingConsentPageURL)
	e.b = append(e.b, `,"spokenLanguages":`...)
	if u.SpokenLanguages == nil {
		e.null()
	} else {
		e.b = append(e.b, '[')
		for i, l := range u.SpokenLanguages {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"language":`...)
			e.str(l.Language)
			e.b = append(e.b, `,"primary":`...)
			e.bool(l.Primary)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	if u.ConferencingProviders != nil {
		e.b = append(e.b, `,"conferencingProviders":`...)
		e.strings(u.ConferencingProviders, false)
	}
	if e.unknown {
		e.b = append(e.b, `,"avatarUrl":null,"roles":["member"]`...)
	}
	e.b = append(e.b, '}')
}

func (e *enc) workspace(w *WorkspaceMetadata) {
	e.b = append(e.b, `{"id":`...)
	e.id(w.ID)
	e.b = append(e.b, `,"name":`...)
	e.strp(w.Name)
	e.b = append(e.b, `,"description":`...)
	e.strp(w.Description)
	if e.unknown {
		e.b = append(e.b, `,"timeZone":"America/Los_Angeles"`...)
	}
	e.b = append(e.b, '}')
}

func (e *enc) keywordTracker(t *KeywordTracker) {
	e.b = append(e.b, `{"trackerId":`...)
	e.id(t.TrackerID)
	e.b = append(e.b, `,"trackerName":`...)
	e.strp(t.TrackerName)
	e.b = append(e.b, `,"workspaceId":`...)
	e.idp(t.WorkspaceID)
	e.b = append(e.b, `,"languageKeywords":`...)
	if t.LanguageKeywords == nil {
		e.null()
	} else {
		e.b = append(e.b, '[')
		for i, lk := range t.LanguageKeywords {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"language":`...)
			e.str(lk.Language)
			e.b = append(e.b, `,"keywords":`...)
			e.strings(lk.Keywords, false)
			e.b = append(e.b, `,"includeRelatedForms":`...)
			e.bool(lk.IncludeRelatedForms)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	e.b = append(e.b, `,"affiliation":`...)
	e.strp(t.Affiliation)
	e.b = append(e.b, `,"partOfQuestion":`...)
	e.boolp(t.PartOfQuestion)
	e.b = append(e.b, `,"saidAt":`...)
	e.strp(t.SaidAt)
	e.b = append(e.b, `,"saidAtInterval":`...)
	if t.SaidAtInterval == nil {
		e.null()
	} else {
		e.int(*t.SaidAtInterval)
	}
	e.b = append(e.b, `,"saidAtUnit":`...)
	e.strp(t.SaidAtUnit)
	e.b = append(e.b, `,"saidInTopics":`...)
	e.strings(t.SaidInTopics, true)
	e.b = append(e.b, `,"saidInCallParts":`...)
	e.strings(t.SaidInCallParts, true)
	e.b = append(e.b, `,"filterQuery":`...)
	e.strp(t.FilterQuery)
	e.b = append(e.b, `,"created":`...)
	e.time(t.Created)
	e.b = append(e.b, `,"creatorUserId":`...)
	e.idp(t.CreatorUserID)
	e.b = append(e.b, `,"updated":`...)
	e.time(t.Updated)
	e.b = append(e.b, `,"updaterUserId":`...)
	e.idp(t.UpdaterUserID)
	if e.unknown {
		e.b = append(e.b, `,"enabled":true`...)
	}
	e.b = append(e.b, '}')
}

// ---- scalars ----

// appendFloat formats a float the way encoding/json does; NaN and infinities, which
// JSON cannot carry, become 0.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0')
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as with
// encoding/json; U+2028 and U+2029 are escaped so the output is also valid JavaScript.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
