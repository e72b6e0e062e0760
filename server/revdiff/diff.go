// Package revdiff compares two revisions of a draft: it pairs their sections by
// content (so an article that only moved or was renumbered is unchanged), says
// what happened to each pair, and diffs the text of a changed pair character by
// character. It does no I/O so it can be table-tested and fuzzed.
package revdiff

import "strings"

// OpKind says whether a run of text is in both texts, only the old or only the new.
type OpKind int

// The kinds of Op.
const (
	Equal OpKind = iota
	Delete
	Insert
)

// Op is a run of characters that is kept, deleted from the old text or inserted into the new.
type Op struct {
	Kind OpKind
	Text string
}

// Diff returns the character-level (rune) difference between a and b: the Equal and
// Delete runs in order spell a, the Equal and Insert runs in order spell b. Adjacent
// runs never have the same kind, and a deletion comes before the insertion it
// alternates with. A single kept character between two changes is folded into them,
// which reads better in Chinese than a diff confetti.
func Diff(a, b string) []Op {
	ra, rb := []rune(a), []rune(b)
	// Common prefix and suffix are cheap and common.
	p := 0
	for p < len(ra) && p < len(rb) && ra[p] == rb[p] {
		p++
	}
	s := 0
	for s < len(ra)-p && s < len(rb)-p && ra[len(ra)-1-s] == rb[len(rb)-1-s] {
		s++
	}
	var ops []Op
	if p > 0 {
		ops = append(ops, Op{Equal, string(ra[:p])})
	}
	ops = append(ops, myers(ra[p:len(ra)-s], rb[p:len(rb)-s])...)
	if s > 0 {
		ops = append(ops, Op{Equal, string(ra[len(ra)-s:])})
	}
	return tidy(ops)
}

// maxEdits bounds the work and memory of one diff (the trace grows with the square
// of the edits): two texts further apart than that are shown as one replacement,
// which is still a true diff and, for texts that different, as readable.
const maxEdits = 3000

// myers is Myers' O(ND) difference algorithm on runes, keeping each step's
// frontier so the edit script can be traced back.
func myers(a, b []rune) []Op {
	n, m := len(a), len(b)
	if n == 0 && m == 0 {
		return nil
	}
	if n == 0 {
		return []Op{{Insert, string(b)}}
	}
	if m == 0 {
		return []Op{{Delete, string(a)}}
	}
	max := n + m
	if max > 2*maxEdits {
		max = 2 * maxEdits
	}
	off := max
	v := make([]int32, 2*max+2)
	var trace [][]int32
	dEnd := -1
outer:
	for d := 0; d <= max && d <= maxEdits; d++ {
		snap := make([]int32, 2*d+1) // v[k] for k in -d..d, before this step
		for k := -d; k <= d; k++ {
			snap[k+d] = v[k+off]
		}
		trace = append(trace, snap)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[k-1+off] < v[k+1+off]) {
				x = int(v[k+1+off]) // down: insertion
			} else {
				x = int(v[k-1+off]) + 1 // right: deletion
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[k+off] = int32(x)
			if x >= n && y >= m {
				dEnd = d
				break outer
			}
		}
	}
	if dEnd < 0 {
		return []Op{{Delete, string(a)}, {Insert, string(b)}}
	}
	// Trace back from (n, m).
	type step struct {
		kind OpKind
		r    rune
	}
	var rev []step
	x, y := n, m
	for d := dEnd; d > 0; d-- {
		prev := trace[d] // the frontier step d started from, v[k] at prev[k+d]
		k := x - y
		var pk int
		if k == -d || (k != d && prev[k-1+d] < prev[k+1+d]) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := int(prev[pk+d])
		py := px - pk
		for x > px && y > py {
			x--
			y--
			rev = append(rev, step{Equal, a[x]})
		}
		if x == px {
			y--
			rev = append(rev, step{Insert, b[y]})
		} else {
			x--
			rev = append(rev, step{Delete, a[x]})
		}
	}
	for x > 0 && y > 0 {
		x--
		y--
		rev = append(rev, step{Equal, a[x]})
	}
	var ops []Op
	var cur []rune
	kind := OpKind(-1)
	for i := len(rev) - 1; i >= 0; i-- {
		st := rev[i]
		if st.kind != kind && len(cur) > 0 {
			ops = append(ops, Op{kind, string(cur)})
			cur = cur[:0]
		}
		kind = st.kind
		cur = append(cur, st.r)
	}
	if len(cur) > 0 {
		ops = append(ops, Op{kind, string(cur)})
	}
	return ops
}

// tidy folds single-character equalities between changes into the changes, then
// merges each stretch of changes into one deletion followed by one insertion.
func tidy(ops []Op) []Op {
	for i := 1; i+1 < len(ops); i++ {
		if ops[i].Kind == Equal && len([]rune(ops[i].Text)) == 1 && ops[i-1].Kind != Equal && ops[i+1].Kind != Equal {
			t := ops[i].Text
			ops[i] = Op{Delete, t}
			ops = append(ops[:i+1], append([]Op{{Insert, t}}, ops[i+1:]...)...)
			i++
		}
	}
	var out []Op
	for i := 0; i < len(ops); {
		if ops[i].Kind == Equal {
			if ops[i].Text != "" {
				out = append(out, ops[i])
			}
			i++
			continue
		}
		var del, ins strings.Builder
		for i < len(ops) && ops[i].Kind != Equal {
			if ops[i].Kind == Delete {
				del.WriteString(ops[i].Text)
			} else {
				ins.WriteString(ops[i].Text)
			}
			i++
		}
		if del.Len() > 0 {
			out = append(out, Op{Delete, del.String()})
		}
		if ins.Len() > 0 {
			out = append(out, Op{Insert, ins.String()})
		}
	}
	// Equal runs separated by nothing (can happen after folding) are merged.
	merged := out[:0]
	for _, op := range out {
		if n := len(merged); n > 0 && merged[n-1].Kind == op.Kind {
			merged[n-1].Text += op.Text
			continue
		}
		merged = append(merged, op)
	}
	return merged
}

// Sides returns the old and new texts an edit script spells.
func Sides(ops []Op) (old, new string) {
	var a, b strings.Builder
	for _, op := range ops {
		if op.Kind != Insert {
			a.WriteString(op.Text)
		}
		if op.Kind != Delete {
			b.WriteString(op.Text)
		}
	}
	return a.String(), b.String()
}
