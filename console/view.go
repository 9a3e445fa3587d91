package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// seoul is the time zone every console time is shown in.
var seoul = func() *time.Location {
	l, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		return time.FixedZone("KST", 9*60*60) // Korea has no daylight saving time
	}
	return l
}()

// view is what every template gets: the language, the session's role and
// CSRF token, the nav the role may see, a notice code and the page's data.
type view struct {
	Lang   string
	Role   string
	KeyID  string // the signed-in API key's id (approvals name keys by it)
	CSRF   string
	Nav    []navItem
	Active string
	Notice string
	Data   any
}

type navItem struct {
	Path  string
	Label string
}

// T is the label for key in the page's language (Korean unless ?lang=en).
func (v view) T(key string) string { return label(v.Lang, key) }

// Can tells whether the signed-in role may take an action; the page shows only
// what it may (and the API refuses the rest anyway).
func (v view) Can(action string) bool { return slices.Contains(actionRoles[action], v.Role) }

// Other is the language the switch in the header offers.
func (v view) Other() string {
	if v.Lang == "en" {
		return "ko"
	}
	return "en"
}

func (c *Console) view(ec echo.Context, s *session, active, notice string) view {
	v := view{Lang: langOf(ec), Active: active, Notice: notice}
	if notice == "" {
		v.Notice = ec.QueryParam("notice")
	}
	if s != nil {
		v.Role, v.CSRF, v.KeyID = s.role, s.csrf, s.keyID
		for _, p := range c.pages {
			if p.label != "" && slices.Contains(p.roles, s.role) {
				v.Nav = append(v.Nav, navItem{Path: "/console" + p.path, Label: p.label})
			}
		}
	}
	return v
}

// langOf is ?lang= (remembered in a cookie), Korean by default.
func langOf(ec echo.Context) string {
	if l := ec.QueryParam("lang"); l == "ko" || l == "en" {
		ec.SetCookie(&http.Cookie{Name: "console_lang", Value: l, Path: "/console", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteStrictMode, HttpOnly: true})
		return l
	}
	if ck, err := ec.Cookie("console_lang"); err == nil && ck.Value == "en" {
		return "en"
	}
	return "ko"
}

func (c *Console) render(ec echo.Context, status int, name string, v view) error {
	var buf bytes.Buffer
	if err := c.layout.ExecuteTemplate(&buf, name, v); err != nil {
		return fmt.Errorf("console: render %s: %w", name, err)
	}
	return ec.HTMLBlob(status, buf.Bytes())
}

var funcs = template.FuncMap{
	"krw":   formatKRW,
	"has":   func(list []string, s string) bool { return slices.Contains(list, s) },
	"seoul": formatSeoul,
	"isOK":  func(notice string) bool { return strings.HasPrefix(notice, "ok_") || notice == "signed_out" },
	// statuses are the payment statuses the search offers (GET /v1/payments?status=).
	"statuses": func() []string {
		return []string{"processing", "authorized", "succeeded", "failed", "canceled", "partially_refunded", "refunded"}
	},
}

// formatKRW writes won with thousands separators: 1234567 -> "1,234,567원"
// (KRW has no minor unit).
func formatKRW(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out) + "원"
	}
	return string(out) + "원"
}

// formatSeoul shows an instant as Korea time, "2026-12-01 19:05:09 KST".
func formatSeoul(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return "-"
		}
		return v.In(seoul).Format("2006-01-02 15:04:05") + " KST"
	case *time.Time:
		if v == nil {
			return "-"
		}
		return formatSeoul(*v)
	}
	return "-"
}
