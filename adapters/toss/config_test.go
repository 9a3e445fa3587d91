package toss

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigValidates(t *testing.T) {
	ok := Config{Name: "alpha", BaseURL: "https://api.tosspayments.com", SecretKey: "test_sk_abc"}
	require.NoError(t, ok.Validate())
	for name, c := range map[string]Config{
		"no name":    {BaseURL: ok.BaseURL, SecretKey: ok.SecretKey},
		"bad url":    {Name: "alpha", BaseURL: "api.tosspayments.com", SecretKey: ok.SecretKey},
		"bad secret": {Name: "alpha", BaseURL: ok.BaseURL, SecretKey: "sk_abc"},
	} {
		require.Error(t, c.Validate(), name)
	}
}

func TestConfigNeverPrintsTheSecret(t *testing.T) {
	c := Config{Name: "alpha", BaseURL: "https://api.tosspayments.com", SecretKey: "test_sk_very_secret"}
	require.NotContains(t, fmt.Sprint(c), "very_secret")
	require.NotContains(t, fmt.Sprintf("%v %s", c, c), "very_secret")
}
