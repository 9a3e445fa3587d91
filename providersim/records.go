package providersim

import "time"

// Record is one committed operation at a provider: every authorize, capture, cancel,
// debit, transfer and billing-key issue (and every identity code sent). A replayed
// idempotent request records nothing, so counting records proves "exactly once".
type Record struct {
	Seq            int64  `json:"seq"`
	Provider       string `json:"provider"`        // "pg:alpha", "pg:beta", "bank", "identity"
	Kind           string `json:"kind"`            // authorize | capture | cancel | debit | transfer | billing_key | request_code
	IdempotencyKey string `json:"idempotency_key"` // for billing_key: only when the request carried one
	PaymentKey     string `json:"payment_key"`     // PG payment key, bank transaction id, billing key, identity request id
	OrderID        string `json:"order_id"`
	Amount         int64  `json:"amount"` // for cancel: the amount canceled by this call
	// TaxFreeAmount of Amount is tax-free (Toss and PortOne protocols).
	TaxFreeAmount int64  `json:"tax_free_amount"`
	Currency      string `json:"currency"`
	// InstallmentMonths (authorize): the card installment plan the charge
	// asked for, 0 for 일시불; InterestFree: the merchant pays its interest.
	InstallmentMonths int       `json:"installment_months,omitempty"`
	InterestFree      bool      `json:"interest_free,omitempty"`
	At                time.Time `json:"at"`
}

// Record kinds.
const (
	KindAuthorize   = "authorize"
	KindCapture     = "capture"
	KindCancel      = "cancel"
	KindDebit       = "debit"
	KindTransfer    = "transfer"
	KindBillingKey  = "billing_key"
	KindRequestCode = "request_code"
	// Cash receipts (provider receipts:{pg}): an issue and each cancel.
	KindCashReceipt       = "cash_receipt"
	KindCashReceiptCancel = "cash_receipt_cancel"
)

// RecordFilter selects records; an empty field matches anything.
type RecordFilter struct {
	Provider, Kind, IdempotencyKey, OrderID, PaymentKey string
}

func (f RecordFilter) match(r Record) bool {
	return (f.Provider == "" || f.Provider == r.Provider) &&
		(f.Kind == "" || f.Kind == r.Kind) &&
		(f.IdempotencyKey == "" || f.IdempotencyKey == r.IdempotencyKey) &&
		(f.OrderID == "" || f.OrderID == r.OrderID) &&
		(f.PaymentKey == "" || f.PaymentKey == r.PaymentKey)
}

// Records returns the records f selects, in commit order. It is what
// GET /admin/records serves; in-process callers may use it directly.
func (s *Server) Records(f RecordFilter) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Record{}
	for _, r := range s.records {
		if f.match(r) {
			out = append(out, r)
		}
	}
	return out
}
