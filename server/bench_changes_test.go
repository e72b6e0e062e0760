package main

// BenchmarkChanges measures the 修改前后对照表 of the acceptance scenario (the seed
// and its 修改稿, 23 → 23 articles):
//
//   - compare: pairing the two revisions' sections and diffing the changed ones (pure CPU);
//   - build: everything an uncached request does (the comparison from SQLite, the
//     template, best gzip), the cost of the first request after a change;
//   - portal: GET /c/{slug}/changes through the whole middleware stack, served from
//     memory, 16 keep-alive connections;
//   - ceiling: a bare net/http handler writing the same gzipped bytes, same clients.
//
// Reproduce (bench/changes-page.txt):
//
//	go test -tags sqlite_fts5 -run '^$' -bench Changes -benchtime 3s -count 3 ./server/
//
// TestChangesBenchSetup runs the same setup with one operation of each, so the
// benchmark cannot rot silently under `go test`.

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"consult/server/revdiff"
	"consult/store"
)

type changesBench struct {
	a        *app
	st       *store.Store
	cs       *store.Consultation
	portal   *httptest.Server
	ceiling  *httptest.Server
	old, new []revdiff.Item
	gz       []byte
}

func newChangesBench(tb testing.TB) *changesBench {
	tb.Helper()
	cfg := writeTestConfig(tb, tb.TempDir(), testConfig)
	st, logger := openTestStore(tb, cfg)
	tb.Cleanup(func() { st.Close() })
	a, err := newApp(cfg, st, logger)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	cs, err := st.ConsultationBySlug(ctx, seedSlug)
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := os.ReadFile(revisedDraft)
	if err != nil {
		tb.Fatal(err)
	}
	d, secs, err := parseRevision(string(raw))
	if err != nil {
		tb.Fatal(err)
	}
	old, _ := st.Sections(ctx, cs.ID)
	if _, err := st.PublishRevision(ctx, store.Actor{Username: "bench"}, cs.ID, store.NewRevision{Draft: d, Sections: secs, Reason: "基准"}); err != nil {
		tb.Fatal(err)
	}
	if cs, err = st.ConsultationBySlug(ctx, seedSlug); err != nil {
		tb.Fatal(err)
	}
	b := &changesBench{a: a, st: st, cs: cs, old: revisionItems(old), new: revisionItems(secs), portal: httptest.NewServer(a.routes())}
	tb.Cleanup(b.portal.Close)
	resp, body, err := changesGet(newDraftBenchClient(), b.portal.URL)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" {
		tb.Fatalf("portal: %v %v", resp, err)
	}
	b.gz = body
	b.ceiling = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(b.gz)
	}))
	tb.Cleanup(b.ceiling.Close)
	return b
}

func changesGet(rt http.RoundTripper, base string) (*http.Response, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, base+"/c/"+seedSlug+"/changes", nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header = draftBenchHeader.Clone()
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, body, err
}

func (b *changesBench) compare() int {
	n := 0
	for _, p := range revdiff.Compare(b.old, b.new, nil) {
		if p.Type == revdiff.Modified {
			n += len(revdiff.Diff(revdiff.JoinedText(b.old, p.Old), revdiff.JoinedText(b.new, p.New)))
		}
	}
	return n
}

func (b *changesBench) build(tb testing.TB) int {
	ctx := context.Background()
	cmp, revs, err := b.a.loadComparison(ctx, b.cs, 0, 0)
	if err != nil {
		tb.Fatal(err)
	}
	body, err := b.a.renderBytes("changes", "对照表", prefs{}, "/c/"+seedSlug+"/changes", "", changesView{C: b.cs, Cmp: cmp, Revs: revs, Current: 2})
	if err != nil {
		tb.Fatal(err)
	}
	page, err := newCachedPage(body, 0, 0, time.Now(), b.a.now())
	if err != nil {
		tb.Fatal(err)
	}
	return len(page.gz)
}

func runChangesHTTP(b *testing.B, base string) {
	b.SetParallelism(8) // 16 connections on the 2 cores
	b.RunParallel(func(pb *testing.PB) {
		rt := newDraftBenchClient()
		defer rt.CloseIdleConnections()
		for pb.Next() {
			resp, _, err := changesGet(rt, base)
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Errorf("%v %v", resp, err)
				return
			}
		}
	})
}

func BenchmarkChanges(b *testing.B) {
	cb := newChangesBench(b)
	b.Run("compare", func(b *testing.B) {
		for b.Loop() {
			cb.compare()
		}
	})
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			cb.build(b)
		}
	})
	b.Run("portal", func(b *testing.B) { runChangesHTTP(b, cb.portal.URL) })
	b.Run("ceiling", func(b *testing.B) { runChangesHTTP(b, cb.ceiling.URL) })
}

func TestChangesBenchSetup(t *testing.T) {
	cb := newChangesBench(t)
	if cb.compare() == 0 {
		t.Fatal("no diff")
	}
	if cb.build(t) == 0 {
		t.Fatal("empty page")
	}
	for _, base := range []string{cb.portal.URL, cb.ceiling.URL} {
		resp, body, err := changesGet(newDraftBenchClient(), base)
		if err != nil || resp.StatusCode != http.StatusOK || len(body) != len(cb.gz) {
			t.Fatalf("%s: %v %v (%d bytes, want %d)", base, resp, err, len(body), len(cb.gz))
		}
	}
}
