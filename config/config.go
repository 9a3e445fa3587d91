// Package config reads paysaga's settings from the environment into one typed
// struct, with defaults, and validates them so a bad value stops start-up early.
package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paysaga/paysaga/pii"
)

// Config is every setting paysaga reads. Each field names its variable.
type Config struct {
	DatabaseURL       string // DATABASE_URL
	TemporalAddress   string // TEMPORAL_ADDRESS
	TemporalNamespace string // TEMPORAL_NAMESPACE
	// Temporal Cloud or a cluster with mTLS: client certificate and key files
	// (TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY), an optional CA file
	// (TEMPORAL_TLS_CA), or an API key (TEMPORAL_API_KEY, which implies TLS).
	TemporalTLSCert, TemporalTLSKey, TemporalTLSCA, TemporalAPIKey string
	TaskQueue                                                      string // PAYSAGA_TASK_QUEUE
	HTTPAddr                                                       string // PAYSAGA_HTTP_ADDR
	SimAddr                                                        string // PAYSAGA_SIM_ADDR: where `paysaga sim` listens
	SimURL                                                         string // PAYSAGA_SIM_URL: where the adapters reach the sandbox
	SimWebhookURL                                                  string // PAYSAGA_SIM_WEBHOOK_URL: where `paysaga sim` POSTs PG webhooks ({url}/{pg}); empty: none
	PGPrimary                                                      string // PAYSAGA_PG_PRIMARY: name of the primary PG
	PGSecondary                                                    string // PAYSAGA_PG_SECONDARY: failover PG; empty disables failover
	// PGConnectors (PAYSAGA_PG_CONNECTORS, "alpha=toss,beta=portone") names the
	// wire protocol each PG speaks: toss (Toss Payments core API v1), portone
	// (PortOne V2) or paysaga (the sandbox's original protocol, for tests of a PG
	// with separate capture and PG-Signature webhooks).
	PGConnectors map[string]string
	// PGURLs (PAYSAGA_PG_{NAME}_URL) is each PG's base URL; empty: the sandbox's
	// prefix for its protocol (SimURL + /toss/{name} or /pg/{name}).
	PGURLs map[string]string
	// PGSecretKeys (PAYSAGA_PG_{NAME}_SECRET_KEY) are the merchant's API secrets.
	// Secrets: never logged, never passed to a workflow.
	PGSecretKeys map[string]string
	// PGStoreIDs (PAYSAGA_PG_{NAME}_STORE_ID): a PortOne store id; empty: the secret's store.
	PGStoreIDs map[string]string
	// PGReceiptChannelKeys (PAYSAGA_PG_{NAME}_RECEIPT_CHANNEL_KEY): the PortOne
	// channel cash receipts are issued through; empty: the sandbox's.
	PGReceiptChannelKeys map[string]string
	// PGWebhookSecrets (PAYSAGA_PG_{NAME}_WEBHOOK_SECRET): a PortOne webhook
	// secret (whsec_...). A secret.
	PGWebhookSecrets map[string]string
	// IdentityConnector (PAYSAGA_IDENTITY_CONNECTOR) is the identity provider's
	// protocol: paysaga (the sandbox's own /identity/v1, the default) or portone
	// (PortOne V2 identity verification, SMS). For portone: its base URL
	// (PAYSAGA_IDENTITY_URL; default the sandbox's /portone/identity), API
	// secret (PAYSAGA_IDENTITY_SECRET_KEY, a secret), store id
	// (PAYSAGA_IDENTITY_STORE_ID) and channel key (PAYSAGA_IDENTITY_CHANNEL_KEY).
	IdentityConnector, IdentityURL, IdentitySecretKey, IdentityStoreID, IdentityChannelKey string
	ProviderTimeout                                                                        time.Duration // PAYSAGA_PROVIDER_TIMEOUT: one provider HTTP call
	CheckoutBudget                                                                         time.Duration // PAYSAGA_CHECKOUT_BUDGET: how long POST /v1/checkouts waits for the result
	// IdempotencyLease is how long an Idempotency-Key claim outlives its holder's
	// last renewal (PAYSAGA_IDEMPOTENCY_LEASE); a live holder renews it every third of it.
	IdempotencyLease time.Duration
	// RiskRuleCacheTTL is how long the API keeps ops' enabled step-up rules in
	// memory (PAYSAGA_RISK_RULE_CACHE_TTL): a rule changed through another
	// process applies to step-up within it (at once through this one); 0
	// reads them on every checkout.
	RiskRuleCacheTTL time.Duration
	// APIKeyCacheTTL is how long the API trusts a key it looked up
	// (PAYSAGA_API_KEY_CACHE_TTL): a revoked key stops working within it; 0 looks every request up.
	APIKeyCacheTTL time.Duration
	FeeBPS         int64    // PAYSAGA_FEE_BPS: platform fee in basis points (300 = 3%)
	MaxAmount      int64    // PAYSAGA_MAX_AMOUNT: largest accepted amount, minor units
	Currencies     []string // PAYSAGA_CURRENCIES: accepted ISO 4217 codes, comma separated
	BodyLimitBytes int64    // PAYSAGA_BODY_LIMIT_BYTES
	LogLevel       string   // PAYSAGA_LOG_LEVEL
	EmbedWorker    bool     // PAYSAGA_EMBED_WORKER: run a worker inside the API process (eager start)
	// DrainDelay (PAYSAGA_DRAIN_DELAY): after SIGTERM the API answers /readyz 503
	// for this long before it stops accepting connections, so a load balancer
	// takes it out of rotation first (Kubernetes: a few seconds; make dev: 0).
	DrainDelay time.Duration
	// WorkerStopTimeout (PAYSAGA_WORKER_STOP_TIMEOUT): after SIGTERM a worker
	// stops polling at once and gives in-flight activities this long to finish;
	// past it their contexts are cancelled and Temporal retries them elsewhere.
	WorkerStopTimeout time.Duration
	MetricsAddr       string   // PAYSAGA_METRICS_ADDR: where `paysaga worker` serves /metrics and /healthz; empty: none
	RateLimit         int64    // PAYSAGA_RATE_LIMIT: requests per second per API key (burst twice that); 0 = unlimited
	RateLimitStore    string   // PAYSAGA_RATE_LIMIT_STORE: postgres (shared by every API process, the default) or memory (per process)
	CodecKeys         string   // PAYSAGA_CODEC_KEYS: "id:base64,..." payload encryption keys, active first
	CodecAddr         string   // PAYSAGA_CODEC_ADDR: where the codec server listens; empty disables it
	CodecOrigins      []string // PAYSAGA_CODEC_CORS_ORIGINS: Temporal UI origins allowed to call it

	// Worker sizes the Temporal worker and the pgx pool (config/worker.go).
	Worker WorkerTuning

	WalletCap           int64         // PAYSAGA_WALLET_CAP: largest wallet balance, minor units
	WalletDailyTopUp    int64         // PAYSAGA_WALLET_DAILY_TOPUP: top-ups per customer per day (Asia/Seoul), minor units
	WalletTopUpsPerHour int64         // PAYSAGA_WALLET_TOPUPS_PER_HOUR: top-ups a customer may start per hour; 0 = unlimited
	IdentityCodeTTL     time.Duration // PAYSAGA_IDENTITY_CODE_TTL: how long a verification waits for the code
	IdentityMaxAttempts int64         // PAYSAGA_IDENTITY_MAX_ATTEMPTS: codes tried before a verification fails
	EventPollInterval   time.Duration // PAYSAGA_EVENT_POLL_INTERVAL: how often the outbox relay looks for new events
	EventRetryInitial   time.Duration // PAYSAGA_EVENT_RETRY_INITIAL: first wait after a failed event delivery
	EventRetryMax       time.Duration // PAYSAGA_EVENT_RETRY_MAX: longest wait between delivery attempts
	EventMaxAttempts    int64         // PAYSAGA_EVENT_MAX_ATTEMPTS: attempts per event and endpoint before giving up
	EventTimeout        time.Duration // PAYSAGA_EVENT_TIMEOUT: one delivery attempt

	// The endpoint delivery loop (issue 19): consecutive outage failures
	// (no answer, 5xx, 408, 429) that open an endpoint's circuit breaker, the
	// first cool-down before a probe (doubling up to PAYSAGA_EVENT_RETRY_MAX),
	// and the pause between two requests to one endpoint.
	EventBreakerFailures int64         // PAYSAGA_EVENT_BREAKER_FAILURES
	EventBreakerCooldown time.Duration // PAYSAGA_EVENT_BREAKER_COOLDOWN
	EventPace            time.Duration // PAYSAGA_EVENT_PACE

	// WebhookAllowInternal (PAYSAGA_WEBHOOK_ALLOW_INTERNAL) lets event delivery
	// reach loopback and private addresses; off in production (SSRF), on under
	// `paysaga dev` and in tests, whose receivers are local.
	WebhookAllowInternal bool
	WebhookSecretGrace   time.Duration // PAYSAGA_WEBHOOK_SECRET_GRACE: how long a rotated-out secret still signs
	PGWebhookSecret      string        // PAYSAGA_PG_WEBHOOK_SECRET: verifies the PGs' webhooks (PG-Signature)
	WebhookTolerance     time.Duration // PAYSAGA_WEBHOOK_TOLERANCE: how old (or early) a signed webhook may be
	ConsoleIdleTimeout   time.Duration // PAYSAGA_CONSOLE_IDLE_TIMEOUT: a /console session unused this long ends
	AsyncAuthTimeout     time.Duration // PAYSAGA_ASYNC_AUTH_TIMEOUT: wait for a pending authorization's webhook before querying the PG
	PGFeeBPS             int64         // PAYSAGA_PG_FEE_BPS: the PGs' contracted fee on captures, checked by reconciliation
	ReconCron            string        // PAYSAGA_RECON_CRON: daily reconciliation schedule (UTC cron); empty disables it
	// Marketplace settlement (issue 13).
	AutoConfirmDays        int64 // PAYSAGA_AUTO_CONFIRM_DAYS: a delivered item auto-confirms (구매확정) this many days later
	SettlementDeadlineDays int64 // PAYSAGA_SETTLEMENT_DEADLINE_DAYS: a confirmed sale must be paid within this many days
	// AutoConfirmAfter (PAYSAGA_AUTO_CONFIRM_AFTER, a duration) overrides
	// AutoConfirmDays when set: for demos and tests, never production.
	AutoConfirmAfter  time.Duration
	DeadlineCheckCron string // PAYSAGA_DEADLINE_CHECK_CRON: daily settlement deadline check (UTC cron); empty disables it
	// PIIKey (PAYSAGA_PII_KEY) keys the HMAC of CI/DI and the sealing of bank
	// account numbers. The default is for development only.
	PIIKey string
	// PIISealKeys (PAYSAGA_PII_SEAL_KEYS, "id:secret,...", active first) are the
	// sealing keyring during and after a rotation; empty seals under key "v0"
	// derived from PIIKey. See docs/operations.md "Rotating the PII sealing key".
	PIISealKeys string

	// Payment PIN, step-up and risk (see docs/risk.md).
	StepUpAmount        int64         // PAYSAGA_STEP_UP_AMOUNT: checkouts of this amount or more need the PIN; 0 = never by amount
	PINMaxAttempts      int64         // PAYSAGA_PIN_MAX_ATTEMPTS: wrong PINs in a row that lock the PIN
	PINLockDuration     time.Duration // PAYSAGA_PIN_LOCK_DURATION: how long a locked PIN refuses every try
	PINTokenTTL         time.Duration // PAYSAGA_PIN_TOKEN_TTL: how long a PIN token from POST .../pin/verify is good for
	PINResetWindow      time.Duration // PAYSAGA_PIN_RESET_WINDOW: how recent the identity verification of a PIN reset must be
	CardTestingDeclines int64         // PAYSAGA_CARD_TESTING_DECLINES: declines within the window that block a customer; 0 = off
	CardTestingWindow   time.Duration // PAYSAGA_CARD_TESTING_WINDOW
	CardTestingBlockFor time.Duration // PAYSAGA_CARD_TESTING_BLOCK_FOR: how long the automatic block lasts
	FourEyesThreshold   int64         // PAYSAGA_FOUR_EYES_THRESHOLD: payouts above it need two finance keys' approvals; 0 = one is enough

	// InterestFreePlans (PAYSAGA_INTEREST_FREE_PLANS, "issuer:min_amount:months,...",
	// e.g. "shinhan:50000:2-3"): finance's interest-free installment plans (issue 15).
	InterestFreePlans []InterestFreePlan

	// Points (issue 15). PointsEarnBPS (PAYSAGA_POINTS_EARN_BPS): points earned
	// on a captured card part, basis points; 0 = no points. PointsValidity
	// (PAYSAGA_POINTS_VALIDITY): how long earned points last (5 years).
	// PointsExpiryNotice (PAYSAGA_POINTS_EXPIRY_NOTICE): points.expiring goes
	// out this long before (30 days). PointsExpiryCron
	// (PAYSAGA_POINTS_EXPIRY_CRON, UTC): the daily run; empty disables it.
	PointsEarnBPS      int64
	PointsValidity     time.Duration
	PointsExpiryNotice time.Duration
	PointsExpiryCron   string
	// PointsEarnAt (PAYSAGA_POINTS_EARN_AT): confirmation (default) earns a
	// checkout's points per item at its purchase confirmation (구매확정);
	// capture earns them all when the card part is captured.
	PointsEarnAt string
	// SafeguardingCron (PAYSAGA_SAFEGUARDING_CRON, UTC): the daily safeguarding
	// report; empty disables it.
	SafeguardingCron string
	// MembershipDunning (PAYSAGA_MEMBERSHIP_DUNNING, "24h,72h,168h"): when a
	// declined membership charge is retried, after the first attempt; after
	// the last retry fails the membership is suspended.
	MembershipDunning []time.Duration
	// Wallet balance refunds (잔액 환불): the smallest refund
	// (PAYSAGA_WALLET_REFUND_MIN), the fee taken from it
	// (PAYSAGA_WALLET_REFUND_FEE) and whether only identity-verified customers
	// may ask (PAYSAGA_WALLET_REFUND_VERIFIED_ONLY).
	WalletRefundMin          int64
	WalletRefundFee          int64
	WalletRefundVerifiedOnly bool

	// Cash receipts (issue 14). CashReceiptAt (PAYSAGA_CASH_RECEIPT_AT): when
	// wallet money is receipted: at top-up (topup, the default) or when spent
	// (spend), never both. CashReceiptPGs (PAYSAGA_CASH_RECEIPT_PGS, "alpha,beta"):
	// the connectors asked, in order, for one that issues receipts; empty: the PG
	// routing order (the PG that served a payment always goes first).
	// CashReceiptRetryEvery (PAYSAGA_CASH_RECEIPT_RETRY_EVERY, 10m): the wait
	// between rounds of retries while the receipt PG is down.
	// CashReceiptPollEvery (PAYSAGA_CASH_RECEIPT_POLL_EVERY, 1m): the first wait
	// for the NTS's registration, doubling to an hour.
	CashReceiptAt         string
	CashReceiptPGs        []string
	CashReceiptRetryEvery time.Duration
	CashReceiptPollEvery  time.Duration
}

// Values of PAYSAGA_CASH_RECEIPT_AT.
const (
	CashReceiptAtTopUp = "topup"
	CashReceiptAtSpend = "spend"
)

// ReceiptPGs is the receipt connectors' order: configured, or the routing order.
func (c Config) ReceiptPGs() []string {
	if len(c.CashReceiptPGs) > 0 {
		return c.CashReceiptPGs
	}
	return c.PGs()
}

// DevPIIKey is the development PII key; a production deployment sets its own.
const DevPIIKey = "paysaga-dev-pii-key-do-not-use-in-production"

// DevTossSecretKey is the Toss-protocol secret the sandbox accepts in development
// (Toss test keys start with test_sk_).
const DevTossSecretKey = "test_sk_paysaga_sandbox"

// DevPortOneSecret and DevPortOneWebhookSecret are the PortOne-protocol secrets
// of development (the sandbox accepts API secrets starting portone-sandbox-).
const (
	DevPortOneSecret        = "portone-sandbox-dev-api-secret"
	DevPortOneWebhookSecret = "whsec_cGF5c2FnYS1kZXYtcG9ydG9uZS13ZWJob29rLWtleQ=="
)

// Connector names in PAYSAGA_PG_CONNECTORS.
const (
	ConnectorToss    = "toss"
	ConnectorPortOne = "portone"
	ConnectorPaysaga = "paysaga"
)

// DevPGWebhookSecret is the secret the sandbox's PGs sign webhooks with in development.
const DevPGWebhookSecret = "paysaga-dev-pg-webhook-secret"

// Default returns the settings `make dev` uses.
func Default() Config {
	return Config{
		DatabaseURL:       "postgres://paysaga@127.0.0.1:55432/paysaga?sslmode=disable",
		TemporalAddress:   "127.0.0.1:7233",
		TemporalNamespace: "default",
		TaskQueue:         "paysaga",
		HTTPAddr:          ":8080",
		SimAddr:           "127.0.0.1:8090",
		SimURL:            "http://127.0.0.1:8090",
		SimWebhookURL:     "http://127.0.0.1:8080/v1/webhooks",
		PGPrimary:         "alpha",
		PGSecondary:       "beta",
		PGConnectors:      map[string]string{"alpha": ConnectorToss, "beta": ConnectorPortOne},
		ProviderTimeout:   3 * time.Second,
		CheckoutBudget:    8 * time.Second,
		IdempotencyLease:  3 * time.Second,
		APIKeyCacheTTL:    5 * time.Second,
		RiskRuleCacheTTL:  5 * time.Second,
		FeeBPS:            300,
		MaxAmount:         10_000_000,
		Currencies:        []string{"KRW"},
		BodyLimitBytes:    64 << 10,
		LogLevel:          "info",
		EmbedWorker:       true,
		WorkerStopTimeout: 10 * time.Second,
		RateLimit:         100,
		RateLimitStore:    "postgres",
		CodecAddr:         "127.0.0.1:8081",
		CodecOrigins:      []string{"http://localhost:8233"},

		WalletCap:           2_000_000,
		WalletDailyTopUp:    1_000_000,
		WalletTopUpsPerHour: 10,
		IdentityCodeTTL:     3 * time.Minute,
		IdentityMaxAttempts: 5,
		PIIKey:              DevPIIKey,
		StepUpAmount:        300_000,
		PINMaxAttempts:      5,
		PINLockDuration:     30 * time.Minute,
		PINTokenTTL:         5 * time.Minute,
		PINResetWindow:      10 * time.Minute,
		CardTestingDeclines: 10,
		CardTestingWindow:   10 * time.Minute,
		CardTestingBlockFor: 24 * time.Hour,
		FourEyesThreshold:   5_000_000,
		EventPollInterval:   time.Second,
		EventRetryInitial:   10 * time.Second,
		EventRetryMax:       time.Hour,
		EventMaxAttempts:    15, // about 18 hours of trying with the defaults
		EventTimeout:        10 * time.Second,
		WebhookSecretGrace:  24 * time.Hour,
		PGWebhookSecret:     DevPGWebhookSecret,
		WebhookTolerance:    5 * time.Minute,
		ConsoleIdleTimeout:  30 * time.Minute,
		AsyncAuthTimeout:    10 * time.Minute,
		PGFeeBPS:            250,
		ReconCron:           "0 19 * * *", // 04:00 in Korea, for the day before

		EventBreakerFailures: 5,
		EventBreakerCooldown: 30 * time.Second,
		EventPace:            10 * time.Millisecond, // at most 100 requests/s to one endpoint

		AutoConfirmDays:        7,
		SettlementDeadlineDays: 20,
		DeadlineCheckCron:      "0 0 * * *", // 09:00 in Korea

		PointsValidity:     5 * 365 * 24 * time.Hour,
		PointsEarnAt:       PointsAtConfirmation,
		PointsExpiryNotice: 30 * 24 * time.Hour,
		PointsExpiryCron:   "0 15 * * *",  // 00:00 in Korea
		SafeguardingCron:   "30 15 * * *", // 00:30 in Korea, after the points run

		MembershipDunning:        []time.Duration{24 * time.Hour, 72 * time.Hour, 168 * time.Hour},
		WalletRefundMin:          1000,
		WalletRefundVerifiedOnly: true,
		CashReceiptAt:            CashReceiptAtTopUp,
		CashReceiptRetryEvery:    10 * time.Minute,
		CashReceiptPollEvery:     time.Minute,
	}
}

// FromEnv reads the environment over the defaults and validates the result.
func FromEnv() (Config, error) {
	return Parse(os.LookupEnv)
}

// Parse is FromEnv with the lookup passed in, so tests need not touch the process env.
func Parse(lookupEnv func(string) (string, bool)) (Config, error) {
	getenv := func(name string) string {
		v, _ := lookupEnv(name)
		return v
	}
	c := Default()
	var errs []error
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	dur := func(name string, dst *time.Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = d
		}
	}
	num := func(name string, dst *int64) {
		if v := getenv(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = n
		}
	}
	str("DATABASE_URL", &c.DatabaseURL)
	str("TEMPORAL_ADDRESS", &c.TemporalAddress)
	str("TEMPORAL_NAMESPACE", &c.TemporalNamespace)
	str("TEMPORAL_TLS_CERT", &c.TemporalTLSCert)
	str("TEMPORAL_TLS_KEY", &c.TemporalTLSKey)
	str("TEMPORAL_TLS_CA", &c.TemporalTLSCA)
	str("TEMPORAL_API_KEY", &c.TemporalAPIKey)
	str("PAYSAGA_TASK_QUEUE", &c.TaskQueue)
	str("PAYSAGA_HTTP_ADDR", &c.HTTPAddr)
	str("PAYSAGA_SIM_ADDR", &c.SimAddr)
	str("PAYSAGA_SIM_URL", &c.SimURL)
	if v, ok := lookupEnv("PAYSAGA_SIM_WEBHOOK_URL"); ok { // set but empty: the sandbox sends no webhooks
		c.SimWebhookURL = v
	}
	str("PAYSAGA_IDENTITY_CONNECTOR", &c.IdentityConnector)
	str("PAYSAGA_IDENTITY_URL", &c.IdentityURL)
	str("PAYSAGA_IDENTITY_SECRET_KEY", &c.IdentitySecretKey)
	str("PAYSAGA_IDENTITY_STORE_ID", &c.IdentityStoreID)
	str("PAYSAGA_IDENTITY_CHANNEL_KEY", &c.IdentityChannelKey)
	str("PAYSAGA_PG_PRIMARY", &c.PGPrimary)
	if v, ok := lookupEnv("PAYSAGA_PG_SECONDARY"); ok { // set but empty disables failover
		c.PGSecondary = v
	}
	if v := getenv("PAYSAGA_PG_CONNECTORS"); v != "" {
		m, err := parsePairs(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("PAYSAGA_PG_CONNECTORS: %w", err))
		}
		c.PGConnectors = m
	}
	for _, name := range c.PGs() {
		env := "PAYSAGA_PG_" + strings.ToUpper(name)
		if v := getenv(env + "_URL"); v != "" {
			c.PGURLs = withEntry(c.PGURLs, name, v)
		}
		if v := getenv(env + "_SECRET_KEY"); v != "" {
			c.PGSecretKeys = withEntry(c.PGSecretKeys, name, v)
		}
		if v := getenv(env + "_STORE_ID"); v != "" {
			c.PGStoreIDs = withEntry(c.PGStoreIDs, name, v)
		}
		if v := getenv(env + "_RECEIPT_CHANNEL_KEY"); v != "" {
			c.PGReceiptChannelKeys = withEntry(c.PGReceiptChannelKeys, name, v)
		}
		if v := getenv(env + "_WEBHOOK_SECRET"); v != "" {
			c.PGWebhookSecrets = withEntry(c.PGWebhookSecrets, name, v)
		}
	}
	dur("PAYSAGA_PROVIDER_TIMEOUT", &c.ProviderTimeout)
	dur("PAYSAGA_CHECKOUT_BUDGET", &c.CheckoutBudget)
	dur("PAYSAGA_IDEMPOTENCY_LEASE", &c.IdempotencyLease)
	dur("PAYSAGA_API_KEY_CACHE_TTL", &c.APIKeyCacheTTL)
	dur("PAYSAGA_RISK_RULE_CACHE_TTL", &c.RiskRuleCacheTTL)
	dur("PAYSAGA_DRAIN_DELAY", &c.DrainDelay)
	dur("PAYSAGA_WORKER_STOP_TIMEOUT", &c.WorkerStopTimeout)
	errs = append(errs, parseWorkerTuning(getenv, &c.Worker)...)
	num("PAYSAGA_FEE_BPS", &c.FeeBPS)
	num("PAYSAGA_MAX_AMOUNT", &c.MaxAmount)
	num("PAYSAGA_BODY_LIMIT_BYTES", &c.BodyLimitBytes)
	num("PAYSAGA_RATE_LIMIT", &c.RateLimit)
	str("PAYSAGA_RATE_LIMIT_STORE", &c.RateLimitStore)
	if v := getenv("PAYSAGA_CURRENCIES"); v != "" {
		c.Currencies = strings.Split(v, ",")
	}
	str("PAYSAGA_LOG_LEVEL", &c.LogLevel)
	str("PAYSAGA_CODEC_KEYS", &c.CodecKeys)
	str("PAYSAGA_METRICS_ADDR", &c.MetricsAddr)
	if v, ok := lookupEnv("PAYSAGA_CODEC_ADDR"); ok { // set but empty disables the codec server
		c.CodecAddr = v
	}
	if v := getenv("PAYSAGA_CODEC_CORS_ORIGINS"); v != "" {
		c.CodecOrigins = strings.Split(v, ",")
	}
	if v := getenv("PAYSAGA_EMBED_WORKER"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("PAYSAGA_EMBED_WORKER: %w", err))
		}
		c.EmbedWorker = b
	}
	num("PAYSAGA_WALLET_CAP", &c.WalletCap)
	num("PAYSAGA_WALLET_DAILY_TOPUP", &c.WalletDailyTopUp)
	num("PAYSAGA_WALLET_TOPUPS_PER_HOUR", &c.WalletTopUpsPerHour)
	dur("PAYSAGA_IDENTITY_CODE_TTL", &c.IdentityCodeTTL)
	num("PAYSAGA_IDENTITY_MAX_ATTEMPTS", &c.IdentityMaxAttempts)
	str("PAYSAGA_PII_KEY", &c.PIIKey)
	str("PAYSAGA_PII_SEAL_KEYS", &c.PIISealKeys)
	num("PAYSAGA_STEP_UP_AMOUNT", &c.StepUpAmount)
	num("PAYSAGA_PIN_MAX_ATTEMPTS", &c.PINMaxAttempts)
	dur("PAYSAGA_PIN_LOCK_DURATION", &c.PINLockDuration)
	dur("PAYSAGA_PIN_TOKEN_TTL", &c.PINTokenTTL)
	dur("PAYSAGA_PIN_RESET_WINDOW", &c.PINResetWindow)
	num("PAYSAGA_CARD_TESTING_DECLINES", &c.CardTestingDeclines)
	dur("PAYSAGA_CARD_TESTING_WINDOW", &c.CardTestingWindow)
	dur("PAYSAGA_CARD_TESTING_BLOCK_FOR", &c.CardTestingBlockFor)
	num("PAYSAGA_FOUR_EYES_THRESHOLD", &c.FourEyesThreshold)
	num("PAYSAGA_POINTS_EARN_BPS", &c.PointsEarnBPS)
	dur("PAYSAGA_POINTS_VALIDITY", &c.PointsValidity)
	str("PAYSAGA_POINTS_EARN_AT", &c.PointsEarnAt)
	dur("PAYSAGA_POINTS_EXPIRY_NOTICE", &c.PointsExpiryNotice)
	if v, ok := lookupEnv("PAYSAGA_POINTS_EXPIRY_CRON"); ok { // set but empty disables the run
		c.PointsExpiryCron = v
	}
	if v, ok := lookupEnv("PAYSAGA_SAFEGUARDING_CRON"); ok { // set but empty disables the report
		c.SafeguardingCron = v
	}
	if v := getenv("PAYSAGA_MEMBERSHIP_DUNNING"); v != "" {
		d, err := parseDunning(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("PAYSAGA_MEMBERSHIP_DUNNING: %w", err))
		}
		c.MembershipDunning = d
	}
	num("PAYSAGA_WALLET_REFUND_MIN", &c.WalletRefundMin)
	num("PAYSAGA_WALLET_REFUND_FEE", &c.WalletRefundFee)
	if v := getenv("PAYSAGA_WALLET_REFUND_VERIFIED_ONLY"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("PAYSAGA_WALLET_REFUND_VERIFIED_ONLY: %w", err))
		}
		c.WalletRefundVerifiedOnly = b
	}
	str("PAYSAGA_CASH_RECEIPT_AT", &c.CashReceiptAt)
	if v := getenv("PAYSAGA_CASH_RECEIPT_PGS"); v != "" {
		c.CashReceiptPGs = strings.Split(v, ",")
	}
	dur("PAYSAGA_CASH_RECEIPT_RETRY_EVERY", &c.CashReceiptRetryEvery)
	dur("PAYSAGA_CASH_RECEIPT_POLL_EVERY", &c.CashReceiptPollEvery)
	if v := getenv("PAYSAGA_INTEREST_FREE_PLANS"); v != "" {
		plans, err := parseInterestFreePlans(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("PAYSAGA_INTEREST_FREE_PLANS: %w", err))
		}
		c.InterestFreePlans = plans
	}
	dur("PAYSAGA_EVENT_POLL_INTERVAL", &c.EventPollInterval)
	dur("PAYSAGA_EVENT_RETRY_INITIAL", &c.EventRetryInitial)
	dur("PAYSAGA_EVENT_RETRY_MAX", &c.EventRetryMax)
	num("PAYSAGA_EVENT_MAX_ATTEMPTS", &c.EventMaxAttempts)
	dur("PAYSAGA_EVENT_TIMEOUT", &c.EventTimeout)
	num("PAYSAGA_EVENT_BREAKER_FAILURES", &c.EventBreakerFailures)
	dur("PAYSAGA_EVENT_BREAKER_COOLDOWN", &c.EventBreakerCooldown)
	dur("PAYSAGA_EVENT_PACE", &c.EventPace)
	if v := getenv("PAYSAGA_WEBHOOK_ALLOW_INTERNAL"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("PAYSAGA_WEBHOOK_ALLOW_INTERNAL: %w", err))
		}
		c.WebhookAllowInternal = b
	}
	dur("PAYSAGA_WEBHOOK_SECRET_GRACE", &c.WebhookSecretGrace)
	str("PAYSAGA_PG_WEBHOOK_SECRET", &c.PGWebhookSecret)
	dur("PAYSAGA_WEBHOOK_TOLERANCE", &c.WebhookTolerance)
	dur("PAYSAGA_CONSOLE_IDLE_TIMEOUT", &c.ConsoleIdleTimeout)
	dur("PAYSAGA_ASYNC_AUTH_TIMEOUT", &c.AsyncAuthTimeout)
	num("PAYSAGA_PG_FEE_BPS", &c.PGFeeBPS)
	num("PAYSAGA_AUTO_CONFIRM_DAYS", &c.AutoConfirmDays)
	num("PAYSAGA_SETTLEMENT_DEADLINE_DAYS", &c.SettlementDeadlineDays)
	dur("PAYSAGA_AUTO_CONFIRM_AFTER", &c.AutoConfirmAfter)
	if v, ok := lookupEnv("PAYSAGA_DEADLINE_CHECK_CRON"); ok { // set but empty disables the check
		c.DeadlineCheckCron = v
	}
	if v, ok := lookupEnv("PAYSAGA_RECON_CRON"); ok { // set but empty disables the schedule
		c.ReconCron = v
	}
	errs = append(errs, c.Validate())
	return c, errors.Join(errs...)
}

// Validate reports every setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.CashReceiptAt != CashReceiptAtTopUp && c.CashReceiptAt != CashReceiptAtSpend {
		errs = append(errs, fmt.Errorf("PAYSAGA_CASH_RECEIPT_AT must be topup or spend, not %q", c.CashReceiptAt))
	}
	if c.CashReceiptRetryEvery <= 0 || c.CashReceiptPollEvery <= 0 {
		errs = append(errs, errors.New("PAYSAGA_CASH_RECEIPT_RETRY_EVERY and PAYSAGA_CASH_RECEIPT_POLL_EVERY must be > 0"))
	}
	for _, name := range c.CashReceiptPGs {
		if !slices.Contains(c.PGs(), name) {
			errs = append(errs, fmt.Errorf("PAYSAGA_CASH_RECEIPT_PGS: %q is not a routed PG", name))
		}
	}
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is empty"))
	}
	if c.PGPrimary == "" {
		errs = append(errs, errors.New("PAYSAGA_PG_PRIMARY is empty"))
	}
	if c.PGSecondary == c.PGPrimary {
		errs = append(errs, errors.New("PAYSAGA_PG_SECONDARY must differ from PAYSAGA_PG_PRIMARY"))
	}
	for _, name := range c.PGs() {
		switch conn := c.PGConnector(name); conn {
		case ConnectorToss:
			if k := c.PGSecretKey(name); !strings.HasPrefix(k, "test_") && !strings.HasPrefix(k, "live_") {
				errs = append(errs, fmt.Errorf("PAYSAGA_PG_%s_SECRET_KEY: a Toss secret key starts with test_ or live_", strings.ToUpper(name)))
			}
			if u := c.PGURL(name); !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				errs = append(errs, fmt.Errorf("PAYSAGA_PG_%s_URL must be an http(s) URL", strings.ToUpper(name)))
			}
		case ConnectorPortOne:
			if len(c.PGSecretKey(name)) < 16 {
				errs = append(errs, fmt.Errorf("PAYSAGA_PG_%s_SECRET_KEY: a PortOne API secret is at least 16 characters", strings.ToUpper(name)))
			}
			if !strings.HasPrefix(c.PortOneWebhookSecret(name), "whsec_") {
				errs = append(errs, fmt.Errorf("PAYSAGA_PG_%s_WEBHOOK_SECRET must be a whsec_ secret", strings.ToUpper(name)))
			}
		case ConnectorPaysaga:
		default:
			errs = append(errs, fmt.Errorf("PAYSAGA_PG_CONNECTORS: PG %s speaks %q; known: toss, portone, paysaga", name, conn))
		}
	}
	switch c.IdentityConnector {
	case "", ConnectorPaysaga:
	case ConnectorPortOne:
		if len(c.IdentitySecret()) < 16 || c.IdentityChannel() == "" {
			errs = append(errs, errors.New("PAYSAGA_IDENTITY_SECRET_KEY (16+ characters) and PAYSAGA_IDENTITY_CHANNEL_KEY are required for the portone identity connector"))
		}
	default:
		errs = append(errs, fmt.Errorf("PAYSAGA_IDENTITY_CONNECTOR: %q; known: paysaga, portone", c.IdentityConnector))
	}
	if c.ProviderTimeout <= 0 {
		errs = append(errs, errors.New("PAYSAGA_PROVIDER_TIMEOUT must be > 0"))
	}
	if c.CheckoutBudget <= 0 {
		errs = append(errs, errors.New("PAYSAGA_CHECKOUT_BUDGET must be > 0"))
	}
	if c.IdempotencyLease < 300*time.Millisecond {
		errs = append(errs, errors.New("PAYSAGA_IDEMPOTENCY_LEASE must be >= 300ms"))
	}
	if c.APIKeyCacheTTL < 0 || c.APIKeyCacheTTL > time.Minute {
		errs = append(errs, errors.New("PAYSAGA_API_KEY_CACHE_TTL must be within 0..1m (a revoked key works until it passes)"))
	}
	if c.RiskRuleCacheTTL < 0 || c.RiskRuleCacheTTL > time.Minute {
		errs = append(errs, errors.New("PAYSAGA_RISK_RULE_CACHE_TTL must be within 0..1m (a changed step-up rule applies once it passes)"))
	}
	if (c.TemporalTLSCert == "") != (c.TemporalTLSKey == "") {
		errs = append(errs, errors.New("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together"))
	}
	if c.DrainDelay < 0 || c.DrainDelay > time.Minute {
		errs = append(errs, errors.New("PAYSAGA_DRAIN_DELAY must be within 0..1m"))
	}
	if c.WorkerStopTimeout <= 0 || c.WorkerStopTimeout > 10*time.Minute {
		errs = append(errs, errors.New("PAYSAGA_WORKER_STOP_TIMEOUT must be within (0, 10m]"))
	}
	if err := c.Worker.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.FeeBPS < 0 || c.FeeBPS > 10_000 {
		errs = append(errs, fmt.Errorf("PAYSAGA_FEE_BPS=%d: must be within 0..10000", c.FeeBPS))
	}
	// The cap keeps every sum of a checkout's items far from int64 overflow.
	if c.MaxAmount <= 0 || c.MaxAmount > 1<<50 {
		errs = append(errs, fmt.Errorf("PAYSAGA_MAX_AMOUNT=%d: must be within 1..2^50", c.MaxAmount))
	}
	for _, cur := range c.Currencies {
		if len(cur) != 3 || strings.ToUpper(cur) != cur {
			errs = append(errs, fmt.Errorf("PAYSAGA_CURRENCIES: %q is not an ISO 4217 code", cur))
		}
	}
	if c.WalletCap <= 0 || c.WalletCap > 1<<50 {
		errs = append(errs, fmt.Errorf("PAYSAGA_WALLET_CAP=%d: must be within 1..2^50", c.WalletCap))
	}
	if c.WalletDailyTopUp <= 0 || c.WalletDailyTopUp > 1<<50 {
		errs = append(errs, fmt.Errorf("PAYSAGA_WALLET_DAILY_TOPUP=%d: must be within 1..2^50", c.WalletDailyTopUp))
	}
	if c.IdentityCodeTTL < time.Second {
		errs = append(errs, errors.New("PAYSAGA_IDENTITY_CODE_TTL must be >= 1s"))
	}
	if c.IdentityMaxAttempts < 1 || c.IdentityMaxAttempts > 20 {
		errs = append(errs, errors.New("PAYSAGA_IDENTITY_MAX_ATTEMPTS must be within 1..20"))
	}
	if len(c.PIIKey) < 32 {
		errs = append(errs, errors.New("PAYSAGA_PII_KEY must be at least 32 characters"))
	}
	if c.RateLimitStore != "postgres" && c.RateLimitStore != "memory" {
		errs = append(errs, fmt.Errorf("PAYSAGA_RATE_LIMIT_STORE=%q: want postgres or memory", c.RateLimitStore))
	}
	if _, err := pii.ParseSealKeys(c.PIISealKeys); err != nil {
		errs = append(errs, fmt.Errorf("PAYSAGA_PII_SEAL_KEYS: %w", err))
	}
	if c.EventPollInterval < 10*time.Millisecond {
		errs = append(errs, errors.New("PAYSAGA_EVENT_POLL_INTERVAL must be >= 10ms"))
	}
	if c.EventRetryInitial <= 0 || c.EventRetryMax < c.EventRetryInitial {
		errs = append(errs, errors.New("PAYSAGA_EVENT_RETRY_INITIAL must be > 0 and <= PAYSAGA_EVENT_RETRY_MAX"))
	}
	if c.EventMaxAttempts < 1 || c.EventMaxAttempts > 50 {
		errs = append(errs, errors.New("PAYSAGA_EVENT_MAX_ATTEMPTS must be within 1..50"))
	}
	if c.EventTimeout <= 0 || c.EventTimeout > 50*time.Second {
		errs = append(errs, errors.New("PAYSAGA_EVENT_TIMEOUT must be within 0..50s (a delivery activity has a minute)"))
	}
	if c.EventBreakerFailures < 1 || c.EventBreakerFailures > 100 {
		errs = append(errs, errors.New("PAYSAGA_EVENT_BREAKER_FAILURES must be within 1..100"))
	}
	if c.EventBreakerCooldown <= 0 || c.EventBreakerCooldown > c.EventRetryMax {
		errs = append(errs, errors.New("PAYSAGA_EVENT_BREAKER_COOLDOWN must be > 0 and <= PAYSAGA_EVENT_RETRY_MAX"))
	}
	if c.EventPace < 0 || c.EventPace > 10*time.Second {
		errs = append(errs, errors.New("PAYSAGA_EVENT_PACE must be within 0..10s"))
	}
	if c.WebhookSecretGrace < 0 {
		errs = append(errs, errors.New("PAYSAGA_WEBHOOK_SECRET_GRACE must be >= 0"))
	}
	if len(c.PGWebhookSecret) < 16 {
		errs = append(errs, errors.New("PAYSAGA_PG_WEBHOOK_SECRET must be at least 16 characters"))
	}
	if c.ConsoleIdleTimeout < time.Minute || c.ConsoleIdleTimeout > 12*time.Hour {
		errs = append(errs, errors.New("PAYSAGA_CONSOLE_IDLE_TIMEOUT must be within 1m..12h"))
	}
	if c.WebhookTolerance < time.Second {
		errs = append(errs, errors.New("PAYSAGA_WEBHOOK_TOLERANCE must be >= 1s"))
	}
	if c.AsyncAuthTimeout < time.Second {
		errs = append(errs, errors.New("PAYSAGA_ASYNC_AUTH_TIMEOUT must be >= 1s"))
	}
	if c.AutoConfirmDays < 1 || c.AutoConfirmDays > 90 {
		errs = append(errs, fmt.Errorf("PAYSAGA_AUTO_CONFIRM_DAYS=%d: must be within 1..90", c.AutoConfirmDays))
	}
	if c.SettlementDeadlineDays < 1 || c.SettlementDeadlineDays > 365 {
		errs = append(errs, fmt.Errorf("PAYSAGA_SETTLEMENT_DEADLINE_DAYS=%d: must be within 1..365", c.SettlementDeadlineDays))
	}
	if c.AutoConfirmAfter < 0 {
		errs = append(errs, fmt.Errorf("PAYSAGA_AUTO_CONFIRM_AFTER=%s: must not be negative", c.AutoConfirmAfter))
	}
	if c.PGFeeBPS < 0 || c.PGFeeBPS > 10_000 {
		errs = append(errs, fmt.Errorf("PAYSAGA_PG_FEE_BPS=%d: must be within 0..10000", c.PGFeeBPS))
	}
	if c.BodyLimitBytes < 1024 {
		errs = append(errs, errors.New("PAYSAGA_BODY_LIMIT_BYTES must be >= 1024"))
	}
	errs = append(errs, c.validateRisk()...)
	errs = append(errs, c.validatePoints()...)
	if c.WalletRefundMin < 1 || c.WalletRefundFee < 0 || c.WalletRefundFee >= c.WalletRefundMin {
		errs = append(errs, fmt.Errorf("PAYSAGA_WALLET_REFUND_MIN=%d, PAYSAGA_WALLET_REFUND_FEE=%d: need min >= 1 and 0 <= fee < min", c.WalletRefundMin, c.WalletRefundFee))
	}
	return errors.Join(errs...)
}

// PGs lists the configured PG names, primary first.
func (c Config) PGs() []string {
	if c.PGSecondary == "" {
		return []string{c.PGPrimary}
	}
	return []string{c.PGPrimary, c.PGSecondary}
}

// AutoConfirmWindow is how long after delivery an item auto-confirms.
func (c Config) AutoConfirmWindow() time.Duration {
	if c.AutoConfirmAfter > 0 {
		return c.AutoConfirmAfter
	}
	return time.Duration(c.AutoConfirmDays) * 24 * time.Hour
}

// SettlementDeadline is how long after confirmation a sale must be paid.
func (c Config) SettlementDeadline() time.Duration {
	return time.Duration(c.SettlementDeadlineDays) * 24 * time.Hour
}

// PGConnector is the protocol PG name speaks (paysaga when none is configured).
func (c Config) PGConnector(name string) string {
	if conn, ok := c.PGConnectors[name]; ok {
		return conn
	}
	return ConnectorPaysaga
}

// PGURL is PG name's base URL: configured, or the sandbox's prefix for its protocol.
func (c Config) PGURL(name string) string {
	if u := c.PGURLs[name]; u != "" {
		return u
	}
	switch c.PGConnector(name) {
	case ConnectorToss:
		return c.SimURL + "/toss/" + name
	case ConnectorPortOne:
		return c.SimURL + "/portone/" + name
	}
	return c.SimURL + "/pg/" + name
}

// PGSecretKey is PG name's API secret: configured, or the sandbox's development key.
func (c Config) PGSecretKey(name string) string {
	if k := c.PGSecretKeys[name]; k != "" {
		return k
	}
	if c.PGConnector(name) == ConnectorPortOne {
		return DevPortOneSecret
	}
	return DevTossSecretKey
}

// PGStoreID is PG name's PortOne store id (empty: the API secret's store).
func (c Config) PGStoreID(name string) string { return c.PGStoreIDs[name] }

// DevReceiptChannelKey is the sandbox's PortOne cash-receipt channel.
const DevReceiptChannelKey = "channel-key-sandbox-receipts"

// PGReceiptChannelKey is PG name's PortOne cash-receipt channel: configured, or the sandbox's.
func (c Config) PGReceiptChannelKey(name string) string {
	if k := c.PGReceiptChannelKeys[name]; k != "" {
		return k
	}
	return DevReceiptChannelKey
}

// PortOneWebhookSecret is PG name's PortOne webhook secret: configured, or development's.
func (c Config) PortOneWebhookSecret(name string) string {
	if k := c.PGWebhookSecrets[name]; k != "" {
		return k
	}
	return DevPortOneWebhookSecret
}

// parsePairs reads "a=x,b=y".
func parsePairs(v string) (map[string]string, error) {
	m := map[string]string{}
	for _, part := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k == "" || val == "" {
			return m, fmt.Errorf("%q is not name=connector", part)
		}
		m[k] = val
	}
	return m, nil
}

func withEntry(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for key, val := range m {
		out[key] = val
	}
	out[k] = v
	return out
}

func (c Config) validateRisk() []error {
	var errs []error
	if c.StepUpAmount < 0 || c.FourEyesThreshold < 0 || c.CardTestingDeclines < 0 {
		errs = append(errs, errors.New("PAYSAGA_STEP_UP_AMOUNT, PAYSAGA_FOUR_EYES_THRESHOLD and PAYSAGA_CARD_TESTING_DECLINES must be >= 0"))
	}
	if c.PINMaxAttempts < 1 || c.PINMaxAttempts > 20 {
		errs = append(errs, fmt.Errorf("PAYSAGA_PIN_MAX_ATTEMPTS=%d: must be within 1..20", c.PINMaxAttempts))
	}
	if c.PINLockDuration < time.Second || c.PINTokenTTL < time.Second || c.PINResetWindow < time.Second {
		errs = append(errs, errors.New("PAYSAGA_PIN_LOCK_DURATION, PAYSAGA_PIN_TOKEN_TTL and PAYSAGA_PIN_RESET_WINDOW must be >= 1s"))
	}
	if c.CardTestingDeclines > 0 && (c.CardTestingWindow < time.Second || c.CardTestingBlockFor < time.Second) {
		errs = append(errs, errors.New("PAYSAGA_CARD_TESTING_WINDOW and PAYSAGA_CARD_TESTING_BLOCK_FOR must be >= 1s"))
	}
	return errs
}

// DevIdentityChannelKey is the sandbox's PortOne identity-verification channel.
const DevIdentityChannelKey = "channel-key-sandbox-identity"

// IdentityBaseURL is the identity provider's base URL: configured, or the
// sandbox's prefix for the connector's protocol.
func (c Config) IdentityBaseURL() string {
	if c.IdentityURL != "" {
		return c.IdentityURL
	}
	if c.IdentityConnector == ConnectorPortOne {
		return c.SimURL + "/portone/identity"
	}
	return c.SimURL + "/identity"
}

// IdentitySecret is the PortOne API secret of the identity connector:
// configured, or development's.
func (c Config) IdentitySecret() string {
	if c.IdentitySecretKey != "" {
		return c.IdentitySecretKey
	}
	return DevPortOneSecret
}

// IdentityChannel is the PortOne identity channel key: configured, or the sandbox's.
func (c Config) IdentityChannel() string {
	if c.IdentityChannelKey != "" {
		return c.IdentityChannelKey
	}
	return DevIdentityChannelKey
}

// PIIKeys is the PII hashing key and sealing keyring this configuration names.
func (c Config) PIIKeys() (*pii.Keys, error) {
	seal, err := pii.ParseSealKeys(c.PIISealKeys)
	if err != nil {
		return nil, err
	}
	return pii.NewRing(c.PIIKey, seal)
}
