package sync

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// RecordError names the record that could not be turned into rows.
type RecordError struct {
	Kind   string // "call", "user", …
	Index  int    // position in its page
	ID     string // empty when the record has none
	Reason string
}

func (e *RecordError) Error() string {
	id := e.ID
	if id == "" {
		id = "(no id)"
	}
	return fmt.Sprintf("%s #%d %s: %s", e.Kind, e.Index, id, e.Reason)
}

// CallRow maps one extensive call onto a calls row and its child rows.
func CallRow(c *gongapi.Call, index int) (store.Call, error) {
	md := c.MetaData
	if md == nil {
		return store.Call{}, &RecordError{Kind: "call", Index: index, Reason: "metaData is missing"}
	}
	id := clean(string(md.ID))
	if id == "" {
		return store.Call{}, &RecordError{Kind: "call", Index: index, Reason: "metaData.id is empty"}
	}
	raw, err := rawJSON(c.Raw, c)
	if err != nil {
		return store.Call{}, &RecordError{Kind: "call", Index: index, ID: id, Reason: err.Error()}
	}
	row := store.Call{
		ID:              id,
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
		Raw:             raw,
	}

	if ct := c.Content; ct != nil {
		row.Brief = cleanPtr(ct.Brief)
		row.CallOutcome = jsonOrNil(ct.CallOutcome != nil, ct.CallOutcome)
		row.KeyPoints = jsonOrNil(ct.KeyPoints != nil, ct.KeyPoints)
		row.Highlights = jsonOrNil(ct.Highlights != nil, ct.Highlights)
		row.Outline = jsonOrNil(ct.Outline != nil, ct.Outline)
		row.Structure = jsonOrNil(ct.Structure != nil, ct.Structure)
		row.Trackers = make([]store.CallTracker, 0, len(ct.Trackers))
		for _, t := range ct.Trackers {
			row.Trackers = append(row.Trackers, store.CallTracker{
				TrackerID:   clean(string(t.ID)),
				Name:        clean(t.Name),
				Type:        nonEmpty(t.Type),
				Count:       int32(t.Count),
				Occurrences: jsonOrNil(t.Occurrences != nil, t.Occurrences),
				Phrases:     jsonOrNil(t.Phrases != nil, t.Phrases),
			})
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
			Context:      jsonOrNil(p.Context != nil, p.Context),
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
	for i, p := range row.Parties {
		if p.PartyID == "" {
			return store.Call{}, &RecordError{Kind: "call", Index: index, ID: id, Reason: fmt.Sprintf("party #%d has no id", i)}
		}
	}
	return row, nil
}

// CallRows maps a page of calls; the first bad record fails the page, so that nothing
// of a page is written unless all of it can be.
func CallRows(calls []gongapi.Call) ([]store.Call, error) {
	rows := make([]store.Call, 0, len(calls))
	for i := range calls {
		r, err := CallRow(&calls[i], i)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// UserRows maps a page of users.
func UserRows(users []gongapi.User) ([]store.User, error) {
	rows := make([]store.User, 0, len(users))
	for i := range users {
		u := &users[i]
		id := clean(string(u.ID))
		if id == "" {
			return nil, &RecordError{Kind: "user", Index: i, Reason: "id is empty"}
		}
		raw, err := rawJSON(u.Raw, u)
		if err != nil {
			return nil, &RecordError{Kind: "user", Index: i, ID: id, Reason: err.Error()}
		}
		rows = append(rows, store.User{
			ID:                  id,
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
			SpokenLanguages:     jsonOrNil(u.SpokenLanguages != nil, u.SpokenLanguages),
			Settings:            jsonOrNil(u.Settings != nil, u.Settings),
			Raw:                 raw,
		})
	}
	return rows, nil
}

// WorkspaceRows maps the workspaces answer.
func WorkspaceRows(ws []gongapi.Workspace) ([]store.Workspace, error) {
	rows := make([]store.Workspace, 0, len(ws))
	for i := range ws {
		w := &ws[i]
		id := clean(string(w.ID))
		if id == "" {
			return nil, &RecordError{Kind: "workspace", Index: i, Reason: "id is empty"}
		}
		raw, err := rawJSON(w.Raw, w)
		if err != nil {
			return nil, &RecordError{Kind: "workspace", Index: i, ID: id, Reason: err.Error()}
		}
		rows = append(rows, store.Workspace{ID: id, Name: cleanPtr(w.Name), Description: cleanPtr(w.Description), Raw: raw})
	}
	return rows, nil
}

// TrackerRows maps the tracker definitions answer.
func TrackerRows(ts []gongapi.KeywordTracker) ([]store.Tracker, error) {
	rows := make([]store.Tracker, 0, len(ts))
	for i := range ts {
		t := &ts[i]
		id := clean(string(t.TrackerID))
		if id == "" {
			return nil, &RecordError{Kind: "tracker", Index: i, Reason: "trackerId is empty"}
		}
		raw, err := rawJSON(t.Raw, t)
		if err != nil {
			return nil, &RecordError{Kind: "tracker", Index: i, ID: id, Reason: err.Error()}
		}
		rows = append(rows, store.Tracker{
			ID:               id,
			Name:             cleanPtr(t.TrackerName),
			WorkspaceID:      idPtr(t.WorkspaceID),
			Affiliation:      cleanPtr(t.Affiliation),
			PartOfQuestion:   t.PartOfQuestion,
			FilterQuery:      cleanPtr(t.FilterQuery),
			LanguageKeywords: jsonOrNil(t.LanguageKeywords != nil, t.LanguageKeywords),
			Created:          t.Created.Ptr(),
			Updated:          t.Updated.Ptr(),
			Raw:              raw,
		})
	}
	return rows, nil
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
// record marshalled when it was built in Go (webhook tests, the fake).
func rawJSON(raw json.RawMessage, v any) ([]byte, error) {
	if len(raw) == 0 {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode raw: %w", err)
		}
		raw = b
	}
	if bytes.Contains(raw, nulEscape) {
		raw = bytes.ReplaceAll(raw, nulEscape, []byte(`\ufffd`))
	}
	if !utf8.Valid(raw) {
		raw = bytes.ToValidUTF8(raw, []byte("\uFFFD"))
	}
	return raw, nil
}

// jsonOrNil encodes v, or returns nil (SQL NULL) when the block was absent. Encoding
// these plain structs cannot fail.
func jsonOrNil(present bool, v any) []byte {
	if !present {
		return nil
	}
	b, _ := json.Marshal(v)
	return b
}
