package fakegong

import (
	"encoding/json"
	"io"
	"net/http"
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
func (s *Server) control(w http.ResponseWriter, r *http.Request) {
	switch r.Method + " " + r.URL.Path {
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
