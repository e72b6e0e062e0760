package main

import (
	"bytes"
	_ "embed"
	"encoding/xml"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// openAPISpec is the OpenAPI 3 description of /api/v1/, served at /api/v1/openapi.json;
// a test validates every API response against it.
//
//go:embed openapi.json
var openAPISpec []byte

// atomFeed is RFC 4287's document: feed metadata and entries, newest first.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	Title   string     `xml:"title"`
	ID      string     `xml:"id"`
	Updated string     `xml:"updated"`
	Link    atomLink   `xml:"link"`
	Author  atomAuthor `xml:"author"`
	Summary string     `xml:"summary"`
	at      time.Time
}

// maxFeedEntries bounds the feed: readers poll it, they do not archive from it.
const maxFeedEntries = 100

// atomFeed is GET /feed.xml: consultations opened, extended or reopened, closed, and
// feedback reports published, as they happened (nothing in the future).
func (a *app) atomFeed(c echo.Context) (*apiDoc, error) {
	ctx := c.Request().Context()
	base := a.cfg.Server.BaseURL
	host := "localhost"
	if u, err := url.Parse(base); err == nil {
		host = u.Hostname()
	}
	now := a.now()
	list, err := a.store.ListConsultations(ctx)
	if err != nil {
		return nil, err
	}
	var entries []atomEntry
	for i := range list {
		cs := &list[i]
		title := strings.ReplaceAll(cs.Title, "\n", "")
		page := base + "/c/" + cs.Slug
		publisher := cs.Publisher
		if publisher == "" {
			publisher = "意见征集"
		}
		tag := func(event string) string {
			return fmt.Sprintf("tag:%s,%d:%s/%s", host, cs.CreatedAt.In(beijing).Year(), cs.Slug, event)
		}
		add := func(at time.Time, id, kind, link, summary string) {
			entries = append(entries, atomEntry{Title: kind + ":" + title, ID: id, Updated: at.UTC().Format(time.RFC3339),
				Link: atomLink{Rel: "alternate", Type: "text/html", Href: link}, Author: atomAuthor{Name: publisher}, Summary: summary, at: at})
		}
		window := fmt.Sprintf("征集时间:%s 至 %s(北京时间)。", cs.OpensAt.In(beijing).Format("2006-01-02 15:04"), cs.ClosesAt.In(beijing).Format("2006-01-02 15:04"))
		if !now.Before(cs.OpensAt) {
			add(cs.OpensAt, tag("opened"), "开始征求意见", page, window)
		}
		changes, err := a.store.WindowChanges(ctx, cs.ID, 0)
		if err != nil {
			return nil, err
		}
		for _, w := range changes {
			if w.Action != "window" || w.Before.ClosesAt == nil || w.After.ClosesAt == nil || !w.After.ClosesAt.After(*w.Before.ClosesAt) {
				continue // shortened, or only the opening moved: nothing a follower must act on
			}
			kind := "延长征求意见期"
			switch {
			case !w.After.ClosesAt.After(w.At):
				kind = "调整征求意见期" // moved, but still in the past
			case !w.Before.ClosesAt.After(w.At):
				kind = "重新开放征求意见"
			}
			add(w.At, tag(fmt.Sprintf("window-%d", w.ID)), kind, page,
				fmt.Sprintf("截止时间由 %s 改为 %s(北京时间)。", w.Before.ClosesAt.In(beijing).Format("2006-01-02 15:04"), w.After.ClosesAt.In(beijing).Format("2006-01-02 15:04")))
		}
		if !now.Before(cs.ClosesAt) {
			counts, err := a.store.CommentCounts(ctx, cs.ID)
			if err != nil {
				return nil, err
			}
			total := 0
			for _, n := range counts {
				total += n
			}
			add(cs.ClosesAt, tag(fmt.Sprintf("closed-%d", cs.ClosesAt.Unix())), "征求意见结束", page,
				window+fmt.Sprintf("共收到意见 %d 条。", total))
		}
		reports, err := a.store.FeedbackReports(ctx, cs.ID)
		if err != nil {
			return nil, err
		}
		for _, r := range reports {
			kind := "公布意见采纳情况"
			if r.Revision > 1 {
				kind = fmt.Sprintf("修订意见采纳情况(第 %d 版)", r.Revision)
			}
			add(r.PublishedAt, tag(fmt.Sprintf("feedback-%d", r.Revision)), kind, page+"/feedback",
				fmt.Sprintf("共有 %d 人(单位)提出意见 %d 条。", r.Participants, r.Comments))
		}
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].at.After(entries[j].at) })
	if len(entries) > maxFeedEntries {
		entries = entries[:maxFeedEntries]
	}
	f := atomFeed{Lang: "zh-CN", Title: "意见征集:征求意见与采纳情况", ID: base + "/feed.xml",
		Links:  []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + "/feed.xml"}, {Rel: "alternate", Type: "text/html", Href: base + "/"}},
		Author: atomAuthor{Name: "意见征集"}, Entries: entries}
	f.Updated = time.Unix(0, 0).UTC().Format(time.RFC3339)
	if len(entries) > 0 {
		f.Updated = entries[0].Updated
	}
	return xmlDoc(f, "application/atom+xml; charset=utf-8")
}

func xmlDoc(v any, contentType string) (*apiDoc, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return &apiDoc{body: buf.Bytes(), contentType: contentType}, nil
}

// sitemapURLSet is the sitemaps.org protocol's document.
type sitemapURLSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

// sitemap is GET /sitemap.xml: the home page, every draft and every published report.
func (a *app) sitemap(c echo.Context) (*apiDoc, error) {
	ctx := c.Request().Context()
	base := a.cfg.Server.BaseURL
	list, err := a.store.ListConsultations(ctx)
	if err != nil {
		return nil, err
	}
	set := sitemapURLSet{URLs: []sitemapURL{{Loc: base + "/"}}}
	for i := range list {
		cs := &list[i]
		mod := cs.UpdatedAt
		if cs.OpensAt.After(mod) && !a.now().Before(cs.OpensAt) {
			mod = cs.OpensAt
		}
		set.URLs = append(set.URLs, sitemapURL{Loc: base + "/c/" + cs.Slug, LastMod: mod.UTC().Format(time.RFC3339)})
		fb, err := a.store.LatestFeedback(ctx, cs.ID)
		if err == nil {
			set.URLs = append(set.URLs, sitemapURL{Loc: base + "/c/" + cs.Slug + "/feedback", LastMod: fb.PublishedAt.UTC().Format(time.RFC3339)})
		} else if !isNotFound(err) {
			return nil, err
		}
	}
	return xmlDoc(set, "application/xml; charset=utf-8")
}

// sharingStatus is the window's state in a link preview: the preview is cached by
// the apps that show it, so it names no day count that would go stale.
func sharingStatus(state string) string {
	switch state {
	case "open":
		return "正在征集意见,欢迎提出宝贵意见。"
	case "closed":
		return "意见征集已结束。"
	}
	return "意见征集尚未开始。"
}

func init() { funcs["sharingStatus"] = sharingStatus }
