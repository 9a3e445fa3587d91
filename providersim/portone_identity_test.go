package providersim_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/identity"
	"github.com/paysaga/paysaga/adapters/portone"
	"github.com/paysaga/paysaga/providersim"
)

// PortOne identity verification through the connector: send once (a repeat is
// the same request), a wrong OTP is a decline, the right one answers the
// person's CI/DI, and a repeated confirm (a lost answer) answers them again.
func TestPortOneIdentityVerification(t *testing.T) {
	e := newEnv(t)
	c, err := portone.NewIdentity(portone.IdentityConfig{BaseURL: e.url + "/portone/identity", APISecret: providersim.PortOneSecretPrefix + "test-secret",
		ChannelKey: "channel-key-test"}, e.hc)
	require.NoError(t, err)
	req := identity.CodeRequest{IdempotencyKey: "idv:idv-c1-1:request", Name: "홍길동", Phone: "01012345678", BirthDate: "19900101",
		Carrier: "SKT", IdentityNumber: "9001011", IPAddress: "127.0.0.1"}

	first, err := c.RequestCode(e.ctx, req)
	require.NoError(t, err)
	again, err := c.RequestCode(e.ctx, req)
	require.NoError(t, err)
	require.Equal(t, first.RequestID, again.RequestID)
	require.Len(t, e.records(providersim.RecordFilter{Provider: "identity", Kind: providersim.KindRequestCode}), 1, "one SMS")
	noCarrier := req
	noCarrier.Carrier = ""
	_, err = c.RequestCode(e.ctx, noCarrier)
	require.True(t, adapters.Is(err, adapters.Invalid), "PortOne SMS needs the carrier: %v", err)

	_, err = c.Confirm(e.ctx, first.RequestID, "000000")
	require.True(t, adapters.Is(err, adapters.Declined), "%v", err)
	code, err := e.admin.IdentityCode(e.ctx, first.RequestID)
	require.NoError(t, err)
	person, err := c.Confirm(e.ctx, first.RequestID, code)
	require.NoError(t, err)
	ci, di := providersim.PersonIDs("홍길동", "19900101", "01012345678")
	require.Equal(t, identity.Person{CI: ci, DI: di}, person)
	repeat, err := c.Confirm(e.ctx, first.RequestID, code)
	require.NoError(t, err)
	require.Equal(t, person, repeat)
}
