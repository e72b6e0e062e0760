// Package exportsheet holds the pure parts of the committee workbook export: text as
// a worksheet cell can hold it, the download's Content-Disposition header, and a zip
// writer that deflates on every core. It does no I/O of its own beyond the writers it
// is handed, so each part is table-tested and fuzzed on its own.
package exportsheet

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxCellUnits is how much text a spreadsheet cell holds: 32,767 UTF-16 code units
// (Excel's limit; excelize silently cuts anything longer).
const MaxCellUnits = 32767

// Text returns s as a cell can hold it, and whether it had to be shortened.
//
// XML 1.0 cannot carry most C0 control characters, U+FFFE, U+FFFF or invalid UTF-8,
// so those alone change: a vertical tab or form feed (Word's line and page breaks)
// becomes a line break, invalid bytes and the two non-characters become U+FFFD, and
// the other controls are dropped. Tab, line feed and carriage return are kept, as is
// everything else a person can type: emoji, direction marks, text that looks like a
// formula. Text longer than MaxCellUnits is never cut silently: it is shortened to
// fit with a note saying how long the whole text is.
func Text(s string) (string, bool) {
	if !clean(s) {
		s = cleaned(s)
	}
	// A UTF-16 unit takes at least one byte of UTF-8: most text needs no count.
	if len(s) <= MaxCellUnits {
		return s, false
	}
	n := utf16Len(s)
	if n <= MaxCellUnits {
		return s, false
	}
	note := "……〔以上为节选:全文共 " + strconv.Itoa(utf8.RuneCountInString(s)) +
		" 字,超出表格单元格 32767 字符的上限,请在系统中查看全文〕"
	return cutUnits(s, MaxCellUnits-utf16Len(note)) + note, true
}

// clean reports whether XML can carry s as it is; most text can, and is then
// returned without a copy. It runs over every comment, so it looks at bytes: only
// the C0 controls and 0xEF (the lead byte of U+FFFE and U+FFFF) need a closer look.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		if special[s[i]] {
			switch b := s[i]; {
			case b < 0x20:
				return false
			case i+2 < len(s) && s[i+1] == 0xBF && s[i+2] >= 0xBE: // U+FFFE, U+FFFF
				return false
			}
		}
	}
	return utf8.ValidString(s)
}

// special marks the bytes clean looks at twice.
var special = func() (t [256]bool) {
	for b := 0; b < 0x20; b++ {
		t[b] = b != '\t' && b != '\n' && b != '\r'
	}
	t[0xEF] = true
	return t
}()

func cleaned(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1, r == 0xFFFE, r == 0xFFFF:
			b.WriteRune(utf8.RuneError)
		case r == '\v', r == '\f':
			b.WriteByte('\n')
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r':
			// dropped: XML 1.0 has no way to carry it
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func utf16Len(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b < 0x80 || b >= 0xC0 && b < 0xF0: // one-byte rune, or lead byte of a BMP rune
			n++
		case b >= 0xF0: // lead byte of a rune outside the BMP: a surrogate pair
			n += 2
		}
	}
	return n
}

// cutUnits returns the longest prefix of s (at a rune boundary) of at most max UTF-16 units.
func cutUnits(s string, max int) string {
	n := 0
	for i, r := range s {
		if n += utf16.RuneLen(r); n > max {
			return s[:i]
		}
	}
	return s
}
