package store

import "time"

// The row types below are the store's own terms: what the tables hold, not what Gong
// sends. The sync package maps Gong records onto them. Each field's db tag names its
// column (see shape.go): that tag is the one place a column's name is written in Go.
// Pointer fields are nullable columns; json columns hold JSON documents (empty is
// SQL NULL); key columns identify a child row among its call's.

// Call is one row of calls, with the call's child rows. When a call is new or its
// content changed, its child sets replace the stored ones, so a party removed in Gong
// disappears here too.
type Call struct {
	ID                      string     `db:"id"`
	URL                     *string    `db:"url"`
	Title                   *string    `db:"title"`
	Scheduled               *time.Time `db:"scheduled"`
	Started                 *time.Time `db:"started"`
	DurationSeconds         *int64     `db:"duration_seconds"`
	PrimaryUserID           *string    `db:"primary_user_id"`
	Direction               *string    `db:"direction"`
	System                  *string    `db:"system"`
	Scope                   *string    `db:"scope"`
	Media                   *string    `db:"media"`
	Language                *string    `db:"language"`
	WorkspaceID             *string    `db:"workspace_id"`
	SDRDisposition          *string    `db:"sdr_disposition"`
	ClientUniqueID          *string    `db:"client_unique_id"`
	CustomData              *string    `db:"custom_data"`
	Purpose                 *string    `db:"purpose"`
	MeetingURL              *string    `db:"meeting_url"`
	IsPrivate               *bool      `db:"is_private"`
	CalendarEventID         *string    `db:"calendar_event_id"`
	Brief                   *string    `db:"brief"`
	CallOutcome             []byte     `db:"call_outcome,json"`
	KeyPoints               []byte     `db:"key_points,json"`
	Highlights              []byte     `db:"highlights,json"`
	Outline                 []byte     `db:"outline,json"`
	Structure               []byte     `db:"structure,json"`
	QuestionCompanyCount    *int32     `db:"question_company_count"`
	QuestionNonCompanyCount *int32     `db:"question_non_company_count"`
	// TranscriptBasis fingerprints what the call's transcript depends on: a re-read
	// call with another basis has its transcript fetched again (see the upsert).
	TranscriptBasis *string `db:"transcript_basis"`
	// MappingVersion is the version of the mapping that derived this row and its
	// children from Raw (sync.CallMapping).
	MappingVersion int32  `db:"mapping_version"`
	Raw            []byte `db:"raw"` // the call exactly as Gong sent it (JSON)

	Parties          []CallParty
	Trackers         []CallTracker
	Topics           []CallTopic
	Speakers         []CallSpeaker
	InteractionStats []CallInteractionStat
	CRMObjects       []CallCRMObject
	Comments         []CallComment
	VideoStats       []CallVideoStat
	// CRMFields are the fields of CRMObjects one per row, derived from them.
	CRMFields []CallCRMField
	// TrackerOccurrences are the hits of Trackers one by one (calls since 2023).
	TrackerOccurrences []CallTrackerOccurrence
	// The AI blocks (Outline, Highlights, KeyPoints, Structure) one row per element.
	OutlineSections []CallOutlineSection
	OutlineItems    []CallOutlineItem
	HighlightGroups []CallHighlight
	HighlightItems  []CallHighlightItem
	KeyPointRows    []CallKeyPoint
	StructureParts  []CallStructurePart
}

// CallOutlineSection is one section of a call's outline; times in seconds.
type CallOutlineSection struct {
	Index     int32    `db:"section_index,key"`
	Section   *string  `db:"section"`
	StartTime *float64 `db:"start_time"`
	Duration  *float64 `db:"duration"`
}

// CallOutlineItem is one line of a section of a call's outline.
type CallOutlineItem struct {
	SectionIndex int32    `db:"section_index,key"`
	Index        int32    `db:"item_index,key"`
	Text         *string  `db:"text"`
	StartTime    *float64 `db:"start_time"`
}

// CallHighlight is one titled group of a call's highlights.
type CallHighlight struct {
	Index int32   `db:"highlight_index,key"`
	Title *string `db:"title"`
}

// CallHighlightItem is one highlight of a call and the seconds where it was said.
type CallHighlightItem struct {
	HighlightIndex int32     `db:"highlight_index,key"`
	Index          int32     `db:"item_index,key"`
	Text           *string   `db:"text"`
	StartTimes     []float64 `db:"start_times"`
}

// CallKeyPoint is one key point of a call.
type CallKeyPoint struct {
	Index int32   `db:"point_index,key"`
	Text  *string `db:"text"`
}

// CallStructurePart is one part of a call's agenda; Duration in seconds.
type CallStructurePart struct {
	Index    int32   `db:"structure_index,key"`
	Name     *string `db:"name"`
	Duration *int64  `db:"duration"`
}

// CallParty is one participant of a call; PartyID is scoped to the call.
type CallParty struct {
	PartyID      string   `db:"party_id,key"`
	UserID       *string  `db:"user_id"`
	SpeakerID    *string  `db:"speaker_id"`
	EmailAddress *string  `db:"email_address"`
	Name         *string  `db:"name"`
	Title        *string  `db:"title"`
	Affiliation  *string  `db:"affiliation"`
	PhoneNumber  *string  `db:"phone_number"`
	Methods      []string `db:"methods"`
	Context      []byte   `db:"context,json"` // JSON: the party's CRM context
}

// CallTracker is one tracker's hits in a call.
type CallTracker struct {
	TrackerID   string  `db:"tracker_id,key"`
	Name        string  `db:"name"`
	Type        *string `db:"type"`
	Count       int32   `db:"count"`
	Occurrences []byte  `db:"occurrences,json"`
	Phrases     []byte  `db:"phrases,json"`
}

// CallTrackerOccurrence is one hit of a tracker in a call: when, who, and which of
// the tracker's phrases, when Gong says (keyword trackers). Index numbers a tracker's
// hits from 0 in the order of the call.
type CallTrackerOccurrence struct {
	TrackerID    string  `db:"tracker_id,key"`
	Index        int32   `db:"occurrence_index,key"`
	StartSeconds float64 `db:"start_seconds"`
	SpeakerID    *string `db:"speaker_id"`
	Phrase       *string `db:"phrase"`
}

// CallVideoStat is one video measure of a call (what was presented or shown on
// camera, and for how long).
type CallVideoStat struct {
	Name            string  `db:"name,key"`
	DurationSeconds float64 `db:"duration_seconds"`
}

// CallTopic is time spent on one topic.
type CallTopic struct {
	Name            string `db:"name,key"`
	DurationSeconds int64  `db:"duration_seconds"`
}

// CallSpeaker is one party's talk time.
type CallSpeaker struct {
	PartyID         string  `db:"party_id,key"`
	UserID          *string `db:"user_id"`
	TalkTimeSeconds float64 `db:"talk_time_seconds"`
}

// CallInteractionStat is one named interaction measure of a call.
type CallInteractionStat struct {
	Name  string  `db:"name,key"`
	Value float64 `db:"value"`
}

// CallCRMObject is a CRM object linked to a call, at one timing (Now or TimeOfCall).
type CallCRMObject struct {
	System     string `db:"system,key"`
	ObjectType string `db:"object_type,key"`
	ObjectID   string `db:"object_id,key"`
	Timing     string `db:"timing,key"` // "" when Gong sent none
	Fields     []byte `db:"fields,json"`
}

// CallCRMField is one field of a CRM object linked to a call, at one timing: the
// fields of a CallCRMObject one per row, so SQL can filter and compare them without
// unpacking JSON. ValueNumber and ValueTime are set when the value reads as one.
type CallCRMField struct {
	System      string     `db:"system,key"`
	ObjectType  string     `db:"object_type,key"`
	ObjectID    string     `db:"object_id,key"`
	Timing      string     `db:"timing,key"` // "" when Gong sent none
	Name        string     `db:"name,key"`
	ValueText   *string    `db:"value_text"` // nil when the value is JSON null
	ValueNumber *float64   `db:"value_number"`
	ValueTime   *time.Time `db:"value_time"`
}

// CallComment is one public comment on a call.
type CallComment struct {
	CommentID         string     `db:"comment_id,key"`
	CommenterUserID   *string    `db:"commenter_user_id"`
	Comment           *string    `db:"comment"`
	Posted            *time.Time `db:"posted"`
	AudioStartSeconds *float64   `db:"audio_start_seconds"`
	AudioEndSeconds   *float64   `db:"audio_end_seconds"`
	InReplyTo         *string    `db:"in_reply_to"`
	DuringCall        *bool      `db:"during_call"`
}

// User is one row of users.
type User struct {
	ID                  string     `db:"id"`
	EmailAddress        *string    `db:"email_address"`
	FirstName           *string    `db:"first_name"`
	LastName            *string    `db:"last_name"`
	Title               *string    `db:"title"`
	PhoneNumber         *string    `db:"phone_number"`
	Extension           *string    `db:"extension"`
	Active              *bool      `db:"active"`
	ManagerID           *string    `db:"manager_id"`
	Created             *time.Time `db:"created"`
	EmailAliases        []string   `db:"email_aliases"`
	TrustedEmailAddress *string    `db:"trusted_email_address"`
	SpokenLanguages     []byte     `db:"spoken_languages,json"`
	Settings            []byte     `db:"settings,json"`
	// MappingVersion is the version of the mapping that derived this row and its
	// children from Raw (sync.UserMapping).
	MappingVersion int32  `db:"mapping_version"`
	Raw            []byte `db:"raw"`

	// The lists of the user one row per element: EmailAliases, SpokenLanguages and
	// the personal meeting URLs.
	EmailAliasRows []UserEmailAlias
	LanguageRows   []UserSpokenLanguage
	MeetingURLs    []UserMeetingURL
}

// UserEmailAlias is one email alias of a user.
type UserEmailAlias struct {
	EmailAlias string `db:"email_alias,key"`
}

// UserSpokenLanguage is one language a user speaks.
type UserSpokenLanguage struct {
	Language  string `db:"language,key"`
	IsPrimary *bool  `db:"is_primary"`
}

// UserMeetingURL is one personal meeting URL of a user.
type UserMeetingURL struct {
	URL string `db:"url,key"`
}

// Workspace is one row of workspaces.
type Workspace struct {
	ID          string  `db:"id"`
	Name        *string `db:"name"`
	Description *string `db:"description"`
	Raw         []byte  `db:"raw"`
}

// Tracker is one tracker definition (GET /v2/settings/trackers).
type Tracker struct {
	ID               string     `db:"id"`
	Name             *string    `db:"name"`
	WorkspaceID      *string    `db:"workspace_id"`
	Affiliation      *string    `db:"affiliation"`
	PartOfQuestion   *bool      `db:"part_of_question"`
	FilterQuery      *string    `db:"filter_query"`
	LanguageKeywords []byte     `db:"language_keywords,json"`
	Created          *time.Time `db:"created"`
	Updated          *time.Time `db:"updated"`
	// MappingVersion is the version of the mapping that derived this row and its
	// children from Raw (sync.TrackerMapping).
	MappingVersion int32  `db:"mapping_version"`
	Raw            []byte `db:"raw"`

	// LanguageKeywords one row per language and one per keyword.
	Languages []TrackerLanguage
	Keywords  []TrackerKeyword
}

// TrackerLanguage is one language a tracker has keywords in.
type TrackerLanguage struct {
	Language            string `db:"language,key"`
	IncludeRelatedForms *bool  `db:"include_related_forms"`
}

// TrackerKeyword is one keyword of a tracker in one language.
type TrackerKeyword struct {
	Language string `db:"language,key"`
	Keyword  string `db:"keyword,key"`
}

// Transcript is the whole transcript of one call; it replaces any stored one.
type Transcript struct {
	CallID    string
	Sentences []Sentence
}

// Sentence is one row of transcript_sentences.
type Sentence struct {
	SentenceIndex  int32   `db:"sentence_index,key"` // position in the whole call, from 0
	MonologueIndex int32   `db:"monologue_index"`    // which monologue it belongs to, from 0
	SpeakerID      *string `db:"speaker_id"`
	Topic          *string `db:"topic"`
	StartMs        int64   `db:"start_ms"`
	EndMs          int64   `db:"end_ms"`
	Text           string  `db:"text"`
}
