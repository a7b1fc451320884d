package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The tools' limits: an answer an assistant can read whole, and a page a person scrolls.
const (
	defaultHits      = 20
	maxHits          = 100
	defaultPage      = 20
	maxPage          = 100
	defaultTurnChars = 20_000
	maxTurnChars     = 200_000
)

// errNoCall is what get_call and get_transcript say of a call that is not there and
// of one that is hidden: the same words, so that an answer does not tell which.
func errNoCall(id string) error {
	return fmt.Errorf("no call %q in the synced copy (or it is private)", id)
}

func (s *Server) addTools() {
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "search_calls", Title: "Search what was said in calls",
		Description: "Full-text search (English stemming; quotes for a phrase, OR, -word) over every transcript sentence, with the call filters. " +
			"Each hit is a sentence with its call (id, title, start, url in Gong), its speaker and its time in the call, newest calls first.",
		Annotations: readOnly}, s.searchCalls)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "list_calls", Title: "List calls",
		Description: "Calls matching the filters, newest first, a page at a time: id, title, start, duration, rep, accounts and url in Gong.",
		Annotations: readOnly}, s.listCalls)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "get_call", Title: "Get a call",
		Description: "One call: its metadata, participants, CRM objects (accounts, opportunities and their fields), trackers, topics, outcome, key points and scorecards.",
		Annotations: readOnly}, s.getCall)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "get_transcript", Title: "Read a call's transcript",
		Description: "A call's transcript as speaker turns (one per monologue: speaker's name, title and side, start time, text), whole or between two times, " +
			"up to max_chars of text; when cut short, next_from_seconds says where to go on.",
		Annotations: readOnly}, s.getTranscript)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "query", Title: "Run one read-only SQL statement",
		Description: "One SELECT (or WITH, VALUES, TABLE, EXPLAIN) on the synced schema (the schema resource describes it; use the live_ views), " +
			"in a read-only transaction with a statement timeout, at most max_rows rows. Name tables without a schema. " +
			"Writes, SET, a second statement and functions with effects outside the answer are refused.",
		Annotations: readOnly}, s.query)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "sync_status", Title: "How fresh the copy is",
		Description: "When each stream of the sync last ran and how it ended, its checkpoint, and the newest call in the copy.",
		Annotations: readOnly}, s.syncStatus)
}

// readOnly tells clients that no tool changes anything, here or in Gong.
var readOnly = &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: new(false)}

// CallFilter selects calls; every field narrows, and an empty filter selects all.
type CallFilter struct {
	From          string `json:"from,omitempty" jsonschema:"only calls that started at or after this time: RFC 3339 (2024-03-01T09:00:00Z) or a date (2024-03-01, midnight UTC)"`
	To            string `json:"to,omitempty" jsonschema:"only calls that started before this time: RFC 3339, or a date (calls of that day included)"`
	Participant   string `json:"participant,omitempty" jsonschema:"a participant's name or email address, or part of one"`
	Company       string `json:"company,omitempty" jsonschema:"the company of a participant: its CRM account name or its email domain, or part of one"`
	AccountID     string `json:"account_id,omitempty" jsonschema:"the id of a CRM account linked to the call"`
	OpportunityID string `json:"opportunity_id,omitempty" jsonschema:"the id of a CRM opportunity linked to the call"`
	Rep           string `json:"rep,omitempty" jsonschema:"the host of the call (the rep): a Gong user id, or a name or part of one"`
	Tracker       string `json:"tracker,omitempty" jsonschema:"a tracker that came up in the call, by name (e.g. Competitors, Pricing)"`
}

// CallRef is what an answer cites a call by.
type CallRef struct {
	CallID  string `json:"call_id"`
	Title   string `json:"title"`
	Started string `json:"started,omitempty" jsonschema:"when the call started (RFC 3339)"`
	URL     string `json:"url,omitempty" jsonschema:"the call's page in Gong"`
}

// sqlWhere gathers the conditions and arguments of a statement.
type sqlWhere struct {
	conds []string
	args  []any
}

// arg adds an argument and returns its placeholder.
func (w *sqlWhere) arg(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

func (w *sqlWhere) add(cond string) { w.conds = append(w.conds, cond) }

func (w *sqlWhere) String() string { return strings.Join(w.conds, "\n  AND ") }

// visible adds the conditions every answer's calls meet: live, and, unless private
// calls are included, neither private nor touched by an erasure.
func (s *Server) visible(w *sqlWhere, c string) {
	w.add(c + ".deleted_at IS NULL")
	if !s.includePrivate {
		w.add(c + ".is_private IS NOT TRUE")
		w.add("NOT EXISTS (SELECT 1 FROM erasures e WHERE " + c + ".id = ANY (e.erased_call_ids))")
	}
}

// contains is a case-insensitive ILIKE pattern for a text that holds s.
func contains(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.TrimSpace(s)) + "%"
}

// parseWhen reads a filter's time: RFC 3339, or a date meaning its midnight UTC (the
// next midnight when it ends a range, so that the day is included).
func parseWhen(field, v string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %q is neither RFC 3339 (2024-03-01T09:00:00Z) nor a date (2024-03-01)", field, v)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

// apply adds the filter's conditions on the calls aliased c.
func (f *CallFilter) apply(w *sqlWhere, c string) error {
	if f.From != "" {
		t, err := parseWhen("from", f.From, false)
		if err != nil {
			return err
		}
		w.add(c + ".started >= " + w.arg(t))
	}
	if f.To != "" {
		t, err := parseWhen("to", f.To, true)
		if err != nil {
			return err
		}
		w.add(c + ".started < " + w.arg(t))
	}
	if v := strings.TrimSpace(f.Participant); v != "" {
		p := w.arg(contains(v))
		w.add("EXISTS (SELECT 1 FROM call_parties p WHERE p.call_id = " + c + ".id AND (p.name ILIKE " + p + " OR p.email_address ILIKE " + p + "))")
	}
	if v := strings.TrimSpace(f.Company); v != "" {
		// The email domain has no spaces ("Acme Corp" is acmecorp.example); the CRM
		// account's Name field has the company as the CRM spells it.
		dom := w.arg(contains(strings.ReplaceAll(v, " ", "")))
		name := w.arg(contains(v))
		w.add("(EXISTS (SELECT 1 FROM call_parties p WHERE p.call_id = " + c + ".id AND split_part(p.email_address, '@', 2) ILIKE " + dom + ")" +
			" OR EXISTS (SELECT 1 FROM call_crm_objects o, jsonb_path_query(o.fields, '$[*]') f" +
			" WHERE o.call_id = " + c + ".id AND o.object_type = 'Account' AND f->>'name' = 'Name' AND f->>'value' ILIKE " + name + "))")
	}
	if v := strings.TrimSpace(f.AccountID); v != "" {
		w.add("EXISTS (SELECT 1 FROM call_crm_objects o WHERE o.call_id = " + c + ".id AND o.object_type = 'Account' AND o.object_id = " + w.arg(v) + ")")
	}
	if v := strings.TrimSpace(f.OpportunityID); v != "" {
		w.add("EXISTS (SELECT 1 FROM call_crm_objects o WHERE o.call_id = " + c + ".id AND o.object_type = 'Opportunity' AND o.object_id = " + w.arg(v) + ")")
	}
	if v := strings.TrimSpace(f.Rep); v != "" {
		w.add("(" + c + ".primary_user_id = " + w.arg(v) + " OR EXISTS (SELECT 1 FROM users u WHERE u.id = " + c +
			".primary_user_id AND concat_ws(' ', u.first_name, u.last_name) ILIKE " + w.arg(contains(v)) + "))")
	}
	if v := strings.TrimSpace(f.Tracker); v != "" {
		w.add("EXISTS (SELECT 1 FROM call_trackers t WHERE t.call_id = " + c + ".id AND t.count > 0 AND t.name ILIKE " +
			w.arg(strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(v)) + ")")
	}
	return nil
}

// rfc3339 formats a time for an answer; "" for none.
func rfc3339(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// clock is a time in a call as an assistant quotes it: 12:05, or 1:02:05.
func clock(ms int64) string {
	sec := ms / 1000
	if sec >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%d:%02d", sec/60, sec%60)
}

// SearchInput is search_calls' input.
type SearchInput struct {
	Query string `json:"query" jsonschema:"the words to find, in web search syntax: \"a phrase\", OR, -excluded"`
	CallFilter
	Limit int `json:"limit,omitempty" jsonschema:"how many sentences at most (default 20, at most 100)"`
}

// SearchHit is one sentence that matched.
type SearchHit struct {
	CallRef
	SentenceIndex int    `json:"sentence_index"`
	StartMs       int64  `json:"start_ms"`
	At            string `json:"at" jsonschema:"when in the call the sentence starts (m:ss)"`
	Speaker       string `json:"speaker,omitempty"`
	Affiliation   string `json:"affiliation,omitempty" jsonschema:"Internal (the company), External or Unknown"`
	Snippet       string `json:"snippet" jsonschema:"the sentence, with the matched words between ** and **"`
}

// SearchOutput is search_calls' answer.
type SearchOutput struct {
	Hits []SearchHit `json:"hits"`
	// More says the limit cut the hits short.
	More bool `json:"more"`
}

func (s *Server) searchCalls(ctx context.Context, _ *mcp.CallToolRequest, in SearchInput) (*mcp.CallToolResult, SearchOutput, error) {
	if strings.TrimSpace(in.Query) == "" {
		return nil, SearchOutput{}, errors.New("query: give the words to search for")
	}
	limit := clamp(in.Limit, defaultHits, maxHits)
	var w sqlWhere
	q := w.arg(in.Query)
	// The expression is the GIN index's (transcript_sentences_text_idx), so the index answers.
	w.add("to_tsvector('english', s.text) @@ websearch_to_tsquery('english', " + q + ")")
	s.visible(&w, "c")
	if err := in.CallFilter.apply(&w, "c"); err != nil {
		return nil, SearchOutput{}, err
	}
	sql := `SELECT c.id, coalesce(c.title, ''), c.started, coalesce(c.url, ''), s.sentence_index, s.start_ms,
  coalesce(p.name, ''), coalesce(p.affiliation, ''),
  ts_headline('english', s.text, websearch_to_tsquery('english', ` + q + `), 'StartSel=**, StopSel=**, HighlightAll=true')
FROM transcript_sentences s
JOIN calls c ON c.id = s.call_id
LEFT JOIN LATERAL (SELECT p.name, p.affiliation FROM call_parties p
  WHERE p.call_id = s.call_id AND p.speaker_id = s.speaker_id ORDER BY p.party_id LIMIT 1) p ON true
WHERE ` + w.String() + `
ORDER BY c.started DESC, c.id, s.sentence_index
LIMIT ` + w.arg(limit+1)
	rows, err := s.st.Pool().Query(ctx, sql, w.args...)
	if err != nil {
		return nil, SearchOutput{}, fmt.Errorf("search transcripts: %w", err)
	}
	out := SearchOutput{Hits: []SearchHit{}}
	for rows.Next() {
		var h SearchHit
		var started *time.Time
		if err := rows.Scan(&h.CallID, &h.Title, &started, &h.URL, &h.SentenceIndex, &h.StartMs, &h.Speaker, &h.Affiliation, &h.Snippet); err != nil {
			rows.Close()
			return nil, SearchOutput{}, fmt.Errorf("search transcripts: %w", err)
		}
		h.Started, h.At = rfc3339(started), clock(h.StartMs)
		out.Hits = append(out.Hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, SearchOutput{}, fmt.Errorf("search transcripts: %w", err)
	}
	if len(out.Hits) > limit {
		out.Hits, out.More = out.Hits[:limit], true
	}
	return nil, out, nil
}

func clamp(n, def, most int) int {
	if n <= 0 {
		return def
	}
	return min(n, most)
}

// ListInput is list_calls' input.
type ListInput struct {
	CallFilter
	Page     int `json:"page,omitempty" jsonschema:"the page, from 1"`
	PageSize int `json:"page_size,omitempty" jsonschema:"calls per page (default 20, at most 100)"`
}

// CallSummary is a call in a list.
type CallSummary struct {
	CallRef
	DurationSeconds int64    `json:"duration_seconds,omitempty"`
	Direction       string   `json:"direction,omitempty"`
	Scope           string   `json:"scope,omitempty" jsonschema:"External when someone outside the company took part"`
	RepUserID       string   `json:"rep_user_id,omitempty"`
	Rep             string   `json:"rep,omitempty" jsonschema:"the host's name"`
	Accounts        []string `json:"accounts,omitempty" jsonschema:"the names of the CRM accounts linked to the call"`
	Transcript      string   `json:"transcript" jsonschema:"available, pending (not fetched yet) or unavailable"`
}

// ListOutput is list_calls' answer.
type ListOutput struct {
	Calls []CallSummary `json:"calls"`
	Page  int           `json:"page"`
	More  bool          `json:"more" jsonschema:"true when a next page has calls"`
}

func (s *Server) listCalls(ctx context.Context, _ *mcp.CallToolRequest, in ListInput) (*mcp.CallToolResult, ListOutput, error) {
	size := clamp(in.PageSize, defaultPage, maxPage)
	page := max(in.Page, 1)
	var w sqlWhere
	s.visible(&w, "c")
	if err := in.CallFilter.apply(&w, "c"); err != nil {
		return nil, ListOutput{}, err
	}
	sql := `SELECT c.id, coalesce(c.title, ''), c.started, coalesce(c.url, ''), coalesce(c.duration_seconds, 0),
  coalesce(c.direction, ''), coalesce(c.scope, ''), coalesce(c.primary_user_id, ''),
  coalesce((SELECT concat_ws(' ', u.first_name, u.last_name) FROM users u WHERE u.id = c.primary_user_id), ''),
  coalesce((SELECT array_agg(DISTINCT f->>'value') FROM call_crm_objects o, jsonb_path_query(o.fields, '$[*]') f
    WHERE o.call_id = c.id AND o.object_type = 'Account' AND f->>'name' = 'Name' AND f->>'value' IS NOT NULL), '{}'),
  c.transcript_status
FROM calls c
WHERE ` + w.String() + `
ORDER BY c.started DESC NULLS LAST, c.id DESC
LIMIT ` + w.arg(size+1) + ` OFFSET ` + w.arg((page-1)*size)
	rows, err := s.st.Pool().Query(ctx, sql, w.args...)
	if err != nil {
		return nil, ListOutput{}, fmt.Errorf("list calls: %w", err)
	}
	out := ListOutput{Calls: []CallSummary{}, Page: page}
	for rows.Next() {
		var c CallSummary
		var started *time.Time
		if err := rows.Scan(&c.CallID, &c.Title, &started, &c.URL, &c.DurationSeconds, &c.Direction, &c.Scope,
			&c.RepUserID, &c.Rep, &c.Accounts, &c.Transcript); err != nil {
			rows.Close()
			return nil, ListOutput{}, fmt.Errorf("list calls: %w", err)
		}
		c.Started = rfc3339(started)
		out.Calls = append(out.Calls, c)
	}
	if err := rows.Err(); err != nil {
		return nil, ListOutput{}, fmt.Errorf("list calls: %w", err)
	}
	if len(out.Calls) > size {
		out.Calls, out.More = out.Calls[:size], true
	}
	return nil, out, nil
}

// CallInput names a call.
type CallInput struct {
	CallID string `json:"call_id" jsonschema:"the call's Gong id"`
}

// Party is a participant of a call.
type Party struct {
	Name        string `json:"name,omitempty"`
	Email       string `json:"email,omitempty"`
	Title       string `json:"title,omitempty"`
	Affiliation string `json:"affiliation,omitempty" jsonschema:"Internal (the company), External or Unknown"`
	UserID      string `json:"user_id,omitempty" jsonschema:"the participant's Gong user, for the company's people"`
	SpeakerID   string `json:"speaker_id,omitempty" jsonschema:"the participant's id in the transcript, when they spoke"`
}

// CRMObject is an account, opportunity, … linked to a call.
type CRMObject struct {
	System     string `json:"system"`
	ObjectType string `json:"object_type"`
	ObjectID   string `json:"object_id"`
	Timing     string `json:"timing,omitempty" jsonschema:"Now (the CRM's values when last synced) or TimeOfCall"`
	Fields     any    `json:"fields,omitempty" jsonschema:"the object's fields, as Gong sent them ({name, value} each)"`
}

// Tracker is a tracker's hits in a call.
type Tracker struct {
	Name  string `json:"name"`
	Type  string `json:"type,omitempty"`
	Count int    `json:"count"`
}

// Topic is time spent on a topic in a call.
type Topic struct {
	Name            string `json:"name"`
	DurationSeconds int64  `json:"duration_seconds"`
}

// Scorecard is a review of a call.
type Scorecard struct {
	ID         string   `json:"id"`
	Name       string   `json:"name,omitempty"`
	Reviewer   string   `json:"reviewer,omitempty"`
	ReviewTime string   `json:"review_time,omitempty"`
	Answers    []Answer `json:"answers"`
}

// Answer is a scorecard's answer to one question.
type Answer struct {
	Question      string   `json:"question,omitempty"`
	Score         *float64 `json:"score,omitempty"`
	Text          string   `json:"text,omitempty"`
	NotApplicable bool     `json:"not_applicable,omitempty"`
	Overall       bool     `json:"overall,omitempty"`
}

// CallOutput is get_call's answer.
type CallOutput struct {
	CallRef
	Scheduled       string      `json:"scheduled,omitempty"`
	DurationSeconds int64       `json:"duration_seconds,omitempty"`
	Direction       string      `json:"direction,omitempty"`
	Scope           string      `json:"scope,omitempty"`
	System          string      `json:"system,omitempty"`
	Media           string      `json:"media,omitempty"`
	Language        string      `json:"language,omitempty"`
	Purpose         string      `json:"purpose,omitempty"`
	RepUserID       string      `json:"rep_user_id,omitempty"`
	Rep             string      `json:"rep,omitempty"`
	WorkspaceID     string      `json:"workspace_id,omitempty"`
	Brief           string      `json:"brief,omitempty"`
	Outcome         any         `json:"outcome,omitempty" jsonschema:"the outcome Gong's AI set ({id, category, name})"`
	KeyPoints       any         `json:"key_points,omitempty"`
	Transcript      string      `json:"transcript" jsonschema:"available, pending (not fetched yet) or unavailable"`
	Parties         []Party     `json:"parties"`
	CRMObjects      []CRMObject `json:"crm_objects"`
	Trackers        []Tracker   `json:"trackers"`
	Topics          []Topic     `json:"topics"`
	Scorecards      []Scorecard `json:"scorecards"`
}

// findCall reads a visible call's reference, or says there is none.
func (s *Server) findCall(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, id string, more string, dest ...any) (CallRef, error) {
	var w sqlWhere
	w.add("c.id = " + w.arg(strings.TrimSpace(id)))
	s.visible(&w, "c")
	ref := CallRef{}
	var started *time.Time
	err := q.QueryRow(ctx, `SELECT c.id, coalesce(c.title, ''), c.started, coalesce(c.url, '')`+more+` FROM calls c WHERE `+w.String(), w.args...).
		Scan(append([]any{&ref.CallID, &ref.Title, &started, &ref.URL}, dest...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return ref, errNoCall(id)
	}
	if err != nil {
		return ref, fmt.Errorf("read call %s: %w", id, err)
	}
	ref.Started = rfc3339(started)
	return ref, nil
}

func (s *Server) getCall(ctx context.Context, _ *mcp.CallToolRequest, in CallInput) (*mcp.CallToolResult, CallOutput, error) {
	var out CallOutput
	// One snapshot: the call and its rows as one write left them.
	tx, err := s.st.Pool().BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return nil, out, fmt.Errorf("read call: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var scheduled *time.Time
	out.CallRef, err = s.findCall(ctx, tx, in.CallID, `, c.scheduled, coalesce(c.duration_seconds, 0), coalesce(c.direction, ''), coalesce(c.scope, ''),
  coalesce(c.system, ''), coalesce(c.media, ''), coalesce(c.language, ''), coalesce(c.purpose, ''), coalesce(c.primary_user_id, ''),
  coalesce((SELECT concat_ws(' ', u.first_name, u.last_name) FROM users u WHERE u.id = c.primary_user_id), ''),
  coalesce(c.workspace_id, ''), coalesce(c.brief, ''), c.call_outcome, c.key_points, c.transcript_status`,
		&scheduled, &out.DurationSeconds, &out.Direction, &out.Scope, &out.System, &out.Media, &out.Language, &out.Purpose,
		&out.RepUserID, &out.Rep, &out.WorkspaceID, &out.Brief, &out.Outcome, &out.KeyPoints, &out.Transcript)
	if err != nil {
		return nil, out, err
	}
	out.Scheduled = rfc3339(scheduled)
	id := out.CallID
	if out.Parties, err = collect(ctx, tx, `SELECT coalesce(name, ''), coalesce(email_address, ''), coalesce(title, ''), coalesce(affiliation, ''),
  coalesce(user_id, ''), coalesce(speaker_id, '') FROM call_parties WHERE call_id = $1 ORDER BY affiliation, name, party_id`, id,
		func(r pgx.Rows, p *Party) error {
			return r.Scan(&p.Name, &p.Email, &p.Title, &p.Affiliation, &p.UserID, &p.SpeakerID)
		}); err != nil {
		return nil, out, err
	}
	if out.CRMObjects, err = collect(ctx, tx, `SELECT system, object_type, object_id, timing, fields FROM call_crm_objects
  WHERE call_id = $1 ORDER BY system, object_type, object_id, timing`, id,
		func(r pgx.Rows, o *CRMObject) error {
			return r.Scan(&o.System, &o.ObjectType, &o.ObjectID, &o.Timing, &o.Fields)
		}); err != nil {
		return nil, out, err
	}
	if out.Trackers, err = collect(ctx, tx, `SELECT name, coalesce(type, ''), count FROM call_trackers
  WHERE call_id = $1 AND count > 0 ORDER BY count DESC, name`, id,
		func(r pgx.Rows, t *Tracker) error { return r.Scan(&t.Name, &t.Type, &t.Count) }); err != nil {
		return nil, out, err
	}
	if out.Topics, err = collect(ctx, tx, `SELECT name, duration_seconds FROM call_topics
  WHERE call_id = $1 ORDER BY duration_seconds DESC, name`, id,
		func(r pgx.Rows, t *Topic) error { return r.Scan(&t.Name, &t.DurationSeconds) }); err != nil {
		return nil, out, err
	}
	if out.Scorecards, err = collect(ctx, tx, `SELECT a.id, coalesce(a.scorecard_name, ''),
  coalesce((SELECT concat_ws(' ', u.first_name, u.last_name) FROM users u WHERE u.id = a.reviewer_user_id), ''), a.review_time
FROM answered_scorecards a WHERE a.call_id = $1 AND a.deleted_at IS NULL ORDER BY a.review_time, a.id`, id,
		func(r pgx.Rows, sc *Scorecard) error {
			var at *time.Time
			err := r.Scan(&sc.ID, &sc.Name, &sc.Reviewer, &at)
			sc.ReviewTime = rfc3339(at)
			return err
		}); err != nil {
		return nil, out, err
	}
	for i := range out.Scorecards {
		sc := &out.Scorecards[i]
		if sc.Answers, err = collect(ctx, tx, `SELECT coalesce(q.question_text, ''), x.score::float8, coalesce(x.answer_text, ''),
  coalesce(x.not_applicable, false), coalesce(x.is_overall, false)
FROM answered_scorecard_answers x
LEFT JOIN answered_scorecards a ON a.id = x.answered_scorecard_id
LEFT JOIN scorecard_questions q ON q.scorecard_id = a.scorecard_id AND q.question_id = x.question_id
WHERE x.answered_scorecard_id = $1 ORDER BY q.position NULLS LAST, x.question_id`, sc.ID,
			func(r pgx.Rows, a *Answer) error {
				return r.Scan(&a.Question, &a.Score, &a.Text, &a.NotApplicable, &a.Overall)
			}); err != nil {
			return nil, out, err
		}
	}
	return nil, out, nil
}

// collect runs a query with one argument and scans each row into a T; never nil, so
// that an empty list is [] in the answer.
func collect[T any](ctx context.Context, tx pgx.Tx, sql string, arg any, scan func(pgx.Rows, *T) error) ([]T, error) {
	rows, err := tx.Query(ctx, sql, arg)
	if err != nil {
		return nil, fmt.Errorf("read call: %w", err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, fmt.Errorf("read call: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read call: %w", err)
	}
	return out, nil
}

// TranscriptInput is get_transcript's input.
type TranscriptInput struct {
	CallID      string  `json:"call_id" jsonschema:"the call's Gong id"`
	FromSeconds float64 `json:"from_seconds,omitempty" jsonschema:"only turns that end after this many seconds into the call"`
	ToSeconds   float64 `json:"to_seconds,omitempty" jsonschema:"only turns that start before this many seconds into the call"`
	MaxChars    int     `json:"max_chars,omitempty" jsonschema:"the most text to return, in characters (default 20000, at most 200000)"`
}

// Turn is one monologue: what one speaker said without interruption.
type Turn struct {
	Index       int    `json:"index" jsonschema:"the monologue's position in the call, from 0"`
	Speaker     string `json:"speaker,omitempty" jsonschema:"the speaker's name, when Gong knows it"`
	Title       string `json:"title,omitempty" jsonschema:"the speaker's job title"`
	Affiliation string `json:"affiliation,omitempty" jsonschema:"Internal (the company), External or Unknown"`
	SpeakerID   string `json:"speaker_id,omitempty"`
	UserID      string `json:"user_id,omitempty" jsonschema:"the speaker's Gong user, for the company's people"`
	Topic       string `json:"topic,omitempty"`
	StartMs     int64  `json:"start_ms"`
	EndMs       int64  `json:"end_ms"`
	At          string `json:"at" jsonschema:"when the turn starts (m:ss)"`
	Text        string `json:"text"`
}

// TranscriptOutput is get_transcript's answer.
type TranscriptOutput struct {
	CallRef
	Transcript string `json:"transcript" jsonschema:"available, pending (not fetched yet) or unavailable"`
	Turns      []Turn `json:"turns"`
	// Truncated says max_chars cut the turns short; NextFromSeconds is where the
	// next read goes on.
	Truncated       bool    `json:"truncated"`
	NextFromSeconds float64 `json:"next_from_seconds,omitempty"`
}

func (s *Server) getTranscript(ctx context.Context, _ *mcp.CallToolRequest, in TranscriptInput) (*mcp.CallToolResult, TranscriptOutput, error) {
	var out TranscriptOutput
	if in.ToSeconds > 0 && in.ToSeconds <= in.FromSeconds {
		return nil, out, errors.New("to_seconds must be after from_seconds")
	}
	limit := clamp(in.MaxChars, defaultTurnChars, maxTurnChars)
	tx, err := s.st.Pool().BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return nil, out, fmt.Errorf("read transcript: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if out.CallRef, err = s.findCall(ctx, tx, in.CallID, ", c.transcript_status", &out.Transcript); err != nil {
		return nil, out, err
	}
	var to *int64
	if in.ToSeconds > 0 {
		to = new(int64(in.ToSeconds * 1000))
	}
	// A turn is the sentences of one monologue; its speaker is the party with that
	// speaker id in the call.
	rows, err := tx.Query(ctx, `SELECT t.monologue_index, coalesce(p.name, ''), coalesce(p.title, ''), coalesce(p.affiliation, ''),
  coalesce(t.speaker_id, ''), coalesce(p.user_id, ''), coalesce(t.topic, ''), t.start_ms, t.end_ms, t.text
FROM (SELECT monologue_index, min(speaker_id) AS speaker_id, min(topic) AS topic, min(start_ms) AS start_ms, max(end_ms) AS end_ms,
    string_agg(text, ' ' ORDER BY sentence_index) AS text
  FROM transcript_sentences WHERE call_id = $1
  GROUP BY monologue_index) t
LEFT JOIN LATERAL (SELECT p.name, p.title, p.affiliation, p.user_id FROM call_parties p
  WHERE p.call_id = $1 AND p.speaker_id = t.speaker_id ORDER BY p.party_id LIMIT 1) p ON true
WHERE t.end_ms > $2 AND ($3::bigint IS NULL OR t.start_ms < $3)
ORDER BY t.monologue_index`, out.CallID, int64(in.FromSeconds*1000), to)
	if err != nil {
		return nil, out, fmt.Errorf("read transcript: %w", err)
	}
	defer rows.Close()
	out.Turns = []Turn{}
	used := 0
	for rows.Next() {
		var t Turn
		if err := rows.Scan(&t.Index, &t.Speaker, &t.Title, &t.Affiliation, &t.SpeakerID, &t.UserID, &t.Topic, &t.StartMs, &t.EndMs, &t.Text); err != nil {
			return nil, out, fmt.Errorf("read transcript: %w", err)
		}
		// The first turn is always given, so that a long monologue is never a dead end.
		if used+len(t.Text) > limit && len(out.Turns) > 0 {
			out.Truncated, out.NextFromSeconds = true, float64(t.StartMs)/1000
			break
		}
		used += len(t.Text)
		t.At = clock(t.StartMs)
		out.Turns = append(out.Turns, t)
	}
	if err := rows.Err(); err != nil {
		return nil, out, fmt.Errorf("read transcript: %w", err)
	}
	return nil, out, nil
}

// StatusInput is sync_status' input: none.
type StatusInput struct{}

// StreamStatus is where one stream of the sync stands.
type StreamStatus struct {
	Stream        string `json:"stream"`
	LastRunKind   string `json:"last_run_kind,omitempty"`
	LastRunStatus string `json:"last_run_status,omitempty" jsonschema:"succeeded, failed, paused, running, …"`
	LastRunEnded  string `json:"last_run_ended,omitempty"`
	LastSuccess   string `json:"last_success,omitempty" jsonschema:"when a run of the stream last succeeded"`
	HighWaterMark string `json:"high_water_mark,omitempty" jsonschema:"every call that started before this time has been read"`
	CompletedAt   string `json:"completed_at,omitempty"`
}

// StatusOutput is sync_status' answer.
type StatusOutput struct {
	Now                 string         `json:"now" jsonschema:"the database's clock"`
	Streams             []StreamStatus `json:"streams"`
	NewestCall          *CallRef       `json:"newest_call,omitempty"`
	Calls               int64          `json:"calls" jsonschema:"calls the tools can see"`
	CallsWithTranscript int64          `json:"calls_with_transcript"`
	PrivateIncluded     bool           `json:"private_included" jsonschema:"whether private calls and calls an erasure touched are included"`
}

func (s *Server) syncStatus(ctx context.Context, _ *mcp.CallToolRequest, _ StatusInput) (*mcp.CallToolResult, StatusOutput, error) {
	out := StatusOutput{Streams: []StreamStatus{}, PrivateIncluded: s.includePrivate}
	rows, err := s.st.Pool().Query(ctx, `WITH last AS (
  SELECT DISTINCT ON (stream) stream, kind, status, coalesce(finished_at, started_at) AS ended FROM sync_runs ORDER BY stream, id DESC),
ok AS (SELECT stream, max(finished_at) AS at FROM sync_runs WHERE status = 'succeeded' GROUP BY stream),
streams AS (SELECT stream FROM sync_state UNION SELECT stream FROM last)
SELECT n.stream, coalesce(l.kind, ''), coalesce(l.status, ''), l.ended, ok.at, st.high_water_mark, st.completed_at
FROM streams n LEFT JOIN last l USING (stream) LEFT JOIN ok USING (stream) LEFT JOIN sync_state st USING (stream)
ORDER BY n.stream`)
	if err != nil {
		return nil, out, fmt.Errorf("read sync status: %w", err)
	}
	for rows.Next() {
		var st StreamStatus
		var ended, success, hwm, completed *time.Time
		if err := rows.Scan(&st.Stream, &st.LastRunKind, &st.LastRunStatus, &ended, &success, &hwm, &completed); err != nil {
			rows.Close()
			return nil, out, fmt.Errorf("read sync status: %w", err)
		}
		st.LastRunEnded, st.LastSuccess, st.HighWaterMark, st.CompletedAt = rfc3339(ended), rfc3339(success), rfc3339(hwm), rfc3339(completed)
		out.Streams = append(out.Streams, st)
	}
	if err := rows.Err(); err != nil {
		return nil, out, fmt.Errorf("read sync status: %w", err)
	}
	var w sqlWhere
	s.visible(&w, "c")
	var now time.Time
	if err := s.st.Pool().QueryRow(ctx, `SELECT clock_timestamp(), count(*), count(*) FILTER (WHERE c.transcript_status = 'available')
FROM calls c WHERE `+w.String(), w.args...).Scan(&now, &out.Calls, &out.CallsWithTranscript); err != nil {
		return nil, out, fmt.Errorf("read sync status: %w", err)
	}
	out.Now = rfc3339(&now)
	var ref CallRef
	var started *time.Time
	err = s.st.Pool().QueryRow(ctx, `SELECT c.id, coalesce(c.title, ''), c.started, coalesce(c.url, '') FROM calls c WHERE `+w.String()+`
ORDER BY c.started DESC NULLS LAST LIMIT 1`, w.args...).Scan(&ref.CallID, &ref.Title, &started, &ref.URL)
	switch {
	case err == nil:
		ref.Started = rfc3339(started)
		out.NewestCall = &ref
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, out, fmt.Errorf("read sync status: %w", err)
	}
	return nil, out, nil
}
