package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"consult/server/revdiff"
	"consult/store"
)

// changeRow is one row of the 修改前后对照表: what became of one or more sections
// of the earlier revision in the later one.
type changeRow struct {
	Type     revdiff.Type
	Kind     string // preamble, chapter or article (of the later side, else the earlier)
	Old      []*store.Section
	New      []*store.Section
	Moved    bool
	Fixed    bool            // paired by an officer
	Ops      []revdiff.Op    // character diff of a modified pair
	Comments int             // comments written on the earlier side
	Adopted  []store.Adopted // adopted comments on the earlier side (once a report is published)
}

// OldText and NewText are the two sides as printed (labels included), sections
// joined by new lines.
func (r *changeRow) OldText() string { return sectionsText(r.Old) }
func (r *changeRow) NewText() string { return sectionsText(r.New) }

// OldLabel and NewLabel name the sides, e.g. "(八)" or "(八)(九)" for a split.
func (r *changeRow) OldLabel() string { return sectionsLabel(r.Old) }
func (r *changeRow) NewLabel() string { return sectionsLabel(r.New) }

// Renumbered says whether a section only changed its number.
func (r *changeRow) Renumbered() bool {
	return len(r.Old) > 0 && len(r.New) > 0 && r.OldLabel() != r.NewLabel()
}

// DiffHTML marks insertions and deletions with <ins> and <del>, each with a text for
// screen readers, so the change does not rely on colour alone. Only the text after the
// label is diffed; a relabelled section shows its new label.
func (r *changeRow) DiffHTML() template.HTML {
	var b strings.Builder
	for _, op := range r.Ops {
		t := template.HTMLEscapeString(op.Text)
		t = strings.ReplaceAll(t, "\n", "<br>")
		switch op.Kind {
		case revdiff.Equal:
			b.WriteString(t)
		case revdiff.Delete:
			b.WriteString(`<del><span class="visually-hidden">[删除:</span>` + t + `<span class="visually-hidden">]</span></del>`)
		case revdiff.Insert:
			b.WriteString(`<ins><span class="visually-hidden">[增加:</span>` + t + `<span class="visually-hidden">]</span></ins>`)
		}
	}
	return template.HTML(b.String())
}

// TypeLabel is the row's type as the table prints it, with a note for moves,
// splits and merges.
func (r *changeRow) TypeLabel() string {
	t := string(r.Type)
	switch {
	case len(r.Old) > 1:
		t += "(合并)"
	case len(r.New) > 1:
		t += "(拆分)"
	case r.Type == revdiff.Modified && r.Moved:
		t += "(移动)"
	}
	return t
}

func sectionsText(secs []*store.Section) string {
	parts := make([]string, len(secs))
	for i, s := range secs {
		parts[i] = s.Label + s.Heading + s.Sep + s.Body
	}
	return strings.Join(parts, "\n")
}

func sectionsLabel(secs []*store.Section) string {
	var b strings.Builder
	for _, s := range secs {
		b.WriteString(s.Label)
	}
	return b.String()
}

func sectionText(s *store.Section) string { return s.Heading + s.Sep + s.Body }

func revisionItems(secs []store.Section) []revdiff.Item {
	items := make([]revdiff.Item, len(secs))
	for i := range secs {
		s := &secs[i]
		items[i] = revdiff.Item{Kind: s.Kind, Anchor: s.Anchor, Label: s.Label, Text: sectionText(s)}
	}
	return items
}

func toPins(ps []store.PairPin) []revdiff.Pin {
	out := make([]revdiff.Pin, len(ps))
	for i, p := range ps {
		out[i] = revdiff.Pin{Old: p.Old, New: p.New}
	}
	return out
}

// comparison is the 修改前后对照表 between two revisions, with its counts.
type comparison struct {
	From, To       store.Revision
	Rows           []changeRow
	Changed, Added int // articles
	Deleted, Moved int
	Unchanged      int
	Report         bool // a feedback report is published (adopted comments are shown)
}

// compareSections pairs two revisions' sections and fills the rows; counts and
// adopted comments (keyed by the earlier side's anchors) are optional.
func compareSections(old, new []store.Section, pins []store.PairPin, counts map[string]int, adopted map[string][]store.Adopted) *comparison {
	cmp := &comparison{}
	for _, p := range revdiff.Compare(revisionItems(old), revisionItems(new), toPins(pins)) {
		row := changeRow{Type: p.Type, Moved: p.Moved, Fixed: p.Fixed}
		for _, i := range p.Old {
			row.Old = append(row.Old, &old[i])
			row.Comments += counts[old[i].Anchor]
			row.Adopted = append(row.Adopted, adopted[old[i].Anchor]...)
		}
		for _, j := range p.New {
			row.New = append(row.New, &new[j])
		}
		if len(row.New) > 0 {
			row.Kind = row.New[0].Kind
		} else {
			row.Kind = row.Old[0].Kind
		}
		if p.Type == revdiff.Modified {
			var a, b []string
			for _, s := range row.Old {
				a = append(a, sectionText(s))
			}
			for _, s := range row.New {
				b = append(b, sectionText(s))
			}
			row.Ops = revdiff.Diff(strings.Join(a, "\n"), strings.Join(b, "\n"))
		}
		if row.Kind == "article" {
			switch p.Type {
			case revdiff.Modified:
				cmp.Changed++
			case revdiff.Added:
				cmp.Added++
			case revdiff.Deleted:
				cmp.Deleted++
			case revdiff.Moved:
				cmp.Moved++
			case revdiff.Unchanged:
				cmp.Unchanged++
			}
		}
		cmp.Rows = append(cmp.Rows, row)
	}
	return cmp
}

// errNoRevision is a revision number a consultation does not have.
var errNoRevision = errors.New("no such revision")

// loadComparison compares revisions from and to of a consultation (0, 0: the one on
// show against the one before it), with the comments each earlier section received
// and, once a feedback report is published, the adopted ones.
func (a *app) loadComparison(ctx context.Context, c *store.Consultation, from, to int) (*comparison, []store.Revision, error) {
	return loadComparison(ctx, a.store, c, from, to)
}

func loadComparison(ctx context.Context, st *store.Store, c *store.Consultation, from, to int) (*comparison, []store.Revision, error) {
	revs, err := st.Revisions(ctx, c.ID)
	if err != nil {
		return nil, nil, err
	}
	if to == 0 {
		to = c.DraftRevision
	}
	if from == 0 {
		from = to - 1
	}
	if from < 1 || to < 1 || from > len(revs) || to > len(revs) || from >= to {
		return nil, revs, errNoRevision
	}
	old, err := st.RevisionSections(ctx, c.ID, from)
	if err != nil {
		return nil, nil, err
	}
	new, err := st.RevisionSections(ctx, c.ID, to)
	if err != nil {
		return nil, nil, err
	}
	counts, err := st.RevisionCommentCounts(ctx, c.ID, from)
	if err != nil {
		return nil, nil, err
	}
	adopted, err := st.AdoptedBySection(ctx, c.ID, from)
	if err != nil {
		return nil, nil, err
	}
	var pins []store.PairPin
	if to == from+1 {
		pins = revs[to-1].Pins // the officers' corrections hold for the pair they were made on
	}
	cmp := compareSections(old, new, pins, counts, adopted)
	cmp.From, cmp.To = revs[from-1], revs[to-1]
	if _, err := st.LatestFeedback(ctx, c.ID); err == nil {
		cmp.Report = true
	} else if !isNotFound(err) {
		return nil, nil, err
	}
	return cmp, revs, nil
}

// parseRevision parses a revision's text (the format of content/*.txt) into what the
// store publishes.
func parseRevision(text string) (*store.Consultation, []store.Section, error) {
	c, secs, err := importDraft(text)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256([]byte(text))
	c.DraftSHA256 = hex.EncodeToString(sum[:])
	return c, secs, nil
}

// revisionSummary is the one-line summary of a comparison, in Chinese.
func (cmp *comparison) summary() string {
	return fmt.Sprintf("修改 %d 条,新增 %d 条,删除 %d 条,移动 %d 条,未修改 %d 条", cmp.Changed, cmp.Added, cmp.Deleted, cmp.Moved, cmp.Unchanged)
}

// changeClass is a CSS class for a row's type.
func changeClass(t revdiff.Type) string {
	switch t {
	case revdiff.Modified:
		return "modified"
	case revdiff.Added:
		return "added"
	case revdiff.Deleted:
		return "deleted"
	case revdiff.Moved:
		return "moved"
	}
	return "unchanged"
}

func init() {
	funcs["revisionName"] = store.RevisionName
	funcs["changeClass"] = changeClass
}

// revisionDashboard is the dashboard of one round: GET /admin/c/{slug}/dashboard?rev=N.
// It is counted afresh each time (no cache), as a filtered view is asked for rarely.
func (a *app) revisionDashboard(c echo.Context, d *draftData, rev int) error {
	st, err := a.store.RevisionStats(c.Request().Context(), d.C.ID, rev)
	if err != nil {
		return err
	}
	now := a.now()
	v := newDashboardView(d.atRevision(rev), st, now, now)
	return a.render(c, http.StatusOK, "admin_dashboard", "意见统计("+store.RevisionName(rev)+")", v)
}

// recordTarget reads the section select of the letter/call form: an anchor of the
// current revision, or "N:anchor" for one of earlier revision N. It returns the
// revision (0 when the value names none) and the anchor.
func recordTarget(d *draftData, v string) (int, string) {
	if n, anchor, ok := strings.Cut(v, ":"); ok {
		rev, err := strconv.Atoi(n)
		if err != nil || rev < 1 || rev >= d.C.DraftRevision {
			return 0, ""
		}
		return rev, anchor
	}
	return d.C.DraftRevision, v
}

// roundCloses is when the comment window of revision rev closed (or closes): a letter
// about an earlier round is late when received after that round's close.
func (a *app) roundCloses(ctx context.Context, d *draftData, rev int) (time.Time, error) {
	if rev == d.C.DraftRevision {
		return d.C.ClosesAt, nil
	}
	revs, err := a.store.Revisions(ctx, d.C.ID)
	if err != nil {
		return time.Time{}, err
	}
	if rev < 1 || rev > len(revs) {
		return d.C.ClosesAt, nil
	}
	return revs[rev-1].ClosesAt, nil
}
