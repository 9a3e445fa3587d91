package providersim

import (
	"encoding/json"
	"net/http"
)

// IdempotencyHeader carries the caller's key on every money-moving POST.
const IdempotencyHeader = "Idempotency-Key"

// maxKeyLen bounds idempotency keys (Toss Payments allows 300 characters).
const maxKeyLen = 300

// idemScope: keys are scoped to one provider ("pg:alpha" and "pg:beta" are separate
// merchants' accounts at separate companies).
type idemScope struct {
	provider string
	key      string
}

// idemEntry is what a provider remembers about a key: which request it answered
// (op, fingerprint), the original answer, and the object it created, if any.
type idemEntry struct {
	op          string
	fingerprint string
	rep         reply
	resource    string // payment key, transaction id or identity request id
}

// idempotencyKey reads the key of a money-moving request.
func idempotencyKey(r *http.Request) (string, reply, bool) {
	key := r.Header.Get(IdempotencyHeader)
	switch {
	case key == "":
		return "", errReply(http.StatusBadRequest, "IDEMPOTENCY_KEY_REQUIRED", "the Idempotency-Key header is required"), false
	case len(key) > maxKeyLen:
		return "", errReply(http.StatusBadRequest, "INVALID_IDEMPOTENCY_KEY", "the Idempotency-Key header is longer than 300 characters"), false
	}
	return key, reply{}, true
}

// fingerprint identifies a request by operation, path and canonical body, so the
// same request re-sent with other whitespace or field order still matches.
func fingerprint(op string, r *http.Request, body any) string {
	b, err := json.Marshal(body)
	if err != nil {
		panic("providersim: marshal fingerprint: " + err.Error())
	}
	return op + " " + r.URL.Path + " " + string(b)
}

// replay returns the answer already given under key, or ok=false when the key is
// new. The same key with another request is 422 IDEMPOTENCY_KEY_REUSED.
// Callers hold s.mu.
func (s *Server) replay(provider, key, fp string) (reply, bool) {
	e, ok := s.idem[idemScope{provider, key}]
	if !ok {
		return reply{}, false
	}
	if e.fingerprint != fp {
		return errReply(http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED",
			"this Idempotency-Key was already used for a different request"), true
	}
	rep := e.rep
	rep.replayed = true
	return rep, true
}

// remember stores the answer given under key. Every processed request is
// remembered, declines included; requests rejected before processing (bad body,
// injected faults, a hung authorization) are not. Callers hold s.mu.
func (s *Server) remember(provider, key, op, fp string, rep reply, resource string) {
	s.idem[idemScope{provider, key}] = &idemEntry{op: op, fingerprint: fp, rep: rep, resource: resource}
}

// createdBy returns the object an operation of one of ops created under key.
// Callers hold s.mu.
func (s *Server) createdBy(provider, key string, ops ...string) (string, bool) {
	e, ok := s.idem[idemScope{provider, key}]
	if !ok || e.resource == "" {
		return "", false
	}
	for _, op := range ops {
		if e.op == op {
			return e.resource, true
		}
	}
	return "", false
}
