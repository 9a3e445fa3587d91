package api

import (
	"context"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/db"
)

func TestHealthz(t *testing.T) {
	f := newFixture(t)
	res := f.do(request{method: http.MethodGet, path: "/healthz"})
	require.Equal(t, http.StatusOK, res.Code)
	require.Equal(t, "ok", res.json()["status"])
}

func TestReadyz(t *testing.T) {
	f := newFixture(t)

	t.Run("both dependencies answer", func(t *testing.T) {
		res := f.do(request{method: http.MethodGet, path: "/readyz"})
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		body := res.json()
		require.Equal(t, "ok", body["status"])
		require.Equal(t, map[string]any{"postgres": "ok", "temporal": "ok"}, body["checks"])
	})

	t.Run("postgres down", func(t *testing.T) {
		closed, err := pgxpool.New(context.Background(), f.pool.Config().ConnString())
		require.NoError(t, err)
		closed.Close()
		e := New(Deps{Config: f.cfg, Pool: closed, Queries: db.New(closed), Temporal: f.tc, Log: zerolog.Nop()})
		res := (&fixture{t: t, e: e}).do(request{method: http.MethodGet, path: "/readyz"})
		require.Equal(t, http.StatusServiceUnavailable, res.Code, res.Body.String())
		require.Equal(t, map[string]any{"postgres": "unavailable", "temporal": "ok"}, res.json()["checks"])
	})

	t.Run("temporal down", func(t *testing.T) {
		// Nothing listens on port 1.
		tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1", Logger: quietLogger()})
		require.NoError(t, err)
		defer tc.Close()
		e := New(Deps{Config: f.cfg, Pool: f.pool, Queries: f.q, Temporal: tc, Log: zerolog.Nop()})
		res := (&fixture{t: t, e: e}).do(request{method: http.MethodGet, path: "/readyz"})
		require.Equal(t, http.StatusServiceUnavailable, res.Code, res.Body.String())
		require.Equal(t, map[string]any{"postgres": "ok", "temporal": "unavailable"}, res.json()["checks"])
	})
}

// GET /openapi.yaml serves the committed document byte for byte.
func TestOpenAPIServesTheDocument(t *testing.T) {
	f := newFixture(t)
	res := f.do(request{method: http.MethodGet, path: "/openapi.yaml"})
	require.Equal(t, http.StatusOK, res.Code)
	require.Equal(t, "application/yaml", res.Header().Get("Content-Type"))
	onDisk, err := os.ReadFile("openapi.yaml")
	require.NoError(t, err)
	require.Equal(t, onDisk, res.Body.Bytes())

	res = f.do(request{method: http.MethodGet, path: "/metrics"})
	require.Equal(t, http.StatusOK, res.Code)
	require.Contains(t, res.Body.String(), "# TYPE")
}

// The server's routes and the document's operations are the same set: every
// route is described, and the document names no route the server lacks.
func TestOpenAPIDescribesExactlyTheServedRoutes(t *testing.T) {
	f := newFixture(t)
	param := regexp.MustCompile(`:([a-z_]+)`)
	var served []string
	for _, r := range f.e.Routes() {
		if !strings.HasPrefix(r.Path, "/") || strings.Contains(r.Path, "*") || r.Method == echo.RouteNotFound {
			continue
		}
		served = append(served, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}"))
	}
	slices.Sort(served)
	require.Equal(t, spec.Routes(), slices.Compact(served))
}
