package demo

import "testing"

func TestFingerprintIsStable(t *testing.T) {
	a, b := Fingerprint(), Fingerprint()
	if a != b || len(a) != 12 {
		t.Errorf("Fingerprint() = %q then %q, want the same 12 hex digits", a, b)
	}
}
