package codec

import (
	"net/http"
	"slices"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// DataConverter is Temporal's default converter with every payload encrypted.
func DataConverter(e *Encryption) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), e)
}

// FailureConverter also encrypts failure messages and stack traces, which would
// otherwise sit in histories in clear.
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: dc, EncodeCommonAttributes: true,
	})
}

// Server is the codec server the Temporal UI and CLI call to show payloads
// decoded (POST /encode, POST /decode). It answers CORS preflights for the
// UI's origins. It must only be reachable by those allowed to read payloads:
// paysaga binds it to loopback by default (see docs/operations.md).
func Server(e *Encryption, allowedOrigins []string) http.Handler {
	codec := converter.NewPayloadCodecHTTPHandler(e)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && slices.Contains(allowedOrigins, origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
			h.Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		codec.ServeHTTP(w, r)
	})
}
