package gongapi

import (
	"bytes"
	"encoding/json"
	"runtime"
	"sync"
	"sync/atomic"
)

// The records of a page are independent, and decoding them is most of what the
// client costs a sync (the profile of `make bench`: 60% of gongsync's CPU). While
// it decodes, nothing else runs: the fake or Gong has answered and Postgres waits
// for the rows. So a page is first cut into its records by a byte scanner that only
// matches brackets and quotes (a fraction of a decode's cost), then the records are
// decoded with json.Unmarshal on every core.
//
// encoding/json stays the judge: every value the cut hands out is decoded or checked
// by it, the cut accepts only the grammar around them (one object, keys, colons,
// commas), and anything it does not like, or any record that fails, sends the whole
// page to streamDecodeRecords, whose result and errors are the reference. A page
// that decodes here decodes to the same records there (FuzzSplitDecodeMatchesStream).

// splitDecodeRecords decodes a page like streamDecodeRecords; false means it did not
// and the caller must use streamDecodeRecords.
func splitDecodeRecords[T any](spec *endpointSpec[T], body []byte) (pageBody[T], bool) {
	var pb pageBody[T]
	c := cutter{b: body}
	if !c.take('{') {
		return pb, false
	}
	if closed := c.take('}'); !closed {
		for {
			key, ok := c.key()
			if !ok || !c.take(':') {
				return pb, false
			}
			c.space()
			start := c.i
			switch key {
			case spec.items:
				if c.literal("null") {
					pb.items = nil
					break
				}
				raws, ok := c.array()
				if !ok {
					return pb, false
				}
				if pb.items, ok = decodeAll(spec, raws, len(body)); !ok {
					return pb, false
				}
			default:
				end := valueEnd(body, start)
				if end < 0 {
					return pb, false
				}
				c.i = end
				v := body[start:end]
				var err error
				switch key {
				case "requestId":
					err = json.Unmarshal(v, &pb.requestID)
				case "records":
					err = json.Unmarshal(v, &pb.records)
				default:
					if !json.Valid(v) {
						return pb, false
					}
				}
				if err != nil {
					return pb, false
				}
			}
			if c.take(',') {
				continue
			}
			if !c.take('}') {
				return pb, false
			}
			break
		}
	}
	c.space()
	return pb, c.i == len(body)
}

// decodeAll decodes the records with json.Unmarshal over up to GOMAXPROCS
// goroutines and hands each its raw bytes, all in one allocation as the stream
// decoder does.
func decodeAll[T any](spec *endpointSpec[T], raws [][]byte, bodyLen int) ([]T, bool) {
	items := make([]T, len(raws), max(len(raws), 100))
	var failed atomic.Bool
	var next atomic.Int64
	work := func() {
		for !failed.Load() {
			i := int(next.Add(1) - 1)
			if i >= len(raws) {
				return
			}
			if json.Unmarshal(raws[i], spec.target(&items[i])) != nil {
				failed.Store(true)
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), (len(raws)+9)/10)
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	if failed.Load() {
		return nil, false
	}
	if spec.setRaw != nil {
		slab := make([]byte, 0, bodyLen)
		for i, raw := range raws {
			off := len(slab)
			slab = append(slab, raw...)
			spec.setRaw(&items[i], slab[off:len(slab):len(slab)])
		}
	}
	return items, true
}

// cutter walks the grammar around a page's values.
type cutter struct {
	b []byte
	i int
}

func (c *cutter) space() {
	for c.i < len(c.b) {
		switch c.b[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

// take consumes ch, after blanks, if it is next.
func (c *cutter) take(ch byte) bool {
	c.space()
	if c.i < len(c.b) && c.b[c.i] == ch {
		c.i++
		return true
	}
	return false
}

// literal consumes the word w when it is the whole value at the cursor.
func (c *cutter) literal(w string) bool {
	end := c.i + len(w)
	if end > len(c.b) || string(c.b[c.i:end]) != w {
		return false
	}
	if end < len(c.b) {
		switch c.b[end] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
		default:
			return false
		}
	}
	c.i = end
	return true
}

// key reads an object key, decoded as encoding/json decodes it.
func (c *cutter) key() (string, bool) {
	c.space()
	if c.i >= len(c.b) || c.b[c.i] != '"' {
		return "", false
	}
	end := valueEnd(c.b, c.i)
	if end < 0 {
		return "", false
	}
	raw := c.b[c.i:end]
	c.i = end
	if bytes.IndexByte(raw, '\\') < 0 && json.Valid(raw) {
		return string(raw[1 : len(raw)-1]), true
	}
	var k string
	if json.Unmarshal(raw, &k) != nil {
		return "", false
	}
	return k, true
}

// array cuts the array at the cursor into its elements, each an object (records
// are objects: anything else goes to the stream decoder, which says so).
func (c *cutter) array() ([][]byte, bool) {
	if !c.take('[') {
		return nil, false
	}
	raws := make([][]byte, 0, 100)
	if c.take(']') {
		return raws, true
	}
	for {
		c.space()
		if c.i >= len(c.b) || c.b[c.i] != '{' {
			return nil, false
		}
		end := valueEnd(c.b, c.i)
		if end < 0 {
			return nil, false
		}
		raws = append(raws, c.b[c.i:end])
		c.i = end
		if c.take(',') {
			continue
		}
		return raws, c.take(']')
	}
}

// valueEnd returns the end of the JSON value starting at b[i] (an object, array,
// string, number or literal), or -1 when it is not closed. It matches brackets and
// quotes only; encoding/json checks the value itself.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		for i++; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return -1
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end := valueEnd(b, i)
				if end < 0 {
					return -1
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	default:
		for j := i; j < len(b); j++ {
			switch b[j] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if j == i {
					return -1
				}
				return j
			}
		}
		return len(b)
	}
}
