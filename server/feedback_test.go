package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"consult/store"
)

func init() {
	registerSample("feedback", func(t *testing.T, e *testEnv) any {
		d, _ := e.app.loadDraft(context.Background(), seedSlug)
		items := []store.FeedbackItem{{SectionAnchor: "article-17", Status: "rejected", Response: "理由", Body: "意见", Count: 3, Names: []string{"张三"}, MoreNames: 1}}
		return feedbackView{D: d, Report: &store.FeedbackReport{Revision: 2, PublishedAt: time.Now()}, Revisions: 2, Summary: "总体", Participants: 3, Comments: 3, Sections: buildFeedback(d, items)}
	})
	registerSample("admin_feedback", func(t *testing.T, e *testEnv) any {
		d, _ := e.app.loadDraft(context.Background(), seedSlug)
		return feedbackComposeView{D: d, Summary: "总体", Reports: []store.FeedbackReport{{Revision: 1}}, Counts: map[string]int{"pending": 2}, Total: 2, CanWrite: true, Published: true}
	})
}

// seedFeedback stores comments with contact data and decisions, as officers leave them.
func seedFeedback(t *testing.T, e *testEnv) (tracking map[string]string) {
	t.Helper()
	ctx := context.Background()
	d, _ := e.app.loadDraft(ctx, seedSlug)
	tracking = map[string]string{}
	add := func(key, anchor, body, name, phone, email string, publish bool) {
		c := &store.Comment{ConsultationID: d.C.ID, SectionAnchor: anchor, Body: body, Name: name, Identity: "个人", Phone: phone,
			Email: email, PublishName: publish, ConsentedAt: inWindow, CreatedAt: inWindow, SubmissionKey: newFormKey()}
		if s := d.Section(anchor); s != nil {
			c.SectionID = s.ID
		}
		saved, _, err := e.store.CreateComment(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		tracking[key] = saved.Tracking
	}
	add("a17", "article-17", "建议第十七条写明新材料产业的具体扶持政策和资金规模。", "公开姓名者", "13911112222", "open.name@example.com", true)
	add("a17b", "article-17", "第十七条应增加数字经济人才培养的内容。", "隐名者甲", "13933334444", "hidden.one@example.com", false)
	for i := 0; i < 4; i++ {
		add("camp", "article-15", campaign, "隐名者乙", "1395555666"+string(rune('0'+i)), "", false)
	}
	add("gen", "general", "整体很好,希望尽快实施。", "隐名者丙", "", "hidden.three@example.org", false)
	add("pend", "article-3", "第三条的表述需要再斟酌。", "隐名者丁", "0951-7654321", "", false)
	dec := func(key, status, response string, group bool) {
		c, err := e.store.CommentByTracking(ctx, tracking[key])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.Decide(ctx, store.Actor{Username: "chen"}, d.C.ID, c.ID, store.Decision{Status: status, Response: response}, group); err != nil {
			t.Fatal(err)
		}
	}
	dec("a17", store.StatusRejected, "资金规模将在年度预算中另行确定,方案中不宜写明。", false)
	dec("a17b", store.StatusAdopted, "已在第十七条中增加相关表述。", false)
	dec("camp", store.StatusExplained, "已在实施细则中统筹考虑。", true)
	dec("gen", store.StatusAdopted, "", false)
	return tracking
}

func TestFeedbackNothingPublicBeforePublishing(t *testing.T) {
	e := newOpenEnv(t, "")
	tr := seedFeedback(t, e)
	status, page := e.get("/c/" + seedSlug + "/feedback")
	if status != http.StatusOK || !strings.Contains(page, "尚未公布") || !strings.Contains(page, `id="closes-at"`) {
		t.Fatalf("report before publishing: %d", status)
	}
	_, page = e.get("/track?no=" + tr["a17"])
	if strings.Contains(page, "资金规模将在年度预算") || strings.Contains(page, "不予采纳") || !strings.Contains(page, "已处理") {
		t.Error("the decision trickled out to /track before publishing")
	}
	_, page = e.get("/c/" + seedSlug)
	if strings.Contains(page, "feedback-link") {
		t.Error("draft page links to an unpublished report")
	}
	// An anonymous visitor cannot see the preview.
	if status, _ := e.get("/admin/c/" + seedSlug + "/feedback/preview"); status != http.StatusSeeOther {
		t.Errorf("anonymous preview: %d", status)
	}
}

func TestFeedbackPublishRevisionsAndTracking(t *testing.T) {
	e := newOpenEnv(t, "")
	tr := seedFeedback(t, e)
	c := e.loginAs("chen", store.RoleOfficer)
	committee := e.loginAs("wei", store.RoleCommittee)
	// The preview is the public page with live data.
	_, prev := e.getWith(c, "/admin/c/"+seedSlug+"/feedback/preview")
	if !strings.Contains(prev, "preview-banner") || !strings.Contains(prev, "资金规模将在年度预算") {
		t.Fatal("preview does not show the decisions")
	}
	_, page := e.getWith(committee, "/admin/c/"+seedSlug+"/feedback")
	if strings.Contains(page, `id="publish"`) {
		t.Error("committee is offered the publish button")
	}
	resp, _ := e.postWith(committee, "/admin/c/"+seedSlug+"/feedback", url.Values{"_csrf": {csrfFrom(t, page)}, "publish": {"1"}}, nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("committee publish: %d", resp.StatusCode)
	}
	_, page = e.getWith(c, "/admin/c/"+seedSlug+"/feedback")
	tok := csrfFrom(t, page)
	resp, _ = e.postWith(c, "/admin/c/"+seedSlug+"/feedback", url.Values{"_csrf": {tok}, "summary": {"共收到意见 8 条,采纳 2 条。"}, "publish": {"1"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", resp.StatusCode)
	}
	status, rep := e.get("/c/" + seedSlug + "/feedback")
	if status != 200 {
		t.Fatalf("report: %d", status)
	}
	for _, s := range []string{"共收到意见 8 条", "资金规模将在年度预算中另行确定", "相同或相似意见 4 条", "公开姓名者", "另有 1 条意见尚在研究",
		"加快建立现代产业体系", `id="published"`} {
		if !strings.Contains(rep, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	if strings.Count(rep, "我们强烈建议经开区") != 1 {
		t.Error("a campaign must be shown once")
	}
	if strings.Contains(rep, "revised") {
		t.Error("first revision marked revised")
	}
	// The commenter on article 17 reads the decision and the reason.
	_, track := e.get("/track?no=" + tr["a17"])
	if !strings.Contains(track, `<dd id="track-decision">不予采纳</dd>`) || !strings.Contains(track, "资金规模将在年度预算中另行确定") {
		t.Error("track does not show the published decision and reason")
	}
	// Changes after publication stay internal until the next revision.
	ctx := context.Background()
	cm, _ := e.store.CommentByTracking(ctx, tr["a17"])
	if _, err := e.store.Decide(ctx, store.Actor{Username: "chen"}, 1, cm.ID, store.Decision{Status: store.StatusPartial, Response: "部分采纳:增加原则性表述。"}, false); err != nil {
		t.Fatal(err)
	}
	if _, rep = e.get("/c/" + seedSlug + "/feedback"); strings.Contains(rep, "部分采纳:增加原则性表述") {
		t.Error("a change leaked before republishing")
	}
	if _, track = e.get("/track?no=" + tr["a17"]); !strings.Contains(track, "不予采纳") {
		t.Error("track changed before republishing")
	}
	e.app.now = func() time.Time { return inWindow.Add(30 * 24 * time.Hour) }
	c = newClient(t) // a month later: a new session
	e.login(c, "chen", testPassword, nil)
	_, page = e.getWith(c, "/admin/c/"+seedSlug+"/feedback")
	resp, _ = e.postWith(c, "/admin/c/"+seedSlug+"/feedback", url.Values{"_csrf": {csrfFrom(t, page)}, "summary": {"修订说明。"}, "publish": {"1"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("republish: %d", resp.StatusCode)
	}
	_, rep = e.get("/c/" + seedSlug + "/feedback")
	if !strings.Contains(rep, "部分采纳:增加原则性表述") || !strings.Contains(rep, "第 2 版") || !strings.Contains(rep, "2023年2月9日") {
		t.Error("revision 2 not shown with its date")
	}
	if _, track = e.get("/track?no=" + tr["a17"]); !strings.Contains(track, `<dd id="track-decision">部分采纳</dd>`) {
		t.Error("track does not follow the latest revision")
	}
	// The draft page points to the report once closed.
	e.app.now = func() time.Time { return time.Date(2023, 3, 1, 9, 0, 0, 0, beijing) }
	if _, d := e.get("/c/" + seedSlug); !strings.Contains(d, `id="feedback-link"`) || !strings.Contains(d, "heat-4") {
		t.Error("draft page lacks the report link or the heat scale")
	}
	entries, _ := e.store.ListAudit(ctx, store.AuditFilter{Action: "feedback_publish"})
	if len(entries) != 2 {
		t.Errorf("%d publish audit entries", len(entries))
	}
}

// TestNoContactDataOnAnyPublicPage publishes a populated consultation and scans every
// public page for stored phones, e-mails and names whose owners did not consent.
func TestNoContactDataOnAnyPublicPage(t *testing.T) {
	e := newOpenEnv(t, "")
	tr := seedFeedback(t, e)
	ctx := context.Background()
	if _, err := e.store.PublishFeedback(ctx, store.Actor{Username: "chen"}, 1, inWindow); err != nil {
		t.Fatal(err)
	}
	pages := []string{"/", "/c/" + seedSlug, "/c/" + seedSlug + "/feedback", "/c/" + seedSlug + "/comment?section=article-17",
		"/c/" + seedSlug + "/qr.svg", "/track"}
	for _, no := range tr {
		pages = append(pages, "/track?no="+no, "/c/"+seedSlug+"/receipt/"+no)
	}
	rows, _, _ := e.store.Queue(ctx, store.QueueFilter{ConsultationID: 1, Limit: 200})
	var secrets []string
	for _, r := range rows {
		for _, s := range []string{r.Phone, r.Email} {
			if s != "" {
				secrets = append(secrets, s)
			}
		}
		if !r.PublishName && r.Name != "" {
			secrets = append(secrets, r.Name)
		}
	}
	if len(secrets) < 10 {
		t.Fatalf("only %d secrets to look for", len(secrets))
	}
	for _, p := range pages {
		status, body := e.get(p)
		if status != 200 {
			t.Errorf("%s: status %d", p, status)
		}
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s shows %q", p, s)
			}
		}
	}
	if _, rep := e.get("/c/" + seedSlug + "/feedback"); !strings.Contains(rep, "公开姓名者") {
		t.Error("a consented name is missing from the report")
	}
}

// TestBrowserFeedbackOnPhone: the report on a phone-sized screen, and the commenter on
// article 17 reading the decision by tracking number.
func TestBrowserFeedbackOnPhone(t *testing.T) {
	e := newOpenEnv(t, "")
	tr := seedFeedback(t, e)
	if _, err := e.store.PublishFeedback(context.Background(), store.Actor{Username: "chen"}, 1, inWindow); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t, 360, 800)
	browserDo(t, ctx, "open the report", chromedp.Navigate(e.srv.URL+"/c/"+seedSlug+"/feedback"))
	browserWait(t, ctx, `document.readyState === 'complete'`)
	if w := browserEval[int](t, ctx, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("report overflows a 360 px screen: %d", w)
	}
	if txt := browserEval[string](t, ctx, `document.getElementById('fb-article-17').innerText`); !strings.Contains(txt, "不予采纳") || !strings.Contains(txt, "资金规模") {
		t.Errorf("article 17 section: %q", txt)
	}
	browserDo(t, ctx, "look up the tracking number", chromedp.Navigate(e.srv.URL+"/track"),
		chromedp.SendKeys(chromedp.CSS("#no"), store.FormatTracking(tr["a17"])),
		chromedp.Submit(chromedp.CSS("#no")))
	browserWait(t, ctx, `!!document.getElementById('track-decision')`)
	got := browserEval[string](t, ctx, `document.getElementById('track-decision').textContent + '|' + document.getElementById('track-response').textContent`)
	if got != "不予采纳|资金规模将在年度预算中另行确定,方案中不宜写明。" {
		t.Errorf("track: %q", got)
	}
}

func TestFeedbackWorkbook(t *testing.T) {
	e := newOpenEnv(t, "")
	tr := seedFeedback(t, e)
	ctx := context.Background()
	if status, _ := e.get("/c/" + seedSlug + "/feedback.xlsx"); status != http.StatusNotFound {
		t.Fatalf("workbook before publishing: %d", status)
	}
	e.postComments("article-20", "=SUM(A1)+1")
	rows, _, _ := e.store.Queue(ctx, store.QueueFilter{ConsultationID: 1, Section: "article-20"})
	if _, err := e.store.Decide(ctx, store.Actor{Username: "chen"}, 1, rows[0].ID, store.Decision{Status: store.StatusExplained, Response: "@说明"}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.PublishFeedback(ctx, store.Actor{Username: "chen"}, 1, inWindow); err != nil {
		t.Fatal(err)
	}
	resp, err := e.client.Get(e.srv.URL + "/c/" + seedSlug + "/feedback.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "filename*=UTF-8''") {
		t.Fatalf("download: %d %s", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	f, err := excelize.OpenReader(resp.Body)
	if err != nil {
		t.Fatalf("workbook does not open: %v", err)
	}
	defer f.Close()
	got, err := f.GetRows("意见采纳情况汇总表")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[2], reportHeader) {
		t.Fatalf("header %v", got[2])
	}
	all := ""
	for _, r := range got {
		all += strings.Join(r, "|") + "\n"
	}
	for _, s := range []string{"(十七)|加快建立现代产业体系", "不予采纳|资金规模将在年度预算中另行确定", "公开姓名者", "|4|已作说明|已在实施细则中统筹考虑", "另有 1 条意见尚在研究", "=SUM(A1)+1", "@说明"} {
		if !strings.Contains(all, s) {
			t.Errorf("workbook lacks %q", s)
		}
	}
	for _, s := range []string{"13911112222", "open.name@example.com", "隐名者甲", "hidden.three@example.org"} {
		if strings.Contains(all, s) {
			t.Errorf("workbook shows %q", s)
		}
	}
	// Formula-looking text is stored as text, not as a formula.
	for r := 4; r <= len(got); r++ {
		cell := fmt.Sprintf("D%d", r)
		if formula, _ := f.GetCellFormula("意见采纳情况汇总表", cell); formula != "" {
			t.Errorf("%s holds a formula %q", cell, formula)
		}
	}
	_ = tr
}
