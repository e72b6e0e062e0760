package store

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestResetPasswordEndsEverySessionAndUnlocks(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	admin := Actor{UserID: 1, Username: "admin", IP: "10.0.0.1"}
	u, err := s.CreateUser(ctx, admin, "chen", "old-hash", RoleOfficer)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, tok := range []string{"a", "b", "c"} {
		if err := s.CreateSession(ctx, tok, u.ID, "", now); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordLogin(ctx, admin, u, false, 1, time.Hour, now); err != nil { // locks at once
		t.Fatal(err)
	}
	if err := s.ResetPassword(ctx, admin, u.ID, "new-hash", now); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"a", "b", "c"} {
		if _, err := s.SessionByToken(ctx, tok, time.Hour, time.Hour, now); !errors.Is(err, ErrNotFound) {
			t.Errorf("session %s survived the reset: %v", tok, err)
		}
	}
	got, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.PasswordHash != "new-hash" || got.LockedUntil.Unix() != 0 || got.FailedLogins != 0 {
		t.Errorf("after reset: %+v", got)
	}
	es, err := s.ListAudit(ctx, AuditFilter{Action: "password_reset"})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Username != "admin" || es[0].Target != "user:chen" ||
		es[0].AfterJSON != `{"failed_logins":0,"locked_until":0,"password_changed_at":`+strconv.FormatInt(now.Unix(), 10)+`,"sessions_ended":3}` {
		t.Fatalf("audit: %+v", es)
	}
	if err := s.ResetPassword(ctx, admin, 999, "x", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := s.UserByID(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("UserByID unknown: %v", err)
	}
}

func TestUnlockUser(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	admin := Actor{UserID: 1, Username: "admin"}
	u, err := s.CreateUser(ctx, admin, "chen", "hash", RoleOfficer)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := s.RecordLogin(ctx, admin, u, false, 1, time.Hour, now); err != nil {
		t.Fatal(err)
	}
	if err := s.UnlockUser(ctx, admin, u.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := s.UserByID(ctx, u.ID)
	if got.LockedUntil.Unix() != 0 || got.FailedLogins != 0 {
		t.Errorf("still locked: %+v", got)
	}
	es, _ := s.ListAudit(ctx, AuditFilter{Action: "user_unlock"})
	if len(es) != 1 || es[0].BeforeJSON != `{"failed_logins":0,"locked_until":`+strconv.FormatInt(now.Add(time.Hour).Unix(), 10)+`}` {
		t.Fatalf("audit: %+v", es)
	}
	if err := s.UnlockUser(ctx, admin, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
}
