package exportsheet

import (
	"strings"
	"unicode"
)

// ContentDisposition returns an attachment header that every browser saves under
// name: RFC 6266 with the RFC 5987 UTF-8 form (filename*) for the real name and a
// quoted ASCII fallback (filename) for clients that know only that. The fallback is
// cleaned to printable ASCII without quotes or backslashes.
func ContentDisposition(name, fallback string) string {
	var fb strings.Builder
	for _, r := range fallback {
		if r >= 0x20 && r < 0x7F && r != '"' && r != '\\' && r != '/' {
			fb.WriteRune(r)
		} else {
			fb.WriteByte('_')
		}
	}
	return `attachment; filename="` + fb.String() + `"; filename*=UTF-8''` + encode5987(name)
}

// encode5987 percent-encodes every byte that is not an RFC 5987 attr-char.
func encode5987(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAttrChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func isAttrChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}

// FileNamePart makes text safe inside a file name on Windows, macOS and Linux:
// no path separators, reserved characters, controls or line breaks, runs of white
// space folded to one, and at most max characters.
func FileNamePart(s string, max int) string {
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if n >= max {
			break
		}
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case r < 0x20, r == 0x7F, strings.ContainsRune(`/\:*?"<>|`, r), unicode.Is(unicode.Cf, r):
			continue
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return strings.Trim(b.String(), " .")
}
