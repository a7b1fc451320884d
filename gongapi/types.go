package gongapi

import "encoding/json"

// The types below follow Gong's OpenAPI document ("Gong API V2"). Pointers mark
// values Gong may send as null or leave out; unknown fields are ignored on decode, as
// Gong adds fields without notice. Records that the sync stores keep the bytes Gong
// sent in Raw.
//
// Only what becomes a typed column or a row of its own is decoded field by field.
// Blocks the sync stores as JSON documents (a call's outline, highlights, key points,
// a party's CRM context, a user's settings, …) stay json.RawMessage: they pass through
// as Gong sent them, with any field Gong adds inside them, and cost no decoding.

// Records is the pagination block of every paginated answer. Cursor is empty on the
// last page (Gong leaves the key out).
type Records struct {
	TotalRecords      int    `json:"totalRecords"`
	CurrentPageSize   int    `json:"currentPageSize"`
	CurrentPageNumber int    `json:"currentPageNumber"`
	Cursor            string `json:"cursor,omitempty"`
}

// ErrorBody is the body of every Gong error answer.
type ErrorBody struct {
	RequestID string   `json:"requestId"`
	Errors    []string `json:"errors"`
}

// ---- users ----

// UsersResponse answers GET /v2/users and POST /v2/users/extensive.
type UsersResponse struct {
	RequestID string   `json:"requestId"`
	Records   *Records `json:"records,omitempty"`
	Users     []User   `json:"users"`
}

// User is Gong's UserMetadata.
type User struct {
	ID                    ID              `json:"id"`
	EmailAddress          *string         `json:"emailAddress"`
	Created               Time            `json:"created"`
	Active                *bool           `json:"active"`
	EmailAliases          []string        `json:"emailAliases"`
	TrustedEmailAddress   *string         `json:"trustedEmailAddress"`
	FirstName             *string         `json:"firstName"`
	LastName              *string         `json:"lastName"`
	Title                 *string         `json:"title"`
	PhoneNumber           *string         `json:"phoneNumber"`
	Extension             *string         `json:"extension"`
	PersonalMeetingURLs   []string        `json:"personalMeetingUrls"`
	Settings              json.RawMessage `json:"settings"` // stored as a document
	ManagerID             *ID             `json:"managerId"`
	MeetingConsentPageURL *string         `json:"meetingConsentPageUrl"`
	SpokenLanguages       json.RawMessage `json:"spokenLanguages"` // stored as a document
	// ConferencingProviders is not in Gong's document but is sent by live tenants.
	ConferencingProviders []string `json:"conferencingProviders,omitempty"`

	// Raw is the user object exactly as Gong sent it (empty when built in Go).
	Raw json.RawMessage `json:"-"`
}

// UsersExtensiveRequest is the body of POST /v2/users/extensive.
type UsersExtensiveRequest struct {
	Cursor string               `json:"cursor,omitempty"`
	Filter UsersExtensiveFilter `json:"filter"`
}

// UsersExtensiveFilter filters users on creation time or ids.
type UsersExtensiveFilter struct {
	CreatedFromDateTime string `json:"createdFromDateTime,omitempty"`
	CreatedToDateTime   string `json:"createdToDateTime,omitempty"`
	IncludeAvatars      bool   `json:"includeAvatars,omitempty"`
	UserIDs             []ID   `json:"userIds,omitempty"`
}

// ---- workspaces ----

// WorkspacesResponse answers GET /v2/workspaces (not paginated).
type WorkspacesResponse struct {
	RequestID  string      `json:"requestId"`
	Workspaces []Workspace `json:"workspaces"`
}

// Workspace is Gong's WorkspaceMetadata.
type Workspace struct {
	ID          ID      `json:"id"`
	Name        *string `json:"name"`
	Description *string `json:"description"`

	Raw json.RawMessage `json:"-"`
}

// ---- trackers (settings) ----

// TrackersResponse answers GET /v2/settings/trackers (not paginated).
type TrackersResponse struct {
	RequestID       string           `json:"requestId"`
	KeywordTrackers []KeywordTracker `json:"keywordTrackers"`
}

// KeywordTracker is a tracker's definition.
type KeywordTracker struct {
	TrackerID        ID              `json:"trackerId"`
	TrackerName      *string         `json:"trackerName"`
	WorkspaceID      *ID             `json:"workspaceId"`
	LanguageKeywords json.RawMessage `json:"languageKeywords"` // stored as a document
	Affiliation      *string         `json:"affiliation"`
	PartOfQuestion   *bool           `json:"partOfQuestion"`
	SaidAt           *string         `json:"saidAt"`
	SaidAtInterval   *int64          `json:"saidAtInterval"`
	SaidAtUnit       *string         `json:"saidAtUnit"`
	SaidInTopics     []string        `json:"saidInTopics"`
	SaidInCallParts  []string        `json:"saidInCallParts"`
	FilterQuery      *string         `json:"filterQuery"`
	Created          Time            `json:"created"`
	CreatorUserID    *ID             `json:"creatorUserId"`
	Updated          Time            `json:"updated"`
	UpdaterUserID    *ID             `json:"updaterUserId"`

	Raw json.RawMessage `json:"-"`
}

// ---- calls ----

// CallsResponse answers GET /v2/calls.
type CallsResponse struct {
	RequestID string         `json:"requestId"`
	Records   *Records       `json:"records,omitempty"`
	Calls     []CallMetaData `json:"calls"`
}

// CallMetaData is Gong's CallBasicData: what GET /v2/calls returns per call, and the
// metaData block of an extensive call. Gong sends absent values as explicit nulls.
type CallMetaData struct {
	ID              ID      `json:"id"`
	URL             *string `json:"url"`
	Title           *string `json:"title"`
	Scheduled       Time    `json:"scheduled"`
	Started         Time    `json:"started"`
	Duration        *int64  `json:"duration"`
	PrimaryUserID   *ID     `json:"primaryUserId"`
	Direction       *string `json:"direction"`
	System          *string `json:"system"`
	Scope           *string `json:"scope"`
	Media           *string `json:"media"`
	Language        *string `json:"language"`
	WorkspaceID     *ID     `json:"workspaceId"`
	SDRDisposition  *string `json:"sdrDisposition"`
	ClientUniqueID  *string `json:"clientUniqueId"`
	CustomData      *string `json:"customData"`
	Purpose         *string `json:"purpose"`
	MeetingURL      *string `json:"meetingUrl"`
	IsPrivate       *bool   `json:"isPrivate"`
	CalendarEventID *string `json:"calendarEventId"`
}

// CallsExtensiveResponse answers POST /v2/calls/extensive.
type CallsExtensiveResponse struct {
	RequestID string   `json:"requestId"`
	Records   *Records `json:"records,omitempty"`
	Calls     []Call   `json:"calls"`
}

// Call is one call of POST /v2/calls/extensive (Gong's CallData), and the callData of
// a webhook. Only the blocks asked for in the content selector come back.
type Call struct {
	MetaData      *CallMetaData  `json:"metaData"`
	Context       []CallContext  `json:"context,omitempty"`
	Parties       []Party        `json:"parties,omitempty"`
	Content       *CallContent   `json:"content,omitempty"`
	Interaction   *Interaction   `json:"interaction,omitempty"`
	Collaboration *Collaboration `json:"collaboration,omitempty"`
	Media         *CallMedia     `json:"media,omitempty"`

	// Raw is the call object exactly as Gong sent it (empty when built in Go).
	Raw json.RawMessage `json:"-"`
}

// CallContext is the CRM context of a call in one system.
type CallContext struct {
	System  string      `json:"system"`
	Objects []CRMObject `json:"objects"`
}

// CRMObject is a CRM object (opportunity, account, contact, …) linked to a call or party.
type CRMObject struct {
	ObjectType string         `json:"objectType"`
	ObjectID   ID             `json:"objectId"`
	Fields     []ContextField `json:"fields"`
	Timing     string         `json:"timing,omitempty"`
}

// ContextField is one CRM field; its value can be any JSON.
type ContextField struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

// Party is a participant of a call. Gong leaves absent keys out; speakerId may be null.
type Party struct {
	ID           ID              `json:"id"`
	EmailAddress *string         `json:"emailAddress,omitempty"`
	Name         *string         `json:"name,omitempty"`
	Title        *string         `json:"title,omitempty"`
	UserID       *ID             `json:"userId,omitempty"`
	SpeakerID    *ID             `json:"speakerId"`
	Context      json.RawMessage `json:"context,omitempty"` // the party's CRM context, stored as a document
	Affiliation  *string         `json:"affiliation,omitempty"`
	PhoneNumber  *string         `json:"phoneNumber,omitempty"`
	Methods      []string        `json:"methods,omitempty"`
}

// CallContent is the content block of a call. Trackers and topics become rows; the
// AI blocks (structure, outline, highlights, outcome, key points) are stored as the
// documents Gong sent.
type CallContent struct {
	Structure   json.RawMessage `json:"structure,omitempty"`
	Trackers    []Tracker       `json:"trackers,omitempty"`
	Topics      []Topic         `json:"topics,omitempty"`
	Brief       *string         `json:"brief,omitempty"`
	Outline     json.RawMessage `json:"outline,omitempty"`
	Highlights  json.RawMessage `json:"highlights,omitempty"`
	CallOutcome json.RawMessage `json:"callOutcome,omitempty"`
	KeyPoints   json.RawMessage `json:"keyPoints,omitempty"`
}

// Tracker is a tracker's hits in one call.
type Tracker struct {
	ID          ID                  `json:"id"`
	Name        string              `json:"name"`
	Count       int                 `json:"count"`
	Type        string              `json:"type,omitempty"`
	Occurrences []TrackerOccurrence `json:"occurrences,omitempty"`
	Phrases     []TrackerPhrase     `json:"phrases,omitempty"`
}

// TrackerOccurrence is one hit: seconds from the call's start and who said it.
type TrackerOccurrence struct {
	StartTime float64 `json:"startTime"`
	SpeakerID *ID     `json:"speakerId,omitempty"`
}

// TrackerPhrase is a tracker's hits for one of its phrases.
type TrackerPhrase struct {
	Count       int                 `json:"count"`
	Occurrences []TrackerOccurrence `json:"occurrences,omitempty"`
	Phrase      string              `json:"phrase"`
}

// Topic is time spent on one topic, in seconds.
type Topic struct {
	Name     string `json:"name"`
	Duration int64  `json:"duration"`
}

// Interaction is the interaction block of a call.
type Interaction struct {
	Speakers         []Speaker          `json:"speakers,omitempty"`
	InteractionStats []InteractionStat  `json:"interactionStats,omitempty"`
	Video            []VideoInteraction `json:"video,omitempty"`
	Questions        *Questions         `json:"questions,omitempty"`
}

// Speaker is one party's talk time in seconds; ID is the party id.
type Speaker struct {
	ID       ID      `json:"id"`
	UserID   *ID     `json:"userId,omitempty"`
	TalkTime float64 `json:"talkTime"`
}

// InteractionStat is one named interaction measure (Talk Ratio, Patience, …).
type InteractionStat struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// VideoInteraction is one named video measure.
type VideoInteraction struct {
	Name     string  `json:"name"`
	Duration float64 `json:"duration"`
}

// Questions counts questions asked by the company and by others.
type Questions struct {
	CompanyCount    int `json:"companyCount"`
	NonCompanyCount int `json:"nonCompanyCount"`
}

// Collaboration is the collaboration block of a call.
type Collaboration struct {
	PublicComments []Comment `json:"publicComments,omitempty"`
}

// Comment is one public comment on a call.
type Comment struct {
	ID              ID       `json:"id"`
	AudioStartTime  *float64 `json:"audioStartTime,omitempty"`
	AudioEndTime    *float64 `json:"audioEndTime,omitempty"`
	CommenterUserID *ID      `json:"commenterUserId,omitempty"`
	Comment         *string  `json:"comment,omitempty"`
	Posted          Time     `json:"posted"`
	InReplyTo       *ID      `json:"inReplyTo,omitempty"`
	DuringCall      *bool    `json:"duringCall,omitempty"`
}

// CallMedia holds media URLs (they expire after 8 hours; the sync does not ask for them).
type CallMedia struct {
	AudioURL *string `json:"audioUrl,omitempty"`
	VideoURL *string `json:"videoUrl,omitempty"`
}

// CallsFilter selects calls by start time (from inclusive, to exclusive), workspace or id.
// Times are formatted with FormatFilterTime. A non-nil empty CallIDs is refused by the
// client before sending: Gong answers it with a 400, and leaving it out would select
// every call instead.
type CallsFilter struct {
	FromDateTime   string `json:"fromDateTime,omitempty"`
	ToDateTime     string `json:"toDateTime,omitempty"`
	WorkspaceID    string `json:"workspaceId,omitempty"`
	CallIDs        []ID   `json:"callIds,omitempty"`
	PrimaryUserIDs []ID   `json:"primaryUserIds,omitempty"`
}

// CallsExtensiveRequest is the body of POST /v2/calls/extensive. The client sets Cursor.
type CallsExtensiveRequest struct {
	Cursor          string           `json:"cursor,omitempty"`
	Filter          CallsFilter      `json:"filter"`
	ContentSelector *ContentSelector `json:"contentSelector,omitempty"`
}

// ContentSelector chooses which blocks POST /v2/calls/extensive returns.
type ContentSelector struct {
	Context       string         `json:"context,omitempty"`
	ContextTiming []string       `json:"contextTiming,omitempty"`
	ExposedFields *ExposedFields `json:"exposedFields,omitempty"`
}

// ExposedFields lists the blocks to return.
type ExposedFields struct {
	Parties       bool                  `json:"parties,omitempty"`
	Content       *ExposedContent       `json:"content,omitempty"`
	Interaction   *ExposedInteraction   `json:"interaction,omitempty"`
	Collaboration *ExposedCollaboration `json:"collaboration,omitempty"`
	Media         bool                  `json:"media,omitempty"`
}

// ExposedContent lists the content parts to return.
type ExposedContent struct {
	Structure          bool `json:"structure,omitempty"`
	Topics             bool `json:"topics,omitempty"`
	Trackers           bool `json:"trackers,omitempty"`
	TrackerOccurrences bool `json:"trackerOccurrences,omitempty"`
	Brief              bool `json:"brief,omitempty"`
	Outline            bool `json:"outline,omitempty"`
	Highlights         bool `json:"highlights,omitempty"`
	CallOutcome        bool `json:"callOutcome,omitempty"`
	KeyPoints          bool `json:"keyPoints,omitempty"`
}

// ExposedInteraction lists the interaction parts to return.
type ExposedInteraction struct {
	Speakers               bool `json:"speakers,omitempty"`
	Video                  bool `json:"video,omitempty"`
	PersonInteractionStats bool `json:"personInteractionStats,omitempty"`
	Questions              bool `json:"questions,omitempty"`
}

// ExposedCollaboration lists the collaboration parts to return.
type ExposedCollaboration struct {
	PublicComments bool `json:"publicComments,omitempty"`
}

// FullContentSelector asks for everything a sync stores: parties, all content, all
// interaction, public comments, and Extended CRM context at both timings. Media URLs
// are left out on purpose: they expire after eight hours.
func FullContentSelector() *ContentSelector {
	return &ContentSelector{
		Context:       "Extended",
		ContextTiming: []string{"Now", "TimeOfCall"},
		ExposedFields: &ExposedFields{
			Parties: true,
			Content: &ExposedContent{
				Structure: true, Topics: true, Trackers: true, TrackerOccurrences: true,
				Brief: true, Outline: true, Highlights: true, CallOutcome: true, KeyPoints: true,
			},
			Interaction: &ExposedInteraction{
				Speakers: true, Video: true, PersonInteractionStats: true, Questions: true,
			},
			Collaboration: &ExposedCollaboration{PublicComments: true},
		},
	}
}

// ---- transcripts ----

// TranscriptRequest is the body of POST /v2/calls/transcript. The client sets Cursor.
type TranscriptRequest struct {
	Cursor string      `json:"cursor,omitempty"`
	Filter CallsFilter `json:"filter"`
}

// TranscriptsResponse answers POST /v2/calls/transcript.
type TranscriptsResponse struct {
	RequestID       string           `json:"requestId"`
	Records         *Records         `json:"records,omitempty"`
	CallTranscripts []CallTranscript `json:"callTranscripts"`
}

// CallTranscript is the transcript of one call, as monologues.
type CallTranscript struct {
	CallID     ID          `json:"callId"`
	Transcript []Monologue `json:"transcript"`
}

// Monologue is an uninterrupted stretch of one speaker; SpeakerID joins Party.SpeakerID.
type Monologue struct {
	SpeakerID *ID        `json:"speakerId"`
	Topic     *string    `json:"topic"`
	Sentences []Sentence `json:"sentences"`
}

// Sentence is one sentence; Start and End are milliseconds from the call's start.
type Sentence struct {
	Start int64  `json:"start"`
	End   int64  `json:"end"`
	Text  string `json:"text"`
}

// ---- webhooks ----

// WebhookPayload is what a Gong automation rule's "Fire webhook" action posts.
type WebhookPayload struct {
	CallData  *Call `json:"callData"`
	IsTest    bool  `json:"isTest"`
	IsPrivate bool  `json:"isPrivate"`
}
