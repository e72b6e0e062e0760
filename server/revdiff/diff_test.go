package revdiff

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDiff(t *testing.T) {
	cases := []struct {
		name, a, b string
		want       []Op
	}{
		{"both empty", "", "", nil},
		{"same", "坚持简政放权。", "坚持简政放权。", []Op{{Equal, "坚持简政放权。"}}},
		{"all new", "", "新增条文", []Op{{Insert, "新增条文"}}},
		{"all gone", "删除条文", "", []Op{{Delete, "删除条文"}}},
		{"one word replaced", "打造1个900亿产业集群", "打造1个1000亿产业集群",
			[]Op{{Equal, "打造1个"}, {Delete, "9"}, {Insert, "10"}, {Equal, "00亿产业集群"}}},
		{"insertion inside", "现代物流等主导产业", "现代物流、新能源等主导产业",
			[]Op{{Equal, "现代物流"}, {Insert, "、新能源"}, {Equal, "等主导产业"}}},
		{"deletion inside", "进一步落深落实，支持园区", "进一步落实，支持园区",
			[]Op{{Equal, "进一步落"}, {Delete, "深落"}, {Equal, "实，支持园区"}}},
		// A single kept character between two changes is folded into them.
		{"no confetti", "甲乙丙", "丁乙戊", []Op{{Delete, "甲乙丙"}, {Insert, "丁乙戊"}}},
		{"replacement", "旧", "新", []Op{{Delete, "旧"}, {Insert, "新"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Diff(tc.a, tc.b)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Diff(%q, %q) = %+v, want %+v", tc.a, tc.b, got, tc.want)
			}
			checkDiff(t, tc.a, tc.b, got)
		})
	}
}

// TestDiffLarge checks that texts further apart than maxEdits still give a true diff.
func TestDiffLarge(t *testing.T) {
	a := strings.Repeat("甲乙", 4000)
	b := strings.Repeat("丙丁", 4000)
	ops := Diff(a, b)
	checkDiff(t, a, b, ops)
	if len(ops) != 2 {
		t.Fatalf("want one replacement, got %d runs", len(ops))
	}
}

// checkDiff verifies that an edit script spells both texts and is in normal form.
func checkDiff(t testing.TB, a, b string, ops []Op) {
	t.Helper()
	gotA, gotB := Sides(ops)
	if gotA != a || gotB != b {
		t.Fatalf("diff spells %q / %q, want %q / %q", gotA, gotB, a, b)
	}
	for k, op := range ops {
		if op.Text == "" {
			t.Fatalf("run %d is empty", k)
		}
		if k > 0 && ops[k-1].Kind == op.Kind {
			t.Fatalf("runs %d and %d have the same kind", k-1, k)
		}
		if k > 0 && ops[k-1].Kind == Insert && op.Kind == Delete {
			t.Fatalf("insertion before deletion at %d", k)
		}
	}
}

func FuzzDiff(f *testing.F) {
	f.Add("坚持简政放权。", "坚持简政放权，强化市场竞争。")
	f.Add("", "x")
	f.Add("abcabba", "cbabac")
	f.Add("甲乙丙", "丁乙戊")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			// Diff works on runes: invalid bytes become U+FFFD, like everywhere else in Go.
			a, b = strings.ToValidUTF8(a, "\uFFFD"), strings.ToValidUTF8(b, "\uFFFD")
		}
		checkDiff(t, a, b, Diff(a, b))
	})
}
