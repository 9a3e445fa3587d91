package api

import (
	"bytes"
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"
)

type healthResponse struct {
	Status string            `json:"status"`           // ok | unavailable | draining
	Checks map[string]string `json:"checks,omitempty"` // dependency -> ok | unavailable
}

// healthz says the process serves HTTP.
func (s *server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, healthResponse{Status: "ok"})
}

// readyz says PostgreSQL and Temporal both answer: 200, else 503. A process
// shutting down answers 503 "draining" first, so it leaves the rotation before
// it stops serving.
func (s *server) readyz(c echo.Context) error {
	if s.draining != nil && s.draining() {
		return c.JSON(http.StatusServiceUnavailable, healthResponse{Status: "draining"})
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	log := zerolog.Ctx(ctx)
	out := healthResponse{Status: "ok", Checks: map[string]string{"postgres": "ok", "temporal": "ok"}}
	if err := s.pool.Ping(ctx); err != nil {
		log.Warn().Err(err).Msg("readiness: postgres")
		out.Checks["postgres"], out.Status = "unavailable", "unavailable"
	}
	if _, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		log.Warn().Err(err).Msg("readiness: temporal")
		out.Checks["temporal"], out.Status = "unavailable", "unavailable"
	}
	if out.Status != "ok" {
		return c.JSON(http.StatusServiceUnavailable, out)
	}
	return c.JSON(http.StatusOK, out)
}

//go:embed openapi.yaml
var openAPI []byte

// openapi serves the API description.
func (s *server) openapi(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", openAPI)
}

// OpenAPIDocument is a copy of the document GET /openapi.yaml serves, for
// clients and contract checks outside this package.
func OpenAPIDocument() []byte { return bytes.Clone(openAPI) }
