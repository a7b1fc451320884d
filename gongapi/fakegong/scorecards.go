package fakegong

import (
	"cmp"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"
)

// Scorecards: their definitions (GET /v2/settings/scorecards) and the reviews that
// answer them (POST /v2/stats/activity/scorecards), consistent with the calls and
// users: a review is of one of the fake's calls, about the call's host, by another of
// its users (the host's manager when there is one), with one of the scorecards of the
// call's workspace.
//
// The definitions are sent as recorded live traffic has them, not as Gong's document
// types them: ids, revision ids and ranges as strings ("scorecardId":"9067…",
// "minRange":"1", "updaterUserId":"-1"), answerOptions [] on questions without
// options, and reviewMethod and a question's created, updated and updaterUserId,
// which the document lacks. No live answer of the answered scorecards has been
// recorded, so those follow the document: ids and scores as JSON numbers (ids beyond
// 2^53, as Gong's are). The OpenAPI check allows exactly these differences
// (liveTraffic in deviations_test.go).
//
// Reviews come after the call, and some later still: a review is published hours to
// days after its call was processed; LateShare of them show in Gong's answers only
// hours after their review time (Gong's statistics lag), ChangeShare of them are
// edited after publication (the answers change, the review time stays: an edit is
// found only by reading the review's date again), and DeleteShare of them are deleted.
// A review of a call that is not visible (deleted) is not served either. The question
// types other than RANGE, the visibility mix and the empty-result text are the fake's
// guesses: Gong documents none of them.

// noReviewsFound is the fake's empty answer for answered scorecards: Gong's
// "… found corresponding to the provided filters" form.
const noReviewsFound = "No answered scorecards found corresponding to the provided filters"

// Stream keys of the scorecard parts, after the call parts (rng.go): new keys at the
// end shift no existing stream.
const (
	streamScorecards uint64 = streamDataset + 1 + iota
	streamReviews
	streamAnswers
)

// ---- records ----

// Scorecard is one scorecard's definition, as live tenants send it: ids and ranges as
// strings, reviewMethod (not in Gong's document).
type Scorecard struct {
	ScorecardID   string     `json:"scorecardId"`
	ScorecardName string     `json:"scorecardName"`
	WorkspaceID   string     `json:"workspaceId"`
	Enabled       bool       `json:"enabled"`
	UpdaterUserID string     `json:"updaterUserId"` // "-1" when Gong itself made the change
	Created       time.Time  `json:"created"`
	Updated       time.Time  `json:"updated"`
	ReviewMethod  string     `json:"reviewMethod"`
	Questions     []Question `json:"questions"`
}

// Question is one question of a scorecard (the Question schema), with the ranges as
// the strings live tenants send (nil: null, for questions without a range) and
// created, updated and updaterUserId, which the document lacks.
type Question struct {
	QuestionID         string           `json:"questionId"`
	QuestionRevisionID string           `json:"questionRevisionId"`
	QuestionText       string           `json:"questionText"`
	IsOverall          bool             `json:"isOverall"`
	QuestionType       string           `json:"questionType"` // RANGE, SINGLE_SELECT, MULTI_SELECT, OPEN_TEXT
	AnswerGuide        string           `json:"answerGuide"`
	MinRange           *string          `json:"minRange"`
	MaxRange           *string          `json:"maxRange"`
	AnswerOptions      []QuestionOption `json:"answerOptions"` // [] when the question has none
	Created            time.Time        `json:"created"`
	Updated            time.Time        `json:"updated"`
	UpdaterUserID      string           `json:"updaterUserId"`
}

// QuestionOption is one option of a select question.
type QuestionOption struct {
	ID   int64  `json:"id"`
	Text string `json:"text"`
}

// AnsweredScorecard is one review (the AnsweredScorecard schema), its ids sent as
// JSON numbers as the document types them.
type AnsweredScorecard struct {
	AnsweredScorecardID json.Number       `json:"answeredScorecardId"`
	ScorecardID         json.Number       `json:"scorecardId"`
	ScorecardName       string            `json:"scorecardName"`
	CallID              json.Number       `json:"callId"`
	CallStartTime       time.Time         `json:"callStartTime"`
	ReviewedUserID      json.Number       `json:"reviewedUserId"`
	ReviewerUserID      json.Number       `json:"reviewerUserId"`
	ReviewTime          time.Time         `json:"reviewTime"`
	VisibilityType      string            `json:"visibilityType"` // PUBLIC, PRIVATE, OPT_IN_USERS
	Answers             []ScorecardAnswer `json:"answers"`
}

// ScorecardAnswer is the answer to one question (the Answer schema; the name Answer is
// the fake's tampered answers'). Score, AnswerText and
// SelectedOptions are nil (null) when the question was not answered that way.
type ScorecardAnswer struct {
	QuestionID         json.Number  `json:"questionId"`
	QuestionRevisionID json.Number  `json:"questionRevisionId"`
	IsOverall          bool         `json:"isOverall"`
	Score              *json.Number `json:"score"` // whole, or a half-point (Options.DecimalScores)
	AnswerText         *string      `json:"answerText"`
	NotApplicable      bool         `json:"notApplicable"`
	SelectedOptions    []string     `json:"selectedOptions"`
}

// ---- the dataset's part ----

// scorecardDef is one scorecard of the dataset with its life in the lists.
type scorecardDef struct {
	def     Scorecard
	id      uint64
	ws      int32
	removed int64 // gone from the list from this virtual time; 0 = never
	back    int64 // listed again from this virtual time; 0 = never
}

func (c *scorecardDef) listed(t int64) bool {
	return c.removed == 0 || t < c.removed || (c.back != 0 && t >= c.back)
}

// reviewMeta is what the dataset keeps per review; its answers are generated on
// demand from the seed, its sequence number and how many edits it has had.
type reviewMeta struct {
	id        uint64
	seq       int32
	call      int32 // index into Dataset.calls
	card      int32 // index into Dataset.cards
	reviewer  int32 // index into Dataset.users
	published int64 // the review time
	shown     int64 // in Gong's answers from (hours after published for a late one)
	edits     []int64
	deleted   int64 // gone from; 0 = never
	late      bool
	vis       string
}

// ReviewSpec describes a review's life in the dataset, for tests to compare with.
type ReviewSpec struct {
	ID          string    `json:"id"`
	CallID      string    `json:"call_id"`
	ScorecardID string    `json:"scorecard_id"`
	ReviewTime  time.Time `json:"review_time"`
	ShownAt     time.Time `json:"shown_at"`  // in Gong's answers from
	EditedAt    time.Time `json:"edited_at"` // last edit; zero = never
	DeletedAt   time.Time `json:"deleted_at"`
	Late        bool      `json:"late"` // shown hours after its review time
}

// scorecardTemplates are the scorecards each workspace gets: a name, whether it is
// enabled, and its questions (the first is the overall one).
var scorecardTemplates = []struct {
	name      string
	enabled   bool
	questions []questionTemplate
}{
	{"Discovery Call Scorecard", true, []questionTemplate{
		{"How do you rate the rep's overall performance on the call?", "RANGE", 1, 5, nil},
		{"Did the rep uncover the customer's pain?", "RANGE", 1, 5, nil},
		{"How well did the rep set the agenda?", "RANGE", 1, 5, nil},
		{"Which qualification criteria were covered?", "MULTI_SELECT", 0, 0, []string{"Budget", "Authority", "Need", "Timeline"}},
		{"What should the rep do differently next time?", "OPEN_TEXT", 0, 0, nil},
	}},
	{"Demo Scorecard", true, []questionTemplate{
		{"Overall, how good was the demo?", "RANGE", 1, 10, nil},
		{"Was the demo tailored to the customer's use case?", "SINGLE_SELECT", 0, 0, []string{"Yes", "Partly", "No"}},
		{"How well did the rep handle objections?", "RANGE", 1, 10, nil},
		{"Were next steps agreed?", "SINGLE_SELECT", 0, 0, []string{"Yes, with a date", "Yes, without a date", "No"}},
	}},
	{"Cold Call Scorecard (retired)", false, []questionTemplate{
		{"Overall call quality", "RANGE", 1, 5, nil},
		{"Did the rep get past the gatekeeper?", "SINGLE_SELECT", 0, 0, []string{"Yes", "No"}},
	}},
}

type questionTemplate struct {
	text       string
	typ        string
	min, max   int64
	optionText []string
}

var answerGuides = []string{
	"Score the call as a whole, not its best moment.",
	"Look for open questions about the customer's process.",
	"",
	"Listen to the first five minutes.",
}

var reviewComments = []string{
	"Great rapport, but let the customer talk more.",
	"Strong discovery; the agenda came late.",
	"Handled the pricing objection well.",
	"Next time, confirm the decision process before the demo.",
	"Good energy. Summarise the next steps at the end.",
}

// genScorecards makes the scorecards of every workspace and the reviews of the calls,
// each from a stream of its own so that nothing generated before shifts.
func (d *Dataset) genScorecards(o Options) {
	r := newRNG(d.seed, 0, streamScorecards)
	for w := range d.workspaces {
		for k, tpl := range scorecardTemplates {
			id := d.newID(&r)
			created := o.From.Add(-time.Duration(r.uniform(60, 700) * float64(24*time.Hour))).Truncate(time.Second)
			updated := created.Add(time.Duration(r.between(0, 40)) * 24 * time.Hour)
			updater := "-1" // the first scorecard of a workspace is Gong's template
			if k > 0 {
				updater = d.users[r.intn(max(1, len(d.users)/10))].u.ID
			}
			sc := Scorecard{
				ScorecardID: strconv.FormatUint(id, 10), ScorecardName: tpl.name, WorkspaceID: d.workspaces[w].ID,
				Enabled: tpl.enabled, UpdaterUserID: updater, Created: created.In(d.loc), Updated: updated.In(d.loc),
				ReviewMethod: "MANUAL", Questions: []Question{},
			}
			for j, qt := range tpl.questions {
				q := Question{
					QuestionID:         strconv.FormatUint(d.newID(&r), 10),
					QuestionRevisionID: strconv.FormatUint(d.newID(&r), 10),
					QuestionText:       qt.text, IsOverall: j == 0, QuestionType: qt.typ,
					AnswerGuide:   pick(&r, answerGuides),
					AnswerOptions: []QuestionOption{},
					Created:       sc.Created, Updated: sc.Updated, UpdaterUserID: updater,
				}
				if qt.typ == "RANGE" {
					q.MinRange, q.MaxRange = strp(strconv.FormatInt(qt.min, 10)), strp(strconv.FormatInt(qt.max, 10))
				}
				for i, text := range qt.optionText {
					q.AnswerOptions = append(q.AnswerOptions, QuestionOption{ID: int64(i + 1), Text: text})
				}
				sc.Questions = append(sc.Questions, q)
			}
			d.cards = append(d.cards, scorecardDef{def: sc, id: id, ws: int32(w)})
		}
	}
	d.cardByID = make(map[uint64]int32, len(d.cards))
	for i := range d.cards {
		d.cardByID[d.cards[i].id] = int32(i)
	}
	d.reviewByID = map[uint64]int32{}
	for i := range d.calls {
		d.drawReviews(int32(i), o.LateShare, o.ChangeShare, o.DeleteShare)
	}
	slices.SortFunc(d.reviews, cmpReview)
	d.reindexReviews()
}

func cmpReview(a, b reviewMeta) int {
	return cmp.Or(cmp.Compare(a.published, b.published), cmp.Compare(a.id, b.id))
}

func (d *Dataset) reindexReviews() {
	clear(d.reviewByID)
	for i := range d.reviews {
		d.reviewByID[d.reviews[i].id] = int32(i)
	}
}

// drawReviews gives a generated call its reviews: about one call in five with a real
// conversation is reviewed, some of them twice.
func (d *Dataset) drawReviews(ci int32, late, change, del float64) {
	m := &d.calls[ci]
	r := newRNG(d.seed, m.seq, streamReviews)
	if m.kind == kindImported || m.duration < 300 || !r.chance(0.2) {
		return
	}
	n := 1
	if r.chance(0.15) {
		n = 2
	}
	cards := d.enabledCards(m.ws)
	if len(cards) == 0 {
		return
	}
	end := m.started + int64(m.duration)*int64(time.Second)
	for k := range n {
		rv := reviewMeta{id: d.newID(&r), seq: int32(len(d.reviews)), call: ci, card: cards[(k+r.intn(len(cards)))%len(cards)]}
		rv.reviewer = d.scorecardReviewer(&r, m.host, k)
		published := max(end+int64(r.uniform(2, 96)*float64(time.Hour)), m.processed+int64(time.Hour))
		rv.published = truncateTo(published, []int64{1e9, 1e6}[r.intn(2)])
		rv.shown = rv.published + int64(r.uniform(1, 20)*float64(time.Minute))
		if r.chance(late) {
			rv.late = true
			rv.shown = rv.published + int64(r.uniform(3, 36)*float64(time.Hour))
		}
		if r.chance(change) {
			rv.edits = []int64{rv.published + int64(r.uniform(2, 36)*float64(time.Hour))}
		}
		if r.chance(del) {
			rv.deleted = rv.published + int64(r.uniform(3, 36)*float64(time.Hour))
		}
		rv.vis = []string{"PUBLIC", "PUBLIC", "PUBLIC", "PRIVATE", "OPT_IN_USERS"}[r.intn(5)]
		d.reviewByID[rv.id] = int32(len(d.reviews))
		d.reviews = append(d.reviews, rv)
	}
}

// enabledCards lists the enabled scorecards of a workspace.
func (d *Dataset) enabledCards(ws int32) []int32 {
	var out []int32
	for i := range d.cards {
		if d.cards[i].ws == ws && d.cards[i].def.Enabled {
			out = append(out, int32(i))
		}
	}
	return out
}

// scorecardReviewer picks who reviews a call of host: the host's manager first, another
// manager for a second review; never the host, never an avatar.
func (d *Dataset) scorecardReviewer(r *rng, host int32, k int) int32 {
	if mgr := d.users[host].u.ManagerID; mgr != nil && k == 0 {
		if n, err := strconv.ParseUint(*mgr, 10, 64); err == nil {
			if i, ok := d.userByID[n]; ok && i != host {
				return i
			}
		}
	}
	people := len(d.users) - 2 // the last two are avatars
	managers := max(1, people/10)
	for range 8 {
		if i := int32(r.intn(managers)); i != host {
			return i
		}
	}
	return int32((int(host) + 1) % people)
}

// reviewVisible reports whether the review is in Gong's answers at virtual time t: shown,
// not deleted, and of a call Gong shows.
func (d *Dataset) reviewVisible(rv *reviewMeta, t int64) bool {
	if t < rv.shown || (rv.deleted != 0 && t >= rv.deleted) {
		return false
	}
	return d.calls[rv.call].visible(t)
}

// buildReview generates the review as Gong answers it at virtual time t: its answers
// depend on how many of its edits have happened by then.
func (d *Dataset) buildReview(rv *reviewMeta, t int64) AnsweredScorecard {
	m := &d.calls[rv.call]
	card := &d.cards[rv.card].def
	version := 0
	for _, at := range rv.edits {
		if at <= t {
			version++
		}
	}
	a := AnsweredScorecard{
		AnsweredScorecardID: json.Number(strconv.FormatUint(rv.id, 10)),
		ScorecardID:         json.Number(card.ScorecardID),
		ScorecardName:       card.ScorecardName,
		CallID:              json.Number(strconv.FormatUint(m.id, 10)),
		CallStartTime:       d.at(m.started),
		ReviewedUserID:      json.Number(d.users[m.host].u.ID),
		ReviewerUserID:      json.Number(d.users[rv.reviewer].u.ID),
		ReviewTime:          d.at(rv.published),
		VisibilityType:      rv.vis,
		Answers:             make([]ScorecardAnswer, 0, len(card.Questions)),
	}
	r := newRNG(d.seed^uint64(version)*0x9e3779b97f4a7c15, rv.seq, streamAnswers)
	for _, q := range card.Questions {
		ans := ScorecardAnswer{QuestionID: json.Number(q.QuestionID), QuestionRevisionID: json.Number(q.QuestionRevisionID), IsOverall: q.IsOverall}
		switch {
		case !q.IsOverall && r.chance(0.08):
			ans.NotApplicable = true
		case q.QuestionType == "RANGE":
			lo, _ := strconv.ParseInt(*q.MinRange, 10, 64)
			hi, _ := strconv.ParseInt(*q.MaxRange, 10, 64)
			score := lo + int64(r.intn(int(hi-lo+1)))
			text := json.Number(strconv.FormatInt(score, 10))
			if d.halfScores && score < hi {
				text += ".5"
			}
			ans.Score = &text
			if r.chance(0.3) {
				ans.AnswerText = strp(pick(&r, reviewComments))
			}
		case q.QuestionType == "OPEN_TEXT":
			ans.AnswerText = strp(pick(&r, reviewComments))
		default:
			n := 1
			if q.QuestionType == "MULTI_SELECT" {
				n = 1 + r.intn(len(q.AnswerOptions))
			}
			start := r.intn(len(q.AnswerOptions))
			for i := range n {
				ans.SelectedOptions = append(ans.SelectedOptions, strconv.FormatInt(q.AnswerOptions[(start+i)%len(q.AnswerOptions)].ID, 10))
			}
		}
		a.Answers = append(a.Answers, ans)
	}
	return a
}

func (d *Dataset) reviewSpec(rv *reviewMeta) ReviewSpec {
	s := ReviewSpec{
		ID: strconv.FormatUint(rv.id, 10), CallID: strconv.FormatUint(d.calls[rv.call].id, 10),
		ScorecardID: d.cards[rv.card].def.ScorecardID, ReviewTime: d.at(rv.published), ShownAt: d.at(rv.shown),
		DeletedAt: d.atOrZero(rv.deleted), Late: rv.late,
	}
	if len(rv.edits) > 0 {
		s.EditedAt = d.at(slices.Max(rv.edits))
	}
	return s
}

// ---- reading the dataset (for tests) ----

// ScorecardsAt returns the scorecards GET /v2/settings/scorecards lists at virtual
// time t, in the order it lists them.
func (d *Dataset) ScorecardsAt(t time.Time) []Scorecard {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []Scorecard
	for i := range d.cards {
		if d.cards[i].listed(t.UnixNano()) {
			out = append(out, d.cards[i].def)
		}
	}
	return out
}

// AnsweredScorecardsAt returns every review Gong serves at virtual time t, in review
// time order, as it serves them.
func (d *Dataset) AnsweredScorecardsAt(t time.Time) []AnsweredScorecard {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []AnsweredScorecard
	for i := range d.reviews {
		if d.reviewVisible(&d.reviews[i], t.UnixNano()) {
			out = append(out, d.buildReview(&d.reviews[i], t.UnixNano()))
		}
	}
	return out
}

// Reviews lists every review the dataset will ever hold, visible or not, in review
// time order.
func (d *Dataset) Reviews() []ReviewSpec {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]ReviewSpec, len(d.reviews))
	for i := range d.reviews {
		out[i] = d.reviewSpec(&d.reviews[i])
	}
	return out
}

// ---- test hooks ----

// NewReview describes a review a test adds to one of the dataset's calls.
type NewReview struct {
	CallID     string    // required
	ReviewTime time.Time // required: when it was published
	// ShownAt is when Gong's answers first show it; default a minute after ReviewTime.
	ShownAt time.Time
}

// AddReview adds a review of a call, by the host's manager with one of the call's
// workspace's enabled scorecards, and returns its description.
func (d *Dataset) AddReview(nr NewReview) (ReviewSpec, error) {
	if nr.ReviewTime.IsZero() {
		return ReviewSpec{}, fmt.Errorf("add review: ReviewTime is required")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.lookup(nr.CallID)
	if m == nil {
		return ReviewSpec{}, fmt.Errorf("add review: no call %q", nr.CallID)
	}
	cards := d.enabledCards(m.ws)
	if len(cards) == 0 {
		return ReviewSpec{}, fmt.Errorf("add review: the call's workspace has no enabled scorecard")
	}
	rv := reviewMeta{id: d.newID(&d.genRNG), seq: int32(len(d.reviews)), call: d.byID[m.id], vis: "PUBLIC"}
	rv.card = cards[int(rv.id%uint64(len(cards)))]
	rv.reviewer = d.scorecardReviewer(&d.genRNG, m.host, 0)
	rv.published = nr.ReviewTime.UnixNano()
	rv.shown = rv.published + int64(time.Minute)
	if !nr.ShownAt.IsZero() {
		rv.shown = nr.ShownAt.UnixNano()
	}
	rv.late = rv.shown-rv.published > int64(3*time.Hour)
	// Keep the order and the sequence numbers (which seed the answers) of the others.
	d.reviews = append(d.reviews, rv)
	slices.SortStableFunc(d.reviews, cmpReview)
	d.reindexReviews()
	return d.reviewSpec(&d.reviews[d.reviewByID[rv.id]]), nil
}

// editReview applies f to a review under the write lock.
func (d *Dataset) editReview(op, id string, f func(rv *reviewMeta)) (ReviewSpec, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, err := strconv.ParseUint(id, 10, 64)
	i, ok := d.reviewByID[n]
	if err != nil || !ok {
		return ReviewSpec{}, fmt.Errorf("%s: no review %q", op, id)
	}
	rv := &d.reviews[i]
	f(rv)
	return d.reviewSpec(rv), nil
}

// EditReview edits a review's answers at virtual time at; its review time stays, as
// the fake reads Gong (an edit is found by reading the review's date again).
func (d *Dataset) EditReview(id string, at time.Time) (ReviewSpec, error) {
	return d.editReview("edit review", id, func(rv *reviewMeta) {
		edits := append(slices.Clone(rv.edits), at.UnixNano())
		slices.Sort(edits)
		rv.edits = edits
	})
}

// DeleteReview makes a review disappear from every answer from virtual time at on.
func (d *Dataset) DeleteReview(id string, at time.Time) (ReviewSpec, error) {
	return d.editReview("delete review", id, func(rv *reviewMeta) { rv.deleted = at.UnixNano() })
}

// RemoveScorecard takes a scorecard out of the definitions Gong lists from virtual
// time at on, and puts it back from back on unless back is zero. Its reviews stay.
func (d *Dataset) RemoveScorecard(id string, at, back time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, err := strconv.ParseUint(id, 10, 64)
	i, ok := d.cardByID[n]
	if err != nil || !ok {
		return fmt.Errorf("remove scorecard: no scorecard %q", id)
	}
	cards := slices.Clone(d.cards) // readers may hold the old slice
	cards[i].removed, cards[i].back = at.UnixNano(), 0
	if !back.IsZero() {
		cards[i].back = back.UnixNano()
	}
	d.cards = cards
	return nil
}

// ---- serving ----

func (s *Server) handleScorecards(x *exchange) {
	now := s.clock.Now()
	cards := s.data.ScorecardsAt(now)
	e := s.enc(x)
	e.requestID(x.id)
	e.b = append(e.b, `,"scorecards":[`...)
	for i := range cards {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.scorecard(&cards[i])
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

// answeredScorecardsBody is the request of POST /v2/stats/activity/scorecards, decoded
// strictly.
type answeredScorecardsBody struct {
	Cursor *string `json:"cursor"`
	Filter *struct {
		CallFromDate    *string  `json:"callFromDate"`
		CallToDate      *string  `json:"callToDate"`
		ReviewFromDate  *string  `json:"reviewFromDate"`
		ReviewToDate    *string  `json:"reviewToDate"`
		ReviewedUserIDs []bodyID `json:"reviewedUserIds"`
		ScorecardIDs    []bodyID `json:"scorecardIds"`
	} `json:"filter"`
}

// dateRange is a range of calendar dates in the company's time zone, as instants.
type dateRange struct {
	from, to int64
	hasFrom  bool
	hasTo    bool
	empty    bool // from and to are the same day: nothing, as the end is exclusive
}

// parseDates reads a pair of YYYY-MM-DD filters: calendar dates in the company's time
// zone, from inclusive, to exclusive.
func (d *Dataset) parseDates(name string, from, to *string) (dateRange, error) {
	var r dateRange
	day := func(field, v string) (int64, error) {
		t, err := time.ParseInLocation(time.DateOnly, v, d.loc)
		if err != nil {
			return 0, badRequest(fmt.Sprintf("Invalid %s %q: expected a date such as 2019-01-20", field, v))
		}
		return t.UnixNano(), nil
	}
	var err error
	if from != nil && *from != "" {
		if r.from, err = day(name+"FromDate", *from); err != nil {
			return r, err
		}
		r.hasFrom = true
	}
	if to != nil && *to != "" {
		if r.to, err = day(name+"ToDate", *to); err != nil {
			return r, err
		}
		r.hasTo = true
	}
	if r.hasFrom && r.hasTo {
		switch {
		case r.from > r.to:
			return r, badRequest(fmt.Sprintf("%sFromDate must not be after %sToDate", name, name))
		case r.from == r.to:
			r.empty = true
		}
	}
	return r, nil
}

func (r *dateRange) holds(t int64) bool {
	return !r.empty && (!r.hasFrom || t >= r.from) && (!r.hasTo || t < r.to)
}

// reviewQuery is a parsed request for answered scorecards.
type reviewQuery struct {
	review, call dateRange
	users, cards []uint64 // nil: any
}

func (q *reviewQuery) hash() uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "r|%+v|%+v|%v|%v|%v|%v", q.review, q.call, q.users != nil, q.users, q.cards != nil, q.cards)
	return h.Sum64()
}

func ids(list []bodyID) []uint64 {
	if list == nil {
		return nil
	}
	out := []uint64{}
	for _, id := range list {
		if n, err := strconv.ParseUint(string(id), 10, 64); err == nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (s *Server) handleAnsweredScorecards(x *exchange) {
	var body answeredScorecardsBody
	if err := x.decodeBody(&body); err != nil {
		x.answerError(err)
		return
	}
	if body.Filter == nil {
		x.answerError(badRequest("filter is required"))
		return
	}
	f := body.Filter
	var q reviewQuery
	var err error
	if q.review, err = s.data.parseDates("review", f.ReviewFromDate, f.ReviewToDate); err != nil {
		x.answerError(err)
		return
	}
	if q.call, err = s.data.parseDates("call", f.CallFromDate, f.CallToDate); err != nil {
		x.answerError(err)
		return
	}
	q.users, q.cards = ids(f.ReviewedUserIDs), ids(f.ScorecardIDs)
	now := s.clock.Now().UnixNano()
	qh := q.hash()
	raw := ""
	if body.Cursor != nil {
		raw = *body.Cursor
	}
	after, err := s.resolveCursor(raw, qh, now)
	if err != nil {
		x.answerError(err)
		return
	}
	page, more, total := s.data.pageReviews(&q, now, after)
	if len(page) == 0 {
		x.fail(http.StatusNotFound, noReviewsFound)
		return
	}
	last := &page[len(page)-1]
	rec := s.records(qh, now, after, len(page), total, more, last.published, last.id)
	e := s.enc(x)
	e.requestID(x.id)
	e.records(rec)
	e.b = append(e.b, `,"answeredScorecards":[`...)
	s.data.mu.RLock()
	for i := range page {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		a := s.data.buildReview(&page[i], now)
		e.answeredScorecard(&a)
	}
	s.data.mu.RUnlock()
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

// pageReviews finds the page of reviews after the cursor position (or the first), in
// review time order, ties broken by id; the total is counted on the first page only.
func (d *Dataset) pageReviews(q *reviewQuery, now int64, after *cursor) ([]reviewMeta, bool, int) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	match := func(rv *reviewMeta) bool {
		m := &d.calls[rv.call]
		switch {
		case !d.reviewVisible(rv, now), !q.review.holds(rv.published), !q.call.holds(m.started):
			return false
		case q.users != nil:
			if _, ok := slices.BinarySearch(q.users, d.users[m.host].id); !ok {
				return false
			}
		}
		if q.cards != nil {
			_, ok := slices.BinarySearch(q.cards, d.cards[rv.card].id)
			return ok
		}
		return true
	}
	lo, hi := 0, len(d.reviews)
	if q.review.hasFrom {
		lo = sort.Search(len(d.reviews), func(i int) bool { return d.reviews[i].published >= q.review.from })
	}
	if q.review.hasTo {
		hi = sort.Search(len(d.reviews), func(i int) bool { return d.reviews[i].published >= q.review.to })
	}
	start := lo
	if after != nil {
		start = max(lo, sort.Search(len(d.reviews), func(i int) bool {
			rv := &d.reviews[i]
			return rv.published > after.lastKey || rv.published == after.lastKey && rv.id > after.lastID
		}))
	}
	var out []reviewMeta
	more := false
	for i := start; i < hi; i++ {
		if !match(&d.reviews[i]) {
			continue
		}
		if len(out) == pageSize {
			more = true
			break
		}
		out = append(out, d.reviews[i])
	}
	total := 0
	if after == nil {
		for i := lo; i < hi; i++ {
			if match(&d.reviews[i]) {
				total++
			}
		}
	}
	return out, more, total
}

// ---- encoding ----

func (e *enc) scorecard(c *Scorecard) {
	e.b = append(e.b, `{"scorecardId":`...)
	e.id(c.ScorecardID)
	e.b = append(e.b, `,"scorecardName":`...)
	e.str(c.ScorecardName)
	e.b = append(e.b, `,"workspaceId":`...)
	e.id(c.WorkspaceID)
	e.b = append(e.b, `,"enabled":`...)
	e.bool(c.Enabled)
	e.b = append(e.b, `,"updaterUserId":`...)
	e.id(c.UpdaterUserID)
	e.b = append(e.b, `,"created":`...)
	e.time(c.Created)
	e.b = append(e.b, `,"updated":`...)
	e.time(c.Updated)
	e.b = append(e.b, `,"reviewMethod":`...)
	e.str(c.ReviewMethod)
	e.b = append(e.b, `,"questions":[`...)
	for i := range c.Questions {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		q := &c.Questions[i]
		e.b = append(e.b, `{"questionId":`...)
		e.id(q.QuestionID)
		e.b = append(e.b, `,"questionRevisionId":`...)
		e.id(q.QuestionRevisionID)
		e.b = append(e.b, `,"questionText":`...)
		e.str(q.QuestionText)
		e.b = append(e.b, `,"isOverall":`...)
		e.bool(q.IsOverall)
		e.b = append(e.b, `,"questionType":`...)
		e.str(q.QuestionType)
		e.b = append(e.b, `,"answerGuide":`...)
		e.str(q.AnswerGuide)
		e.b = append(e.b, `,"minRange":`...)
		e.strp(q.MinRange)
		e.b = append(e.b, `,"maxRange":`...)
		e.strp(q.MaxRange)
		e.b = append(e.b, `,"answerOptions":[`...)
		for j, o := range q.AnswerOptions {
			if j > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"id":`...)
			e.int(o.ID)
			e.b = append(e.b, `,"text":`...)
			e.str(o.Text)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, `],"created":`...)
		e.time(q.Created)
		e.b = append(e.b, `,"updated":`...)
		e.time(q.Updated)
		e.b = append(e.b, `,"updaterUserId":`...)
		e.id(q.UpdaterUserID)
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, ']')
	if e.unknown {
		e.b = append(e.b, `,"scorecardType":"CALL"`...)
	}
	e.b = append(e.b, '}')
}

// number writes digits as a JSON number.
func (e *enc) number(n json.Number) { e.b = append(e.b, n...) }

func (e *enc) answeredScorecard(a *AnsweredScorecard) {
	e.b = append(e.b, `{"answeredScorecardId":`...)
	e.number(a.AnsweredScorecardID)
	e.b = append(e.b, `,"scorecardId":`...)
	e.number(a.ScorecardID)
	e.b = append(e.b, `,"scorecardName":`...)
	e.str(a.ScorecardName)
	e.b = append(e.b, `,"callId":`...)
	e.number(a.CallID)
	e.b = append(e.b, `,"callStartTime":`...)
	e.time(a.CallStartTime)
	e.b = append(e.b, `,"reviewedUserId":`...)
	e.number(a.ReviewedUserID)
	e.b = append(e.b, `,"reviewerUserId":`...)
	e.number(a.ReviewerUserID)
	e.b = append(e.b, `,"reviewTime":`...)
	e.time(a.ReviewTime)
	e.b = append(e.b, `,"visibilityType":`...)
	e.str(a.VisibilityType)
	e.b = append(e.b, `,"answers":[`...)
	for i := range a.Answers {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		x := &a.Answers[i]
		e.b = append(e.b, `{"questionId":`...)
		e.number(x.QuestionID)
		e.b = append(e.b, `,"questionRevisionId":`...)
		e.number(x.QuestionRevisionID)
		e.b = append(e.b, `,"isOverall":`...)
		e.bool(x.IsOverall)
		e.b = append(e.b, `,"score":`...)
		if x.Score == nil {
			e.null()
		} else {
			e.number(*x.Score)
		}
		e.b = append(e.b, `,"answerText":`...)
		e.strp(x.AnswerText)
		e.b = append(e.b, `,"notApplicable":`...)
		e.bool(x.NotApplicable)
		e.b = append(e.b, `,"selectedOptions":`...)
		e.strings(x.SelectedOptions, true)
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, ']')
	if e.unknown {
		e.b = append(e.b, `,"reviewMethod":"MANUAL"`...)
	}
	e.b = append(e.b, '}')
}
