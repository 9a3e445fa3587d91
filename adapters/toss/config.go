package toss

import (
	"errors"
	"net/url"
	"strings"
)

// Config is one Toss merchant account.
type Config struct {
	Name      string // paysaga's PG name ("alpha"): ledger accounts and routing
	BaseURL   string // https://api.tosspayments.com, or the sandbox's http://127.0.0.1:8090/toss/alpha
	SecretKey string // test_sk_... or live_sk_...: a secret, never logged
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("toss: a PG name is required"))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, errors.New("toss: the base URL must be an http(s) URL"))
	}
	if !strings.HasPrefix(c.SecretKey, "test_") && !strings.HasPrefix(c.SecretKey, "live_") {
		// Toss keys say their environment in their prefix: test_sk_, live_sk_ (and _gsk_).
		errs = append(errs, errors.New("toss: the secret key must start with test_ or live_"))
	}
	return errors.Join(errs...)
}

// String names the account without its secret, for logs.
func (c Config) String() string { return "toss " + c.Name + " at " + c.BaseURL }
