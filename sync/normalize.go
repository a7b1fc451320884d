package sync

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// CallMapping is the version of the mapping from Gong's call records to rows, stored
// with every call (calls.mapping_version). Raise it whenever CallRow starts deriving
// rows it did not before: calls stored by an older mapping are then re-derived from
// their raw documents by Remap, without asking Gong again.
//
//	1: calls and their parties, trackers, topics, speakers, interaction stats, CRM
//	   objects and comments
//	2: also call_video_stats and call_tracker_occurrences
//	3: also call_crm_fields
//	4: the JSON blocks (outline, highlights, key points, structure, outcome, a party's
//	   CRM context) stored as Gong sent them, fields Gong adds inside them included
const CallMapping = 4

// CallRow maps one extensive call onto a calls row and its child rows. The call is
// one gongapi accepted (it has metaData with an id, and every party has an id): the
// mapping cleans text for Postgres and cannot fail.
func CallRow(c *gongapi.Call) store.Call {
	md := c.MetaData
	row := store.Call{
		ID:              clean(string(md.ID)),
		URL:             cleanPtr(md.URL),
		Title:           cleanPtr(md.Title),
		Scheduled:       md.Scheduled.Ptr(),
		Started:         md.Started.Ptr(),
		DurationSeconds: md.Duration,
		PrimaryUserID:   idPtr(md.PrimaryUserID),
		Direction:       cleanPtr(md.Direction),
		System:          cleanPtr(md.System),
		Scope:           cleanPtr(md.Scope),
		Media:           cleanPtr(md.Media),
		Language:        cleanPtr(md.Language),
		WorkspaceID:     idPtr(md.WorkspaceID),
		SDRDisposition:  cleanPtr(md.SDRDisposition),
		ClientUniqueID:  cleanPtr(md.ClientUniqueID),
		CustomData:      cleanPtr(md.CustomData),
		Purpose:         cleanPtr(md.Purpose),
		MeetingURL:      cleanPtr(md.MeetingURL),
		IsPrivate:       md.IsPrivate,
		CalendarEventID: cleanPtr(md.CalendarEventID),
		MappingVersion:  CallMapping,
		Raw:             rawJSON(c.Raw, c),
		TranscriptBasis: transcriptBasis(c),
	}

	if ct := c.Content; ct != nil {
		row.Brief = cleanPtr(ct.Brief)
		row.CallOutcome = jsonDoc(ct.CallOutcome)
		row.KeyPoints = jsonDoc(ct.KeyPoints)
		row.Highlights = jsonDoc(ct.Highlights)
		row.Outline = jsonDoc(ct.Outline)
		row.Structure = jsonDoc(ct.Structure)
		row.Trackers = make([]store.CallTracker, 0, len(ct.Trackers))
		for i := range ct.Trackers {
			t := &ct.Trackers[i]
			id := clean(string(t.ID))
			row.Trackers = append(row.Trackers, store.CallTracker{
				TrackerID:   id,
				Name:        clean(t.Name),
				Type:        nonEmpty(t.Type),
				Count:       int32(t.Count),
				Occurrences: jsonOrNil(t.Occurrences != nil, t.Occurrences),
				Phrases:     jsonOrNil(t.Phrases != nil, t.Phrases),
			})
			row.TrackerOccurrences = appendOccurrences(row.TrackerOccurrences, id, t)
		}
		row.Topics = make([]store.CallTopic, 0, len(ct.Topics))
		for _, t := range ct.Topics {
			row.Topics = append(row.Topics, store.CallTopic{Name: clean(t.Name), DurationSeconds: t.Duration})
		}
	}

	row.Parties = make([]store.CallParty, 0, len(c.Parties))
	for _, p := range c.Parties {
		row.Parties = append(row.Parties, store.CallParty{
			PartyID:      clean(string(p.ID)),
			UserID:       idPtr(p.UserID),
			SpeakerID:    idPtr(p.SpeakerID),
			EmailAddress: cleanPtr(p.EmailAddress),
			Name:         cleanPtr(p.Name),
			Title:        cleanPtr(p.Title),
			Affiliation:  cleanPtr(p.Affiliation),
			PhoneNumber:  cleanPtr(p.PhoneNumber),
			Methods:      cleanAll(p.Methods),
			Context:      jsonDoc(p.Context),
		})
	}

	if in := c.Interaction; in != nil {
		if q := in.Questions; q != nil {
			cc, nc := int32(q.CompanyCount), int32(q.NonCompanyCount)
			row.QuestionCompanyCount, row.QuestionNonCompanyCount = &cc, &nc
		}
		row.Speakers = make([]store.CallSpeaker, 0, len(in.Speakers))
		for _, s := range in.Speakers {
			row.Speakers = append(row.Speakers, store.CallSpeaker{
				PartyID: clean(string(s.ID)), UserID: idPtr(s.UserID), TalkTimeSeconds: s.TalkTime,
			})
		}
		row.InteractionStats = make([]store.CallInteractionStat, 0, len(in.InteractionStats))
		for _, s := range in.InteractionStats {
			row.InteractionStats = append(row.InteractionStats, store.CallInteractionStat{Name: clean(s.Name), Value: s.Value})
		}
		row.VideoStats = make([]store.CallVideoStat, 0, len(in.Video))
		for _, v := range in.Video {
			row.VideoStats = append(row.VideoStats, store.CallVideoStat{Name: clean(v.Name), DurationSeconds: v.Duration})
		}
	}

	for _, cx := range c.Context {
		for _, o := range cx.Objects {
			row.CRMObjects = append(row.CRMObjects, store.CallCRMObject{
				System:     clean(cx.System),
				ObjectType: clean(o.ObjectType),
				ObjectID:   clean(string(o.ObjectID)),
				Timing:     clean(o.Timing),
				Fields:     jsonOrNil(o.Fields != nil, o.Fields),
			})
			row.CRMFields = appendCRMFields(row.CRMFields, clean(cx.System), &o)
		}
	}

	if co := c.Collaboration; co != nil {
		row.Comments = make([]store.CallComment, 0, len(co.PublicComments))
		for _, cm := range co.PublicComments {
			row.Comments = append(row.Comments, store.CallComment{
				CommentID:         clean(string(cm.ID)),
				CommenterUserID:   idPtr(cm.CommenterUserID),
				Comment:           cleanPtr(cm.Comment),
				Posted:            cm.Posted.Ptr(),
				AudioStartSeconds: cm.AudioStartTime,
				AudioEndSeconds:   cm.AudioEndTime,
				InReplyTo:         idPtr(cm.InReplyTo),
				DuringCall:        cm.DuringCall,
			})
		}
	}
	return row
}

// appendOccurrences adds a tracker's hits one row each, numbered in the order of the
// call. Gong lists them per phrase for keyword trackers, and at the tracker's level for
// smart ones (and for keyword trackers not set to show each phrase); a hit that comes
// in both lists is one hit, taken with its phrase.
func appendOccurrences(out []store.CallTrackerOccurrence, trackerID string, t *gongapi.Tracker) []store.CallTrackerOccurrence {
	type hit struct {
		start   float64
		speaker string
	}
	first := len(out)
	withPhrase := map[hit]int{}
	for _, ph := range t.Phrases {
		phrase := clean(ph.Phrase)
		for _, o := range ph.Occurrences {
			out = append(out, store.CallTrackerOccurrence{TrackerID: trackerID, StartSeconds: o.StartTime,
				SpeakerID: idPtr(o.SpeakerID), Phrase: &phrase})
			withPhrase[hit{o.StartTime, idText(o.SpeakerID)}]++
		}
	}
	for _, o := range t.Occurrences {
		h := hit{o.StartTime, idText(o.SpeakerID)}
		if withPhrase[h] > 0 {
			withPhrase[h]--
			continue
		}
		out = append(out, store.CallTrackerOccurrence{TrackerID: trackerID, StartSeconds: o.StartTime, SpeakerID: idPtr(o.SpeakerID)})
	}
	hits := out[first:]
	slices.SortStableFunc(hits, func(a, b store.CallTrackerOccurrence) int { return cmp.Compare(a.StartSeconds, b.StartSeconds) })
	for i := range hits {
		hits[i].Index = int32(i)
	}
	return out
}

// CallRows maps a page of calls that gongapi accepted.
func CallRows(calls []gongapi.Call) []store.Call {
	rows := make([]store.Call, len(calls))
	for i := range calls {
		rows[i] = CallRow(&calls[i])
	}
	return rows
}

// UserRows maps a page of users that gongapi accepted (each has an id).
func UserRows(users []gongapi.User) []store.User {
	rows := make([]store.User, 0, len(users))
	for i := range users {
		u := &users[i]
		rows = append(rows, store.User{
			ID:                  clean(string(u.ID)),
			EmailAddress:        cleanPtr(u.EmailAddress),
			FirstName:           cleanPtr(u.FirstName),
			LastName:            cleanPtr(u.LastName),
			Title:               cleanPtr(u.Title),
			PhoneNumber:         cleanPtr(u.PhoneNumber),
			Extension:           cleanPtr(u.Extension),
			Active:              u.Active,
			ManagerID:           idPtr(u.ManagerID),
			Created:             u.Created.Ptr(),
			EmailAliases:        cleanAll(u.EmailAliases),
			TrustedEmailAddress: cleanPtr(u.TrustedEmailAddress),
			SpokenLanguages:     jsonDoc(u.SpokenLanguages),
			Settings:            jsonDoc(u.Settings),
			Raw:                 rawJSON(u.Raw, u),
		})
	}
	return rows
}

// WorkspaceRows maps the workspaces answer.
func WorkspaceRows(ws []gongapi.Workspace) []store.Workspace {
	rows := make([]store.Workspace, 0, len(ws))
	for i := range ws {
		w := &ws[i]
		rows = append(rows, store.Workspace{ID: clean(string(w.ID)), Name: cleanPtr(w.Name),
			Description: cleanPtr(w.Description), Raw: rawJSON(w.Raw, w)})
	}
	return rows
}

// TrackerRows maps the tracker definitions answer.
func TrackerRows(ts []gongapi.KeywordTracker) []store.Tracker {
	rows := make([]store.Tracker, 0, len(ts))
	for i := range ts {
		t := &ts[i]
		rows = append(rows, store.Tracker{
			ID:               clean(string(t.TrackerID)),
			Name:             cleanPtr(t.TrackerName),
			WorkspaceID:      idPtr(t.WorkspaceID),
			Affiliation:      cleanPtr(t.Affiliation),
			PartOfQuestion:   t.PartOfQuestion,
			FilterQuery:      cleanPtr(t.FilterQuery),
			LanguageKeywords: jsonDoc(t.LanguageKeywords),
			Created:          t.Created.Ptr(),
			Updated:          t.Updated.Ptr(),
			Raw:              rawJSON(t.Raw, t),
		})
	}
	return rows
}

// TranscriptRow flattens a transcript's monologues into numbered sentences.
func TranscriptRow(t *gongapi.CallTranscript) store.Transcript {
	n := 0
	for _, m := range t.Transcript {
		n += len(m.Sentences)
	}
	out := store.Transcript{CallID: clean(string(t.CallID)), Sentences: make([]store.Sentence, 0, n)}
	for mi, m := range t.Transcript {
		speaker, topic := idPtr(m.SpeakerID), cleanPtr(m.Topic)
		for _, s := range m.Sentences {
			out.Sentences = append(out.Sentences, store.Sentence{
				SentenceIndex:  int32(len(out.Sentences)),
				MonologueIndex: int32(mi),
				SpeakerID:      speaker,
				Topic:          topic,
				StartMs:        s.Start,
				EndMs:          s.End,
				Text:           clean(s.Text),
			})
		}
	}
	return out
}

// Postgres text cannot hold NUL, and jsonb cannot hold \u0000 or invalid UTF-8. Gong
// is not known to send either, but one such byte would otherwise fail its page on
// every run forever; replacing it loses one character instead.

func clean(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

func cleanPtr(p *string) *string {
	if p == nil {
		return nil
	}
	s := clean(*p)
	return &s
}

func cleanAll(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clean(s)
	}
	return out
}

// idText is an optional id as text, "" when absent.
func idText(id *gongapi.ID) string {
	if id == nil {
		return ""
	}
	return string(*id)
}

func idPtr(id *gongapi.ID) *string {
	if id == nil || *id == "" {
		return nil
	}
	s := clean(string(*id))
	return &s
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	s = clean(s)
	return &s
}

var nulEscape = []byte(`\u0000`)

// rawJSON returns the record's bytes as Gong sent them, made safe for jsonb, or the
// record marshalled when it was built in Go (tests). The types are plain data:
// marshalling them cannot fail.
func rawJSON(raw json.RawMessage, v any) []byte {
	if len(raw) == 0 {
		raw, _ = json.Marshal(v)
	}
	return safeJSON(raw)
}

// jsonDoc is a block Gong sent, as the document of a jsonb column: absent or null is
// SQL NULL, anything else passes through as sent, made safe for jsonb.
func jsonDoc(raw json.RawMessage) []byte {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return safeJSON(raw)
}

// safeJSON replaces what jsonb refuses and Gong is not known to send: the \u0000
// escape and invalid UTF-8. One such character costs that character, not its page.
func safeJSON(b []byte) []byte {
	if bytes.Contains(b, nulEscape) {
		b = bytes.ReplaceAll(b, nulEscape, []byte(`\ufffd`))
	}
	if !utf8.Valid(b) {
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	return b
}

// jsonOrNil encodes v, or returns nil (SQL NULL) when the block was absent: for the
// documents built from blocks decoded into rows as well (tracker hits, CRM fields).
// Encoding these plain structs cannot fail.
func jsonOrNil(present bool, v any) []byte {
	if !present {
		return nil
	}
	b, _ := json.Marshal(v)
	return safeJSON(b)
}

// transcriptBasis fingerprints what a call's transcript depends on: the recording
// (duration and media; Gong re-processing a recording changes its duration) and who
// speaks in it (the parties' speaker ids; an invitee who never speaks cannot change a
// transcript). A call re-read with another basis has its transcript fetched again.
func transcriptBasis(c *gongapi.Call) *string {
	h := sha256.New()
	md := c.MetaData
	if md.Duration != nil {
		fmt.Fprintf(h, "duration=%d\n", *md.Duration)
	}
	if md.Media != nil {
		fmt.Fprintf(h, "media=%s\n", *md.Media)
	}
	var speakers []string
	for i := range c.Parties {
		if s := c.Parties[i].SpeakerID; s != nil {
			speakers = append(speakers, string(*s))
		}
	}
	slices.Sort(speakers)
	for _, s := range speakers {
		fmt.Fprintf(h, "speaker=%s\n", s)
	}
	basis := hex.EncodeToString(h.Sum(nil)[:16])
	return &basis
}
