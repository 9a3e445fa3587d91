package providersim

import (
	"context"
	"net/http"
	"time"
)

// maxAmount bounds any single amount, in minor units.
const maxAmount int64 = 1_000_000_000_000

// Payment statuses.
const (
	StatusAuthorized        = "authorized"
	StatusCaptured          = "captured"
	StatusCanceled          = "canceled"
	StatusPartiallyCanceled = "partially_canceled"
	// StatusFailed: an asynchronous approval the issuer refused (PortOne's FAILED).
	StatusFailed = "failed"
)

// billingKey is a reusable payment credential issued by one PG instance.
type billingKey struct {
	key         string
	pg          string
	customerKey string
	method      string // card | bank_account
	card        card
	bankCode    string
	account     string
	issuedAt    time.Time
	deleted     bool // PortOne: DELETE /billing-keys/{billingKey}
	deletedAt   time.Time
}

type payment struct {
	key        string
	pg         string
	orderID    string
	orderName  string // Toss protocol only: set on payments approved through /toss/
	bk         *billingKey
	status     string
	amount     int64 // authorized
	captured   int64
	canceled   int64
	currency   string
	approvedAt time.Time
	capturedAt time.Time
	cancels    []cancelJSON
	idemKey    string // of the authorization
	// taxFree of amount is tax-free, canceledTaxFree of it cancelled (Toss and
	// PortOne protocols; the paysaga protocol has no tax-free amounts).
	taxFree, canceledTaxFree int64
	// protocol is the wire protocol the payment was approved through
	// (protocolToss, protocolPortOne; empty: the original /pg/ protocol): its
	// webhooks are announced in that protocol's format.
	protocol string
	// installment is the plan the charge asked for (months 0: 일시불).
	installment installment
}

// installment is a card charge's installment plan (할부).
type installment struct {
	months       int
	interestFree bool // the merchant pays the interest (무이자)
}

// installmentMinAmount is the smallest card charge Korean issuers split.
const installmentMinAmount = 50_000

// validInstallment: 일시불, or 2..12 months on 50,000 won or more.
func validInstallment(months int, amount int64) bool {
	return months == 0 || (months >= 2 && months <= 12 && amount >= installmentMinAmount)
}

// taxFreeLeft and taxableLeft are what a cancel may still give back of each part.
func (p *payment) taxFreeLeft() int64 { return p.taxFree - p.canceledTaxFree }
func (p *payment) taxableLeft() int64 { return p.balance() - p.taxFreeLeft() }

// vatOf is the VAT in a VAT-inclusive taxable amount: floor(taxable/11), the
// sandbox's reading of both providers' "1/11 of the taxable amount".
func vatOf(taxable int64) int64 { return taxable / 11 }

// Wire types. JSON is snake_case, times are RFC 3339.

type bankAccountJSON struct {
	BankCode      string `json:"bank_code"`
	AccountNumber string `json:"account_number"`
	HolderName    string `json:"holder_name"`
}

type billingKeyRequest struct {
	CustomerKey string           `json:"customer_key"`
	AuthKey     string           `json:"auth_key,omitempty"`
	BankAccount *bankAccountJSON `json:"bank_account,omitempty"`
}

type billingKeyJSON struct {
	BillingKey   string    `json:"billing_key"`
	CustomerKey  string    `json:"customer_key"`
	Method       string    `json:"method"` // card | bank_account
	CardBrand    string    `json:"card_brand,omitempty"`
	CardType     string    `json:"card_type,omitempty"` // credit | check
	CardLast4    string    `json:"card_last4,omitempty"`
	CardBIN      string    `json:"card_bin,omitempty"`
	BankCode     string    `json:"bank_code,omitempty"`
	AccountLast4 string    `json:"account_last4,omitempty"`
	IssuedAt     time.Time `json:"issued_at"`
}

type authorizeRequest struct {
	BillingKey string `json:"billing_key"`
	OrderID    string `json:"order_id"`
	Amount     int64  `json:"amount"`
	Currency   string `json:"currency"`
	// InstallmentMonths: 0 (일시불) or 2..12 on a card of 50,000 or more.
	InstallmentMonths int  `json:"installment_months"`
	InterestFree      bool `json:"interest_free"`
	// TaxFreeAmount of Amount is tax-free (면세), 0..amount.
	TaxFreeAmount int64 `json:"tax_free_amount"`
}

type captureRequest struct {
	Amount int64 `json:"amount"` // 0 = the whole authorized amount
}

type cancelRequest struct {
	Amount int64  `json:"amount"` // 0 = all that remains
	Reason string `json:"reason"`
}

type cardJSON struct {
	Brand string `json:"brand"`
	Type  string `json:"type"`
	Last4 string `json:"last4"`
}

type paymentBankJSON struct {
	BankCode     string `json:"bank_code"`
	AccountLast4 string `json:"account_last4"`
}

type cancelJSON struct {
	Amount         int64     `json:"amount"`
	Reason         string    `json:"reason"`
	IdempotencyKey string    `json:"idempotency_key"`
	CanceledAt     time.Time `json:"canceled_at"`
	TaxFree        int64     `json:"-"` // Toss and PortOne protocols only
}

type paymentJSON struct {
	PaymentKey     string           `json:"payment_key"`
	OrderID        string           `json:"order_id"`
	Status         string           `json:"status"` // pending | authorized | captured | canceled | partially_canceled
	Method         string           `json:"method"` // card | bank_account
	Amount         int64            `json:"amount"` // authorized amount
	CapturedAmount int64            `json:"captured_amount"`
	CanceledAmount int64            `json:"canceled_amount"`
	BalanceAmount  int64            `json:"balance_amount"` // what a cancel may still take
	Currency       string           `json:"currency"`
	Card           *cardJSON        `json:"card,omitempty"`
	BankAccount    *paymentBankJSON `json:"bank_account,omitempty"`
	ApprovedAt     time.Time        `json:"approved_at"`
	CapturedAt     *time.Time       `json:"captured_at,omitempty"`
	Cancels        []cancelJSON     `json:"cancels"`
}

func (bk *billingKey) json() billingKeyJSON {
	out := billingKeyJSON{BillingKey: bk.key, CustomerKey: bk.customerKey, Method: bk.method, IssuedAt: bk.issuedAt}
	if bk.method == "card" {
		out.CardBrand, out.CardType, out.CardLast4, out.CardBIN = bk.card.brand, bk.card.typ, bk.card.last4, bk.card.number[:6]
	} else {
		out.BankCode, out.AccountLast4 = bk.bankCode, last4(bk.account)
	}
	return out
}

// balance is what a cancel may still take: the authorization before capture, the
// captured amount less refunds after.
func (p *payment) balance() int64 {
	switch {
	case p.status == StatusCanceled, p.status == StatusFailed:
		return 0
	case p.captured > 0:
		return p.captured - p.canceled
	default:
		return p.amount - p.canceled
	}
}

func (p *payment) json() paymentJSON {
	out := paymentJSON{
		PaymentKey: p.key, OrderID: p.orderID, Status: p.status, Method: p.bk.method,
		Amount: p.amount, CapturedAmount: p.captured, CanceledAmount: p.canceled, BalanceAmount: p.balance(),
		Currency: p.currency, ApprovedAt: p.approvedAt, Cancels: append([]cancelJSON{}, p.cancels...),
	}
	if p.bk.method == "card" {
		out.Card = &cardJSON{Brand: p.bk.card.brand, Type: p.bk.card.typ, Last4: p.bk.card.last4}
	} else {
		out.BankAccount = &paymentBankJSON{BankCode: p.bk.bankCode, AccountLast4: last4(p.bk.account)}
	}
	if !p.capturedAt.IsZero() {
		t := p.capturedAt
		out.CapturedAt = &t
	}
	return out
}

// issueBillingKey exchanges a card auth key, or a holder-checked bank account, for a
// billing key valid at this PG instance only. It is idempotent by its natural key
// (the same auth key, or the same customer and account, answers the same billing
// key) and, when the request carries one, by its Idempotency-Key as well.
func (s *Server) issueBillingKey(r *http.Request, pg string) reply {
	key := r.Header.Get(IdempotencyHeader) // optional here
	if len(key) > maxKeyLen {
		return errReply(http.StatusBadRequest, "INVALID_IDEMPOTENCY_KEY", "the Idempotency-Key header is longer than 300 characters")
	}
	var req billingKeyRequest
	if rep, ok := decode(r, &req); !ok {
		return rep
	}
	switch {
	case req.CustomerKey == "" || len(req.CustomerKey) > maxKeyLen:
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "customer_key is required (at most 300 characters)")
	case (req.AuthKey == "") == (req.BankAccount == nil):
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "give exactly one of auth_key and bank_account")
	}
	fp := fingerprint(OpBillingKey, r, req)
	provider := pgProvider(pg)
	s.mu.Lock()
	defer s.mu.Unlock()
	if key != "" {
		if rep, ok := s.replay(provider, key, fp); ok {
			return rep
		}
	}
	var rep reply
	var resource string
	if req.AuthKey != "" {
		rep, resource = s.issueCardBillingKey(pg, key, req)
	} else {
		rep, resource = s.issueBankBillingKey(pg, key, req)
	}
	if key != "" {
		s.remember(provider, key, OpBillingKey, fp, rep, resource)
	}
	return rep
}

func (s *Server) issueCardBillingKey(pg, key string, req billingKeyRequest) (reply, string) {
	ak, ok := s.authKeys[req.AuthKey]
	if !ok {
		return errReply(http.StatusNotFound, "INVALID_AUTH_KEY", "unknown auth_key"), ""
	}
	if cust, used := ak.used[pg]; used {
		if cust != req.CustomerKey {
			return errReply(http.StatusUnprocessableEntity, "AUTH_KEY_ALREADY_USED", "this auth_key was already exchanged for another customer"), ""
		}
		bk := s.billingKeys[ak.bk[pg]]
		rep := jsonReply(http.StatusOK, bk.json())
		rep.replayed = true
		return rep, bk.key
	}
	bk := &billingKey{key: newID("bk_"), pg: pg, customerKey: req.CustomerKey, method: "card", card: ak.card, issuedAt: s.now()}
	s.billingKeys[bk.key] = bk
	ak.used[pg] = req.CustomerKey
	ak.bk[pg] = bk.key
	s.record(Record{Provider: pgProvider(pg), Kind: KindBillingKey, IdempotencyKey: key, PaymentKey: bk.key})
	return jsonReply(http.StatusOK, bk.json()), bk.key
}

func (s *Server) issueBankBillingKey(pg, key string, req billingKeyRequest) (reply, string) {
	ba := req.BankAccount
	acct, rep, ok := s.account(ba.BankCode, ba.AccountNumber)
	if !ok {
		return rep, ""
	}
	switch {
	case acct.closed():
		return errReply(http.StatusPaymentRequired, "ACCOUNT_CLOSED", "the account is closed"), ""
	case ba.HolderName != acct.holder:
		return errReply(http.StatusPaymentRequired, "ACCOUNT_HOLDER_MISMATCH", "the holder name does not match the account"), ""
	}
	for _, bk := range s.billingKeys {
		if bk.pg == pg && bk.method == "bank_account" && bk.customerKey == req.CustomerKey &&
			bk.bankCode == ba.BankCode && bk.account == ba.AccountNumber {
			rep := jsonReply(http.StatusOK, bk.json())
			rep.replayed = true
			return rep, bk.key
		}
	}
	bk := &billingKey{key: newID("bk_"), pg: pg, customerKey: req.CustomerKey, method: "bank_account",
		bankCode: ba.BankCode, account: ba.AccountNumber, issuedAt: s.now()}
	s.billingKeys[bk.key] = bk
	s.record(Record{Provider: pgProvider(pg), Kind: KindBillingKey, IdempotencyKey: key, PaymentKey: bk.key})
	return jsonReply(http.StatusOK, bk.json()), bk.key
}

// authorize approves an amount against a billing key of this PG instance.
func (s *Server) authorize(r *http.Request, pg string) reply {
	key, rep, ok := idempotencyKey(r)
	if !ok {
		return rep
	}
	var req authorizeRequest
	if rep, ok := decode(r, &req); !ok {
		return rep
	}
	switch {
	case req.BillingKey == "":
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "billing_key is required")
	case req.OrderID == "" || len(req.OrderID) > 100:
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "order_id is required (at most 100 characters)")
	case !validInstallment(req.InstallmentMonths, req.Amount):
		return errReply(http.StatusBadRequest, "INVALID_INSTALLMENT", "installment_months is 0 or 2..12, and needs an amount of 50,000 or more")
	}
	if rep, ok := checkMoney(req.Amount, req.Currency); !ok {
		return rep
	}
	if req.TaxFreeAmount < 0 || req.TaxFreeAmount > req.Amount {
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "tax_free_amount must be within 0..amount")
	}
	fp := fingerprint(OpAuthorize, r, req)
	s.mu.Lock()
	rep, hang := s.authorizeLocked(pg, key, fp, req)
	s.mu.Unlock()
	if hang {
		return s.hang(r.Context())
	}
	return rep
}

func (s *Server) authorizeLocked(pg, key, fp string, req authorizeRequest) (rep reply, hang bool) {
	provider := pgProvider(pg)
	if rep, ok := s.replay(provider, key, fp); ok {
		return rep, false
	}
	remember := func(rep reply, resource string) (reply, bool) {
		s.remember(provider, key, OpAuthorize, fp, rep, resource)
		return rep, false
	}
	bk, ok := s.billingKeys[req.BillingKey]
	if !ok || bk.pg != pg {
		// A billing key is valid only at the PG instance that issued it.
		return remember(errReply(http.StatusNotFound, "BILLING_KEY_NOT_FOUND", "unknown billing_key at this PG"), "")
	}
	if bk.method == "card" {
		switch bk.card.number {
		case CardTimeout:
			return reply{}, true
		case CardDecline:
			return remember(errReply(http.StatusPaymentRequired, "CARD_DECLINED", "the card issuer declined the payment"), "")
		case CardInsufficientFunds:
			return remember(errReply(http.StatusPaymentRequired, "INSUFFICIENT_FUNDS", "the card has insufficient funds or credit"), "")
		}
	} else {
		acct, rep, ok := s.account(bk.bankCode, bk.account)
		switch {
		case !ok:
			return remember(rep, "")
		case acct.closed():
			return remember(errReply(http.StatusPaymentRequired, "ACCOUNT_CLOSED", "the account is closed"), "")
		case acct.balance < req.Amount:
			return remember(errReply(http.StatusPaymentRequired, "INSUFFICIENT_FUNDS", "the account balance is insufficient"), "")
		}
	}
	if req.InstallmentMonths > 0 && bk.method != "card" {
		return remember(errReply(http.StatusBadRequest, "INVALID_INSTALLMENT", "installments are for cards only"), "")
	}
	p := &payment{key: newID("pay_"), pg: pg, orderID: req.OrderID, bk: bk, status: StatusAuthorized,
		amount: req.Amount, currency: req.Currency, approvedAt: s.now(), idemKey: key, taxFree: req.TaxFreeAmount,
		installment: installment{months: req.InstallmentMonths, interestFree: req.InterestFree}}
	s.payments[p.key] = p
	if bk.method == "card" && (bk.card.number == CardAsyncApprove || bk.card.number == CardAsyncDecline) {
		// The issuer answers later: recorded when it does (completeAsync).
		p.status = StatusPending
		time.AfterFunc(s.asyncDelay, func() { s.completeAsync(p.key) })
		return remember(jsonReply(http.StatusOK, p.json()), p.key)
	}
	s.record(Record{Provider: provider, Kind: KindAuthorize, IdempotencyKey: key, PaymentKey: p.key,
		OrderID: p.orderID, Amount: p.amount, TaxFreeAmount: p.taxFree, Currency: p.currency,
		InstallmentMonths: p.installment.months, InterestFree: p.installment.interestFree})
	return remember(jsonReply(http.StatusOK, p.json()), p.key)
}

// hang plays an issuer that never answers: it waits until the client gives up (or
// hangFor passes) and commits nothing.
func (s *Server) hang(ctx context.Context) reply {
	t := time.NewTimer(s.hangFor)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	return errReply(http.StatusGatewayTimeout, "PROVIDER_TIMEOUT", "the card issuer did not answer; nothing was charged")
}

// paymentLocked finds a payment of this PG instance. Callers hold s.mu.
func (s *Server) paymentLocked(pg, paymentKey string) (*payment, reply, bool) {
	p, ok := s.payments[paymentKey]
	if !ok || p.pg != pg {
		return nil, errReply(http.StatusNotFound, "PAYMENT_NOT_FOUND", "no payment with this payment_key at this PG"), false
	}
	return p, reply{}, true
}

// capture takes an authorized amount (at most what was authorized; the rest of the
// authorization is released).
func (s *Server) capture(r *http.Request, pg string) reply {
	key, rep, ok := idempotencyKey(r)
	if !ok {
		return rep
	}
	var req captureRequest
	if rep, ok := decode(r, &req); !ok {
		return rep
	}
	if req.Amount < 0 {
		return errReply(http.StatusBadRequest, "INVALID_AMOUNT", "amount must not be negative")
	}
	fp := fingerprint(OpCapture, r, req)
	provider := pgProvider(pg)
	s.mu.Lock()
	defer s.mu.Unlock()
	if rep, ok := s.replay(provider, key, fp); ok {
		return rep
	}
	rep, resource := s.captureLocked(pg, key, r.PathValue("payment_key"), req)
	s.remember(provider, key, OpCapture, fp, rep, resource)
	return rep
}

func (s *Server) captureLocked(pg, key, paymentKey string, req captureRequest) (reply, string) {
	p, rep, ok := s.paymentLocked(pg, paymentKey)
	if !ok {
		return rep, ""
	}
	amount := req.Amount
	if amount == 0 {
		amount = p.amount
	}
	switch {
	case p.status == StatusCaptured || p.captured > 0:
		return errReply(http.StatusUnprocessableEntity, "ALREADY_CAPTURED", "the payment was already captured"), ""
	case p.status != StatusAuthorized:
		return errReply(http.StatusUnprocessableEntity, "NOT_CAPTURABLE", "the payment is "+p.status+" and cannot be captured"), ""
	case amount > p.amount:
		return errReply(http.StatusUnprocessableEntity, "INVALID_CAPTURE_AMOUNT", "the capture amount exceeds the authorized amount"), ""
	case p.bk.method == "card" && p.bk.card.number == CardCaptureFails:
		return errReply(http.StatusPaymentRequired, "CAPTURE_FAILED", "the card issuer declined the capture"), ""
	}
	if p.bk.method == "bank_account" {
		// A bank-account payment is withdrawn from the account at capture.
		acct, rep, ok := s.account(p.bk.bankCode, p.bk.account)
		switch {
		case !ok:
			return rep, ""
		case acct.closed():
			return errReply(http.StatusPaymentRequired, "ACCOUNT_CLOSED", "the account is closed"), ""
		case acct.balance < amount:
			return errReply(http.StatusPaymentRequired, "INSUFFICIENT_FUNDS", "the account balance is insufficient"), ""
		}
		acct.balance -= amount
	}
	p.captured = amount
	p.status = StatusCaptured
	p.capturedAt = s.now()
	s.record(Record{Provider: pgProvider(pg), Kind: KindCapture, IdempotencyKey: key, PaymentKey: p.key,
		OrderID: p.orderID, Amount: amount, Currency: p.currency})
	return jsonReply(http.StatusOK, p.json()), p.key
}

// cancel voids an authorization (whole) or refunds a capture (whole or in part),
// never beyond what remains.
func (s *Server) cancel(r *http.Request, pg string) reply {
	key, rep, ok := idempotencyKey(r)
	if !ok {
		return rep
	}
	var req cancelRequest
	if rep, ok := decode(r, &req); !ok {
		return rep
	}
	switch {
	case req.Amount < 0:
		return errReply(http.StatusBadRequest, "INVALID_AMOUNT", "amount must not be negative")
	case len(req.Reason) > 200:
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "reason is longer than 200 characters")
	}
	fp := fingerprint(OpCancel, r, req)
	provider := pgProvider(pg)
	s.mu.Lock()
	defer s.mu.Unlock()
	if rep, ok := s.replay(provider, key, fp); ok {
		return rep
	}
	rep, resource := s.cancelLocked(pg, key, r.PathValue("payment_key"), req)
	s.remember(provider, key, OpCancel, fp, rep, resource)
	return rep
}

func (s *Server) cancelLocked(pg, key, paymentKey string, req cancelRequest) (reply, string) {
	p, rep, ok := s.paymentLocked(pg, paymentKey)
	if !ok {
		return rep, ""
	}
	remaining := p.balance()
	amount := req.Amount
	if amount == 0 {
		amount = remaining
	}
	switch {
	case remaining == 0:
		return errReply(http.StatusUnprocessableEntity, "ALREADY_CANCELED", "nothing remains to cancel"), ""
	case p.captured == 0 && amount != p.amount:
		return errReply(http.StatusUnprocessableEntity, "INVALID_CANCEL_AMOUNT",
			"an authorization is voided whole; capture less instead of voiding part"), ""
	case amount > remaining:
		return errReply(http.StatusUnprocessableEntity, "NOT_CANCELABLE_AMOUNT", "the amount exceeds what remains to cancel"), ""
	}
	if p.bk.method == "bank_account" && p.captured > 0 {
		// A refund of a withdrawn bank-account payment goes back to the account.
		if acct, _, ok := s.account(p.bk.bankCode, p.bk.account); ok {
			acct.balance += amount
		}
	}
	p.canceled += amount
	if p.balance() == 0 {
		p.status = StatusCanceled
	} else {
		p.status = StatusPartiallyCanceled
	}
	p.cancels = append(p.cancels, cancelJSON{Amount: amount, Reason: req.Reason, IdempotencyKey: key, CanceledAt: s.now()})
	s.record(Record{Provider: pgProvider(pg), Kind: KindCancel, IdempotencyKey: key, PaymentKey: p.key,
		OrderID: p.orderID, Amount: amount, Currency: p.currency})
	return jsonReply(http.StatusOK, p.json()), p.key
}

// getPayment answers a payment's current state.
func (s *Server) getPayment(r *http.Request, pg string) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, rep, ok := s.paymentLocked(pg, r.PathValue("payment_key"))
	if !ok {
		return rep
	}
	return jsonReply(http.StatusOK, p.json())
}

// paymentByKey answers the payment an authorize under ?idempotency_key= created.
func (s *Server) paymentByKey(r *http.Request, pg string) reply {
	key := r.URL.Query().Get("idempotency_key")
	if key == "" {
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "the idempotency_key query parameter is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pk, ok := s.createdBy(pgProvider(pg), key, OpAuthorize)
	if !ok {
		return errReply(http.StatusNotFound, "PAYMENT_NOT_FOUND", "no authorization created a payment under this idempotency key")
	}
	return jsonReply(http.StatusOK, s.payments[pk].json())
}

// checkMoney validates an amount and an ISO 4217 currency code.
func checkMoney(amount int64, currency string) (reply, bool) {
	if amount <= 0 || amount > maxAmount {
		return errReply(http.StatusBadRequest, "INVALID_AMOUNT", "amount must be positive and at most 1,000,000,000,000"), false
	}
	if len(currency) != 3 || currency[0] < 'A' || currency[0] > 'Z' || currency[1] < 'A' || currency[1] > 'Z' ||
		currency[2] < 'A' || currency[2] > 'Z' {
		return errReply(http.StatusBadRequest, "INVALID_CURRENCY", "currency must be an ISO 4217 code such as KRW"), false
	}
	return reply{}, true
}

func last4(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[len(s)-4:]
}
