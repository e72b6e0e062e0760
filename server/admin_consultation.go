package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"consult/server/draft"
	"consult/store"
)

// maxDraftBytes bounds a draft pasted or uploaded in the workspace (UTF-8 text).
const maxDraftBytes = 1 << 20

// draftBodyLimit is the request body size the draft upload routes need: the text
// (sent raw, as the forms are multipart) plus the metadata fields.
const draftBodyLimit = "2M"

// isDraftUpload reports whether the request is to a route that takes a whole draft,
// so the global body limit (256 KB, sized for comments) can make way for
// draftBodyLimit on these routes. It must be used where the global limit is installed
// (server/app.go): a limit set on the route itself runs after the global one (and
// after the CSRF check has read the form), so it cannot raise it.
func isDraftUpload(c echo.Context) bool {
	p := c.Path()
	return p == "/admin/consultations/preview" || p == "/admin/consultations/publish" || isReviseUpload(c)
}

func (a *app) consultationRoutes(g *echo.Group) {
	g.GET("/consultations/new", a.consultationNew, a.requireRole(onlyAdmin...))
	g.POST("/consultations/preview", a.consultationPreview, a.requireRole(onlyAdmin...))
	g.POST("/consultations/publish", a.consultationPublish, a.requireRole(onlyAdmin...))
}

// consultationForm is the new-consultation form as typed: the draft, its window and,
// from the preview on, the metadata as corrected.
type consultationForm struct {
	Slug     string
	Text     string
	OpensAt  string // datetime-local, Beijing time
	ClosesAt string
	Reason   string

	Title        string // one title line per line
	Publisher    string
	Category     string
	Call         string
	ContactName  string
	ContactPhone string
	ContactEmail string
	Signer       string
	SignedOn     string
}

type consultationNewView struct {
	Form   consultationForm
	Errors map[string]string
	MaxKB  int
}

type consultationPreviewView struct {
	Form     consultationForm
	Errors   map[string]string
	Chapters int
	Articles int
	Preamble *store.Section
	Outline  []tocChapter
	Ignored  []string // lines the parser left out as page furniture
	Length   string   // of the window, when both ends are valid
	Short    bool
	Past     bool // the window has already closed
}

// consultationNew is the form to start a consultation: GET /admin/consultations/new.
func (a *app) consultationNew(c echo.Context) error {
	return a.render(c, http.StatusOK, "admin_consultation_new", "发布新的征求意见", consultationNewView{MaxKB: maxDraftBytes >> 10})
}

// readDraftInput reads the draft from the uploaded file (draft_file) if one was
// chosen, else from the text box (draft_text). A problem is reported against the
// field it concerns; the text box's content is returned either way so it is kept.
func readDraftInput(c echo.Context, v *validator) string {
	pasted := c.FormValue("draft_text")
	fh, err := c.FormFile("draft_file")
	switch {
	case errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart):
	case err != nil:
		v.CheckField(false, "draft_file", "读取上传的文件时出错,请重新选择文件。")
	case !strings.EqualFold(filepath.Ext(fh.Filename), ".txt"):
		v.CheckField(false, "draft_file", "请上传 .txt 文本文件(UTF-8 编码),或直接把全文粘贴到上面的文本框。")
	case fh.Size > maxDraftBytes:
		v.CheckField(false, "draft_file", fmt.Sprintf("文件超过 %d KB,无法导入。", maxDraftBytes>>10))
	default:
		f, err := fh.Open()
		if err != nil {
			v.CheckField(false, "draft_file", "读取上传的文件时出错,请重新选择文件。")
			break
		}
		raw, err := io.ReadAll(io.LimitReader(f, maxDraftBytes+1))
		f.Close()
		switch {
		case err != nil:
			v.CheckField(false, "draft_file", "读取上传的文件时出错,请重新选择文件。")
		case len(raw) > maxDraftBytes:
			v.CheckField(false, "draft_file", fmt.Sprintf("文件超过 %d KB,无法导入。", maxDraftBytes>>10))
		case !utf8.Valid(raw):
			v.CheckField(false, "draft_file", "文件不是 UTF-8 编码(可能是 GBK/GB18030)。请用记事本打开文件,“另存为”时把编码选为 UTF-8 后重新上传;或直接把全文粘贴到上面的文本框。")
		default:
			return cleanDraftText(string(raw))
		}
	}
	if !utf8.ValidString(pasted) {
		v.CheckField(false, "draft_text", "文本中有无法识别的字符,请重新复制粘贴。")
		pasted = strings.ToValidUTF8(pasted, "\uFFFD")
	}
	return cleanDraftText(pasted)
}

// cleanDraftText gives a draft the same form however it arrived: no byte order mark,
// "\n" line ends, no control characters other than tab and newline. The text is
// otherwise kept verbatim, so the parser sees what was published.
func cleanDraftText(s string) string {
	s = strings.TrimPrefix(s, "\uFEFF")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && isStrippedRune(r) {
			return -1
		}
		return r
	}, s)
}

// parseDraftText parses the draft with the same parser as config.toml imports, and
// reports failures in Chinese against draft_text.
func parseDraftText(text string, v *validator) (*store.Consultation, []store.Section, *draft.Draft) {
	if strings.TrimSpace(text) == "" {
		v.CheckField(false, "draft_text", "请粘贴草案全文,或选择要上传的文本文件。")
		return nil, nil, nil
	}
	if len(text) > maxDraftBytes {
		v.CheckField(false, "draft_text", fmt.Sprintf("草案全文超过 %d KB,无法导入。", maxDraftBytes>>10))
		return nil, nil, nil
	}
	c, secs, err := importDraft(text)
	switch {
	case errors.Is(err, draft.ErrNoSections):
		v.CheckField(false, "draft_text", "没有识别出章节或条款。章、条须各自单独成行,以“第一章”“第一条”或“一、”“(一)”开头。")
		return nil, nil, nil
	case err != nil:
		v.CheckField(false, "draft_text", "没有识别出草案标题。标题须单独成行(可以分两行),位于前言或第一章之前。")
		return nil, nil, nil
	}
	d, err := draft.Parse(text)
	if err != nil { // cannot happen: importDraft has just parsed the same text
		v.CheckField(false, "draft_text", "无法识别草案结构。")
		return nil, nil, nil
	}
	return c, secs, d
}

// metaTime reads a time as printed in a draft's 征集时间 ("2022-12-21 17:24",
// "2023年2月7日"). A date alone means the start of the day, or its last minute for
// the closing end.
func metaTime(s string, closing bool) (time.Time, bool) {
	s = strings.TrimSpace(foldWidth(s))
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-1-2 15:04", "2006/1/2 15:04",
		"2006年1月2日 15:04", "2006年1月2日15:04", "2006年1月2日15时04分", "2006年1月2日 15时04分"} {
		if t, err := time.ParseInLocation(layout, s, beijing); err == nil {
			return t, true
		}
	}
	for _, layout := range []string{"2006-01-02", "2006-1-2", "2006/1/2", "2006年1月2日"} {
		if t, err := time.ParseInLocation(layout, s, beijing); err == nil {
			if closing {
				t = t.Add(24*time.Hour - time.Minute)
			}
			return t, true
		}
	}
	return time.Time{}, false
}

func readConsultationForm(c echo.Context) consultationForm {
	var title []string
	for _, l := range strings.Split(normalizeText(c.FormValue("title")), "\n") {
		if l = normalizeLine(l); l != "" {
			title = append(title, l)
		}
	}
	return consultationForm{
		Slug:     strings.ToLower(normalizeLine(c.FormValue("slug"))),
		OpensAt:  strings.TrimSpace(c.FormValue("opens_at")),
		ClosesAt: strings.TrimSpace(c.FormValue("closes_at")),
		Reason:   normalizeText(c.FormValue("window_reason")),

		Title:        strings.Join(title, "\n"),
		Publisher:    normalizeLine(c.FormValue("publisher")),
		Category:     normalizeLine(c.FormValue("category")),
		Call:         normalizeText(c.FormValue("call")),
		ContactName:  normalizeLine(c.FormValue("contact_name")),
		ContactPhone: normalizeLine(c.FormValue("contact_phone")),
		ContactEmail: normalizeLine(c.FormValue("contact_email")),
		Signer:       normalizeLine(c.FormValue("signer")),
		SignedOn:     normalizeLine(c.FormValue("signed_on")),
	}
}

// checkSlugAndWindow validates what both the preview and the publish step check, and
// returns the window when it is valid.
func (a *app) checkSlugAndWindow(c echo.Context, f *consultationForm, v *validator, pv *consultationPreviewView) (opens, closes time.Time) {
	switch {
	case f.Slug == "":
		v.CheckField(false, "slug", "请填写网址名,例如 yinchuan-etdz-reform-2023。")
	case !slugRE.MatchString(f.Slug):
		v.CheckField(false, "slug", "网址名只能用小写字母、数字和连字符(-),以字母或数字开头,不超过 63 个字符。")
	default:
		_, err := a.store.ConsultationBySlug(c.Request().Context(), f.Slug)
		v.CheckField(errors.Is(err, store.ErrNotFound), "slug", "这个网址名已被使用,请换一个。")
	}
	opens, okO := parseBeijing(f.OpensAt)
	closes, okC := parseBeijing(f.ClosesAt)
	v.CheckField(okO, "opens_at", "请填写开始时间(北京时间),例如 2023-01-10 09:00。")
	v.CheckField(okC, "closes_at", "请填写截止时间(北京时间),例如 2023-02-10 17:00。")
	if okO && okC {
		v.CheckField(closes.After(opens), "closes_at", "截止时间必须晚于开始时间。")
		if closes.After(opens) {
			pv.Length = windowLength(closes.Sub(opens))
			pv.Short = closes.Sub(opens) < minWindow
			pv.Past = !a.now().Before(closes)
			v.CheckField(!pv.Short || f.Reason != "", "window_reason", "征集期为 "+pv.Length+",少于 30 天。按规定须说明理由:请在此写明为什么征集期少于 30 天。")
		}
	}
	v.CheckField(utf8.RuneCountInString(f.Reason) <= maxReasonRunes, "window_reason", fmt.Sprintf("理由请控制在 %d 字以内。", maxReasonRunes))
	return opens, closes
}

// fillPreview adds the parsed structure to the preview.
func fillPreview(pv *consultationPreviewView, secs []store.Section, d *draft.Draft) {
	byPos := map[int]int{}
	for i := range secs {
		s := &secs[i]
		switch s.Kind {
		case "preamble":
			pv.Preamble = s
		case "chapter":
			pv.Chapters++
			byPos[s.Position] = len(pv.Outline)
			pv.Outline = append(pv.Outline, tocChapter{Section: s})
		case "article":
			pv.Articles++
			idx, ok := byPos[s.Parent]
			if !ok {
				if len(pv.Outline) == 0 || pv.Outline[len(pv.Outline)-1].Section != nil {
					pv.Outline = append(pv.Outline, tocChapter{})
				}
				idx = len(pv.Outline) - 1
			}
			pv.Outline[idx].Articles = append(pv.Outline[idx].Articles, s)
		}
	}
	for _, l := range d.Lines {
		if l.Role == draft.RoleFurniture && strings.TrimSpace(l.Text) != "" {
			pv.Ignored = append(pv.Ignored, strings.TrimSpace(l.Text))
		}
	}
}

// consultationPreview parses the pasted or uploaded draft and shows what was
// recognised, with the metadata in fields to correct: POST /admin/consultations/preview.
func (a *app) consultationPreview(c echo.Context) error {
	var v validator
	f := consultationForm{
		Slug: strings.ToLower(normalizeLine(c.FormValue("slug"))), OpensAt: strings.TrimSpace(c.FormValue("opens_at")),
		ClosesAt: strings.TrimSpace(c.FormValue("closes_at")), Reason: normalizeText(c.FormValue("window_reason")),
	}
	f.Text = readDraftInput(c, &v)
	var cs *store.Consultation
	var secs []store.Section
	var d *draft.Draft
	if v.Valid() {
		cs, secs, d = parseDraftText(f.Text, &v)
	}
	if !v.Valid() {
		return a.render(c, http.StatusUnprocessableEntity, "admin_consultation_new", "发布新的征求意见",
			consultationNewView{Form: f, Errors: v.FieldErrors, MaxKB: maxDraftBytes >> 10})
	}
	f.Title, f.Publisher, f.Category, f.Call = cs.Title, cs.Publisher, cs.Category, cs.Call
	f.ContactName, f.ContactPhone, f.ContactEmail = cs.ContactName, cs.ContactPhone, cs.ContactEmail
	f.Signer, f.SignedOn = cs.Signer, cs.SignedOn
	// The window printed in the draft, unless one was typed.
	if f.OpensAt == "" {
		if t, ok := metaTime(d.Meta.OpensAt, false); ok {
			f.OpensAt = t.Format("2006-01-02T15:04")
		}
	}
	if f.ClosesAt == "" {
		if t, ok := metaTime(d.Meta.ClosesAt, true); ok {
			f.ClosesAt = t.Format("2006-01-02T15:04")
		}
	}
	pv := consultationPreviewView{Form: f}
	fillPreview(&pv, secs, d)
	a.checkSlugAndWindow(c, &f, &v, &pv)
	checkMeta(&f, &v)
	pv.Form, pv.Errors = f, v.FieldErrors
	status := http.StatusOK
	if !v.Valid() {
		status = http.StatusUnprocessableEntity
	}
	return a.render(c, status, "admin_consultation_preview", "核对并发布", pv)
}

// checkMeta validates the corrected metadata (and puts phone and e-mail in canonical form).
func checkMeta(f *consultationForm, v *validator) {
	v.CheckField(f.Title != "", "title", "请填写标题。")
	v.CheckField(utf8.RuneCountInString(f.Title) <= 200, "title", "标题请控制在 200 字以内。")
	v.CheckField(f.Publisher != "", "publisher", "请填写发布机构(来源),例如 银川经济技术开发区。")
	for _, fl := range []struct{ key, val string }{{"publisher", f.Publisher}, {"category", f.Category}, {"contact_name", f.ContactName},
		{"signer", f.Signer}, {"signed_on", f.SignedOn}} {
		v.CheckField(utf8.RuneCountInString(fl.val) <= 100, fl.key, "请控制在 100 字以内。")
	}
	v.CheckField(utf8.RuneCountInString(f.Call) <= 5000, "call", "征求意见说明请控制在 5000 字以内。")
	v.CheckPhone(&f.ContactPhone, "contact_phone", "联系电话格式不正确,例如 0951-1234567 或 13830463501;只填一个号码。")
	v.CheckEmail(&f.ContactEmail, "contact_email", "邮箱格式不正确,例如 name@example.com。")
}

// consultationPublish re-parses the draft carried by the preview, applies the
// corrected metadata and publishes the consultation: POST /admin/consultations/publish.
// With edit=1 it goes back to the text instead.
func (a *app) consultationPublish(c echo.Context) error {
	var v validator
	f := readConsultationForm(c)
	f.Text = cleanDraftText(strings.ToValidUTF8(c.FormValue("draft_text"), "\uFFFD"))
	if c.FormValue("edit") == "1" {
		return a.render(c, http.StatusOK, "admin_consultation_new", "发布新的征求意见", consultationNewView{Form: f, MaxKB: maxDraftBytes >> 10})
	}
	cs, secs, d := parseDraftText(f.Text, &v)
	if !v.Valid() {
		return a.render(c, http.StatusUnprocessableEntity, "admin_consultation_new", "发布新的征求意见",
			consultationNewView{Form: f, Errors: v.FieldErrors, MaxKB: maxDraftBytes >> 10})
	}
	pv := consultationPreviewView{}
	fillPreview(&pv, secs, d)
	opens, closes := a.checkSlugAndWindow(c, &f, &v, &pv)
	checkMeta(&f, &v)
	if v.Valid() {
		sum := sha256.Sum256([]byte(f.Text))
		cs.Slug, cs.Title, cs.Publisher, cs.Category, cs.Call = f.Slug, f.Title, f.Publisher, f.Category, f.Call
		cs.ContactName, cs.ContactPhone, cs.ContactEmail = f.ContactName, f.ContactPhone, f.ContactEmail
		cs.Signer, cs.SignedOn = f.Signer, f.SignedOn
		cs.OpensAt, cs.ClosesAt, cs.WindowReason = opens, closes, f.Reason
		cs.ConfigOpensAt, cs.ConfigClosesAt = time.Unix(0, 0), time.Unix(0, 0) // not from config.toml
		cs.DraftSHA256 = hex.EncodeToString(sum[:])
		_, err := a.store.CreateConsultationAudited(c.Request().Context(), a.actor(c), cs, secs)
		if err == nil {
			a.draftGen.Add(1)
			return c.Redirect(http.StatusSeeOther, "/c/"+cs.Slug)
		}
		if !errors.Is(err, store.ErrExists) {
			return err
		}
		v.CheckField(false, "slug", "这个网址名已被使用,请换一个。")
	}
	pv.Form, pv.Errors = f, v.FieldErrors
	return a.render(c, http.StatusUnprocessableEntity, "admin_consultation_preview", "核对并发布", pv)
}
