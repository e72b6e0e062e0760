package draft

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// lineKind is what a single line looks like on its own, before the state
// machine in Parse decides the role it plays in the document.
type lineKind int

const (
	kindBlank     lineKind = iota
	kindFurniture          // page chrome: breadcrumb, site name, 字体颜色, 扫一扫…
	kindMeta               // "key:value" consultation metadata (来源, 联系电话…)
	kindDate               // a date on its own: 2022年12月21日
	kindChapter            // 一、… or 第X章…
	kindArticle            // (一)… / （一）… or, in the 第X条 form, 第X条…
	kindText               // anything else
)

// labelStyle says how a label line splits into Label, Gap, Heading, Sep and Body.
type labelStyle int

const (
	styleSentence  labelStyle = iota // 一、 / (一): heading is the first sentence
	styleDiChapter                   // 第X章: heading is the rest of the line
	styleDiArticle                   // 第X条: no heading, the rest is body
)

// lineInfo is one input line prepared for classification.
type lineInfo struct {
	raw   string // the line exactly as in the input
	text  string // raw without a trailing "\r" (and without a BOM on line 0)
	trim  string // text without surrounding white space
	kind  lineKind
	label string // kindChapter/kindArticle: the label as printed
	style labelStyle
}

// classify decides the kind of l on its own. law says whether the document
// uses the 第X条 form, in which only 第X章 and 第X条 lines are structural.
func classify(l *lineInfo, law bool) {
	t := l.trim
	switch {
	case t == "":
		l.kind = kindBlank
	case isMetaLine(t):
		l.kind = kindMeta
	case isFurniture(t):
		l.kind = kindFurniture
	case isDate(t):
		l.kind = kindDate
	default:
		l.kind = kindText
		_, s := splitIndent(l.text)
		if n := diLabel(s, '章'); n > 0 {
			l.kind, l.label, l.style = kindChapter, s[:n], styleDiChapter
		} else if n := diLabel(s, '条'); n > 0 && law {
			l.kind, l.label, l.style = kindArticle, s[:n], styleDiArticle
		} else if law {
			// In the 第X条 form 一、 and (一) lines are items of an article.
		} else if n := dunLabel(s); n > 0 {
			l.kind, l.label, l.style = kindChapter, s[:n], styleSentence
		} else if n := parenLabel(s); n > 0 {
			l.kind, l.label, l.style = kindArticle, s[:n], styleSentence
		}
	}
}

// isSpace reports whether r is white space, including the full-width space
// U+3000 and the no-break space U+00A0.
func isSpace(r rune) bool { return unicode.IsSpace(r) }

// splitIndent splits s into its leading white space and the rest.
func splitIndent(s string) (indent, rest string) {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isSpace(r) {
			break
		}
		i += size
	}
	return s[:i], s[i:]
}

// numeralPrefix returns the byte length of the run of Chinese numeral runes
// at the start of s (at most 12 runes).
func numeralPrefix(s string) int {
	i, runes := 0, 0
	for i < len(s) && runes < 12 {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isNumeralRune(r) {
			break
		}
		i += size
		runes++
	}
	return i
}

// validNumeral reports whether s is a positive Chinese numeral.
func validNumeral(s string) bool {
	n, ok := ChineseNumber(s)
	return ok && n > 0
}

// diLabel returns the byte length of a "第X章"/"第X条"-style label (unit is
// 章 or 条) at the start of s, or 0. X is a Chinese numeral or ASCII digits.
func diLabel(s string, unit rune) int {
	rest, ok := strings.CutPrefix(s, "第")
	if !ok {
		return 0
	}
	n := numeralPrefix(rest)
	if n > 0 {
		if !validNumeral(rest[:n]) {
			return 0
		}
	} else {
		for n < len(rest) && n < 4 && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 0 || strings.Trim(rest[:n], "0") == "" {
			return 0
		}
	}
	r, size := utf8.DecodeRuneInString(rest[n:])
	if r != unit {
		return 0
	}
	return len("第") + n + size
}

// dunLabel returns the byte length of a "一、" label at the start of s, or 0.
func dunLabel(s string) int {
	n := numeralPrefix(s)
	if n == 0 || !validNumeral(s[:n]) || !strings.HasPrefix(s[n:], "、") {
		return 0
	}
	return n + len("、")
}

// parenLabel returns the byte length of a "(一)" or "（一）" label (the two
// kinds of parenthesis may be mixed) at the start of s, or 0.
func parenLabel(s string) int {
	open := 0
	switch {
	case strings.HasPrefix(s, "("):
		open = len("(")
	case strings.HasPrefix(s, "（"):
		open = len("（")
	default:
		return 0
	}
	n := numeralPrefix(s[open:])
	if n == 0 || !validNumeral(s[open:open+n]) {
		return 0
	}
	rest := s[open+n:]
	switch {
	case strings.HasPrefix(rest, ")"):
		return open + n + len(")")
	case strings.HasPrefix(rest, "）"):
		return open + n + len("）")
	}
	return 0
}

// metaKeyRE finds "key:" pairs of consultation metadata. A key must start the
// line or follow white space or a separator, so 联系电话 is not read as 电话.
var metaKeyRE = regexp.MustCompile(`(?:^|[\s\x{3000}\x{00A0}，,；;、|｜])` + metaKeys)

// metaLineRE matches a metadata key at the start of a trimmed line.
var metaLineRE = regexp.MustCompile(`^` + metaKeys)

// metaKeys is the alternation of metadata keys followed by a colon.
const metaKeys = `(信息来源|来源|发布机构|发布单位|发布部门|征集单位|` +
	`征求意见时间|意见征集时间|征集时间|征集期限|征集日期|起止时间|反馈时间|` +
	`联系人|联系电话|咨询电话|电话|联系方式|电子邮箱|电子邮件|邮箱|邮件|(?i:e-?mail)|` +
	`传真|通讯地址|联系地址|地址|邮编|邮政编码|发布时间|发布日期)` +
	`[\s\x{3000}]*[:：]`

// isMetaLine reports whether t (trimmed) starts with a metadata key.
func isMetaLine(t string) bool { return metaLineRE.MatchString(t) }

// dateRE matches a date on its own line: 2022年12月21日 or 二〇二二年十二月二十一日.
var dateRE = regexp.MustCompile(`^[0-9０-９〇零一二三四五六七八九]{4}[\s\x{3000}]*年` +
	`[\s\x{3000}]*[0-9０-９一二三四五六七八九十]{1,3}[\s\x{3000}]*月` +
	`[\s\x{3000}]*[0-9０-９一二三四五六七八九十]{1,3}[\s\x{3000}]*日$`)

// isDate reports whether t (trimmed) is a date and nothing else.
func isDate(t string) bool { return dateRE.MatchString(t) }

// breadcrumbPrefixes start the "you are here" line of a page.
var breadcrumbPrefixes = []string{"当前位置", "您的位置", "您现在的位置", "你的位置", "所在位置", "首页 >", "首页>", "首页＞"}

// isBreadcrumb reports whether t (trimmed) is a breadcrumb line.
func isBreadcrumb(t string) bool {
	for _, p := range breadcrumbPrefixes {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// breadcrumbCategory returns the last segment of a breadcrumb line, or "".
func breadcrumbCategory(t string) string {
	i := strings.LastIndexAny(t, ">＞»›")
	if i < 0 {
		return ""
	}
	_, size := utf8.DecodeRuneInString(t[i:])
	return strings.TrimSpace(t[i+size:])
}

// furnitureWords are page controls that make up a whole line, possibly with a
// trailing colon.
var furnitureWords = map[string]bool{
	"恢复默认": true, "打印本页": true, "打印": true, "关闭窗口": true, "关闭本页": true,
	"关闭": true, "分享到": true, "分享": true, "返回顶部": true, "收藏": true,
	"【打印】": true, "【关闭】": true, "【打印本页】": true, "【关闭窗口】": true,
	"字体": true, "字号": true, "大 中 小": true,
}

// furniturePrefixes start lines of page controls (short lines only).
var furniturePrefixes = []string{"字体颜色", "保护视力色", "字体大小", "字号：", "字号:", "字体：", "字体:", "【字体", "【字号", "上一篇", "下一篇", "浏览次数", "访问次数", "阅读次数"}

// isFurniture reports whether t (trimmed) is page furniture rather than text
// of the consultation or of the draft.
func isFurniture(t string) bool {
	runes := utf8.RuneCountInString(t)
	if runes > 80 {
		return false
	}
	if isBreadcrumb(t) || strings.HasPrefix(t, "扫一扫") {
		return true
	}
	if runes <= 40 {
		for _, p := range furniturePrefixes {
			if strings.HasPrefix(t, p) {
				return true
			}
		}
	}
	if furnitureWords[strings.TrimRight(t, ":：")] || isBracketTokens(t) {
		return true
	}
	// The site name: "银川市人民政府门户网站 www.yinchuan.gov.cn".
	if runes <= 60 && !strings.Contains(t, "。") && !strings.Contains(t, "@") &&
		(strings.Contains(t, "门户网站") || strings.Contains(t, "www.") || strings.Contains(t, ".gov.cn")) {
		return true
	}
	return false
}

// isBracketTokens reports whether t is made only of short bracketed tokens
// such as "[红]", "[小] [中] [大]" or "【打印】".
func isBracketTokens(t string) bool {
	n := 0
	for t != "" {
		var closer string
		switch {
		case strings.HasPrefix(t, "["):
			t, closer = t[len("["):], "]"
		case strings.HasPrefix(t, "【"):
			t, closer = t[len("【"):], "】"
		default:
			return false
		}
		end := strings.Index(t, closer)
		if end < 0 || utf8.RuneCountInString(t[:end]) > 4 {
			return false
		}
		t = strings.TrimLeftFunc(t[end+len(closer):], isSpace)
		n++
	}
	return n > 0
}

// titleLike reports whether t (trimmed) could be a title line (or a signer):
// short, and not a sentence.
func titleLike(t string) bool {
	if t == "" || utf8.RuneCountInString(t) > 40 || strings.ContainsAny(t, "。！？!?；;") {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(t)
	return !strings.ContainsRune("：:，,、", last)
}

// strongCallWords mark a paragraph as a call for comments even when it stands
// where a preamble could be.
var strongCallWords = []string{"征求意见", "征集意见", "公开征求", "征求社会", "征求公众", "反馈意见", "提出意见", "意见建议", "意见和建议", "意见或建议"}

// callWords mark a paragraph before the title as a call for comments.
var callWords = []string{"意见", "征求", "征集", "建议"}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
