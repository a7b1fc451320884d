package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/gongsync/gongsync/internal/config"
	gsync "github.com/gongsync/gongsync/sync"
)

func runStatus(ctx context.Context, m *Main, args []string) error {
	c := newCLI(m, "status", "[--json]", `
Show each stream's high-water mark, open window and cursor, and last run; the day's
request budget (used, left, when it resets); pending transcripts; and rows per table.
Reads Postgres only: it sends nothing to Gong.`, config.Database|config.Budget)
	asJSON := c.fs.Bool("json", false, "print JSON")
	cfg, err := c.parse(args)
	if err != nil {
		return err
	}
	log := c.logger(cfg)
	a, err := openApp(ctx, cfg, log, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	s, err := a.engine.Status(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	printStatus(m, s)
	return nil
}

func printStatus(m *Main, s *gsync.Status) {
	w := m.Stdout
	ts := func(t *time.Time) string {
		if t == nil {
			return "–"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	}
	fmt.Fprintln(w, "STREAMS")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  STREAM\tHIGH-WATER MARK\tOPEN WINDOW\tCURSOR\tLAST COMPLETE\tLAST RUN\tRESULT")
	for _, st := range s.Streams {
		window := "–"
		if st.WindowFrom != nil {
			window = ts(st.WindowFrom) + " → " + ts(st.WindowTo)
			if st.LastStarted != nil {
				window += " (at " + ts(st.LastStarted) + ")"
			}
		}
		if st.Stream == gsync.StreamBackfill && st.BackfillFrom != nil {
			state := "in progress"
			if st.BackfillDone {
				state = "complete"
			}
			window = fmt.Sprintf("%s → %s, %s; %s", st.BackfillFrom.UTC().Format(time.DateOnly), st.BackfillTo.UTC().Format(time.DateOnly), state, window)
		}
		cursor := "–"
		if st.Cursor != "" {
			cursor = st.Cursor
		}
		lastRun, result := "never", ""
		if r := st.LastRun; r != nil {
			lastRun = ts(&r.StartedAt) + " (" + r.Kind + ")"
			result = fmt.Sprintf("%s, %d requests, %d records", r.Status, r.Requests, r.Records)
			if r.Late+r.Changed+r.Deleted+r.Restored > 0 {
				result += fmt.Sprintf(", late %d changed %d deleted %d restored %d", r.Late, r.Changed, r.Deleted, r.Restored)
			}
			if r.Error != "" {
				result += ": " + r.Error
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", st.Stream, ts(st.HighWaterMark), window, cursor, ts(st.CompletedAt), lastRun, result)
	}
	tw.Flush()
	printRefusals(m, s)
	b := s.Budget
	fmt.Fprintf(w, "\nBUDGET (%s, %s)\n  used %d of %d, %d left; backfills used %d of %d; resets at %s (in %s)\n",
		b.Day, b.TimeZone, b.Used, b.Limit, b.Left, b.BackfillUsed, b.BackfillLimit,
		b.ResetsAt.UTC().Format(time.RFC3339), (time.Duration(b.ResetsInSeconds) * time.Second).String())
	newest := "–"
	if s.NewestCall != nil {
		newest = ts(s.NewestCall) + " (" + s.Now.Sub(*s.NewestCall).Round(time.Minute).String() + " ago)"
	}
	fmt.Fprintf(w, "\nNEWEST CALL  %s\nTRANSCRIPTS PENDING  %d\n\nROWS\n", newest, s.PendingTranscripts)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	for _, t := range s.Tables {
		fmt.Fprintf(tw, "  %s\t%d\t\n", t.Table, t.Rows)
	}
	tw.Flush()
}

// printRefusals lists the streams Gong refused for want of a scope, with the scope to
// grant: nothing when there are none.
func printRefusals(m *Main, s *gsync.Status) {
	first := true
	for _, st := range s.Streams {
		r := st.Refused
		if r == nil {
			continue
		}
		if first {
			fmt.Fprintln(m.Stdout, "\nREFUSED BY GONG (grant the scope to the app, then `gongsync sync --streams STREAM` asks again at once)")
			first = false
		}
		fmt.Fprintf(m.Stdout, "  %s: %s needs the scope %s; refused at %s, asked again after %s\n", st.Stream, r.Endpoint, r.Scope,
			r.At.UTC().Format(time.RFC3339), r.Until.UTC().Format(time.RFC3339))
	}
}
