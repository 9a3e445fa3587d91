package providersim_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/bank"
	"github.com/paysaga/paysaga/adapters/identity"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/providersim"
)

// TestFaultsBeforeProcessing: error and outage faults answer without processing,
// are classified by the client, and a retry with the same key succeeds once.
func TestFaultsBeforeProcessing(t *testing.T) {
	tests := []struct {
		name   string
		fault  providersim.Fault
		kind   adapters.Kind
		status int
		code   string
	}{
		{"500", providersim.Fault{Mode: providersim.ModeError}, adapters.Transient, 500, "FAULT_INJECTED"},
		{"502", providersim.Fault{Mode: providersim.ModeError, Status: 502}, adapters.Transient, 502, "FAULT_INJECTED"},
		{"503 error", providersim.Fault{Mode: providersim.ModeError, Status: 503}, adapters.Transient, 503, "FAULT_INJECTED"},
		{"429", providersim.Fault{Mode: providersim.ModeError, Status: 429}, adapters.Transient, 429, "FAULT_INJECTED"},
		{"400", providersim.Fault{Mode: providersim.ModeError, Status: 400}, adapters.Invalid, 400, "FAULT_INJECTED"},
		{"outage", providersim.Fault{Mode: providersim.ModeOutage}, adapters.Unavailable, 503, "PROVIDER_UNAVAILABLE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			bk := e.billingKey("alpha", providersim.CardApprove)
			f := tt.fault
			f.Provider, f.Op, f.Count = "pg:alpha", providersim.OpAuthorize, 1
			e.setFault(f)
			req := pg.AuthorizeRequest{IdempotencyKey: key("auth"), BillingKey: bk, OrderID: key("order"), Amount: 5000, Currency: "KRW"}

			_, err := e.pg["alpha"].Authorize(e.ctx, req)
			ae := requireKind(t, err, tt.kind, tt.code)
			assert.Equal(t, tt.status, ae.Status)
			assert.Empty(t, e.records(providersim.RecordFilter{OrderID: req.OrderID}), "nothing processed")
			_, err = e.pg["alpha"].GetByIdempotencyKey(e.ctx, req.IdempotencyKey)
			requireKind(t, err, adapters.NotFound, "")

			p, err := e.pg["alpha"].Authorize(e.ctx, req)
			require.NoError(t, err, "the rule fired its one time")
			n, amt := sum(e.records(providersim.RecordFilter{OrderID: req.OrderID}))
			assert.Equal(t, 1, n)
			assert.EqualValues(t, 5000, amt)
			assert.Equal(t, providersim.StatusAuthorized, p.Status)

			rules, err := e.admin.Faults(e.ctx)
			require.NoError(t, err)
			require.Len(t, rules, 1)
			assert.Equal(t, 1, rules[0].Fired)
		})
	}
}

func TestOutageOfOnePG(t *testing.T) {
	e := newEnv(t)
	ak := e.tokenize(providersim.CardApprove)
	e.setFault(providersim.Fault{Provider: "pg:alpha", Op: "*", Mode: providersim.ModeOutage})

	_, err := e.pg["alpha"].IssueBillingKey(e.ctx, pg.IssueBillingKeyRequest{CustomerKey: "cus", AuthKey: ak})
	requireKind(t, err, adapters.Unavailable, "PROVIDER_UNAVAILABLE")
	_, err = e.pg["alpha"].GetByIdempotencyKey(e.ctx, "k")
	requireKind(t, err, adapters.Unavailable, "PROVIDER_UNAVAILABLE")

	// beta is untouched: the card registers and pays there.
	bk, err := e.pg["beta"].IssueBillingKey(e.ctx, pg.IssueBillingKeyRequest{CustomerKey: "cus", AuthKey: ak})
	require.NoError(t, err)
	p := e.authorize("beta", bk.BillingKey, 7000)
	assert.Len(t, e.records(providersim.RecordFilter{Provider: "pg:beta", Kind: providersim.KindAuthorize, PaymentKey: p.PaymentKey}), 1)
	assert.Empty(t, e.records(providersim.RecordFilter{Provider: "pg:alpha"}))

	// The bank and identity provider are untouched too.
	_, err = e.bank.InquireHolder(e.ctx, "004", "1234567890")
	require.NoError(t, err)

	require.NoError(t, e.admin.ClearFaults(e.ctx))
	_, err = e.pg["alpha"].IssueBillingKey(e.ctx, pg.IssueBillingKeyRequest{CustomerKey: "cus", AuthKey: ak})
	require.NoError(t, err, "the auth key still works at alpha after the outage")
	rules, err := e.admin.Faults(e.ctx)
	require.NoError(t, err)
	assert.Empty(t, rules)
}

func TestLatency(t *testing.T) {
	e := newEnv(t)
	bk := e.billingKey("alpha", providersim.CardApprove)

	t.Run("slow but answered", func(t *testing.T) {
		e.setFault(providersim.Fault{Provider: "pg:alpha", Op: providersim.OpAuthorize, Mode: providersim.ModeLatency, LatencyMS: 60, Count: 1})
		start := time.Now()
		e.authorize("alpha", bk, 1000)
		assert.GreaterOrEqual(t, time.Since(start), 60*time.Millisecond)
	})

	t.Run("client gives up, provider still processes", func(t *testing.T) {
		e.setFault(providersim.Fault{Provider: "pg:alpha", Op: providersim.OpAuthorize, Mode: providersim.ModeLatency, LatencyMS: 200, Count: 1})
		req := pg.AuthorizeRequest{IdempotencyKey: key("auth"), BillingKey: bk, OrderID: key("order"), Amount: 2500, Currency: "KRW"}
		_, err := e.pg["alpha"].Authorize(shortCtx(t, 50*time.Millisecond), req)
		requireKind(t, err, adapters.Ambiguous, "")
		assert.ErrorIs(t, err, context.DeadlineExceeded)

		// The slow provider finishes the work after the caller left.
		var p pg.Payment
		require.Eventually(t, func() bool {
			p, err = e.pg["alpha"].GetByIdempotencyKey(e.ctx, req.IdempotencyKey)
			return err == nil
		}, 2*time.Second, 20*time.Millisecond)
		again, err := e.pg["alpha"].Authorize(e.ctx, req)
		require.NoError(t, err)
		assert.Equal(t, p.PaymentKey, again.PaymentKey)
		assert.Len(t, e.records(providersim.RecordFilter{OrderID: req.OrderID}), 1)
	})

	t.Run("http.Client timeout is ambiguous too", func(t *testing.T) {
		e.setFault(providersim.Fault{Provider: "bank", Op: providersim.OpDebit, Mode: providersim.ModeLatency, LatencyMS: 200, Count: 1})
		impatient := bank.NewHTTPClient(e.url+"/bank", &http.Client{Timeout: 50 * time.Millisecond})
		mv := bank.MoveRequest{IdempotencyKey: key("debit"), BankCode: "004", AccountNumber: "1234567890", Amount: 300, Currency: "KRW"}
		_, err := impatient.Debit(e.ctx, mv)
		requireKind(t, err, adapters.Ambiguous, "")
		require.Eventually(t, func() bool {
			_, err := e.bank.GetByIdempotencyKey(e.ctx, mv.IdempotencyKey)
			return err == nil
		}, 2*time.Second, 20*time.Millisecond)
	})
}

// TestTimeoutAfterCommit: the provider commits, then the answer is lost. The
// client sees Ambiguous; a query by key finds the committed result, and a retry
// with the same key replays it without a second money movement.
func TestTimeoutAfterCommit(t *testing.T) {
	tests := []struct {
		name string
		op   string
		run  func(e *env) // sets up, calls once under the fault, resolves, retries
	}{
		{"authorize", providersim.OpAuthorize, func(e *env) {
			bk := e.billingKey("alpha", providersim.CardApprove)
			e.setFault(providersim.Fault{Provider: "pg:alpha", Op: providersim.OpAuthorize, Mode: providersim.ModeTimeoutAfterCommit, Count: 1})
			req := pg.AuthorizeRequest{IdempotencyKey: key("auth"), BillingKey: bk, OrderID: key("order"), Amount: 15000, Currency: "KRW"}
			_, err := e.pg["alpha"].Authorize(e.ctx, req)
			requireKind(e.t, err, adapters.Ambiguous, "")
			found, err := e.pg["alpha"].GetByIdempotencyKey(e.ctx, req.IdempotencyKey)
			require.NoError(e.t, err, "the authorization was committed")
			again, err := e.pg["alpha"].Authorize(e.ctx, req)
			require.NoError(e.t, err)
			assert.Equal(e.t, found, again)
			n, amt := sum(e.records(providersim.RecordFilter{OrderID: req.OrderID, Kind: providersim.KindAuthorize}))
			assert.Equal(e.t, 1, n)
			assert.EqualValues(e.t, 15000, amt)
		}},
		{"capture", providersim.OpCapture, func(e *env) {
			p := e.authorize("alpha", e.billingKey("alpha", providersim.CardApprove), 15000)
			e.setFault(providersim.Fault{Provider: "pg:alpha", Op: providersim.OpCapture, Mode: providersim.ModeTimeoutAfterCommit, Count: 1})
			req := pg.CaptureRequest{IdempotencyKey: key("cap"), PaymentKey: p.PaymentKey}
			_, err := e.pg["alpha"].Capture(e.ctx, req)
			requireKind(e.t, err, adapters.Ambiguous, "")
			now, err := e.pg["alpha"].GetPayment(e.ctx, p.PaymentKey)
			require.NoError(e.t, err)
			assert.EqualValues(e.t, 15000, now.CapturedAmount, "the capture was committed")
			again, err := e.pg["alpha"].Capture(e.ctx, req)
			require.NoError(e.t, err, "the retry replays, not ALREADY_CAPTURED")
			assert.Equal(e.t, now, again)
			n, amt := sum(e.records(providersim.RecordFilter{PaymentKey: p.PaymentKey, Kind: providersim.KindCapture}))
			assert.Equal(e.t, 1, n)
			assert.EqualValues(e.t, 15000, amt)
		}},
		{"partial refund", providersim.OpCancel, func(e *env) {
			p := e.authorize("beta", e.billingKey("beta", providersim.CardApprove), 15000)
			_, err := e.pg["beta"].Capture(e.ctx, pg.CaptureRequest{IdempotencyKey: key("cap"), PaymentKey: p.PaymentKey})
			require.NoError(e.t, err)
			e.setFault(providersim.Fault{Provider: "pg:beta", Op: providersim.OpCancel, Mode: providersim.ModeTimeoutAfterCommit, Count: 1})
			req := pg.CancelRequest{IdempotencyKey: key("refund"), PaymentKey: p.PaymentKey, Amount: 5000}
			_, err = e.pg["beta"].Cancel(e.ctx, req)
			requireKind(e.t, err, adapters.Ambiguous, "")
			again, err := e.pg["beta"].Cancel(e.ctx, req)
			require.NoError(e.t, err)
			assert.EqualValues(e.t, 5000, again.CanceledAmount, "refunded once, not twice")
			n, amt := sum(e.records(providersim.RecordFilter{PaymentKey: p.PaymentKey, Kind: providersim.KindCancel}))
			assert.Equal(e.t, 1, n)
			assert.EqualValues(e.t, 5000, amt)
		}},
		{"billing key", providersim.OpBillingKey, func(e *env) {
			ak := e.tokenize(providersim.CardApprove)
			e.setFault(providersim.Fault{Provider: "pg:beta", Op: providersim.OpBillingKey, Mode: providersim.ModeTimeoutAfterCommit, Count: 1})
			req := pg.IssueBillingKeyRequest{CustomerKey: "cus", AuthKey: ak}
			_, err := e.pg["beta"].IssueBillingKey(e.ctx, req)
			requireKind(e.t, err, adapters.Ambiguous, "")
			bk, err := e.pg["beta"].IssueBillingKey(e.ctx, req)
			require.NoError(e.t, err)
			recs := e.records(providersim.RecordFilter{Kind: providersim.KindBillingKey})
			require.Len(e.t, recs, 1)
			assert.Equal(e.t, bk.BillingKey, recs[0].PaymentKey)
		}},
		{"debit", providersim.OpDebit, func(e *env) {
			e.setFault(providersim.Fault{Provider: "bank", Op: providersim.OpDebit, Mode: providersim.ModeTimeoutAfterCommit, Count: 1})
			req := bank.MoveRequest{IdempotencyKey: key("debit"), BankCode: "004", AccountNumber: "1234567890", Amount: 40000, Currency: "KRW"}
			_, err := e.bank.Debit(e.ctx, req)
			requireKind(e.t, err, adapters.Ambiguous, "")
			found, err := e.bank.GetByIdempotencyKey(e.ctx, req.IdempotencyKey)
			require.NoError(e.t, err)
			again, err := e.bank.Debit(e.ctx, req)
			require.NoError(e.t, err)
			assert.Equal(e.t, found, again)
			n, amt := sum(e.records(providersim.RecordFilter{Kind: providersim.KindDebit}))
			assert.Equal(e.t, 1, n)
			assert.EqualValues(e.t, 40000, amt)
		}},
		{"transfer", providersim.OpTransfer, func(e *env) {
			e.setFault(providersim.Fault{Provider: "bank", Mode: providersim.ModeTimeoutAfterCommit, Count: 1})
			req := bank.MoveRequest{IdempotencyKey: key("payout"), BankCode: "004", AccountNumber: "1234567890", Amount: 9000, Currency: "KRW"}
			_, err := e.bank.Transfer(e.ctx, req)
			requireKind(e.t, err, adapters.Ambiguous, "")
			found, err := e.bank.GetByIdempotencyKey(e.ctx, req.IdempotencyKey)
			require.NoError(e.t, err)
			assert.Equal(e.t, bank.Transaction{ID: found.ID, Kind: "transfer", Status: "succeeded", Amount: 9000, Currency: "KRW"}, found)
			_, err = e.bank.Transfer(e.ctx, req)
			require.NoError(e.t, err)
			assert.Len(e.t, e.records(providersim.RecordFilter{Kind: providersim.KindTransfer}), 1)
		}},
		{"request code", providersim.OpRequestCode, func(e *env) {
			e.setFault(providersim.Fault{Provider: "identity", Op: providersim.OpRequestCode, Mode: providersim.ModeTimeoutAfterCommit, Count: 1})
			req := identity.CodeRequest{IdempotencyKey: key("idv"), Name: "홍길동", Phone: "01012345678", BirthDate: "19900101"}
			_, err := e.idv.RequestCode(e.ctx, req)
			requireKind(e.t, err, adapters.Ambiguous, "")
			got, err := e.idv.RequestCode(e.ctx, req)
			require.NoError(e.t, err)
			recs := e.records(providersim.RecordFilter{Kind: providersim.KindRequestCode})
			require.Len(e.t, recs, 1, "one code sent")
			assert.Equal(e.t, got.RequestID, recs[0].PaymentKey)
		}},
		{"confirm", providersim.OpConfirm, func(e *env) {
			req, err := e.idv.RequestCode(e.ctx, identity.CodeRequest{IdempotencyKey: key("idv"), Name: "홍길동", Phone: "01012345678", BirthDate: "19900101"})
			require.NoError(e.t, err)
			code, err := e.admin.IdentityCode(e.ctx, req.RequestID)
			require.NoError(e.t, err)
			e.setFault(providersim.Fault{Provider: "identity", Op: providersim.OpConfirm, Mode: providersim.ModeTimeoutAfterCommit, Count: 1})
			_, err = e.idv.Confirm(e.ctx, req.RequestID, code)
			requireKind(e.t, err, adapters.Ambiguous, "")
			p, err := e.idv.Confirm(e.ctx, req.RequestID, code)
			require.NoError(e.t, err, "a confirmed request confirms again with its code")
			assert.Len(e.t, p.CI, 88)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tt.run(e)
			rules, err := e.admin.Faults(e.ctx)
			require.NoError(t, err)
			require.Len(t, rules, 1)
			assert.Equal(t, 1, rules[0].Fired, "the fault fired on %s", tt.op)
		})
	}
}

// TestFaultRate: a seeded rate fault replays the same sequence for the same seed,
// also after a reset.
func TestFaultRate(t *testing.T) {
	run := func(e *env) []bool {
		bk := e.billingKey("alpha", providersim.CardApprove)
		e.setFault(providersim.Fault{Provider: "pg:alpha", Op: providersim.OpAuthorize, Mode: providersim.ModeError, Status: 500, Rate: 0.5})
		var failed []bool
		for range 30 {
			_, err := e.pg["alpha"].Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: key("a"), BillingKey: bk, OrderID: key("o"), Amount: 100, Currency: "KRW"})
			if err != nil {
				requireKind(e.t, err, adapters.Transient, "FAULT_INJECTED")
			}
			failed = append(failed, err != nil)
		}
		fails := 0
		for _, f := range failed {
			if f {
				fails++
			}
		}
		assert.Greater(e.t, fails, 5)
		assert.Less(e.t, fails, 25)
		assert.Len(e.t, e.records(providersim.RecordFilter{Kind: providersim.KindAuthorize}), 30-fails, "only answered requests were processed")
		rules, err := e.admin.Faults(e.ctx)
		require.NoError(e.t, err)
		assert.Equal(e.t, fails, rules[0].Fired)
		return failed
	}
	e1 := newEnv(t)
	first := run(e1)
	assert.Equal(t, first, run(newEnv(t)), "same seed, same faults")
	require.NoError(t, e1.admin.Reset(e1.ctx))
	assert.Equal(t, first, run(e1), "a reset reseeds")
}

func TestFaultMatching(t *testing.T) {
	e := newEnv(t)
	pa := e.authorize("alpha", e.billingKey("alpha", providersim.CardApprove), 1000)
	pb := e.authorize("beta", e.billingKey("beta", providersim.CardApprove), 1000)
	// Any provider, captures only, twice.
	e.setFault(providersim.Fault{Op: providersim.OpCapture, Mode: providersim.ModeError, Status: 502, Count: 2})

	_, err := e.pg["alpha"].Capture(e.ctx, pg.CaptureRequest{IdempotencyKey: "cap-a", PaymentKey: pa.PaymentKey})
	requireKind(t, err, adapters.Transient, "FAULT_INJECTED")
	e.authorize("alpha", e.billingKey("alpha", providersim.CardApprove), 1000) // authorize is not matched
	_, err = e.pg["beta"].Capture(e.ctx, pg.CaptureRequest{IdempotencyKey: "cap-b", PaymentKey: pb.PaymentKey})
	requireKind(t, err, adapters.Transient, "FAULT_INJECTED")
	_, err = e.pg["alpha"].Capture(e.ctx, pg.CaptureRequest{IdempotencyKey: "cap-a", PaymentKey: pa.PaymentKey})
	require.NoError(t, err, "the rule is spent after two")
	rules, err := e.admin.Faults(e.ctx)
	require.NoError(t, err)
	require.Len(t, rules, 1)
	assert.Equal(t, providersim.FaultStatus{Fault: providersim.Fault{Provider: "*", Op: "capture", Mode: "error", Status: 502, Count: 2}, Fired: 2}, rules[0])
}

func TestInvalidFaults(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		f    providersim.Fault
	}{
		{"unknown PG", providersim.Fault{Provider: "pg:gamma", Mode: providersim.ModeOutage}},
		{"unknown provider", providersim.Fault{Provider: "acme", Mode: providersim.ModeOutage}},
		{"unknown op", providersim.Fault{Op: "refund", Mode: providersim.ModeOutage}},
		{"unknown mode", providersim.Fault{Mode: "explode"}},
		{"no mode", providersim.Fault{}},
		{"non-error status", providersim.Fault{Mode: providersim.ModeError, Status: 200}},
		{"latency without duration", providersim.Fault{Mode: providersim.ModeLatency}},
		{"rate above 1", providersim.Fault{Mode: providersim.ModeOutage, Rate: 1.5}},
		{"negative count", providersim.Fault{Mode: providersim.ModeOutage, Count: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.admin.SetFault(e.ctx, tt.f)
			var ae *providersim.APIError
			require.True(t, errors.As(err, &ae), "err: %v", err)
			assert.Equal(t, 400, ae.Status)
			assert.Equal(t, "INVALID_FAULT", ae.Code)
		})
	}
	rules, err := e.admin.Faults(e.ctx)
	require.NoError(t, err)
	assert.Empty(t, rules)
}

func TestProviderDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := pg.NewHTTPClient("alpha", url+"/pg/alpha", &http.Client{Timeout: time.Second})
	_, err := c.Authorize(t.Context(), pg.AuthorizeRequest{IdempotencyKey: "k", BillingKey: "bk", OrderID: "o", Amount: 1, Currency: "KRW"})
	requireKind(t, err, adapters.Unavailable, "")
}
