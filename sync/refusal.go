package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/store"
)

// refusalPause is how long a stream whose endpoint Gong refused for want of a scope
// is left alone: granting a scope is an administrator's job, and asking every 15
// minutes in the meantime would only spend the budget on refusals.
const refusalPause = 24 * time.Hour

// ScopeRefusedError is the error of a run skipped because Gong refused the stream's
// endpoint less than a day ago: for want of a scope (it then matches
// gongapi.ErrScopeMissing), or as not available to the company (it then matches
// gongapi.ErrNotAvailable).
type ScopeRefusedError struct {
	Refusal store.Refusal
}

// Error says what Gong refused, what to do, and when the stream is asked again.
func (e *ScopeRefusedError) Error() string {
	r := e.Refusal
	if r.Reason == store.RefusedNotAvailable {
		return fmt.Sprintf("not asked: Gong answered %s at %s that the company's account does not offer it "+
			"(a plan without it); asked again after %s, or at once with `gongsync sync --streams %s`",
			r.Endpoint, r.At.UTC().Format(time.RFC3339), r.Until.UTC().Format(time.RFC3339), r.Stream)
	}
	return fmt.Sprintf("not asked: Gong refused %s for want of the scope %s at %s; asked again after %s, "+
		"or at once with `gongsync sync --streams %s` once the scope is granted",
		r.Endpoint, r.Scope, r.At.UTC().Format(time.RFC3339), r.Until.UTC().Format(time.RFC3339), r.Stream)
}

// Is makes a ScopeRefusedError match gongapi.ErrScopeMissing, or
// gongapi.ErrNotAvailable for a stream not available to the company.
func (e *ScopeRefusedError) Is(target error) bool {
	if e.Refusal.Reason == store.RefusedNotAvailable {
		return target == gongapi.ErrNotAvailable
	}
	return target == gongapi.ErrScopeMissing
}

// refusalOf returns the refusal of stream an error carries (a 401 naming a scope, or
// an answer that the company's account does not offer the stream's data), or nil.
func (e *Engine) refusalOf(stream string, err error) *store.Refusal {
	var ae *gongapi.APIError
	if !errors.As(err, &ae) {
		return nil
	}
	at := e.now()
	switch ae.Class {
	case gongapi.ClassScopeMissing:
		return &store.Refusal{Stream: stream, Reason: store.RefusedScope, Scope: ae.Scope, Endpoint: ae.Endpoint,
			At: at, Until: at.Add(refusalPause)}
	case gongapi.ClassNotAvailable:
		return &store.Refusal{Stream: stream, Reason: store.RefusedNotAvailable, Endpoint: ae.Endpoint,
			At: at, Until: at.Add(refusalPause)}
	}
	return nil
}

// saveRefusal records a refusal. It runs even after a shutdown began: the refusal is
// what the run learnt, and without it the next run would spend a request to learn it
// again.
func (e *Engine) saveRefusal(ctx context.Context, r store.Refusal) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := e.st.SaveRefusal(ctx, r); err != nil {
		e.log.Warn().Err(err).Str("stream", r.Stream).Msg("could not record the stream's scope refusal")
	}
}
