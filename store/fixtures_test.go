package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openStore opens a store on a fresh database of its own, in schema (default when
// empty), without migrating.
func openStore(t testing.TB, url, schema string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{DatabaseURL: url, Schema: schema})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// migrated is a database with gongsync's tables in the default schema, migrated once
// per test binary; each test gets a copy of its own (pgtest.Template).
var migrated = pgtest.NewTemplate(func(ctx context.Context, url string) error {
	s, err := Open(ctx, Options{DatabaseURL: url})
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Migrate(ctx)
})

// newStore returns a store on a migrated database of its own.
func newStore(t testing.TB) *Store {
	t.Helper()
	return openStore(t, migrated.NewDatabase(t), "")
}

func ptr[T any](v T) *T { return &v }

var (
	base   = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	words  = strings.Fields("we talked about pricing and the renewal of the contract next quarter with legal review security questionnaire onboarding timeline budget approval procurement integration salesforce pilot users dashboard forecast champion decision criteria competitor discount")
	topics = []string{"Pricing", "Next Steps", "Product Demo", "Security", "Small Talk", "Integrations"}
)

// sentence returns n deterministic words of call talk.
func sentence(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.String()
}

// makeCall builds call number i the way a busy tenant's calls look: ~6 parties, ~8
// trackers with occurrences, ~5 topics, speakers, interaction stats, a few CRM
// objects, a comment, and a raw document of a few KB. The same i gives the same call.
func makeCall(i int) Call {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	id := fmt.Sprintf("%019d", 7000000000000000000+int64(i))
	started := base.Add(time.Duration(i) * 7 * time.Minute)
	user := fmt.Sprintf("%019d", 2000000000000000000+int64(i%40))
	ws := fmt.Sprintf("%019d", 9000000000000000000+int64(i%3))
	c := Call{
		ID:                      id,
		URL:                     ptr("https://app.gong.io/call?id=" + id),
		Title:                   ptr(fmt.Sprintf("Acme <> Customer %d | %s", i%500, sentence(r, 3))),
		Scheduled:               ptr(started.Add(-2 * time.Minute)),
		Started:                 ptr(started),
		DurationSeconds:         ptr(int64(600 + r.IntN(3000))),
		PrimaryUserID:           ptr(user),
		Direction:               ptr("Conference"),
		System:                  ptr("Zoom"),
		Scope:                   ptr("External"),
		Media:                   ptr("Video"),
		Language:                ptr("eng"),
		WorkspaceID:             ptr(ws),
		Purpose:                 ptr(sentence(r, 6)),
		MeetingURL:              ptr("https://acme.zoom.us/j/" + id[:11]),
		IsPrivate:               ptr(false),
		CalendarEventID:         ptr(fmt.Sprintf("evt-%d", i)),
		Brief:                   ptr(sentence(r, 60)),
		CallOutcome:             []byte(`{"id":"3","category":"Answered","name":"Qualified"}`),
		KeyPoints:               mustJSON([]map[string]string{{"text": sentence(r, 15)}, {"text": sentence(r, 12)}, {"text": sentence(r, 14)}}),
		QuestionCompanyCount:    ptr(int32(r.IntN(20))),
		QuestionNonCompanyCount: ptr(int32(r.IntN(20))),
	}
	nParties := 4 + r.IntN(5)
	for p := range nParties {
		party := CallParty{
			PartyID:      fmt.Sprintf("%d", 100+p),
			SpeakerID:    ptr(fmt.Sprintf("%019d", 5000000000000000000+int64(i*10+p))),
			EmailAddress: ptr(fmt.Sprintf("person%d@customer%d.example", p, i%500)),
			Name:         ptr(fmt.Sprintf("Person %d", p)),
			Title:        ptr("VP Sales"),
			Affiliation:  ptr("External"),
			Methods:      []string{"Invitee", "Attendee"},
			Context:      []byte(`[{"system":"Salesforce","objects":[{"objectType":"Contact","objectId":"003` + id[:12] + `"}]}]`),
		}
		if p < 2 {
			party.UserID = ptr(fmt.Sprintf("%019d", 2000000000000000000+int64((i+p)%40)))
			party.Affiliation = ptr("Internal")
			party.EmailAddress = ptr(fmt.Sprintf("rep%d@acme.example", (i+p)%40))
		}
		c.Parties = append(c.Parties, party)
		c.Speakers = append(c.Speakers, CallSpeaker{PartyID: party.PartyID, UserID: party.UserID, TalkTimeSeconds: float64(r.IntN(1200))})
	}
	for k := range 6 + r.IntN(5) {
		var occ []map[string]any
		for range 1 + r.IntN(4) {
			occ = append(occ, map[string]any{"startTime": r.Float64() * 1800, "speakerId": c.Parties[0].SpeakerID})
		}
		c.Trackers = append(c.Trackers, CallTracker{
			TrackerID: fmt.Sprintf("%019d", 3000000000000000000+int64(k)), Name: fmt.Sprintf("Tracker %d", k),
			Type: ptr("KEYWORD"), Count: int32(len(occ)), Occurrences: mustJSON(occ),
			Phrases: mustJSON([]map[string]any{{"phrase": words[k], "count": len(occ)}}),
		})
	}
	for k := range 4 + r.IntN(3) {
		c.Topics = append(c.Topics, CallTopic{Name: topics[k], DurationSeconds: int64(30 + r.IntN(600))})
	}
	for _, n := range []string{"Interactivity", "Longest Monologue", "Longest Customer Story", "Patience", "Question Rate"} {
		c.InteractionStats = append(c.InteractionStats, CallInteractionStat{Name: n, Value: r.Float64() * 10})
	}
	for k := range 1 + r.IntN(3) {
		o := CallCRMObject{System: "Salesforce", ObjectType: []string{"Account", "Opportunity", "Contact"}[k],
			ObjectID: fmt.Sprintf("00%d%s", k, id[:13]), Timing: "Now"}
		name, amount := sentence(r, 2), float64(r.IntN(100000))
		o.Fields = mustJSON([]map[string]any{{"name": "Name", "value": name}, {"name": "Amount", "value": amount}})
		c.CRMObjects = append(c.CRMObjects, o)
		// The same fields one per row, as the sync derives them.
		c.CRMFields = append(c.CRMFields,
			CallCRMField{System: o.System, ObjectType: o.ObjectType, ObjectID: o.ObjectID, Timing: o.Timing, Name: "Name", ValueText: &name},
			CallCRMField{System: o.System, ObjectType: o.ObjectType, ObjectID: o.ObjectID, Timing: o.Timing, Name: "Amount",
				ValueText: ptr(fmt.Sprint(amount)), ValueNumber: &amount})
	}
	c.Comments = append(c.Comments, CallComment{
		CommentID: fmt.Sprintf("%d", 800000+i), CommenterUserID: c.PrimaryUserID, Comment: ptr(sentence(r, 12)),
		Posted: ptr(started.Add(time.Hour)), AudioStartSeconds: ptr(12.5), AudioEndSeconds: ptr(20.0), DuringCall: ptr(false),
	})
	// The AI blocks, and their rows as the sync derives them.
	var points []map[string]string
	if err := json.Unmarshal(c.KeyPoints, &points); err != nil {
		panic(err)
	}
	for k, p := range points {
		c.KeyPointRows = append(c.KeyPointRows, CallKeyPoint{Index: int32(k), Text: ptr(p["text"])})
	}
	item, highlight := sentence(r, 10), sentence(r, 9)
	c.Outline = mustJSON([]map[string]any{{"section": "Introduction", "startTime": 0, "duration": 95.5,
		"items": []map[string]any{{"text": item, "startTime": 12.25}}}})
	c.OutlineSections = []CallOutlineSection{{Index: 0, Section: ptr("Introduction"), StartTime: ptr(0.0), Duration: ptr(95.5)}}
	c.OutlineItems = []CallOutlineItem{{SectionIndex: 0, Index: 0, Text: &item, StartTime: ptr(12.25)}}
	c.Highlights = mustJSON([]map[string]any{{"title": "Next steps", "items": []map[string]any{{"text": highlight, "startTimes": []float64{40, 310.5}}}}})
	c.HighlightGroups = []CallHighlight{{Index: 0, Title: ptr("Next steps")}}
	c.HighlightItems = []CallHighlightItem{{HighlightIndex: 0, Index: 0, Text: &highlight, StartTimes: []float64{40, 310.5}}}
	c.Structure = mustJSON([]map[string]any{{"name": "Meeting Setup", "duration": 67}})
	c.StructureParts = []CallStructurePart{{Index: 0, Name: ptr("Meeting Setup"), Duration: ptr(int64(67))}}
	c.Raw = rawOf(&c)
	return c
}

// rawOf renders a call as Gong would send it: the document the store keeps in raw.
func rawOf(c *Call) []byte {
	return mustJSON(map[string]any{
		"metaData": map[string]any{"id": c.ID, "url": c.URL, "title": c.Title, "scheduled": c.Scheduled,
			"started": c.Started, "duration": c.DurationSeconds, "primaryUserId": c.PrimaryUserID,
			"direction": c.Direction, "system": c.System, "scope": c.Scope, "media": c.Media,
			"language": c.Language, "workspaceId": c.WorkspaceID, "purpose": c.Purpose,
			"meetingUrl": c.MeetingURL, "isPrivate": c.IsPrivate, "calendarEventId": c.CalendarEventID},
		"parties": c.Parties,
		"content": map[string]any{"brief": c.Brief, "keyPoints": json.RawMessage(c.KeyPoints),
			"outline": json.RawMessage(c.Outline), "highlights": json.RawMessage(c.Highlights),
			"structure": json.RawMessage(c.Structure), "trackers": c.Trackers, "topics": c.Topics},
		"interaction":   map[string]any{"speakers": c.Speakers, "interactionStats": c.InteractionStats},
		"context":       c.CRMObjects,
		"collaboration": map[string]any{"publicComments": c.Comments},
	})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// makeTranscript builds n sentences of call talk for a call, in monologues of a few
// sentences each, ~12 words a sentence.
func makeTranscript(callID string, seed, n int) Transcript {
	r := rand.New(rand.NewPCG(uint64(seed), 7))
	t := Transcript{CallID: callID}
	var ms int64
	for i := range n {
		d := int64(1500 + r.IntN(4000))
		t.Sentences = append(t.Sentences, Sentence{
			SentenceIndex: int32(i), MonologueIndex: int32(i / 4),
			SpeakerID: ptr(fmt.Sprintf("%019d", 5000000000000000000+int64(i/4%3))),
			Topic:     ptr(topics[i/40%len(topics)]),
			StartMs:   ms, EndMs: ms + d,
			Text: sentence(r, 8+r.IntN(9)),
		})
		ms += d
	}
	return t
}
