package api

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/db"
)

// idemRoute is a test-only money-moving route: it validates {"n": int > 0},
// claims the key, counts its runs and answers with the status the body asks for.
type idemRoute struct {
	runs    atomic.Int32
	release chan struct{} // when set, the handler waits on it after claiming
	claimed chan struct{}
}

func (f *fixture) idemRoute(mode idemMode) *idemRoute {
	r := &idemRoute{}
	f.e.POST("/test/idem", func(c echo.Context) error {
		var req struct {
			N      int    `json:"n"`
			Status int    `json:"status"`
			Note   string `json:"note"`
		}
		if err := decodeJSON(c, &req, false); err != nil {
			return err
		}
		if req.N <= 0 {
			var v validation
			v.add(codeValidationFailed, "n", "must be > 0")
			return v.err()
		}
		if err := f.s.claimIdempotency(c); err != nil {
			return err
		}
		run := r.runs.Add(1)
		if r.claimed != nil {
			r.claimed <- struct{}{}
		}
		if r.release != nil {
			<-r.release
		}
		switch {
		case req.Status >= 500:
			return internalError(fmt.Errorf("boom"))
		case req.Status >= 400:
			return problem(req.Status, "test_refused", "refused after the claim")
		case req.Status == 0:
			req.Status = http.StatusCreated
		}
		return c.JSON(req.Status, map[string]any{"run": run, "n": req.N, "id": scopedID(c, "t_")})
	}, f.s.auth(roleApp), f.s.idempotent(mode))
	return r
}

func (f *fixture) post(key, body string) response {
	return f.do(request{method: http.MethodPost, path: "/test/idem", role: roleApp, body: body, idemKey: key})
}

func TestIdempotencyReplaysFinalAnswer(t *testing.T) {
	f := newFixture(t)
	r := f.idemRoute(idemRequired)

	first := f.post("k1", `{"n":1}`)
	require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
	require.Empty(t, first.Header().Get(headerIdempotentReplayed))

	again := f.post("k1", `{"n":1}`)
	require.Equal(t, http.StatusCreated, again.Code)
	require.Equal(t, "true", again.Header().Get(headerIdempotentReplayed))
	require.Equal(t, echo.MIMEApplicationJSON, again.Header().Get(echo.HeaderContentType))
	require.JSONEq(t, first.Body.String(), again.Body.String())
	require.EqualValues(t, 1, r.runs.Load(), "the handler ran once")

	rec, err := f.q.GetIdempotencyKey(context.Background(), db.GetIdempotencyKeyParams{ApiKeyID: f.keyIDs[roleApp], Key: "k1"})
	require.NoError(t, err)
	require.Equal(t, "done", rec.Status)
	require.EqualValues(t, 201, rec.ResponseStatus.Int32)

	// Another body under the same key is refused, even one that would fail validation.
	f.post("k1", `{"n":2}`).problem(http.StatusUnprocessableEntity, codeIdempotencyKeyReused)
	f.post("k1", `{"n":0}`).problem(http.StatusUnprocessableEntity, codeIdempotencyKeyReused)
	require.EqualValues(t, 1, r.runs.Load())

	// A new key is a new request, and another API key has keys of its own.
	require.Equal(t, http.StatusCreated, f.post("k2", `{"n":1}`).Code)
	require.EqualValues(t, 2, r.runs.Load())
	require.NoError(t, EnsureAPIKey(context.Background(), f.q, roleApp, "second app", "sk_test_second_app_key"))
	res := f.do(request{method: http.MethodPost, path: "/test/idem", body: `{"n":1}`, idemKey: "k1",
		headers: map[string]string{"Authorization": "Bearer sk_test_second_app_key"}})
	require.Equal(t, http.StatusCreated, res.Code)
	require.Empty(t, res.Header().Get(headerIdempotentReplayed))
	require.NotEqual(t, first.json()["id"], res.json()["id"], "ids derive from the API key too")
	require.EqualValues(t, 3, r.runs.Load())
	require.Equal(t, 3, f.count("idempotency_keys"))
}

func TestIdempotencyValidationWritesNothing(t *testing.T) {
	f := newFixture(t)
	r := f.idemRoute(idemRequired)
	f.post("bad", `{"n":0}`).problem(http.StatusUnprocessableEntity, codeValidationFailed)
	f.post("bad", `{"n":`).problem(http.StatusBadRequest, codeMalformedJSON)
	f.do(request{method: http.MethodPost, path: "/test/idem", role: roleApp, body: `{"n":1}`}).
		problem(http.StatusBadRequest, codeIdempotencyKeyRequired)
	require.Zero(t, f.count("idempotency_keys"))
	require.Zero(t, r.runs.Load())

	// The key is still free for a good request.
	require.Equal(t, http.StatusCreated, f.post("bad", `{"n":1}`).Code)
	require.EqualValues(t, 1, r.runs.Load())
}

func TestIdempotencyKeepsRefusalsAfterClaim(t *testing.T) {
	f := newFixture(t)
	r := f.idemRoute(idemRequired)
	f.post("k", `{"n":1,"status":422}`).problem(http.StatusUnprocessableEntity, "test_refused")
	res := f.post("k", `{"n":1,"status":422}`)
	p := res.problem(http.StatusUnprocessableEntity, "test_refused")
	require.Equal(t, "refused after the claim", p["detail"])
	require.Equal(t, "true", res.Header().Get(headerIdempotentReplayed))
	require.EqualValues(t, 1, r.runs.Load())
}

func TestIdempotencyReleasesNonFinalAnswers(t *testing.T) {
	f := newFixture(t)
	r := f.idemRoute(idemRequired)

	f.post("k5", `{"n":1,"status":500}`).problem(http.StatusInternalServerError, codeInternal)
	require.Zero(t, f.count("idempotency_keys"), "a 5xx releases the key")
	f.post("k5", `{"n":1,"status":500}`).problem(http.StatusInternalServerError, codeInternal)
	require.EqualValues(t, 2, r.runs.Load(), "a retry after a 5xx runs again")

	first := f.post("k202", `{"n":1,"status":202}`)
	require.Equal(t, http.StatusAccepted, first.Code)
	require.Zero(t, f.count("idempotency_keys"), "a 202 releases the key")
	again := f.post("k202", `{"n":1,"status":202}`)
	require.Equal(t, http.StatusAccepted, again.Code)
	require.Empty(t, again.Header().Get(headerIdempotentReplayed))
	require.EqualValues(t, 4, r.runs.Load())
	require.Equal(t, first.json()["id"], again.json()["id"], "the retry derives the same ids and so joins the same workflow")
}

func TestIdempotencyInProgress(t *testing.T) {
	f := newFixture(t)
	r := f.idemRoute(idemRequired)
	r.claimed, r.release = make(chan struct{}, 1), make(chan struct{})

	var wg sync.WaitGroup
	var first response
	wg.Add(1)
	go func() {
		defer wg.Done()
		first = f.post("busy", `{"n":1}`)
	}()
	<-r.claimed
	r.claimed = nil // later runs would block on it otherwise
	f.post("busy", `{"n":1}`).problem(http.StatusConflict, codeIdempotencyKeyInUse)
	f.post("busy", `{"n":2}`).problem(http.StatusUnprocessableEntity, codeIdempotencyKeyReused)
	close(r.release)
	wg.Wait()
	require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
	require.EqualValues(t, 1, r.runs.Load())

	res := f.post("busy", `{"n":1}`)
	require.Equal(t, "true", res.Header().Get(headerIdempotentReplayed))
	require.JSONEq(t, first.Body.String(), res.Body.String())
}

// A claim whose holder died (its lock expired) is taken over by the same request.
func TestIdempotencyTakesOverExpiredClaim(t *testing.T) {
	f := newFixture(t)
	r := f.idemRoute(idemRequired)
	ctx := context.Background()
	hash := requestHash(http.MethodPost, "/test/idem", []byte(`{"n":1}`))
	_, err := f.q.ClaimIdempotencyKey(ctx, db.ClaimIdempotencyKeyParams{
		ApiKeyID: f.keyIDs[roleApp], Key: "dead", RequestHash: hash,
		LockFor: pgtype.Interval{Microseconds: -time.Second.Microseconds(), Valid: true}, Holder: "a dead process",
	})
	require.NoError(t, err)

	f.post("dead", `{"n":2}`).problem(http.StatusUnprocessableEntity, codeIdempotencyKeyReused)
	res := f.post("dead", `{"n":1}`)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	require.EqualValues(t, 1, r.runs.Load())
	rec, err := f.q.GetIdempotencyKey(ctx, db.GetIdempotencyKeyParams{ApiKeyID: f.keyIDs[roleApp], Key: "dead"})
	require.NoError(t, err)
	require.Equal(t, "done", rec.Status)
}

func TestIdempotencyOptionalKey(t *testing.T) {
	f := newFixture(t)
	r := f.idemRoute(idemOptional)
	a := f.do(request{method: http.MethodPost, path: "/test/idem", role: roleApp, body: `{"n":1}`})
	b := f.do(request{method: http.MethodPost, path: "/test/idem", role: roleApp, body: `{"n":1}`})
	require.Equal(t, http.StatusCreated, a.Code)
	require.Equal(t, http.StatusCreated, b.Code)
	require.NotEqual(t, a.json()["id"], b.json()["id"], "without a key every request is new")
	require.Zero(t, f.count("idempotency_keys"))

	require.Equal(t, http.StatusCreated, f.post("opt", `{"n":1}`).Code)
	require.Equal(t, "true", f.post("opt", `{"n":1}`).Header().Get(headerIdempotentReplayed))
	require.EqualValues(t, 3, r.runs.Load())
}
