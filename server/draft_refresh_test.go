package main

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDraftPageServedWhileCommentsArrive checks that a new comment does not throw
// the draft page out of memory: the page in hand is served at once, one background
// render brings the new count within the refresh interval, and concurrent readers
// never cause more than one render per variant.
func TestDraftPageServedWhileCommentsArrive(t *testing.T) {
	e := newOpenEnv(t, "[captcha]\nenabled = false\n[limits]\ncomments_per_minute = 0\n")
	e.app.draftRefresh = 300 * time.Millisecond
	draft := "/c/" + seedSlug
	etag := func() (string, string) {
		resp, err := e.client.Get(e.srv.URL + draft)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		if _, err := io.Copy(&b, resp.Body); err != nil {
			t.Fatal(err)
		}
		return resp.Header.Get("ETag"), b.String()
	}

	// Many readers at once on a cold cache: one render.
	before := e.app.draftRenders.Load()
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if st, _ := e.get(draft); st != http.StatusOK {
				t.Errorf("status %d", st)
			}
		}()
	}
	wg.Wait()
	if n := e.app.draftRenders.Load() - before; n != 1 {
		t.Fatalf("%d renders for 32 concurrent first readers, want 1", n)
	}
	tag0, page := etag()
	if !strings.Contains(page, "暂无意见") || strings.Contains(page, "已有 1 条意见") {
		t.Fatal("fresh draft page already counts comments")
	}

	f, _ := e.openForm("article-17")
	if resp, _ := e.submit(f, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d", resp.StatusCode)
	}
	// Served from memory right away, not re-rendered per comment…
	if tag, _ := etag(); tag != tag0 {
		t.Fatal("a comment invalidated the page: re-rendered before serving")
	}
	// …and the count shows within the refresh interval (plus the render).
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, page := etag(); strings.Contains(page, "已有 1 条意见") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the new count never appeared on the draft page")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A steady stream of comments with readers hammering the page: renders are
	// bounded by the refresh interval, not by the comments or the readers.
	before = e.app.draftRenders.Load()
	start := time.Now()
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 8 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if st, _ := e.get(draft); st != http.StatusOK {
					t.Errorf("status %d", st)
					return
				}
			}
		}()
	}
	comments := 0
	for time.Since(start) < 1500*time.Millisecond {
		f, _ := e.openForm("article-16")
		if resp, _ := e.submit(f, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("submit: %d", resp.StatusCode)
		}
		comments++
	}
	close(stop)
	readers.Wait()
	elapsed := time.Since(start)
	renders := e.app.draftRenders.Load() - before
	if max := uint64(elapsed/e.app.draftRefresh) + 2; renders > max {
		t.Fatalf("%d renders in %v for %d comments, want at most %d", renders, elapsed, comments, max)
	}
	if comments < 5 {
		t.Fatalf("only %d comments in the stream", comments)
	}
}
