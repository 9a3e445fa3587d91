package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/db"
)

// Audit actions. Stable: ops filter on them.
const (
	auditPINSet            = "pin.set"
	auditPINChanged        = "pin.changed"
	auditPINReset          = "pin.reset"
	auditRuleCreated       = "risk_rule.created"
	auditRuleUpdated       = "risk_rule.updated"
	auditBlocklistAdded    = "blocklist.added"
	auditBlockRemoved      = "blocklist.removed"
	auditPayoutApproved    = "payout.approved"
	auditProducerCreated   = "producer.created"
	auditProducerHeld      = "producer.held"
	auditProducerReleased  = "producer.released"
	auditScheduleCreated   = "payout_schedule.created"
	auditScheduleUpdated   = "payout_schedule.updated"
	auditScheduleDeleted   = "payout_schedule.deleted"
	auditScheduleTriggered = "payout_schedule.triggered"
	auditRefundRequested   = "refund.requested"
	auditEndpointCreated   = "webhook_endpoint.created"
	auditEndpointRotated   = "webhook_endpoint.secret_rotated"
	auditEndpointDeleted   = "webhook_endpoint.deleted"
	// auditTopUpReversalRetried: ops re-drove a stuck top-up's reversal.
	auditTopUpReversalRetried = "topup.reversal_retried"
	auditSummaryMaxBytes      = 4096
)

// audit appends one audit_log row in the caller's transaction (q), so the row
// exists exactly when the change it records commits. before and after are
// short summaries (never a PIN, a secret or an account number); nil is absent.
func (s *server) audit(ctx context.Context, q *db.Queries, c echo.Context, action, object string, before, after any) error {
	k := callerOf(c)
	b, err := auditJSON(before)
	if err != nil {
		return internalError(err)
	}
	a, err := auditJSON(after)
	if err != nil {
		return internalError(err)
	}
	err = q.AppendAudit(ctx, db.AppendAuditParams{
		ActorKey: k.ID, ActorRole: k.Role, RequestID: c.Response().Header().Get(headerRequestID),
		Action: action, Object: object, Before: b, After: a,
	})
	if err != nil {
		return internalError(fmt.Errorf("audit %s %s: %w", action, object, err))
	}
	return nil
}

// auditOutside records a change that lives outside PostgreSQL (a Temporal
// schedule), after it succeeded: the two cannot share a transaction, and a row
// for a change that failed would be a false record. If this write fails the
// caller gets a 500 and the change stands unaudited; the error log names it.
func (s *server) auditOutside(c echo.Context, action, object string, before, after any) error {
	return s.audit(c.Request().Context(), s.q, c, action, object, before, after)
}

// auditOnce records a request that starts a workflow (a refund): before the
// start, once per object however often the request is retried under its
// Idempotency-Key (the key's lease keeps two tries from running at once).
// The row says what was asked and by whom; the outcome is the refund's own.
func (s *server) auditOnce(c echo.Context, action, object string, after any) error {
	ctx := c.Request().Context()
	done, err := s.q.AuditExists(ctx, db.AuditExistsParams{Object: object, Action: action})
	if err != nil {
		return internalError(fmt.Errorf("audit %s %s: %w", action, object, err))
	}
	if done {
		return nil
	}
	return s.audit(ctx, s.q, c, action, object, nil, after)
}

func auditJSON(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit summary: %w", err)
	}
	if len(b) > auditSummaryMaxBytes {
		return nil, fmt.Errorf("audit summary of %d bytes is too long", len(b))
	}
	return b, nil
}

// inTx runs fn in one transaction with queries bound to it.
func (s *server) inTx(ctx context.Context, fn func(q *db.Queries) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(s.q.WithTx(tx)) })
}

type auditEntryResponse struct {
	ID         int64           `json:"id"`
	ActorKeyID string          `json:"actor_key_id"`
	ActorRole  string          `json:"actor_role"`
	RequestID  string          `json:"request_id"`
	Action     string          `json:"action"`
	Object     string          `json:"object"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
	CreatedAt  time.Time       `json:"created_at"`
}

type auditListResponse struct {
	Entries    []auditEntryResponse `json:"entries"`
	NextBefore *int64               `json:"next_before"` // ?before= for the next (older) page; null at the end
}

// listAudit shows the audit log newest first, filtered by action, object and
// actor_key_id, paged with ?before=<id>&limit=.
func (s *server) listAudit(c echo.Context) error {
	before, limit, err := pageParams(c)
	if err != nil {
		return err
	}
	var v validation
	for _, f := range []string{"action", "object", "actor_key_id"} {
		v.text(f, c.QueryParam(f), 0, 200)
	}
	if err := v.err(); err != nil {
		return err
	}
	rows, err := s.q.ListAudit(c.Request().Context(), db.ListAuditParams{
		Action: c.QueryParam("action"), Object: c.QueryParam("object"), ActorKey: c.QueryParam("actor_key_id"),
		BeforeID: before, PageSize: limit,
	})
	if err != nil {
		return internalError(fmt.Errorf("list audit: %w", err))
	}
	out := auditListResponse{Entries: make([]auditEntryResponse, len(rows))}
	for i, r := range rows {
		out.Entries[i] = auditEntryResponse{
			ID: r.ID, ActorKeyID: r.ActorKey, ActorRole: r.ActorRole, RequestID: r.RequestID, Action: r.Action,
			Object: r.Object, Before: rawOrNull(r.Before), After: rawOrNull(r.After), CreatedAt: r.CreatedAt.Time.UTC(),
		}
	}
	if len(rows) == int(limit) {
		next := rows[len(rows)-1].ID
		out.NextBefore = &next
	}
	return c.JSON(http.StatusOK, out)
}

func rawOrNull(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}
