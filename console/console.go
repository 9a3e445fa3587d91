// Package console is the browser console for finance and ops at /console:
// server-rendered pages (html/template, embedded in the binary) over paysaga's
// own public API. Every read and every action is a /v1 request made in-process
// through the API's handler with the signed-in person's API key, so the console
// can never do more than that key, and the API's rules (roles, validation,
// idempotency) are the console's rules.
package console

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/pii"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps is what the console needs from main.
type Deps struct {
	// API is paysaga's HTTP handler (the Echo instance): the console's only way
	// to read or change business objects.
	API     http.Handler
	Queries *db.Queries // sessions and the sign-in key look-up only
	Keys    *pii.Keys   // seals the API key kept in a session
	Log     zerolog.Logger
	// IdleTimeout ends a session nobody used for this long (default 30 min);
	// MaxAge ends any session this long after sign-in (default 12 h).
	IdleTimeout time.Duration
	MaxAge      time.Duration
}

// Console serves /console.
type Console struct {
	api     http.Handler
	q       *db.Queries
	keys    *pii.Keys
	log     zerolog.Logger
	idle    time.Duration
	maxAge  time.Duration
	layout  *template.Template
	pages   []page
	actions []action
}

// Mount adds /console and its pages to e.
func Mount(e *echo.Echo, d Deps) error {
	c, err := newConsole(d)
	if err != nil {
		return err
	}
	c.routes(e)
	return nil
}

func newConsole(d Deps) (*Console, error) {
	if d.API == nil || d.Queries == nil || d.Keys == nil {
		return nil, fmt.Errorf("console: API, Queries and Keys are required")
	}
	c := &Console{api: d.API, q: d.Queries, keys: d.Keys, log: d.Log, idle: d.IdleTimeout, maxAge: d.MaxAge}
	if c.idle <= 0 {
		c.idle = 30 * time.Minute
	}
	if c.maxAge <= 0 {
		c.maxAge = 12 * time.Hour
	}
	t, err := template.New("console").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	c.layout = t
	c.pages, c.actions = pages(), actions()
	return c, nil
}

func (c *Console) routes(e *echo.Echo) {
	g := e.Group("/console", securityHeaders)
	static, _ := fs.Sub(staticFS, "static")
	g.GET("/static/*", echo.WrapHandler(http.StripPrefix("/console/static/", http.FileServer(http.FS(static)))))
	g.GET("", func(ec echo.Context) error { return ec.Redirect(http.StatusSeeOther, "/console/home") })
	g.GET("/sign-in", c.signInPage)
	g.POST("/sign-in", c.signIn)
	g.POST("/sign-out", c.withSession(c.signOut, true))
	for _, p := range c.pages {
		g.GET(p.path, c.withSession(c.servePage(p), false))
	}
	for _, a := range c.actions {
		g.POST(a.path, c.withSession(c.serveAction(a), true))
	}
}

// securityHeaders: no script runs on a console page (the CSP allows none at
// all), nothing is framed, cached or sent as a referrer.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		h := ec.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// same-origin, not no-referrer: under no-referrer a browser sends "Origin: null"
		// on the console's own form posts, which sameOrigin must refuse.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if ec.Request().TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(ec)
	}
}
