package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

// receiveConnectorWebhook takes a webhook from a PG whose connector reads its
// own webhooks (Toss, PortOne). A connector of a signed PG verifies it first
// (401 invalid_signature, nothing written, when it does not). Signed or not, the
// webhook is only a hint: paysaga looks the payment up at the PG and acts on
// the PG's answer alone (401 unverified_webhook when the PG knows no such
// payment). The confirmed state is stored once in webhook_inbox and signalled
// to the checkout of the payment (the PG's orderId or paymentId is paysaga's
// payment id).
func (s *server) receiveConnectorWebhook(c echo.Context, provider string, client pg.Client, reader pg.WebhookReader) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return readBodyError(err)
	}
	notice, err := reader.ReadWebhook(c.Request().Header, body, time.Now())
	if errors.Is(err, pg.ErrUnverifiedWebhook) {
		p := problem(http.StatusUnauthorized, codeInvalidSignature, "the webhook signature does not verify")
		p.cause = err
		return p
	}
	if err != nil {
		return problem(http.StatusBadRequest, codeMalformedJSON, err.Error())
	}
	ctx := c.Request().Context()
	at, err := client.GetPayment(ctx, notice.PaymentKey)
	switch {
	case adapters.Is(err, adapters.NotFound):
		return problem(http.StatusUnauthorized, codeUnverifiedWebhook, "the PG does not confirm this payment")
	case err != nil:
		p := problem(http.StatusServiceUnavailable, codeProviderUnavailable, "the PG could not be asked to confirm the webhook; retry")
		p.cause = err
		return p
	}
	eventID := notice.EventID
	if !pg.CapabilitiesOf(client).SignedWebhooks || eventID == "" {
		// Unsigned: the event id would be the sender's word. Key the inbox by the
		// state the PG confirmed, so a replay of it changes nothing.
		eventID = "lookup:" + at.PaymentKey + ":" + at.Status + ":" + strconv.FormatInt(at.CanceledAmount, 10)
	}
	pay, err := s.q.GetPayment(ctx, at.OrderID)
	matched := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return internalError(fmt.Errorf("payment %s: %w", at.OrderID, err))
	}
	status := "unmatched"
	if matched {
		status = "delivered"
	}
	duplicate, signalled := false, false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		n, err := db.New(tx).InsertWebhookInbox(ctx, db.InsertWebhookInboxParams{
			Provider: provider, EventID: eventID, EventType: notice.Type, PaymentKey: at.PaymentKey, Payload: body, Status: status,
		})
		if err != nil {
			return internalError(fmt.Errorf("store webhook %s: %w", eventID, err))
		}
		if duplicate = n == 0; duplicate || !matched {
			return nil
		}
		if signalled = awaitsPGResult(client, pay.Status, at.Status); signalled {
			return s.signalPGResult(c, pay.WorkflowID, pgWebhook{EventID: eventID, PaymentKey: at.PaymentKey, Status: at.Status})
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.log.Info().Str("provider", provider).Str("event_id", eventID).Str("payment_id", at.OrderID).
		Bool("duplicate", duplicate).Bool("signalled", signalled).Str("inbox_status", status).Msg("pg webhook confirmed by look-up")
	return c.JSON(http.StatusOK, map[string]any{"received": true, "duplicate": duplicate})
}

// awaitsPGResult: the checkout may be waiting for this webhook's decision, so
// it is signalled. Only a PG that decides approvals later (AsyncApproval) makes
// a checkout wait, and only while the payment is still processing (a checkout
// waiting on its PG has not marked it authorized yet). Every other webhook
// (Toss's PAYMENT_STATUS_CHANGED on each approval, any event of a settled
// payment) is recorded in the inbox and answered 2xx, waking nothing: a
// signal to a checkout that never reads it costs a workflow task (and
// "unhandled signals" when it lands as the checkout completes).
func awaitsPGResult(client pg.Client, paymentStatus, pgStatus string) bool {
	if !pg.CapabilitiesOf(client).AsyncApproval || paymentStatus != workflows.StatusProcessing {
		return false
	}
	switch pgStatus {
	case "authorized", "captured", "failed":
		return true // a decision on the approval; cancellations are the refund's business
	}
	return false
}
