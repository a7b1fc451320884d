package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The benchmarks measure ingest through the store beside a raw COPY of the same rows
// into tables without indexes or constraints: the ceiling of this machine and
// server. Floors (issue 2): 3,000 calls/s with their children, 100,000 transcript
// sentences/s, and at least half of the raw ceiling for each.
//
//	go test -run '^$' -bench . -benchtime=40x ./store/

const (
	benchPage       = 100 // calls per page, as Gong pages them
	benchTranscript = 10  // transcripts per write
	benchSentences  = 400 // sentences per transcript (a ~35-minute call)
)

func BenchmarkUpsertCalls(b *testing.B) {
	s := newStore(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		calls := page(i*benchPage, benchPage)
		b.StartTimer()
		err := s.Transact(ctx, func(tx *Tx) error {
			res, err := tx.UpsertCalls(ctx, calls)
			if err == nil && len(res.Inserted) != benchPage {
				err = fmt.Errorf("inserted %d", len(res.Inserted))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchPage)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkUpsertCallsUnchanged re-reads pages already stored: what an overlapping
// window costs.
func BenchmarkUpsertCallsUnchanged(b *testing.B) {
	s := newStore(b)
	ctx := context.Background()
	pages := make([][]Call, 20)
	for i := range pages {
		pages[i] = page(i*benchPage, benchPage)
		upsertCalls(b, s, pages[i])
	}
	b.ResetTimer()
	for i := range b.N {
		err := s.Transact(ctx, func(tx *Tx) error {
			res, err := tx.UpsertCalls(ctx, pages[i%len(pages)])
			if err == nil && res.Unchanged != benchPage {
				err = fmt.Errorf("unchanged %d", res.Unchanged)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchPage)/b.Elapsed().Seconds(), "calls/s")
}

func BenchmarkRawCopyCalls(b *testing.B) {
	s := newStore(b)
	ctx := context.Background()
	tables := rawTables(b, s, append([]string{"calls"}, childTableNames()...)...)
	hash := make([]byte, 32)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		calls := page(i*benchPage, benchPage)
		b.StartTimer()
		err := s.Transact(ctx, func(tx *Tx) error {
			rows := make([][]any, len(calls))
			for j := range calls {
				rows[j] = append(callEntity.shape.appendValues(nil, &calls[j]), hash)
			}
			if _, err := tx.tx.CopyFrom(ctx, pgx.Identifier{tables[0]}, append(append([]string{}, callEntity.shape.names...), "content_hash"), pgx.CopyFromRows(rows)); err != nil {
				return err
			}
			for k, ct := range callChildren {
				var rows [][]any
				for j := range calls {
					rows = ct.fill(&calls[j], rows)
				}
				if _, err := tx.tx.CopyFrom(ctx, pgx.Identifier{tables[k+1]}, ct.columnNames(), pgx.CopyFromRows(rows)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchPage)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkWriteTranscripts writes batches of transcripts of new calls: in one
// transaction (Tx.WriteTranscripts), and split over concurrent transactions
// (Store.SaveTranscripts), which is how the sync saves a page of transcripts.
func BenchmarkWriteTranscripts(b *testing.B) {
	for _, writers := range []int{1, DefaultTranscriptWriters} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := newStore(b)
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				ts := transcriptBatch(b, s, i)
				b.StartTimer()
				var n int
				var err error
				if writers == 1 {
					err = s.Transact(ctx, func(tx *Tx) error {
						n, err = tx.WriteTranscripts(ctx, ts)
						return err
					})
				} else {
					n, err = s.SaveTranscripts(ctx, ts, writers)
				}
				if err == nil && n != benchTranscript*benchSentences {
					err = fmt.Errorf("wrote %d sentences", n)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*benchTranscript*benchSentences)/b.Elapsed().Seconds(), "sentences/s")
		})
	}
}

// BenchmarkWriteTranscriptsPendingList writes like the sync (two transactions) into
// a full-text index whose fastupdate pending list may grow to 64 MB, set on the index,
// so that insertions only append and the index is merged in bulk. The merge is work
// deferred, not saved: the timed loop ends with gin_clean_pending_list, which does it.
// make bench reports it beside the default so the choice stays measured.
func BenchmarkWriteTranscriptsPendingList(b *testing.B) {
	s := newStore(b)
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, `ALTER INDEX transcript_sentences_text_idx SET (fastupdate = on, gin_pending_list_limit = 65536)`); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		ts := transcriptBatch(b, s, i)
		b.StartTimer()
		n, err := s.SaveTranscripts(ctx, ts, DefaultTranscriptWriters)
		if err == nil && n != benchTranscript*benchSentences {
			err = fmt.Errorf("wrote %d sentences", n)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.pool.Exec(ctx, `SELECT gin_clean_pending_list('transcript_sentences_text_idx'::regclass)`); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*benchTranscript*benchSentences)/b.Elapsed().Seconds(), "sentences/s")
}

func BenchmarkRawCopySentences(b *testing.B) {
	s := newStore(b)
	ctx := context.Background()
	table := rawTables(b, s, "transcript_sentences")[0]
	cols := []string{"call_id", "sentence_index", "monologue_index", "speaker_id", "topic", "start_ms", "end_ms", "text"}
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		ts := transcriptBatch(nil, nil, i)
		b.StartTimer()
		err := s.Transact(ctx, func(tx *Tx) error {
			var rows [][]any
			for _, t := range ts {
				for _, x := range t.Sentences {
					rows = append(rows, []any{t.CallID, x.SentenceIndex, x.MonologueIndex, x.SpeakerID, x.Topic, x.StartMs, x.EndMs, x.Text})
				}
			}
			_, err := tx.tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchTranscript*benchSentences)/b.Elapsed().Seconds(), "sentences/s")
}

// transcriptBatch builds the transcripts of write number i; when s is given, it first
// stores the calls they belong to.
func transcriptBatch(b testing.TB, s *Store, i int) []Transcript {
	ts := make([]Transcript, benchTranscript)
	calls := make([]Call, benchTranscript)
	for j := range ts {
		n := i*benchTranscript + j
		calls[j] = Call{ID: fmt.Sprintf("t%d", n), Raw: []byte(`{}`)}
		ts[j] = makeTranscript(calls[j].ID, n, benchSentences)
	}
	if s != nil {
		upsertCalls(b, s, calls)
	}
	return ts
}

func childTableNames() []string {
	var out []string
	for _, ct := range callChildren {
		out = append(out, ct.tableName())
	}
	return out
}

// rawTables creates, for each table, a copy of its columns with no index, key, default
// or constraint, compressed the same way, and returns their names.
func rawTables(b *testing.B, s *Store, tables ...string) []string {
	ctx := context.Background()
	var out []string
	for _, t := range tables {
		name := "raw_" + t
		if _, err := s.pool.Exec(ctx, "CREATE TABLE "+name+" AS SELECT * FROM "+t+" WITH NO DATA"); err != nil {
			b.Fatal(err)
		}
		rows, err := s.pool.Query(ctx, `SELECT attname::text, CASE attcompression WHEN 'l' THEN 'lz4' ELSE 'pglz' END
			FROM pg_attribute WHERE attrelid = $1::regclass AND attcompression <> ''`, t)
		if err != nil {
			b.Fatal(err)
		}
		var col, method string
		_, err = pgx.ForEachRow(rows, []any{&col, &method}, func() error {
			_, err := s.pool.Exec(ctx, "ALTER TABLE "+name+" ALTER COLUMN "+col+" SET COMPRESSION "+method)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, name)
	}
	return out
}

// costCalls and costSentences are the work BenchmarkTurnsAndChunksCost prices: 1,000
// calls' transcripts of 200 sentences, written a page of 100 at a time.
const (
	costCalls     = 1000
	costSentences = 200
)

// BenchmarkTurnsAndChunksCost prices keeping transcript_turns and transcript_chunks
// current (issue 27: at most 25% more Postgres CPU per 1,000 calls synced). Each
// iteration writes the transcripts of 1,000 new calls twice, paired, on the same
// database: once as sentences alone and once with their turns and chunks, in
// alternating order so that neither always runs on the warmer database. The calls
// are whole calls (parties, CRM objects), so the turns' speakers and the chunks'
// labels join real rows. It reports the wall time of each side and, when the server
// runs on this machine (pgtest's own cluster, not TEST_DATABASE_URL elsewhere), the
// CPU its processes spent, from /proc.
func BenchmarkTurnsAndChunksCost(b *testing.B) {
	s := newStore(b)
	ctx := context.Background()
	var wall, cpu [2]time.Duration // [0] sentences alone, [1] with turns and chunks
	cpuKnown := true
	next := 0
	for i := range b.N {
		for k := range 2 {
			with := (i+k)%2 == 1
			calls := make([]Call, costCalls)
			ts := make([]Transcript, costCalls)
			for j := range calls {
				calls[j] = makeCall(1_000_000 + next)
				ts[j] = makeTranscript(calls[j].ID, next, costSentences)
				next++
			}
			for p := 0; p < costCalls; p += benchPage {
				upsertCalls(b, s, calls[p:p+benchPage])
			}
			cpu0, ok := serverCPU(ctx, s)
			began := time.Now()
			for p := 0; p < costCalls; p += benchPage {
				err := s.Transact(ctx, func(tx *Tx) error {
					tx.ai.sentencesOnly = !with
					_, err := tx.WriteTranscripts(ctx, ts[p:p+benchPage])
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			side := 0
			if with {
				side = 1
			}
			wall[side] += time.Since(began)
			cpu1, ok1 := serverCPU(ctx, s)
			cpuKnown = cpuKnown && ok && ok1
			cpu[side] += cpu1 - cpu0
		}
	}
	n := float64(b.N)
	b.ReportMetric(wall[0].Seconds()*1000/n, "ms-sentences/1k-calls")
	b.ReportMetric(wall[1].Seconds()*1000/n, "ms-with-turns-chunks/1k-calls")
	b.ReportMetric(100*(wall[1].Seconds()/wall[0].Seconds()-1), "%-more-wall")
	if cpuKnown {
		b.ReportMetric(cpu[0].Seconds()*1000/n, "cpu-ms-sentences/1k-calls")
		b.ReportMetric(cpu[1].Seconds()*1000/n, "cpu-ms-with-turns-chunks/1k-calls")
		b.ReportMetric(100*(cpu[1].Seconds()/cpu[0].Seconds()-1), "%-more-cpu")
	}
	var turns, chunks int
	if err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM transcript_turns), (SELECT count(*) FROM transcript_chunks)`).
		Scan(&turns, &chunks); err != nil || turns == 0 || chunks == 0 {
		b.Fatalf("%d turns and %d chunks written (%v): the priced side wrote none", turns, chunks, err)
	}
}

// serverCPU is the CPU time the server's processes (backends and background
// processes, as pg_stat_activity lists them) have used, read from /proc; false when
// they are not on this machine.
func serverCPU(ctx context.Context, s *Store) (time.Duration, bool) {
	rows, err := s.pool.Query(ctx, `SELECT pid FROM pg_stat_activity`)
	if err != nil {
		return 0, false
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return 0, false
	}
	var total time.Duration
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0, false
		}
		// Fields 14 and 15 (utime, stime) in clock ticks, counted after the command
		// name's closing parenthesis (the name may hold spaces).
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 13 {
			return 0, false
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(ut+st) * time.Second / clockTicks
	}
	return total, true
}

// clockTicks is the kernel's USER_HZ, 100 on every Linux gongsync runs on.
const clockTicks = 100
