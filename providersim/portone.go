package providersim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// PortOne V2, as its OpenAPI document describes it, under /portone/{name}/...:
// every PG instance answers it too, over the same billing keys, payments and
// records. PortOne's differences: "Authorization: PortOne {secret}"; the
// merchant assigns the paymentId, which is the idempotency key (a second payment
// under it is 409 AlreadyPaidError) and the look-up key; billing keys come from
// the browser SDK and are confirmed with POST /billing-keys/confirm (the SDK
// endpoint's auth key is the billingIssueToken); a billing-key payment is paid
// in one call (recorded as authorize and capture, under the paymentId); error
// bodies are {type, message}, a PG's refusal being 502 PgProviderError with the
// channel's pgCode (the sandbox's channel answers Toss Payments' codes); cancels
// take no idempotency key but honour currentCancellableAmount.

// PortOneSecretPrefix: the sandbox accepts any API secret that starts with it.
const PortOneSecretPrefix = "portone-sandbox-"

func (s *Server) portoneRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /portone/{name}/billing-keys/confirm", s.portoneRoute(OpBillingKey, s.portoneConfirmBillingKey))
	mux.HandleFunc("GET /portone/{name}/billing-keys/{billing_key}", s.portoneRoute(OpQuery, s.portoneGetBillingKey))
	mux.HandleFunc("DELETE /portone/{name}/billing-keys/{billing_key}", s.portoneRoute(OpBillingKey, s.portoneDeleteBillingKey))
	mux.HandleFunc("POST /portone/{name}/payments/{payment_id}/billing-key", s.portoneRoute(OpAuthorize, s.portonePay))
	mux.HandleFunc("POST /portone/{name}/payments/{payment_id}/cancel", s.portoneRoute(OpCancel, s.portoneCancel))
	mux.HandleFunc("GET /portone/{name}/payments/{payment_id}", s.portoneRoute(OpQuery, s.portoneGetPayment))
	mux.HandleFunc("GET /portone/{name}/payment-events-by-cursor", s.portoneRoute(OpQuery, s.portonePaymentEvents))
}

func (s *Server) portoneRoute(op string, h func(r *http.Request, pg string) reply) http.HandlerFunc {
	return s.portoneRouteAt(pgProvider, op, h)
}

// portoneRouteAt checks the instance and the "PortOne {secret}" header, then
// runs the endpoint under the fault rules of provider(name): the PG's own, or
// its receipt service's (receiptsProvider).
func (s *Server) portoneRouteAt(provider func(string) string, op string, h func(r *http.Request, pg string) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if !s.pgs[name] {
			writeReply(w, portoneErr(http.StatusNotFound, "NotFoundError", "no PG instance named "+name))
			return
		}
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "PortOne ")
		if !ok || !strings.HasPrefix(secret, PortOneSecretPrefix) {
			writeReply(w, portoneErr(http.StatusUnauthorized, "UnauthorizedError", "인증 정보가 올바르지 않습니다."))
			return
		}
		s.serve(w, r, provider(name), op, func() reply { return h(r, name) })
	}
}

type portoneError struct {
	Type      string `json:"type"`
	Message   string `json:"message"`
	PgCode    string `json:"pgCode,omitempty"`
	PgMessage string `json:"pgMessage,omitempty"`
}

func portoneErr(status int, typ, msg string) reply {
	return jsonReply(status, portoneError{Type: typ, Message: msg})
}

func portonePgErr(code, msg string) reply {
	return jsonReply(http.StatusBadGateway, portoneError{Type: "PgProviderError", Message: "PG사에서 오류를 전달했습니다.", PgCode: code, PgMessage: msg})
}

const portoneStore = "store-00000000-0000-0000-0000-000000000000"

type portoneCard struct {
	Publisher string `json:"publisher"`
	Issuer    string `json:"issuer"`
	Brand     string `json:"brand"`
	Type      string `json:"type"`
	OwnerType string `json:"ownerType"`
	Bin       string `json:"bin"`
	Name      string `json:"name"`
	Number    string `json:"number"`
}

type portoneMethod struct {
	Type string      `json:"type"`
	Card portoneCard `json:"card"`
}

type portoneBillingKeyInfo struct {
	Status     string          `json:"status"`
	BillingKey string          `json:"billingKey"`
	MerchantID string          `json:"merchantId"`
	StoreID    string          `json:"storeId"`
	Methods    []portoneMethod `json:"methods"`
	Channels   []any           `json:"channels"`
	Customer   map[string]any  `json:"customer"`
	IssuedAt   string          `json:"issuedAt"`
	DeletedAt  string          `json:"deletedAt,omitempty"`
}

type portoneAmount struct {
	Total            int64 `json:"total"`
	TaxFree          int64 `json:"taxFree"`
	VAT              int64 `json:"vat"`
	Supply           int64 `json:"supply"`
	Discount         int64 `json:"discount"`
	Paid             int64 `json:"paid"`
	Cancelled        int64 `json:"cancelled"`
	CancelledTaxFree int64 `json:"cancelledTaxFree"`
}

type portoneCancellation struct {
	Status           string `json:"status"`
	ID               string `json:"id"`
	PgCancellationID string `json:"pgCancellationId"`
	TotalAmount      int64  `json:"totalAmount"`
	TaxFreeAmount    int64  `json:"taxFreeAmount"`
	VATAmount        int64  `json:"vatAmount"`
	Reason           string `json:"reason"`
	CancelledAt      string `json:"cancelledAt"`
	RequestedAt      string `json:"requestedAt"`
}

type portonePaymentMethod struct {
	Type           string      `json:"type"`
	Card           portoneCard `json:"card"`
	ApprovalNumber string      `json:"approvalNumber"`
	// Installment is PaymentInstallment, present only for a plan of 2+ months.
	Installment *portoneInstallment `json:"installment,omitempty"`
}

type portoneInstallment struct {
	Month                      int  `json:"month"`
	IsInterestFree             bool `json:"isInterestFree"`
	IsInterestFreeFromMerchant bool `json:"isInterestFreeFromMerchant"`
}

type portonePayment struct {
	Status          string                `json:"status"`
	ID              string                `json:"id"`
	TransactionID   string                `json:"transactionId"`
	MerchantID      string                `json:"merchantId"`
	StoreID         string                `json:"storeId"`
	Method          portonePaymentMethod  `json:"method"`
	Channel         map[string]string     `json:"channel"`
	Version         string                `json:"version"`
	BillingKey      string                `json:"billingKey"`
	RequestedAt     string                `json:"requestedAt"`
	UpdatedAt       string                `json:"updatedAt"`
	StatusChangedAt string                `json:"statusChangedAt"`
	OrderName       string                `json:"orderName"`
	Amount          portoneAmount         `json:"amount"`
	Currency        string                `json:"currency"`
	Customer        map[string]string     `json:"customer"`
	Origin          map[string]string     `json:"origin"`
	PaidAt          string                `json:"paidAt,omitempty"`
	PgTxID          string                `json:"pgTxId"`
	Disputes        []any                 `json:"disputes"`
	Cancellations   []portoneCancellation `json:"cancellations,omitempty"`
	CancelledAt     string                `json:"cancelledAt,omitempty"`
}

type portoneConfirmRequest struct {
	StoreID           string `json:"storeId"`
	BillingIssueToken string `json:"billingIssueToken"`
	IsTest            bool   `json:"isTest"`
	SkipWebhook       bool   `json:"skipWebhook"`
}

type portonePayRequest struct {
	StoreID    string `json:"storeId"`
	BillingKey string `json:"billingKey"`
	ChannelKey string `json:"channelKey"`
	OrderName  string `json:"orderName"`
	Customer   *struct {
		ID string `json:"id"`
	} `json:"customer"`
	Amount struct {
		Total   int64  `json:"total"`
		TaxFree int64  `json:"taxFree"`
		VAT     *int64 `json:"vat"`
	} `json:"amount"`
	Currency string `json:"currency"`
	// InstallmentMonth: 0 (일시불) or 2..12 from 50,000 won;
	// UseFreeInterestFromMerchant: the merchant pays its interest.
	InstallmentMonth            int  `json:"installmentMonth"`
	UseFreeInterestFromMerchant bool `json:"useFreeInterestFromMerchant"`
}

type portoneCancelRequest struct {
	StoreID                  string `json:"storeId"`
	Amount                   int64  `json:"amount"`
	TaxFreeAmount            int64  `json:"taxFreeAmount"`
	VATAmount                *int64 `json:"vatAmount"`
	Reason                   string `json:"reason"`
	Requester                string `json:"requester"`
	CurrentCancellableAmount *int64 `json:"currentCancellableAmount"`
}

func portoneTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func portoneBrand(brand string) string {
	switch brand {
	case "MASTERCARD":
		return "MASTER"
	case "OTHER":
		return "LOCAL"
	}
	return brand
}

func (c card) portone() portoneCard {
	typ := "CREDIT"
	if c.typ == "check" {
		typ = "DEBIT"
	}
	_, company := tossIssuer(c.brand)
	return portoneCard{Publisher: company, Issuer: company, Brand: portoneBrand(c.brand), Type: typ, OwnerType: "PERSONAL",
		Bin: c.number[:6], Name: company + "카드", Number: maskCard(c)}
}

func (bk *billingKey) portone() portoneBillingKeyInfo {
	out := portoneBillingKeyInfo{Status: "ISSUED", BillingKey: bk.key, MerchantID: "merchant-paysaga", StoreID: portoneStore,
		Methods: []portoneMethod{{Type: "BillingKeyPaymentMethodCard", Card: bk.card.portone()}}, Channels: []any{},
		Customer: map[string]any{}, IssuedAt: portoneTime(bk.issuedAt)}
	if bk.deleted {
		out.Status, out.DeletedAt = "DELETED", portoneTime(bk.deletedAt)
	}
	return out
}

func (p *payment) portone() portonePayment {
	out := portonePayment{ID: p.key, TransactionID: p.key + "-tx", MerchantID: "merchant-paysaga", StoreID: portoneStore,
		Method: portonePaymentMethod{Type: "PaymentMethodCard", Card: p.bk.card.portone(), ApprovalNumber: tail(p.key, 8),
			Installment: p.installment.portone()},
		Channel: map[string]string{"type": "TEST", "pgProvider": "TOSSPAYMENTS", "pgMerchantId": "tosspayments"}, Version: "V2",
		BillingKey: p.bk.key, RequestedAt: portoneTime(p.approvedAt), UpdatedAt: portoneTime(p.approvedAt),
		StatusChangedAt: portoneTime(p.approvedAt), OrderName: p.orderName,
		Amount: portoneAmount{Total: p.amount, TaxFree: p.taxFree, VAT: vatOf(p.amount - p.taxFree), Paid: p.captured,
			Cancelled: p.canceled, CancelledTaxFree: p.canceledTaxFree},
		Currency: p.currency, Customer: map[string]string{"id": p.bk.customerKey}, Origin: map[string]string{"platformType": "API", "ipAddress": "127.0.0.1"},
		PaidAt: portoneTime(p.approvedAt), PgTxID: p.key + "-pg", Disputes: []any{}}
	out.Amount.Supply = out.Amount.Total - out.Amount.TaxFree - out.Amount.VAT
	switch p.status {
	case StatusCanceled:
		out.Status = "CANCELLED"
	case StatusPartiallyCanceled:
		out.Status = "PARTIAL_CANCELLED"
	case StatusPending:
		out.Status, out.PaidAt = "PAY_PENDING", ""
	case StatusFailed:
		out.Status, out.PaidAt = "FAILED", ""
	default:
		out.Status = "PAID"
	}
	for i, c := range p.cancels {
		out.Cancellations = append(out.Cancellations, portoneCancellation{Status: "SUCCEEDED", ID: p.key + "-c" + strconv.Itoa(i+1),
			PgCancellationID: p.key + "-pgc", TotalAmount: c.Amount, TaxFreeAmount: c.TaxFree, VATAmount: vatOf(c.Amount - c.TaxFree), Reason: c.Reason, CancelledAt: portoneTime(c.CanceledAt), RequestedAt: portoneTime(c.CanceledAt)})
		out.CancelledAt, out.StatusChangedAt = portoneTime(c.CanceledAt), portoneTime(c.CanceledAt)
	}
	return out
}

// portoneConfirmBillingKey exchanges the SDK's billingIssueToken (an auth key of
// the SDK endpoint) for a billing key at this instance, once per token.
func (s *Server) portoneConfirmBillingKey(r *http.Request, pg string) reply {
	var req portoneConfirmRequest
	if rep, ok := decodePortone(r, &req); !ok {
		return rep
	}
	if req.BillingIssueToken == "" {
		return portoneErr(http.StatusBadRequest, "InvalidRequestError", "billingIssueToken은 필수입니다.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ak, ok := s.authKeys[req.BillingIssueToken]
	if !ok {
		return portoneErr(http.StatusNotFound, "BillingKeyNotFoundError", "빌링키 발급 요청이 존재하지 않습니다.")
	}
	if _, used := ak.used[pg]; used {
		return portoneErr(http.StatusConflict, "BillingKeyAlreadyIssuedError", "이미 발급된 빌링키입니다.")
	}
	bk := &billingKey{key: "billing-key-" + newID(""), pg: pg, method: "card", card: ak.card, issuedAt: s.now()}
	s.billingKeys[bk.key] = bk
	ak.used[pg], ak.bk[pg] = "", bk.key
	s.record(Record{Provider: pgProvider(pg), Kind: KindBillingKey, PaymentKey: bk.key})
	return jsonReply(http.StatusOK, map[string]string{"billingKey": bk.key})
}

func (s *Server) portoneGetBillingKey(r *http.Request, pg string) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	bk, ok := s.billingKeys[r.PathValue("billing_key")]
	if !ok || bk.pg != pg {
		return portoneErr(http.StatusNotFound, "BillingKeyNotFoundError", "빌링키가 존재하지 않습니다.")
	}
	return jsonReply(http.StatusOK, bk.portone())
}

func (s *Server) portoneDeleteBillingKey(r *http.Request, pg string) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	bk, ok := s.billingKeys[r.PathValue("billing_key")]
	switch {
	case !ok || bk.pg != pg:
		return portoneErr(http.StatusNotFound, "BillingKeyNotFoundError", "빌링키가 존재하지 않습니다.")
	case bk.deleted:
		return portoneErr(http.StatusConflict, "BillingKeyAlreadyDeletedError", "빌링키가 이미 삭제되었습니다.")
	}
	bk.deleted, bk.deletedAt = true, s.now()
	return jsonReply(http.StatusOK, map[string]string{"deletedAt": portoneTime(bk.deletedAt)})
}

// portonePay pays paymentId with a billing key: approval and capture at once.
// portone is the plan as PortOne's PaymentInstallment; nil for 일시불.
func (in installment) portone() *portoneInstallment {
	if in.months == 0 {
		return nil
	}
	return &portoneInstallment{Month: in.months, IsInterestFree: in.interestFree, IsInterestFreeFromMerchant: in.interestFree}
}

func (s *Server) portonePay(r *http.Request, pg string) reply {
	paymentID := r.PathValue("payment_id")
	var req portonePayRequest
	if rep, ok := decodePortone(r, &req); !ok {
		return rep
	}
	switch {
	case paymentID == "" || len(paymentID) > 200:
		return portoneErr(http.StatusBadRequest, "InvalidRequestError", "paymentId가 올바르지 않습니다.")
	case req.BillingKey == "" || req.OrderName == "" || req.Currency == "":
		return portoneErr(http.StatusBadRequest, "InvalidRequestError", "billingKey, orderName, amount, currency는 필수입니다.")
	case req.Amount.Total <= 0 || req.Amount.Total > maxAmount || req.Amount.TaxFree < 0 || req.Amount.TaxFree > req.Amount.Total:
		return portoneErr(http.StatusBadRequest, "InvalidRequestError", "amount가 올바르지 않습니다.")
	case !validInstallment(req.InstallmentMonth, req.Amount.Total):
		return portoneErr(http.StatusBadRequest, "InvalidRequestError", "installmentMonth가 올바르지 않습니다.")
	}
	if _, ok := checkMoney(req.Amount.Total, req.Currency); !ok {
		return portoneErr(http.StatusBadRequest, "InvalidRequestError", "currency가 올바르지 않습니다.")
	}
	s.mu.Lock()
	rep, hang := s.portonePayLocked(pg, paymentID, req)
	s.mu.Unlock()
	if hang {
		s.hang(r.Context())
		return portonePgErr("TIMEOUT", "카드사 응답이 없어 결제되지 않았습니다.")
	}
	return rep
}

func (s *Server) portonePayLocked(pg, paymentID string, req portonePayRequest) (reply, bool) {
	if _, ok := s.payments[paymentID]; ok {
		// One paymentId namespace for the whole sandbox: ids are paysaga's payment ids.
		return portoneErr(http.StatusConflict, "AlreadyPaidError", "결제가 이미 완료되었습니다."), false
	}
	bk, ok := s.billingKeys[req.BillingKey]
	switch {
	case !ok || bk.pg != pg:
		return portoneErr(http.StatusNotFound, "BillingKeyNotFoundError", "빌링키가 존재하지 않습니다."), false
	case bk.deleted:
		return portoneErr(http.StatusConflict, "BillingKeyAlreadyDeletedError", "빌링키가 이미 삭제되었습니다."), false
	}
	switch bk.card.number {
	case CardTimeout:
		return reply{}, true
	case CardDecline, CardCaptureFails:
		return portonePgErr("REJECT_CARD_COMPANY", "카드사에서 결제를 거절했습니다."), false
	case CardInsufficientFunds:
		return portonePgErr("REJECT_CARD_PAYMENT", "한도초과 혹은 잔액부족으로 결제에 실패했습니다."), false
	}
	if req.Customer != nil && bk.customerKey == "" {
		bk.customerKey = req.Customer.ID
	}
	now := s.now()
	if bk.card.number == CardAsyncApprove || bk.card.number == CardAsyncDecline {
		return s.portonePayPendingLocked(pg, paymentID, req, bk), false
	}
	p := &payment{key: paymentID, pg: pg, orderID: paymentID, orderName: req.OrderName, bk: bk, status: StatusCaptured,
		amount: req.Amount.Total, captured: req.Amount.Total, currency: req.Currency, approvedAt: now, capturedAt: now, idemKey: paymentID,
		protocol:    protocolPortOne,
		installment: installment{months: req.InstallmentMonth, interestFree: req.InstallmentMonth > 0 && req.UseFreeInterestFromMerchant},
		taxFree:     req.Amount.TaxFree}
	s.payments[p.key] = p
	s.announceLocked(p)
	provider := pgProvider(pg)
	s.record(Record{Provider: provider, Kind: KindAuthorize, IdempotencyKey: paymentID, PaymentKey: p.key, OrderID: paymentID, Amount: p.amount, Currency: p.currency, TaxFreeAmount: p.taxFree,
		InstallmentMonths: p.installment.months, InterestFree: p.installment.interestFree})
	s.record(Record{Provider: provider, Kind: KindCapture, IdempotencyKey: paymentID, PaymentKey: p.key, OrderID: paymentID, Amount: p.amount, Currency: p.currency, TaxFreeAmount: p.taxFree})
	res := map[string]any{"payment": map[string]string{"pgTxId": p.key + "-pg", "paidAt": portoneTime(now)}}
	return jsonReply(http.StatusOK, res), false
}

// portonePayPendingLocked leaves the payment PAY_PENDING, as PortOne's
// PayPendingPayment is while the PG has not decided (documented for some
// channels, e.g. overseas cards); the answer's summary has no paidAt. After
// the sandbox's async delay it is decided and announced (completeAsync).
func (s *Server) portonePayPendingLocked(pg, paymentID string, req portonePayRequest, bk *billingKey) reply {
	p := &payment{key: paymentID, pg: pg, orderID: paymentID, orderName: req.OrderName, bk: bk, status: StatusPending,
		amount: req.Amount.Total, currency: req.Currency, approvedAt: s.now(), idemKey: paymentID, protocol: protocolPortOne,
		installment: installment{months: req.InstallmentMonth, interestFree: req.InstallmentMonth > 0 && req.UseFreeInterestFromMerchant},
		taxFree:     req.Amount.TaxFree}
	s.payments[p.key] = p
	s.announceLocked(p)
	time.AfterFunc(s.asyncDelay, func() { s.completeAsync(p.key) })
	return jsonReply(http.StatusOK, map[string]any{"payment": map[string]string{"pgTxId": p.key + "-pg"}})
}

// portoneCancel cancels the balance (no amount) or part of it.
func (s *Server) portoneCancel(r *http.Request, pg string) reply {
	var req portoneCancelRequest
	if rep, ok := decodePortone(r, &req); !ok {
		return rep
	}
	if req.Reason == "" || req.Amount < 0 {
		return portoneErr(http.StatusBadRequest, "InvalidRequestError", "reason은 필수이며 amount는 0 이상이어야 합니다.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[r.PathValue("payment_id")]
	if !ok || p.pg != pg {
		return portoneErr(http.StatusNotFound, "PaymentNotFoundError", "결제 건이 존재하지 않습니다.")
	}
	remaining := p.balance()
	amount := req.Amount
	if amount == 0 {
		amount = remaining
	}
	switch {
	case p.status == StatusPending || p.status == StatusFailed:
		return portoneErr(http.StatusConflict, "PaymentNotPaidError", "결제가 완료되지 않았습니다.")
	case remaining == 0:
		return portoneErr(http.StatusConflict, "PaymentAlreadyCancelledError", "결제가 이미 취소되었습니다.")
	case req.CurrentCancellableAmount != nil && *req.CurrentCancellableAmount != remaining:
		return portoneErr(http.StatusConflict, "CancellableAmountConsistencyBrokenError", "취소 가능 잔액 검증에 실패했습니다.")
	case amount > remaining:
		return portoneErr(http.StatusConflict, "CancelAmountExceedsCancellableAmountError", "결제 취소 금액이 취소 가능 금액을 초과했습니다.")
	case req.TaxFreeAmount < 0 || req.TaxFreeAmount > amount:
		return portoneErr(http.StatusConflict, "SumOfPartsExceedsCancelAmountError", "면세 금액 등 하위 항목들의 합이 전체 취소 금액을 초과했습니다.")
	case req.TaxFreeAmount > p.taxFreeLeft():
		return portoneErr(http.StatusConflict, "CancelTaxFreeAmountExceedsCancellableTaxFreeAmountError", "취소 면세 금액이 취소 가능한 면세 금액을 초과했습니다.")
	case amount-req.TaxFreeAmount > p.taxableLeft():
		// An omitted taxFreeAmount cancels taxable money only, as PortOne documents.
		return portoneErr(http.StatusConflict, "CancelTaxAmountExceedsCancellableTaxAmountError", "취소 과세 금액이 취소 가능한 과세 금액을 초과했습니다.")
	}
	now := s.now()
	p.canceled += amount
	p.canceledTaxFree += req.TaxFreeAmount
	p.status = StatusPartiallyCanceled
	if p.balance() == 0 {
		p.status = StatusCanceled
	}
	p.cancels = append(p.cancels, cancelJSON{Amount: amount, Reason: req.Reason, CanceledAt: now, TaxFree: req.TaxFreeAmount})
	s.record(Record{Provider: pgProvider(pg), Kind: KindCancel, PaymentKey: p.key, OrderID: p.orderID, Amount: amount, Currency: p.currency, TaxFreeAmount: req.TaxFreeAmount})
	s.announceLocked(p)
	c := p.portone().Cancellations[len(p.cancels)-1]
	return jsonReply(http.StatusOK, map[string]any{"cancellation": c})
}

func (s *Server) portoneGetPayment(r *http.Request, pg string) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[r.PathValue("payment_id")]
	if !ok || p.pg != pg {
		return portoneErr(http.StatusNotFound, "PaymentNotFoundError", "결제 건이 존재하지 않습니다.")
	}
	return jsonReply(http.StatusOK, p.portone())
}

// decodePortone reads a PortOne request body, answering InvalidRequestError.
func decodePortone(r *http.Request, dst any) (reply, bool) {
	rep, ok := decode(r, dst)
	if !ok && rep.status == http.StatusBadRequest {
		return portoneErr(http.StatusBadRequest, "InvalidRequestError", "요청된 입력 정보가 유효하지 않습니다."), false
	}
	return rep, ok
}

type portoneEventsRequest struct {
	StoreID string     `json:"storeId"`
	From    *time.Time `json:"from"`
	Until   *time.Time `json:"until"`
	Cursor  string     `json:"cursor"`
	Size    int        `json:"size"`
}

type portoneEvent struct {
	Type          string            `json:"type"`
	ID            string            `json:"id"`
	PaymentID     string            `json:"paymentId"`
	TransactionID string            `json:"transactionId"`
	MerchantID    string            `json:"merchantId"`
	StoreID       string            `json:"storeId"`
	Channel       map[string]string `json:"channel"`
	Version       string            `json:"version"`
	RequestedAt   string            `json:"requestedAt"`
	CreatedAt     string            `json:"createdAt"`
	OrderName     string            `json:"orderName"`
	TotalAmount   portoneAmount     `json:"totalAmount"`
	Currency      string            `json:"currency"`
	Customer      map[string]string `json:"customer"`
	Disputes      []any             `json:"disputes,omitempty"`
	EventAmount   int64             `json:"eventAmount"`
	Origin        map[string]string `json:"origin"`
}

type portoneEventWithCursor struct {
	PaymentEvent portoneEvent `json:"paymentEvent"`
	Cursor       string       `json:"cursor"`
}

// portonePaymentEvents is GET /payment-events-by-cursor: the PAID and
// CANCELLED / PARTIAL_CANCELLED events (a cancel's eventAmount negative) of
// this instance created in [from, until) (defaults: until now, from 90 days
// before), after the cursor, size per page (default 10, at most 1000). It is
// the sandbox's record of money moved, so reconciliation plants apply to PAID
// events as they do to the settlement reports.
func (s *Server) portonePaymentEvents(r *http.Request, pg string) reply {
	var req portoneEventsRequest
	if raw := r.URL.Query().Get("requestBody"); raw != "" {
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return portoneErr(http.StatusBadRequest, "InvalidRequestError", "requestBody가 올바르지 않습니다.")
		}
	}
	if req.Size == 0 {
		req.Size = 10
	}
	until := s.now()
	if req.Until != nil {
		until = *req.Until
	}
	from := until.AddDate(0, 0, -90)
	if req.From != nil {
		from = *req.From
	}
	after, err := strconv.ParseInt("0"+req.Cursor, 10, 64)
	if err != nil || req.Size < 1 || req.Size > 1000 || !from.Before(until) {
		return portoneErr(http.StatusBadRequest, "InvalidRequestError", "from, until, cursor, size가 올바르지 않습니다.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []portoneEventWithCursor{}
	canceled := map[string]int64{}
	for _, rec := range s.records {
		if rec.Provider != pgProvider(pg) || len(items) == req.Size {
			continue
		}
		p, ok := s.payments[rec.PaymentKey]
		if !ok {
			continue
		}
		ev, counted := s.portoneEventLocked(rec, p, canceled)
		if !counted || rec.Seq <= after || rec.At.Before(from) || !rec.At.Before(until) {
			continue
		}
		items = append(items, portoneEventWithCursor{PaymentEvent: ev, Cursor: strconv.FormatInt(rec.Seq, 10)})
	}
	return jsonReply(http.StatusOK, map[string]any{"items": items})
}

// portoneEventLocked is the payment event of a capture or of a cancel after
// capture (canceled keeps each payment's running total, to tell a partial
// cancel from the last one); false for any other record or a dropped plant.
func (s *Server) portoneEventLocked(rec Record, p *payment, canceled map[string]int64) (portoneEvent, bool) {
	ev := portoneEvent{ID: "evt-" + strconv.FormatInt(rec.Seq, 10), PaymentID: p.key, TransactionID: p.key + "-tx", MerchantID: "merchant-paysaga",
		StoreID: portoneStore, Channel: map[string]string{"type": "TEST", "pgProvider": "TOSSPAYMENTS", "pgMerchantId": "tosspayments"},
		Version: "V2", RequestedAt: portoneTime(p.approvedAt), CreatedAt: portoneTime(rec.At), OrderName: p.orderName,
		TotalAmount: portoneAmount{Total: p.amount, Paid: p.captured, Cancelled: p.canceled}, Currency: rec.Currency,
		Customer: map[string]string{"id": p.bk.customerKey}, Origin: map[string]string{"platformType": "API"}}
	switch {
	case rec.Kind == KindCapture:
		ev.Type, ev.EventAmount = "PAID", rec.Amount
		if pl, ok := s.plants[p.key]; ok {
			if pl.Drop {
				return ev, false
			}
			if pl.Amount != nil {
				ev.EventAmount = *pl.Amount
			}
		}
	case rec.Kind == KindCancel && !p.capturedAt.IsZero() && !rec.At.Before(p.capturedAt):
		canceled[p.key] += rec.Amount
		ev.Type, ev.EventAmount = "PARTIAL_CANCELLED", -rec.Amount
		if canceled[p.key] >= p.captured {
			ev.Type = "CANCELLED"
		}
	default:
		return ev, false
	}
	return ev, true
}
