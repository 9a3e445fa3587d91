package portone

import (
	"context"

	"github.com/paysaga/paysaga/adapters/pg"
)

// Settlements: PortOne V2's public API has no per-payment settlement report
// (its reconciliation service is a separate product), so this connector
// declares no SettlementReport and the daily reconciliation skips it.
func (c *Connector) Settlements(ctx context.Context, date string) ([]pg.SettlementItem, error) {
	return nil, c.api.Invalid("settlements", "PortOne V2 serves no settlement report; see docs/connectors.md")
}
