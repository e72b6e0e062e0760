package captchaimage

import (
	"encoding/binary"
	"math/bits"
)

// siprng is the library's PRNG: SipHash-2-4 of a counter under the 16-byte seed.
// Its outputs must stay bit for bit the library's, or the pictures change.
type siprng struct{ k0, k1, ctr uint64 }

func (p *siprng) seed(k [16]byte) {
	p.k0 = binary.LittleEndian.Uint64(k[0:8])
	p.k1 = binary.LittleEndian.Uint64(k[8:16])
	p.ctr = 1
}

func (p *siprng) uint64() uint64 {
	v := siphash(p.k0, p.k1, p.ctr)
	p.ctr++
	return v
}

func (p *siprng) int63() int64 { return int64(p.uint64() & 0x7fffffffffffffff) }

func (p *siprng) int31() int32 { return int32(uint32(p.uint64()) & 0x7fffffff) }

// intn returns a number in [0, n), n ≤ 2³¹−1 as in every call here, by rejection
// as the library does.
func (p *siprng) intn(n int) int {
	if n <= 0 || n > 1<<31-1 {
		panic("captchaimage: invalid argument to intn")
	}
	limit := int32((1 << 31) - 1 - (1<<31)%uint32(n))
	v := p.int31()
	for v > limit {
		v = p.int31()
	}
	return int(v % int32(n))
}

// between returns a number in [from, to].
func (p *siprng) between(from, to int) int { return p.intn(to+1-from) + from }

// floatBetween returns a number in [from, to].
func (p *siprng) floatBetween(from, to float64) float64 {
	return (to-from)*(float64(p.int63())/(1<<63)) + from
}

// siphash is SipHash-2-4 of the single 8-byte message m.
func siphash(k0, k1, m uint64) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	const t = uint64(8) << 56 // the message's length, 8, in the last block's top byte
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13)
		v1 ^= v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16)
		v3 ^= v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21)
		v3 ^= v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17)
		v1 ^= v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	v3 ^= m
	round()
	round()
	v0 ^= m
	v3 ^= t
	round()
	round()
	v0 ^= t
	v2 ^= 0xff
	round()
	round()
	round()
	round()
	return v0 ^ v1 ^ v2 ^ v3
}
