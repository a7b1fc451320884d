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
// endpoint for want of a scope less than a day ago. It matches gongapi.ErrScopeMissing.
type ScopeRefusedError struct {
	Refusal store.Refusal
}

// Error says what Gong refused, what to grant, and when the stream is asked again.
func (e *ScopeRefusedError) Error() string {
	r := e.Refusal
	return fmt.Sprintf("not asked: Gong refused %s for want of the scope %s at %s; asked again after %s, "+
		"or at once with `gongsync sync --streams %s` once the scope is granted",
		r.Endpoint, r.Scope, r.At.UTC().Format(time.RFC3339), r.Until.UTC().Format(time.RFC3339), r.Stream)
}

// Is makes a ScopeRefusedError match gongapi.ErrScopeMissing.
func (e *ScopeRefusedError) Is(target error) bool { return target == gongapi.ErrScopeMissing }

// refusalOf returns the refusal of stream an error carries (a 401 naming a scope), or nil.
func (e *Engine) refusalOf(stream string, err error) *store.Refusal {
	var ae *gongapi.APIError
	if !errors.As(err, &ae) || ae.Kind != gongapi.KindScopeMissing {
		return nil
	}
	at := e.now()
	return &store.Refusal{Stream: stream, Scope: ae.Scope, Endpoint: ae.Endpoint, At: at, Until: at.Add(refusalPause)}
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
