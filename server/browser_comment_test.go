package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserCommentForm goes through the form as a person on a phone would: type a
// comment on article 17, get the captcha wrong, see the text kept, answer it, get a
// receipt, and look the comment up by its tracking number.
func TestBrowserCommentForm(t *testing.T) {
	e := newOpenEnv(t, "")
	ctx := newBrowser(t, 360, 800)
	draft := e.srv.URL + "/c/" + seedSlug

	browserDo(t, ctx, "open article 17", chromedp.Navigate(draft+"#article-17"))
	browserDo(t, ctx, "follow 对本条提意见", chromedp.Click(chromedp.CSS(`#article-17 a[href$="section=article-17"]`)))
	browserWait(t, ctx, `!!document.getElementById('comment-form')`)
	if sel := browserEval[string](t, ctx, `document.getElementById('section').value`); sel != "article-17" {
		t.Fatalf("section preselected %q", sel)
	}
	if txt := browserEval[string](t, ctx, `document.getElementById('section-text').innerText`); !strings.Contains(txt, "加快建立现代产业体系") {
		t.Errorf("article text not visible while writing: %q", txt)
	}
	comment := "建议在第十七条中增加对本地中小企业的扶持措施,abc 123。"
	browserDo(t, ctx, "type the comment",
		chromedp.SendKeys(chromedp.CSS("#body"), comment),
		chromedp.SendKeys(chromedp.CSS("#name"), "李四"),
		chromedp.SendKeys(chromedp.CSS("#phone"), "138 3046 3501"),
		chromedp.Click(chromedp.CSS(`input[name="consent"]`)),
		chromedp.SendKeys(chromedp.CSS("#captcha_solution"), "00000"),
	)
	if n := browserEval[string](t, ctx, `document.getElementById('body-count').textContent`); !strings.Contains(n, "已输入") {
		t.Errorf("no character count: %q", n)
	}
	firstCaptcha := browserEval[string](t, ctx, `document.querySelector('input[name=captcha_id]').value`)
	browserDo(t, ctx, "submit with a wrong captcha", chromedp.Click(chromedp.CSS("#submit")))
	browserWait(t, ctx, `!!document.getElementById('form-errors')`)
	if got := browserEval[string](t, ctx, `document.getElementById('body').value`); got != comment {
		t.Fatalf("text not kept after a wrong captcha: %q", got)
	}
	if got := browserEval[string](t, ctx, `document.getElementById('name').value + '|' + document.getElementById('section').value + '|' + document.querySelector('input[name=consent]').checked`); got != "李四|article-17|true" {
		t.Errorf("choices not kept: %q", got)
	}
	if msg := browserEval[string](t, ctx, `document.querySelector('.captcha .field-error').textContent`); !strings.Contains(msg, "验证码不正确") {
		t.Errorf("captcha error %q", msg)
	}
	captchaID := browserEval[string](t, ctx, `document.querySelector('input[name=captcha_id]').value`)
	if captchaID == firstCaptcha {
		t.Fatal("no fresh captcha after a wrong answer")
	}
	if w := browserEval[float64](t, ctx, `document.getElementById('captcha-img').naturalWidth`); w == 0 {
		t.Error("captcha image did not load")
	}
	if ov := browserEval[bool](t, ctx, `document.documentElement.scrollWidth > 360`); ov {
		t.Error("form overflows a 360 px screen")
	}
	browserDo(t, ctx, "answer the captcha and submit",
		chromedp.SendKeys(chromedp.CSS("#captcha_solution"), e.captchaAnswer(captchaID)),
		chromedp.Click(chromedp.CSS("#submit")),
	)
	browserWait(t, ctx, `!!document.getElementById('tracking-number')`)
	tracking := browserEval[string](t, ctx, `document.getElementById('tracking-number').textContent`)
	page := browserEval[string](t, ctx, `document.body.innerText`)
	if !strings.Contains(page, comment) || !strings.Contains(page, "(十七)加快建立现代产业体系") || strings.Contains(page, "13830463501") {
		t.Errorf("receipt: %q", page)
	}
	if left := browserEval[int](t, ctx, `Object.keys(localStorage).filter(k => k.startsWith('consult-draft:')).length`); left != 0 {
		t.Error("draft left in localStorage after the receipt")
	}
	browserDo(t, ctx, "track it", chromedp.Navigate(e.srv.URL+"/track"),
		chromedp.SendKeys(chromedp.CSS("#no"), strings.ToLower(tracking)),
		chromedp.Submit(chromedp.CSS("#no")))
	browserWait(t, ctx, `!!document.getElementById('track-status')`)
	if st := browserEval[string](t, ctx, `document.getElementById('track-status').textContent`); st != "已收到,正在研究处理" {
		t.Errorf("track status %q", st)
	}
}

// TestBrowserDraftKeptInLocalStorage closes the tab mid-comment: the next visit offers
// the text back.
func TestBrowserDraftKeptInLocalStorage(t *testing.T) {
	e := newOpenEnv(t, "")
	ctx := newBrowser(t, 1024, 800)
	form := e.srv.URL + "/c/" + seedSlug + "/comment?section=article-5"
	browserDo(t, ctx, "open the form", chromedp.Navigate(form),
		chromedp.SendKeys(chromedp.CSS("#body"), "还没写完的意见"),
		chromedp.SendKeys(chromedp.CSS("#name"), "王五"))
	browserWait(t, ctx, `(localStorage.getItem('consult-draft:`+seedSlug+`') || '').includes('还没写完的意见')`)
	// Leave and come back to an empty form, as after closing the tab.
	browserDo(t, ctx, "come back", chromedp.Navigate(e.srv.URL+"/"), chromedp.Navigate(e.srv.URL+"/c/"+seedSlug+"/comment?section=general"))
	browserWait(t, ctx, `!!document.getElementById('draft-restore')`)
	browserDo(t, ctx, "restore", chromedp.Click(chromedp.CSS("#draft-restore button")))
	got := browserEval[string](t, ctx, `[document.getElementById('body').value, document.getElementById('name').value, document.getElementById('section').value].join('|')`)
	if got != "还没写完的意见|王五|article-5" {
		t.Errorf("restored %q", got)
	}
	// Picking another article shows its text.
	browserDo(t, ctx, "pick article 3", chromedp.SetValue(chromedp.CSS("#section"), "article-3"))
	browserEval[bool](t, ctx, `document.getElementById('section').dispatchEvent(new Event('change')) || true`)
	browserWait(t, ctx, `document.getElementById('section-text').innerText.includes('坚持稳中求进')`)
}
