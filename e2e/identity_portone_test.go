package e2e

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/providersim"
)

// With the PortOne identity connector, a verification sends PortOne's SMS
// (carrier and the 7-digit identity number passed through) and the code
// confirms it; the customer is verified and the CI is stored only as its
// keyed hash. Without the carrier PortOne cannot send: 422, nothing sent.
func TestIdentityVerificationThroughPortOne(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.IdentityConnector = config.ConnectorPortOne })
	res := s.call("POST", "/v1/customers", appKey, map[string]any{"external_id": "ext-idv-portone", "name": "홍길동"}, nil)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	cus := res.json(t)["id"].(string)

	bad := s.call("POST", "/v1/identity-verifications", appKey, map[string]any{"customer_id": cus, "name": "홍길동", "phone": "01012345678",
		"birth_date": "19900101", "carrier": "SKT", "identity_number": "8001011"}, nil)
	require.Equal(t, 422, bad.Status, "%s", bad.Body)
	require.Equal(t, "validation_failed", bad.json(t)["code"])
	noCarrier := s.call("POST", "/v1/identity-verifications", appKey, map[string]any{"customer_id": cus, "name": "홍길동", "phone": "01012345678",
		"birth_date": "19900101"}, nil)
	require.Equal(t, 422, noCarrier.Status, "%s", noCarrier.Body)
	sent, err := s.sim.Records(s.ctx, providersim.RecordFilter{Provider: "identity", Kind: "request_code"})
	require.NoError(t, err)
	require.Empty(t, sent, "nothing sent without the carrier")

	res = s.call("POST", "/v1/identity-verifications", appKey, map[string]any{"customer_id": cus, "name": "홍길동", "phone": "01012345678",
		"birth_date": "19900101", "carrier": "SKT", "identity_number": "9001011"}, nil)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	v := res.json(t)
	code, err := s.sim.IdentityCode(s.ctx, v["provider_request_id"].(string))
	require.NoError(t, err)
	wrong := s.call("POST", "/v1/identity-verifications/"+v["id"].(string)+"/confirm", appKey, map[string]any{"code": wrongCode(code)}, nil)
	require.Equal(t, "wrong_code", wrong.json(t)["failure_code"], "%s", wrong.Body)
	require.Equal(t, "verified", s.confirm(v["id"].(string), code)["status"])
	ci, _ := providersim.PersonIDs("홍길동", "19900101", "01012345678")
	require.Zero(t, s.rows(`SELECT count(*) FROM customers WHERE ci_hash = $1`, ci), "the CI is never stored in clear")
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM customers WHERE id = $1 AND ci_hash IS NOT NULL`, cus), "verified: its keyed hash is kept")
}
