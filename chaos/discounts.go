package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/paysaga/paysaga/client"
)

// discountRules puts an instant-discount rule in force before the load
// (issue 15): the sandbox's approving cards (issuer 현대) get 10% off card
// parts of 10,000 or more within a monthly cap, so the checkouts, refunds and
// faults of the run exercise discounts and instant_discounts_reconcile holds
// over them.
func (l *load) discountRules(ctx context.Context) error {
	body, _ := json.Marshal(map[string]any{
		"currency": "KRW", "effective_from": time.Now().UTC().Format(time.RFC3339Nano), "monthly_discount_cap": 50_000,
		"rules": []map[string]any{{"name": "chaos-ten-off", "issuer": "현대", "discount_bps": 1_000, "points_bps": 100, "min_amount": 10_000}},
	})
	res, _, err := l.c.do(ctx, "discount rule set", func(ctx context.Context) (*http.Response, error) {
		return l.c.api.CreateBenefitRuleSetWithBody(ctx, "application/json", bytes.NewReader(body), client.Bearer(l.c.finance))
	})
	if err != nil || res.status != 201 {
		return fmt.Errorf("discount rule set: %v %d %s", err, res.status, res.raw)
	}
	return nil
}
