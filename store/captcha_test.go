package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func usedCaptchas(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM used_captchas`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCaptchaWithoutWrites checks the captcha's life: issuing and drawing one writes
// nothing, the answer (and the key of its picture) is stable across a restart and the
// same for a second instance on the same database, it expires, a wrong answer uses it
// up, and a right one is used up by the comment's own transaction, once.
func TestCaptchaWithoutWrites(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	cid := createTestConsultation(t, s)
	now := time.Now()
	id := s.NewCaptchaID(now)
	if !captchaIDPattern(id) {
		t.Fatalf("id %q", id)
	}
	d, err := s.CaptchaDigits(id, now)
	if err != nil || len(d) != CaptchaLen {
		t.Fatalf("digits %q %v", d, err)
	}
	if other := s.NewCaptchaID(now); other == id {
		t.Fatal("two captchas with one id")
	}
	if n := usedCaptchas(t, s); n != 0 {
		t.Fatalf("%d rows written by issuing a captcha", n)
	}
	// Another instance on the same file, and this one after a restart, agree.
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if d2, err := s2.CaptchaDigits(id, now); err != nil || d2 != d {
		t.Fatalf("second instance: %q %v, want %q", d2, err, d)
	}
	// So do the keys of their pictures, which are not the key of the answers and
	// differ from another database's.
	if k := s.CaptchaImageKey(); len(k) != 32 || !bytes.Equal(k, s2.CaptchaImageKey()) || bytes.Equal(k, s.captchaSecret) {
		t.Fatalf("image keys %x and %x (secret %x)", k, s2.CaptchaImageKey(), s.captchaSecret)
	}
	if other, _ := openTest(t); bytes.Equal(other.CaptchaImageKey(), s.CaptchaImageKey()) {
		t.Fatal("two databases draw captchas with the same key")
	}
	// Expired, from the future, malformed or tampered with: no answer.
	for name, tc := range map[string]struct {
		id  string
		now time.Time
	}{
		"expired":  {id, now.Add(CaptchaTTL + time.Second)},
		"future":   {s.NewCaptchaID(now.Add(2 * time.Minute)), now},
		"garbage":  {"AAAAAAAAAAAAAAAAAAAA", now},
		"short":    {id[:19], now},
		"tampered": {id[:19] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(int(id[19]-'A')+1)%26]), now},
	} {
		if _, err := s.CaptchaDigits(tc.id, tc.now); !errors.Is(err, ErrNotFound) && name != "tampered" {
			t.Errorf("%s: %v", name, err)
		} else if name == "tampered" && err == nil {
			if d3, _ := s.CaptchaDigits(tc.id, tc.now); d3 == d {
				t.Errorf("tampered id has the same answer")
			}
		}
	}

	comment := func(key string) *Comment {
		return &Comment{ConsultationID: cid, SectionAnchor: "general", SubmissionKey: key, Body: "意见" + key, ConsentedAt: now}
	}
	// Two different forms race with one right answer: exactly one comment.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var saved, refused int
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := s
			if i%2 == 1 {
				st = s2 // the other instance
			}
			_, created, err := st.CreateCommentWithCaptcha(ctx, comment(fmt.Sprintf("race-%d", i)), id, now)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && created:
				saved++
			case errors.Is(err, ErrCaptchaUsed):
				refused++
			default:
				t.Errorf("race %d: created=%v %v", i, created, err)
			}
		}()
	}
	wg.Wait()
	if saved != 1 || refused != 7 {
		t.Fatalf("one captcha gave %d comments, %d refused", saved, refused)
	}
	s2.Close()
	// The same form again (a double click) lands on its comment, not on an error.
	id2 := s.NewCaptchaID(now)
	first, created, err := s.CreateCommentWithCaptcha(ctx, comment("twice"), id2, now)
	if err != nil || !created {
		t.Fatal(err)
	}
	again, created, err := s.CreateCommentWithCaptcha(ctx, comment("twice"), id2, now)
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("double click: %v %v", created, err)
	}
	// A wrong answer burns the captcha: the right answer afterwards is refused.
	id3 := s.NewCaptchaID(now)
	if err := s.BurnCaptcha(ctx, id3, now); err != nil {
		t.Fatal(err)
	}
	if err := s.BurnCaptcha(ctx, id3, now); err != nil {
		t.Fatalf("second burn: %v", err)
	}
	if _, _, err := s.CreateCommentWithCaptcha(ctx, comment("after-burn"), id3, now); !errors.Is(err, ErrCaptchaUsed) {
		t.Fatalf("burnt captcha accepted: %v", err)
	}
	if n, _ := s.CommentCounts(ctx, cid); n["general"] != 2 {
		t.Fatalf("counts %v, want 2 comments", n)
	}
	// Bounded: used captchas older than their lifetime are pruned by later commits.
	if n := usedCaptchas(t, s); n != 3 {
		t.Fatalf("%d used captchas, want 3", n)
	}
	later := now.Add(CaptchaTTL + 2*time.Minute)
	if _, _, err := s.CreateCommentWithCaptcha(ctx, comment("later"), s.NewCaptchaID(later), later); err != nil {
		t.Fatal(err)
	}
	if n := usedCaptchas(t, s); n != 1 {
		t.Fatalf("%d used captchas after expiry, want 1 (old ones pruned)", n)
	}
}

func captchaIDPattern(id string) bool {
	if len(id) != 20 {
		return false
	}
	for _, r := range id {
		if !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}
