package sync

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/gongsync/gongsync/store"
)

// The actions in the fault matrix: the endpoints the actions use (one call by id,
// paged users, workspaces, the data-privacy lookup and erase, users-access, adding a
// call, and calls.refresh's calls and transcripts) under each kind of fault, against a
// run of the same actions without faults.

const (
	eraseEmailEndpoint = "/v2/data-privacy/erase-data-for-email-address"
	addCallEndpoint    = "/v2/calls"
)

// actionStep is one action of the workload.
type actionStep struct {
	name, input string
	all         bool
	// once: a write sent at most once per run: a run that may have been applied is
	// not run again (the user would check in Gong first).
	once bool
	// added: addCall with a clientUniqueId; Gong's 409 for an id it already has means
	// an earlier run, whose answer was lost, added the call.
	added bool
}

// actionWorkload is the matrix's actions, built from the dataset (the same in every
// env: the same seed).
func actionWorkload(v *env) []actionStep {
	v.t.Helper()
	now := v.clock.Now()
	calls := v.fake.Dataset().VisibleCalls(now)
	user := v.fake.Dataset().UsersAt(now)[0].ID
	var emails []string
	for _, c := range calls {
		for _, p := range c.Parties {
			if p.EmailAddress != nil && !slices.Contains(emails, *p.EmailAddress) {
				emails = append(emails, *p.EmailAddress)
			}
		}
	}
	if len(emails) < 2 {
		v.t.Fatal("fewer than two email addresses in the dataset")
	}
	email := emails[0]
	var steps []actionStep
	for _, c := range calls[:10] {
		steps = append(steps, actionStep{name: "getCall", input: `{"id":"` + c.MetaData.ID + `"}`})
	}
	steps = append(steps,
		actionStep{name: "listWorkspaces", input: `{}`},
		actionStep{name: "listUsers", input: `{}`, all: true},
		actionStep{name: "findAllReferencesToEmailAddress", input: `{"emailAddress":"` + email + `"}`},
		actionStep{name: "addUsersAccessToCalls", input: `{"callAccessList":[{"callId":"` + calls[0].MetaData.ID + `","userIds":["` + user + `"]}]}`},
		actionStep{name: "calls.refresh", input: `{"callIds":["` + calls[1].MetaData.ID + `","` + calls[2].MetaData.ID + `","` + calls[3].MetaData.ID + `"]}`},
		actionStep{name: "addCall", added: true, input: `{"clientUniqueId":"matrix-1","actualStart":"2024-03-02T10:00:00Z",
			"direction":"Outbound","primaryUser":"` + user + `","parties":[{"userId":"` + user + `"}]}`},
		actionStep{name: "purgeEmailAddress", input: `{"emailAddress":"` + email + `"}`, once: true},
		// The last step meets the case's own fault (scripted): the rates alone may spare
		// the one erase above.
		actionStep{name: "purgeEmailAddress", input: `{"emailAddress":"` + emails[1] + `"}`, once: true},
	)
	return steps
}

// actionResults is what a workload ended with.
type actionResults struct {
	answers      map[int]string // step → its answer without Gong's requestId (reads and PUT)
	failures     int            // runs that failed and were run again
	maybeApplied int            // runs of once-steps that ended "may have been applied"
	onceRuns     int            // runs of once-steps, whatever their end
}

// runActions runs each step until it succeeds (a failed run is run again, at most
// limit times in all), except that a write sent once is never run again after it may
// have been applied. beforeLast, when not nil, runs before the last step.
func runActions(v *env, steps []actionStep, limit int, beforeLast func()) actionResults {
	v.t.Helper()
	res := actionResults{answers: map[int]string{}}
	for i, s := range steps {
		if i == len(steps)-1 && beforeLast != nil {
			beforeLast()
		}
		for {
			out, err := v.action(s.name, s.input, func(r *ActionRequest) { r.All = s.all })
			if s.once {
				res.onceRuns++
			}
			if err == nil {
				// calls.refresh's answer counts requests, which faults change; the others'
				// results are checked in Gong.
				if s.name != "calls.refresh" && !s.added && !s.once {
					res.answers[i] = withoutRequestID(v.t, out.Answer)
				}
				break
			}
			var ae *ActionError
			if !errors.As(err, &ae) {
				v.t.Fatalf("%s: %v is not an *ActionError", s.name, err)
			}
			if s.once && ae.Status == store.ActionMaybeApplied {
				res.maybeApplied++
				break
			}
			if s.added && errors.Is(err, gongapi.ErrBadRequest) && strings.Contains(err.Error(), "already exists") {
				break
			}
			if ae.Status != store.ActionFailed {
				v.t.Fatalf("%s: status %s: %v", s.name, ae.Status, err)
			}
			res.failures++
			if res.failures > limit {
				v.t.Fatalf("%s: still failing after %d failed runs: %v", s.name, res.failures, err)
			}
		}
	}
	return res
}

// withoutRequestID is an answer without its requestId, which Gong makes anew for each
// request.
func withoutRequestID(t *testing.T, answer []byte) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(answer, &m); err != nil {
		t.Fatalf("answer %s: %v", answer, err)
	}
	delete(m, "requestId")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// reachCounter counts the attempts of one endpoint that reached Gong, in the client's
// own transport: every attempt but those answered 429 (which Gong refuses before
// acting).
type reachCounter struct {
	next    http.RoundTripper
	path    string
	reached atomic.Int64
}

func (c *reachCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if req.Method == http.MethodPost && req.URL.Path == c.path && (err != nil || resp.StatusCode != http.StatusTooManyRequests) {
		c.reached.Add(1)
	}
	return resp, err
}

func TestActionFaultMatrix(t *testing.T) {
	t.Parallel()
	fake := func() fakegong.Options { return fakegong.Options{Calls: 120, Users: 230} }
	ref := newEnv(t, envOptions{fake: fake()})
	refResults := runActions(ref, actionWorkload(ref), 0, nil)
	reference := ref.dump()
	if len(reference["calls"]) != 3 || len(reference["transcript_sentences"]) == 0 {
		t.Fatalf("the fault-free run stored %d calls and %d sentences; want calls.refresh's 3 with transcripts",
			len(reference["calls"]), len(reference["transcript_sentences"]))
	}
	t.Logf("reference: %d requests for %d actions", ref.fake.Stats().Total, len(refResults.answers)+3)

	short := func(c *gongapi.Config) { c.RequestTimeout = 300 * time.Millisecond }
	cases := []struct {
		name   string
		faults fakegong.Faults
		client func(*gongapi.Config)
		want   []string // faults the fake must have injected, so the case met them
		// erase is the fault of the last erase request's first attempt, and whether
		// that run ends "may have been applied".
		erase       fakegong.Fault
		eraseUnsure bool
	}{
		{name: "500s and 502s", faults: fakegong.Faults{FailRate: 0.2,
			Script: []fakegong.Fault{fakegong.FaultNone, fakegong.Fault502}}, want: []string{"500", "502"},
			erase: fakegong.Fault500, eraseUnsure: true},
		{name: "responses past the client timeout", faults: fakegong.Faults{TimeoutRate: 0.2, Hang: 5 * time.Second},
			client: short, want: []string{"timeout"}, erase: fakegong.FaultTimeout, eraseUnsure: true},
		{name: "connections dropped mid-body", faults: fakegong.Faults{DropRate: 0.2}, want: []string{"drop"},
			erase: fakegong.FaultDrop, eraseUnsure: true},
		{name: "429s with Retry-After", faults: fakegong.Faults{Status429Rate: 0.3, RetryAfter: time.Millisecond}, want: []string{"429"},
			erase: fakegong.Fault429},
		{name: "429 with a Retry-After beyond the client's patience", want: []string{"429"},
			faults: fakegong.Faults{RetryAfter: time.Hour, Script: []fakegong.Fault{fakegong.FaultNone, fakegong.Fault429}},
			erase:  fakegong.Fault429},
		{name: "malformed, HTML and empty answers with 200", want: []string{"malformed", "html", "empty"},
			faults: fakegong.Faults{MalformedRate: 0.1, HTMLRate: 0.1, EmptyRate: 0.1}, erase: fakegong.FaultHTML, eraseUnsure: true},
		{name: "everything at once", client: short, want: []string{"500", "drop"},
			faults: fakegong.Faults{FailRate: 0.08, DropRate: 0.08, TimeoutRate: 0.05, Status429Rate: 0.08,
				MalformedRate: 0.05, Hang: 5 * time.Second, RetryAfter: time.Millisecond}, erase: fakegong.FaultDrop, eraseUnsure: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			erase := &reachCounter{path: eraseEmailEndpoint}
			add := &reachCounter{path: addCallEndpoint}
			v := newEnv(t, envOptions{fake: fake(), client: c.client, transport: func(rt http.RoundTripper) http.RoundTripper {
				erase.next, add.next = rt, erase
				return add
			}})
			if err := v.fake.SetFaults(c.faults); err != nil {
				t.Fatal(err)
			}
			scripted := c.faults
			scripted.Script = []fakegong.Fault{c.erase}
			res := runActions(v, actionWorkload(v), 40, func() {
				if err := v.fake.SetFaults(scripted); err != nil {
					t.Fatal(err)
				}
			})
			last := v.count(`SELECT (status = 'maybe_applied')::int FROM action_runs ORDER BY id DESC LIMIT 1`)
			s := v.fake.Stats()
			t.Logf("%s: %d requests (%v), faults %v; %d runs failed and were run again; the erase reached Gong %d times in %d runs (%d may have been applied); addCall reached it %d times",
				c.name, s.Total, s.Status, s.Faults, res.failures, erase.reached.Load(), res.onceRuns, res.maybeApplied, add.reached.Load())
			for _, f := range c.want {
				if s.Faults[f] == 0 {
					t.Errorf("the fake never injected a %s fault: the case tested nothing", f)
				}
			}

			// Reads and idempotent writes end with the answers of the fault-free run.
			for i, want := range refResults.answers {
				if got := res.answers[i]; got != want {
					t.Errorf("step %d: answer differs from the fault-free run's:\n got %.300s\nwant %.300s", i, got, want)
				}
			}
			if d := pgtest.DiffDumps(reference, v.dump()); d != "" {
				t.Errorf("calls.refresh left tables that differ from the fault-free run:\n%s", d)
			}
			calls := v.fake.Dataset().VisibleCalls(v.clock.Now())
			if got, want := v.fake.CallAccess(calls[0].MetaData.ID), ref.fake.CallAccess(calls[0].MetaData.ID); !slices.Equal(got, want) {
				t.Errorf("users-access: %v, want %v", got, want)
			}
			if n := len(v.fake.Uploads()); n != 1 {
				t.Errorf("addCall added %d calls, want 1", n)
			}

			// The erase, a write sent once: no run reached Gong twice.
			if n := erase.reached.Load(); n > int64(res.onceRuns) || n == 0 {
				t.Errorf("the erase reached Gong %d times in %d runs: a run sent it twice", n, res.onceRuns)
			}
			if n := len(v.fake.Erasures()); n > res.onceRuns || n == 0 {
				t.Errorf("Gong carried out %d erase requests for %d runs", n, res.onceRuns)
			}
			if (last == 1) != c.eraseUnsure {
				t.Errorf("the erase whose first attempt met a %s: recorded as may have been applied: %t, want %t", c.erase, last == 1, c.eraseUnsure)
			}
			if n := v.count(`SELECT count(*) FROM action_runs WHERE action = 'purgeEmailAddress' AND status = 'maybe_applied'`); n != res.maybeApplied {
				t.Errorf("%d runs recorded as may have been applied, %d reported", n, res.maybeApplied)
			}

			// Every request counted; every run recorded as ended.
			if counted := v.ledgerTotal(); counted != s.Total {
				t.Errorf("the ledger counted %d requests, the fake served %d", counted, s.Total)
			}
			var recorded int
			if err := v.st.Pool().QueryRow(v.ctx, `SELECT coalesce(sum(requests), 0) FROM action_runs`).Scan(&recorded); err != nil {
				t.Fatal(err)
			}
			if int64(recorded) != s.Total {
				t.Errorf("the runs recorded %d requests, the fake served %d", recorded, s.Total)
			}
			if n := v.count(`SELECT count(*) FROM action_runs WHERE finished_at IS NULL OR status = 'running'`); n != 0 {
				t.Errorf("%d action runs never recorded their end", n)
			}
			if n := v.count(`SELECT count(*) FROM sync_runs WHERE finished_at IS NULL OR status = 'running'`); n != 0 {
				t.Errorf("%d sync runs never recorded their end", n)
			}
		})
	}
}

// privacy.erase-email whose erase request reaches Gong and loses its answer: the
// request is not sent again, gongsync's copies go all the same, the erasure is recorded
// as maybe requested with Gong's requestId, the run as may have been applied, and
// neither the error nor the records name the address.
func TestEraseWhoseAnswerIsLost(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{})
	v.backfill(day0, day0.AddDate(0, 0, 30))
	email, ids := v.externalEmail()
	calls := v.count(`SELECT count(*) FROM calls`)
	v.fake.ResetStats()
	v.faults(fakegong.FaultNone, fakegong.FaultDrop) // the lookup answers; the erase's answer is cut

	_, err := v.action("privacy.erase-email", `{"emailAddress":"`+email+`"}`)
	ae := asActionError(t, err)
	if ae.Status != store.ActionMaybeApplied || !errors.Is(err, gongapi.ErrMayHaveBeenApplied) {
		t.Fatalf("status %s: %v", ae.Status, err)
	}
	if strings.Contains(strings.ToLower(err.Error()), email) {
		t.Errorf("the error names the address: %v", err)
	}
	if _, by := v.requests(); by["POST "+eraseEmailEndpoint] != 1 || by["GET /v2/data-privacy/data-for-email-address"] != 1 {
		t.Errorf("requests %v; want the lookup and the erase once each", by)
	}
	if len(v.fake.Erasures()) != 1 {
		t.Errorf("Gong took %d erase requests, want 1", len(v.fake.Erasures()))
	}
	if where := v.holding(email); where != nil {
		t.Errorf("the address is still in %v", where)
	}
	if n := v.count(`SELECT count(*) FROM calls`); n != calls-len(ids) {
		t.Errorf("%d calls left, want %d", n, calls-len(ids))
	}
	var status, requestID string
	if err := v.st.Pool().QueryRow(v.ctx, `SELECT gong_status, coalesce(gong_request_id, '') FROM erasures`).Scan(&status, &requestID); err != nil {
		t.Fatal(err)
	}
	run := v.actionRun(ae.RunID)
	if status != gongErasureMaybeRequested || requestID == "" || !slices.Contains(run.GongRequestIDs, requestID) {
		t.Errorf("erasure: %s, requestId %q; the run's requestIds %v", status, requestID, run.GongRequestIDs)
	}
	if run.Status != store.ActionMaybeApplied || run.Requests != 2 || run.Error == nil || !strings.Contains(*run.Error, "may have been applied") {
		t.Errorf("run record %+v", run)
	}

	// Run again, as the error says: Gong is asked once more, nothing is left to delete here.
	out, err := v.action("privacy.erase-email", `{"emailAddress":"`+email+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	var again struct {
		Local struct {
			CallsDeleted int `json:"callsDeleted"`
		} `json:"local"`
	}
	if err := json.Unmarshal(out.Answer, &again); err != nil || again.Local.CallsDeleted != 0 {
		t.Errorf("the second run: %s (%v)", out.Answer, err)
	}
	if n := v.count(`SELECT count(*) FROM erasures WHERE gong_status = 'requested'`); n != 1 || len(v.fake.Erasures()) != 2 {
		t.Errorf("%d erasures requested for sure, Gong took %d", n, len(v.fake.Erasures()))
	}
}

// Runs racing for one idempotency key, as two apps retrying at once would: the key's
// unique index lets one of them send, and every other either replays its answer or is
// refused because it has not finished; never a second request.
func TestIdempotencyKeyRacedByConcurrentRuns(t *testing.T) {
	t.Parallel()
	v := newEnv(t, envOptions{})
	// Each answer takes a while, so that the racers meet a run still going.
	if err := v.fake.SetFaults(fakegong.Faults{Latency: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	id := v.fake.Dataset().VisibleCalls(v.clock.Now())[0].MetaData.ID
	const racers = 8
	type result struct {
		out *ActionOutcome
		err error
	}
	results := make(chan result, racers)
	start := make(chan struct{})
	for range racers {
		go func() {
			<-start
			out, err := v.engine.RunAction(v.ctx, ActionRequest{Name: "getCall", Input: []byte(`{"id":"` + id + `"}`),
				IdempotencyKey: "race-1", AskedBy: AskedByHTTP})
			results <- result{out, err}
		}()
	}
	close(start)
	var sent, replayed, refused int
	for range racers {
		r := <-results
		var conflict *ActionConflictError
		switch {
		case r.err == nil && !r.out.Replayed:
			sent++
		case r.err == nil:
			replayed++
		case errors.As(r.err, &conflict) && strings.Contains(r.err.Error(), "has not finished"):
			refused++
		default:
			t.Errorf("a racer: %v", r.err)
		}
	}
	t.Logf("%d racers: %d sent, %d replayed, %d refused while it ran", racers, sent, replayed, refused)
	if total, _ := v.requests(); sent != 1 || total != 1 {
		t.Errorf("%d runs sent, %d requests served; want 1 and 1", sent, total)
	}
	if n := v.count(`SELECT count(*) FROM action_runs WHERE idempotency_key = 'race-1'`); n != 1 {
		t.Errorf("%d runs recorded with the key, want 1", n)
	}
}
