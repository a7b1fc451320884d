package sync

import (
	"errors"
	"testing"
	"time"

	"github.com/gongsync/gongsync/store"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// The metrics the alerts are written against follow what the runs did: failures in a
// row per stream (cleared by a success), the transcript backlog after each transcripts
// run, and the end of the budget day the usage figures belong to.
func TestMetricsForAlertsFollowTheRuns(t *testing.T) {
	t.Parallel()
	// Calls up to the fake's now: a first calls run reads the last settle window.
	v := newEnv(t, envOptions{fake: fakegong.Options{Calls: 250, From: day0.AddDate(0, 0, 34), To: day0.AddDate(0, 0, 40)}})
	m := NewMetrics(prometheus.NewRegistry(), v.clock.Now)
	v.engine = New(v.st, v.client, v.budget, Options{Now: v.clock.Now, Metrics: m})

	inARow := func(stream string) float64 { return testutil.ToFloat64(m.failuresInARow.WithLabelValues(stream)) }
	if err := v.fake.SetFaults(fakegong.Faults{Forbidden: true}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		if r := v.engine.RunStream(v.ctx, StreamCalls, KindScheduled, false); r.Status != store.RunFailed {
			t.Fatalf("calls run %d with Gong answering 403: %s %v", i, r.Status, r.Err)
		}
		if got := inARow(StreamCalls); got != float64(i) {
			t.Fatalf("after %d failed calls runs: consecutive failures %v", i, got)
		}
	}
	if got := testutil.ToFloat64(m.runs.WithLabelValues(StreamCalls, string(KindScheduled), string(store.RunFailed))); got != 2 {
		t.Errorf("failed calls runs counted: %v", got)
	}
	if err := v.fake.SetFaults(fakegong.Faults{}); err != nil {
		t.Fatal(err)
	}
	v.run(StreamCalls)
	if got := inARow(StreamCalls); got != 0 {
		t.Errorf("after a successful calls run: consecutive failures %v", got)
	}
	if got := testutil.ToFloat64(m.loginRequired); got != 0 {
		t.Errorf("login required with an access key: %v", got)
	}

	// Every call synced waits for its transcript; a failing transcripts run leaves
	// them all due, a successful one leaves none.
	due := v.count("SELECT count(*) FROM gong.calls WHERE transcript_status = 'pending' AND deleted_at IS NULL")
	if due == 0 {
		t.Fatal("no call waits for its transcript: the test tests nothing")
	}
	if err := v.fake.SetFaults(fakegong.Faults{Forbidden: true}); err != nil {
		t.Fatal(err)
	}
	if r := v.engine.RunStream(v.ctx, StreamTranscripts, KindScheduled, false); r.Status != store.RunFailed {
		t.Fatalf("transcripts run with Gong answering 403: %s", r.Status)
	}
	if got := testutil.ToFloat64(m.transcriptsDue); got != float64(due) {
		t.Errorf("transcript backlog after a failed run: %v, want %d", got, due)
	}
	if got := inARow(StreamTranscripts); got != 1 {
		t.Errorf("transcripts: consecutive failures %v", got)
	}
	if err := v.fake.SetFaults(fakegong.Faults{}); err != nil {
		t.Fatal(err)
	}
	v.run(StreamTranscripts)
	if left := v.count("SELECT count(*) FROM gong.calls WHERE transcript_status = 'pending' AND transcript_next_attempt_at IS NULL"); left != 0 {
		t.Fatalf("%d calls never asked for", left)
	}
	if got := testutil.ToFloat64(m.transcriptsDue); got != 0 {
		t.Errorf("transcript backlog after a successful run: %v", got)
	}

	// The usage figures name the end of their budget day (UTC here).
	now := v.clock.Now().UTC()
	reset := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	if got := testutil.ToFloat64(m.budgetReset); got != float64(reset.Unix()) {
		t.Errorf("budget reset %v, want %v", time.Unix(int64(got), 0).UTC(), reset)
	}
	if used, left := testutil.ToFloat64(m.budgetUsed), testutil.ToFloat64(m.budgetLeft); used == 0 || used+left != 100_000 {
		t.Errorf("budget used %v, left %v", used, left)
	}
}

// A connection Gong refuses to refresh shows as needing a login until a run, after a
// new login, gets answers from Gong again.
func TestMetricsLoginRequiredUntilANewLogin(t *testing.T) {
	t.Parallel()
	w := newOAuthEnv(t, envOptions{fake: fakegong.Options{OAuthTokenLifetime: 10 * time.Minute}})
	m := NewMetrics(prometheus.NewRegistry(), w.clock.Now)
	w.engine = New(w.st, w.client, w.budget, Options{Now: w.clock.Now, Metrics: m, Logger: w.log})

	if _, err := w.app.Refresh(w.ctx, w.login.RefreshToken); err != nil { // spent elsewhere
		t.Fatal(err)
	}
	w.clock.Advance(10 * time.Minute)
	if _, err := w.engine.Pass(w.ctx, []string{StreamUsers}, KindScheduled, false); !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("pass with a spent refresh token: %v", err)
	}
	if got := testutil.ToFloat64(m.loginRequired); got != 1 {
		t.Fatalf("login required after invalid_grant: %v", got)
	}
	// A run that sends nothing proves nothing about the connection.
	if r := w.engine.RunStream(w.ctx, StreamTranscripts, KindScheduled, false); r.Status != store.RunSucceeded || r.Requests != 0 {
		t.Fatalf("transcripts with nothing to fetch: %s, %d requests", r.Status, r.Requests)
	}
	if got := testutil.ToFloat64(m.loginRequired); got != 1 {
		t.Fatalf("login required after a run that sent nothing: %v", got)
	}

	w.login = browserLogin(t, w.app)
	if _, err := w.tokens.Save(w.ctx, TokenFromLogin(w.login)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.engine.Pass(w.ctx, []string{StreamUsers}, KindScheduled, false); err != nil {
		t.Fatalf("after a new login: %v", err)
	}
	if got := testutil.ToFloat64(m.loginRequired); got != 0 {
		t.Errorf("login required after a new login and a successful run: %v", got)
	}
	if got := testutil.ToFloat64(m.failuresInARow.WithLabelValues(StreamUsers)); got != 0 {
		t.Errorf("users: consecutive failures %v", got)
	}
}
