package providersim

import (
	"net/http"
	"strings"
)

// PortOne V2's cash-receipt API (현금영수증), under /portone/{name}: POST
// /cash-receipts issues a receipt by hand under a merchant-assigned
// paymentId (a second issue under it is 409 CashReceiptAlreadyIssuedError:
// PortOne takes no Idempotency-Key), POST /payments/{paymentId}/cash-receipt/cancel
// cancels it whole, GET /payments/{paymentId}/cash-receipt reads it. As at
// the Toss prefix, a receipt is registered at the NTS only after
// ReceiptRegistrationDelay: PortOne documents no state for that, so the
// sandbox answers ISSUED without its issueNumber (the NTS approval number)
// until then. Records and faults are the receipt service's, receipts:{pg}.

type portoneReceiptRequest struct {
	StoreID     string                 `json:"storeId"`
	PaymentID   string                 `json:"paymentId"`
	ChannelKey  string                 `json:"channelKey"`
	Type        string                 `json:"type"`
	OrderName   string                 `json:"orderName"`
	Currency    string                 `json:"currency"`
	Amount      portoneAmountInput     `json:"amount"`
	ProductType string                 `json:"productType"`
	Customer    portoneReceiptCustomer `json:"customer"`
	PaidAt      string                 `json:"paidAt"`
}

type portoneAmountInput struct {
	Total   int64 `json:"total"`
	TaxFree int64 `json:"taxFree"`
	VAT     int64 `json:"vat"`
}

type portoneReceiptCustomer struct {
	IdentityNumber string `json:"identityNumber"`
	Name           string `json:"name"`
	Email          string `json:"email"`
	PhoneNumber    string `json:"phoneNumber"`
}

type portoneReceiptSummary struct {
	IssueNumber string `json:"issueNumber"`
	URL         string `json:"url"`
	PgReceiptID string `json:"pgReceiptId"`
}

type portoneReceipt struct {
	Status        string                `json:"status"`
	MerchantID    string                `json:"merchantId"`
	StoreID       string                `json:"storeId"`
	PaymentID     string                `json:"paymentId"`
	Channel       portoneReceiptChannel `json:"channel"`
	Amount        int64                 `json:"amount"`
	TaxFreeAmount int64                 `json:"taxFreeAmount"`
	Currency      string                `json:"currency"`
	OrderName     string                `json:"orderName"`
	IsManual      bool                  `json:"isManual"`
	Type          string                `json:"type"`
	PgReceiptID   string                `json:"pgReceiptId"`
	IssueNumber   string                `json:"issueNumber"`
	URL           string                `json:"url"`
	IssuedAt      string                `json:"issuedAt"`
	CancelledAt   string                `json:"cancelledAt,omitempty"`
}

type portoneReceiptChannel struct {
	Type string `json:"type"`
	Key  string `json:"key"`
}

func (s *Server) portoneReceiptRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /portone/{name}/cash-receipts", s.portoneReceiptRoute(OpCashReceipt, s.portoneIssueReceipt))
	mux.HandleFunc("POST /portone/{name}/payments/{payment_id}/cash-receipt/cancel", s.portoneReceiptRoute(OpCashReceiptCancel, s.portoneCancelReceipt))
	mux.HandleFunc("GET /portone/{name}/payments/{payment_id}/cash-receipt", s.portoneReceiptRoute(OpQuery, s.portoneGetReceipt))
}

// portoneReceiptRoute is portoneRoute under the receipt service's fault rules.
func (s *Server) portoneReceiptRoute(op string, h func(r *http.Request, pg string) reply) http.HandlerFunc {
	return s.portoneRouteAt(receiptsProvider, op, h)
}

// portoneReceiptKey is the receipt store's key of paymentId's receipt at pg.
func portoneReceiptKey(pg, paymentID string) string { return "portone:" + pg + ":" + paymentID }

func (s *Server) portoneIssueReceipt(r *http.Request, pg string) reply {
	var req portoneReceiptRequest
	if rep, ok := decodePortone(r, &req); !ok {
		return rep
	}
	switch {
	case req.PaymentID == "" || req.OrderName == "" || req.Currency != "KRW":
		return portoneErr(http.StatusBadRequest, "InvalidRequestError", "paymentId, orderName and currency KRW are required.")
	case req.ChannelKey == "":
		return portoneErr(http.StatusNotFound, "ChannelNotFoundError", "요청된 채널이 존재하지 않습니다.")
	case req.Type != "PERSONAL" && req.Type != "CORPORATE":
		return portoneErr(http.StatusBadRequest, "InvalidRequestError", "type must be PERSONAL or CORPORATE.")
	case req.Amount.Total <= 0 || req.Amount.Total > maxAmount || req.Amount.TaxFree < 0 || req.Amount.TaxFree > req.Amount.Total:
		return portoneErr(http.StatusBadRequest, "InvalidRequestError", "amount is out of range.")
	case !receiptIdentity.MatchString(req.Customer.IdentityNumber):
		return portoneErr(http.StatusBadRequest, "InvalidRequestError", "customer.identityNumber is not valid.")
	}
	provider := receiptsProvider(pg)
	s.mu.Lock()
	defer s.mu.Unlock()
	key := portoneReceiptKey(pg, req.PaymentID)
	if _, ok := s.receipts[key]; ok {
		return portoneErr(http.StatusConflict, "CashReceiptAlreadyIssuedError", "현금영수증이 이미 발급되었습니다.")
	}
	c := &cashReceipt{key: key, pg: pg, orderID: req.PaymentID, orderName: req.OrderName, typ: req.Type,
		identity: req.Customer.IdentityNumber, amount: req.Amount.Total, taxFree: req.Amount.TaxFree, issuedAt: s.now(),
		portone: true, issueNumber: tail(strings.TrimPrefix(newID(""), "_"), 9)}
	s.receipts[key] = c
	s.record(Record{Provider: provider, Kind: KindCashReceipt, IdempotencyKey: req.PaymentID, PaymentKey: req.PaymentID,
		OrderID: req.PaymentID, Amount: c.amount, TaxFreeAmount: c.taxFree, Currency: "KRW"})
	out := s.portoneReceiptLocked(c)
	return jsonReply(http.StatusOK, map[string]portoneReceiptSummary{"cashReceipt": {IssueNumber: out.IssueNumber, URL: out.URL, PgReceiptID: out.PgReceiptID}})
}

func (s *Server) portoneCancelReceipt(r *http.Request, pg string) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.receipts[portoneReceiptKey(pg, r.PathValue("payment_id"))]
	switch {
	case !ok:
		return portoneErr(http.StatusNotFound, "CashReceiptNotFoundError", "현금영수증이 존재하지 않습니다.")
	case !c.canceledAt.IsZero():
		return portoneErr(http.StatusConflict, "CashReceiptNotIssuedError", "현금영수증이 발급되지 않았습니다.")
	}
	amount, taxFree := c.amount, c.taxFree
	c.canceledAt = s.now()
	s.record(Record{Provider: receiptsProvider(pg), Kind: KindCashReceiptCancel, IdempotencyKey: c.orderID + ":cancel", PaymentKey: c.orderID,
		OrderID: c.orderID, Amount: amount, TaxFreeAmount: taxFree, Currency: "KRW"})
	return jsonReply(http.StatusOK, map[string]any{"cancelledAmount": amount, "cancelledAt": portoneTime(c.canceledAt)})
}

func (s *Server) portoneGetReceipt(r *http.Request, pg string) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.receipts[portoneReceiptKey(pg, r.PathValue("payment_id"))]
	if !ok {
		return portoneErr(http.StatusNotFound, "CashReceiptNotFoundError", "현금영수증이 존재하지 않습니다.")
	}
	return jsonReply(http.StatusOK, s.portoneReceiptLocked(c))
}

// portoneReceiptLocked is the receipt as PortOne shows it. A cancelled one
// keeps its amounts (CancelledCashReceipt does); the connector reads it as
// standing for nothing.
func (s *Server) portoneReceiptLocked(c *cashReceipt) portoneReceipt {
	out := portoneReceipt{Status: "ISSUED", MerchantID: "merchant-sandbox", StoreID: portoneStore, PaymentID: c.orderID,
		Channel: portoneReceiptChannel{Type: "TEST", Key: "channel-key-sandbox-receipts"}, Amount: c.amount, TaxFreeAmount: c.taxFree,
		Currency: "KRW", OrderName: c.orderName, IsManual: true, Type: c.typ, PgReceiptID: "pgr_" + tail(c.key, 12),
		URL: "https://sandbox.invalid/portone/cash-receipts/" + c.orderID, IssuedAt: portoneTime(c.issuedAt)}
	if s.now().Sub(c.issuedAt) >= s.receiptDelay {
		out.IssueNumber = c.issueNumber
	}
	if !c.canceledAt.IsZero() {
		out.Status, out.CancelledAt = "CANCELLED", portoneTime(c.canceledAt)
	}
	return out
}
