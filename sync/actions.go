package sync

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/catalog"
	"github.com/gongsync/gongsync/store"
)

// KindAction marks the requests of actions (gongsync action run, POST /actions/{name}):
// they take their slots in the day's budget like the sync's, but never from the
// backfills' share.
const KindAction RunKind = "action"

// Who asked for an action, as action_runs.asked_by records it.
const (
	AskedByCLI  = "cli"
	AskedByHTTP = "http"
)

// Answers of runs with an idempotency key are kept this long, and only up to this
// size: long enough for a caller to retry a request whose answer it lost, short
// enough that the copies of Gong's data in action_runs do not become a second,
// unsynced store of it.
const (
	answerKeptFor        = 24 * time.Hour
	maxAnswerKept        = 1 << 20
	maxIdempotencyKeyLen = 255
)

// ActionRequest is one run of an action, as the CLI or the HTTP server asks for it.
type ActionRequest struct {
	Name  string
	Input []byte // the input JSON object
	// All follows the cursors of a paged operation to its last page and returns every
	// record in one answer.
	All bool
	// IdempotencyKey, when set, makes a second run with the same key and input return
	// the first run's answer without sending anything; another input with the same
	// key is refused (*ActionConflictError).
	IdempotencyKey string
	AskedBy        string // AskedByCLI or AskedByHTTP
	// LocalFiles allows inputs that name a local file to upload (addCallRecording's
	// mediaFile). The HTTP server leaves it false: a caller over the network must not
	// have the daemon read its host's files and send them to Gong.
	LocalFiles bool
}

// ActionOutcome is a run that succeeded, or a replay of one.
type ActionOutcome struct {
	RunID      int64
	Action     string
	Answer     json.RawMessage
	RequestIDs []string
	Requests   int
	// Replayed: the answer is the one kept for the idempotency key; nothing was sent.
	Replayed bool
}

// ActionConflictError refuses a run because of its idempotency key: another run holds
// it with another input, is still running, may have been applied, or no longer has
// its answer. Nothing was sent.
type ActionConflictError struct {
	Key    string
	RunID  int64 // the run that holds the key
	Reason string
}

func (e *ActionConflictError) Error() string {
	return fmt.Sprintf("idempotency key %q: %s (run %d); nothing sent", e.Key, e.Reason, e.RunID)
}

// ActionError is a run that was recorded and did not succeed: Gong refused it, the
// budget did, it failed on the way, or (Status maybe_applied) a write reached Gong and
// its answer was lost. It unwraps to the cause: errors.Is(err, gongapi.ErrQuotaExhausted)
// and errors.Is(err, gongapi.ErrMayHaveBeenApplied) work.
type ActionError struct {
	RunID      int64
	Action     string
	Status     string // failed or maybe_applied
	RequestIDs []string
	Err        error
	// Detail, when set, replaces Err's text in Error: Err may quote the input (an
	// address being erased) where the text is recorded and logged.
	Detail string
}

func (e *ActionError) Error() string {
	msg := e.Detail
	if msg == "" {
		msg = e.Err.Error()
	}
	if e.Status == store.ActionMaybeApplied {
		return fmt.Sprintf("%s (run %d) may have been applied: %s; check in Gong before running it again", e.Action, e.RunID, msg)
	}
	return fmt.Sprintf("%s (run %d) failed: %s", e.Action, e.RunID, msg)
}

// Unwrap gives the cause.
func (e *ActionError) Unwrap() error { return e.Err }

// inputError is a catalog.InputError for a problem the catalog cannot see (a file to
// upload that is not there, --all on an operation that is not paged).
func inputError(action, path, msg string) error {
	return &catalog.InputError{Action: action, Problems: []catalog.Problem{{Path: path, Message: msg}}}
}

// actionPlan is a checked request, ready to run: everything that can be refused
// without spending a request has been.
type actionPlan struct {
	req    ActionRequest
	spec   *catalog.Spec
	in     catalog.Input
	gong   *catalog.Request // nil for an own action
	own    ownAction
	digest []byte
}

// ownAction runs one of gongsync's own actions and returns its answer.
type ownAction func(ctx context.Context, e *Engine, x *actionExec, in catalog.Input) (json.RawMessage, error)

// ownActions are the programs behind the catalog's own entries.
var ownActions = map[string]ownAction{
	"calls.refresh":       runCallsRefresh,
	"privacy.erase-email": eraseAction(erasureEmail),
	"privacy.erase-phone": eraseAction(erasurePhone),
}

// RunAction runs one action: checks its input against the catalog (an unknown action
// or a bad input is an error wrapping catalog.ErrUnknownAction or a
// *catalog.InputError, and nothing is spent), settles its idempotency key, records the
// run in action_runs, sends it through the client (the budget, its pace, retries;
// writes that are not idempotent are never sent twice) or runs gongsync's own
// program, and records how it ended.
func (e *Engine) RunAction(ctx context.Context, req ActionRequest) (*ActionOutcome, error) {
	p, err := e.planAction(ctx, req)
	if err != nil {
		return nil, err
	}
	if req.IdempotencyKey != "" {
		if out, err := e.replay(ctx, p); out != nil || err != nil {
			return out, err
		}
	}
	runID, err := e.st.StartActionRun(ctx, p.spec.Name, req.AskedBy, p.digest, req.IdempotencyKey)
	if errors.Is(err, store.ErrIdempotencyKeyTaken) {
		// Another run took the key between the check and now.
		if out, err := e.replay(ctx, p); out != nil || err != nil {
			return out, err
		}
		return nil, fmt.Errorf("idempotency key %q: taken by another run that is gone again; try again", req.IdempotencyKey)
	}
	if err != nil {
		return nil, err
	}
	return e.execute(ctx, p, runID)
}

// planAction checks everything about a request that needs no request to Gong.
func (e *Engine) planAction(ctx context.Context, req ActionRequest) (*actionPlan, error) {
	spec, in, err := catalog.Check(req.Name, req.Input)
	if err != nil {
		return nil, err
	}
	p := &actionPlan{req: req, spec: spec, in: in}
	if req.All && spec.Cursor == "" {
		return nil, inputError(spec.Name, "", "--all: "+spec.Name+" is not paged (it has no cursor to follow)")
	}
	if len(req.IdempotencyKey) > maxIdempotencyKeyLen || strings.ContainsFunc(req.IdempotencyKey, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return nil, inputError(spec.Name, "", fmt.Sprintf("the idempotency key must be at most %d characters, without control characters", maxIdempotencyKeyLen))
	}
	if spec.Endpoint() {
		if p.gong, err = spec.Request(in); err != nil {
			return nil, inputError(spec.Name, "", err.Error())
		}
		for name, path := range p.gong.Form {
			f, _ := spec.Input(name)
			if f.Schema.Format != catalog.FormatBinary {
				continue
			}
			if !req.LocalFiles {
				return nil, inputError(spec.Name, name, "uploads a local file, which is refused over HTTP: run it with gongsync action run on the host that has the file")
			}
			fi, err := os.Stat(path)
			switch {
			case err != nil:
				return nil, inputError(spec.Name, name, fmt.Sprintf("cannot read the file to upload: %v", err))
			case !fi.Mode().IsRegular():
				return nil, inputError(spec.Name, name, path+" is not a regular file")
			}
		}
	} else if p.own = ownActions[spec.Name]; p.own == nil {
		return nil, fmt.Errorf("%s: no program for this own action", spec.Name)
	}
	if p.digest, err = e.inputDigest(ctx, spec.Name, req.All, in); err != nil {
		return nil, err
	}
	return p, nil
}

// inputDigest is the keyed digest of a request: the action, --all and the checked
// input in a canonical form (object keys sorted, numbers as written), under the
// installation's hash key, so that an input (an address to erase, say) cannot be
// recovered from action_runs by hashing guesses without that key.
func (e *Engine) inputDigest(ctx context.Context, name string, all bool, in catalog.Input) ([]byte, error) {
	key, err := e.st.HashKey(ctx)
	if err != nil {
		return nil, err
	}
	canon, err := json.Marshal(map[string]any(in)) // map keys come out sorted
	if err != nil {
		return nil, fmt.Errorf("%s: canonical input: %w", name, err)
	}
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "gongsync action\x00%s\x00%t\x00", name, all)
	m.Write(canon)
	return m.Sum(nil), nil
}

// replay settles a request whose idempotency key is already in action_runs: the kept
// answer of the same request, or a refusal. (nil, nil) means the key is free.
func (e *Engine) replay(ctx context.Context, p *actionPlan) (*ActionOutcome, error) {
	key := p.req.IdempotencyKey
	runs, err := e.st.ActionRunsByKey(ctx, key)
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		if r.Action != p.spec.Name || !hmac.Equal(r.InputDigest, p.digest) {
			what := "another input"
			if r.Action != p.spec.Name {
				what = "the action " + r.Action
			}
			return nil, &ActionConflictError{Key: key, RunID: r.ID, Reason: "already used for " + what}
		}
	}
	for _, r := range runs {
		switch r.Status {
		case store.ActionFailed:
			continue // a failed run lets go of its key: try again
		case store.ActionRunning:
			return nil, &ActionConflictError{Key: key, RunID: r.ID, Reason: fmt.Sprintf(
				"a run with this key started at %s and has not finished (if its process died, it may have been applied)",
				r.StartedAt.UTC().Format(time.RFC3339))}
		case store.ActionMaybeApplied:
			return nil, &ActionConflictError{Key: key, RunID: r.ID, Reason: fmt.Sprintf(
				"the run with this key may have been applied (Gong's requestIds %s): check in Gong, then use a new key",
				strings.Join(r.GongRequestIDs, ", "))}
		case store.ActionSucceeded:
			if r.Answer == nil {
				return nil, &ActionConflictError{Key: key, RunID: r.ID, Reason: fmt.Sprintf(
					"the run with this key succeeded at %s and its answer is no longer kept (answers are kept %s, up to %d bytes)",
					finished(r), answerKeptFor, maxAnswerKept)}
			}
			e.log.Info().Str("action", r.Action).Int64("run", r.ID).Str("asked_by", p.req.AskedBy).
				Msg("action replayed: the answer kept for its idempotency key, nothing sent")
			return &ActionOutcome{RunID: r.ID, Action: r.Action, Answer: r.Answer, RequestIDs: r.GongRequestIDs,
				Requests: 0, Replayed: true}, nil
		}
	}
	return nil, nil
}

func finished(r store.ActionRun) string {
	if r.FinishedAt == nil {
		return "?"
	}
	return r.FinishedAt.UTC().Format(time.RFC3339)
}

// actionExec is one run on its way: what it sent, and what must not be written down.
type actionExec struct {
	e     *Engine
	runID int64
	// payer counts the run's requests; gong sends them on its account.
	payer      *Payer
	gong       *gongapi.Client
	requestIDs []string
	extra      int // requests paid by runs of streams the action started (their own payers)
	// redact is the text (an address being erased) that must not reach the record or
	// the log: errors are recorded with it replaced.
	redact []string
}

// send sends one request to Gong for the run, keeping Gong's requestId of the answer,
// or of the failure when there was one.
func (x *actionExec) send(ctx context.Context, op gongapi.Operation) (*gongapi.RawResponse, error) {
	resp, err := x.gong.Send(ctx, op)
	var ae *gongapi.APIError
	switch {
	case err == nil && resp.RequestID != "":
		x.requestIDs = append(x.requestIDs, resp.RequestID)
	case errors.As(err, &ae) && ae.RequestID != "":
		x.requestIDs = append(x.requestIDs, ae.RequestID)
	}
	return resp, err
}

// scrub replaces the redacted texts in s.
func (x *actionExec) scrub(s string) string {
	for _, r := range x.redact {
		s = replaceFold(s, r, "[erased address]")
	}
	return s
}

// replaceFold replaces every case-insensitive occurrence of old in s.
func replaceFold(s, old, new string) string {
	if old == "" {
		return s
	}
	lower, lold := strings.ToLower(s), strings.ToLower(old)
	if len(lower) != len(s) {
		return strings.ReplaceAll(s, old, new) // case folding changed lengths: exact only
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, lold)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(new)
		s, lower = s[i+len(old):], lower[i+len(old):]
	}
}

// execute runs a planned, recorded request and records how it ended.
func (e *Engine) execute(ctx context.Context, p *actionPlan, runID int64) (*ActionOutcome, error) {
	start := time.Now()
	payer := e.budget.For(KindAction)
	x := &actionExec{e: e, runID: runID, payer: payer, gong: e.gong.WithBudget(payer)}
	var answer json.RawMessage
	var err error
	if p.own != nil {
		answer, err = p.own(ctx, e, x, p.in)
	} else {
		answer, err = e.sendGong(ctx, x, p)
	}
	requests := payer.Requests() + x.extra

	res := store.ActionResult{Status: store.ActionSucceeded, Requests: requests, GongRequestIDs: x.requestIDs}
	var errText string
	switch {
	case err == nil:
		sum := sha256.Sum256(answer)
		res.AnswerDigest = sum[:]
		if p.req.IdempotencyKey != "" && len(answer) <= maxAnswerKept {
			res.Answer, res.KeepUntil = answer, time.Now().Add(answerKeptFor)
		}
	case errors.Is(err, gongapi.ErrMayHaveBeenApplied):
		res.Status = store.ActionMaybeApplied
	default:
		res.Status = store.ActionFailed
	}
	if err != nil {
		errText = x.scrub(err.Error())
		res.Err = errText
	}
	// The record is written even when the caller gave up: the run happened.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ferr := e.st.FinishActionRun(fctx, runID, res); ferr != nil {
		e.log.Error().Err(ferr).Int64("run", runID).Str("action", p.spec.Name).Msg("could not record how the action ended")
		if err == nil {
			err = fmt.Errorf("record the run's answer: %w", ferr)
			res.Status, errText = store.ActionFailed, err.Error()
		}
	}

	ev := e.log.Info()
	switch {
	case res.Status == store.ActionSucceeded:
	case p.req.AskedBy == AskedByCLI:
		// The command prints the returned ActionError as its one error line (with the
		// run and Gong's requestIds): a warn line here would print the failure twice.
		ev = e.log.Debug().Str("error", errText)
	default:
		ev = e.log.Warn().Str("error", errText)
	}
	ev.Str("action", p.spec.Name).Int64("run", runID).Str("asked_by", p.req.AskedBy).Str("status", res.Status).
		Int("requests", requests).Strs("request_ids", x.requestIDs).Dur("took", time.Since(start)).Msg("action finished")

	if err != nil {
		ae := &ActionError{RunID: runID, Action: p.spec.Name, Status: res.Status, RequestIDs: x.requestIDs, Err: err}
		if len(x.redact) > 0 {
			ae.Detail = errText
		}
		return nil, ae
	}
	return &ActionOutcome{RunID: runID, Action: p.spec.Name, Answer: answer, RequestIDs: x.requestIDs, Requests: requests}, nil
}

// idempotentInput reports whether sending the request twice has the effect of sending
// it once: a read, a PUT or DELETE, or a write whose input carries Gong's own
// idempotency field (addCall's clientUniqueId, with which Gong refuses a second call).
func idempotentInput(spec *catalog.Spec, in catalog.Input) bool {
	if !spec.Writes || spec.Method == http.MethodPut || spec.Method == http.MethodDelete {
		return true
	}
	if spec.IdempotencyField == "" {
		return false
	}
	v, ok := in[spec.IdempotencyField].(string)
	return ok && v != ""
}

// sendGong sends one of Gong's operations, and with All every page after the first.
func (e *Engine) sendGong(ctx context.Context, x *actionExec, p *actionPlan) (json.RawMessage, error) {
	r := p.gong
	op := gongOperation(p.spec, r, !idempotentInput(p.spec, p.in))
	resp, err := x.send(ctx, op)
	if err != nil {
		return nil, err
	}
	if p.spec.Cursor == "" {
		if !json.Valid(resp.Body) {
			// Gong answered 2xx, so a write was carried out; its answer is lost all the same.
			return nil, &gongapi.APIError{Class: gongapi.ClassMalformedResponse, Endpoint: op.Endpoint, Status: resp.Status,
				RequestID: resp.RequestID, Attempts: resp.Attempts, Detail: "the answer is not JSON", MayHaveBeenApplied: op.Once}
		}
		return json.RawMessage(resp.Body), nil
	}
	first, err := pageOf(p.spec, resp)
	if err != nil {
		return nil, err
	}
	if !p.req.All || first.cursor == "" {
		return first.encode(nil)
	}
	var records []json.RawMessage
	records = append(records, first.records...)
	for page := first; page.cursor != ""; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if r, err = p.spec.WithCursor(r, page.cursor); err != nil {
			return nil, err
		}
		resp, err := x.send(ctx, gongOperation(p.spec, r, false))
		if err != nil {
			return nil, fmt.Errorf("after %d records: %w", len(records), err)
		}
		if page, err = pageOf(p.spec, resp); err != nil {
			return nil, err
		}
		records = append(records, page.records...)
	}
	return first.encode(records)
}

// gongOperation is the client's request for a catalog request.
func gongOperation(spec *catalog.Spec, r *catalog.Request, once bool) gongapi.Operation {
	op := gongapi.Operation{Method: r.Method, Path: r.Path, Endpoint: spec.Method + " " + spec.Path,
		Query: r.Query, Body: r.Body, Once: once}
	for _, name := range slices.Sorted(maps.Keys(r.Form)) {
		part := gongapi.FormPart{Name: name}
		if f, _ := spec.Input(name); f.Schema != nil && f.Schema.Format == catalog.FormatBinary {
			part.File = r.Form[name]
		} else {
			part.Value = r.Form[name]
		}
		op.Form = append(op.Form, part)
	}
	return op
}

// page is one page of a paged operation's answer, taken apart.
type page struct {
	spec    *catalog.Spec
	fields  map[string]json.RawMessage
	records []json.RawMessage
	cursor  string
	total   json.RawMessage
}

// pageOf reads one page. Gong's empty result (a 404 saying no records were found
// corresponding to the filters) is a page without records.
func pageOf(spec *catalog.Spec, resp *gongapi.RawResponse) (*page, error) {
	p := &page{spec: spec, fields: map[string]json.RawMessage{}}
	if resp.Status == http.StatusNotFound {
		p.fields["requestId"], _ = json.Marshal(resp.RequestID)
		return p, nil
	}
	if err := json.Unmarshal(resp.Body, &p.fields); err != nil {
		return nil, fmt.Errorf("the answer from Gong is not a JSON object: %w", err)
	}
	if raw, ok := p.fields[spec.Records]; ok && !bytes.Equal(raw, []byte("null")) {
		if err := json.Unmarshal(raw, &p.records); err != nil {
			return nil, fmt.Errorf("the answer from Gong: %s is not an array: %w", spec.Records, err)
		}
	}
	var rec struct {
		Cursor       string          `json:"cursor"`
		TotalRecords json.RawMessage `json:"totalRecords"`
	}
	if raw, ok := p.fields["records"]; ok {
		if err := json.Unmarshal(raw, &rec); err != nil {
			return nil, fmt.Errorf("the answer from Gong: records is not an object: %w", err)
		}
	}
	p.cursor, p.total = rec.Cursor, rec.TotalRecords
	return p, nil
}

// encode writes the page back, with records in place of its own when not nil (the
// records of every page, for --all): its other fields as Gong sent them, the records
// block describing what the answer holds and without a cursor when it is whole.
func (p *page) encode(records []json.RawMessage) (json.RawMessage, error) {
	whole := records != nil
	if records == nil {
		records = p.records
	}
	if records == nil {
		records = []json.RawMessage{}
	}
	out := make(map[string]json.RawMessage, len(p.fields)+2)
	for k, v := range p.fields {
		out[k] = v
	}
	var err error
	if out[p.spec.Records], err = json.Marshal(records); err != nil {
		return nil, err
	}
	if whole || p.fields["records"] == nil {
		total := p.total
		if len(total) == 0 {
			total = json.RawMessage(fmt.Sprint(len(records)))
		}
		out["records"], _ = json.Marshal(map[string]any{
			"totalRecords": total, "currentPageSize": len(records), "currentPageNumber": 0,
		})
	}
	return json.Marshal(out)
}
