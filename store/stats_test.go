package store

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// statsQueries are the dashboard's queries with sample arguments, for the plan check.
var statsQueries = []struct {
	name string
	sql  string
	args []any
	want string // the index the plan must use
}{
	{"status", statsStatusSQL, []any{1}, "USING COVERING INDEX comments_status"},
	{"section", statsSectionSQL, []any{1}, "USING COVERING INDEX comments_consultation_section"},
	{"span", statsSpanSQL, []any{1}, "USING COVERING INDEX comments_consultation_created"},
	{"days", statsDaysSQL, []any{19000, 19050, 1}, "USING COVERING INDEX comments_consultation_created (consultation_id=? AND created_at>? AND created_at<?)"},
	{"distinct", statsDistinctSQL, []any{1}, "USING COVERING INDEX dup_groups_size"},
	{"groups", statsGroupsSQL, []any{480, 1, 10}, "SEARCH g USING COVERING INDEX dup_groups_size"},
	{"people", statsPeopleSQL, []any{1}, ""},
}

// queryPlan returns the lines of EXPLAIN QUERY PLAN for query on the read pool.
func queryPlan(t *testing.T, s *Store, name, query string, args ...any) []string {
	t.Helper()
	rows, err := s.r.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return plan
}

// TestStatsQueryPlans checks that no dashboard query sorts the comments or reads the
// table where an index answers: on a consultation with 1,000,000 comments those are
// the difference between milliseconds and seconds.
func TestStatsQueryPlans(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	// The planner decides with statistics; give it those of a big consultation.
	if _, err := s.w.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	for _, q := range statsQueries {
		plan := queryPlan(t, s, q.name, q.sql, q.args...)
		all := strings.Join(plan, "\n")
		if q.want != "" && !strings.Contains(all, q.want) {
			t.Errorf("%s: plan does not use %q:\n%s", q.name, q.want, all)
		}
		for _, line := range plan {
			switch {
			case strings.HasPrefix(line, "SCAN comments"), strings.HasPrefix(line, "SCAN c "), strings.HasPrefix(line, "SCAN g"):
				t.Errorf("%s: full scan: %s", q.name, line)
			case strings.Contains(line, "TEMP B-TREE") && q.name != "people":
				t.Errorf("%s: sorts: %s", q.name, line)
			case q.name == "people" && strings.Contains(line, "comments") && !strings.Contains(line, "consultation_id=?"):
				t.Errorf("people: reads other consultations' comments: %s", line)
			}
		}
		t.Logf("%s:\n%s", q.name, all)
	}
}

func createStatsConsultation(t *testing.T, s *Store, slug string) (int64, []Section) {
	t.Helper()
	ctx := context.Background()
	opens := time.Date(2022, 12, 21, 17, 24, 0, 0, beijingZone)
	id, err := s.CreateConsultation(ctx, &Consultation{Slug: slug, Title: "t", OpensAt: opens, ClosesAt: opens.AddDate(0, 0, 48)}, sampleSections())
	if err != nil {
		t.Fatal(err)
	}
	secs, err := s.Sections(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return id, secs
}

func TestStats(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	cid, secs := createStatsConsultation(t, s, "x")
	other, _ := createStatsConsultation(t, s, "y")
	at := func(day, hour, minute, sec int) time.Time {
		return time.Date(2023, 1, day, hour, minute, sec, 0, beijingZone)
	}
	add := func(consultation int64, anchor, body, identity, channel string, created time.Time) *Comment {
		t.Helper()
		c := &Comment{ConsultationID: consultation, SectionAnchor: anchor, Body: body, Identity: identity,
			Channel: channel, ConsentedAt: created, CreatedAt: created}
		for _, sec := range secs {
			if sec.Anchor == anchor {
				c.SectionID = sec.ID
			}
		}
		saved, _, err := s.CreateComment(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return saved
	}
	campaign := "我们坚决支持第一条关于简政放权的规定,建议进一步下放审批权限,让企业少跑腿、多办事,切实优化营商环境。"
	// A campaign of 5 copies (one with extra spaces), the last
	// one at 00:00:00 Beijing time on 11 January: a new day although it is still
	// 10 January in UTC.
	first := add(cid, "article-1", campaign, "个人", "web", at(10, 9, 0, 0))
	add(cid, "article-1", campaign, "个人", "web", at(10, 12, 0, 0))
	add(cid, "article-1", "  "+campaign+"  ", "企业", "web", at(10, 23, 59, 59))
	add(cid, "article-1", campaign, "个人", "email", at(10, 23, 59, 59))
	add(cid, "article-1", campaign, "个人", "web", at(11, 0, 0, 0))
	// A smaller campaign of 2.
	small := add(cid, "chapter-1", "建议总体要求部分增加关于数字经济产业发展的具体目标和时间表,并明确考核办法。", "社会组织", "letter", at(12, 8, 0, 0))
	add(cid, "chapter-1", "建议总体要求部分增加关于数字经济产业发展的具体目标和时间表,并明确考核办法。", "社会组织", "web", at(14, 8, 0, 0))
	// Singletons, one on the draft as a whole, one three days later.
	single := add(cid, "general", "全文结构清晰,无其他意见。", "", "phone", at(14, 9, 0, 0))
	add(cid, "preamble", "前言部分引用的文件编号请核对。", "政府部门", "web", at(17, 16, 0, 0))
	// Another consultation's comments are not counted.
	add(other, "general", campaign, "个人", "web", at(10, 9, 0, 0))
	add(other, "general", "别的意见", "企业", "letter", at(25, 9, 0, 0))

	// Decisions: the whole big campaign explained, the small one's first adopted.
	actor := Actor{Username: "officer"}
	if n, err := s.Decide(ctx, actor, cid, first.ID, Decision{Status: StatusExplained, Response: "已研究"}, true); err != nil || n != 5 {
		t.Fatalf("decide group: %d %v", n, err)
	}
	if _, err := s.Decide(ctx, actor, cid, small.ID, Decision{Status: StatusAdopted}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decide(ctx, actor, cid, single.ID, Decision{Status: StatusInvalid}, false); err != nil {
		t.Fatal(err)
	}

	st, err := s.Stats(ctx, cid)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 9 || st.Triaged != 7 || st.Distinct != 4 {
		t.Errorf("total %d triaged %d distinct %d, want 9 7 4", st.Total, st.Triaged, st.Distinct)
	}
	if got, want := st.TriagedShare(), 7.0/9; got != want {
		t.Errorf("share %v, want %v", got, want)
	}
	wantMaps := []struct {
		name string
		got  map[string]int
		want map[string]int
	}{
		{"status", st.ByStatus, map[string]int{StatusExplained: 5, StatusAdopted: 1, StatusInvalid: 1, StatusPending: 2}},
		{"identity", st.ByIdentity, map[string]int{"个人": 4, "企业": 1, "社会组织": 2, "": 1, "政府部门": 1}},
		{"channel", st.ByChannel, map[string]int{"web": 6, "email": 1, "letter": 1, "phone": 1}},
		{"section", st.BySection, map[string]int{"article-1": 5, "chapter-1": 2, "general": 1, "preamble": 1}},
	}
	for _, m := range wantMaps {
		if fmt.Sprint(m.got) != fmt.Sprint(m.want) {
			t.Errorf("by %s = %v, want %v", m.name, m.got, m.want)
		}
	}
	// Every day from the first comment's to the last's, in Beijing time.
	wantDays := []int{4, 1, 1, 0, 2, 0, 0, 1} // 10 … 17 January
	if len(st.ByDay) != len(wantDays) {
		t.Fatalf("%d days: %+v", len(st.ByDay), st.ByDay)
	}
	for i, d := range st.ByDay {
		wantDay := time.Date(2023, 1, 10+i, 0, 0, 0, 0, beijingZone)
		if !d.Day.Equal(wantDay) || d.Count != wantDays[i] {
			t.Errorf("day %d = %s %d, want %s %d", i, d.Day, d.Count, wantDay, wantDays[i])
		}
		if _, off := d.Day.Zone(); off != 8*3600 || d.Day.Hour() != 0 {
			t.Errorf("day %d not midnight UTC+8: %s", i, d.Day)
		}
	}
	if len(st.TopGroups) != 2 {
		t.Fatalf("groups %+v", st.TopGroups)
	}
	g := st.TopGroups[0]
	if g.ID != first.ID || g.Size != 5 || g.Status != StatusExplained || g.SectionAnchor != "article-1" || g.Excerpt != campaign {
		t.Errorf("largest group %+v", g)
	}
	if g := st.TopGroups[1]; g.ID != small.ID || g.Size != 2 || g.Status != StatusAdopted || g.SectionAnchor != "chapter-1" {
		t.Errorf("second group %+v", g)
	}

	// The other consultation sees only its own.
	st2, err := s.Stats(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if st2.Total != 2 || st2.Distinct != 2 || len(st2.TopGroups) != 0 || len(st2.ByDay) != 16 || st2.ByDay[15].Count != 1 {
		t.Errorf("other consultation: %+v", st2)
	}
}

func TestStatsEmptyAndUnknown(t *testing.T) {
	s, _ := openTest(t)
	cid, _ := createStatsConsultation(t, s, "x")
	for _, id := range []int64{cid, 999} {
		st, err := s.Stats(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Total != 0 || st.Triaged != 0 || st.Distinct != 0 || st.TriagedShare() != 0 || len(st.ByDay) != 0 ||
			len(st.TopGroups) != 0 || len(st.ByStatus) != 0 || st.ByIdentity == nil {
			t.Errorf("consultation %d: %+v", id, st)
		}
	}
}

func TestStatsGroupOrderAndExcerpt(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	cid, _ := createStatsConsultation(t, s, "x")
	// Twelve groups: sizes 2…13, inserted in an order that is not their size's, each
	// a different 300-character text (no two groups share a character).
	firstOfSize := map[int]int64{}
	for i := 0; i < 12; i++ {
		size := 2 + (i*5)%12
		var b strings.Builder
		for r := 0; r < 300; r++ {
			b.WriteRune(rune(0x4E00 + i*300 + r))
			if r%40 == 39 {
				b.WriteString("\n")
			}
		}
		body := b.String()
		for j := 0; j < size; j++ {
			c, _, err := s.CreateComment(ctx, &Comment{ConsultationID: cid, SectionAnchor: "general", Body: body, ConsentedAt: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if j == 0 {
				firstOfSize[size] = c.ID
			}
		}
	}
	st, err := s.Stats(ctx, cid)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.TopGroups) != TopGroupsLimit {
		t.Fatalf("%d groups", len(st.TopGroups))
	}
	for i, g := range st.TopGroups {
		if g.Size != 13-i || g.ID != firstOfSize[g.Size] {
			t.Errorf("group %d: id %d size %d, want size %d and its first comment's id", i, g.ID, g.Size, 13-i)
		}
		if r := []rune(g.Excerpt); len(r) != ExcerptRunes+1 || r[len(r)-1] != '…' || strings.ContainsAny(g.Excerpt, "\n") {
			t.Errorf("excerpt %q", g.Excerpt)
		}
	}
	if st.Distinct != 12 {
		t.Errorf("distinct %d", st.Distinct)
	}
}

func TestDayOf(t *testing.T) {
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2023, 1, 10, 15, 59, 59, 0, time.UTC), "2023-01-10"},
		{time.Date(2023, 1, 10, 16, 0, 0, 0, time.UTC), "2023-01-11"},
		{time.Date(1969, 12, 31, 15, 0, 0, 0, time.UTC), "1969-12-31"},
		{time.Date(1969, 12, 31, 16, 0, 0, 0, time.UTC), "1970-01-01"},
	} {
		d := dayOf(tt.t.Unix())
		if got := time.Unix(d*86400-beijingOffset, 0).In(beijingZone).Format("2006-01-02"); got != tt.want {
			t.Errorf("dayOf(%s) = %s, want %s", tt.t, got, tt.want)
		}
	}
}

// seedBulk fills a consultation with n comments straight through SQL (no dedupe, no
// full-text index), spread over 48 days, a tenth of them one campaign. It expects
// an empty comments table, so that the i-th comment gets id i.
func seedBulk(tb testing.TB, s *Store, cid int64, n int) {
	tb.Helper()
	ctx := context.Background()
	if _, err := s.w.ExecContext(ctx, `DROP TRIGGER IF EXISTS comments_fts_insert`); err != nil {
		tb.Fatal(err)
	}
	start := time.Date(2022, 12, 21, 17, 24, 0, 0, beijingZone).Unix()
	_, err := s.w.ExecContext(ctx, `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
		INSERT INTO comments (consultation_id, section_anchor, tracking, body, identity, channel, status, consented_at, created_at, group_id)
		SELECT ?, CASE WHEN i % 24 = 0 THEN 'general' ELSE 'article-' || (i % 24) END, 'B' || i,
			printf('关于第%d条的意见:建议进一步优化营商环境,加快推进审批制度改革。', i % 97),
			CASE i % 5 WHEN 0 THEN '个人' WHEN 1 THEN '企业' WHEN 2 THEN '社会组织' WHEN 3 THEN '政府部门' ELSE '其他' END,
			CASE WHEN i % 50 = 0 THEN 'letter' ELSE 'web' END,
			CASE WHEN i % 3 = 0 THEN 'adopted' ELSE 'pending' END,
			? + i * (48 * 86400 / ?), ? + i * (48 * 86400 / ?),
			CASE WHEN i % 10 = 0 THEN 10 ELSE i END
		FROM seq`, n, cid, start, n, start, n)
	if err != nil {
		tb.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO dup_groups (id, consultation_id, size) SELECT id, consultation_id, 1 FROM comments WHERE group_id = id`,
		`UPDATE dup_groups SET size = (SELECT COUNT(*) FROM comments WHERE group_id = 10) WHERE id = 10`,
		`ANALYZE`,
	} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkStats measures the dashboard on a big consultation; STATS_BENCH_ROWS sets
// its size (default 100,000; the README's figure is for 1,000,000).
func BenchmarkStats(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("STATS_BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	s, err := Open(context.Background(), b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	cid, err := s.CreateConsultation(context.Background(), &Consultation{Slug: "x", Title: "t", OpensAt: now, ClosesAt: now.Add(time.Hour)}, sampleSections())
	if err != nil {
		b.Fatal(err)
	}
	seedBulk(b, s, cid, n)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := s.Stats(ctx, cid)
		if err != nil {
			b.Fatal(err)
		}
		if st.Total != n {
			b.Fatalf("total %d", st.Total)
		}
	}
	b.StopTimer()
	// Each query on its own, to see where the time goes.
	for _, q := range statsQueries {
		args := append([]any{}, q.args...)
		switch q.name {
		case "groups":
			args[1] = cid
		case "days":
			var lo, hi int64
			if err := s.r.QueryRowContext(ctx, statsSpanSQL, cid).Scan(&lo, &hi); err != nil {
				b.Fatal(err)
			}
			args = []any{dayOf(lo), dayOf(hi), cid}
		default:
			args[0] = cid
		}
		t0 := time.Now()
		rows, err := s.r.QueryContext(ctx, q.sql, args...)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
		}
		rows.Close()
		b.Logf("%-8s %v", q.name, time.Since(t0))
	}
}
