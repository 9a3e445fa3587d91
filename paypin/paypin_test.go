package paypin

import (
	"bytes"
	"testing"
)

func TestValidateAcceptsSixDigitsOnly(t *testing.T) {
	for _, pin := range []string{"", "12345", "1234567", "12345a", "١٢٣٤٥٦", "12 456", "-12345"} {
		if Validate(pin) == nil {
			t.Errorf("Validate(%q) accepted a bad PIN", pin)
		}
	}
	if err := Validate("012345"); err != nil {
		t.Errorf("Validate(012345): %v", err)
	}
}

func TestHashMatchesOnlyTheSamePIN(t *testing.T) {
	hash, salt, err := Hash("482913")
	if err != nil {
		t.Fatal(err)
	}
	if !Matches("482913", hash, salt) {
		t.Fatal("the right PIN does not match")
	}
	if Matches("482914", hash, salt) {
		t.Fatal("a wrong PIN matches")
	}
	hash2, salt2, err := Hash("482913")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(salt, salt2) || bytes.Equal(hash, hash2) {
		t.Fatal("two customers with the same PIN got the same salt or hash")
	}
}
