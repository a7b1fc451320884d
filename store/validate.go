package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// checker collects the first reason a record cannot be stored. Postgres would refuse
// these values too, in the middle of a COPY; checking them first gives the field as
// well as the record. JSON documents are left to Postgres: jsonb is the authority on
// what it accepts, and parsing every document twice would cost a good share of the
// ingest rate. A COPY error still names the record (see copyRows).
type checker struct {
	err error
}

func (c *checker) fail(field, format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("%s: "+format, append([]any{field}, args...)...)
	}
}

// text checks a value for a text column: valid UTF-8 (the database's encoding) with
// no NUL byte, which Postgres text cannot hold.
func (c *checker) text(field, s string) {
	if c.err != nil {
		return
	}
	if strings.IndexByte(s, 0) >= 0 {
		c.fail(field, "contains a NUL byte")
	} else if !utf8.ValidString(s) {
		c.fail(field, "is not valid UTF-8")
	}
}

func (c *checker) key(field, s string) {
	if s == "" {
		c.fail(field, "is empty")
	}
	c.text(field, s)
}

func (c *checker) ptext(field string, s *string) {
	if s != nil {
		c.text(field, *s)
	}
}

func (c *checker) texts(field string, ss []string) {
	for _, s := range ss {
		c.text(field, s)
	}
}

// validJSON reports whether jsonb accepts b: valid JSON, valid UTF-8 (json.Valid
// checks both) and no \u0000, which jsonb refuses to store.
func validJSON(b []byte) bool {
	if !json.Valid(b) {
		return false
	}
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(`\u0000`))
		if j < 0 {
			return true
		}
		// Count the backslashes before it: an even run means the escape is real.
		k := i + j
		n := 0
		for k-n-1 >= 0 && b[k-n-1] == '\\' {
			n++
		}
		if n%2 == 0 {
			return false
		}
		i = k + 1
	}
}

// jsonArg maps an empty document to SQL NULL.
func jsonArg(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func (c *Call) check() error {
	var ch checker
	ch.key("id", c.ID)
	ch.ptext("url", c.URL)
	ch.ptext("title", c.Title)
	ch.ptext("primary_user_id", c.PrimaryUserID)
	ch.ptext("direction", c.Direction)
	ch.ptext("system", c.System)
	ch.ptext("scope", c.Scope)
	ch.ptext("media", c.Media)
	ch.ptext("language", c.Language)
	ch.ptext("workspace_id", c.WorkspaceID)
	ch.ptext("sdr_disposition", c.SDRDisposition)
	ch.ptext("client_unique_id", c.ClientUniqueID)
	ch.ptext("custom_data", c.CustomData)
	ch.ptext("purpose", c.Purpose)
	ch.ptext("meeting_url", c.MeetingURL)
	ch.ptext("calendar_event_id", c.CalendarEventID)
	ch.ptext("brief", c.Brief)
	if len(c.Raw) == 0 {
		ch.fail("raw", "is empty")
	}
	for i := range c.Parties {
		p := &c.Parties[i]
		ch.key("parties.party_id", p.PartyID)
		ch.ptext("parties.user_id", p.UserID)
		ch.ptext("parties.speaker_id", p.SpeakerID)
		ch.ptext("parties.email_address", p.EmailAddress)
		ch.ptext("parties.name", p.Name)
		ch.ptext("parties.title", p.Title)
		ch.ptext("parties.affiliation", p.Affiliation)
		ch.ptext("parties.phone_number", p.PhoneNumber)
		ch.texts("parties.methods", p.Methods)
	}
	for i := range c.Trackers {
		t := &c.Trackers[i]
		ch.key("trackers.tracker_id", t.TrackerID)
		ch.text("trackers.name", t.Name)
		ch.ptext("trackers.type", t.Type)
	}
	for i := range c.Topics {
		ch.text("topics.name", c.Topics[i].Name)
	}
	for i := range c.Speakers {
		ch.key("speakers.party_id", c.Speakers[i].PartyID)
		ch.ptext("speakers.user_id", c.Speakers[i].UserID)
	}
	for i := range c.InteractionStats {
		ch.text("interaction_stats.name", c.InteractionStats[i].Name)
	}
	for i := range c.CRMObjects {
		o := &c.CRMObjects[i]
		ch.text("crm_objects.system", o.System)
		ch.text("crm_objects.object_type", o.ObjectType)
		ch.text("crm_objects.object_id", o.ObjectID)
		ch.text("crm_objects.timing", o.Timing)
	}
	for i := range c.Comments {
		m := &c.Comments[i]
		ch.key("comments.comment_id", m.CommentID)
		ch.ptext("comments.commenter_user_id", m.CommenterUserID)
		ch.ptext("comments.comment", m.Comment)
		ch.ptext("comments.in_reply_to", m.InReplyTo)
	}
	return ch.err
}

func (u *User) check() error {
	var ch checker
	ch.key("id", u.ID)
	ch.ptext("email_address", u.EmailAddress)
	ch.ptext("first_name", u.FirstName)
	ch.ptext("last_name", u.LastName)
	ch.ptext("title", u.Title)
	ch.ptext("phone_number", u.PhoneNumber)
	ch.ptext("extension", u.Extension)
	ch.ptext("manager_id", u.ManagerID)
	ch.texts("email_aliases", u.EmailAliases)
	ch.ptext("trusted_email_address", u.TrustedEmailAddress)
	if len(u.Raw) == 0 {
		ch.fail("raw", "is empty")
	}
	return ch.err
}

func (w *Workspace) check() error {
	var ch checker
	ch.key("id", w.ID)
	ch.ptext("name", w.Name)
	ch.ptext("description", w.Description)
	if len(w.Raw) == 0 {
		ch.fail("raw", "is empty")
	}
	return ch.err
}

func (t *Tracker) check() error {
	var ch checker
	ch.key("id", t.ID)
	ch.ptext("name", t.Name)
	ch.ptext("workspace_id", t.WorkspaceID)
	ch.ptext("affiliation", t.Affiliation)
	ch.ptext("filter_query", t.FilterQuery)
	if len(t.Raw) == 0 {
		ch.fail("raw", "is empty")
	}
	return ch.err
}

func (s *Sentence) check() error {
	var ch checker
	ch.ptext("speaker_id", s.SpeakerID)
	ch.ptext("topic", s.Topic)
	ch.text("text", s.Text)
	return ch.err
}
