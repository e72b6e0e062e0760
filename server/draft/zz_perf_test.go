package draft

import (
	"strings"
	"testing"
	"time"
)

func TestZZPerf(t *testing.T) {
	for _, n := range []int{12500, 25000, 50000, 100000} {
		in := strings.Repeat("（一）\n一、\n第十章\n第一条\n\n", n)
		start := time.Now()
		_, _ = Parse(in)
		t.Logf("%d bytes: %v", len(in), time.Since(start))
	}
}
