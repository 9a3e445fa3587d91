package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/paysaga/paysaga/adapters"
)

// PortOne's identity-verification error types paysaga acts on.
const (
	TypeIdentityVerificationNotFound        = "IdentityVerificationNotFoundError"        // no verification under that id
	TypeIdentityVerificationAlreadySent     = "IdentityVerificationAlreadySentError"     // send repeated
	TypeIdentityVerificationAlreadyVerified = "IdentityVerificationAlreadyVerifiedError" // confirm repeated
	TypeIdentityVerificationNotSent         = "IdentityVerificationNotSentError"         // confirm before send
)

// Identity verification statuses.
const (
	IdentityReady    = "READY"
	IdentityVerified = "VERIFIED"
	IdentityFailed   = "FAILED"
)

// SendIdentityVerificationBodyCustomer is the person to verify.
type SendIdentityVerificationBodyCustomer struct {
	ID             string `json:"id,omitempty"`
	Name           string `json:"name"`
	PhoneNumber    string `json:"phoneNumber"`              // digits only
	IdentityNumber string `json:"identityNumber,omitempty"` // the first 7 digits of the resident number; required for SMS
	IPAddress      string `json:"ipAddress"`
}

// SendIdentityVerificationBody is POST /identity-verifications/{id}/send.
type SendIdentityVerificationBody struct {
	StoreID    string                               `json:"storeId,omitempty"`
	ChannelKey string                               `json:"channelKey"`
	Customer   SendIdentityVerificationBodyCustomer `json:"customer"`
	Operator   string                               `json:"operator"` // SKT | KT | LGU | SKT_MVNO | KT_MVNO | LGU_MVNO
	Method     string                               `json:"method"`   // SMS | APP
}

// ConfirmIdentityVerificationBody is POST /identity-verifications/{id}/confirm.
type ConfirmIdentityVerificationBody struct {
	StoreID string `json:"storeId,omitempty"`
	OTP     string `json:"otp,omitempty"` // SMS only
}

// IdentityVerificationVerifiedCustomer is who was verified.
type IdentityVerificationVerifiedCustomer struct {
	Name        string `json:"name"`
	PhoneNumber string `json:"phoneNumber"`
	BirthDate   string `json:"birthDate"` // yyyy-MM-dd
	CI          string `json:"ci"`
	DI          string `json:"di"`
}

// IdentityVerification is GET /identity-verifications/{id} (its status names
// the variant; VerifiedCustomer is there when VERIFIED).
type IdentityVerification struct {
	Status           string                                `json:"status"`
	ID               string                                `json:"id"`
	VerifiedCustomer *IdentityVerificationVerifiedCustomer `json:"verifiedCustomer"`
	RequestedAt      time.Time                             `json:"requestedAt"`
	VerifiedAt       *time.Time                            `json:"verifiedAt"`
}

// ConfirmIdentityVerificationResponse is the confirm's answer.
type ConfirmIdentityVerificationResponse struct {
	IdentityVerification IdentityVerification `json:"identityVerification"`
}

// SendIdentityVerification sends the SMS (or app push) of verification id.
func (c *Client) SendIdentityVerification(ctx context.Context, id string, body SendIdentityVerificationBody) error {
	if body.StoreID == "" {
		body.StoreID = c.storeID
	}
	return c.call.Do(ctx, adapters.Call{Op: "request_code", Method: http.MethodPost,
		Path: "/identity-verifications/" + url.PathEscape(id) + "/send", Body: body}, &struct{}{})
}

// ConfirmIdentityVerification confirms verification id with the OTP.
func (c *Client) ConfirmIdentityVerification(ctx context.Context, id string, body ConfirmIdentityVerificationBody) (ConfirmIdentityVerificationResponse, error) {
	if body.StoreID == "" {
		body.StoreID = c.storeID
	}
	var out ConfirmIdentityVerificationResponse
	err := c.call.Do(ctx, adapters.Call{Op: "confirm", Method: http.MethodPost,
		Path: "/identity-verifications/" + url.PathEscape(id) + "/confirm", Body: body}, &out)
	return out, err
}

// GetIdentityVerification is GET /identity-verifications/{id}.
func (c *Client) GetIdentityVerification(ctx context.Context, id string) (IdentityVerification, error) {
	var out IdentityVerification
	err := c.call.Do(ctx, adapters.Call{Op: "query", Method: http.MethodGet,
		Path: "/identity-verifications/" + url.PathEscape(id), Query: c.storeQuery(), Lookup: true}, &out)
	return out, err
}

// NewIdentity is a client for PortOne's identity-verification API: like New,
// with PortOne's identity error types classified (a PG's refusal of the code
// is a decline, not a retryable 502).
func NewIdentity(baseURL, apiSecret, storeID string, hc *http.Client) *Client {
	return &Client{storeID: storeID, call: adapters.Caller{
		Provider: "identity", BaseURL: baseURL, HTTP: hc, Authorization: "PortOne " + apiSecret,
		NotFoundCodes: map[string]bool{TypeIdentityVerificationNotFound: true},
	}}
}
