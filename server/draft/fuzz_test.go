package draft

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and that whatever it returns
// accounts for every input byte and is internally consistent.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/seed-page.txt"); err == nil {
		f.Add(string(b))
		f.Add(strings.ReplaceAll(string(b), "\n", "\r\n"))
	}
	for _, tc := range formCases {
		f.Add(tc.input)
	}
	f.Add("")
	f.Add("\uFEFF第一条")
	f.Add("一、\n(一)。\n\r\n第十章")
	f.Add("标题\n\uFEFF　（一）\t。 \n2023年1月1日\n署名\n2023年1月2日")
	f.Add("来源:甲 征集时间:2023-01-01—2023-02-01\r\n征求意见\r\n联系人:乙\r\n标题\r\n序言。\r\n第1章 总则\r\n第2条 内容")
	f.Add("[红]\n扫一扫\n一、 总体要求 \n（一百零一）。\n第九十九条　\n第一节")
	f.Fuzz(func(t *testing.T, input string) {
		d, err := Parse(input)
		if err != nil {
			if d != nil {
				t.Fatalf("Parse returned both a draft and error %v", err)
			}
			return
		}
		checkInvariants(t, input, d)
	})
}

// checkInvariants verifies the properties every parsed draft must have.
func checkInvariants(t testing.TB, input string, d *Draft) {
	t.Helper()
	if d == nil {
		t.Fatal("Parse returned a nil draft without an error")
	}

	// Every input byte is accounted for, in order.
	texts := make([]string, len(d.Lines))
	var sectionLines, callLines []string
	titles := 0
	for i, l := range d.Lines {
		texts[i] = l.Text
		if strings.Contains(l.Text, "\n") {
			t.Fatalf("line %d contains a newline: %q", i+1, l.Text)
		}
		text := strings.TrimSuffix(l.Text, "\r")
		if i == 0 {
			text = strings.TrimPrefix(text, "\uFEFF")
		}
		switch l.Role {
		case RoleSection:
			sectionLines = append(sectionLines, text)
		case RoleCall:
			callLines = append(callLines, text)
		case RoleTitle:
			titles++
		case RoleBlank:
			if strings.TrimSpace(text) != "" {
				t.Fatalf("line %d is not blank but has role blank: %q", i+1, l.Text)
			}
		case RoleFurniture, RoleMeta:
		default:
			t.Fatalf("line %d has unknown role %q", i+1, l.Role)
		}
	}
	if got := strings.Join(texts, "\n"); got != input {
		t.Fatalf("joined Lines differ from the input:\n got %q\nwant %q", got, input)
	}
	if got := strings.Join(callLines, "\n"); got != d.Call {
		t.Fatalf("Call %q is not its lines %q", d.Call, got)
	}
	if titles != len(d.Title) {
		t.Fatalf("%d title lines but Title has %d", titles, len(d.Title))
	}
	if len(d.Sections) == 0 {
		t.Fatal("no sections without an error")
	}

	// Sections: anchors, ordinals and parents, and each one rebuilds its lines.
	anchors := map[string]bool{}
	chapters, articles, lastChapter, k := 0, 0, -1, 0
	for i, s := range d.Sections {
		if anchors[s.Anchor] {
			t.Fatalf("section %d: duplicate anchor %q", i, s.Anchor)
		}
		anchors[s.Anchor] = true
		switch s.Kind {
		case KindPreamble:
			if i != 0 || s.Anchor != "preamble" || s.Ordinal != 0 || s.Parent != -1 || s.Head() != "" || s.Body == "" {
				t.Fatalf("section %d: bad preamble %+v", i, s)
			}
		case KindChapter:
			chapters++
			if s.Anchor != "chapter-"+strconv.Itoa(chapters) || s.Ordinal != chapters || s.Parent != -1 || s.Label == "" {
				t.Fatalf("section %d: bad chapter %+v", i, s)
			}
			lastChapter = i
		case KindArticle:
			articles++
			if s.Anchor != "article-"+strconv.Itoa(articles) || s.Ordinal != articles || s.Label == "" {
				t.Fatalf("section %d: bad article %+v", i, s)
			}
			if s.Parent != lastChapter {
				t.Fatalf("section %d: parent %d, want the last chapter %d", i, s.Parent, lastChapter)
			}
			if s.Parent != -1 && (s.Parent < 0 || s.Parent >= i || d.Sections[s.Parent].Kind != KindChapter) {
				t.Fatalf("section %d: parent %d is not an earlier chapter", i, s.Parent)
			}
		default:
			t.Fatalf("section %d: unknown kind %q", i, s.Kind)
		}

		var body []string
		if s.Body != "" {
			body = strings.Split(s.Body, "\n")
		}
		if s.Kind != KindPreamble {
			if k >= len(sectionLines) {
				t.Fatalf("section %d: ran out of section lines", i)
			}
			line, head := sectionLines[k], s.Head()
			k++
			switch {
			case line == head:
			case len(body) > 0 && line == head+body[0]:
				body = body[1:]
			default:
				t.Fatalf("section %d: first line %q is not Head %q + Body %q", i, line, head, s.Body)
			}
		}
		for _, b := range body {
			if k >= len(sectionLines) || sectionLines[k] != b {
				t.Fatalf("section %d: body line %q is not the next section line", i, b)
			}
			k++
		}
	}
	if k != len(sectionLines) {
		t.Fatalf("%d section lines but the sections account for %d", len(sectionLines), k)
	}
}
