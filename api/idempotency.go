package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/paysaga/paysaga/db"
)

// Idempotency-Key handling for money-moving POSTs.
//
// The middleware reads the body, hashes it with the method and path, and answers
// at once when the key was used before: a saved final answer is replayed (same
// hash) or refused (422, other hash); a running one is 409. Otherwise the handler
// validates its input and calls claimIdempotency just before its effect, so a
// request that fails validation writes no row. After the handler, a final answer
// (2xx except 202, or 4xx) is saved and a non-final one (202, 5xx) releases the key.
//
// A claim is a lease, not a long lock: its holder (one request in one process,
// named by a random token) keeps it while the handler runs, the process's
// leaseKeeper renewing it every third of cfg.IdempotencyLease. When the process
// dies the renewals stop, and a retry takes the key over as soon as the lease
// runs out, re-attaching through scopedID to the workflow the dead request
// started (whose result it then answers), instead of answering 409 until a lock
// sized for the longest request expires.
//
// Ids the handler creates for the request (payment, refund, method) are derived
// from the key scope and the request hash (scopedID): a retry after a released
// key, or after a lock taken over from a dead request, re-attaches to the same
// workflow instead of starting a second refund or registration.

const (
	headerIdempotencyKey      = "Idempotency-Key"
	headerIdempotentReplayed  = "Idempotent-Replayed"
	idempotencyKeyMaxLen      = 255
	maxSavedResponseBodyBytes = 1 << 20
)

type idemMode int

const (
	idemRequired idemMode = iota // cancel, refunds, top-ups
	idemOptional                 // honoured when present (payment methods)
	// idemClaimedWithFacts: required, and the handler reads the key in the
	// statement that claims it with the facts it validates (ClaimCheckout), so
	// the middleware does not read it first; a request refused before that
	// statement has its key read then, so a stored answer still comes first.
	idemClaimedWithFacts
)

const ctxIdemScope = "paysaga.idempotency"

// idemScope is one request's claim on (API key id, Idempotency-Key).
type idemScope struct {
	apiKeyID    string
	key         string
	requestHash []byte
	claimed     bool
	read        bool   // the key's row was read (or claimed) for this request
	holder      string // this request's token on the claim
	stopRenew   func() // ends the lease renewals; nil until claimed
}

// stopRenewing ends the lease renewals (safe to call twice).
func (sc *idemScope) stopRenewing() {
	if sc.stopRenew != nil {
		sc.stopRenew()
		sc.stopRenew = nil
	}
}

// idNamespace seeds the name-based UUIDs of scopedID.
var idNamespace = uuid.MustParse("5b0d3c8e-6f0a-4c1e-9a57-2f1d8e7c4b90")

// scopedID returns prefix+UUID: derived from the idempotency scope when the
// request has one (the same request always gets the same id), else a fresh UUIDv7.
func scopedID(c echo.Context, prefix string) string {
	sc, _ := c.Get(ctxIdemScope).(*idemScope)
	if sc == nil {
		return prefix + uuid.Must(uuid.NewV7()).String()
	}
	return sc.derivedID(prefix)
}

func (sc *idemScope) derivedID(prefix string) string {
	name := sc.apiKeyID + "\x00" + sc.key + "\x00" + hex.EncodeToString(sc.requestHash)
	return prefix + uuid.NewSHA1(idNamespace, []byte(name)).String()
}

// requestHash identifies a request by its meaning: the method, the path and
// the canonical form of its JSON body, so another key order or spacing is the
// same request and any changed value is another.
func requestHash(method, path string, body []byte) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", method, path)
	h.Write(canonicalJSON(body))
	return h.Sum(nil)
}

// canonicalJSON re-encodes one clean JSON value with sorted keys, no spacing and
// numbers as written. A body the decoder would refuse (invalid, duplicate keys,
// bad UTF-8) is hashed as sent: it can never be a replay of a clean one.
func canonicalJSON(body []byte) []byte {
	if len(bytes.TrimSpace(body)) == 0 || !utf8.Valid(body) || checkJSONText(body) != nil {
		return body
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return body
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return body
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

// replay is a saved answer to send again; it travels as an error to the middleware.
type replay struct {
	status int
	body   []byte
}

func (r *replay) Error() string { return fmt.Sprintf("idempotent replay of a %d answer", r.status) }

func (s *server) idempotent(mode idemMode) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			key := req.Header.Get(headerIdempotencyKey)
			if key == "" {
				if mode == idemOptional {
					return next(c)
				}
				return problem(http.StatusBadRequest, codeIdempotencyKeyRequired,
					"this request moves money: send an Idempotency-Key header (e.g. a UUID) and reuse it on retries")
			}
			if !validIdempotencyKey(key) {
				return problem(http.StatusBadRequest, codeIdempotencyKeyInvalid,
					fmt.Sprintf("Idempotency-Key must be 1..%d visible ASCII characters", idempotencyKeyMaxLen))
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				return readBodyError(err)
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			sc := &idemScope{apiKeyID: callerOf(c).ID, key: key, requestHash: requestHash(req.Method, req.URL.Path, body),
				holder: uuid.NewString()}
			defer sc.stopRenewing()

			// An earlier request with this key answers before any validation: a
			// replay must not depend on state that changed since.
			if mode != idemClaimedWithFacts {
				if err := s.earlierAnswer(req.Context(), sc); err != nil {
					return s.writeReplayOr(c, err)
				}
			}

			c.Set(ctxIdemScope, sc)
			capture := &captureWriter{ResponseWriter: c.Response().Writer}
			c.Response().Writer = capture

			err = callSafely(next, c)
			if !sc.claimed {
				if err != nil && !sc.read {
					// Refused before its claim read the key: an earlier
					// answer under this key still comes first.
					if earlier := s.earlierAnswer(req.Context(), sc); earlier != nil {
						err = earlier
					}
				}
				if err != nil {
					return s.writeReplayOr(c, err)
				}
				return nil
			}
			if err != nil {
				c.Error(s.writeReplayOr(c, err))
			}
			sc.stopRenewing()
			s.finishIdempotency(c, sc, c.Response().Status, capture)
			return nil
		}
	}
}

// earlierAnswer reads the request's key: the answer a request made earlier
// with it decides this one (a replay, 422 for another body, 409 while it
// runs); nil when the key is free or its holder's lease ran out.
func (s *server) earlierAnswer(ctx context.Context, sc *idemScope) error {
	rec, err := s.q.GetIdempotencyKey(ctx, db.GetIdempotencyKeyParams{ApiKeyID: sc.apiKeyID, Key: sc.key})
	sc.read = err == nil || errors.Is(err, pgx.ErrNoRows)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return internalError(fmt.Errorf("read idempotency key: %w", err))
	}
	return existingAnswer(rec, sc.requestHash, time.Now())
}

// writeReplayOr sends a replay, or returns err for the error handler.
func (s *server) writeReplayOr(c echo.Context, err error) error {
	var rp *replay
	if !errors.As(err, &rp) {
		return err
	}
	zerolog.Ctx(c.Request().Context()).Info().Int("replayed_status", rp.status).Msg("idempotent replay")
	c.Response().Header().Set(headerIdempotentReplayed, "true")
	if len(rp.body) == 0 {
		return c.NoContent(rp.status)
	}
	contentType := echo.MIMEApplicationJSON
	if rp.status >= 400 {
		contentType = "application/problem+json"
	}
	return c.Blob(rp.status, contentType, rp.body)
}

// existingAnswer decides what a stored key means for a new request: nil when
// the new request may go on (the holder's lock expired; the claim takes it over).
func existingAnswer(rec db.IdempotencyKey, hash []byte, now time.Time) error {
	if !bytes.Equal(rec.RequestHash, hash) {
		return problem(http.StatusUnprocessableEntity, codeIdempotencyKeyReused,
			"this Idempotency-Key was used with a different request; use a new key for a new request")
	}
	if rec.Status == "done" {
		return &replay{status: int(rec.ResponseStatus.Int32), body: rec.ResponseBody}
	}
	if rec.LockedUntil.Valid && rec.LockedUntil.Time.Before(now) {
		return nil
	}
	return problem(http.StatusConflict, codeIdempotencyKeyInUse,
		"a request with this Idempotency-Key is still being processed; retry later")
}

// claimIdempotency takes the request's key just before its effect. Handlers on
// routes without a key (optional mode) get nil and go on.
func (s *server) claimIdempotency(c echo.Context) error {
	sc, _ := c.Get(ctxIdemScope).(*idemScope)
	if sc == nil || sc.claimed {
		return nil
	}
	ctx := c.Request().Context()
	lease := s.idempotencyLease()
	for range 3 {
		_, err := s.q.ClaimIdempotencyKey(ctx, db.ClaimIdempotencyKeyParams{
			ApiKeyID: sc.apiKeyID, Key: sc.key, RequestHash: sc.requestHash, LockFor: lease, Holder: sc.holder,
		})
		if err == nil {
			sc.claimed = true
			sc.stopRenew = s.renewLease(sc)
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return internalError(fmt.Errorf("claim idempotency key: %w", err))
		}
		rec, err := s.q.GetIdempotencyKey(ctx, db.GetIdempotencyKeyParams{ApiKeyID: sc.apiKeyID, Key: sc.key})
		if errors.Is(err, pgx.ErrNoRows) {
			continue // released between the two statements: claim again
		}
		if err != nil {
			return internalError(fmt.Errorf("read idempotency key: %w", err))
		}
		if err := existingAnswer(rec, sc.requestHash, time.Now()); err != nil {
			return err
		}
	}
	return problem(http.StatusConflict, codeIdempotencyKeyInUse,
		"a request with this Idempotency-Key is still being processed; retry later")
}

func (s *server) idempotencyLease() pgtype.Interval {
	return pgtype.Interval{Microseconds: s.cfg.IdempotencyLease.Microseconds(), Valid: true}
}

// renewLease adds the claim to the process's lease keeper until the returned
// stop is called.
func (s *server) renewLease(sc *idemScope) (stop func()) {
	s.leases.hold(sc.holder)
	return func() { s.leases.drop(sc.holder) }
}

// leaseKeeper renews every claim this process holds, every third of the
// lease, in one statement however many requests are in flight (a statement per
// request competed for the pool with the requests themselves under load). Its
// loop runs only while it holds claims. A claim that stalls past its lease (a
// PostgreSQL pause) can be taken over by a retry; the taker runs the same
// request on the same derived ids, so it joins the same workflow rather than
// starting another.
type leaseKeeper struct {
	q     *db.Queries
	lease time.Duration
	log   zerolog.Logger

	mu      sync.Mutex
	holders map[string]bool
	running bool
}

func newLeaseKeeper(q *db.Queries, lease time.Duration, log zerolog.Logger) *leaseKeeper {
	return &leaseKeeper{q: q, lease: lease, log: log, holders: map[string]bool{}}
}

func (k *leaseKeeper) hold(holder string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.holders[holder] = true
	if !k.running {
		k.running = true
		go k.loop()
	}
}

func (k *leaseKeeper) drop(holder string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.holders, holder)
}

func (k *leaseKeeper) loop() {
	every := k.lease / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for range t.C {
		k.mu.Lock()
		if len(k.holders) == 0 {
			k.running = false
			k.mu.Unlock()
			return
		}
		holders := make([]string, 0, len(k.holders))
		for h := range k.holders {
			holders = append(holders, h)
		}
		k.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), every)
		_, err := k.q.RenewIdempotencyLeases(ctx, db.RenewIdempotencyLeasesParams{
			LockFor: pgtype.Interval{Microseconds: k.lease.Microseconds(), Valid: true}, Holders: holders,
		})
		cancel()
		if err != nil {
			k.log.Warn().Err(err).Int("claims", len(holders)).Msg("renew idempotency leases") // the next tick tries again
		}
	}
}

// finishIdempotency saves a final answer or releases the key. It runs after the
// answer is written, on a context the client cannot cancel.
func (s *server) finishIdempotency(c echo.Context, sc *idemScope, status int, capture *captureWriter) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), 5*time.Second)
	defer cancel()
	log := zerolog.Ctx(c.Request().Context())
	if status == http.StatusAccepted || status >= 500 || capture.overflow {
		if err := s.q.ReleaseIdempotencyKey(ctx, db.ReleaseIdempotencyKeyParams{ApiKeyID: sc.apiKeyID, Key: sc.key, Holder: sc.holder}); err != nil {
			log.Error().Err(err).Msg("release idempotency key")
		}
		return
	}
	err := s.q.CompleteIdempotencyKey(ctx, db.CompleteIdempotencyKeyParams{
		ApiKeyID:       sc.apiKeyID,
		Key:            sc.key,
		ResponseStatus: pgtype.Int4{Int32: int32(status), Valid: true},
		ResponseBody:   capture.buf.Bytes(),
		Holder:         sc.holder,
	})
	if err != nil {
		// The key stays in_progress until its lease runs out; a retry then takes
		// it over and re-attaches to the same workflow through scopedID.
		log.Error().Err(err).Msg("save idempotent answer")
	}
}

func validIdempotencyKey(k string) bool {
	return len(k) >= 1 && len(k) <= idempotencyKeyMaxLen && visibleASCII(k)
}

// captureWriter keeps a copy of the answer so it can be saved for replays.
type captureWriter struct {
	http.ResponseWriter
	buf      bytes.Buffer
	overflow bool
}

func (w *captureWriter) Write(b []byte) (int, error) {
	if !w.overflow {
		if w.buf.Len()+len(b) > maxSavedResponseBodyBytes {
			w.overflow = true
			w.buf.Reset()
		} else {
			w.buf.Write(b)
		}
	}
	return w.ResponseWriter.Write(b)
}

func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
