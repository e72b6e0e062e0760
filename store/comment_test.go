package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"consult/store/dedupe"
)

// TestGroupingLooksPastTheReadSnapshot: the duplicate look-up runs on a read
// connection before a comment is queued, and the writer looks only at comments stored
// since. A comment whose look-up ran before its twin (or near twin) was stored must
// still join the twin's group, and the group sizes must count every member.
func TestGroupingLooksPastTheReadSnapshot(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	cid := createTestConsultation(t, s)
	const body = "建议在第十七条中明确企业开办全程网办的时限要求,并公布办理流程和咨询电话,方便群众和企业查询办理进度。"
	const near = "建议在第十七条中明确企业开办全程网办的时限要求,并公布办理流程和咨询电话,方便群众和企业查询办理的进度。"
	if dedupe.Similarity(dedupe.Of(body), dedupe.Of(near)) < dedupe.Threshold || !dedupe.Of(body).Comparable() {
		t.Fatal("test texts are not near-identical")
	}
	comment := func(text string) *Comment {
		return &Comment{ConsultationID: cid, SectionAnchor: "general", Body: text, ConsentedAt: time.Now()}
	}
	// queued as if its read look-up had seen only the comments up to upTo
	queued := func(text string, hint groupHint) *Comment {
		t.Helper()
		c, created, err := s.enqueue(ctx, &commentReq{c: comment(text), fp: dedupe.Of(text), hint: hint, done: make(chan commentRes, 1)})
		if err != nil || !created {
			t.Fatalf("enqueue: %v %v", created, err)
		}
		return c
	}
	other, _, err := s.CreateComment(ctx, comment("完全不同的另一条意见,讨论的是园区的绿化和停车位规划问题,希望增加公共停车位。"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, err := s.CreateComment(ctx, comment(body))
	if err != nil {
		t.Fatal(err)
	}
	if first.GroupID != first.ID || other.GroupID != other.ID {
		t.Fatalf("new texts should start their own groups: %d/%d %d/%d", first.GroupID, first.ID, other.GroupID, other.ID)
	}
	before := groupHint{ok: true, upTo: first.ID - 1}
	if got := queued(body, before); got.GroupID != first.ID {
		t.Errorf("identical text stored after the snapshot: group %d, want %d", got.GroupID, first.ID)
	}
	if got := queued(near, before); got.GroupID != first.ID {
		t.Errorf("near-identical text stored after the snapshot: group %d, want %d", got.GroupID, first.ID)
	}
	// The read look-up's own findings (the usual path).
	for _, text := range []string{body, near} {
		got, _, err := s.CreateComment(ctx, comment(text))
		if err != nil {
			t.Fatal(err)
		}
		if got.GroupID != first.ID {
			t.Errorf("%q: group %d, want %d", text[:12], got.GroupID, first.ID)
		}
	}
	// A hint that found an older twin wins over a newer near twin.
	if got := queued(near, groupHint{ok: true, upTo: first.ID, exact: other.ID}); got.GroupID != other.ID {
		t.Errorf("the hint's exact group was not used: %d, want %d", got.GroupID, other.ID)
	}
	// A comment stored outside the group committer (an officer's record) leaves a gap
	// in the committer's memory: the writer reads what was stored since from the table.
	if _, err := s.RecordComment(ctx, Actor{Username: "officer"}, comment("来信:建议公开园区各项收费标准。"), nil); err != nil {
		t.Fatal(err)
	}
	if got := queued(near, before); got.GroupID != first.ID {
		t.Errorf("near-identical text after a gap in the committer's memory: group %d, want %d", got.GroupID, first.ID)
	}
	// A hint far behind (more than sinceLimit stored since, then the twin): the
	// writer's scan stops at sinceLimit and the indexed look-ups find the twin.
	const late = "关于第二十条人才引进政策,建议对高层次人才的住房补贴标准予以细化,并明确申请条件、审核时限和发放方式。"
	stale := groupHint{ok: true, upTo: first.ID}
	for i := 0; i <= sinceLimit; i++ {
		if _, _, err := s.CreateComment(ctx, comment(fmt.Sprintf("第%d条其他意见", i))); err != nil {
			t.Fatal(err)
		}
	}
	twin, _, err := s.CreateComment(ctx, comment(late))
	if err != nil {
		t.Fatal(err)
	}
	if got := queued(late, stale); got.GroupID != twin.ID {
		t.Errorf("identical text, hint %d behind: group %d, want %d", sinceLimit+1, got.GroupID, twin.ID)
	}
	// No hint (its read failed): the writer looks at everything.
	if got := queued(body, groupHint{}); got.GroupID != first.ID {
		t.Errorf("without a hint: group %d, want %d", got.GroupID, first.ID)
	}
	var size, members int
	if err := s.r.QueryRow(`SELECT size FROM dup_groups WHERE id = ?`, first.ID).Scan(&size); err != nil {
		t.Fatal(err)
	}
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM comments WHERE group_id = ?`, first.ID).Scan(&members); err != nil {
		t.Fatal(err)
	}
	if size != 7 || members != 7 {
		t.Errorf("group of %d: size %d, members %d, want 7", first.ID, size, members)
	}
}

// TestRecentCommentsRing: the committer's memory holds the latest comments without a
// gap, drops the oldest past recentMax, and starts again when something else stored
// comments in between.
func TestRecentCommentsRing(t *testing.T) {
	var r recentComments
	r.sync(1) // empty table
	batch := func(from, n int64) []recentComment {
		var out []recentComment
		for id := from; id < from+n; id++ {
			out = append(out, recentComment{id: id, consultationID: 1, group: id})
		}
		return out
	}
	r.add(batch(1, 10))
	if !r.covers(0) || r.hi != 10 || len(r.entries) != 10 {
		t.Fatalf("after 10: lo %d hi %d, %d entries", r.lo, r.hi, len(r.entries))
	}
	r.add(batch(11, recentMax))
	if r.hi != 10+recentMax || len(r.entries) != recentMax || r.covers(9) || !r.covers(10) {
		t.Fatalf("after %d: lo %d hi %d, %d entries", 10+recentMax, r.lo, r.hi, len(r.entries))
	}
	r.sync(r.hi + 1) // the next batch follows on: kept
	if len(r.entries) != recentMax {
		t.Fatal("ring dropped although no comment was missed")
	}
	r.sync(r.hi + 3) // two comments stored elsewhere
	if len(r.entries) != 0 || r.covers(r.lo-1) || !r.covers(r.lo) {
		t.Fatalf("after a gap: lo %d hi %d, %d entries", r.lo, r.hi, len(r.entries))
	}
}

// gatherQueue is a Store with only a comment queue holding n requests, and first.
func gatherQueue(n int) (*Store, *commentReq) {
	s := &Store{commentQ: make(chan *commentReq, maxBatch)}
	for range n {
		s.commentQ <- &commentReq{}
	}
	return s, &commentReq{}
}

func TestGatherHoldsABatchOnlyWhileCommentsArriveTogether(t *testing.T) {
	for _, c := range []struct {
		last, n int
		hold    bool
	}{
		{0, 1, false}, {1, 1, false}, {1, 3, false}, // after a lone comment: never
		{2, 1, true}, {40, gatherMin - 1, true}, // several arrived together, this one short
		{2, gatherMin, false}, {40, 100, false}, // enough already
	} {
		if got := holdBatch(c.last, c.n); got != c.hold {
			t.Errorf("holdBatch(%d, %d) = %v", c.last, c.n, got)
		}
	}

	// Not held: what is queued goes at once (a wait of an hour would time the test out).
	s, first := gatherQueue(2)
	if b := s.gather(first, 1, time.Hour); len(b) != 3 || b[0] != first {
		t.Fatalf("after a lone comment: a batch of %d", len(b))
	}
	s, first = gatherQueue(gatherMin + 4)
	if b := s.gather(first, 5, time.Hour); len(b) != gatherMin+5 {
		t.Fatalf("with %d queued: a batch of %d", gatherMin+4, len(b))
	}
	// Held: it takes in what arrives, up to maxBatch ...
	s, first = gatherQueue(0)
	got := make(chan []*commentReq, 1)
	go func() { got <- s.takeIn([]*commentReq{first}, time.Hour) }()
	for range maxBatch {
		s.commentQ <- &commentReq{}
	}
	var b []*commentReq
	select {
	case b = <-got:
	case <-time.After(time.Minute): // a hang, not a measurement
		t.Fatal("takeIn did not return at maxBatch")
	}
	if len(b) != maxBatch || len(s.commentQ) != 1 {
		t.Fatalf("a held batch of %d (want %d), %d left queued (want 1)", len(b), maxBatch, len(s.commentQ))
	}
	// ... for no longer than the wait.
	s, first = gatherQueue(1)
	if b := s.gather(first, 2, 20*time.Millisecond); len(b) != 2 {
		t.Fatalf("when no more come: a batch of %d", len(b))
	}
}

// TestFormSubmitted: a form's key finds where the receipt of its comment is; a key
// never stored is ErrNotFound.
func TestFormSubmitted(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	cid := createTestConsultation(t, s)
	c, _, err := s.CreateComment(ctx, &Comment{ConsultationID: cid, SectionAnchor: "general", SubmissionKey: "AZ5t0sOqJ8w1m2n3b4v5c6",
		Body: "同一张表单只算一条意见。", ConsentedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.FormSubmitted(ctx, "AZ5t0sOqJ8w1m2n3b4v5c6")
	if err != nil || f.ConsultationID != cid || f.Tracking != c.Tracking || f.Tracking == "" {
		t.Fatalf("FormSubmitted = %+v, %v; want consultation %d, tracking %q", f, err, cid, c.Tracking)
	}
	if _, err := s.FormSubmitted(ctx, "AZ5t0sOqJ8w1m2n3b4v5c7"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an unknown key: %v, want ErrNotFound", err)
	}
}
