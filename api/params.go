package api

import (
	"fmt"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// maxParamBytes bounds a path id or query value: no id paysaga makes is longer,
// and a longer one cannot name anything.
const maxParamBytes = 256

// saneParams refuses, before any handler or query runs, path parameters and
// query parameters that no object can have: NUL and other control bytes, or
// invalid UTF-8 (PostgreSQL refuses such text with an error, Temporal with
// another). A path id that cannot exist is a 404, like an id that does not; a
// query parameter that cannot be read is a 400. One place for every route, so a
// new route is covered without thinking of it.
func saneParams(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		for _, v := range c.ParamValues() {
			if !sanePathValue(v) {
				return problem(http.StatusNotFound, codeNotFound, "no such resource")
			}
		}
		raw := c.Request().URL.RawQuery
		if raw == "" {
			return next(c)
		}
		values, err := url.ParseQuery(raw)
		if err != nil {
			return problem(http.StatusBadRequest, codeInvalidQueryParameter, "the query string is not valid URL encoding")
		}
		for name, vs := range values {
			if !saneValue(name) {
				return problem(http.StatusBadRequest, codeInvalidQueryParameter, "a query parameter name holds control characters or invalid UTF-8")
			}
			for _, v := range vs {
				if !saneValue(v) {
					return problem(http.StatusBadRequest, codeInvalidQueryParameter,
						fmt.Sprintf("query parameter %q holds control characters or invalid UTF-8", name))
				}
			}
		}
		return next(c)
	}
}

// saneValue is valid UTF-8 without control characters, within maxParamBytes.
func saneValue(v string) bool {
	return len(v) <= maxParamBytes && utf8.ValidString(v) && !hasControl(v)
}

// sanePathValue also checks the value unescaped: Echo hands a path value over
// still escaped when the request's path kept escapes raw (RawPath).
func sanePathValue(v string) bool {
	if !saneValue(v) {
		return false
	}
	u, err := url.PathUnescape(v)
	return err == nil && saneValue(u)
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}
