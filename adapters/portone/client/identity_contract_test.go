package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/portone/client"
)

// The identity-verification bodies as PortOne's OpenAPI lists them
// (SendIdentityVerificationBody, ConfirmIdentityVerificationBody), written
// apart from the client's types.
type docSendIdentityVerificationBody struct {
	StoreID    string `json:"storeId"`
	ChannelKey string `json:"channelKey"`
	Customer   struct {
		ID             string `json:"id"`
		Name           string `json:"name"`
		PhoneNumber    string `json:"phoneNumber"`
		IdentityNumber string `json:"identityNumber"`
		IPAddress      string `json:"ipAddress"`
	} `json:"customer"`
	CustomData string         `json:"customData"`
	Bypass     map[string]any `json:"bypass"`
	Operator   string         `json:"operator"`
	Method     string         `json:"method"`
}

type docConfirmIdentityVerificationBody struct {
	StoreID string `json:"storeId"`
	OTP     string `json:"otp"`
}

func identityServer(t *testing.T, path string, doc any, status int, answer string) *client.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, answer)
		}()
		require.Equal(t, "POST", r.Method)
		require.Equal(t, path, r.URL.Path)
		require.Equal(t, "PortOne "+secret, r.Header.Get("Authorization"))
		body, _ := io.ReadAll(r.Body)
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(doc), "a field PortOne does not document: %s", body)
	}))
	t.Cleanup(srv.Close)
	return client.NewIdentity(srv.URL, secret, "store-1", srv.Client())
}

func TestIdentityVerificationContract(t *testing.T) {
	var sent docSendIdentityVerificationBody
	c := identityServer(t, "/identity-verifications/idv_1/send", &sent, 200, `{}`)
	require.NoError(t, c.SendIdentityVerification(context.Background(), "idv_1", client.SendIdentityVerificationBody{ChannelKey: "ch-1", Operator: "SKT", Method: "SMS",
		Customer: client.SendIdentityVerificationBodyCustomer{Name: "홍길동", PhoneNumber: "01012345678", IdentityNumber: "9001011", IPAddress: "127.0.0.1"}}))
	require.Equal(t, "store-1", sent.StoreID)
	require.Equal(t, "9001011", sent.Customer.IdentityNumber)

	var conf docConfirmIdentityVerificationBody
	c = identityServer(t, "/identity-verifications/idv_1/confirm", &conf, 200, `{"identityVerification":{"status":"VERIFIED","id":"idv_1","channel":{"type":"TEST"},
 "verifiedCustomer":{"name":"홍길동","phoneNumber":"01012345678","birthDate":"1990-01-01","gender":"MALE","isForeigner":false,"ci":"CI==","di":"DI=="},
 "requestedAt":"2026-12-01T01:00:00Z","updatedAt":"2026-12-01T01:01:00Z","statusChangedAt":"2026-12-01T01:01:00Z","verifiedAt":"2026-12-01T01:01:00Z","pgTxId":"pg-1","pgRawResponse":"{}","version":"V2"}}`)
	res, err := c.ConfirmIdentityVerification(context.Background(), "idv_1", client.ConfirmIdentityVerificationBody{OTP: "123456"})
	require.NoError(t, err)
	require.Equal(t, "123456", conf.OTP)
	require.Equal(t, "CI==", res.IdentityVerification.VerifiedCustomer.CI)

	c = identityServer(t, "/identity-verifications/idv_1/confirm", &conf, 502, `{"type":"PgProviderError","message":"PG사에서 오류를 전달했습니다.","pgCode":"WRONG_OTP","pgMessage":"인증번호 불일치"}`)
	_, err = c.ConfirmIdentityVerification(context.Background(), "idv_1", client.ConfirmIdentityVerificationBody{OTP: "000000"})
	var e *adapters.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, client.TypePgProvider, e.Code)
}
