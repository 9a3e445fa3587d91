package api

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/metrics"
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

// Every route is described in openapi.yaml, and the document is served.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	f := newFixture(t)
	res := f.do(request{method: http.MethodGet, path: "/openapi.yaml"})
	require.Equal(t, http.StatusOK, res.Code)
	require.Equal(t, "application/yaml", res.Header().Get("Content-Type"))
	doc := res.Body.String()
	for _, r := range f.e.Routes() {
		if !strings.HasPrefix(r.Path, "/") || strings.Contains(r.Path, "*") {
			continue
		}
		path := regexp.MustCompile(`:([a-z_]+)`).ReplaceAllString(r.Path, "{$1}")
		start := strings.Index(doc, "\n  "+path+":\n")
		require.GreaterOrEqual(t, start, 0, "%s %s is not in openapi.yaml", r.Method, r.Path)
		section := doc[start+1:]
		if end := strings.Index(section[1:], "\n  /"); end >= 0 {
			section = section[:end+1]
		}
		require.Contains(t, section, "\n    "+strings.ToLower(r.Method)+":", "%s %s is not in openapi.yaml", r.Method, r.Path)
	}
}

// Every path and method in openapi.yaml is served: the spec names no route the
// server lacks.
func TestOpenAPINamesOnlyServedRoutes(t *testing.T) {
	f := newFixture(t)
	e := New(Deps{Config: f.cfg, Pool: f.pool, Queries: f.q, Temporal: f.tc, Log: zerolog.Nop(), Metrics: metrics.New()})
	served := map[string]bool{}
	for _, r := range e.Routes() {
		served[r.Method+" "+regexp.MustCompile(`:([a-z_]+)`).ReplaceAllString(r.Path, "{$1}")] = true
	}
	pathLine := regexp.MustCompile(`^  (/\S*):$`)
	methodLine := regexp.MustCompile(`^    (get|post|put|patch|delete):$`)
	var path string
	n := 0
	for _, line := range strings.Split(string(openAPI), "\n") {
		if m := pathLine.FindStringSubmatch(line); m != nil {
			path = m[1]
		} else if m := methodLine.FindStringSubmatch(line); m != nil && path != "" {
			n++
			require.True(t, served[strings.ToUpper(m[1])+" "+path], "openapi.yaml names %s %s, which the server lacks", m[1], path)
		} else if line != "" && !strings.HasPrefix(line, "  ") {
			path = ""
		}
	}
	require.Greater(t, n, 10)
}
