package main

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// validator collects field errors (in Chinese) keyed by form field name.
type validator struct {
	FieldErrors map[string]string
}

// CheckField records msg for key unless ok (keeping the first error per field).
func (v *validator) CheckField(ok bool, key, msg string) {
	if ok {
		return
	}
	if v.FieldErrors == nil {
		v.FieldErrors = map[string]string{}
	}
	if _, exists := v.FieldErrors[key]; !exists {
		v.FieldErrors[key] = msg
	}
}

// CheckPhone replaces *phone with its canonical form when it is a valid Chinese phone
// number (an empty one is left alone) and records msg under key otherwise.
func (v *validator) CheckPhone(phone *string, key, msg string) {
	if *phone == "" {
		return
	}
	p, ok := normalizePhone(*phone)
	v.CheckField(ok, key, msg)
	if ok {
		*phone = p
	}
}

// CheckEmail does the same for an e-mail address.
func (v *validator) CheckEmail(email *string, key, msg string) {
	if *email == "" {
		return
	}
	e, ok := normalizeEmail(*email)
	v.CheckField(ok, key, msg)
	if ok {
		*email = e
	}
}

// Valid reports whether no field has an error.
func (v *validator) Valid() bool { return len(v.FieldErrors) == 0 }

// Limits on what a commenter can submit. A spreadsheet cell holds 32,767 UTF-16 units;
// 15,000 characters are at most 30,000 units (two per character outside the BMP), so
// every body fits one cell and exports never cut a comment.
const (
	maxBodyRunes  = 15000
	maxNameRunes  = 50
	maxOrgRunes   = 100
	maxEmailBytes = 254
)

// identities are the choices for the identity field, in display order.
var identities = []string{"个人", "企业", "社会组织", "政府部门", "其他"}

// normalizeText cleans free text from a form: valid UTF-8, "\n" line ends, no control
// characters other than tab and newline, no trailing spaces on lines, trimmed.
// It keeps everything a person meant to type, emoji and direction marks included.
func normalizeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r == '\n' || r == '\t' || !isStrippedRune(r) {
			b.WriteRune(r)
		}
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// normalizeLine cleans a one-line field: as normalizeText, with every run of white
// space (newlines included) folded into one space.
func normalizeLine(s string) string {
	return strings.Join(strings.Fields(normalizeText(s)), " ")
}

// isStrippedRune reports runes that must never reach storage or a spreadsheet:
// C0/C1 controls, DEL, the BOM, and non-characters.
func isStrippedRune(r rune) bool {
	return r < 0x20 || (r >= 0x7F && r <= 0x9F) || r == 0xFEFF || r == 0xFFFE || r == 0xFFFF ||
		(r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE
}

// foldWidth turns full-width ASCII (as typed with a Chinese input method) into ASCII.
func foldWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0xFF01 && r <= 0xFF5E {
			return r - 0xFEE0
		}
		if r == '\u3000' {
			return ' '
		}
		return r
	}, s)
}

var (
	mobileRE   = regexp.MustCompile(`^1[3-9]\d{9}$`)
	landlineRE = regexp.MustCompile(`^0\d{2,3}-\d{7,8}(-\d{1,6})?$`)
)

// normalizePhone accepts phone numbers as people write them in China: mobiles with
// or without +86 and spaces or dashes ("138 3046 3501"), landlines with an area code
// ("0951-1234567", "(0951)1234567", "0951 12345678 转 801"). It returns the number in a
// canonical form and whether it is valid.
func normalizePhone(in string) (string, bool) {
	s := foldWidth(normalizeLine(in))
	s = strings.NewReplacer("转", "-", "分机", "-", "ext.", "-", "ext", "-", "（", "(", "）", ")").Replace(s)
	s = strings.TrimSpace(s)
	for _, p := range []string{"+86", "0086", "86-", "86 "} {
		if strings.HasPrefix(s, p) && len(s) > 11 {
			s = strings.TrimSpace(strings.TrimPrefix(s, p))
			break
		}
	}
	// Area code in parentheses: "(0951)1234567".
	if strings.HasPrefix(s, "(") {
		if end := strings.Index(s, ")"); end > 0 {
			s = s[1:end] + "-" + s[end+1:]
		}
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	if mobileRE.MatchString(digits) {
		return digits, true
	}
	// Landline: split into area code, number and optional extension on the separators
	// the person used, or on the area-code length when they used none.
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == ' ' || r == '—' || r == '－' })
	var cand string
	switch {
	case len(parts) >= 2:
		cand = strings.Join(parts, "-")
	case len(digits) >= 10 && digits[0] == '0':
		area := 4
		if digits[1] == '1' || digits[1] == '2' { // 010, 02x: three-digit area codes
			area = 3
		}
		cand = digits[:area] + "-" + digits[area:]
	}
	if landlineRE.MatchString(cand) {
		return cand, true
	}
	return in, false
}

var emailLocalRE = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+$`)

// normalizeEmail checks an e-mail address for form (no network look-ups).
func normalizeEmail(in string) (string, bool) {
	s := foldWidth(normalizeLine(in))
	s = strings.ReplaceAll(s, "＠", "@")
	if len(s) > maxEmailBytes || strings.ContainsAny(s, " <>,;\"") {
		return in, false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s {
		return in, false
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || !emailLocalRE.MatchString(local) || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return in, false
	}
	return local + "@" + strings.ToLower(domain), true
}

// normalizeCaptcha accepts an answer the way people type it: full-width digits,
// spaces between digits, or Chinese numerals.
func normalizeCaptcha(in string) string {
	const cn = "零一二三四五六七八九"
	var b strings.Builder
	for _, r := range foldWidth(in) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '〇' || r == 'o' || r == 'O':
			b.WriteByte('0')
		default:
			if i := strings.IndexRune(cn, r); i >= 0 {
				b.WriteByte(byte('0' + utf8.RuneCountInString(cn[:i])))
			}
		}
	}
	return b.String()
}
