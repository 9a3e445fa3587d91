package portone

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"time"
)

// Config is one PortOne store.
type Config struct {
	Name      string // paysaga's PG name ("beta")
	BaseURL   string // https://api.portone.io, or the sandbox's http://127.0.0.1:8090/portone/beta
	APISecret string // V2 API secret: a secret, never logged
	StoreID   string // store-...; empty: the secret's own store
	// WebhookSecret verifies webhooks: "whsec_" + base64 key, as PortOne's
	// console shows it. A secret, never logged.
	WebhookSecret string
	// ReceiptChannelKey is the channel cash receipts are issued through
	// (POST /cash-receipts channelKey); empty: this store issues none.
	ReceiptChannelKey string
	// WebhookTolerance is how far a webhook's timestamp may be from now (default 5 min).
	WebhookTolerance time.Duration
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("portone: a PG name is required"))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, errors.New("portone: the base URL must be an http(s) URL"))
	}
	if len(c.APISecret) < 16 {
		errs = append(errs, errors.New("portone: the API secret must be at least 16 characters"))
	}
	if _, err := webhookKey(c.WebhookSecret); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// String names the store without its secrets, for logs.
func (c Config) String() string { return "portone " + c.Name + " at " + c.BaseURL }

// webhookKey decodes a "whsec_" secret into its HMAC key.
func webhookKey(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return nil, errors.New("portone: the webhook secret must start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(key) < 16 {
		return nil, errors.New("portone: the webhook secret must be whsec_ and at least 16 bytes in base64")
	}
	return key, nil
}
