package providersim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/paysaga/paysaga/signature"
)

// Asynchronous results. An authorization with CardAsyncApprove or
// CardAsyncDecline answers "pending"; after AsyncDelay the PG decides and POSTs
// the result to the configured webhook URL ({url}/{pg}), signed like
// PG-Signature: t={unix},v1={hex HMAC-SHA256 of "{t}.{body}"} with the
// configured secret. Delivery is retried a few times until a 2xx answer.

// HeaderPGSignature is the header the sandbox's PG webhooks are signed in.
const HeaderPGSignature = "PG-Signature"

// WebhookEvent is the body of a PG webhook.
type WebhookEvent struct {
	EventID    string    `json:"event_id"`
	Type       string    `json:"type"` // payment.authorized | payment.declined
	PaymentKey string    `json:"payment_key"`
	OrderID    string    `json:"order_id"`
	Status     string    `json:"status"` // the payment's status after the event
	Amount     int64     `json:"amount"`
	Currency   string    `json:"currency"`
	Code       string    `json:"code,omitempty"` // decline reason
	At         time.Time `json:"at"`
}

// WebhookConfig is where the PGs send webhooks and the secret they sign with.
type WebhookConfig struct {
	URL    string `json:"url"`    // base: the PG appends /{pg name}
	Secret string `json:"secret"` // signs the original protocol's webhooks (PG-Signature); empty: unsigned
	// PortOneSecrets: by PG name, the whsec_ secret PortOne-protocol webhooks
	// are signed with (Standard Webhooks). A PG without one sends none.
	PortOneSecrets map[string]string `json:"portone_secrets,omitempty"`
}

// StatusPending is an authorization whose result comes later by webhook.
const StatusPending = "pending"

// completeAsync decides a pending payment and sends the webhook: the original
// protocol's signed event, or the provider's own for a PortOne payment.
func (s *Server) completeAsync(paymentKey string) {
	s.mu.Lock()
	p, ok := s.payments[paymentKey]
	if !ok || p.status != StatusPending {
		s.mu.Unlock() // voided meanwhile, or the sandbox was reset
		return
	}
	if p.protocol == protocolPortOne {
		s.completePortOneLocked(p)
		s.mu.Unlock()
		return
	}
	ev := WebhookEvent{EventID: newID("whe_"), PaymentKey: p.key, OrderID: p.orderID, Amount: p.amount, Currency: p.currency, At: s.now()}
	if p.bk.card.number == CardAsyncDecline {
		p.status = StatusCanceled
		p.canceled = p.amount
		ev.Type, ev.Code = "payment.declined", "CARD_DECLINED"
	} else {
		p.status, p.approvedAt = StatusAuthorized, s.now()
		ev.Type = "payment.authorized"
		s.record(Record{Provider: pgProvider(p.pg), Kind: KindAuthorize, IdempotencyKey: p.idemKey, PaymentKey: p.key,
			OrderID: p.orderID, Amount: p.amount, Currency: p.currency})
	}
	ev.Status = p.status
	cfg, pg := s.webhook, p.pg
	s.mu.Unlock()
	s.sendWebhook(cfg, pg, ev)
}

// completePortOneLocked decides a PortOne payment left PAY_PENDING: paid (an
// authorize and a capture recorded under its paymentId, as a payment paid at
// once is) or FAILED (nothing recorded), announced by Transaction.Paid or
// Transaction.Failed.
func (s *Server) completePortOneLocked(p *payment) {
	now := s.now()
	if p.bk.card.number == CardAsyncDecline {
		p.status = StatusFailed
	} else {
		p.status, p.captured, p.approvedAt, p.capturedAt = StatusCaptured, p.amount, now, now
		provider := pgProvider(p.pg)
		s.record(Record{Provider: provider, Kind: KindAuthorize, IdempotencyKey: p.idemKey, PaymentKey: p.key, OrderID: p.orderID, Amount: p.amount, Currency: p.currency,
			TaxFreeAmount: p.taxFree, InstallmentMonths: p.installment.months, InterestFree: p.installment.interestFree})
		s.record(Record{Provider: provider, Kind: KindCapture, IdempotencyKey: p.idemKey, PaymentKey: p.key, OrderID: p.orderID, Amount: p.amount, Currency: p.currency, TaxFreeAmount: p.taxFree})
	}
	s.announceLocked(p)
}

// BankWebhookEvent is the bank's notice that a transfer completed. Like many
// Korean firm-banking APIs, the sandbox bank does not sign it: the receiver must
// confirm it by querying the transaction before trusting it.
type BankWebhookEvent struct {
	EventID        string    `json:"event_id"`
	Type           string    `json:"type"` // transfer.completed
	IdempotencyKey string    `json:"idempotency_key"`
	TransactionID  string    `json:"transaction_id"`
	Amount         int64     `json:"amount"`
	Currency       string    `json:"currency"`
	Status         string    `json:"status"`
	At             time.Time `json:"at"`
}

// sendWebhook POSTs ev, signed, retrying with backoff (5 tries) until a 2xx answer.
func (s *Server) sendWebhook(cfg WebhookConfig, pg string, ev WebhookEvent) {
	body, _ := json.Marshal(ev)
	s.deliverWebhook(cfg, pg, ev.EventID, body, true)
}

// sendBankWebhook POSTs the bank's unsigned notice to {url}/bank.
func (s *Server) sendBankWebhook(cfg WebhookConfig, ev BankWebhookEvent) {
	body, _ := json.Marshal(ev)
	s.deliverWebhook(cfg, ProviderBank, ev.EventID, body, false)
}

func (s *Server) deliverWebhook(cfg WebhookConfig, path, eventID string, body []byte, sign bool) {
	s.deliverSigned(cfg.URL, path, eventID, body, func() http.Header {
		h := http.Header{}
		if sign && cfg.Secret != "" {
			h.Set(HeaderPGSignature, signature.Header(time.Now().Unix(), body, []byte(cfg.Secret)))
		}
		return h
	})
}

// deliverSigned POSTs body to {url}/{path} with the headers sign builds for
// each try, retrying with backoff (5 tries) until a 2xx answer.
func (s *Server) deliverSigned(url, path, eventID string, body []byte, sign func() http.Header) {
	if url == "" {
		return
	}
	wait := 100 * time.Millisecond
	for try := 0; try < 5; try++ {
		if s.postWebhook(url, path, body, sign()) {
			return
		}
		time.Sleep(wait)
		wait *= 2
	}
	s.log.Warn().Str("event_id", eventID).Msg("webhook not delivered")
}

func (s *Server) postWebhook(url, pg string, body []byte, h http.Header) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(url, "/")+"/"+pg, bytes.NewReader(body))
	if err != nil {
		return false
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode >= 200 && res.StatusCode < 300
}

// PUT /admin/webhooks sets where webhooks go and their secret.
func (s *Server) adminSetWebhooks(w http.ResponseWriter, r *http.Request) {
	var cfg WebhookConfig
	if rep, ok := decode(r, &cfg); !ok {
		writeReply(w, rep)
		return
	}
	s.mu.Lock()
	s.webhook = cfg
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// SetWebhooks points the PGs' webhooks at url ({url}/{pg}) signed with secret.
func (a *AdminClient) SetWebhooks(ctx context.Context, cfg WebhookConfig) error {
	return a.do(ctx, http.MethodPut, "/admin/webhooks", cfg, nil)
}
