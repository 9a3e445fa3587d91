package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/cardbin"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/risk"
)

// Risk rules and blocklists, managed by ops. Every change writes its audit row
// in the same transaction. Rules are switched off rather than deleted.

type createRiskRuleRequest struct {
	Name          string `json:"name"`
	Kind          string `json:"kind"`      // count | amount
	Dimension     string `json:"dimension"` // customer | card_fingerprint | device | ip
	WindowSeconds int64  `json:"window_seconds"`
	Threshold     int64  `json:"threshold"`
	Action        string `json:"action"` // block | step_up
}

const maxRuleWindow = 30 * 24 * 3600

func (r createRiskRuleRequest) validate() error {
	var v validation
	v.text("name", r.Name, 1, 100)
	if !slices.Contains([]string{"count", "amount"}, r.Kind) {
		v.add(codeValidationFailed, "kind", "must be count or amount")
	}
	if !slices.Contains([]string{"customer", "card_fingerprint", "device", "ip"}, r.Dimension) {
		v.add(codeValidationFailed, "dimension", "must be customer, card_fingerprint, device or ip")
	}
	if r.WindowSeconds <= 0 || r.WindowSeconds > maxRuleWindow {
		v.add(codeValidationFailed, "window_seconds", fmt.Sprintf("must be within 1..%d", maxRuleWindow))
	}
	if r.Threshold <= 0 || r.Threshold > 1<<50 {
		v.add(codeValidationFailed, "threshold", "must be within 1..2^50")
	}
	if !slices.Contains([]string{risk.Block, risk.StepUp}, r.Action) {
		v.add(codeValidationFailed, "action", "must be block or step_up")
	}
	return v.err()
}

type riskRuleResponse struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Kind          string    `json:"kind"`
	Dimension     string    `json:"dimension"`
	WindowSeconds int64     `json:"window_seconds"`
	Threshold     int64     `json:"threshold"`
	Action        string    `json:"action"`
	Enabled       bool      `json:"enabled"`
	CreatedBy     string    `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
}

func toRuleResponse(r db.RiskRule) riskRuleResponse {
	return riskRuleResponse{ID: r.ID, Name: r.Name, Kind: r.Kind, Dimension: r.Dimension, WindowSeconds: int64(r.WindowSeconds),
		Threshold: r.Threshold, Action: r.Action, Enabled: r.Enabled, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.Time.UTC()}
}

func (s *server) createRiskRule(c echo.Context) error {
	var req createRiskRuleRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var out db.RiskRule
	err := s.inTx(ctx, func(q *db.Queries) error {
		var err error
		out, err = q.CreateRiskRule(ctx, db.CreateRiskRuleParams{
			ID: "rule_" + uuid.Must(uuid.NewV7()).String(), Name: req.Name, Kind: req.Kind, Dimension: req.Dimension,
			WindowSeconds: int32(req.WindowSeconds), Threshold: req.Threshold, Action: req.Action, CreatedBy: callerOf(c).ID,
		})
		if err != nil {
			return internalError(fmt.Errorf("create risk rule: %w", err))
		}
		return s.audit(ctx, q, c, auditRuleCreated, "risk_rule:"+out.ID, nil, toRuleResponse(out))
	})
	if err != nil {
		return err
	}
	s.stepUpRules.forget() // this process's next checkout sees it; others within the TTL
	return c.JSON(http.StatusCreated, toRuleResponse(out))
}

func (s *server) listRiskRules(c echo.Context) error {
	rows, err := s.q.ListRiskRules(c.Request().Context())
	if err != nil {
		return internalError(fmt.Errorf("list risk rules: %w", err))
	}
	out := struct {
		Rules []riskRuleResponse `json:"rules"`
	}{Rules: make([]riskRuleResponse, len(rows))}
	for i, r := range rows {
		out.Rules[i] = toRuleResponse(r)
	}
	return c.JSON(http.StatusOK, out)
}

type patchRiskRuleRequest struct {
	Enabled *bool `json:"enabled"`
}

// patchRiskRule switches a rule on or off.
func (s *server) patchRiskRule(c echo.Context) error {
	var req patchRiskRuleRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if req.Enabled == nil {
		var v validation
		v.add(codeValidationFailed, "enabled", "is required")
		return v.err()
	}
	id := c.Param("id")
	ctx := c.Request().Context()
	var out db.RiskRule
	err := s.inTx(ctx, func(q *db.Queries) error {
		before, err := q.GetRiskRule(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return problem(http.StatusNotFound, codeRiskRuleNotFound, fmt.Sprintf("no risk rule %q", id))
		}
		if err != nil {
			return internalError(fmt.Errorf("get risk rule %s: %w", id, err))
		}
		if out, err = q.SetRiskRuleEnabled(ctx, db.SetRiskRuleEnabledParams{ID: id, Enabled: *req.Enabled}); err != nil {
			return internalError(fmt.Errorf("update risk rule %s: %w", id, err))
		}
		return s.audit(ctx, q, c, auditRuleUpdated, "risk_rule:"+id,
			map[string]any{"enabled": before.Enabled}, map[string]any{"enabled": out.Enabled})
	})
	if err != nil {
		return err
	}
	s.stepUpRules.forget()
	return c.JSON(http.StatusOK, toRuleResponse(out))
}

type createBlocklistRequest struct {
	Kind      string     `json:"kind"`  // customer | card_fingerprint | bin | bank_account
	Value     string     `json:"value"` // bank_account: "{bank_code}:{account_number}", stored only as a keyed hash
	Reason    string     `json:"reason"`
	ExpiresAt *time.Time `json:"expires_at"`
}

var bankAccountValue = regexp.MustCompile(`^([0-9]{3}):([0-9]{6,20})$`)

type blocklistResponse struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"`
	Value     string     `json:"value"`
	Reason    string     `json:"reason"`
	ExpiresAt *time.Time `json:"expires_at"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
}

func toBlocklistResponse(b db.RiskBlocklist) blocklistResponse {
	out := blocklistResponse{ID: b.ID, Kind: b.Kind, Value: b.Value, Reason: b.Reason, CreatedBy: b.CreatedBy, CreatedAt: b.CreatedAt.Time.UTC()}
	if b.ExpiresAt.Valid {
		t := b.ExpiresAt.Time.UTC()
		out.ExpiresAt = &t
	}
	return out
}

func (s *server) createBlocklistEntry(c echo.Context) error {
	var req createBlocklistRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	var v validation
	value := req.Value
	switch req.Kind {
	case "customer":
		v.id("value", req.Value)
	case "card_fingerprint":
		v.text("value", req.Value, 1, 100)
	case "bin":
		if !cardbin.ValidPrefix(req.Value) {
			v.add(codeValidationFailed, "value", "must be a card BIN prefix of 6 to 8 digits")
		}
	case "bank_account":
		m := bankAccountValue.FindStringSubmatch(req.Value)
		if m == nil {
			v.add(codeValidationFailed, "value", "must be {bank_code}:{account_number}, 3 and 6..20 digits")
		} else {
			value = risk.BankAccountHash(s.pii, m[1], m[2])
		}
	default:
		v.add(codeValidationFailed, "kind", "must be customer, card_fingerprint, bin or bank_account")
	}
	v.text("reason", req.Reason, 0, 500)
	if req.ExpiresAt != nil && !req.ExpiresAt.After(time.Now()) {
		v.add(codeValidationFailed, "expires_at", "must be in the future")
	}
	if err := v.err(); err != nil {
		return err
	}
	expires := pgtype.Timestamptz{}
	if req.ExpiresAt != nil {
		expires = pgtype.Timestamptz{Time: *req.ExpiresAt, Valid: true}
	}
	ctx := c.Request().Context()
	var out db.RiskBlocklist
	err := s.inTx(ctx, func(q *db.Queries) error {
		var err error
		out, err = q.CreateBlocklistEntry(ctx, db.CreateBlocklistEntryParams{
			ID: "bl_" + uuid.Must(uuid.NewV7()).String(), Kind: req.Kind, Value: value, Reason: req.Reason,
			ExpiresAt: expires, CreatedBy: callerOf(c).ID,
		})
		if err != nil {
			return internalError(fmt.Errorf("create blocklist entry: %w", err))
		}
		return s.audit(ctx, q, c, auditBlocklistAdded, "blocklist:"+out.ID, nil, toBlocklistResponse(out))
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toBlocklistResponse(out))
}

func (s *server) listBlocklist(c echo.Context) error {
	rows, err := s.q.ListBlocklist(c.Request().Context())
	if err != nil {
		return internalError(fmt.Errorf("list blocklist: %w", err))
	}
	out := struct {
		Entries []blocklistResponse `json:"entries"`
	}{Entries: make([]blocklistResponse, len(rows))}
	for i, r := range rows {
		out.Entries[i] = toBlocklistResponse(r)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) deleteBlocklistEntry(c echo.Context) error {
	id := c.Param("id")
	ctx := c.Request().Context()
	err := s.inTx(ctx, func(q *db.Queries) error {
		before, err := q.GetBlocklistEntry(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return problem(http.StatusNotFound, codeBlocklistNotFound, fmt.Sprintf("no blocklist entry %q", id))
		}
		if err != nil {
			return internalError(fmt.Errorf("get blocklist entry %s: %w", id, err))
		}
		if _, err := q.DeleteBlocklistEntry(ctx, id); err != nil {
			return internalError(fmt.Errorf("delete blocklist entry %s: %w", id, err))
		}
		return s.audit(ctx, q, c, auditBlockRemoved, "blocklist:"+id, toBlocklistResponse(before), nil)
	})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// stepUp decides, before a checkout starts anything, whether it needs the
// customer's PIN: at or above the step-up amount, from a device the customer
// has not paid from before (the first device is trusted on first use), or when
// an ops rule with action step_up fires. A needed step-up is satisfied by a
// live PIN token, which this spends; otherwise 403 step_up_required. The
// device and method facts and the rules' window totals come from the
// checkout's claim (ClaimCheckout), the rules from memory (ruleCache).
func (s *server) stepUp(c echo.Context, req checkoutRequest, facts db.ClaimCheckoutRow, windows stepUpWindows) error {
	ctx := c.Request().Context()
	reason, err := s.stepUpReason(ctx, req, clientIP(c), facts, windows)
	if err != nil {
		return err
	}
	if reason != "" {
		ok, err := s.spendPINToken(ctx, req.CustomerID, req.PINToken)
		if err != nil {
			return err
		}
		if !ok {
			code := codeStepUpRequired
			if req.PINToken != "" {
				code = codePINTokenInvalid
			}
			p := problem(http.StatusForbidden, code,
				fmt.Sprintf("this payment needs the customer's payment PIN (%s): send a pin_token from POST /v1/customers/%s/pin/verify", reason, req.CustomerID))
			return p
		}
	}
	if req.DeviceID != "" && !facts.DeviceKnown {
		if err := s.q.RememberDevice(ctx, db.RememberDeviceParams{CustomerID: req.CustomerID, DeviceID: req.DeviceID}); err != nil {
			return internalError(fmt.Errorf("remember device: %w", err))
		}
	}
	return nil
}

func (s *server) stepUpReason(ctx context.Context, req checkoutRequest, ip string, facts db.ClaimCheckoutRow, windows stepUpWindows) (string, error) {
	if s.cfg.StepUpAmount > 0 && req.Amount >= s.cfg.StepUpAmount {
		return fmt.Sprintf("amount of %d or more", s.cfg.StepUpAmount), nil
	}
	if req.DeviceID != "" && facts.DeviceCount > 0 && !facts.DeviceKnown {
		return "new device", nil
	}
	if len(windows.rules) == 0 {
		return "", nil
	}
	subj := risk.Subject{CustomerID: req.CustomerID, DeviceID: req.DeviceID, IP: ip, Currency: req.Currency, Amount: req.Amount}
	if req.Payment.WalletAmount+req.Payment.PointsAmount < req.Amount && facts.MethodFound {
		var err error
		if subj, err = risk.DescribeMethod(s.pii, req.Payment.MethodID, methodRiskFacts(facts), subj); err != nil {
			return "", internalError(err)
		}
	}
	rule, err := risk.FirstHitOf(ctx, s.q, windows.rules, subj, windows.known(facts))
	if err != nil {
		return "", internalError(err)
	}
	if rule != "" {
		return "risk rule " + rule, nil
	}
	return "", nil
}

// methodRiskFacts is the method's part of the claim's row, as MethodRiskFacts reads it.
func methodRiskFacts(f db.ClaimCheckoutRow) db.MethodRiskFactsRow {
	return db.MethodRiskFactsRow{
		Kind: f.MethodKind, CardBrand: f.MethodCardBrand.String, CardType: f.MethodCardType, CardLast4: f.MethodCardLast4,
		CardBin: f.MethodCardBin, BankCode: f.MethodBankCode, AccountNumberSealed: f.MethodAccountNumberSealed,
	}
}
