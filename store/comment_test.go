package store

import (
	"context"
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
	if size != 6 || members != 6 {
		t.Errorf("group of %d: size %d, members %d, want 6", first.ID, size, members)
	}
}
