package fakegong

import (
	"fmt"
	"slices"
	"strings"
)

// liveTraffic is the one list of the places where what Gong really sends differs from
// its OpenAPI document, and so where the fake, which sends what Gong sends, may differ
// from the document. The OpenAPI check (openapi_test.go) allows these and nothing
// else, and TestAnswersMatchOpenAPI fails on an entry no answer needed: the list stays
// exactly the differences the fake shows. Add an entry only with its evidence.
//
// A key is Schema.property as the document names them ("Schema.*" for every property
// of the schema). An endpoint Gong serves but does not document would get its schema
// here too.
var liveTraffic = []deviation{
	// Nulls the document does not mark as possible.
	{"UserMetadata.*", sendsNull, "every field of user metadata is sent, null when unset (seen live)"},
	{"CallBasicData.*", sendsNull, "every field of call metadata is sent, null when unset (seen live)"},
	{"Party.speakerId", sendsNull, "null for a participant who did not speak (seen live)"},
	{"ContextField.value", sendsNull, "an empty CRM field (seen live)"},
	{"PartyContextField.value", sendsNull, "an empty CRM field of a participant (seen live)"},
	{"Monologue.topic", sendsNull, "speech outside any topic (seen live)"},
	{"KeywordTracker.creatorUserId", sendsNull, "built-in trackers have no creator (the document says so in prose)"},
	{"KeywordTracker.updaterUserId", sendsNull, "built-in trackers have no updater (the document says so in prose)"},
	{"KeywordTracker.saidAtInterval", sendsNull, "unset option (the document says so in prose)"},
	{"KeywordTracker.saidAtUnit", sendsNull, "unset option (the document says so in prose)"},
	{"KeywordTracker.filterQuery", sendsNull, "a tracker over every call"},
	{"LibraryFolder.parentFolderId", sendsNull, "a root folder (the document says so in prose: null for root folder)"},
	{"Question.minRange", sendsNull, "questions without a range (the document says so in prose)"},
	{"Question.maxRange", sendsNull, "questions without a range (the document says so in prose)"},
	{"Answer.score", sendsNull, "a question not answered with a score (the document says so in prose)"},
	{"Answer.answerText", sendsNull, "a question not answered in words (the document says so in prose)"},
	{"Answer.selectedOptions", sendsNull, "a question without options chosen (the document says so in prose)"},

	// Properties the document lacks.
	{"UserMetadata.conferencingProviders", extraProperty, "seen live on every user"},
	{"Scorecard.reviewMethod", extraProperty, `seen live: "reviewMethod":"MANUAL"`},
	{"Question.created", extraProperty, "seen live on every question"},
	{"Question.updated", extraProperty, "seen live on every question"},
	{"Question.updaterUserId", extraProperty, "seen live on every question"},

	// Integers the document types as numbers, sent as strings of digits. Ids pass 2^53.
	{"Scorecard.scorecardId", stringForInteger, `seen live: "scorecardId":"9067931441193858457"`},
	{"Scorecard.workspaceId", stringForInteger, "seen live"},
	{"Scorecard.updaterUserId", stringForInteger, `seen live: "updaterUserId":"-1"`},
	{"Question.questionId", stringForInteger, "seen live"},
	{"Question.questionRevisionId", stringForInteger, "seen live"},
	{"Question.minRange", stringForInteger, `seen live: "minRange":"1"`},
	{"Question.maxRange", stringForInteger, `seen live: "maxRange":"5"`},

	// [] where the document says the value is null: the check then refuses null.
	{"Question.answerOptions", emptyForNull, "seen live: answerOptions [] on range questions, where the document says null"},
}

// deviationKind is how Gong's traffic differs from its document at one place.
type deviationKind int

const (
	sendsNull        deviationKind = iota + 1 // null where the document has a value
	extraProperty                             // a property the schema does not list
	stringForInteger                          // a string of digits where the document says integer
	emptyForNull                              // [] where the document says null: null is refused
)

func (k deviationKind) String() string {
	return map[deviationKind]string{sendsNull: "null", extraProperty: "extra property",
		stringForInteger: "string for an integer", emptyForNull: "[] for null"}[k]
}

// deviation is one entry of liveTraffic.
type deviation struct {
	at       string // Schema.property, or Schema.* for every property
	kind     deviationKind
	evidence string
}

// allows says whether liveTraffic has a deviation of kind at schema.prop, and records
// that an answer needed it.
func (o *openAPI) allows(kind deviationKind, schema, prop string) bool {
	for _, d := range liveTraffic {
		if d.kind == kind && (d.at == schema+"."+prop || d.at == schema+".*") {
			if o.used != nil {
				o.used[d.at+" "+d.kind.String()] = true
			}
			return true
		}
	}
	return false
}

// unused lists the deviations no answer validated so far needed.
func (o *openAPI) unused() []string {
	var out []string
	for _, d := range liveTraffic {
		if !o.used[d.at+" "+d.kind.String()] {
			out = append(out, fmt.Sprintf("%s (%s: %s)", d.at, d.kind, d.evidence))
		}
	}
	return out
}

// checkLiveTraffic refuses a list that names one place twice with the same kind, or a
// schema the document does not have.
func checkLiveTraffic(o *openAPI) []string {
	var problems, seen []string
	for _, d := range liveTraffic {
		key := d.at + " " + d.kind.String()
		if slices.Contains(seen, key) {
			problems = append(problems, "listed twice: "+key)
		}
		seen = append(seen, key)
		schema, prop, ok := strings.Cut(d.at, ".")
		s := o.schema(schema)
		switch {
		case !ok || s == nil:
			problems = append(problems, "no schema "+schema+" in the document: "+key)
		case prop == "*":
		case d.kind == extraProperty:
			if props, _ := s["properties"].(map[string]any); props[prop] != nil {
				problems = append(problems, "the document has "+d.at+" now: "+key)
			}
		default:
			if props, _ := s["properties"].(map[string]any); props[prop] == nil {
				problems = append(problems, "the document has no "+d.at+": "+key)
			}
		}
	}
	return problems
}
