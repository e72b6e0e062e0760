package store

import "consult/store/dedupe"

// recentComments are the fingerprints of the latest comments the group committer
// stored: every comment with lo < id <= hi, oldest first. A comment's duplicate
// look-up ran on a read connection before it was queued (groupHint); the writer then
// has to look only at the comments stored since, a few dozen, and finds them here
// without a query. Only the committer goroutine touches it. Whatever else writes
// comments (an import, an officer recording a letter) leaves a gap above hi, which the
// committer sees at its next batch and starts the ring again (the writer then reads
// from the table until the ring covers the hints again).
type recentComments struct {
	lo, hi  int64
	entries []recentComment
}

type recentComment struct {
	id, consultationID, group int64
	fp                        dedupe.Fingerprint
}

// recentMax is how many comments the ring keeps: more than are ever in flight.
const recentMax = 1024

// sync starts the ring again unless it ends right below next, the id of the batch's
// first comment.
func (r *recentComments) sync(next int64) {
	if r.hi != next-1 {
		*r = recentComments{lo: next - 1, hi: next - 1}
	}
}

// covers says whether the ring holds every comment stored after id upTo.
func (r *recentComments) covers(upTo int64) bool { return upTo >= r.lo }

// add appends the comments of a committed batch (ids hi+1, hi+2, …).
func (r *recentComments) add(cs []recentComment) {
	for _, c := range cs {
		if c.id != r.hi+1 { // not contiguous: cannot vouch for what is missing
			*r = recentComments{lo: c.id, hi: c.id}
			continue
		}
		r.entries = append(r.entries, c)
		r.hi = c.id
	}
	if over := len(r.entries) - recentMax; over > 0 {
		r.lo = r.entries[over-1].id
		r.entries = append(r.entries[:0], r.entries[over:]...)
	}
}

// groupScan finds, among candidates seen oldest first, the group of the first with
// the same normalised text, else of the latest that shares a band with fp and is
// similar enough.
type groupScan struct {
	fp   dedupe.Fingerprint
	near int64
}

// see looks at one candidate; true when it is an identical text (the scan is over).
// sig is called only for a candidate that shares a band.
func (g *groupScan) see(group int64, hash string, bands [dedupe.NumBands]int64, sig func() dedupe.Fingerprint) bool {
	if hash == g.fp.Hash {
		g.near = group
		return true
	}
	if g.fp.Comparable() && sharesBand(g.fp.Bands, bands) && dedupe.Similarity(g.fp, sig()) >= dedupe.Threshold {
		g.near = group
	}
	return false
}

func sharesBand(a, b [dedupe.NumBands]int64) bool {
	for i := range a {
		if a[i] != 0 && a[i] == b[i] {
			return true
		}
	}
	return false
}

// inMemory is the look-up over the ring and the batch's comments stored so far.
func inMemory(ring *recentComments, batch []recentComment, consultationID int64, fp dedupe.Fingerprint, upTo int64) int64 {
	g := groupScan{fp: fp}
	for _, list := range [][]recentComment{ring.entries, batch} {
		for i := range list {
			c := &list[i]
			if c.id <= upTo || c.consultationID != consultationID {
				continue
			}
			if g.see(c.group, c.fp.Hash, c.fp.Bands, func() dedupe.Fingerprint { return c.fp }) {
				return g.near
			}
		}
	}
	return g.near
}
