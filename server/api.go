package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"consult/store"
)

// The open-data API (/api/v1/…), the Atom feed and the sitemap: public, read-only,
// served from memory with ETags, and rate-limited per client. Everything in them is
// already on a public page: no commenter's contact data, names only where the
// commenter agreed to publication (as the feedback report shows them).

// apiTTL bounds how stale time-dependent fields (a window's status) can get.
const apiTTL = time.Minute

// apiState is what the open-data endpoints share.
type apiState struct {
	limit *limiter
	mu    sync.RWMutex
	cache map[string]*apiEntry
}

// apiEntry is a cached response: its bytes, gzip form and ETag, and how to send it.
type apiEntry struct {
	*cachedPage
	contentType string
	filename    string
}

func (s *apiState) get(key string, gen uint64, now time.Time) *apiEntry {
	s.mu.RLock()
	e := s.cache[key]
	s.mu.RUnlock()
	if e == nil || e.gen != gen || now.After(e.expires) {
		return nil
	}
	return e
}

func (s *apiState) put(key string, e *apiEntry) {
	s.mu.Lock()
	if len(s.cache) >= pageCacheMax {
		s.cache = map[string]*apiEntry{}
	}
	s.cache[key] = e
	s.mu.Unlock()
}

// apiDoc is a serialised response kept in memory.
type apiDoc struct {
	body        []byte
	contentType string
	filename    string // for downloads: Content-Disposition attachment
}

func (a *app) apiRoutes(e *echo.Echo) {
	a.api = &apiState{limit: newLimiter(limitOr(a.cfg.Limits.APIPerMinute, 120)), cache: map[string]*apiEntry{}}
	e.GET("/api/v1/openapi.json", a.apiServe(func(c echo.Context) (*apiDoc, error) {
		return &apiDoc{body: openAPISpec, contentType: echo.MIMEApplicationJSONCharsetUTF8}, nil
	}))
	e.GET("/api/v1/consultations", a.apiServe(a.apiConsultations))
	e.GET("/api/v1/consultations/:slug", a.apiServe(a.apiConsultation))
	e.GET("/api/v1/consultations/:slug/feedback", a.apiServe(a.apiFeedback))
	e.GET("/api/v1/consultations/:slug/feedback.csv", a.apiServe(a.apiFeedbackCSV))
	e.GET("/api/v1/consultations/:slug/feedback.jsonl", a.apiServe(a.apiFeedbackJSONL))
	e.GET("/feed.xml", a.apiServe(a.atomFeed))
	e.GET("/sitemap.xml", a.apiServe(a.sitemap))
	e.GET("/robots.txt", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=3600")
		return c.String(http.StatusOK, "User-agent: *\nDisallow: /admin/\nSitemap: "+a.cfg.Server.BaseURL+"/sitemap.xml\n")
	})
}

// isPrecompressed reports whether a route compresses its own responses (ahead of
// time, in its cache), so the gzip middleware must leave it alone.
func isPrecompressed(c echo.Context) bool {
	p := c.Path()
	return p == "/c/:slug" || strings.HasPrefix(p, "/api/") || p == "/feed.xml" || p == "/sitemap.xml"
}

// apiError is the body of every error the API answers with.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func apiFail(c echo.Context, code int, id, msg string) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(code, apiError{Error: id, Message: msg})
}

// apiServe wraps a builder with the rate limit, the cache, ETags and 304s, and gzip.
func (a *app) apiServe(build func(echo.Context) (*apiDoc, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		now := a.now()
		if !a.api.limit.allow(c.RealIP(), now) {
			c.Response().Header().Set("Retry-After", "60")
			return apiFail(c, http.StatusTooManyRequests, "rate_limited", "请求过于频繁,请一分钟后再试。")
		}
		key := c.Request().URL.Path
		gen := a.gen.Load() + a.draftGen.Load()
		p := a.api.get(key, gen, now)
		if p == nil {
			doc, err := build(c)
			if isNotFound(err) {
				return apiFail(c, http.StatusNotFound, "not_found", "没有找到。")
			}
			var he *echo.HTTPError
			if errors.As(err, &he) && he.Code == http.StatusNotFound {
				msg, _ := he.Message.(string)
				return apiFail(c, http.StatusNotFound, "not_found", msg)
			}
			if err != nil {
				return err
			}
			cp, err := newCachedPage(doc.body, gen, 0, now, now.Add(apiTTL))
			if err != nil {
				return err
			}
			p = &apiEntry{cachedPage: cp, contentType: doc.contentType, filename: doc.filename}
			a.api.put(key, p)
		}
		h := c.Response().Header()
		h.Set("Cache-Control", "public, max-age=60")
		h.Set("Vary", "Accept-Encoding")
		h.Set("ETag", p.etag)
		h.Set("Access-Control-Allow-Origin", "*") // public open data: any site may read it
		if p.filename != "" {
			h.Set("Content-Disposition", `attachment; filename="`+p.filename+`"`)
		}
		if etagMatches(c.Request().Header.Get("If-None-Match"), p.etag) {
			return c.NoContent(http.StatusNotModified)
		}
		if acceptsGzip(c.Request().Header.Get("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
			return c.Blob(http.StatusOK, p.contentType, p.gz)
		}
		return c.Blob(http.StatusOK, p.contentType, p.plain)
	}
}

// etagMatches implements If-None-Match's weak comparison over a list of tags.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

func jsonDoc(v any) (*apiDoc, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return &apiDoc{body: append(b, '\n'), contentType: echo.MIMEApplicationJSONCharsetUTF8}, nil
}

// APIConsultation is a consultation as the API lists it.
type APIConsultation struct {
	Slug      string       `json:"slug"`
	Title     string       `json:"title"`
	Publisher string       `json:"publisher"`
	Category  string       `json:"category"`
	URL       string       `json:"url"`
	OpensAt   string       `json:"opens_at"`
	ClosesAt  string       `json:"closes_at"`
	Status    string       `json:"status"`
	Comments  int          `json:"comments"`
	Feedback  *APIFeedback `json:"feedback"`
}

// APIFeedback points to a consultation's published feedback report.
type APIFeedback struct {
	Revision    int    `json:"revision"`
	PublishedAt string `json:"published_at"`
	URL         string `json:"url"`
	APIURL      string `json:"api_url"`
	CSVURL      string `json:"csv_url"`
	JSONLURL    string `json:"jsonl_url"`
}

// APIConsultationDetail adds the call for comments and the sections with counts.
type APIConsultationDetail struct {
	APIConsultation
	Call            string       `json:"call"`
	Revision        int          `json:"revision"`         // the revision on show (1: 第一稿); sections are its
	GeneralComments int          `json:"general_comments"` // on that revision as a whole
	Sections        []APISection `json:"sections"`
}

// APISection is a section of a draft with its effective window and comment count.
type APISection struct {
	Anchor   string `json:"anchor"`
	Kind     string `json:"kind"`
	Label    string `json:"label"`
	Heading  string `json:"heading"`
	Parent   string `json:"parent"` // the enclosing chapter's anchor, "" at the top
	URL      string `json:"url"`
	OpensAt  string `json:"opens_at"`
	ClosesAt string `json:"closes_at"`
	Comments int    `json:"comments"`
}

func apiTime(t time.Time) string { return t.In(beijing).Format(time.RFC3339) }

func (a *app) apiSummary(c echo.Context, cs *store.Consultation) (APIConsultation, error) {
	ctx := c.Request().Context()
	base := a.cfg.Server.BaseURL
	v := APIConsultation{Slug: cs.Slug, Title: strings.ReplaceAll(cs.Title, "\n", ""), Publisher: cs.Publisher,
		Category: cs.Category, URL: base + "/c/" + cs.Slug, OpensAt: apiTime(cs.OpensAt), ClosesAt: apiTime(cs.ClosesAt),
		Status: statusAt(a.now(), cs.OpensAt, cs.ClosesAt).State}
	counts, err := a.store.CommentCounts(ctx, cs.ID)
	if err != nil {
		return v, err
	}
	for _, n := range counts {
		v.Comments += n
	}
	fb, err := a.store.LatestFeedback(ctx, cs.ID)
	switch {
	case err == nil:
		api := base + "/api/v1/consultations/" + cs.Slug + "/feedback"
		v.Feedback = &APIFeedback{Revision: fb.Revision, PublishedAt: apiTime(fb.PublishedAt), URL: base + "/c/" + cs.Slug + "/feedback",
			APIURL: api, CSVURL: api + ".csv", JSONLURL: api + ".jsonl"}
	case !isNotFound(err):
		return v, err
	}
	return v, nil
}

// apiConsultations is GET /api/v1/consultations.
func (a *app) apiConsultations(c echo.Context) (*apiDoc, error) {
	list, err := a.store.ListConsultations(c.Request().Context())
	if err != nil {
		return nil, err
	}
	out := struct {
		Consultations []APIConsultation `json:"consultations"`
	}{Consultations: []APIConsultation{}}
	for i := range list {
		v, err := a.apiSummary(c, &list[i])
		if err != nil {
			return nil, err
		}
		out.Consultations = append(out.Consultations, v)
	}
	return jsonDoc(out)
}

// apiConsultation is GET /api/v1/consultations/{slug}.
func (a *app) apiConsultation(c echo.Context) (*apiDoc, error) {
	d, err := a.loadDraft(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return nil, err
	}
	sum, err := a.apiSummary(c, d.C)
	if err != nil {
		return nil, err
	}
	// An anchor names another article in each revision (article 9 of the 修改稿 may be
	// article 10 of the 第一稿), so the sections' counts are the shown revision's; the
	// consultation's total (sum.Comments) is over every revision.
	counts, err := a.store.RevisionCommentCounts(c.Request().Context(), d.C.ID, d.C.DraftRevision)
	if err != nil {
		return nil, err
	}
	v := APIConsultationDetail{APIConsultation: sum, Call: d.C.Call, Revision: d.C.DraftRevision, GeneralComments: counts["general"],
		Sections: []APISection{}}
	for i := range d.Sections {
		s := &d.Sections[i]
		opens, closes := d.window(s)
		as := APISection{Anchor: s.Anchor, Kind: s.Kind, Label: s.Label, Heading: s.Heading, URL: sum.URL + "#" + s.Anchor,
			OpensAt: apiTime(opens), ClosesAt: apiTime(closes), Comments: counts[s.Anchor]}
		if s.Parent >= 0 && s.Parent < len(d.Sections) {
			as.Parent = d.Sections[s.Parent].Anchor
		}
		v.Sections = append(v.Sections, as)
	}
	return jsonDoc(v)
}

// APIFeedbackReport is the published report: exactly what /c/{slug}/feedback shows.
type APIFeedbackReport struct {
	Consultation     string               `json:"consultation"`
	Title            string               `json:"title"`
	URL              string               `json:"url"`
	Revision         int                  `json:"revision"`
	PublishedAt      string               `json:"published_at"`
	FirstPublishedAt string               `json:"first_published_at"`
	Summary          string               `json:"summary"`
	Participants     int                  `json:"participants"`
	Comments         int                  `json:"comments"`
	Sections         []APIFeedbackSection `json:"sections"`
	Items            []APIFeedbackItem    `json:"items"`
}

// APIFeedbackSection is a row of the report's overview table.
type APIFeedbackSection struct {
	Section   string `json:"section"` // anchor, or "general"
	Label     string `json:"label"`
	Comments  int    `json:"comments"`
	Adopted   int    `json:"adopted"`
	Partial   int    `json:"partial"`
	Rejected  int    `json:"rejected"`
	Explained int    `json:"explained"`
	Pending   int    `json:"pending"`
	Other     int    `json:"other"` // judged duplicate or invalid
}

// APIFeedbackItem is one comment (or campaign of copies decided alike) in the report.
type APIFeedbackItem struct {
	Section     string   `json:"section"`
	Label       string   `json:"label"`
	Status      string   `json:"status"`
	StatusLabel string   `json:"status_label"`
	Body        string   `json:"body"`
	Count       int      `json:"count"`
	Names       []string `json:"names"`
	MoreNames   int      `json:"more_names"`
	Response    string   `json:"response"`
}

// feedbackReport builds the published report's open-data form, or a 404 before
// publication.
func (a *app) feedbackReport(c echo.Context) (*APIFeedbackReport, error) {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return nil, err
	}
	reports, err := a.store.FeedbackReports(ctx, d.C.ID)
	if err != nil {
		return nil, err
	}
	if len(reports) == 0 {
		return nil, echo.NewHTTPError(http.StatusNotFound, "意见采纳情况尚未公布。")
	}
	r := reports[0]
	items, err := a.store.FeedbackItems(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	v := &APIFeedbackReport{Consultation: d.C.Slug, Title: strings.ReplaceAll(d.C.Title, "\n", ""),
		URL: a.cfg.Server.BaseURL + "/c/" + d.C.Slug + "/feedback", Revision: r.Revision, PublishedAt: apiTime(r.PublishedAt),
		FirstPublishedAt: apiTime(reports[len(reports)-1].PublishedAt), Summary: r.Summary,
		Participants: r.Participants, Comments: r.Comments, Sections: []APIFeedbackSection{}, Items: []APIFeedbackItem{}}
	for _, fs := range buildFeedback(d, items) {
		anchor, label := "general", "全文/总体意见"
		if fs.Section != nil {
			anchor, label = fs.Section.Anchor, fs.Section.Label+fs.Section.Heading
		}
		row := APIFeedbackSection{Section: anchor, Label: label, Comments: fs.Total, Pending: fs.Pending, Other: fs.Other}
		for _, g := range fs.Groups {
			switch g.Status {
			case store.StatusAdopted:
				row.Adopted = g.Count
			case store.StatusPartial:
				row.Partial = g.Count
			case store.StatusRejected:
				row.Rejected = g.Count
			case store.StatusExplained:
				row.Explained = g.Count
			}
			for _, it := range g.Items {
				names := it.Names
				if names == nil {
					names = []string{}
				}
				v.Items = append(v.Items, APIFeedbackItem{Section: anchor, Label: label, Status: it.Status,
					StatusLabel: store.StatusLabels[it.Status], Body: it.Body, Count: it.Count, Names: names,
					MoreNames: it.MoreNames, Response: it.Response})
			}
		}
		v.Sections = append(v.Sections, row)
	}
	return v, nil
}

// apiFeedback is GET /api/v1/consultations/{slug}/feedback.
func (a *app) apiFeedback(c echo.Context) (*apiDoc, error) {
	v, err := a.feedbackReport(c)
	if err != nil {
		return nil, err
	}
	return jsonDoc(v)
}

// apiFeedbackJSONL is the report's items, one JSON object a line.
func (a *app) apiFeedbackJSONL(c echo.Context) (*apiDoc, error) {
	v, err := a.feedbackReport(c)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, it := range v.Items {
		if err := enc.Encode(it); err != nil {
			return nil, err
		}
	}
	return &apiDoc{body: buf.Bytes(), contentType: "application/x-ndjson; charset=utf-8", filename: v.Consultation + "-feedback.jsonl"}, nil
}

// feedbackCSVHeader names the CSV columns in Chinese, for people opening it in Excel.
var feedbackCSVHeader = []string{"条款编号", "条款", "处理结果", "意见内容", "相同或相似意见条数", "提出者", "处理意见或理由"}

// apiFeedbackCSV is the report's items as CSV: UTF-8 with a byte-order mark, so Excel
// reads the Chinese text correctly, and CRLF line ends.
func (a *app) apiFeedbackCSV(c echo.Context) (*apiDoc, error) {
	v, err := a.feedbackReport(c)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	if err := w.Write(feedbackCSVHeader); err != nil {
		return nil, err
	}
	for _, it := range v.Items {
		who := strings.Join(it.Names, "、")
		if it.MoreNames > 0 {
			who += " 等"
		}
		if who == "" {
			who = "公众"
		}
		if err := w.Write([]string{it.Section, it.Label, it.StatusLabel, csvSafe(it.Body), strconv.Itoa(it.Count), csvSafe(who), csvSafe(it.Response)}); err != nil {
			return nil, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	return &apiDoc{body: buf.Bytes(), contentType: "text/csv; charset=utf-8", filename: v.Consultation + "-feedback.csv"}, nil
}

// csvSafe keeps a spreadsheet from running text as a formula (CSV injection): a cell
// starting with = + - @ or a control character gets a leading apostrophe.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
