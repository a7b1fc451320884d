package sync

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/catalog"
	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/store"
)

// action runs an action for the CLI with the given input.
func (v *env) action(name, input string, mod ...func(*ActionRequest)) (*ActionOutcome, error) {
	v.t.Helper()
	req := ActionRequest{Name: name, Input: []byte(input), AskedBy: AskedByCLI, LocalFiles: true}
	for _, m := range mod {
		m(&req)
	}
	return v.engine.RunAction(v.ctx, req)
}

// actionRun reads the record of a run.
func (v *env) actionRun(id int64) store.ActionRun {
	v.t.Helper()
	r, err := v.st.ActionRunByID(v.ctx, id)
	if err != nil {
		v.t.Fatal(err)
	}
	return r
}

func (v *env) faults(script ...fakegong.Fault) {
	v.t.Helper()
	if err := v.fake.SetFaults(fakegong.Faults{Script: script}); err != nil {
		v.t.Fatal(err)
	}
}

func asActionError(t *testing.T, err error) *ActionError {
	t.Helper()
	var ae *ActionError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an *ActionError", err, err)
	}
	return ae
}

// A read is retried like the sync's, counted in the ledger, and recorded with Gong's
// requestId; its answer is Gong's.
func TestActionReadIsRetriedCountedAndRecorded(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{})
	v.faults(fakegong.Fault500, fakegong.FaultDrop)
	out, err := v.action("listWorkspaces", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	var ws struct {
		Workspaces []struct{ ID string } `json:"workspaces"`
	}
	if err := json.Unmarshal(out.Answer, &ws); err != nil || len(ws.Workspaces) != len(v.fake.Dataset().Workspaces()) {
		t.Fatalf("answer %s (%v)", out.Answer, err)
	}
	if total, _ := v.requests(); total != 3 || out.Requests != 3 || v.ledgerTotal() != 3 {
		t.Errorf("the fake saw %d requests, the run says %d, the ledger %d; want 3 (two failed attempts and the answer)", total, out.Requests, v.ledgerTotal())
	}
	r := v.actionRun(out.RunID)
	if r.Status != store.ActionSucceeded || r.AskedBy != AskedByCLI || r.Requests != 3 || len(r.GongRequestIDs) != 1 ||
		len(r.GongRequestIDs[0]) != 19 || r.Answer != nil || len(r.AnswerDigest) != 32 || r.FinishedAt == nil {
		t.Errorf("record %+v", r)
	}
}

// A write that is not idempotent is sent once: when its answer is lost after it was
// sent (a connection cut mid-answer, a 5xx, a timeout), it is not sent again, and the
// run and its record say it may have been applied, with Gong's requestId when the
// answer's headers arrived. A 429 and a refused connection are retried: Gong did
// nothing with them.
func TestWriteIsNeverSentTwice(t *testing.T) {
	t.Parallel()
	const endpoint = "POST /v2/data-privacy/erase-data-for-email-address"
	for _, tc := range []struct {
		fault     fakegong.Fault
		sent      int64
		status    string
		requestID bool // the record holds Gong's requestId
		applied   bool // the fake carried out the erase
	}{
		{fakegong.FaultDrop, 1, store.ActionMaybeApplied, true, true},
		{fakegong.FaultMalformed, 1, store.ActionMaybeApplied, true, true},
		{fakegong.Fault500, 1, store.ActionMaybeApplied, true, false},
		{fakegong.Fault502, 1, store.ActionMaybeApplied, true, false},
		{fakegong.FaultTimeout, 1, store.ActionMaybeApplied, false, false},
		{fakegong.Fault429, 2, store.ActionSucceeded, true, true},
	} {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			v := newEnv(t, envOptions{client: func(c *gongapi.Config) { c.RequestTimeout = 300 * time.Millisecond }})
			if err := v.fake.SetFaults(fakegong.Faults{Script: []fakegong.Fault{tc.fault}, Hang: time.Minute, RetryAfter: time.Millisecond}); err != nil {
				t.Fatal(err)
			}
			out, err := v.action("purgeEmailAddress", `{"emailAddress":"jane.doe@example.com"}`)
			_, by := v.requests()
			if by[endpoint] != tc.sent {
				t.Errorf("sent %d times, want %d", by[endpoint], tc.sent)
			}
			var run store.ActionRun
			if tc.status == store.ActionSucceeded {
				if err != nil {
					t.Fatal(err)
				}
				run = v.actionRun(out.RunID)
			} else {
				ae := asActionError(t, err)
				if ae.Status != tc.status || !errors.Is(err, gongapi.ErrMayHaveBeenApplied) || !strings.Contains(err.Error(), "may have been applied") {
					t.Errorf("error %v (status %s)", err, ae.Status)
				}
				run = v.actionRun(ae.RunID)
				if run.Error == nil || !strings.Contains(*run.Error, "may have been applied") {
					t.Errorf("the record's error: %v", run.Error)
				}
			}
			if run.Status != tc.status || run.Requests != int(tc.sent) {
				t.Errorf("record: status %s, %d requests; want %s, %d", run.Status, run.Requests, tc.status, tc.sent)
			}
			if got := len(run.GongRequestIDs) == 1 && len(run.GongRequestIDs[0]) == 19; got != tc.requestID {
				t.Errorf("record's requestIds %q: want one (%t)", run.GongRequestIDs, tc.requestID)
			}
			if n := len(v.fake.Erasures()); (n == 1) != tc.applied || n > 1 {
				t.Errorf("the fake carried out %d erase requests (want it done: %t)", n, tc.applied)
			}
		})
	}
}

// Writes that are safe to send again are retried: by their method (PUT), or by
// Gong's idempotency field (addCall's clientUniqueId, with which Gong refuses the
// second upload instead of adding the call twice).
func TestIdempotentWritesAreRetried(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{})
	call := v.fake.Dataset().VisibleCalls(v.clock.Now())[0]
	user := v.fake.Dataset().UsersAt(v.clock.Now())[0]

	v.faults(fakegong.FaultDrop)
	if _, err := v.action("addUsersAccessToCalls", `{"callAccessList":[{"callId":"`+call.MetaData.ID+`","userIds":["`+user.ID+`"]}]}`); err != nil {
		t.Fatalf("PUT after a dropped answer: %v", err)
	}
	if _, by := v.requests(); by["PUT /v2/calls/users-access"] != 2 || !slices.Equal(v.fake.CallAccess(call.MetaData.ID), []string{user.ID}) {
		t.Errorf("PUT sent %d times, access %v", by["PUT /v2/calls/users-access"], v.fake.CallAccess(call.MetaData.ID))
	}

	v.faults(fakegong.FaultDrop)
	_, err := v.action("addCall", `{"clientUniqueId":"pbx-77","actualStart":"2024-03-02T10:00:00Z","direction":"Outbound",
		"primaryUser":"`+user.ID+`","parties":[{"userId":"`+user.ID+`"}]}`)
	ae := asActionError(t, err)
	if _, by := v.requests(); by["POST /v2/calls"] != 2 || len(v.fake.Uploads()) != 1 {
		t.Errorf("addCall sent %d times, %d calls added; want 2 and 1", by["POST /v2/calls"], len(v.fake.Uploads()))
	}
	if ae.Status != store.ActionFailed || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "clientUniqueId already exists") {
		t.Errorf("the second upload: %v", err)
	}
}

// Bad input spends nothing and records nothing, for every kind of mistake.
func TestBadActionInputSpendsNothing(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{})
	dir := t.TempDir()
	for _, tc := range []struct {
		name, input string
		mod         func(*ActionRequest)
		want        string
	}{
		{"getcall", `{"id":"1"}`, nil, "unknown action"},
		{"getCall", `{"id":"1","extra":true}`, nil, "extra: unknown field"},
		{"getCall", `{}`, nil, "id: missing (required)"},
		{"getCall", `{"id":"."}`, nil, "id: must not be ."},
		{"listCallsExtensive", `{"filter":{"callIds":[1]}}`, nil, "filter.callIds[0]: want string, got number"},
		{"listCallsExtensive", `{"filter":{}`, nil, "not valid JSON"},
		{"listWorkspaces", `{}`, func(r *ActionRequest) { r.All = true }, "not paged"},
		{"listUsers", `{}`, func(r *ActionRequest) { r.IdempotencyKey = "a\nb" }, "control characters"},
		{"addCallRecording", `{"id":"1","mediaFile":"` + filepath.Join(dir, "missing.mp3") + `"}`, nil, "mediaFile: cannot read the file"},
		{"addCallRecording", `{"id":"1","mediaFile":"` + dir + `"}`, nil, "is not a regular file"},
		{"addCallRecording", `{"id":"1","mediaFile":"/etc/hostname"}`, func(r *ActionRequest) { r.LocalFiles = false }, "refused over HTTP"},
		{"privacy.erase-email", `{"emailAddress":"jane doe"}`, nil, "is not an email address"},
		{"privacy.erase-phone", `{"phoneNumber":"12"}`, nil, "is not a phone number"},
		{"calls.refresh", `{"callIds":[]}`, nil, "want at least 1 items"},
	} {
		_, err := v.action(tc.name, tc.input, func(r *ActionRequest) {
			if tc.mod != nil {
				tc.mod(r)
			}
		})
		var ie *catalog.InputError
		if err == nil || (!errors.As(err, &ie) && !errors.Is(err, catalog.ErrUnknownAction)) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v, want an input error saying %q", tc.name, tc.input, err, tc.want)
		}
	}
	if total, _ := v.requests(); total != 0 || v.ledgerTotal() != 0 || v.count(`SELECT count(*) FROM action_runs`) != 0 {
		t.Errorf("bad input spent %d requests (ledger %d) and recorded %d runs", total, v.ledgerTotal(), v.count(`SELECT count(*) FROM action_runs`))
	}
}

// An idempotency key: the same input again returns the kept answer without sending;
// another input is refused; a run that failed lets go of the key.
func TestIdempotencyKeyReplaysOrRefuses(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{})
	id := v.fake.Dataset().VisibleCalls(v.clock.Now())[5].MetaData.ID
	key := func(k string) func(*ActionRequest) { return func(r *ActionRequest) { r.IdempotencyKey = k } }

	first, err := v.action("getCall", `{"id":"`+id+`"}`, key("k-1"))
	if err != nil {
		t.Fatal(err)
	}
	// The same input written differently (spacing) is the same request.
	again, err := v.action("getCall", `{ "id" : "`+id+`" }`, key("k-1"))
	if err != nil || !again.Replayed || again.RunID != first.RunID || string(again.Answer) != string(first.Answer) {
		t.Fatalf("replay: %+v %v", again, err)
	}
	if total, _ := v.requests(); total != 1 {
		t.Errorf("the replay sent something: %d requests in all", total)
	}
	var conflict *ActionConflictError
	if _, err := v.action("getCall", `{"id":"1`+id+`"}`, key("k-1")); !errors.As(err, &conflict) || conflict.RunID != first.RunID ||
		!strings.Contains(err.Error(), "another input") {
		t.Errorf("another input with the key: %v", err)
	}
	if _, err := v.action("listWorkspaces", `{}`, key("k-1")); !errors.As(err, &conflict) || !strings.Contains(err.Error(), "the action getCall") {
		t.Errorf("another action with the key: %v", err)
	}
	if r := v.actionRun(first.RunID); string(r.Answer) != string(first.Answer) || r.AnswerKeptUntil == nil ||
		r.AnswerKeptUntil.Sub(r.StartedAt) < 23*time.Hour {
		t.Errorf("kept answer: %s until %v", r.Answer, r.AnswerKeptUntil)
	}

	// A failed run (Gong refused the credentials) lets go of its key.
	v.faults(fakegong.Fault403)
	_, err = v.action("getCall", `{"id":"`+id+`"}`, key("k-2"))
	if ae := asActionError(t, err); ae.Status != store.ActionFailed || !errors.Is(err, gongapi.ErrUnauthorized) {
		t.Fatalf("403: %v", err)
	}
	if out, err := v.action("getCall", `{"id":"`+id+`"}`, key("k-2")); err != nil || out.Replayed {
		t.Errorf("the same key after a failure: %+v %v", out, err)
	}

	// A write that may have been applied holds its key: running it again is refused.
	v.faults(fakegong.FaultDrop)
	_, err = v.action("purgeEmailAddress", `{"emailAddress":"a@b.example"}`, key("k-3"))
	asActionError(t, err)
	if _, err := v.action("purgeEmailAddress", `{"emailAddress":"a@b.example"}`, key("k-3")); !errors.As(err, &conflict) ||
		!strings.Contains(err.Error(), "may have been applied") {
		t.Errorf("a maybe-applied key again: %v", err)
	}
	if _, by := v.requests(); by["POST /v2/data-privacy/erase-data-for-email-address"] != 1 {
		t.Errorf("the erase was sent %d times", by["POST /v2/data-privacy/erase-data-for-email-address"])
	}

	// Once the kept answer's time is up, the key is refused rather than sent again.
	if _, err := v.st.Pool().Exec(v.ctx, `UPDATE action_runs SET answer_kept_until = now() - interval '1 second' WHERE id = $1`, first.RunID); err != nil {
		t.Fatal(err)
	}
	if _, err := v.action("listWorkspaces", `{}`); err != nil { // any run drops expired answers
		t.Fatal(err)
	}
	if _, err := v.action("getCall", `{"id":"`+id+`"}`, key("k-1")); !errors.As(err, &conflict) || !strings.Contains(err.Error(), "no longer kept") {
		t.Errorf("an expired answer: %v", err)
	}
}

// --all follows the cursors of a paged operation and returns every record in one answer.
func TestActionAllFollowsCursors(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{fake: fakegong.Options{Users: 230}})
	out, err := v.action("listUsers", `{}`, func(r *ActionRequest) { r.All = true })
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Records map[string]any   `json:"records"`
		Users   []map[string]any `json:"users"`
	}
	if err := json.Unmarshal(out.Answer, &page); err != nil {
		t.Fatal(err)
	}
	want := v.fake.Dataset().UsersAt(v.clock.Now())
	if len(page.Users) != len(want) || len(want) <= 200 || page.Records["cursor"] != nil {
		t.Errorf("%d users (want %d), records %v", len(page.Users), len(want), page.Records)
	}
	pages := int64((len(want) + 99) / 100)
	if total, _ := v.requests(); total != pages || out.Requests != int(pages) || len(out.RequestIDs) != int(pages) {
		t.Errorf("%d requests (%d recorded, %d requestIds), want %d", total, out.Requests, len(out.RequestIDs), pages)
	}
	// Without --all, one page and its cursor; an empty result is an empty page.
	one, err := v.action("listUsers", `{}`)
	if err != nil || !strings.Contains(string(one.Answer), `"cursor"`) {
		t.Errorf("one page: %s %v", one.Answer, err)
	}
	none, err := v.action("listCallsExtensive", `{"filter":{"fromDateTime":"2030-01-01T00:00:00Z"}}`)
	if err != nil || !strings.Contains(string(none.Answer), `"calls":[]`) {
		t.Errorf("an empty result: %s %v", none.Answer, err)
	}
}

// An id with a slash reaches Gong as one path segment.
func TestActionPathParametersAreEscaped(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{})
	_, err := v.action("getCall", `{"id":"12/34"}`)
	if !errors.Is(err, gongapi.ErrNotFound) || !strings.Contains(err.Error(), "Call 12/34 was not found") {
		t.Errorf("getCall 12/34: %v", err)
	}
	if _, by := v.requests(); by["GET /v2/calls/12%2F34"] != 1 {
		t.Errorf("requests %v", by)
	}
}

// calls.refresh brings a changed call and its late transcript up to date with one
// request of each, as a run in sync_runs that moves no checkpoint.
func TestCallsRefreshUpdatesACallAndItsTranscript(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{})
	now := v.clock.Now()
	calls := v.fake.Dataset().VisibleCalls(now)
	target := calls[10].MetaData.ID
	other := calls[11].MetaData.ID
	// Its transcript comes after the backfill asked for it.
	if _, err := v.fake.Dataset().SetTranscriptAt(target, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	v.backfill(day0, day0.AddDate(0, 0, 30))
	if got := v.count(`SELECT count(*) FROM transcript_sentences WHERE call_id = $1`, target); got != 0 {
		t.Fatalf("the transcript is there already: %d sentences", got)
	}
	title := "Renewal call, renamed"
	if _, err := v.fake.Dataset().ChangeCall(target, now.Add(30*time.Minute), fakegong.Change{Title: &title}); err != nil {
		t.Fatal(err)
	}
	v.clock.Advance(2 * time.Hour)
	before, err := v.st.Checkpoints(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	v.fake.ResetStats()

	out, err := v.action("calls.refresh", `{"callIds":["`+target+`","`+other+`","1"]}`)
	if err != nil {
		t.Fatal(err)
	}
	total, by := v.requests()
	if total != 2 || by["POST /v2/calls/extensive"] != 1 || by["POST /v2/calls/transcript"] != 1 {
		t.Errorf("requests: %v", by)
	}
	var res refreshResult
	if err := json.Unmarshal(out.Answer, &res); err != nil {
		t.Fatal(err)
	}
	if res.Asked != 3 || res.Found != 2 || !slices.Equal(res.Changed, []string{target}) || res.Unchanged != 1 ||
		!slices.Equal(res.NotFound, []string{"1"}) || res.Transcripts != 2 || res.Requests != 2 || out.Requests != 2 {
		t.Errorf("answer %s", out.Answer)
	}
	var got string
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT title FROM calls WHERE id = $1`, target).Scan(&got); err != nil || got != title {
		t.Errorf("title %q (%v)", got, err)
	}
	tr, _ := v.fake.Dataset().TranscriptAt(target, v.clock.Now())
	want := 0
	for _, m := range tr.Transcript {
		want += len(m.Sentences)
	}
	if n := v.count(`SELECT count(*) FROM transcript_sentences WHERE call_id = $1`, target); n != want || want == 0 ||
		v.count(`SELECT count(*) FROM calls WHERE id = $1 AND transcript_status = 'available'`, target) != 1 {
		t.Errorf("%d sentences stored, Gong has %d", n, want)
	}
	if n := v.count(`SELECT count(*) FROM sync_runs WHERE stream = 'refresh' AND kind = 'action' AND status = 'succeeded' AND requests = 2`); n != 1 {
		t.Errorf("%d refresh runs in sync_runs", n)
	}
	after, err := v.st.Checkpoints(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("checkpoints moved:\n%v\n%v", before, after)
	}
}

// An email address that appears in synced calls: after privacy.erase-email no row of
// any table holds it (every text, json and text[] column searched), the erasure's
// record holds a keyed hash and no address, and a sync during Gong's erasure delay,
// which still serves the calls, stores none of them.
func TestEraseEmailLeavesNoCopy(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{engine: Options{SettleWindow: 60 * 24 * time.Hour}})
	v.backfill(day0, day0.AddDate(0, 0, 30))
	email, ids := v.externalEmail()
	// Another call names the person in its title: Gong's lookup does not list it (the
	// address is not a participant's), the search here finds it.
	var titled string
	for _, c := range v.fake.Dataset().VisibleCalls(v.clock.Now()) {
		if !slices.Contains(ids, c.MetaData.ID) {
			titled = c.MetaData.ID
			break
		}
	}
	title := "Follow-up: send the quote to " + strings.ToUpper(email)
	if _, err := v.fake.Dataset().ChangeCall(titled, v.clock.Now(), fakegong.Change{Title: &title}); err != nil {
		t.Fatal(err)
	}
	v.run(StreamSettle)
	gongIDs := ids
	ids = slices.Sorted(slices.Values(append(slices.Clone(ids), titled)))
	other := v.count(`SELECT count(*) FROM calls`) - len(ids)

	// A kept answer that holds the address (an action run with a key).
	if _, err := v.action("listCallsExtensive", `{"filter":{"callIds":["`+ids[0]+`"]},"contentSelector":{"exposedFields":{"parties":true}}}`,
		func(r *ActionRequest) { r.IdempotencyKey = "parties" }); err != nil {
		t.Fatal(err)
	}
	before := v.holding(email)
	if !slices.Contains(before, "calls.raw") || !slices.Contains(before, "calls.title") || !slices.Contains(before, "action_runs.answer") {
		t.Fatalf("before the erasure the address is in %v: the test proves nothing", before)
	}
	t.Logf("before the erasure, %s is in %d calls, and in %v", email, len(ids), before)

	// The dry run spends the lookup only and changes nothing.
	v.fake.ResetStats()
	dry, err := v.action("privacy.erase-email", `{"emailAddress":"`+strings.ToUpper(email)+`","dryRun":true}`)
	if err != nil {
		t.Fatal(err)
	}
	var plan struct {
		Gong  gongReferences `json:"gong"`
		Local struct {
			CallsToDelete int            `json:"callsToDelete"`
			CallIDs       []string       `json:"callIds"`
			Rows          map[string]int `json:"rowsToDelete"`
		} `json:"local"`
	}
	if err := json.Unmarshal(dry.Answer, &plan); err != nil {
		t.Fatal(err)
	}
	if total, by := v.requests(); total != 1 || by["GET /v2/data-privacy/data-for-email-address"] != 1 {
		t.Errorf("the dry run sent %v", by)
	}
	if !slices.Equal(plan.Local.CallIDs, ids) || !slices.Equal(plan.Gong.CallIDs, gongIDs) || plan.Local.Rows["action_runs"] != 1 {
		t.Errorf("dry run: %s, want calls %v", dry.Answer, ids)
	}
	if strings.Contains(strings.ToLower(string(dry.Answer)), email) || len(v.fake.Erasures()) != 0 || v.count(`SELECT count(*) FROM calls`) != other+len(ids) {
		t.Errorf("the dry run changed something or names the address: %s", dry.Answer)
	}

	out, err := v.action("privacy.erase-email", `{"emailAddress":"`+email+`"}`, func(r *ActionRequest) { r.IdempotencyKey = "erase-1" })
	if err != nil {
		t.Fatal(err)
	}
	if where := v.holding(email); where != nil {
		t.Errorf("the address is still in %v", where)
	}
	if n := v.count(`SELECT count(*) FROM calls`); n != other {
		t.Errorf("%d calls left, want %d", n, other)
	}
	var hash []byte
	var erased []string
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT address_hash, erased_call_ids FROM erasures`).Scan(&hash, &erased); err != nil {
		t.Fatal(err)
	}
	key, _ := v.st.HashKey(v.ctx)
	if h := addressHash(key, "email", email); string(hash) != string(h[:]) || !slices.Equal(erased, ids) {
		t.Errorf("erasure record: hash %x, calls %v", hash, erased)
	}
	if strings.Contains(strings.ToLower(string(out.Answer)), email) {
		t.Errorf("the answer names the address: %s", out.Answer)
	}
	if er := v.fake.Erasures(); len(er) != 1 || !slices.Equal(er[0].CallIDs, gongIDs) {
		t.Errorf("Gong's erasures: %+v", er)
	}

	// During Gong's erasure delay, the settle pass reads the calls again: none is stored.
	v.clock.Advance(time.Hour)
	if _, ok := v.fake.Dataset().CallAt(ids[0], v.clock.Now()); !ok {
		t.Fatal("Gong no longer serves the call: the sync below proves nothing")
	}
	served := len(v.fake.Dataset().VisibleCalls(v.clock.Now()))
	rep := v.run(StreamSettle)
	if rep.Records != served || v.count(`SELECT count(*) FROM calls`) != other ||
		v.count(`SELECT count(*) FROM calls WHERE id = ANY($1)`, ids) != 0 || v.holding(email) != nil {
		t.Errorf("the settle pass read %d calls of the %d Gong serves and left %d calls (want %d); erased ones stored: %d",
			rep.Records, served, v.count(`SELECT count(*) FROM calls`), other, v.count(`SELECT count(*) FROM calls WHERE id = ANY($1)`, ids))
	}
	// A webhook for one of them is not stored either.
	c, _ := v.fake.Dataset().CallAt(ids[0], v.clock.Now())
	b, _ := json.Marshal(c)
	var call gongapi.Call
	if err := json.Unmarshal(b, &call); err != nil {
		t.Fatal(err)
	}
	if _, err := v.engine.IngestCall(v.ctx, &call); err != nil || v.count(`SELECT count(*) FROM calls WHERE id = $1`, ids[0]) != 0 {
		t.Errorf("webhook: %v", err)
	}
}

// The sync keeps out a call that still carries an erased address if the call started
// before the erasure, even one the erasure did not know about, and stores calls with
// the person made after it.
func TestErasedAddressKeepsOldCallsOutButNotNewOnes(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{engine: Options{SettleWindow: 60 * 24 * time.Hour}})
	v.backfill(day0, day0.AddDate(0, 0, 30))
	email, ids := v.externalEmail()
	if _, err := v.action("privacy.erase-email", `{"emailAddress":"`+email+`"}`); err != nil {
		t.Fatal(err)
	}
	// Another old call gains the address in Gong, and a call after the erasure has it.
	now := v.clock.Now()
	calls := v.fake.Dataset().VisibleCalls(now)
	var old string
	for _, c := range calls {
		if !slices.Contains(ids, c.MetaData.ID) && len(c.Parties) > 0 {
			old = c.MetaData.ID
			break
		}
	}
	withAddress := fakegong.Change{Edit: func(c *fakegong.CallData) {
		upper := strings.ToUpper(email)
		c.Parties[0].EmailAddress = &upper
	}}
	if _, err := v.fake.Dataset().ChangeCall(old, now.Add(time.Minute), withAddress); err != nil {
		t.Fatal(err)
	}
	spec, err := v.fake.Dataset().AddCall(fakegong.NewCall{Started: now.Add(time.Hour), ProcessedAt: now.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.fake.Dataset().ChangeCall(spec.ID, now, withAddress); err != nil {
		t.Fatal(err)
	}
	// A third old call changes its title at the same time: the pass below stores that,
	// so it did read the old calls.
	var third string
	for _, c := range calls {
		if !slices.Contains(ids, c.MetaData.ID) && c.MetaData.ID != old {
			third = c.MetaData.ID
			break
		}
	}
	renamed := "Renamed after the erasure"
	if _, err := v.fake.Dataset().ChangeCall(third, now.Add(time.Minute), fakegong.Change{Title: &renamed}); err != nil {
		t.Fatal(err)
	}
	v.clock.Advance(3 * time.Hour)
	v.run(StreamSettle)
	if v.count(`SELECT count(*) FROM calls WHERE id = $1 AND title = $2`, third, renamed) != 1 {
		t.Fatal("the settle pass did not store a change of an old call: it proves nothing about the one below")
	}
	if n := v.count(`SELECT count(*) FROM calls WHERE id = $1 AND strpos(lower(raw::text), $2) > 0`, old, email); n != 0 {
		t.Error("an old call that carries the erased address was stored")
	}
	if v.count(`SELECT count(*) FROM call_parties WHERE call_id = $1 AND email_address = $2`, spec.ID, strings.ToUpper(email)) != 1 {
		t.Error("a call with the person after the erasure was left out")
	}
}

// A phone number is found however it is written, and erased the same way.
func TestErasePhoneMatchesAnyWriting(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{})
	v.backfill(day0, day0.AddDate(0, 0, 30))
	var phone string
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT phone_number FROM call_parties
		WHERE phone_number LIKE '+1 212 555 %' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`).Scan(&phone); err != nil {
		t.Fatal(err)
	}
	digits := strings.ReplaceAll(strings.TrimPrefix(phone, "+1 "), " ", "")
	written := "(" + digits[:3] + ") " + digits[3:6] + "-" + digits[6:] // (212) 555-1234
	calls := v.count(`SELECT count(DISTINCT call_id) FROM call_parties WHERE phone_number = $1`, phone)
	before := v.count(`SELECT count(*) FROM calls`)
	out, err := v.action("privacy.erase-phone", `{"phoneNumber":"`+written+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	if n := v.count(`SELECT count(*) FROM call_parties WHERE right(regexp_replace(phone_number, '[^0-9]', '', 'g'), 10) = $1`, digits); n != 0 {
		t.Errorf("%d parties still have the number", n)
	}
	if after := v.count(`SELECT count(*) FROM calls`); before-after < calls || calls == 0 {
		t.Errorf("%d calls deleted, %d had the number", before-after, calls)
	}
	if strings.Contains(string(out.Answer), digits[6:]) {
		t.Errorf("the answer names the number: %s", out.Answer)
	}
}

// externalEmail returns the email address of an outside party that appears in the
// most synced calls, and those calls' ids.
func (v *env) externalEmail() (string, []string) {
	v.t.Helper()
	var email string
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT lower(email_address) FROM call_parties
		WHERE affiliation = 'External' AND email_address IS NOT NULL GROUP BY 1 ORDER BY count(DISTINCT call_id) DESC, 1 LIMIT 1`).Scan(&email); err != nil {
		v.t.Fatal(err)
	}
	rows, err := v.st.Pool().Query(v.ctx, `SELECT DISTINCT call_id FROM call_parties WHERE lower(email_address) = $1 ORDER BY 1`, email)
	if err != nil {
		v.t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			v.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		v.t.Fatal("no external email address in the synced calls")
	}
	return email, ids
}

// holding lists "table.column" for every text, json and text[] column of the schema
// that holds s (case-insensitively) in some row. It reads the catalog itself rather
// than trusting the store's own search.
func (v *env) holding(s string) []string {
	v.t.Helper()
	rows, err := v.st.Pool().Query(v.ctx, `SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c
		JOIN information_schema.tables t USING (table_schema, table_name)
		WHERE c.table_schema = 'gong' AND t.table_type = 'BASE TABLE'
		  AND (c.data_type IN ('text', 'character varying', 'json', 'jsonb') OR c.data_type = 'ARRAY')`)
	if err != nil {
		v.t.Fatal(err)
	}
	type col struct{ table, column string }
	var cols []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.table, &c.column); err != nil {
			v.t.Fatal(err)
		}
		cols = append(cols, c)
	}
	if len(cols) < 50 {
		v.t.Fatalf("only %d columns to search", len(cols))
	}
	var out []string
	for _, c := range cols {
		var n int
		q := fmt.Sprintf(`SELECT count(*) FROM gong.%q WHERE strpos(lower(%q::text), lower($1)) > 0`, c.table, c.column)
		if err := v.st.Pool().QueryRow(v.ctx, q, s).Scan(&n); err != nil {
			v.t.Fatal(err)
		}
		if n > 0 {
			out = append(out, c.table+"."+c.column)
		}
	}
	return out
}
