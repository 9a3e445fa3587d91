package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/tax"
	"github.com/paysaga/paysaga/workflows"
)

// paymentResponse is the payment as GET /v1/payments/{id} shows it, and as
// checkouts, cancels and refunds answer with it. fee_amount and items[].fee are
// null until the workflow has fixed them.
type paymentResponse struct {
	ID             string                `json:"id"`
	OrderID        string                `json:"order_id"`
	CustomerID     string                `json:"customer_id"`
	MethodID       *string               `json:"method_id"` // null when the wallet pays it all
	WalletAmount   int64                 `json:"wallet_amount"`
	PointsAmount   int64                 `json:"points_amount"` // paid with points (ADR 0022)
	Status         string                `json:"status"`
	Amount         int64                 `json:"amount"`
	Currency       string                `json:"currency"`
	FeeAmount      *int64                `json:"fee_amount"`
	CapturedAmount int64                 `json:"captured_amount"`
	RefundedAmount int64                 `json:"refunded_amount"`
	PG             *string               `json:"pg"`
	Failure        *failureResponse      `json:"failure"`
	Tax            taxResponse           `json:"tax"`
	Items          []paymentItemResponse `json:"items"`
	Refunds        []refundResponse      `json:"refunds"`
	Timeline       []timelineEntry       `json:"timeline"`
	Workflow       workflowLink          `json:"workflow"`
	// Installment is the card part's installment plan; absent for 일시불.
	Installment *installmentResponse `json:"installment,omitempty"`
	// PointsEarned is the points this payment credited (absent: none).
	PointsEarned int64 `json:"points_earned,omitempty"`
	// CashReceipt is the payment's cash receipt (issue 14); absent: none owed.
	CashReceipt *cashReceiptResponse `json:"cash_receipt,omitempty"`
	// Benefit is what finance's benefit rules gave the card part (absent
	// before the checkout evaluated them, or without a card part).
	Benefit   *benefitResponse `json:"benefit,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

type failureResponse struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type paymentItemResponse struct {
	ProducerID    string `json:"producer_id"`
	Amount        int64  `json:"amount"`
	Fee           *int64 `json:"fee"`
	TaxFreeAmount int64  `json:"tax_free_amount"`
}

// taxResponse is the payment divided by the tax rule (package tax).
type taxResponse struct {
	TaxFreeAmount int64 `json:"tax_free_amount"`
	SupplyAmount  int64 `json:"supply_amount"`
	VATAmount     int64 `json:"vat_amount"`
}

// taxOf divides amount, with the items' tax-free parts, by the rule. The items
// were validated (0..amount each), so the rule cannot refuse them.
func taxOf(amount int64, itemTaxFree []int64) taxResponse {
	var taxFree int64
	for _, tf := range itemTaxFree {
		taxFree += tf
	}
	b, _ := tax.Split(amount, taxFree)
	return taxResponse{TaxFreeAmount: b.TaxFree, SupplyAmount: b.Supply, VATAmount: b.VAT}
}

type refundResponse struct {
	ID            string           `json:"id"`
	Amount        int64            `json:"amount"`
	TaxFreeAmount int64            `json:"tax_free_amount"`
	Status        string           `json:"status"`
	Kind          string           `json:"kind"`
	Reason        string           `json:"reason"`
	Failure       *failureResponse `json:"failure"`
	CreatedAt     *time.Time       `json:"created_at"`
}

type timelineEntry struct {
	Step   string          `json:"step"`
	At     time.Time       `json:"at"`
	Detail json.RawMessage `json:"detail"`
}

type workflowLink struct {
	ID    string `json:"id"`
	UIURL string `json:"ui_url"`
}

func (s *server) workflowLink(id string) workflowLink {
	return workflowLink{
		ID:    id,
		UIURL: fmt.Sprintf("%s/namespaces/%s/workflows/%s", temporalUIURL, url.PathEscape(s.cfg.TemporalNamespace), url.PathEscape(id)),
	}
}

func (s *server) getPayment(c echo.Context) error {
	p, err := s.loadOwnPayment(c, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// loadOwnPayment is loadPayment for the caller: another customer's payment is
// 404 to a key scoped to one customer.
func (s *server) loadOwnPayment(c echo.Context, id string) (paymentResponse, error) {
	p, err := s.loadPayment(c.Request().Context(), id)
	if err == nil && !entitled(c, p.CustomerID) {
		return paymentResponse{}, problem(http.StatusNotFound, codePaymentNotFound, fmt.Sprintf("no payment %q", id))
	}
	return p, err
}

// loadPayment reads the payment with its items, refunds, timeline, plan and
// points in one statement (GetPaymentView): 404 payment_not_found when there
// is no such payment.
func (s *server) loadPayment(ctx context.Context, id string) (paymentResponse, error) {
	v, err := s.q.GetPaymentView(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return paymentResponse{}, problem(http.StatusNotFound, codePaymentNotFound, fmt.Sprintf("no payment %q", id))
	}
	if err != nil {
		return paymentResponse{}, internalError(fmt.Errorf("get payment %s: %w", id, err))
	}
	items, refunds, events, err := decodePaymentView(v)
	if err != nil {
		return paymentResponse{}, internalError(fmt.Errorf("decode payment %s: %w", id, err))
	}
	out := s.paymentOf(v.Payment, items, refunds, events)
	if v.InstallmentMonths > 0 {
		out.Installment = &installmentResponse{Months: int(v.InstallmentMonths), InterestPayer: v.InstallmentInterestPayer,
			Plan: nullable(v.InstallmentPlan)}
	}
	out.PointsEarned = v.PointsEarned
	if out.CashReceipt, out.Benefit, err = decodeReceiptAndBenefit(v); err != nil {
		return paymentResponse{}, internalError(fmt.Errorf("decode payment %s: %w", id, err))
	}
	return out, nil
}

// decodeReceiptAndBenefit reads the view's cash receipt and benefit, built in
// SQL with the API's own field names; nil where the payment has none.
func decodeReceiptAndBenefit(v db.GetPaymentViewRow) (*cashReceiptResponse, *benefitResponse, error) {
	var rc *cashReceiptResponse
	var b *benefitResponse
	if len(v.CashReceipt) > 0 {
		if err := json.Unmarshal(v.CashReceipt, &rc); err != nil {
			return nil, nil, err
		}
	}
	if len(v.Benefit) > 0 {
		if err := json.Unmarshal(v.Benefit, &b); err != nil {
			return nil, nil, err
		}
	}
	if rc != nil { // PostgreSQL writes the session's offset; the API answers in UTC
		for _, t := range []*time.Time{rc.IssuedAt, rc.RegisteredAt} {
			if t != nil {
				*t = t.UTC()
			}
		}
	}
	return rc, b, nil
}

// viewItem, viewRefund and viewEvent are GetPaymentView's JSON rows.
type viewItem struct {
	ProducerID    string `json:"producer_id"`
	Amount        int64  `json:"amount"`
	Fee           int64  `json:"fee"`
	TaxFreeAmount int64  `json:"tax_free_amount"`
}

type viewRefund struct {
	ID             string    `json:"id"`
	Amount         int64     `json:"amount"`
	Reason         string    `json:"reason"`
	Kind           string    `json:"kind"`
	RefundedBefore int64     `json:"refunded_before"`
	Status         string    `json:"status"`
	FailureCode    *string   `json:"failure_code"`
	FailureMessage *string   `json:"failure_message"`
	CreatedAt      time.Time `json:"created_at"`
}

type viewEvent struct {
	Step      string          `json:"step"`
	Detail    json.RawMessage `json:"detail"`
	CreatedAt time.Time       `json:"created_at"`
}

// decodePaymentView turns the view's JSON arrays into the rows paymentOf
// renders, so GET and every answer that carries a payment render alike.
func decodePaymentView(v db.GetPaymentViewRow) ([]db.PaymentItem, []db.Refund, []db.ListPaymentEventsRow, error) {
	var vi []viewItem
	var vr []viewRefund
	var ve []viewEvent
	for _, part := range []struct {
		raw []byte
		to  any
	}{{v.Items, &vi}, {v.Refunds, &vr}, {v.Events, &ve}} {
		if err := json.Unmarshal(part.raw, part.to); err != nil {
			return nil, nil, nil, err
		}
	}
	items := make([]db.PaymentItem, len(vi))
	for i, it := range vi {
		items[i] = db.PaymentItem{PaymentID: v.Payment.ID, ProducerID: it.ProducerID, Amount: it.Amount, Fee: it.Fee, TaxFreeAmount: it.TaxFreeAmount}
	}
	refunds := make([]db.Refund, len(vr))
	for i, r := range vr {
		refunds[i] = db.Refund{ID: r.ID, PaymentID: v.Payment.ID, Amount: r.Amount, Reason: r.Reason, Kind: r.Kind,
			RefundedBefore: r.RefundedBefore, Status: r.Status, FailureCode: optText(r.FailureCode),
			FailureMessage: optText(r.FailureMessage), CreatedAt: pgtype.Timestamptz{Time: r.CreatedAt, Valid: true}}
	}
	events := make([]db.ListPaymentEventsRow, len(ve))
	for i, e := range ve {
		events[i] = db.ListPaymentEventsRow{Step: e.Step, Detail: e.Detail, CreatedAt: pgtype.Timestamptz{Time: e.CreatedAt, Valid: true}}
	}
	return items, refunds, events, nil
}

func optText(s *string) pgtype.Text {
	if s == nil {
		return pgtype.Text{}
	}
	return pgtype.Text{String: *s, Valid: true}
}

func (s *server) paymentOf(p db.Payment, items []db.PaymentItem, refunds []db.Refund, events []db.ListPaymentEventsRow) paymentResponse {
	out := paymentResponse{
		ID:             p.ID,
		OrderID:        p.OrderID,
		CustomerID:     p.CustomerID,
		MethodID:       nullable(p.MethodID.String),
		WalletAmount:   p.WalletAmount,
		PointsAmount:   p.PointsAmount,
		Status:         p.Status,
		Amount:         p.Amount,
		Currency:       p.Currency,
		FeeAmount:      &p.FeeAmount,
		CapturedAmount: p.CapturedAmount,
		RefundedAmount: p.RefundedAmount,
		Items:          make([]paymentItemResponse, 0, len(items)),
		Refunds:        make([]refundResponse, 0, len(refunds)),
		Timeline:       make([]timelineEntry, 0, len(events)),
		Workflow:       s.workflowLink(p.WorkflowID),
		CreatedAt:      p.CreatedAt.Time.UTC(),
		UpdatedAt:      p.UpdatedAt.Time.UTC(),
	}
	if p.Pg.Valid {
		out.PG = &p.Pg.String
	}
	if p.FailureCode.Valid {
		out.Failure = &failureResponse{Code: p.FailureCode.String, Message: p.FailureMessage.String}
	}
	taxFree := make([]int64, 0, len(items))
	for _, it := range items {
		out.Items = append(out.Items, paymentItemResponse{ProducerID: it.ProducerID, Amount: it.Amount, Fee: &it.Fee, TaxFreeAmount: it.TaxFreeAmount})
		taxFree = append(taxFree, it.TaxFreeAmount)
	}
	out.Tax = taxOf(p.Amount, taxFree)
	for _, r := range refunds {
		rf := refundOf(r)
		rf.TaxFreeAmount = tax.SliceTaxFree(p.Amount, out.Tax.TaxFreeAmount, r.RefundedBefore, r.Amount)
		out.Refunds = append(out.Refunds, rf)
	}
	for _, ev := range events {
		detail := json.RawMessage(ev.Detail)
		if !json.Valid(detail) {
			detail = json.RawMessage("{}")
		}
		out.Timeline = append(out.Timeline, timelineEntry{Step: ev.Step, At: ev.CreatedAt.Time.UTC(), Detail: detail})
	}
	return out
}

func refundOf(r db.Refund) refundResponse {
	created := r.CreatedAt.Time.UTC()
	out := refundResponse{ID: r.ID, Amount: r.Amount, Status: r.Status, Kind: r.Kind, Reason: r.Reason, CreatedAt: &created}
	if r.FailureCode.Valid {
		out.Failure = &failureResponse{Code: r.FailureCode.String, Message: r.FailureMessage.String}
	}
	return out
}

// pendingPayment is the answer for a checkout whose workflow has not written the
// payment yet: what the request asked for, status processing.
func (s *server) pendingPayment(in workflows.CheckoutInput, workflowID string) paymentResponse {
	now := time.Now().UTC()
	out := paymentResponse{
		ID:           in.PaymentID,
		OrderID:      in.OrderID,
		CustomerID:   in.CustomerID,
		MethodID:     nullable(in.MethodID),
		WalletAmount: in.WalletAmount,
		PointsAmount: in.PointsAmount,
		Status:       workflows.StatusProcessing,
		Amount:       in.Amount,
		Currency:     in.Currency,
		Items:        make([]paymentItemResponse, 0, len(in.Items)),
		Refunds:      []refundResponse{},
		Timeline:     []timelineEntry{},
		Workflow:     s.workflowLink(workflowID),
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	taxFree := make([]int64, 0, len(in.Items))
	for _, it := range in.Items {
		out.Items = append(out.Items, paymentItemResponse{ProducerID: it.ProducerID, Amount: it.Amount, TaxFreeAmount: it.TaxFreeAmount})
		taxFree = append(taxFree, it.TaxFreeAmount)
	}
	out.Installment = pendingInstallment(in)
	out.Tax = taxOf(in.Amount, taxFree)
	return out
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
