package gongapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Pages are decoded in one pass over the body. json.Unmarshal of a whole page would
// validate the body, skip over each record to hand its bytes to the record's
// UnmarshalJSON, which validates and decodes them again: four scans of every byte.
// Streaming the records through one json.Decoder scans each record once to find its
// end and once to decode it, and the decoder's offsets give the record's raw bytes
// for free, and its errors name the record that broke.
//
// A parallel decoder (a byte scanner cutting the page into records, decoded on every
// core) was tried and removed: on a 10,000-call backfill it changed gongsync's CPU
// by under 1% and its wall time within the run-to-run noise (paired farm-bench runs),
// because since blocks pass through as json.RawMessage, decoding is no longer most of
// the work.

// plainCall and plainUser are Call and User without their UnmarshalJSON, so the
// decoder fills them directly; decodeRecords sets Raw itself.
type (
	plainCall Call
	plainUser User
)

// decodeFailure says where a page failed to decode: index is the record (-1 when the
// failure is outside the records) and id its id, when one could be read.
type decodeFailure struct {
	index int
	id    string
	err   error
}

// decodeRecords decodes a paginated answer: requestId, records and spec.items, other
// keys skipped. The raw bytes of all records of a page share one allocation.
func decodeRecords[T any](spec *endpointSpec[T], body []byte) (pageBody[T], *decodeFailure) {
	var pb pageBody[T]
	outside := func(err error) (pageBody[T], *decodeFailure) {
		return pageBody[T]{}, &decodeFailure{index: -1, err: err}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := expectDelim(dec, '{'); err != nil {
		return outside(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return outside(err)
		}
		key, _ := tok.(string)
		switch key {
		case "requestId":
			err = dec.Decode(&pb.requestID)
		case "records":
			err = dec.Decode(&pb.records)
		case spec.items:
			var fail *decodeFailure
			if pb.items, fail = decodeArray(spec, dec, body); fail != nil {
				return pageBody[T]{}, fail
			}
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return outside(fmt.Errorf("%s: %w", key, err))
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return outside(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return outside(errors.New("data after the answer's JSON object"))
	}
	return pb, nil
}

// decodeArray decodes the records array (or null) at the decoder's position.
func decodeArray[T any](spec *endpointSpec[T], dec *json.Decoder, body []byte) ([]T, *decodeFailure) {
	outside := func(err error) ([]T, *decodeFailure) {
		return nil, &decodeFailure{index: -1, err: fmt.Errorf("%s: %w", spec.items, err)}
	}
	tok, err := dec.Token()
	switch {
	case err != nil:
		return outside(err)
	case tok == nil:
		return nil, nil
	case tok != json.Delim('['):
		return outside(fmt.Errorf("want an array, got %v", tok))
	}
	var slab []byte // every record's raw bytes, back to back; never regrown
	if spec.setRaw != nil {
		slab = make([]byte, 0, len(body))
	}
	items := make([]T, 0, 100)
	for i := 0; dec.More(); i++ {
		start := dec.InputOffset()
		items = append(items, *new(T))
		item := &items[len(items)-1]
		err := dec.Decode(spec.target(item))
		// Decode consumes the whole value before it fills item, so even on a type
		// error the offsets bound the record.
		raw := trimRecord(body[start:min(dec.InputOffset(), int64(len(body)))])
		if err != nil {
			return nil, &decodeFailure{index: i, id: spec.rawID(raw), err: err}
		}
		if spec.setRaw != nil {
			off := len(slab)
			slab = append(slab, raw...)
			spec.setRaw(item, slab[off:len(slab):len(slab)])
		}
	}
	if err := expectDelim(dec, ']'); err != nil {
		return outside(err)
	}
	return items, nil
}

// trimRecord drops the separator and blanks the decoder leaves before a value.
func trimRecord(b []byte) []byte {
	for len(b) > 0 {
		switch b[0] {
		case ',', ' ', '\t', '\r', '\n':
			b = b[1:]
		default:
			return bytes.TrimRight(b, " \t\r\n")
		}
	}
	return b
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("want %v, got %v", want, tok)
	}
	return nil
}
