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

// Refusal is Gong's refusal of a stream's endpoint because the credentials lack a scope
// (a 401 naming it). It concerns that stream only: the others go on.
type Refusal struct {
	Scope    string    `json:"scope"`      // the scope to grant, e.g. api:calls:read:transcript
	Endpoint string    `json:"endpoint"`   // the endpoint that refused
	At       time.Time `json:"refused_at"` // on the engine's clock
	// Until is when the daemon and `sync` of the due streams ask again; naming the stream
	// (`sync --streams NAME`) asks at once.
	Until time.Time `json:"asked_again_after"`
}

// ScopeRefusedError is the error of a run skipped because Gong refused the stream's
// endpoint for want of a scope less than a day ago. It matches gongapi.ErrScopeMissing.
type ScopeRefusedError struct {
	Stream  string
	Refusal Refusal
}

// Error says what Gong refused, what to grant, and when the stream is asked again.
func (e *ScopeRefusedError) Error() string {
	return fmt.Sprintf("not asked: Gong refused %s for want of the scope %s at %s; asked again after %s, "+
		"or at once with `gongsync sync --streams %s` once the scope is granted",
		e.Refusal.Endpoint, e.Refusal.Scope, e.Refusal.At.UTC().Format(time.RFC3339), e.Refusal.Until.UTC().Format(time.RFC3339), e.Stream)
}

// Is makes a ScopeRefusedError match gongapi.ErrScopeMissing.
func (e *ScopeRefusedError) Is(target error) bool { return target == gongapi.ErrScopeMissing }

// refusalOf returns the refusal an error carries (a 401 naming a scope), or nil.
func (e *Engine) refusalOf(err error) *Refusal {
	var ae *gongapi.APIError
	if !errors.As(err, &ae) || ae.Kind != gongapi.KindScopeMissing {
		return nil
	}
	at := e.now()
	return &Refusal{Scope: ae.Scope, Endpoint: ae.Endpoint, At: at, Until: at.Add(refusalPause)}
}

// refusal returns the refusal recorded for stream, or nil.
func (e *Engine) refusal(ctx context.Context, stream string) (*Refusal, error) {
	cp, err := e.st.Checkpoint(ctx, stream)
	if err != nil {
		return nil, err
	}
	st, err := readState(&cp)
	if err != nil {
		return nil, err
	}
	return st.Refused, nil
}

// saveRefusal records (or, with nil, clears) the stream's refusal in its checkpoint.
// The caller holds the stream's lock, so nothing else writes that checkpoint meanwhile.
// It runs even after a shutdown began: the refusal is what the run learnt.
func (e *Engine) saveRefusal(ctx context.Context, stream string, r *Refusal) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	cp, err := e.st.Checkpoint(ctx, stream)
	if err != nil {
		return err
	}
	st, err := readState(&cp)
	if err != nil {
		return err
	}
	st.Refused = r
	writeState(&cp, st)
	return e.st.Transact(ctx, func(tx *store.Tx) error { return tx.SaveCheckpoint(ctx, cp) })
}
