package sync

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gongsync/gongsync/gongapi"
)

func decodeCall(t *testing.T, s string) gongapi.Call {
	t.Helper()
	var c gongapi.Call
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCallRowMapsEveryBlock(t *testing.T) {
	c := decodeCall(t, `{
	  "metaData": {"id": 12345678901234567890123, "title": "Demo", "started": "2024-03-01T09:00:00.123456789+05:45",
	    "duration": 1800, "primaryUserId": "111", "isPrivate": false, "workspaceId": null, "url": null},
	  "parties": [{"id": "p1", "userId": "111", "speakerId": "s1", "emailAddress": "a@x.com", "affiliation": "Internal"},
	              {"id": "p2", "speakerId": null, "context": [{"system": "Salesforce", "objects": [{"objectType": "Contact", "objectId": "003"}]}]}],
	  "content": {"brief": "b", "keyPoints": [], "trackers": [{"id": "t1", "name": "Pricing", "count": 2, "type": "KEYWORD",
	               "occurrences": [{"startTime": 1.5, "speakerId": "s1"}]}], "topics": [{"name": "Intro", "duration": 60}]},
	  "interaction": {"speakers": [{"id": "p1", "userId": "111", "talkTime": 10.5}], "interactionStats": [{"name": "Patience", "value": 0.7}],
	                  "questions": {"companyCount": 3, "nonCompanyCount": 1}},
	  "context": [{"system": "Salesforce", "objects": [{"objectType": "Opportunity", "objectId": "006", "timing": "Now",
	               "fields": [{"name": "Amount", "value": 1000}]}]}],
	  "collaboration": {"publicComments": [{"id": "c1", "comment": "nice", "posted": "2024-03-01T10:00:00Z"}]},
	  "somethingNew": {"gong": "adds fields"}
	}`)
	r := CallRow(&c)
	if r.ID != "12345678901234567890123" || *r.Title != "Demo" || *r.DurationSeconds != 1800 || r.WorkspaceID != nil || r.URL != nil {
		t.Errorf("metadata: %+v", r)
	}
	if r.Started.UTC().Format("15:04:05.000000") != "03:15:00.123456" {
		t.Errorf("started %v", r.Started.UTC())
	}
	if len(r.Parties) != 2 || *r.Parties[0].SpeakerID != "s1" || r.Parties[1].SpeakerID != nil || r.Parties[1].Context == nil {
		t.Errorf("parties: %+v", r.Parties)
	}
	if string(r.KeyPoints) != "[]" || r.Highlights != nil || r.CallOutcome != nil {
		t.Errorf("an empty block must be [] and an absent one NULL: key points %s highlights %s", r.KeyPoints, r.Highlights)
	}
	if len(r.Trackers) != 1 || r.Trackers[0].Count != 2 || !strings.Contains(string(r.Trackers[0].Occurrences), `"speakerId":"s1"`) {
		t.Errorf("trackers: %+v", r.Trackers)
	}
	if len(r.Topics) != 1 || len(r.Speakers) != 1 || len(r.InteractionStats) != 1 || *r.QuestionCompanyCount != 3 {
		t.Errorf("content/interaction: %+v", r)
	}
	if len(r.CRMObjects) != 1 || r.CRMObjects[0].ObjectID != "006" || r.CRMObjects[0].Timing != "Now" {
		t.Errorf("crm: %+v", r.CRMObjects)
	}
	if len(r.Comments) != 1 || *r.Comments[0].Comment != "nice" {
		t.Errorf("comments: %+v", r.Comments)
	}
	if !strings.Contains(string(r.Raw), "somethingNew") {
		t.Error("raw lost the fields Gong sent that we don't map")
	}
}

// Postgres text refuses NUL and jsonb refuses \u0000: one such character must cost
// that character, not the page on every run forever.
func TestCallRowMakesTextSafeForPostgres(t *testing.T) {
	c := decodeCall(t, `{"metaData": {"id": "1", "title": "a\u0000b"}, "content": {"brief": "x\u0000"}}`)
	r := CallRow(&c)
	if strings.ContainsRune(*r.Title, 0) || strings.ContainsRune(*r.Brief, 0) {
		t.Error("NUL kept in text")
	}
	if strings.Contains(string(r.Raw), `\u0000`) || !json.Valid(r.Raw) {
		t.Errorf("raw not safe for jsonb: %s", r.Raw)
	}
}

func TestTranscriptRowNumbersSentencesAcrossMonologues(t *testing.T) {
	tr := gongapi.CallTranscript{CallID: "9", Transcript: []gongapi.Monologue{
		{SpeakerID: ptrID("a"), Sentences: []gongapi.Sentence{{Start: 0, End: 1, Text: "one"}, {Start: 1, End: 2, Text: "two"}}},
		{SpeakerID: nil, Sentences: []gongapi.Sentence{{Start: 2, End: 3, Text: "three"}}},
	}}
	r := TranscriptRow(&tr)
	if len(r.Sentences) != 3 || r.Sentences[2].SentenceIndex != 2 || r.Sentences[2].MonologueIndex != 1 || r.Sentences[2].SpeakerID != nil {
		t.Fatalf("%+v", r.Sentences)
	}
}

func ptrID(s string) *gongapi.ID { id := gongapi.ID(s); return &id }

func TestParseStreams(t *testing.T) {
	got, err := ParseStreams("transcripts, calls,users,calls")
	if err != nil || strings.Join(got, ",") != "users,calls,transcripts" {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := ParseStreams("calls,emails"); err == nil {
		t.Fatal("unknown stream accepted")
	}
}

func TestTranscriptRetryBacksOff(t *testing.T) {
	prev := transcriptRetry(0)
	for i := 1; i < 10; i++ {
		d := transcriptRetry(i)
		if d < prev || d > 12*60*60*1e9 {
			t.Fatalf("retry %d: %v after %v", i, d, prev)
		}
		prev = d
	}
}

// A keyword tracker's hits come per phrase and again at the tracker's level; a smart
// tracker's only at the tracker's level. Each hit is one row, with its phrase when
// Gong says, numbered in the order of the call.
func TestCallRowListsEveryTrackerHitOnce(t *testing.T) {
	c := decodeCall(t, `{"metaData": {"id": "1"},
	  "content": {"trackers": [
	    {"id": "kw", "name": "Pricing", "count": 3, "type": "KEYWORD",
	     "occurrences": [{"startTime": 9.5, "speakerId": "s2"}, {"startTime": 1.25, "speakerId": "s1"}, {"startTime": 30, "speakerId": "s1"}],
	     "phrases": [{"phrase": "price", "count": 2, "occurrences": [{"startTime": 1.25, "speakerId": "s1"}, {"startTime": 30, "speakerId": "s1"}]},
	                 {"phrase": "cost", "count": 1, "occurrences": [{"startTime": 9.5, "speakerId": "s2"}]}]},
	    {"id": "smart", "name": "Next steps", "count": 2, "type": "SMART",
	     "occurrences": [{"startTime": 50}, {"startTime": 12, "speakerId": "s1"}]}]},
	  "interaction": {"video": [{"name": "Presentation", "duration": 120.5}, {"name": "WebcamPrimaryUser", "duration": 600}]}}`)
	r := CallRow(&c)
	type hit struct {
		tracker string
		index   int32
		start   float64
		speaker string
		phrase  string
	}
	var got []hit
	for _, o := range r.TrackerOccurrences {
		h := hit{tracker: o.TrackerID, index: o.Index, start: o.StartSeconds}
		if o.SpeakerID != nil {
			h.speaker = *o.SpeakerID
		}
		if o.Phrase != nil {
			h.phrase = *o.Phrase
		}
		got = append(got, h)
	}
	want := []hit{
		{"kw", 0, 1.25, "s1", "price"}, {"kw", 1, 9.5, "s2", "cost"}, {"kw", 2, 30, "s1", "price"},
		{"smart", 0, 12, "s1", ""}, {"smart", 1, 50, "", ""},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("occurrences:\n got %v\nwant %v", got, want)
	}
	if len(r.VideoStats) != 2 || r.VideoStats[0].Name != "Presentation" || r.VideoStats[0].DurationSeconds != 120.5 ||
		r.VideoStats[1].DurationSeconds != 600 {
		t.Errorf("video: %+v", r.VideoStats)
	}
	if r.MappingVersion != CallMapping {
		t.Errorf("mapping version %d, want %d", r.MappingVersion, CallMapping)
	}
}

// The blocks stored as documents pass through as Gong sent them: a field Gong adds
// inside one is kept, an empty block stays [], and null or absent is SQL NULL.
func TestCallRowKeepsTheBlocksAsSent(t *testing.T) {
	c := decodeCall(t, `{"metaData": {"id": "1"},
	  "parties": [{"id": "p", "context": [{"system": "HubSpot", "objects": [], "novelParty": true}]}],
	  "content": {"outline": [{"section": "Intro", "startTime": 1.5, "duration": 30, "items": [], "novelOutline": {"x": 1}}],
	              "highlights": [], "callOutcome": null, "keyPoints": [{"text": "k", "novelPoint": "y"}]}}`)
	r := CallRow(&c)
	for name, tc := range map[string]struct {
		doc  []byte
		want string
	}{
		"outline":       {r.Outline, `"novelOutline"`},
		"key points":    {r.KeyPoints, `"novelPoint"`},
		"party context": {r.Parties[0].Context, `"novelParty"`},
		"highlights":    {r.Highlights, `[]`},
	} {
		if !strings.Contains(string(tc.doc), tc.want) {
			t.Errorf("%s: %s lacks %s", name, tc.doc, tc.want)
		}
	}
	if r.CallOutcome != nil || r.Structure != nil {
		t.Errorf("null and absent blocks must be NULL: outcome %s structure %s", r.CallOutcome, r.Structure)
	}
}

// The blocks' rows are numbered from 0 in Gong's order, nulls stay null, and a block
// in a shape other than the documented one costs its own rows only: the call, its
// other blocks' rows and the block's document are kept.
func TestCallRowDerivesTheBlocksRows(t *testing.T) {
	c := decodeCall(t, `{"metaData": {"id": "1"},
	  "content": {
	    "outline": [{"section": "Intro", "startTime": 0, "duration": 30.5, "items": [{"text": "a", "startTime": 2}, {"text": "b", "startTime": null}]},
	                {"section": null, "items": null}],
	    "highlights": [{"title": "Next steps", "items": [{"text": "send the quote", "startTimes": [12.5, 40]}]}],
	    "keyPoints": {"text": "not an array"},
	    "structure": [{"name": "Meeting Setup", "duration": 67}, {"name": "Demo"}]}}`)
	r := CallRow(&c)
	if len(r.OutlineSections) != 2 || r.OutlineSections[1].Index != 1 || r.OutlineSections[1].Section != nil ||
		*r.OutlineSections[0].Duration != 30.5 {
		t.Errorf("outline sections: %+v", r.OutlineSections)
	}
	if len(r.OutlineItems) != 2 || r.OutlineItems[1].Index != 1 || r.OutlineItems[1].SectionIndex != 0 ||
		*r.OutlineItems[1].Text != "b" || r.OutlineItems[1].StartTime != nil {
		t.Errorf("outline items: %+v", r.OutlineItems)
	}
	if len(r.HighlightGroups) != 1 || len(r.HighlightItems) != 1 || fmt.Sprint(r.HighlightItems[0].StartTimes) != "[12.5 40]" {
		t.Errorf("highlights: %+v %+v", r.HighlightGroups, r.HighlightItems)
	}
	if r.KeyPointRows != nil || !strings.Contains(string(r.KeyPoints), "not an array") {
		t.Errorf("key points in another shape: rows %+v, document %s", r.KeyPointRows, r.KeyPoints)
	}
	if len(r.StructureParts) != 2 || *r.StructureParts[0].Duration != 67 || r.StructureParts[1].Duration != nil {
		t.Errorf("structure: %+v", r.StructureParts)
	}
}

// A user's and a tracker's lists become rows; empty entries and entries without a
// language give none.
func TestUserAndTrackerRowsDeriveTheirLists(t *testing.T) {
	var u gongapi.User
	if err := json.Unmarshal([]byte(`{"id": "7", "emailAliases": ["a@x.com", ""], "personalMeetingUrls": ["https://zoom.us/j/1"],
	  "spokenLanguages": [{"language": "en-US", "primary": true}, {"language": "", "primary": false}, {"language": "fr-FR"}]}`), &u); err != nil {
		t.Fatal(err)
	}
	ur := UserRows([]gongapi.User{u})[0]
	if len(ur.EmailAliasRows) != 1 || len(ur.MeetingURLs) != 1 || len(ur.LanguageRows) != 2 ||
		!*ur.LanguageRows[0].IsPrimary || ur.LanguageRows[1].IsPrimary != nil || ur.MappingVersion != UserMapping {
		t.Errorf("user rows: %+v", ur)
	}
	var k gongapi.KeywordTracker
	if err := json.Unmarshal([]byte(`{"trackerId": "9", "languageKeywords": [{"language": "eng", "keywords": ["price", "cost"], "includeRelatedForms": true},
	  {"language": "mul", "keywords": ["ROI"]}, {"keywords": ["lost"]}]}`), &k); err != nil {
		t.Fatal(err)
	}
	tr := TrackerRows([]gongapi.KeywordTracker{k})[0]
	if len(tr.Languages) != 2 || len(tr.Keywords) != 3 || tr.Keywords[2].Language != "mul" || tr.Languages[1].IncludeRelatedForms != nil ||
		tr.MappingVersion != TrackerMapping {
		t.Errorf("tracker rows: %+v", tr)
	}
}
