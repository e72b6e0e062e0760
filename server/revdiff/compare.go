package revdiff

import (
	"slices"
	"sort"
	"strings"
	"unicode"

	"consult/server/draft"
)

// Type says what happened to a pair of sections between two revisions.
type Type string

// The types of Pair, as the 修改前后对照表 names them.
const (
	Modified  Type = "修改"
	Added     Type = "新增"
	Deleted   Type = "删除"
	Moved     Type = "移动"
	Unchanged Type = "未修改"
)

// Item is one section of a revision: the preamble, a chapter or an article.
type Item struct {
	Kind   string // preamble, chapter or article: only items of one kind are paired
	Anchor string // article-N etc., unique within its revision
	Label  string // as printed (第八条, (八)); a new label alone is a renumbering, not a change
	Text   string // everything but the label: heading, separator and body
}

// Pair is what became of one or more sections of the old revision in the new one.
// Old and New are indexes into the two item lists; one of them is empty for an
// addition or a deletion, and either has several for a split or a merge.
type Pair struct {
	Type  Type
	Old   []int
	New   []int
	Score float64 // content similarity of the two sides, 0–1
	Moved bool    // out of the old order (always so for Moved; also possible for Modified)
	Fixed bool    // pinned by an officer rather than found by content
}

// Pin is an officer's correction of a pairing, by anchor: Old and New both set pairs
// them; Old alone marks it deleted, New alone marks it added.
type Pin struct {
	Old, New string
}

// Threshold is the least similarity at which two sections of the same kind are
// taken to be one section revised rather than a deletion and an addition.
const Threshold = 0.5

// containment is the least share of a section's bigrams found in another for it to
// be taken as split from (or merged into) that one.
const containment = 0.7

// Compare pairs the sections of an old and a new revision by content and returns
// the pairs in the new revision's order, each deleted section where it stood (after
// what followed its predecessor). Every item of both lists is in exactly one pair.
// Pins (an officer's corrections, by anchor) are applied first; unknown anchors in
// them are ignored.
func Compare(old, new []Item, pins []Pin) []Pair {
	ob, nb := make([]bag, len(old)), make([]bag, len(new))
	for i := range old {
		ob[i] = bigrams(old[i].Text)
	}
	for j := range new {
		nb[j] = bigrams(new[j].Text)
	}
	pairOf := map[int]*Pair{} // by new index
	oldTaken, newTaken := make([]bool, len(old)), make([]bool, len(new))
	var pairs []*Pair
	oIdx, nIdx := anchorIndex(old), anchorIndex(new)
	for _, p := range pins {
		i, iok := oIdx[p.Old]
		j, jok := nIdx[p.New]
		switch {
		case iok && jok && !oldTaken[i] && !newTaken[j]:
			pr := &Pair{Old: []int{i}, New: []int{j}, Score: dice(ob[i], nb[j]), Fixed: true}
			pairs = append(pairs, pr)
			pairOf[j] = pr
			oldTaken[i], newTaken[j] = true, true
		case iok && p.New == "" && !oldTaken[i]:
			pairs = append(pairs, &Pair{Old: []int{i}, Fixed: true})
			oldTaken[i] = true
		case jok && p.Old == "" && !newTaken[j]:
			pr := &Pair{New: []int{j}, Fixed: true}
			pairs = append(pairs, pr)
			pairOf[j] = pr
			newTaken[j] = true
		}
	}

	// One to one, most similar first; among equals the one nearest in relative position.
	type cand struct {
		i, j  int
		score float64
		dist  float64
	}
	var cands []cand
	for i := range old {
		if oldTaken[i] {
			continue
		}
		for j := range new {
			if newTaken[j] || old[i].Kind != new[j].Kind {
				continue
			}
			sc := 1.0
			if old[i].Text != new[j].Text {
				sc = dice(ob[i], nb[j])
				if sc >= 1 {
					sc = 0.999 // same characters, different text: still a change
				}
			}
			if sc >= Threshold {
				cands = append(cands, cand{i, j, sc, abs(rel(i, len(old)) - rel(j, len(new)))})
			}
		}
	}
	sort.Slice(cands, func(a, b int) bool {
		if cands[a].score != cands[b].score {
			return cands[a].score > cands[b].score
		}
		if cands[a].dist != cands[b].dist {
			return cands[a].dist < cands[b].dist
		}
		if cands[a].j != cands[b].j {
			return cands[a].j < cands[b].j
		}
		return cands[a].i < cands[b].i
	})
	for _, c := range cands {
		if oldTaken[c.i] || newTaken[c.j] {
			continue
		}
		pr := &Pair{Old: []int{c.i}, New: []int{c.j}, Score: c.score}
		pairs = append(pairs, pr)
		pairOf[c.j] = pr
		oldTaken[c.i], newTaken[c.j] = true, true
	}

	// Splits: a new section left over that lies mostly inside an old one joins its pair.
	// Merges: an old section left over that lies mostly inside a new one joins its pair.
	oldPair := map[int]*Pair{}
	for _, pr := range pairs {
		for _, i := range pr.Old {
			oldPair[i] = pr
		}
	}
	for j := range new {
		if newTaken[j] {
			continue
		}
		best, bi := 0.0, -1
		for i := range old {
			if old[i].Kind != new[j].Kind || oldPair[i] == nil || oldPair[i].Fixed || len(oldPair[i].New) == 0 {
				continue
			}
			if c := contained(nb[j], ob[i]); c > best {
				best, bi = c, i
			}
		}
		if bi >= 0 && best >= containment {
			pr := oldPair[bi]
			pr.New = append(pr.New, j)
			pairOf[j] = pr
			newTaken[j] = true
		}
	}
	for i := range old {
		if oldTaken[i] {
			continue
		}
		best, bj := 0.0, -1
		for j := range new {
			if old[i].Kind != new[j].Kind || pairOf[j] == nil || pairOf[j].Fixed || len(pairOf[j].Old) == 0 {
				continue
			}
			if c := contained(ob[i], nb[j]); c > best {
				best, bj = c, j
			}
		}
		if bj >= 0 && best >= containment {
			pr := pairOf[bj]
			pr.Old = append(pr.Old, i)
			oldTaken[i] = true
		}
	}
	for j := range new {
		if !newTaken[j] {
			pr := &Pair{New: []int{j}}
			pairs = append(pairs, pr)
			pairOf[j] = pr
		}
	}
	for i := range old {
		if !oldTaken[i] {
			pairs = append(pairs, &Pair{Old: []int{i}})
		}
	}

	// Types, moves and scores of the joined texts.
	var both []*Pair
	for _, pr := range pairs {
		sort.Ints(pr.Old)
		sort.Ints(pr.New)
		switch {
		case len(pr.Old) == 0:
			pr.Type = Added
		case len(pr.New) == 0:
			pr.Type = Deleted
		default:
			both = append(both, pr)
			a, b := joinText(old, pr.Old), joinText(new, pr.New)
			if a == b {
				pr.Type, pr.Score = Unchanged, 1
			} else {
				pr.Type = Modified
				if len(pr.Old) > 1 || len(pr.New) > 1 {
					pr.Score = dice(bigrams(a), bigrams(b))
				}
			}
		}
	}
	sort.Slice(both, func(a, b int) bool { return both[a].New[0] < both[b].New[0] })
	seq := make([]int, len(both))
	for k, pr := range both {
		seq[k] = pr.Old[0]
	}
	inOrder := lis(seq)
	for k, pr := range both {
		if !inOrder[k] {
			pr.Moved = true
			if pr.Type == Unchanged {
				pr.Type = Moved
			}
		}
	}
	return order(pairs, old, new)
}

// order lays the pairs out in the new revision's order, each deletion after the pair
// holding the nearest old section before it that was not deleted.
func order(pairs []*Pair, old, new []Item) []Pair {
	byNew := make([]*Pair, len(new))
	deleted := make([]bool, len(old))
	for _, pr := range pairs {
		for _, j := range pr.New {
			byNew[j] = pr
		}
		if len(pr.New) == 0 {
			deleted[pr.Old[0]] = true
		}
	}
	after := map[int][]int{} // old index (-1: the start) -> deletions that follow it
	for i := range old {
		if deleted[i] {
			p := i - 1
			for p >= 0 && deleted[p] {
				p--
			}
			after[p] = append(after[p], i)
		}
	}
	var out []Pair
	emitDeleted := func(i int) {
		for _, d := range after[i] {
			out = append(out, Pair{Type: Deleted, Old: []int{d}, Fixed: fixedDeleted(pairs, d)})
		}
	}
	emitDeleted(-1)
	done := map[*Pair]bool{}
	for j := range new {
		pr := byNew[j]
		if done[pr] {
			continue
		}
		done[pr] = true
		out = append(out, *pr)
		for _, i := range pr.Old {
			emitDeleted(i)
		}
	}
	return out
}

func fixedDeleted(pairs []*Pair, i int) bool {
	for _, pr := range pairs {
		if len(pr.New) == 0 && pr.Old[0] == i {
			return pr.Fixed
		}
	}
	return false
}

// lis marks the members of one longest strictly increasing subsequence of seq.
func lis(seq []int) []bool {
	n := len(seq)
	tails := []int{} // indexes into seq
	prev := make([]int, n)
	for k, v := range seq {
		lo := sort.Search(len(tails), func(t int) bool { return seq[tails[t]] >= v })
		if lo > 0 {
			prev[k] = tails[lo-1]
		} else {
			prev[k] = -1
		}
		if lo == len(tails) {
			tails = append(tails, k)
		} else {
			tails[lo] = k
		}
	}
	in := make([]bool, n)
	if len(tails) > 0 {
		for k := tails[len(tails)-1]; k >= 0; k = prev[k] {
			in[k] = true
		}
	}
	return in
}

func joinText(items []Item, idx []int) string {
	parts := make([]string, len(idx))
	for k, i := range idx {
		parts[k] = items[i].Text
	}
	return strings.Join(parts, "\n")
}

// JoinedText is the text of one side of a pair: its sections' texts joined by "\n".
func JoinedText(items []Item, idx []int) string { return joinText(items, idx) }

func anchorIndex(items []Item) map[string]int {
	m := make(map[string]int, len(items))
	for i, it := range items {
		m[it.Anchor] = i
	}
	return m
}

func rel(i, n int) float64 {
	if n <= 1 {
		return 0
	}
	return float64(i) / float64(n-1)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// bag is a multiset of character bigrams (a single character for a one-character
// text), each packed in a uint64, sorted so that two bags intersect in one merge.
type bag struct {
	b []uint64
	n int
}

// bigrams collects the character bigrams of s, ignoring white space and punctuation
// so that re-spacing or re-punctuating is not mistaken for new content.
func bigrams(s string) bag {
	rs := make([]rune, 0, len(s)/3+1)
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsPunct(r) {
			continue
		}
		rs = append(rs, r)
	}
	var b []uint64
	switch {
	case len(rs) == 1:
		b = []uint64{uint64(uint32(rs[0])) << 32}
	case len(rs) > 1:
		b = make([]uint64, 0, len(rs)-1)
		for k := 0; k+1 < len(rs); k++ {
			b = append(b, uint64(uint32(rs[k]))<<32|uint64(uint32(rs[k+1])))
		}
		slices.Sort(b)
	}
	return bag{b: b, n: len(b)}
}

// common is the size of the multiset intersection of two bags.
func common(a, b bag) int {
	n, i, j := 0, 0, 0
	for i < len(a.b) && j < len(b.b) {
		switch {
		case a.b[i] < b.b[j]:
			i++
		case a.b[i] > b.b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

// dice is the Sørensen–Dice similarity of two bags: 1 for the same bigrams, 0 for none shared.
func dice(a, b bag) float64 {
	if a.n+b.n == 0 {
		return 1
	}
	return 2 * float64(common(a, b)) / float64(a.n+b.n)
}

// contained is the share of a's bigrams that are also in b.
func contained(a, b bag) float64 {
	if a.n == 0 {
		return 0
	}
	return float64(common(a, b)) / float64(a.n)
}

// ItemsFromDraft returns the sections of a parsed draft as items to compare.
func ItemsFromDraft(d *draft.Draft) []Item {
	items := make([]Item, len(d.Sections))
	for i, s := range d.Sections {
		items[i] = Item{Kind: string(s.Kind), Anchor: s.Anchor, Label: s.Label, Text: s.Heading + s.Sep + s.Body}
	}
	return items
}
