package chart

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// node is an element of a parsed SVG.
type node struct {
	name     string
	attr     map[string]string
	text     string // direct text content
	children []*node
}

// parseSVG parses the chart as strict XML and returns its root element.
func parseSVG(t testing.TB, svg string) *node {
	t.Helper()
	root, err := parseXML(svg)
	if err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, svg)
	}
	return root
}

func parseXML(svg string) (*node, error) {
	d := xml.NewDecoder(strings.NewReader(svg))
	d.Strict = true
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &node{name: tk.Name.Local, attr: map[string]string{}}
			for _, a := range tk.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root != nil {
				return nil, fmt.Errorf("two root elements")
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if strings.TrimSpace(string(tk)) != "" {
					return nil, fmt.Errorf("text outside the root: %q", tk)
				}
				continue
			}
			stack[len(stack)-1].text += string(tk)
		case xml.ProcInst, xml.Directive:
			return nil, fmt.Errorf("unexpected %T", tok)
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

func (n *node) all(name string) []*node {
	var out []*node
	var walk func(*node)
	walk = func(x *node) {
		if x.name == name {
			out = append(out, x)
		}
		for _, c := range x.children {
			walk(c)
		}
	}
	walk(n)
	return out
}

func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// texts returns the visible text labels (text elements) in document order.
func (n *node) texts() []string {
	var out []string
	for _, t := range n.all("text") {
		out = append(out, t.text)
	}
	return out
}

func num64(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		t.Fatalf("bad number %q", s)
	}
	return v
}

// checkSafe asserts the properties every chart has: accessible, self-contained, no
// script, no style, and every coordinate a finite number.
func checkSafe(t *testing.T, svg string) *node {
	t.Helper()
	root := parseSVG(t, svg)
	if root.name != "svg" || root.attr["role"] != "img" || root.attr["aria-label"] == "" {
		t.Fatalf("root %s role=%q aria-label=%q", root.name, root.attr["role"], root.attr["aria-label"])
	}
	if root.child("title") == nil || root.children[0].name != "title" {
		t.Error("no <title> as the first child")
	}
	if root.child("title").text == "" {
		t.Error("empty <title>")
	}
	low := strings.ToLower(svg)
	for _, bad := range []string{"<script", "<style", "style=", "href", "url(", "http:", "https:", "<image", "<foreignobject", "javascript:", " on", "nan", "inf"} {
		if strings.Contains(low, bad) {
			t.Errorf("chart contains %q", bad)
		}
	}
	for _, el := range append(root.all("rect"), append(root.all("line"), root.all("text")...)...) {
		for _, k := range []string{"x", "y", "x1", "y1", "x2", "y2", "width", "height"} {
			if v, ok := el.attr[k]; ok {
				if n := num64(t, v); (k == "width" || k == "height") && n < 0 {
					t.Errorf("%s %s=%v is negative", el.name, k, n)
				}
			}
		}
	}
	return root
}

func TestBarsTable(t *testing.T) {
	long := strings.Repeat("关于促进开发区体制机制改革和高质量发展的实施意见", 4)
	tests := []struct {
		name       string
		svg        string
		rects      int
		wantText   []string // visible labels that must appear
		wantLabel  []string // in aria-label
		wantTitles []string // in some bar's tooltip
		notText    []string
	}{
		{name: "zero data", svg: string(Bars("各状态意见数", nil, nil)), rects: 0,
			wantText: []string{"暂无数据"}, wantLabel: []string{"各状态意见数", "暂无数据"}},
		{name: "all zero", svg: string(Bars("渠道", []string{"网站", "信函"}, []int{0, 0}, Unit("条"))), rects: 2,
			wantText: []string{"网站", "信函", "0", "单位:条"}, wantLabel: []string{"共 2 项,合计 0条"}},
		{name: "single bar", svg: string(Bars("一项", []string{"个人"}, []int{5})), rects: 1,
			wantText: []string{"个人", "5"}, wantTitles: []string{"个人:5"}},
		{name: "huge values", svg: string(Bars("很大", []string{"甲", "乙"}, []int{math.MaxInt, 1})), rects: 2,
			wantText:  []string{"9,223,372,036,854,775,807", "1"},
			wantLabel: []string{"合计 9,223,372,036,854,775,808", "最多:甲,9,223,372,036,854,775,807"}},
		{name: "huge horizontal", svg: string(Bars("很大", []string{"甲", "乙"}, []int{math.MaxInt, math.MaxInt / 3}, Horizontal())), rects: 2,
			wantText: []string{"甲", "乙"}},
		{name: "long label vertical", svg: string(Bars("长", []string{long, "短"}, []int{3, 4})), rects: 2,
			wantText: []string{"短"}, wantTitles: []string{long + ":3"}, notText: []string{long}},
		{name: "long label horizontal", svg: string(Bars("长", []string{long}, []int{3}, Horizontal())), rects: 1,
			wantTitles: []string{long + ":3"}, notText: []string{long}},
		{name: "negative is zero", svg: string(Bars("负", []string{"a", "b"}, []int{-7, math.MinInt})), rects: 2,
			wantText: []string{"0"}, notText: []string{"-7"}},
		{name: "labels shorter than values", svg: string(Bars("缺", []string{"一"}, []int{1, 2, 3})), rects: 3,
			wantText: []string{"一", "1", "2", "3"}},
		{name: "labels longer than values", svg: string(Bars("多", []string{"一", "二", "三"}, []int{1})), rects: 1,
			wantText: []string{"一"}, notText: []string{"二", "三"}},
		{name: "escaping", svg: string(Bars(`<script>alert("t")</script>`, []string{`<b>&'"</b>`}, []int{1}, Unit(`<i>`))), rects: 1,
			wantLabel: []string{`<script>alert("t")</script>`}, wantText: []string{`<b>&'"</b>`, "单位:<i>"}},
		{name: "control characters", svg: string(Bars("a\x00b\x1bc\ufffe", []string{"x\ny\tz\u200b", "\xff\xfe"}, []int{1, 2})), rects: 2,
			wantLabel: []string{"abc"}, wantText: []string{"x y z", "\ufffd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := checkSafe(t, tt.svg)
			rects := root.all("rect")
			if len(rects) != tt.rects {
				t.Errorf("%d bars, want %d", len(rects), tt.rects)
			}
			texts := root.texts()
			for _, w := range tt.wantText {
				if !contains(texts, w) {
					t.Errorf("no label %q in %q", w, texts)
				}
			}
			for _, w := range tt.notText {
				if contains(texts, w) {
					t.Errorf("label %q shown in %q", w, texts)
				}
			}
			for _, w := range tt.wantLabel {
				if !strings.Contains(root.attr["aria-label"], w) {
					t.Errorf("aria-label %q lacks %q", root.attr["aria-label"], w)
				}
			}
			for _, w := range tt.wantTitles {
				found := false
				for _, r := range rects {
					if tl := r.child("title"); tl != nil && tl.text == w {
						found = true
					}
				}
				if !found {
					t.Errorf("no bar titled %q", w)
				}
			}
		})
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestLongLabelsAreCutWithEllipsis(t *testing.T) {
	long := strings.Repeat("经开区体制机制改革", 10)
	for _, tt := range []struct {
		opts  []Option
		limit float64 // the room a label has
	}{{nil, DefaultWidth / 2}, {[]Option{Horizontal()}, DefaultWidth * maxLabelShare}, {[]Option{Horizontal(), Width(MinWidth)}, MinWidth * maxLabelShare}} {
		root := checkSafe(t, string(Bars("长", []string{long, "短"}, []int{1, 2}, tt.opts...)))
		var cut string
		for _, s := range root.texts() {
			if strings.HasPrefix(s, "经开区") {
				cut = s
			}
		}
		if !strings.HasSuffix(cut, "…") || !strings.HasPrefix(long, strings.TrimSuffix(cut, "…")) {
			t.Errorf("label cut to %q", cut)
		}
		if w := textWidth(cut, labelSize); w > tt.limit {
			t.Errorf("cut label still %v px wide", w)
		}
	}
}

func TestVerticalGeometry(t *testing.T) {
	root := checkSafe(t, string(Bars("比例", []string{"甲", "乙", "丙"}, []int{100, 50, 0})))
	rects := root.all("rect")
	h := func(i int) float64 { return num64(t, rects[i].attr["height"]) }
	y := func(i int) float64 { return num64(t, rects[i].attr["y"]) }
	if h(0) <= 0 || math.Abs(h(1)-h(0)/2) > 0.2 || h(2) != 0 {
		t.Errorf("heights %v %v %v not proportional", h(0), h(1), h(2))
	}
	// Bars stand on one baseline.
	if math.Abs((y(0)+h(0))-(y(1)+h(1))) > 0.2 || math.Abs((y(1)+h(1))-(y(2)+h(2))) > 0.2 {
		t.Error("bars do not share a baseline")
	}
	// Bars go left to right in the order given.
	if !(num64(t, rects[0].attr["x"]) < num64(t, rects[1].attr["x"]) && num64(t, rects[1].attr["x"]) < num64(t, rects[2].attr["x"])) {
		t.Error("bars out of order")
	}
	// Everything lies inside the view box.
	w, ht := num64(t, root.attr["width"]), num64(t, root.attr["height"])
	if root.attr["viewBox"] != fmt.Sprintf("0 0 %v %v", w, ht) {
		t.Errorf("viewBox %q", root.attr["viewBox"])
	}
	for _, r := range rects {
		if x, rw := num64(t, r.attr["x"]), num64(t, r.attr["width"]); x < 0 || x+rw > w {
			t.Errorf("bar at %v+%v outside width %v", x, rw, w)
		}
		if rw := num64(t, r.attr["width"]); rw > maxBarWidth {
			t.Errorf("bar %v px wide", rw)
		}
	}
	// The value axis has tick labels starting at 0 and reaching the largest value.
	texts := root.texts()
	if !contains(texts, "0") || !contains(texts, "100") {
		t.Errorf("tick labels %q", texts)
	}
}

// articles are the seed draft's 23 articles, as the dashboard labels them.
var articles = []string{"(一)坚持简政放权", "(二)强化市场竞争", "(三)坚持稳中求进", "(四)运行机制更加高效顺畅",
	"(五)整体实力再上新台阶", "(六)高质量发展取得新突破", "(七)优化综合管理职能", "(八)移交社会事务管理职能",
	"(九)健全完善现代企业制度", "(十)整合公铁物流园功能", "(十一)优化人员管理方式", "(十二)调整审批执法权限",
	"(十三)强化财政保障机制", "(十四)加强政务服务保障", "(十五)提升专业招商能力", "(十六)全面强化规划引领作用",
	"(十七)加快建立现代产业体系", "(十八)全面提升创新驱动能力", "(十九)全面推进绿色低碳发展",
	"(二十)全面提高资源要素利用效率", "(二十一)健全组织机构", "(二十二)建立工作台账", "(二十三)强化督查落实"}

func TestHorizontalArticles(t *testing.T) {
	values := make([]int, len(articles))
	for i := range values {
		values[i] = (i * 37) % 11
	}
	values[16] = 1234
	root := checkSafe(t, string(Bars("各条款意见数", articles, values, Horizontal(), Unit("条"))))
	rects := root.all("rect")
	if len(rects) != 23 {
		t.Fatalf("%d bars", len(rects))
	}
	texts := root.texts()
	// Every heading is readable whole at the default width, and rows keep document order.
	prevY := -1.0
	for i, a := range articles {
		if !contains(texts, a) {
			t.Errorf("article label %q missing or cut", a)
		}
		y := num64(t, rects[i].attr["y"])
		if y <= prevY {
			t.Errorf("row %d above row %d", i, i-1)
		}
		prevY = y
		if want := fmt.Sprintf("%s:%s条", a, num(values[i])); rects[i].child("title").text != want {
			t.Errorf("bar %d titled %q, want %q", i, rects[i].child("title").text, want)
		}
	}
	if !contains(texts, "1,234") {
		t.Error("no value label 1,234")
	}
	if !strings.Contains(root.attr["aria-label"], "最多:(十七)加快建立现代产业体系,1,234条") {
		t.Errorf("aria-label %q", root.attr["aria-label"])
	}
	// The widest bar is the largest value, and all bars start at the same x.
	x0 := rects[0].attr["x"]
	widest := 0
	for i, r := range rects {
		if r.attr["x"] != x0 {
			t.Error("bars do not share a baseline")
		}
		if num64(t, r.attr["width"]) > num64(t, rects[widest].attr["width"]) {
			widest = i
		}
	}
	if widest != 16 {
		t.Errorf("widest bar %d", widest)
	}
	w := num64(t, root.attr["width"])
	for _, r := range rects {
		if x, rw := num64(t, r.attr["x"]), num64(t, r.attr["width"]); x+rw > w {
			t.Error("bar runs off the chart")
		}
	}
}

func TestDaily(t *testing.T) {
	bj := time.FixedZone("UTC+8", 8*3600)
	first := time.Date(2022, 12, 30, 0, 0, 0, 0, bj)
	root := checkSafe(t, string(Daily("每日意见数", first, []int{3, 0, 7, 1}, Unit("条"))))
	rects := root.all("rect")
	if len(rects) != 4 {
		t.Fatalf("%d bars", len(rects))
	}
	wantTitles := []string{"2022年12月30日:3条", "2022年12月31日:0条", "2023年1月1日:7条", "2023年1月2日:1条"}
	for i, w := range wantTitles {
		if got := rects[i].child("title").text; got != w {
			t.Errorf("bar %d titled %q, want %q", i, got, w)
		}
	}
	texts := root.texts()
	for _, w := range []string{"12月30日", "12月31日", "1月1日", "1月2日", "7"} {
		if !contains(texts, w) {
			t.Errorf("no label %q in %q", w, texts)
		}
	}
	if l := root.attr["aria-label"]; !strings.Contains(l, "2022年12月30日至2023年1月2日") || !strings.Contains(l, "合计 11条") ||
		!strings.Contains(l, "最多:2023年1月1日,7条") {
		t.Errorf("aria-label %q", l)
	}
}

func TestDailyManyDays(t *testing.T) {
	bj := time.FixedZone("UTC+8", 8*3600)
	first := time.Date(2022, 12, 21, 0, 0, 0, 0, bj)
	// 49 days fit one bar each; dates are labelled whole, never cut.
	vals := make([]int, 49)
	for i := range vals {
		vals[i] = i
	}
	root := checkSafe(t, string(Daily("每日", first, vals)))
	if n := len(root.all("rect")); n != 49 {
		t.Errorf("%d bars for 49 days", n)
	}
	labels := 0
	for _, s := range root.texts() {
		if strings.Contains(s, "…") {
			t.Errorf("date label cut: %q", s)
		}
		if strings.HasSuffix(s, "日") {
			labels++
		}
	}
	if labels < 5 || labels > 49 {
		t.Errorf("%d date labels", labels)
	}
	// A long range is grouped so that no more than MaxDailyBars bars are drawn, and
	// nothing is lost.
	vals = make([]int, 400)
	total := 0
	for i := range vals {
		vals[i] = i % 5
		total += vals[i]
	}
	root = checkSafe(t, string(Daily("每日", first, vals, Unit("条"))))
	rects := root.all("rect")
	if len(rects) > MaxDailyBars || len(rects) < MaxDailyBars/2 {
		t.Errorf("%d bars for 400 days", len(rects))
	}
	if l := root.attr["aria-label"]; !strings.Contains(l, fmt.Sprintf("合计 %d条", total)) || !strings.Contains(l, "每根柱表示 4 天") {
		t.Errorf("aria-label %q", l)
	}
	if got := rects[0].child("title").text; got != "2022年12月21日至12月24日:6条" {
		t.Errorf("first group titled %q", got)
	}
	// No data at all.
	root = checkSafe(t, string(Daily("每日", first, nil)))
	if !contains(root.texts(), "暂无数据") {
		t.Error("empty series not said")
	}
}

func TestFillOption(t *testing.T) {
	root := checkSafe(t, string(Bars("色", []string{"a"}, []int{1}, Fill("#a8071a"))))
	if f := root.all("rect")[0].attr["fill"]; f != "#a8071a" {
		t.Errorf("fill %q", f)
	}
	root = checkSafe(t, string(Bars("色", []string{"a"}, []int{1}, Fill(`red" onload="alert(1)`))))
	if f := root.all("rect")[0].attr["fill"]; f != DefaultFill {
		t.Errorf("unsafe fill accepted: %q", f)
	}
}

func TestWidthClamped(t *testing.T) {
	for _, tt := range []struct{ in, want int }{{10, MinWidth}, {5000, MaxWidth}, {500, 500}} {
		root := checkSafe(t, string(Bars("宽", []string{"a"}, []int{1}, Width(tt.in))))
		if root.attr["width"] != strconv.Itoa(tt.want) {
			t.Errorf("Width(%d) gave %s", tt.in, root.attr["width"])
		}
	}
}

func TestNumberFormat(t *testing.T) {
	for in, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := num(in); got != want {
			t.Errorf("num(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestNiceScale(t *testing.T) {
	for _, tt := range []struct {
		max       int
		top, step float64
	}{{0, 1, 1}, {1, 1, 1}, {3, 3, 1}, {7, 8, 2}, {10, 10, 5}, {48, 60, 20}, {1234, 1500, 500}, {1000000, 1000000, 500000}} {
		s := newScale(tt.max)
		if s.top != tt.top || s.step != tt.step {
			t.Errorf("scale(%d) = %+v, want top %v step %v", tt.max, s, tt.top, tt.step)
		}
		if s.top < float64(tt.max) {
			t.Errorf("scale(%d) tops out below the data", tt.max)
		}
	}
}

// luminance and contrast follow WCAG 2.x.
func luminance(hex string) float64 {
	v, _ := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	ch := func(c uint64) float64 {
		s := float64(c) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(v>>16&0xff) + 0.7152*ch(v>>8&0xff) + 0.0722*ch(v&0xff)
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func TestColoursContrast(t *testing.T) {
	for _, bg := range []string{"#ffffff", "#c7edcc"} {
		for _, tt := range []struct {
			name, colour string
			min          float64
		}{{"bars", DefaultFill, 3}, {"text", TextColor, 4.5}, {"axes", AxisColor, 3}} {
			if c := contrast(tt.colour, bg); c < tt.min {
				t.Errorf("%s %s on %s: contrast %.2f < %.1f", tt.name, tt.colour, bg, c, tt.min)
			}
		}
	}
}

func TestCleanAndTruncate(t *testing.T) {
	if got := clean("  a \n\t b\x00\u200bc\u2028d  "); got != "a bc d" {
		t.Errorf("clean = %q", got)
	}
	if got := truncate("一二三四五", 3*13, 13); got != "一二…" {
		t.Errorf("truncate = %q", got)
	}
	if got := truncate("一二三", 3*13, 13); got != "一二三" {
		t.Errorf("truncate kept %q", got)
	}
	if got := truncate("一二三", 5, 13); got != "" {
		t.Errorf("truncate to nothing = %q", got)
	}
}

func FuzzBars(f *testing.F) {
	f.Add("各条款意见数", "总体意见|(一)坚持简政放权|<script>", 3, 0, 12, false, 720, int64(1671552000))
	f.Add("", "", 0, 0, 0, true, 0, int64(0))
	f.Add("\x00\xff", "a\x1fb|\ufffe", math.MaxInt, math.MinInt, -1, true, 100000, int64(-62135596800))
	f.Add(strings.Repeat("长", 300), strings.Repeat("长标签|", 50), 1<<40, 7, 1, false, 241, int64(253402300799))
	f.Fuzz(func(t *testing.T, title, labels string, a, b, c int, horiz bool, width int, day int64) {
		ls := strings.Split(labels, "|")
		vals := []int{a, b, c}
		if n := len(ls); n > 3 && n < 200 {
			for i := 3; i < n; i++ {
				vals = append(vals, (a+i)%1000)
			}
		}
		opts := []Option{Width(width), Unit(labels[:min(len(labels), 4)]), Fill(title)}
		if horiz {
			opts = append(opts, Horizontal())
		}
		for _, svg := range []string{
			string(Bars(title, ls, vals, opts...)),
			string(Bars(title, nil, nil, opts...)),
			string(Daily(title, time.Unix(day%(400*365*86400), 0), vals, opts...)),
			string(Daily(title, time.Unix(day%(400*365*86400), 0), make([]int, int(uint(a)%1000)), opts...)),
		} {
			root, err := parseXML(svg)
			if err != nil {
				t.Fatalf("not well-formed: %v\n%s", err, svg)
			}
			if root.name != "svg" || root.attr["role"] != "img" || root.child("title") == nil {
				t.Fatal("not an accessible svg")
			}
			if !utf8.ValidString(svg) {
				t.Fatal("invalid UTF-8")
			}
			low := strings.ToLower(svg)
			if strings.Contains(low, "<script") || strings.Contains(low, "nan") || strings.Contains(low, "inf\"") {
				t.Fatalf("unsafe output: %s", svg)
			}
		}
	})
}
