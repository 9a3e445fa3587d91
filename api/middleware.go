package api

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
)

const headerRequestID = "X-Request-Id"

// logRequests gives each request an id (the caller's X-Request-Id when it is
// sane, else a new one, echoed back), puts a logger carrying it in the request
// context for zerolog.Ctx, and writes one JSON line per request when it ends.
// Inner middleware add api_key_id, role and workflow_id to that logger. Bodies
// are never logged.
func (s *server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		req := c.Request()
		id := req.Header.Get(headerRequestID)
		if !validRequestID(id) {
			id = uuid.NewString()
		}
		c.Response().Header().Set(headerRequestID, id)
		logger := s.log.With().Str("request_id", id).Logger()
		c.SetRequest(req.WithContext(logger.WithContext(req.Context())))

		if err := next(c); err != nil {
			c.Error(err) // writes the problem now, so the status below is the one sent
		}

		status := c.Response().Status
		log := zerolog.Ctx(c.Request().Context())
		ev := log.Info()
		if status >= 500 {
			ev = log.Error()
		}
		ev.Str("method", req.Method).
			Str("path", req.URL.Path).
			Int("status", status).
			Float64("latency_ms", float64(time.Since(start).Microseconds())/1000).
			Msg("request")
		return nil
	}
}

// validRequestID accepts up to 128 visible ASCII characters, so a caller's id
// can never inject anything into the log or a header.
func validRequestID(id string) bool {
	return len(id) >= 1 && len(id) <= 128 && visibleASCII(id)
}

func visibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// recoverPanics turns a handler panic into a 500 problem, with the stack in the log.
func recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		return callSafely(next, c)
	}
}

func callSafely(next echo.HandlerFunc, c echo.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			zerolog.Ctx(c.Request().Context()).Error().
				Str("panic", fmt.Sprint(r)).Bytes("stack", debug.Stack()).Msg("handler panicked")
			err = internalError(fmt.Errorf("panic: %v", r))
		}
	}()
	return next(c)
}

// bodyLimit answers 413 for a body larger than limit, whether or not it declares
// its length: reads past the limit fail with *http.MaxBytesError.
func bodyLimit(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > limit {
				return problem(http.StatusRequestEntityTooLarge, codeBodyTooLarge,
					fmt.Sprintf("the request body exceeds %d bytes", limit))
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
			return next(c)
		}
	}
}

// logWorkflow adds workflow_id to the request's log lines.
func logWorkflow(c echo.Context, workflowID string) {
	zerolog.Ctx(c.Request().Context()).UpdateContext(func(l zerolog.Context) zerolog.Context {
		return l.Str("workflow_id", workflowID)
	})
}
