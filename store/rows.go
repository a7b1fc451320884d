package store

import "time"

// The row types below are the store's own terms: what the tables hold, not what Gong
// sends. The sync package maps Gong records onto them. Pointer fields are nullable
// columns; []byte fields named after JSON hold JSON documents (nil is SQL NULL).

// Call is one row of calls, with the call's child rows. When a call is new or its
// content changed, its child sets replace the stored ones, so a party removed in Gong
// disappears here too.
type Call struct {
	ID                      string
	URL                     *string
	Title                   *string
	Scheduled               *time.Time
	Started                 *time.Time
	DurationSeconds         *int64
	PrimaryUserID           *string
	Direction               *string
	System                  *string
	Scope                   *string
	Media                   *string
	Language                *string
	WorkspaceID             *string
	SDRDisposition          *string
	ClientUniqueID          *string
	CustomData              *string
	Purpose                 *string
	MeetingURL              *string
	IsPrivate               *bool
	CalendarEventID         *string
	Brief                   *string
	CallOutcome             []byte // JSON
	KeyPoints               []byte // JSON
	Highlights              []byte // JSON
	Outline                 []byte // JSON
	Structure               []byte // JSON
	QuestionCompanyCount    *int32
	QuestionNonCompanyCount *int32
	Raw                     []byte // the call exactly as Gong sent it (JSON)

	Parties          []CallParty
	Trackers         []CallTracker
	Topics           []CallTopic
	Speakers         []CallSpeaker
	InteractionStats []CallInteractionStat
	CRMObjects       []CallCRMObject
	Comments         []CallComment
}

// CallParty is one participant of a call; PartyID is scoped to the call.
type CallParty struct {
	PartyID      string
	UserID       *string
	SpeakerID    *string
	EmailAddress *string
	Name         *string
	Title        *string
	Affiliation  *string
	PhoneNumber  *string
	Methods      []string
	Context      []byte // JSON: the party's CRM context
}

// CallTracker is one tracker's hits in a call.
type CallTracker struct {
	TrackerID   string
	Name        string
	Type        *string
	Count       int32
	Occurrences []byte // JSON
	Phrases     []byte // JSON
}

// CallTopic is time spent on one topic.
type CallTopic struct {
	Name            string
	DurationSeconds int64
}

// CallSpeaker is one party's talk time.
type CallSpeaker struct {
	PartyID         string
	UserID          *string
	TalkTimeSeconds float64
}

// CallInteractionStat is one named interaction measure of a call.
type CallInteractionStat struct {
	Name  string
	Value float64
}

// CallCRMObject is a CRM object linked to a call, at one timing (Now or TimeOfCall).
type CallCRMObject struct {
	System     string
	ObjectType string
	ObjectID   string
	Timing     string // "" when Gong sent none
	Fields     []byte // JSON
}

// CallComment is one public comment on a call.
type CallComment struct {
	CommentID         string
	CommenterUserID   *string
	Comment           *string
	Posted            *time.Time
	AudioStartSeconds *float64
	AudioEndSeconds   *float64
	InReplyTo         *string
	DuringCall        *bool
}

// User is one row of users.
type User struct {
	ID                  string
	EmailAddress        *string
	FirstName           *string
	LastName            *string
	Title               *string
	PhoneNumber         *string
	Extension           *string
	Active              *bool
	ManagerID           *string
	Created             *time.Time
	EmailAliases        []string
	TrustedEmailAddress *string
	SpokenLanguages     []byte // JSON
	Settings            []byte // JSON
	Raw                 []byte
}

// Workspace is one row of workspaces.
type Workspace struct {
	ID          string
	Name        *string
	Description *string
	Raw         []byte
}

// Tracker is one tracker definition (GET /v2/settings/trackers).
type Tracker struct {
	ID               string
	Name             *string
	WorkspaceID      *string
	Affiliation      *string
	PartOfQuestion   *bool
	FilterQuery      *string
	LanguageKeywords []byte // JSON
	Created          *time.Time
	Updated          *time.Time
	Raw              []byte
}

// Transcript is the whole transcript of one call; it replaces any stored one.
type Transcript struct {
	CallID    string
	Sentences []Sentence
}

// Sentence is one row of transcript_sentences.
type Sentence struct {
	SentenceIndex  int32 // position in the whole call, from 0
	MonologueIndex int32 // which monologue it belongs to, from 0
	SpeakerID      *string
	Topic          *string
	StartMs        int64
	EndMs          int64
	Text           string
}
