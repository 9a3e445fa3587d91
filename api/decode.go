package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// decodeJSON reads the body into dst: one JSON object, no unknown fields, no
// trailing data, no duplicate keys at any depth, valid UTF-8 throughout. Every
// failure is a 4xx problem. allowEmpty lets a route whose fields are all
// optional take no body at all (and then no Content-Type). Every body route
// decodes through here, so what one route refuses every route refuses.
func decodeJSON(c echo.Context, dst any, allowEmpty bool) error {
	req := c.Request()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return readBodyError(err)
	}
	empty := len(bytes.TrimSpace(body)) == 0
	if err := requireJSONContentType(req.Header.Get(echo.HeaderContentType), empty && allowEmpty); err != nil {
		return err
	}
	if empty {
		if allowEmpty {
			return nil
		}
		return problem(http.StatusBadRequest, codeMalformedJSON, "the request body is empty; send a JSON object")
	}
	if !utf8.Valid(body) {
		return problem(http.StatusBadRequest, codeInvalidUTF8, "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return problem(http.StatusBadRequest, codeMalformedJSON, "the body must hold exactly one JSON object")
	}
	return checkJSONText(body)
}

// requireJSONContentType answers 415 unless ct is application/json (or a
// +json type); a missing one is refused too, unless the body may be absent and is.
func requireJSONContentType(ct string, noBody bool) error {
	if ct == "" {
		if noBody {
			return nil
		}
		return problem(http.StatusUnsupportedMediaType, codeUnsupportedMediaType, "send the body with Content-Type: application/json")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
		return problem(http.StatusUnsupportedMediaType, codeUnsupportedMediaType, "the body must be application/json")
	}
	return nil
}

// checkJSONText refuses what encoding/json lets through silently: a key given
// twice in one object (it keeps the last, another parser may keep the first)
// and a \u escape of a lone surrogate (it becomes U+FFFD). body is known to be
// one syntactically valid JSON value.
func checkJSONText(body []byte) error {
	if err := checkSurrogates(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []*jsonFrame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return decodeError(err)
		}
		var top *jsonFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.keys != nil && top.expectKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			key, _ := tok.(string)
			if top.keys[key] {
				field := joinPath(top.path, key)
				p := problem(http.StatusBadRequest, codeDuplicateKey, fmt.Sprintf("key %q appears twice in one object", field))
				p.Errors = []FieldError{{Field: field, Message: "appears more than once"}}
				return p
			}
			top.keys[key], top.lastKey, top.expectKey = true, key, false
			continue
		}
		path := ""
		if top != nil {
			path = top.childPath()
			top.expectKey = top.keys != nil // after a value in an object comes a key
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &jsonFrame{keys: map[string]bool{}, path: path, expectKey: true})
		case json.Delim('['):
			stack = append(stack, &jsonFrame{path: path})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				stack[len(stack)-1].expectKey = stack[len(stack)-1].keys != nil
			}
		}
	}
}

// jsonFrame is one open object (keys != nil) or array while checkJSONText walks.
type jsonFrame struct {
	keys      map[string]bool
	path      string
	lastKey   string
	expectKey bool
}

func (f *jsonFrame) childPath() string {
	if f.keys != nil {
		return joinPath(f.path, f.lastKey)
	}
	return f.path + "[]"
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// checkSurrogates finds a \u escape of a UTF-16 surrogate that is not a
// high-low pair. Backslashes occur only inside strings, so a plain scan works.
func checkSurrogates(body []byte) error {
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		if i+1 < len(body) && body[i+1] != 'u' {
			i++ // an escaped character such as \\ or \"
			continue
		}
		r, ok := hexRune(body, i+2)
		if !ok {
			continue // the decoder already refused a bad escape
		}
		switch {
		case r >= 0xd800 && r < 0xdc00:
			lo, ok := rune(0), i+7 < len(body) && body[i+6] == '\\' && body[i+7] == 'u'
			if ok {
				lo, ok = hexRune(body, i+8)
			}
			if !ok || lo < 0xdc00 || lo > 0xdfff {
				return invalidUTF8Escape()
			}
			i += 11
		case r >= 0xdc00 && r <= 0xdfff:
			return invalidUTF8Escape()
		default:
			i += 5
		}
	}
	return nil
}

func hexRune(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

func invalidUTF8Escape() error {
	return problem(http.StatusBadRequest, codeInvalidUTF8, "the body escapes a lone UTF-16 surrogate, which is not a character")
}

func readBodyError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return problem(http.StatusRequestEntityTooLarge, codeBodyTooLarge,
			fmt.Sprintf("the request body exceeds %d bytes", tooLarge.Limit))
	}
	p := problem(http.StatusBadRequest, codeMalformedJSON, "the request body could not be read")
	p.cause = err
	return p
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return problem(http.StatusBadRequest, codeMalformedJSON, fmt.Sprintf("invalid JSON at byte %d", syntax.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return problem(http.StatusBadRequest, codeMalformedJSON, "the JSON body ends too early")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return problem(http.StatusBadRequest, codeMalformedJSON, "the body must be a JSON object")
		}
		p := problem(http.StatusBadRequest, codeInvalidFieldType, fmt.Sprintf("%s must be %s", typ.Field, jsonTypeName(typ.Type.Kind().String())))
		p.Errors = []FieldError{{Field: typ.Field, Message: "must be " + jsonTypeName(typ.Type.Kind().String())}}
		return p
	case errors.As(err, new(*time.ParseError)):
		return problem(http.StatusBadRequest, codeInvalidFieldType, "a timestamp must be RFC 3339, e.g. 2026-12-01T09:30:00+09:00")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		p := problem(http.StatusBadRequest, codeUnknownField, fmt.Sprintf("unknown field %q", field))
		p.Errors = []FieldError{{Field: field, Message: "unknown field"}}
		return p
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return readBodyError(err)
	}
	p := problem(http.StatusBadRequest, codeMalformedJSON, "the body is not valid JSON")
	p.cause = err
	return p
}

func jsonTypeName(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer within range"
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	case "bool":
		return "a boolean"
	}
	return "of another type"
}

// validation collects field errors; the first one's code becomes the problem's.
type validation struct {
	errs  []FieldError
	codes []string
}

func (v *validation) add(code, field, message string) {
	v.errs = append(v.errs, FieldError{Field: field, Message: message})
	v.codes = append(v.codes, code)
}

func (v *validation) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	detail := v.errs[0].Field + ": " + v.errs[0].Message
	if len(v.errs) > 1 {
		detail = fmt.Sprintf("%s (and %d more)", detail, len(v.errs)-1)
	}
	p := problem(http.StatusUnprocessableEntity, v.codes[0], detail)
	p.Errors = v.errs
	return p
}

// text checks a required (min >= 1) or optional free-text field: valid UTF-8,
// no control characters, at most max characters.
func (v *validation) text(field, value string, min, max int) {
	n := utf8.RuneCountInString(value)
	switch {
	case !utf8.ValidString(value):
		v.add(codeValidationFailed, field, "must be valid UTF-8")
	case n < min && min == 1:
		v.add(codeValidationFailed, field, "is required")
	case n < min || n > max:
		v.add(codeValidationFailed, field, fmt.Sprintf("must be %d..%d characters", min, max))
	case strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		v.add(codeValidationFailed, field, "must not contain control characters")
	}
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func (v *validation) id(field, value string) {
	if value == "" {
		v.add(codeValidationFailed, field, "is required")
	} else if !idPattern.MatchString(value) {
		v.add(codeValidationFailed, field, "must be 1..64 characters of A-Z a-z 0-9 _ -")
	}
}

// amount checks 0 < value <= max.
func (v *validation) amount(field string, value, max int64) {
	if value <= 0 || value > max {
		v.add(codeInvalidAmount, field, fmt.Sprintf("must be an integer in minor units within 1..%d", max))
	}
}
