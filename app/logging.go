package app

import (
	"context"
	"io"
	"log/slog"

	"github.com/rs/zerolog"

	"github.com/paysaga/paysaga/redact"
)

// NewLogger writes JSON lines to w at level (info when unknown), through the
// redactor so no card or account number reaches a log by accident.
func NewLogger(w io.Writer, level string) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		lvl = zerolog.InfoLevel
	}
	return zerolog.New(redact.Writer{W: w}).Level(lvl).With().Timestamp().Logger()
}

// slogFor bridges the Temporal SDK's structured logger to our zerolog logger,
// so the SDK's messages land in the same JSON stream.
func slogFor(l zerolog.Logger) *slog.Logger {
	return slog.New(zerologHandler{l: l.With().Str("component", "temporal-sdk").Logger()})
}

type zerologHandler struct {
	l     zerolog.Logger
	attrs []slog.Attr
}

func (h zerologHandler) Enabled(_ context.Context, level slog.Level) bool {
	return h.l.GetLevel() <= zerologLevel(level)
}

func (h zerologHandler) Handle(_ context.Context, r slog.Record) error {
	ev := h.l.WithLevel(zerologLevel(r.Level))
	for _, a := range h.attrs {
		ev = ev.Any(a.Key, a.Value.Any())
	}
	r.Attrs(func(a slog.Attr) bool {
		ev = ev.Any(a.Key, a.Value.Any())
		return true
	})
	ev.Msg(r.Message)
	return nil
}

func (h zerologHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return zerologHandler{l: h.l, attrs: append(append([]slog.Attr{}, h.attrs...), attrs...)}
}

func (h zerologHandler) WithGroup(string) slog.Handler { return h }

func zerologLevel(l slog.Level) zerolog.Level {
	switch {
	case l >= slog.LevelError:
		return zerolog.ErrorLevel
	case l >= slog.LevelWarn:
		return zerolog.WarnLevel
	case l >= slog.LevelInfo:
		return zerolog.InfoLevel
	default:
		return zerolog.DebugLevel
	}
}
