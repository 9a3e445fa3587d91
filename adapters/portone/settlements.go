package portone

import (
	"context"
	"time"

	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/portone/client"
)

// eventPage is how many events one GET /payment-events-by-cursor asks for (its maximum).
const eventPage = 1000

// kst is Korea time, the day paysaga reconciles.
var kst = time.FixedZone("KST", 9*60*60)

// Settlements is what PortOne moved on one Korea-time day, from its payment
// events (GET /payment-events-by-cursor, every page): a PAID event is a
// capture line, a CANCELLED or PARTIAL_CANCELLED one (a negative amount) a
// refund line. PortOne V2's public API has no settlement report with PG fees,
// so the lines carry none (Capabilities.SettlementFees is false).
func (c *Connector) Settlements(ctx context.Context, date string) ([]pg.SettlementItem, error) {
	from, err := time.ParseInLocation("2006-01-02", date, kst)
	if err != nil {
		return nil, c.api.Invalid("settlements", "date must be YYYY-MM-DD")
	}
	until := from.AddDate(0, 0, 1)
	var items []pg.SettlementItem
	cursor := ""
	for page := 0; page < 1000; page++ {
		res, err := c.api.PaymentEvents(ctx, client.GetAllPaymentEventsByCursorBody{From: &from, Until: &until, Cursor: cursor, Size: eventPage})
		if err != nil {
			return nil, translate(err)
		}
		for _, it := range res.Items {
			if line, ok := settlementLine(it.PaymentEvent); ok {
				items = append(items, line)
			}
			cursor = it.Cursor
		}
		if len(res.Items) < eventPage {
			return items, nil
		}
	}
	return items, nil
}

// settlementLine is the reconciliation line of one event; other event types
// (a failure, a pending payment) moved no money.
func settlementLine(ev client.PaymentEvent) (pg.SettlementItem, bool) {
	it := pg.SettlementItem{PaymentKey: ev.PaymentID, OrderID: ev.PaymentID, Currency: ev.Currency}
	if it.Currency == "" {
		it.Currency = "KRW"
	}
	switch ev.Type {
	case client.EventPaid:
		it.Type, it.Amount = "capture", ev.EventAmount
	case client.EventCancelled, client.EventPartialCancelled:
		it.Type, it.Amount = "refund", -ev.EventAmount
	default:
		return it, false
	}
	return it, true
}
