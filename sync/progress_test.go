package sync

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// cancelOnTranscripts cancels a context when the first transcript request goes out:
// a Ctrl-C while a transcript batch is in flight.
type cancelOnTranscripts struct {
	next   http.RoundTripper
	cancel atomic.Pointer[context.CancelFunc]
}

func (c *cancelOnTranscripts) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/calls/transcript") {
		if f := c.cancel.Swap(nil); f != nil {
			(*f)()
		}
	}
	return c.next.RoundTrip(r)
}

// The backfill's progress carries live figures: the requests spent so far grow frame
// by frame with the budget left falling as much, and a frame drawn after a Ctrl-C (the
// transcript batch in flight finishes) still reads the budget.
func TestBackfillProgressCarriesLiveFigures(t *testing.T) {
	t.Parallel()
	hook := &cancelOnTranscripts{}
	const daily = 1000
	v := newEnv(t, envOptions{budget: daily, fake: quiet(fakegong.Options{Calls: 450}),
		transport: func(rt http.RoundTripper) http.RoundTripper { hook.next = rt; return hook }})
	var frames []BackfillProgress
	req := BackfillRequest{From: day0, To: day0.AddDate(0, 0, 30), Progress: func(p BackfillProgress) { frames = append(frames, p) }}

	// Interrupted when the first transcript request goes out.
	ctx, cancel := context.WithCancel(v.ctx)
	defer cancel()
	hook.cancel.Store(&cancel)
	if _, err := v.engine.Backfill(ctx, req); err == nil {
		t.Fatal("the interrupted backfill returned no error")
	}
	if len(frames) == 0 {
		t.Fatal("no progress frame")
	}
	last := frames[len(frames)-1]
	u, err := v.budget.Usage(v.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last.Phase != "transcripts" || last.BudgetLeft != daily-u.Requests || last.Requests != u.Requests {
		t.Fatalf("the frame after the interruption: %+v; want the transcripts, %d requests spent and %d left", last, u.Requests, daily-u.Requests)
	}

	// Resumed to the end: every frame says what was spent by then.
	frames = nil
	rep, err := v.engine.Backfill(v.ctx, req)
	if err != nil || !rep.Done {
		t.Fatalf("resumed backfill: %v, %+v", err, rep)
	}
	spentBefore := u.Requests
	prev := BackfillProgress{Requests: -1}
	for i, p := range frames {
		if p.Requests < prev.Requests {
			t.Errorf("frame %d: %d requests after %d", i, p.Requests, prev.Requests)
		}
		if p.BudgetLeft != daily-spentBefore-p.Requests {
			t.Errorf("frame %d (%s): %d requests and %d left; the day's budget is %d with %d spent before", i, p.Phase, p.Requests, p.BudgetLeft, daily, spentBefore)
		}
		prev = p
	}
	if first, last := frames[0], frames[len(frames)-1]; first.Requests >= last.Requests || last.Requests != rep.Requests {
		t.Errorf("requests went from %d to %d over the frames; the backfill spent %d", first.Requests, last.Requests, rep.Requests)
	}
}
