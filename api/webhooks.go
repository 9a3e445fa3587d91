package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/signature"
	"github.com/paysaga/paysaga/workflows"
)

// headerPGSignature carries a PG webhook's signature: t={unix},v1={hex}.
const headerPGSignature = "PG-Signature"

// pgWebhook is the body a PG posts (providersim.WebhookEvent on the wire).
type pgWebhook struct {
	EventID    string `json:"event_id"`
	Type       string `json:"type"`
	PaymentKey string `json:"payment_key"`
	OrderID    string `json:"order_id"`
	Status     string `json:"status"`
	Code       string `json:"code"`
}

// receivePGWebhook takes a PG's asynchronous result. No API key: the body is
// trusted only when its PG-Signature verifies under the PG webhook secret within
// the tolerance (401 otherwise, nothing written). A verified event is stored
// once in webhook_inbox (a duplicate answers 200 and changes nothing) and
// signalled to the checkout that owns the payment; one for a payment we do not
// know is kept as unmatched, also 200, so the PG stops retrying and nothing is lost.
func (s *server) receivePGWebhook(c echo.Context) error {
	provider := c.Param("provider")
	if provider == bankProvider {
		return s.receiveBankWebhook(c)
	}
	if !slices.Contains(s.cfg.PGs(), provider) {
		return problem(http.StatusNotFound, codeUnknownProvider, fmt.Sprintf("no provider %q sends webhooks here", provider))
	}
	if client := s.pgs[provider]; client != nil {
		if reader, ok := client.(pg.WebhookReader); ok {
			return s.receiveConnectorWebhook(c, provider, client, reader)
		}
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return readBodyError(err)
	}
	err = signature.Verify(c.Request().Header.Get(headerPGSignature), body, []byte(s.cfg.PGWebhookSecret), s.cfg.WebhookTolerance, time.Now())
	if err != nil {
		p := problem(http.StatusUnauthorized, codeInvalidSignature, "the PG-Signature header does not verify")
		p.cause = err
		return p
	}
	var ev pgWebhook
	if err := json.Unmarshal(body, &ev); err != nil || ev.EventID == "" || ev.OrderID == "" || ev.PaymentKey == "" {
		return problem(http.StatusBadRequest, codeMalformedJSON, "the webhook needs event_id, order_id and payment_key")
	}
	ctx := c.Request().Context()
	pay, err := s.q.GetPaymentByOrder(ctx, ev.OrderID)
	matched := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return internalError(fmt.Errorf("payment of order %s: %w", ev.OrderID, err))
	}
	status := "unmatched"
	if matched {
		status = "delivered"
	}
	duplicate := false
	// The inbox row commits only once the signal is sent: a failed signal
	// answers 5xx and the PG's retry finds no row.
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		n, err := db.New(tx).InsertWebhookInbox(ctx, db.InsertWebhookInboxParams{
			Provider: provider, EventID: ev.EventID, EventType: ev.Type, PaymentKey: ev.PaymentKey, Payload: body, Status: status,
		})
		if err != nil {
			return internalError(fmt.Errorf("store webhook %s: %w", ev.EventID, err))
		}
		if duplicate = n == 0; duplicate || !matched {
			return nil
		}
		return s.signalPGResult(c, pay.WorkflowID, ev)
	})
	if err != nil {
		return err
	}
	s.log.Info().Str("provider", provider).Str("event_id", ev.EventID).Str("order_id", ev.OrderID).
		Bool("duplicate", duplicate).Str("inbox_status", status).Msg("pg webhook")
	return c.JSON(http.StatusOK, map[string]any{"received": true, "duplicate": duplicate})
}

func (s *server) signalPGResult(c echo.Context, workflowID string, ev pgWebhook) error {
	result := "declined"
	if ev.Status == "authorized" || ev.Status == "captured" {
		result = "authorized"
	}
	err := s.temporal.SignalWorkflow(c.Request().Context(), workflowID, "", workflows.SignalPGResult, workflows.PGResultSignal{
		EventID: ev.EventID, PaymentKey: ev.PaymentKey, Status: result, Code: ev.Code,
	})
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil // the checkout has finished (decided by a query): the event is kept, nothing to wake
	}
	if err != nil {
		return temporalUnavailable(fmt.Errorf("signal %s: %w", workflowID, err))
	}
	return nil
}

// bankProvider is the bank's name in webhook routes and the inbox.
const bankProvider = "bank"

// bankWebhook is the bank's notice that a transfer completed
// (providersim.BankWebhookEvent on the wire).
type bankWebhook struct {
	EventID        string `json:"event_id"`
	Type           string `json:"type"`
	IdempotencyKey string `json:"idempotency_key"`
	TransactionID  string `json:"transaction_id"`
	Amount         int64  `json:"amount"`
}

// receiveBankWebhook takes the bank's transfer notice. The bank does not sign
// its webhooks, so the body is only a hint: paysaga asks the bank for the
// transaction under the notice's idempotency key and acts on the bank's answer
// alone. A notice the bank does not confirm (no such transaction, another id or
// amount) is 401 and changes nothing; one it confirms is stored once (keyed by
// the bank's transaction id, not the unverified event id) and marks the payout
// the transfer paid as confirmed by the bank. A confirmed transfer we cannot
// match yet is kept, and the payout picks it up when it is marked paid.
func (s *server) receiveBankWebhook(c echo.Context) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return readBodyError(err)
	}
	var ev bankWebhook
	if err := json.Unmarshal(body, &ev); err != nil || ev.IdempotencyKey == "" || ev.TransactionID == "" {
		return problem(http.StatusBadRequest, codeMalformedJSON, "the webhook needs idempotency_key and transaction_id")
	}
	ctx := c.Request().Context()
	txn, err := s.bank.GetByIdempotencyKey(ctx, ev.IdempotencyKey)
	switch {
	case adapters.Is(err, adapters.NotFound) || (err == nil && (txn.ID != ev.TransactionID || txn.Amount != ev.Amount)):
		return problem(http.StatusUnauthorized, codeUnverifiedWebhook, "the bank does not confirm this transfer")
	case err != nil:
		p := problem(http.StatusServiceUnavailable, codeProviderUnavailable, "the bank could not be asked to confirm the webhook; retry")
		p.cause = err
		return p
	}
	var duplicate, matched bool
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		// Lock the payout first: marking it paid takes the same row lock, so
		// either it is paid already (confirmed here) or it will find this
		// notice in the inbox once we commit.
		payoutID, isPayout := payoutOfTransferKey(ev.IdempotencyKey)
		if isPayout {
			if _, err := q.LockPayout(ctx, payoutID); err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return internalError(fmt.Errorf("lock payout %s: %w", payoutID, err))
			}
		}
		n, err := q.ConfirmPayoutTransfer(ctx, txn.ID)
		if err != nil {
			return internalError(fmt.Errorf("confirm transfer %s: %w", txn.ID, err))
		}
		// A transfer that is no payout (a bank payment's refund paid back,
		// refund:{id}) waits for nothing: it is kept as delivered, not queued
		// for a person as an unmatched payout notice.
		matched = n > 0 || !isPayout
		status := "unmatched"
		if matched {
			status = "delivered"
		}
		stored, err := q.InsertWebhookInbox(ctx, db.InsertWebhookInboxParams{
			Provider: bankProvider, EventID: "txn:" + txn.ID, EventType: "transfer.completed", PaymentKey: txn.ID, Payload: body, Status: status,
		})
		if err != nil {
			return internalError(fmt.Errorf("store bank webhook %s: %w", txn.ID, err))
		}
		duplicate = stored == 0
		return nil
	})
	if err != nil {
		return err
	}
	s.log.Info().Str("provider", bankProvider).Str("transaction_id", txn.ID).Bool("duplicate", duplicate).
		Bool("matched", matched).Msg("bank webhook confirmed by query")
	return c.JSON(http.StatusOK, map[string]any{"received": true, "duplicate": duplicate})
}

// payoutOfTransferKey is the payout a transfer key (payout:{producer}:{period},
// ledger.PayoutKey) belongs to.
func payoutOfTransferKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, "payout:")
	if !ok {
		return "", false
	}
	i := strings.LastIndex(rest, ":")
	if i <= 0 {
		return "", false
	}
	return activities.PayoutID(rest[:i], rest[i+1:]), true
}
