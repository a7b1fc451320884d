package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
)

var callEntity = entity[Call]{
	kind:  "call",
	table: "calls",
	columns: []string{"id", "url", "title", "scheduled", "started", "duration_seconds", "primary_user_id",
		"direction", "system", "scope", "media", "language", "workspace_id", "sdr_disposition",
		"client_unique_id", "custom_data", "purpose", "meeting_url", "is_private", "calendar_event_id", "brief",
		"call_outcome", "key_points", "highlights", "outline", "structure",
		"question_company_count", "question_non_company_count", "raw"},
	id:  func(c *Call) string { return c.ID },
	raw: func(c *Call) []byte { return c.Raw },
	values: func(c *Call) []any {
		return []any{c.ID, c.URL, c.Title, c.Scheduled, c.Started, c.DurationSeconds, c.PrimaryUserID,
			c.Direction, c.System, c.Scope, c.Media, c.Language, c.WorkspaceID, c.SDRDisposition,
			c.ClientUniqueID, c.CustomData, c.Purpose, c.MeetingURL, c.IsPrivate, c.CalendarEventID, c.Brief,
			jsonArg(c.CallOutcome), jsonArg(c.KeyPoints), jsonArg(c.Highlights), jsonArg(c.Outline), jsonArg(c.Structure),
			c.QuestionCompanyCount, c.QuestionNonCompanyCount, c.Raw}
	},
	check:    (*Call).check,
	children: writeCallChildren,
}

var userEntity = entity[User]{
	kind:  "user",
	table: "users",
	columns: []string{"id", "email_address", "first_name", "last_name", "title", "phone_number", "extension",
		"active", "manager_id", "created", "email_aliases", "trusted_email_address", "spoken_languages", "settings", "raw"},
	id:  func(u *User) string { return u.ID },
	raw: func(u *User) []byte { return u.Raw },
	values: func(u *User) []any {
		return []any{u.ID, u.EmailAddress, u.FirstName, u.LastName, u.Title, u.PhoneNumber, u.Extension,
			u.Active, u.ManagerID, u.Created, u.EmailAliases, u.TrustedEmailAddress,
			jsonArg(u.SpokenLanguages), jsonArg(u.Settings), u.Raw}
	},
	check: (*User).check,
}

var workspaceEntity = entity[Workspace]{
	kind:    "workspace",
	table:   "workspaces",
	columns: []string{"id", "name", "description", "raw"},
	id:      func(w *Workspace) string { return w.ID },
	raw:     func(w *Workspace) []byte { return w.Raw },
	values:  func(w *Workspace) []any { return []any{w.ID, w.Name, w.Description, w.Raw} },
	check:   (*Workspace).check,
}

var trackerEntity = entity[Tracker]{
	kind:  "tracker",
	table: "trackers",
	columns: []string{"id", "name", "workspace_id", "affiliation", "part_of_question", "filter_query",
		"language_keywords", "created", "updated", "raw"},
	id:  func(t *Tracker) string { return t.ID },
	raw: func(t *Tracker) []byte { return t.Raw },
	values: func(t *Tracker) []any {
		return []any{t.ID, t.Name, t.WorkspaceID, t.Affiliation, t.PartOfQuestion, t.FilterQuery,
			jsonArg(t.LanguageKeywords), t.Created, t.Updated, t.Raw}
	},
	check: (*Tracker).check,
}

// UpsertUsers writes users (see UpsertResult for what happens to each).
func (tx *Tx) UpsertUsers(ctx context.Context, users []User) (UpsertResult, error) {
	return upsert(ctx, tx, &userEntity, users)
}

// UpsertWorkspaces writes workspaces (see UpsertResult for what happens to each).
func (tx *Tx) UpsertWorkspaces(ctx context.Context, ws []Workspace) (UpsertResult, error) {
	return upsert(ctx, tx, &workspaceEntity, ws)
}

// UpsertTrackers writes tracker definitions (see UpsertResult for what happens to each).
func (tx *Tx) UpsertTrackers(ctx context.Context, ts []Tracker) (UpsertResult, error) {
	return upsert(ctx, tx, &trackerEntity, ts)
}

// UpsertCalls writes calls. A call that is new or whose raw document changed gets its
// child rows (parties, trackers, topics, speakers, interaction stats, CRM objects,
// comments) replaced by the ones given; an unchanged call keeps its stored children
// and only last_seen_at moves. Child rows with the same key within a call collapse to
// the last one. A record Postgres would refuse fails the whole call with an error
// naming the call, and the caller's transaction with it.
func (tx *Tx) UpsertCalls(ctx context.Context, calls []Call) (UpsertResult, error) {
	return upsert(ctx, tx, &callEntity, calls)
}

// childTable is one child table of calls: its columns (call_id first) and how to
// turn the calls' children into rows, deduplicated by the table's primary key.
type childTable struct {
	table   string
	columns []string
	count   func(c *Call) int // how many rows c has, duplicates included
	rows    func(c *Call, add func(key string, row []any))
}

var callChildren = []childTable{
	{"call_parties", []string{"call_id", "party_id", "user_id", "speaker_id", "email_address", "name", "title",
		"affiliation", "phone_number", "methods", "context"},
		func(c *Call) int { return len(c.Parties) },
		func(c *Call, add func(string, []any)) {
			for i := range c.Parties {
				p := &c.Parties[i]
				add(p.PartyID, []any{c.ID, p.PartyID, p.UserID, p.SpeakerID, p.EmailAddress, p.Name, p.Title,
					p.Affiliation, p.PhoneNumber, p.Methods, jsonArg(p.Context)})
			}
		}},
	{"call_trackers", []string{"call_id", "tracker_id", "name", "type", "count", "occurrences", "phrases"},
		func(c *Call) int { return len(c.Trackers) },
		func(c *Call, add func(string, []any)) {
			for i := range c.Trackers {
				t := &c.Trackers[i]
				add(t.TrackerID, []any{c.ID, t.TrackerID, t.Name, t.Type, t.Count, jsonArg(t.Occurrences), jsonArg(t.Phrases)})
			}
		}},
	{"call_topics", []string{"call_id", "name", "duration_seconds"},
		func(c *Call) int { return len(c.Topics) },
		func(c *Call, add func(string, []any)) {
			for i := range c.Topics {
				t := &c.Topics[i]
				add(t.Name, []any{c.ID, t.Name, t.DurationSeconds})
			}
		}},
	{"call_speakers", []string{"call_id", "party_id", "user_id", "talk_time_seconds"},
		func(c *Call) int { return len(c.Speakers) },
		func(c *Call, add func(string, []any)) {
			for i := range c.Speakers {
				s := &c.Speakers[i]
				add(s.PartyID, []any{c.ID, s.PartyID, s.UserID, s.TalkTimeSeconds})
			}
		}},
	{"call_interaction_stats", []string{"call_id", "name", "value"},
		func(c *Call) int { return len(c.InteractionStats) },
		func(c *Call, add func(string, []any)) {
			for i := range c.InteractionStats {
				s := &c.InteractionStats[i]
				add(s.Name, []any{c.ID, s.Name, s.Value})
			}
		}},
	{"call_crm_objects", []string{"call_id", "system", "object_type", "object_id", "timing", "fields"},
		func(c *Call) int { return len(c.CRMObjects) },
		func(c *Call, add func(string, []any)) {
			for i := range c.CRMObjects {
				o := &c.CRMObjects[i]
				// NUL cannot occur in validated text, so it separates key parts safely.
				add(o.System+"\x00"+o.ObjectType+"\x00"+o.ObjectID+"\x00"+o.Timing,
					[]any{c.ID, o.System, o.ObjectType, o.ObjectID, o.Timing, jsonArg(o.Fields)})
			}
		}},
	{"call_comments", []string{"call_id", "comment_id", "commenter_user_id", "comment", "posted",
		"audio_start_seconds", "audio_end_seconds", "in_reply_to", "during_call"},
		func(c *Call) int { return len(c.Comments) },
		func(c *Call, add func(string, []any)) {
			for i := range c.Comments {
				m := &c.Comments[i]
				add(m.CommentID, []any{c.ID, m.CommentID, m.CommenterUserID, m.Comment, m.Posted,
					m.AudioStartSeconds, m.AudioEndSeconds, m.InReplyTo, m.DuringCall})
			}
		}},
}

// writeCallChildren COPies the child sets of calls straight into the child tables,
// after deleting the stored ones when replace is set: the sets are replaced whole, so
// there is nothing to merge and no need for a stage.
func writeCallChildren(ctx context.Context, q pgx.Tx, calls []*Call, replace bool) error {
	if replace {
		ids := make([]string, len(calls))
		for i, c := range calls {
			ids[i] = c.ID
		}
		b := byKeys(func(b *pgx.Batch) {
			for _, ct := range callChildren {
				b.Queue("DELETE FROM "+ct.table+" WHERE call_id = ANY($1)", ids)
			}
		})
		if err := q.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("delete child rows: %w", err)
		}
	}
	for _, ct := range callChildren {
		n := 0
		for _, c := range calls {
			n += ct.count(c)
		}
		if n == 0 {
			continue
		}
		src := &groupedRows{groups: len(calls), fill: func(g int, rows [][]any) [][]any {
			c := calls[g]
			var seen map[string]int
			ct.rows(c, func(key string, row []any) {
				if seen == nil {
					seen = make(map[string]int, ct.count(c))
				}
				if j, dup := seen[key]; dup {
					rows[j] = row // the last occurrence wins, in the first one's place
					return
				}
				seen[key] = len(rows)
				rows = append(rows, row)
			})
			return rows
		}}
		err := copyRows(ctx, q, ct.table, ct.columns, src,
			func(i int) string { return "call " + strconv.Quote(calls[src.group(i)].ID) })
		if err != nil {
			return err
		}
	}
	return nil
}
