package gongapi_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// The sync must reach 1,000 calls/s with full content end to end against the fake on
// loopback; these measure the client's share of that (fetch + decode, fake included).
//
//	go test ./gongapi -run '^$' -bench . -benchtime 3x

func benchFake(b *testing.B, calls int) string {
	_, base := fake(b, fakegong.Options{Calls: calls})
	return base
}

func BenchmarkCallsExtensiveFullContent(b *testing.B) {
	base := benchFake(b, 2000)
	c, _ := client(b, base, nil)
	var calls, bytes int
	start := time.Now()
	for b.Loop() {
		for page, err := range c.CallsExtensive(b.Context(), window()) {
			if err != nil {
				b.Fatal(err)
			}
			calls += len(page.Items)
			for i := range page.Items {
				bytes += len(page.Items[i].Raw)
			}
		}
	}
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(calls)/secs, "calls/s")
	b.ReportMetric(float64(bytes)/float64(calls), "bytes/call")
}

func BenchmarkTranscripts(b *testing.B) {
	base := benchFake(b, 2000)
	c, _ := client(b, base, nil)
	var n, sentences int
	start := time.Now()
	for b.Loop() {
		for page, err := range c.Transcripts(b.Context(), gongapi.TranscriptRequest{Filter: window().Filter}) {
			if err != nil {
				b.Fatal(err)
			}
			n += len(page.Items)
			for _, t := range page.Items {
				for _, m := range t.Transcript {
					sentences += len(m.Sentences)
				}
			}
		}
	}
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(n)/secs, "transcripts/s")
	b.ReportMetric(float64(sentences)/float64(n), "sentences/call")
}

// BenchmarkDecodeCallsExtensivePage measures the client's decoding alone, on a page
// of 100 calls with full content, against plain json.Unmarshal of the same page.
func BenchmarkDecodeCallsExtensivePage(b *testing.B) {
	base := benchFake(b, 300)
	c, _ := client(b, base, nil)
	body, err := json.Marshal(window())
	if err != nil {
		b.Fatal(err)
	}
	raw, err := c.Do(b.Context(), "POST", "/v2/calls/extensive", nil, body)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("stream", func(b *testing.B) {
		b.SetBytes(int64(len(raw.Body)))
		for b.Loop() {
			page, err := gongapi.DecodeCallsExtensivePage(raw.Body)
			if err != nil || len(page.Items) != 100 {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "calls/s")
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(raw.Body)))
		for b.Loop() {
			var resp gongapi.CallsExtensiveResponse
			if err := json.Unmarshal(raw.Body, &resp); err != nil || len(resp.Calls) != 100 {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "calls/s")
	})
}
