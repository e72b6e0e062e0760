// Package chart draws small, accessible bar charts as inline SVG for pages served
// under a strict Content-Security-Policy: the markup has no script, no style element
// or attribute and no outside reference, only SVG presentation attributes. Every piece
// of text is cleaned of characters XML forbids and escaped, so the result is well-formed
// XML and safe to embed in a page as template.HTML. The package does no I/O.
package chart

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Colours. DefaultFill has a contrast of at least 3:1 (WCAG for graphics) and
// TextColor at least 4.5:1 on white and on the eye-care background #c7edcc.
const (
	DefaultFill = "#0a4a9e"
	TextColor   = "#1a1a1a"
	AxisColor   = "#4a4a4a"
	GridColor   = "#8c8c8c" // decorative dashed grid lines
)

// Sizes in CSS pixels.
const (
	DefaultWidth = 720
	MinWidth     = 240
	MaxWidth     = 1600
	labelSize    = 13 // category labels
	smallSize    = 12 // tick and value labels
	plotHeight   = 220
	rowHeight    = 26 // horizontal bars
	barThick     = 18
	maxBarWidth  = 56 // a lone bar stays a bar, not a wall
	// MaxDailyBars is how many bars Daily draws at most; longer ranges are grouped
	// into runs of several days.
	MaxDailyBars = 100
	// maxLabelShare bounds the label column of a horizontal chart (share of the width).
	maxLabelShare = 0.42
)

type config struct {
	horizontal bool
	width      int
	unit       string
	fill       string
}

// Option changes how a chart is drawn.
type Option func(*config)

// Horizontal lays the bars out as rows with the labels on the left, for many
// categories with long names (such as the articles of a draft).
func Horizontal() Option { return func(c *config) { c.horizontal = true } }

// Width sets the chart's width in pixels (clamped to MinWidth…MaxWidth).
func Width(px int) Option {
	return func(c *config) { c.width = min(max(px, MinWidth), MaxWidth) }
}

// Unit is appended to counts in tooltips and the spoken summary, e.g. "条".
func Unit(u string) Option { return func(c *config) { c.unit = clean(u) } }

var hexColour = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// Fill sets the bar colour, a #rgb or #rrggbb value; anything else is ignored.
func Fill(colour string) Option {
	return func(c *config) {
		if hexColour.MatchString(colour) {
			c.fill = colour
		}
	}
}

// bar is one bar: its axis label, its tooltip name and its value.
type bar struct {
	label string // shown on the axis (may be truncated)
	name  string // full name, for the tooltip and the summary
	v     int
}

// Bars draws a bar chart of values with one label each (a missing label is empty,
// extra labels are ignored; negative values count as zero). The title names the chart
// for assistive technology and is the SVG's <title>; long labels are cut with "…" and
// kept whole in each bar's tooltip.
func Bars(title string, labels []string, values []int, opts ...Option) template.HTML {
	cfg := newConfig(opts)
	bars := make([]bar, len(values))
	for i, v := range values {
		l := ""
		if i < len(labels) {
			l = clean(labels[i])
		}
		bars[i] = bar{label: l, name: l, v: max(v, 0)}
	}
	return render(clean(title), summary(bars, cfg.unit), bars, cfg)
}

// Daily draws a time series of daily counts as vertical bars: values[i] is the count
// of the day first+i (dates are read in first's location). Ranges longer than
// MaxDailyBars days are grouped into runs of equal length.
func Daily(title string, first time.Time, values []int, opts ...Option) template.HTML {
	cfg := newConfig(opts)
	cfg.horizontal = false
	n := len(values)
	step := 1
	if n > MaxDailyBars {
		step = (n + MaxDailyBars - 1) / MaxDailyBars
	}
	day := func(i int) time.Time { return first.AddDate(0, 0, i) }
	var bars []bar
	for i := 0; i < n; i += step {
		sum := 0
		for j := i; j < i+step && j < n; j++ {
			sum = satAdd(sum, max(values[j], 0))
		}
		d := day(i)
		b := bar{label: shortDate(d), name: longDate(d), v: sum}
		if step > 1 {
			last := day(min(i+step, n) - 1)
			b.name = longDate(d) + "至" + rangeEnd(d, last)
		}
		bars = append(bars, b)
	}
	sum := summary(bars, cfg.unit)
	if n > 0 {
		period := longDate(day(0))
		if n > 1 {
			period += "至" + rangeEnd(day(0), day(n-1))
		}
		sum = period + "," + sum
		if step > 1 {
			sum += fmt.Sprintf(";每根柱表示 %d 天", step)
		}
	}
	return render(clean(title), sum, bars, cfg)
}

func newConfig(opts []Option) config {
	cfg := config{width: DefaultWidth, fill: DefaultFill}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return cfg
}

func shortDate(t time.Time) string { return fmt.Sprintf("%d月%d日", t.Month(), t.Day()) }
func longDate(t time.Time) string {
	return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
}

// rangeEnd writes the end of a date range, leaving out the year when it is the start's.
func rangeEnd(start, end time.Time) string {
	if start.Year() == end.Year() {
		return shortDate(end)
	}
	return longDate(end)
}

// summary says in words what the chart shows, for its aria-label.
func summary(bars []bar, unit string) string {
	if len(bars) == 0 {
		return "暂无数据"
	}
	total := new(big.Int)
	top := 0
	for i, b := range bars {
		total.Add(total, big.NewInt(int64(b.v)))
		if b.v > bars[top].v {
			top = i
		}
	}
	s := fmt.Sprintf("共 %d 项,合计 %s%s", len(bars), group(total.String()), unit)
	if bars[top].v > 0 {
		name := bars[top].name
		if name == "" {
			name = fmt.Sprintf("第 %d 项", top+1)
		}
		s += fmt.Sprintf(";最多:%s,%s%s", truncate(name, 40*labelSize, labelSize), num(bars[top].v), unit)
	}
	return s
}

// render lays out and writes the SVG.
func render(title, sum string, bars []bar, cfg config) template.HTML {
	var b strings.Builder
	if len(bars) == 0 {
		h := 60
		open(&b, title, sum, cfg.width, h)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="%d" fill="%s">暂无数据</text>`,
			cfg.width/2, h/2+5, labelSize, TextColor)
		b.WriteString(`</svg>`)
		return template.HTML(b.String()) //nolint:gosec // every text is escaped by esc
	}
	if cfg.horizontal {
		horizontal(&b, title, sum, bars, cfg)
	} else {
		vertical(&b, title, sum, bars, cfg)
	}
	return template.HTML(b.String()) //nolint:gosec // every text is escaped by esc
}

func open(b *strings.Builder, title, sum string, w, h int) {
	label := title
	if sum != "" {
		label += "。" + sum
	}
	fmt.Fprintf(b, `<svg class="chart-svg" role="img" aria-label="%s" width="%d" height="%d" viewBox="0 0 %d %d">`,
		esc(label), w, h, w, h)
	fmt.Fprintf(b, `<title>%s</title>`, esc(title))
	if sum != "" {
		fmt.Fprintf(b, `<desc>%s</desc>`, esc(sum))
	}
}

// scale is a linear axis from 0 to top with tick marks every step.
type scale struct{ top, step float64 }

func newScale(maxV int) scale {
	m := float64(maxV)
	if m < 1 {
		m = 1
	}
	step := niceStep(m / 4)
	if step < 1 {
		step = 1
	}
	top := math.Ceil(m/step) * step
	return scale{top: top, step: step}
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, f := range []float64{1, 2, 5, 10} {
		if x <= f*p {
			return f * p
		}
	}
	return 10 * p
}

func (s scale) ticks() []float64 {
	var out []float64
	for i := 0; i <= 10; i++ {
		v := float64(i) * s.step
		if v > s.top*(1+1e-9) {
			break
		}
		out = append(out, v)
	}
	return out
}

func (s scale) frac(v int) float64 { return math.Min(float64(v)/s.top, 1) }

func vertical(b *strings.Builder, title, sum string, bars []bar, cfg config) {
	maxV := 0
	for _, br := range bars {
		maxV = max(maxV, br.v)
	}
	sc := newScale(maxV)
	ticks := sc.ticks()
	tickW := 0.0
	for _, t := range ticks {
		tickW = math.Max(tickW, textWidth(numF(t), smallSize))
	}
	w := float64(cfg.width)
	left := math.Min(tickW+10, w/3)
	top, right := 8.0+smallSize+4, 8.0
	if cfg.unit != "" {
		top += smallSize + 6
	}
	bottom := float64(labelSize) + 12
	plotW := w - left - right
	h := top + plotHeight + bottom
	open(b, title, sum, cfg.width, int(math.Ceil(h)))
	unitCaption(b, cfg.unit, 2)
	axisY := top + plotHeight
	// Grid and tick labels.
	for _, t := range ticks {
		y := axisY - t/sc.top*plotHeight
		if t > 0 {
			fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1" stroke-dasharray="2 3"/>`,
				f(left), f(y), f(left+plotW), f(y), GridColor)
		}
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end" font-size="%d" fill="%s">%s</text>`,
			f(left-6), f(y+4), smallSize, TextColor, esc(numF(t)))
	}
	slot := plotW / float64(len(bars))
	barW := math.Min(math.Max(slot*0.7, math.Min(slot, 1)), maxBarWidth)
	// Label every k-th bar so that each label has the room it needs, up to six
	// characters (dates always fit whole); longer labels are cut.
	need := 2.2 * labelSize
	for _, br := range bars {
		need = math.Max(need, textWidth(br.label, labelSize)+6)
	}
	need = math.Min(need, 6*labelSize)
	k := 1
	if slot < need {
		k = int(math.Ceil(need / slot))
	}
	showValues := true
	for _, br := range bars {
		if textWidth(num(br.v), smallSize) > slot-2 {
			showValues = false
			break
		}
	}
	for i, br := range bars {
		x := left + float64(i)*slot + (slot-barW)/2
		bh := sc.frac(br.v) * plotHeight
		y := axisY - bh
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`,
			f(x), f(y), f(barW), f(bh), cfg.fill, esc(tip(br, cfg.unit)))
		cx := left + (float64(i)+0.5)*slot
		if showValues {
			fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" font-size="%d" fill="%s">%s</text>`,
				f(cx), f(y-4), smallSize, TextColor, esc(num(br.v)))
		}
		if i%k == 0 && br.label != "" {
			room := slot * float64(k)
			// The first and last labels must not run off the edges.
			room = math.Min(room, 2*math.Min(cx-0, w-cx))
			if l := truncate(br.label, room-2, labelSize); l != "" {
				fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" font-size="%d" fill="%s">%s</text>`,
					f(cx), f(axisY+labelSize+6), labelSize, TextColor, esc(l))
			}
		}
	}
	fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`,
		f(left), f(axisY), f(left+plotW), f(axisY), AxisColor)
	fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`,
		f(left), f(top), f(left), f(axisY), AxisColor)
	b.WriteString(`</svg>`)
}

func horizontal(b *strings.Builder, title, sum string, bars []bar, cfg config) {
	w := float64(cfg.width)
	maxV, labelW, valueW := 0, 0.0, 0.0
	for _, br := range bars {
		maxV = max(maxV, br.v)
		labelW = math.Max(labelW, textWidth(br.label, labelSize))
		valueW = math.Max(valueW, textWidth(num(br.v), smallSize))
	}
	labelCol := math.Min(labelW, w*maxLabelShare) + 10
	valueCol := math.Min(valueW, w/4) + 10
	sc := newScale(maxV)
	ticks := sc.ticks()
	lastTick := textWidth(numF(ticks[len(ticks)-1]), smallSize)
	right := math.Max(valueCol, lastTick/2+4)
	plotW := math.Max(w-labelCol-right, 20)
	top := 6.0
	if cfg.unit != "" {
		top += smallSize + 6
	}
	plotH := float64(len(bars) * rowHeight)
	h := top + plotH + smallSize + 12
	open(b, title, sum, cfg.width, int(math.Ceil(h)))
	unitCaption(b, cfg.unit, labelCol)
	axisY := top + plotH
	for _, t := range ticks {
		x := labelCol + t/sc.top*plotW
		if t > 0 {
			fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1" stroke-dasharray="2 3"/>`,
				f(x), f(top), f(x), f(axisY), GridColor)
		}
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" font-size="%d" fill="%s">%s</text>`,
			f(x), f(axisY+smallSize+6), smallSize, TextColor, esc(numF(t)))
	}
	for i, br := range bars {
		y := top + float64(i)*rowHeight
		mid := y + rowHeight/2
		if l := truncate(br.label, labelCol-10, labelSize); l != "" {
			fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end" font-size="%d" fill="%s">%s</text>`,
				f(labelCol-8), f(mid+labelSize*0.35), labelSize, TextColor, esc(l))
		}
		bw := sc.frac(br.v) * plotW
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%d" fill="%s"><title>%s</title></rect>`,
			f(labelCol), f(mid-barThick/2), f(bw), barThick, cfg.fill, esc(tip(br, cfg.unit)))
		if v := num(br.v); textWidth(v, smallSize) <= valueCol+plotW-bw-6 {
			fmt.Fprintf(b, `<text x="%s" y="%s" font-size="%d" fill="%s">%s</text>`,
				f(labelCol+bw+4), f(mid+smallSize*0.35), smallSize, TextColor, esc(v))
		}
	}
	fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`,
		f(labelCol), f(top), f(labelCol), f(axisY), AxisColor)
	fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`,
		f(labelCol), f(axisY), f(labelCol+plotW), f(axisY), AxisColor)
	b.WriteString(`</svg>`)
}

// unitCaption names the value axis's unit ("单位:条") in the top margin.
func unitCaption(b *strings.Builder, unit string, x float64) {
	if unit == "" {
		return
	}
	fmt.Fprintf(b, `<text x="%s" y="%d" font-size="%d" fill="%s">%s</text>`, f(x), smallSize+2, smallSize, TextColor, esc("单位:"+unit))
}

func tip(br bar, unit string) string {
	if br.name == "" {
		return num(br.v) + unit
	}
	return br.name + ":" + num(br.v) + unit
}

// f formats a coordinate with at most one decimal.
func f(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		x = 0
	}
	s := strconv.FormatFloat(math.Round(x*10)/10, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		s = "0"
	}
	return s
}

// Number writes a count with thousands separators, as the charts do: 1234567 → "1,234,567".
func Number(v int) string { return group(strconv.Itoa(v)) }

func num(v int) string { return Number(v) }

// numF writes a whole tick value (which may exceed the int range) the same way.
func numF(v float64) string { return group(strconv.FormatFloat(math.Round(v), 'f', 0, 64)) }

func group(digits string) string {
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimPrefix(digits, "-")
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func satAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// wide reports whether a character takes a full em (Chinese, Japanese, Korean and
// full-width forms); others are counted as 0.6 em.
func wide(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) ||
		unicode.Is(unicode.Hangul, r) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF) ||
		(r >= 0x2E80 && r <= 0x2FDF) || r == '…' || r == '—' || r == '“' || r == '”'
}

// textWidth estimates the rendered width of s at a font size.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		if wide(r) {
			w += size
		} else {
			w += 0.6 * size
		}
	}
	return w
}

// truncate shortens s with "…" to fit in width; "" when not even one character fits.
func truncate(s string, width, size float64) string {
	if textWidth(s, size) <= width {
		return s
	}
	ell := textWidth("…", size)
	w := 0.0
	for i, r := range s {
		rw := textWidth(string(r), size)
		if w+rw+ell > width {
			if i == 0 {
				return ""
			}
			return s[:i] + "…"
		}
		w += rw
	}
	return s
}

// clean makes s one line of text XML can hold: invalid UTF-8 becomes U+FFFD, control
// and other characters XML forbids are dropped, runs of white space become one space.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if !xmlChar(r) || unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// xmlChar reports whether XML 1.0 allows r in text.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || (r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// esc escapes text for an XML/HTML text node or a quoted attribute.
func esc(s string) string { return html.EscapeString(s) }
