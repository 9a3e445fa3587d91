package portone

import (
	"net/http"
	"strings"
	"time"

	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/portone/client"
)

// Connector is one PortOne store as a paysaga PG.
type Connector struct {
	name       string
	api        *client.Client
	webhookKey []byte
	tolerance  time.Duration
	// receiptChannel is the channel key cash receipts are issued through.
	receiptChannel string
}

var (
	_ pg.Client  = (*Connector)(nil)
	_ pg.Capable = (*Connector)(nil)
)

// New is the connector for cfg; a nil hc means http.DefaultClient.
func New(cfg Config, hc *http.Client) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	key, _ := webhookKey(cfg.WebhookSecret)
	tol := cfg.WebhookTolerance
	if tol <= 0 {
		tol = 5 * time.Minute
	}
	return &Connector{name: cfg.Name, api: client.New("pg:"+cfg.Name, cfg.BaseURL, cfg.APISecret, cfg.StoreID, hc),
		webhookKey: key, tolerance: tol, receiptChannel: cfg.ReceiptChannelKey}, nil
}

// Name is paysaga's name for this PG.
func (c *Connector) Name() string { return c.name }

// PaymentIDFor is the PortOne paymentId of the payment authorized under
// idempotency key key: the payment id for paysaga's payment:{id}:authorize keys,
// so a retry re-sends the same paymentId and a lost answer is found by it.
// Characters outside letters, digits, - and _ become _.
func PaymentIDFor(key string) string {
	id := strings.TrimSuffix(strings.TrimPrefix(key, "payment:"), ":authorize")
	b := []byte(id)
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}
