package sync

import (
	"testing"

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
