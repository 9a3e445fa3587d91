package toss

import (
	"net/http"
	"strings"

	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/toss/client"
)

// Connector is one Toss merchant account as a paysaga PG.
type Connector struct {
	name string
	api  *client.Client
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
	return &Connector{name: cfg.Name, api: client.New("pg:"+cfg.Name, cfg.BaseURL, cfg.SecretKey, hc)}, nil
}

// Name is paysaga's name for this PG.
func (c *Connector) Name() string { return c.name }

// OrderIDFor is the Toss orderId of the approval sent under idempotency key
// key. paysaga's authorize keys are payment:{payment id}:authorize, so the
// orderId is the payment id: unique per payment (Toss refuses a second approval
// of one orderId) and the look-up key when an answer is lost. Characters Toss
// does not allow in an orderId (it takes letters, digits, - _ =) become _.
func OrderIDFor(key string) string {
	id := strings.TrimSuffix(strings.TrimPrefix(key, "payment:"), ":authorize")
	b := []byte(id)
	for i, ch := range b {
		ok := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '='
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}
