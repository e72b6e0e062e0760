package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

var bj = time.FixedZone("CST", 8*3600)

// windowFixture creates a consultation with a chapter and two articles.
func windowFixture(t *testing.T, s *Store) *Consultation {
	t.Helper()
	c := &Consultation{Slug: "w", Title: "标题", OpensAt: time.Date(2023, 1, 1, 9, 0, 0, 0, bj),
		ClosesAt: time.Date(2023, 2, 1, 9, 0, 0, 0, bj), WindowReason: "原因"}
	secs := []Section{
		{Position: 0, Kind: "chapter", Parent: -1, Ordinal: 1, Label: "第一章", Heading: "总则", Anchor: "chapter-1"},
		{Position: 1, Kind: "article", Parent: 0, Ordinal: 1, Label: "第一条", Body: "甲", Anchor: "article-1"},
		{Position: 2, Kind: "article", Parent: 0, Ordinal: 2, Label: "第二条", Body: "乙", Anchor: "article-2"},
	}
	id, err := s.CreateConsultation(context.Background(), c, secs)
	if err != nil {
		t.Fatal(err)
	}
	c.ID = id
	return c
}

func TestChangeWindowAuditsBeforeAndAfter(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	c := windowFixture(t, s)
	actor := Actor{UserID: 7, Username: "root", IP: "10.0.0.1"}
	opens, closes := time.Date(2023, 1, 2, 8, 30, 0, 0, bj), time.Date(2023, 1, 20, 17, 0, 0, 0, bj)
	if err := s.ChangeWindow(ctx, actor, c.ID, opens, closes, "  春节假期顺延  "); err != nil {
		t.Fatal(err)
	}
	got, err := s.ConsultationByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.OpensAt.Equal(opens) || !got.ClosesAt.Equal(closes) || got.WindowReason != "春节假期顺延" {
		t.Errorf("window not stored: %v %v %q", got.OpensAt, got.ClosesAt, got.WindowReason)
	}
	entries, err := s.ListAudit(ctx, AuditFilter{Action: "window", ConsultationID: c.ID})
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit entries %v, %v", entries, err)
	}
	e := entries[0]
	if e.Username != "root" || e.UserID != 7 || e.IP != "10.0.0.1" || e.Target != "consultation:w" {
		t.Errorf("entry %+v", e)
	}
	var before, after map[string]string
	if err := json.Unmarshal([]byte(e.BeforeJSON), &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(e.AfterJSON), &after); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"opens_at": "2023-01-01T09:00:00+08:00", "closes_at": "2023-02-01T09:00:00+08:00", "reason": "原因"}
	for k, v := range want {
		if before[k] != v {
			t.Errorf("before[%s] = %q, want %q", k, before[k], v)
		}
	}
	want = map[string]string{"opens_at": "2023-01-02T08:30:00+08:00", "closes_at": "2023-01-20T17:00:00+08:00", "reason": "春节假期顺延"}
	for k, v := range want {
		if after[k] != v {
			t.Errorf("after[%s] = %q, want %q", k, after[k], v)
		}
	}

	changes, err := s.WindowChanges(ctx, c.ID, 0)
	if err != nil || len(changes) != 1 {
		t.Fatalf("changes %v, %v", changes, err)
	}
	ch := changes[0]
	if ch.Action != "window" || ch.Anchor != "" || ch.Username != "root" || !ch.Before.ClosesAt.Equal(c.ClosesAt) ||
		!ch.After.OpensAt.Equal(opens) || ch.After.Reason != "春节假期顺延" || ch.Before.Reason != "原因" {
		t.Errorf("change %+v", ch)
	}
}

func TestChangeWindowRefusals(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	c := windowFixture(t, s)
	at := time.Date(2023, 3, 1, 0, 0, 0, 0, bj)
	if err := s.ChangeWindow(ctx, Actor{}, c.ID, at, at, "理由"); err == nil {
		t.Error("closes == opens accepted")
	}
	if err := s.ChangeWindow(ctx, Actor{}, c.ID, at, at.Add(-time.Hour), "理由"); err == nil {
		t.Error("closes before opens accepted")
	}
	if err := s.ChangeWindow(ctx, Actor{}, c.ID, at, at.Add(time.Hour), " "); !errors.Is(err, ErrReasonRequired) {
		t.Errorf("empty reason: %v", err)
	}
	if err := s.ChangeWindow(ctx, Actor{}, 999, at, at.Add(time.Hour), "理由"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown consultation: %v", err)
	}
	got, _ := s.ConsultationByID(ctx, c.ID)
	if !got.OpensAt.Equal(c.OpensAt) || !got.ClosesAt.Equal(c.ClosesAt) {
		t.Error("a refused change altered the window")
	}
	if n, _ := s.WindowChanges(ctx, c.ID, 0); len(n) != 0 {
		t.Errorf("refused changes audited: %v", n)
	}
}

func TestChangeSectionWindow(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	c := windowFixture(t, s)
	actor := Actor{UserID: 1, Username: "root"}
	closes := time.Date(2023, 1, 15, 12, 0, 0, 0, bj)
	if err := s.ChangeSectionWindow(ctx, actor, c.ID, "article-2", nil, &closes, "第二条提前截止"); err != nil {
		t.Fatal(err)
	}
	secs, _ := s.Sections(ctx, c.ID)
	if secs[2].OpensAt != nil || secs[2].ClosesAt == nil || !secs[2].ClosesAt.Equal(closes) || secs[1].ClosesAt != nil {
		t.Fatalf("override not stored: %+v", secs)
	}
	opens := time.Date(2023, 1, 3, 0, 0, 0, 0, bj)
	if err := s.ChangeSectionWindow(ctx, actor, c.ID, "article-2", &opens, &closes, "再改"); err != nil {
		t.Fatal(err)
	}
	if err := s.ChangeSectionWindow(ctx, actor, c.ID, "article-2", nil, nil, "恢复"); err != nil {
		t.Fatal(err)
	}
	secs, _ = s.Sections(ctx, c.ID)
	if secs[2].OpensAt != nil || secs[2].ClosesAt != nil {
		t.Error("override not cleared")
	}
	changes, err := s.WindowChanges(ctx, c.ID, 0)
	if err != nil || len(changes) != 3 {
		t.Fatalf("changes %v, %v", changes, err)
	}
	clear, second, first := changes[0], changes[1], changes[2]
	if first.Action != "section_window" || first.Anchor != "article-2" || first.Before.OpensAt != nil || first.Before.ClosesAt != nil ||
		first.After.OpensAt != nil || !first.After.ClosesAt.Equal(closes) || first.After.Reason != "第二条提前截止" {
		t.Errorf("first %+v", first)
	}
	if second.Before.ClosesAt == nil || !second.Before.ClosesAt.Equal(closes) || !second.After.OpensAt.Equal(opens) {
		t.Errorf("second %+v", second)
	}
	if clear.After.OpensAt != nil || clear.After.ClosesAt != nil || !clear.Before.OpensAt.Equal(opens) || clear.After.Reason != "恢复" {
		t.Errorf("clear %+v", clear)
	}
	entries, _ := s.ListAudit(ctx, AuditFilter{Target: "section:article-2"})
	if len(entries) != 3 {
		t.Errorf("%d audit entries for the section", len(entries))
	}

	if err := s.ChangeSectionWindow(ctx, actor, c.ID, "article-9", nil, &closes, "理由"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown anchor: %v", err)
	}
	if err := s.ChangeSectionWindow(ctx, actor, c.ID, "article-1", &closes, &opens, "理由"); err == nil {
		t.Error("inverted override accepted")
	}
	if err := s.ChangeSectionWindow(ctx, actor, c.ID, "article-1", nil, &closes, ""); !errors.Is(err, ErrReasonRequired) {
		t.Errorf("empty reason: %v", err)
	}
	if changes, _ := s.WindowChanges(ctx, c.ID, 0); len(changes) != 3 {
		t.Errorf("refused changes audited: %d", len(changes))
	}
}

func TestCreateConsultationAudited(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	c := &Consultation{Slug: "new-one", Title: "新草案", OpensAt: time.Date(2024, 1, 1, 9, 0, 0, 0, bj),
		ClosesAt: time.Date(2024, 1, 11, 9, 0, 0, 0, bj), WindowReason: "紧急", DraftSHA256: "abc"}
	secs := []Section{
		{Position: 0, Kind: "chapter", Parent: -1, Ordinal: 1, Label: "第一章", Heading: "总则", Anchor: "chapter-1"},
		{Position: 1, Kind: "article", Parent: 0, Ordinal: 1, Label: "第一条", Body: "甲", Anchor: "article-1"},
	}
	actor := Actor{UserID: 3, Username: "root"}
	id, err := s.CreateConsultationAudited(ctx, actor, c, secs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ConsultationBySlug(ctx, "new-one")
	if err != nil || got.ID != id || got.WindowReason != "紧急" {
		t.Fatalf("%+v, %v", got, err)
	}
	stored, _ := s.Sections(ctx, id)
	if len(stored) != 2 || stored[1].Parent != 0 || stored[1].Anchor != "article-1" {
		t.Errorf("sections %+v", stored)
	}
	entries, _ := s.ListAudit(ctx, AuditFilter{Action: "consultation_create", ConsultationID: id})
	if len(entries) != 1 || entries[0].Username != "root" || entries[0].Target != "consultation:new-one" {
		t.Fatalf("audit %+v", entries)
	}
	var after map[string]any
	if err := json.Unmarshal([]byte(entries[0].AfterJSON), &after); err != nil {
		t.Fatal(err)
	}
	if after["chapters"] != 1.0 || after["articles"] != 1.0 || after["closes_at"] != "2024-01-11T09:00:00+08:00" || after["reason"] != "紧急" {
		t.Errorf("after %v", after)
	}

	// A taken slug is ErrExists and leaves nothing behind, audit entry included.
	if _, err := s.CreateConsultationAudited(ctx, actor, c, secs); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate slug: %v", err)
	}
	// A section that cannot be inserted rolls the consultation and its audit entry back.
	c2 := *c
	c2.Slug = "broken"
	bad := []Section{{Position: 0, Kind: "article", Parent: 5, Anchor: "article-1"}}
	if _, err := s.CreateConsultationAudited(ctx, actor, &c2, bad); err == nil {
		t.Error("orphan section accepted")
	}
	if _, err := s.ConsultationBySlug(ctx, "broken"); !errors.Is(err, ErrNotFound) {
		t.Errorf("half-created consultation: %v", err)
	}
	all, _ := s.ListAudit(ctx, AuditFilter{Action: "consultation_create"})
	if len(all) != 1 {
		t.Errorf("%d create entries, want 1", len(all))
	}
	c3 := *c
	c3.Slug, c3.ClosesAt = "inverted", c.OpensAt
	if _, err := s.CreateConsultationAudited(ctx, actor, &c3, secs); err == nil {
		t.Error("empty window accepted")
	}
}
