package providersim_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/bank"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/providersim"
)

func TestTokenize(t *testing.T) {
	e := newEnv(t)
	valid := []string{
		providersim.CardApprove, providersim.CardApproveCheck, providersim.CardDecline,
		providersim.CardInsufficientFunds, providersim.CardCaptureFails, providersim.CardTimeout,
		"4111 1111 1111 1111", "4111-1111-1111-1111",
	}
	for _, n := range valid {
		t.Run("valid "+n, func(t *testing.T) {
			ak, err := e.admin.Tokenize(e.ctx, testCard(n))
			require.NoError(t, err)
			assert.Regexp(t, `^ak_[0-9a-f]{24}$`, ak)
		})
	}

	tests := []struct {
		name string
		card providersim.Card
		code string
	}{
		{"bad Luhn", providersim.Card{Number: "4111111111111112", ExpiryMonth: "12", ExpiryYear: "2030", CVC: "123"}, "INVALID_CARD_NUMBER"},
		{"too short", providersim.Card{Number: "411111111111", ExpiryMonth: "12", ExpiryYear: "2030", CVC: "123"}, "INVALID_CARD_NUMBER"},
		{"letters", providersim.Card{Number: "4111abcd11111111", ExpiryMonth: "12", ExpiryYear: "2030", CVC: "123"}, "INVALID_CARD_NUMBER"},
		{"expired", providersim.Card{Number: providersim.CardApprove, ExpiryMonth: "01", ExpiryYear: "2020", CVC: "123"}, "CARD_EXPIRED"},
		{"month 13", providersim.Card{Number: providersim.CardApprove, ExpiryMonth: "13", ExpiryYear: "2030", CVC: "123"}, "INVALID_CARD_EXPIRATION"},
		{"signed month", providersim.Card{Number: providersim.CardApprove, ExpiryMonth: "+1", ExpiryYear: "2030", CVC: "123"}, "INVALID_CARD_EXPIRATION"},
		{"3-digit year", providersim.Card{Number: providersim.CardApprove, ExpiryMonth: "12", ExpiryYear: "203", CVC: "123"}, "INVALID_CARD_EXPIRATION"},
		{"short CVC", providersim.Card{Number: providersim.CardApprove, ExpiryMonth: "12", ExpiryYear: "30", CVC: "12"}, "INVALID_CVC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.admin.Tokenize(e.ctx, tt.card)
			var ae *providersim.APIError
			require.True(t, errors.As(err, &ae), "err: %v", err)
			assert.Equal(t, 400, ae.Status)
			assert.Equal(t, tt.code, ae.Code)
			assert.NotContains(t, err.Error(), tt.card.Number, "errors never carry the card number")
		})
	}
}

func TestBillingKeyAtBothPGs(t *testing.T) {
	e := newEnv(t)
	ak := e.tokenize(providersim.CardApproveCheck)
	issued := map[string]string{}
	for _, name := range []string{"alpha", "beta"} {
		req := pg.IssueBillingKeyRequest{CustomerKey: "cus_1", AuthKey: ak}
		bk, err := e.pg[name].IssueBillingKey(e.ctx, req)
		require.NoError(t, err, name)
		assert.Equal(t, pg.BillingKey{BillingKey: bk.BillingKey, Method: "card", CardBrand: "MASTERCARD", CardType: "check", CardLast4: "4444", CardBIN: "555555"}, bk)
		again, err := e.pg[name].IssueBillingKey(e.ctx, req)
		require.NoError(t, err, name)
		assert.Equal(t, bk, again, "re-issuing from the same auth key answers the same billing key")
		issued[name] = bk.BillingKey
	}
	assert.NotEqual(t, issued["alpha"], issued["beta"], "each PG issues its own billing key")
	assert.Len(t, e.records(providersim.RecordFilter{Kind: providersim.KindBillingKey}), 2)
	assert.Len(t, e.records(providersim.RecordFilter{Kind: providersim.KindBillingKey, Provider: "pg:beta"}), 1)

	// Each billing key works at its own PG only.
	for name, bk := range issued {
		p := e.authorize(name, bk, 1000)
		assert.Equal(t, providersim.StatusAuthorized, p.Status)
	}
	_, err := e.pg["beta"].Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: key("a"), BillingKey: issued["alpha"],
		OrderID: key("o"), Amount: 1000, Currency: "KRW"})
	requireKind(t, err, adapters.Invalid, "BILLING_KEY_NOT_FOUND")

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name string
			req  pg.IssueBillingKeyRequest
			kind adapters.Kind
			code string
		}{
			{"auth key of another customer", pg.IssueBillingKeyRequest{CustomerKey: "cus_2", AuthKey: ak}, adapters.Invalid, "AUTH_KEY_ALREADY_USED"},
			{"unknown auth key", pg.IssueBillingKeyRequest{CustomerKey: "cus_1", AuthKey: "ak_nope"}, adapters.Invalid, "INVALID_AUTH_KEY"},
			{"no customer (client check)", pg.IssueBillingKeyRequest{AuthKey: ak}, adapters.Invalid, ""},
			{"both card and account (client check)", pg.IssueBillingKeyRequest{CustomerKey: "c", AuthKey: ak,
				BankAccount: &pg.BankAccount{BankCode: "004", AccountNumber: "1234567890", HolderName: "x"}}, adapters.Invalid, ""},
			{"holder mismatch", pg.IssueBillingKeyRequest{CustomerKey: "c",
				BankAccount: &pg.BankAccount{BankCode: "004", AccountNumber: "1234567890", HolderName: "김철수"}}, adapters.Declined, "ACCOUNT_HOLDER_MISMATCH"},
			{"closed account", pg.IssueBillingKeyRequest{CustomerKey: "c",
				BankAccount: &pg.BankAccount{BankCode: "004", AccountNumber: "9981234567", HolderName: providersim.DefaultHolderName}}, adapters.Declined, "ACCOUNT_CLOSED"},
			{"no such account", pg.IssueBillingKeyRequest{CustomerKey: "c",
				BankAccount: &pg.BankAccount{BankCode: "004", AccountNumber: "9991234567", HolderName: providersim.DefaultHolderName}}, adapters.Invalid, "ACCOUNT_NOT_FOUND"},
			{"bad bank code", pg.IssueBillingKeyRequest{CustomerKey: "c",
				BankAccount: &pg.BankAccount{BankCode: "4", AccountNumber: "1234567890", HolderName: providersim.DefaultHolderName}}, adapters.Invalid, "INVALID_BANK_CODE"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.pg["alpha"].IssueBillingKey(e.ctx, tt.req)
				requireKind(t, err, tt.kind, tt.code)
			})
		}
		assert.Len(t, e.records(providersim.RecordFilter{Kind: providersim.KindBillingKey}), 2, "failures issue nothing")
	})
}

func TestBillingKeyIdempotencyKeyHeader(t *testing.T) {
	e := newEnv(t)
	ak := e.tokenize(providersim.CardApprove)
	post := func(pgName, idemKey, body string) (int, map[string]any, string) {
		return e.rawPost("/pg/"+pgName+"/v1/billing-keys", idemKey, body)
	}
	body := `{"customer_key":"cus_1","auth_key":"` + ak + `"}`
	st, first, _ := post("alpha", "bk-1", body)
	require.Equal(t, 200, st)
	st, again, replayed := post("alpha", "bk-1", body)
	require.Equal(t, 200, st)
	assert.Equal(t, first["billing_key"], again["billing_key"])
	assert.Equal(t, "true", replayed)
	st, beta, _ := post("beta", "bk-1", body)
	require.Equal(t, 200, st, "keys are scoped to one PG instance")
	assert.NotEqual(t, first["billing_key"], beta["billing_key"])
	st, reused, _ := post("alpha", "bk-1", `{"customer_key":"cus_1","bank_account":{"bank_code":"004","account_number":"1234567890","holder_name":"홍길동"}}`)
	assert.Equal(t, 422, st)
	assert.Equal(t, "IDEMPOTENCY_KEY_REUSED", reused["code"])
	assert.Len(t, e.records(providersim.RecordFilter{Kind: providersim.KindBillingKey}), 2)
}

func TestBankAccountBillingKey(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.admin.SetBankAccount(e.ctx, providersim.BankAccount{BankCode: "088", AccountNumber: "110123456789", HolderName: "김고객", Balance: 5000}))
	req := pg.IssueBillingKeyRequest{CustomerKey: "cus_b", BankAccount: &pg.BankAccount{BankCode: "088", AccountNumber: "110123456789", HolderName: "김고객"}}
	bk, err := e.pg["alpha"].IssueBillingKey(e.ctx, req)
	require.NoError(t, err)
	assert.Equal(t, pg.BillingKey{BillingKey: bk.BillingKey, Method: "bank_account", BankCode: "088", AccountLast4: "6789"}, bk)
	again, err := e.pg["alpha"].IssueBillingKey(e.ctx, req)
	require.NoError(t, err)
	assert.Equal(t, bk.BillingKey, again.BillingKey)
	atBeta, err := e.pg["beta"].IssueBillingKey(e.ctx, req)
	require.NoError(t, err)
	assert.NotEqual(t, bk.BillingKey, atBeta.BillingKey)

	p := e.authorize("alpha", bk.BillingKey, 5000)
	assert.Equal(t, providersim.StatusAuthorized, p.Status)
	_, err = e.pg["alpha"].Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: key("a"), BillingKey: bk.BillingKey,
		OrderID: key("o"), Amount: 5001, Currency: "KRW"})
	requireKind(t, err, adapters.Declined, "INSUFFICIENT_FUNDS")

	// Capture withdraws from the account; a second payment then finds it short.
	p2 := e.authorize("alpha", bk.BillingKey, 3000)
	_, err = e.pg["alpha"].Capture(e.ctx, pg.CaptureRequest{IdempotencyKey: key("cap"), PaymentKey: p.PaymentKey})
	require.NoError(t, err)
	_, err = e.pg["alpha"].Capture(e.ctx, pg.CaptureRequest{IdempotencyKey: key("cap"), PaymentKey: p2.PaymentKey})
	requireKind(t, err, adapters.Declined, "INSUFFICIENT_FUNDS")
	// A refund puts the money back.
	_, err = e.pg["alpha"].Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: key("refund"), PaymentKey: p.PaymentKey, Amount: 3000})
	require.NoError(t, err)
	c, err := e.pg["alpha"].Capture(e.ctx, pg.CaptureRequest{IdempotencyKey: key("cap"), PaymentKey: p2.PaymentKey})
	require.NoError(t, err)
	assert.EqualValues(t, 3000, c.CapturedAmount)
	_, err = e.bank.Debit(e.ctx, bank.MoveRequest{IdempotencyKey: key("d"), BankCode: "088", AccountNumber: "110123456789", Amount: 1, Currency: "KRW"})
	requireKind(t, err, adapters.Declined, "INSUFFICIENT_FUNDS")
	n, amt := sum(e.records(providersim.RecordFilter{Provider: "pg:alpha", Kind: providersim.KindCapture}))
	assert.Equal(t, 2, n)
	assert.EqualValues(t, 8000, amt)
}

// TestAuthorizeTestCards runs every test card through authorize and capture.
func TestAuthorizeTestCards(t *testing.T) {
	tests := []struct {
		card        string
		authKind    adapters.Kind // "" = approved
		authCode    string
		captureKind adapters.Kind
		captureCode string
	}{
		{card: providersim.CardApprove},
		{card: providersim.CardApproveCheck},
		{card: "4242424242424242"}, // any other Luhn-valid number is approved
		{card: providersim.CardDecline, authKind: adapters.Declined, authCode: "CARD_DECLINED"},
		{card: providersim.CardInsufficientFunds, authKind: adapters.Declined, authCode: "INSUFFICIENT_FUNDS"},
		{card: providersim.CardCaptureFails, captureKind: adapters.Declined, captureCode: "CAPTURE_FAILED"},
		{card: providersim.CardTimeout, authKind: adapters.Ambiguous},
	}
	for _, tt := range tests {
		t.Run(tt.card, func(t *testing.T) {
			e := newEnv(t)
			for _, pgName := range []string{"alpha", "beta"} {
				bk := e.billingKey(pgName, tt.card)
				authKey, order := key("auth"), key("order")
				ctx := e.ctx
				if tt.card == providersim.CardTimeout {
					ctx = shortCtx(t, 100*time.Millisecond)
				}
				start := time.Now()
				p, err := e.pg[pgName].Authorize(ctx, pg.AuthorizeRequest{IdempotencyKey: authKey, BillingKey: bk,
					OrderID: order, Amount: 12000, Currency: "KRW"})
				if tt.authKind != "" {
					requireKind(t, err, tt.authKind, tt.authCode)
					assert.Less(t, time.Since(start), hangFor, "the client gave up, not the sandbox")
					_, err := e.pg[pgName].GetByIdempotencyKey(e.ctx, authKey)
					requireKind(t, err, adapters.NotFound, "PAYMENT_NOT_FOUND")
					assert.Empty(t, e.records(providersim.RecordFilter{OrderID: order}), "nothing committed")
					continue
				}
				require.NoError(t, err)
				assert.Equal(t, pg.Payment{PaymentKey: p.PaymentKey, OrderID: order, Status: providersim.StatusAuthorized,
					Amount: 12000, Currency: "KRW", ApprovedAt: p.ApprovedAt}, p)
				recs := e.records(providersim.RecordFilter{OrderID: order})
				require.Len(t, recs, 1)
				assert.Equal(t, providersim.Record{Seq: recs[0].Seq, Provider: "pg:" + pgName, Kind: providersim.KindAuthorize,
					IdempotencyKey: authKey, PaymentKey: p.PaymentKey, OrderID: order, Amount: 12000, Currency: "KRW", At: recs[0].At}, recs[0])

				c, err := e.pg[pgName].Capture(e.ctx, pg.CaptureRequest{IdempotencyKey: key("cap"), PaymentKey: p.PaymentKey})
				if tt.captureKind != "" {
					requireKind(t, err, tt.captureKind, tt.captureCode)
					assert.Empty(t, e.records(providersim.RecordFilter{PaymentKey: p.PaymentKey, Kind: providersim.KindCapture}))
					got, err := e.pg[pgName].GetPayment(e.ctx, p.PaymentKey)
					require.NoError(t, err)
					assert.Equal(t, providersim.StatusAuthorized, got.Status, "a failed capture leaves the authorization")
					continue
				}
				require.NoError(t, err)
				assert.Equal(t, providersim.StatusCaptured, c.Status)
				assert.EqualValues(t, 12000, c.CapturedAmount)
				n, amt := sum(e.records(providersim.RecordFilter{PaymentKey: p.PaymentKey, Kind: providersim.KindCapture}))
				assert.Equal(t, 1, n)
				assert.EqualValues(t, 12000, amt)
			}
		})
	}
}

func TestCardTimeoutAnswers504WhenNobodyGivesUp(t *testing.T) {
	e := newEnv(t)
	bk := e.billingKey("alpha", providersim.CardTimeout)
	start := time.Now()
	_, err := e.pg["alpha"].Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: key("a"), BillingKey: bk,
		OrderID: key("o"), Amount: 1000, Currency: "KRW"})
	ae := requireKind(t, err, adapters.Transient, "PROVIDER_TIMEOUT")
	assert.Equal(t, 504, ae.Status)
	assert.GreaterOrEqual(t, time.Since(start), hangFor)
	assert.Empty(t, e.records(providersim.RecordFilter{Kind: providersim.KindAuthorize}))
}

func TestAuthorizeValidation(t *testing.T) {
	e := newEnv(t)
	bk := e.billingKey("alpha", providersim.CardApprove)
	tests := []struct {
		name string
		req  pg.AuthorizeRequest
		code string
	}{
		{"no key (client check)", pg.AuthorizeRequest{BillingKey: bk, OrderID: "o", Amount: 1, Currency: "KRW"}, ""},
		{"no billing key", pg.AuthorizeRequest{IdempotencyKey: key("a"), OrderID: "o", Amount: 1, Currency: "KRW"}, "INVALID_REQUEST"},
		{"unknown billing key", pg.AuthorizeRequest{IdempotencyKey: key("a"), BillingKey: "bk_x", OrderID: "o", Amount: 1, Currency: "KRW"}, "BILLING_KEY_NOT_FOUND"},
		{"no order", pg.AuthorizeRequest{IdempotencyKey: key("a"), BillingKey: bk, Amount: 1, Currency: "KRW"}, "INVALID_REQUEST"},
		{"zero amount", pg.AuthorizeRequest{IdempotencyKey: key("a"), BillingKey: bk, OrderID: "o", Currency: "KRW"}, "INVALID_AMOUNT"},
		{"negative amount", pg.AuthorizeRequest{IdempotencyKey: key("a"), BillingKey: bk, OrderID: "o", Amount: -5, Currency: "KRW"}, "INVALID_AMOUNT"},
		{"huge amount", pg.AuthorizeRequest{IdempotencyKey: key("a"), BillingKey: bk, OrderID: "o", Amount: 1_000_000_000_001, Currency: "KRW"}, "INVALID_AMOUNT"},
		{"lowercase currency", pg.AuthorizeRequest{IdempotencyKey: key("a"), BillingKey: bk, OrderID: "o", Amount: 1, Currency: "krw"}, "INVALID_CURRENCY"},
		{"long key", pg.AuthorizeRequest{IdempotencyKey: strings.Repeat("k", 301), BillingKey: bk, OrderID: "o", Amount: 1, Currency: "KRW"}, "INVALID_IDEMPOTENCY_KEY"},
		{"key with a newline (client check)", pg.AuthorizeRequest{IdempotencyKey: "a\nb", BillingKey: bk, OrderID: "o", Amount: 1, Currency: "KRW"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.pg["alpha"].Authorize(e.ctx, tt.req)
			ae := requireKind(t, err, adapters.Invalid, tt.code)
			assert.Equal(t, "pg:alpha", ae.Provider)
		})
	}
	assert.Empty(t, e.records(providersim.RecordFilter{Kind: providersim.KindAuthorize}))
}

func TestAuthorizeIdempotency(t *testing.T) {
	e := newEnv(t)
	bk := e.billingKey("alpha", providersim.CardApprove)
	req := pg.AuthorizeRequest{IdempotencyKey: key("auth"), BillingKey: bk, OrderID: key("order"), Amount: 15000, Currency: "KRW"}
	first, err := e.pg["alpha"].Authorize(e.ctx, req)
	require.NoError(t, err)
	for range 3 {
		again, err := e.pg["alpha"].Authorize(e.ctx, req)
		require.NoError(t, err)
		assert.Equal(t, first, again, "the same key answers the original payment")
	}
	byKey, err := e.pg["alpha"].GetByIdempotencyKey(e.ctx, req.IdempotencyKey)
	require.NoError(t, err)
	assert.Equal(t, first, byKey)
	byPaymentKey, err := e.pg["alpha"].GetPayment(e.ctx, first.PaymentKey)
	require.NoError(t, err)
	assert.Equal(t, first, byPaymentKey)

	changed := req
	changed.Amount = 16000
	_, err = e.pg["alpha"].Authorize(e.ctx, changed)
	ae := requireKind(t, err, adapters.Invalid, "IDEMPOTENCY_KEY_REUSED")
	assert.Equal(t, 422, ae.Status)

	n, amt := sum(e.records(providersim.RecordFilter{IdempotencyKey: req.IdempotencyKey}))
	assert.Equal(t, 1, n, "exactly one authorization")
	assert.EqualValues(t, 15000, amt)

	// Keys are scoped to a PG: the same key at beta is another request.
	_, err = e.pg["beta"].GetByIdempotencyKey(e.ctx, req.IdempotencyKey)
	requireKind(t, err, adapters.NotFound, "PAYMENT_NOT_FOUND")
	_, err = e.pg["beta"].GetPayment(e.ctx, first.PaymentKey)
	requireKind(t, err, adapters.NotFound, "PAYMENT_NOT_FOUND")

	// A decline is remembered too: the retry answers the same decline.
	declined := e.billingKey("alpha", providersim.CardDecline)
	dreq := pg.AuthorizeRequest{IdempotencyKey: key("auth"), BillingKey: declined, OrderID: key("order"), Amount: 100, Currency: "KRW"}
	for range 2 {
		_, err := e.pg["alpha"].Authorize(e.ctx, dreq)
		requireKind(t, err, adapters.Declined, "CARD_DECLINED")
	}
	_, err = e.pg["alpha"].GetByIdempotencyKey(e.ctx, dreq.IdempotencyKey)
	requireKind(t, err, adapters.NotFound, "")
}

// step is one capture or cancel in a payment's life.
type step struct {
	op      string // capture | cancel
	amount  int64
	kind    adapters.Kind // "" = succeeds
	code    string
	status  string // payment status after a successful step
	capture int64  // captured amount after
	cancel  int64  // canceled amount after
}

func TestCaptureAndCancel(t *testing.T) {
	tests := []struct {
		name     string
		steps    []step
		captures int64 // total of capture records
		cancels  int64 // total of cancel records
	}{
		{"full capture, full refund", []step{
			{op: "capture", status: providersim.StatusCaptured, capture: 10000},
			{op: "cancel", status: providersim.StatusCanceled, capture: 10000, cancel: 10000},
		}, 10000, 10000},
		{"partial capture, partial refunds", []step{
			{op: "capture", amount: 6000, status: providersim.StatusCaptured, capture: 6000},
			{op: "cancel", amount: 2000, status: providersim.StatusPartiallyCanceled, capture: 6000, cancel: 2000},
			{op: "cancel", amount: 1500, status: providersim.StatusPartiallyCanceled, capture: 6000, cancel: 3500},
			{op: "cancel", amount: 2501, kind: adapters.Invalid, code: "NOT_CANCELABLE_AMOUNT"},
			{op: "cancel", status: providersim.StatusCanceled, capture: 6000, cancel: 6000},
			{op: "cancel", kind: adapters.Invalid, code: "ALREADY_CANCELED"},
		}, 6000, 6000},
		{"void the authorization", []step{
			{op: "cancel", status: providersim.StatusCanceled, cancel: 10000},
			{op: "capture", kind: adapters.Invalid, code: "NOT_CAPTURABLE"},
			{op: "cancel", kind: adapters.Invalid, code: "ALREADY_CANCELED"},
		}, 0, 10000},
		{"void the whole amount explicitly", []step{
			{op: "cancel", amount: 10000, status: providersim.StatusCanceled, cancel: 10000},
		}, 0, 10000},
		{"no partial void", []step{
			{op: "cancel", amount: 4000, kind: adapters.Invalid, code: "INVALID_CANCEL_AMOUNT"},
			{op: "capture", amount: 4000, status: providersim.StatusCaptured, capture: 4000},
		}, 4000, 0},
		{"capture over the authorization", []step{
			{op: "capture", amount: 10001, kind: adapters.Invalid, code: "INVALID_CAPTURE_AMOUNT"},
			{op: "capture", amount: 10000, status: providersim.StatusCaptured, capture: 10000},
		}, 10000, 0},
		{"capture twice", []step{
			{op: "capture", status: providersim.StatusCaptured, capture: 10000},
			{op: "capture", kind: adapters.Invalid, code: "ALREADY_CAPTURED"},
		}, 10000, 0},
		{"capture after a partial refund", []step{
			{op: "capture", amount: 8000, status: providersim.StatusCaptured, capture: 8000},
			{op: "cancel", amount: 1000, status: providersim.StatusPartiallyCanceled, capture: 8000, cancel: 1000},
			{op: "capture", kind: adapters.Invalid, code: "ALREADY_CAPTURED"},
		}, 8000, 1000},
		{"negative amounts", []step{
			{op: "capture", amount: -1, kind: adapters.Invalid, code: "INVALID_AMOUNT"},
			{op: "cancel", amount: -1, kind: adapters.Invalid, code: "INVALID_AMOUNT"},
		}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			for _, pgName := range []string{"alpha", "beta"} {
				c := e.pg[pgName]
				p := e.authorize(pgName, e.billingKey(pgName, providersim.CardApprove), 10000)
				for i, s := range tt.steps {
					var got pg.Payment
					var err error
					if s.op == "capture" {
						got, err = c.Capture(e.ctx, pg.CaptureRequest{IdempotencyKey: key("cap"), PaymentKey: p.PaymentKey, Amount: s.amount})
					} else {
						got, err = c.Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: key("can"), PaymentKey: p.PaymentKey, Amount: s.amount, Reason: "test"})
					}
					if s.kind != "" {
						requireKind(t, err, s.kind, s.code)
						continue
					}
					require.NoError(t, err, "step %d", i)
					assert.Equal(t, s.status, got.Status, "step %d", i)
					assert.Equal(t, s.capture, got.CapturedAmount, "step %d", i)
					assert.Equal(t, s.cancel, got.CanceledAmount, "step %d", i)
					now, err := c.GetPayment(e.ctx, p.PaymentKey)
					require.NoError(t, err)
					assert.Equal(t, got, now)
				}
				_, caps := sum(e.records(providersim.RecordFilter{PaymentKey: p.PaymentKey, Kind: providersim.KindCapture}))
				_, cans := sum(e.records(providersim.RecordFilter{PaymentKey: p.PaymentKey, Kind: providersim.KindCancel}))
				assert.Equal(t, tt.captures, caps, "captured at %s", pgName)
				assert.Equal(t, tt.cancels, cans, "canceled at %s", pgName)
				for _, r := range e.records(providersim.RecordFilter{PaymentKey: p.PaymentKey}) {
					assert.Equal(t, p.OrderID, r.OrderID, "every record names the order")
					assert.Equal(t, "pg:"+pgName, r.Provider)
				}
			}
		})
	}
}

func TestCaptureAndCancelIdempotency(t *testing.T) {
	e := newEnv(t)
	c := e.pg["alpha"]
	p := e.authorize("alpha", e.billingKey("alpha", providersim.CardApprove), 10000)

	capReq := pg.CaptureRequest{IdempotencyKey: key("cap"), PaymentKey: p.PaymentKey, Amount: 9000}
	first, err := c.Capture(e.ctx, capReq)
	require.NoError(t, err)
	again, err := c.Capture(e.ctx, capReq)
	require.NoError(t, err)
	assert.Equal(t, first, again)
	capReq.Amount = 8000
	_, err = c.Capture(e.ctx, capReq)
	requireKind(t, err, adapters.Invalid, "IDEMPOTENCY_KEY_REUSED")

	refund := pg.CancelRequest{IdempotencyKey: key("refund"), PaymentKey: p.PaymentKey, Amount: 3000, Reason: "partial refund"}
	r1, err := c.Cancel(e.ctx, refund)
	require.NoError(t, err)
	r2, err := c.Cancel(e.ctx, refund)
	require.NoError(t, err)
	assert.Equal(t, r1, r2, "a replayed refund answers the original state")
	assert.EqualValues(t, 3000, r2.CanceledAmount)
	refund.Amount = 4000
	_, err = c.Cancel(e.ctx, refund)
	requireKind(t, err, adapters.Invalid, "IDEMPOTENCY_KEY_REUSED")
	// A refund's key cannot be reused for a capture.
	_, err = c.Capture(e.ctx, pg.CaptureRequest{IdempotencyKey: refund.IdempotencyKey, PaymentKey: p.PaymentKey})
	requireKind(t, err, adapters.Invalid, "IDEMPOTENCY_KEY_REUSED")

	n, amt := sum(e.records(providersim.RecordFilter{PaymentKey: p.PaymentKey, Kind: providersim.KindCapture}))
	assert.Equal(t, 1, n)
	assert.EqualValues(t, 9000, amt)
	n, amt = sum(e.records(providersim.RecordFilter{PaymentKey: p.PaymentKey, Kind: providersim.KindCancel}))
	assert.Equal(t, 1, n)
	assert.EqualValues(t, 3000, amt)
	got, err := c.GetPayment(e.ctx, p.PaymentKey)
	require.NoError(t, err)
	assert.Equal(t, providersim.StatusPartiallyCanceled, got.Status)
	assert.EqualValues(t, 3000, got.CanceledAmount)

	_, err = c.Capture(e.ctx, pg.CaptureRequest{IdempotencyKey: key("cap"), PaymentKey: "pay_nope"})
	requireKind(t, err, adapters.Invalid, "PAYMENT_NOT_FOUND")
	_, err = c.GetPayment(e.ctx, "pay_nope")
	requireKind(t, err, adapters.NotFound, "PAYMENT_NOT_FOUND")
	_, err = c.GetByIdempotencyKey(e.ctx, refund.IdempotencyKey)
	requireKind(t, err, adapters.NotFound, "")
}

func TestRecordFilters(t *testing.T) {
	e := newEnv(t)
	bkA := e.billingKey("alpha", providersim.CardApprove)
	bkB := e.billingKey("beta", providersim.CardApprove)
	pa := e.authorize("alpha", bkA, 1000)
	pb := e.authorize("beta", bkB, 2000)
	_, err := e.pg["alpha"].Capture(e.ctx, pg.CaptureRequest{IdempotencyKey: "cap-a", PaymentKey: pa.PaymentKey})
	require.NoError(t, err)
	_, err = e.pg["beta"].Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: "void-b", PaymentKey: pb.PaymentKey})
	require.NoError(t, err)

	tests := []struct {
		name   string
		f      providersim.RecordFilter
		n      int
		amount int64
	}{
		{"all", providersim.RecordFilter{}, 6, 1000 + 2000 + 1000 + 2000},
		{"kind", providersim.RecordFilter{Kind: providersim.KindAuthorize}, 2, 3000},
		{"provider", providersim.RecordFilter{Provider: "pg:beta"}, 3, 4000},
		{"order", providersim.RecordFilter{OrderID: pa.OrderID}, 2, 2000},
		{"payment key", providersim.RecordFilter{PaymentKey: pb.PaymentKey}, 2, 4000},
		{"payment key and kind", providersim.RecordFilter{PaymentKey: pb.PaymentKey, Kind: providersim.KindCancel}, 1, 2000},
		{"idempotency key", providersim.RecordFilter{IdempotencyKey: "cap-a"}, 1, 1000},
		{"order and kind", providersim.RecordFilter{OrderID: pa.OrderID, Kind: providersim.KindCapture}, 1, 1000},
		{"nothing", providersim.RecordFilter{OrderID: "nope"}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := e.records(tt.f)
			n, amt := sum(recs)
			assert.Equal(t, tt.n, n)
			assert.Equal(t, tt.amount, amt)
			for i := 1; i < len(recs); i++ {
				assert.Less(t, recs[i-1].Seq, recs[i].Seq, "commit order")
			}
		})
	}

	require.NoError(t, e.admin.Reset(e.ctx))
	assert.Empty(t, e.records(providersim.RecordFilter{}))
	_, err = e.pg["alpha"].GetPayment(e.ctx, pa.PaymentKey)
	requireKind(t, err, adapters.NotFound, "")
}

func TestUnknownPGAndRoute(t *testing.T) {
	e := newEnv(t)
	gamma := pg.NewHTTPClient("gamma", e.url+"/pg/gamma", e.hc)
	_, err := gamma.Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: "k", BillingKey: "bk", OrderID: "o", Amount: 1, Currency: "KRW"})
	requireKind(t, err, adapters.Invalid, "PG_NOT_FOUND")
	_, err = gamma.GetByIdempotencyKey(e.ctx, "k")
	requireKind(t, err, adapters.Invalid, "PG_NOT_FOUND") // not NotFound: it says nothing about the key
	wrongBase := pg.NewHTTPClient("alpha", e.url+"/pgs/alpha", e.hc)
	_, err = wrongBase.GetPayment(e.ctx, "pay_x")
	requireKind(t, err, adapters.Invalid, "NOT_FOUND")
	st, body, _ := e.rawPost("/nope", "", `{}`)
	assert.Equal(t, 404, st)
	assert.Equal(t, "NOT_FOUND", body["code"])
}
