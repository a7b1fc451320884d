package fleet

import (
	"context"
	"log/slog"

	"github.com/rs/zerolog"
)

// zerologHandler lets River, which logs through log/slog, log through gongsync's
// zerolog logger. River's info lines (a job snoozed, a leader elected) are its
// routine: they go out at debug; its warnings and errors as they are.
type zerologHandler struct {
	log   zerolog.Logger
	attrs []slog.Attr
	group string
}

func level(l slog.Level) zerolog.Level {
	switch {
	case l >= slog.LevelError:
		return zerolog.ErrorLevel
	case l >= slog.LevelWarn:
		return zerolog.WarnLevel
	}
	return zerolog.DebugLevel
}

func (h zerologHandler) Enabled(_ context.Context, l slog.Level) bool {
	return level(l) >= h.log.GetLevel()
}

func (h zerologHandler) Handle(_ context.Context, r slog.Record) error {
	ev := h.log.WithLevel(level(r.Level))
	add := func(a slog.Attr) bool {
		key := a.Key
		if h.group != "" {
			key = h.group + "." + key
		}
		ev = ev.Interface(key, a.Value.Resolve().Any())
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	ev.Msg(r.Message)
	return nil
}

func (h zerologHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h.attrs = append(append([]slog.Attr{}, h.attrs...), attrs...)
	return h
}

func (h zerologHandler) WithGroup(name string) slog.Handler {
	if h.group != "" {
		name = h.group + "." + name
	}
	h.group = name
	return h
}
