package adapters_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters"
)

// answer serves a fixed status and body.
func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

func TestCallerClassifiesAnswers(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		lookup   bool
		wantKind adapters.Kind
		wantCode string
	}{
		{"402 is a decline", 402, `{"code":"CARD_DECLINED","message":"no"}`, false, adapters.Declined, "CARD_DECLINED"},
		{"422 with a decline code", 422, `{"code":"WRONG_CODE","message":"no"}`, false, adapters.Declined, "WRONG_CODE"},
		{"422 other code", 422, `{"code":"IDEMPOTENCY_KEY_REUSED"}`, false, adapters.Invalid, "IDEMPOTENCY_KEY_REUSED"},
		{"400", 400, `{"code":"INVALID_REQUEST"}`, false, adapters.Invalid, "INVALID_REQUEST"},
		{"404 on an operation", 404, `{"code":"BILLING_KEY_NOT_FOUND"}`, false, adapters.Invalid, "BILLING_KEY_NOT_FOUND"},
		{"404 on a lookup", 404, `{"code":"PAYMENT_NOT_FOUND"}`, true, adapters.NotFound, "PAYMENT_NOT_FOUND"},
		{"404 without JSON", 404, `not found`, false, adapters.Invalid, ""},
		{"404 on a lookup without JSON", 404, `404 page not found`, true, adapters.Invalid, ""},
		{"404 on a lookup with another code", 404, `{"code":"PG_NOT_FOUND"}`, true, adapters.Invalid, "PG_NOT_FOUND"},
		{"409 in flight", 409, `{"code":"IDEMPOTENCY_KEY_IN_USE"}`, false, adapters.Transient, "IDEMPOTENCY_KEY_IN_USE"},
		{"429", 429, `{"code":"RATE_LIMITED"}`, false, adapters.Transient, "RATE_LIMITED"},
		{"500", 500, `{"code":"INTERNAL_ERROR"}`, false, adapters.Transient, "INTERNAL_ERROR"},
		{"502 HTML", 502, `<html>bad gateway</html>`, false, adapters.Transient, ""},
		{"503 outage", 503, `{"code":"PROVIDER_UNAVAILABLE"}`, false, adapters.Unavailable, "PROVIDER_UNAVAILABLE"},
		{"503 other", 503, `{"code":"OVERLOADED"}`, false, adapters.Transient, "OVERLOADED"},
		{"200 unreadable", 200, `{"payment_key":`, false, adapters.Ambiguous, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(answer(tt.status, tt.body))
			defer srv.Close()
			c := adapters.Caller{Provider: "test", BaseURL: srv.URL, HTTP: srv.Client(),
				DeclineCodes: map[string]bool{"WRONG_CODE": true}, NotFoundCodes: map[string]bool{"PAYMENT_NOT_FOUND": true}}
			var out struct {
				PaymentKey string `json:"payment_key"`
			}
			err := c.Do(context.Background(), adapters.Call{Op: "op", Method: http.MethodPost, Path: "/x",
				Body: map[string]int{"amount": 1}, Lookup: tt.lookup}, &out)
			require.Error(t, err)
			var pe *adapters.Error
			require.True(t, errors.As(err, &pe), "want *adapters.Error, got %T", err)
			assert.Equal(t, tt.wantKind, pe.Kind)
			assert.Equal(t, tt.status, pe.Status)
			assert.Equal(t, tt.wantCode, pe.Code)
			assert.Equal(t, "test", pe.Provider)
			assert.Equal(t, "op", pe.Op)
		})
	}
}

func TestCallerSendsKeyAndDecodes(t *testing.T) {
	var gotKey, gotType string
	var gotLen int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey, gotType, gotLen = r.Header.Get("Idempotency-Key"), r.Header.Get("Content-Type"), r.ContentLength
		answer(200, `{"payment_key":"pay_1"}`)(w, r)
	}))
	defer srv.Close()
	c := adapters.Caller{Provider: "test", BaseURL: srv.URL + "/", HTTP: srv.Client()}
	var out struct {
		PaymentKey string `json:"payment_key"`
	}
	err := c.Do(context.Background(), adapters.Call{Op: "op", Method: http.MethodPost, Path: "/x",
		IdempotencyKey: "k1", Body: map[string]int{"amount": 1}}, &out)
	require.NoError(t, err)
	assert.Equal(t, "pay_1", out.PaymentKey)
	assert.Equal(t, "k1", gotKey)
	assert.Equal(t, "application/json", gotType)
	assert.Equal(t, int64(len(`{"amount":1}`)), gotLen, "sent with a Content-Length, not chunked")
}

func TestCallerTransportFailures(t *testing.T) {
	t.Run("connection refused is unavailable", func(t *testing.T) {
		srv := httptest.NewServer(answer(200, `{}`))
		url := srv.URL
		srv.Close()
		c := adapters.Caller{Provider: "test", BaseURL: url, HTTP: &http.Client{Timeout: 2 * time.Second}}
		err := c.Do(context.Background(), adapters.Call{Op: "op", Method: http.MethodPost, Path: "/x", Body: 1}, nil)
		assert.Equal(t, adapters.Unavailable, adapters.KindOf(err), "err: %v", err)
	})
	t.Run("canceled before sending is unavailable", func(t *testing.T) {
		srv := httptest.NewServer(answer(200, `{}`))
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		c := adapters.Caller{Provider: "test", BaseURL: srv.URL, HTTP: srv.Client()}
		err := c.Do(ctx, adapters.Call{Op: "op", Method: http.MethodPost, Path: "/x", Body: 1}, nil)
		assert.Equal(t, adapters.Unavailable, adapters.KindOf(err), "err: %v", err)
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("deadline while the provider works is ambiguous", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Read the body first: net/http notices a client that hung up (and
			// cancels r.Context) only once the body is consumed.
			_, _ = io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		}))
		defer srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		c := adapters.Caller{Provider: "test", BaseURL: srv.URL, HTTP: srv.Client()}
		err := c.Do(ctx, adapters.Call{Op: "op", Method: http.MethodPost, Path: "/x", Body: 1}, nil)
		assert.Equal(t, adapters.Ambiguous, adapters.KindOf(err), "err: %v", err)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("dropped connection is ambiguous and not silently re-sent", func(t *testing.T) {
		// The first request warms a keep-alive connection; the second is read and
		// then dropped. net/http would transparently re-send a replayable request
		// carrying an Idempotency-Key on a reused connection; the caller must see
		// the ambiguity instead.
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hits.Add(1) == 1 {
				answer(200, `{}`)(w, r)
				return
			}
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		}))
		defer srv.Close()
		c := adapters.Caller{Provider: "test", BaseURL: srv.URL, HTTP: srv.Client()}
		call := adapters.Call{Op: "op", Method: http.MethodPost, Path: "/x", IdempotencyKey: "k", Body: 1}
		require.NoError(t, c.Do(context.Background(), call, nil))
		err := c.Do(context.Background(), call, nil)
		assert.Equal(t, adapters.Ambiguous, adapters.KindOf(err), "err: %v", err)
		assert.Equal(t, int32(2), hits.Load(), "the dropped request was re-sent by the transport")
	})
}

func TestErrorHelpers(t *testing.T) {
	c := adapters.Caller{Provider: "pg:alpha"}
	err := c.Invalid("authorize", "idempotency key is required")
	assert.True(t, adapters.Is(err, adapters.Invalid))
	assert.Equal(t, "pg:alpha authorize: invalid: idempotency key is required", err.Error())
	assert.Equal(t, adapters.Kind(""), adapters.KindOf(errors.New("plain")))
}
