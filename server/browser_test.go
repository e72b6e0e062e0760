package main

// Real-browser tests: they drive headless Chromium through the DevTools protocol
// against the whole portal (newTestEnv) to check what only a browser can show:
// computed styles, colour contrast, layout on a phone, keyboard focus and the
// reading controls with and without JavaScript.

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// browserTestTimeout bounds one browser test, start of Chromium included. It is
// generous because the test machines have few, shared cores.
const browserTestTimeout = 60 * time.Second

// chromiumPath is where Debian installs Chromium.
const chromiumPath = "/usr/bin/chromium"

// eyeCareBG is the computed eye-care background (#c7edcc, the classic light green).
const eyeCareBG = "rgb(199, 237, 204)"

// findChromium returns the Chromium binary, or "" when there is none.
func findChromium() string {
	if fi, err := os.Stat(chromiumPath); err == nil && !fi.IsDir() {
		return chromiumPath
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// newBrowser starts headless Chromium with a fresh profile and a window of
// width×height CSS pixels, and returns a context for chromedp actions in its tab.
// The browser is stopped when the test ends and everything it does must finish
// within browserTestTimeout. Without Chromium the test is skipped, except on CI
// (env CI set), where it fails.
func newBrowser(t *testing.T, width, height int) context.Context {
	t.Helper()
	return newBrowserFor(t, width, height, browserTestTimeout)
}

// newBrowserFor is newBrowser with another time limit, for tests that visit every page.
func newBrowserFor(t *testing.T, width, height int, timeout time.Duration) context.Context {
	t.Helper()
	path := findChromium()
	if path == "" {
		msg := "chromium not found (neither " + chromiumPath + " nor chromium on $PATH)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + "; CI must run the browser tests")
		}
		t.Skip(msg + "; skipping the browser test")
	}
	// Made before the cleanup below is registered, so it is removed after Chromium exits.
	profile := t.TempDir()
	out := &lockedBuffer{}
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, height),
		chromedp.CombinedOutput(out),
	)
	limit, cancelLimit := context.WithTimeout(context.Background(), timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(limit, opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()   // closes the tab and the browser, and waits for it to exit
		cancelAlloc() // waits for the process and its temporary files
		cancelLimit()
		if t.Failed() {
			t.Logf("chromium output (tail):\n%s", out.tail(4000))
		}
	})
	// The first Do starts the browser and opens the tab. Headless Chromium does not
	// make a window narrower than 500 px, so the viewport size is set explicitly.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("starting %s: %v\n%s", path, err, out.tail(4000))
	}
	return ctx
}

// lockedBuffer collects the browser's output, written from another goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// tail returns about the last n bytes of the output, without the D-Bus noise of a
// browser that runs without a session bus.
func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	lines := strings.Split(b.buf.String(), "\n")
	b.mu.Unlock()
	var keep []string
	size := 0
	for i := len(lines) - 1; i >= 0 && size < n; i-- {
		if l := lines[i]; l != "" && !strings.Contains(l, "dbus") {
			keep = append(keep, l)
			size += len(l) + 1
		}
	}
	slices.Reverse(keep)
	return strings.Join(keep, "\n")
}

// browserDo runs actions in the tab and fails the test on an error.
func browserDo(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// browserEval evaluates a JavaScript expression in the page and decodes its value
// (JSON) into T. A promise is awaited.
func browserEval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %q: %v", shorten(expr, 200), err)
	}
	return v
}

// browserWait evaluates the JavaScript condition until it is true, also across a
// navigation (an evaluation that fails while the page changes is retried); it fails
// the test after 10 s.
func browserWait(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("waiting for %s: last result %v, error %v", shorten(cond, 200), ok, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// setReadingCookie stores the reading settings cookie for the test server in the browser.
func setReadingCookie(t *testing.T, ctx context.Context, base, value string) {
	t.Helper()
	_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
		Name: prefsCookie, Value: value, URL: base + "/", Path: "/", SameSite: network.CookieSameSiteLax,
	})
	if err != nil {
		t.Fatalf("setting cookie %s=%s: %v", prefsCookie, value, err)
	}
}

func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// classSet returns the sorted classes of a class attribute.
func classSet(class string) []string { return sorted(strings.Fields(class)) }

// sorted returns a sorted copy of ss.
func sorted(ss []string) []string {
	ss = slices.Clone(ss)
	slices.Sort(ss)
	return ss
}

// readingState is what the reading settings change on a page.
type readingState struct {
	Class    string   `json:"class"`    // <html> className
	FontSize float64  `json:"fontSize"` // px, of an article paragraph
	Color    string   `json:"color"`    // computed colour of that paragraph
	BodyBG   string   `json:"bodyBG"`   // computed background of <body>
	Pressed  []string `json:"pressed"`  // "pref=value" of controls with aria-pressed="true"
}

const readingStateJS = `(() => {
  const p = document.querySelector('.doc article p') || document.querySelector('main p');
  const cs = getComputedStyle(p);
  return {
    class: document.documentElement.className,
    fontSize: parseFloat(cs.fontSize),
    color: cs.color,
    bodyBG: getComputedStyle(document.body).backgroundColor,
    pressed: Array.from(document.querySelectorAll('a[data-pref][aria-pressed="true"]'),
      a => a.dataset.pref + '=' + a.dataset.value),
  };
})()`

// serverClassJS fetches the current page again (with the browser's cookies) and
// returns the class attribute of <html> as the server rendered it, before any script.
const serverClassJS = `fetch(location.pathname, {cache: 'no-store', credentials: 'same-origin'})
  .then(r => r.text())
  .then(t => { const m = t.match(/<html[^>]*\sclass="([^"]*)"/); return m ? m[1] : ''; })`

var rgbRE = regexp.MustCompile(`^rgba?\((\d+), (\d+), (\d+)`)

// hueOf names the dominant channel of a computed rgb() colour: "red", "green",
// "blue", "yellow" (red and green well above blue) or "" when none dominates.
func hueOf(c string) string {
	m := rgbRE.FindStringSubmatch(c)
	if m == nil {
		return ""
	}
	var r, g, b int
	fmt.Sscan(m[1], &r)
	fmt.Sscan(m[2], &g)
	fmt.Sscan(m[3], &b)
	switch {
	case r > 2*g && r > 2*b:
		return "red"
	case r > 2*b && g > 2*b && g*3 >= r && r*3 >= g:
		return "yellow"
	case g > r+20 && g > b+20:
		return "green"
	case b > r+40 && b > g+20:
		return "blue"
	}
	return ""
}

func TestBrowserReadingControlsPersist(t *testing.T) {
	e := newTestEnv(t, "")
	ctx := newBrowser(t, 1280, 900)
	draft := e.srv.URL + "/c/" + seedSlug

	browserDo(t, ctx, "open the draft", chromedp.Navigate(draft))
	def := browserEval[readingState](t, ctx, readingStateJS)
	if def.Class != "" {
		t.Errorf("fresh browser: <html> class %q, want none", def.Class)
	}
	if want := []string{"eye=0", "size=m"}; !slices.Equal(sorted(def.Pressed), want) {
		t.Errorf("fresh browser: pressed %v, want %v", def.Pressed, want)
	}
	if def.BodyBG != "rgb(255, 255, 255)" {
		t.Errorf("fresh browser: body background %s, want white", def.BodyBG)
	}

	click := func(pref, value string) {
		t.Helper()
		sel := fmt.Sprintf(`.reading a[data-pref=%q][data-value=%q]`, pref, value)
		browserDo(t, ctx, "click "+sel, chromedp.Click(chromedp.CSS(sel)))
	}
	click("size", "l")
	click("eye", "1")
	click("color", "blue")
	browserWait(t, ctx, `document.documentElement.classList.contains('fc-blue')`)

	wantClass := []string{"bg-eye", "fc-blue", "fs-l"}
	wantPressed := []string{"color=blue", "eye=1", "size=l"}
	check := func(when string) {
		t.Helper()
		s := browserEval[readingState](t, ctx, readingStateJS)
		if got := classSet(s.Class); !slices.Equal(got, wantClass) {
			t.Errorf("%s: <html> class %q, want %v", when, s.Class, wantClass)
		}
		if s.FontSize <= def.FontSize {
			t.Errorf("%s: paragraph font-size %.1fpx, want larger than the default %.1fpx", when, s.FontSize, def.FontSize)
		}
		if s.BodyBG != eyeCareBG {
			t.Errorf("%s: body background %s, want the eye-care colour %s", when, s.BodyBG, eyeCareBG)
		}
		if hueOf(s.Color) != "blue" {
			t.Errorf("%s: paragraph colour %s is not blue", when, s.Color)
		}
		if got := sorted(s.Pressed); !slices.Equal(got, wantPressed) {
			t.Errorf("%s: aria-pressed=true on %v, want %v", when, s.Pressed, wantPressed)
		}
	}
	checkServer := func(when string) {
		t.Helper()
		if got := classSet(browserEval[string](t, ctx, serverClassJS)); !slices.Equal(got, wantClass) {
			t.Errorf("%s: server-rendered <html> class %v, want %v", when, got, wantClass)
		}
	}
	check("after clicking")

	browserDo(t, ctx, "reload", chromedp.Reload())
	check("after reload")
	checkServer("after reload")

	browserDo(t, ctx, "go to the home page", chromedp.Navigate(e.srv.URL+"/"))
	if s := browserEval[readingState](t, ctx, readingStateJS); !slices.Equal(classSet(s.Class), wantClass) || s.BodyBG != eyeCareBG {
		t.Errorf("home page: class %q, background %s; want %v on %s", s.Class, s.BodyBG, wantClass, eyeCareBG)
	}
	checkServer("home page")
	// Back may restore the page from the back/forward cache, which fires no load
	// event, so wait for the location rather than with NavigateBack.
	browserDo(t, ctx, "go back", chromedp.Evaluate[chromedp.Void](`history.back()`))
	browserWait(t, ctx, fmt.Sprintf(`location.href === %q && document.readyState === 'complete'`, draft))
	check("after going back")
	browserDo(t, ctx, "open the draft again", chromedp.Navigate(draft))
	check("after opening the draft again")
	checkServer("after opening the draft again")

	click("reset", "")
	browserWait(t, ctx, `document.documentElement.className === ''`)
	browserDo(t, ctx, "reload", chromedp.Reload())
	s := browserEval[readingState](t, ctx, readingStateJS)
	if s.Class != "" || s.FontSize != def.FontSize || s.BodyBG != def.BodyBG || s.Color != def.Color {
		t.Errorf("after 恢复默认 and reload: %+v, want the defaults %+v", s, def)
	}
	if got := sorted(s.Pressed); !slices.Equal(got, []string{"eye=0", "size=m"}) {
		t.Errorf("after 恢复默认: aria-pressed=true on %v", s.Pressed)
	}
	if got := browserEval[string](t, ctx, serverClassJS); got != "" {
		t.Errorf("after 恢复默认: server-rendered class %q, want none", got)
	}
}

// contrastJS measures the WCAG 2.1 contrast ratio of every visible element with
// its own text against the background it sits on (the first non-transparent
// background-color up the tree, semi-transparent layers composited).
const contrastJS = `(() => {
  const sel = 'h1,h2,h3,h4,p,a,span,li,summary,figcaption,time,div,label,button,legend,strong,em,td,th,dt,dd';
  const parse = (c) => {
    const m = c.match(/^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,\/]\s*([\d.]+)(%?))?\s*\)$/);
    if (!m) throw new Error('cannot parse colour ' + c);
    const a = m[4] === undefined ? 1 : (m[5] ? parseFloat(m[4]) / 100 : parseFloat(m[4]));
    return [+m[1], +m[2], +m[3], a];
  };
  const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat(1);
  const background = (el) => {
    const layers = [];
    for (let n = el; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1]; // the canvas
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const hex = (c) => '#' + c.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, '0')).join('');
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const out = [];
  for (const el of document.body.querySelectorAll(sel)) {
    const own = Array.from(el.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
    if (!own) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility !== 'visible' || el.getClientRects().length === 0) continue;
    const bg = background(el);
    const fg = over(parse(cs.color), bg);
    const l1 = lum(fg), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    let path = name(el);
    for (let p = el.parentElement; p && p !== document.body && path.split(' ').length < 4; p = p.parentElement) path = name(p) + ' > ' + path;
    out.push({el: path, text: own.slice(0, 24), color: hex(fg), bg: hex(bg), ratio: Math.round(ratio * 100) / 100});
  }
  return out;
})()`

type contrastResult struct {
	El    string  `json:"el"`
	Text  string  `json:"text"`
	Color string  `json:"color"`
	BG    string  `json:"bg"`
	Ratio float64 `json:"ratio"`
}

func TestBrowserContrastEveryCombination(t *testing.T) {
	const minRatio = 4.5 // WCAG 2.1 AA for normal text
	e := newTestEnv(t, "")
	ctx := newBrowser(t, 1280, 900)
	pages := []struct{ name, path string }{
		{"draft", "/c/" + seedSlug + "#article-17"}, // a :target article shows the panel background too
		{"home", "/"},
	}
	for _, color := range colors {
		for _, eye := range []string{"0", "1"} {
			value := "m." + color + "." + eye
			setReadingCookie(t, ctx, e.srv.URL, value)
			want := parsePrefs(value).Class()
			for _, pg := range pages {
				// A blank page between loads, so a fragment-only change still loads the page.
				browserDo(t, ctx, "load "+pg.path, chromedp.Navigate("about:blank"), chromedp.Navigate(e.srv.URL+pg.path))
				if got := browserEval[string](t, ctx, `document.documentElement.className`); got != want {
					t.Fatalf("cookie %s on %s: <html> class %q, want %q", value, pg.name, got, want)
				}
				res := browserEval[[]contrastResult](t, ctx, contrastJS)
				if len(res) < 10 {
					t.Fatalf("cookie %s on %s: only %d text elements measured", value, pg.name, len(res))
				}
				// One error for each failing pair of colours, with an example and a count.
				lowest := res[0]
				var pairs []string
				failing := map[string][]contrastResult{}
				for _, r := range res {
					if r.Ratio < lowest.Ratio {
						lowest = r
					}
					if r.Ratio < minRatio {
						pair := r.Color + " on " + r.BG
						if failing[pair] == nil {
							pairs = append(pairs, pair)
						}
						failing[pair] = append(failing[pair], r)
					}
				}
				for _, pair := range pairs {
					rs := failing[pair]
					t.Errorf("reading=%s %s: %s = %.2f:1, want ≥ %.1f:1, on %d elements, e.g. %s %q",
						value, pg.name, pair, rs[0].Ratio, minRatio, len(rs), rs[0].El, rs[0].Text)
				}
				t.Logf("reading=%-9s %-5s %3d elements, lowest %.2f:1 (%s on %s, %s)",
					value, pg.name, len(res), lowest.Ratio, lowest.Color, lowest.BG, lowest.El)
			}
		}
	}
}

func TestBrowserPhoneLayout(t *testing.T) {
	const width, height = 360, 800
	e := newTestEnv(t, "")
	ctx := newBrowser(t, width, height)

	// A phone: the layout width comes from <meta name="viewport">, as on a real one.
	browserDo(t, ctx, "emulate a phone", chromedp.EmulateViewport(width, height, chromedp.EmulateMobile, chromedp.EmulateTouch))

	// No sideways scrolling: with content wider than the phone, a mobile browser
	// widens the layout viewport (innerWidth) or the page scrolls (scrollWidth).
	for _, path := range []string{"/c/" + seedSlug, "/"} {
		browserDo(t, ctx, "open "+path, chromedp.Navigate(e.srv.URL+path))
		type overflow struct {
			InnerWidth  int      `json:"innerWidth"`
			ScrollWidth int      `json:"scrollWidth"`
			Wide        []string `json:"wide"`
		}
		o := browserEval[overflow](t, ctx, fmt.Sprintf(`(() => ({
		  innerWidth: window.innerWidth,
		  scrollWidth: document.documentElement.scrollWidth,
		  wide: Array.from(document.body.querySelectorAll('*'))
		    .filter(el => el.getBoundingClientRect().right > %d.5)
		    .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')),
		}))()`, width))
		if o.InnerWidth != width || o.ScrollWidth > width {
			t.Errorf("%s is wider than a %d px phone: innerWidth %d, scrollWidth %d; too wide: %v",
				path, width, o.InnerWidth, o.ScrollWidth, o.Wide)
		}
	}
	full, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // the home page, whole
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, full, "home-full.png", width)

	// Opened straight at the anchor, as a shared link to one article is.
	browserDo(t, ctx, "open the article link", chromedp.Navigate(e.srv.URL+"/c/"+seedSlug+"#article-17"))
	browserWait(t, ctx, `(() => {
	  const r = document.getElementById('article-17').getBoundingClientRect();
	  return r.top > -2 && r.top < window.innerHeight;
	})()`)
	heading := browserEval[string](t, ctx, `document.querySelector('#article-17 h3').textContent`)
	if !strings.Contains(heading, "(十七)加快建立现代产业体系") {
		t.Errorf("#article-17 heading %q", heading)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, shot, "article-17.png", width)
}

// checkPNG checks that b is a PNG width CSS pixels wide (device pixel ratio 1) and
// keeps it in the test's temporary folder.
func checkPNG(t *testing.T, b []byte, name string, width int) {
	t.Helper()
	if len(b) == 0 {
		t.Fatalf("%s: empty screenshot", name)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not a PNG: %v", name, err)
	}
	if cfg.Width != width || cfg.Height == 0 {
		t.Errorf("%s: screenshot is %d×%d, want %d px wide", name, cfg.Width, cfg.Height, width)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s: %d×%d, %d bytes", path, cfg.Width, cfg.Height, len(b))
}

func TestBrowserKeyboard(t *testing.T) {
	e := newTestEnv(t, "")
	ctx := newBrowser(t, 1280, 900)
	browserDo(t, ctx, "open the draft", chromedp.Navigate(e.srv.URL+"/c/"+seedSlug))

	type focusInfo struct {
		Tag   string `json:"tag"`
		Class string `json:"class"`
		Text  string `json:"text"`
	}
	const activeJS = `(() => { const a = document.activeElement;
	  return {tag: a.tagName.toLowerCase(), class: a.className, text: a.textContent.trim()}; })()`

	// Number every control, and record each one that receives focus.
	type control struct {
		I        int    `json:"i"`
		Desc     string `json:"desc"`
		TabIndex int    `json:"tabIndex"`
		Display  string `json:"display"`
		Shown    bool   `json:"shown"`
		Tag      string `json:"tag"`
		HasHref  bool   `json:"hasHref"`
	}
	controls := browserEval[[]control](t, ctx, `(() => {
	  window.__focused = [];
	  document.addEventListener('focusin', ev => {
	    const i = ev.target.dataset && ev.target.dataset.kbi;
	    if (i !== undefined) window.__focused.push(+i);
	  });
	  return Array.from(document.querySelectorAll('a, button, summary'), (el, i) => {
	    el.dataset.kbi = i;
	    const cs = getComputedStyle(el);
	    return {i, desc: el.tagName.toLowerCase() + ' ' + JSON.stringify(el.textContent.trim().slice(0, 20)) +
	        (el.getAttribute('href') ? ' ' + el.getAttribute('href') : ''),
	      tabIndex: el.tabIndex, display: cs.display, shown: el.getClientRects().length > 0 && cs.visibility === 'visible',
	      tag: el.tagName.toLowerCase(), hasHref: el.hasAttribute('href')};
	  });
	})()`)
	if len(controls) < 20 {
		t.Fatalf("only %d controls on the draft page", len(controls))
	}
	for _, c := range controls {
		if c.Tag == "a" && !c.HasHref {
			t.Errorf("%s has no href, so the keyboard cannot reach it", c.Desc)
		}
		if c.TabIndex < 0 || c.Display == "none" || !c.Shown {
			t.Errorf("%s is not keyboard-focusable: tabIndex %d, display %s, shown %v", c.Desc, c.TabIndex, c.Display, c.Shown)
		}
	}

	browserDo(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
	first := browserEval[focusInfo](t, ctx, activeJS)
	if first.Tag != "a" || first.Class != "skip" || first.Text != "跳到正文" {
		t.Fatalf("first Tab focuses %+v, want the skip link 跳到正文", first)
	}
	if left := browserEval[float64](t, ctx, `document.activeElement.getBoundingClientRect().left`); left < 0 {
		t.Errorf("the focused skip link is off screen (left %.0f)", left)
	}

	// Tab through the whole page: every control must receive focus.
	for range len(controls) + 2 {
		browserDo(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
	}
	focused := browserEval[[]int](t, ctx, `window.__focused`)
	seen := map[int]bool{}
	for _, i := range focused {
		seen[i] = true
	}
	for _, c := range controls {
		if !seen[c.I] {
			t.Errorf("Tab never reaches %s", c.Desc)
		}
	}

	// The skip link works from the keyboard: Enter moves focus to the main content.
	browserDo(t, ctx, "reload", chromedp.Reload())
	browserDo(t, ctx, "Tab, Enter", chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Enter))
	browserWait(t, ctx, `document.activeElement && document.activeElement.id === 'main'`)
}

func TestBrowserWorksWithoutJavaScript(t *testing.T) {
	e := newTestEnv(t, "")
	ctx := newBrowser(t, 1280, 900)
	draft := e.srv.URL + "/c/" + seedSlug
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	browserDo(t, ctx, "open the draft", chromedp.Navigate(draft))
	if class := htmlClass(t, ctx); class != "" {
		t.Fatalf("fresh browser: <html> class %q", class)
	}

	// With scripts off the click is a plain link: /prefs sets the cookie and redirects back.
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`.reading a[data-pref="size"][data-value="l"]`)))
	if err != nil {
		t.Fatalf("clicking 大: %v", err)
	}
	if resp.Status != 200 {
		t.Errorf("after clicking 大: status %d", resp.Status)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != draft {
		t.Errorf("after clicking 大 the browser is at %s, want back at %s", loc, draft)
	}
	if class := htmlClass(t, ctx); !slices.Contains(strings.Fields(class), "fs-l") {
		t.Errorf("after clicking 大: <html> class %q, want fs-l", class)
	}
	pressed, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`.reading a[data-pref="size"][data-value="l"]`), "aria-pressed"))
	if err != nil {
		t.Fatal(err)
	}
	if pressed.Value != "true" {
		t.Errorf("大 has aria-pressed=%q, want true", pressed.Value)
	}
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{draft}})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, c := range cookies.Cookies {
		if c.Name == prefsCookie {
			got = c.Value
		}
	}
	if got != "l..0" {
		t.Errorf("reading cookie %q, want %q", got, "l..0")
	}
}

// htmlClass reads the class attribute of <html> through the DOM domain, which works
// with scripts disabled.
func htmlClass(t *testing.T, ctx context.Context) string {
	t.Helper()
	attrs, err := chromedp.Run(ctx, chromedp.Attributes(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	return attrs["class"]
}
