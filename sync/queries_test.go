package sync

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/examples"
)

// Every example query in docs/queries.sql runs against synced data and answers with
// rows that make sense: each has a check (queries_checks_test.go) that holds its
// answer against the tables or the arithmetic it promises, so the examples users
// copy from are known to answer their question on the schema as it is. The data
// spans 90 days, so "the last 30 days" leaves deals behind, and one call in twenty
// (and the latest call of a third of the opportunities) is deleted, so an answer
// that counts deleted calls differs from its check.
func TestExampleQueriesAnswerPlausiblyOnSyncedData(t *testing.T) {
	if testing.Short() {
		t.Skip("900 calls synced for the example queries: long scenario; runs in make test")
	}
	t.Parallel()
	now := day0.AddDate(0, 0, 91)
	v := newEnv(t, envOptions{fake: fakegong.Options{Calls: 900, From: day0, To: day0.AddDate(0, 0, 90), Clock: fakegong.NewVirtualClock(now)}})
	v.backfill(day0, now)
	v.pass()
	for _, gone := range []string{
		`UPDATE calls SET deleted_at = now() WHERE deleted_at IS NULL AND hashtext(id) % 20 = 0`,
		// The latest call of a third of the opportunities: their answers must fall
		// back to the call before.
		`UPDATE calls SET deleted_at = now() WHERE hashtext(id) % 3 = 0 AND id IN (
			SELECT DISTINCT ON (o.object_id) o.call_id FROM call_crm_objects o JOIN calls c ON c.id = o.call_id AND c.deleted_at IS NULL
			WHERE o.object_type = 'Opportunity' ORDER BY o.object_id, c.started DESC)`,
	} {
		if _, err := v.st.Pool().Exec(v.ctx, gone); err != nil {
			t.Fatal(err)
		}
	}

	path, err := examples.DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	qs, err := examples.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 14 {
		t.Fatalf("%d example queries; at least fourteen are promised", len(qs))
	}
	for _, q := range qs {
		t.Run(q.Name, func(t *testing.T) {
			rows, err := v.st.Pool().Query(v.ctx, q.SQL)
			if err != nil {
				t.Fatalf("%v\n%s", err, q.SQL)
			}
			answer, err := readAnswer(rows)
			if err != nil {
				t.Fatal(err)
			}
			if len(answer) == 0 {
				t.Fatalf("no rows: the query answers nothing on a synced dataset")
			}
			check, ok := plausible[q.Name]
			if !ok {
				t.Fatalf("no check of its answer in plausible (queries_checks_test.go): running is not answering")
			}
			check(&answerCheck{t: t, v: v, rows: answer})
		})
	}
}

// calls_per_opportunity answers what it says, as computed here from the stored CRM
// objects: for each opportunity, its calls, and its stage and amount at its latest
// call (Gong's TimeOfCall rows, not Now's; amounts compared as numbers). The
// simulated Gong's opportunities change stage and amount between calls and are
// closed at another amount now, so a query that mixes the timings or takes the
// largest amount as text answers differently.
func TestCallsPerOpportunityAnswersAtTheLatestCall(t *testing.T) {
	if testing.Short() {
		t.Skip("800 calls synced over 60 days: long scenario; runs in make test")
	}
	t.Parallel()
	now := day0.AddDate(0, 0, 61)
	v := newEnv(t, envOptions{fake: fakegong.Options{Calls: 800, From: day0, To: day0.AddDate(0, 0, 60), Clock: fakegong.NewVirtualClock(now)}})
	v.backfill(day0, now)

	type call struct {
		id      string
		started time.Time
		stage   string
		amount  float64
	}
	latest := map[string]call{} // by opportunity
	calls := map[string]int{}
	amounts := map[string]map[float64]bool{}
	nowDiffers := 0
	rows, err := v.st.Pool().Query(v.ctx, `SELECT o.object_id, o.call_id, c.started, o.timing, o.fields
		FROM call_crm_objects o JOIN calls c ON c.id = o.call_id AND c.deleted_at IS NULL
		WHERE o.object_type = 'Opportunity'`)
	if err != nil {
		t.Fatal(err)
	}
	atCall := map[string]float64{} // call id → amount at call, to compare with Now
	nowAmount := map[string]float64{}
	for rows.Next() {
		var opp, id, timing string
		var started time.Time
		var fields []struct {
			Name  string          `json:"name"`
			Value json.RawMessage `json:"value"`
		}
		if err := rows.Scan(&opp, &id, &started, &timing, &fields); err != nil {
			t.Fatal(err)
		}
		c := call{id: id, started: started}
		for _, f := range fields {
			switch f.Name {
			case "StageName":
				_ = json.Unmarshal(f.Value, &c.stage)
			case "Amount":
				_ = json.Unmarshal(f.Value, &c.amount)
			}
		}
		if timing == "Now" {
			nowAmount[id] = c.amount
			continue
		}
		atCall[id] = c.amount
		calls[opp]++
		if amounts[opp] == nil {
			amounts[opp] = map[float64]bool{}
		}
		amounts[opp][c.amount] = true
		if l, ok := latest[opp]; !ok || c.started.After(l.started) || (c.started.Equal(l.started) && c.id > l.id) {
			latest[opp] = c
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id, a := range atCall {
		if n, ok := nowAmount[id]; ok && n != a {
			nowDiffers++
		}
	}

	q := exampleQuery(t, "calls_per_opportunity")
	res, err := v.st.Pool().Query(v.ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	checked, moved := 0, 0
	for res.Next() {
		var opp, name, stage string
		var n int
		var first, last time.Time
		var amount float64
		if err := res.Scan(&opp, &name, &n, &first, &last, &stage, &amount); err != nil {
			t.Fatal(err)
		}
		want := latest[opp]
		if n != calls[opp] || stage != want.stage || amount != want.amount || !last.Equal(want.started.UTC().Truncate(24*time.Hour)) {
			t.Errorf("%s: %d calls, stage %q, amount %v, last call %s; want %d, %q, %v, %s",
				opp, n, stage, amount, last.Format(time.DateOnly), calls[opp], want.stage, want.amount, want.started.Format(time.DateOnly))
		}
		if len(amounts[opp]) > 1 {
			moved++
		}
		checked++
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	// The data must be able to catch the mistakes, or this test proves nothing.
	if checked == 0 || moved == 0 || nowDiffers == 0 {
		t.Fatalf("%d opportunities checked, %d with amounts that moved between calls, %d calls whose Now amount differs: the dataset cannot catch a wrong query",
			checked, moved, nowDiffers)
	}
}

// sync_health counts the calls waiting for a transcript as gongsync status does: both
// read the transcripts_waiting view.
func TestSyncHealthCountsTranscriptsAsStatusDoes(t *testing.T) {
	t.Parallel()
	now := day0.AddDate(0, 0, 30).Add(6 * time.Hour) // the newest calls' transcripts are not made yet
	v := newEnv(t, envOptions{fake: fakegong.Options{Calls: 300, From: day0, To: day0.AddDate(0, 0, 30), Clock: fakegong.NewVirtualClock(now)}})
	v.backfill(day0, now)
	st, err := v.engine.Status(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var newest *time.Time
	var waiting, due int
	var rest []any
	row := v.st.Pool().QueryRow(v.ctx, exampleQuery(t, "sync_health"))
	rest = []any{&newest, &waiting, &due, new(int64), new(int64), new(int64), new(*int)}
	if err := row.Scan(rest...); err != nil {
		t.Fatal(err)
	}
	dbNow, err := v.st.Now(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	atDBNow, err := v.st.CountTranscriptsWaiting(v.ctx, dbNow)
	if err != nil {
		t.Fatal(err)
	}
	if st.Transcripts.Waiting == 0 {
		t.Fatal("no call waits for a transcript: the test compares nothing")
	}
	if waiting != st.Transcripts.Waiting || due != atDBNow.DueNow {
		t.Errorf("sync_health: %d waiting, %d due; status: %d waiting, %d due at the database's now",
			waiting, due, st.Transcripts.Waiting, atDBNow.DueNow)
	}
}

func exampleQuery(t *testing.T, name string) string {
	t.Helper()
	path, err := examples.DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	qs, err := examples.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if q.Name == name {
			return q.SQL
		}
	}
	t.Fatalf("docs/queries.sql has no query %s", name)
	return ""
}
