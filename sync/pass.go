package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ParseStreams checks a --streams list. Empty means "the streams that are due".
func ParseStreams(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(AllStreams, name) && name != StreamSettle {
			return nil, fmt.Errorf("unknown stream %q (known: %s, %s)", name, strings.Join(AllStreams, ", "), StreamSettle)
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	// Run them in the canonical order whatever order they were named in.
	order := append(append([]string{}, AllStreams[:len(AllStreams)-1]...), StreamSettle, StreamTranscripts)
	slices.SortFunc(out, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) })
	return out, nil
}

// Due returns the streams a pass runs when none are named: calls and transcripts
// always; users, workspaces and trackers only when their last complete refresh is older
// than UsersMaxAge, so a scheduler calling `sync` every 15 minutes does not refresh
// users 96 times a day.
func (e *Engine) Due(ctx context.Context) ([]string, error) {
	var due []string
	for _, s := range AllStreams {
		if refreshStreams[s] {
			cp, err := e.st.Checkpoint(ctx, s)
			if err != nil {
				return nil, err
			}
			if cp.CompletedAt != nil && e.now().Sub(*cp.CompletedAt) < e.opt.UsersMaxAge && cp.WindowStartedAt == nil {
				continue
			}
		}
		due = append(due, s)
	}
	return due, nil
}

// RunStream runs one stream once. wait says whether to wait for another process
// holding the stream, or to skip. A stream Gong refused for want of a scope less than a
// day ago is skipped.
func (e *Engine) RunStream(ctx context.Context, stream string, kind Kind, wait bool) *RunReport {
	return e.runNamed(ctx, stream, kind, wait, false)
}

// runNamed runs one stream once; askRefused asks Gong even when it refused the stream
// for want of a scope less than a day ago.
func (e *Engine) runNamed(ctx context.Context, stream string, kind Kind, wait, askRefused bool) *RunReport {
	switch stream {
	case StreamUsers:
		return e.runStream(ctx, stream, kind, stream, wait, askRefused, e.syncUsers)
	case StreamWorkspaces:
		return e.runStream(ctx, stream, kind, stream, wait, askRefused, e.syncWorkspaces)
	case StreamTrackers:
		return e.runStream(ctx, stream, kind, stream, wait, askRefused, e.syncTrackers)
	case StreamCalls:
		// The calls stream and the settle pass read overlapping windows of the same rows:
		// they share one lock rather than spend requests reading the same calls twice.
		return e.runStream(ctx, stream, kind, StreamCalls, wait, askRefused, e.syncCalls)
	case StreamSettle:
		return e.runStream(ctx, stream, KindSettle, StreamCalls, wait, askRefused, e.settle)
	case StreamTranscripts:
		rep := e.runStream(ctx, stream, kind, stream, wait, askRefused, func(ctx context.Context, rep *RunReport) error {
			return e.syncTranscripts(ctx, rep, false)
		})
		e.observeTranscriptBacklog(ctx)
		return rep
	}
	return &RunReport{Stream: stream, Kind: kind, Status: StatusFailed, Err: fmt.Errorf("unknown stream %q", stream)}
}

// Pass runs the named streams (or, when none are named, those that are due) one after
// the other. It stops early when the budget pauses a run (every later request would
// be refused too) and when Gong refuses the credentials (every later request would be
// refused the same way: one request, one error). A refusal for want of a scope fails
// only its stream; a stream refused so less than a day ago is skipped, unless a `sync`
// names it. The error joins the failures, each already logged with its run (a
// *LoggedError); a pause is not a failure.
func (e *Engine) Pass(ctx context.Context, streams []string, kind Kind, wait bool) ([]*RunReport, error) {
	askRefused := kind == KindSync && len(streams) > 0
	if len(streams) == 0 {
		var err error
		if streams, err = e.Due(ctx); err != nil {
			return nil, err
		}
	}
	var reports []*RunReport
	var errs []error
	for _, s := range streams {
		if ctx.Err() != nil {
			break
		}
		rep := e.runNamed(ctx, s, kind, wait, askRefused)
		reports = append(reports, rep)
		if rep.Status == StatusFailed {
			errs = append(errs, fmt.Errorf("%s: %w", s, rep.Err))
		}
		if rep.Status == StatusPaused || credentialsRefused(rep.Err) {
			break
		}
	}
	if len(errs) > 0 {
		return reports, &LoggedError{errors.Join(errs...)}
	}
	return reports, ctx.Err()
}
