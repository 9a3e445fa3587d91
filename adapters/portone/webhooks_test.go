package portone_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters/portone"
)

const secret = "whsec_cGF5c2FnYS10ZXN0LXBvcnRvbmUtd2ViaG9vaw=="

func connector(t *testing.T) *portone.Connector {
	c, err := portone.New(portone.Config{Name: "beta", BaseURL: "http://127.0.0.1:1", APISecret: "portone-sandbox-test-secret",
		WebhookSecret: secret, WebhookTolerance: 5 * time.Minute}, nil)
	require.NoError(t, err)
	return c
}

// sign computes a Standard Webhooks signature independently of the connector:
// base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")) with the key after whsec_.
func sign(t *testing.T, key, id string, at time.Time, body string) http.Header {
	raw, err := base64.StdEncoding.DecodeString(key[len("whsec_"):])
	require.NoError(t, err)
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, raw)
	mac.Write([]byte(id + "." + ts + "." + body))
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", ts)
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return h
}

const body = `{"type":"Transaction.Paid","timestamp":"2026-12-01T01:00:01Z","data":{"paymentId":"pay_1","storeId":"store-1","transactionId":"tx-1"}}`

func TestWebhookVerifies(t *testing.T) {
	c, now := connector(t), time.Now()
	h := sign(t, secret, "msg_1", now, body)
	h.Set("webhook-signature", "v1,bm90LXRoaXMtb25l "+h.Get("webhook-signature")) // rotated secrets: any one may match

	w, err := c.VerifyWebhook(h, []byte(body), now)

	require.NoError(t, err)
	require.Equal(t, portone.Webhook{ID: "msg_1", Type: "Transaction.Paid", PaymentID: "pay_1", TransactionID: "tx-1"}, w)
}

func TestWebhookRefusesForgedStaleAndUnsigned(t *testing.T) {
	c, now := connector(t), time.Now()
	forged := sign(t, "whsec_Zm9yZ2VkLWtleS1vZi1hbi1hdHRhY2tlcg==", "msg_1", now, body)
	stale := sign(t, secret, "msg_1", now.Add(-6*time.Minute), body)
	future := sign(t, secret, "msg_1", now.Add(6*time.Minute), body)
	tampered := sign(t, secret, "msg_1", now, body)
	otherID := sign(t, secret, "msg_1", now, body)
	otherID.Set("webhook-id", "msg_2")
	for name, h := range map[string]http.Header{"forged": forged, "stale": stale, "future": future, "unsigned": {}, "other id": otherID} {
		_, err := c.VerifyWebhook(h, []byte(body), now)
		require.ErrorIs(t, err, portone.ErrWebhookSignature, name)
	}
	_, err := c.VerifyWebhook(tampered, []byte(body[:len(body)-2]+"x}"), now)
	require.ErrorIs(t, err, portone.ErrWebhookSignature, "tampered body")
}
