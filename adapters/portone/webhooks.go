package portone

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paysaga/paysaga/adapters/pg"
)

// Standard Webhooks headers, as PortOne V2 sends them.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// ErrWebhookSignature: the webhook is unsigned, forged, or outside the tolerance.
var ErrWebhookSignature = fmt.Errorf("portone: %w", pg.ErrUnverifiedWebhook)

// Webhook is a verified PortOne webhook.
type Webhook struct {
	ID            string // webhook-id: the same for every retry of one event
	Type          string // Transaction.Paid, Transaction.Cancelled, Transaction.Failed, ...
	PaymentID     string
	TransactionID string
}

// VerifyWebhook checks a webhook per Standard Webhooks: the HMAC-SHA256, under
// the webhook secret's key, of "{webhook-id}.{webhook-timestamp}.{body}",
// base64, must be one of the "v1,..." signatures in webhook-signature, and the
// timestamp within the tolerance of now. Only then is the body read.
func (c *Connector) VerifyWebhook(h http.Header, body []byte, now time.Time) (Webhook, error) {
	id, ts, sigs := h.Get(HeaderWebhookID), h.Get(HeaderWebhookTimestamp), h.Get(HeaderWebhookSignature)
	if id == "" || ts == "" || sigs == "" {
		return Webhook{}, ErrWebhookSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return Webhook{}, ErrWebhookSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > c.tolerance || d < -c.tolerance {
		return Webhook{}, ErrWebhookSignature
	}
	mac := hmac.New(sha256.New, c.webhookKey)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	ok := false
	for _, s := range strings.Fields(sigs) {
		v, sig, found := strings.Cut(s, ",")
		if !found || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			ok = true
		}
	}
	if !ok {
		return Webhook{}, ErrWebhookSignature
	}
	var ev struct {
		Type string `json:"type"`
		Data struct {
			PaymentID     string `json:"paymentId"`
			TransactionID string `json:"transactionId"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.Type == "" {
		return Webhook{}, errors.New("portone webhook: malformed body")
	}
	return Webhook{ID: id, Type: ev.Type, PaymentID: ev.Data.PaymentID, TransactionID: ev.Data.TransactionID}, nil
}

// SignWebhook signs body as PortOne would (for the sandbox and tests).
func SignWebhook(secret, id string, at time.Time, body []byte) (http.Header, error) {
	key, err := webhookKey(secret)
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	h := http.Header{}
	h.Set(HeaderWebhookID, id)
	h.Set(HeaderWebhookTimestamp, ts)
	h.Set(HeaderWebhookSignature, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return h, nil
}

// ReadWebhook verifies a webhook and names the payment it is about.
func (c *Connector) ReadWebhook(h http.Header, body []byte, now time.Time) (pg.WebhookNotice, error) {
	w, err := c.VerifyWebhook(h, body, now)
	if err != nil {
		return pg.WebhookNotice{}, err
	}
	return pg.WebhookNotice{EventID: w.ID, Type: w.Type, PaymentKey: w.PaymentID}, nil
}
