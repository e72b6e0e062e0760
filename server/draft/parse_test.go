package draft

import (
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// seedLines returns the seed page and its lines (index 0 is file line 1).
func seedLines(t *testing.T) (string, []string) {
	t.Helper()
	b, err := os.ReadFile("testdata/seed-page.txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(b), strings.Split(string(b), "\n")
}

// seedArticles lists the 23 articles of the seed: label, heading, the file
// line they are on and the file line of their chapter.
var seedArticles = []struct {
	label, heading string
	line, chapter  int
}{
	{"(一)", "坚持简政放权", 27, 26},
	{"(二)", "强化市场竞争", 28, 26},
	{"(三)", "坚持稳中求进", 29, 26},
	{"(四)", "运行机制更加高效顺畅", 31, 30},
	{"(五)", "整体实力再上新台阶", 32, 30},
	{"(六)", "高质量发展取得新突破", 33, 30},
	{"(七)", "优化综合管理职能", 35, 34},
	{"(八)", "移交社会事务管理职能", 36, 34},
	{"(九)", "健全完善现代企业制度", 37, 34},
	{"(十)", "整合公铁物流园功能", 38, 34},
	{"(十一)", "优化人员管理方式", 39, 34},
	{"(十二)", "调整审批执法权限", 40, 34},
	{"(十三)", "强化财政保障机制", 41, 34},
	{"(十四)", "加强政务服务保障", 42, 34},
	{"(十五)", "提升专业招商能力", 43, 34},
	{"(十六)", "全面强化规划引领作用", 45, 44},
	{"(十七)", "加快建立现代产业体系", 46, 44},
	{"(十八)", "全面提升创新驱动能力", 47, 44},
	{"(十九)", "全面推进绿色低碳发展", 48, 44},
	{"(二十)", "全面提高资源要素利用效率", 49, 44},
	{"(二十一)", "健全组织机构", 51, 50},
	{"(二十二)", "建立工作台账", 52, 50},
	{"(二十三)", "强化督查落实", 53, 50},
}

// seedChapters lists the six chapters of the seed with their file lines.
var seedChapters = []struct {
	label, heading string
	line           int
}{
	{"一、", "总体要求", 24},
	{"二、", "基本原则", 26},
	{"三、", "发展目标", 30},
	{"四、", "持续深化改革", 34},
	{"五、", "加快转型升级", 44},
	{"六、", "加强组织领导", 50},
}

func TestParseSeed(t *testing.T) {
	text, lines := seedLines(t)
	line := func(n int) string { return lines[n-1] }
	d, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, text, d)

	wantMeta := Meta{
		Category:     "重大行政决策",
		Publisher:    "银川经济技术开发区",
		Window:       "2022-12-21 17:24 至 2023-02-07 17:00",
		OpensAt:      "2022-12-21 17:24",
		ClosesAt:     "2023-02-07 17:00",
		ContactName:  "陈淑芳",
		ContactPhone: "13830463501",
		ContactEmail: "1837060996@qq.com",
		Signer:       "银川经济技术开发区管理委员会",
		SignedOn:     "2022年12月21日",
	}
	if d.Meta != wantMeta {
		t.Errorf("Meta:\n got %+v\nwant %+v", d.Meta, wantMeta)
	}
	if !strings.HasPrefix(d.Call, "为进一步深化银川经济技术开发区") || !strings.HasSuffix(d.Call, "截止日期为2023年2月7日。") || d.Call != line(15) {
		t.Errorf("Call = %q", d.Call)
	}
	if want := []string{"银川经济技术开发区推进体制机制改革", "促进高质量发展实施方案"}; !reflect.DeepEqual(d.Title, want) {
		t.Errorf("Title = %q, want %q", d.Title, want)
	}

	if len(d.Sections) == 0 || d.Sections[0].Kind != KindPreamble {
		t.Fatalf("no preamble: %+v", d.Sections)
	}
	pre := d.Sections[0]
	if pre.Anchor != "preamble" || pre.Parent != -1 || pre.Label != "" || pre.Heading != "" || pre.Body != line(23) {
		t.Errorf("preamble = %+v", pre)
	}

	index := map[int]int{} // file line -> section index
	var chapters, articles []int
	for i, s := range d.Sections {
		switch s.Kind {
		case KindChapter:
			chapters = append(chapters, i)
		case KindArticle:
			articles = append(articles, i)
		}
	}
	if len(chapters) != len(seedChapters) || len(articles) != len(seedArticles) {
		t.Fatalf("%d chapters and %d articles, want %d and %d", len(chapters), len(articles), len(seedChapters), len(seedArticles))
	}
	for n, i := range chapters {
		s, want := d.Sections[i], seedChapters[n]
		index[want.line] = i
		if s.Label != want.label || s.Heading != want.heading || s.Sep != "" || s.Parent != -1 ||
			s.Anchor != "chapter-"+itoa(n+1) || s.Ordinal != n+1 || s.Label+s.Heading != line(want.line) {
			t.Errorf("chapter %d = %+v, want %+v", n+1, s, want)
		}
	}
	if got := d.Sections[chapters[0]].Body; got != line(25) {
		t.Errorf("chapter 1 body = %q, want line 25", got)
	}
	for _, i := range chapters[1:] {
		if d.Sections[i].Body != "" {
			t.Errorf("chapter %s has body %q", d.Sections[i].Anchor, d.Sections[i].Body)
		}
	}
	for n, i := range articles {
		s, want := d.Sections[i], seedArticles[n]
		if s.Kind != KindArticle || s.Label != want.label || s.Heading != want.heading || s.Sep != "。" {
			t.Errorf("article %d: %q %q %q, want %q %q", n+1, s.Label, s.Heading, s.Sep, want.label, want.heading)
		}
		if s.Anchor != "article-"+itoa(n+1) || s.Ordinal != n+1 {
			t.Errorf("article %d: anchor %q ordinal %d", n+1, s.Anchor, s.Ordinal)
		}
		if s.Parent != index[want.chapter] {
			t.Errorf("article %d: parent %d, want %d (%s)", n+1, s.Parent, index[want.chapter], line(want.chapter))
		}
		if got := s.Label + s.Heading + s.Sep + s.Body; got != line(want.line) {
			t.Errorf("article %d does not rebuild line %d:\n got %q\nwant %q", n+1, want.line, got, line(want.line))
		}
	}
	if s := d.Sections[articles[16]]; s.Label != "(十七)" || s.Heading != "加快建立现代产业体系" || s.Anchor != "article-17" {
		t.Errorf("article 17 = %+v", s)
	}
	if s := d.Sections[articles[10]]; !strings.Contains(s.Body, "探索实行 “行政编制") {
		t.Errorf("article 11 lost its inner space: %q", s.Body)
	}

	wantRoles := map[int]Role{1: RoleFurniture, 2: RoleFurniture, 3: RoleMeta, 4: RoleFurniture, 14: RoleFurniture,
		15: RoleCall, 16: RoleMeta, 18: RoleMeta, 19: RoleMeta, 20: RoleMeta, 21: RoleTitle, 22: RoleTitle,
		23: RoleSection, 24: RoleSection, 53: RoleSection, 54: RoleFurniture}
	for n, role := range wantRoles {
		if got := d.Lines[n-1].Role; got != role {
			t.Errorf("line %d role %q, want %q", n, got, role)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestParseSeedCleaned checks that the page furniture does not change the
// result: the seed without its site name, font controls and QR-code line.
func TestParseSeedCleaned(t *testing.T) {
	text, lines := seedLines(t)
	var kept []string
	for i, l := range lines {
		n := i + 1
		if n == 2 || (n >= 4 && n <= 14) || n == 54 {
			continue
		}
		kept = append(kept, l)
	}
	cleaned := strings.Join(kept, "\n")
	full, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	clean, err := Parse(cleaned)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, cleaned, clean)
	if full.Meta != clean.Meta || full.Call != clean.Call || !reflect.DeepEqual(full.Title, clean.Title) ||
		!reflect.DeepEqual(full.Sections, clean.Sections) {
		t.Errorf("cleaned seed parses differently:\n%+v\n%+v", full, clean)
	}
}

// TestParseSeedCRLF checks "\r\n" line ends and a byte order mark.
func TestParseSeedCRLF(t *testing.T) {
	text, _ := seedLines(t)
	crlf := "\uFEFF" + strings.ReplaceAll(text, "\n", "\r\n")
	want, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(crlf)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, crlf, got)
	if want.Meta != got.Meta || want.Call != got.Call || !reflect.DeepEqual(want.Title, got.Title) ||
		!reflect.DeepEqual(want.Sections, got.Sections) {
		t.Errorf("CRLF seed parses differently")
	}
	for i := range want.Lines {
		if want.Lines[i].Role != got.Lines[i].Role {
			t.Errorf("line %d: role %q with CRLF, %q without", i+1, got.Lines[i].Role, want.Lines[i].Role)
		}
	}
	if !strings.HasPrefix(got.Lines[0].Text, "\uFEFF") || !strings.HasSuffix(got.Lines[0].Text, "\r") {
		t.Errorf("line 1 text %q lost its BOM or CR", got.Lines[0].Text)
	}
}

// formCase is a small draft in one of the forms offices publish.
type formCase struct {
	name     string
	input    string
	meta     Meta
	call     string
	title    []string
	sections []Section
}

func preamble(body string) Section {
	return Section{Kind: KindPreamble, Anchor: "preamble", Parent: -1, Body: body}
}

func chapter(n int, label, gap, heading, sep, body string) Section {
	return Section{Kind: KindChapter, Anchor: "chapter-" + itoa(n), Ordinal: n, Parent: -1,
		Label: label, Gap: gap, Heading: heading, Sep: sep, Body: body}
}

func article(n, parent int, label, heading, sep, body string) Section {
	return Section{Kind: KindArticle, Anchor: "article-" + itoa(n), Ordinal: n, Parent: parent,
		Label: label, Heading: heading, Sep: sep, Body: body}
}

var formCases = []formCase{
	{
		name: "full-width parentheses",
		input: "关于加快发展的若干措施\n（征求意见稿）\n\n为了加快发展，制定本措施。\n\n一、总体目标\n到2025年，实现目标。\n" +
			"二、主要措施\n（一）强化创新。支持企业创新。\n对创新企业给予奖励。\n\n（二）优化服务。\n（十）兜底条款\n",
		title: []string{"关于加快发展的若干措施", "（征求意见稿）"},
		sections: []Section{
			preamble("为了加快发展，制定本措施。"),
			chapter(1, "一、", "", "总体目标", "", "到2025年，实现目标。"),
			chapter(2, "二、", "", "主要措施", "", ""),
			article(1, 2, "（一）", "强化创新", "。", "支持企业创新。\n对创新企业给予奖励。"),
			article(2, 2, "（二）", "优化服务", "。", ""),
			article(3, 2, "（十）", "兜底条款", "", ""),
		},
	},
	{
		name: "law form",
		input: "银川市物业管理条例（草案）\n" +
			"第一章　总则\n" +
			"第一条　为了规范物业管理，制定本条例。\n" +
			"第二条　本条例适用于下列活动：\n" +
			"（一）甲活动；\n" +
			"(二)乙活动；\n" +
			"一、丙活动。\n" +
			"第二章 管理\n" +
			"第一节　一般规定\n" +
			"第三条本条例所称业主，是指房屋的所有权人。\n" +
			"第二节 特别规定\n" +
			"　　第九十九条　  缩进的条文。\n" +
			"第三章附则\n" +
			"第一百零一条　本条例自公布之日起施行。\n" +
			"银川市住房和城乡建设局\n" +
			"2023年1月1日",
		meta:  Meta{Signer: "银川市住房和城乡建设局", SignedOn: "2023年1月1日"},
		title: []string{"银川市物业管理条例（草案）"},
		sections: []Section{
			chapter(1, "第一章", "　", "总则", "", ""),
			article(1, 0, "第一条", "", "　", "为了规范物业管理，制定本条例。"),
			article(2, 0, "第二条", "", "　", "本条例适用于下列活动：\n（一）甲活动；\n(二)乙活动；\n一、丙活动。"),
			chapter(2, "第二章", " ", "管理", "", "第一节　一般规定"),
			article(3, 3, "第三条", "", "", "本条例所称业主，是指房屋的所有权人。\n第二节 特别规定"),
			{Kind: KindArticle, Anchor: "article-4", Ordinal: 4, Parent: 3, Indent: "　　", Label: "第九十九条", Sep: "　  ", Body: "缩进的条文。"},
			chapter(3, "第三章", "", "附则", "", ""),
			article(5, 6, "第一百零一条", "", "　", "本条例自公布之日起施行。"),
		},
	},
	{
		name:  "no metadata, articles without chapters",
		input: "某某办法\n（一）第一项。内容一。\n(二) 第二项。内容二。\n第二段。",
		title: []string{"某某办法"},
		sections: []Section{
			article(1, -1, "（一）", "第一项", "。", "内容一。"),
			{Kind: KindArticle, Anchor: "article-2", Ordinal: 2, Parent: -1, Label: "(二)", Gap: " ", Heading: "第二项", Sep: "。", Body: "内容二。\n第二段。"},
		},
	},
	{
		name: "metadata on separate lines, full-width colons, CRLF",
		input: "当前位置：首页 > 意见征集 > 规范性文件\r\n来源：某某局\r\n征集时间：2023-01-01 至 2023-02-01\r\n" +
			"现将《某某办法（征求意见稿）》全文公布，欢迎提出意见。\r\n" +
			"联系人： 张三\r\n电话：0951-1234567\r\n电子邮箱：a@b.gov.cn\r\n" +
			"某某办法\r\n第一条　为了管理，制定本办法。\r\n第二条　本办法自公布之日起施行。\r\n打印本页\r\n",
		meta: Meta{Category: "规范性文件", Publisher: "某某局", Window: "2023-01-01 至 2023-02-01",
			OpensAt: "2023-01-01", ClosesAt: "2023-02-01", ContactName: "张三",
			ContactPhone: "0951-1234567", ContactEmail: "a@b.gov.cn"},
		call:  "现将《某某办法（征求意见稿）》全文公布，欢迎提出意见。",
		title: []string{"某某办法"},
		sections: []Section{
			article(1, -1, "第一条", "", "　", "为了管理，制定本办法。"),
			article(2, -1, "第二条", "", "　", "本办法自公布之日起施行。"),
		},
	},
	{
		name: "metadata variants",
		input: "您的位置：首页 » 政策解读\n来源：甲局　征集时间：2023年1月1日至2023年1月31日\n" +
			"欢迎社会各界提出修改建议。\nE-mail：x@y.cn\n咨询电话：123；传真：456\n甲局\n二〇二三年一月一日\n\n" +
			"标题\n（一）甲。乙。\n扫一扫在手机上查看当前页面",
		meta: Meta{Category: "政策解读", Publisher: "甲局", Window: "2023年1月1日至2023年1月31日",
			OpensAt: "2023年1月1日", ClosesAt: "2023年1月31日", ContactPhone: "123", ContactEmail: "x@y.cn",
			Signer: "甲局", SignedOn: "二〇二三年一月一日"},
		call:     "欢迎社会各界提出修改建议。",
		title:    []string{"标题"},
		sections: []Section{article(1, -1, "（一）", "甲", "。", "乙。")},
	},
	{
		name:  "no title: the call stands before the articles",
		input: "\n现将草案全文公布，公开征求意见。\n第一条 为了管理，制定本办法。",
		call:  "现将草案全文公布，公开征求意见。",
		sections: []Section{
			article(1, -1, "第一条", "", " ", "为了管理，制定本办法。"),
		},
	},
}

func TestParseForms(t *testing.T) {
	for _, tc := range formCases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(tc.input)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, tc.input, d)
			if d.Meta != tc.meta {
				t.Errorf("Meta:\n got %+v\nwant %+v", d.Meta, tc.meta)
			}
			if d.Call != tc.call {
				t.Errorf("Call = %q, want %q", d.Call, tc.call)
			}
			if !reflect.DeepEqual(d.Title, tc.title) {
				t.Errorf("Title = %q, want %q", d.Title, tc.title)
			}
			if len(d.Sections) != len(tc.sections) {
				t.Errorf("%d sections, want %d", len(d.Sections), len(tc.sections))
			}
			for i := range min(len(d.Sections), len(tc.sections)) {
				if got, want := d.Sections[i], tc.sections[i]; got != want {
					t.Errorf("section %d:\n got %+v\nwant %+v", i, got, want)
				}
			}
		})
	}
}

func TestParseNoSections(t *testing.T) {
	for _, in := range []string{"", "\n\r\n", "标题\n只有一段文字。", "第一节 不是章也不是条", "当前位置:首页 > 意见征集"} {
		d, err := Parse(in)
		if !errors.Is(err, ErrNoSections) || d != nil {
			t.Errorf("Parse(%q) = %v, %v; want ErrNoSections", in, d, err)
		}
	}
}

func TestChineseNumber(t *testing.T) {
	good := map[string]int{
		"零": 0, "〇": 0, "一": 1, "九": 9, "十": 10, "十一": 11, "十七": 17, "二十": 20, "二十三": 23,
		"九十九": 99, "一百": 100, "一百零一": 101, "一百一十": 110, "一百一十一": 111, "一百二十": 120,
		"二百": 200, "二百零九": 209, "二百一十五": 215, "一千": 1000, "一千零一": 1001, "一千零一十": 1010,
		"九千九百九十九": 9999, "一十": 10,
	}
	for s, want := range good {
		if got, ok := ChineseNumber(s); !ok || got != want {
			t.Errorf("ChineseNumber(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "十十", "一一", "一百一", "一百零", "百", "二十百", "零一", "一百零零一",
		"一百零一十", "一千零一百", "十二十", "1", "一a", "第一", "〇一"} {
		if got, ok := ChineseNumber(s); ok {
			t.Errorf("ChineseNumber(%q) = %d, true; want false", s, got)
		}
	}
}
