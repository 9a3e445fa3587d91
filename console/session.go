package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/db"
)

const (
	sessionCookie = "paysaga_console"
	// signInCookie carries the sign-in form's CSRF token (double submit): there
	// is no session yet to hold it.
	signInCookie = "paysaga_console_signin"
	csrfField    = "csrf"
)

// consoleRoles may sign in; an app key is refused at the door.
var consoleRoles = []string{"finance", "ops"}

// session is the signed-in person, for one request.
type session struct {
	tokenHash []byte
	keyID     string
	role      string
	apiKey    string // unsealed for this request only
	csrf      string
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func hashToken(t string) []byte {
	sum := sha256.Sum256([]byte(t))
	return sum[:]
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// setCookie writes an HttpOnly, SameSite=Strict cookie under /console, Secure
// when the request came over TLS.
func setCookie(ec echo.Context, name, value string, maxAge int) {
	ec.SetCookie(&http.Cookie{
		Name: name, Value: value, Path: "/console", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: ec.Request().TLS != nil,
	})
}

// sameOrigin refuses a state change whose Origin (sent by every browser on a
// POST) names another site; a request without Origin still needs the token.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

func (c *Console) signInPage(ec echo.Context) error {
	token, err := randomToken()
	if err != nil {
		return err
	}
	setCookie(ec, signInCookie, token, 600)
	return c.render(ec, http.StatusOK, "sign_in", view{Lang: langOf(ec), CSRF: token, Notice: ec.QueryParam("notice")})
}

// signIn exchanges an API key of role finance or ops for a session: the key is
// checked, sealed into a new session row, and only a random token goes to the
// browser. Any other key, or a form without its CSRF token, is refused and
// creates nothing.
func (c *Console) signIn(ec echo.Context) error {
	lang := langOf(ec)
	cookie, _ := ec.Cookie(signInCookie)
	if cookie == nil || !sameToken(cookie.Value, ec.FormValue(csrfField)) || !sameOrigin(ec.Request()) {
		return c.render(ec, http.StatusForbidden, "sign_in", view{Lang: lang, Notice: "csrf_failed"})
	}
	ctx := ec.Request().Context()
	key := strings.TrimSpace(ec.FormValue("api_key"))
	row, err := c.q.GetAPIKeyByHash(ctx, hashToken(key))
	switch {
	case key == "" || errors.Is(err, pgx.ErrNoRows):
		return c.render(ec, http.StatusUnauthorized, "sign_in", view{Lang: lang, CSRF: cookie.Value, Notice: "key_invalid"})
	case err != nil:
		return fmt.Errorf("console sign-in: look up key: %w", err)
	case !slices.Contains(consoleRoles, row.Role):
		return c.render(ec, http.StatusForbidden, "sign_in", view{Lang: lang, CSRF: cookie.Value, Notice: "role_refused"})
	}
	sealed, err := c.keys.Seal(key)
	if err != nil {
		return fmt.Errorf("console sign-in: seal key: %w", err)
	}
	token, err := randomToken()
	if err != nil {
		return err
	}
	csrf, err := randomToken()
	if err != nil {
		return err
	}
	if _, err := c.q.DeleteStaleConsoleSessions(ctx, c.idleSeconds()); err != nil {
		return fmt.Errorf("console sign-in: clean up: %w", err)
	}
	err = c.q.CreateConsoleSession(ctx, db.CreateConsoleSessionParams{
		TokenHash: hashToken(token), ApiKeyID: row.ID, Role: row.Role, KeySealed: sealed, CsrfToken: csrf,
		ExpiresAt: pgtype.Timestamptz{Time: time.Now().Add(c.maxAge), Valid: true},
	})
	if err != nil {
		return fmt.Errorf("console sign-in: store session: %w", err)
	}
	setCookie(ec, signInCookie, "", -1)
	setCookie(ec, sessionCookie, token, int(c.maxAge.Seconds()))
	c.log.Info().Str("api_key_id", row.ID).Str("role", row.Role).Msg("console sign-in")
	return ec.Redirect(http.StatusSeeOther, "/console/home")
}

func (c *Console) signOut(ec echo.Context, s *session) error {
	if err := c.q.DeleteConsoleSession(ec.Request().Context(), s.tokenHash); err != nil {
		return fmt.Errorf("console sign-out: %w", err)
	}
	setCookie(ec, sessionCookie, "", -1)
	return ec.Redirect(http.StatusSeeOther, "/console/sign-in?notice=signed_out")
}

func (c *Console) idleSeconds() int32 { return int32(c.idle / time.Second) }

// withSession admits a request with a live session (idle and absolute
// timeouts are checked by PostgreSQL, so every replica agrees). A page without
// one goes to the sign-in form; a state change without one, or without the
// session's CSRF token in the form, is 401/403 and reaches no API.
func (c *Console) withSession(h func(echo.Context, *session) error, stateChange bool) echo.HandlerFunc {
	return func(ec echo.Context) error {
		s, err := c.loadSession(ec)
		if err != nil {
			return err
		}
		lang := langOf(ec)
		if s == nil {
			if stateChange {
				return c.render(ec, http.StatusUnauthorized, "sign_in", view{Lang: lang, Notice: "session_required"})
			}
			return ec.Redirect(http.StatusSeeOther, "/console/sign-in?notice=session_required")
		}
		if stateChange && (!sameToken(s.csrf, ec.FormValue(csrfField)) || !sameOrigin(ec.Request())) {
			return c.render(ec, http.StatusForbidden, "error", c.view(ec, s, "", "csrf_failed"))
		}
		return h(ec, s)
	}
}

func (c *Console) loadSession(ec echo.Context) (*session, error) {
	cookie, err := ec.Cookie(sessionCookie)
	if err != nil || cookie.Value == "" {
		return nil, nil
	}
	row, err := c.q.TouchConsoleSession(ec.Request().Context(), db.TouchConsoleSessionParams{
		TokenHash: hashToken(cookie.Value), IdleSeconds: c.idleSeconds(),
	})
	if errors.Is(err, pgx.ErrNoRows) {
		setCookie(ec, sessionCookie, "", -1)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("console session: %w", err)
	}
	key, err := c.keys.Open(row.KeySealed)
	if err != nil {
		return nil, fmt.Errorf("console session: open key: %w", err)
	}
	return &session{tokenHash: row.TokenHash, keyID: row.ApiKeyID, role: row.Role, apiKey: key, csrf: row.CsrfToken}, nil
}
