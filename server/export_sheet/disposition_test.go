package exportsheet

import (
	"mime"
	"testing"
)

func TestContentDisposition(t *testing.T) {
	name := "银川经济技术开发区实施方案_征求意见汇总(筛选)_20230210.xlsx"
	got := ContentDisposition(name, `yinchuan "etdz"\2022.xlsx`)
	want := `attachment; filename="yinchuan _etdz__2022.xlsx"; filename*=UTF-8''` +
		"%E9%93%B6%E5%B7%9D%E7%BB%8F%E6%B5%8E%E6%8A%80%E6%9C%AF%E5%BC%80%E5%8F%91%E5%8C%BA%E5%AE%9E%E6%96%BD%E6%96%B9%E6%A1%88_%E5%BE%81%E6%B1%82%E6%84%8F%E8%A7%81%E6%B1%87%E6%80%BB%28%E7%AD%9B%E9%80%89%29_20230210.xlsx"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// What a browser does with it: the RFC 5987 form wins and decodes to the name.
	typ, params, err := mime.ParseMediaType(got)
	if err != nil || typ != "attachment" || params["filename"] != name {
		t.Errorf("parsed %q %v %v", typ, params, err)
	}
}

func TestEncode5987KeepsOnlyAttrChars(t *testing.T) {
	for c := 0; c < 256; c++ {
		enc := encode5987(string([]byte{byte(c)}))
		plain := len(enc) == 1
		if plain != isAttrChar(byte(c)) {
			t.Errorf("byte %#x encoded as %q", c, enc)
		}
	}
	if got := encode5987("a b;c'%"); got != "a%20b%3Bc%27%25" {
		t.Errorf("got %q", got)
	}
}

func TestFileNamePart(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"银川经济技术开发区 实施方案", 60, "银川经济技术开发区 实施方案"},
		{`a/b\c:d*e?f"g<h>i|j`, 60, "abcdefghij"},
		{"  多个   空格\n换行\t ", 60, "多个 空格 换行"},
		{"控制\x00字符\x1f\u202e", 60, "控制字符"},
		{"一二三四五六", 4, "一二三四"},
		{"...名称...", 60, "名称"},
	}
	for _, tc := range tests {
		if got := FileNamePart(tc.in, tc.max); got != tc.want {
			t.Errorf("FileNamePart(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
