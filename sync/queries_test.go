package sync

import (
	"testing"

	"github.com/gongsync/gongsync/gongapi/fakegong"
	"github.com/gongsync/gongsync/internal/examples"
)

// Every example query in docs/queries.sql runs against synced data and answers with
// rows: the examples users copy from are known to work on the schema as it is.
func TestExampleQueriesRunOnSyncedData(t *testing.T) {
	t.Parallel()
	now := day0.AddDate(0, 0, 31)
	v := newEnv(t, envOptions{fake: fakegong.Options{Calls: 600, From: day0, To: day0.AddDate(0, 0, 30), Clock: fakegong.NewVirtualClock(now)}})
	v.backfill(day0, now)
	v.pass()

	path, err := examples.DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	qs, err := examples.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 8 {
		t.Fatalf("%d example queries; at least eight are promised", len(qs))
	}
	for _, q := range qs {
		t.Run(q.Name, func(t *testing.T) {
			rows, err := v.st.Pool().Query(v.ctx, q.SQL)
			if err != nil {
				t.Fatalf("%v\n%s", err, q.SQL)
			}
			n := 0
			for rows.Next() {
				n++
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Errorf("no rows: the query answers nothing on a synced dataset")
			}
		})
	}
}
