package cardbin

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"433012******1234":   "433012",
		"43301234****123*":   "43301234",
		" 53651012****1234 ": "53651012",
		"5365101234******":   "536510", // more than 8 digits shown: only the 6-digit BIN is kept
		"433012":             "433012",
		"4111111111111111":   "411111", // never more than a BIN of a full number
		"43301":              "",
		"****1234":           "",
		"":                   "",
		"4330-12**-****-12":  "",
	} {
		require.Equal(t, want, Parse(in), in)
	}
}

func TestMatches(t *testing.T) {
	require.True(t, Matches("433012", "433012"))
	require.True(t, Matches("43301234", "433012"))
	require.False(t, Matches("433012", "43301234"), "unknown 7th and 8th digits")
	require.False(t, Matches("433013", "433012"))
	require.False(t, Matches("", "433012"))
	require.False(t, Matches("433012", "4330"), "a prefix is 6..8 digits")
	require.False(t, ValidPrefix("43301a"))
	require.False(t, ValidPrefix("433012345"))
}
