package toss

import (
	"context"

	"github.com/paysaga/paysaga/adapters/pg"
)

// settlementPage is how many lines one GET /v1/settlements page asks for.
const settlementPage = 100

// Settlements is Toss's settlement report for one sold date (GET
// /v1/settlements?startDate=&endDate=, every page): approvals are capture lines
// with Toss's fee, cancellations (negative amounts) refund lines.
func (c *Connector) Settlements(ctx context.Context, date string) ([]pg.SettlementItem, error) {
	var items []pg.SettlementItem
	for page := 1; ; page++ {
		lines, err := c.api.Settlements(ctx, date, date, page, settlementPage)
		if err != nil {
			return nil, translate(err)
		}
		for _, l := range lines {
			it := pg.SettlementItem{PaymentKey: l.PaymentKey, OrderID: l.OrderID, Type: "capture", Amount: l.Amount, Fee: l.Fee, Currency: l.Currency}
			if it.Currency == "" {
				it.Currency = "KRW"
			}
			if l.Amount < 0 {
				it.Type, it.Amount, it.Fee = "refund", -l.Amount, 0
			}
			items = append(items, it)
		}
		if len(lines) < settlementPage || page >= 1000 {
			return items, nil
		}
	}
}
