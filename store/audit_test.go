package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAuditLogIsAppendOnly proves the triggers refuse to change or remove an entry even
// on the writer connection, so no code path (or a stray SQL console) can edit history.
func TestAuditLogIsAppendOnly(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	actor := Actor{UserID: 1, Username: "admin", IP: "127.0.0.1"}
	if err := s.Audit(ctx, actor, AuditEntry{Action: "export", Target: "consultation:1", After: map[string]any{"rows": 3}}); err != nil {
		t.Fatal(err)
	}
	attempts := map[string]string{
		"update":         `UPDATE audit_log SET username = 'someone-else', after = '{}'`,
		"update one row": `UPDATE audit_log SET at = 0 WHERE id = 1`,
		"delete":         `DELETE FROM audit_log`,
		"delete one row": `DELETE FROM audit_log WHERE id = 1`,
	}
	for name, q := range attempts {
		_, err := s.w.ExecContext(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the append-only trigger to abort it", name, err)
		}
	}
	// Inside a transaction too: the statement fails and nothing changes.
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE id = 1`)
		return err
	})
	if err == nil {
		t.Error("delete in a transaction succeeded")
	}
	got, err := s.ListAudit(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Username != "admin" || got[0].AfterJSON != `{"rows":3}` || got[0].At.Before(time.Now().Add(-time.Minute)) {
		t.Fatalf("audit entry changed: %+v", got)
	}
	// Appending still works.
	if err := s.Audit(ctx, actor, AuditEntry{Action: "logout"}); err != nil {
		t.Fatal(err)
	}
}

func TestListAuditFiltersAndPages(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	day := time.Date(2023, 1, 10, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		who := Actor{Username: "li"}
		if i%2 == 0 {
			who.Username = "chen"
		}
		if err := s.Audit(ctx, who, AuditEntry{At: day.AddDate(0, 0, i), Action: "decide", ConsultationID: int64(1 + i%2), Target: fmt.Sprintf("comment:%d", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(es []AuditEntry) (out []int64) {
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	cases := []struct {
		name string
		f    AuditFilter
		want []int64
	}{
		{"all newest first", AuditFilter{}, []int64{5, 4, 3, 2, 1}},
		{"user", AuditFilter{Username: "chen"}, []int64{5, 3, 1}},
		{"consultation", AuditFilter{ConsultationID: 2}, []int64{4, 2}},
		{"target", AuditFilter{Target: "comment:3"}, []int64{3}},
		{"dates", AuditFilter{From: day.AddDate(0, 0, 1), To: day.AddDate(0, 0, 3)}, []int64{3, 2}},
		{"page", AuditFilter{BeforeID: 4, Limit: 2}, []int64{3, 2}},
		{"action none", AuditFilter{Action: "login"}, nil},
	}
	for _, c := range cases {
		got, err := s.ListAudit(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if g := ids(got); !slices.Equal(g, c.want) {
			t.Errorf("%s: ids %v, want %v", c.name, g, c.want)
		}
	}
}
