package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"consult/store"
)

// revisedDraft is the acceptance scenario's 修改稿 (server/revdiff checks that it is
// the seed with article 17 reworded, article 8 deleted and a new article after 12).
const revisedDraft = "../content/yinchuan-etdz-reform-2022-rev2.txt"

// revise publishes the scenario's revision with the CLI command, opening a second
// round from 2023-03-01 to 2023-04-01, and returns its output.
func (e *testEnv) revise(args ...string) (string, error) {
	e.t.Helper()
	var out bytes.Buffer
	abs, err := filepath.Abs(revisedDraft)
	if err != nil {
		e.t.Fatal(err)
	}
	if args == nil {
		args = []string{"-consultation", seedSlug, "-opens", "2023-03-01T09:00:00+08:00", "-closes", "2023-04-01T17:00:00+08:00",
			"-reason", "根据第一轮意见修改"}
	}
	err = runCommand(context.Background(), e.app.cfg, e.store, append(append([]string{"revise"}, args...), abs), nil, &out)
	e.app.draftGen.Add(1) // the running server would see it within a minute (loadDraft, page cache)
	return out.String(), err
}

var secondRound = time.Date(2023, 3, 10, 10, 0, 0, 0, beijing)

// TestReviseScenario is the acceptance test: the seed as 第一稿 with comments,
// the 修改稿 published by the CLI, and the 对照表 on the public page saying exactly one
// 修改 (article 17), one 删除 (article 8), one 新增 (after article 12), every other
// article 未修改, with the first-round comments still shown against their text.
func TestReviseScenario(t *testing.T) {
	e := newOpenEnv(t, "")
	ctx := context.Background()
	cs := seedConsultation(t, e)
	first, _ := e.store.Sections(ctx, cs.ID)
	byAnchor := map[string]store.Section{}
	for _, s := range first {
		byAnchor[s.Anchor] = s
	}
	var tracking []string
	for _, a := range []string{"article-8", "article-8", "article-17", "article-9"} {
		c, _, err := e.store.CreateComment(ctx, &store.Comment{ConsultationID: cs.ID, SectionID: byAnchor[a].ID, SectionAnchor: a,
			Body: "第一轮对" + a + "的意见", ConsentedAt: inWindow})
		if err != nil {
			t.Fatal(err)
		}
		tracking = append(tracking, c.Tracking)
	}

	out, err := e.revise()
	if err != nil {
		t.Fatal(err)
	}
	if want := "published revision 2 (修改稿): 修改 1 条,新增 1 条,删除 1 条,移动 0 条,未修改 21 条"; !strings.Contains(out, want) {
		t.Fatalf("revise output %q lacks %q", out, want)
	}
	// Publishing the same text again is refused.
	if _, err := e.revise("-consultation", seedSlug); err == nil || !strings.Contains(err.Error(), "nothing to publish") {
		t.Fatalf("same text again: %v", err)
	}

	status, page := e.get("/c/" + seedSlug + "/changes")
	if status != http.StatusOK {
		t.Fatalf("changes: %d", status)
	}
	for _, s := range []string{`id="count-modified">1<`, `id="count-added">1<`, `id="count-deleted">1<`, "其余 21 条未修改",
		"根据第一轮意见修改", "第一稿", "修改稿"} {
		if !strings.Contains(page, s) {
			t.Errorf("changes page lacks %q", s)
		}
	}
	rows := regexp.MustCompile(`<tr class="change (\w+) kind-(\w+)" id="change-\d+"([^>]*)>`).FindAllStringSubmatch(page, -1)
	types := map[string][]string{}
	for _, r := range rows {
		if r[2] == "article" {
			types[r[1]] = append(types[r[1]], r[3])
		}
	}
	if len(types["modified"]) != 1 || !strings.Contains(types["modified"][0], `data-new="article-17"`) ||
		len(types["deleted"]) != 1 || !strings.Contains(types["deleted"][0], `data-old="article-8"`) ||
		len(types["added"]) != 1 || !strings.Contains(types["added"][0], `data-new="article-12"`) ||
		len(types["unchanged"]) != 21 || len(types["moved"]) != 0 {
		t.Fatalf("article rows by type: %v", types)
	}
	// Article 9, now (八), is unchanged and shows its renumbering and first-round comment.
	if !strings.Contains(page, `data-new="article-8" data-old="article-9"`) || !strings.Contains(page, "(九)→(八)") {
		t.Error("renumbered article 9 not shown as such")
	}
	// The character diff of article 17, not by colour alone.
	for _, s := range []string{`<ins><span class="visually-hidden">[增加:</span>、新能源`, `<del><span class="visually-hidden">[删除:</span>2`,
		`<ins><span class="visually-hidden">[增加:</span>3`} {
		if !strings.Contains(page, s) {
			t.Errorf("diff lacks %q", s)
		}
	}
	// The deleted article 8 stands after article 7, with its two comments.
	del := page[strings.Index(page, `data-old="article-8">`):]
	del = del[:strings.Index(del, "</tr>")]
	if !strings.Contains(del, "移交社会事务管理职能") || !strings.Contains(del, "(本条删除)") || !strings.Contains(del, ">2 条</a>") {
		t.Errorf("deleted row: %s", del)
	}
	if i, j := strings.Index(page, `data-old="article-7"`), strings.Index(page, `data-old="article-8">`); i < 0 || j < i {
		t.Error("deletion not after article 7")
	}

	// The current draft page is the 修改稿, pointing at the table and the 第一稿.
	_, cur := e.get("/c/" + seedSlug)
	for _, s := range []string{`id="revision-note"`, "本文为修改稿", `href="/c/` + seedSlug + `/changes"`, "?rev=1", "优化营商环境评价机制", "1000亿"} {
		if !strings.Contains(cur, s) {
			t.Errorf("current draft page lacks %q", s)
		}
	}
	if strings.Contains(cur, "支持园区轻装上阵") {
		t.Error("current draft page still has the deleted article")
	}
	// The 第一稿 stays reachable with a banner and its own comments; no comment links.
	status, old := e.get("/c/" + seedSlug + "?rev=1")
	if status != http.StatusOK {
		t.Fatalf("rev=1: %d", status)
	}
	for _, s := range []string{`id="revision-banner"`, "您正在阅读的是第一稿", `id="current-link"`, "移交社会事务管理职能", "已有 2 条意见", "900亿"} {
		if !strings.Contains(old, s) {
			t.Errorf("rev=1 page lacks %q", s)
		}
	}
	if strings.Contains(old, "对本条提意见") {
		t.Error("rev=1 offers to comment on an earlier revision")
	}
	for _, p := range []string{"?rev=3", "?rev=x", "?rev=0"} {
		if status, _ := e.get("/c/" + seedSlug + p); status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, status)
		}
	}
	for _, p := range []string{"?from=1&to=3", "?from=2&to=2", "?from=2&to=1", "?from=a"} {
		if status, _ := e.get("/c/" + seedSlug + "/changes" + p); status != http.StatusNotFound {
			t.Errorf("changes%s: %d, want 404", p, status)
		}
	}
	if status, _ := e.get("/c/" + seedSlug + "/changes?from=1&to=2"); status != http.StatusOK {
		t.Errorf("from=1&to=2: %d", status)
	}
	// Only the rows that changed: the three articles.
	_, only := e.get("/c/" + seedSlug + "/changes?from=1&to=2&only=changed")
	if n := strings.Count(only, `<tr class="change `); n != 3 || strings.Contains(only, `class="change unchanged`) || !strings.Contains(only, `id="show-all"`) {
		t.Errorf("only=changed: %d rows", n)
	}

	// First-round comments keep their revision and section.
	for _, tr := range tracking {
		c, err := e.store.CommentByTracking(ctx, tr)
		if err != nil || c.DraftRevision != 1 || c.SectionID != byAnchor[c.SectionAnchor].ID {
			t.Fatalf("first-round comment %s: %+v %v", tr, c, err)
		}
	}

	// Tracking a first-round comment shows the article it was written on.
	_, tp := e.get("/track?no=" + tracking[0])
	if !strings.Contains(tp, `<span id="track-revision">第一稿</span> (八)移交社会事务管理职能`) {
		t.Error("/track does not show the first-round article")
	}

	// Second round: a comment through the form keys to the 修改稿's article 12 (the new one).
	e.app.now = func() time.Time { return secondRound }
	f, _ := e.openForm("article-12")
	resp, _ := e.submit(f, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second-round comment: %d", resp.StatusCode)
	}
	tr := strings.TrimPrefix(resp.Header.Get("Location"), "/c/"+seedSlug+"/receipt/")
	c, err := e.store.CommentByTracking(ctx, strings.ReplaceAll(tr, "-", ""))
	if err != nil {
		t.Fatal(err)
	}
	cur2, _ := e.store.Sections(ctx, cs.ID)
	var art12 store.Section
	for _, s := range cur2 {
		if s.Anchor == "article-12" {
			art12 = s
		}
	}
	if c.DraftRevision != 2 || c.SectionID != art12.ID || !strings.HasPrefix(art12.Heading, "优化营商环境评价机制") {
		t.Fatalf("second-round comment on revision %d section %d, want 2 / %d", c.DraftRevision, c.SectionID, art12.ID)
	}
	// The 第一稿 page does not count it; the 修改稿 page does.
	e.app.draftGen.Add(1)
	if _, old := e.get("/c/" + seedSlug + "?rev=1"); !strings.Contains(old, "已收到意见 4 条") {
		t.Error("rev=1 total changed by a second-round comment")
	}
	if _, cur := e.get("/c/" + seedSlug); !strings.Contains(cur, "已收到意见 1 条") {
		t.Error("second-round page does not count its comment")
	}
}

func TestReviseCommandValidation(t *testing.T) {
	e := newTestEnv(t, "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "usage: revise"},
		{[]string{"-consultation", "nope"}, "no consultation"},
		{[]string{"-consultation", seedSlug, "-opens", "2023-03-01T09:00:00+08:00"}, "give both"},
		{[]string{"-consultation", seedSlug, "-opens", "2023-03-01", "-closes", "2023-04-01T17:00:00+08:00"}, "-opens: want RFC 3339"},
		{[]string{"-consultation", seedSlug, "-opens", "2023-04-01T09:00:00+08:00", "-closes", "2023-03-01T17:00:00+08:00"}, "close after"},
		{[]string{"-consultation", seedSlug, "-opens", "2023-03-01T09:00:00+08:00", "-closes", "2023-03-10T17:00:00+08:00"}, "under 30 days"},
	} {
		_, err := e.revise(tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
	// Without a window the revision is published and the window kept.
	cs := seedConsultation(t, e)
	if _, err := e.revise("-consultation", seedSlug, "-reason", "文字修改"); err != nil {
		t.Fatal(err)
	}
	after := seedConsultation(t, e)
	if after.DraftRevision != 2 || !after.OpensAt.Equal(cs.OpensAt) || !after.ClosesAt.Equal(cs.ClosesAt) {
		t.Fatalf("after a revision without a window: %+v", after)
	}
	// Restarting with the (changed-looking) config keeps the revision.
	if err := syncConsultations(context.Background(), e.store, e.app.cfg, e.app.log); err != nil {
		t.Fatal(err)
	}
}

func init() {
	registerSample("changes", func(t *testing.T, e *testEnv) any {
		ctx := context.Background()
		cs := seedConsultation(t, e)
		old, err := e.store.Sections(ctx, cs.ID)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(revisedDraft)
		if err != nil {
			t.Fatal(err)
		}
		_, secs, err := parseRevision(string(raw))
		if err != nil {
			t.Fatal(err)
		}
		cmp := compareSections(old, secs, nil, map[string]int{"article-8": 2},
			map[string][]store.Adopted{"article-17": {{SectionAnchor: "article-17", Status: store.StatusAdopted, Body: "意见", Count: 2}}})
		cmp.From, cmp.To, cmp.Report = store.Revision{Number: 1, Title: cs.Title}, store.Revision{Number: 2, Title: cs.Title, Reason: "说明"}, true
		revs := []store.Revision{cmp.From, cmp.To, {Number: 3}}
		return changesView{C: cs, Cmp: cmp, Revs: revs, Current: 2}
	})
}

func init() {
	registerSample("admin_revise", func(t *testing.T, e *testEnv) any {
		return &reviseView{C: seedConsultation(t, e), Form: reviseFormData{Text: "x", Round: true}, Errors: map[string]string{"reason": "x"}, Next: "修改稿"}
	})
	registerSample("admin_revise_preview", func(t *testing.T, e *testEnv) any {
		cv := extraSamples["changes"](t, e).(changesView)
		rv := &reviseView{C: seedConsultation(t, e), Form: reviseFormData{Text: "x"}, Next: "修改稿", Cmp: cv.Cmp, Length: "30 天"}
		for _, s := range cv.Cmp.Rows {
			for _, o := range s.Old {
				rv.Options = append(rv.Options, pairOption{Anchor: o.Anchor, Kind: o.Kind, Label: o.Label})
			}
		}
		return rv
	})
}

// TestRevisionInQueueDetailAndExport checks that comments of both rounds are shown
// against the revision and text they were written on: queue (with a revision filter),
// comment page and the committee workbook.
func TestRevisionInQueueDetailAndExport(t *testing.T) {
	e := newOpenEnv(t, "")
	ctx := context.Background()
	cs := seedConsultation(t, e)
	first, _ := e.store.Sections(ctx, cs.ID)
	var art8 store.Section
	for _, s := range first {
		if s.Anchor == "article-8" {
			art8 = s
		}
	}
	old, _, err := e.store.CreateComment(ctx, &store.Comment{ConsultationID: cs.ID, SectionID: art8.ID, SectionAnchor: "article-8",
		Body: "第一轮:社会事务移交要有过渡期。", ConsentedAt: inWindow})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.revise(); err != nil {
		t.Fatal(err)
	}
	e.app.now = func() time.Time { return secondRound }
	f, _ := e.openForm("article-8")
	f.Set("body", "第二轮:企业制度要明确时间表。")
	if resp, _ := e.submit(f, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second-round comment: %d", resp.StatusCode)
	}
	officer := e.loginAs("chen", store.RoleOfficer)
	queue := "/admin/c/" + seedSlug + "/comments"
	for _, tc := range []struct {
		query      string
		want, lack []string
	}{
		{"", []string{"第一轮:社会事务", "第二轮:企业制度", `id="f-rev"`, `<span class="badge rev">第一稿</span> (八)移交社会事务`, `<span class="badge rev">修改稿</span> (八)健全完善`}, nil},
		{"?rev=1", []string{"第一轮:社会事务"}, []string{"第二轮:企业制度"}},
		{"?rev=2", []string{"第二轮:企业制度"}, []string{"第一轮:社会事务"}},
		// An anchor alone is the current revision's article.
		{"?section=article-8", []string{"第二轮:企业制度"}, []string{"第一轮:社会事务"}},
		{"?rev=1&section=article-8", []string{"第一轮:社会事务"}, []string{"第二轮:企业制度"}},
	} {
		status, page := e.getWith(officer, queue+tc.query)
		if status != http.StatusOK {
			t.Fatalf("queue%s: %d", tc.query, status)
		}
		for _, s := range tc.want {
			if !strings.Contains(page, s) {
				t.Errorf("queue%s lacks %q", tc.query, s)
			}
		}
		for _, s := range tc.lack {
			if strings.Contains(page, s) {
				t.Errorf("queue%s has %q", tc.query, s)
			}
		}
	}
	// The comment page quotes the 第一稿's article 8, not the 修改稿's.
	_, page := e.getWith(officer, queue+"/"+strconv.FormatInt(old.ID, 10))
	if !strings.Contains(page, "(第一稿,非现行文本)") || !strings.Contains(page, "移交社会事务管理职能") || strings.Contains(page, "健全完善现代企业制度") {
		t.Error("comment page does not show the text the comment was written on")
	}
	// The workbook: 稿次 and the right article for each comment, both in 意见明细 and
	// in 意见采纳情况汇总表; ?rev=2 keeps the second round only.
	_, _, wb := e.download(officer, "")
	detail := sheetRows(t, wb, sheetDetail)
	byBody := map[string][]string{}
	for _, r := range detail[1:] {
		byBody[r[col("意见内容", detailHeader)]] = r
	}
	r1, r2 := byBody["第一轮:社会事务移交要有过渡期。"], byBody["第二轮:企业制度要明确时间表。"]
	if r1 == nil || r2 == nil {
		t.Fatalf("detail rows: %v", detail)
	}
	if r1[col("稿次", detailHeader)] != "第一稿" || r1[col("条款标题", detailHeader)] != "移交社会事务管理职能" ||
		r2[col("稿次", detailHeader)] != "修改稿" || r2[col("条款标题", detailHeader)] != "健全完善现代企业制度" {
		t.Errorf("detail: %v / %v", r1, r2)
	}
	fb := sheetRows(t, wb, sheetFeedback)
	joined := ""
	for _, r := range fb {
		joined += strings.Join(r, "|") + "\n"
	}
	for _, s := range []string{"〔第一稿〕(八)移交社会事务管理职能|", "〔修改稿〕(八)健全完善现代企业制度|"} {
		if !strings.Contains(joined, s) {
			t.Errorf("feedback sheet lacks %q:\n%s", s, joined)
		}
	}
	_, _, wb2 := e.download(officer, "?rev=2")
	if d2 := sheetRows(t, wb2, sheetDetail); len(d2) != 2 || d2[1][col("稿次", detailHeader)] != "修改稿" {
		t.Errorf("?rev=2 export: %v", d2)
	}
}

// TestRevisionDashboard: a revised draft's dashboard counts one round at a time, each
// article of that round's text, links keeping the round.
func TestRevisionDashboard(t *testing.T) {
	e := newOpenEnv(t, "")
	ctx := context.Background()
	cs := seedConsultation(t, e)
	first, _ := e.store.Sections(ctx, cs.ID)
	for _, s := range first {
		if s.Anchor == "article-8" {
			for i := 0; i < 3; i++ {
				if _, _, err := e.store.CreateComment(ctx, &store.Comment{ConsultationID: cs.ID, SectionID: s.ID, SectionAnchor: s.Anchor,
					Body: "第一轮意见" + strconv.Itoa(i), ConsentedAt: inWindow}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if _, err := e.revise(); err != nil {
		t.Fatal(err)
	}
	officer := e.loginAs("chen", store.RoleOfficer)
	_, page := e.getWith(officer, "/admin/c/"+seedSlug+"/dashboard?rev=1")
	for _, s := range []string{"意见统计(第一稿)", "移交社会事务管理职能", "rev=1", `href="/admin/c/` + seedSlug + `/dashboard?rev=2">修改稿`} {
		if !strings.Contains(page, s) {
			t.Errorf("rev=1 dashboard lacks %q", s)
		}
	}
	_, page = e.getWith(officer, "/admin/c/"+seedSlug+"/dashboard")
	if !strings.Contains(page, "意见统计(修改稿)") || strings.Contains(page, "移交社会事务管理职能") {
		t.Error("default dashboard of a revised draft is not the current round's")
	}
	st, err := e.store.RevisionStats(ctx, cs.ID, 1)
	if err != nil || st.Total != 3 || st.BySection["article-8"] != 3 || len(st.ByDay) != 1 || st.ByDay[0].Count != 3 {
		t.Fatalf("revision 1 stats: %+v %v", st, err)
	}
	if st2, _ := e.store.RevisionStats(ctx, cs.ID, 2); st2.Total != 0 {
		t.Fatalf("revision 2 stats: %+v", st2)
	}
}

// TestFeedbackByRound: the published report of a revised draft shows each round
// against its own text, and can be read for one round only.
func TestFeedbackByRound(t *testing.T) {
	e := newOpenEnv(t, "")
	ctx := context.Background()
	cs := seedConsultation(t, e)
	first, _ := e.store.Sections(ctx, cs.ID)
	var art8 store.Section
	for _, s := range first {
		if s.Anchor == "article-8" {
			art8 = s
		}
	}
	c1, _, err := e.store.CreateComment(ctx, &store.Comment{ConsultationID: cs.ID, SectionID: art8.ID, SectionAnchor: "article-8",
		Body: "第一轮:建议保留社会事务职能。", ConsentedAt: inWindow})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.revise(); err != nil {
		t.Fatal(err)
	}
	cur, _ := e.store.Sections(ctx, cs.ID)
	var new8 store.Section
	for _, s := range cur {
		if s.Anchor == "article-8" {
			new8 = s
		}
	}
	c2, _, err := e.store.CreateComment(ctx, &store.Comment{ConsultationID: cs.ID, SectionID: new8.ID, SectionAnchor: "article-8",
		Body: "第二轮:企业制度改革要有时间表。", ConsentedAt: secondRound})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{c1.ID, c2.ID} {
		if _, err := e.store.Decide(ctx, store.Actor{Username: "officer"}, cs.ID, id, store.Decision{Status: store.StatusAdopted, Response: "采纳。"}, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.store.PublishFeedback(ctx, store.Actor{Username: "officer"}, cs.ID, secondRound); err != nil {
		t.Fatal(err)
	}
	_, page := e.get("/c/" + seedSlug + "/feedback")
	for _, s := range []string{`id="fb-r1-article-8"`, `id="fb-r2-article-8"`, "〔第一稿〕(八)移交社会事务管理职能", "〔修改稿〕(八)健全完善现代企业制度",
		"第一轮:建议保留", "第二轮:企业制度", `id="feedback-rounds"`} {
		if !strings.Contains(page, s) {
			t.Errorf("feedback page lacks %q", s)
		}
	}
	_, one := e.get("/c/" + seedSlug + "/feedback?rev=1")
	if !strings.Contains(one, "第一轮:建议保留") || strings.Contains(one, "第二轮:企业制度") {
		t.Error("?rev=1 is not the first round only")
	}
	_, two := e.get("/c/" + seedSlug + "/feedback?rev=2")
	if strings.Contains(two, "第一轮:建议保留") || !strings.Contains(two, "第二轮:企业制度") {
		t.Error("?rev=2 is not the second round only")
	}
}

// TestCommentFormOpenDuringRevision: a form rendered on the 第一稿 and sent after the
// 修改稿 was published is returned with a notice and the text kept, not filed
// against an article that may now be another one.
func TestCommentFormOpenDuringRevision(t *testing.T) {
	e := newOpenEnv(t, "")
	f, form := e.openForm("article-9")
	m := regexp.MustCompile(`name="draft_revision" value="(\d+)"`).FindStringSubmatch(form)
	if m == nil || m[1] != "1" {
		t.Fatalf("form revision %v", m)
	}
	f.Set("draft_revision", m[1])
	if _, err := e.revise(); err != nil {
		t.Fatal(err)
	}
	e.app.now = func() time.Time { return secondRound }
	f.Set("body", "关于健全现代企业制度的意见。")
	resp, page := e.submit(f, nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "征求意见稿已更新为修改稿") || !strings.Contains(page, "关于健全现代企业制度的意见。") {
		t.Fatalf("stale form: %d", resp.StatusCode)
	}
	f2 := e.validForm(page, "article-8")
	f2.Set("body", "关于健全现代企业制度的意见。")
	f2.Set("draft_revision", "2")
	if resp, _ := e.submit(f2, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("resubmitted: %d", resp.StatusCode)
	}
}

// TestRecordLetterOnEarlierRevision: during the second round an officer records a
// letter about the 第一稿's article 8, which is kept against that text and counted
// late against the first round's close.
func TestRecordLetterOnEarlierRevision(t *testing.T) {
	e := newOpenEnv(t, "")
	ctx := context.Background()
	if _, err := e.revise(); err != nil {
		t.Fatal(err)
	}
	e.app.now = func() time.Time { return secondRound }
	c := e.loginAs("chen", store.RoleOfficer)
	_, page := e.getWith(c, "/admin/c/"+seedSlug+"/comments/new")
	if !strings.Contains(page, `<option value="1:article-8"`) || !strings.Contains(page, "第一稿:(八)移交社会事务管理职能") {
		t.Fatal("the record form offers no 第一稿 articles")
	}
	tok := csrfFrom(t, page)
	cs := seedConsultation(t, e)
	old, _ := e.store.RevisionSections(ctx, cs.ID, 1)
	var old8 store.Section
	for _, s := range old {
		if s.Anchor == "article-8" {
			old8 = s
		}
	}
	for day, late := range map[string]bool{"2023-02-07": false, "2023-03-05": true} {
		f := url.Values{"_csrf": {tok}, "channel": {"letter"}, "received_on": {day}, "section": {"1:article-8"},
			"body": {"来信:关于社会事务移交 " + day}, "identity": {"个人"}}
		resp, _ := e.postWith(c, "/admin/c/"+seedSlug+"/comments/new", f, nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("record %s: %d", day, resp.StatusCode)
		}
		rows, _, err := e.store.Queue(ctx, store.QueueFilter{ConsultationID: cs.ID, Q: "社会事务移交"})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range rows {
			if strings.HasSuffix(r.Body, day) {
				found = r.DraftRevision == 1 && r.SectionID == old8.ID && r.Late == late
			}
		}
		if !found {
			t.Errorf("%s: %+v", day, rows)
		}
	}
	bad := url.Values{"_csrf": {tok}, "channel": {"letter"}, "received_on": {"2023-03-05"}, "section": {"2:article-8"}, "body": {"x"}, "identity": {"个人"}}
	if resp, body := e.postWith(c, "/admin/c/"+seedSlug+"/comments/new", bad, nil); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "请选择意见针对的条款") {
		t.Errorf("a revision:anchor of the current revision: %d", resp.StatusCode)
	}
}
