package sync

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gongsync/gongsync/gongapi"
)

// Fuzz targets for the mapping of Gong's records onto rows (seed corpora in
// testdata/fuzz/). Whatever record the client managed to decode, CallRow and
// TranscriptRow must not panic, and what they return must be storable as it stands:
// a key, and text Postgres accepts (valid UTF-8, no NUL).

// checkText walks v (a row struct, its slices and pointers) and fails on any string
// Postgres text would refuse.
func checkText(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
			t.Fatalf("%s = %q: Postgres text cannot hold it", path, s)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			checkText(t, path, v.Elem())
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 { // JSON documents: checked by the caller
			return
		}
		for i := range v.Len() {
			checkText(t, path+"[]", v.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				checkText(t, path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		}
	}
}

// checkJSONB fails unless b is empty (SQL NULL) or a document jsonb accepts.
func checkJSONB(t *testing.T, what string, b []byte) {
	t.Helper()
	if len(b) > 0 && (!json.Valid(b) || strings.Contains(string(b), `\u0000`)) {
		t.Fatalf("%s %q: jsonb would refuse it", what, b)
	}
}

func FuzzCallRow(f *testing.F) {
	f.Add([]byte(`{"metaData":{"id":"1","title":"t","started":"2024-03-01T09:00:00Z"},"parties":[{"id":"p"}]}`))
	f.Fuzz(func(t *testing.T, record []byte) {
		var c gongapi.Call
		if json.Unmarshal(record, &c) != nil {
			return // the client refuses the page before the mapping sees it
		}
		if c.Problem() != "" {
			return // gongapi refuses the page (or webhook) before the mapping sees it
		}
		row := CallRow(&c)
		if row.ID == "" || row.ID != clean(string(c.MetaData.ID)) {
			t.Fatalf("row id %q for metaData.id %q", row.ID, c.MetaData.ID)
		}
		for i, p := range row.Parties {
			if p.PartyID == "" {
				t.Fatalf("party %d has no id", i)
			}
		}
		checkText(t, "call", reflect.ValueOf(row))
		checkJSONB(t, "raw", row.Raw)
		if len(row.Raw) == 0 {
			t.Fatal("no raw document")
		}
		for _, doc := range [][]byte{row.CallOutcome, row.KeyPoints, row.Highlights, row.Outline, row.Structure} {
			checkJSONB(t, "content block", doc)
		}
		// Each hit of a tracker is one row with its own index.
		seen := map[string]bool{}
		for _, o := range row.TrackerOccurrences {
			k := fmt.Sprintf("%s/%d", o.TrackerID, o.Index)
			if seen[k] {
				t.Fatalf("occurrence %s twice", k)
			}
			seen[k] = true
		}
	})
}

func FuzzTranscriptRow(f *testing.F) {
	f.Add([]byte(`{"callId":"1","transcript":[{"speakerId":"s","sentences":[{"start":0,"end":5,"text":"hello"}]}]}`))
	f.Fuzz(func(t *testing.T, record []byte) {
		var tr gongapi.CallTranscript
		if json.Unmarshal(record, &tr) != nil {
			return
		}
		row := TranscriptRow(&tr)
		want := 0
		for _, m := range tr.Transcript {
			want += len(m.Sentences)
		}
		if len(row.Sentences) != want {
			t.Fatalf("%d sentences from %d in the record", len(row.Sentences), want)
		}
		for i, s := range row.Sentences {
			if int(s.SentenceIndex) != i {
				t.Fatalf("sentence %d numbered %d", i, s.SentenceIndex)
			}
		}
		checkText(t, "transcript", reflect.ValueOf(row))
	})
}
