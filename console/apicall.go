package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"
)

// apiError is a problem+json answer of the API, shown to the person by its code.
type apiError struct {
	Status int
	Code   string
	Detail string
}

func (e *apiError) Error() string { return fmt.Sprintf("API %d %s: %s", e.Status, e.Code, e.Detail) }

// call makes one /v1 request through the API's own handler with the session's
// key, exactly as an HTTP client would (auth, roles, validation and logging
// all apply), and decodes a 2xx JSON answer into out. A problem answer is an
// *apiError.
func (c *Console) call(ec echo.Context, s *session, method, path string, body any, out any) error {
	_, err := c.callStatus(ec, s, method, path, body, out)
	return err
}

// callStatus is call that also tells the 2xx status (202: an approval was
// recorded but another key must approve).
func (c *Console) callStatus(ec echo.Context, s *session, method, path string, body any, out any) (int, error) {
	status, raw, err := c.callRaw(ec, s, method, path, body)
	if err != nil || out == nil {
		return status, err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return status, fmt.Errorf("console: decode %s %s: %w", method, path, err)
	}
	return status, nil
}

// callRaw makes the request and answers a 2xx's status and body as sent (a
// CSV, say); a problem answer is an *apiError.
func (c *Console) callRaw(ec echo.Context, s *session, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, fmt.Errorf("console: encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	orig := ec.Request()
	req, err := http.NewRequestWithContext(orig.Context(), method, path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("console: %s %s: %w", method, path, err)
	}
	req.RemoteAddr, req.Host = orig.RemoteAddr, orig.Host
	req.Header.Set(echo.HeaderAuthorization, "Bearer "+s.apiKey)
	req.Header.Set(echo.HeaderAccept, echo.MIMEApplicationJSON)
	if id := ec.Response().Header().Get(echo.HeaderXRequestID); id != "" {
		req.Header.Set(echo.HeaderXRequestID, id)
	}
	if body != nil {
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	}
	rec := httptest.NewRecorder()
	c.api.ServeHTTP(rec, req)
	res := rec.Result()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		var p struct {
			Code   string `json:"code"`
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(raw, &p)
		return res.StatusCode, nil, &apiError{Status: res.StatusCode, Code: p.Code, Detail: p.Detail}
	}
	return res.StatusCode, raw, nil
}
