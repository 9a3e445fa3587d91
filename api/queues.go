package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/deliveryloop"
	"github.com/paysaga/paysaga/workflows"
)

// Problem codes of the queue actions.
const (
	codeWebhookNotFound       = "webhook_not_found"
	codeWebhookNotUnmatched   = "webhook_not_unmatched"
	codeWebhookStillUnmatched = "webhook_still_unmatched"
	codeDeliveryNotFound      = "delivery_not_found"
	codeDeliveryNotFailed     = "delivery_not_failed"
)

// paymentStatuses are the values GET /v1/payments?status= accepts.
var paymentStatuses = []string{
	workflows.StatusProcessing, "authorized", workflows.StatusSucceeded, workflows.StatusFailed,
	"canceled", workflows.StatusPartiallyRefunded, workflows.StatusRefunded,
}

// stepPattern is a timeline step (GET /v1/payments?step=): compensation_failed
// is the queue of payments whose undo failed and may hold money at the PG.
var stepPattern = regexp.MustCompile(`^[a-z_]{1,64}$`)

// pageLimit reads ?limit= (1..100, default 20).
func pageLimit(c echo.Context) (int32, error) {
	v := c.QueryParam("limit")
	if v == "" {
		return 20, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return 0, problem(http.StatusBadRequest, codeValidationFailed, "limit must be 1..100")
	}
	return int32(n), nil
}

type paymentSummary struct {
	ID             string    `json:"id"`
	OrderID        string    `json:"order_id"`
	CustomerID     string    `json:"customer_id"`
	Status         string    `json:"status"`
	Amount         int64     `json:"amount"`
	Currency       string    `json:"currency"`
	RefundedAmount int64     `json:"refunded_amount"`
	CreatedAt      time.Time `json:"created_at"`
}

// searchPayments finds payments by order id, customer or status (newest
// first), so ops can go from what a customer says to the payment and its
// workflow. A key scoped to one customer sees only that customer's payments.
func (s *server) searchPayments(c echo.Context) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	status := c.QueryParam("status")
	if status != "" && !slices.Contains(paymentStatuses, status) {
		return problem(http.StatusBadRequest, codeValidationFailed, fmt.Sprintf("status must be one of %v", paymentStatuses))
	}
	step := c.QueryParam("step")
	if step != "" && !stepPattern.MatchString(step) {
		return problem(http.StatusBadRequest, codeValidationFailed, "step must be a timeline step such as compensation_failed")
	}
	customer := c.QueryParam("customer_id")
	if k := callerOf(c); k.CustomerID != "" {
		if customer != "" && customer != k.CustomerID {
			return c.JSON(http.StatusOK, map[string]any{"data": []paymentSummary{}})
		}
		customer = k.CustomerID
	}
	rows, err := s.q.SearchPayments(c.Request().Context(), db.SearchPaymentsParams{
		OrderID: c.QueryParam("order_id"), CustomerID: customer, Status: status, Step: step, PageSize: limit,
	})
	if err != nil {
		return internalError(fmt.Errorf("search payments: %w", err))
	}
	out := make([]paymentSummary, len(rows))
	for i, p := range rows {
		out[i] = paymentSummary{ID: p.ID, OrderID: p.OrderID, CustomerID: p.CustomerID, Status: p.Status, Amount: p.Amount,
			Currency: p.Currency, RefundedAmount: p.RefundedAmount, CreatedAt: p.CreatedAt.Time.UTC()}
	}
	return c.JSON(http.StatusOK, map[string]any{"data": out})
}

type inboxResponse struct {
	ID         int64     `json:"id"`
	Provider   string    `json:"provider"`
	EventID    string    `json:"event_id"`
	EventType  string    `json:"event_type"`
	PaymentKey string    `json:"payment_key"`
	Status     string    `json:"status"`
	ReceivedAt time.Time `json:"received_at"`
}

// listWebhookInbox lists provider webhooks as received (?status=unmatched for
// the ones waiting for a person).
func (s *server) listWebhookInbox(c echo.Context) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	status := c.QueryParam("status")
	if status != "" && status != "unmatched" && status != "delivered" {
		return problem(http.StatusBadRequest, codeValidationFailed, "status must be unmatched or delivered")
	}
	rows, err := s.q.ListWebhookInbox(c.Request().Context(), db.ListWebhookInboxParams{Status: status, PageSize: limit})
	if err != nil {
		return internalError(fmt.Errorf("list webhook inbox: %w", err))
	}
	out := make([]inboxResponse, len(rows))
	for i, r := range rows {
		out[i] = inboxResponse{ID: r.ID, Provider: r.Provider, EventID: r.EventID, EventType: r.EventType,
			PaymentKey: r.PaymentKey, Status: r.Status, ReceivedAt: r.ReceivedAt.Time.UTC()}
	}
	return c.JSON(http.StatusOK, map[string]any{"data": out})
}

// redeliverWebhook matches an unmatched PG webhook again (role ops): when the
// payment of its order now exists, the webhook is signalled to that payment's
// checkout and marked delivered, in one transaction that commits only once the
// signal is sent. Still no payment: 409 webhook_still_unmatched, nothing
// changes. The bank's notices are matched by their payout, never here.
func (s *server) redeliverWebhook(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return problem(http.StatusNotFound, codeWebhookNotFound, fmt.Sprintf("no webhook %q", c.Param("id")))
	}
	ctx := c.Request().Context()
	var row db.WebhookInbox
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		row, err = q.GetWebhookInboxForUpdate(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return problem(http.StatusNotFound, codeWebhookNotFound, fmt.Sprintf("no webhook %d", id))
		}
		if err != nil {
			return internalError(fmt.Errorf("load webhook %d: %w", id, err))
		}
		if row.Status != "unmatched" || row.Provider == bankProvider {
			return problem(http.StatusConflict, codeWebhookNotUnmatched, fmt.Sprintf("webhook %d is %s from %s: nothing to re-deliver", id, row.Status, row.Provider))
		}
		var ev pgWebhook
		if err := json.Unmarshal(row.Payload, &ev); err != nil {
			return internalError(fmt.Errorf("webhook %d payload: %w", id, err))
		}
		pay, err := q.GetPaymentByOrder(ctx, ev.OrderID)
		if errors.Is(err, pgx.ErrNoRows) {
			return problem(http.StatusConflict, codeWebhookStillUnmatched, fmt.Sprintf("no payment for order %q yet", ev.OrderID))
		}
		if err != nil {
			return internalError(fmt.Errorf("payment of order %s: %w", ev.OrderID, err))
		}
		if _, err := q.MarkWebhookInboxDelivered(ctx, id); err != nil {
			return internalError(fmt.Errorf("mark webhook %d delivered: %w", id, err))
		}
		row.Status = "delivered"
		return s.signalPGResult(c, pay.WorkflowID, ev)
	})
	if err != nil {
		return err
	}
	s.log.Info().Int64("inbox_id", id).Str("event_id", row.EventID).Msg("pg webhook re-delivered")
	return c.JSON(http.StatusOK, inboxResponse{ID: row.ID, Provider: row.Provider, EventID: row.EventID, EventType: row.EventType,
		PaymentKey: row.PaymentKey, Status: row.Status, ReceivedAt: row.ReceivedAt.Time.UTC()})
}

type queuedDelivery struct {
	EventID    string    `json:"event_id"`
	EndpointID string    `json:"endpoint_id"`
	Status     string    `json:"status"`
	Attempts   int32     `json:"attempts"`
	EventType  string    `json:"event_type,omitempty"`
	SubjectID  string    `json:"subject_id,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
	WorkflowID string    `json:"workflow_id,omitempty"`
}

// listEventDeliveries lists deliveries in one status (?status=failed, the
// default: the ones that gave up).
func (s *server) listEventDeliveries(c echo.Context) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	status := c.QueryParam("status")
	if status == "" {
		status = "failed"
	}
	if !slices.Contains([]string{"pending", "delivered", "failed", "canceled"}, status) {
		return problem(http.StatusBadRequest, codeValidationFailed, "status must be pending, delivered, failed or canceled")
	}
	rows, err := s.q.ListDeliveriesByStatus(c.Request().Context(), db.ListDeliveriesByStatusParams{Status: status, PageSize: limit})
	if err != nil {
		return internalError(fmt.Errorf("list deliveries: %w", err))
	}
	out := make([]queuedDelivery, len(rows))
	for i, r := range rows {
		out[i] = queuedDelivery{EventID: r.EventID, EndpointID: r.EndpointID, Status: r.Status, Attempts: r.Attempts,
			EventType: r.EventType, SubjectID: r.SubjectID, UpdatedAt: r.UpdatedAt.Time.UTC()}
	}
	return c.JSON(http.StatusOK, map[string]any{"data": out})
}

// resendDelivery tries an event again at one endpoint after its delivery gave
// up (role ops): the delivery becomes pending again, for the endpoint's
// delivery loop, which is woken and sends it in its outbox place (before
// anything newer still pending), its attempts numbered after the earlier
// ones. A repeated request (or one retried after the wake failed) finds it
// pending at the loop and wakes the loop again: 202 either way. A delivery
// that is delivered, canceled or still with a DeliverEvent workflow is 409.
func (s *server) resendDelivery(c echo.Context) error {
	ctx, eventID, endpointID := c.Request().Context(), c.Param("id"), c.Param("endpoint_id")
	var d db.EventDelivery
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		var err error
		d, err = q.GetEventDeliveryForUpdate(ctx, db.GetEventDeliveryForUpdateParams{EventID: eventID, EndpointID: endpointID})
		if errors.Is(err, pgx.ErrNoRows) {
			return problem(http.StatusNotFound, codeDeliveryNotFound, fmt.Sprintf("no delivery of event %q to endpoint %q", eventID, endpointID))
		}
		if err != nil {
			return internalError(fmt.Errorf("load delivery %s/%s: %w", eventID, endpointID, err))
		}
		switch {
		case d.Status == "failed":
			if _, err := q.ReopenFailedDelivery(ctx, db.ReopenFailedDeliveryParams{EventID: eventID, EndpointID: endpointID}); err != nil {
				return internalError(fmt.Errorf("reopen delivery %s/%s: %w", eventID, endpointID, err))
			}
			d.Status = "pending"
		case d.Status == "pending" && d.Via == "loop": // reopened before, or still owed: wake its loop
		default:
			return problem(http.StatusConflict, codeDeliveryNotFailed, fmt.Sprintf("the delivery is %s: only one that gave up can be re-sent", d.Status))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := deliveryloop.Wake(ctx, s.temporal, s.cfg.TaskQueue, endpointID, deliveryloop.Settings(s.cfg)); err != nil {
		return temporalUnavailable(err)
	}
	id := workflows.EndpointDeliveryID(endpointID)
	s.log.Info().Str("event_id", eventID).Str("endpoint_id", endpointID).Str("workflow_id", id).Msg("event delivery re-sent")
	return c.JSON(http.StatusAccepted, queuedDelivery{EventID: eventID, EndpointID: endpointID, Status: d.Status,
		Attempts: d.Attempts, UpdatedAt: d.UpdatedAt.Time.UTC(), WorkflowID: id})
}

type endpointBacklog struct {
	EndpointID      string     `json:"endpoint_id"`
	URL             string     `json:"url"`
	Pending         int64      `json:"pending"`
	OldestPendingAt *time.Time `json:"oldest_pending_at"`
	PausedAt        *time.Time `json:"paused_at"`
	WorkflowID      string     `json:"workflow_id"`
}

// listEventBacklog is what each endpoint is still owed (role ops): its pending
// deliveries, the oldest one's event time, and since when its circuit breaker
// holds it paused; endpoints owed nothing and not paused are left out.
func (s *server) listEventBacklog(c echo.Context) error {
	rows, err := s.q.EndpointBacklog(c.Request().Context())
	if err != nil {
		return internalError(fmt.Errorf("event backlog: %w", err))
	}
	out := make([]endpointBacklog, len(rows))
	for i, r := range rows {
		out[i] = endpointBacklog{EndpointID: r.ID, URL: r.Url, Pending: r.Pending, WorkflowID: workflows.EndpointDeliveryID(r.ID),
			OldestPendingAt: optTime(r.OldestPendingAt), PausedAt: optTime(r.PausedAt)}
	}
	return c.JSON(http.StatusOK, map[string]any{"data": out})
}

func optTime(t pgtype.Timestamptz) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
