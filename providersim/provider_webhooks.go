package providersim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The providers' own webhooks. A payment approved through /toss/ or /portone/
// announces each change of its status in that provider's format, to the
// configured URL ({url}/{pg}), as the providers do:
//
//   - Toss: PAYMENT_STATUS_CHANGED, unsigned, its data the Payment object.
//     Toss does not sign it, so the receiver must look the payment up before
//     trusting a word of it.
//   - PortOne V2: Transaction.Paid / PayPending / Failed / Cancelled /
//     PartialCancelled, its data the paymentId, storeId and transactionId,
//     signed per Standard Webhooks (webhook-id, webhook-timestamp,
//     webhook-signature "v1,{base64 HMAC-SHA256 of id.timestamp.body}") with
//     the PG's whsec_ secret (WebhookConfig.PortOneSecrets). A retry keeps the
//     webhook-id and is signed again with the time it is sent.
//
// Delivery, like the original protocol's, is retried a few times until a 2xx.

// Wire protocols a payment can be approved through.
const (
	protocolToss    = "toss"
	protocolPortOne = "portone"
)

// Standard Webhooks headers of PortOne's webhooks.
const (
	headerWebhookID        = "webhook-id"
	headerWebhookTimestamp = "webhook-timestamp"
	headerWebhookSignature = "webhook-signature"
)

type tossWebhook struct {
	EventType string      `json:"eventType"`
	CreatedAt string      `json:"createdAt"`
	Data      tossPayment `json:"data"`
}

type portoneWebhookData struct {
	PaymentID      string `json:"paymentId"`
	StoreID        string `json:"storeId"`
	TransactionID  string `json:"transactionId"`
	CancellationID string `json:"cancellationId,omitempty"`
}

type portoneWebhook struct {
	Type      string             `json:"type"`
	Timestamp string             `json:"timestamp"`
	Data      portoneWebhookData `json:"data"`
}

// portoneWebhookType is PortOne's event type for the payment's status now.
func portoneWebhookType(p *payment) string {
	switch p.status {
	case StatusPending:
		return "Transaction.PayPending"
	case StatusFailed:
		return "Transaction.Failed"
	case StatusCanceled:
		return "Transaction.Cancelled"
	case StatusPartiallyCanceled:
		return "Transaction.PartialCancelled"
	}
	return "Transaction.Paid"
}

// announceLocked sends p's new status in its protocol's webhook, if webhooks
// are configured. Callers hold s.mu; the delivery runs on its own goroutine.
func (s *Server) announceLocked(p *payment) {
	cfg := s.webhook
	if cfg.URL == "" {
		return
	}
	now := s.now()
	switch p.protocol {
	case protocolToss:
		body, _ := json.Marshal(tossWebhook{EventType: "PAYMENT_STATUS_CHANGED", CreatedAt: tossTime(now), Data: p.toss()})
		go s.deliverSigned(cfg.URL, p.pg, "toss:"+p.key, body, func() http.Header { return http.Header{} })
	case protocolPortOne:
		secret := cfg.PortOneSecrets[p.pg]
		key, ok := portoneWebhookKey(secret)
		if !ok {
			s.log.Warn().Str("pg", p.pg).Msg("no PortOne webhook secret for this PG: webhook not sent")
			return
		}
		ev := portoneWebhook{Type: portoneWebhookType(p), Timestamp: portoneTime(now),
			Data: portoneWebhookData{PaymentID: p.key, StoreID: portoneStore, TransactionID: p.key + "-tx"}}
		if n := len(p.cancels); n > 0 && (p.status == StatusCanceled || p.status == StatusPartiallyCanceled) {
			ev.Data.CancellationID = p.key + "-c" + strconv.Itoa(n)
		}
		body, _ := json.Marshal(ev)
		id := newID("msg_")
		go s.deliverSigned(cfg.URL, p.pg, id, body, func() http.Header { return portoneSign(key, id, time.Now(), body) })
	}
}

// portoneWebhookKey is the HMAC key of a whsec_ secret (base64 after the prefix).
func portoneWebhookKey(secret string) ([]byte, bool) {
	enc, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return nil, false
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	return key, err == nil && len(key) > 0
}

// portoneSign is the Standard Webhooks headers of body sent as id at at.
func portoneSign(key []byte, id string, at time.Time, body []byte) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	h := http.Header{}
	h.Set(headerWebhookID, id)
	h.Set(headerWebhookTimestamp, ts)
	h.Set(headerWebhookSignature, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return h
}
