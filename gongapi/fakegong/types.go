package fakegong

import (
	"encoding/json"
	"time"
)

// The records the fake holds and serves, in its own reading of Gong's API document
// ("Gong API V2", components/schemas). Package gongapi reads the same document for
// the client; the two are written apart on purpose, so that a misreading on one side
// shows up as a difference in the tests (which compare what a sync stored with these
// records) and in the OpenAPI check of every answer (openapi_test.go), instead of
// being shared by both. Each type is named after the schema it stands for, without
// Gong's "Dto" suffix.
//
// Conventions: ids are decimal strings (Gong's ids can exceed int64); a zero
// time.Time is an absent timestamp. In users, workspaces, tracker definitions and
// call metadata a nil pointer or slice is an explicit null, as Gong sends them; in
// the other blocks of a call it is a key left out, and a non-nil empty slice is [].
// The JSON tags give Gong's names; the encoder (encode.go) writes the same names by
// hand, and a test checks that the two agree.

// ---- calls ----

// CallData is one call of POST /v2/calls/extensive (and the callData of a webhook):
// its metadata and the blocks the content selector asked for.
type CallData struct {
	MetaData      *CallBasicData       `json:"metaData"`
	Context       []CallContext        `json:"context"`
	Parties       []Party              `json:"parties"`
	Content       *Content             `json:"content"`
	Interaction   *InteractionMeasures `json:"interaction"`
	Collaboration *Collaboration       `json:"collaboration"`
	Media         *Media               `json:"media"`
}

// CallBasicData is a call's metadata, the record of GET /v2/calls. Every field is
// sent, null when unknown.
type CallBasicData struct {
	ID              string    `json:"id"`
	URL             *string   `json:"url"`
	Title           *string   `json:"title"`
	Scheduled       time.Time `json:"scheduled"`
	Started         time.Time `json:"started"`
	Duration        *int64    `json:"duration"` // seconds
	PrimaryUserID   *string   `json:"primaryUserId"`
	Direction       *string   `json:"direction"` // Inbound, Outbound, Conference, Unknown
	System          *string   `json:"system"`
	Scope           *string   `json:"scope"` // Internal, External, Unknown
	Media           *string   `json:"media"` // Video, Audio
	Language        *string   `json:"language"`
	WorkspaceID     *string   `json:"workspaceId"`
	SDRDisposition  *string   `json:"sdrDisposition"`
	ClientUniqueID  *string   `json:"clientUniqueId"`
	CustomData      *string   `json:"customData"`
	Purpose         *string   `json:"purpose"`
	MeetingURL      *string   `json:"meetingUrl"`
	IsPrivate       *bool     `json:"isPrivate"`
	CalendarEventID *string   `json:"calendarEventId"`
}

// CallContext is the call's links into one external system (CallContextDto for a
// call, PartyContextDto for a party: the same shape).
type CallContext struct {
	System  string      `json:"system"` // Salesforce, HubSpot, MicrosoftDynamic, Generic
	Objects []CRMObject `json:"objects"`
}

// CRMObject is one linked object (ExternalCallObject: Opportunity or Account;
// ExternalPartyObject: Contact, User or Lead). Fields come only with Extended context,
// once per timing.
type CRMObject struct {
	ObjectType string         `json:"objectType"`
	ObjectID   string         `json:"objectId"`
	Fields     []ContextField `json:"fields"`
	Timing     string         `json:"timing"` // Now, TimeOfCall; empty = left out
}

// ContextField is one field of a CRM object; its value is any JSON, null included.
type ContextField struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

// Party is one participant. Absent keys are left out, except speakerId, which is
// null for a participant who did not speak.
type Party struct {
	ID           string        `json:"id"` // scoped to the call
	EmailAddress *string       `json:"emailAddress"`
	Name         *string       `json:"name"`
	Title        *string       `json:"title"`
	UserID       *string       `json:"userId"`
	SpeakerID    *string       `json:"speakerId"` // joins Monologue.SpeakerID
	Context      []CallContext `json:"context"`
	Affiliation  *string       `json:"affiliation"` // Internal, External, Unknown
	PhoneNumber  *string       `json:"phoneNumber"`
	Methods      []string      `json:"methods"` // Invitee, Attendee
}

// Content is the call's content block (ContentDto).
type Content struct {
	Structure   []Structure             `json:"structure"`
	Trackers    []Tracker               `json:"trackers"`
	Topics      []Topic                 `json:"topics"`
	Brief       *string                 `json:"brief"`
	Outline     []CallOutlineSection    `json:"outline"`
	Highlights  []CallHighlightsSection `json:"highlights"`
	CallOutcome *CallOutcome            `json:"callOutcome"`
	KeyPoints   []CallKeyPoint          `json:"keyPoints"`
}

// Structure is one part of the call's agenda (StructureDto); Duration in seconds.
type Structure struct {
	Name     string `json:"name"`
	Duration int64  `json:"duration"`
}

// Tracker is one tracker's hits in the call (TrackerDto). Occurrences come only when
// asked for, and only for calls since 2023; keyword trackers list their phrases.
type Tracker struct {
	ID          string              `json:"id"`
	Name        string              `json:"name"`
	Count       int                 `json:"count"`
	Type        string              `json:"type"` // KEYWORD, SMART
	Occurrences []TrackerOccurrence `json:"occurrences"`
	Phrases     []TrackerPhrase     `json:"phrases"`
}

// TrackerOccurrence is one hit (the schema "occurrences"): seconds from the call's
// start, and the speaker id of who said it (left out when nobody spoke).
type TrackerOccurrence struct {
	StartTime float64 `json:"startTime"`
	SpeakerID *string `json:"speakerId"`
}

// TrackerPhrase is one keyword's hits (the schema "trackerPhrases").
type TrackerPhrase struct {
	Count       int                 `json:"count"`
	Occurrences []TrackerOccurrence `json:"occurrences"`
	Phrase      string              `json:"phrase"`
}

// Topic is the time spent on one topic (TopicDto), in seconds.
type Topic struct {
	Name     string `json:"name"`
	Duration int64  `json:"duration"`
}

// CallOutlineSection is one section of the AI outline; times in seconds.
type CallOutlineSection struct {
	Section   string            `json:"section"`
	StartTime float64           `json:"startTime"`
	Duration  float64           `json:"duration"`
	Items     []CallOutlineItem `json:"items"`
}

// CallOutlineItem is one line of an outline section.
type CallOutlineItem struct {
	Text      string  `json:"text"`
	StartTime float64 `json:"startTime"`
}

// CallHighlightsSection is one titled group of highlights.
type CallHighlightsSection struct {
	Title string               `json:"title"`
	Items []CallHighlightsItem `json:"items"`
}

// CallHighlightsItem is one highlight and the seconds where it was said.
type CallHighlightsItem struct {
	Text       string    `json:"text"`
	StartTimes []float64 `json:"startTimes"`
}

// CallOutcome is the outcome assigned to the call.
type CallOutcome struct {
	ID       string `json:"id"`
	Category string `json:"category"`
	Name     string `json:"name"`
}

// CallKeyPoint is one AI key point.
type CallKeyPoint struct {
	Text string `json:"text"`
}

// InteractionMeasures is the call's interaction block (InteractionMeasuresDto).
type InteractionMeasures struct {
	Speakers         []UserSpeaker      `json:"speakers"`
	InteractionStats []InteractionStats `json:"interactionStats"`
	Video            []VideoInteraction `json:"video"`
	Questions        *Questions         `json:"questions"`
}

// UserSpeaker is one participant's talk time in seconds; ID is the party's id.
type UserSpeaker struct {
	ID       string  `json:"id"`
	UserID   *string `json:"userId"`
	TalkTime float64 `json:"talkTime"`
}

// InteractionStats is one named measure (Talk Ratio, Patience, …).
type InteractionStats struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// VideoInteraction is the time one kind of video segment was shown (Browser,
// Presentation, WebcamPrimaryUser, WebcamNonCompany, Webcam), in seconds.
type VideoInteraction struct {
	Name     string  `json:"name"`
	Duration float64 `json:"duration"`
}

// Questions counts the questions company and non-company speakers asked.
type Questions struct {
	CompanyCount    int `json:"companyCount"`
	NonCompanyCount int `json:"nonCompanyCount"`
}

// Collaboration is the call's collaboration block (CollaborationDto).
type Collaboration struct {
	PublicComments []Comment `json:"publicComments"`
}

// Comment is one public comment (CommentDto); audio times in seconds.
type Comment struct {
	ID              string    `json:"id"`
	AudioStartTime  *float64  `json:"audioStartTime"`
	AudioEndTime    *float64  `json:"audioEndTime"`
	CommenterUserID *string   `json:"commenterUserId"`
	Comment         *string   `json:"comment"`
	Posted          time.Time `json:"posted"`
	InReplyTo       *string   `json:"inReplyTo"`
	DuringCall      *bool     `json:"duringCall"`
}

// Media holds the call's media URLs (MediaDto), which expire eight hours after the
// request.
type Media struct {
	AudioURL *string `json:"audioUrl"`
	VideoURL *string `json:"videoUrl"`
}

// ---- transcripts ----

// CallTranscript is one call's transcript, as monologues.
type CallTranscript struct {
	CallID     string      `json:"callId"`
	Transcript []Monologue `json:"transcript"`
}

// Monologue is an uninterrupted stretch of one speaker; SpeakerID joins
// Party.SpeakerID, and both it and Topic may be null.
type Monologue struct {
	SpeakerID *string    `json:"speakerId"`
	Topic     *string    `json:"topic"`
	Sentences []Sentence `json:"sentences"`
}

// Sentence is one sentence; Start and End are milliseconds from the call's start.
type Sentence struct {
	Start int64  `json:"start"`
	End   int64  `json:"end"`
	Text  string `json:"text"`
}

// ---- users, workspaces, tracker definitions ----

// UserMetadata is one user of GET /v2/users. Every field is sent, null when unknown.
type UserMetadata struct {
	ID                    string           `json:"id"`
	EmailAddress          *string          `json:"emailAddress"`
	Created               time.Time        `json:"created"`
	Active                *bool            `json:"active"`
	EmailAliases          []string         `json:"emailAliases"`
	TrustedEmailAddress   *string          `json:"trustedEmailAddress"`
	FirstName             *string          `json:"firstName"`
	LastName              *string          `json:"lastName"`
	Title                 *string          `json:"title"`
	PhoneNumber           *string          `json:"phoneNumber"`
	Extension             *string          `json:"extension"`
	PersonalMeetingURLs   []string         `json:"personalMeetingUrls"`
	Settings              *UserSettings    `json:"settings"`
	ManagerID             *string          `json:"managerId"`
	MeetingConsentPageURL *string          `json:"meetingConsentPageUrl"`
	SpokenLanguages       []SpokenLanguage `json:"spokenLanguages"`
	// ConferencingProviders is not in Gong's document, but live tenants send it;
	// nil leaves the key out.
	ConferencingProviders []string `json:"conferencingProviders"`
}

// UserSettings is a user's Settings block; a nil flag is left out.
type UserSettings struct {
	WebConferencesRecorded        *bool `json:"webConferencesRecorded"`
	PreventWebConferenceRecording *bool `json:"preventWebConferenceRecording"`
	TelephonyCallsImported        *bool `json:"telephonyCallsImported"`
	EmailsImported                *bool `json:"emailsImported"`
	PreventEmailImport            *bool `json:"preventEmailImport"`
	NonRecordedMeetingsImported   *bool `json:"nonRecordedMeetingsImported"`
	GongConnectEnabled            *bool `json:"gongConnectEnabled"`
}

// SpokenLanguage is one language a user speaks (the schema "spokenLanguage").
type SpokenLanguage struct {
	Language string `json:"language"`
	Primary  bool   `json:"primary"`
}

// WorkspaceMetadata is one workspace of GET /v2/workspaces.
type WorkspaceMetadata struct {
	ID          string  `json:"id"`
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// KeywordTracker is one tracker definition of GET /v2/settings/trackers.
type KeywordTracker struct {
	TrackerID        string                   `json:"trackerId"`
	TrackerName      *string                  `json:"trackerName"`
	WorkspaceID      *string                  `json:"workspaceId"`
	LanguageKeywords []TrackerLanguageKeyword `json:"languageKeywords"`
	Affiliation      *string                  `json:"affiliation"`
	PartOfQuestion   *bool                    `json:"partOfQuestion"`
	SaidAt           *string                  `json:"saidAt"`
	SaidAtInterval   *int64                   `json:"saidAtInterval"`
	SaidAtUnit       *string                  `json:"saidAtUnit"`
	SaidInTopics     []string                 `json:"saidInTopics"`
	SaidInCallParts  []string                 `json:"saidInCallParts"`
	FilterQuery      *string                  `json:"filterQuery"`
	Created          time.Time                `json:"created"`
	CreatorUserID    *string                  `json:"creatorUserId"`
	Updated          time.Time                `json:"updated"`
	UpdaterUserID    *string                  `json:"updaterUserId"`
}

// TrackerLanguageKeyword lists a tracker's keywords in one language.
type TrackerLanguageKeyword struct {
	Language            string   `json:"language"`
	Keywords            []string `json:"keywords"`
	IncludeRelatedForms bool     `json:"includeRelatedForms"`
}

// ---- actions: writes and the data-privacy lookups ----

// NewCallAddingRequest is the body of POST /v2/calls (addCall). The fake reads the
// fields it answers by and keeps the rest of the schema as raw JSON, so that a field
// Gong's schema does not have is still refused.
type NewCallAddingRequest struct {
	ClientUniqueID   *string           `json:"clientUniqueId"`
	Title            *string           `json:"title"`
	Purpose          *string           `json:"purpose"`
	ScheduledStart   *string           `json:"scheduledStart"`
	ScheduledEnd     *string           `json:"scheduledEnd"`
	ActualStart      *string           `json:"actualStart"`
	Duration         *float64          `json:"duration"`
	Parties          []CallParticipant `json:"parties"`
	Direction        *string           `json:"direction"`
	Disposition      *string           `json:"disposition"`
	Context          json.RawMessage   `json:"context"`
	CustomData       *string           `json:"customData"`
	SpeakersTimeline json.RawMessage   `json:"speakersTimeline"`
	MeetingURL       *string           `json:"meetingUrl"`
	CallProviderCode *string           `json:"callProviderCode"`
	DownloadMediaURL *string           `json:"downloadMediaUrl"`
	WorkspaceID      *string           `json:"workspaceId"`
	LanguageCode     *string           `json:"languageCode"`
	PrimaryUser      *string           `json:"primaryUser"`
}

// CallParticipant is one party of an uploaded call.
type CallParticipant struct {
	PhoneNumber    *string         `json:"phoneNumber"`
	EmailAddress   *string         `json:"emailAddress"`
	Name           *string         `json:"name"`
	PartyID        *string         `json:"partyId"`
	MediaChannelID *int32          `json:"mediaChannelId"`
	Context        json.RawMessage `json:"context"`
	UserID         *string         `json:"userId"`
}

// NewCallAddingResponse answers addCall.
type NewCallAddingResponse struct {
	RequestID string `json:"requestId"`
	CallID    string `json:"callId"`
}

// BaseResponse is an answer with nothing but its requestId (the users-access writes,
// the erase requests).
type BaseResponse struct {
	RequestID string `json:"requestId"`
}

// CallsUsersAccess is the body of PUT and DELETE /v2/calls/users-access
// (CallsUsersAccessAddDto, CallsUsersAccessDeleteDto).
type CallsUsersAccess struct {
	CallAccessList []CallUsersAccess `json:"callAccessList"`
}

// CallUsersAccess gives (or takes back) some users' access to one call.
type CallUsersAccess struct {
	CallID  *string  `json:"callId"`
	UserIDs []string `json:"userIds"`
}

// FilterRequestCallsAccessGet is the body of POST /v2/calls/users-access.
type FilterRequestCallsAccessGet struct {
	Filter *struct {
		CallIDs []string `json:"callIds"`
	} `json:"filter"`
}

// CallsAccessDetailsResponse answers POST /v2/calls/users-access.
type CallsAccessDetailsResponse struct {
	RequestID      string              `json:"requestId"`
	CallAccessList []CallAccessDetails `json:"callAccessList"`
}

// CallAccessDetails lists the users given access to one call.
type CallAccessDetails struct {
	CallID string              `json:"callId"`
	Users  []UserAccessDetails `json:"users"`
}

// UserAccessDetails is one user with access.
type UserAccessDetails struct {
	UserID string `json:"userId"`
}

// EmailAddressReferences answers GET /v2/data-privacy/data-for-email-address: what
// Gong holds for an address. The fake has no emails, meetings or engagement events:
// those lists are always empty.
type EmailAddressReferences struct {
	RequestID          string            `json:"requestId"`
	Emails             []json.RawMessage `json:"emails"`
	Calls              []CallReference   `json:"calls"`
	Meetings           []json.RawMessage `json:"meetings"`
	CustomerData       []CustomerData    `json:"customerData"`
	CustomerEngagement []json.RawMessage `json:"customerEngagement"`
}

// PhoneNumberReferences answers GET /v2/data-privacy/data-for-phone-number.
type PhoneNumberReferences struct {
	RequestID            string            `json:"requestId"`
	Emails               []json.RawMessage `json:"emails"`
	Calls                []CallReference   `json:"calls"`
	Meetings             []json.RawMessage `json:"meetings"`
	CustomerData         []CustomerData    `json:"customerData"`
	SuppliedPhoneNumber  string            `json:"suppliedPhoneNumber"`
	MatchingPhoneNumbers []string          `json:"matchingPhoneNumbers"`
	EmailAddresses       []string          `json:"emailAddresses"`
}

// CallReference is one call that references an address.
type CallReference struct {
	ID string `json:"id"`
}

// CustomerData lists the CRM objects (leads, contacts) of one system that hold an
// address.
type CustomerData struct {
	System  string               `json:"system"`
	Objects []CustomerDataObject `json:"objects"`
}

// CustomerDataObject is one CRM lead or contact.
type CustomerDataObject struct {
	ObjectType string `json:"objectType"` // Lead, Contact
	ExternalID string `json:"externalId"`
}

// pagination is the records block of a paged answer. Cursor is left out on the last
// page.
type pagination struct {
	TotalRecords      int    `json:"totalRecords"`
	CurrentPageSize   int    `json:"currentPageSize"`
	CurrentPageNumber int    `json:"currentPageNumber"`
	Cursor            string `json:"cursor"`
}
