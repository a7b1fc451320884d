package fakegong

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gongsync/gongsync/gongapi"
)

// keysOf returns the sorted keys of every object in a JSON array at path, merged.
func keysOf(t *testing.T, calls []map[string]json.RawMessage, block string) []string {
	t.Helper()
	set := map[string]bool{}
	for _, c := range calls {
		raw, ok := c[block]
		if !ok {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", block, err)
		}
		for k := range m {
			set[k] = true
		}
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestOnlyTheExposedFieldsComeBack(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 30, Calls: 150})
	f.Clock().Set(fixedNow)
	get := func(sel *gongapi.ContentSelector) []map[string]json.RawMessage {
		t.Helper()
		a := f.post("/v2/calls/extensive", gongapi.CallsExtensiveRequest{ContentSelector: sel})
		var doc struct{ Calls []map[string]json.RawMessage }
		if a.status != http.StatusOK {
			t.Fatalf("status %d: %s", a.status, a.body)
		}
		if err := json.Unmarshal(a.body, &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Calls
	}
	blocks := func(calls []map[string]json.RawMessage) []string {
		set := map[string]bool{}
		for _, c := range calls {
			for k := range c {
				set[k] = true
			}
		}
		var out []string
		for k := range set {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}

	// Nothing but metadata without a selector.
	if got := blocks(get(nil)); !slices.Equal(got, []string{"metaData"}) {
		t.Errorf("no selector: blocks %v", got)
	}
	// Some content, some interaction.
	calls := get(&gongapi.ContentSelector{ExposedFields: &gongapi.ExposedFields{
		Content:     &gongapi.ExposedContent{Topics: true, Brief: true},
		Interaction: &gongapi.ExposedInteraction{Questions: true},
	}})
	if got := blocks(calls); !slices.Equal(got, []string{"content", "interaction", "metaData"}) {
		t.Errorf("content+interaction: blocks %v", got)
	}
	if got := keysOf(t, calls, "content"); !slices.Equal(got, []string{"brief", "topics"}) {
		t.Errorf("content keys %v, want [brief topics]", got)
	}
	if got := keysOf(t, calls, "interaction"); !slices.Equal(got, []string{"questions"}) {
		t.Errorf("interaction keys %v, want [questions]", got)
	}
	// Trackers without occurrences.
	calls = get(&gongapi.ContentSelector{ExposedFields: &gongapi.ExposedFields{Content: &gongapi.ExposedContent{Trackers: true}}})
	for _, c := range calls {
		if strings.Contains(string(c["content"]), "occurrences") {
			t.Fatal("tracker occurrences without trackerOccurrences")
		}
	}
	// Everything.
	full := get(gongapi.FullContentSelector())
	if got := blocks(full); !slices.Equal(got, []string{"collaboration", "content", "context", "interaction", "metaData", "parties"}) {
		t.Errorf("full selector: blocks %v", got)
	}
	if got := keysOf(t, full, "content"); !slices.Equal(got, []string{"brief", "callOutcome", "highlights", "keyPoints", "outline", "structure", "topics", "trackers"}) {
		t.Errorf("full content keys %v", got)
	}
	if got := keysOf(t, full, "interaction"); !slices.Equal(got, []string{"interactionStats", "questions", "speakers", "video"}) {
		t.Errorf("full interaction keys %v", got)
	}
	// Media only when asked for.
	withMedia := get(&gongapi.ContentSelector{ExposedFields: &gongapi.ExposedFields{Media: true}})
	if got := keysOf(t, withMedia, "media"); !slices.Equal(got, []string{"audioUrl", "videoUrl"}) {
		t.Errorf("media keys %v", got)
	}
}

func TestContextAndTiming(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 31, Calls: 100})
	f.Clock().Set(fixedNow)
	get := func(sel *gongapi.ContentSelector) []CallData {
		return decode[callsPage](t, f.post("/v2/calls/extensive", gongapi.CallsExtensiveRequest{ContentSelector: sel})).Calls
	}
	parties := &gongapi.ExposedFields{Parties: true}
	count := func(calls []CallData) (objects, fields int, timings map[string]int, partyContexts int) {
		timings = map[string]int{}
		for _, c := range calls {
			for _, cx := range c.Context {
				for _, o := range cx.Objects {
					objects++
					fields += len(o.Fields)
					timings[o.Timing]++
				}
			}
			for _, p := range c.Parties {
				partyContexts += len(p.Context)
			}
		}
		return
	}
	if o, _, _, pc := count(get(&gongapi.ContentSelector{Context: "None", ExposedFields: parties})); o != 0 || pc != 0 {
		t.Errorf("context None: %d objects, %d party contexts", o, pc)
	}
	o, fl, tm, pc := count(get(&gongapi.ContentSelector{Context: "Basic", ExposedFields: parties}))
	if o == 0 || fl != 0 || len(tm) != 1 || tm[""] != o || pc == 0 {
		t.Errorf("context Basic: %d objects, %d fields, timings %v, %d party contexts; want links only", o, fl, tm, pc)
	}
	o, fl, tm, _ = count(get(&gongapi.ContentSelector{Context: "Extended", ExposedFields: parties}))
	if o == 0 || fl == 0 || tm["Now"] != o {
		t.Errorf("context Extended without timing: timings %v; want Now, Gong's default", tm)
	}
	o2, _, tm2, _ := count(get(&gongapi.ContentSelector{Context: "Extended", ContextTiming: []string{"Now", "TimeOfCall"}}))
	if tm2["Now"] != o || tm2["TimeOfCall"] != o || o2 != 2*o {
		t.Errorf("both timings: %v, want %d of each", tm2, o)
	}
	// Field values may be strings, numbers or null.
	kinds := map[byte]bool{}
	for _, c := range get(&gongapi.ContentSelector{Context: "Extended"}) {
		for _, cx := range c.Context {
			for _, o := range cx.Objects {
				for _, fd := range o.Fields {
					kinds[fd.Value[0]] = true
				}
			}
		}
	}
	if !kinds['"'] || !kinds['n'] || !(kinds['1'] || kinds['2'] || kinds['3'] || kinds['4'] || kinds['5'] || kinds['6'] || kinds['7'] || kinds['8'] || kinds['9']) {
		t.Errorf("CRM field values: want strings, numbers and nulls, got kinds %v", kinds)
	}
}
