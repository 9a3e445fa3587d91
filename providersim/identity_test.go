package providersim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/identity"
	"github.com/paysaga/paysaga/providersim"
)

func person(idemKey string) identity.CodeRequest {
	return identity.CodeRequest{IdempotencyKey: idemKey, Name: "홍길동", Phone: "01012345678", BirthDate: "19900101"}
}

func TestIdentityConfirm(t *testing.T) {
	e := newEnv(t)
	req, err := e.idv.RequestCode(e.ctx, person(key("idv")))
	require.NoError(t, err)
	assert.Regexp(t, `^idv_[0-9a-f]{24}$`, req.RequestID)
	assert.Equal(t, 180, req.ExpiresIn)
	code, err := e.admin.IdentityCode(e.ctx, req.RequestID)
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9]{6}$`, code)

	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	_, err = e.idv.Confirm(e.ctx, req.RequestID, wrong)
	requireKind(t, err, adapters.Declined, identity.CodeWrongCode)

	p, err := e.idv.Confirm(e.ctx, req.RequestID, code)
	require.NoError(t, err)
	assert.Len(t, p.CI, 88)
	assert.Len(t, p.DI, 64)
	again, err := e.idv.Confirm(e.ctx, req.RequestID, code)
	require.NoError(t, err, "confirming again with the code answers the same person")
	assert.Equal(t, p, again)

	// The same person gets the same CI from another request; another person not.
	req2, err := e.idv.RequestCode(e.ctx, person(key("idv")))
	require.NoError(t, err)
	code2, err := e.admin.IdentityCode(e.ctx, req2.RequestID)
	require.NoError(t, err)
	p2, err := e.idv.Confirm(e.ctx, req2.RequestID, code2)
	require.NoError(t, err)
	assert.Equal(t, p, p2)
	other := person(key("idv"))
	other.Phone = "01099998888"
	req3, err := e.idv.RequestCode(e.ctx, other)
	require.NoError(t, err)
	code3, err := e.admin.IdentityCode(e.ctx, req3.RequestID)
	require.NoError(t, err)
	p3, err := e.idv.Confirm(e.ctx, req3.RequestID, code3)
	require.NoError(t, err)
	assert.NotEqual(t, p.CI, p3.CI)

	_, err = e.idv.Confirm(e.ctx, "idv_nope", "123456")
	requireKind(t, err, adapters.Invalid, "REQUEST_NOT_FOUND")
	_, err = e.idv.Confirm(e.ctx, req.RequestID, "")
	requireKind(t, err, adapters.Invalid, "INVALID_REQUEST")
	assert.Len(t, e.records(providersim.RecordFilter{Provider: "identity", Kind: providersim.KindRequestCode}), 3)
}

func TestIdentityLockAndExpiry(t *testing.T) {
	clock := &providersim.Clock{}
	e := newEnv(t, func(s *providersim.Server) { providersim.UseClock(s, clock) })

	locked, err := e.idv.RequestCode(e.ctx, person(key("idv")))
	require.NoError(t, err)
	code, err := e.admin.IdentityCode(e.ctx, locked.RequestID)
	require.NoError(t, err)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for range 5 {
		_, err := e.idv.Confirm(e.ctx, locked.RequestID, wrong)
		requireKind(t, err, adapters.Declined, identity.CodeWrongCode)
	}
	_, err = e.idv.Confirm(e.ctx, locked.RequestID, code)
	requireKind(t, err, adapters.Declined, identity.CodeTooManyAttempts)

	expiring, err := e.idv.RequestCode(e.ctx, person(key("idv")))
	require.NoError(t, err)
	code, err = e.admin.IdentityCode(e.ctx, expiring.RequestID)
	require.NoError(t, err)
	clock.Advance(181 * time.Second)
	_, err = e.idv.Confirm(e.ctx, expiring.RequestID, code)
	requireKind(t, err, adapters.Declined, identity.CodeExpired)
}

func TestIdentityRequestCode(t *testing.T) {
	e := newEnv(t)
	req := person(key("idv"))
	first, err := e.idv.RequestCode(e.ctx, req)
	require.NoError(t, err)
	again, err := e.idv.RequestCode(e.ctx, req)
	require.NoError(t, err)
	assert.Equal(t, first, again, "the same key sends one code")
	changed := req
	changed.Phone = "01011112222"
	_, err = e.idv.RequestCode(e.ctx, changed)
	requireKind(t, err, adapters.Invalid, "IDEMPOTENCY_KEY_REUSED")

	tests := []struct {
		name string
		mod  func(*identity.CodeRequest)
		code string
	}{
		{"no name", func(r *identity.CodeRequest) { r.Name = "  " }, "INVALID_NAME"},
		{"landline", func(r *identity.CodeRequest) { r.Phone = "0212345678" }, "INVALID_PHONE"},
		{"phone with dashes", func(r *identity.CodeRequest) { r.Phone = "010-1234-5678" }, "INVALID_PHONE"},
		{"bad birth date", func(r *identity.CodeRequest) { r.BirthDate = "19901301" }, "INVALID_BIRTH_DATE"},
		{"future birth date", func(r *identity.CodeRequest) { r.BirthDate = "29990101" }, "INVALID_BIRTH_DATE"},
		{"no key (client check)", func(r *identity.CodeRequest) { r.IdempotencyKey = "" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := person(key("idv"))
			tt.mod(&r)
			_, err := e.idv.RequestCode(e.ctx, r)
			requireKind(t, err, adapters.Invalid, tt.code)
		})
	}
	recs := e.records(providersim.RecordFilter{Provider: "identity"})
	require.Len(t, recs, 1)
	assert.Equal(t, first.RequestID, recs[0].PaymentKey)
	assert.Zero(t, recs[0].Amount)
}
