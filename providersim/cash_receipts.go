package providersim

import (
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// Toss's cash-receipt API (현금영수증): POST /v1/cash-receipts issues,
// POST /v1/cash-receipts/{receiptKey}/cancel cancels whole or in part, and
// GET /v1/cash-receipts?requestDate lists a day's receipts. A receipt is
// IN_PROGRESS (issued, sent to the NTS) until ReceiptRegistrationDelay has
// passed, then COMPLETED with an issueNumber. Faults apply to the provider
// receipts:{pg}, so the receipt service can be down while payments go on.
type cashReceipt struct {
	key, pg, orderID, orderName, typ, identity string
	amount, taxFree                            int64 // what the receipt stands for now
	issuedAmount, issuedTaxFree                int64 // what it stood for when issued
	issuedAt                                   time.Time
	// PortOne receipts (portone_receipts.go): their NTS number, shown once
	// registered, and when they were cancelled (always whole).
	portone     bool
	issueNumber string
	canceledAt  time.Time
}

type tossReceiptRequest struct {
	Amount                 int64  `json:"amount"`
	OrderID                string `json:"orderId"`
	OrderName              string `json:"orderName"`
	CustomerIdentityNumber string `json:"customerIdentityNumber"`
	Type                   string `json:"type"`
	TaxFreeAmount          int64  `json:"taxFreeAmount,omitempty"`
}

type tossReceiptCancelRequest struct {
	Amount int64 `json:"amount,omitempty"`
}

type tossReceipt struct {
	ReceiptKey    string `json:"receiptKey"`
	OrderID       string `json:"orderId"`
	Type          string `json:"type"`
	IssueNumber   string `json:"issueNumber"`
	ReceiptURL    string `json:"receiptUrl"`
	Amount        int64  `json:"amount"`
	TaxFreeAmount int64  `json:"taxFreeAmount"`
	IssueStatus   string `json:"issueStatus"`
}

// receiptIdentity: a mobile phone (010…), a business registration number (10
// digits) or the NTS self-issue number 0100001234; digits only.
var receiptIdentity = regexp.MustCompile(`^(01[016789][0-9]{7,8}|[0-9]{10})$`)

func receiptsProvider(pg string) string { return "receipts:" + pg }

func (s *Server) tossReceiptRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /toss/{name}/v1/cash-receipts", s.tossReceiptRoute(OpCashReceipt, s.tossIssueReceipt))
	mux.HandleFunc("POST /toss/{name}/v1/cash-receipts/{receipt_key}/cancel", s.tossReceiptRoute(OpCashReceiptCancel, s.tossCancelReceipt))
	mux.HandleFunc("GET /toss/{name}/v1/cash-receipts", s.tossReceiptRoute(OpQuery, s.tossListReceipts))
}

// tossReceiptRoute is tossRoute under the receipt service's fault rules.
func (s *Server) tossReceiptRoute(op string, h func(r *http.Request, pg string) reply) http.HandlerFunc {
	return s.tossRouteAt(receiptsProvider, op, h)
}

func (s *Server) tossIssueReceipt(r *http.Request, pg string) reply {
	key := r.Header.Get(IdempotencyHeader)
	var req tossReceiptRequest
	if rep, ok := decodeToss(r, &req); !ok {
		return rep
	}
	switch {
	case !validTossOrderID(req.OrderID) || req.OrderName == "":
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "orderId와 orderName은 필수입니다.")
	case req.Amount <= 0 || req.Amount > maxAmount || req.TaxFreeAmount < 0 || req.TaxFreeAmount > req.Amount:
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "amount와 taxFreeAmount가 올바르지 않습니다.")
	case req.Type != "소득공제" && req.Type != "지출증빙":
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "type은 소득공제 또는 지출증빙이어야 합니다.")
	case !receiptIdentity.MatchString(req.CustomerIdentityNumber):
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "customerIdentityNumber가 올바르지 않습니다.")
	}
	provider := receiptsProvider(pg)
	fp := fingerprint(OpCashReceipt, r, req)
	s.mu.Lock()
	defer s.mu.Unlock()
	if key != "" {
		if rep, ok := s.replay(provider, key, fp); ok {
			return rep
		}
	}
	for _, c := range s.receipts {
		if c.pg == pg && c.orderID == req.OrderID {
			// Sandbox choice: one receipt per orderId (Toss's pages do not say).
			return errReply(http.StatusBadRequest, "ALREADY_ISSUED_CASH_RECEIPT", "이미 발급된 현금영수증입니다.")
		}
	}
	c := &cashReceipt{key: newID("rk_"), pg: pg, orderID: req.OrderID, orderName: req.OrderName, typ: req.Type,
		identity: req.CustomerIdentityNumber, amount: req.Amount, taxFree: req.TaxFreeAmount, issuedAt: s.now(),
		issuedAmount: req.Amount, issuedTaxFree: req.TaxFreeAmount}
	s.receipts[c.key] = c
	s.record(Record{Provider: provider, Kind: KindCashReceipt, IdempotencyKey: key, PaymentKey: c.key, OrderID: c.orderID,
		Amount: c.amount, TaxFreeAmount: c.taxFree, Currency: "KRW"})
	rep := jsonReply(http.StatusOK, s.tossReceiptLocked(c))
	if key != "" {
		s.remember(provider, key, OpCashReceipt, fp, rep, c.key)
	}
	return rep
}

func (s *Server) tossCancelReceipt(r *http.Request, pg string) reply {
	key := r.Header.Get(IdempotencyHeader)
	var req tossReceiptCancelRequest
	if rep, ok := decodeToss(r, &req); !ok {
		return rep
	}
	provider := receiptsProvider(pg)
	fp := fingerprint(OpCashReceiptCancel, r, req)
	s.mu.Lock()
	defer s.mu.Unlock()
	if key != "" {
		if rep, ok := s.replay(provider, key, fp); ok {
			return rep
		}
	}
	c, ok := s.receipts[r.PathValue("receipt_key")]
	switch {
	case !ok || c.pg != pg:
		return errReply(http.StatusNotFound, "NOT_FOUND_CASH_RECEIPT", "존재하지 않는 현금영수증입니다.")
	case c.amount == 0:
		return errReply(http.StatusBadRequest, "ALREADY_CANCELED_CASH_RECEIPT", "이미 취소된 현금영수증입니다.")
	case req.Amount < 0 || req.Amount > c.amount:
		return errReply(http.StatusForbidden, "NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다.")
	}
	amount := req.Amount
	if amount == 0 {
		amount = c.amount
	}
	// The tax-free part goes back in proportion to the issued receipt, a
	// cumulative floor of the cancelled total (Toss's cancel takes no
	// taxFreeAmount): the cancels' parts add up to the receipt's exactly.
	upTo := func(t int64) int64 { return t * c.issuedTaxFree / c.issuedAmount }
	cancelled := c.issuedAmount - c.amount
	taxFree := upTo(cancelled+amount) - upTo(cancelled)
	c.amount, c.taxFree = c.amount-amount, c.taxFree-taxFree
	s.record(Record{Provider: provider, Kind: KindCashReceiptCancel, IdempotencyKey: key, PaymentKey: c.key, OrderID: c.orderID,
		Amount: amount, TaxFreeAmount: taxFree, Currency: "KRW"})
	rep := jsonReply(http.StatusOK, s.tossReceiptLocked(c))
	if key != "" {
		s.remember(provider, key, OpCashReceiptCancel, fp, rep, c.key)
	}
	return rep
}

func (s *Server) tossListReceipts(r *http.Request, pg string) reply {
	date := r.URL.Query().Get("requestDate")
	if _, err := time.ParseInLocation("2006-01-02", date, kst); err != nil {
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "requestDate는 yyyy-MM-dd 형식이어야 합니다.")
	}
	limit := 100
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 || n > 10000 {
			return errReply(http.StatusBadRequest, "INVALID_REQUEST", "limit은 1 이상 10000 이하여야 합니다.")
		}
		limit = n
	}
	after := r.URL.Query().Get("startingAfter")
	s.mu.Lock()
	defer s.mu.Unlock()
	var day []*cashReceipt
	for _, c := range s.receipts {
		if c.pg == pg && !c.portone && c.issuedAt.In(kst).Format("2006-01-02") == date {
			day = append(day, c)
		}
	}
	sort.Slice(day, func(i, j int) bool { return day[i].key < day[j].key })
	out := []tossReceipt{}
	for _, c := range day {
		if (after == "" || c.key > after) && len(out) < limit {
			out = append(out, s.tossReceiptLocked(c))
		}
	}
	return jsonReply(http.StatusOK, out)
}

// tossReceiptLocked is the receipt as Toss shows it now: registered once the
// NTS delay has passed.
func (s *Server) tossReceiptLocked(c *cashReceipt) tossReceipt {
	out := tossReceipt{ReceiptKey: c.key, OrderID: c.orderID, Type: c.typ, ReceiptURL: "https://sandbox.invalid/cash-receipts/" + c.key,
		Amount: c.amount, TaxFreeAmount: c.taxFree, IssueStatus: "IN_PROGRESS"}
	if s.now().Sub(c.issuedAt) >= s.receiptDelay {
		out.IssueStatus, out.IssueNumber = "COMPLETED", tail(c.key, 9)
	}
	return out
}
