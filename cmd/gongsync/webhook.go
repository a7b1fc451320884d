package main

import (
	"errors"
	"net/http"

	"github.com/gongsync/gongsync/gongapi"
	gsync "github.com/gongsync/gongsync/sync"
)

// webhookPath is where Gong's automation rules post.
const webhookPath = "/webhooks/gong"

// webhookHandler serves POST /webhooks/gong and nothing else. A webhook is verified
// (URL token and/or signed JWT, size, content type, JSON) before anything is read
// into the database; a verified call is upserted through the same path as the
// polling sync with its transcript left pending, then announced to fetch (when
// set), which fetches it from Gong at once with its transcript, batched with the calls
// announced within its window; a rule's test (isTest) is verified and logged but not
// stored. Refusals get a 4xx with a short reason and a log line that never holds the
// payload, the token or the signature, and fetch nothing.
func webhookHandler(a *app, fetch *gsync.CallBatcher) (http.Handler, error) {
	v, err := gongapi.NewWebhookVerifier(gongapi.WebhookConfig{
		Token:     a.cfg.WebhookToken.Reveal(),
		PublicKey: a.cfg.WebhookPublicKey,
		URL:       a.cfg.WebhookURL,
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc(webhookPath, func(w http.ResponseWriter, r *http.Request) {
		log := a.log.With().Str("server", "webhook").Str("remote", r.RemoteAddr).Logger()
		p, err := v.Verify(r)
		if err != nil {
			var rej *gongapi.WebhookRejection
			if !errors.As(err, &rej) {
				rej = &gongapi.WebhookRejection{Status: http.StatusBadRequest, Reason: "bad request", Err: err}
			}
			log.Warn().Int("status", rej.Status).Str("reason", rej.Reason).Str("detail", rej.Error()).Msg("webhook rejected")
			if rej.Status == http.StatusMethodNotAllowed {
				w.Header().Set("Allow", http.MethodPost)
			}
			http.Error(w, rej.Reason, rej.Status)
			return
		}
		id := string(p.CallData.MetaData.ID)
		if p.IsTest {
			log.Info().Str("call_id", id).Bool("is_test", true).Msg("test webhook verified; not stored")
			writeText(w, http.StatusOK, "ok: test webhook verified, not stored")
			return
		}
		res, err := a.engine.IngestCall(r.Context(), p.CallData)
		if err != nil {
			log.Error().Err(err).Str("call_id", id).Msg("webhook call not stored")
			http.Error(w, "could not store the call", http.StatusInternalServerError)
			return
		}
		if fetch != nil {
			fetch.Announce(id)
		}
		log.Info().Str("call_id", id).Bool("is_private", p.IsPrivate).Bool("new", len(res.Inserted) > 0).
			Bool("changed", len(res.Changed) > 0).Bool("restored", len(res.Restored) > 0).Msg("webhook call stored")
		writeText(w, http.StatusOK, "ok")
	})
	return mux, nil
}

func writeText(w http.ResponseWriter, status int, s string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(s + "\n"))
}
