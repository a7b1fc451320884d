package fakegong

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
)

type (
	scorecardsPage struct {
		RequestID  string      `json:"requestId"`
		Scorecards []Scorecard `json:"scorecards"`
	}
	reviewsPage struct {
		RequestID          string              `json:"requestId"`
		Records            *pagination         `json:"records"`
		AnsweredScorecards []AnsweredScorecard `json:"answeredScorecards"`
	}
)

// allReviews follows POST /v2/stats/activity/scorecards to the last page; nil on the
// empty 404.
func (f *fake) allReviews(filter map[string]any) []AnsweredScorecard {
	f.t.Helper()
	body := map[string]any{"filter": filter}
	var out []AnsweredScorecard
	for i := 0; ; i++ {
		a := f.post("/v2/stats/activity/scorecards", body)
		if a.status == http.StatusNotFound && i == 0 {
			if errs := errorBody(f.t, a, http.StatusNotFound); errs[0] != noReviewsFound {
				f.t.Fatalf("empty answer says %q", errs[0])
			}
			return nil
		}
		if a.status != http.StatusOK {
			f.t.Fatalf("page %d: status %d: %s", i, a.status, a.body)
		}
		p := decode[reviewsPage](f.t, a)
		out = append(out, p.AnsweredScorecards...)
		if p.Records == nil || p.Records.Cursor == "" {
			return out
		}
		body["cursor"] = p.Records.Cursor
	}
}

func reviewIDs(as []AnsweredScorecard) []string {
	out := make([]string, len(as))
	for i := range as {
		out[i] = as[i].AnsweredScorecardID.String()
	}
	return out
}

// The definitions arrive as live tenants send them: ids, revisions and ranges as
// strings, "-1" for Gong's own changes, answerOptions [] (not null) on questions
// without options, reviewMethod; and the reviews as the document types them: ids as
// JSON numbers, some beyond 2^53.
func TestScorecardsWireForm(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 80, Calls: 400, Users: 60})
	f.Clock().Set(fixedNow)
	a := f.do(http.MethodGet, "/v2/settings/scorecards", nil, "")
	if a.status != http.StatusOK {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	for _, want := range []string{`"scorecardId":"`, `"minRange":"1"`, `"maxRange":"5"`, `"updaterUserId":"-1"`,
		`"answerOptions":[]`, `"reviewMethod":"MANUAL"`, `"minRange":null`, `"workspaceId":"`} {
		if !bytes.Contains(a.body, []byte(want)) {
			t.Errorf("the definitions lack %s", want)
		}
	}
	p := decode[scorecardsPage](t, a)
	if len(p.Scorecards) != 2*len(scorecardTemplates) {
		t.Fatalf("%d scorecards, want %d per workspace", len(p.Scorecards), len(scorecardTemplates))
	}
	ws := map[string]bool{}
	for _, w := range f.Dataset().Workspaces() {
		ws[w.ID] = true
	}
	for _, s := range p.Scorecards {
		if !ws[s.WorkspaceID] {
			t.Errorf("scorecard %s is in workspace %s, which the fake does not have", s.ScorecardID, s.WorkspaceID)
		}
		if len(s.Questions) == 0 || !s.Questions[0].IsOverall {
			t.Errorf("scorecard %s: the first question is not the overall one", s.ScorecardID)
		}
	}

	reviews := f.allReviews(map[string]any{"reviewFromDate": "2024-01-01", "reviewToDate": "2024-09-01"})
	if len(reviews) < 40 {
		t.Fatalf("%d reviews of 400 calls", len(reviews))
	}
	a = f.post("/v2/stats/activity/scorecards", map[string]any{"filter": map[string]any{"reviewFromDate": "2024-01-01", "reviewToDate": "2024-09-01"}})
	if !bytes.Contains(a.body, []byte(`{"answeredScorecardId":`+reviews[0].AnsweredScorecardID.String()+`,`)) {
		t.Errorf("answered scorecard ids are not JSON numbers: %.200s", a.body)
	}
	big := false
	for _, r := range reviews {
		n, err := strconv.ParseUint(r.AnsweredScorecardID.String(), 10, 64)
		big = big || (err == nil && n > 1<<53)
	}
	if !big {
		t.Error("no answered scorecard id beyond 2^53: the client's reading of big numbers goes untested")
	}
}

// Every review is of one of the fake's calls, visible, about its host, by another
// user, with an enabled scorecard of the call's workspace, answering each of its
// questions; published after the call was processed.
func TestReviewsAreConsistentWithCallsAndUsers(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 81, Calls: 600, Users: 80})
	d := f.Dataset()
	users := map[string]bool{}
	for _, u := range d.Users() {
		users[u.ID] = true
	}
	cards := map[string]Scorecard{}
	for _, s := range d.ScorecardsAt(fixedNow) {
		cards[s.ScorecardID] = s
	}
	reviews := d.AnsweredScorecardsAt(fixedNow)
	if len(reviews) < 60 {
		t.Fatalf("%d reviews", len(reviews))
	}
	twice := map[string]int{}
	for _, r := range reviews {
		c, ok := d.CallAt(r.CallID.String(), fixedNow)
		if !ok {
			t.Fatalf("review %s: call %s is not visible", r.AnsweredScorecardID, r.CallID)
		}
		spec, _ := d.Call(r.CallID.String())
		if r.ReviewedUserID.String() != deref(c.MetaData.PrimaryUserID) || !r.CallStartTime.Equal(c.MetaData.Started) {
			t.Errorf("review %s: reviewed %s started %v; the call's host is %s, started %v", r.AnsweredScorecardID,
				r.ReviewedUserID, r.CallStartTime, deref(c.MetaData.PrimaryUserID), c.MetaData.Started)
		}
		if !users[r.ReviewerUserID.String()] || r.ReviewerUserID == r.ReviewedUserID {
			t.Errorf("review %s: reviewer %s", r.AnsweredScorecardID, r.ReviewerUserID)
		}
		card, ok := cards[r.ScorecardID.String()]
		if !ok || !card.Enabled || card.WorkspaceID != deref(c.MetaData.WorkspaceID) || card.ScorecardName != r.ScorecardName {
			t.Errorf("review %s: scorecard %s does not fit the call's workspace", r.AnsweredScorecardID, r.ScorecardID)
		}
		if len(r.Answers) != len(card.Questions) {
			t.Errorf("review %s: %d answers to %d questions", r.AnsweredScorecardID, len(r.Answers), len(card.Questions))
		}
		if r.ReviewTime.Before(spec.ProcessedAt) {
			t.Errorf("review %s published %v, before its call was processed (%v)", r.AnsweredScorecardID, r.ReviewTime, spec.ProcessedAt)
		}
		twice[r.CallID.String()]++
	}
	n := 0
	for _, k := range twice {
		if k > 1 {
			n++
		}
	}
	if n == 0 {
		t.Error("no call reviewed twice")
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// Review dates are calendar dates in the company's time zone, from inclusive, to
// exclusive: a day's reviews are those published on that day there; a range from a
// day to the same day is Gong's empty 404, a reversed one a 400; the pages of a range
// hold every review once, in review time order, and cursors are bound to their query.
func TestReviewDateFilters(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("", -7*3600)
	f := newFake(t, Options{Seed: 82, Calls: 1500, Users: 60, CompanyLocation: loc})
	f.Clock().Set(fixedNow)
	all := f.Dataset().AnsweredScorecardsAt(fixedNow)
	byDay := map[string][]string{}
	for _, r := range all {
		day := r.ReviewTime.In(loc).Format(time.DateOnly)
		byDay[day] = append(byDay[day], r.AnsweredScorecardID.String())
	}
	// A day whose reviews include one published after midnight UTC but before
	// midnight in the company's zone.
	var day string
	for _, r := range all {
		if h := r.ReviewTime.UTC().Hour(); h < 7 {
			day = r.ReviewTime.In(loc).Format(time.DateOnly)
			break
		}
	}
	if day == "" {
		t.Fatal("no review in the evening, company time")
	}
	next := mustDate(t, day).AddDate(0, 0, 1).Format(time.DateOnly)
	if got := reviewIDs(f.allReviews(map[string]any{"reviewFromDate": day, "reviewToDate": next})); !slices.Equal(got, byDay[day]) {
		t.Errorf("reviews of %s: %v, want %v", day, got, byDay[day])
	}
	if got := f.allReviews(map[string]any{"reviewFromDate": day, "reviewToDate": day}); got != nil {
		t.Errorf("a same-day range answered %d reviews", len(got))
	}
	errorBody(t, f.post("/v2/stats/activity/scorecards", map[string]any{"filter": map[string]any{"reviewFromDate": next, "reviewToDate": day}}), http.StatusBadRequest)
	errorBody(t, f.post("/v2/stats/activity/scorecards", map[string]any{"filter": map[string]any{"reviewFromDate": "2024-01-01T00:00:00Z"}}), http.StatusBadRequest)
	errorBody(t, f.post("/v2/stats/activity/scorecards", map[string]any{"filter": map[string]any{}, "cursor": "x", "limit": 5}), http.StatusBadRequest)

	whole := f.allReviews(map[string]any{"reviewFromDate": "2023-01-01", "reviewToDate": "2025-01-01"})
	if got, want := reviewIDs(whole), reviewIDs(all); !slices.Equal(got, want) {
		t.Fatalf("paging the whole range: %d reviews, want %d in review time order", len(got), len(want))
	}
	if len(whole) <= 2*pageSize {
		t.Fatalf("only %d reviews: paging is not exercised", len(whole))
	}
	// A cursor sent with another filter is refused.
	body := map[string]any{"filter": map[string]any{"reviewFromDate": "2023-01-01", "reviewToDate": "2025-01-01"}}
	p := decode[reviewsPage](t, f.post("/v2/stats/activity/scorecards", body))
	body["cursor"] = p.Records.Cursor
	body["filter"] = map[string]any{"reviewFromDate": "2023-01-02", "reviewToDate": "2025-01-01"}
	errorBody(t, f.post("/v2/stats/activity/scorecards", body), http.StatusBadRequest)

	// The other filters: reviewed users, scorecards, call dates; ids as strings or numbers.
	host := whole[0].ReviewedUserID.String()
	card := whole[0].ScorecardID.String()
	var wantUser, wantCard []string
	for _, r := range whole {
		if r.ReviewedUserID.String() == host {
			wantUser = append(wantUser, r.AnsweredScorecardID.String())
		}
		if r.ScorecardID.String() == card {
			wantCard = append(wantCard, r.AnsweredScorecardID.String())
		}
	}
	if got := reviewIDs(f.allReviews(map[string]any{"reviewedUserIds": []string{host}})); !slices.Equal(got, wantUser) {
		t.Errorf("reviews of user %s: %d, want %d", host, len(got), len(wantUser))
	}
	if got := reviewIDs(f.allReviews(map[string]any{"scorecardIds": []json.Number{json.Number(card)}})); !slices.Equal(got, wantCard) {
		t.Errorf("reviews with scorecard %s: %d, want %d", card, len(got), len(wantCard))
	}
	callDay := whole[0].CallStartTime.In(loc).Format(time.DateOnly)
	for _, r := range f.allReviews(map[string]any{"callFromDate": callDay, "callToDate": mustDate(t, callDay).AddDate(0, 0, 1).Format(time.DateOnly)}) {
		if d := r.CallStartTime.In(loc).Format(time.DateOnly); d != callDay {
			t.Errorf("call date filter %s returned a call of %s", callDay, d)
		}
	}
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Reviews appear on the virtual clock: a late one only hours after its review time,
// an edited one with other answers from the edit on (its review time unchanged), a
// deleted one never again, and a review of a deleted call not at all; the hooks make
// each happen when a test needs it.
func TestReviewsChangeOnTheVirtualClock(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 83, Calls: 800, Users: 60, LateShare: 0.3, ChangeShare: 0.3, DeleteShare: 0.2})
	d := f.Dataset()
	var late, edited, deleted *ReviewSpec
	for _, r := range d.Reviews() {
		switch {
		case r.Late && late == nil && r.EditedAt.IsZero() && r.DeletedAt.IsZero():
			late = &r
		case !r.EditedAt.IsZero() && edited == nil && r.DeletedAt.IsZero() && !r.Late:
			edited = &r
		case !r.DeletedAt.IsZero() && deleted == nil && !r.Late:
			deleted = &r
		}
	}
	if late == nil || edited == nil || deleted == nil {
		t.Fatal("the shares produced no late, edited or deleted review")
	}
	find := func(id string, at time.Time) (AnsweredScorecard, bool) {
		for _, r := range d.AnsweredScorecardsAt(at) {
			if r.AnsweredScorecardID.String() == id {
				return r, true
			}
		}
		return AnsweredScorecard{}, false
	}
	if _, ok := find(late.ID, late.ReviewTime.Add(time.Hour)); ok {
		t.Error("a late review is served an hour after its review time")
	}
	if _, ok := find(late.ID, late.ShownAt); !ok {
		t.Error("a late review is not served once shown")
	}
	before, ok1 := find(edited.ID, edited.EditedAt.Add(-time.Second))
	after, ok2 := find(edited.ID, edited.EditedAt)
	b1, _ := json.Marshal(before.Answers)
	b2, _ := json.Marshal(after.Answers)
	if !ok1 || !ok2 || bytes.Equal(b1, b2) || !before.ReviewTime.Equal(after.ReviewTime) {
		t.Errorf("edited review: served %v %v; answers changed %v; review time kept %v", ok1, ok2, !bytes.Equal(b1, b2), before.ReviewTime.Equal(after.ReviewTime))
	}
	if _, ok := find(deleted.ID, deleted.DeletedAt.Add(-time.Second)); !ok {
		t.Error("a review is not served before its deletion")
	}
	if _, ok := find(deleted.ID, deleted.DeletedAt); ok {
		t.Error("a deleted review is still served")
	}

	// Hooks.
	now := fixedNow
	call := d.VisibleCalls(now)[0].MetaData.ID
	added, err := d.AddReview(NewReview{CallID: call, ReviewTime: now.Add(-48 * time.Hour), ShownAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := find(added.ID, now); ok {
		t.Error("an added review is served before it is shown")
	}
	if _, ok := find(added.ID, now.Add(time.Hour)); !ok || !added.Late {
		t.Errorf("an added review shown two days late: served %v, late %v", ok, added.Late)
	}
	old, _ := find(added.ID, now.Add(time.Hour))
	if _, err := d.EditReview(added.ID, now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if e, _ := find(added.ID, now.Add(2*time.Hour)); slices.EqualFunc(e.Answers, old.Answers, func(a, b ScorecardAnswer) bool {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return bytes.Equal(x, y)
	}) {
		t.Error("EditReview changed no answer")
	}
	if _, err := d.DeleteCall(call, now.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, ok := find(added.ID, now.Add(3*time.Hour)); ok {
		t.Error("a review of a deleted call is served")
	}
	if _, err := d.DeleteReview("123", now); err == nil || !strings.Contains(err.Error(), "no review") {
		t.Errorf("deleting an unknown review: %v", err)
	}

	cards := d.ScorecardsAt(now)
	if err := d.RemoveScorecard(cards[1].ScorecardID, now.Add(time.Hour), now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := len(d.ScorecardsAt(now.Add(time.Hour))); n != len(cards)-1 {
		t.Errorf("%d scorecards listed after removing one of %d", n, len(cards))
	}
	if n := len(d.ScorecardsAt(now.Add(2 * time.Hour))); n != len(cards) {
		t.Errorf("%d scorecards listed after it came back, want %d", n, len(cards))
	}
}

// The encoder writes what the records hold, under their JSON tags' names.
func TestScorecardEncoderRoundTrip(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Seed: 84, Calls: 300, Users: 40})
	if err != nil {
		t.Fatal(err)
	}
	d := s.Dataset()
	e := enc{loc: s.opts.CompanyLocation}
	for _, c := range d.ScorecardsAt(fixedNow) {
		e.b = e.b[:0]
		e.scorecard(&c)
		sameAsEncodingJSON(t, "scorecard "+c.ScorecardID, c, e.b)
	}
	reviews := d.AnsweredScorecardsAt(fixedNow)
	if len(reviews) == 0 {
		t.Fatal("no reviews")
	}
	for _, r := range reviews {
		e.b = e.b[:0]
		e.answeredScorecard(&r)
		sameAsEncodingJSON(t, "answered scorecard "+r.AnsweredScorecardID.String(), r, e.b)
	}
}

// Without the scopes, Gong refuses each endpoint with a 401 naming its scope; the
// others answer.
func TestScorecardScopes(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Seed: 85, Calls: 50, WithheldScopes: []string{"api:stats:scorecards"}})
	a := f.post("/v2/stats/activity/scorecards", gongapi.AnsweredScorecardsRequest{Filter: gongapi.AnsweredScorecardsFilter{ReviewFromDate: "2024-01-01"}})
	if errs := errorBody(t, a, http.StatusUnauthorized); !strings.Contains(errs[0], "'api:stats:scorecards'") {
		t.Errorf("refusal says %q", errs[0])
	}
	if a := f.do(http.MethodGet, "/v2/settings/scorecards", nil, ""); a.status != http.StatusOK {
		t.Errorf("definitions: %d", a.status)
	}
}
