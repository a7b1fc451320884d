package gongapi

import (
	"reflect"
	"testing"
)

// Whatever splitDecodeRecords accepts, the stream decoder accepts too, with the same
// records, raw bytes included: the split is only ever a faster way to the same page.
func FuzzSplitDecodeMatchesStream(f *testing.F) {
	f.Add([]byte(`{"requestId":"r","records":{"cursor":"c","totalRecords":2},"calls":[{"metaData":{"id":"1","started":"2024-01-01T00:00:00.123-07:00","duration":60},"parties":[{"id":"9","speakerId":null,"methods":["Invitee"]}]},{"metaData":{"id":2,"title":"Caf\u00e9 ☕ {[\"]}"}}]}`))
	f.Add([]byte(" {\"calls\" : [ {\"metaData\":{\"id\":\"1\"}} ,\n{\"metaData\":{\"id\":\"3\"}} ] , \"records\":null}\n"))
	f.Add([]byte(`{"calls":[{"metaData":{"id":"1"}}],"calls":[]}`))
	f.Add([]byte(`{"calls":null,"extra":[1,{"x":"]"}],"n":-1.5e3,"t":true}`))
	f.Add([]byte(`{"calls":[null]}`))
	f.Add([]byte(`{"calls":[{"metaData":{"id":"1"}}{"metaData":{"id":"2"}}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"calls":[{"metaData":{"id":"1","title":"a` + "\x01" + `b"}}]}`))
	f.Add([]byte("{\"calls\":[{\"metaData\":{\"id\":\"1\",\"title\":\"\xff\"}}],\"c\\u0061lls\":[]}"))
	f.Add([]byte(`{"callTranscripts":[{"callId":"1","transcript":[{"speakerId":"5","topic":null,"sentences":[{"start":0,"end":1500,"text":"hello \"there\""}]}]}]}`))
	f.Add([]byte(`{"users":[{"id":"1","emailAddress":"a@b.c","active":true}],"records":{"cursor":""}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		check(t, callsExtensiveSpec, body)
		check(t, transcriptsSpec, body)
		check(t, usersSpec, body)
		check(t, callsSpec, body)
	})
}

func check[T any](t *testing.T, spec *endpointSpec[T], body []byte) {
	t.Helper()
	split, ok := splitDecodeRecords(spec, body)
	if !ok {
		return
	}
	stream, fail := streamDecodeRecords(spec, body)
	if fail != nil {
		t.Fatalf("%s: the split decoder accepted a page the stream decoder refuses: %v", spec.name, fail.err)
	}
	if !reflect.DeepEqual(split, stream) {
		t.Fatalf("%s: the split decoder read\n%#v\nthe stream decoder\n%#v", spec.name, split, stream)
	}
}

// A real page takes the split path, and an odd one still decodes (by the stream).
func TestSplitDecodeTakesWellFormedPages(t *testing.T) {
	good := []byte(`{"requestId":"abc","records":{"totalRecords":1,"currentPageSize":1,"currentPageNumber":0},
		"calls":[{"metaData":{"id":"7","title":"x"},"content":{"topics":[{"name":"Pricing","duration":12}]}}]}`)
	pb, ok := splitDecodeRecords(callsExtensiveSpec, good)
	if !ok || len(pb.items) != 1 || pb.requestID != "abc" || string(pb.items[0].Raw) != `{"metaData":{"id":"7","title":"x"},"content":{"topics":[{"name":"Pricing","duration":12}]}}` {
		t.Fatalf("split decode: ok %v, %+v", ok, pb)
	}
	odd := []byte(`{"calls":[null]}`)
	if _, ok := splitDecodeRecords(callsExtensiveSpec, odd); ok {
		t.Error("a null record took the split path")
	}
	if _, fail := decodeRecords(callsExtensiveSpec, odd); fail != nil {
		t.Errorf("the stream decoder no longer decodes %s: %v", odd, fail.err)
	}
}
