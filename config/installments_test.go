package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInterestFreePlans(t *testing.T) {
	env := func(v string) func(string) (string, bool) {
		return func(name string) (string, bool) {
			if name == "PAYSAGA_INTEREST_FREE_PLANS" {
				return v, true
			}
			return "", false
		}
	}
	c, err := Parse(env("shinhan:50000:2-3, 현대:100000:6"))
	require.NoError(t, err)
	require.Equal(t, []InterestFreePlan{
		{Issuer: "shinhan", MinAmount: 50_000, MinMonths: 2, MaxMonths: 3},
		{Issuer: "현대", MinAmount: 100_000, MinMonths: 6, MaxMonths: 6},
	}, c.InterestFreePlans)

	p, ok := c.InterestFreePlanFor("SHINHAN", 50_000, 3)
	require.True(t, ok)
	require.Equal(t, "shinhan:50000:2-3", p.Name())
	_, ok = c.InterestFreePlanFor("shinhan", 49_999, 3) // under the minimum
	require.False(t, ok)
	_, ok = c.InterestFreePlanFor("shinhan", 50_000, 4) // beyond its months
	require.False(t, ok)
	p, ok = c.InterestFreePlanFor("현대", 100_000, 6)
	require.True(t, ok)
	require.Equal(t, "현대:100000:6", p.Name())

	for _, bad := range []string{"shinhan:50000", "shinhan:-1:2-3", "shinhan:50000:1-3", "shinhan:50000:2-13", "shinhan:50000:6-2", ":50000:3", "shinhan:x:3"} {
		_, err := Parse(env(bad))
		require.ErrorContains(t, err, "PAYSAGA_INTEREST_FREE_PLANS", bad)
	}
}
