package main

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"13830463501", "13830463501", true},
		{"138 3046 3501", "13830463501", true},
		{"138-3046-3501", "13830463501", true},
		{"+86 138 3046 3501", "13830463501", true},
		{"0086-13830463501", "13830463501", true},
		{"１３８３０４６３５０１", "13830463501", true},
		{"0951-1234567", "0951-1234567", true},
		{"0951 12345678", "0951-12345678", true},
		{"(0951)1234567", "0951-1234567", true},
		{"（0951）1234567", "0951-1234567", true},
		{"010-12345678", "010-12345678", true},
		{"01012345678", "010-12345678", true},
		{"095112345678", "0951-12345678", true},
		{"0951-1234567 转 801", "0951-1234567-801", true},
		{"0951-1234567-801", "0951-1234567-801", true},
		{"12345", "", false},
		{"23830463501", "", false},
		{"1383046350", "", false},
		{"abc", "", false},
		{"0951-12", "", false},
	}
	for _, tt := range tests {
		got, ok := normalizePhone(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("normalizePhone(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"1837060996@qq.com", "1837060996@qq.com", true},
		{" Zhang.San@Example.COM ", "Zhang.San@example.com", true},
		{"zhang＠example.com", "zhang@example.com", true},
		{"zhang@", "", false},
		{"zhang@example", "", false},
		{"@example.com", "", false},
		{"张三 <zhang@example.com>", "", false},
		{"a b@example.com", "", false},
		{"zhang@example..com", "", false},
	}
	for _, tt := range tests {
		got, ok := normalizeEmail(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("normalizeEmail(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNormalizeCaptcha(t *testing.T) {
	for in, want := range map[string]string{
		"12345": "12345", " 1 2 3 4 5 ": "12345", "１２３４５": "12345", "一二三四五": "12345", "〇九八七六": "09876", "12-34": "1234",
	} {
		if got := normalizeCaptcha(in); got != want {
			t.Errorf("normalizeCaptcha(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  意见\r\n第二行  \r\n", "意见\n第二行"},
		{"a\x00b\x07c\x1bd", "abcd"},
		{"\ufeff意见\u0085", "意见"},
		{"=SUM(A1)", "=SUM(A1)"},
		{"emoji 😀 and \u200f RTL", "emoji 😀 and \u200f RTL"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"tab\tkept", "tab\tkept"},
	}
	for _, tt := range tests {
		if got := normalizeText(tt.in); got != tt.want {
			t.Errorf("normalizeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := normalizeLine(" 张\n 三\t "); got != "张 三" {
		t.Errorf("normalizeLine = %q", got)
	}
}

// FuzzNormalize checks the form normalisers on arbitrary input: valid UTF-8 out, no
// control characters, idempotent, and never longer than the input.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"意见\r\n", "a\x00b", "\xff\xfe", "138 3046 3501", "x@y.cn", "一二三", "\u2028\u2029", "=1+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for name, norm := range map[string]func(string) string{"text": normalizeText, "line": normalizeLine} {
			out := norm(in)
			if !utf8.ValidString(out) {
				t.Fatalf("%s: invalid UTF-8 %q", name, out)
			}
			for _, r := range out {
				if r != '\n' && r != '\t' && isStrippedRune(r) {
					t.Fatalf("%s: control rune %U in %q", name, r, out)
				}
			}
			if norm(out) != out {
				t.Fatalf("%s: not idempotent: %q -> %q", name, out, norm(out))
			}
			if name == "line" && strings.ContainsAny(out, "\n\t") {
				t.Fatalf("line has a line break: %q", out)
			}
		}
		if p, ok := normalizePhone(in); ok {
			if q, ok2 := normalizePhone(p); !ok2 || q != p {
				t.Fatalf("phone not stable: %q -> %q -> %q", in, p, q)
			}
		}
		if e, ok := normalizeEmail(in); ok {
			if e2, ok2 := normalizeEmail(e); !ok2 || e2 != e {
				t.Fatalf("email not stable: %q -> %q -> %q", in, e, e2)
			}
		}
		_ = normalizeCaptcha(in)
	})
}
