package portone

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/identity"
	"github.com/paysaga/paysaga/adapters/portone/client"
)

// IdentityConfig is one PortOne store's identity-verification channel.
type IdentityConfig struct {
	BaseURL    string // https://api.portone.io, or the sandbox's /portone/{name}
	APISecret  string // the V2 API secret: never logged
	StoreID    string // empty: the secret's store
	ChannelKey string // the identity-verification channel (e.g. a Danal channel)
}

// IdentityConnector is PortOne V2 identity verification (본인인증, SMS) as
// paysaga's identity.Client: the verification id is paysaga's (from the
// request's idempotency key), so a repeated send or confirm is recognised.
type IdentityConnector struct {
	api        *client.Client
	channelKey string
}

var _ identity.Client = (*IdentityConnector)(nil)

// NewIdentity is the connector for cfg; a nil hc means http.DefaultClient.
func NewIdentity(cfg IdentityConfig, hc *http.Client) (*IdentityConnector, error) {
	switch {
	case cfg.BaseURL == "":
		return nil, errors.New("portone identity: base URL is required")
	case len(cfg.APISecret) < 16:
		return nil, errors.New("portone identity: an API secret is at least 16 characters")
	case cfg.ChannelKey == "":
		return nil, errors.New("portone identity: a channel key is required")
	}
	return &IdentityConnector{api: client.NewIdentity(cfg.BaseURL, cfg.APISecret, cfg.StoreID, hc), channelKey: cfg.ChannelKey}, nil
}

// VerificationIDFor is the identityVerificationId paysaga assigns for a
// request's idempotency key: letters, digits, - and _ kept, the rest _.
func VerificationIDFor(key string) string {
	b := []byte(key)
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// RequestCode sends the SMS (POST /identity-verifications/{id}/send). PortOne
// needs the carrier and the first 7 digits of the resident number for SMS;
// without them the request is Invalid before anything is sent. A repeated send
// (IdentityVerificationAlreadySentError) is the same request: answered with
// its id.
func (c *IdentityConnector) RequestCode(ctx context.Context, req identity.CodeRequest) (identity.Request, error) {
	const op = "request_code"
	if req.IdempotencyKey == "" || req.Carrier == "" || len(req.IdentityNumber) != 7 || req.IPAddress == "" {
		return identity.Request{}, c.api.Invalid(op, "PortOne SMS verification needs an idempotency key, the carrier, the 7-digit identity number and the customer's IP")
	}
	id := VerificationIDFor(req.IdempotencyKey)
	err := c.api.SendIdentityVerification(ctx, id, client.SendIdentityVerificationBody{ChannelKey: c.channelKey, Operator: req.Carrier, Method: "SMS",
		Customer: client.SendIdentityVerificationBodyCustomer{Name: req.Name, PhoneNumber: req.Phone, IdentityNumber: req.IdentityNumber, IPAddress: req.IPAddress}})
	var e *adapters.Error
	if errors.As(err, &e) && e.Code == client.TypeIdentityVerificationAlreadySent {
		err = nil
	}
	if err != nil {
		return identity.Request{}, translateIdentity(err)
	}
	return identity.Request{RequestID: id}, nil
}

// Confirm confirms the OTP. A repeated confirm of a verified request
// (IdentityVerificationAlreadyVerifiedError, e.g. the first answer was lost)
// reads the verification for its CI and DI.
func (c *IdentityConnector) Confirm(ctx context.Context, requestID, code string) (identity.Person, error) {
	if requestID == "" {
		return identity.Person{}, c.api.Invalid("confirm", "request id is required")
	}
	res, err := c.api.ConfirmIdentityVerification(ctx, requestID, client.ConfirmIdentityVerificationBody{OTP: code})
	v := res.IdentityVerification
	var e *adapters.Error
	if errors.As(err, &e) && e.Code == client.TypeIdentityVerificationAlreadyVerified {
		v, err = c.api.GetIdentityVerification(ctx, requestID)
	}
	if err != nil {
		return identity.Person{}, translateIdentity(err)
	}
	if v.Status != client.IdentityVerified || v.VerifiedCustomer == nil || v.VerifiedCustomer.CI == "" {
		return identity.Person{}, &adapters.Error{Provider: "identity", Op: "confirm", Kind: adapters.Ambiguous, Status: 200,
			Code: "NOT_VERIFIED", Message: "PortOne answered the confirm without a verified customer (" + v.Status + ")"}
	}
	return identity.Person{CI: v.VerifiedCustomer.CI, DI: v.VerifiedCustomer.DI}, nil
}

// identityDeclines maps the pgCode of a PgProviderError on confirm to
// paysaga's decline codes; PortOne passes the channel's own codes through, so
// any other pgCode is a wrong code.
var identityDeclines = map[string]string{
	"OTP_EXPIRED": identity.CodeExpired, "TOO_MANY_ATTEMPTS": identity.CodeTooManyAttempts,
}

// translateIdentity: a PgProviderError (the channel refused the code or the
// person) is a decline for this verification, never retried.
func translateIdentity(err error) error {
	var e *adapters.Error
	if !errors.As(err, &e) || e.Code == "" {
		return err
	}
	out := *e
	out.ProviderCode = e.Code
	if e.ProviderCode != "" {
		out.ProviderCode = e.Code + ":" + e.ProviderCode
	}
	switch e.Code {
	case client.TypePgProvider:
		out.Kind, out.Code = adapters.Declined, identity.CodeWrongCode
		if code, ok := identityDeclines[strings.ToUpper(e.ProviderCode)]; ok {
			out.Code = code
		}
	case client.TypeIdentityVerificationNotFound, client.TypeIdentityVerificationNotSent:
		out.Kind, out.Code = adapters.Invalid, "REQUEST_NOT_FOUND"
	case client.TypeInvalidRequest, client.TypeUnauthorized, client.TypeForbidden:
		out.Kind, out.Code = adapters.Invalid, "INVALID_REQUEST"
	}
	return &out
}
