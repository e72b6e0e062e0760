// Package dedupe fingerprints comment text so campaign copies can be grouped: an exact
// fingerprint of the text after normalising white space, punctuation and width, and a
// MinHash signature of its character trigrams, banded for locality-sensitive look-up,
// for near-identical copies. Pure, no I/O.
package dedupe

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/fnv"
	"strings"
	"unicode"
)

// Normalize folds what differs between copies of one campaign text but not its words:
// full-width forms, case, white space, punctuation and symbols.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		switch {
		case unicode.IsSpace(r), unicode.IsPunct(r), unicode.IsSymbol(r), unicode.IsControl(r),
			unicode.Is(unicode.Mn, r), unicode.Is(unicode.Cf, r):
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Signature sizes: NumBands bands of RowsPerBand MinHash values each.
const (
	NumBands    = 5
	RowsPerBand = 4
	numHashes   = NumBands * RowsPerBand
)

// Threshold is the estimated trigram Jaccard similarity from which two texts count as
// copies of one campaign (a word added, dropped or changed in a paragraph). With 5
// bands of 4 rows, texts this similar share a band with probability ≥ 0.95, and
// unrelated texts (similarity near 0) practically never do.
const Threshold = 0.8

// MinRunes is the shortest normalised text compared by similarity: short texts
// ("同意") are grouped only when identical.
const MinRunes = 20

// Fingerprint is a comment's exact and near-duplicate fingerprints.
type Fingerprint struct {
	Hash  string            // hex of SHA-256 of Normalize(text), first 16 bytes
	Sig   [numHashes]uint32 // MinHash signature; zero when the text is too short
	Bands [NumBands]int64   // one value per band; 0 when the text is too short
}

// Of fingerprints a text.
func Of(text string) Fingerprint {
	n := Normalize(text)
	sum := sha256.Sum256([]byte(n))
	f := Fingerprint{Hash: hex.EncodeToString(sum[:16])}
	r := []rune(n)
	if len(r) < MinRunes {
		return f
	}
	for i := range f.Sig {
		f.Sig[i] = ^uint32(0)
	}
	for i := 0; i+3 <= len(r); i++ {
		h := fnv.New64a()
		h.Write([]byte(string(r[i : i+3])))
		x := h.Sum64()
		for k := range f.Sig {
			// The k-th hash function: a cheap, well-mixed variant of x.
			v := uint32(mix(x ^ (uint64(k+1) * 0x9E3779B97F4A7C15)))
			if v < f.Sig[k] {
				f.Sig[k] = v
			}
		}
	}
	for b := range f.Bands {
		h := fnv.New64a()
		var buf [4]byte
		for row := 0; row < RowsPerBand; row++ {
			binary.LittleEndian.PutUint32(buf[:], f.Sig[b*RowsPerBand+row])
			h.Write(buf[:])
		}
		f.Bands[b] = int64(h.Sum64()>>2) | 1 // never 0: 0 marks "not comparable"
	}
	return f
}

func mix(x uint64) uint64 { // splitmix64 finaliser
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// Comparable reports whether the fingerprint takes part in near-duplicate matching.
func (f Fingerprint) Comparable() bool { return f.Bands[0] != 0 }

// Similarity estimates the trigram Jaccard similarity of two comparable texts.
func Similarity(a, b Fingerprint) float64 {
	same := 0
	for i := range a.Sig {
		if a.Sig[i] == b.Sig[i] {
			same++
		}
	}
	return float64(same) / float64(numHashes)
}

// Near reports whether two fingerprints are copies of one campaign.
func Near(a, b Fingerprint) bool {
	if a.Hash == b.Hash {
		return true
	}
	return a.Comparable() && b.Comparable() && Similarity(a, b) >= Threshold
}

// SigBytes and SigFromBytes store a signature as a blob.
func (f Fingerprint) SigBytes() []byte {
	b := make([]byte, 4*numHashes)
	for i, v := range f.Sig {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b
}

// SigFromBytes restores a signature stored with SigBytes (zero if malformed).
func SigFromBytes(b []byte) (sig [numHashes]uint32) {
	if len(b) != 4*numHashes {
		return sig
	}
	for i := range sig {
		sig[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return sig
}
