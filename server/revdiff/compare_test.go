package revdiff

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"consult/server/draft"
)

func art(anchor, label, text string) Item {
	return Item{Kind: "article", Anchor: anchor, Label: label, Text: text}
}

// summary renders pairs as "type old>new" with anchors, for compact comparisons.
func summary(old, new []Item, pairs []Pair) string {
	var b []string
	for _, p := range pairs {
		var o, n []string
		for _, i := range p.Old {
			o = append(o, old[i].Anchor)
		}
		for _, j := range p.New {
			n = append(n, new[j].Anchor)
		}
		b = append(b, fmt.Sprintf("%s %s>%s", p.Type, strings.Join(o, "+"), strings.Join(n, "+")))
	}
	return strings.Join(b, "; ")
}

var (
	tA = "坚持国家级经济技术开发区设立初衷，聚焦发展经济主责主业，剥离社会事务管理职能。"
	tB = "推动经开区高质量发展，要在积极打造市场化、法治化、国际化营商环境上下功夫。"
	tC = "坚持园区改革大方向不动摇，向改革要动力、向创新要活力、向开放要潜力。"
	tD = "建立与园区高质量发展需求相适应的人员管理制度，实行全员聘任制和绩效考核。"
	tE = "全面梳理下放审批事项清单，所有赋权审批事项由园区集中办理，实行一窗受理。"
)

func TestCompare(t *testing.T) {
	cases := []struct {
		name     string
		old, new []Item
		pins     []Pin
		want     string
	}{
		{"identical",
			[]Item{art("article-1", "(一)", tA), art("article-2", "(二)", tB)},
			[]Item{art("article-1", "(一)", tA), art("article-2", "(二)", tB)}, nil,
			"未修改 article-1>article-1; 未修改 article-2>article-2"},
		{"renumbered after a deletion is unchanged",
			[]Item{art("article-1", "(一)", tA), art("article-2", "(二)", tB), art("article-3", "(三)", tC)},
			[]Item{art("article-1", "(一)", tA), art("article-2", "(二)", tC)}, nil,
			"未修改 article-1>article-1; 删除 article-2>; 未修改 article-3>article-2"},
		{"insertion at the start",
			[]Item{art("article-1", "(一)", tA)},
			[]Item{art("article-1", "(一)", tD), art("article-2", "(二)", tA)}, nil,
			"新增 >article-1; 未修改 article-1>article-2"},
		{"deletion at the start",
			[]Item{art("article-1", "(一)", tD), art("article-2", "(二)", tA)},
			[]Item{art("article-1", "(一)", tA)}, nil,
			"删除 article-1>; 未修改 article-2>article-1"},
		{"moved",
			[]Item{art("article-1", "(一)", tA), art("article-2", "(二)", tB), art("article-3", "(三)", tC)},
			[]Item{art("article-1", "(一)", tC), art("article-2", "(二)", tA), art("article-3", "(三)", tB)}, nil,
			"移动 article-3>article-1; 未修改 article-1>article-2; 未修改 article-2>article-3"},
		{"modified",
			[]Item{art("article-1", "(一)", tA)},
			[]Item{art("article-1", "(一)", strings.Replace(tA, "剥离社会事务管理职能", "逐步剥离社会管理职能", 1))}, nil,
			"修改 article-1>article-1"},
		{"unrelated text is a deletion and an addition",
			[]Item{art("article-1", "(一)", tA)},
			[]Item{art("article-1", "(一)", tE)}, nil,
			"删除 article-1>; 新增 >article-1"},
		{"split",
			[]Item{art("article-1", "(一)", tA+tD)},
			[]Item{art("article-1", "(一)", tA), art("article-2", "(二)", tD)}, nil,
			"修改 article-1>article-1+article-2"},
		{"merge",
			[]Item{art("article-1", "(一)", tA), art("article-2", "(二)", tD), art("article-3", "(三)", tE)},
			[]Item{art("article-1", "(一)", tA+tD), art("article-2", "(二)", tE)}, nil,
			"修改 article-1+article-2>article-1; 未修改 article-3>article-2"},
		{"chapters pair only with chapters",
			[]Item{{Kind: "chapter", Anchor: "chapter-1", Label: "一、", Text: "总体要求"}, art("article-1", "(一)", "总体要求")},
			[]Item{{Kind: "chapter", Anchor: "chapter-1", Label: "一、", Text: "总体要求"}, art("article-1", "(一)", "总体要求")}, nil,
			"未修改 chapter-1>chapter-1; 未修改 article-1>article-1"},
		{"pin: an officer pairs two unrelated texts",
			[]Item{art("article-1", "(一)", tA)},
			[]Item{art("article-1", "(一)", tE)}, []Pin{{Old: "article-1", New: "article-1"}},
			"修改 article-1>article-1"},
		{"pin: an officer separates a pair",
			[]Item{art("article-1", "(一)", tA)},
			[]Item{art("article-1", "(一)", tA+"。")}, []Pin{{Old: "article-1"}},
			"删除 article-1>; 新增 >article-1"},
		{"pin with an unknown anchor is ignored",
			[]Item{art("article-1", "(一)", tA)},
			[]Item{art("article-1", "(一)", tA)}, []Pin{{Old: "article-9", New: "article-1"}},
			"未修改 article-1>article-1"},
		{"everything new", nil, []Item{art("article-1", "(一)", tA)}, nil, "新增 >article-1"},
		{"everything gone", []Item{art("article-1", "(一)", tA)}, nil, nil, "删除 article-1>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pairs := Compare(tc.old, tc.new, tc.pins)
			checkPairs(t, tc.old, tc.new, pairs)
			if got := summary(tc.old, tc.new, pairs); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// scenarioRevision is the acceptance scenario built from the seed: article 17
// reworded, article 8 deleted and a new article after article 12, so 9–12 renumber.
func scenarioRevision(t testing.TB, seed string) string {
	t.Helper()
	cn := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"}
	var out []string
	for _, l := range strings.Split(seed, "\n") {
		switch {
		case strings.HasPrefix(l, "(八)"):
			continue
		case strings.HasPrefix(l, "(十七)"):
			l = strings.Replace(l, "现代物流等“3+2”主导产业", "现代物流、新能源等“3+3”主导产业", 1)
			l = strings.Replace(l, "打造1个900亿产业集群", "打造1个1000亿产业集群", 1)
		}
		for n := 9; n <= 12; n++ {
			if p := "(" + cn[n] + ")"; strings.HasPrefix(l, p) {
				l = "(" + cn[n-1] + ")" + strings.TrimPrefix(l, p)
				if n == 12 {
					l += "\n(十二)优化营商环境评价机制。建立以企业满意度为核心的营商环境评价制度,每年委托第三方开展评估,评估结果向社会公开并作为干部考核的重要依据。"
				}
				break
			}
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// TestSeedScenario is the acceptance scenario, on the shipped example revision.
func TestSeedScenario(t *testing.T) {
	seed, err := os.ReadFile("../../content/yinchuan-etdz-reform-2022.txt")
	if err != nil {
		t.Fatal(err)
	}
	rev, err := os.ReadFile("../../content/yinchuan-etdz-reform-2022-rev2.txt")
	if err != nil {
		t.Fatal(err)
	}
	if built := scenarioRevision(t, string(seed)); built != string(rev) {
		t.Fatal("content/yinchuan-etdz-reform-2022-rev2.txt is not the scenario built from the seed")
	}
	d1, err := draft.Parse(string(seed))
	if err != nil {
		t.Fatal(err)
	}
	d2, err := draft.Parse(string(rev))
	if err != nil {
		t.Fatal(err)
	}
	old, new := ItemsFromDraft(d1), ItemsFromDraft(d2)
	pairs := Compare(old, new, nil)
	checkPairs(t, old, new, pairs)
	count := map[Type]int{}
	for _, p := range pairs {
		count[p.Type]++
		switch p.Type {
		case Modified:
			if old[p.Old[0]].Anchor != "article-17" || new[p.New[0]].Anchor != "article-17" {
				t.Errorf("modified: %s -> %s, want article 17", old[p.Old[0]].Anchor, new[p.New[0]].Anchor)
			}
		case Deleted:
			if old[p.Old[0]].Anchor != "article-8" {
				t.Errorf("deleted %s, want article-8", old[p.Old[0]].Anchor)
			}
		case Added:
			if new[p.New[0]].Anchor != "article-12" {
				t.Errorf("added %s, want article-12", new[p.New[0]].Anchor)
			}
		case Unchanged:
			o, n := old[p.Old[0]], new[p.New[0]]
			var on, nn int
			fmt.Sscanf(o.Anchor, "article-%d", &on)
			fmt.Sscanf(n.Anchor, "article-%d", &nn)
			if o.Kind == "article" && on >= 9 && on <= 12 && nn != on-1 {
				t.Errorf("article %d paired with %s, want article-%d", on, n.Anchor, on-1)
			}
		}
	}
	if count[Modified] != 1 || count[Deleted] != 1 || count[Added] != 1 || count[Moved] != 0 {
		t.Fatalf("counts %v, want one 修改, one 删除, one 新增, no 移动", count)
	}
	if want := len(new) - 2; count[Unchanged] != want {
		t.Fatalf("%d unchanged, want %d", count[Unchanged], want)
	}
	// The deletion stands where article 8 stood: after article 7.
	for k, p := range pairs {
		if p.Type == Deleted && (k == 0 || new[pairs[k-1].New[0]].Anchor != "article-7") {
			t.Fatalf("deletion at %d, not after article 7", k)
		}
	}
}

// checkPairs verifies that every item of both lists is in exactly one pair, that
// each pair's type fits its sides, and that the pair's diff spells both sides.
func checkPairs(t testing.TB, old, new []Item, pairs []Pair) {
	t.Helper()
	seenOld, seenNew := make([]int, len(old)), make([]int, len(new))
	lastNew := -1
	for k, p := range pairs {
		for _, i := range p.Old {
			if i < 0 || i >= len(old) {
				t.Fatalf("pair %d: old index %d out of range", k, i)
			}
			seenOld[i]++
		}
		for _, j := range p.New {
			if j < 0 || j >= len(new) {
				t.Fatalf("pair %d: new index %d out of range", k, j)
			}
			seenNew[j]++
			if j <= lastNew {
				t.Fatalf("pair %d: new index %d not in the new order", k, j)
			}
			lastNew = j
		}
		a, b := JoinedText(old, p.Old), JoinedText(new, p.New)
		switch {
		case len(p.Old) == 0 && len(p.New) == 0:
			t.Fatalf("pair %d is empty", k)
		case len(p.Old) == 0:
			if p.Type != Added {
				t.Fatalf("pair %d has only a new side but type %s", k, p.Type)
			}
		case len(p.New) == 0:
			if p.Type != Deleted {
				t.Fatalf("pair %d has only an old side but type %s", k, p.Type)
			}
		case a == b:
			if p.Type != Unchanged && p.Type != Moved {
				t.Fatalf("pair %d has the same text but type %s", k, p.Type)
			}
		default:
			if p.Type != Modified {
				t.Fatalf("pair %d has different texts but type %s", k, p.Type)
			}
		}
		checkDiff(t, a, b, Diff(a, b))
	}
	for i, n := range seenOld {
		if n != 1 {
			t.Fatalf("old item %d is in %d pairs", i, n)
		}
	}
	for j, n := range seenNew {
		if n != 1 {
			t.Fatalf("new item %d is in %d pairs", j, n)
		}
	}
}

// FuzzCompare splits two texts into articles at "|" and checks that every section
// (and so every character) of both is accounted for.
func FuzzCompare(f *testing.F) {
	f.Add(tA+"|"+tB+"|"+tC, tC+"|"+tA+"|"+tB+tD, "")
	f.Add(tA+tD, tA+"|"+tD, "article-1>article-2")
	f.Add("甲|甲|甲", "甲|甲", "article-2>")
	f.Add("", "x", ">article-1")
	f.Fuzz(func(t *testing.T, a, b, pin string) {
		split := func(s string) []Item {
			if s == "" {
				return nil
			}
			var items []Item
			for i, part := range strings.Split(s, "|") {
				kind := "article"
				if strings.HasPrefix(part, "#") {
					kind = "chapter"
				}
				items = append(items, Item{Kind: kind, Anchor: fmt.Sprintf("article-%d", i+1), Text: strings.ToValidUTF8(part, "\uFFFD")})
			}
			return items
		}
		old, new := split(a), split(b)
		if len(old) > 200 || len(new) > 200 {
			return
		}
		var pins []Pin
		for _, p := range strings.Split(pin, ",") {
			o, n, _ := strings.Cut(p, ">")
			pins = append(pins, Pin{Old: o, New: n})
		}
		checkPairs(t, old, new, Compare(old, new, pins))
	})
}
