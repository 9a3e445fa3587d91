// Package client is paysaga's typed Go HTTP client, generated from
// api/openapi.yaml by oapi-codegen (client.gen.go: run `make generate` after
// changing the document; `make check-generated` fails while it is stale).
// The e2e tests, `paysaga bench`, `paysaga chaos` and the finance CLI use it,
// so the project is its own first client.
package client

import (
	"context"
	"net/http"
)

// WithAPIKey sends key as `Authorization: Bearer <key>` on every request.
func WithAPIKey(key string) ClientOption { return WithRequestEditorFn(Bearer(key)) }

// Bearer sends key as `Authorization: Bearer <key>` on one call, for a client
// that acts with several keys (roles).
func Bearer(key string) RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+key)
		return nil
	}
}

// NewAPI is a client of the API at server (e.g. http://localhost:8080) that
// authenticates with key; hc nil means http.DefaultClient.
func NewAPI(server, key string, hc HttpRequestDoer) (*ClientWithResponses, error) {
	opts := []ClientOption{WithAPIKey(key)}
	if hc != nil {
		opts = append(opts, WithHTTPClient(hc))
	}
	return NewClientWithResponses(server, opts...)
}
