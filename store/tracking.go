package store

import (
	"crypto/rand"
	"strings"
)

// trackingAlphabet has no look-alike characters: no 0/O, 1/I/L, and no U.
const trackingAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

// trackingRandom is the number of random characters: 30^10 ≈ 2^49, so numbers cannot
// be enumerated; one check character follows.
const trackingRandom = 10

// NewTrackingNumber returns a fresh receipt number such as "K7QM4XH9P2T".
func NewTrackingNumber() string {
	b := make([]byte, trackingRandom)
	n := len(trackingAlphabet)
	for i := range b {
		b[i] = trackingAlphabet[randIntn(n)]
	}
	return string(b) + string(trackingCheck(string(b)))
}

// randIntn returns a uniform random int in [0, n) from crypto/rand.
func randIntn(n int) int {
	var one [1]byte
	limit := 256 - 256%n
	for {
		if _, err := rand.Read(one[:]); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		if int(one[0]) < limit {
			return int(one[0]) % n
		}
	}
}

// trackingCheck is the Luhn mod N check character over the alphabet: it catches
// every single mistyped character and nearly every swap of two neighbours.
func trackingCheck(s string) byte {
	n := len(trackingAlphabet)
	factor, sum := 2, 0
	for i := len(s) - 1; i >= 0; i-- {
		v := strings.IndexByte(trackingAlphabet, s[i]) * factor
		sum += v/n + v%n
		if factor == 2 {
			factor = 1
		} else {
			factor = 2
		}
	}
	return trackingAlphabet[(n-sum%n)%n]
}

// NormalizeTracking turns what a person typed (any case, spaces, dashes, full-width
// characters) into a tracking number, and reports whether its check character holds.
func NormalizeTracking(in string) (string, bool) {
	var b strings.Builder
	for _, r := range in {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		switch {
		case r == ' ' || r == '-' || r == '\u3000' || r == '\t' || r == '_' || r == '.':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		if r > 127 || strings.IndexRune(trackingAlphabet, r) < 0 {
			return "", false
		}
		b.WriteRune(r)
	}
	s := b.String()
	if len(s) != trackingRandom+1 {
		return "", false
	}
	return s, trackingCheck(s[:trackingRandom]) == s[trackingRandom]
}

// FormatTracking groups a tracking number for reading aloud: "K7QM-4XH9-P2T".
func FormatTracking(s string) string {
	if len(s) != trackingRandom+1 {
		return s
	}
	return s[:4] + "-" + s[4:8] + "-" + s[8:]
}
