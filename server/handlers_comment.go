package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"consult/store"
)

// commentForm is the comment form as submitted. Field names are a stable contract.
type commentForm struct {
	Section         string // general / preamble / chapter-N / article-N
	Body            string
	Name            string
	Identity        string
	Organization    string
	Phone           string
	Email           string
	Consent         bool
	PublishName     bool
	CaptchaID       string
	CaptchaSolution string
	FormKey         string // one per rendered form: a double click or replay is one comment
	Website         string // honeypot: hidden from people, filled by bots
	validator
}

func readCommentForm(c echo.Context) commentForm {
	return commentForm{
		Section:         strings.TrimSpace(c.FormValue("section")),
		Body:            normalizeText(c.FormValue("body")),
		Name:            normalizeLine(c.FormValue("name")),
		Identity:        normalizeLine(c.FormValue("identity")),
		Organization:    normalizeLine(c.FormValue("organization")),
		Phone:           normalizeLine(c.FormValue("phone")),
		Email:           normalizeLine(c.FormValue("email")),
		Consent:         isChecked(c.FormValue("consent")),
		PublishName:     isChecked(c.FormValue("publish_name")),
		CaptchaID:       strings.TrimSpace(c.FormValue("captcha_id")),
		CaptchaSolution: c.FormValue("captcha_solution"),
		FormKey:         strings.TrimSpace(c.FormValue("form_key")),
		Website:         c.FormValue("website"),
	}
}

func isChecked(v string) bool { return v == "1" || v == "on" || v == "yes" || v == "true" }

var formKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// newFormKey is a rendered form's key: 6 bytes of the time in milliseconds, then 10
// random bytes (80 bits: not guessable), 22 characters. Keys of forms shown about the
// same time share a prefix, so the UNIQUE index on comments.submission_key takes its
// inserts at one hot spot instead of a random page of a million-entry index.
func newFormKey() string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	if _, err := rand.Read(b[6:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// requirements says what this consultation asks of commenters (config.toml; both on
// by default).
func (a *app) requirements(slug string) (name, contact bool) {
	for _, cc := range a.cfg.Consultations {
		if cc.Slug == slug {
			return boolOr(cc.RequireName, true), boolOr(cc.RequireContact, true)
		}
	}
	return true, true
}

// validate checks the form against the rules a commenter sees on the page.
func (f *commentForm) validate(d *draftData, requireName, requireContact bool) {
	f.CheckField(f.Section == "general" || d.Section(f.Section) != nil, "section", "请选择意见针对的条款。")
	f.CheckField(f.Body != "", "body", "请填写意见内容。")
	n := utf8.RuneCountInString(f.Body)
	f.CheckField(n <= maxBodyRunes, "body",
		"意见内容最多 15000 字,当前 "+itoa(n)+" 字。请精简,或分条提交。")
	f.CheckField(!requireName || f.Name != "", "name", "请填写姓名。")
	f.CheckField(utf8.RuneCountInString(f.Name) <= maxNameRunes, "name", "姓名最多 50 个字。")
	f.CheckField(contains(identities, f.Identity), "identity", "请选择您的身份。")
	needsOrg := f.Identity == "企业" || f.Identity == "社会组织" || f.Identity == "政府部门"
	f.CheckField(!needsOrg || f.Organization != "", "organization", "请填写单位名称。")
	f.CheckField(utf8.RuneCountInString(f.Organization) <= maxOrgRunes, "organization", "单位名称最多 100 个字。")
	f.CheckPhone(&f.Phone, "phone", "联系电话格式不正确。手机号请填 11 位,固定电话请带区号,如 0951-1234567。")
	f.CheckEmail(&f.Email, "email", "电子邮箱格式不正确,例如 name@example.com。")
	f.CheckField(!requireContact || f.Phone != "" || f.Email != "", "phone", "请至少填写联系电话或电子邮箱中的一项,以便我们就您的意见与您联系。")
	f.CheckField(f.Consent, "consent", "请阅读个人信息说明并勾选同意后再提交。")
}

// commentFormView is what comment_form.html gets.
type commentFormView struct {
	D              *draftData
	Selected       *store.Section // nil: the draft as a whole
	Form           commentForm
	Status         windowStatus
	Open           bool
	Notice         string // a message for the whole form
	CaptchaEnabled bool
	CaptchaID      string
	CaptchaNote    string
	RequireName    bool
	RequireContact bool
	Identities     []string
	MaxBody        int
}

// commentNew shows the comment form, with the article from ?section= preselected.
// A fresh form comes from the form-page cache (formcache.go): only the CSRF token,
// the form key and the captcha id are filled in per request.
func (a *app) commentNew(c echo.Context) error {
	d, err := a.loadDraft(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	f := commentForm{Section: c.QueryParam("section"), Identity: "个人"}
	if f.Section != "general" && d.Section(f.Section) == nil {
		f.Section = "general"
	}
	v, title, status := a.commentFormView(c, d, f, http.StatusOK, "")
	if status == http.StatusOK && v.CaptchaNote == "" {
		return a.serveCachedForm(c, d, v, title)
	}
	return a.render(c, status, "comment_form", title, v)
}

// renderCommentForm re-renders the form with the person's input and a fresh captcha.
func (a *app) renderCommentForm(c echo.Context, d *draftData, f commentForm, status int, notice string) error {
	v, title, status := a.commentFormView(c, d, f, status, notice)
	return a.render(c, status, "comment_form", title, v)
}

// commentFormView is the form page's data, with a fresh form key and captcha (or the
// note that the client asked for too many captchas, with status 429).
func (a *app) commentFormView(c echo.Context, d *draftData, f commentForm, status int, notice string) (commentFormView, string, int) {
	sel := d.Section(f.Section)
	opens, closes := d.window(sel)
	st := statusAt(a.now(), opens, closes)
	reqName, reqContact := a.requirements(d.C.Slug)
	if f.FormKey == "" || !formKeyRE.MatchString(f.FormKey) {
		f.FormKey = newFormKey()
	}
	f.CaptchaSolution = ""
	v := commentFormView{
		D: d, Selected: sel, Form: f, Status: st, Open: st.State == "open", Notice: notice,
		CaptchaEnabled: a.cfg.CaptchaEnabled(), RequireName: reqName, RequireContact: reqContact,
		Identities: identities, MaxBody: maxBodyRunes,
	}
	if v.Open && v.CaptchaEnabled {
		if a.captchaLimit.allow(c.RealIP(), a.now()) {
			v.CaptchaID = a.newCaptcha()
		} else {
			v.CaptchaNote = "获取验证码过于频繁,请稍等一分钟后点击“换一张”。"
			if status == http.StatusOK {
				status = http.StatusTooManyRequests
			}
		}
	}
	title := "提出意见"
	if sel != nil {
		title = "对" + sel.Label + sel.Heading + "提出意见"
	}
	return v, title, status
}

// windowNotice is what a visitor reads when the window is not open.
func windowNotice(st windowStatus, opens, closes time.Time) string {
	if st.State == "upcoming" {
		return "本次意见征集尚未开始,将于 " + opens.In(beijing).Format("2006年1月2日 15:04") + "(北京时间)开始。请届时再提交。"
	}
	return "本次意见征集已于 " + closes.In(beijing).Format("2006年1月2日 15:04") + "(北京时间)结束,不再接收网上意见。如有意见,请通过页面上的联系方式与联系人联系。"
}

// commentCreate accepts a comment: POST /c/{slug}/comments.
func (a *app) commentCreate(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	f := readCommentForm(c)
	// The same form again (double click, replayed POST): show the first receipt.
	if formKeyRE.MatchString(f.FormKey) {
		if old, err := a.store.FormSubmitted(ctx, f.FormKey); err == nil && old.ConsultationID == d.C.ID {
			return c.Redirect(http.StatusSeeOther, receiptURL(d.C.Slug, old.Tracking))
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if c.FormValue("refresh_captcha") != "" {
		return a.renderCommentForm(c, d, f, http.StatusOK, "")
	}
	if r := c.FormValue("draft_revision"); r != "" && r != strconv.Itoa(d.C.DraftRevision) {
		// A revision was published while the form was open: articles may have moved.
		return a.renderCommentForm(c, d, f, http.StatusConflict, "征求意见稿已更新为"+store.RevisionName(d.C.DraftRevision)+
			",条文和序号可能已调整。请核对您所针对的条款后重新提交。您填写的内容已保留。")
	}
	if !a.commentLimit.allow(c.RealIP(), a.now()) {
		refuse(c, refusedRateLimit)
		return a.renderCommentForm(c, d, f, http.StatusTooManyRequests, "提交过于频繁,请稍等一分钟后再提交。您填写的内容已保留。")
	}
	sel := d.Section(f.Section)
	opens, closes := d.window(sel)
	if st := statusAt(a.now(), opens, closes); st.State != "open" {
		refuse(c, refusedWindow)
		return a.renderCommentForm(c, d, f, http.StatusForbidden, windowNotice(st, opens, closes))
	}
	reqName, reqContact := a.requirements(d.C.Slug)
	f.validate(d, reqName, reqContact)
	captchaOn := a.cfg.CaptchaEnabled()
	if captchaOn {
		ok, err := a.checkCaptcha(context.WithoutCancel(ctx), f.CaptchaID, f.CaptchaSolution)
		if a.writeFailed(err) {
			return a.renderCommentForm(c, d, f, http.StatusServiceUnavailable, unavailableText)
		}
		if err != nil {
			return err
		}
		msg := "验证码不正确或已过期,请输入新图片中的数字。"
		if strings.TrimSpace(f.CaptchaSolution) == "" {
			msg = "请输入图片中的数字。"
		}
		f.CheckField(ok, "captcha_solution", msg)
		if !ok {
			a.metrics.captchaFailed.Inc()
		}
	}
	if f.Website != "" {
		refuse(c, refusedHoneypot)
		return a.renderCommentForm(c, d, f, http.StatusUnprocessableEntity, "提交未通过校验,请检查后重新提交。")
	}
	if !f.Valid() {
		refuse(c, refusedInvalid)
		if _, bad := f.FieldErrors["captcha_solution"]; bad && len(f.FieldErrors) == 1 {
			refuse(c, refusedCaptcha)
		}
		return a.renderCommentForm(c, d, f, http.StatusUnprocessableEntity, "")
	}
	cm := &store.Comment{
		ConsultationID: d.C.ID, DraftRevision: d.C.DraftRevision, SectionAnchor: f.Section, SubmissionKey: f.FormKey, Body: f.Body,
		Name: f.Name, Identity: f.Identity, Organization: f.Organization, Phone: f.Phone, Email: f.Email,
		PublishName: f.PublishName, ConsentedAt: a.now(), CreatedAt: a.now(), Channel: "web",
	}
	if sel != nil {
		cm.SectionID = sel.ID
	}
	if !formKeyRE.MatchString(cm.SubmissionKey) {
		cm.SubmissionKey = newFormKey()
	}
	var saved *store.Comment
	if captchaOn {
		saved, _, err = a.store.CreateCommentWithCaptcha(context.WithoutCancel(ctx), cm, f.CaptchaID, a.now())
		if errors.Is(err, store.ErrCaptchaUsed) {
			f.CheckField(false, "captcha_solution", "这个验证码已经用过,请输入新图片中的数字。")
			return a.renderCommentForm(c, d, f, http.StatusUnprocessableEntity, "")
		}
	} else {
		saved, _, err = a.store.CreateComment(context.WithoutCancel(ctx), cm)
	}
	if a.writeFailed(err) {
		// Nothing was stored (the transaction rolled back): the same form, the same
		// form_key, so a retry is still one comment.
		return a.renderCommentForm(c, d, f, http.StatusServiceUnavailable, unavailableText)
	}
	if err != nil {
		return err
	}
	a.gen.Add(1)
	return c.Redirect(http.StatusSeeOther, receiptURL(d.C.Slug, saved.Tracking))
}

func receiptURL(slug, tracking string) string { return "/c/" + slug + "/receipt/" + tracking }

// csrfFailed keeps the person's text when the CSRF check fails (an expired page, say):
// the form comes back with a fresh token instead of an error page. Nothing is stored.
func (a *app) csrfFailed(err error, c echo.Context) error {
	if c.Request().Method != http.MethodPost || c.Path() != "/c/:slug/comments" {
		return echo.NewHTTPError(http.StatusForbidden, "invalid csrf token")
	}
	d, lerr := a.loadDraft(c.Request().Context(), c.Param("slug"))
	if lerr != nil {
		return lerr
	}
	token := ""
	if ck, cerr := c.Cookie("_csrf"); cerr == nil && ck.Value != "" {
		token = ck.Value
	} else {
		token = randomToken()
		c.SetCookie(&http.Cookie{Name: "_csrf", Value: token, Path: "/", HttpOnly: true,
			SameSite: http.SameSiteLaxMode, Secure: a.cfg.SecureCookies(), MaxAge: 86400})
	}
	c.Set("csrf", token)
	refuse(c, refusedCSRF)
	f := readCommentForm(c)
	return a.renderCommentForm(c, d, f, http.StatusForbidden, "页面已过期或未通过安全校验,您填写的内容已保留。请核对后再次提交。")
}

type receiptView struct {
	D        *draftData
	Comment  *store.Comment
	Section  *store.Section
	Tracking string
}

// commentReceipt shows proof that a comment arrived: its tracking number, time,
// section and text — never the commenter's phone or e-mail.
func (a *app) commentReceipt(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	tr, ok := store.NormalizeTracking(c.Param("tracking"))
	if !ok {
		return echo.ErrNotFound
	}
	cm, err := a.store.CommentByTracking(ctx, tr)
	if err != nil {
		return err
	}
	if cm.ConsultationID != d.C.ID {
		return echo.ErrNotFound
	}
	return a.render(c, http.StatusOK, "comment_receipt", "意见已提交", receiptView{
		D: d, Comment: cm, Section: d.SectionOf(cm.DraftRevision, cm.SectionAnchor), Tracking: store.FormatTracking(cm.Tracking),
	})
}

type trackView struct {
	Decision *store.PublishedDecision // nil until a report including the comment is published
	Query    string
	Error    string
	Comment  *store.Comment
	D        *draftData
	Section  *store.Section
	Tracking string
}

// track looks a comment up by its tracking number: that it arrived, and whether it
// has been handled. Decisions appear here once the office publishes its feedback.
func (a *app) track(c echo.Context) error {
	q := c.QueryParam("no")
	v := trackView{Query: q}
	if strings.TrimSpace(q) == "" {
		return a.render(c, http.StatusOK, "track", "查询意见处理情况", v)
	}
	if !a.trackLimit.allow(c.RealIP(), a.now()) {
		v.Error = "查询过于频繁,请稍等一分钟后再试。"
		return a.render(c, http.StatusTooManyRequests, "track", "查询意见处理情况", v)
	}
	tr, ok := store.NormalizeTracking(q)
	if !ok {
		v.Error = "受理编号有误:它由 11 位字母和数字组成,如 K7QM-4XH9-P2T。请核对后重新输入。"
		return a.render(c, http.StatusUnprocessableEntity, "track", "查询意见处理情况", v)
	}
	ctx := c.Request().Context()
	cm, err := a.store.CommentByTracking(ctx, tr)
	if errors.Is(err, store.ErrNotFound) {
		v.Error = "没有找到这个受理编号对应的意见。请核对编号是否完整。"
		return a.render(c, http.StatusNotFound, "track", "查询意见处理情况", v)
	}
	if err != nil {
		return err
	}
	cs, err := a.store.ConsultationByID(ctx, cm.ConsultationID)
	if err != nil {
		return err
	}
	d, err := a.loadDraft(ctx, cs.Slug)
	if err != nil {
		return err
	}
	v.Comment, v.D, v.Section, v.Tracking = cm, d, d.SectionOf(cm.DraftRevision, cm.SectionAnchor), store.FormatTracking(cm.Tracking)
	if v.Decision, err = a.publishedDecision(c, cm); err != nil {
		return err
	}
	return a.render(c, http.StatusOK, "track", "查询意见处理情况", v)
}
