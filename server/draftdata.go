package main

import (
	"context"
	"sync"
	"time"

	"consult/store"
)

// draftData is a consultation with its sections, cached in memory: sections change
// only when a draft is re-imported or a window is changed, which bumps app.draftGen.
type draftData struct {
	C        *store.Consultation
	Sections []store.Section
	byAnchor map[string]*store.Section
	gen      uint64
	loaded   time.Time // a revision published by the command line (another process) is seen within pageTTL
	// Earlier holds the sections of earlier revisions by number (nil until the draft
	// is revised): comments written on them are shown against the text they were on.
	Earlier map[int][]store.Section
	earlier map[int]map[string]*store.Section
	// Scope is the revision a view of one revision shows (atRevision); 0 for all.
	Scope int
}

// atRevision returns d as a view of one revision shows it: that revision's sections
// (Section looks anchors up among them) and Scope set, so links keep the revision.
func (d *draftData) atRevision(rev int) *draftData {
	cp := *d
	cp.Scope = rev
	if rev != d.C.DraftRevision {
		cp.Sections = d.Earlier[rev]
		cp.byAnchor = d.earlier[rev]
	}
	return &cp
}

type draftCache struct {
	mu sync.Mutex
	m  map[string]*draftData
}

// loadDraft returns the consultation and its sections by slug.
func (a *app) loadDraft(ctx context.Context, slug string) (*draftData, error) {
	gen := a.draftGen.Load()
	a.draftsData.mu.Lock()
	d := a.draftsData.m[slug]
	a.draftsData.mu.Unlock()
	if d != nil && d.gen == gen && time.Since(d.loaded) < pageTTL {
		return d, nil
	}
	c, err := a.store.ConsultationBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	secs, err := a.store.Sections(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	d = &draftData{C: c, Sections: secs, byAnchor: make(map[string]*store.Section, len(secs)), gen: gen, loaded: time.Now()}
	for i := range secs {
		d.byAnchor[secs[i].Anchor] = &secs[i]
	}
	if c.DraftRevision > 1 {
		d.Earlier, d.earlier = map[int][]store.Section{}, map[int]map[string]*store.Section{}
		for r := 1; r < c.DraftRevision; r++ {
			old, err := a.store.RevisionSections(ctx, c.ID, r)
			if err != nil {
				return nil, err
			}
			d.Earlier[r], d.earlier[r] = old, make(map[string]*store.Section, len(old))
			for i := range old {
				d.earlier[r][old[i].Anchor] = &old[i]
			}
		}
	}
	a.draftsData.mu.Lock()
	if a.draftsData.m == nil || len(a.draftsData.m) > 1000 {
		a.draftsData.m = map[string]*draftData{}
	}
	a.draftsData.m[slug] = d
	a.draftsData.mu.Unlock()
	return d, nil
}

// Section returns the section with that anchor, or nil for "general" and unknown anchors.
func (d *draftData) Section(anchor string) *store.Section { return d.byAnchor[anchor] }

// SectionOf returns the section with that anchor in revision rev (0 or the current
// one: as Section), or nil.
func (d *draftData) SectionOf(rev int, anchor string) *store.Section {
	if rev == 0 || rev == d.C.DraftRevision {
		return d.byAnchor[anchor]
	}
	return d.earlier[rev][anchor]
}

// SectionsOf returns revision rev's sections (0: the current revision's).
func (d *draftData) SectionsOf(rev int) []store.Section {
	if rev == 0 || rev == d.C.DraftRevision {
		return d.Sections
	}
	return d.Earlier[rev]
}

// Revised reports whether the draft has more than one revision.
func (d *draftData) Revised() bool { return d.C.DraftRevision > 1 }

// RevisionNumbers lists the revisions, 1 to the current one.
func (d *draftData) RevisionNumbers() []int {
	out := make([]int, d.C.DraftRevision)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// window is the comment window that applies to a section (nil: the draft as a whole):
// the section's own override, else its chapter's, else the consultation's.
func (d *draftData) window(sec *store.Section) (opens, closes time.Time) {
	opens, closes = d.C.OpensAt, d.C.ClosesAt
	var chain []*store.Section
	for s := sec; s != nil; {
		chain = append(chain, s)
		if s.Parent < 0 || s.Parent >= len(d.Sections) {
			break
		}
		s = &d.Sections[s.Parent]
	}
	for i := len(chain) - 1; i >= 0; i-- { // outermost first, innermost wins
		if chain[i].OpensAt != nil {
			opens = *chain[i].OpensAt
		}
		if chain[i].ClosesAt != nil {
			closes = *chain[i].ClosesAt
		}
	}
	return opens, closes
}
