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
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// decodeJSON reads the body into dst: one JSON object, no unknown fields, no
// trailing data. Every failure is a 4xx problem. allowEmpty lets a route whose
// fields are all optional take no body at all.
func decodeJSON(c echo.Context, dst any, allowEmpty bool) error {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
			return problem(http.StatusUnsupportedMediaType, codeUnsupportedMediaType, "the body must be application/json")
		}
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return readBodyError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if allowEmpty {
			return nil
		}
		return problem(http.StatusBadRequest, codeMalformedJSON, "the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return problem(http.StatusBadRequest, codeMalformedJSON, "the body must hold exactly one JSON object")
	}
	return nil
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
