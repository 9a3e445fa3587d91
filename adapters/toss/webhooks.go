package toss

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/paysaga/paysaga/adapters/pg"
)

// ReadWebhook reads a PAYMENT_STATUS_CHANGED webhook: {"eventType",
// "createdAt", "data": Payment}. Toss does not sign it, so nothing in it is
// trusted but the paymentKey to look up (capability SignedWebhooks false).
func (c *Connector) ReadWebhook(_ http.Header, body []byte, _ time.Time) (pg.WebhookNotice, error) {
	var ev struct {
		EventType string `json:"eventType"`
		Data      struct {
			PaymentKey string `json:"paymentKey"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.EventType == "" || ev.Data.PaymentKey == "" {
		return pg.WebhookNotice{}, errors.New("toss webhook: needs eventType and data.paymentKey")
	}
	return pg.WebhookNotice{Type: ev.EventType, PaymentKey: ev.Data.PaymentKey}, nil
}
