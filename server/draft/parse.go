package draft

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
)

// ErrNoSections is returned by Parse when the text has no chapter or article
// label at all.
var ErrNoSections = errors.New("draft: no sections found")

// maxTitleLines bounds how many short lines before the preamble are taken as
// the title.
const maxTitleLines = 4

// Head returns the text of the section's first line before its first body
// paragraph: Indent + Label + Gap + Heading + Sep. For a chapter or article,
// either Head() is the whole first input line (and Body holds only
// continuation lines) or Head() + the first line of Body is.
func (s *Section) Head() string {
	return s.Indent + s.Label + s.Gap + s.Heading + s.Sep
}

// Parse parses the text of a published draft: the page furniture around it,
// the consultation metadata, the call for comments, the title, a preamble and
// the chapters and articles. It is pure and never panics. It returns
// ErrNoSections when the text has no chapter or article label; otherwise it
// does its best.
//
// Structure is recognised in two forms. In the policy form chapters are
// "一、…" lines and articles "(一)…" or "（一）…" lines whose Heading is their
// first sentence. In the legal form (any line starts with "第X条") articles
// are "第X条" lines with no Heading, chapters "第X章" lines, and "一、" or
// "（一）" lines are items inside an article's Body. "第X章" is a chapter in
// both forms. "第X节" lines are not sections: like any other line they
// continue the section before them (the chapter if no article has started
// in it yet, else the current article).
func Parse(text string) (*Draft, error) {
	raws := strings.Split(text, "\n")
	ls := make([]lineInfo, len(raws))
	law := false
	for i, raw := range raws {
		t := strings.TrimSuffix(raw, "\r")
		if i == 0 {
			t = strings.TrimPrefix(t, "\uFEFF")
		}
		ls[i] = lineInfo{raw: raw, text: t, trim: strings.TrimSpace(t)}
		_, s := splitIndent(t)
		if diLabel(s, '条') > 0 {
			law = true
		}
	}
	first := -1
	for i := range ls {
		classify(&ls[i], law)
		if first < 0 && (ls[i].kind == kindChapter || ls[i].kind == kindArticle) {
			first = i
		}
	}
	if first < 0 {
		return nil, ErrNoSections
	}

	p := &parser{ls: ls, roles: make([]Role, len(ls)), d: &Draft{}}
	for i := range ls {
		switch ls[i].kind {
		case kindBlank:
			p.roles[i] = RoleBlank
		default:
			p.roles[i] = RoleFurniture
		}
	}
	preamble := p.header(first)
	p.trailer(first)
	p.body(preamble, first)
	p.finish()
	return p.d, nil
}

// parser holds the state of one Parse call.
type parser struct {
	ls    []lineInfo
	roles []Role
	d     *Draft
	parts [][]string // body paragraphs of each section
}

// header assigns roles to the lines before the first label at index first
// and fills Meta. It returns the indexes of the preamble's lines.
//
// It walks back from the first label: paragraphs are the preamble, then up to
// maxTitleLines short lines are the title; everything before that is
// metadata, the call for comments, the signer and date, or furniture.
func (p *parser) header(first int) (preamble []int) {
	ls := p.ls
	i := first - 1
	for ; i >= 0; i-- {
		l := &ls[i]
		if l.kind == kindBlank || l.kind == kindFurniture {
			continue
		}
		if l.kind != kindText || titleLike(l.trim) {
			break
		}
		preamble = append(preamble, i)
	}
	reverse(preamble)
	titles := 0
	for ; i >= 0 && titles < maxTitleLines; i-- {
		l := &ls[i]
		if l.kind == kindBlank {
			continue
		}
		if l.kind != kindText || !titleLike(l.trim) {
			break
		}
		p.roles[i] = RoleTitle
		titles++
	}
	// Without a title, leading paragraphs that ask for comments are the call.
	if titles == 0 {
		last := -1
		for k, idx := range preamble {
			if containsAny(ls[idx].trim, strongCallWords) {
				last = k
			}
		}
		for _, idx := range preamble[:last+1] {
			p.roles[idx] = RoleCall
		}
		preamble = preamble[last+1:]
	}
	for _, idx := range preamble {
		p.roles[idx] = RoleSection
	}
	p.metaRegion(i + 1)
	return preamble
}

// metaRegion assigns roles to lines [0, end) of the header.
func (p *parser) metaRegion(end int) {
	ls, m := p.ls, &p.d.Meta
	for i := 0; i < end; i++ {
		l := &ls[i]
		switch l.kind {
		case kindFurniture:
			if isBreadcrumb(l.trim) {
				if c := breadcrumbCategory(l.trim); c != "" {
					m.Category = c
				}
			}
		case kindMeta:
			p.roles[i] = RoleMeta
			p.metaPairs(l.trim)
		case kindDate:
			p.roles[i] = RoleMeta
			setOnce(&m.SignedOn, l.trim)
		case kindText:
			next := p.nextContent(i+1, end)
			switch {
			case next >= 0 && ls[next].kind == kindDate && titleLike(l.trim):
				p.roles[i] = RoleMeta
				setOnce(&m.Signer, l.trim)
			case containsAny(l.trim, callWords) || (next >= 0 && isContactLine(ls[next].trim)):
				p.roles[i] = RoleCall
			}
		}
	}
}

// nextContent returns the index of the first line in [from, end) that is
// neither blank nor furniture, or -1.
func (p *parser) nextContent(from, end int) int {
	for i := from; i < end && i < len(p.ls); i++ {
		if k := p.ls[i].kind; k != kindBlank && k != kindFurniture {
			return i
		}
	}
	return -1
}

// isContactLine reports whether t (trimmed) is a contact metadata line.
func isContactLine(t string) bool {
	loc := metaLineRE.FindStringSubmatchIndex(t)
	if loc == nil {
		return false
	}
	switch metaField(t[loc[2]:loc[3]]) {
	case "name", "phone", "email", "contact":
		return true
	}
	return false
}

// metaField maps a metadata key to the Meta field it fills.
func metaField(key string) string {
	switch strings.ToLower(key) {
	case "信息来源", "来源", "发布机构", "发布单位", "发布部门", "征集单位":
		return "publisher"
	case "征求意见时间", "意见征集时间", "征集时间", "征集期限", "征集日期", "起止时间", "反馈时间":
		return "window"
	case "联系人":
		return "name"
	case "联系电话", "咨询电话", "电话":
		return "phone"
	case "电子邮箱", "电子邮件", "邮箱", "邮件", "email", "e-mail":
		return "email"
	case "联系方式", "传真", "通讯地址", "联系地址", "地址", "邮编", "邮政编码":
		return "contact"
	}
	return ""
}

// metaPairs reads every "key:value" pair of a metadata line into Meta.
func (p *parser) metaPairs(t string) {
	m := &p.d.Meta
	locs := metaKeyRE.FindAllStringSubmatchIndex(t, -1)
	for k, loc := range locs {
		end := len(t)
		if k+1 < len(locs) {
			end = locs[k+1][0]
		}
		v := strings.TrimRightFunc(strings.TrimSpace(t[loc[1]:end]), func(r rune) bool {
			return isSpace(r) || strings.ContainsRune("，,；;、|｜", r)
		})
		switch metaField(t[loc[2]:loc[3]]) {
		case "publisher":
			setOnce(&m.Publisher, v)
		case "window":
			if m.Window == "" && v != "" {
				m.Window = v
				m.OpensAt, m.ClosesAt = splitWindow(v)
			}
		case "name":
			setOnce(&m.ContactName, v)
		case "phone":
			setOnce(&m.ContactPhone, v)
		case "email":
			setOnce(&m.ContactEmail, v)
		}
	}
}

// splitWindow splits "2022-12-21 17:24 至 2023-02-07 17:00" into its ends.
func splitWindow(v string) (opens, closes string) {
	const cut = " \t\u3000—–~～－-"
	for _, sep := range []string{"至", "到", "～", "~", "—", "–", " - ", "－"} {
		if a, b, ok := strings.Cut(v, sep); ok {
			return strings.Trim(a, cut), strings.Trim(b, cut)
		}
	}
	return v, ""
}

func setOnce(field *string, v string) {
	if *field == "" {
		*field = v
	}
}

// trailer marks a signer and date printed after the last section (a date
// line, optionally preceded by a short line, as the last content) as Meta.
func (p *parser) trailer(first int) {
	ls, m := p.ls, &p.d.Meta
	j := p.prevContent(len(ls)-1, first)
	if j <= first || ls[j].kind != kindDate {
		return
	}
	p.roles[j] = RoleMeta
	setOnce(&m.SignedOn, ls[j].trim)
	k := p.prevContent(j-1, first)
	if k > first && ls[k].kind == kindText && titleLike(ls[k].trim) {
		p.roles[k] = RoleMeta
		setOnce(&m.Signer, ls[k].trim)
	}
}

// prevContent returns the index of the last line in [stop, from] that is
// neither blank nor furniture, or -1.
func (p *parser) prevContent(from, stop int) int {
	for i := from; i >= stop && i >= 0; i-- {
		if k := p.ls[i].kind; k != kindBlank && k != kindFurniture {
			return i
		}
	}
	return -1
}

// body builds the sections from the preamble lines and the lines from the
// first label on.
func (p *parser) body(preamble []int, first int) {
	d := p.d
	if len(preamble) > 0 {
		d.Sections = append(d.Sections, Section{Kind: KindPreamble, Anchor: "preamble", Parent: -1})
		var paras []string
		for _, i := range preamble {
			paras = append(paras, p.ls[i].text)
		}
		p.parts = append(p.parts, paras)
	}
	cur, chapter := len(d.Sections)-1, -1
	chapters, articles := 0, 0
	for i := first; i < len(p.ls); i++ {
		l := &p.ls[i]
		if p.roles[i] == RoleMeta {
			continue // a trailing signer or date
		}
		switch l.kind {
		case kindBlank:
			continue
		case kindFurniture:
			continue
		case kindChapter, kindArticle:
			s := newSection(l)
			if l.kind == kindChapter {
				chapters++
				s.Kind, s.Ordinal, s.Parent = KindChapter, chapters, -1
				s.Anchor = "chapter-" + strconv.Itoa(chapters)
				chapter = len(d.Sections)
			} else {
				articles++
				s.Kind, s.Ordinal, s.Parent = KindArticle, articles, chapter
				s.Anchor = "article-" + strconv.Itoa(articles)
			}
			var paras []string
			if s.Body != "" {
				paras = append(paras, s.Body)
			}
			d.Sections = append(d.Sections, s)
			p.parts = append(p.parts, paras)
			cur = len(d.Sections) - 1
		default:
			if cur < 0 {
				continue // cannot happen: the body starts with a label
			}
			p.parts[cur] = append(p.parts[cur], l.text)
		}
		p.roles[i] = RoleSection
	}
	for k := range d.Sections {
		d.Sections[k].Body = strings.Join(p.parts[k], "\n")
	}
}

// newSection splits a label line into Indent, Label, Gap, Heading, Sep and
// the start of Body.
func newSection(l *lineInfo) Section {
	indent, s := splitIndent(l.text)
	rest := s[len(l.label):]
	sec := Section{Indent: indent, Label: l.label}
	switch l.style {
	case styleDiArticle:
		sec.Sep, sec.Body = splitIndent(rest)
	case styleDiChapter:
		sec.Gap, rest = splitIndent(rest)
		sec.Heading = strings.TrimRightFunc(rest, unicode.IsSpace)
		sec.Sep = rest[len(sec.Heading):]
	default:
		sec.Gap, rest = splitIndent(rest)
		if h, b, ok := strings.Cut(rest, "。"); ok {
			sec.Heading, sec.Sep, sec.Body = h, "。", b
		} else {
			sec.Heading = strings.TrimRightFunc(rest, unicode.IsSpace)
			sec.Sep = rest[len(sec.Heading):]
		}
	}
	return sec
}

// finish fills Call, Title and Lines from the roles.
func (p *parser) finish() {
	d := p.d
	var call []string
	d.Lines = make([]Line, len(p.ls))
	for i, l := range p.ls {
		d.Lines[i] = Line{Role: p.roles[i], Text: l.raw}
		switch p.roles[i] {
		case RoleCall:
			call = append(call, l.text)
		case RoleTitle:
			d.Title = append(d.Title, l.trim)
		}
	}
	d.Call = strings.Join(call, "\n")
}

func reverse(s []int) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}
