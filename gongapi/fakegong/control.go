package fakegong

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// control answers the /_fake/ routes, which steer a fake in another process. They
// need no credentials and are not counted in the stats.
//
//	GET    /_fake/stats   the counters (Stats)
//	DELETE /_fake/stats   zero the counters
//	GET    /_fake/clock   {"now": RFC3339, "virtual": bool}
//	POST   /_fake/clock   {"set": RFC3339} or {"advance": "1h"}; answers like GET
//	GET    /_fake/faults  the faults in force (Faults)
//	POST   /_fake/faults  replace them (Faults as JSON); answers like GET
//	GET    /_fake/calls   every call's life (CallSpec), in start order
//	POST   /_fake/calls   add a call: {"started", "duration", "primary_user_id",
//	                      "processed_at", "transcript_at", "no_transcript",
//	                      "imported", "private", "title"}
//	POST   /_fake/calls/{id}/delete   {"at": RFC3339}; at defaults to the clock's now
//	POST   /_fake/calls/{id}/restore  {"at": RFC3339}
//	POST   /_fake/calls/{id}/change   {"at", "title", "is_private", "add_parties"}
//	POST   /_fake/users/{id}/manager  {"manager_id": "…"}: the user's manager from now on
//	POST   /_fake/trackers/{id}/remove {"at": RFC3339, "back": RFC3339}: out of the
//	                      tracker list from at (default now), listed again from back
//	                      (default never)
//
// The call routes answer the call's CallSpec; the user and tracker routes {"ok": true}.
func (s *Server) control(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/_fake/calls/"); ok && r.Method == http.MethodPost {
		s.controlCall(w, r, rest)
		return
	}
	if r.Method == http.MethodPost && (strings.HasPrefix(r.URL.Path, "/_fake/users/") || strings.HasPrefix(r.URL.Path, "/_fake/trackers/")) {
		s.controlDefinition(w, r)
		return
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /_fake/calls":
		writeControl(w, http.StatusOK, s.data.AllCalls())
	case "POST /_fake/calls":
		var req struct {
			Started       time.Time    `json:"started"`
			Duration      jsonDuration `json:"duration"`
			PrimaryUserID string       `json:"primary_user_id"`
			ProcessedAt   time.Time    `json:"processed_at"`
			TranscriptAt  time.Time    `json:"transcript_at"`
			NoTranscript  bool         `json:"no_transcript"`
			Imported      bool         `json:"imported"`
			Private       bool         `json:"private"`
			Title         string       `json:"title"`
		}
		if err := readControl(r, &req); err != nil {
			writeControl(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		spec, err := s.data.AddCall(NewCall{
			Started: req.Started, Duration: time.Duration(req.Duration), PrimaryUserID: req.PrimaryUserID,
			ProcessedAt: req.ProcessedAt, TranscriptAt: req.TranscriptAt, NoTranscript: req.NoTranscript,
			Imported: req.Imported, Private: req.Private, Title: req.Title,
		})
		if err != nil {
			writeControl(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeControl(w, http.StatusOK, spec)
	case "GET /_fake/stats":
		writeControl(w, http.StatusOK, s.Stats())
	case "DELETE /_fake/stats":
		s.ResetStats()
		writeControl(w, http.StatusOK, s.Stats())
	case "GET /_fake/clock":
		writeControl(w, http.StatusOK, s.clockState())
	case "POST /_fake/clock":
		var req struct {
			Set     *time.Time    `json:"set"`
			Advance *jsonDuration `json:"advance"`
		}
		if err := readControl(r, &req); err != nil {
			writeControl(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		switch {
		case req.Set != nil && req.Advance != nil:
			writeControl(w, http.StatusBadRequest, map[string]string{"error": "give set or advance, not both"})
			return
		case req.Set != nil:
			s.clock.Set(*req.Set)
		case req.Advance != nil:
			s.clock.Advance(time.Duration(*req.Advance))
		default:
			writeControl(w, http.StatusBadRequest, map[string]string{"error": `want {"set": RFC3339} or {"advance": "1h"}`})
			return
		}
		writeControl(w, http.StatusOK, s.clockState())
	case "GET /_fake/faults":
		writeControl(w, http.StatusOK, s.Faults())
	case "POST /_fake/faults":
		var f Faults
		if err := readControl(r, &f); err != nil {
			writeControl(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		if err := s.SetFaults(f); err != nil {
			writeControl(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeControl(w, http.StatusOK, s.Faults())
	default:
		writeControl(w, http.StatusNotFound, map[string]string{"error": "no such control route: " + r.Method + " " + r.URL.Path})
	}
}

// controlCall handles POST /_fake/calls/{id}/{delete|restore|change}.
func (s *Server) controlCall(w http.ResponseWriter, r *http.Request, rest string) {
	id, verb, _ := strings.Cut(rest, "/")
	var req struct {
		At         *time.Time `json:"at"`
		Title      *string    `json:"title"`
		IsPrivate  *bool      `json:"is_private"`
		AddParties int        `json:"add_parties"`
	}
	if err := readControl(r, &req); err != nil && err != io.EOF {
		writeControl(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	at := s.clock.Now()
	if req.At != nil {
		at = *req.At
	}
	var spec CallSpec
	var err error
	switch verb {
	case "delete":
		spec, err = s.data.DeleteCall(id, at)
	case "restore":
		spec, err = s.data.RestoreCall(id, at)
	case "change":
		spec, err = s.data.ChangeCall(id, at, Change{Title: req.Title, IsPrivate: req.IsPrivate, AddParties: req.AddParties})
	default:
		writeControl(w, http.StatusNotFound, map[string]string{"error": "no such control route: POST " + r.URL.Path})
		return
	}
	if err != nil {
		writeControl(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeControl(w, http.StatusOK, spec)
}

// controlDefinition handles POST /_fake/users/{id}/manager and
// /_fake/trackers/{id}/remove: what a full refresh sees change between two syncs.
func (s *Server) controlDefinition(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ManagerID *string    `json:"manager_id"`
		At        *time.Time `json:"at"`
		Back      *time.Time `json:"back"`
	}
	if err := readControl(r, &req); err != nil && err != io.EOF {
		writeControl(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	var err error
	switch kind, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/_fake/"), "/"); {
	case kind == "users" && strings.HasSuffix(rest, "/manager") && req.ManagerID != nil:
		err = s.data.ChangeUser(strings.TrimSuffix(rest, "/manager"), func(u *UserMetadata) { u.ManagerID = req.ManagerID })
	case kind == "trackers" && strings.HasSuffix(rest, "/remove"):
		at, back := s.clock.Now(), time.Time{}
		if req.At != nil {
			at = *req.At
		}
		if req.Back != nil {
			back = *req.Back
		}
		err = s.data.RemoveTracker(strings.TrimSuffix(rest, "/remove"), at, back)
	default:
		writeControl(w, http.StatusNotFound, map[string]string{"error": "no such control route: POST " + r.URL.Path + " (or manager_id missing)"})
		return
	}
	if err != nil {
		writeControl(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeControl(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) clockState() any {
	return struct {
		Now     time.Time `json:"now"`
		Virtual bool      `json:"virtual"`
	}{s.clock.Now(), s.clock.Virtual()}
}

func readControl(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func writeControl(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
