// Package draft parses the published text of a draft policy into its metadata,
// preamble, chapters and articles. It does no I/O so it can be table-tested and fuzzed.
package draft

// Kind says what a Section is.
type Kind string

// The kinds of section a draft is made of.
const (
	KindPreamble Kind = "preamble"
	KindChapter  Kind = "chapter"
	KindArticle  Kind = "article"
)

// Role says what a line of the input is, so that every byte is accounted for.
type Role string

// The roles a line of input can play.
const (
	RoleFurniture Role = "furniture" // page furniture: breadcrumb, site name, 字体颜色, 扫一扫…
	RoleMeta      Role = "meta"      // 来源/征集时间/联系人/联系电话/邮箱/signer/date
	RoleCall      Role = "call"      // the call for comments paragraph
	RoleTitle     Role = "title"
	RoleSection   Role = "section" // part of the preamble, a chapter or an article
	RoleBlank     Role = "blank"
)

// Line is one input line (without its trailing "\n") and the role it plays.
type Line struct {
	Role Role
	Text string
}

// Meta is the consultation metadata printed around the draft on the published page.
type Meta struct {
	Category     string // last breadcrumb segment, e.g. 重大行政决策 ("" if absent)
	Publisher    string // 来源, e.g. 银川经济技术开发区
	Window       string // 征集时间 as printed, e.g. "2022-12-21 17:24 至 2023-02-07 17:00"
	OpensAt      string // "2022-12-21 17:24" (Beijing time, as printed)
	ClosesAt     string // "2023-02-07 17:00"
	ContactName  string // 联系人
	ContactPhone string // 联系电话
	ContactEmail string // 邮箱
	Signer       string // 银川经济技术开发区管理委员会
	SignedOn     string // 2022年12月21日
}

// Section is the preamble, a chapter or an article, in document order.
type Section struct {
	Kind    Kind
	Anchor  string // "preamble", "chapter-N", "article-N" (N counts from 1 per kind in document order)
	Ordinal int    // N above; 0 for the preamble
	Parent  int    // index in Draft.Sections of the enclosing chapter, -1 if none
	Label   string // as printed: "一、", "(十七)", "（十七）", "第一章", "第一条"; "" for the preamble
	Heading string // chapter title, or an article's first sentence without its closing "。"
	Sep     string // what stood between Heading and Body in the text ("。" for a heading sentence, " "/"　" after 第X条, "" otherwise; the space in 第X章　总则 is Gap)
	Body    string // the rest, verbatim; paragraphs separated by "\n"

	// Indent is the white space before Label on the first line (usually "").
	Indent string
	// Gap is the white space between Label and Heading, e.g. the full-width
	// space of "第一章　总则" (Label 第一章, Gap "　", Heading 总则). It is ""
	// in the policy form and in 第X条 articles, where the space after the
	// label is Sep. So Indent+Label+Gap+Heading+Sep followed by the first
	// paragraph of Body (when it starts on the same line) is the first line.
	Gap string
}

// Draft is a parsed draft: metadata, call for comments, title and sections.
type Draft struct {
	Meta     Meta
	Call     string   // the call for comments, verbatim
	Title    []string // title lines as printed (the seed's title has two)
	Sections []Section
	Lines    []Line // every input line with its role: joining the Texts with "\n" gives back the input
}
