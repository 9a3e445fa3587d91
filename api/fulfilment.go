package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/workflows"
)

// Problem codes of the fulfilment events.
const (
	codeItemNotFound         = activities.CodeItemNotFound
	codeItemNotCaptured      = activities.CodeItemNotCaptured
	codeItemRefunded         = activities.CodeItemRefunded
	codeItemConfirmed        = activities.CodeAlreadyConfirmed
	codeTimestampInFuture    = activities.CodeTimestampInFuture
	codeTimestampTooEarly    = activities.CodeTimestampTooEarly
	codeTimestampBeforeDeliv = activities.CodeConfirmBeforeDeliv
)

// clockSkew is how far ahead of our clock a caller's timestamp may be.
const clockSkew = 5 * time.Minute

type fulfilmentRequest struct {
	// OccurredAt is when it happened, per the app; default now.
	OccurredAt *time.Time `json:"occurred_at"`
}

type itemResponse struct {
	PaymentID     string     `json:"payment_id"`
	ProducerID    string     `json:"producer_id"`
	Amount        int64      `json:"amount"`
	Status        string     `json:"status"` // pending | delivered | confirmed
	DeliveredAt   *time.Time `json:"delivered_at"`
	ConfirmedAt   *time.Time `json:"confirmed_at"`
	ConfirmedBy   *string    `json:"confirmed_by"` // buyer | auto
	DueAt         *time.Time `json:"due_at"`       // settlement due date: confirmation + the statutory window
	Commission    int64      `json:"commission"`
	CommissionVAT int64      `json:"commission_vat"`
	Net           int64      `json:"net"` // payable to the producer from this item
}

func toItemResponse(it db.PaymentItem) itemResponse {
	r := itemResponse{PaymentID: it.PaymentID, ProducerID: it.ProducerID, Amount: it.Amount, Status: "pending",
		Commission: it.Commission, CommissionVAT: it.CommissionVat, Net: it.ConfirmedNet}
	at := func(t time.Time) *time.Time { u := t.UTC(); return &u }
	if it.DeliveredAt.Valid {
		r.Status, r.DeliveredAt = "delivered", at(it.DeliveredAt.Time)
	}
	if it.ConfirmedAt.Valid {
		by := it.ConfirmedBy.String
		r.Status, r.ConfirmedAt, r.ConfirmedBy, r.DueAt = "confirmed", at(it.ConfirmedAt.Time), &by, at(it.DueAt.Time)
	}
	return r
}

// markDelivered records that the producer's part of the order was delivered,
// which starts its auto-confirmation clock: 200 with the item; a repeat answers
// the first report. 409 item_already_confirmed after confirmation.
func (s *server) markDelivered(c echo.Context) error {
	pay, it, at, err := s.fulfilmentTarget(c)
	if err != nil {
		return err
	}
	if it.ConfirmedAt.Valid {
		return problem(http.StatusConflict, codeItemConfirmed, "the purchase is already confirmed; delivery can no longer be reported")
	}
	if it.DeliveredAt.Valid {
		return c.JSON(http.StatusOK, toItemResponse(it))
	}
	return s.fulfilmentUpdate(c, pay, it, workflows.DeliveredUpdate, at)
}

// confirmPurchase books the buyer's purchase confirmation (구매확정): the sale
// becomes payable less commission and VAT, due by the statutory date. 200 with
// the item; a repeat answers the first confirmation and changes nothing.
func (s *server) confirmPurchase(c echo.Context) error {
	pay, it, at, err := s.fulfilmentTarget(c)
	if err != nil {
		return err
	}
	if it.ConfirmedAt.Valid {
		return c.JSON(http.StatusOK, toItemResponse(it))
	}
	if it.DeliveredAt.Valid && at.Before(it.DeliveredAt.Time) {
		return problem(http.StatusUnprocessableEntity, codeTimestampBeforeDeliv, "occurred_at is before the reported delivery")
	}
	if pay.SettlesOnConfirm {
		bal, err := s.q.PaymentAccountBalance(c.Request().Context(), db.PaymentAccountBalanceParams{
			PaymentID: pgText(pay.ID), Account: ledger.ProducerPending(it.ProducerID)})
		if err != nil {
			return internalError(fmt.Errorf("pending of %s/%s: %w", pay.ID, it.ProducerID, err))
		}
		if bal == 0 {
			return problem(http.StatusConflict, codeItemRefunded, "the item was refunded in full; there is nothing to confirm")
		}
	}
	return s.fulfilmentUpdate(c, pay, it, workflows.ConfirmUpdate, at)
}

// fulfilmentTarget reads the request and checks what every fulfilment event
// needs: the caller's payment, captured, with an item for the producer, and a
// timestamp that is neither in the future nor before the payment.
func (s *server) fulfilmentTarget(c echo.Context) (db.Payment, db.PaymentItem, time.Time, error) {
	var req fulfilmentRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return db.Payment{}, db.PaymentItem{}, time.Time{}, err
	}
	ctx := c.Request().Context()
	id, producer := c.Param("id"), c.Param("producer_id")
	pay, err := s.q.GetPayment(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !entitled(c, pay.CustomerID)) {
		return pay, db.PaymentItem{}, time.Time{}, problem(http.StatusNotFound, codePaymentNotFound, fmt.Sprintf("no payment %q", id))
	}
	if err != nil {
		return pay, db.PaymentItem{}, time.Time{}, internalError(fmt.Errorf("get payment %s: %w", id, err))
	}
	it, err := s.q.GetPaymentItem(ctx, db.GetPaymentItemParams{PaymentID: id, ProducerID: producer})
	if errors.Is(err, pgx.ErrNoRows) {
		return pay, it, time.Time{}, problem(http.StatusNotFound, codeItemNotFound, fmt.Sprintf("payment %q has no item for producer %q", id, producer))
	}
	if err != nil {
		return pay, it, time.Time{}, internalError(fmt.Errorf("get item %s/%s: %w", id, producer, err))
	}
	now := time.Now().UTC()
	at := now
	if req.OccurredAt != nil {
		at = req.OccurredAt.UTC()
	}
	switch {
	case at.After(now.Add(clockSkew)):
		return pay, it, at, problem(http.StatusUnprocessableEntity, codeTimestampInFuture, "occurred_at is in the future")
	case at.Before(pay.CreatedAt.Time):
		return pay, it, at, problem(http.StatusUnprocessableEntity, codeTimestampTooEarly, "occurred_at is before the payment was made")
	case pay.CapturedAmount == 0:
		return pay, it, at, problem(http.StatusConflict, codeItemNotCaptured, "the payment was not captured; nothing was sold")
	}
	return pay, it, at, nil
}

// fulfilmentUpdate sends the event to the item's Fulfilment workflow, starting
// it if needed (update-with-start), and answers the item as booked.
func (s *server) fulfilmentUpdate(c echo.Context, pay db.Payment, it db.PaymentItem, update string, at time.Time) error {
	ctx := c.Request().Context()
	wid := workflows.FulfilmentID(pay.ID, it.ProducerID)
	opts := s.startOptions(c, wid)
	opts.EnableEagerStart = false
	opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	opts.TypedSearchAttributes = temporal.NewSearchAttributes(
		workflows.OrderIDKey.ValueSet(pay.OrderID), workflows.ProducerIDKey.ValueSet(it.ProducerID))
	start := s.temporal.NewWithStartWorkflowOperation(opts, workflows.FulfilmentName, workflows.FulfilmentInput{
		PaymentID: pay.ID, ProducerID: it.ProducerID,
		AutoConfirmAfter: s.cfg.AutoConfirmWindow(), Deadline: s.cfg.SettlementDeadline(),
	})
	h, err := s.temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			WorkflowID: wid, UpdateName: update, Args: []any{workflows.FulfilmentEvent{At: at}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err == nil {
		var st activities.ItemState
		err = h.Get(ctx, &st)
	}
	if err != nil {
		return s.fulfilmentFailed(c, pay.ID, it.ProducerID, err)
	}
	return s.answerItem(c, pay.ID, it.ProducerID)
}

// fulfilmentFailed turns a rejected event into its problem. A workflow that
// closed meanwhile (a concurrent confirmation ended it) is answered from the
// database, as a repeat would be.
func (s *server) fulfilmentFailed(c echo.Context, paymentID, producerID string, err error) error {
	if activities.IsType(err, activities.ErrFulfilment) {
		f := activities.FailureOf(err, "")
		status := http.StatusConflict
		if f.Code == codeTimestampTooEarly || f.Code == codeTimestampBeforeDeliv {
			status = http.StatusUnprocessableEntity
		}
		return problem(status, f.Code, f.Message)
	}
	it, qerr := s.q.GetPaymentItem(c.Request().Context(), db.GetPaymentItemParams{PaymentID: paymentID, ProducerID: producerID})
	if qerr == nil && it.ConfirmedAt.Valid {
		if c.Path() == "/v1/payments/:id/items/:producer_id/delivered" {
			return problem(http.StatusConflict, codeItemConfirmed, "the purchase is already confirmed; delivery can no longer be reported")
		}
		return c.JSON(http.StatusOK, toItemResponse(it))
	}
	return startError(workflows.FulfilmentID(paymentID, producerID), err)
}

func (s *server) answerItem(c echo.Context, paymentID, producerID string) error {
	it, err := s.q.GetPaymentItem(context.WithoutCancel(c.Request().Context()), db.GetPaymentItemParams{PaymentID: paymentID, ProducerID: producerID})
	if err != nil {
		return internalError(fmt.Errorf("reload item %s/%s: %w", paymentID, producerID, err))
	}
	return c.JSON(http.StatusOK, toItemResponse(it))
}

func pgText(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }
