package fakegong

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
)

// BenchmarkServeFullCalls measures what the fake costs a sync: pages of 100 calls
// with full content and the matching pages of transcripts, over loopback HTTP, read
// to the end but not decoded (decoding is the client's cost). It reports calls/s;
// the fake must manage well over 2,000 on one core so it is never the bottleneck.
func BenchmarkServeFullCalls(b *testing.B) {
	f := newFake(b, Options{Seed: 1, Calls: 20_000})
	f.Clock().Set(fixedNow)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	sel, _ := json.Marshal(gongapi.FullContentSelector())
	post := func(path, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, f.url+path, strings.NewReader(body))
		req.SetBasicAuth(DefaultAccessKey, DefaultAccessKeySecret)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d %v", path, resp.StatusCode, err)
		}
		var page struct{ Records pagination }
		// Only the cursor is needed; find it without decoding the whole page.
		if i := strings.Index(string(raw[:min(len(raw), 600)]), `"records":`); i >= 0 {
			dec := json.NewDecoder(strings.NewReader(string(raw[i+len(`"records":`) : min(len(raw), i+600)])))
			dec.Decode(&page.Records)
		}
		return len(raw), page.Records.Cursor
	}
	var bytes int64
	calls := 0
	callsCursor, trCursor := "", ""
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		body := `{"filter":{},"contentSelector":` + string(sel)
		if callsCursor != "" {
			body += `,"cursor":"` + callsCursor + `"`
		}
		n, next := post("/v2/calls/extensive", body+"}")
		bytes += int64(n)
		callsCursor = next
		tbody := `{"filter":{}`
		if trCursor != "" {
			tbody += `,"cursor":"` + trCursor + `"`
		}
		n, next = post("/v2/calls/transcript", tbody+"}")
		bytes += int64(n)
		trCursor = next
		calls += pageSize
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(calls)/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(bytes)/float64(calls), "bytes/call")
}

// BenchmarkBuildAndEncodeCall is the CPU cost of one full call and its transcript,
// without HTTP.
func BenchmarkBuildAndEncodeCall(b *testing.B) {
	s, err := New(Options{Seed: 1, Calls: 5000})
	if err != nil {
		b.Fatal(err)
	}
	d := s.Dataset()
	e := enc{loc: s.opts.CompanyLocation, b: make([]byte, 0, 1<<20)}
	now := fixedNow.UnixNano()
	i := 0
	for b.Loop() {
		m := d.calls[i%len(d.calls)]
		c := d.buildCall(&m, d.users, &fullSelection, now)
		tr := d.buildTranscript(&m, d.users, now)
		e.b = e.b[:0]
		e.call(&c)
		e.transcript(&tr)
		i++
	}
}

// BenchmarkGenerate measures generating a 100,000-call dataset.
func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		if _, err := New(Options{Seed: 1, Calls: 100_000, Users: 500}); err != nil {
			b.Fatal(err)
		}
	}
}
