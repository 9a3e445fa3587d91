package bizreg

import "testing"

func TestValid(t *testing.T) {
	cases := map[string]bool{
		"1248100998":   true, // a listed company's published number
		"1234567891":   true,
		"1234567890":   false, // check digit off by one
		"1248100997":   false,
		"124810099":    false, // nine digits
		"12481009980":  false,
		"12481OO998":   false, // letters
		"":             false,
		"124-81-00998": false, // Normalize first
	}
	for s, want := range cases {
		if got := Valid(s); got != want {
			t.Errorf("Valid(%q) = %v, want %v", s, got, want)
		}
	}
	if !Valid(Normalize("124-81-00998")) {
		t.Error("a dashed number must normalize to a valid one")
	}
}
