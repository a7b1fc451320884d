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
			if pb.items, pb.rejected, fail = decodeArray(spec, dec, body); fail != nil {
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

// decodeArray decodes the records array (or null) at the decoder's position. A record
// that is well-formed JSON but does not decode into its type, or that spec.check
// refuses, is rejected on its own (its bytes copied out: the body is a pooled buffer)
// and the array goes on; JSON that is broken or cut short fails the whole array, since
// from there on nothing can be told apart.
func decodeArray[T any](spec *endpointSpec[T], dec *json.Decoder, body []byte) ([]T, []RejectedRecord, *decodeFailure) {
	outside := func(err error) ([]T, []RejectedRecord, *decodeFailure) {
		return nil, nil, &decodeFailure{index: -1, err: fmt.Errorf("%s: %w", spec.items, err)}
	}
	tok, err := dec.Token()
	switch {
	case err != nil:
		return outside(err)
	case tok == nil:
		return nil, nil, nil
	case tok != json.Delim('['):
		return outside(fmt.Errorf("want an array, got %v", tok))
	}
	var slab []byte // every record's raw bytes, back to back; never regrown
	if spec.setRaw != nil {
		slab = make([]byte, 0, len(body))
	}
	items := make([]T, 0, 100)
	var rejected []RejectedRecord
	for i := 0; dec.More(); i++ {
		start := dec.InputOffset()
		items = append(items, *new(T))
		item := &items[len(items)-1]
		err := dec.Decode(spec.target(item))
		// Decode consumes the whole value before it fills item, so even on a type
		// error the offsets bound the record.
		raw := trimRecord(body[start:min(dec.InputOffset(), int64(len(body)))])
		if err != nil {
			if !json.Valid(raw) {
				// The decoder could not find the record's end: the body is broken.
				return nil, nil, &decodeFailure{index: i, id: spec.rawID(raw), err: err}
			}
			items = items[:len(items)-1]
			rejected = append(rejected, RejectedRecord{Index: i, ID: spec.rawID(raw), Raw: bytes.Clone(raw), Err: err})
			continue
		}
		if problem := spec.check(item); problem != "" {
			rejected = append(rejected, RejectedRecord{Index: i, ID: string(spec.id(item)), Raw: bytes.Clone(raw), Err: errors.New(problem)})
			items = items[:len(items)-1]
			continue
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
	return items, rejected, nil
}

// decodeRecord decodes and checks one record of spec's endpoint on its own, exactly as
// a page would.
func decodeRecord[T any](spec *endpointSpec[T], raw []byte) (*T, error) {
	item := new(T)
	if err := json.Unmarshal(raw, spec.target(item)); err != nil {
		return nil, err
	}
	if problem := spec.check(item); problem != "" {
		return nil, errors.New(problem)
	}
	if spec.setRaw != nil {
		spec.setRaw(item, bytes.Clone(raw))
	}
	return item, nil
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
