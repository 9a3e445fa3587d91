package providersim

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Toss Payments core API v1, as Toss documents it, under /toss/{name}/v1/...:
// every PG instance of the sandbox answers it (and the original /pg/{name}
// protocol), over the same billing keys, payments and records. What differs
// from the original protocol is Toss's: camelCase fields, an approval that
// authorizes and captures in one call (recorded as an authorize and a capture
// under one idempotency key), cancels with cancelAmount, look-ups by orderId,
// Basic authentication with a test_ secret key, Toss's error codes.
const tossVersion = "2022-11-16"

// tossRoutes adds the Toss protocol to mux.
func (s *Server) tossRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /toss/{name}/v1/billing/authorizations/issue", s.tossRoute(OpBillingKey, s.tossIssueBillingKey))
	mux.HandleFunc("POST /toss/{name}/v1/billing/{billing_key}", s.tossRoute(OpAuthorize, s.tossCharge))
	mux.HandleFunc("POST /toss/{name}/v1/payments/{payment_key}/cancel", s.tossRoute(OpCancel, s.tossCancel))
	mux.HandleFunc("GET /toss/{name}/v1/payments/orders/{order_id}", s.tossRoute(OpQuery, s.tossPaymentByOrder))
	mux.HandleFunc("GET /toss/{name}/v1/payments/{payment_key}", s.tossRoute(OpQuery, s.tossGetPayment))
	mux.HandleFunc("GET /toss/{name}/v1/settlements", s.tossRoute(OpQuery, s.tossSettlements))
	s.tossReceiptRoutes(mux)
}

// tossRoute checks the instance and the secret key (Basic, "secretKey:"), then
// runs the endpoint through the fault rules of pg:{name}.
func (s *Server) tossRoute(op string, h func(r *http.Request, pg string) reply) http.HandlerFunc {
	return s.tossRouteAt(pgProvider, op, h)
}

// tossRouteAt is tossRoute under the fault rules of provider(name): the PG's
// own, or its receipt service's (receiptsProvider).
func (s *Server) tossRouteAt(provider func(string) string, op string, h func(r *http.Request, pg string) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if !s.pgs[name] {
			writeReply(w, errReply(http.StatusNotFound, "NOT_FOUND", "no PG instance named "+name))
			return
		}
		if !tossAuthorized(r.Header.Get("Authorization")) {
			writeReply(w, errReply(http.StatusUnauthorized, "UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다."))
			return
		}
		s.serve(w, r, provider(name), op, func() reply { return h(r, name) })
	}
}

// tossAuthorized accepts any test secret key (test_sk_... or test_gsk_...) with
// an empty password, as Toss's test environment accepts the merchant's key.
func tossAuthorized(header string) bool {
	enc, ok := strings.CutPrefix(header, "Basic ")
	if !ok {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return false
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	return ok && pass == "" && (strings.HasPrefix(user, "test_sk_") || strings.HasPrefix(user, "test_gsk_"))
}

type tossBillingCard struct {
	IssuerCode   string `json:"issuerCode"`
	AcquirerCode string `json:"acquirerCode"`
	Number       string `json:"number"`
	CardType     string `json:"cardType"`
	OwnerType    string `json:"ownerType"`
}

type tossBilling struct {
	MID             string          `json:"mId"`
	CustomerKey     string          `json:"customerKey"`
	AuthenticatedAt string          `json:"authenticatedAt"`
	Method          string          `json:"method"`
	BillingKey      string          `json:"billingKey"`
	CardCompany     string          `json:"cardCompany"`
	CardNumber      string          `json:"cardNumber"`
	Card            tossBillingCard `json:"card"`
}

type tossCard struct {
	IssuerCode   string `json:"issuerCode"`
	AcquirerCode string `json:"acquirerCode"`
	Number       string `json:"number"`
	CardType     string `json:"cardType"`
	OwnerType    string `json:"ownerType"`
	ApproveNo    string `json:"approveNo"`
	Amount       int64  `json:"amount"`
	// InstallmentPlanMonths 0 is 일시불; InterestPayer BUYER | MERCHANT.
	InstallmentPlanMonths int    `json:"installmentPlanMonths"`
	IsInterestFree        bool   `json:"isInterestFree"`
	InterestPayer         string `json:"interestPayer"`
}

type tossCancel struct {
	TransactionKey string `json:"transactionKey"`
	CancelAmount   int64  `json:"cancelAmount"`
	CancelReason   string `json:"cancelReason"`
	TaxFreeAmount  int64  `json:"taxFreeAmount"`
	CanceledAt     string `json:"canceledAt"`
	CancelStatus   string `json:"cancelStatus"`
}

type tossPayment struct {
	MID                string       `json:"mId"`
	Version            string       `json:"version"`
	LastTransactionKey string       `json:"lastTransactionKey"`
	PaymentKey         string       `json:"paymentKey"`
	OrderID            string       `json:"orderId"`
	OrderName          string       `json:"orderName"`
	Status             string       `json:"status"`
	Type               string       `json:"type"`
	Method             string       `json:"method"`
	Currency           string       `json:"currency"`
	TotalAmount        int64        `json:"totalAmount"`
	BalanceAmount      int64        `json:"balanceAmount"`
	SuppliedAmount     int64        `json:"suppliedAmount"`
	VAT                int64        `json:"vat"`
	TaxFreeAmount      int64        `json:"taxFreeAmount"`
	RequestedAt        string       `json:"requestedAt"`
	ApprovedAt         *string      `json:"approvedAt"`
	Card               *tossCard    `json:"card"`
	Cancels            []tossCancel `json:"cancels"`
}

type tossIssueRequest struct {
	AuthKey     string `json:"authKey"`
	CustomerKey string `json:"customerKey"`
}

type tossChargeRequest struct {
	CustomerKey   string `json:"customerKey"`
	Amount        int64  `json:"amount"`
	OrderID       string `json:"orderId"`
	OrderName     string `json:"orderName"`
	CustomerEmail string `json:"customerEmail,omitempty"`
	CustomerName  string `json:"customerName,omitempty"`
	TaxFreeAmount int64  `json:"taxFreeAmount,omitempty"`
	// CardInstallmentPlan: 2..12 months on 50,000 won or more; 0 is 일시불.
	CardInstallmentPlan int `json:"cardInstallmentPlan,omitempty"`
}

type tossCancelRequest struct {
	CancelReason  string `json:"cancelReason"`
	CancelAmount  int64  `json:"cancelAmount,omitempty"`
	TaxFreeAmount int64  `json:"taxFreeAmount,omitempty"`
}

// tossTime is Toss's time format: ISO 8601 in Korea time.
func tossTime(t time.Time) string { return t.In(kst).Format("2006-01-02T15:04:05-07:00") }

// tossIssuer is a Korean issuer code for the card's brand (the sandbox's cards
// are all "issued" by one of these).
func tossIssuer(brand string) (code, company string) {
	switch brand {
	case "MASTERCARD":
		return "41", "신한"
	case "AMEX":
		return "51", "삼성"
	}
	return "61", "현대"
}

func maskCard(c card) string { return c.number[:6] + strings.Repeat("*", len(c.number)-10) + c.last4 }

func tossCardType(c card) string {
	if c.typ == "check" {
		return "체크"
	}
	return "신용"
}

func (bk *billingKey) toss() tossBilling {
	code, company := tossIssuer(bk.card.brand)
	return tossBilling{MID: "tpaysaga", CustomerKey: bk.customerKey, AuthenticatedAt: tossTime(bk.issuedAt), Method: "카드",
		BillingKey: bk.key, CardCompany: company, CardNumber: maskCard(bk.card),
		Card: tossBillingCard{IssuerCode: code, AcquirerCode: code, Number: maskCard(bk.card), CardType: tossCardType(bk.card), OwnerType: "개인"}}
}

// toss is the payment as Toss's Payment object.
func (p *payment) toss() tossPayment {
	code, _ := tossIssuer(p.bk.card.brand)
	out := tossPayment{MID: "tpaysaga", Version: tossVersion, LastTransactionKey: p.key + "-t0", PaymentKey: p.key,
		OrderID: p.orderID, OrderName: p.orderName, Type: "BILLING", Method: "카드", Currency: p.currency,
		TotalAmount: p.amount, BalanceAmount: p.balance(), TaxFreeAmount: p.taxFreeLeft(), RequestedAt: tossTime(p.approvedAt),
		Card: &tossCard{IssuerCode: code, AcquirerCode: code, Number: maskCard(p.bk.card), CardType: tossCardType(p.bk.card),
			OwnerType: "개인", ApproveNo: tail(p.key, 8), Amount: p.amount,
			InstallmentPlanMonths: p.installment.months, IsInterestFree: p.installment.interestFree, InterestPayer: tossInterestPayer(p.installment)},
		Cancels: []tossCancel{}}
	out.VAT = vatOf(p.taxableLeft())
	out.SuppliedAmount = p.taxableLeft() - out.VAT
	at := tossTime(p.approvedAt)
	out.ApprovedAt = &at
	switch p.status {
	case StatusCanceled:
		out.Status = "CANCELED"
	case StatusPartiallyCanceled:
		out.Status = "PARTIAL_CANCELED"
	case StatusPending:
		out.Status, out.ApprovedAt = "IN_PROGRESS", nil
	default:
		out.Status = "DONE"
	}
	for i, c := range p.cancels {
		out.Cancels = append(out.Cancels, tossCancel{TransactionKey: p.key + "-t" + strconv.Itoa(i+1), CancelAmount: c.Amount,
			CancelReason: c.Reason, TaxFreeAmount: c.TaxFree, CanceledAt: tossTime(c.CanceledAt), CancelStatus: "DONE"})
		out.LastTransactionKey = p.key + "-t" + strconv.Itoa(i+1)
	}
	return out
}

// tossInterestPayer is who pays an installment's interest (empty for 일시불).
func tossInterestPayer(in installment) string {
	switch {
	case in.months == 0:
		return ""
	case in.interestFree:
		return "MERCHANT"
	}
	return "BUYER"
}

// tossIssueBillingKey exchanges an authKey from the SDK endpoint for a billing
// key at this instance. Idempotent by its natural key, like the original.
func (s *Server) tossIssueBillingKey(r *http.Request, pg string) reply {
	var req tossIssueRequest
	if rep, ok := decodeToss(r, &req); !ok {
		return rep
	}
	if req.AuthKey == "" || len(req.CustomerKey) < 2 || len(req.CustomerKey) > 300 {
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "authKey와 customerKey(2~300자)는 필수입니다.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ak, ok := s.authKeys[req.AuthKey]
	if !ok {
		return errReply(http.StatusBadRequest, "INVALID_AUTH_KEY", "유효하지 않은 authKey 입니다.")
	}
	if cust, used := ak.used[pg]; used {
		if cust != req.CustomerKey {
			return errReply(http.StatusBadRequest, "INVALID_AUTH_KEY", "다른 customerKey로 이미 발급된 authKey 입니다.")
		}
		rep := jsonReply(http.StatusOK, s.billingKeys[ak.bk[pg]].toss())
		rep.replayed = true
		return rep
	}
	bk := &billingKey{key: newID("bk_"), pg: pg, customerKey: req.CustomerKey, method: "card", card: ak.card, issuedAt: s.now()}
	s.billingKeys[bk.key] = bk
	ak.used[pg], ak.bk[pg] = req.CustomerKey, bk.key
	s.record(Record{Provider: pgProvider(pg), Kind: KindBillingKey, PaymentKey: bk.key})
	return jsonReply(http.StatusOK, bk.toss())
}

// tossCharge approves a billing payment: authorization and capture at once.
func (s *Server) tossCharge(r *http.Request, pg string) reply {
	key := r.Header.Get(IdempotencyHeader) // optional at Toss; paysaga always sends one
	if len(key) > maxKeyLen {
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "Idempotency-Key는 300자 이하여야 합니다.")
	}
	var req tossChargeRequest
	if rep, ok := decodeToss(r, &req); !ok {
		return rep
	}
	switch {
	case !validTossOrderID(req.OrderID):
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "orderId는 영문 대소문자, 숫자, 특수문자(-, _, =)로 이루어진 6자 이상 64자 이하의 문자열이어야 합니다.")
	case req.OrderName == "" || len([]rune(req.OrderName)) > 100:
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "orderName은 필수이며 100자 이하여야 합니다.")
	case req.Amount <= 0 || req.Amount > maxAmount:
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "amount는 0보다 커야 합니다.")
	case req.TaxFreeAmount < 0 || req.TaxFreeAmount > req.Amount:
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "taxFreeAmount는 0 이상 amount 이하여야 합니다.")
	case !validInstallment(req.CardInstallmentPlan, req.Amount):
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "cardInstallmentPlan은 0 또는 2~12이며, 할부는 5만원 이상 결제에만 가능합니다.")
	}
	billingKeyID := r.PathValue("billing_key")
	fp := fingerprint(OpAuthorize, r, req)
	s.mu.Lock()
	rep, hang := s.tossChargeLocked(pg, key, fp, billingKeyID, req)
	s.mu.Unlock()
	if hang {
		// The issuer never answers: wait until the client gives up; nothing is charged.
		s.hang(r.Context())
		return errReply(http.StatusInternalServerError, "FAILED_INTERNAL_SYSTEM_PROCESSING", "카드사 응답이 없어 결제되지 않았습니다.")
	}
	return rep
}

func (s *Server) tossChargeLocked(pg, key, fp, billingKeyID string, req tossChargeRequest) (reply, bool) {
	provider := pgProvider(pg)
	if key != "" {
		if rep, ok := s.replay(provider, key, fp); ok {
			return rep, false
		}
	}
	remember := func(rep reply, resource string) (reply, bool) {
		if key != "" {
			s.remember(provider, key, OpAuthorize, fp, rep, resource)
		}
		return rep, false
	}
	bk, ok := s.billingKeys[billingKeyID]
	switch {
	case !ok || bk.pg != pg || bk.method != "card":
		return remember(errReply(http.StatusNotFound, "NOT_FOUND_BILLING", "존재하지 않는 빌링키 입니다."), "")
	case bk.customerKey != req.CustomerKey:
		return remember(errReply(http.StatusBadRequest, "NOT_MATCHES_CUSTOMER_KEY", "빌링 인증 고객키와 결제 요청 고객키가 일치하지 않습니다."), "")
	}
	for _, p := range s.payments {
		if p.pg == pg && p.orderID == req.OrderID && p.status != StatusPending {
			return remember(errReply(http.StatusBadRequest, "ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제 입니다."), "")
		}
	}
	switch bk.card.number {
	case CardTimeout:
		return reply{}, true
	case CardDecline, CardAsyncDecline, CardCaptureFails:
		// Approval is capture here: a card whose capture would fail is refused at approval.
		return remember(errReply(http.StatusForbidden, "REJECT_CARD_COMPANY", "카드사에서 결제를 거절했습니다."), "")
	case CardInsufficientFunds:
		return remember(errReply(http.StatusForbidden, "REJECT_CARD_PAYMENT", "한도초과 혹은 잔액부족으로 결제에 실패했습니다."), "")
	}
	now := s.now()
	// Interest-free plans are the merchant's contract with Toss: the sandbox's
	// merchant has none, so every installment's interest is the buyer's.
	p := &payment{key: newID("tpk_"), pg: pg, orderID: req.OrderID, orderName: req.OrderName, bk: bk, status: StatusCaptured,
		amount: req.Amount, captured: req.Amount, currency: "KRW", approvedAt: now, capturedAt: now, idemKey: key, protocol: protocolToss,
		installment: installment{months: req.CardInstallmentPlan}, taxFree: req.TaxFreeAmount}
	s.payments[p.key] = p
	s.record(Record{Provider: provider, Kind: KindAuthorize, IdempotencyKey: key, PaymentKey: p.key, OrderID: p.orderID, Amount: p.amount, Currency: p.currency, TaxFreeAmount: p.taxFree,
		InstallmentMonths: p.installment.months})
	s.record(Record{Provider: provider, Kind: KindCapture, IdempotencyKey: key, PaymentKey: p.key, OrderID: p.orderID, Amount: p.amount, Currency: p.currency, TaxFreeAmount: p.taxFree})
	s.announceLocked(p)
	return remember(jsonReply(http.StatusOK, p.toss()), p.key)
}

// tossCancel cancels the balance (no cancelAmount) or part of it.
func (s *Server) tossCancel(r *http.Request, pg string) reply {
	key := r.Header.Get(IdempotencyHeader)
	if len(key) > maxKeyLen {
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "Idempotency-Key는 300자 이하여야 합니다.")
	}
	var req tossCancelRequest
	if rep, ok := decodeToss(r, &req); !ok {
		return rep
	}
	switch {
	case req.CancelReason == "" || len([]rune(req.CancelReason)) > 200:
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "cancelReason은 필수이며 200자 이하여야 합니다.")
	case req.CancelAmount < 0:
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "cancelAmount는 0보다 커야 합니다.")
	}
	fp := fingerprint(OpCancel, r, req)
	provider := pgProvider(pg)
	s.mu.Lock()
	defer s.mu.Unlock()
	if key != "" {
		if rep, ok := s.replay(provider, key, fp); ok {
			return rep
		}
	}
	rep, resource := s.tossCancelLocked(pg, key, r.PathValue("payment_key"), req)
	if key != "" {
		s.remember(provider, key, OpCancel, fp, rep, resource)
	}
	return rep
}

func (s *Server) tossCancelLocked(pg, key, paymentKey string, req tossCancelRequest) (reply, string) {
	p, ok := s.payments[paymentKey]
	if !ok || p.pg != pg {
		return errReply(http.StatusNotFound, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다."), ""
	}
	remaining := p.balance()
	amount, taxFree := req.CancelAmount, req.TaxFreeAmount
	if amount == 0 {
		amount, taxFree = remaining, p.taxFreeLeft() // the whole balance, both parts
	}
	switch {
	case remaining == 0:
		return errReply(http.StatusBadRequest, "ALREADY_CANCELED_PAYMENT", "이미 취소된 결제 입니다."), ""
	case amount > remaining:
		return errReply(http.StatusForbidden, "NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다."), ""
	case taxFree < 0 || taxFree > amount || taxFree > p.taxFreeLeft() || amount-taxFree > p.taxableLeft():
		// Sandbox choice: Toss documents no separate code for a tax-free part out of range.
		return errReply(http.StatusForbidden, "NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 면세 금액 입니다."), ""
	}
	p.canceled += amount
	p.canceledTaxFree += taxFree
	p.status = StatusPartiallyCanceled
	if p.balance() == 0 {
		p.status = StatusCanceled
	}
	p.cancels = append(p.cancels, cancelJSON{Amount: amount, Reason: req.CancelReason, IdempotencyKey: key, CanceledAt: s.now(), TaxFree: taxFree})
	s.record(Record{Provider: pgProvider(pg), Kind: KindCancel, IdempotencyKey: key, PaymentKey: p.key, OrderID: p.orderID, Amount: amount, Currency: p.currency, TaxFreeAmount: taxFree})
	s.announceLocked(p)
	return jsonReply(http.StatusOK, p.toss()), p.key
}

func (s *Server) tossGetPayment(r *http.Request, pg string) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[r.PathValue("payment_key")]
	if !ok || p.pg != pg {
		return errReply(http.StatusNotFound, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.")
	}
	return jsonReply(http.StatusOK, p.toss())
}

func (s *Server) tossPaymentByOrder(r *http.Request, pg string) reply {
	orderID := r.PathValue("order_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.payments {
		if p.pg == pg && p.orderID == orderID && p.orderName != "" {
			return jsonReply(http.StatusOK, p.toss())
		}
	}
	return errReply(http.StatusNotFound, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.")
}

type tossSettlement struct {
	MID            string `json:"mId"`
	PaymentKey     string `json:"paymentKey"`
	TransactionKey string `json:"transactionKey"`
	OrderID        string `json:"orderId"`
	Currency       string `json:"currency"`
	Method         string `json:"method"`
	Amount         int64  `json:"amount"`
	InterestFee    int64  `json:"interestFee"`
	Fee            int64  `json:"fee"`
	SupplyAmount   int64  `json:"supplyAmount"`
	VAT            int64  `json:"vat"`
	PayOutAmount   int64  `json:"payOutAmount"`
	SoldDate       string `json:"soldDate"`
	PaidOutDate    string `json:"paidOutDate"`
}

// tossSettlements is Toss's settlement list for sold dates startDate..endDate:
// the sandbox's settlement report (plants included) in Toss's shape, a refund as
// a negative amount, paged by page and size.
func (s *Server) tossSettlements(r *http.Request, pg string) reply {
	q := r.URL.Query()
	start, err1 := time.ParseInLocation("2006-01-02", q.Get("startDate"), kst)
	end, err2 := time.ParseInLocation("2006-01-02", q.Get("endDate"), kst)
	if err1 != nil || err2 != nil || end.Before(start) {
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "startDate와 endDate는 yyyy-MM-dd 형식이어야 합니다.")
	}
	page, size := atoiOr(q.Get("page"), 1), atoiOr(q.Get("size"), 100)
	if page < 1 || size < 1 || size > 10000 {
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "page와 size가 올바르지 않습니다.")
	}
	var out []tossSettlement
	s.mu.Lock()
	defer s.mu.Unlock()
	for day := start; !day.After(end); day = day.AddDate(0, 0, 1) {
		for _, it := range s.settlementItems(pg, day) {
			l := tossSettlement{MID: "tpaysaga", PaymentKey: it.PaymentKey, TransactionKey: it.PaymentKey + "-" + it.Type, OrderID: it.OrderID,
				Currency: it.Currency, Method: "카드", Amount: it.Amount, Fee: it.Fee, SoldDate: day.Format("2006-01-02"),
				PaidOutDate: day.AddDate(0, 0, 2).Format("2006-01-02")}
			if it.Type == "refund" {
				l.Amount = -it.Amount
			}
			l.SupplyAmount = l.Fee * 10 / 11
			l.VAT = l.Fee - l.SupplyAmount
			l.PayOutAmount = l.Amount - l.Fee
			out = append(out, l)
		}
	}
	from := (page - 1) * size
	if from > len(out) {
		from = len(out)
	}
	to := min(from+size, len(out))
	return jsonReply(http.StatusOK, append([]tossSettlement{}, out[from:to]...))
}

func atoiOr(s string, def int) int {
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// validTossOrderID: 6-64 of letters, digits, - _ =.
func validTossOrderID(id string) bool {
	if len(id) < 6 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '=') {
			return false
		}
	}
	return true
}

// decodeToss reads a Toss request body, answering Toss's INVALID_REQUEST.
func decodeToss(r *http.Request, dst any) (reply, bool) {
	rep, ok := decode(r, dst)
	if !ok && rep.status == http.StatusBadRequest {
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "잘못된 요청입니다."), false
	}
	return rep, ok
}

// tail is the last n bytes of s (all of s when shorter).
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
