package sync

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/catalog"
	"github.com/gongsync/gongsync/store"
)

// Erasing a person: privacy.erase-email and privacy.erase-phone.
//
// Gong erases an address over hours, and answers the erase request with only a
// requestId, even for an address it does not know. So the action first asks Gong what
// it holds for the address (the lookup: the only way to tell the user what will go),
// then asks Gong to erase it, then deletes gongsync's own copies at once and for good:
// every call where the address appears, with all its rows and transcript, and the
// address wherever else the schema holds it (store.EraseAddress). The erasure is
// recorded as a keyed hash of the address, never the address: while Gong is still
// erasing, the sync reads the calls again, and withoutErased keeps it from storing
// them.

// erasureKind is one of the two things Gong erases by.
type erasureKind struct {
	kind   string // email or phone, as erasures.kind holds it
	field  string // the action's input field
	lookup string // Gong's operation that lists what it holds
	purge  string // Gong's operation that erases
}

var (
	erasureEmail = erasureKind{"email", "emailAddress", "findAllReferencesToEmailAddress", "purgeEmailAddress"}
	erasurePhone = erasureKind{"phone", "phoneNumber", "findAllReferencesToPhoneNumber", "purgePhoneNumber"}
)

// Gong's statuses of an erase request, as erasures.gong_status holds them.
const (
	gongErasureRequested      = "requested"
	gongErasureMaybeRequested = "maybe_requested"
)

func eraseAction(k erasureKind) ownAction {
	return func(ctx context.Context, e *Engine, x *actionExec, in catalog.Input) (json.RawMessage, error) {
		return e.erase(ctx, x, k, in)
	}
}

// normalizedAddress is how an address is compared and hashed: an email in lower case,
// a phone number by its key (its last 10 digits).
func normalizedAddress(kind, addr string) string {
	addr = strings.TrimSpace(addr)
	if kind == erasurePhone.kind {
		return store.PhoneKey(addr)
	}
	return strings.ToLower(addr)
}

// addressHash is the keyed hash erasures.address_hash holds.
func addressHash(key []byte, kind, normalized string) [32]byte {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "gongsync erasure\x00%s\x00%s", kind, normalized)
	return [32]byte(m.Sum(nil))
}

// gongReferences is what Gong's lookup says it holds for an address, as counts and
// call ids: never the records themselves, which hold the address.
type gongReferences struct {
	Counts  map[string]int `json:"references"`
	CallIDs []string       `json:"callIds"`
}

// readReferences reads the lookup's answer (EmailAddressReferences or
// PhoneNumberReferences).
func readReferences(body []byte) (gongReferences, error) {
	var v map[string]json.RawMessage
	if err := json.Unmarshal(body, &v); err != nil {
		return gongReferences{}, fmt.Errorf("the lookup answer from Gong is not a JSON object: %w", err)
	}
	refs := gongReferences{Counts: map[string]int{}, CallIDs: []string{}}
	for _, k := range []string{"calls", "emails", "meetings", "customerData", "customerEngagement", "matchingPhoneNumbers", "emailAddresses"} {
		raw, ok := v[k]
		if !ok || bytes.Equal(raw, []byte("null")) {
			continue
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return gongReferences{}, fmt.Errorf("the lookup answer from Gong: %s is not an array: %w", k, err)
		}
		refs.Counts[k] = len(items)
		if k != "calls" {
			continue
		}
		for _, item := range items {
			var c struct {
				ID gongapi.ID `json:"id"`
			}
			if err := json.Unmarshal(item, &c); err != nil || c.ID == "" {
				return gongReferences{}, errors.New("the lookup answer from Gong: a call without an id")
			}
			refs.CallIDs = append(refs.CallIDs, string(c.ID))
		}
	}
	slices.Sort(refs.CallIDs)
	refs.CallIDs = slices.Compact(refs.CallIDs)
	return refs, nil
}

// erase runs one erasure (see the top of this file).
func (e *Engine) erase(ctx context.Context, x *actionExec, k erasureKind, in catalog.Input) (json.RawMessage, error) {
	addr := strings.TrimSpace(in[k.field].(string)) // the catalog checked it is a string of the right form
	dry, _ := in[catalog.DryRunField].(bool)
	norm := normalizedAddress(k.kind, addr)
	text := addr
	if k.kind == erasureEmail.kind {
		text = norm
	}
	x.redact = append(x.redact, addr, norm)
	match := store.AddressMatch{Text: text}
	if k.kind == erasurePhone.kind {
		match.PhoneKey = norm
	}
	query := catalog.Input{k.field: text}

	// What Gong holds: a read, retried like any other.
	lookup, err := gongOp(k.lookup, query)
	if err != nil {
		return nil, err
	}
	resp, err := x.send(ctx, lookup)
	if err != nil {
		return nil, fmt.Errorf("ask Gong what it holds for the %s: %w", k.field, err)
	}
	refs, err := readReferences(resp.Body)
	if err != nil {
		return nil, err
	}

	if dry {
		found, err := e.st.FindAddress(ctx, match)
		if err != nil {
			return nil, err
		}
		held, err := e.st.CallsHeld(ctx, refs.CallIDs)
		if err != nil {
			return nil, err
		}
		calls := slices.Compact(slices.Sorted(slices.Values(slices.Concat(found.CallIDs, held))))
		// The erasure deletes every row of these calls and of the calls Gong listed
		// (transcripts, parties, …) besides the other rows holding the address: count
		// them the same way, so that the dry run and the erasure agree.
		rows, err := e.st.CallRows(ctx, slices.Concat(found.CallIDs, refs.CallIDs))
		if err != nil {
			return nil, err
		}
		for t, n := range found.Rows {
			rows[t] += n
		}
		return json.Marshal(map[string]any{
			"dryRun": true,
			"gong":   refs,
			"local": map[string]any{
				"callsToDelete": len(calls), "callIds": nonNil(calls), "rowsToDelete": rows,
			},
		})
	}

	// Ask Gong to erase: a write, sent once. An answer that was lost may still mean
	// Gong took the request: the copies here go all the same (the user asked for the
	// address to go), and the record and the run say Gong's part is unsure.
	purge, err := gongOp(k.purge, query)
	if err != nil {
		return nil, err
	}
	purge.Once = true
	gongStatus, gongRequestID := gongErasureRequested, ""
	requestedAt := e.now()
	resp, err = x.send(ctx, purge)
	var unsure error
	switch {
	case err == nil:
		gongRequestID = resp.RequestID
	case errors.Is(err, gongapi.ErrMayHaveBeenApplied):
		gongStatus, unsure = gongErasureMaybeRequested, err
		var ae *gongapi.APIError
		if errors.As(err, &ae) {
			gongRequestID = ae.RequestID
		}
	default:
		return nil, fmt.Errorf("ask Gong to erase the %s: %w (nothing was deleted here)", k.field, err)
	}

	key, err := e.st.HashKey(ctx)
	if err != nil {
		return nil, err
	}
	hash := addressHash(key, k.kind, norm)
	erased, err := e.st.EraseAddress(context.WithoutCancel(ctx), match, store.Erasure{
		Kind: k.kind, AddressHash: hash[:], RequestedAt: requestedAt, ActionRunID: x.runID, GongStatus: gongStatus, GongRequestID: gongRequestID,
		GongCallIDs: refs.CallIDs, GongReferences: refs.Counts,
	})
	if err != nil {
		return nil, fmt.Errorf("deleting the copies here failed, after Gong was asked to erase the %s (requestId %s): %w; run the action again",
			k.field, gongRequestID, err)
	}
	e.log.Info().Str("action", "privacy.erase-"+k.kind).Int64("erasure", erased.ID).Int("calls_deleted", erased.CallsDeleted).
		Interface("rows_deleted", erased.Rows).Str("gong_status", gongStatus).Str("request_id", gongRequestID).
		Msg("address erased from the synced tables; Gong erases its copies over the next hours")
	if unsure != nil {
		return nil, fmt.Errorf("deleted here: %d calls and %d other rows (erasure %d); Gong's erase: %w; run the action again to be sure Gong has it",
			erased.CallsDeleted, sum(erased.Rows), erased.ID, unsure)
	}
	return json.Marshal(map[string]any{
		"erasureId": erased.ID,
		"gong": map[string]any{
			"requestId": gongRequestID, "status": gongStatus, "references": refs.Counts, "callIds": refs.CallIDs,
		},
		"local": map[string]any{
			"callsDeleted": erased.CallsDeleted, "callIds": nonNil(erased.CallIDs), "rowsDeleted": erased.Rows,
		},
	})
}

// gongOp is the client's request for one of Gong's operations with a checked input.
func gongOp(name string, in catalog.Input) (gongapi.Operation, error) {
	spec, err := catalog.Find(name)
	if err != nil {
		return gongapi.Operation{}, err
	}
	r, err := spec.Request(in)
	if err != nil {
		return gongapi.Operation{}, err
	}
	return gongOperation(spec, r, false), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// withoutErased leaves out of rows the calls an erasure said must not be stored
// again: those it deleted or Gong listed, and those that carry an erased address and
// started before it was erased (later calls with the person are new data Gong keeps).
// It runs in the transaction that writes the rows, under the shared erasure lock
// (store.Tx.Erasures), so an erasure committing meanwhile cannot be missed.
func (e *Engine) withoutErased(ctx context.Context, tx *store.Tx, rows []store.Call) ([]store.Call, error) {
	set, err := tx.Erasures(ctx)
	if err != nil {
		return nil, err
	}
	if set.Empty() {
		return rows, nil
	}
	var key []byte
	var last time.Time
	for _, at := range set.Hashes {
		if at.After(last) {
			last = at
		}
	}
	if len(set.Hashes) > 0 {
		if key, err = e.st.HashKey(ctx); err != nil {
			return nil, err
		}
	}
	kept := make([]store.Call, 0, len(rows))
	var left []string
	for i := range rows {
		c := &rows[i]
		if set.CallIDs[c.ID] || (key != nil && (c.Started == nil || c.Started.Before(last)) && carriesErased(key, set, c)) {
			left = append(left, c.ID)
			continue
		}
		kept = append(kept, *c)
	}
	if len(left) > 0 {
		e.log.Info().Strs("call_ids", left).Msg("calls with an erased address left out: Gong is still erasing them")
	}
	return kept, nil
}

// carriesErased reports whether a call holds, anywhere in what Gong sent, an address
// erased after the call started.
func carriesErased(key []byte, set *store.ErasureSet, c *store.Call) bool {
	erasedAfterStart := func(kind, normalized string) bool {
		at, ok := set.Hashes[addressHash(key, kind, normalized)]
		return ok && (c.Started == nil || c.Started.Before(at))
	}
	found := false
	walkStrings(c.Raw, func(s string) bool {
		if set.Kinds[erasureEmail.kind] && strings.Contains(s, "@") {
			for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r <= ' ' || strings.ContainsRune(`<>,;:"'()[]{}`, r) }) {
				if strings.Contains(tok, "@") && erasedAfterStart(erasureEmail.kind, normalizedAddress(erasureEmail.kind, strings.TrimRight(tok, "."))) {
					found = true
					return false
				}
			}
		}
		if set.Kinds[erasurePhone.kind] && catalog.PhoneNumber(strings.TrimSpace(s)) &&
			erasedAfterStart(erasurePhone.kind, normalizedAddress(erasurePhone.kind, s)) {
			found = true
			return false
		}
		return true
	})
	return found
}

// walkStrings calls fn with every string of a JSON document (keys included) until fn
// returns false. A document that does not parse is walked as far as it does.
func walkStrings(doc []byte, fn func(string) bool) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err == io.EOF || err != nil {
			return
		}
		if s, ok := tok.(string); ok && !fn(s) {
			return
		}
	}
}
