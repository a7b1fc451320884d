package fakegong

import "time"

// The records of the endpoints beyond calls, in the fake's own reading of Gong's
// document (and, for the call outcomes, which the document lacks, of recorded live
// traffic). Same conventions as types.go: ids are decimal strings, a zero time.Time
// is absent; the encoder (encode_stats.go) writes the names the JSON tags give, and a
// test checks that the two agree.

// ---- stats ----

// UserDayByDayActivity is one user's record of POST /v2/stats/activity/day-by-day:
// one DailyActivityWithDates per day of the requested range, days without activity
// included (with empty lists).
type UserDayByDayActivity struct {
	UserID                 string                   `json:"userId"`
	UserEmailAddress       *string                  `json:"userEmailAddress"`
	UserDailyActivityStats []DailyActivityWithDates `json:"userDailyActivityStats"`
}

// DailyActivityWithDates is one day of a user's activity: the day's start and end in
// the company's offset, and per activity the ids of the calls it concerned. Every list
// is sent, [] when empty.
type DailyActivityWithDates struct {
	CallsAsHost                   []string  `json:"callsAsHost"`
	CallsGaveFeedback             []string  `json:"callsGaveFeedback"`
	CallsRequestedFeedback        []string  `json:"callsRequestedFeedback"`
	CallsReceivedFeedback         []string  `json:"callsReceivedFeedback"`
	OwnCallsListenedTo            []string  `json:"ownCallsListenedTo"`
	OthersCallsListenedTo         []string  `json:"othersCallsListenedTo"`
	CallsSharedInternally         []string  `json:"callsSharedInternally"`
	CallsSharedExternally         []string  `json:"callsSharedExternally"`
	CallsAttended                 []string  `json:"callsAttended"`
	CallsCommentsGiven            []string  `json:"callsCommentsGiven"`
	CallsCommentsReceived         []string  `json:"callsCommentsReceived"`
	CallsMarkedAsFeedbackGiven    []string  `json:"callsMarkedAsFeedbackGiven"`
	CallsMarkedAsFeedbackReceived []string  `json:"callsMarkedAsFeedbackReceived"`
	CallsScorecardsFilled         []string  `json:"callsScorecardsFilled"`
	CallsScorecardsReceived       []string  `json:"callsScorecardsReceived"`
	FromDate                      time.Time `json:"fromDate"`
	ToDate                        time.Time `json:"toDate"`
}

// PersonInteractionStats is one user's record of POST /v2/stats/interaction (the
// schema InteractionStats): the user's measures over the whole requested range.
type PersonInteractionStats struct {
	UserID                 string            `json:"userId"`
	UserEmailAddress       *string           `json:"userEmailAddress"`
	PersonInteractionStats []InteractionStat `json:"personInteractionStats"`
}

// InteractionStat is one named measure of a user.
type InteractionStat struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// ---- library ----

// LibraryFolder is one public folder of GET /v2/library/folders.
type LibraryFolder struct {
	ID             string    `json:"id"`
	Name           *string   `json:"name"`
	ParentFolderID *string   `json:"parentFolderId"` // null for a top folder
	CreatedBy      *string   `json:"createdBy"`
	Updated        time.Time `json:"updated"`
}

// LibraryCall is one call (or a snippet of it) in a folder (the schema LibraryCall).
// A nil Note or Snippet is left out.
type LibraryCall struct {
	ID      string    `json:"id"`
	Title   *string   `json:"title"`
	Note    *string   `json:"note"`
	AddedBy *string   `json:"addedBy"`
	Created time.Time `json:"created"`
	URL     *string   `json:"url"`
	Snippet *Snippet  `json:"snippet"`
}

// Snippet bounds the part of the call a folder holds, in whole seconds from its start.
type Snippet struct {
	FromSec int64 `json:"fromSec"`
	ToSec   int64 `json:"toSec"`
}

// ---- call outcomes ----

// CallOutcomeDefinition is one of the company's call outcomes, as GET
// /v2/call-outcomes answers them in recorded live traffic (the endpoint is not in
// Gong's document): no id, the name is callOutcome.
type CallOutcomeDefinition struct {
	CallOutcome   string `json:"callOutcome"`
	DisplayOrder  int64  `json:"displayOrder"`
	ConnectStatus string `json:"connectStatus"`
	Sentiment     string `json:"sentiment"`
	TodoAction    string `json:"todoAction"`
	Automation    string `json:"automation"`
	Category      string `json:"category"`
}
