package exportsheet

import (
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	long := strings.Repeat("意", MaxCellUnits+10)
	emoji15000 := strings.Repeat("👍", 15000) // 30,000 UTF-16 units: fits
	tests := []struct {
		name, in, want string
		cut            bool
	}{
		{"plain", "建议第十七条增加扶持措施。", "建议第十七条增加扶持措施。", false},
		{"empty", "", "", false},
		{"formula-looking", "=SUM(A1)", "=SUM(A1)", false},
		{"plus", "+1", "+1", false},
		{"minus", "-1", "-1", false},
		{"at", "@x", "@x", false},
		{"tab newline cr kept", "a\tb\nc\r\nd", "a\tb\nc\r\nd", false},
		{"vertical tab and form feed become line breaks", "一\v二\f三", "一\n二\n三", false},
		{"other controls dropped", "a\x00b\x01c\x08d\x1fe\x1bf", "abcdef", false},
		{"DEL and C1 kept (XML 1.0 holds them)", "a\x7fb\u0085c", "a\x7fb\u0085c", false},
		{"invalid UTF-8", "a\xffb\xc3", "a\uFFFDb\uFFFD", false},
		{"non-characters U+FFFE U+FFFF", "a\uFFFEb\uFFFFc", "a\uFFFDb\uFFFDc", false},
		{"RTL and zero-width marks kept", "\u202Eevil\u202C \u200F\u200B\u2066x\u2069", "\u202Eevil\u202C \u200F\u200B\u2066x\u2069", false},
		{"emoji with modifiers and ZWJ", "👍🏽👨‍👩‍👧", "👍🏽👨‍👩‍👧", false},
		{"OOXML escape lookalike", "_x0041_ and _x000D_", "_x0041_ and _x000D_", false},
		{"15000 emoji fit", emoji15000, emoji15000, false},
		{"exactly the limit", long[:MaxCellUnits*3], long[:MaxCellUnits*3], false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, cut := Text(tc.in)
			if got != tc.want || cut != tc.cut {
				t.Errorf("Text(%q) = %q, %v; want %q, %v", short(tc.in), short(got), cut, short(tc.want), tc.cut)
			}
		})
	}
	t.Run("too long is shortened with a note", func(t *testing.T) {
		got, cut := Text(long)
		if !cut {
			t.Fatal("not reported as shortened")
		}
		if n := len(utf16.Encode([]rune(got))); n > MaxCellUnits {
			t.Errorf("%d UTF-16 units", n)
		}
		if !strings.HasPrefix(long, strings.SplitN(got, "……", 2)[0]) {
			t.Error("the kept part is not the start of the text")
		}
		if !strings.Contains(got, "全文共 32777 字") {
			t.Errorf("note does not give the length: %q", got[len(got)-200:])
		}
	})
	t.Run("cut never splits a surrogate pair", func(t *testing.T) {
		got, cut := Text(strings.Repeat("𠀀", MaxCellUnits))
		if !cut || !utf8.ValidString(got) || len(utf16.Encode([]rune(got))) > MaxCellUnits {
			t.Errorf("cut %v, valid %v, units %d", cut, utf8.ValidString(got), len(utf16.Encode([]rune(got))))
		}
	})
}

func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// FuzzText checks that whatever comes in, the result is valid UTF-8 that XML 1.0 can
// carry, fits a cell, and equals the input when the input needed nothing.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "=SUM(A1)", "a\x00b", "\v\f", "\xff", "\uFFFE", "👍🏽", "\u202E", "_x0041_", "a\r\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, cut := Text(s)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 from %q", s)
		}
		for _, r := range got {
			if !isXMLChar(r) {
				t.Fatalf("%U left in %q", r, got)
			}
		}
		if n := len(utf16.Encode([]rune(got))); n > MaxCellUnits {
			t.Fatalf("%d units", n)
		}
		var b strings.Builder
		if err := xml.EscapeText(&b, []byte(got)); err != nil {
			t.Fatal(err)
		}
		var back struct {
			V string `xml:",chardata"`
		}
		if err := xml.Unmarshal([]byte("<v>"+strings.ReplaceAll(b.String(), "&#xD;", "\r")+"</v>"), &back); err != nil {
			t.Fatalf("not XML: %v", err)
		}
		clean := utf8.ValidString(s) && !cut
		for _, r := range s {
			clean = clean && isXMLChar(r)
		}
		if clean && got != s {
			t.Fatalf("changed clean text %q to %q", s, got)
		}
	})
}

func isXMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}
