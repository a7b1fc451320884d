package sync

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// The comparisons below build what the tables should hold straight from the fake's
// dataset (Gong's records), independently of normalize.go, and compare sets of rows
// rendered as strings, so a difference prints as the rows that differ.

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// micros formats a time as the SQL side does: UTC, microseconds (timestamptz's precision).
func micros(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000")
}

// assertMatchesGong checks that every live call, party, tracker, topic, CRM object and
// transcript sentence in the tables is exactly what Gong holds at virtual time at, and
// that calls gone from Gong are marked deleted.
func (v *env) assertMatchesGong(at time.Time) {
	v.t.Helper()
	ds := v.fake.Dataset()
	calls := ds.VisibleCalls(at)
	var wantCalls, wantParties, wantTrackers, wantTopics, wantCRM, wantSentences, wantVideo, wantHits, wantFields []string
	var wantBlocks blockRowsWant
	live := map[string]bool{}
	for _, c := range calls {
		m := c.MetaData
		live[m.ID] = true
		wantCalls = append(wantCalls, fmt.Sprintf("%s¦%s¦%s¦%d¦%s¦%v¦%s", m.ID, deref(m.Title), micros(m.Started),
			deref(m.Duration), deref(m.PrimaryUserID), deref(m.IsPrivate), deref(m.WorkspaceID)))
		for _, p := range c.Parties {
			wantParties = append(wantParties, fmt.Sprintf("%s¦%s¦%s¦%s¦%s¦%s¦%s", m.ID, p.ID, deref(p.UserID), deref(p.SpeakerID),
				deref(p.EmailAddress), deref(p.Name), deref(p.Affiliation)))
		}
		if c.Content != nil {
			for _, t := range c.Content.Trackers {
				wantTrackers = append(wantTrackers, fmt.Sprintf("%s¦%s¦%s¦%d", m.ID, t.ID, t.Name, t.Count))
				// The fake lists a keyword tracker's hits per phrase (and again at the
				// tracker's level), a smart tracker's at the tracker's level only.
				hit := func(o fakegong.TrackerOccurrence, phrase string) {
					wantHits = append(wantHits, fmt.Sprintf("%s¦%s¦%g¦%s¦%s", m.ID, t.ID, o.StartTime, deref(o.SpeakerID), phrase))
				}
				if len(t.Phrases) > 0 {
					for _, ph := range t.Phrases {
						for _, o := range ph.Occurrences {
							hit(o, ph.Phrase)
						}
					}
				} else {
					for _, o := range t.Occurrences {
						hit(o, "")
					}
				}
			}
			for _, t := range c.Content.Topics {
				wantTopics = append(wantTopics, fmt.Sprintf("%s¦%s¦%d", m.ID, t.Name, t.Duration))
			}
			wantBlocks.add(m.ID, c.Content)
		}
		if c.Interaction != nil {
			for _, vi := range c.Interaction.Video {
				wantVideo = append(wantVideo, fmt.Sprintf("%s¦%s¦%g", m.ID, vi.Name, vi.Duration))
			}
		}
		for _, cx := range c.Context {
			for _, o := range cx.Objects {
				wantCRM = append(wantCRM, fmt.Sprintf("%s¦%s¦%s¦%s¦%s", m.ID, cx.System, o.ObjectType, o.ObjectID, o.Timing))
				for _, f := range o.Fields {
					wantFields = append(wantFields, fmt.Sprintf("%s¦%s¦%s¦%s¦%s¦%s¦%s", m.ID, cx.System, o.ObjectType, o.ObjectID, o.Timing,
						f.Name, crmFieldWant(f.Value)))
				}
			}
		}
	}
	for _, tr := range ds.VisibleTranscripts(at) {
		if !live[tr.CallID] {
			continue
		}
		i := 0
		for _, mono := range tr.Transcript {
			for _, s := range mono.Sentences {
				wantSentences = append(wantSentences, fmt.Sprintf("%s¦%d¦%s¦%d¦%d¦%s", tr.CallID, i, deref(mono.SpeakerID), s.Start, s.End, s.Text))
				i++
			}
		}
	}

	v.compare("calls", wantCalls, `SELECT id || '¦' || coalesce(title,'') || '¦' || coalesce(to_char(started AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),'')
		|| '¦' || coalesce(duration_seconds::text,'0') || '¦' || coalesce(primary_user_id,'') || '¦' || coalesce(is_private::text,'false')
		|| '¦' || coalesce(workspace_id,'') FROM calls WHERE deleted_at IS NULL`)
	v.compare("call_parties", wantParties, `SELECT p.call_id || '¦' || party_id || '¦' || coalesce(user_id,'') || '¦' || coalesce(speaker_id,'')
		|| '¦' || coalesce(email_address,'') || '¦' || coalesce(name,'') || '¦' || coalesce(affiliation,'')
		FROM call_parties p JOIN calls c ON c.id = p.call_id AND c.deleted_at IS NULL`)
	v.compare("call_trackers", wantTrackers, `SELECT t.call_id || '¦' || tracker_id || '¦' || name || '¦' || count
		FROM call_trackers t JOIN calls c ON c.id = t.call_id AND c.deleted_at IS NULL`)
	v.compare("call_topics", wantTopics, `SELECT t.call_id || '¦' || t.name || '¦' || t.duration_seconds
		FROM call_topics t JOIN calls c ON c.id = t.call_id AND c.deleted_at IS NULL`)
	v.compare("call_crm_objects", wantCRM, `SELECT o.call_id || '¦' || o.system || '¦' || object_type || '¦' || object_id || '¦' || timing
		FROM call_crm_objects o JOIN calls c ON c.id = o.call_id AND c.deleted_at IS NULL`)
	v.compare("call_crm_fields", wantFields, `SELECT f.call_id || '¦' || f.system || '¦' || object_type || '¦' || object_id || '¦' || timing
		|| '¦' || f.name || '¦' || coalesce(value_text, '∅') || '¦' || coalesce(value_number::numeric::text, '')
		|| '¦' || coalesce(to_char(value_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '')
		FROM call_crm_fields f JOIN calls c ON c.id = f.call_id AND c.deleted_at IS NULL`)
	v.compare("call_video_stats", wantVideo, `SELECT s.call_id || '¦' || s.name || '¦' || s.duration_seconds
		FROM call_video_stats s JOIN calls c ON c.id = s.call_id AND c.deleted_at IS NULL`)
	v.compare("call_tracker_occurrences", wantHits, `SELECT o.call_id || '¦' || tracker_id || '¦' || start_seconds
		|| '¦' || coalesce(speaker_id,'') || '¦' || coalesce(phrase,'')
		FROM call_tracker_occurrences o JOIN calls c ON c.id = o.call_id AND c.deleted_at IS NULL`)
	v.compare("transcript_sentences", wantSentences, `SELECT s.call_id || '¦' || sentence_index || '¦' || coalesce(speaker_id,'') || '¦' || start_ms
		|| '¦' || end_ms || '¦' || text FROM transcript_sentences s JOIN calls c ON c.id = s.call_id AND c.deleted_at IS NULL`)

	v.assertBlockRows(&wantBlocks)

	if v.beyond != nil {
		v.assertBeyondCallsMatchGong(at, v.beyond)
	}

	// Calls we hold that Gong no longer shows must be marked deleted.
	rows, err := v.st.Pool().Query(v.ctx, `SELECT id FROM calls WHERE deleted_at IS NULL`)
	if err != nil {
		v.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			v.t.Fatal(err)
		}
		if !live[id] {
			v.t.Errorf("call %s is gone from Gong but not marked deleted", id)
		}
	}
}

// crmFieldWant renders a CRM field's value as the call_crm_fields comparison reads it
// (text, number, time), from the JSON Gong sent: a string as is, and as a time when it
// is a date or an RFC 3339 time; a number as written and as a number; null as ∅.
func crmFieldWant(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil || v == nil {
		return "∅¦¦"
	}
	switch v := v.(type) {
	case string:
		at := ""
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			at = micros(t)
		} else if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			at = micros(t)
		}
		return v + "¦¦" + at
	case float64:
		return string(raw) + "¦" + strconv.FormatFloat(v, 'f', -1, 64) + "¦"
	default:
		return string(raw) + "¦¦"
	}
}

func (v *env) compare(table string, want []string, sql string) {
	v.t.Helper()
	rows, err := v.st.Pool().Query(v.ctx, sql)
	if err != nil {
		v.t.Fatalf("%s: %v", table, err)
	}
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			v.t.Fatal(err)
		}
		got = append(got, s)
	}
	rows.Close()
	slices.Sort(want)
	slices.Sort(got)
	if slices.Equal(want, got) {
		return
	}
	missing, extra := diff(want, got), diff(got, want)
	v.t.Errorf("%s: %d rows in Gong, %d in the table; missing %d, unexpected %d\nmissing: %s\nunexpected: %s",
		table, len(want), len(got), len(missing), len(extra), head(missing), head(extra))
}

func diff(a, b []string) []string {
	in := map[string]int{}
	for _, s := range b {
		in[s]++
	}
	var out []string
	for _, s := range a {
		if in[s] > 0 {
			in[s]--
			continue
		}
		out = append(out, s)
	}
	return out
}

func head(s []string) string {
	if len(s) > 5 {
		return strings.Join(s[:5], "\n  ") + "\n  …"
	}
	return strings.Join(s, "\n  ")
}
