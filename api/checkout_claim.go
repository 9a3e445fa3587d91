package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/risk"
)

// claimCheckout claims the checkout's Idempotency-Key and reads the facts its
// checks need in one round trip (ClaimCheckout, issue 19): the customer, the
// method, whether the request ran before, and the step-up's device and method
// risk facts. Without the claim it answers what stands in the way, as
// claimIdempotency would: the stored answer (a replay), 422 for another body
// under the key, 409 while another request holds it.
//
// The claim comes before the checks, not after them as on the other routes:
// a check that then refuses the checkout (404, 422, 403 step-up) gives the
// claim back (releaseClaim), so a refusal still saves nothing and the app may
// retry under the same key, e.g. with a pin_token.
func (s *server) claimCheckout(c echo.Context, req checkoutRequest, paymentID string, w stepUpWindows) (db.ClaimCheckoutRow, error) {
	sc, _ := c.Get(ctxIdemScope).(*idemScope)
	if sc == nil {
		return db.ClaimCheckoutRow{}, internalError(fmt.Errorf("checkout %s without an idempotency scope", paymentID))
	}
	row, err := s.q.ClaimCheckout(c.Request().Context(), db.ClaimCheckoutParams{
		ApiKeyID: sc.apiKeyID, Key: sc.key, RequestHash: sc.requestHash, LockFor: s.idempotencyLease(), Holder: sc.holder,
		PaymentID: paymentID, CustomerID: req.CustomerID, MethodID: req.Payment.MethodID, DeviceID: req.DeviceID,
		Ip: clientIP(c), RuleDimensions: w.dimensions, RuleWindows: w.windows,
	})
	if err != nil {
		return row, internalError(fmt.Errorf("claim checkout %s: %w", paymentID, err))
	}
	sc.read = true
	if row.Claimed {
		sc.claimed = true
		sc.stopRenew = s.renewLease(sc)
		return row, nil
	}
	if row.KeyFound {
		if err := existingAnswer(claimedKey(row), sc.requestHash, time.Now()); err != nil {
			return row, err
		}
	}
	// Released between the function's tries, or its lease ran out by this
	// clock but not yet by the database's: as claimIdempotency, 409.
	return row, problem(http.StatusConflict, codeIdempotencyKeyInUse,
		"a request with this Idempotency-Key is still being processed; retry later")
}

// claimedKey is the key's row as ClaimCheckout returned it.
func claimedKey(row db.ClaimCheckoutRow) db.IdempotencyKey {
	return db.IdempotencyKey{
		RequestHash: row.KeyRequestHash, Status: row.KeyStatus, ResponseStatus: row.KeyResponseStatus,
		ResponseBody: row.KeyResponseBody, LockedUntil: row.KeyLockedUntil,
	}
}

// releaseClaim gives back a claim taken before a check that refused the
// request: the key is free again, as if the request had been refused before
// claiming. When the release fails the claim stays until its lease runs out
// (a retry then takes it over).
func (s *server) releaseClaim(c echo.Context) {
	sc, _ := c.Get(ctxIdemScope).(*idemScope)
	if sc == nil || !sc.claimed {
		return
	}
	sc.stopRenewing()
	sc.claimed = false
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), 5*time.Second)
	defer cancel()
	if err := s.q.ReleaseIdempotencyKey(ctx, db.ReleaseIdempotencyKeyParams{ApiKeyID: sc.apiKeyID, Key: sc.key, Holder: sc.holder}); err != nil {
		zerolog.Ctx(c.Request().Context()).Error().Err(err).Msg("release idempotency key after a refused check")
	}
}

// stepUpWindows are the step-up rules in force (from memory) and the windows
// ClaimCheckout totals for them: one per rule whose value the request itself
// carries (customer, device, ip). A card_fingerprint rule needs the method's
// fingerprint, known only after the statement: its totals are read after.
type stepUpWindows struct {
	rules      []db.RiskRule
	ids        []string // the rules totalled, in the statement's order
	dimensions []string
	windows    []float64
}

func (s *server) stepUpWindowsOf(c echo.Context, req checkoutRequest) (stepUpWindows, error) {
	rules, err := s.stepUpRules.lookup(c.Request().Context(), func(ctx context.Context) ([]db.RiskRule, error) {
		return s.q.ListEnabledRiskRules(ctx, risk.StepUp)
	})
	if err != nil {
		return stepUpWindows{}, internalError(fmt.Errorf("step-up rules: %w", err))
	}
	w := stepUpWindows{rules: rules, ids: []string{}, dimensions: []string{}, windows: []float64{}}
	subj := risk.Subject{CustomerID: req.CustomerID, DeviceID: req.DeviceID, IP: clientIP(c)}
	for _, r := range rules {
		if r.Dimension == "card_fingerprint" || subj.DimensionValue(r.Dimension) == "" {
			continue
		}
		w.ids = append(w.ids, r.ID)
		w.dimensions = append(w.dimensions, r.Dimension)
		w.windows = append(w.windows, float64(r.WindowSeconds))
	}
	return w, nil
}

// known is the totals the claim's statement read, by rule id.
func (w stepUpWindows) known(row db.ClaimCheckoutRow) map[string]risk.Totals {
	out := make(map[string]risk.Totals, len(w.ids))
	for i, id := range w.ids {
		if i < len(row.RuleCounts) && i < len(row.RuleAmounts) {
			out[id] = risk.Totals{N: row.RuleCounts[i], Amount: row.RuleAmounts[i]}
		}
	}
	return out
}
