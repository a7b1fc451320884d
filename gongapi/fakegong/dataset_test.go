package fakegong

import (
	"bytes"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
)

func TestDatasetIsDeterministic(t *testing.T) {
	t.Parallel()
	body := func(seed int64) []byte {
		f := newFake(t, Options{Seed: seed, Calls: 150})
		f.Clock().Set(fixedNow)
		a := f.post("/v2/calls/extensive", gongapi.CallsExtensiveRequest{ContentSelector: gongapi.FullContentSelector()})
		tr := f.post("/v2/calls/transcript", gongapi.TranscriptRequest{})
		// The request ids differ from run to run by design; nothing else may.
		re := regexp.MustCompile(`"requestId":"[a-z0-9]{19}"`)
		return append(re.ReplaceAll(a.body, nil), re.ReplaceAll(tr.body, nil)...)
	}
	a, b, c := body(42), body(42), body(43)
	if !bytes.Equal(a, b) {
		t.Error("the same seed gives different answers")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds give the same answers")
	}
}

func TestDatasetAtScale(t *testing.T) {
	t.Parallel()
	start := time.Now()
	s, err := New(Options{Seed: 1, Calls: 100_000, Users: 500})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("generated 100,000 calls in %s", took)
	if took > 5*time.Second && !raceEnabled {
		t.Errorf("generating 100,000 calls took %s; metadata must be cheap", took)
	}
	calls := s.Dataset().AllCalls()
	if len(calls) != 100_000 {
		t.Fatalf("%d calls", len(calls))
	}
	ids := map[string]bool{}
	var late, changed, deleted, imported, noTranscript int
	for i, c := range calls {
		if ids[c.ID] {
			t.Fatalf("duplicate id %s", c.ID)
		}
		ids[c.ID] = true
		if !idPattern.MatchString(c.ID) {
			t.Fatalf("id %q is not 18–20 digits", c.ID)
		}
		if i > 0 && c.Started.Before(calls[i-1].Started) {
			t.Fatal("AllCalls is not in start order")
		}
		if c.Started.Before(DefaultFrom) || !c.Started.Before(DefaultTo) {
			t.Fatalf("call starts at %s, outside the range", c.Started)
		}
		if !c.ProcessedAt.After(c.Started) || (!c.TranscriptAt.IsZero() && !c.TranscriptAt.After(c.ProcessedAt)) {
			t.Fatalf("call %s: processed %s, transcript %s, started %s", c.ID, c.ProcessedAt, c.TranscriptAt, c.Started)
		}
		if c.Late {
			late++
			if c.ProcessedAt.Sub(c.Started.Add(c.Duration)) < 3*time.Hour {
				t.Fatalf("late call %s processed only %s after it ended", c.ID, c.ProcessedAt.Sub(c.Started.Add(c.Duration)))
			}
		}
		if !c.ChangedAt.IsZero() {
			changed++
		}
		if !c.DeletedAt.IsZero() {
			deleted++
		}
		if c.Imported {
			imported++
		}
		if c.TranscriptAt.IsZero() {
			noTranscript++
		}
	}
	share := func(n int) float64 { return float64(n) / float64(len(calls)) }
	for _, c := range []struct {
		name    string
		got, lo float64
		hi      float64
	}{
		{"late", share(late), 0.04, 0.06},
		{"changed", share(changed), 0.02, 0.04},
		{"deleted", share(deleted), 0.005, 0.015},
		{"imported", share(imported), 0.03, 0.07},
		{"without transcript", share(noTranscript), 0.06, 0.11},
	} {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("%s share %.3f, want %.3f–%.3f", c.name, c.got, c.lo, c.hi)
		}
	}
}

func TestVisibilityFollowsTheClock(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 20, Calls: 50})
	clock := f.Clock()
	d := f.Dataset()
	started := time.Date(2024, 4, 2, 15, 0, 0, 0, time.UTC)
	spec, err := d.AddCall(NewCall{
		Started:      started,
		Duration:     30 * time.Minute,
		ProcessedAt:  started.Add(6 * time.Hour), // late
		TranscriptAt: started.Add(8 * time.Hour),
		Title:        "Late call",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !spec.Late {
		t.Error("a call processed 5.5 hours after it ended is not marked late")
	}
	window := gongapi.CallsFilter{FromDateTime: filterTime(started), ToDateTime: filterTime(started.Add(time.Second))}
	find := func() (call, transcript bool) {
		a := f.post("/v2/calls/extensive", gongapi.CallsExtensiveRequest{Filter: window})
		b := f.post("/v2/calls/transcript", gongapi.TranscriptRequest{Filter: window})
		return a.status == http.StatusOK, b.status == http.StatusOK
	}
	steps := []struct {
		at               time.Time
		call, transcript bool
		title            string
	}{
		{started.Add(time.Hour), false, false, ""},
		{started.Add(6 * time.Hour), true, false, "Late call"},
		{started.Add(8 * time.Hour), true, true, "Late call"},
	}
	for _, s := range steps {
		clock.Set(s.at)
		c, tr := find()
		if c != s.call || tr != s.transcript {
			t.Errorf("at %s: call visible %v, transcript %v; want %v, %v", s.at, c, tr, s.call, s.transcript)
		}
		got, ok := d.CallAt(spec.ID, s.at)
		if ok != s.call || (ok && *got.MetaData.Title != s.title) {
			t.Errorf("CallAt(%s): ok %v", s.at, ok)
		}
		if _, ok := d.TranscriptAt(spec.ID, s.at); ok != s.transcript {
			t.Errorf("TranscriptAt(%s): ok %v", s.at, ok)
		}
	}

	// Changes take effect at their time, in order.
	renamed := "Renamed"
	if _, err := d.ChangeCall(spec.ID, started.Add(24*time.Hour), Change{Title: &renamed, IsPrivate: boolp(true), AddParties: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ChangeCall(spec.ID, started.Add(48*time.Hour), Change{Edit: func(c *CallData) {
		c.MetaData.Purpose = strp("Renewal")
	}}); err != nil {
		t.Fatal(err)
	}
	before, _ := d.CallAt(spec.ID, started.Add(23*time.Hour))
	after, _ := d.CallAt(spec.ID, started.Add(25*time.Hour))
	later, _ := d.CallAt(spec.ID, started.Add(49*time.Hour))
	if *before.MetaData.Title != "Late call" || *after.MetaData.Title != "Renamed" || !*after.MetaData.IsPrivate {
		t.Errorf("title/privacy change: before %q, after %q private %v", *before.MetaData.Title, *after.MetaData.Title, *after.MetaData.IsPrivate)
	}
	if len(after.Parties) != len(before.Parties)+2 || after.Parties[len(after.Parties)-1].SpeakerID != nil {
		t.Errorf("AddParties: %d parties before, %d after; added ones must be silent", len(before.Parties), len(after.Parties))
	}
	if before.MetaData.Purpose != nil && *before.MetaData.Purpose == "Renewal" || later.MetaData.Purpose == nil || *later.MetaData.Purpose != "Renewal" {
		t.Error("an Edit change does not take effect at its time")
	}
	if s, _ := d.Call(spec.ID); !s.ChangedAt.Equal(started.Add(48 * time.Hour)) {
		t.Errorf("ChangedAt %s, want the last change", s.ChangedAt)
	}
	// What the server answers is what the dataset says (an Edit sees everything,
	// the answer still holds only what was asked for).
	clock.Set(started.Add(49 * time.Hour))
	page := decode[callsPage](t, f.post("/v2/calls/extensive", gongapi.CallsExtensiveRequest{Filter: window}))
	if got := page.Calls[0]; got.Parties != nil || *got.MetaData.Purpose != "Renewal" || *got.MetaData.Title != "Renamed" {
		t.Error("the server's answer differs from the dataset's after changes")
	}

	// Deleted, then back.
	if _, err := d.DeleteCall(spec.ID, started.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.RestoreCall(spec.ID, started.Add(96*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		at   time.Duration
		want bool
	}{{71 * time.Hour, true}, {72 * time.Hour, false}, {95 * time.Hour, false}, {96 * time.Hour, true}} {
		clock.Set(started.Add(s.at))
		if c, tr := find(); c != s.want || tr != s.want {
			t.Errorf("%s after the start: call %v transcript %v, want %v", s.at, c, tr, s.want)
		}
	}
	if _, err := d.RestoreCall(spec.ID, started); err == nil {
		t.Error("restoring before the deletion was accepted")
	}
	if _, err := d.DeleteCall("123", started); err == nil {
		t.Error("deleting an unknown call was accepted")
	}
}

func TestGeneratedLifeEvents(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 21, Calls: 2000, LateShare: 0.2, ChangeShare: 0.2, DeleteShare: 0.1})
	d := f.Dataset()
	var late, changed, deleted *CallSpec
	for _, c := range d.AllCalls() {
		switch {
		case c.Late && late == nil:
			late = &c
		case !c.ChangedAt.IsZero() && changed == nil && c.DeletedAt.IsZero():
			changed = &c
		case !c.DeletedAt.IsZero() && deleted == nil:
			deleted = &c
		}
	}
	if late == nil || changed == nil || deleted == nil {
		t.Fatal("the dataset lacks late, changed or deleted calls")
	}
	if _, ok := d.CallAt(late.ID, late.Started.Add(late.Duration+2*time.Hour)); ok {
		t.Error("a late call is visible two hours after it ended")
	}
	b, _ := d.CallAt(changed.ID, changed.ChangedAt.Add(-time.Second))
	a, _ := d.CallAt(changed.ID, changed.ChangedAt)
	same := *b.MetaData.Title == *a.MetaData.Title && *b.MetaData.IsPrivate == *a.MetaData.IsPrivate && len(b.Parties) == len(a.Parties)
	if same {
		t.Error("a changed call reads the same before and after its change")
	}
	if _, ok := d.CallAt(deleted.ID, deleted.DeletedAt); ok {
		t.Error("a deleted call is still visible")
	}
	// Shares of 0 by a negative option.
	g := newFake(t, Options{Seed: 21, Calls: 500, LateShare: -1, ChangeShare: -1, DeleteShare: -1})
	for _, c := range g.Dataset().AllCalls() {
		if c.Late || !c.ChangedAt.IsZero() || !c.DeletedAt.IsZero() {
			t.Fatalf("negative shares still produced a late, changed or deleted call: %+v", c)
		}
	}
}

func TestTranscriptSpeakersJoinParties(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 22, Calls: 300})
	f.Clock().Set(fixedNow)
	d := f.Dataset()
	transcripts := 0
	for _, c := range d.VisibleCalls(fixedNow) {
		tr, ok := d.TranscriptAt(c.MetaData.ID, fixedNow)
		if !ok {
			continue
		}
		transcripts++
		speakers := map[string]bool{}
		for _, p := range c.Parties {
			if p.SpeakerID != nil {
				speakers[*p.SpeakerID] = true
			}
		}
		var prevEnd int64
		for _, m := range tr.Transcript {
			if m.SpeakerID == nil || !speakers[*m.SpeakerID] {
				t.Fatalf("call %s: transcript speaker %v is no party's speakerId", c.MetaData.ID, m.SpeakerID)
			}
			for _, s := range m.Sentences {
				if s.Start < prevEnd || s.End < s.Start || s.End > *c.MetaData.Duration*1000 {
					t.Fatalf("call %s: sentence %d–%d ms out of order or past the call's end", c.MetaData.ID, s.Start, s.End)
				}
				prevEnd = s.End
			}
		}
		// Tracker occurrences name speakers too.
		for _, tk := range c.Content.Trackers {
			for _, o := range tk.Occurrences {
				if o.SpeakerID != nil && !speakers[*o.SpeakerID] {
					t.Fatalf("call %s: tracker occurrence by unknown speaker %s", c.MetaData.ID, *o.SpeakerID)
				}
			}
		}
	}
	if transcripts < 200 {
		t.Errorf("only %d of 300 calls have transcripts", transcripts)
	}
	// The server sends the same transcripts.
	got := decode[transcriptsPage](t, f.post("/v2/calls/transcript", gongapi.TranscriptRequest{}))
	want := d.VisibleTranscripts(fixedNow)[:len(got.CallTranscripts)]
	for i := range want {
		if got.CallTranscripts[i].CallID != want[i].CallID || len(got.CallTranscripts[i].Transcript) != len(want[i].Transcript) {
			t.Fatalf("transcript %d: server %s, dataset %s", i, got.CallTranscripts[i].CallID, want[i].CallID)
		}
	}
}

func TestTrackerOccurrencesOnlySince2023(t *testing.T) {
	t.Parallel()
	from := time.Date(2022, 7, 1, 0, 0, 0, 0, time.UTC)
	f := newFake(t, Options{Seed: 23, Calls: 400, From: from, To: time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC)})
	f.Clock().Set(fixedNow)
	var old, recent int
	for _, c := range f.Dataset().VisibleCalls(fixedNow) {
		for _, tk := range c.Content.Trackers {
			if tk.Occurrences == nil {
				continue
			}
			if c.MetaData.Started.Before(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)) {
				old++
			} else if len(tk.Occurrences) > 0 {
				recent++
			}
		}
	}
	if old != 0 || recent == 0 {
		t.Errorf("tracker occurrences: %d on calls before 2023, %d after", old, recent)
	}
}

func TestChangeUser(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 24, Calls: 10})
	f.Clock().Set(fixedNow)
	u := f.Dataset().UsersAt(fixedNow)[0]
	before := decode[usersPage](t, f.do(http.MethodGet, "/v2/users", nil, ""))
	if err := f.Dataset().ChangeUser(u.ID, func(x *UserMetadata) {
		x.Active = boolp(false)
		x.Title = strp("Retired")
		x.ID = "1" // ignored: the id is the key
	}); err != nil {
		t.Fatal(err)
	}
	after := decode[usersPage](t, f.do(http.MethodGet, "/v2/users", nil, ""))
	i := slices.IndexFunc(after.Users, func(x UserMetadata) bool { return x.ID == u.ID })
	if i < 0 || *after.Users[i].Active || *after.Users[i].Title != "Retired" {
		t.Error("a changed user is not served changed")
	}
	if len(before.Users) != len(after.Users) {
		t.Error("changing a user changed the number of users")
	}
}

// A removed keyword tracker leaves the list Gong serves from the time given and comes
// back from the time given; the others stay listed throughout.
func TestRemoveTracker(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 24, Calls: 10})
	f.Clock().Set(fixedNow)
	defs := f.Dataset().Trackers()
	gone := defs[1].TrackerID
	if err := f.Dataset().RemoveTracker(gone, fixedNow.Add(time.Minute), fixedNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := f.Dataset().RemoveTracker("1", fixedNow, time.Time{}); err == nil {
		t.Error("removing a tracker that does not exist succeeded")
	}
	listed := func() []string {
		page := decode[struct {
			KeywordTrackers []KeywordTracker `json:"keywordTrackers"`
		}](t, f.do(http.MethodGet, "/v2/settings/trackers", nil, ""))
		var ids []string
		for _, k := range page.KeywordTrackers {
			ids = append(ids, k.TrackerID)
		}
		return ids
	}
	for _, c := range []struct {
		at     time.Time
		listed bool
	}{{fixedNow, true}, {fixedNow.Add(time.Minute), false}, {fixedNow.Add(59 * time.Minute), false}, {fixedNow.Add(time.Hour), true}} {
		f.Clock().Set(c.at)
		ids := listed()
		if slices.Contains(ids, gone) != c.listed || len(ids) != len(defs)-map[bool]int{true: 0, false: 1}[c.listed] {
			t.Errorf("at %v: %d trackers listed, the removed one listed %v; want %v", c.at, len(ids), slices.Contains(ids, gone), c.listed)
		}
		if got := len(f.Dataset().TrackersAt(c.at)); got != len(ids) {
			t.Errorf("at %v: TrackersAt has %d, the endpoint %d", c.at, got, len(ids))
		}
	}
}

// TestHooksWhileServing runs the test hooks while pages are being served; with
// -race it proves the dataset's copy-on-write discipline.
func TestHooksWhileServing(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 25, Calls: 400})
	f.Clock().Set(fixedNow)
	d := f.Dataset()
	ids := callIDs(d.VisibleCalls(fixedNow))
	users := d.UsersAt(fixedNow)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			at := fixedNow.Add(-time.Duration(i) * time.Minute)
			d.AddCall(NewCall{Started: at.Add(-48 * time.Hour), ProcessedAt: at})
			d.ChangeCall(ids[i%len(ids)], at, Change{AddParties: 1, Title: strp("t")})
			d.ChangeUser(users[i%len(users)].ID, func(u *UserMetadata) { u.Title = strp("x") })
			d.RemoveTracker(d.Trackers()[i%3].TrackerID, at, at.Add(time.Minute))
			if i%10 == 0 {
				d.DeleteCall(ids[(i*7)%len(ids)], at)
			}
		}
	}()
	for range 20 {
		for _, path := range []string{"/v2/calls/extensive", "/v2/calls/transcript"} {
			a := f.post(path, gongapi.CallsExtensiveRequest{ContentSelector: gongapi.FullContentSelector()})
			if path == "/v2/calls/transcript" {
				a = f.post(path, gongapi.TranscriptRequest{})
			}
			if a.status != http.StatusOK {
				t.Fatalf("%s: %d", path, a.status)
			}
		}
		f.do(http.MethodGet, "/v2/users", nil, "")
		f.do(http.MethodGet, "/v2/settings/trackers", nil, "")
	}
	<-done
}

func TestAddCallDefaults(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Seed: 26, Calls: 5})
	if err != nil {
		t.Fatal(err)
	}
	d := s.Dataset()
	at := time.Date(2024, 2, 1, 9, 0, 0, 0, time.UTC)
	for i := range 100 {
		spec, err := d.AddCall(NewCall{Started: at.Add(time.Duration(i) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if spec.Imported || spec.TranscriptAt.IsZero() || spec.Late || spec.Duration != 30*time.Minute {
			t.Fatalf("a plain added call: %+v", spec)
		}
		c, ok := d.CallAt(spec.ID, spec.ProcessedAt)
		if !ok || len(c.Parties) == 0 {
			t.Fatalf("added call %s: visible %v, %d parties", spec.ID, ok, len(c.Parties))
		}
	}
	imp, err := d.AddCall(NewCall{Started: at, Imported: true})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := d.CallAt(imp.ID, imp.ProcessedAt); !imp.Imported || !imp.TranscriptAt.IsZero() || c.Parties != nil {
		t.Errorf("an imported call: %+v, %d parties", imp, len(c.Parties))
	}
	if _, err := d.AddCall(NewCall{}); err == nil {
		t.Error("a call without a start time was accepted")
	}
	if _, err := d.AddCall(NewCall{Started: at, PrimaryUserID: "1"}); err == nil {
		t.Error("a call hosted by an unknown user was accepted")
	}
}
