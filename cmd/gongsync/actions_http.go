package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/gongapi/catalog"
	gsync "github.com/gongsync/gongsync/sync"
)

// The actions server, for apps: the same actions as `gongsync action`, over HTTP on
// GONGSYNC_ACTIONS_ADDR, behind a bearer token.
//
//	GET  /actions         every action (the JSON of `gongsync action list --json`)
//	POST /actions/{name}  run one; the body is its input JSON ({} when empty),
//	                      ?all=true follows cursors, Idempotency-Key: K as --idempotency-key
//
// A run answers 200 with the action's answer as the body (Gongsync-Action-Run names
// the run in action_runs; Gongsync-Replayed: true when it is a kept answer). Refusals
// answer a JSON object {"error": short reason, …}: 400 bad input (with "problems",
// each naming its field), 401 no or wrong token, 404 unknown action, 405 wrong method,
// 409 idempotency key conflict, 413 body too large, 415 not JSON, 429 the budget is
// spent or too many runs at once (Retry-After), 502 Gong refused or failed (with Gong's
// "requestIds", and "status": "maybe_applied" for a write that may have been applied),
// 500 anything else. The log never holds the input, the answer or the token.

const (
	// maxActionBody bounds an input: Gong's largest bodies (CRM schema fields, user
	// settings) are a few kilobytes, and a file to upload is refused over HTTP anyway.
	maxActionBody = 1 << 20
	// maxActionsRunning bounds the runs in flight: the shared pace already spaces their
	// requests, this keeps a misbehaving app from piling up goroutines and connections.
	maxActionsRunning = 8
	// actionsWriteTimeout is how long one run may take to answer: a run paced at 3
	// requests a second behind a busy sync, or an --all of many pages, takes minutes.
	actionsWriteTimeout = 15 * time.Minute
)

// actionsHandler serves the actions for apps, after checking the bearer token.
func actionsHandler(a *app) http.Handler {
	token := []byte(a.cfg.ActionsToken.Reveal())
	running := make(chan struct{}, maxActionsRunning)
	mux := http.NewServeMux()
	mux.HandleFunc("/actions", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			refuse(a, w, r, http.StatusMethodNotAllowed, "GET /actions lists the actions", nil)
			return
		}
		writeActionJSON(w, http.StatusOK, actionSummaries())
	})
	mux.HandleFunc("/actions/{name}", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			refuse(a, w, r, http.StatusMethodNotAllowed, "POST /actions/{name} runs an action", nil)
			return
		}
		select {
		case running <- struct{}{}:
			defer func() { <-running }()
		default:
			w.Header().Set("Retry-After", "1")
			refuse(a, w, r, http.StatusTooManyRequests, "too many actions running at once; try again", nil)
			return
		}
		serveAction(a, w, r)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		refuse(a, w, r, http.StatusNotFound, "no such route: GET /actions and POST /actions/{name} are served here", nil)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The token first: nothing, not even which actions exist, without it.
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), token) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gongsync actions"`)
			refuse(a, w, r, http.StatusUnauthorized, "missing or wrong bearer token (Authorization: Bearer <GONGSYNC_ACTIONS_TOKEN>)", nil)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// actionSummary is one action in GET /actions and `action list --json`.
type actionSummary struct {
	Name       string     `json:"name"`
	Method     string     `json:"method,omitempty"`
	Path       string     `json:"path,omitempty"`
	Writes     bool       `json:"writes"`
	Scope      string     `json:"scope,omitempty"`
	MoreScopes []string   `json:"moreScopes,omitempty"`
	Cursor     catalog.In `json:"cursor,omitempty"`
	Records    string     `json:"records,omitempty"`
}

func actionSummaries() []actionSummary {
	all := catalog.All()
	out := make([]actionSummary, len(all))
	for i, s := range all {
		out[i] = actionSummary{s.Name, s.Method, s.Path, s.Writes, s.Scope, s.MoreScopes, s.Cursor, s.Records}
	}
	return out
}

// serveAction runs POST /actions/{name}.
func serveAction(a *app, w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	spec, err := catalog.Find(name)
	if err != nil {
		refuse(a, w, r, http.StatusNotFound, err.Error(), nil)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			refuse(a, w, r, http.StatusUnsupportedMediaType, "send the input as application/json", nil)
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxActionBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			refuse(a, w, r, http.StatusRequestEntityTooLarge, "the input is larger than "+strconv.Itoa(maxActionBody)+" bytes", nil)
			return
		}
		refuse(a, w, r, http.StatusBadRequest, "could not read the input", nil)
		return
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	all := false
	if v := r.URL.Query().Get("all"); v != "" {
		if all, err = strconv.ParseBool(v); err != nil {
			refuse(a, w, r, http.StatusBadRequest, "all: want true or false", nil)
			return
		}
	}
	ctx := r.Context()
	if spec.Writes {
		// A write runs to its end once started, so that its record says how it ended,
		// even if the app hangs up meanwhile.
		ctx = context.WithoutCancel(ctx)
	}
	out, err := a.engine.RunAction(ctx, gsync.ActionRequest{
		Name: spec.Name, Input: body, All: all, IdempotencyKey: r.Header.Get("Idempotency-Key"), AskedBy: gsync.AskedByHTTP,
	})
	if err != nil {
		refuseRun(a, w, r, err)
		return
	}
	w.Header().Set("Gongsync-Action-Run", strconv.FormatInt(out.RunID, 10))
	if out.Replayed {
		w.Header().Set("Gongsync-Replayed", "true")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out.Answer)
}

// refuseRun answers a run that did not succeed with the status its error calls for.
func refuseRun(a *app, w http.ResponseWriter, r *http.Request, err error) {
	var bad *catalog.InputError
	var conflict *gsync.ActionConflictError
	var failed *gsync.ActionError
	var quota *gongapi.QuotaError
	var gong *gongapi.APIError
	switch {
	case errors.As(err, &bad):
		problems := make([]map[string]string, len(bad.Problems))
		for i, p := range bad.Problems {
			problems[i] = map[string]string{"path": p.Path, "message": p.Message}
		}
		extra := map[string]any{"problems": problems}
		if bad.More > 0 {
			extra["more"] = bad.More
		}
		refuse(a, w, r, http.StatusBadRequest, "bad input for "+bad.Action+" (nothing sent)", extra)
	case errors.Is(err, catalog.ErrUnknownAction):
		refuse(a, w, r, http.StatusNotFound, err.Error(), nil)
	case errors.As(err, &conflict):
		refuse(a, w, r, http.StatusConflict, err.Error(), map[string]any{"run": conflict.RunID})
	case errors.As(err, &failed):
		extra := map[string]any{"run": failed.RunID, "status": failed.Status, "requestIds": failed.RequestIDs}
		switch {
		case errors.As(err, &quota):
			if !quota.Until.IsZero() {
				w.Header().Set("Retry-After", strconv.Itoa(max(1, int(time.Until(quota.Until).Seconds()+0.5))))
			}
			refuse(a, w, r, http.StatusTooManyRequests, failed.Error(), extra)
		case errors.As(err, &gong):
			refuse(a, w, r, http.StatusBadGateway, failed.Error(), extra)
		default:
			refuse(a, w, r, http.StatusInternalServerError, failed.Error(), extra)
		}
	default:
		a.log.Error().Err(err).Str("server", "actions").Msg("action could not start")
		refuse(a, w, r, http.StatusInternalServerError, "internal error: see gongsync's log", nil)
	}
}

// refuse answers {"error": reason, …extra} with status, and logs the refusal (never
// the body or the token).
func refuse(a *app, w http.ResponseWriter, r *http.Request, status int, reason string, extra map[string]any) {
	a.log.Warn().Str("server", "actions").Str("remote", r.RemoteAddr).Str("method", r.Method).Str("path", r.URL.Path).
		Int("status", status).Str("reason", reason).Msg("action refused")
	out := map[string]any{"error": reason}
	for k, v := range extra {
		out[k] = v
	}
	writeActionJSON(w, status, out)
}

func writeActionJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
