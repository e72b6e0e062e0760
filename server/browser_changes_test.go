package main

import (
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestBrowserChangesPage checks the public 修改前后对照表 in Chromium: original and
// revised text side by side on a desktop and stacked on a phone (no sideways
// scrolling), insertions and deletions marked by more than colour, and a print
// layout that repeats the table header and drops the page's controls.
func TestBrowserChangesPage(t *testing.T) {
	e := newTestEnv(t, "")
	if _, err := e.revise(); err != nil {
		t.Fatal(err)
	}
	url := e.srv.URL + "/c/" + seedSlug + "/changes"
	type box struct {
		OldLeft, OldRight, OldTop, OldBottom float64
		NewLeft, NewTop                      float64
		ScrollWidth, InnerWidth              int
	}
	const measure = `(() => {
	  const row = document.querySelector('tr.modified');
	  const o = row.querySelector('td.old').getBoundingClientRect(), n = row.querySelector('td.new').getBoundingClientRect();
	  return {OldLeft: o.left, OldRight: o.right, OldTop: o.top, OldBottom: o.bottom, NewLeft: n.left, NewTop: n.top,
	    ScrollWidth: document.documentElement.scrollWidth, InnerWidth: window.innerWidth};
	})()`

	ctx := newBrowser(t, 1280, 900)
	browserDo(t, ctx, "open the changes page", chromedp.Navigate(url))
	d := browserEval[box](t, ctx, measure)
	if !(d.NewLeft >= d.OldRight-1 && d.NewTop < d.OldTop+2) {
		t.Errorf("desktop: the two texts are not side by side: %+v", d)
	}
	// Not by colour alone: underline and line-through, and words for screen readers.
	type marks struct{ Ins, Del, InsText, DelText string }
	m := browserEval[marks](t, ctx, `(() => {
	  const i = document.querySelector('tr.modified ins'), d = document.querySelector('tr.modified del');
	  return {Ins: getComputedStyle(i).textDecorationLine, Del: getComputedStyle(d).textDecorationLine,
	    InsText: i.textContent, DelText: d.textContent};
	})()`)
	if m.Ins != "underline" || m.Del != "line-through" || m.InsText[:len("[增加:")] != "[增加:" || m.DelText[:len("[删除:")] != "[删除:" {
		t.Errorf("insertion/deletion marks: %+v", m)
	}
	// Print: the header row repeats on each page, the links above the table go.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	type printed struct{ Head, Actions string }
	p := browserEval[printed](t, ctx, `({Head: getComputedStyle(document.querySelector('table.changes thead')).display,
	  Actions: getComputedStyle(document.querySelector('p.noprint')).display})`)
	if p.Head != "table-header-group" || p.Actions != "none" {
		t.Errorf("print layout: %+v", p)
	}

	phone := newBrowser(t, 360, 800)
	browserDo(t, phone, "emulate a phone", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch))
	browserDo(t, phone, "open the changes page", chromedp.Navigate(url))
	s := browserEval[box](t, phone, measure)
	if s.NewTop < s.OldBottom-1 || s.InnerWidth != 360 || s.ScrollWidth > 360 {
		t.Errorf("phone: the texts are not stacked within the screen: %+v", s)
	}
}
